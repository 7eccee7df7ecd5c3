-- The keys list pages by cursor (keyset paging, no OFFSET): each sort reads one
-- range of an index in the list's order, ties newest first, so a deep page of
-- an organization with 100,000 keys costs what the first page does.
-- Newest first uses (owner, id), there since the keys table. Valid until and
-- last used need the id after the date for the tie-break (SQLite would add the
-- rowid by itself; PostgreSQL would sort each run of equal dates). Last used
-- had no index, being rewritten up to once a minute per key in use; sorting an
-- organization's 100,000 keys for every page cost far more than that update
-- of one more index entry (see bench/README.md).
DROP INDEX api_keys_organization_valid_until;
DROP INDEX api_keys_user_valid_until;
CREATE INDEX api_keys_organization_valid_until ON api_keys (organization_id, valid_until, id);
CREATE INDEX api_keys_user_valid_until ON api_keys (user_id, valid_until, id);
CREATE INDEX api_keys_organization_last_used ON api_keys (organization_id, last_used_at, id);
CREATE INDEX api_keys_user_last_used ON api_keys (user_id, last_used_at, id);
