//! A stand-in for GitHub's secret scanning: it publishes P-256 public keys at
//! `/meta/public_keys/secret_scanning` in GitHub's shape, and signs batches
//! with their private keys as GitHub does (ECDSA P-256 / SHA-256 of the raw
//! body, base64 of the DER signature). Keys are made in the test, and can be
//! rotated; the stand-in counts how often its key list was read.

use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::web::{self, Data};
use actix_web::{App, HttpResponse, HttpServer};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::json;
use url::Url;

/// One published key: its identifier (hex, as GitHub's) and its private half.
#[derive(Clone)]
pub struct GitHubKey {
    pub identifier: String,
    signing: SigningKey,
}

impl GitHubKey {
    /// A new key pair from the operating system's random source.
    pub fn generate() -> GitHubKey {
        let signing =
            SigningKey::from_slice(&monkeyci_accounts::random::os_bytes::<32>()).expect("a P-256 scalar");
        let public = signing.verifying_key().to_public_key_der().expect("SPKI");
        let identifier = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(public.as_bytes()));
        GitHubKey { identifier, signing }
    }

    /// `Github-Public-Key-Signature` for `body`.
    pub fn sign(&self, body: &[u8]) -> String {
        let signature: Signature = self.signing.sign(body);
        STANDARD.encode(signature.to_der().as_bytes())
    }

    fn published(&self, current: bool) -> serde_json::Value {
        let pem = self.signing.verifying_key().to_public_key_pem(LineEnding::LF).expect("PEM");
        json!({ "key_identifier": self.identifier, "key": pem, "is_current": current })
    }
}

#[derive(Default)]
struct Published {
    keys: Vec<GitHubKey>,
    reads: usize,
}

pub struct SecretScanningStandIn {
    pub base: String,
    published: Arc<Mutex<Published>>,
}

impl SecretScanningStandIn {
    /// Publishes `keys` (the last one current).
    pub async fn start(keys: &[&GitHubKey]) -> SecretScanningStandIn {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let published = Arc::new(Mutex::new(Published {
            keys: keys.iter().map(|key| (*key).clone()).collect(),
            reads: 0,
        }));
        let data = Data::new(published.clone());
        let server = HttpServer::new(move || {
            App::new().app_data(data.clone()).route("/meta/public_keys/secret_scanning", web::get().to(list))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("the stand-in listens")
        .run();
        actix_web::rt::spawn(server);
        SecretScanningStandIn { base, published }
    }

    /// Where the app reads the keys (`MONKEYCI_GITHUB_SECRET_SCANNING_KEYS_URL`).
    pub fn keys_url(&self) -> Url {
        Url::parse(&format!("{}/meta/public_keys/secret_scanning", self.base)).unwrap()
    }

    /// From now on, these keys are published (GitHub rotated them).
    pub fn publish(&self, keys: &[&GitHubKey]) {
        self.lock().keys = keys.iter().map(|key| (*key).clone()).collect();
    }

    /// How many times the key list was read.
    pub fn reads(&self) -> usize {
        self.lock().reads
    }

    fn lock(&self) -> MutexGuard<'_, Published> {
        self.published.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

async fn list(published: Data<Arc<Mutex<Published>>>) -> HttpResponse {
    let mut published = published.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    published.reads += 1;
    let last = published.keys.len().saturating_sub(1);
    let keys: Vec<_> = published.keys.iter().enumerate().map(|(i, key)| key.published(i == last)).collect();
    HttpResponse::Ok().json(json!({ "public_keys": keys }))
}
