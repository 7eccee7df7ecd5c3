//! Every failure is one `error: …` line on stderr and an exit code: 2 for usage
//! (a missing key included), 3 when the key is refused (locally or by the
//! server), 1 for everything else. No message ever holds a whole token.

use monkeyci_accounts::domain::api_key::{KeyKind, generate};

use super::*;
use crate::both_databases;
use crate::keys::{key_count, set_clock};

const NOT_VALID: &str = "The API key is not valid: it was deleted, or it never existed.";

async fn a_missing_key_is_a_usage_error(app: TestApp) {
    let machine = Machine::new().with("MONKEYCI_URL", &app.address);
    let expected = "no API key: pass --api-key, set MONKEYCI_API_KEY, or run `monkeyci login`";
    assert_eq!(machine.run(&["whoami"]).await.error(2), expected);
    assert_eq!(machine.run(&["keys", "list", "--org", "acme"]).await.error(2), expected);
    let machine = machine.with("MONKEYCI_API_KEY", " ");
    machine.write_config("account:\n  org: acme\n");
    assert_eq!(machine.run(&["orgs"]).await.error(2), expected);
}
both_databases!(a_missing_key_is_a_usage_error, at_epoch);

async fn a_revoked_key_is_refused_with_its_hint_and_the_servers_message(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let deploy = team.alice.new_key(ACME_KEYS, "Deploy bot", "").await;
    Machine::using(&app, &alice).run(&["keys", "revoke", &deploy.public_id, "--org", "acme"]).await.ok();

    let run = Machine::using(&app, &deploy).run(&["keys", "list", "--org", "acme"]).await;
    assert_eq!(
        run.error(3),
        format!(
            "the API key {} was not accepted: The API key was revoked (by a person) at 28 Feb 2027 12:00 UTC. \
             Create a new key.",
            deploy.hint()
        )
    );
    assert!(!deploy.leaks_into(&run.stderr));

    // A well-formed key that never existed reads the same.
    let never = Token::parse(&generate(KeyKind::User).to_token_string(), KeyKind::User);
    let run = Machine::using(&app, &never).run(&["whoami"]).await;
    assert_eq!(run.error(3), format!("the API key {} was not accepted: {NOT_VALID}", never.hint()));
    assert!(!never.leaks_into(&run.stderr));
}
both_databases!(a_revoked_key_is_refused_with_its_hint_and_the_servers_message, at_epoch);

async fn an_expired_key_is_refused_with_the_servers_message(app: TestApp) {
    let team = Team::new(&app).await;
    let laptop = team.alice.new_key(USER_KEYS, "Alice laptop", "2027-03-01").await;
    let machine = Machine::using(&app, &laptop);
    machine.run(&["whoami"]).await.ok();

    set_clock(&app, chrono::DateTime::parse_from_rfc3339("2027-03-01T00:00:00Z").unwrap().to_utc());
    let run = machine.run(&["whoami"]).await;
    assert_eq!(
        run.error(3),
        format!(
            "the API key {} was not accepted: The API key expired: it was usable until the end of 28 Feb 2027 UTC. \
                 Create a new key.",
            laptop.hint()
        )
    );
    assert!(!laptop.leaks_into(&run.stderr));
}
both_databases!(an_expired_key_is_refused_with_the_servers_message, at_epoch);

async fn a_member_without_admin_rights_gets_the_servers_403_message(app: TestApp) {
    let team = Team::new(&app).await;
    let mia = team.mia.new_key(USER_KEYS, "Mia laptop", "").await;
    let machine = Machine::using(&app, &mia);
    let forbidden = "Managing the API keys of Acme Corp needs the admin role; you are a member.";
    assert_eq!(machine.run(&["keys", "list", "--org", "acme"]).await.error(1), forbidden);
    let before = key_count(&app).await;
    assert_eq!(
        machine.run(&["keys", "create", "--org", "acme", "--description", "Mine"]).await.error(1),
        forbidden
    );
    assert_eq!(key_count(&app).await, before, "nothing was created");

    // An organization key has no user keys.
    let deploy = team.alice.new_key(ACME_KEYS, "Deploy bot", "").await;
    assert_eq!(
        Machine::using(&app, &deploy).run(&["keys", "list", "--user"]).await.error(1),
        "These endpoints manage a person's own keys: call them with a user key (mci_usr_…)."
    );
}
both_databases!(a_member_without_admin_rights_gets_the_servers_403_message, at_epoch);

async fn an_organization_or_key_out_of_reach_gets_the_servers_404_message(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let bolt = team.bob.new_key(crate::keys::BOLT_KEYS, "Bolt bot", "").await;
    let machine = Machine::using(&app, &alice);
    let not_found = "Not found, or not within this key's reach.";
    assert_eq!(machine.run(&["keys", "list", "--org", "nope"]).await.error(1), not_found);
    assert_eq!(machine.run(&["keys", "list", "--org", "bolt"]).await.error(1), not_found, "not a member");
    assert_eq!(
        machine.run(&["keys", "delete", "0000000000000000", "--org", "acme"]).await.error(1),
        not_found
    );
    assert_eq!(machine.run(&["keys", "delete", &bolt.public_id, "--org", "acme"]).await.error(1), not_found);
    assert!(key_exists(&app, &bolt.public_id).await, "another organization's key stays");
}
both_databases!(an_organization_or_key_out_of_reach_gets_the_servers_404_message, at_epoch);

async fn an_invalid_description_or_date_gets_the_servers_422_message_with_the_field(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let machine = Machine::using(&app, &alice);
    let before = key_count(&app).await;

    let message = machine.run(&["keys", "create", "--org", "acme", "--description", ""]).await.error(1);
    assert!(message.contains("description: Describe what the key is for."), "{message}");
    let args = ["keys", "create", "--user", "--description", "Late", "--valid-until", "2027-02-28"];
    let message = machine.run(&args).await.error(1);
    assert!(message.contains("valid_until: Choose a date after today (28 Feb 2027)."), "{message}");
    assert_eq!(key_count(&app).await, before, "nothing was created");
}
both_databases!(an_invalid_description_or_date_gets_the_servers_422_message_with_the_field, at_epoch);

async fn an_unreachable_server_is_named_with_the_cause(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let [dead] = closed_urls::<1>();
    let run = Machine::using(&app, &alice).with("MONKEYCI_URL", &dead).run(&["orgs"]).await;
    let message = run.error(1);
    let cause = message
        .strip_prefix(&format!("cannot reach the MonkeyCI server at {dead}: "))
        .unwrap_or_else(|| panic!("names the server: {message}"));
    assert!(cause.to_lowercase().contains("connection refused"), "{cause}");
    assert!(!alice.leaks_into(&run.stderr));
}
both_databases!(an_unreachable_server_is_named_with_the_cause, at_epoch);

async fn usage_errors_exit_with_2_before_any_request(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let machine = Machine::using(&app, &alice);
    for args in [
        &[][..],
        &["keys", "list", "--org", "acme", "--user"],
        &["keys", "create", "--user", "--description", "x", "--valid-until", "next week"],
        &["keys", "create", "--user"],
        &["whoami", "--no-such-flag"],
    ] {
        let run = machine.run(args).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("error") || run.stderr.contains("Usage"), "{args:?}: {}", run.stderr);
    }
    let unnamed = "name the key by its 16-character id, its hint as `monkeyci keys list` and the keys screen \
                   show it (mci_org_3fKx…), or the whole key";
    assert_eq!(machine.run(&["keys", "delete", "nope", "--user"]).await.error(2), unnamed);
    let run = machine.run(&["keys", "delete", &alice.full[..61], "--user"]).await;
    assert_eq!(run.error(2), unnamed, "a key without its last character");
    assert!(!run.stderr.contains(&alice.secret));
    let message = machine.run(&["keys", "list", "--org", "Acme Corp"]).await.error(2);
    assert!(message.starts_with("the organization “Acme Corp” from --org is not valid: "), "{message}");
    assert!(key_exists(&app, &alice.public_id).await);
}
both_databases!(usage_errors_exit_with_2_before_any_request, at_epoch);

/// Needs no server and no database: the key is refused before anything is sent.
#[actix_web::test]
async fn a_malformed_key_is_refused_before_any_request_naming_where_it_came_from() {
    // Nothing listens there: a request would fail with "cannot reach".
    let [dead] = closed_urls::<1>();
    let good = generate(KeyKind::Organization).to_token_string();
    let other = if &good[30..31] == "x" { "y" } else { "x" };
    let typo = format!("{}{other}{}", &good[..30], &good[31..]);
    let machine = Machine::new().with("MONKEYCI_URL", &dead).with("MONKEYCI_API_KEY", &typo);

    let run = machine.run(&["whoami", "--api-key", "mci_org_tooshort"]).await;
    assert_eq!(run.error(3), "the API key from --api-key is malformed: the key has the wrong length");
    let run = machine.run(&["whoami"]).await;
    assert_eq!(
        run.error(3),
        "the API key from MONKEYCI_API_KEY is malformed: the key's checksum does not match (a typo, or a truncated key)"
    );
    assert!(!run.stderr.contains(&typo[24..]), "the key is not printed");
    let machine = machine.without("MONKEYCI_API_KEY");
    machine.write_config("account:\n  token: ghp_0123456789abcdef\n");
    let run = machine.run(&["keys", "list", "--user"]).await;
    assert_eq!(
        run.error(3),
        format!(
            "the API key from {} is malformed: the key does not start with mci_org_ or mci_usr_",
            machine.config_path().display()
        )
    );
}
