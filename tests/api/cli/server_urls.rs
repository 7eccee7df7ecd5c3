//! The server's URL as people copy it: the API's own address (`…/api/v1`, with or
//! without a slash) means the server; a bare `host:port` is answered with the full
//! URL to type, naming where it came from, as a usage error.

use super::*;
use crate::both_databases;

async fn the_apis_own_address_is_taken_as_the_servers(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let machine = Machine::new().with("MONKEYCI_API_KEY", &alice.full);
    let user = |run: Run| fact(run.ok(), "User");

    let api = format!("{}/api/v1", app.address);
    assert_eq!(user(machine.run(&["whoami", "--url", &api]).await).as_deref(), Some("Alice"));
    let machine = machine.with("MONKEYCI_URL", &format!("{api}/"));
    assert_eq!(user(machine.run(&["whoami"]).await).as_deref(), Some("Alice"));
    let machine = machine.without("MONKEYCI_URL");
    machine.write_config(&format!("account:\n  url: {api}\n"));
    assert_eq!(user(machine.run(&["whoami"]).await).as_deref(), Some("Alice"));

    // login saves the server's address, not the API's.
    let machine = Machine::new();
    machine.run(&["login", "--api-key", &alice.full, "--url", &format!("{api}/")]).await.ok();
    let saved = machine.config().expect("a config file");
    assert!(saved.contains(&format!("url: {}\n", app.address)), "{saved}");
}
both_databases!(the_apis_own_address_is_taken_as_the_servers, at_epoch);

async fn a_url_without_a_scheme_is_a_usage_error_naming_its_source(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let bare = app.address.strip_prefix("http://").expect("the app's address is http").to_string();
    let expected =
        |source: &str| format!("the server URL from {source} needs a full URL such as http://{bare}");
    let machine = Machine::new().with("MONKEYCI_API_KEY", &alice.full);

    assert_eq!(machine.run(&["whoami", "--url", &bare]).await.error(2), expected("--url"));
    assert_eq!(
        machine.run(&["keys", "list", "--user", "--url", "localhost"]).await.error(2),
        "the server URL from --url needs a full URL such as http://localhost"
    );
    let machine = machine.with("MONKEYCI_URL", &bare);
    assert_eq!(machine.run(&["orgs"]).await.error(2), expected("MONKEYCI_URL"));
    let machine = machine.without("MONKEYCI_URL");
    machine.write_config(&format!("account:\n  url: {bare}\n"));
    let path = machine.config_path().display().to_string();
    assert_eq!(machine.run(&["whoami"]).await.error(2), expected(&path));

    // login refuses it before asking for or saving anything.
    let fresh = Machine::new();
    let run = fresh.run_with_input(&["login", "--with-token", "--url", &bare], &alice.full).await;
    assert_eq!(run.error(2), expected("--url"));
    assert_eq!(fresh.config(), None);
}
both_databases!(a_url_without_a_scheme_is_a_usage_error_naming_its_source, at_epoch);
