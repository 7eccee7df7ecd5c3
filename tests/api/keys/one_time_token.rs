//! Creating keys: the token is shown once, in the page the form leads to, and
//! nowhere else: not again, not in any URL, log or database column. Only its
//! argon2id hash and public id are kept.

use monkeyci_accounts::auth::key_hash::verify_secret;
use monkeyci_accounts::domain::api_key::KeyKind;
use reqwest::StatusCode;

use super::*;
use crate::both_databases;
use crate::support::location;

/// Pages that must never show the token once the dialog has been shown.
fn other_pages(list: &str, public_id: &str) -> Vec<String> {
    let mut pages: Vec<String> = [
        "/",
        "/orgs",
        "/o/acme",
        "/o/acme/settings/general",
        "/o/acme/settings/members",
        "/o/acme/settings/audit-log",
        ACME_KEYS,
        USER_KEYS,
        "/settings/profile",
        "/settings/sign-in-methods",
    ]
    .iter()
    .map(std::string::ToString::to_string)
    .collect();
    pages.push(format!("{list}?page=1"));
    pages.push(format!("{list}/{public_id}/delete"));
    pages
}

/// The common checks after creating a key at `list` as Alice: the token is shown
/// once, is never shown or stored again, and only its hash is kept.
async fn check_one_time_token(app: &TestApp, alice: &Browser, list: &str, kind: KeyKind) -> Token {
    let html = alice.page(list).await;
    assert!(texts(&html, DIALOG).is_empty(), "no dialog before a key is created");
    assert_eq!(
        text(&html, EMPTY).map(|t| t.contains(&format!("monkeyci login --with-token --url {}", app.address))),
        Some(true),
        "the empty state shows how to use a key (see `empty_state`)"
    );
    assert_eq!(value(&html, "#valid_until").as_deref(), Some("2027-05-30"), "the form suggests 90 days");

    let response = alice.add_key(list, "Deploy bot", "2027-06-01").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mut locations = vec![location(&response)];
    assert_eq!(locations[0], list, "the form leads back to the list");
    let created_body = response.text().await.unwrap();

    // The one response that shows the token.
    let response = alice.get(list).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cache_control: Vec<_> = response.headers().get_all(reqwest::header::CACHE_CONTROL).iter().collect();
    assert_eq!(cache_control, ["no-store"], "the page with the token is never cached");
    let html = response.text().await.unwrap();
    let token = Token::parse(&new_token(&html).expect("the dialog shows the token"), kind);
    assert!(!token.leaks_into(&created_body), "the form's answer does not hold the token");
    assert_eq!(html.matches(&token.full).count(), 1, "the token is on the page once, in the field");
    assert_eq!(html.matches(&token.secret).count(), 1);
    let dialog = text(&html, DIALOG).unwrap();
    assert!(
        dialog.contains(&format!("Copy the key for Deploy bot ({}) now.", token.hint())),
        "the dialog names the key: {dialog}"
    );
    assert!(dialog.contains("This key will not be shown again."), "{dialog}");
    assert_eq!(attrs(&html, "#new-key-token", "readonly").len(), 1, "the field is read-only");
    assert_eq!(
        key_rows(&html),
        [key_row(
            "Deploy bot",
            &token,
            "28 Feb 2027 by Alice",
            "1 Jun 2027 (usable until the end of 31 May 2027 UTC)",
            "Active"
        )]
    );
    assert_eq!(
        attrs(&html, &format!("{KEYS} a[data-revoke-key]"), "href"),
        [format!("{list}/{}/revoke", token.public_id)],
        "the revoke link carries the public id, and only that"
    );
    assert_eq!(text(&html, ".panel h2").as_deref(), Some("API keys (1)"));

    // Reload, back button (the same URL again), another tab, other pages: never again.
    for _ in 0..2 {
        let response = alice.get(list).await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        assert!(new_token(&html).is_none(), "a reload shows no token");
        assert!(!token.leaks_into(&html), "a reload shows no token");
        assert_eq!(descriptions(&html), ["Deploy bot"], "the list still shows the key");
    }
    let tab = alice.tab();
    let html = tab.get(alice.url(list)).send().await.unwrap().text().await.unwrap();
    assert!(!token.leaks_into(&html), "another tab shows no token");
    assert_eq!(descriptions(&html), ["Deploy bot"], "the other tab is signed in too");
    for path in other_pages(list, &token.public_id) {
        let response = alice.get(&path).await;
        locations.push(location(&response));
        let html = response.text().await.unwrap();
        assert!(!token.leaks_into(&html), "{path} shows the token");
        assert!(texts(&html, DIALOG).is_empty(), "{path} shows the dialog");
    }

    // Never in a URL.
    let response = alice.post(&format!("{list}/{}/delete", "0000000000000000"), &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    for url in &locations {
        assert!(!token.leaks_into(url), "a Location header holds the token: {url}");
    }

    // Never in the database: only the public id and a hash of the secret.
    let stored = every_stored_text(app).await;
    assert!(stored.iter().any(|v| v.starts_with("sessions.state: {")), "the session's state was read");
    assert!(!stored.iter().any(|v| v.starts_with("pending_tokens.")), "the shown token's row is gone");
    for stored in stored {
        assert!(!token.leaks_into(&stored), "the database holds the token: {stored}");
    }
    assert!(key_exists(app, &token.public_id).await, "the public id in the database is the token's");
    let hash = secret_hash(app, &token.public_id).await;
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "an argon2id PHC string: {hash}");
    assert!(verify_secret(&token.secret, &hash), "the hash verifies the secret");
    assert!(!verify_secret(&token.full, &hash), "the hash is of the secret part alone");
    let mut wrong = token.secret.clone().into_bytes();
    wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
    assert!(!verify_secret(&String::from_utf8(wrong).unwrap(), &hash), "a different secret does not verify");

    // Never in the logs (which do name the key by its public id).
    let logs = app.logs();
    let leaks: Vec<&str> = logs.lines().filter(|line| token.leaks_into(line)).collect();
    assert!(leaks.is_empty(), "the logs hold the token: {leaks:#?}");
    assert!(logs.contains(&token.public_id), "the logs name the key by its public id");
    token
}

async fn an_organization_key_is_shown_once_and_only_its_hash_is_kept(app: TestApp) {
    let team = Team::new(&app).await;
    let token = check_one_time_token(&app, &team.alice, ACME_KEYS, KeyKind::Organization).await;
    assert_eq!(
        stored_keys(&app).await,
        [format!("org | acme | {} | Deploy bot | 2027-06-01", token.public_id)]
    );
    assert_eq!(
        key_audit_rows(&app).await,
        [format!("acme | api_key.created | Created API key {} “Deploy bot”", token.hint())]
    );
    // The key is not Alice's own: her user keys are still none.
    assert_eq!(descriptions(&team.alice.page(USER_KEYS).await), Vec::<String>::new());
}
both_databases!(an_organization_key_is_shown_once_and_only_its_hash_is_kept, at_epoch);

async fn a_user_key_is_shown_once_and_only_its_hash_is_kept(app: TestApp) {
    let team = Team::new(&app).await;
    let token = check_one_time_token(&app, &team.alice, USER_KEYS, KeyKind::User).await;
    assert_eq!(
        stored_keys(&app).await,
        [format!("user | Alice | {} | Deploy bot | 2027-06-01", token.public_id)]
    );
    assert!(key_audit_rows(&app).await.is_empty(), "user keys are not in any organization's log");
    assert_eq!(descriptions(&team.alice.page(ACME_KEYS).await), Vec::<String>::new());
}
both_databases!(a_user_key_is_shown_once_and_only_its_hash_is_kept, at_epoch);

async fn a_key_without_expiry_is_created_and_each_key_gets_its_own_token(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    let first = alice.new_key(ACME_KEYS, "  CI runner  ", "").await;
    let second = alice.new_key(ACME_KEYS, "Nightly", " ").await;
    assert_ne!(first.public_id, second.public_id);
    assert_ne!(first.secret, second.secret);
    let html = alice.page(ACME_KEYS).await;
    assert_eq!(
        key_rows(&html),
        [
            key_row("Nightly", &second, "28 Feb 2027 by Alice", "never", "Active"),
            key_row("CI runner", &first, "28 Feb 2027 by Alice", "never", "Active"),
        ],
        "newest first, descriptions trimmed, no expiry"
    );
    let hashes = [secret_hash(&app, &first.public_id).await, secret_hash(&app, &second.public_id).await];
    assert!(verify_secret(&first.secret, &hashes[0]) && verify_secret(&second.secret, &hashes[1]));
    assert!(!verify_secret(&first.secret, &hashes[1]), "each key has its own hash");
    let user_token = alice.new_key(USER_KEYS, "Laptop", "").await;
    assert_eq!(
        key_rows(&alice.page(USER_KEYS).await),
        [key_row("Laptop", &user_token, "28 Feb 2027 by Alice", "never", "Active")]
    );
}
both_databases!(a_key_without_expiry_is_created_and_each_key_gets_its_own_token, at_epoch);

async fn a_token_made_on_one_screen_never_shows_on_another(app: TestApp) {
    let team = Team::new(&app).await;
    // Alice is also an admin of Bolt, so she sees three key screens.
    join(&app, &team.alice, &team.bob, "bolt").await;
    let alice_id = team.alice.id.to_string();
    team.bob
        .post_and_follow(
            &format!("/o/bolt/settings/members/{alice_id}/role"),
            &[("role", "admin")],
            "/o/bolt/settings/members",
        )
        .await;

    let response = team.alice.add_key(ACME_KEYS, "Acme deploys", "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    for other in [BOLT_KEYS, USER_KEYS, "/o/acme/settings/general", "/"] {
        let html = team.alice.page(other).await;
        assert!(new_token(&html).is_none(), "{other} shows the Acme key's token");
        assert!(!html.contains("mci_org_"), "{other} shows an organization key");
    }
    // Mia (a member) and Bob never see it either.
    assert_eq!(team.mia.get(ACME_KEYS).await.status(), StatusCode::FORBIDDEN);
    assert!(new_token(&team.bob.page(BOLT_KEYS).await).is_none());
    // The screen it was made on still shows it, once.
    let token = new_token(&team.alice.page(ACME_KEYS).await).expect("the Acme screen shows the token");
    Token::parse(&token, KeyKind::Organization);
    assert!(new_token(&team.alice.page(ACME_KEYS).await).is_none());

    // And the other way round: a user key's token never shows on an organization screen.
    let response = team.alice.add_key(USER_KEYS, "Laptop", "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    for other in [ACME_KEYS, BOLT_KEYS] {
        let html = team.alice.page(other).await;
        assert!(new_token(&html).is_none(), "{other} shows the user key's token");
        assert!(!html.contains("mci_usr_"), "{other} shows a user key");
    }
    let token = new_token(&team.alice.page(USER_KEYS).await).expect("the user screen shows the token");
    Token::parse(&token, KeyKind::User);
    assert!(new_token(&team.alice.page(USER_KEYS).await).is_none());
}
both_databases!(a_token_made_on_one_screen_never_shows_on_another, at_epoch);

async fn signing_out_before_the_list_is_shown_drops_the_token(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let response = alice.add_key(USER_KEYS, "Laptop", "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = alice.post("/auth/logout", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // The session (and the token waiting in it) is gone: only the public id is left.
    for stored in every_stored_text(&app).await {
        assert!(!stored.contains("mci_usr_"), "the database holds a token: {stored}");
    }
    let alice = Browser::signed_in(&app, "Alice").await;
    let html = alice.page(USER_KEYS).await;
    assert!(new_token(&html).is_none(), "a new session does not show the old token");
    assert_eq!(descriptions(&html), ["Laptop"]);
}
both_databases!(signing_out_before_the_list_is_shown_drops_the_token, at_epoch);

async fn a_post_without_the_csrf_token_creates_nothing(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    for list in [ACME_KEYS, USER_KEYS] {
        let response = alice.post_raw(list, &[("description", "Forged"), ("valid_until", "")]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{list}");
        let response = alice
            .post_raw(list, &[("description", "Forged"), ("valid_until", ""), ("csrf_token", "forged")])
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{list}");
        assert!(new_token(&alice.page(list).await).is_none());
    }
    assert_eq!(key_count(&app).await, 0);
}
both_databases!(a_post_without_the_csrf_token_creates_nothing, at_epoch);

async fn six_tabs_opening_the_list_at_the_same_moment_show_the_token_once(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    for round in 0..5 {
        let description = format!("Key {round}");
        let response = alice.add_key(USER_KEYS, &description, "").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let url = alice.url(USER_KEYS);
        let tabs: Vec<_> = (0..6).map(|_| alice.tab()).collect();
        let pages = futures_util::future::join_all(tabs.iter().map(|tab| {
            let url = url.clone();
            async move { tab.get(url).send().await.unwrap().text().await.unwrap() }
        }))
        .await;
        let shown: Vec<String> = pages.iter().filter_map(|html| new_token(html)).collect();
        assert_eq!(
            shown.len(),
            1,
            "round {round}: the token of {description:?} was shown in {} of 6 responses",
            shown.len()
        );
    }
}
both_databases!(six_tabs_opening_the_list_at_the_same_moment_show_the_token_once, at_epoch);

async fn a_token_waiting_for_its_page_is_nowhere_in_the_database_files(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    alice.create_org("Acme Corp", "acme").await;
    let files = DatabaseFiles::mark(&app).await;
    for list in [ACME_KEYS, USER_KEYS] {
        // The redirect is not followed: the token waits on the server.
        let response = alice.add_key(list, "Deploy bot", "").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let before_shown = files.read(&app).await;
    let mut tokens = Vec::new();
    for (list, kind) in [(ACME_KEYS, KeyKind::Organization), (USER_KEYS, KeyKind::User)] {
        let html = alice.page(list).await;
        tokens.push(Token::parse(&new_token(&html).expect("the page shows the token"), kind));
    }
    let after_shown = files.read(&app).await;
    for token in &tokens {
        assert!(
            holds(&before_shown, &token.public_id),
            "the scan reads the stored keys (it finds the public id {})",
            token.public_id
        );
        for (when, bytes) in [("before", &before_shown), ("after", &after_shown)] {
            assert!(!holds(bytes, &token.full), "the database files hold the token {when} it was shown");
            assert!(!holds(bytes, &token.secret), "the database files hold the secret {when} it was shown");
        }
    }
}
both_databases!(a_token_waiting_for_its_page_is_nowhere_in_the_database_files, at_epoch);

async fn another_person_signing_in_on_the_same_browser_never_sees_the_token(app: TestApp) {
    let mut browser = Browser::signed_in(&app, "Alice").await;
    let response = browser.add_key(USER_KEYS, "Laptop", "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // Bob sits down at the same browser and signs in without Alice signing out.
    browser.sign_in_as(&app, "Bob").await;
    let html = browser.page(USER_KEYS).await;
    assert!(new_token(&html).is_none(), "Bob sees Alice's new token");
    assert_eq!(descriptions(&html), Vec::<String>::new(), "Bob has no keys");
    // Alice comes back: the token was discarded when someone else signed in.
    browser.sign_in_as(&app, "Alice").await;
    let html = browser.page(USER_KEYS).await;
    assert!(new_token(&html).is_none(), "signing in again shows the old token");
    assert_eq!(descriptions(&html), ["Laptop"]);
}
both_databases!(another_person_signing_in_on_the_same_browser_never_sees_the_token, at_epoch);

async fn signing_out_and_in_again_on_the_same_browser_does_not_show_the_token(app: TestApp) {
    let mut browser = Browser::signed_in(&app, "Alice").await;
    let response = browser.add_key(USER_KEYS, "Laptop", "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    browser.sign_out().await;
    browser.sign_in_as(&app, "Alice").await;
    let html = browser.page(USER_KEYS).await;
    assert!(new_token(&html).is_none(), "a new session shows the old token");
    assert_eq!(descriptions(&html), ["Laptop"]);
}
both_databases!(signing_out_and_in_again_on_the_same_browser_does_not_show_the_token, at_epoch);

async fn the_token_needs_the_creating_browsers_cookie(app: TestApp) {
    let alice = Browser::signed_in(&app, "Alice").await;
    let response = alice.add_key(USER_KEYS, "Laptop", "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("monkeyci_new_key="))
        .expect("the key to the sealed token is sent in a cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/settings/api-keys", "Max-Age=600"] {
        assert!(cookie.contains(attribute), "the cookie has {attribute}");
    }
    // The session alone (as a stolen session cookie or a copy of the database
    // would give) cannot open it.
    let session = alice.session_cookie().expect("a session");
    let thief = app.client_with_cookie(&session);
    let html = thief.get(alice.url(USER_KEYS)).send().await.unwrap().text().await.unwrap();
    assert!(new_token(&html).is_none(), "the session without the cookie shows the token");
    assert_eq!(
        flashes(&html),
        ["The new key was created, but its token could not be shown (this browser did not send it \
              back). Revoke that key and create another one."]
    );
    assert_eq!(app.count_sql("SELECT COUNT(*) AS n FROM pending_tokens").await, 0, "the attempt used it up");
    assert!(new_token(&alice.page(USER_KEYS).await).is_none(), "and the real browser does not get it later");
}
both_databases!(the_token_needs_the_creating_browsers_cookie, at_epoch);
