//! Where the key and the server come from: `--api-key`/`--url` beat
//! `MONKEYCI_API_KEY`/`MONKEYCI_URL`, which beat the config file.

use super::*;
use crate::both_databases;

async fn the_key_flag_beats_the_environment_which_beats_the_config_file(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let bob = team.bob.new_key(USER_KEYS, "Bob laptop", "").await;
    let mia = team.mia.new_key(USER_KEYS, "Mia laptop", "").await;
    let machine = Machine::new().with("MONKEYCI_URL", &app.address).with("MONKEYCI_API_KEY", &bob.full);
    machine.write_config(&format!("account:\n  token: {}\n", mia.full));
    let user = |run: Run| fact(run.ok(), "User");

    assert_eq!(user(machine.run(&["whoami", "--api-key", &alice.full]).await).as_deref(), Some("Alice"));
    assert_eq!(user(machine.run(&["whoami"]).await).as_deref(), Some("Bob"));
    let machine = machine.without("MONKEYCI_API_KEY");
    assert_eq!(user(machine.run(&["whoami"]).await).as_deref(), Some("Mia"));
    // A blank variable is no key: the file's is used.
    let machine = machine.with("MONKEYCI_API_KEY", "");
    assert_eq!(user(machine.run(&["whoami"]).await).as_deref(), Some("Mia"));
}
both_databases!(the_key_flag_beats_the_environment_which_beats_the_config_file, at_epoch);

async fn the_url_flag_beats_the_environment_which_beats_the_config_file(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let [env_url, file_url] = closed_urls::<2>();
    let machine = Machine::new().with("MONKEYCI_API_KEY", &alice.full).with("MONKEYCI_URL", &env_url);
    machine.write_config(&format!("account:\n  url: {file_url}\n"));
    let unreachable = |run: Run| {
        let message = run.error(1);
        let url =
            message.strip_prefix("cannot reach the MonkeyCI server at ").expect("cannot reach").to_string();
        url.split(": ").next().unwrap().to_string()
    };

    assert_eq!(
        fact(machine.run(&["whoami", "--url", &app.address]).await.ok(), "User").as_deref(),
        Some("Alice")
    );
    assert_eq!(unreachable(machine.run(&["whoami"]).await), env_url);
    let machine = machine.without("MONKEYCI_URL");
    assert_eq!(unreachable(machine.run(&["whoami"]).await), file_url);
    machine.write_config(&format!("account:\n  url: {}/\n", app.address));
    assert_eq!(fact(machine.run(&["whoami"]).await.ok(), "User").as_deref(), Some("Alice"));
}
both_databases!(the_url_flag_beats_the_environment_which_beats_the_config_file, at_epoch);
