//! A real SMTP server for the mail tests: `tests/fixtures/smtp_sink.py`
//! (aiosmtpd) on a free loopback port, writing each message it receives to a
//! folder of its own; killed when the test drops it. Read what it received
//! with [`SmtpSink::wait_for`] and [`SmtpSink::received`].

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// One received message, as the sink decoded it.
#[derive(Debug, Clone, Deserialize)]
pub struct ReceivedMail {
    /// The envelope's recipients (what the server was asked to deliver to).
    pub rcpt_tos: Vec<String>,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub content_type: String,
    pub text: Option<String>,
    pub html: Option<String>,
    pub raw: String,
}

impl ReceivedMail {
    pub fn text(&self) -> &str {
        self.text.as_deref().expect("a plain-text part")
    }

    pub fn html(&self) -> &str {
        self.html.as_deref().expect("an HTML part")
    }
}

pub struct SmtpSink {
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

/// The python with aiosmtpd: `TEST_SMTP_PYTHON`, else the venv `scripts/test.sh` makes.
fn python() -> PathBuf {
    if let Ok(python) = std::env::var("TEST_SMTP_PYTHON") {
        return python.into();
    }
    let cache = std::env::var("XDG_CACHE_HOME").map_or_else(
        |_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache"),
        PathBuf::from,
    );
    cache.join("monkeyci/smtp-venv/bin/python")
}

/// A loopback port nobody listens on now (for a server that is down, then started there).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `smtp://127.0.0.1:PORT`.
pub fn smtp_url(port: u16) -> String {
    format!("smtp://127.0.0.1:{port}")
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        Self::start_on(free_port())
    }

    /// On `port`, e.g. where an app has been failing to deliver.
    pub fn start_on(port: u16) -> SmtpSink {
        let dir = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/smtp_sink.py");
        let python = python();
        let mut child = Command::new(&python)
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start the SMTP sink with {} ({e}): run scripts/test.sh once", python.display())
            });
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        assert_eq!(
            first.trim(),
            "ready",
            "the SMTP sink did not start (is aiosmtpd installed? run scripts/test.sh once)"
        );
        SmtpSink { port, child, dir }
    }

    pub fn url(&self) -> String {
        smtp_url(self.port)
    }

    /// Every message received so far, in order.
    pub fn received(&self) -> Vec<ReceivedMail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).expect("a message record"))
            .collect()
    }

    /// The messages once at least `count` have arrived (panics after 20 s).
    pub async fn wait_for(&self, count: usize) -> Vec<ReceivedMail> {
        let started = Instant::now();
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "expected {count} messages, received {}",
                received.len()
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What arrived during `quiet`: to check that nothing more (or nothing at all) comes.
    pub async fn received_after(&self, quiet: Duration) -> Vec<ReceivedMail> {
        actix_web::rt::time::sleep(quiet).await;
        self.received()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
