//! The e-mail counters of SPEC §7 ("e-mails sent"): sent, and failed
//! attempts. Registered by `monitoring` when metrics are on; no-ops otherwise.

use metrics::Counter;

#[derive(Clone)]
pub struct MailCounts {
    sent: Counter,
    failed: Counter,
}

impl Default for MailCounts {
    fn default() -> Self {
        MailCounts { sent: Counter::noop(), failed: Counter::noop() }
    }
}

impl MailCounts {
    pub fn new(sent: Counter, failed: Counter) -> Self {
        MailCounts { sent, failed }
    }

    pub fn sent(&self) {
        self.sent.increment(1);
    }

    pub fn failed(&self) {
        self.failed.increment(1);
    }
}
