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

/// A mail waiting to be sent, as the sender reads it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbound_mails)]
pub struct OutboundMail {
    pub id: i32,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
}

/// Up to `limit` mails due at `now` that have not used up their `max_attempts`, oldest first.
pub fn due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    max_attempts: i32,
    limit: i64,
) -> QueryResult<Vec<OutboundMail>> {
    outbound_mails::table
        .filter(outbound_mails::sent_at.is_null())
        .filter(outbound_mails::next_attempt_at.le(now))
        .filter(outbound_mails::attempts.lt(max_attempts))
        .order(outbound_mails::next_attempt_at.asc())
        .limit(limit)
        .select(OutboundMail::as_select())
        .load(conn)
}

/// Takes `mail` for this instance until `lease_until`: true when nobody took it
/// since it was read (its `next_attempt_at` is still the value read), so that of
/// any number of instances exactly one sends it. One statement, atomic on both databases.
pub fn claim(conn: &mut DbConnection, mail: &OutboundMail, lease_until: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(outbound_mails::table.find(mail.id))
        .filter(outbound_mails::sent_at.is_null())
        .filter(outbound_mails::next_attempt_at.eq(mail.next_attempt_at))
        .set(outbound_mails::next_attempt_at.eq(lease_until))
        .execute(conn)?;
    Ok(updated == 1)
}

pub fn mark_sent(conn: &mut DbConnection, id: i32, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(outbound_mails::table.find(id))
        .set((outbound_mails::sent_at.eq(now), outbound_mails::last_error.eq(None::<String>)))
        .execute(conn)
        .map(drop)
}

/// A failed attempt: counted, with why (no secret: the sender's own words), and when to try again.
pub fn mark_failed(
    conn: &mut DbConnection,
    id: i32,
    attempts: i32,
    error: &str,
    next_attempt_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(outbound_mails::table.find(id))
        .set((
            outbound_mails::attempts.eq(attempts),
            outbound_mails::last_error.eq(error),
            outbound_mails::next_attempt_at.eq(next_attempt_at),
        ))
        .execute(conn)
        .map(drop)
}

/// Removes mail sent before `cutoff`; mail never sent stays, with its last error.
pub fn delete_sent_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(outbound_mails::table.filter(outbound_mails::sent_at.lt(cutoff))).execute(conn)
}
