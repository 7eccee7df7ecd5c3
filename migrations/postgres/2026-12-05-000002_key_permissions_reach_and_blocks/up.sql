-- Least privilege (SPEC §2 "Permissions", "Allowed networks", "Reach of user
-- keys"; §4 "Oversight", "Key policy").

-- What a key may do, as its scope string. Keys made before permissions existed
-- keep full access; every new key is stored with the scope chosen for it.
ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL
    DEFAULT 'org:write members:write keys:write repos:write builds:write params:write ssh_keys:write webhooks:write billing:write';
-- Where a key may be used from: networks (CIDR) separated by spaces; NULL: anywhere.
ALTER TABLE api_keys ADD COLUMN allowed_networks TEXT;
-- A user key reaches all of its user's organizations, or only those listed in
-- api_key_orgs (and only while the user is a member of them).
ALTER TABLE api_keys ADD COLUMN reaches_all_orgs BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE api_key_orgs (
    key_id INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    PRIMARY KEY (key_id, organization_id)
);
CREATE INDEX api_key_orgs_organization ON api_key_orgs (organization_id);

-- A member's user key an admin stopped from reaching the organization (it keeps
-- working elsewhere).
CREATE TABLE api_key_blocks (
    key_id INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    blocked_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    blocked_at TIMESTAMP NOT NULL,
    PRIMARY KEY (key_id, organization_id)
);
CREATE INDEX api_key_blocks_organization ON api_key_blocks (organization_id);

-- The organization's key policy, beyond the longest lifetime: whether keys must
-- have an expiry date, and which user keys may reach it ('all', 'restricted':
-- only keys restricted to named organizations, 'none').
ALTER TABLE organizations ADD COLUMN keys_require_expiry BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE organizations ADD COLUMN user_keys_allowed TEXT NOT NULL DEFAULT 'all';
