//! The Add form refuses what it cannot use, with the reason next to the field and
//! the values kept, and creates nothing; it takes 200 characters of any script.
//! The app's clock stands at 28 Feb 2027.

use reqwest::StatusCode;

use super::*;
use crate::both_databases;

const EMPTY_DESCRIPTION: &str = "Describe what the key is for.";
const TOO_LONG: &str = "Use at most 200 characters.";
const CONTROL: &str = "The description cannot contain control characters such as line breaks.";
/// The form speaks of the date picker the person sees, never of `YYYY-MM-DD`
/// (the API's messages, which say the format it takes, are in `rest::validation`).
const NOT_A_DATE: &str = "Enter a date, or leave it empty for a key that never expires.";
const NOT_AFTER_TODAY: &str = "Pick a date after today (28 Feb 2027).";

/// The error shown inside the same `.field` as the input `#{id}`, if any; and
/// whether the input is marked invalid and points at it.
fn field_error(html: &str, id: &str) -> Option<String> {
    quietly(|| field_error_loudly(html, id))
}

fn field_error_loudly(html: &str, id: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let fields = scraper::Selector::parse(".field").unwrap();
    let input = scraper::Selector::parse(&format!("input#{id}")).unwrap();
    let error = scraper::Selector::parse(&format!("#{id}-error")).unwrap();
    let field = doc.select(&fields).find(|f| f.select(&input).next().is_some()).expect("the field");
    let message = field.select(&error).next().map(|e| squash(&e.text().collect::<String>()))?;
    let input = field.select(&input).next().unwrap();
    assert_eq!(input.value().attr("aria-invalid"), Some("true"), "#{id} is marked invalid");
    assert!(
        input.value().attr("aria-describedby").is_some_and(|d| d.contains(&format!("{id}-error"))),
        "#{id} points at its error"
    );
    assert!(field.value().classes().any(|c| c == "field-invalid"));
    Some(message)
}

/// Sends the form, checks the 422, the errors and the kept values.
async fn refused(
    browser: &Browser,
    list: &str,
    description: &str,
    valid_until: &str,
    description_error: Option<&str>,
    valid_until_error: Option<&str>,
) {
    let case = format!("{list} ({description:?}, {valid_until:?})");
    let response = browser.add_key(list, description, valid_until).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{case}");
    let html = response.text().await.unwrap();
    assert_eq!(field_error(&html, "description").as_deref(), description_error, "{case}");
    assert_eq!(field_error(&html, "valid_until").as_deref(), valid_until_error, "{case}");
    // (An HTML parser reads CR LF as LF and NUL as U+FFFD, as browsers do.)
    let kept = description.replace("\r\n", "\n").replace('\0', "\u{FFFD}");
    assert_eq!(value(&html, "input#description"), Some(kept), "{case}: description kept");
    assert_eq!(value(&html, "input#valid_until").as_deref(), Some(valid_until), "{case}: date kept");
    // A date input would drop a value it cannot read (and an empty date means
    // "never expires"): such a value comes back in a text input.
    let readable = chrono::NaiveDate::parse_from_str(valid_until.trim(), "%Y-%m-%d").is_ok();
    let expected_type = if readable || valid_until.trim().is_empty() { "date" } else { "text" };
    assert_eq!(
        attrs(&html, "input#valid_until", "type"),
        [expected_type],
        "{case}: the browser keeps what was typed"
    );
    assert!(new_token(&html).is_none(), "{case}: no dialog");
    assert!(!html.contains("mci_org_") && !html.contains("mci_usr_"), "{case}: no token");
}

async fn bad_descriptions_are_refused_next_to_the_field_and_nothing_is_created(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    let too_long = "a".repeat(201);
    let too_long_cyrillic = format!("{}к", "ключ".repeat(50));
    let too_long_emoji = "🚀".repeat(201);
    for list in [ACME_KEYS, USER_KEYS] {
        for (description, error) in [
            ("", EMPTY_DESCRIPTION),
            ("   \t  ", EMPTY_DESCRIPTION),
            (too_long.as_str(), TOO_LONG),
            (too_long_cyrillic.as_str(), TOO_LONG),
            (too_long_emoji.as_str(), TOO_LONG),
            ("line one\nline two", CONTROL),
            ("line one\r\nline two", CONTROL),
            ("tab\tinside", CONTROL),
            ("nul\u{0}byte", CONTROL),
        ] {
            refused(&alice, list, description, "2027-03-01", Some(error), None).await;
        }
    }
    assert_eq!(key_count(&app).await, 0);
    assert!(key_audit_rows(&app).await.is_empty());
    assert!(text(&alice.page(ACME_KEYS).await, EMPTY).is_some(), "the list is still empty");
}
both_databases!(bad_descriptions_are_refused_next_to_the_field_and_nothing_is_created, at_epoch);

async fn bad_dates_are_refused_next_to_the_field_and_nothing_is_created(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    for list in [ACME_KEYS, USER_KEYS] {
        for (valid_until, error) in [
            ("2027-02-28", NOT_AFTER_TODAY),
            ("2027-02-27", NOT_AFTER_TODAY),
            ("2020-01-01", NOT_AFTER_TODAY),
            ("2027-02-30", NOT_A_DATE),
            ("2027-13-01", NOT_A_DATE),
            ("28/02/2027", NOT_A_DATE),
            ("03/01/2027", NOT_A_DATE),
            ("2027-03-01T00:00:00Z", NOT_A_DATE),
            ("tomorrow", NOT_A_DATE),
            ("'; DROP TABLE api_keys; --", NOT_A_DATE),
            ("<b>soon</b>", NOT_A_DATE),
        ] {
            refused(&alice, list, "Deploy bot", valid_until, None, Some(error)).await;
        }
        // Both fields wrong: both errors at once.
        refused(&alice, list, "", "garbage", Some(EMPTY_DESCRIPTION), Some(NOT_A_DATE)).await;
        refused(&alice, list, "a\nb", "2027-01-01", Some(CONTROL), Some(NOT_AFTER_TODAY)).await;
    }
    assert_eq!(key_count(&app).await, 0);
    assert!(key_audit_rows(&app).await.is_empty());
}
both_databases!(bad_dates_are_refused_next_to_the_field_and_nothing_is_created, at_epoch);

async fn an_unreadable_date_sent_again_is_refused_again_never_made_a_key_without_expiry(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    for typed in ["31/12/2027", "2027-02-30"] {
        // The person presses Create twice: the second time, the browser sends
        // what the returned form holds.
        refused(&alice, USER_KEYS, "Deploy bot", typed, None, Some(NOT_A_DATE)).await;
        refused(&alice, USER_KEYS, "Deploy bot", typed, None, Some(NOT_A_DATE)).await;
    }
    assert_eq!(key_count(&app).await, 0, "no key, and above all no key that never expires");
}
both_databases!(an_unreadable_date_sent_again_is_refused_again_never_made_a_key_without_expiry, at_epoch);

async fn two_hundred_characters_of_any_script_are_accepted(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    let latin = "a".repeat(200);
    let cyrillic = "ключ".repeat(50);
    let cjk = "鍵".repeat(200);
    let emoji = "🚀".repeat(200);
    let arabic = "مفتاح".repeat(40);
    let padded = format!("   {}   ", "b".repeat(200));
    let cases = [&latin, &cyrillic, &cjk, &emoji, &arabic, &padded];
    for description in cases {
        assert_eq!(description.trim().chars().count(), 200);
        alice.create_key(ACME_KEYS, description, "2027-03-01").await;
    }
    alice.create_key(USER_KEYS, &cjk, " 2027-03-01 ").await;
    let mut expected: Vec<String> = cases.iter().map(|d| d.trim().to_string()).collect();
    expected.reverse();
    assert_eq!(descriptions(&alice.page(ACME_KEYS).await), expected, "shown whole, newest first");
    assert_eq!(descriptions(&alice.page(USER_KEYS).await), [cjk.as_str()]);
    let stored: Vec<String> = stored_keys(&app).await;
    assert_eq!(stored.len(), 7);
    for (row, description) in stored.iter().zip(cases.iter().map(|d| d.trim()).chain([cjk.as_str()])) {
        assert!(row.ends_with(&format!(" | {description} | 2027-03-01")), "stored as given, trimmed: {row}");
    }
}
both_databases!(two_hundred_characters_of_any_script_are_accepted, at_epoch);

/// The sentence under the date that says what it means ("This key will be …").
fn meaning(html: &str) -> Option<String> {
    text(html, "#valid_until-hint [data-valid-until-meaning]")
}

async fn the_form_says_what_the_chosen_date_means(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let html = alice.page(USER_KEYS).await;
    assert_eq!(meaning(&html).as_deref(), Some("This key will be usable until the end of 29 May 2027 UTC."));
    // Sent back with an error, the form still explains a valid date…
    let response = alice.add_key(USER_KEYS, "", "2027-03-10").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(meaning(&html).as_deref(), Some("This key will be usable until the end of 9 Mar 2027 UTC."));
    // …and explains nothing for a date in the past.
    let response = alice.add_key(USER_KEYS, "Deploy bot", "2027-01-01").await;
    assert_eq!(meaning(&response.text().await.unwrap()).as_deref(), Some(""));
}
both_databases!(the_form_says_what_the_chosen_date_means, at_epoch);

async fn a_form_sent_back_with_an_error_explains_an_empty_or_unreadable_date_correctly(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let response = alice.add_key(USER_KEYS, "line\nbreak", "").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(meaning(&html).as_deref(), Some("This key will never expire."), "an empty date");
    let response = alice.add_key(USER_KEYS, "Deploy bot", "garbage").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert_eq!(meaning(&html).as_deref(), Some(""), "a date that cannot be read means nothing yet");
}
both_databases!(a_form_sent_back_with_an_error_explains_an_empty_or_unreadable_date_correctly, at_epoch);

async fn the_live_sentence_is_the_one_the_page_renders(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let preview = async |value: &str| {
        let value: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        let path = format!("/api-keys/valid-until-preview?valid_until={value}");
        let response = alice.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "{value}");
        let body: serde_json::Value = response.json().await.unwrap();
        body["meaning"].as_str().expect("a meaning").to_string()
    };
    for value in ["2027-03-10", "", "2027-01-01", "garbage"] {
        let response = alice.add_key(USER_KEYS, "line\nbreak", value).await;
        let rendered = meaning(&response.text().await.unwrap()).unwrap();
        assert_eq!(preview(value).await, rendered, "{value:?}");
    }
    assert_eq!(preview("2027-03-10").await, "This key will be usable until the end of 9 Mar 2027 UTC.");
    // Impossible dates mean nothing, as the form refuses them.
    assert_eq!(preview("2027-02-30").await, "");
    assert_eq!(preview("2027-13-01").await, "");
    // For signed-in people only.
    let visitor = Browser::anonymous(&app).await;
    let response = visitor.get("/api-keys/valid-until-preview?valid_until=2027-03-10").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}
both_databases!(the_live_sentence_is_the_one_the_page_renders, at_epoch);
