//! The ids of stored things, one type each, so that a user's id cannot be
//! passed where an organization's is expected. They hold the database's
//! integer; storage reads them as they are (`db::ids`) and binds them with `.get()`.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i32);

        impl $name {
            pub const fn new(raw: i32) -> Self {
                $name(raw)
            }

            /// The integer the database stores.
            pub const fn get(self) -> i32 {
                self.0
            }

            /// The same, borrowed (for writers that keep a reference).
            pub const fn as_raw(&self) -> &i32 {
                &self.0
            }
        }

        impl From<i32> for $name {
            fn from(raw: i32) -> Self {
                $name(raw)
            }
        }

        impl From<$name> for i32 {
            fn from(id: $name) -> i32 {
                id.0
            }
        }

        /// The bare number, as logs and messages have always shown ids.
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

id_type!(
    /// A person (`users.id`).
    UserId
);
id_type!(
    /// An organization (`organizations.id`).
    OrgId
);
id_type!(
    /// An API key's row (`api_keys.id`); people and the API see its public id instead.
    KeyId
);
id_type!(
    /// A request to join an organization (`join_requests.id`).
    JoinRequestId
);
id_type!(
    /// A sign-in identity at a platform (`identities.id`).
    IdentityId
);
