//! The `outbound_mails` table: mail waiting to be sent. A mail is written in
//! the same transaction as what it tells of (a claimed reminder, a revoked
//! key), so nothing is lost between deciding to send and sending; the sender
//! task delivers it and retries a failed send with backoff.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::outbound_mails;
use crate::domain::mail::Mail;

/// Queues `mail`, to be sent from `now` on.
pub fn enqueue(conn: &mut DbConnection, mail: &Mail, now: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(outbound_mails::table)
        .values((
            outbound_mails::recipient.eq(&mail.to),
            outbound_mails::subject.eq(&mail.subject),
            outbound_mails::text_body.eq(&mail.text),
            outbound_mails::html_body.eq(&mail.html),
            outbound_mails::created_at.eq(now),
            outbound_mails::next_attempt_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}
