DROP TABLE api_keys;
ALTER TABLE organizations DROP COLUMN max_key_lifetime_days;
