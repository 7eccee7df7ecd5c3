//! Who is asking: sessions, API keys and their hashes, sign-in platforms.

pub mod argon2_pool;
pub mod introspection_clients;
pub mod key_auth;
pub mod key_hash;
pub mod pending_token;
pub mod platforms;
pub mod secret_scanning_keys;
pub mod session;
pub mod session_store;
