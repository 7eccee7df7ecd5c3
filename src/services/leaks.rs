//! Revoking a key reported as leaked (SPEC §2 "Lifecycle", leaked keys): by
//! someone holding its token (`POST /api/v1/keys/revoke`) or by GitHub's
//! secret scanning. The key stops at once on every instance, the revocation is
//! audited (an organization key in its organization; a user key in every
//! organization it reached, so that their admins see it too), and its owner —
//! an organization key's creator and admins, a user key's user — is told by
//! e-mail, queued in the same transaction as the revocation. Never the token.

use std::net::IpAddr;
use std::sync::Arc;

use askama::Template;
use chrono::NaiveDateTime;
use url::Url;

use super::ServiceError;
use crate::clock::Clock;
use crate::db::api_keys::{self, ApiKey, Revoke, Revoked};
use crate::db::audit_events::{self, AuditAction};
use crate::db::mail_recipients::{self, Recipient};
use crate::db::{Db, DbConnection, outbound_mails};
use crate::domain::access::{Caller, KeyHolder, OrgRef};
use crate::domain::api_key::RevokeReason;
use crate::domain::dates;
use crate::domain::mail::Mail;

/// The longest reported URL kept in the audit log and mails (GitHub's are
/// far shorter; the rest is cut).
const MAX_URL_CHARS: usize = 500;

/// What revokes leaked keys: storage, the clock, and the server's address for
/// the mails' links.
pub struct Leaks {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub public_url: Url,
}

/// Who reported the key, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// Someone holding the token, from this client address.
    SelfRevoked { from: IpAddr },
    /// GitHub's secret scanning found it in public code at this URL (may be empty).
    SecretScanning { url: String },
}

impl Report {
    fn reason(&self) -> RevokeReason {
        match self {
            Report::SelfRevoked { .. } => RevokeReason::Leaked,
            Report::SecretScanning { .. } => RevokeReason::SecretScanning,
        }
    }

    /// After the reason in the audit entry: "from 203.0.113.9", "found at https://…".
    fn note(&self) -> String {
        match self {
            Report::SelfRevoked { from } => format!("from {}", from.to_canonical()),
            Report::SecretScanning { url } if url.is_empty() => "found in public code".into(),
            Report::SecretScanning { url } => format!("found at {}", cut(url)),
        }
    }

    /// The mail's sentence of why, after "It was revoked because".
    fn why(&self) -> String {
        match self {
            Report::SelfRevoked { from } => format!(
                "someone holding its token reported it as leaked (from the address {})",
                from.to_canonical()
            ),
            Report::SecretScanning { url } if url.is_empty() => {
                "GitHub secret scanning found it in public code".into()
            }
            Report::SecretScanning { url } => {
                format!("GitHub secret scanning found it in public code at {}", cut(url))
            }
        }
    }

    /// The end of the mail's subject.
    fn subject_reason(&self) -> &'static str {
        match self {
            Report::SelfRevoked { .. } => "it was reported as leaked",
            Report::SecretScanning { .. } => "GitHub found it in public code",
        }
    }
}

fn cut(url: &str) -> String {
    url.chars().filter(|c| !c.is_control()).take(MAX_URL_CHARS).collect()
}

/// What a report came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Revoked now, its owner told.
    Revoked,
    /// It had stopped already (revoked, expired, or gone): nothing changed.
    AlreadyStopped,
}

impl Leaks {
    /// Revokes the key `caller` was verified as (its secret checked by the
    /// caller of this function), unless it has stopped working already.
    pub async fn revoke(&self, caller: &Caller, report: &Report) -> Result<Outcome, ServiceError> {
        let now = self.clock.now();
        if caller.key.stops_at().is_some_and(|at| at <= now) {
            return Ok(Outcome::AlreadyStopped);
        }
        let (key_id, report, now) = (caller.key.id, report.clone(), now.naive_utc());
        let reached: Vec<OrgRef> =
            caller.organizations().into_iter().map(|reach| reach.org.clone()).collect();
        let (holder_name, org) = match &caller.holder {
            KeyHolder::Organization { org, .. } => (None, Some(org.clone())),
            KeyHolder::User { user, .. } => (Some(user.display_name.clone()), None),
        };
        let links = Links::new(&self.public_url, org.as_ref());
        let revoked = self
            .db
            .run(move |conn| {
                conn.write_transaction(|conn| {
                    let Some(key) = api_keys::find(conn, key_id)? else { return Ok(false) };
                    let reason = report.reason();
                    let note = report.note();
                    let how = Revoke { reason, at: now, by: None, via_key: None, note: Some(&note), now };
                    let Revoked::Now(key) = api_keys::revoke(conn, key, &how)? else { return Ok(false) };
                    if let Some(name) = &holder_name {
                        audit_user_key(conn, &key, name, &reached, &how)?;
                    }
                    let notice =
                        Notice { key: &key, org: org.as_ref(), report: &report, at: now, links: &links };
                    for recipient in mail_recipients::for_key(conn, &key)? {
                        outbound_mails::enqueue(conn, &notice.mail_to(&recipient)?, now)?;
                    }
                    Ok(true)
                })
            })
            .await?;
        Ok(if revoked { Outcome::Revoked } else { Outcome::AlreadyStopped })
    }
}

/// A user key's revocation, in the log of every organization it reached.
/// (An organization key's is audited by `api_keys::revoke` itself.)
fn audit_user_key(
    conn: &mut DbConnection,
    key: &ApiKey,
    holder_name: &str,
    reached: &[OrgRef],
    how: &Revoke<'_>,
) -> diesel::QueryResult<()> {
    let details = format!(
        "Revoked {holder_name}'s user key {} “{}” ({}, {})",
        key.public_id.hint(key.kind),
        key.description,
        how.reason.words(),
        how.note.unwrap_or_default()
    );
    for org in reached {
        audit_events::record(conn, org.id, None, AuditAction::ApiKeyRevoked, key.user_id, &details, how.now)?;
    }
    Ok(())
}

/// Where the mail sends people: the key's list, to make a new key.
struct Links {
    keys_page: String,
}

impl Links {
    fn new(public_url: &Url, org: Option<&OrgRef>) -> Links {
        let base = public_url.as_str().trim_end_matches('/');
        let keys_page = match org {
            Some(org) => format!("{base}/o/{}/settings/api-keys", org.slug),
            None => format!("{base}/settings/api-keys"),
        };
        Links { keys_page }
    }
}

/// The facts every mail of one revocation tells.
struct Notice<'a> {
    key: &'a ApiKey,
    org: Option<&'a OrgRef>,
    report: &'a Report,
    at: NaiveDateTime,
    links: &'a Links,
}

impl Notice<'_> {
    fn mail_to(&self, recipient: &Recipient) -> diesel::QueryResult<Mail> {
        let body = KeyRevokedBody {
            name: &recipient.display_name,
            description: &self.key.description,
            hint: self.key.public_id.hint(self.key.kind),
            key_id: self.key.public_id.as_str(),
            org_name: self.org.map(|org| org.name.as_str()),
            when: dates::date_time_utc(self.at),
            why: self.report.why(),
            keys_page: &self.links.keys_page,
        };
        let text = KeyRevokedText { body: &body }.render().map_err(rendering)?;
        let html = KeyRevokedHtml { body: &body }.render().map_err(rendering)?;
        Ok(Mail {
            to: recipient.address.clone(),
            subject: format!(
                "Your API key “{}” was revoked: {}",
                self.key.description,
                self.report.subject_reason()
            ),
            text,
            html,
        })
    }
}

/// A template that cannot be written fails the transaction, so the key is not
/// revoked without its mail (it never happens with these templates' fields).
fn rendering(error: askama::Error) -> diesel::result::Error {
    diesel::result::Error::SerializationError(Box::new(error))
}

/// What both parts of the mail say.
struct KeyRevokedBody<'a> {
    name: &'a str,
    description: &'a str,
    hint: String,
    key_id: &'a str,
    /// `None`: a user key.
    org_name: Option<&'a str>,
    when: String,
    why: String,
    keys_page: &'a str,
}

#[derive(Template)]
#[template(path = "mail/key_revoked.txt")]
struct KeyRevokedText<'a> {
    body: &'a KeyRevokedBody<'a>,
}

#[derive(Template)]
#[template(path = "mail/key_revoked.html")]
struct KeyRevokedHtml<'a> {
    body: &'a KeyRevokedBody<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_says_where_it_came_from_in_the_audit_and_the_mail() {
        let leak = Report::SelfRevoked { from: "::ffff:203.0.113.9".parse().unwrap() };
        assert_eq!(leak.note(), "from 203.0.113.9");
        assert!(leak.why().ends_with("(from the address 203.0.113.9)"));
        let scan = Report::SecretScanning { url: "https://github.com/o/r/blob/1/a.txt\n".into() };
        assert_eq!(scan.note(), "found at https://github.com/o/r/blob/1/a.txt");
        assert_eq!(Report::SecretScanning { url: String::new() }.note(), "found in public code");
        assert_eq!(cut(&"a".repeat(2000)).len(), MAX_URL_CHARS);
    }

    #[test]
    fn the_mail_links_to_the_keys_list_of_the_owner() {
        let url = Url::parse("https://accounts.example/").unwrap();
        let org = OrgRef { id: crate::domain::ids::OrgId::new(1), slug: "acme".into(), name: "Acme".into() };
        assert_eq!(
            Links::new(&url, Some(&org)).keys_page,
            "https://accounts.example/o/acme/settings/api-keys"
        );
        assert_eq!(Links::new(&url, None).keys_page, "https://accounts.example/settings/api-keys");
    }

    #[test]
    fn the_mail_says_which_key_stopped_when_and_why_in_both_parts() {
        let body = KeyRevokedBody {
            name: "Alice",
            description: "Deploys <prod>",
            hint: "mci_org_3fKx…".into(),
            key_id: "3fKxQ9a0LmP2sT7v",
            org_name: Some("Acme Corp"),
            when: "28 Feb 2027 12:00 UTC".into(),
            why: Report::SelfRevoked { from: "203.0.113.9".parse().unwrap() }.why(),
            keys_page: "https://accounts.example/o/acme/settings/api-keys",
        };
        let text = KeyRevokedText { body: &body }.render().unwrap();
        assert!(text.starts_with("Hello Alice,\n\nThe API key \"Deploys <prod>\" (mci_org_3fKx…) of the organization Acme Corp was revoked at 28 Feb 2027 12:00 UTC: it no longer works.\n"), "{text}");
        assert!(
            text.contains(
                "\nWhy: someone holding its token reported it as leaked (from the address 203.0.113.9).\n"
            ),
            "{text}"
        );
        assert!(text.contains("\nhttps://accounts.example/o/acme/settings/api-keys\n"), "{text}");
        let html = KeyRevokedHtml { body: &body }.render().unwrap();
        assert!(html.contains("“Deploys &#60;prod&#62;”"), "escaped: {html}");
        assert!(html.contains("<a href=\"https://accounts.example/o/acme/settings/api-keys\">"), "{html}");
        let user = KeyRevokedBody { org_name: None, ..body };
        let text = KeyRevokedText { body: &user }.render().unwrap();
        assert!(
            text.contains("\nYour user API key \"Deploys <prod>\" (mci_org_3fKx…) was revoked at"),
            "{text}"
        );
    }
}
