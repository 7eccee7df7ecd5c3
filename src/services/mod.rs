//! What the web pages and the API both do, written once: each function takes
//! checked inputs, applies the domain rules and calls storage.

pub mod api_keys;
