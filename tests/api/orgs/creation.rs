//! Creating an organization: `GET /orgs/new`, `POST /orgs`.

use reqwest::StatusCode;

use super::{Browser, attrs, audit_rows, count, encoded, flash, org_name, role, rows, texts};
use crate::both_databases;
use crate::support::TestApp;
use crate::support::{location, text_of};

async fn organizations(app: &crate::support::TestApp) -> i64 {
    count(app, "SELECT COUNT(*) AS n FROM organizations".to_string()).await
}

/// Submits the form and checks it is refused with 422, returning the page.
async fn refused(browser: &Browser, name: &str, slug: &str) -> String {
    let response = browser.post("/orgs", &[("name", name), ("slug", slug)]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "name {name:?}, slug {slug:?}");
    response.text().await.unwrap()
}

fn field_value(html: &str, id: &str) -> String {
    attrs(html, &format!("input#{id}"), "value").into_iter().next().unwrap_or_default()
}

async fn the_form_has_a_name_and_an_editable_address(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let html = alice.page("/orgs/new").await;
    assert_eq!(text_of(&html, "h1").as_deref(), Some("Create an organization"));
    assert_eq!(attrs(&html, "form[action='/orgs']", "method"), ["post"]);
    assert_eq!(field_value(&html, "name"), "");
    assert_eq!(field_value(&html, "slug"), "");
    assert!(text_of(&html, "#slug-hint").unwrap().contains("Leave it empty to derive it from the name"));
}
both_databases!(the_form_has_a_name_and_an_editable_address);

async fn the_form_says_how_others_join_and_promises_no_invitation(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let html = alice.page("/orgs/new").await;
    assert!(!crate::support::page_text(&html).to_lowercase().contains("invit"), "there are no invitations");
    assert_eq!(
        text_of(&html, "[data-testid=how-joining-works]").as_deref(),
        Some(
            "How others join: they find it under Find an organization by its name or address and ask to join; \
             you (or another admin) approve them on Settings > Members."
        )
    );
    assert_eq!(attrs(&html, "[data-testid=how-joining-works] a", "href"), ["/orgs"]);
}
both_databases!(the_form_says_how_others_join_and_promises_no_invitation);

async fn the_creator_becomes_the_admin_of_the_new_organization(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let response = alice.post("/orgs", &[("name", "Acme Corp"), ("slug", "acme")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/o/acme");

    let html = alice.page("/o/acme").await;
    assert_eq!(flash(&html).as_deref(), Some("Acme Corp was created. You are its admin."));
    assert_eq!(text_of(&html, "h1").as_deref(), Some("Acme Corp"));
    assert!(text_of(&html, "main").unwrap().contains("You are an admin"));
    assert_eq!(rows(&html, "[data-testid=members]")[0][..2], ["Alice", "Admin"]);
    assert_eq!(role(&app, "acme", alice.id).await.as_deref(), Some("admin"));
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM memberships".to_string()).await, 1);
    assert_eq!(alice.switcher().await, ["Acme Corp"]);
    // An admin: every settings tab opens.
    for tab in ["general", "members", "api-keys", "audit-log"] {
        alice.page(&format!("/o/acme/settings/{tab}")).await;
    }
}
both_databases!(the_creator_becomes_the_admin_of_the_new_organization);

async fn an_empty_address_is_derived_from_the_name(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    for (name, slug) in [
        ("Acme Corp.", "acme-corp"),
        ("  Café  Zürich Ops ", "cafe-zurich-ops"),
        ("CI/CD team #1", "ci-cd-team-1"),
    ] {
        let response = alice.post("/orgs", &[("name", name), ("slug", "")]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{name}");
        assert_eq!(location(&response), format!("/o/{slug}"), "{name}");
        assert_eq!(org_name(&app, slug).await.as_deref(), Some(name.trim()));
    }
    // Only spaces count as empty too.
    let response = alice.post("/orgs", &[("name", "Spaces Only"), ("slug", "   ")]).await;
    assert_eq!(location(&response), "/o/spaces-only");
}
both_databases!(an_empty_address_is_derived_from_the_name);

async fn the_address_preview_is_the_address_an_empty_field_gives(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let preview = async |name: &str| {
        let response = alice.get(&format!("/orgs/slug-preview?name={}", encoded(name))).await;
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        let body: serde_json::Value = response.json().await.unwrap();
        body["slug"].as_str().map(str::to_string)
    };
    for (name, slug) in
        [("Ørsted", "orsted"), ("  Café  Zürich Ops ", "cafe-zurich-ops"), ("CI/CD team #1", "ci-cd-team-1")]
    {
        assert_eq!(preview(name).await.as_deref(), Some(slug), "{name}");
        let response = alice.post("/orgs", &[("name", name), ("slug", "")]).await;
        assert_eq!(location(&response), format!("/o/{slug}"), "the form gives what the preview showed");
    }
    // No usable address: no preview, and the form asks for one.
    for name in ["A", "日本", ""] {
        assert_eq!(preview(name).await, None, "{name}");
    }
    let html = refused(&alice, "A", "").await;
    assert_eq!(
        text_of(&html, "#slug-error").as_deref(),
        Some("Choose an address: the name does not give a usable one.")
    );
}
both_databases!(the_address_preview_is_the_address_an_empty_field_gives);

async fn the_address_preview_is_for_signed_in_people(app: TestApp) {
    let visitor = Browser::anonymous(&app).await;
    let response = visitor.get("/orgs/slug-preview?name=Acme").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/login"), "{}", location(&response));
}
both_databases!(the_address_preview_is_for_signed_in_people);

async fn the_address_can_be_chosen_instead_of_the_derived_one(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let response = alice.post("/orgs", &[("name", "Acme Corp"), ("slug", "  acme-ci-2 ")]).await;
    assert_eq!(location(&response), "/o/acme-ci-2");
    assert_eq!(org_name(&app, "acme-ci-2").await.as_deref(), Some("Acme Corp"));
    assert!(org_name(&app, "acme-corp").await.is_none());
}
both_databases!(the_address_can_be_chosen_instead_of_the_derived_one);

async fn each_address_rule_is_explained_next_to_the_field(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let too_long = "a".repeat(41);
    let cases = [
        ("a", "Use at least 2 characters."),
        ("7", "Use at least 2 characters."),
        (too_long.as_str(), "Use at most 40 characters."),
        ("Acme", "Use only lower-case letters, digits and hyphens."),
        ("ac me", "Use only lower-case letters, digits and hyphens."),
        ("acme/x", "Use only lower-case letters, digits and hyphens."),
        ("acme_x", "Use only lower-case letters, digits and hyphens."),
        ("acmé", "Use only lower-case letters, digits and hyphens."),
        ("-acme", "Start and end with a letter or a digit."),
        ("acme-", "Start and end with a letter or a digit."),
        ("-", "Use at least 2 characters."),
    ];
    for (slug, error) in cases {
        let html = refused(&alice, "Acme Corp", slug).await;
        assert_eq!(text_of(&html, "#slug-error").as_deref(), Some(error), "slug {slug:?}");
        assert!(text_of(&html, "#name-error").is_none(), "slug {slug:?}");
        assert_eq!(attrs(&html, "input#slug", "aria-invalid"), ["true"], "slug {slug:?}");
        // What was typed stays in the form.
        assert_eq!(field_value(&html, "name"), "Acme Corp");
        assert_eq!(field_value(&html, "slug"), slug);
    }
    assert_eq!(organizations(&app).await, 0);
    // The limits themselves are allowed.
    alice.create_org("Two", "ab").await;
    alice.create_org("Forty", &"a".repeat(40)).await;
    alice.create_org("Digits", "0-9").await;
    assert_eq!(organizations(&app).await, 3);
}
both_databases!(each_address_rule_is_explained_next_to_the_field);

async fn a_name_that_gives_no_address_asks_for_one(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    for name in ["日本", "X", "!!!"] {
        let html = refused(&alice, name, "").await;
        assert_eq!(
            text_of(&html, "#slug-error").as_deref(),
            Some("Choose an address: the name does not give a usable one."),
            "name {name:?}"
        );
        assert_eq!(field_value(&html, "name"), name);
    }
    assert_eq!(organizations(&app).await, 0);
    alice.create_org("日本", "nihon").await;
    assert_eq!(org_name(&app, "nihon").await.as_deref(), Some("日本"));
}
both_databases!(a_name_that_gives_no_address_asks_for_one);

async fn each_name_rule_is_explained_next_to_the_field(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let too_long = "é".repeat(101);
    for (name, error) in [
        ("", "Enter a name."),
        ("   ", "Enter a name."),
        (too_long.as_str(), "Use at most 100 characters."),
        ("Acme\u{7}Corp", "The name cannot contain control characters."),
        ("Acme\nCorp", "The name cannot contain control characters."),
    ] {
        let html = refused(&alice, name, "acme").await;
        assert_eq!(text_of(&html, "#name-error").as_deref(), Some(error), "name {name:?}");
        assert!(text_of(&html, "#slug-error").is_none(), "name {name:?}");
        assert_eq!(attrs(&html, "input#name", "aria-invalid"), ["true"]);
        assert_eq!(field_value(&html, "slug"), "acme");
    }
    assert_eq!(organizations(&app).await, 0);
    // 100 characters (not bytes) is the limit; the name is trimmed.
    alice.create_org(&"é".repeat(100), "long").await;
    alice.create_org("  Acme Corp  ", "acme").await;
    assert_eq!(org_name(&app, "acme").await.as_deref(), Some("Acme Corp"));
}
both_databases!(each_name_rule_is_explained_next_to_the_field);

async fn both_fields_can_be_wrong_at_once(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let html = refused(&alice, " ", "A").await;
    assert_eq!(text_of(&html, "#name-error").as_deref(), Some("Enter a name."));
    assert_eq!(
        text_of(&html, "#slug-error").as_deref(),
        Some("Use only lower-case letters, digits and hyphens.")
    );
    let html = refused(&alice, "", "").await;
    assert_eq!(text_of(&html, "#name-error").as_deref(), Some("Enter a name."));
    assert!(text_of(&html, "#slug-error").is_some());
    assert_eq!(organizations(&app).await, 0);
}
both_databases!(both_fields_can_be_wrong_at_once);

async fn a_taken_address_is_refused_and_the_form_is_kept(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    let bob = Browser::signed_in(&app, "Bob").await;

    let html = refused(&bob, "Another Acme", "acme").await;
    assert_eq!(
        text_of(&html, "#slug-error").as_deref(),
        Some("The address acme is taken. Choose another one.")
    );
    assert_eq!(field_value(&html, "name"), "Another Acme");
    assert_eq!(field_value(&html, "slug"), "acme");

    // A derived address can be taken too: the form then shows it, to be edited.
    let html = refused(&bob, "Acme", "").await;
    assert_eq!(
        text_of(&html, "#slug-error").as_deref(),
        Some("The address acme is taken. Choose another one.")
    );
    assert_eq!(field_value(&html, "slug"), "acme");

    assert_eq!(organizations(&app).await, 1);
    assert_eq!(org_name(&app, "acme").await.as_deref(), Some("Acme Corp"));
    assert!(role(&app, "acme", bob.id).await.is_none());
    assert_eq!(audit_rows(&app, "acme").await.len(), 1);
    assert!(bob.switcher().await.is_empty());
}
both_databases!(a_taken_address_is_refused_and_the_form_is_kept);

async fn creating_an_organization_is_audited(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    assert_eq!(
        audit_rows(&app, "acme").await,
        [format!("organization.created | {} | - | Created Acme Corp (acme)", alice.id)]
    );
    let html = alice.page("/o/acme/settings/audit-log").await;
    assert_eq!(
        rows(&html, "[data-testid=audit-log]")[0][1..],
        ["Alice dev: Alice", "organization.created", "Created Acme Corp (acme)"]
    );
    // Refused attempts leave no trace.
    refused(&alice, "", "acme2").await;
    refused(&alice, "Acme", "acme").await;
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM audit_events".to_string()).await, 1);
}
both_databases!(creating_an_organization_is_audited);

async fn one_person_can_create_several_organizations(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Bolt Labs", "bolt").await;
    alice.create_org("Acme Corp", "acme").await;
    // The switcher lists them by name.
    assert_eq!(alice.switcher().await, ["Acme Corp", "Bolt Labs"]);
    let html = alice.page("/").await;
    assert_eq!(texts(&html, "[data-testid=my-orgs] li > a"), ["Acme Corp", "Bolt Labs"]);
}
both_databases!(one_person_can_create_several_organizations);

async fn creating_an_organization_needs_sign_in(app: TestApp) {
    let response = app.get("/orgs/new").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/login?return_to={}", encoded("/orgs/new")));

    let visitor = Browser::anonymous(&app).await;
    let response = visitor.post("/orgs", &[("name", "Acme Corp"), ("slug", "acme")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/login"), "{}", location(&response));
    assert_eq!(organizations(&app).await, 0);
}
both_databases!(creating_an_organization_needs_sign_in);

async fn creating_an_organization_needs_the_csrf_token(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let response = alice.post_raw("/orgs", &[("name", "Acme Corp"), ("slug", "acme")]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(organizations(&app).await, 0);
}
both_databases!(creating_an_organization_needs_the_csrf_token);
