//! Stopping gracefully: after SIGTERM the server first drains (not ready, every
//! response closing its connection, still serving), then stops accepting and
//! finishes what is in flight; no request it took is cut off. The in-process
//! tests stop the app through its `StopHandle`; the binary's tests send the
//! real signals.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use monkeyci_accounts::shutdown::StopRequest;

use crate::keys::{ACME_KEYS, Team, spawn_at_epoch_with};
use crate::support::{Backend, Options, ServerProcess, TestApp};

/// What came back for one request on a raw connection.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn closes_connection(&self) -> bool {
        self.header("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

fn get_request(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n")
}

/// Reads one response (headers, then a `Content-Length` body) from `reader`.
fn read_answer(reader: &mut BufReader<TcpStream>) -> std::io::Result<Answer> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(ErrorKind::UnexpectedEof, "closed before any response"));
    }
    let status = line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':').expect("a header line");
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse::<usize>().expect("a length"));
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Answer { status, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

/// One GET on a connection of its own.
fn get_once(addr: SocketAddr, path: &str) -> std::io::Result<(Answer, BufReader<TcpStream>)> {
    let mut stream = connect(addr)?;
    stream.write_all(get_request(path).as_bytes())?;
    let mut reader = BufReader::new(stream);
    let answer = read_answer(&mut reader)?;
    Ok((answer, reader))
}

/// True once the server has closed this connection (end of stream, no more bytes).
fn is_closed_by_server(reader: &mut BufReader<TcpStream>) -> bool {
    reader.get_ref().set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut rest = Vec::new();
    matches!(reader.read_to_end(&mut rest), Ok(0))
}

fn address(app: &TestApp) -> SocketAddr {
    app.address.trim_start_matches("http://").parse().unwrap()
}

/// Waits until connecting is refused: the server no longer accepts.
async fn until_refused(addr: SocketAddr, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => return started.elapsed(),
            _ => {}
        }
        assert!(started.elapsed() < limit, "still accepting connections after {limit:?}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn draining_answers_not_ready_and_closes_each_connection_until_the_delay_ends(backend: Backend) {
    let delay = Duration::from_secs(2);
    let options = |options: Options| Options { shutdown_delay: Some(delay), ..options };
    let Some(app) = spawn_at_epoch_with(backend, options).await else { return };
    let addr = address(&app);
    // Through the test's runtime first: it also runs the app, which must have
    // started before this test blocks on plain sockets.
    assert_eq!(app.get("/readyz").await.status(), 200);
    let (ready, mut before) = get_once(addr, "/readyz").unwrap();
    assert_eq!((ready.status, ready.body.as_str()), (200, "ready"));
    assert!(!ready.closes_connection(), "keep-alive while serving normally: {ready:?}");

    let asked = Instant::now();
    app.stop.stop(StopRequest::Graceful);
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;

    let (ready, mut connection) = get_once(addr, "/readyz").unwrap();
    assert_eq!(ready.status, 503, "{ready:?}");
    assert_eq!(ready.body, "not ready: stopping");
    assert_eq!(ready.header("retry-after"), Some("5"));
    assert!(ready.closes_connection(), "{ready:?}");
    assert!(is_closed_by_server(&mut connection), "the server closes the connection after the answer");

    let (health, mut connection) = get_once(addr, "/healthz").unwrap();
    assert_eq!((health.status, health.body.as_str()), (200, "ok"), "still serving while draining");
    assert!(health.closes_connection(), "{health:?}");
    assert!(is_closed_by_server(&mut connection));
    let page = app.get("/login").await;
    assert_eq!(page.status(), 200, "pages too");

    // A keep-alive connection opened before the stop is answered on, then closed.
    before.get_mut().write_all(get_request("/healthz").as_bytes()).unwrap();
    let health = read_answer(&mut before).expect("an answer on the older connection");
    assert_eq!(health.status, 200);
    assert!(health.closes_connection(), "{health:?}");
    assert!(is_closed_by_server(&mut before));

    until_refused(addr, delay + Duration::from_secs(10)).await;
    assert!(asked.elapsed() >= delay, "accepting stops only once the delay is over: {:?}", asked.elapsed());
    assert!(app.logs().contains("stopping: /readyz answers 503"), "{}", app.logs());
}

#[actix_web::test]
async fn draining_answers_not_ready_and_closes_each_connection_until_the_delay_ends_sqlite() {
    draining_answers_not_ready_and_closes_each_connection_until_the_delay_ends(Backend::Sqlite).await;
}

#[actix_web::test]
async fn draining_answers_not_ready_and_closes_each_connection_until_the_delay_ends_postgres() {
    draining_answers_not_ready_and_closes_each_connection_until_the_delay_ends(Backend::Postgres).await;
}

async fn a_request_in_flight_when_accepting_stops_is_answered_in_full(backend: Backend) {
    let Some(app) = spawn_at_epoch_with(backend, |options| options).await else { return };
    let team = Team::new(&app).await;
    let key = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let addr = address(&app);
    let body = r#"{"description": "Made while the server stops"}"#;
    let (first_half, second_half) = body.split_at(10);
    let mut stream = connect(addr).unwrap();
    let head = format!(
        "POST /api/v1/orgs/acme/keys HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        key.full,
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(first_half.as_bytes()).unwrap();
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;

    // SIGINT: no draining delay, accepting stops at once.
    app.stop.stop(StopRequest::Prompt);
    until_refused(addr, Duration::from_secs(5)).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    stream.write_all(second_half.as_bytes()).unwrap();

    let mut reader = BufReader::new(stream);
    let created = read_answer(&mut reader).expect("the request in flight is answered");
    assert_eq!(created.status, 201, "{created:?}");
    assert!(created.body.contains("Made while the server stops"), "{created:?}");
    assert!(created.closes_connection(), "{created:?}");
    assert!(is_closed_by_server(&mut reader));
    let stored = app.count_sql("SELECT COUNT(*) AS n FROM api_keys").await;
    assert_eq!(stored, 2, "the key made during the stop is kept");
}

#[actix_web::test]
async fn a_request_in_flight_when_accepting_stops_is_answered_in_full_sqlite() {
    a_request_in_flight_when_accepting_stops_is_answered_in_full(Backend::Sqlite).await;
}

#[actix_web::test]
async fn a_request_in_flight_when_accepting_stops_is_answered_in_full_postgres() {
    a_request_in_flight_when_accepting_stops_is_answered_in_full(Backend::Postgres).await;
}

/// The server binary with this draining delay; its address.
fn start_server(shutdown_delay: &str) -> (ServerProcess, SocketAddr) {
    let server = ServerProcess::start(&[
        ("MONKEYCI_SHUTDOWN_DELAY", shutdown_delay),
        ("MONKEYCI_WORKERS", "2"),
        ("RUST_LOG", "info"),
    ]);
    let listening = server.next_line(|line| line.contains("listening on"));
    (server, ServerProcess::address_in(&listening))
}

/// What one keep-alive client saw: answers, and requests sent that got none.
#[derive(Debug, Default)]
struct ClientTally {
    answered: usize,
    unanswered: Vec<String>,
}

/// Sends requests one after another on one keep-alive connection, as a load
/// balancer's pool does, until the server says the connection closes (then it
/// stops, as a balancer takes a draining backend out) or `stop` is set.
fn keep_alive_client(addr: SocketAddr, stop: Arc<AtomicBool>) -> ClientTally {
    let mut tally = ClientTally::default();
    let mut reader = BufReader::new(connect(addr).expect("the first connection is accepted"));
    for n in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let path = if n % 2 == 0 { "/healthz" } else { "/login" };
        if let Err(e) = reader.get_mut().write_all(get_request(path).as_bytes()) {
            tally.unanswered.push(format!("{path}: sending: {e}"));
            break;
        }
        match read_answer(&mut reader) {
            Ok(answer) => {
                tally.answered += 1;
                if answer.closes_connection() {
                    break;
                }
            }
            Err(e) => {
                tally.unanswered.push(format!("{path}: {e}"));
                break;
            }
        }
    }
    tally
}

#[test]
fn sigterm_under_load_answers_every_request_on_accepted_connections_and_exits_zero() {
    let (mut server, addr) = start_server("1s");
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || keep_alive_client(addr, stop))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    server.signal("TERM");
    let (code, took) = server.wait_for_exit(Duration::from_secs(40));
    stop.store(true, Ordering::Relaxed);
    let tallies: Vec<ClientTally> = clients.into_iter().map(|c| c.join().unwrap()).collect();

    assert_eq!(code, Some(0), "a graceful stop exits 0");
    let answered: usize = tallies.iter().map(|t| t.answered).sum();
    let unanswered: Vec<&String> = tallies.iter().flat_map(|t| &t.unanswered).collect();
    assert!(unanswered.is_empty(), "{answered} answered, cut off: {unanswered:?} (exit after {took:?})");
    assert!(answered > 16, "the clients were busy: {answered} answers");
    match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionRefused),
        Ok(_) => panic!("still accepting after the exit"),
    }
}

#[test]
fn sigint_stops_at_once_and_exits_zero() {
    let (mut server, addr) = start_server("30s");
    let (health, _) = get_once(addr, "/healthz").unwrap();
    assert_eq!(health.status, 200);
    server.signal("INT");
    let (code, took) = server.wait_for_exit(Duration::from_secs(10));
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(5), "Ctrl-C skips the draining delay: {took:?}");
}
