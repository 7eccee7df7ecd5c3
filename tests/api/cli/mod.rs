//! The `monkeyci` command-line client, run as a real process against the real
//! server (SPEC §6).
//!
//! Each run happens on a [`Machine`] of its own: an empty environment (no
//! `MONKEYCI_*`, no proxies) with `HOME` and `XDG_CONFIG_HOME` in a temporary
//! directory, so the real config file is never read or written. The process runs
//! on a blocking thread while the server keeps serving on the test's runtime.
//!
//! The people are the [`Team`] of `support::people`: Alice (admin of Acme Corp), Mia
//! (member of Acme Corp), Bob (admin of Bolt Labs) and Olga (no organization),
//! on an app whose clock stands still at 28 Feb 2027, 12:00 UTC
//! (`both_databases!(name, at_epoch)`).

mod commands;
mod failures;
mod json;
mod key_names;
mod login;
mod permissions;
mod precedence;
mod server_urls;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use monkeyci_accounts::auth::key_hash::hash_secret;
use serde::de::DeserializeOwned;

pub use crate::keys::{
    ACME_KEYS, Team, Token, USER_KEYS, execute, insert_key_rows, join, key_exists, key_revoked, org_id,
    quoted,
};
pub use crate::support::TestApp;

/// One person's computer: an empty environment with its own home directory.
pub struct Machine {
    dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
}

impl Machine {
    /// `HOME` and `XDG_CONFIG_HOME` in a fresh directory; nothing else set.
    pub fn new() -> Machine {
        let dir = tempfile::tempdir().expect("a temporary home");
        let mut env = BTreeMap::new();
        env.insert("HOME".to_string(), dir.path().join("home").to_string_lossy().into_owned());
        env.insert("XDG_CONFIG_HOME".to_string(), dir.path().join("xdg").to_string_lossy().into_owned());
        Machine { dir, env }
    }

    /// A machine with `MONKEYCI_URL` pointing at the app and `MONKEYCI_API_KEY` set.
    pub fn using(app: &TestApp, key: &Token) -> Machine {
        Machine::new().with("MONKEYCI_URL", &app.address).with("MONKEYCI_API_KEY", &key.full)
    }

    pub fn with(mut self, name: &str, value: &str) -> Machine {
        self.env.insert(name.to_string(), value.to_string());
        self
    }

    pub fn without(mut self, name: &str) -> Machine {
        self.env.remove(name);
        self
    }

    /// Where the client keeps its config file on this machine.
    pub fn config_path(&self) -> PathBuf {
        match self.env.get("XDG_CONFIG_HOME") {
            Some(xdg) => PathBuf::from(xdg).join("monkeyci/config.yaml"),
            None => self.dir.path().join("home/.config/monkeyci/config.yaml"),
        }
    }

    pub fn write_config(&self, yaml: &str) {
        let path = self.config_path();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, yaml).unwrap();
    }

    /// The config file's text, if there is one.
    pub fn config(&self) -> Option<String> {
        std::fs::read_to_string(self.config_path()).ok()
    }

    /// Runs `monkeyci` with these arguments and this machine's environment only;
    /// standard input is empty and not a terminal.
    pub async fn run(&self, args: &[&str]) -> Run {
        self.run_with_input(args, "").await
    }

    /// Runs `monkeyci` with `input` piped to its standard input.
    pub async fn run_with_input(&self, args: &[&str], input: &str) -> Run {
        let mut command = assert_cmd::Command::cargo_bin("monkeyci").expect("the monkeyci binary is built");
        command.env_clear().envs(&self.env).args(args).timeout(Duration::from_mins(1));
        command.write_stdin(input.as_bytes().to_vec());
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("the run finishes")
            .expect("monkeyci starts");
        Run {
            code: output.status.code().expect("monkeyci exits by itself"),
            stdout: String::from_utf8(output.stdout).expect("UTF-8 output"),
            stderr: String::from_utf8(output.stderr).expect("UTF-8 errors"),
        }
    }
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Checks that the run succeeded quietly and returns its output.
    pub fn ok(&self) -> &str {
        assert_eq!(
            (self.code, self.stderr.as_str()),
            (0, ""),
            "monkeyci succeeds; it printed {:?}",
            self.stdout
        );
        &self.stdout
    }

    /// Checks that the run failed with `code` and one `error: …` line on stderr,
    /// nothing on stdout, and returns what follows `error: `.
    pub fn error(&self, code: i32) -> String {
        assert_eq!(self.code, code, "exit code; stderr: {}", self.stderr);
        assert_eq!(self.stdout, "", "nothing on stdout");
        assert_eq!(self.stderr.lines().count(), 1, "one line on stderr: {:?}", self.stderr);
        self.stderr.trim_end().strip_prefix("error: ").expect("the line starts with `error: `").to_string()
    }

    /// The output read as one of the API's types.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// The rows of a table (after its header line), cells split at runs of two spaces.
pub fn rows(table: &str) -> Vec<Vec<String>> {
    table.lines().skip(1).map(cells).collect()
}

/// The header of a table.
pub fn header(table: &str) -> Vec<String> {
    table.lines().next().map(cells).unwrap_or_default()
}

fn cells(line: &str) -> Vec<String> {
    line.split("  ").map(str::trim).filter(|cell| !cell.is_empty()).map(str::to_string).collect()
}

/// The value of a `Label  value` line (whoami's facts).
pub fn fact(text: &str, label: &str) -> Option<String> {
    text.lines().map(cells).find(|cells| cells.len() == 2 && cells[0] == label).map(|cells| cells[1].clone())
}

/// `N` different URLs where nothing listens: ports that were just free.
pub fn closed_urls<const N: usize>() -> [String; N] {
    let listeners: Vec<_> = (0..N).map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    std::array::from_fn(|i| format!("http://127.0.0.1:{}", listeners[i].local_addr().unwrap().port()))
}

/// Inserts the organization keys `Bulk 001` to `Bulk {count}`, oldest first, made
/// by `creator` (a form POST per key would cost an argon2 hash each).
pub async fn insert_org_keys(app: &TestApp, slug: &str, creator: i32, count: usize) {
    let phc = hash_secret("not a real secret").unwrap();
    let org = org_id(app, slug).await;
    let values: Vec<String> = (1..=count)
        .map(|n| {
            format!(
                "('B{org:03}Bulkkey{n:05}', 'org', {org}, NULL, {}, 'Bulk {n:03}', NULL, '2027-02-28 12:00:00', {creator})",
                quoted(&phc)
            )
        })
        .collect();
    insert_key_rows(app, &values).await;
}
