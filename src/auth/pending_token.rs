//! The new key's token between the create POST and the page that shows it.
//!
//! The server keeps the token only sealed (ChaCha20-Poly1305) in its own row;
//! the 256-bit key that opens it is sent once to the creating browser, in a
//! short-lived `HttpOnly; SameSite=Strict` cookie scoped to the list page, and
//! is never stored. A copy of the database, its WAL or a backup therefore holds
//! nothing usable, and the row is useless to another browser or person.

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::{Deserialize, Serialize};

/// How long the list page may take to open after the POST.
pub const LIFETIME: chrono::Duration = chrono::Duration::minutes(10);

const NONCE_BYTES: usize = 12;

/// What the one-time dialog shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewKeyNotice {
    pub token: String,
    pub hint: String,
    pub description: String,
}

/// A notice sealed for storage: `sealed` goes to the database, `key` to the
/// browser's cookie, `id` to both (the row's id, also bound into the ciphertext).
pub struct Sealed {
    pub id: String,
    pub sealed: String,
    pub key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("the cookie does not hold a key")]
    BadKey,
    #[error("the stored token is not readable with this key")]
    Unreadable,
}

/// Seals a notice for the page `list_url`, under a fresh random key.
pub fn seal(notice: &NewKeyNotice, list_url: &str) -> Sealed {
    let id = crate::random::token_256();
    let key = crate::random::os_bytes::<32>();
    let nonce = crate::random::os_bytes::<NONCE_BYTES>();
    let plaintext = serde_json::to_vec(notice).expect("a notice serializes");
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key));
    let aad = associated_data(&id, list_url);
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: &plaintext, aad: &aad })
        .expect("ChaCha20-Poly1305 encrypts any message this small");
    let mut sealed = nonce.to_vec();
    sealed.extend_from_slice(&ciphertext);
    Sealed { id, sealed: STANDARD.encode(sealed), key: URL_SAFE_NO_PAD.encode(key) }
}

/// Opens what `seal` made, with the key from the cookie; fails on any other key,
/// row or page.
pub fn open(sealed: &str, key: &str, id: &str, list_url: &str) -> Result<NewKeyNotice, OpenError> {
    let key = URL_SAFE_NO_PAD.decode(key).ok().filter(|k| k.len() == 32).ok_or(OpenError::BadKey)?;
    let sealed = STANDARD.decode(sealed).map_err(|_| OpenError::Unreadable)?;
    if sealed.len() <= NONCE_BYTES {
        return Err(OpenError::Unreadable);
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key));
    let aad = associated_data(id, list_url);
    let plaintext = cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: &aad })
        .map_err(|_| OpenError::Unreadable)?;
    serde_json::from_slice(&plaintext).map_err(|_| OpenError::Unreadable)
}

/// Binds the ciphertext to its row and page, so it cannot be moved to another.
fn associated_data(id: &str, list_url: &str) -> Vec<u8> {
    format!("monkeyci pending token\n{id}\n{list_url}").into_bytes()
}

/// The cookie's name: `__Secure-` over https, so only a secure origin can set it.
pub fn cookie_name(https: bool) -> &'static str {
    if https { "__Secure-monkeyci_new_key" } else { "monkeyci_new_key" }
}

/// The cookie that carries the key to the list page, and only there.
pub fn cookie(key: String, list_url: &str, https: bool) -> Cookie<'static> {
    Cookie::build(cookie_name(https), key)
        .path(list_url.to_string())
        .http_only(true)
        .secure(https)
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::seconds(LIFETIME.num_seconds()))
        .finish()
}

/// The same cookie, expired: the browser forgets the key.
pub fn removal(list_url: &str, https: bool) -> Cookie<'static> {
    let mut cookie = cookie(String::new(), list_url, https);
    cookie.make_removal();
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> NewKeyNotice {
        NewKeyNotice {
            token: "mci_usr_secret".into(),
            hint: "mci_usr_abcd…".into(),
            description: "Laptop".into(),
        }
    }

    #[test]
    fn a_sealed_notice_opens_with_its_key_on_its_page() {
        let sealed = seal(&notice(), "/settings/api-keys");
        let opened = open(&sealed.sealed, &sealed.key, &sealed.id, "/settings/api-keys").unwrap();
        assert_eq!(opened.token, "mci_usr_secret");
        assert_eq!(opened.description, "Laptop");
    }

    #[test]
    fn the_stored_part_does_not_hold_the_token() {
        let sealed = seal(&notice(), "/settings/api-keys");
        let stored = STANDARD.decode(&sealed.sealed).unwrap();
        assert!(!stored.windows(b"mci_usr_secret".len()).any(|w| w == b"mci_usr_secret"));
        assert!(!sealed.sealed.contains("mci_usr_secret"));
    }

    #[test]
    fn another_key_row_or_page_cannot_open_it() {
        let sealed = seal(&notice(), "/settings/api-keys");
        let other = seal(&notice(), "/settings/api-keys");
        assert!(open(&sealed.sealed, &other.key, &sealed.id, "/settings/api-keys").is_err());
        assert!(open(&sealed.sealed, &sealed.key, &other.id, "/settings/api-keys").is_err());
        assert!(open(&sealed.sealed, &sealed.key, &sealed.id, "/o/acme/settings/api-keys").is_err());
        assert!(open(&sealed.sealed, "not a key", &sealed.id, "/settings/api-keys").is_err());
        assert!(open("", &sealed.key, &sealed.id, "/settings/api-keys").is_err());
    }

    #[test]
    fn each_seal_uses_a_fresh_key_and_row() {
        let (a, b) = (seal(&notice(), "/x"), seal(&notice(), "/x"));
        assert_ne!(a.key, b.key);
        assert_ne!(a.id, b.id);
        assert_ne!(a.sealed, b.sealed);
    }

    #[test]
    fn the_cookie_is_http_only_strict_short_lived_and_scoped_to_the_page() {
        let cookie = cookie("k".into(), "/o/acme/settings/api-keys", true);
        assert_eq!(cookie.name(), "__Secure-monkeyci_new_key");
        assert_eq!(cookie.path(), Some("/o/acme/settings/api-keys"));
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(cookie.same_site(), Some(SameSite::Strict));
        assert_eq!(cookie.max_age(), Some(CookieDuration::minutes(10)));
    }
}
