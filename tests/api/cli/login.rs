//! `monkeyci login`: the key is checked with `whoami` first; only then is the
//! config file written, privately and atomically, keeping what it does not replace.

use std::os::unix::fs::PermissionsExt;

use monkeyci_accounts::domain::api_key::{KeyKind, generate};

use super::*;
use crate::both_databases;

/// The file's `account` as written.
fn account(machine: &Machine) -> BTreeMap<String, String> {
    let text = machine.config().expect("a config file");
    let file: BTreeMap<String, BTreeMap<String, String>> = serde_yaml_ng::from_str(&text).expect("YAML");
    file.get("account").cloned().unwrap_or_default()
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn entries(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

async fn login_checks_the_key_then_saves_it_with_mode_0600(app: TestApp) {
    let team = Team::new(&app).await;
    let laptop = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    team.alice.new_key(ACME_KEYS, "Deploy bot", "").await;
    let machine = Machine::new();

    let run =
        machine.run(&["login", "--api-key", &laptop.full, "--url", &app.address, "--org", "acme"]).await;
    let path = machine.config_path();
    assert_eq!(
        run.ok(),
        format!(
            "Logged in with the API key {} “Alice laptop” of Alice.\nSaved to {}; `keys` commands use the \
                 organization acme by default.\n",
            laptop.hint(),
            path.display()
        )
    );
    assert!(!laptop.leaks_into(&run.stdout), "login does not print the key");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(
        account(&machine),
        entries(&[("token", &laptop.full), ("url", &app.address), ("org", "acme")])
    );
    let names: Vec<_> =
        std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["config.yaml"], "no temporary file is left behind");

    // From now on the file is enough.
    assert_eq!(fact(machine.run(&["whoami"]).await.ok(), "User").as_deref(), Some("Alice"));
    assert_eq!(rows(machine.run(&["keys", "list"]).await.ok()).len(), 1, "acme's one key");
}
both_databases!(login_checks_the_key_then_saves_it_with_mode_0600, at_epoch);

async fn login_keeps_what_it_does_not_replace_and_an_organization_key_chooses_its_organization(app: TestApp) {
    let team = Team::new(&app).await;
    let old = team.alice.new_key(USER_KEYS, "Old laptop", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let deploy = team.alice.new_key(ACME_KEYS, "Deploy bot", "").await;
    // Without XDG_CONFIG_HOME the file is ~/.config/monkeyci/config.yaml.
    let machine = Machine::new().without("XDG_CONFIG_HOME");
    assert!(machine.config_path().ends_with("home/.config/monkeyci/config.yaml"));
    machine.write_config(&format!("account:\n  token: {}\n  url: {}\n  org: bolt\n", old.full, app.address));
    std::fs::set_permissions(machine.config_path(), std::fs::Permissions::from_mode(0o644)).unwrap();

    let run = machine.run(&["login", "--api-key", &laptop.full]).await;
    assert!(run.ok().contains("`keys` commands use the organization bolt by default"), "{}", run.stdout);
    assert_eq!(
        account(&machine),
        entries(&[("token", &laptop.full), ("url", &app.address), ("org", "bolt")])
    );
    assert_eq!(mode(&machine.config_path()), 0o600, "the new file is private whatever the old one was");

    // An organization key only reaches its organization: login makes it the default.
    let run = machine.run(&["login", "--api-key", &deploy.full]).await;
    assert!(run.ok().starts_with(&format!(
        "Logged in with the API key {} “Deploy bot” of the organization Acme Corp (acme).",
        deploy.hint()
    )));
    assert_eq!(
        account(&machine),
        entries(&[("token", &deploy.full), ("url", &app.address), ("org", "acme")])
    );

    // The key may also come from MONKEYCI_API_KEY, and a URL from MONKEYCI_URL is saved too.
    let machine = Machine::new().with("MONKEYCI_API_KEY", &laptop.full).with("MONKEYCI_URL", &app.address);
    machine.run(&["login"]).await.ok();
    assert_eq!(account(&machine), entries(&[("token", &laptop.full), ("url", &app.address)]));
}
both_databases!(
    login_keeps_what_it_does_not_replace_and_an_organization_key_chooses_its_organization,
    at_epoch
);

async fn login_with_a_refused_key_writes_nothing(app: TestApp) {
    let team = Team::new(&app).await;
    let laptop = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let machine = Machine::new();
    let login = |key: String| {
        let url = app.address.clone();
        let machine = &machine;
        async move { machine.run(&["login", "--api-key", &key, "--url", &url]).await }
    };

    let unknown = generate(KeyKind::User).to_token_string();
    let message = login(unknown.clone()).await.error(3);
    assert!(
        message.ends_with("was not accepted: The API key is not valid: it was deleted, or it never existed."),
        "{message}"
    );
    assert_eq!(machine.config(), None);

    let message = login("mci_usr_notakey".into()).await.error(3);
    assert_eq!(message, "the API key from --api-key is malformed: the key has the wrong length");
    assert_eq!(machine.config(), None);

    let message = machine
        .run(&["login", "--api-key", &laptop.full, "--url", &app.address, "--org", "bolt"])
        .await
        .error(1);
    assert_eq!(
        message,
        format!("the API key {} does not reach the organization bolt: nothing was saved", laptop.hint())
    );
    assert_eq!(machine.config(), None);

    // Standard input is not a terminal here: nobody can be asked, so the message says what to pass.
    let message = machine.run(&["login", "--url", &app.address]).await.error(2);
    assert_eq!(
        message,
        "no API key to log in with: pipe it in with --with-token (`monkeyci login --with-token < key.txt`), \
         pass --api-key <key>, or set MONKEYCI_API_KEY"
    );
    assert_eq!(machine.config(), None);

    // A file already there is left as it was.
    machine.write_config("account:\n  org: acme\n");
    login(unknown).await.error(3);
    let dead = closed_urls::<1>()[0].clone();
    machine.run(&["login", "--api-key", &laptop.full, "--url", &dead]).await.error(1);
    assert_eq!(machine.config().as_deref(), Some("account:\n  org: acme\n"));
}
both_databases!(login_with_a_refused_key_writes_nothing, at_epoch);

async fn login_with_token_reads_the_key_from_standard_input(app: TestApp) {
    let team = Team::new(&app).await;
    let laptop = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let other = team.alice.new_key(USER_KEYS, "Other laptop", "").await;
    // MONKEYCI_API_KEY is set too: the key piped in wins.
    let machine = Machine::new().with("MONKEYCI_API_KEY", &other.full);

    let run = machine
        .run_with_input(
            &["login", "--with-token", "--url", &app.address],
            &format!("  {}\r\nignored\n", laptop.full),
        )
        .await;
    assert!(
        run.ok()
            .starts_with(&format!("Logged in with the API key {} “Alice laptop” of Alice.", laptop.hint()))
    );
    assert!(!laptop.leaks_into(&run.stdout) && !laptop.leaks_into(&run.stderr));
    assert_eq!(account(&machine), entries(&[("token", &laptop.full), ("url", &app.address)]));
    assert_eq!(mode(&machine.config_path()), 0o600);
}
both_databases!(login_with_token_reads_the_key_from_standard_input, at_epoch);

async fn login_with_token_refuses_empty_malformed_or_unknown_input_and_writes_nothing(app: TestApp) {
    let team = Team::new(&app).await;
    let laptop = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    let machine = Machine::new().with("MONKEYCI_URL", &app.address);
    let login = ["login", "--with-token"];

    for empty in ["", "\n", "   \n"] {
        assert_eq!(
            machine.run_with_input(&login, empty).await.error(2),
            "--with-token read no key from standard input: pipe it in, e.g. `monkeyci login --with-token < key.txt`"
        );
    }
    assert_eq!(
        machine.run_with_input(&login, "mci_usr_short\n").await.error(3),
        "the API key from standard input is malformed: the key has the wrong length"
    );
    let unknown = Token::parse(&generate(KeyKind::User).to_token_string(), KeyKind::User);
    let run = machine.run_with_input(&login, &unknown.full).await;
    assert!(
        run.error(3)
            .ends_with("was not accepted: The API key is not valid: it was deleted, or it never existed.")
    );
    assert!(!unknown.leaks_into(&run.stderr));
    let run =
        machine.run_with_input(&["login", "--with-token", "--api-key", &laptop.full], &laptop.full).await;
    assert_eq!(run.error(2), "--with-token reads the key from standard input: leave out --api-key");
    assert_eq!(machine.config(), None, "nothing was written");
}
both_databases!(login_with_token_refuses_empty_malformed_or_unknown_input_and_writes_nothing, at_epoch);
