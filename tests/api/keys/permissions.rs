//! What a key may do, chosen on the Add form (SPEC §2 "Permissions", "Reach of
//! user keys", "Allowed networks"): a preset or a custom level per resource, a
//! user key's organizations and the networks it may be used from. The list and
//! the one-time dialog say it in words; refused choices are explained next to
//! their fieldset, with everything entered kept.

use reqwest::StatusCode;

use super::*;
use crate::both_databases;
use crate::support::join;

const RUN_BUILDS: &str = "repos:read builds:write params:read";
const RUN_BUILDS_WORDS: &str = "Run builds read repositories, start builds, read parameters";

/// The scope stored for a key.
async fn stored_scope(app: &TestApp, key: &Token) -> String {
    strings(app, format!("SELECT scope AS v FROM api_keys WHERE public_id = {}", quoted(&key.public_id)))
        .await
        .into_iter()
        .next()
        .expect("the key is stored")
}

/// The slugs of the organizations a key was restricted to, or "all".
async fn stored_reach(app: &TestApp, key: &Token) -> Vec<String> {
    let all = count(
        app,
        format!(
            "SELECT COUNT(*) AS n FROM api_keys WHERE reaches_all_orgs = TRUE AND public_id = {}",
            quoted(&key.public_id)
        ),
    )
    .await;
    if all == 1 {
        return vec!["all".into()];
    }
    strings(
        app,
        format!(
            "SELECT o.slug AS v FROM api_key_orgs r JOIN api_keys k ON k.id = r.key_id \
             JOIN organizations o ON o.id = r.organization_id WHERE k.public_id = {} ORDER BY o.slug",
            quoted(&key.public_id)
        ),
    )
    .await
}

/// The Permissions cell of the key described so.
fn permissions_cell(html: &str, description: &str) -> String {
    let row = key_rows(html).into_iter().find(|row| row[0] == description).expect("the key is listed");
    row[6].clone()
}

/// What the one-time dialog says the new key may do.
fn dialog_access(html: &str) -> Option<String> {
    text(html, "[data-testid=new-key-access]")
}

/// The values of the checked inputs named `name`.
fn checked(html: &str, name: &str) -> Vec<String> {
    attrs(html, &format!("#add-key input[name={name}][checked]"), "value")
}

/// Creates a key through the form, and reads the page it leads to (with the
/// one-time dialog) and the new key's token.
async fn create(
    browser: &Browser,
    list: &str,
    description: &str,
    fields: &[(&str, &str)],
) -> (Token, String) {
    let response = browser.add_key_with(list, description, "", fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{description}");
    let html = browser.page(list).await;
    let kind = if list.starts_with("/o/") { KeyKind::Organization } else { KeyKind::User };
    (Token::parse(&new_token(&html).expect("the dialog shows the token"), kind), html)
}

async fn each_preset_is_stored_with_its_scope_and_said_in_words(app: TestApp) {
    let team = Team::new(&app).await;
    // The empty form offers Run builds, its levels preset in the custom table.
    let html = team.alice.page(ACME_KEYS).await;
    assert_eq!(checked(&html, "permissions"), ["run_builds"]);
    assert_eq!(
        texts(&html, "[data-testid=permissions] .choice label"),
        ["Run builds", "Read only", "Full access", "Custom"]
    );
    assert_eq!(
        text(&html, "#permissions-run_builds-words").as_deref(),
        Some("Read repositories, start builds, read parameters.")
    );
    assert_eq!(checked(&html, "level_repos"), ["read"]);
    assert_eq!(checked(&html, "level_builds"), ["write"]);
    assert_eq!(checked(&html, "level_keys"), ["none"]);

    // A form that sends no choice gets the default, as a browser would send it.
    let (default, html) = create(&team.alice, ACME_KEYS, "Default", &[]).await;
    assert_eq!(stored_scope(&app, &default).await, RUN_BUILDS);
    assert_eq!(
        dialog_access(&html).as_deref(),
        Some("Permissions Run builds: read repositories, start builds, read parameters")
    );
    assert_eq!(permissions_cell(&html, "Default"), RUN_BUILDS_WORDS);

    for (preset, scope, cell) in [
        ("run_builds", RUN_BUILDS.to_string(), RUN_BUILDS_WORDS.to_string()),
        (
            "read_only",
            "org:read members:read keys:read repos:read builds:read webhooks:read billing:read".to_string(),
            "Read only read the organization, read members, read API keys, read repositories, read builds and \
             logs, read webhooks, read billing"
                .to_string(),
        ),
        (
            "full_access",
            "org:write members:write keys:write repos:write builds:write params:write ssh_keys:write \
             webhooks:write billing:write"
                .to_string(),
            "Full access everything its holder may do".to_string(),
        ),
    ] {
        let key = team.alice.new_key_with(ACME_KEYS, preset, "", &[("permissions", preset)]).await;
        assert_eq!(stored_scope(&app, &key).await, scope, "{preset}");
        assert_eq!(permissions_cell(&team.alice.page(ACME_KEYS).await, preset), cell, "{preset}");
    }
}
both_databases!(each_preset_is_stored_with_its_scope_and_said_in_words, at_epoch);

async fn a_custom_choice_stores_the_levels_of_its_table(app: TestApp) {
    let team = Team::new(&app).await;
    let fields = [
        ("permissions", "custom"),
        ("level_org", "none"),
        ("level_repos", "read"),
        ("level_builds", "write"),
        ("level_keys", "none"),
    ];
    let (key, html) = create(&team.alice, USER_KEYS, "Custom", &fields).await;
    assert_eq!(stored_scope(&app, &key).await, "repos:read builds:write");
    assert_eq!(
        dialog_access(&html).as_deref(),
        Some("Permissions Custom: read repositories, start builds Organizations All my organizations")
    );
    assert_eq!(
        permissions_cell(&html, "Custom"),
        "Custom read repositories, start builds in all my organizations"
    );
    // The form is the empty one again.
    assert_eq!(checked(&html, "permissions"), ["run_builds"]);

    // The levels are read as levels only.
    let response = team
        .alice
        .add_key_with(USER_KEYS, "Junk", "", &[("permissions", "custom"), ("level_repos", "admin")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(
        text(&html, "#permissions-error").as_deref(),
        Some("`admin` is not a level: use read or write")
    );
    let response = team.alice.add_key_with(USER_KEYS, "Junk", "", &[("permissions", "everything")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(key_count(&app).await, 1);
}
both_databases!(a_custom_choice_stores_the_levels_of_its_table, at_epoch);

async fn an_empty_custom_choice_is_refused_next_to_its_fieldset_with_every_value_kept(app: TestApp) {
    let team = Team::new(&app).await;
    join(&app, &team.alice, &team.bob, "bolt").await;
    let mut fields = vec![("permissions", "custom")];
    let levels: Vec<String> =
        ["org", "members", "keys", "repos", "builds", "params", "ssh_keys", "webhooks", "billing"]
            .iter()
            .map(|r| format!("level_{r}"))
            .collect();
    fields.extend(levels.iter().map(|field| (field.as_str(), "none")));
    fields.extend([("reach", "only"), ("orgs", "bolt"), ("allowed_networks", "203.0.113.0/24")]);
    let response = team.alice.add_key_with(USER_KEYS, "Nothing", "2027-06-01", &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(
        text(&html, "fieldset.field-invalid #permissions-error").as_deref(),
        Some("Choose at least one permission.")
    );
    assert_eq!(
        attrs(&html, "fieldset[data-testid=permissions]", "aria-describedby"),
        ["permissions-hint permissions-error"]
    );
    assert_eq!(attrs(&html, "#permissions-custom", "autofocus").len(), 1, "the choice takes the focus");
    assert_eq!(checked(&html, "permissions"), ["custom"]);
    for field in &levels {
        assert_eq!(checked(&html, field), ["none"], "{field}");
    }
    assert_eq!(value(&html, "input#description").as_deref(), Some("Nothing"));
    assert_eq!(value(&html, "input#valid_until").as_deref(), Some("2027-06-01"));
    assert_eq!(checked(&html, "reach"), ["only"]);
    assert_eq!(checked(&html, "orgs"), ["bolt"]);
    assert_eq!(text(&html, "textarea#allowed_networks").as_deref(), Some("203.0.113.0/24"));
    assert_eq!(key_count(&app).await, 0);
}
both_databases!(an_empty_custom_choice_is_refused_next_to_its_fieldset_with_every_value_kept, at_epoch);

async fn a_user_key_reaches_the_organizations_checked(app: TestApp) {
    let team = Team::new(&app).await;
    join(&app, &team.alice, &team.bob, "bolt").await;
    let html = team.alice.page(USER_KEYS).await;
    assert_eq!(checked(&html, "reach"), ["all"]);
    assert_eq!(texts(&html, "[data-testid=reach] .reach-orgs label"), ["Acme Corp", "Bolt Labs"]);
    assert_eq!(attrs(&html, "[data-testid=reach] input[name=orgs]", "value"), ["acme", "bolt"]);

    let all =
        team.alice.new_key_with(USER_KEYS, "Everywhere", "", &[("reach", "all"), ("orgs", "acme")]).await;
    assert_eq!(stored_reach(&app, &all).await, ["all"], "boxes under All do not count");
    let both = [("reach", "only"), ("orgs", "acme"), ("orgs", "bolt")];
    let both = team.alice.new_key_with(USER_KEYS, "Both", "", &both).await;
    assert_eq!(stored_reach(&app, &both).await, ["acme", "bolt"]);
    let (bolt, html) =
        create(&team.alice, USER_KEYS, "Bolt only", &[("reach", "only"), ("orgs", "bolt")]).await;
    assert_eq!(stored_reach(&app, &bolt).await, ["bolt"]);
    assert!(dialog_access(&html).unwrap().ends_with("Organizations Bolt Labs"), "{html}");
    assert!(permissions_cell(&html, "Everywhere").ends_with("in all my organizations"));
    assert!(permissions_cell(&html, "Both").ends_with("in Acme Corp, Bolt Labs"));
    assert!(permissions_cell(&html, "Bolt only").ends_with("in Bolt Labs"));

    // Leaving an organization takes it out of the key's reach, and the row says so.
    team.alice.post_and_follow("/o/bolt/leave", &[], "/").await;
    let html = team.alice.page(USER_KEYS).await;
    assert!(permissions_cell(&html, "Both").ends_with("in Acme Corp"));
    assert!(permissions_cell(&html, "Bolt only").ends_with("in no organization"));
    assert_eq!(texts(&html, "[data-testid=reach] .reach-orgs label"), ["Acme Corp"]);
}
both_databases!(a_user_key_reaches_the_organizations_checked, at_epoch);

async fn a_reach_outside_the_users_organizations_is_refused(app: TestApp) {
    let team = Team::new(&app).await;
    for (fields, error) in [
        (
            vec![("reach", "only"), ("orgs", "bolt")],
            "You are not a member of “bolt”: choose among your organizations.",
        ),
        (
            vec![("reach", "only"), ("orgs", "acme"), ("orgs", "nope")],
            "You are not a member of “nope”: choose among your organizations.",
        ),
        (vec![("reach", "only")], "Choose at least one organization, or all of them."),
    ] {
        let response = team.alice.add_key_with(USER_KEYS, "Sneaky", "", &fields).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        let html = response.text().await.unwrap();
        assert_eq!(text(&html, "fieldset.field-invalid #reach-error").as_deref(), Some(error), "{fields:?}");
        assert_eq!(checked(&html, "reach"), ["only"], "{fields:?}");
        assert_eq!(attrs(&html, "#reach-only", "autofocus").len(), 1);
        assert_eq!(value(&html, "input#description").as_deref(), Some("Sneaky"));
    }
    assert_eq!(key_count(&app).await, 0);
}
both_databases!(a_reach_outside_the_users_organizations_is_refused, at_epoch);

async fn organization_keys_and_people_without_organizations_get_no_reach_choice(app: TestApp) {
    let team = Team::new(&app).await;
    let html = team.alice.page(ACME_KEYS).await;
    assert!(attrs(&html, "#add-key input[name=reach]", "value").is_empty());
    assert_eq!(texts(&html, "[data-testid=reach]"), Vec::<String>::new());
    // What an organization key's form is sent about reach is not asked: it reaches its organization.
    let key = team.alice.new_key_with(ACME_KEYS, "CI", "", &[("reach", "only"), ("orgs", "bolt")]).await;
    assert_eq!(stored_reach(&app, &key).await, ["all"]);
    assert_eq!(permissions_cell(&team.alice.page(ACME_KEYS).await, "CI"), RUN_BUILDS_WORDS);

    // Olga belongs to no organization: she is told so, and her key reaches whatever she joins.
    let html = team.olga.page(USER_KEYS).await;
    assert_eq!(
        text(&html, "#reach-hint").as_deref(),
        Some(
            "You belong to no organization yet. The key will act in each organization you join, with your role there."
        )
    );
    assert!(attrs(&html, "#add-key input[name=reach]", "value").is_empty());
    let key = team.olga.new_key_with(USER_KEYS, "Olga's", "", &[]).await;
    assert_eq!(stored_reach(&app, &key).await, ["all"]);
}
both_databases!(organization_keys_and_people_without_organizations_get_no_reach_choice, at_epoch);

async fn allowed_networks_are_checked_stored_and_shown(app: TestApp) {
    let team = Team::new(&app).await;
    let html = team.alice.page(ACME_KEYS).await;
    assert_eq!(
        text(&html, "#allowed_networks-hint").as_deref(),
        Some("One per line, CIDR such as 203.0.113.0/24 or 2001:db8::/32; empty: anywhere.")
    );
    let bad = "203.0.113.0/24\n10.0.0.0/33";
    let fields = [("permissions", "read_only"), ("allowed_networks", bad)];
    let response = team.alice.add_key_with(ACME_KEYS, "Office", "", &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(
        text(&html, ".field-invalid #allowed_networks-error").as_deref(),
        Some(
            "`10.0.0.0/33` is not a network: write an address with its prefix length, e.g. 203.0.113.0/24 or 2001:db8::/32"
        )
    );
    assert_eq!(attrs(&html, "textarea#allowed_networks", "aria-invalid"), ["true"]);
    assert_eq!(text(&html, "textarea#allowed_networks"), Some(squash(bad)), "kept as typed");
    assert!(html.contains(">203.0.113.0/24\n10.0.0.0/33</textarea>"), "line by line");
    assert_eq!(checked(&html, "permissions"), ["read_only"], "the preset is kept");
    assert_eq!(key_count(&app).await, 0);

    let fields = [("allowed_networks", "203.0.113.7/24\n 2001:db8::1/32 \n")];
    let (key, html) = create(&team.alice, ACME_KEYS, "Office", &fields).await;
    let stored = strings(
        &app,
        format!("SELECT allowed_networks AS v FROM api_keys WHERE public_id = {}", quoted(&key.public_id)),
    )
    .await;
    assert_eq!(stored, ["203.0.113.0/24 2001:db8::/32"]);
    assert!(dialog_access(&html).unwrap().ends_with("Only from 203.0.113.0/24, 2001:db8::/32"));
    assert_eq!(
        permissions_cell(&html, "Office"),
        format!("{RUN_BUILDS_WORDS} only from 203.0.113.0/24, 2001:db8::/32")
    );
}
both_databases!(allowed_networks_are_checked_stored_and_shown, at_epoch);

async fn keys_made_before_permissions_read_as_full_access(app: TestApp) {
    let team = Team::new(&app).await;
    let acme = org_id(&app, "acme").await;
    // A row as it was stored before permissions: the migration's default scope.
    insert_key_rows(
        &app,
        &[format!(
            "('AAAAAAAAAAAAAAAA', 'org', {acme}, NULL, 'x', 'Old key', NULL, '2027-01-01 00:00:00', {})",
            team.alice.id
        )],
    )
    .await;
    let html = team.alice.page(ACME_KEYS).await;
    assert_eq!(permissions_cell(&html, "Old key"), "Full access everything its holder may do");
}
both_databases!(keys_made_before_permissions_read_as_full_access, at_epoch);

async fn a_members_page_offers_the_same_choices(app: TestApp) {
    let team = Team::new(&app).await;
    let html = team.mia.page(USER_KEYS).await;
    assert_eq!(checked(&html, "permissions"), ["run_builds"]);
    assert_eq!(texts(&html, "[data-testid=reach] .reach-orgs label"), ["Acme Corp"]);
    assert!(text(&html, "#permissions-hint").unwrap().contains("with your role in each organization"));
    let key = team.mia.new_key_with(USER_KEYS, "Mia's CI", "", &[("reach", "only"), ("orgs", "acme")]).await;
    assert_eq!(stored_scope(&app, &key).await, RUN_BUILDS);
    assert_eq!(stored_reach(&app, &key).await, ["acme"]);
    let html = team.mia.page(USER_KEYS).await;
    assert_eq!(permissions_cell(&html, "Mia's CI"), format!("{RUN_BUILDS_WORDS} in Acme Corp"));
    assert_eq!(
        team.mia.get(ACME_KEYS).await.status(),
        StatusCode::FORBIDDEN,
        "a member still manages no organization key"
    );
}
both_databases!(a_members_page_offers_the_same_choices, at_epoch);

async fn a_policy_that_requires_a_date_never_offers_an_empty_one(app: TestApp) {
    let team = Team::new(&app).await;
    execute(&app, "UPDATE organizations SET keys_require_expiry = TRUE WHERE slug = 'acme'".to_string())
        .await;
    let html = team.alice.page(ACME_KEYS).await;
    let hint = text(&html, "#valid_until-hint").unwrap();
    assert!(hint.contains("This organization requires an expiry date."), "{hint}");
    assert!(!hint.contains("empty"), "{hint}");
    assert_eq!(attrs(&html, "input#valid_until", "data-expiry-needed").len(), 1);
    for (valid_until, error) in [
        ("", "This organization requires an expiry date: pick one."),
        ("31/03/2027", "Enter a date: this organization requires an expiry date."),
    ] {
        let response = team.alice.add_key(ACME_KEYS, "Deploy", valid_until).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{valid_until:?}");
        let html = response.text().await.unwrap();
        assert_eq!(text(&html, "#valid_until-error").as_deref(), Some(error), "{valid_until:?}");
        assert_eq!(text(&html, "[data-valid-until-meaning]").as_deref(), Some(""), "no “never expires”");
    }
    team.alice.create_key(ACME_KEYS, "Dated", "2030-01-01").await;
    // The preview asked as the field changes says the same.
    let preview = team.alice.get("/api-keys/valid-until-preview?valid_until=&expiry_needed=1").await;
    assert_eq!(preview.text().await.unwrap(), r#"{"meaning":""}"#);
    // Alice's own keys are not the organization's: they may still never expire.
    let html = team.alice.page(USER_KEYS).await;
    assert!(text(&html, "#valid_until-hint").unwrap().contains("Leave it empty"));
}
both_databases!(a_policy_that_requires_a_date_never_offers_an_empty_one, at_epoch);
