//! The token people copy: `mci_org_` or `mci_usr_`, a 16-character public id,
//! a 32-character secret and a 6-character checksum, all base62 (62 characters).
//!
//! The checksum (CRC32 of everything before it) lets the server refuse typos and
//! junk without any I/O; the prefix tells which kind of key it is; the public id
//! is the only part ever looked up or shown.

use std::fmt;

pub const PUBLIC_ID_LEN: usize = 16;
pub const SECRET_LEN: usize = 32;
pub const CHECKSUM_LEN: usize = 6;
pub const PREFIX_LEN: usize = 8;
pub const TOKEN_LEN: usize = PREFIX_LEN + PUBLIC_ID_LEN + SECRET_LEN + CHECKSUM_LEN;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    Organization,
    User,
}

impl KeyKind {
    pub fn prefix(self) -> &'static str {
        match self {
            KeyKind::Organization => "mci_org_",
            KeyKind::User => "mci_usr_",
        }
    }

    fn from_prefix(prefix: &str) -> Option<KeyKind> {
        match prefix {
            "mci_org_" => Some(KeyKind::Organization),
            "mci_usr_" => Some(KeyKind::User),
            _ => None,
        }
    }
}

/// The public part of a key: safe to store in clear, log and show.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublicId(String);

impl PublicId {
    /// A public id read back from storage (or a URL): 16 base62 characters.
    pub fn parse(raw: &str) -> Option<PublicId> {
        (raw.len() == PUBLIC_ID_LEN && raw.bytes().all(is_base62)).then(|| PublicId(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What lists show so people can tell keys apart: `mci_org_3fKx…`.
    pub fn hint(&self, kind: KeyKind) -> String {
        format!("{}{}…", kind.prefix(), &self.0[..4])
    }
}

impl fmt::Display for PublicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The secret part. Never printed: `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A token that has the right shape and checksum (not yet known to exist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedToken {
    pub kind: KeyKind,
    pub public_id: PublicId,
    pub secret: Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the key does not start with mci_org_ or mci_usr_")]
    Prefix,
    #[error("the key has the wrong length")]
    Length,
    #[error("the key contains characters that are not letters or digits")]
    Alphabet,
    #[error("the key's checksum does not match (a typo, or a truncated key)")]
    Checksum,
}

impl ParsedToken {
    /// Checks prefix, length, alphabet and checksum: no I/O.
    pub fn parse(raw: &str) -> Result<ParsedToken, TokenError> {
        let kind = raw.get(..PREFIX_LEN).and_then(KeyKind::from_prefix).ok_or(TokenError::Prefix)?;
        if raw.len() != TOKEN_LEN {
            return Err(TokenError::Length);
        }
        let body = &raw[PREFIX_LEN..];
        if !body.bytes().all(is_base62) {
            return Err(TokenError::Alphabet);
        }
        let (signed, checksum) = raw.split_at(TOKEN_LEN - CHECKSUM_LEN);
        if checksum != crc_base62(signed) {
            return Err(TokenError::Checksum);
        }
        Ok(ParsedToken {
            kind,
            public_id: PublicId(body[..PUBLIC_ID_LEN].to_string()),
            secret: Secret(body[PUBLIC_ID_LEN..PUBLIC_ID_LEN + SECRET_LEN].to_string()),
        })
    }

    /// The whole token, for the one time it is shown.
    pub fn to_token_string(&self) -> String {
        assemble(self.kind, self.public_id.as_str(), self.secret.expose())
    }
}

/// A new key: public id and secret from the OS's secure random source.
pub fn generate(kind: KeyKind) -> ParsedToken {
    ParsedToken {
        kind,
        public_id: PublicId(random_base62(PUBLIC_ID_LEN)),
        secret: Secret(random_base62(SECRET_LEN)),
    }
}

fn assemble(kind: KeyKind, public_id: &str, secret: &str) -> String {
    let mut token = String::with_capacity(TOKEN_LEN);
    token.push_str(kind.prefix());
    token.push_str(public_id);
    token.push_str(secret);
    let checksum = crc_base62(&token);
    token.push_str(&checksum);
    token
}

fn is_base62(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// CRC32 of `text`, as 6 base62 digits (62^6 > 2^32), most significant first.
fn crc_base62(text: &str) -> String {
    let mut value = u64::from(crc32fast::hash(text.as_bytes()));
    let mut digits = [b'0'; CHECKSUM_LEN];
    for digit in digits.iter_mut().rev() {
        *digit = ALPHABET[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(digits.to_vec()).unwrap_or_default()
}

/// Uniform base62 characters: bytes of 248 or more are thrown away so that every
/// character is equally likely (248 = 4 × 62).
fn random_base62(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for byte in crate::random::os_bytes::<64>() {
            if byte < 248 && out.len() < len {
                out.push(ALPHABET[usize::from(byte % 62)] as char);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_generated_token_has_the_documented_shape() {
        let token = generate(KeyKind::Organization).to_token_string();
        assert_eq!(token.len(), 62);
        assert!(token.starts_with("mci_org_"));
        assert!(token[8..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(generate(KeyKind::User).to_token_string().starts_with("mci_usr_"));
    }

    #[test]
    fn two_tokens_differ() {
        assert_ne!(generate(KeyKind::User).to_token_string(), generate(KeyKind::User).to_token_string());
    }

    #[test]
    fn junk_is_refused_with_the_reason() {
        let good = generate(KeyKind::Organization).to_token_string();
        assert_eq!(ParsedToken::parse(""), Err(TokenError::Prefix));
        assert_eq!(ParsedToken::parse("ghp_abcdef"), Err(TokenError::Prefix));
        assert_eq!(ParsedToken::parse(&good.replace("mci_org_", "mci_xyz_")), Err(TokenError::Prefix));
        assert_eq!(ParsedToken::parse(&good[..61]), Err(TokenError::Length));
        assert_eq!(ParsedToken::parse(&format!("{good}0")), Err(TokenError::Length));
        let mut bad_char = good.clone().into_bytes();
        bad_char[20] = b'-';
        assert_eq!(ParsedToken::parse(&String::from_utf8(bad_char).unwrap()), Err(TokenError::Alphabet));
        assert_eq!(ParsedToken::parse(&format!("mci_org_{}", "é".repeat(27))), Err(TokenError::Alphabet));
        assert_eq!(ParsedToken::parse("mci_oré_"), Err(TokenError::Prefix));
    }

    #[test]
    fn the_hint_shows_the_prefix_and_four_characters() {
        let token = generate(KeyKind::Organization);
        let hint = token.public_id.hint(KeyKind::Organization);
        assert!(hint.starts_with("mci_org_") && hint.ends_with('…'));
        assert_eq!(hint.chars().count(), 8 + 4 + 1);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let token = generate(KeyKind::User);
        assert!(!format!("{token:?}").contains(token.secret.expose()));
    }

    #[test]
    fn random_characters_cover_the_whole_alphabet() {
        let sample: String = (0..200).map(|_| random_base62(32)).collect();
        for c in ALPHABET {
            assert!(sample.as_bytes().contains(c), "{} never drawn", *c as char);
        }
    }

    fn base62_string(len: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(ALPHABET.to_vec()), len)
            .prop_map(|bytes| String::from_utf8(bytes).unwrap())
    }

    proptest! {
        #[test]
        fn every_well_formed_token_parses_back(
            org in any::<bool>(),
            id in base62_string(PUBLIC_ID_LEN),
            secret in base62_string(SECRET_LEN),
        ) {
            let kind = if org { KeyKind::Organization } else { KeyKind::User };
            let token = assemble(kind, &id, &secret);
            let parsed = ParsedToken::parse(&token).unwrap();
            prop_assert_eq!(parsed.kind, kind);
            prop_assert_eq!(parsed.public_id.as_str(), id.as_str());
            prop_assert_eq!(parsed.secret.expose(), secret.as_str());
            prop_assert_eq!(parsed.to_token_string(), token);
        }

        #[test]
        fn every_one_character_change_is_refused(
            id in base62_string(PUBLIC_ID_LEN),
            secret in base62_string(SECRET_LEN),
            position in 0..TOKEN_LEN,
            replacement in proptest::sample::select(
                b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-.+/ ".to_vec()
            ),
        ) {
            let token = assemble(KeyKind::Organization, &id, &secret);
            let mut bytes = token.clone().into_bytes();
            prop_assume!(bytes[position] != replacement);
            bytes[position] = replacement;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(ParsedToken::parse(&changed).is_err(), "{} was accepted", changed);
        }
    }
}
