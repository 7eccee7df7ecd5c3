//! E-mail: the SMTP transport (`transport`), the task that delivers what
//! `db::outbound_mails` holds (`sender`) and its counters (`counts`).
//!
//! Mail is never sent from a request or a claim directly: whoever decides to
//! write queues the mail in the same transaction as the decision, and the
//! sender delivers it, retrying with backoff, so a claimed reminder cannot be
//! lost between the claim and the send.

pub mod counts;
pub mod reminder;
pub mod sender;
pub mod transport;

use std::time::Duration;

use lettre::message::Mailbox;

pub use self::transport::{MailFromError, SmtpUrl, SmtpUrlError};

/// The mail settings (`MONKEYCI_SMTP_URL`, `MONKEYCI_MAIL_FROM`) and how often
/// the background tasks look for work.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `None`: no mail is sent, and no reminder is claimed (see `services::reminders`).
    pub smtp: Option<SmtpUrl>,
    /// `None`: `MonkeyCI <noreply@{public host}>`.
    pub from: Option<Mailbox>,
    /// How often the sender looks for due mail. Not read from the environment: tests shorten it.
    pub send_every: Duration,
    /// How often keys are checked for reminders. Not read from the environment: tests shorten it.
    pub remind_every: Duration,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp: None,
            from: None,
            send_every: Duration::from_secs(5),
            remind_every: Duration::from_mins(1),
        }
    }
}
