//! Choosing what a key may do from the command line: `keys create --scope` or
//! `--preset`, `--reach-org` (user keys) and `--allowed-network`; `keys show`
//! and `keys list` say what each key may do; a refusal for a missing
//! permission is the server's sentence naming it.

use monkeyci_accounts::api::model::{ApiKeyInfo, CreatedKey};
use monkeyci_accounts::domain::api_key::KeyKind;

use super::*;
use crate::both_databases;
use crate::rest::permissions::{FULL_ACCESS, READ_ONLY, RUN_BUILDS, set_scope};

async fn keys_create_takes_a_scope_or_a_preset_a_reach_and_networks(app: TestApp) {
    let team = Team::new(&app).await;
    team.alice.create_org("Alpha", "alpha").await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    set_scope(&app, &alice, FULL_ACCESS).await;
    let machine = Machine::using(&app, &alice);

    let created: CreatedKey = machine
        .run(&["--json", "keys", "create", "--org", "acme", "--description", "Default", "--no-expiry"])
        .await
        .json();
    assert_eq!(created.key.scope, RUN_BUILDS, "the server's default");
    let created: CreatedKey = machine
        .run(&[
            "--json",
            "keys",
            "create",
            "--org",
            "acme",
            "--description",
            "Reader",
            "--preset",
            "read_only",
        ])
        .await
        .json();
    assert_eq!(created.key.scope, READ_ONLY);
    let args = [
        "keys",
        "create",
        "--user",
        "--description",
        "Deploys",
        "--scope",
        "builds:write repos:read",
        "--reach-org",
        "alpha",
        "--reach-org",
        "acme",
        "--allowed-network",
        "203.0.113.0/24",
        "--allowed-network",
        "2001:db8::/32",
    ];
    let run = machine.run(&args).await;
    let lines: Vec<&str> = run.ok().lines().collect();
    let token = Token::parse(lines[2].trim(), KeyKind::User);
    assert_eq!(
        lines[5],
        "Permissions: Custom: read repositories, start builds; reaches acme, alpha; \
         only from 203.0.113.0/24, 2001:db8::/32."
    );

    // `keys show`, by id or by hint.
    let text = machine.run(&["keys", "show", &token.public_id, "--user"]).await.ok().to_string();
    assert_eq!(fact(&text, "Key"), Some(format!("{} “Deploys” (user key)", token.hint())));
    assert_eq!(fact(&text, "Permissions").as_deref(), Some("Custom: read repositories, start builds"));
    assert_eq!(fact(&text, "Reaches").as_deref(), Some("acme, alpha"));
    assert_eq!(fact(&text, "Networks").as_deref(), Some("203.0.113.0/24, 2001:db8::/32"));
    assert!(fact(&text, "Valid until").is_some_and(|date| date != "never"), "90 days by default: {text}");
    let shown: ApiKeyInfo = machine.run(&["--json", "keys", "show", &token.hint(), "--user"]).await.json();
    assert_eq!(shown.orgs, Some(vec!["acme".to_string(), "alpha".to_string()]));
    assert_eq!(shown.allowed_networks, Some(vec!["203.0.113.0/24".to_string(), "2001:db8::/32".to_string()]));

    // `keys list --user` has a column for the reach.
    let listed = rows(machine.run(&["keys", "list", "--user"]).await.ok());
    let row = listed.iter().find(|row| row[0] == token.public_id).expect("the new key's row");
    assert_eq!(
        row[1..5],
        ["Deploys", "repos:read builds:write", "acme, alpha", "203.0.113.0/24, 2001:db8::/32"]
    );
}
both_databases!(keys_create_takes_a_scope_or_a_preset_a_reach_and_networks, at_epoch);

async fn bad_choices_are_usage_errors_or_the_servers_sentence(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    set_scope(&app, &alice, FULL_ACCESS).await;
    let machine = Machine::using(&app, &alice);
    let create = |extra: &[&str]| {
        let mut args = vec!["keys", "create", "--description", "x", "--no-expiry"];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| {
        let machine = &machine;
        async move { machine.run(&args.iter().map(String::as_str).collect::<Vec<_>>()).await }
    };

    for (args, says) in [
        (&["--user", "--scope", "builds:admin"][..], "`admin` is not a level: use read or write"),
        (&["--user", "--preset", "custom"], "expected run_builds, read_only or full_access"),
        (&["--user", "--preset", "read_only", "--scope", "org:read"], "cannot be used with"),
    ] {
        let usage = run(create(args)).await;
        assert_eq!(usage.code, 2, "{args:?}: {}", usage.stderr);
        assert!(usage.stderr.contains(says), "{args:?}: {}", usage.stderr);
    }
    let message = run(create(&["--org", "acme", "--reach-org", "acme"])).await.error(2);
    assert_eq!(
        message,
        "--reach-org is for user keys (--user): an organization key reaches its own organization only"
    );
    let message = run(create(&["--user", "--reach-org", "bolt"])).await.error(1);
    assert!(message.contains("orgs: You are not a member of “bolt”"), "{message}");
    let message = run(create(&["--user", "--allowed-network", "intranet"])).await.error(1);
    assert!(message.contains("allowed_networks: `intranet` is not a network"), "{message}");

    // A key without the permission: the server's sentence, naming it.
    let runner = team.alice.new_key(USER_KEYS, "Runner", "").await;
    set_scope(&app, &runner, RUN_BUILDS).await;
    let message = Machine::using(&app, &runner).run(&["keys", "list", "--org", "acme"]).await.error(1);
    assert!(message.starts_with("This key lacks keys:read (read API keys)."), "{message}");
    // Without org:read, `keys create --org` still works: the default date is 90 days.
    let maker = team.alice.new_key(USER_KEYS, "Key maker", "").await;
    set_scope(&app, &maker, "keys:write repos:read builds:write params:read").await;
    let run =
        Machine::using(&app, &maker).run(&["keys", "create", "--org", "acme", "--description", "CI"]).await;
    assert!(run.ok().starts_with("Created the API key mci_org_"), "{}", run.stderr);
}
both_databases!(bad_choices_are_usage_errors_or_the_servers_sentence, at_epoch);
