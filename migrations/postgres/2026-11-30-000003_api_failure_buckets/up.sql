-- Failed API-key attempts per client address, shared by every instance on this
-- database (a token bucket: attempts left, and when that was counted). UNLOGGED:
-- losing it in a crash only resets the allowances, and it costs no WAL.
CREATE UNLOGGED TABLE api_failure_buckets (
    address TEXT PRIMARY KEY NOT NULL,
    attempts_left DOUBLE PRECISION NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
