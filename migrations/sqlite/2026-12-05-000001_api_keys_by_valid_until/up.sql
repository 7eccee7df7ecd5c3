-- The keys screen selects an owner's keys by status (valid_until compared with
-- dates) and sorts them by valid_until. No index on last_used_at: it is
-- rewritten up to once a minute per key, and one owner's keys are few enough to
-- sort after the owner's index has found them.
CREATE INDEX api_keys_organization_valid_until ON api_keys (organization_id, valid_until);
CREATE INDEX api_keys_user_valid_until ON api_keys (user_id, valid_until);
