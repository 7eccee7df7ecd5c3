-- When a user key last acted in each organization (SPEC §4 "Oversight of
-- members' user keys": admins see the last use in their organization, not the
-- key's uses elsewhere). Written at most once a minute per key and organization
-- per instance, in the background, like api_keys.last_used_at.
CREATE TABLE api_key_org_uses (
    key_id INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    last_used_at TIMESTAMP NOT NULL,
    PRIMARY KEY (key_id, organization_id)
);
CREATE INDEX api_key_org_uses_organization ON api_key_org_uses (organization_id);
