//! What people read: plain tables (no box drawing) and short sentences. `--json`
//! prints the API's own types instead, pretty-printed.
//!
//! Text from the server is shown with control characters replaced, so that a
//! description cannot move the cursor or recolour the terminal.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use comfy_table::{Cell, Table, presets};
use serde::Serialize;

use super::settings::KeysOf;
use crate::api::model::{ApiKeyInfo, CreatedKey, KeyList, OrgAccess, OrgList, Whoami};
use crate::domain::api_key::{Overlap, Preset, PublicId, RevokeReason, Scope};

/// The API's JSON, pretty-printed, with a final newline.
pub fn json<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Columns separated by two spaces, the header in capitals, no trailing blanks.
pub fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut table = plain_table();
    table.set_header(header.iter().map(Cell::new));
    for row in rows {
        table.add_row(row.iter().map(|cell| Cell::new(clean(cell))));
    }
    render(&mut table)
}

/// Label/value lines without a header.
fn facts_table(facts: &[(&str, String)]) -> String {
    let mut table = plain_table();
    for (label, value) in facts {
        table.add_row([Cell::new(label), Cell::new(clean(value))]);
    }
    render(&mut table)
}

fn plain_table() -> Table {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table
}

fn render(table: &mut Table) -> String {
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    let mut text = table.lines().map(|line| line.trim_end().to_string()).collect::<Vec<_>>().join("\n");
    text.push('\n');
    text
}

pub fn whoami(me: &Whoami) -> String {
    let key = &me.key;
    let mut facts = vec![
        ("Key", format!("{} “{}” ({} key)", key.hint, key.description, key.kind)),
        ("Key id", key.id.clone()),
    ];
    if let Some(user) = &me.user {
        facts.push(("User", user.display_name.clone()));
    }
    if let Some(org) = &me.organization {
        facts.push(("Organization", format!("{} ({})", org.name, org.slug)));
    }
    let valid = match key.valid_until {
        Some(date) => format!("{date} (refused from that day, 00:00 UTC)"),
        None => "never expires".to_string(),
    };
    facts.push(("Valid until", valid));
    facts.push(("Created", format!("{} UTC", date_time(key.created_at))));
    facts.push(("Permissions", scope_in_words(&key.scope)));
    if key.kind == "user" {
        facts.push(("Reaches", reach(key.orgs.as_deref())));
    }
    facts.push(("Networks", networks(key.allowed_networks.as_deref())));
    let mut text = facts_table(&facts);
    text.push('\n');
    text.push_str(&organizations(&me.organizations));
    text
}

pub fn orgs(list: &OrgList) -> String {
    organizations(&list.organizations)
}

fn organizations(orgs: &[OrgAccess]) -> String {
    if orgs.is_empty() {
        return "The key reaches no organization.\n".to_string();
    }
    let rows = orgs.iter().map(|org| {
        vec![
            org.slug.clone(),
            org.name.clone(),
            org.role.clone().unwrap_or_else(|| "-".into()),
            yes_no(org.can_manage_keys).into(),
            scope_short(&org.scope),
        ]
    });
    table(&["ORGANIZATION", "NAME", "ROLE", "MANAGES KEYS", "SCOPE HERE"], rows)
}

pub fn keys(list: &KeyList) -> String {
    if list.keys.is_empty() {
        return "No keys.\n".to_string();
    }
    let user_keys = list.keys.iter().any(|key| key.kind == "user");
    let mut header = vec![
        "ID",
        "DESCRIPTION",
        "SCOPE",
        "NETWORKS",
        "VALID UNTIL",
        "STATUS",
        "CREATED (UTC)",
        "CREATED BY",
    ];
    header.push("LAST USED (UTC)");
    if user_keys {
        header.insert(3, "REACHES");
    }
    table(
        &header,
        list.keys.iter().map(|key| {
            let mut row = key_row(key);
            if user_keys {
                row.insert(3, reach(key.orgs.as_deref()));
            }
            row
        }),
    )
}

/// "active", "expires soon", "rolled (works until 2027-01-01 12:00)",
/// "revoked (by a person, 2027-01-01 12:00)".
fn status(key: &ApiKeyInfo) -> String {
    let reason = key.revoked_reason.as_deref().and_then(RevokeReason::parse).map(RevokeReason::words);
    match (key.status.as_str(), key.revoked_at) {
        ("rolled", Some(at)) => format!("rolled (works until {} UTC)", date_time(at)),
        ("revoked", Some(at)) => {
            format!("revoked ({}, {} UTC)", reason.unwrap_or("by a person"), date_time(at))
        }
        (other, _) => other.replace('_', " "),
    }
}

/// One key, as label/value lines.
pub fn key(key: &ApiKeyInfo) -> String {
    let mut facts = vec![
        ("Key", format!("{} “{}” ({} key)", key.hint, key.description, key.kind)),
        ("Key id", key.id.clone()),
        ("Permissions", scope_in_words(&key.scope)),
    ];
    if key.kind == "user" {
        facts.push(("Reaches", reach(key.orgs.as_deref())));
    }
    facts.push(("Networks", networks(key.allowed_networks.as_deref())));
    facts.push(("Valid until", valid_until(key.valid_until)));
    facts.push(("Status", status(key)));
    if let Some(from) = &key.rolled_from {
        facts.push(("Rolled from", from.clone()));
    }
    if let Some(to) = &key.rolled_to {
        facts.push(("Rolled to", to.clone()));
    }
    facts.push(("Created", format!("{} UTC by {}", date_time(key.created_at), created_by(key))));
    facts.push((
        "Last used",
        key.last_used_at.map_or_else(|| "never".into(), |at| format!("{} UTC", date_time(at))),
    ));
    facts_table(&facts)
}

fn created_by(key: &ApiKeyInfo) -> String {
    match (&key.created_by, &key.created_by_key) {
        (Some(user), _) => user.display_name.clone(),
        (None, Some(creator)) => format!("key {} ({})", creator.hint, creator.description),
        (None, None) => "-".into(),
    }
}

/// A scope for a table cell: its preset's name, or the scope string of a custom one.
fn scope_short(raw: &str) -> String {
    match Scope::parse(raw).map(|scope| scope.preset()) {
        Ok(Preset::Custom) | Err(_) if raw.is_empty() => "none".into(),
        Ok(Preset::Custom) | Err(_) => raw.to_string(),
        Ok(preset) => preset.label().to_string(),
    }
}

/// A scope in words and as its string: "Run builds: read repositories, … (repos:read …)".
fn scope_in_words(raw: &str) -> String {
    match Scope::parse(raw) {
        Ok(scope) if scope.preset() == Preset::Custom => scope.in_words(),
        Ok(scope) => format!("{} ({raw})", scope.in_words()),
        Err(_) => raw.to_string(),
    }
}

/// A user key's reach: "all your organizations" or the slugs.
fn reach(orgs: Option<&[String]>) -> String {
    match orgs {
        None => "all organizations".into(),
        Some([]) => "no organization (it left them all)".into(),
        Some(slugs) => slugs.join(", "),
    }
}

fn networks(list: Option<&[String]>) -> String {
    list.map_or_else(|| "anywhere".into(), |list| list.join(", "))
}

fn key_row(key: &ApiKeyInfo) -> Vec<String> {
    vec![
        key.id.clone(),
        key.description.clone(),
        scope_short(&key.scope),
        networks(key.allowed_networks.as_deref()),
        valid_until(key.valid_until),
        status(key),
        date_time(key.created_at),
        created_by(key),
        key.last_used_at.map_or_else(|| "never".into(), date_time),
    ]
}

/// The one time the token is shown.
pub fn created(created: &CreatedKey, owner: &KeysOf) -> String {
    let key = &created.key;
    let whose = match owner {
        KeysOf::Org(slug) => format!("the organization {slug}"),
        KeysOf::User => "your user".to_string(),
    };
    let until = match key.valid_until {
        Some(date) => format!("valid until {date}"),
        None => "never expires".to_string(),
    };
    let mut limits = vec![format!("Permissions: {}", scope_in_words(&key.scope))];
    if let Some(orgs) = &key.orgs {
        limits.push(format!("reaches {}", reach(Some(orgs))));
    }
    if let Some(list) = &key.allowed_networks {
        limits.push(format!("only from {}", list.join(", ")));
    }
    format!(
        "Created the API key {} “{}” for {whose} (id {}, {until}).\n\n    {}\n\n\
         This token is shown once: store it now. It cannot be shown again.\n{}.\n",
        key.hint,
        clean(&key.description),
        key.id,
        created.token,
        clean(&limits.join("; ")),
    )
}

pub fn revoked(hint: &str, description: &str) -> String {
    format!("Revoked key {hint} “{}”: it no longer works.\n", clean(description))
}

/// The successor's token, shown once, and when the old key stops.
pub fn rolled(rolled: &CreatedKey, old: &PublicId, overlap: Overlap) -> String {
    let key = &rolled.key;
    let until = match key.valid_until {
        Some(date) => format!("valid until {date}"),
        None => "never expires".to_string(),
    };
    let old_stops = match overlap {
        Overlap::None => "The old key stopped working now.".to_string(),
        overlap => format!("The old key {old} keeps working for {}, then stops.", overlap.label()),
    };
    format!(
        "Rolled the API key {old} to {} “{}” (id {}, {until}).\n\n    {}\n\n\
         This token is shown once: store it now. It cannot be shown again.\n{old_stops}\n",
        key.hint,
        clean(&key.description),
        key.id,
        rolled.token,
    )
}

pub fn logged_in(me: &Whoami, path: &Path, org: Option<&str>) -> String {
    let key = &me.key;
    let owner = match (&me.user, &me.organization) {
        (Some(user), _) => user.display_name.clone(),
        (None, Some(org)) => format!("the organization {} ({})", org.name, org.slug),
        (None, None) => "nobody known".to_string(),
    };
    let mut text = format!(
        "Logged in with the API key {} “{}” of {}.\nSaved to {}",
        key.hint,
        clean(&key.description),
        clean(&owner),
        path.display()
    );
    if let Some(org) = org {
        let _ = write!(text, "; `keys` commands use the organization {} by default", clean(org));
    }
    text.push_str(".\n");
    text
}

fn date_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

fn valid_until(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "never".into(), |date| date.to_string())
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// Control characters (escape sequences, new lines) shown as `�`.
fn clean(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::api::model::UserInfo;

    fn key(id: &str, description: &str, valid_until: Option<NaiveDate>) -> ApiKeyInfo {
        ApiKeyInfo {
            id: id.into(),
            kind: "organization".into(),
            hint: format!("mci_org_{}…", &id[..4]),
            description: description.into(),
            valid_until,
            status: if valid_until.is_some() { "expires_soon".into() } else { "active".into() },
            created_at: Utc.with_ymd_and_hms(2027, 2, 28, 12, 0, 0).unwrap(),
            created_by: Some(UserInfo { id: 1, display_name: "Alice".into() }),
            created_by_key: None,
            last_used_at: None,
            scope: "repos:read builds:write params:read".into(),
            orgs: None,
            allowed_networks: None,
            revoked_at: None,
            revoked_reason: None,
            rolled_from: None,
            rolled_to: None,
        }
    }

    #[test]
    fn a_key_list_is_a_plain_table() {
        let mut custom = key("AAAAbbbbCCCCdddd", "CI", None);
        custom.scope = "builds:read".into();
        custom.allowed_networks = Some(vec!["10.0.0.0/8".into(), "2001:db8::/32".into()]);
        let list = KeyList {
            keys: vec![key("3fKxQ9a0LmP2sT7v", "Deploy bot", NaiveDate::from_ymd_opt(2027, 3, 1)), custom],
            per_page: 100,
            total: 2,
            total_is_capped: false,
            next_cursor: None,
        };
        let text = keys(&list);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "ID                DESCRIPTION  SCOPE        NETWORKS                   VALID UNTIL  STATUS        CREATED (UTC)     CREATED BY  LAST USED (UTC)",
                "3fKxQ9a0LmP2sT7v  Deploy bot   Run builds   anywhere                   2027-03-01   expires soon  2027-02-28 12:00  Alice       never",
                "AAAAbbbbCCCCdddd  CI           builds:read  10.0.0.0/8, 2001:db8::/32  never        active        2027-02-28 12:00  Alice       never",
            ]
        );
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let text = keys(&KeyList {
            keys: vec![key("3fKxQ9a0LmP2sT7v", "evil\u{1b}[2J\nline", None)],
            per_page: 100,
            total: 1,
            total_is_capped: false,
            next_cursor: None,
        });
        assert!(!text.contains('\u{1b}'));
        assert_eq!(text.lines().count(), 2);
        assert!(revoked("mci_org_3fKx…", "a\u{7}b").contains("a\u{FFFD}b"));
    }

    #[test]
    fn one_key_says_what_it_may_do_in_words() {
        let mut user_key = key("3fKxQ9a0LmP2sT7v", "Laptop", None);
        user_key.kind = "user".into();
        user_key.orgs = Some(vec!["acme".into(), "bolt".into()]);
        let text = super::key(&user_key);
        assert!(
            text.contains(
                "Permissions  Run builds: read repositories, start builds, read parameters \
                 (repos:read builds:write params:read)"
            ),
            "{text}"
        );
        assert!(text.contains("Reaches      acme, bolt"), "{text}");
        assert!(text.contains("Networks     anywhere"), "{text}");
    }

    #[test]
    fn an_empty_list_says_so() {
        assert_eq!(orgs(&OrgList { organizations: vec![] }), "The key reaches no organization.\n");
    }

    #[test]
    fn a_revoked_key_is_named_by_hint_and_description() {
        assert_eq!(
            revoked("mci_org_3fKx…", "Deploy bot"),
            "Revoked key mci_org_3fKx… “Deploy bot”: it no longer works.\n"
        );
    }

    #[test]
    fn a_rolled_key_says_until_when_it_works_and_a_revoked_one_why() {
        let mut rolled = key("3fKxQ9a0LmP2sT7v", "Deploy bot", None);
        rolled.status = "rolled".into();
        rolled.revoked_at = Some(Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).unwrap());
        rolled.revoked_reason = Some("rolled".into());
        assert_eq!(status(&rolled), "rolled (works until 2027-03-01 12:00 UTC)");
        rolled.status = "revoked".into();
        assert_eq!(status(&rolled), "revoked (rolled, 2027-03-01 12:00 UTC)");
    }
}
