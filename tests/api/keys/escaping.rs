//! Descriptions are shown as text, never as markup: in the list, the one-time
//! dialog, the confirmation page, the deletion message, the audit log and a form
//! sent back with an error.

use monkeyci_accounts::domain::api_key::KeyKind;
use reqwest::StatusCode;

use super::*;
use crate::both_databases;

const DESCRIPTION: &str = r#"<script>alert("key")</script> & <b>bold</b> 'it' <img src=x onerror=alert(1)>"#;

/// The page holds none of the markup, and shows `shown` as text.
fn assert_escaped(html: &str, shown: &[&str], page: &str) {
    for markup in ["<script>alert", "<b>bold</b>", "<img src=x"] {
        assert!(!html.contains(markup), "{page} contains {markup:?} unescaped");
    }
    let text = page_text(html);
    for expected in shown {
        assert!(text.contains(expected), "{page} shows {expected:?} as text");
    }
}

async fn a_description_with_markup_is_shown_escaped_everywhere(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;

    // A form sent back with an error keeps the description, escaped.
    let response = alice.add_key(ACME_KEYS, DESCRIPTION, "soon").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_escaped(&html, &[], "the form with an error");
    assert_eq!(value(&html, "input#description").as_deref(), Some(DESCRIPTION));

    for (list, kind) in [(ACME_KEYS, KeyKind::Organization), (USER_KEYS, KeyKind::User)] {
        let response = alice.add_key(list, DESCRIPTION, "").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let html = alice.page(list).await;
        let token = Token::parse(&new_token(&html).unwrap(), kind);
        let copy = format!("Copy the key for {DESCRIPTION} ({}) now.", token.hint());
        assert_escaped(&html, &[&copy], "the dialog");
        assert_eq!(texts(&html, &format!("{DIALOG} strong")), [DESCRIPTION]);
        assert_eq!(descriptions(&html), [DESCRIPTION]);
        assert_eq!(attrs(&html, "a[data-revoke-key]", "data-description"), [DESCRIPTION]);
        assert_eq!(attrs(&html, "a[data-roll-key]", "data-description"), [DESCRIPTION]);
        assert_eq!(texts(&html, &format!("{KEYS} a[data-revoke-key] .sr-only")), [DESCRIPTION]);

        let delete_url = format!("{list}/{}/delete", token.public_id);
        let html = alice.page(&delete_url).await;
        assert_escaped(&html, &[&format!("Revoke {DESCRIPTION} ({})?", token.hint())], "the confirmation");
        let roll = alice.page(&format!("{list}/{}/roll", token.public_id)).await;
        assert_escaped(&roll, &[&format!("Roll {DESCRIPTION} ({})", token.hint())], "the roll page");
        assert_eq!(texts(&html, &format!("{CONFIRM} strong")), [DESCRIPTION]);

        if kind == KeyKind::Organization {
            let html = alice.page("/o/acme/settings/audit-log").await;
            assert_escaped(&html, &[&format!("Created API key {} “{DESCRIPTION}”", token.hint())], "the log");
        }
        let html = alice.post_and_follow(&delete_url, &[], list).await;
        assert_escaped(&html, &[], "the list after deleting");
        assert_eq!(
            flashes(&html),
            [format!(
                "The API key {} “{DESCRIPTION}” was revoked. It no longer works; it stays listed under Inactive for 90 days.",
                token.hint()
            )]
        );
    }
    let html = alice.page("/o/acme/settings/audit-log").await;
    assert_escaped(&html, &["Revoked API key mci_org_"], "the log after revoking");
    assert!(page_text(&html).contains(&format!("“{DESCRIPTION}”")));
}
both_databases!(a_description_with_markup_is_shown_escaped_everywhere, at_epoch);
