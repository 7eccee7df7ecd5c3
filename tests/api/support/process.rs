//! The server binary itself, for what only a real process shows (signals, the
//! log written to stderr): started on a fresh SQLite file with a clean
//! environment, its stderr read line by line, killed if a test leaves it running.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct ServerProcess {
    child: Child,
    lines: mpsc::Receiver<String>,
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `monkeyci-server` listening on a free loopback port, with `env` added.
    pub fn start(env: &[(&str, &str)]) -> ServerProcess {
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_monkeyci-server"));
        command
            .env_clear()
            .env("MONKEYCI_LISTEN", "127.0.0.1:0")
            .env("DATABASE_URL", format!("sqlite://{}/db", dir.path().display()))
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("the server starts");
        let stderr = child.stderr.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        ServerProcess { child, lines, _dir: dir }
    }

    /// The next stderr line for which `wanted` is true; `wanted` sees every line
    /// before it too (to check them all).
    pub fn next_line(&self, mut wanted: impl FnMut(&str) -> bool) -> String {
        loop {
            let line =
                self.lines.recv_timeout(Duration::from_secs(30)).expect("the server logs the awaited line");
            if wanted(&line) {
                return line;
            }
        }
    }

    /// The address from a "… listening on ADDRESS …" line (text or JSON).
    pub fn address_in(line: &str) -> SocketAddr {
        let after = line.split("listening on ").nth(1).expect("a listening line");
        after.split([' ', ',']).next().unwrap().parse().expect("an address")
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill").args(["-s", name, &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Waits for the process to end: its exit code and how long it took.
    pub fn wait_for_exit(&mut self, limit: Duration) -> (Option<i32>, Duration) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.code(), started.elapsed());
            }
            assert!(started.elapsed() < limit, "the server still runs after {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
