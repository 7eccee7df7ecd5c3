//! Many keys created at once: every creation succeeds, and the argon2 work of
//! creating (hashing) and of first uses (verifying) shares one bounded set of slots.

use futures_util::future::{join, join_all};
use reqwest::StatusCode;

use super::*;
use crate::both_databases;

const SLOTS: usize = 2;

async fn many_keys_created_at_once_all_succeed_within_the_argon2_slots(app: TestApp) {
    let team = Team::new(&app).await;
    let org_key = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let api = Api::new(&app, &org_key.full);
    // Keys not used yet: their first use below is an argon2 check.
    let mut fresh = Vec::new();
    for i in 0..4 {
        fresh.push(api.create_key("/api/v1/orgs/acme/keys", &format!("fresh {i}"), None).await.1);
    }

    let creations = (0..24).map(|i| {
        let api = &api;
        async move {
            let body = serde_json::json!({ "description": format!("burst {i}") });
            api.post_json("/api/v1/orgs/acme/keys", body).await
        }
    });
    let first_uses = fresh.iter().map(|token| async { Api::new(&app, &token.full).whoami_status().await });
    let (created, used) = join(join_all(creations), join_all(first_uses)).await;

    let mut tokens = Vec::new();
    for (status, body) in created {
        assert_eq!(status, StatusCode::CREATED, "{body}");
        tokens.push(body["token"].as_str().expect("a token").to_string());
    }
    for (status, code) in used {
        assert_eq!(status, StatusCode::OK, "{code:?}");
    }
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 24, "24 different tokens");
    assert_eq!(key_count(&app).await, 1 + 4 + 24);
    for token in [&tokens[0], &tokens[23]] {
        assert_eq!(Api::new(&app, token).whoami_status().await.0, StatusCode::OK, "a new key works");
    }
    assert!(
        secret_hash(&app, &Token::parse(&tokens[0], KeyKind::Organization).public_id)
            .await
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "stored in the usual PHC format"
    );
    let most = app.argon2.most_running();
    assert_eq!(app.argon2.slots(), SLOTS);
    assert!((1..=SLOTS).contains(&most), "{most} argon2 computations ran at once, with {SLOTS} slots");
    assert!(!app.logs().contains("ERROR"), "{}", app.logs());
}
both_databases!(
    many_keys_created_at_once_all_succeed_within_the_argon2_slots,
    at_epoch,
    with = |options: Options| Options { argon2_slots: Some(SLOTS), ..options }
);
