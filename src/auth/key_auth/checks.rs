//! The outcomes of API-key checks, counted for the metrics (`crate::monitoring`
//! registers the counters; the authenticator only counts).

use metrics::{Counter, Label};

/// What an API-key check came to. Accepted: `cache_hit` (fresh cached key, no
/// I/O), `revalidated` (cached but due: the row read again, no argon2),
/// `verified` (argon2). Every other one is a refusal, by reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCheck {
    CacheHit,
    Revalidated,
    Verified,
    /// No `Authorization` header (or an empty key).
    Missing,
    /// An `Authorization` header that is not `Bearer <key>` or `Token <key>`.
    BadHeader,
    /// Not a MonkeyCI key: prefix, length, alphabet or checksum.
    Malformed,
    /// No key with this public id (never was, or deleted before it was cached).
    UnknownKey,
    WrongSecret,
    /// The other kind's prefix on a real key.
    WrongPrefix,
    /// Deleted since it was cached.
    Deleted,
    Expired,
    /// Revoked, or rolled and past its overlap.
    Revoked,
    /// The client's address used up its failed attempts.
    RateLimited,
    /// Too many argon2 checks waiting.
    Busy,
    /// The check itself failed (the database, say).
    Error,
    /// A key with allowed networks, used from elsewhere. Counted by the API's
    /// `ApiCaller` once the key itself was accepted (that acceptance is counted
    /// too: this says what happened next).
    IpNotAllowed,
}

impl KeyCheck {
    pub const ALL: [KeyCheck; 16] = [
        KeyCheck::CacheHit,
        KeyCheck::Revalidated,
        KeyCheck::Verified,
        KeyCheck::Missing,
        KeyCheck::BadHeader,
        KeyCheck::Malformed,
        KeyCheck::UnknownKey,
        KeyCheck::WrongSecret,
        KeyCheck::WrongPrefix,
        KeyCheck::Deleted,
        KeyCheck::Expired,
        KeyCheck::Revoked,
        KeyCheck::RateLimited,
        KeyCheck::Busy,
        KeyCheck::Error,
        KeyCheck::IpNotAllowed,
    ];

    /// `outcome`, and `reason` for a refusal.
    pub(crate) fn labels(self) -> Vec<Label> {
        let refused = |reason: &'static str| {
            vec![Label::from_static_parts("outcome", "refused"), Label::from_static_parts("reason", reason)]
        };
        match self {
            KeyCheck::CacheHit => vec![Label::from_static_parts("outcome", "cache_hit")],
            KeyCheck::Revalidated => vec![Label::from_static_parts("outcome", "revalidated")],
            KeyCheck::Verified => vec![Label::from_static_parts("outcome", "verified")],
            KeyCheck::Error => vec![Label::from_static_parts("outcome", "error")],
            KeyCheck::Missing => refused("missing"),
            KeyCheck::BadHeader => refused("bad_header"),
            KeyCheck::Malformed => refused("malformed"),
            KeyCheck::UnknownKey => refused("unknown_key"),
            KeyCheck::WrongSecret => refused("wrong_secret"),
            KeyCheck::WrongPrefix => refused("wrong_prefix"),
            KeyCheck::Deleted => refused("deleted"),
            KeyCheck::Expired => refused("expired"),
            KeyCheck::Revoked => refused("revoked"),
            KeyCheck::RateLimited => refused("rate_limited"),
            KeyCheck::Busy => refused("busy"),
            KeyCheck::IpNotAllowed => refused("ip_not_allowed"),
        }
    }
}

/// One counter per [`KeyCheck`], registered once; counters that count nothing
/// when metrics are off.
#[derive(Clone)]
pub struct KeyChecks([Counter; KeyCheck::ALL.len()]);

impl Default for KeyChecks {
    fn default() -> Self {
        KeyChecks(std::array::from_fn(|_| Counter::noop()))
    }
}

impl KeyChecks {
    /// Counters registered with a recorder, one per [`KeyCheck::ALL`] in order.
    pub(crate) fn new(counters: [Counter; KeyCheck::ALL.len()]) -> Self {
        KeyChecks(counters)
    }

    pub fn count(&self, check: KeyCheck) {
        self.0[check as usize].increment(1);
    }
}
