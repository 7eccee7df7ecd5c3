//! What clients and attackers send instead of a key (SPEC §5: "never a 500 for
//! bad input"): junk `Authorization` headers get 401 with a JSON body that says
//! what is wrong, and a key in the URL is refused with 400 before anything else,
//! and never written to the log.

use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Method, StatusCode};

use super::*;
use crate::both_databases;
use monkeyci_accounts::domain::api_key::generate;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The first 56 characters of a token (prefix, public id, secret) completed with
/// their checksum, as SPEC §2 defines it (CRC32 as 6 base62 digits): a token of
/// the right shape, whether or not such a key exists.
pub fn with_checksum(signed: &str) -> String {
    assert_eq!(signed.len(), 56);
    let mut value = u64::from(crc32fast::hash(signed.as_bytes()));
    let mut digits = [b'0'; 6];
    for digit in digits.iter_mut().rev() {
        *digit = ALPHABET[(value % 62) as usize];
        value /= 62;
    }
    format!("{signed}{}", String::from_utf8(digits.to_vec()).unwrap())
}

/// A GET of `/api/v1/whoami` with exactly these `Authorization` headers:
/// the status and the body (`None` when not JSON).
async fn whoami_with(app: &TestApp, values: &[HeaderValue]) -> (StatusCode, Option<serde_json::Value>, bool) {
    let mut request = anonymous(app, Method::GET, "/api/v1/whoami");
    for value in values {
        request = request.header(AUTHORIZATION, value.clone());
    }
    let response = request.send().await.expect("an answer, not a dropped connection");
    let status = response.status();
    let challenged = response.headers().get("www-authenticate").is_some();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).ok(), challenged)
}

fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap()
}

async fn junk_authorization_headers_get_401_and_never_500(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let mut typo = ci.full.clone();
    let last = if typo.ends_with('A') { "B" } else { "A" };
    typo.replace_range(61..62, last);
    let wrong_secret = with_checksum(&format!("{}{}", &ci.full[..24], "s".repeat(32)));
    let unknown = generate(KeyKind::Organization).to_token_string();
    let unknown_user = generate(KeyKind::User).to_token_string();

    let cases: Vec<(&str, Vec<HeaderValue>, &str)> = vec![
        ("no header", vec![], "missing_key"),
        ("empty", vec![value("")], "bad_authorization_header"),
        ("the scheme alone", vec![value("Bearer")], "bad_authorization_header"),
        ("the scheme and spaces", vec![value("Bearer    ")], "bad_authorization_header"),
        ("Token alone", vec![value("Token")], "bad_authorization_header"),
        ("Basic", vec![value("Basic dXNlcjpwYXNzd29yZA==")], "bad_authorization_header"),
        ("Digest", vec![value("Digest username=\"alice\", realm=\"x\"")], "bad_authorization_header"),
        ("no scheme", vec![value(&ci.full)], "bad_authorization_header"),
        ("a tab for a space", vec![value(&format!("Bearer\t{}", ci.full))], "bad_authorization_header"),
        (
            "non-ASCII bytes",
            vec![HeaderValue::from_bytes(b"Bearer \xff\xfe\x80\x81").unwrap()],
            "bad_authorization_header",
        ),
        (
            "UTF-8",
            vec![HeaderValue::from_bytes("Bearer mci_org_é€😀".as_bytes()).unwrap()],
            "bad_authorization_header",
        ),
        (
            "two headers, both good",
            vec![value(&format!("Bearer {}", ci.full)), value(&format!("Bearer {}", ci.full))],
            "bad_authorization_header",
        ),
        (
            "two headers, one empty",
            vec![value(&format!("Bearer {}", ci.full)), value("")],
            "bad_authorization_header",
        ),
        ("not a key", vec![value("Bearer hunter2")], "malformed_key"),
        ("a GitHub token", vec![value("Bearer ghp_0123456789abcdefghijklmnopqrstuvwxyzAB")], "malformed_key"),
        ("8 KiB", vec![value(&format!("Bearer {}", "a".repeat(8 * 1024)))], "malformed_key"),
        (
            "8 KiB after the prefix",
            vec![value(&format!("Bearer mci_org_{}", "A".repeat(8 * 1024)))],
            "malformed_key",
        ),
        ("truncated", vec![value(&format!("Bearer {}", &ci.full[..61]))], "malformed_key"),
        ("one character more", vec![value(&format!("Bearer {}0", ci.full))], "malformed_key"),
        ("two keys", vec![value(&format!("Bearer {} {}", ci.full, ci.full))], "malformed_key"),
        ("a wrong checksum", vec![value(&format!("Bearer {typo}"))], "malformed_key"),
        (
            "punctuation",
            vec![value(&format!("Bearer {}-{}", &ci.full[..30], &ci.full[31..]))],
            "malformed_key",
        ),
        ("the wrong secret", vec![value(&format!("Bearer {wrong_secret}"))], "invalid_key"),
        ("an unknown key", vec![value(&format!("Bearer {unknown}"))], "invalid_key"),
        ("an unknown user key", vec![value(&format!("Token {unknown_user}"))], "invalid_key"),
    ];
    for (what, values, expected) in cases {
        let (status, body, challenged) = whoami_with(&app, &values).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body:?}");
        let body = body.unwrap_or_else(|| panic!("{what}: a JSON body"));
        assert_eq!(code(&body), expected, "{what}: {body}");
        assert!(challenged, "{what}: WWW-Authenticate");
    }
    let (_, body, _) = whoami_with(&app, &[value(&format!("Bearer {typo}"))]).await;
    assert_eq!(
        message(&body.unwrap()),
        "The API key is malformed: the key's checksum does not match (a typo, or a truncated key). \
             Copy the whole key again."
    );

    // Headers too large for the HTTP layer may be refused by it; still not a 500.
    for size in [16 * 1024, 60 * 1024] {
        let huge = value(&format!("Bearer {}", "A".repeat(size)));
        let response =
            anonymous(&app, Method::GET, "/api/v1/whoami").header(AUTHORIZATION, huge).send().await;
        let response = response.unwrap_or_else(|e| panic!("{size} bytes: no answer ({e})"));
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED {
            let (_, body) = json_of(response).await;
            assert_eq!(code(&body), "malformed_key", "{size} bytes");
        } else {
            assert!(
                [StatusCode::BAD_REQUEST, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE].contains(&status),
                "{size} bytes: {status}"
            );
        }
    }

    // The forms that are accepted.
    for form in ["Bearer {}", "bearer {}", "BEARER {}", "Token {}", "token {}", "  Bearer   {}  "] {
        let header = form.replace("{}", &ci.full);
        let (status, body, _) = whoami_with(&app, &[value(&header)]).await;
        assert_eq!(status, StatusCode::OK, "{form:?}: {body:?}");
    }
    assert_not_logged(&app, &[&ci, &Token::parse(&wrong_secret, KeyKind::Organization)]);
}
both_databases!(
    junk_authorization_headers_get_401_and_never_500,
    at_epoch,
    with = |options: Options| Options { api_failures_per_minute: Some(1000), ..options }
);

async fn a_key_in_the_url_is_refused_even_with_a_good_authorization_header(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let laptop = team.alice.new_key(USER_KEYS, "Laptop", "").await;
    let api = Api::new(&app, &ci.full);
    let encoded = ci.full.replace('_', "%5F");
    let queries = [
        format!("api_key={}", ci.full),
        format!("token={}", laptop.full),
        format!("x={}", ci.full),
        format!("page=1&q={encoded}"),
        ci.full.clone(),
        format!("per_page=10&access_token={}", laptop.full),
        "apikey=abc".to_string(),
        "key=abc".to_string(),
        "API_KEY=abc".to_string(),
        "Token=abc".to_string(),
        "private_token=abc".to_string(),
        "auth=abc".to_string(),
        "auth".to_string(),
    ];
    for query in &queries {
        for (method, path) in [
            (Method::GET, "/api/v1/whoami"),
            (Method::GET, "/api/v1/orgs/acme/keys"),
            (Method::POST, "/api/v1/orgs/acme/keys"),
            (Method::DELETE, "/api/v1/user/keys/0000000000000000"),
            (Method::GET, "/api/v1/nothing"),
        ] {
            let url = format!("{path}?{query}");
            let with_header =
                api.request(method.clone(), &url).json(&serde_json::json!({"description": "x"}));
            let body =
                assert_error(with_header.send().await.unwrap(), StatusCode::BAD_REQUEST, "key_in_query")
                    .await;
            assert!(message(&body).contains("consider this one exposed"), "{body}");
            let without = anonymous(&app, method.clone(), &url).send().await.unwrap();
            assert_error(without, StatusCode::BAD_REQUEST, "key_in_query").await;
        }
    }
    assert_eq!(key_count(&app).await, 2, "nothing was created");
    // Ordinary queries are fine.
    assert_eq!(api.get("/api/v1/orgs/acme/keys?page=1&per_page=10").await.status(), StatusCode::OK);
    assert_eq!(api.get("/api/v1/whoami?verbose=1").await.status(), StatusCode::OK);
    // The keys were in URLs; they are not in the log (which does hold the refusals).
    assert!(app.logs().contains("refused a request with an API key in its URL"));
    assert_not_logged(&app, &[&ci, &laptop]);
}
both_databases!(
    a_key_in_the_url_is_refused_even_with_a_good_authorization_header,
    at_epoch,
    with = |options: Options| Options { api_failures_per_minute: Some(1000), ..options }
);

async fn a_key_pasted_into_the_path_is_not_written_to_the_log(app: TestApp) {
    let team = Team::new(&app).await;
    let ci = team.alice.new_key(ACME_KEYS, "CI", "").await;
    let api = Api::new(&app, &ci.full);
    for path in [format!("/api/v1/{}", ci.full), format!("/api/v1/orgs/acme/keys/{}", ci.full)] {
        assert_error(api.get(&path).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    // Percent-encoded, once or twice: a token all the same.
    for encoded in [ci.full.replace('_', "%5F"), ci.full.replace('_', "%255F")] {
        let response = api.get(&format!("/api/v1/{encoded}")).await;
        assert!(response.status().is_client_error(), "{}", response.status());
    }
    // SPEC §2: the token never appears in a log line, wherever a client put it;
    // the paths are logged, cut after the key's public id.
    let logs = app.logs();
    for path in ["/api/v1/", "/api/v1/orgs/acme/keys/"] {
        let cut = format!("path={path}mci_org_{}…", ci.public_id);
        assert!(logs.contains(&cut), "{cut} is logged:\n{logs}");
    }
    assert_not_logged(&app, &[&ci]);
}
both_databases!(
    a_key_pasted_into_the_path_is_not_written_to_the_log,
    at_epoch,
    with = |options: Options| Options { api_failures_per_minute: Some(1000), ..options }
);
