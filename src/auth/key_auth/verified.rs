//! `Verified`: an authenticated caller as the cache holds it, with slots for
//! renderings of it that a handler may fill once (the API's `whoami` body, the
//! introspection answer).
//! The cache replaces the whole value whenever the caller's data is read again
//! or changes, so a memoized rendering can never outlive what it shows.

use std::ops::Deref;
use std::sync::OnceLock;

use bytes::Bytes;

use crate::domain::access::Caller;

#[derive(Debug)]
pub struct Verified {
    caller: Caller,
    rendered: OnceLock<Bytes>,
    introspection: OnceLock<Bytes>,
}

impl Verified {
    pub fn new(caller: Caller) -> Verified {
        Verified { caller, rendered: OnceLock::new(), introspection: OnceLock::new() }
    }

    /// The rendering made by `render` the first time it succeeds, reused
    /// afterwards; a failure is returned and not kept.
    pub fn rendered<E>(&self, render: impl FnOnce(&Caller) -> Result<Bytes, E>) -> Result<Bytes, E> {
        memoized(&self.rendered, &self.caller, render)
    }

    /// The same for the introspection answer, in a slot of its own.
    pub fn introspection<E>(&self, render: impl FnOnce(&Caller) -> Result<Bytes, E>) -> Result<Bytes, E> {
        memoized(&self.introspection, &self.caller, render)
    }
}

fn memoized<E>(
    slot: &OnceLock<Bytes>,
    caller: &Caller,
    render: impl FnOnce(&Caller) -> Result<Bytes, E>,
) -> Result<Bytes, E> {
    if let Some(bytes) = slot.get() {
        return Ok(bytes.clone());
    }
    let bytes = render(caller)?;
    // Two requests may render at once: both get the one that is kept.
    Ok(slot.get_or_init(|| bytes).clone())
}

impl Deref for Verified {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.caller
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::domain::access::{KeyFacts, KeyHolder, KeyReach, OrgRef};
    use crate::domain::api_key::{KeyKind, KeyPolicy, PublicId, Scope};
    #[allow(unused_imports)]
    use crate::domain::ids::{KeyId, OrgId, UserId};

    fn verified() -> Verified {
        Verified::new(Caller {
            key: KeyFacts {
                id: KeyId::new(1),
                public_id: PublicId::parse("AAAAAAAAAAAAAAAA").unwrap(),
                kind: KeyKind::Organization,
                description: "ci".into(),
                valid_until: None,
                created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
                scope: Scope::full_access(),
                reach: KeyReach::AllOrgs,
                allowed_networks: None,
                revoked: None,
            },
            holder: KeyHolder::Organization {
                org: OrgRef { id: OrgId::new(1), slug: "acme".into(), name: "Acme".into() },
                policy: KeyPolicy::default(),
            },
        })
    }

    #[test]
    fn a_failed_rendering_is_not_kept_and_a_good_one_is() {
        let verified = verified();
        assert_eq!(verified.rendered(|_| Err::<Bytes, _>("broken")), Err("broken"));
        assert_eq!(
            verified.rendered(|_| Ok::<_, ()>(Bytes::from_static(b"first"))),
            Ok(Bytes::from_static(b"first"))
        );
        let again = verified.rendered(|_| Err::<Bytes, _>("not called"));
        assert_eq!(again, Ok(Bytes::from_static(b"first")));
    }
}
