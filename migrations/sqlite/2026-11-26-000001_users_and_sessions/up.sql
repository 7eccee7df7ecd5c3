-- Times are UTC, stored without a zone (the same column type on both databases).
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    display_name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- A way to sign in: (platform, the platform's immutable user id) is one person there.
CREATE TABLE identities (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    platform_user_id TEXT NOT NULL,
    login TEXT NOT NULL,
    display_name TEXT,
    email TEXT,
    avatar_url TEXT,
    linked_at TIMESTAMP NOT NULL,
    last_sign_in_at TIMESTAMP NOT NULL,
    UNIQUE (platform, platform_user_id)
);
CREATE INDEX identities_user_id ON identities (user_id);

-- Server-side sessions. `id` is the SHA-256 (hex) of the random key in the cookie,
-- so a copy of this table cannot be replayed as cookies.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
