//! Names without hidden characters: U+202E turns what follows it around on screen,
//! zero-width characters make two names that look the same different texts.
//! Names typed in a form are refused with the reason and shown back without them;
//! names stored before this rule are cleaned by a migration when the app starts.

use monkeyci_accounts::config::DatabaseTarget;
use reqwest::StatusCode;

use super::{Browser, Team, attrs, first_column, org_name, quoted, rows, snapshot, squash, strings};
use crate::both_databases;
use crate::support::older_database::store_before;
use crate::support::{Backend, TestApp, text_of};

const INVISIBLE: &str = "The name cannot contain invisible or text-direction characters. They were removed: check the name and save again.";

/// Names that look like "Mallory" or "Acme Corp" but hold hidden characters.
const MALLORY: [&str; 5] = [
    "Mal\u{202E}lory",
    "Mal\u{200B}lory",
    "\u{FEFF}Mallory",
    "Mallory\u{2066}\u{2069}",
    "Mal\u{00AD}lory\u{200F}",
];

fn field_value(html: &str, id: &str) -> String {
    attrs(html, &format!("input#{id}"), "value").into_iter().next().unwrap_or_default()
}

async fn user_name(app: &TestApp, id: i32) -> String {
    strings(app, format!("SELECT display_name AS v FROM users WHERE id = {id}")).await.remove(0)
}

async fn a_profile_name_with_hidden_characters_is_refused_and_shown_back_without_them(app: TestApp) {
    let olga = Browser::signed_in(&app, "Olga").await;
    for name in MALLORY {
        let response = olga.post("/settings/profile", &[("display_name", name)]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        let html = response.text().await.unwrap();
        assert_eq!(text_of(&html, "#display_name-error").as_deref(), Some(INVISIBLE), "{name:?}");
        assert_eq!(attrs(&html, "input#display_name", "aria-invalid"), ["true"], "{name:?}");
        // What the name really is, ready to be saved as it is.
        assert_eq!(field_value(&html, "display_name"), "Mallory", "{name:?}");
    }
    assert_eq!(user_name(&app, olga.id).await, "Olga");
    // Letters of any script are names like any other.
    for name in ["Zoë Ådahl", "محمد", "日本 太郎"] {
        olga.post_and_follow("/settings/profile", &[("display_name", name)], "/settings/profile").await;
        assert_eq!(user_name(&app, olga.id).await, name);
    }
}
both_databases!(a_profile_name_with_hidden_characters_is_refused_and_shown_back_without_them);

async fn development_sign_in_with_hidden_characters_is_refused(app: TestApp) {
    let visitor = Browser::anonymous(&app).await;
    let users_before = strings(&app, "SELECT display_name AS v FROM users".to_string()).await;
    let response = visitor.post("/auth/dev/login", &[("name", "Ali\u{200B}ce")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(text_of(&html, "#name-error").as_deref(), Some(INVISIBLE));
    assert_eq!(field_value(&html, "name"), "Alice");
    assert_eq!(strings(&app, "SELECT display_name AS v FROM users".to_string()).await, users_before);
}
both_databases!(development_sign_in_with_hidden_characters_is_refused);

async fn an_organization_name_with_hidden_characters_is_refused(app: TestApp) {
    let w = Team::new(&app).await;
    let before = snapshot(&app).await;
    // Creating: "Acme Corp" again, with a zero-width space, under another address.
    let response = w.olga.post("/orgs", &[("name", "Acme\u{200B} Corp"), ("slug", "acme-2")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(text_of(&html, "#name-error").as_deref(), Some(INVISIBLE));
    assert_eq!(field_value(&html, "name"), "Acme Corp");
    assert_eq!(field_value(&html, "slug"), "acme-2");
    // Renaming.
    let response = w.bob.post("/o/bolt/settings/general", &[("name", "Bolt \u{202E}sbaL")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(text_of(&html, "#name-error").as_deref(), Some(INVISIBLE));
    assert_eq!(field_value(&html, "name"), "Bolt sbaL");
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(org_name(&app, "bolt").await.as_deref(), Some("Bolt Labs"));
}
both_databases!(an_organization_name_with_hidden_characters_is_refused);

// ---------------------------------------------------------------------------
// The migration `2026-11-30-000002_clean_display_names`, run by the app's start
// over rows an older version stored.

const CLEANING: &str = "2026-11-30-000002_clean_display_names";

/// Display names as an older version could store them (from platforms, or typed
/// before the rule), and what the migration makes of them.
const STORED_NAMES: [(&str, &str); 9] = [
    ("Mal\u{202E}lory", "Mallory"),
    ("Al\u{200B}ice Exam\u{200C}ple\u{200D}", "Alice Example"),
    (" \u{200B} Bob\u{FEFF} ", "Bob"),
    ("\u{2066}Carol\u{2069}\u{061C}\u{200E}\u{200F}", "Carol"),
    ("Da\u{00AD}ve\u{180E}\u{2060}", "Dave"),
    ("Eve\u{202A}\u{202B}\u{202C}\u{202D}", "Eve"),
    ("Fay\u{7}\u{1b}[31m", "Fay[31m"),
    ("\u{200B}\u{202E}", "unnamed"),
    ("Zoë 日本 👍 a\u{A0}b", "Zoë 日本 👍 a\u{A0}b"),
];

/// Runs every migration before the cleaning one, then stores dirty rows. The
/// database is new, so the rows get the ids 1, 2, … in order on both databases.
/// User 1 (Mallory) is the admin of organization 1 (Acme Corp), which all belong
/// to, and can also use development sign-in.
fn store_dirty_rows(target: &DatabaseTarget) {
    let mut inserts = Vec::new();
    for (n, (name, _)) in STORED_NAMES.iter().enumerate() {
        let id = n + 1;
        inserts.push(format!(
            "INSERT INTO users (display_name, created_at, updated_at) \
             VALUES ({}, '2026-11-01 10:00:00', '2026-11-01 10:00:00');",
            quoted(name)
        ));
        inserts.push(format!(
            "INSERT INTO identities (user_id, platform, platform_user_id, login, display_name, linked_at, \
             last_sign_in_at) VALUES ({id}, 'oidc', 'sub-{id}', {}, {}, '2026-11-01 10:00:00', \
             '2026-11-01 10:00:00');",
            quoted(name),
            quoted(name)
        ));
    }
    inserts.push(
        "INSERT INTO identities (user_id, platform, platform_user_id, login, display_name, linked_at, \
         last_sign_in_at) VALUES (1, 'dev', 'mallory', 'Mallory', 'Mallory', '2026-11-02 10:00:00', \
         '2026-11-02 10:00:00');"
            .to_string(),
    );
    inserts.push(
        "INSERT INTO organizations (slug, name, name_search, created_at, updated_at) VALUES \
         ('acme', 'Acme\u{202E} Corp', 'acme\u{202E} corp', '2026-11-01 10:00:00', '2026-11-01 10:00:00'), \
         ('blank', '\u{200B}', '\u{200B}', '2026-11-01 10:00:00', '2026-11-01 10:00:00');"
            .to_string(),
    );
    for id in 1..=STORED_NAMES.len() {
        let role = if id == 1 { "admin" } else { "member" };
        inserts.push(format!(
            "INSERT INTO memberships (organization_id, user_id, role, created_at) \
             VALUES (1, {id}, '{role}', '2026-11-01 10:00:00');"
        ));
    }
    inserts.push(format!(
        "INSERT INTO audit_events (organization_id, actor_user_id, action, target_user_id, details, created_at) \
         VALUES (1, 2, 'join_request.created', 2, {}, '2026-11-01 10:00:00');",
        quoted(&format!("{} asked to join", STORED_NAMES[1].0))
    ));
    store_before(target, CLEANING, &inserts.join("\n"));
}

async fn names_are_cleaned_when_the_app_starts(backend: Backend) {
    let Some(app) = TestApp::spawn_on_prepared(backend, store_dirty_rows).await else { return };
    let cleaned: Vec<&str> = STORED_NAMES.iter().map(|(_, clean)| *clean).collect();
    let names = strings(&app, "SELECT display_name AS v FROM users ORDER BY id".to_string()).await;
    assert_eq!(names, cleaned);
    // The identities' copies: an empty login becomes the immutable id, an empty name none.
    let logins = strings(
        &app,
        "SELECT login AS v FROM identities WHERE platform = 'oidc' ORDER BY user_id".to_string(),
    )
    .await;
    let mut expected: Vec<&str> = cleaned.clone();
    expected[7] = "sub-8";
    assert_eq!(logins, expected);
    let identity_names = strings(
        &app,
        "SELECT COALESCE(display_name, '(none)') AS v FROM identities WHERE platform = 'oidc' ORDER BY user_id"
            .to_string(),
    )
    .await;
    expected[7] = "(none)";
    assert_eq!(identity_names, expected);
    // Organizations: their names and search copies; nothing left gives the slug.
    let orgs = strings(
        &app,
        "SELECT slug || ' | ' || name || ' | ' || name_search AS v FROM organizations ORDER BY id"
            .to_string(),
    )
    .await;
    assert_eq!(orgs, ["acme | Acme Corp | acme corp", "blank | blank | blank"]);
    let details = strings(&app, "SELECT details AS v FROM audit_events".to_string()).await;
    assert_eq!(details, ["Alice Example asked to join"]);

    // The admin reads the cleaned names, each with how that person signs in.
    let mallory = Browser::signed_in(&app, "Mallory").await;
    assert_eq!(mallory.id, 1);
    let html = mallory.page("/o/acme/settings/members").await;
    let mut members: Vec<(String, String)> = rows(&html, "[data-testid=members]")
        .into_iter()
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect();
    members.sort();
    let mut expected: Vec<(String, String)> = STORED_NAMES[1..]
        .iter()
        .enumerate()
        .map(|(n, (_, clean))| {
            let login = if *clean == "unnamed" { format!("sub-{}", n + 2) } else { clean.to_string() };
            // The page's text, read with white space squashed (U+00A0 too).
            (squash(clean), format!("oidc: {}", squash(&login)))
        })
        .collect();
    expected.push(("Mallory (you)".to_string(), "oidc: Mallory, dev: Mallory".to_string()));
    expected.sort();
    assert_eq!(members, expected);
    // The organization is found under its cleaned name.
    let search = mallory.page("/orgs?q=acme+corp").await;
    assert_eq!(first_column(&search, "[data-testid=search-results]"), ["Acme Corp"]);
}

mod names_stored_before_are_cleaned_when_the_app_starts {
    use super::*;

    #[actix_web::test]
    async fn sqlite() {
        names_are_cleaned_when_the_app_starts(Backend::Sqlite).await;
    }

    #[actix_web::test]
    async fn postgres() {
        names_are_cleaned_when_the_app_starts(Backend::Postgres).await;
    }
}
