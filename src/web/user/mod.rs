//! User settings.

pub mod profile;
pub mod sign_in_methods;
