//! A snapshot (insta) of what a person reads on the organization's keys page
//! with two keys, times, ids and hints redacted. See `rest/answers.rs` for how
//! to accept a deliberate change.

use super::*;
use crate::both_databases;

/// `text` with each token's hint and public id, and the dates, replaced by placeholders.
fn redacted(text: &str, tokens: &[&Token]) -> String {
    let mut text = text.to_string();
    for token in tokens {
        assert!(!token.leaks_into(&text), "the page shows the token {}", token.hint());
        text = text.replace(&token.hint(), "[hint]").replace(&token.public_id, "[id]");
    }
    dates_redacted(&text)
}

/// Every date written `28 Feb 2027` becomes `[date]`.
fn dates_redacted(text: &str) -> String {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let words: Vec<&str> = text.split(' ').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let is_date = i + 2 < words.len()
            && (1..=2).contains(&words[i].len())
            && words[i].bytes().all(|b| b.is_ascii_digit())
            && MONTHS.contains(&words[i + 1])
            && words[i + 2].len() >= 4
            && words[i + 2].bytes().take(4).all(|b| b.is_ascii_digit());
        if is_date {
            out.push(format!("[date]{}", &words[i + 2][4..]));
            i += 3;
        } else {
            out.push(words[i].to_string());
            i += 1;
        }
    }
    out.join(" ")
}

async fn the_organization_keys_page_with_two_keys(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "2027-12-31").await;
    let deploy = team.alice.new_key(ACME_KEYS, "Deploy", "").await;
    // Read again: the one-time dialog of the last key is gone.
    let html = team.alice.page(ACME_KEYS).await;
    assert_eq!(new_token(&html), None);
    insta::assert_snapshot!("acme_keys_page", redacted(&page_text(&html), &[&ci, &deploy]));
}
both_databases!(the_organization_keys_page_with_two_keys, at_epoch);
