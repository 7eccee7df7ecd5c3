//! The benchmark's reference: the least an actix-web server can do for an
//! authenticated request, to measure MonkeyCI against in the same run
//! (`bench/api-auth.sh`, issue #16).
//!
//! - `GET /healthz`: `ok`, as the real server answers it.
//! - `GET /whoami`: `Authorization: Bearer <token>`, whose SHA-256 digest is
//!   compared in constant time with the digest of `REFERENCE_TOKEN`; a match gets
//!   the bytes of `REFERENCE_BODY_FILE` (the real server's whoami body) as JSON,
//!   anything else 401.
//!
//! Same actix-web version and worker count as the server (one per core, or
//! `MONKEYCI_WORKERS`); no middleware, no logging, no database.
//!
//!   cargo build --release --example bench-reference
//!   REFERENCE_TOKEN=mci_org_… target/release/examples/bench-reference 127.0.0.1:9000

use actix_web::http::header::{AUTHORIZATION, ContentType};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

struct Reference {
    digest: [u8; 32],
    body: bytes::Bytes,
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok")
}

async fn whoami(req: HttpRequest, reference: web::Data<Reference>) -> HttpResponse {
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    if bool::from(digest.ct_eq(&reference.digest)) {
        HttpResponse::Ok().content_type(ContentType::json()).body(reference.body.clone())
    } else {
        HttpResponse::Unauthorized().content_type(ContentType::json()).body(r#"{"error":"invalid_key"}"#)
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let listen = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9000".to_string());
    let token = std::env::var("REFERENCE_TOKEN").unwrap_or_default();
    let workers = std::env::var("MONKEYCI_WORKERS")
        .ok()
        .and_then(|raw| raw.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, std::num::NonZero::get));
    // The benchmark gives the real server's whoami body, so that both send the same bytes.
    let body = match std::env::var("REFERENCE_BODY_FILE") {
        Ok(path) => std::fs::read(path)?,
        Err(_) => br#"{"key":{"id":"reference","kind":"organization"}}"#.to_vec(),
    };
    let reference =
        web::Data::new(Reference { digest: Sha256::digest(token.as_bytes()).into(), body: body.into() });
    HttpServer::new(move || {
        App::new()
            .app_data(reference.clone())
            .route("/healthz", web::get().to(healthz))
            .route("/whoami", web::get().to(whoami))
    })
    .workers(workers)
    .bind(listen)?
    .run()
    .await
}
