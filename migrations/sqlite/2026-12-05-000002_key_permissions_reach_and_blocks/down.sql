ALTER TABLE organizations DROP COLUMN user_keys_allowed;
ALTER TABLE organizations DROP COLUMN keys_require_expiry;
DROP TABLE api_key_blocks;
DROP TABLE api_key_orgs;
ALTER TABLE api_keys DROP COLUMN reaches_all_orgs;
ALTER TABLE api_keys DROP COLUMN allowed_networks;
ALTER TABLE api_keys DROP COLUMN scope;
