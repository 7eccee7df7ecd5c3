-- The keys list pages by cursor (keyset paging, no OFFSET): each sort reads one
-- range of an index in the list's order, ties newest first, so a deep page of
-- an organization with 100,000 keys costs what the first page does.
-- Newest first uses (owner, id), there since the keys table. Valid until is
-- ordered date ascending, id descending: the index says so, or both databases
-- sort each run of equal dates. Last used had no index, being rewritten up to
-- once a minute per key in use; without one, every page of an organization
-- with 100,000 keys sorted all of them (measured: 20 ms on PostgreSQL, 135 ms on
-- SQLite, against 0.05-0.3 ms with it; bench/README.md). Updating one more
-- index entry per key and minute costs less than that.
DROP INDEX api_keys_organization_valid_until;
DROP INDEX api_keys_user_valid_until;
CREATE INDEX api_keys_organization_valid_until ON api_keys (organization_id, valid_until, id DESC);
CREATE INDEX api_keys_user_valid_until ON api_keys (user_id, valid_until, id DESC);
CREATE INDEX api_keys_organization_last_used ON api_keys (organization_id, last_used_at, id);
CREATE INDEX api_keys_user_last_used ON api_keys (user_id, last_used_at, id);
