-- The key lifecycle (SPEC §2 "Lifecycle"): roll, revoke with history, expiry
-- reminders by e-mail, leaked keys, usage per key.

-- Revoking keeps the row for 90 days (then a purge deletes it; the audit log
-- keeps its entries). revoked_at is the first instant the key is refused: now
-- for a revocation, the end of the overlap for a rolled key, so the same check
-- on the clock that ends a key at its valid-until date ends it on every
-- instance, with no job that has to run. The reason is 'revoked' (by a person),
-- 'rolled', 'leaked' (self-revoked with its token) or 'secret_scanning'.
ALTER TABLE api_keys ADD COLUMN revoked_at TIMESTAMP;
ALTER TABLE api_keys ADD COLUMN revoked_reason TEXT;
ALTER TABLE api_keys ADD COLUMN revoked_by INTEGER REFERENCES users (id) ON DELETE SET NULL;
-- The key that revoked it through the API (its hint), when one did.
ALTER TABLE api_keys ADD COLUMN revoked_by_key_hint TEXT;
-- Roll: the predecessor's and the successor's public ids (kept after either is
-- purged, so "rolled from mci_org_3fKx…" still reads). rolled_to is set once.
ALTER TABLE api_keys ADD COLUMN rolled_from TEXT;
ALTER TABLE api_keys ADD COLUMN rolled_to TEXT;
-- Expiry reminders, claimed with one atomic update each (exactly once per key
-- and threshold, whatever the number of instances).
ALTER TABLE api_keys ADD COLUMN reminded_7d_at TIMESTAMP;
ALTER TABLE api_keys ADD COLUMN reminded_1d_at TIMESTAMP;
-- Last use: where from (the address MONKEYCI_TRUSTED_PROXIES resolves) and
-- with which user agent (at most 200 characters), written with last_used_at.
ALTER TABLE api_keys ADD COLUMN last_used_address TEXT;
ALTER TABLE api_keys ADD COLUMN last_used_agent TEXT;
-- Reminders and the purge look for keys by date across owners.
CREATE INDEX api_keys_valid_until ON api_keys (valid_until);
CREATE INDEX api_keys_revoked_at ON api_keys (revoked_at);

-- Requests per key and day (UTC), gathered in memory and added once a minute
-- per instance: one upsert per key and day.
CREATE TABLE api_key_daily_uses (
    key_id INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    day DATE NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (key_id, day)
);

-- Mail waiting to be sent (and, for a few days, sent): written in the same
-- transaction as what it tells of, so a claimed reminder or a revocation
-- notice is never lost between the claim and the send; a failed send is
-- retried with backoff (next_attempt_at) and logged.
CREATE TABLE outbound_mails (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    sent_at TIMESTAMP
);
CREATE INDEX outbound_mails_due ON outbound_mails (sent_at, next_attempt_at);

-- Addresses: only verified ones are used for mail; one not known to be verified
-- (every address stored before this migration) waits for the next sign-in.
ALTER TABLE identities ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
-- A person can turn mail off on the profile page.
ALTER TABLE users ADD COLUMN mail_opt_out BOOLEAN NOT NULL DEFAULT FALSE;
