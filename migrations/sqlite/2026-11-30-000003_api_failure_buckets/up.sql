-- Used on PostgreSQL only (several instances share their allowances there; a
-- SQLite database has one instance, which counts in memory). Kept here so that
-- both databases have the same schema.
CREATE TABLE api_failure_buckets (
    address TEXT PRIMARY KEY NOT NULL,
    attempts_left DOUBLE PRECISION NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
