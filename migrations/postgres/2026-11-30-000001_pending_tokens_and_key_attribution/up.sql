-- A key's token waiting for the one page that shows it. Only ciphertext is kept:
-- its one-time key lives in a short-lived HttpOnly cookie of the browser that
-- created the key, so this table, the WAL and backups hold nothing usable.
-- The page takes the row with one DELETE … RETURNING: shown once, even to two
-- requests at the same moment.
CREATE TABLE pending_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    list_url TEXT NOT NULL,
    sealed TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX pending_tokens_expiry ON pending_tokens (expires_at);

-- Keys made through the API with an organization key have no person behind
-- them: the key that made them is named (its hint and description, kept when
-- that key is later deleted).
ALTER TABLE api_keys ADD COLUMN created_by_key_hint TEXT;
ALTER TABLE api_keys ADD COLUMN created_by_key_description TEXT;
ALTER TABLE audit_events ADD COLUMN actor_key_hint TEXT;
ALTER TABLE audit_events ADD COLUMN actor_key_description TEXT;

-- Earlier versions kept the new token itself in the session state: drop it.
UPDATE sessions SET state = (state::jsonb - 'new_api_key')::text WHERE state LIKE '%new_api_key%';
