//! `MONKEYCI_LOG_FORMAT=json`: the server binary writes one JSON object per
//! line, a request's lines carrying its id.

use std::process::Command;

use serde_json::Value;

use crate::support::ServerProcess;

/// The next stderr line that satisfies `wanted`, parsed; every line before it must be JSON too.
fn next_json_line(server: &ServerProcess, wanted: impl Fn(&Value) -> bool) -> Value {
    let line = server.next_line(|line| {
        let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(value.is_object(), "{line}");
        wanted(&value)
    });
    serde_json::from_str(&line).unwrap()
}

#[actix_web::test]
async fn the_server_logs_json_lines_that_carry_the_request_id() {
    let server = ServerProcess::start(&[("MONKEYCI_LOG_FORMAT", "json")]);
    let listening =
        next_json_line(&server, |v| v["message"].as_str().is_some_and(|m| m.contains("listening on")));
    let address = ServerProcess::address_in(listening["message"].as_str().unwrap());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response =
        client.get(format!("http://{address}/o/acme?secret=1")).send().await.expect("the server answers");
    let request_id = response.headers()["x-request-id"].to_str().unwrap().to_string();

    let served = next_json_line(&server, |v| v["message"] == "served");
    assert_eq!(served["span"]["id"], request_id.as_str(), "{served}");
    assert_eq!(served["span"]["path"], "/o/acme", "the path, not the query: {served}");
    assert_eq!(served["level"], "INFO");
    assert!(served["status"].is_u64(), "{served}");
}

#[test]
fn the_log_format_flag_applies_to_migrate_too() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_monkeyci-server"))
        .env_clear()
        .env("DATABASE_URL", format!("sqlite://{}/db", dir.path().display()))
        .args(["--log-format", "json", "migrate"])
        .output()
        .expect("the server runs");
    assert!(output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<Value> = stderr.lines().map(|l| serde_json::from_str(l).expect(l)).collect();
    assert!(lines.iter().any(|l| l["message"] == "migrations applied" && l["count"].is_u64()), "{stderr}");
}
