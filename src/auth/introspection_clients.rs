//! The platform's services that may ask about keys (`POST /api/v1/introspect`,
//! RFC 7662), each with an id and a secret from `MONKEYCI_INTROSPECTION_CLIENTS`
//! (`id:secret` pairs, comma separated). Only the SHA-256 of each secret is kept,
//! and every check compares against every client in constant time, so neither the
//! time taken nor an early return tells which ids exist.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

/// Shorter secrets could be guessed by a patient caller, failure limit or not.
pub const SECRET_MIN_CHARS: usize = 32;

struct Client {
    id_digest: [u8; 32],
    secret_digest: [u8; 32],
    /// The SHA-256 of `Basic <base64(id:secret)>`, the header a client sends,
    /// so that the usual request costs one digest and no decoding.
    header_digest: [u8; 32],
}

/// Which configured client is asking: its place in the setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIndex(pub u32);

/// The configured clients; empty when introspection is off.
#[derive(Default)]
pub struct IntrospectionClients {
    clients: Vec<Client>,
}

/// Why the setting is refused. Never quotes a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientsError {
    #[error("entry {0} is not id:secret")]
    NotAPair(usize),
    #[error("the secret of client `{0}` is shorter than {SECRET_MIN_CHARS} characters")]
    ShortSecret(String),
    #[error("client `{0}` is given twice")]
    Repeated(String),
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

impl IntrospectionClients {
    /// Reads `id:secret,id:secret`; blank entries are skipped, an empty value means off.
    pub fn parse(raw: &str) -> Result<IntrospectionClients, ClientsError> {
        let mut clients = Vec::new();
        let mut ids: Vec<&str> = Vec::new();
        for (n, entry) in raw.split(',').map(str::trim).enumerate().filter(|(_, e)| !e.is_empty()) {
            let (id, secret) = entry
                .split_once(':')
                .filter(|(id, secret)| !id.is_empty() && !secret.is_empty())
                .ok_or(ClientsError::NotAPair(n + 1))?;
            if secret.chars().count() < SECRET_MIN_CHARS {
                return Err(ClientsError::ShortSecret(id.to_string()));
            }
            if ids.contains(&id) {
                return Err(ClientsError::Repeated(id.to_string()));
            }
            ids.push(id);
            let header = format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")));
            clients.push(Client {
                id_digest: digest(id),
                secret_digest: digest(secret),
                header_digest: digest(&header),
            });
        }
        Ok(IntrospectionClients { clients })
    }

    pub fn is_enabled(&self) -> bool {
        !self.clients.is_empty()
    }

    /// Whether `id` and `secret` belong to one configured client. Every client is
    /// compared, whatever matches first.
    pub fn authenticate(&self, id: &str, secret: &str) -> bool {
        self.find(id, secret).is_some()
    }

    /// The client whose `Authorization` header this is, when it is written the
    /// usual way (`Basic ` and the standard base64 of `id:secret`), comparing
    /// every client; `None` otherwise (then decode it and ask [`Self::find`]).
    pub fn find_by_header(&self, header: &[u8]) -> Option<ClientIndex> {
        let header = Sha256::digest(header);
        let mut found = Choice::from(0);
        let mut index = 0u32;
        for (n, client) in (0u32..).zip(&self.clients) {
            let this = client.header_digest.ct_eq(header.as_slice());
            index.conditional_assign(&n, this);
            found |= this;
        }
        bool::from(found).then_some(ClientIndex(index))
    }

    /// The client `id` and `secret` belong to, by its place in the setting (a
    /// stable name for its failure allowance), comparing every client.
    pub fn find(&self, id: &str, secret: &str) -> Option<ClientIndex> {
        let (id, secret) = (digest(id), digest(secret));
        let mut found = Choice::from(0);
        let mut index = 0u32;
        for (n, client) in (0u32..).zip(&self.clients) {
            let this = client.id_digest.ct_eq(&id) & client.secret_digest.ct_eq(&secret);
            index.conditional_assign(&n, this);
            found |= this;
        }
        bool::from(found).then_some(ClientIndex(index))
    }
}

impl std::fmt::Debug for IntrospectionClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IntrospectionClients({} configured)", self.clients.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdefghijklmnopqrstuvwxyz";

    #[test]
    fn a_client_is_known_by_its_id_and_secret_together() {
        let clients = IntrospectionClients::parse(&format!("builds:{SECRET}, artifacts:{SECRET}-2")).unwrap();
        assert!(clients.is_enabled());
        assert!(clients.authenticate("builds", SECRET));
        assert!(clients.authenticate("artifacts", &format!("{SECRET}-2")));
        assert!(!clients.authenticate("builds", &format!("{SECRET}-2")));
        assert!(!clients.authenticate("nobody", SECRET));
        assert!(!clients.authenticate("", ""));
        assert_eq!(clients.find("artifacts", &format!("{SECRET}-2")), Some(ClientIndex(1)));
        assert_eq!(clients.find("builds", SECRET), Some(ClientIndex(0)));
        let header = format!("Basic {}", STANDARD.encode(format!("artifacts:{SECRET}-2")));
        assert_eq!(clients.find_by_header(header.as_bytes()), Some(ClientIndex(1)));
        assert_eq!(clients.find_by_header(b"Basic YnVpbGRzOndyb25n"), None);
    }

    #[test]
    fn nothing_configured_means_off_and_nobody_gets_in() {
        for raw in ["", " ", ",,"] {
            let clients = IntrospectionClients::parse(raw).unwrap();
            assert!(!clients.is_enabled());
            assert!(!clients.authenticate("", ""));
        }
    }

    #[test]
    fn bad_entries_are_named_without_their_secret() {
        let error = |raw: &str| IntrospectionClients::parse(raw).unwrap_err().to_string();
        assert_eq!(error(&format!("builds:{SECRET},nocolon")), "entry 2 is not id:secret");
        assert_eq!(error(":secret"), "entry 1 is not id:secret");
        assert_eq!(
            error("builds:short-secret"),
            "the secret of client `builds` is shorter than 32 characters"
        );
        assert_eq!(error(&format!("a:{SECRET},a:{SECRET}x")), "client `a` is given twice");
        let shown = format!("{:?}", IntrospectionClients::parse(&format!("a:{SECRET}")).unwrap());
        assert!(!shown.contains(SECRET), "{shown}");
    }
}
