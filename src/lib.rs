//! MonkeyCI accounts: platform sign-in, organizations and API keys.
//!
//! The binaries are thin: `main.rs` (the server) reads the configuration and runs
//! an [`startup::Application`]. See `docs/ARCHITECTURE.md` for the map.

pub mod api;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod mail;
pub mod monitoring;
pub mod percent;
pub mod random;
pub mod services;
pub mod shutdown;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
