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

mod platforms;
mod standins;

mod oidc_id_tokens;
