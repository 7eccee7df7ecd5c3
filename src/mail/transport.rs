//! Where mail goes: `MONKEYCI_SMTP_URL` checked at start, and the lettre
//! transport built from it. The URL may hold a password, so it is kept as a
//! secret and never printed, not even in an error.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// How long one conversation with the SMTP server may take before it counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// A checked `smtp://host:port` or `smtps://user:pass@host:port`.
#[derive(Clone)]
pub struct SmtpUrl(SecretString);

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpUrl(<hidden>)")
    }
}

/// Why `MONKEYCI_SMTP_URL` was refused; names the variable, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpUrlError {
    #[error("MONKEYCI_SMTP_URL must be smtp://host:port or smtps://user:password@host:port")]
    Malformed,
    #[error("MONKEYCI_SMTP_URL: the SMTP settings were refused by the mail library ({0})")]
    Refused(String),
}

impl SmtpUrl {
    pub fn parse(raw: &str) -> Result<SmtpUrl, SmtpUrlError> {
        let url = Url::parse(raw.trim()).map_err(|_| SmtpUrlError::Malformed)?;
        if !matches!(url.scheme(), "smtp" | "smtps") || url.host_str().is_none_or(str::is_empty) {
            return Err(SmtpUrlError::Malformed);
        }
        let checked = SmtpUrl(SecretString::from(raw.trim().to_string()));
        // lettre reads the URL itself (TLS mode, credentials): let it refuse now, not at the first send.
        checked.builder()?;
        Ok(checked)
    }

    fn builder(&self) -> Result<AsyncSmtpTransportBuilder, SmtpUrlError> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(self.0.expose_secret())
            // lettre's error may quote the URL: say only what kind of error it was.
            .map_err(|e| SmtpUrlError::Refused(kind_of(&e)))
    }

    /// The pooled transport (connections reused between mails). Call it inside
    /// the async runtime: the pool starts a task of its own.
    pub fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, SmtpUrlError> {
        Ok(self.builder()?.timeout(Some(SMTP_TIMEOUT)).build())
    }
}

fn kind_of(error: &lettre::transport::smtp::Error) -> String {
    if error.is_tls() {
        "TLS set-up".into()
    } else if error.is_client() {
        "bad settings".into()
    } else {
        "unusable URL".into()
    }
}

/// Why `MONKEYCI_MAIL_FROM` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("MONKEYCI_MAIL_FROM: `{0}` is not an address like `MonkeyCI <noreply@example.com>`")]
pub struct MailFromError(pub String);

/// The sender: `MONKEYCI_MAIL_FROM`, checked.
pub fn parse_from(raw: &str) -> Result<Mailbox, MailFromError> {
    raw.trim().parse().map_err(|_| MailFromError(raw.to_string()))
}

/// `MonkeyCI <noreply@HOST>` for the host people reach the server at.
pub fn default_from(public_url: &Url) -> Mailbox {
    let host = public_url.host_str().unwrap_or("localhost").trim_matches(['[', ']']);
    // An IP address is no mail domain; `localhost` stands in for it.
    let domain = if host.parse::<std::net::IpAddr>().is_ok() { "localhost" } else { host };
    format!("MonkeyCI <noreply@{domain}>")
        .parse()
        .unwrap_or_else(|_| "MonkeyCI <noreply@localhost>".parse().expect("a valid address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_and_smtps_urls_are_accepted_and_never_printed() {
        for raw in ["smtp://127.0.0.1:2525", "smtps://mailer:hunter2@mail.example.com:465"] {
            let url = SmtpUrl::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert!(!format!("{url:?}").contains("hunter2"));
        }
    }

    #[test]
    fn other_urls_are_refused_without_echoing_them() {
        for raw in ["http://mail.example.com", "mail.example.com:25", "smtps://user:hunter2@", ""] {
            let error = SmtpUrl::parse(raw).unwrap_err();
            assert!(!error.to_string().contains("hunter2"), "{error}");
            assert!(error.to_string().starts_with("MONKEYCI_SMTP_URL"), "{error}");
        }
    }

    #[test]
    fn the_default_sender_is_noreply_at_the_public_host() {
        let from = default_from(&Url::parse("https://accounts.example.com").unwrap());
        assert_eq!(from.to_string(), "MonkeyCI <noreply@accounts.example.com>");
        let from = default_from(&Url::parse("http://127.0.0.1:8080").unwrap());
        assert_eq!(from.to_string(), "MonkeyCI <noreply@localhost>");
        assert!(parse_from("not an address").is_err());
        assert_eq!(parse_from("Keys <keys@example.com>").unwrap().email.to_string(), "keys@example.com");
    }
}
