//! The sender task: every few seconds (and at start) it takes the due rows of
//! `outbound_mails`, claims each with a lease so that two instances never send
//! the same one, sends it (plain text and HTML), and marks it sent. A failed
//! send is retried with a doubling wait (30 s up to 1 h) and logged; after
//! [`MAX_ATTEMPTS`] it is given up with an error in the log, the row kept with
//! its last error: never lost silently. Sent rows are removed after a week.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tracing::Instrument;

use super::counts::MailCounts;
use crate::clock::Clock;
use crate::db::outbound_mails::{self, OutboundMail};
use crate::db::{Db, DbError};

/// Mails taken per pass.
const BATCH: i64 = 50;
/// How long a claimed mail is this instance's to send before another may try:
/// far longer than one SMTP conversation may take.
const LEASE: chrono::Duration = chrono::Duration::minutes(5);
/// The wait after the first failure, doubled after each next one…
const FIRST_RETRY: chrono::Duration = chrono::Duration::seconds(30);
/// …up to this.
const LONGEST_RETRY: chrono::Duration = chrono::Duration::hours(1);
/// After this many failed attempts (about 17 hours of trying) a mail is given up.
pub const MAX_ATTEMPTS: i32 = 20;
/// Sent mail is kept this long (to see what went out), then removed.
const KEEP_SENT: chrono::Duration = chrono::Duration::days(7);
const PURGE_EVERY: Duration = Duration::from_hours(1);

/// Delivers queued mail through one SMTP transport.
#[derive(Clone)]
pub struct MailSender {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub transport: AsyncSmtpTransport<Tokio1Executor>,
    pub from: Mailbox,
    pub counts: MailCounts,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub failed: usize,
}

/// The wait before the next attempt after `attempts` failed ones.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(16);
    (FIRST_RETRY * 2_i32.pow(doublings)).min(LONGEST_RETRY)
}

impl MailSender {
    /// One pass over the due mail.
    pub async fn send_due(&self) -> Result<Pass, DbError> {
        let now = self.clock.now_naive();
        let due = self.db.run(move |conn| outbound_mails::due(conn, now, MAX_ATTEMPTS, BATCH)).await?;
        let mut pass = Pass::default();
        for mail in due {
            let claimed = mail.clone();
            let lease_until = now + LEASE;
            if !self.db.run(move |conn| outbound_mails::claim(conn, &claimed, lease_until)).await? {
                continue; // another instance has it
            }
            match self.deliver(&mail).await {
                Ok(()) => {
                    let at = self.clock.now_naive();
                    self.db.run(move |conn| outbound_mails::mark_sent(conn, mail.id, at)).await?;
                    self.counts.sent();
                    pass.sent += 1;
                }
                Err(reason) => {
                    self.counts.failed();
                    pass.failed += 1;
                    self.failed(&mail, reason, self.clock.now_naive()).await?;
                }
            }
        }
        Ok(pass)
    }

    async fn deliver(&self, mail: &OutboundMail) -> Result<(), String> {
        let to: Mailbox =
            mail.recipient.parse().map_err(|_| "the recipient is not a valid address".to_string())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .multipart(MultiPart::alternative_plain_html(mail.text_body.clone(), mail.html_body.clone()))
            .map_err(|e| format!("the message could not be built: {e}"))?;
        self.transport.send(message).await.map(drop).map_err(|e| describe(&e))
    }

    async fn failed(&self, mail: &OutboundMail, reason: String, now: NaiveDateTime) -> Result<(), DbError> {
        let attempts = mail.attempts + 1;
        let next = now + backoff(attempts);
        if attempts >= MAX_ATTEMPTS {
            tracing::error!(
                mail = mail.id,
                attempts,
                error = %reason,
                "gave up sending an e-mail; it stays in outbound_mails with its last error"
            );
        } else {
            tracing::warn!(mail = mail.id, attempts, error = %reason, retry_at = %next, "could not send an e-mail; will retry");
        }
        let id = mail.id;
        self.db.run(move |conn| outbound_mails::mark_failed(conn, id, attempts, &reason, next)).await
    }

    /// Removes the mail sent more than a week ago; answers how many.
    pub async fn purge(&self) -> Result<usize, DbError> {
        let cutoff = self.clock.now_naive() - KEEP_SENT;
        self.db.run(move |conn| outbound_mails::delete_sent_before(conn, cutoff)).await
    }

    /// Sends at once and then every `every`, until the returned task is aborted.
    pub fn spawn(self, every: Duration, span: tracing::Span) -> actix_web::rt::task::JoinHandle<()> {
        let work = async move {
            let mut ticks = actix_web::rt::time::interval(every);
            let mut purged: Option<Instant> = None;
            loop {
                ticks.tick().await;
                if let Err(e) = self.send_due().await {
                    tracing::warn!(error = %format!("{e:#}"), "could not read the mail to send");
                }
                if purged.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
                    purged = Some(Instant::now());
                    if let Err(e) = self.purge().await {
                        tracing::warn!(error = %format!("{e:#}"), "could not remove sent mail");
                    }
                }
            }
        };
        actix_web::rt::spawn(work.instrument(span))
    }
}

/// The SMTP error in a few words, with its causes (the server's answer, a refused
/// connection). lettre never puts the credentials in it.
fn describe(error: &lettre::transport::smtp::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_thirty_seconds_then_double_up_to_an_hour() {
        assert_eq!(backoff(1), chrono::Duration::seconds(30));
        assert_eq!(backoff(2), chrono::Duration::minutes(1));
        assert_eq!(backoff(4), chrono::Duration::minutes(4));
        assert_eq!(backoff(8), chrono::Duration::hours(1));
        assert_eq!(backoff(MAX_ATTEMPTS), chrono::Duration::hours(1));
    }
}
