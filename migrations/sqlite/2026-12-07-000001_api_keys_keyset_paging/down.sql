DROP INDEX api_keys_user_last_used;
DROP INDEX api_keys_organization_last_used;
DROP INDEX api_keys_user_valid_until;
DROP INDEX api_keys_organization_valid_until;
CREATE INDEX api_keys_organization_valid_until ON api_keys (organization_id, valid_until);
CREATE INDEX api_keys_user_valid_until ON api_keys (user_id, valid_until);
