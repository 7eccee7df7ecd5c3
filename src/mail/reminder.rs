//! The expiry reminder as a mail: what the key is (description, hint, id,
//! whose), the last moment it works, and where to roll it. Never the token
//! (the server does not have it). The HTML part escapes everything the
//! templates print; the text part is plain.

use askama::Template;
use chrono::NaiveDate;
use url::Url;

use crate::db::api_keys::ApiKey;
use crate::db::key_reminders::Reminder;
use crate::db::mail_recipients::Recipient;
use crate::db::organizations::Organization;
use crate::domain::api_key::validity::ValidUntil;
use crate::domain::dates;
use crate::domain::mail::Mail;
use crate::domain::text;

/// What both parts say.
struct Facts {
    name: String,
    description: String,
    hint: String,
    public_id: String,
    /// "the organization “Acme” (acme)" or "your user key".
    owner: String,
    /// "usable until the end of 28 Feb 2027 UTC".
    usable_until: String,
    /// "1 Mar 2027 00:00 UTC".
    stops_at: String,
    /// "7 days", "1 day".
    within: &'static str,
    roll_url: String,
    profile_url: String,
}

#[derive(Template)]
#[template(path = "mail/key_reminder.txt")]
struct TextPart<'a> {
    f: &'a Facts,
}

#[derive(Template)]
#[template(path = "mail/key_reminder.html")]
struct HtmlPart<'a> {
    f: &'a Facts,
}

/// The reminder of `key` (stopping on `valid_until`) to `to`; `org` is the key's
/// organization, `None` for a user key.
pub fn compose(
    reminder: Reminder,
    key: &ApiKey,
    valid_until: NaiveDate,
    org: Option<&Organization>,
    to: &Recipient,
    public_url: &Url,
) -> Result<Mail, askama::Error> {
    let valid_until = ValidUntil::from_date(valid_until);
    let keys_page = match org {
        Some(org) => format!("/o/{}/settings/api-keys", org.slug),
        None => "/settings/api-keys".to_string(),
    };
    // Filtered to this key: the list's search matches the start of a key id.
    let roll_url = match public_url.join(&keys_page) {
        Ok(mut url) => {
            url.query_pairs_mut().append_pair("q", key.public_id.as_str());
            url.to_string()
        }
        Err(_) => format!("{keys_page}?q={}", key.public_id),
    };
    // One line of visible text: a description may not break the subject or the layout.
    let description = text::without_hidden(&key.description).split_whitespace().collect::<Vec<_>>().join(" ");
    let within = match reminder {
        Reminder::SevenDays => "7 days",
        Reminder::OneDay => "1 day",
    };
    let facts = Facts {
        name: to.display_name.clone(),
        description: description.clone(),
        hint: key.public_id.hint(key.kind),
        public_id: key.public_id.to_string(),
        owner: org.map_or_else(
            || "your user key".to_string(),
            |org| format!("the organization “{}” ({})", org.name, org.slug),
        ),
        usable_until: valid_until.meaning(),
        stops_at: dates::date_time_utc(valid_until.refused_from().naive_utc()),
        within,
        roll_url,
        profile_url: public_url.join("/settings/profile").map_or_else(|_| String::new(), |u| u.to_string()),
    };
    Ok(Mail {
        to: to.address.clone(),
        subject: format!("Your API key “{description}” stops working in {within}"),
        text: TextPart { f: &facts }.render()?,
        html: HtmlPart { f: &facts }.render()?,
    })
}
