//! Integration tests: the real application over HTTP, on SQLite and PostgreSQL.

// Test helpers read as sentences: `app.new_visitor()` even when it needs nothing
// of the app, `async` helpers awaited like their neighbours, values handed over
// whole, and a date-like number (`20270601`) written as the mistake it stands for.
#![allow(
    clippy::unused_self,
    clippy::unused_async,
    clippy::needless_pass_by_value,
    clippy::unreadable_literal
)]

mod support;

mod cli;
mod concurrent_writes;
mod config;
mod csrf;
mod database;
mod database_outage;
mod errors;
mod headers;
mod key_permissions_migration;
mod keys;
mod leaks;
mod logging;
mod mail;
mod openapi_conformance;
mod operations;
mod orgs;
mod rest;
mod sessions;
mod sign_in;

mod platforms;
mod standins;

mod oidc_id_tokens;
