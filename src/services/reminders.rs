//! Expiry reminders (SPEC §2 "Lifecycle"): at start and every minute, for the
//! one-day reminder and then the seven-day one, each key due one is claimed with
//! one atomic update and, in the same transaction, its mails are queued in
//! `outbound_mails` for the sender (`crate::mail::sender`). Exactly once per key
//! and reminder, whatever the number of instances; a key made inside the last
//! day gets only the one-day reminder.
//!
//! Without `MONKEYCI_SMTP_URL` this task does not run at all, so nothing is
//! claimed: a reminder claimed then would be marked as given while nobody can
//! receive it, and configuring SMTP later would not send the ones still inside
//! their window. Left unclaimed, they go out within a minute of SMTP being set.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use tracing::Instrument;
use url::Url;

use super::ServiceError;
use crate::clock::Clock;
use crate::db::key_reminders::{self, Reminder, Window};
use crate::db::organizations::Organization;
use crate::db::{Db, DbConnection, mail_recipients, outbound_mails};
use crate::domain::ids::KeyId;
use crate::mail::reminder;

/// Keys read per query; a pass goes on until none is left.
const BATCH: i64 = 200;

pub struct Reminders {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// Where the keys pages are, for the link in the mail.
    pub public_url: Url,
}

impl Reminders {
    /// One pass: every reminder due now is claimed and its mails queued. Answers
    /// how many reminders this call claimed.
    pub async fn run_once(&self) -> Result<usize, ServiceError> {
        let now = self.clock.now_naive();
        let mut claimed = 0;
        // The one-day reminder first: it marks the seven-day one of the same key.
        for reminder in [Reminder::OneDay, Reminder::SevenDays] {
            let window = window(reminder, now);
            loop {
                let due = self.db.run(move |conn| key_reminders::due(conn, reminder, window, BATCH)).await?;
                let full = due.len() as i64 == BATCH;
                for id in due {
                    if self.remind(reminder, id, window, now).await? {
                        claimed += 1;
                    }
                }
                if !full {
                    break;
                }
            }
        }
        Ok(claimed)
    }

    /// Claims one key's reminder and queues its mails, in one transaction.
    async fn remind(
        &self,
        reminder: Reminder,
        id: KeyId,
        window: Window,
        now: NaiveDateTime,
    ) -> Result<bool, ServiceError> {
        let public_url = self.public_url.clone();
        let claimed = self
            .db
            .run(move |conn| {
                conn.write_transaction(|conn| claim_and_queue(conn, reminder, id, window, now, &public_url))
            })
            .await?;
        Ok(claimed)
    }

    /// Runs a pass at once and then every `every`, until the task is aborted.
    pub fn spawn(self, every: Duration, span: tracing::Span) -> actix_web::rt::task::JoinHandle<()> {
        let work = async move {
            let mut ticks = actix_web::rt::time::interval(every);
            loop {
                ticks.tick().await;
                match self.run_once().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(reminders = n, "expiry reminders queued"),
                    Err(e) => tracing::warn!(error = %format!("{e:#}"), "could not queue expiry reminders"),
                }
            }
        };
        actix_web::rt::spawn(work.instrument(span))
    }
}

/// The stop dates `reminder` is for at `now`: a key is reminded once it stops
/// within the reminder's days, and only while it still works. The seven-day
/// window ends where the one-day window begins.
fn window(reminder: Reminder, now: NaiveDateTime) -> Window {
    let within = |days: i64| (now + chrono::Duration::days(days)).date();
    match reminder {
        // valid_until > today: it still works now (it stops at valid_until 00:00 UTC);
        // valid_until <= (now + 1 day).date(): it stops within the day.
        Reminder::OneDay => Window { after: now.date(), up_to: within(1) },
        Reminder::SevenDays => Window { after: within(1), up_to: within(7) },
    }
}

fn claim_and_queue(
    conn: &mut DbConnection,
    reminder: Reminder,
    id: KeyId,
    window: Window,
    now: NaiveDateTime,
    public_url: &Url,
) -> Result<bool, diesel::result::Error> {
    let Some(key) = key_reminders::claim(conn, reminder, id, window, now)? else {
        return Ok(false);
    };
    let Some(valid_until) = key.valid_until else { return Ok(false) };
    let org = match key.organization_id {
        Some(org_id) => Organization::find_by_id(conn, org_id)?,
        None => None,
    };
    for to in mail_recipients::for_key(conn, &key)? {
        let mail = reminder::compose(reminder, &key, valid_until, org.as_ref(), &to, public_url)
            .map_err(|e| diesel::result::Error::QueryBuilderError(Box::new(e)))?;
        outbound_mails::enqueue(conn, &mail, now)?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, 0, 0).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_one_day_window_holds_keys_that_stop_within_a_day_and_still_work() {
        let w = window(Reminder::OneDay, at(2027, 2, 28, 12));
        // valid_until 2027-03-01 stops at 1 Mar 00:00, in 12 hours.
        assert_eq!(w, Window { after: date(2027, 2, 28), up_to: date(2027, 3, 1) });
    }

    #[test]
    fn the_seven_day_window_starts_where_the_one_day_window_ends() {
        let w = window(Reminder::SevenDays, at(2027, 2, 28, 12));
        assert_eq!(w, Window { after: date(2027, 3, 1), up_to: date(2027, 3, 7) });
    }
}
