//! Who is asking: sessions, the signed-in user, CSRF protection.

pub mod argon2_pool;
pub mod csrf;
pub mod current_user;
pub mod key_auth;
pub mod key_hash;
pub mod org_access;
pub mod pending_token;
pub mod platforms;
pub mod session;
pub mod session_store;
