//! `Verified`: an authenticated caller as the cache holds it, with one slot for
//! a rendering of it that a handler may fill once (the API's `whoami` body).
//! The cache replaces the whole value whenever the caller's data is read again
//! or changes, so a memoized rendering can never outlive what it shows.

use std::ops::Deref;
use std::sync::OnceLock;

use bytes::Bytes;

use crate::domain::access::Caller;

#[derive(Debug)]
pub struct Verified {
    caller: Caller,
    rendered: OnceLock<Bytes>,
}

impl Verified {
    pub fn new(caller: Caller) -> Verified {
        Verified { caller, rendered: OnceLock::new() }
    }

    /// The rendering made by `render` the first time, reused afterwards.
    pub fn rendered(&self, render: impl FnOnce(&Caller) -> Bytes) -> Bytes {
        self.rendered.get_or_init(|| render(&self.caller)).clone()
    }
}

impl Deref for Verified {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.caller
    }
}
