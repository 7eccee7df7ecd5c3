DROP TABLE api_key_org_uses;
