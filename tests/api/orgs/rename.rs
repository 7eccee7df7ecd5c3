//! *Organization settings > General*: renaming. The address stays the same.

use reqwest::StatusCode;

use super::{Team, attrs, audit_rows, flash, org_name, rows, snapshot};
use crate::both_databases;
use crate::support::TestApp;
use crate::support::text_of;

const GENERAL: &str = "/o/acme/settings/general";

async fn the_general_tab_shows_the_name_in_its_field(app: TestApp) {
    let w = Team::new(&app).await;
    let html = w.alice.page(GENERAL).await;
    assert_eq!(attrs(&html, "input#name", "value"), ["Acme Corp"]);
    assert_eq!(attrs(&html, &format!("form[action='{GENERAL}']"), "method"), ["post"]);
    assert_eq!(attrs(&html, "nav.tabs a[aria-current=page]", "href"), [GENERAL]);
}
both_databases!(the_general_tab_shows_the_name_in_its_field);

async fn an_admin_renames_the_organization(app: TestApp) {
    let w = Team::new(&app).await;
    let html = w.alice.post_and_follow(GENERAL, &[("name", "  Acme Inc ")], GENERAL).await;
    assert_eq!(flash(&html).as_deref(), Some("The organization's settings were saved."));
    assert_eq!(attrs(&html, "input#name", "value"), ["Acme Inc"]);
    assert_eq!(org_name(&app, "acme").await.as_deref(), Some("Acme Inc"));
    // Everyone sees the new name; the address is the same.
    let html = w.mia.page("/o/acme").await;
    assert_eq!(text_of(&html, "h1").as_deref(), Some("Acme Inc"));
    assert_eq!(w.mia.switcher().await, ["Acme Inc"]);
    assert_eq!(
        audit_rows(&app, "acme").await.last().unwrap(),
        &format!("organization.renamed | {} | - | Renamed from Acme Corp to Acme Inc", w.alice.id)
    );
    let html = w.alice.page("/o/acme/settings/audit-log").await;
    assert_eq!(
        rows(&html, "[data-testid=audit-log]")[0][1..],
        ["Alice dev: Alice", "organization.renamed", "Renamed from Acme Corp to Acme Inc"]
    );
}
both_databases!(an_admin_renames_the_organization);

async fn an_invalid_name_is_refused_next_to_the_field(app: TestApp) {
    let w = Team::new(&app).await;
    let before = snapshot(&app).await;
    let too_long = "x".repeat(101);
    for (name, error) in [
        ("", "Enter a name."),
        ("   ", "Enter a name."),
        (too_long.as_str(), "Use at most 100 characters."),
        ("Acme\u{0}Corp", "The name cannot contain control characters."),
        ("Acme\tCorp", "The name cannot contain control characters."),
    ] {
        let response = w.alice.post(GENERAL, &[("name", name)]).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        let html = response.text().await.unwrap();
        assert_eq!(text_of(&html, "#name-error").as_deref(), Some(error), "{name:?}");
        assert_eq!(attrs(&html, "input#name", "aria-invalid"), ["true"], "{name:?}");
        assert_eq!(attrs(&html, "input#name", "aria-describedby"), ["name-error"], "{name:?}");
        // What was typed stays in the field.
        if !name.contains('\u{0}') {
            assert_eq!(attrs(&html, "input#name", "value"), [name], "{name:?}");
        }
    }
    // A field that is not sent at all is an empty name.
    let response = w.alice.post(GENERAL, &[]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(snapshot(&app).await, before);
    assert_eq!(org_name(&app, "acme").await.as_deref(), Some("Acme Corp"));
}
both_databases!(an_invalid_name_is_refused_next_to_the_field);

async fn renaming_to_the_same_name_records_nothing(app: TestApp) {
    let w = Team::new(&app).await;
    let before = snapshot(&app).await;
    let html = w.alice.post_and_follow(GENERAL, &[("name", " Acme Corp ")], GENERAL).await;
    assert_eq!(flash(&html).as_deref(), Some("The organization's settings were saved."));
    assert_eq!(snapshot(&app).await, before);
}
both_databases!(renaming_to_the_same_name_records_nothing);

async fn a_rename_changes_only_that_organization(app: TestApp) {
    let w = Team::new(&app).await;
    w.bob
        .post_and_follow(
            "/o/bolt/settings/general",
            &[("name", "Bolt Industries")],
            "/o/bolt/settings/general",
        )
        .await;
    assert_eq!(org_name(&app, "bolt").await.as_deref(), Some("Bolt Industries"));
    assert_eq!(org_name(&app, "acme").await.as_deref(), Some("Acme Corp"));
    assert!(audit_rows(&app, "acme").await.iter().all(|row| !row.contains("Bolt")));
}
both_databases!(a_rename_changes_only_that_organization);
