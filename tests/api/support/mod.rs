//! What the tests share: starting apps and registering tests for both databases.

pub mod register;
