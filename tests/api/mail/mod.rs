//! E-mail: expiry reminders through a real SMTP server (`support::smtp`), the
//! addresses they go to, turning mail off, and the banners that show without mail.
//!
//! The apps' clocks stand still at [`test_epoch`] (28 Feb 2027, 12:00 UTC); their
//! mail tasks run every 100–200 ms of real time, with the fixed clock's "now".

mod banners;
mod profile;
mod reminders;
mod retries;
mod server;

use chrono::{DateTime, TimeZone, Utc};

use crate::support::{Options, TestApp, execute, free_port, quoted, smtp_url};

/// The options of an app that sends mail to `smtp://127.0.0.1:PORT`, PORT free
/// now: the test starts its [`crate::support::SmtpSink`] there with [`sink_for`].
pub fn with_smtp(options: Options) -> Options {
    Options { smtp_url: Some(smtp_url(free_port())), ..options }
}

/// The SMTP server `app` sends to (see [`with_smtp`]).
pub fn sink_for(app: &TestApp) -> crate::support::SmtpSink {
    let url = app_smtp_url(app);
    let port = url.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port");
    crate::support::SmtpSink::start_on(port)
}

fn app_smtp_url(app: &TestApp) -> String {
    app.smtp_url().expect("an app started with_smtp")
}

/// 2027-`month`-`day` `hour`:00 UTC.
pub fn at(month: u32, day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, month, day, hour, 0, 0).unwrap()
}

/// Gives the user's identities this address, as a platform would have at sign-in.
pub async fn give_address(app: &TestApp, user: i32, address: &str, verified: bool) {
    let verified = if verified { "TRUE" } else { "FALSE" };
    execute(
        app,
        format!(
            "UPDATE identities SET email = {}, email_verified = {verified} WHERE user_id = {user}",
            quoted(address)
        ),
    )
    .await;
}

/// Makes a member an admin of the organization, as Settings > Members would.
pub async fn make_admin(app: &TestApp, slug: &str, user: i32) {
    execute(
        app,
        format!(
            "UPDATE memberships SET role = 'admin' WHERE user_id = {user} AND organization_id = \
             (SELECT id FROM organizations WHERE slug = {})",
            quoted(slug)
        ),
    )
    .await;
}

/// How many reminders each key has been claimed for: "description 7d 1d" (each a 0 or 1).
pub async fn claims(app: &TestApp) -> Vec<String> {
    crate::support::strings(
        app,
        "SELECT description || ' ' || \
           CASE WHEN reminded_7d_at IS NULL THEN '0' ELSE '1' END || ' ' || \
           CASE WHEN reminded_1d_at IS NULL THEN '0' ELSE '1' END AS v \
         FROM api_keys ORDER BY id"
            .to_string(),
    )
    .await
}
