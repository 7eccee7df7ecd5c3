//! The rules of the product, free of HTTP and SQL: values here exist only if valid.

pub mod access;
pub mod api_key;
pub mod dates;
pub mod display_name;
pub mod identity;
pub mod ids;
pub mod join_request;
pub mod mail;
pub mod organization;
pub mod oversight;
pub mod pending_login;
pub mod return_to;
pub mod text;
