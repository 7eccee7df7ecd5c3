//! `--json`: the server's answers as the API's own types, for scripts.

use monkeyci_accounts::api::model::{CreatedKey, KeyList, OrgList, Whoami};
use monkeyci_accounts::domain::api_key::KeyKind;

use super::*;
use crate::both_databases;

async fn json_output_of_whoami_orgs_and_keys_list_reads_as_the_api_types(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "2027-03-10").await;
    let deploy = team.alice.new_key(ACME_KEYS, "Deploy bot", "").await;
    let machine = Machine::using(&app, &alice);

    let me: Whoami = machine.run(&["whoami", "--json"]).await.json();
    assert_eq!((me.key.id.as_str(), me.key.kind.as_str()), (alice.public_id.as_str(), "user"));
    assert_eq!(me.key.hint, alice.hint());
    assert_eq!(me.key.valid_until.map(|d| d.to_string()).as_deref(), Some("2027-03-10"));
    assert_eq!(me.user.map(|user| user.display_name).as_deref(), Some("Alice"));
    assert_eq!(me.organizations.iter().map(|org| org.slug.as_str()).collect::<Vec<_>>(), ["acme"]);

    let orgs: OrgList = machine.run(&["--json", "orgs"]).await.json();
    assert_eq!(orgs.organizations.len(), 1);
    assert_eq!(orgs.organizations[0].role.as_deref(), Some("admin"));
    assert!(orgs.organizations[0].can_manage_keys);

    let list: KeyList = machine.run(&["keys", "list", "--org", "acme", "--json"]).await.json();
    assert_eq!(list.keys.iter().map(|key| key.id.as_str()).collect::<Vec<_>>(), [deploy.public_id.as_str()]);
    assert_eq!((list.total, list.next_cursor), (1, None));
    assert_eq!(list.keys[0].description, "Deploy bot");
    let raw = machine.run(&["keys", "list", "--org", "acme", "--json"]).await.stdout;
    assert!(!raw.contains("token") && !deploy.leaks_into(&raw), "a list never holds a token");
}
both_databases!(json_output_of_whoami_orgs_and_keys_list_reads_as_the_api_types, at_epoch);

async fn json_output_of_keys_create_and_delete_reads_back(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let machine = Machine::using(&app, &alice);

    let args =
        ["keys", "create", "--user", "--json", "--description", "Script", "--valid-until", "2027-04-01"];
    let created: CreatedKey = machine.run(&args).await.json();
    let token = Token::parse(&created.token, KeyKind::User);
    assert_eq!(created.key.id, token.public_id);
    assert_eq!(created.key.hint, token.hint());
    assert_eq!((created.key.kind.as_str(), created.key.description.as_str()), ("user", "Script"));
    assert_eq!(created.key.valid_until.map(|d| d.to_string()).as_deref(), Some("2027-04-01"));
    assert_eq!(created.key.created_by.map(|user| user.display_name).as_deref(), Some("Alice"));

    let args = ["keys", "create", "--org", "acme", "--json", "--description", "Deploy bot", "--no-expiry"];
    let created: CreatedKey = machine.run(&args).await.json();
    let deploy = Token::parse(&created.token, KeyKind::Organization);
    assert_eq!(created.key.valid_until, None);

    let deleted: serde_json::Value =
        machine.run(&["keys", "delete", &deploy.public_id, "--org", "acme", "--json"]).await.json();
    assert_eq!(deleted, serde_json::json!({ "revoked": deploy.public_id }));
    let deleted: serde_json::Value =
        machine.run(&["--json", "keys", "delete", &token.public_id, "--user"]).await.json();
    assert_eq!(deleted, serde_json::json!({ "revoked": token.public_id }));
    assert!(crate::keys::key_revoked(&app, &deploy.public_id).await);
    assert!(crate::keys::key_revoked(&app, &token.public_id).await);
}
both_databases!(json_output_of_keys_create_and_delete_reads_back, at_epoch);
