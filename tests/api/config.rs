use std::process::Command;

use monkeyci_accounts::config::{DatabaseTarget, Settings};
use monkeyci_accounts::startup::Application;

#[actix_web::test]
async fn development_sign_in_is_refused_on_a_public_address() {
    let dir = tempfile::tempdir().unwrap();
    let target = DatabaseTarget::Sqlite { path: dir.path().join("db").to_string_lossy().into_owned() };
    let settings = Settings::new(vec!["0.0.0.0:0".parse().unwrap()], target);
    let error = Application::build(settings).await.err().expect("the app refuses to start");
    assert!(error.to_string().contains("loopback"), "{error}");
}

#[test]
fn the_server_binary_exits_with_a_clear_message_on_a_public_address() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_monkeyci-server"))
        .env_clear()
        .env("MONKEYCI_LISTEN", "0.0.0.0:0")
        .env("DATABASE_URL", format!("sqlite://{}/db", dir.path().display()))
        .output()
        .expect("the server runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("development sign-in is only allowed"), "{stderr}");
    assert!(stderr.contains("0.0.0.0"), "{stderr}");
}

#[test]
fn the_server_binary_reports_an_unreachable_database() {
    let output = Command::new(env!("CARGO_BIN_EXE_monkeyci-server"))
        .env_clear()
        .env("MONKEYCI_LISTEN", "127.0.0.1:0")
        .env("DATABASE_URL", "postgres://nobody:secret-password@127.0.0.1:1/none")
        .output()
        .expect("the server runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    assert!(!stderr.contains("secret-password"), "{stderr}");
}
