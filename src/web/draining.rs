//! The flag a stopping server raises (see `crate::shutdown`): the readiness
//! probe answers 503 and every response closes its connection while it is up.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the server is on its way out; read by the readiness probe and by
/// `web::security_headers`, which closes every connection after its response then.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    pub fn begin(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
