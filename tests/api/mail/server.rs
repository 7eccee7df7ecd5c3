//! The server binary with mail configured: it starts, and never prints the SMTP password.

use crate::support::ServerProcess;

#[test]
fn the_server_starts_with_smtp_and_never_prints_its_password() {
    let server = ServerProcess::start(&[
        ("MONKEYCI_SMTP_URL", "smtps://mailer:hunter2-s3cret@127.0.0.1:1"),
        ("MONKEYCI_MAIL_FROM", "Keys <keys@example.com>"),
    ]);
    let line = server.next_line(|line| {
        assert!(!line.contains("hunter2"), "the password is printed: {line}");
        line.contains("listening on")
    });
    assert!(line.contains("listening on"));
}

#[test]
fn a_bad_smtp_url_stops_the_start_with_one_line_that_names_it_but_not_its_password() {
    let server =
        ServerProcess::start(&[("MONKEYCI_SMTP_URL", "https://mailer:hunter2-s3cret@mail.example.com")]);
    let line = server.next_line(|line| line.contains("MONKEYCI_SMTP_URL"));
    assert!(!line.contains("hunter2"), "{line}");
}
