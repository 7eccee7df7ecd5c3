//! Integration tests: the real application over HTTP, on SQLite and PostgreSQL.

mod helpers;

mod config;
mod csrf;
mod errors;
mod headers;
mod sessions;
mod sign_in;
