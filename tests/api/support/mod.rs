//! What the tests share, by job:
//!
//! - [`register`]: the one line that registers a test for the databases
//!   (`both_databases!`, `postgres_only!`, `platform_tests!`, `each_platform!`);
//! - [`app`]: [`TestApp`], the real application on a random port with a fresh
//!   database, its [`Options`], and its own log ([`TestApp::logs`]);
//! - [`browser`]: [`Browser`], one person's browser (cookie jar, CSRF token);
//! - [`people`]: [`Team`], the people and organizations most tests start from,
//!   and [`join`];
//! - [`html`]: reading pages as a person does (`texts`, `rows`, `page_text`…);
//! - [`sql`]: reading the database directly (`strings`, `count`, `audit_rows`…);
//! - [`process`]: [`ServerProcess`], the server binary itself (signals, stderr);
//! - [`smtp`]: [`SmtpSink`], a real SMTP server that keeps what it receives.

pub mod app;
pub mod browser;
pub mod html;
pub mod older_database;
pub mod people;
pub mod process;
pub mod register;
pub mod smtp;
pub mod sql;

pub use app::*;
pub use browser::*;
pub use html::*;
pub use people::*;
pub use process::*;
pub use smtp::*;
pub use sql::*;
