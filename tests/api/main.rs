//! Integration tests: the real application over HTTP, on SQLite and PostgreSQL.

mod support;

mod cli;
mod concurrent_writes;
mod config;
mod csrf;
mod database;
mod database_outage;
mod errors;
mod headers;
mod keys;
mod logging;
mod openapi_conformance;
mod operations;
mod orgs;
mod rest;
mod sessions;
mod sign_in;

mod platform_flow;
mod standins;

mod oidc_id_tokens;
mod platform_failures;
mod platform_linking;
mod platform_profiles;
mod platform_protocol;
mod platform_secrets;
mod platform_session;
mod platform_sign_in;
mod platform_sign_in_page;
mod platform_state;
