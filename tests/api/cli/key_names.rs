//! `keys revoke` (or `keys delete`) takes a key as a person has it at hand: the
//! 16-character id, the hint as the keys screen shows it (`mci_org_3fKx…`, or with
//! three dots) when only one key has it, or the whole token, which is never printed.

use super::*;
use crate::both_databases;

async fn a_key_is_deleted_by_its_hint_with_the_ellipsis_or_three_dots(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let deploy = team.alice.new_key(ACME_KEYS, "Deploy bot", "").await;
    let release = team.alice.new_key(ACME_KEYS, "Release bot", "").await;
    let old = team.alice.new_key(USER_KEYS, "Old laptop", "").await;
    let machine = Machine::using(&app, &alice);
    assert_ne!(
        deploy.public_id[..4],
        release.public_id[..4],
        "two hints that differ (a 1 in 14 million draw)"
    );

    let run = machine.run(&["keys", "delete", &deploy.hint(), "--org", "acme"]).await;
    assert_eq!(run.ok(), format!("Revoked key {} “Deploy bot”: it no longer works.\n", deploy.hint()));
    assert!(key_revoked(&app, &deploy.public_id).await);
    assert!(key_exists(&app, &release.public_id).await, "the other key stays");

    let dots = release.hint().replace('…', "...");
    let run = machine.run(&["keys", "revoke", &dots, "--org", "acme"]).await;
    assert_eq!(
        run.ok(),
        format!("Revoked key {} “Release bot”: it no longer works.\n", release.hint()),
        "delete is revoke"
    );
    assert!(key_revoked(&app, &release.public_id).await);

    let run = machine.run(&["keys", "delete", &old.hint(), "--user"]).await;
    assert_eq!(run.ok(), format!("Revoked key {} “Old laptop”: it no longer works.\n", old.hint()));
    assert!(key_exists(&app, &alice.public_id).await);
}
both_databases!(a_key_is_deleted_by_its_hint_with_the_ellipsis_or_three_dots, at_epoch);

async fn a_key_is_deleted_by_its_whole_token_which_is_never_printed(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let deploy = team.alice.new_key(ACME_KEYS, "Deploy bot", "").await;
    let machine = Machine::using(&app, &alice);

    let run = machine.run(&["keys", "delete", &deploy.full, "--org", "acme"]).await;
    assert_eq!(run.ok(), format!("Revoked key {} “Deploy bot”: it no longer works.\n", deploy.hint()));
    assert!(!deploy.leaks_into(&run.stdout));
    assert!(key_revoked(&app, &deploy.public_id).await);
    let run = machine.run(&["--json", "keys", "delete", &deploy.full, "--org", "acme"]).await;
    assert_eq!(
        run.json::<serde_json::Value>(),
        serde_json::json!({ "revoked": deploy.public_id }),
        "already revoked: nothing changes"
    );
    assert!(!deploy.leaks_into(&run.stdout));
}
both_databases!(a_key_is_deleted_by_its_whole_token_which_is_never_printed, at_epoch);

async fn a_hint_that_several_keys_share_lists_their_ids_and_deletes_nothing(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    // Their ids are B{org}Bulkkey00001 and B{org}Bulkkey00002: one hint for both.
    insert_org_keys(&app, "acme", team.alice.id, 2).await;
    let org = org_id(&app, "acme").await;
    let [first, second] = [1, 2].map(|n| format!("B{org:03}Bulkkey{n:05}"));
    let hint = format!("mci_org_B{org:03}…");
    let machine = Machine::using(&app, &alice);

    let message = machine.run(&["keys", "delete", &hint, "--org", "acme"]).await.error(2);
    assert_eq!(
        message,
        format!(
            "the hint {hint} matches 2 of the organization acme's keys ({first}, {second}): \
             pass the 16-character id instead"
        )
    );
    assert!(!key_revoked(&app, &first).await && !key_revoked(&app, &second).await);

    // The whole id still works.
    machine.run(&["keys", "delete", &second, "--org", "acme"]).await.ok();
    assert!(!key_revoked(&app, &first).await && key_revoked(&app, &second).await);
}
both_databases!(a_hint_that_several_keys_share_lists_their_ids_and_deletes_nothing, at_epoch);

async fn a_hint_of_no_key_or_of_the_other_kind_says_so(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let bolt = team.bob.new_key(crate::keys::BOLT_KEYS, "Bolt bot", "").await;
    let machine = Machine::using(&app, &alice);

    // Acme has no organization key, so Bolt's hint matches none.
    let message = machine.run(&["keys", "delete", &bolt.hint(), "--org", "acme"]).await.error(1);
    assert_eq!(
        message,
        format!(
            "none of the organization acme's keys has the hint {}: see `monkeyci keys list --org acme`",
            bolt.hint()
        )
    );
    assert!(key_exists(&app, &bolt.public_id).await);

    let message = machine.run(&["keys", "delete", &alice.hint(), "--org", "acme"]).await.error(2);
    assert_eq!(message, "that is a user key (mci_usr_…), not one of the organization acme: pass --user");
    let message = machine.run(&["keys", "delete", &bolt.full, "--user"]).await.error(2);
    assert_eq!(
        message,
        "that is an organization key (mci_org_…), not one of your user keys: pass --org SLUG"
    );
    assert!(key_exists(&app, &alice.public_id).await && key_exists(&app, &bolt.public_id).await);

    let unnamed = "name the key by its 16-character id, its hint as `monkeyci keys list` and the keys screen \
                   show it (mci_org_3fKx…), or the whole key";
    for bad in ["nope", "mci_org_3fKx", &alice.full[..40]] {
        let run = machine.run(&["keys", "delete", bad, "--user"]).await;
        assert_eq!(run.error(2), unnamed, "{bad}");
    }
}
both_databases!(a_hint_of_no_key_or_of_the_other_kind_says_so, at_epoch);
