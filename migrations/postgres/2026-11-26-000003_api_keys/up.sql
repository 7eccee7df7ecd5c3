-- Optional policy: the longest an organization's keys may live, in days.
ALTER TABLE organizations ADD COLUMN max_key_lifetime_days INTEGER;

-- Organization keys and user keys in one table: the public id is unique across
-- both, so a token's id is one indexed lookup; `kind` must agree with the token's
-- prefix and names the one owner column that is set. Deleted keys are deleted
-- (no soft delete): a row that is gone cannot be accepted by a query that forgot
-- a filter. The audit log keeps the key's hint and description.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
    public_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    organization_id INTEGER REFERENCES organizations (id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    description TEXT NOT NULL,
    valid_until DATE,
    created_at TIMESTAMP NOT NULL,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    last_used_at TIMESTAMP,
    CHECK ((kind = 'org' AND organization_id IS NOT NULL AND user_id IS NULL)
        OR (kind = 'user' AND user_id IS NOT NULL AND organization_id IS NULL))
);
CREATE INDEX api_keys_organization ON api_keys (organization_id, id);
CREATE INDEX api_keys_user ON api_keys (user_id, id);
