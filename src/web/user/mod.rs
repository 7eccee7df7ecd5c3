//! User settings.

pub mod profile;
