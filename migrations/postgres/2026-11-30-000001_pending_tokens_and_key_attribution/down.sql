ALTER TABLE audit_events DROP COLUMN actor_key_description;
ALTER TABLE audit_events DROP COLUMN actor_key_hint;
ALTER TABLE api_keys DROP COLUMN created_by_key_description;
ALTER TABLE api_keys DROP COLUMN created_by_key_hint;
DROP TABLE pending_tokens;
