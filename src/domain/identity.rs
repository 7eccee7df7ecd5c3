//! What a platform tells us about the person who signed in.

/// A person at a platform, as its profile reports them. `platform_user_id` is the
/// platform's immutable id (numeric id, uuid, OIDC `sub`); the other fields may
/// change between sign-ins and are never used to match people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformProfile {
    pub platform: String,
    pub platform_user_id: String,
    pub login: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
}

/// The platform name under which development sign-in records its users.
pub const DEV_PLATFORM: &str = "dev";

impl PlatformProfile {
    /// Development sign-in: the entered name is the identity (case-insensitive),
    /// so entering the same name again reuses the same user.
    pub fn development(name: &super::display_name::DisplayName) -> Self {
        PlatformProfile {
            platform: DEV_PLATFORM.to_string(),
            platform_user_id: name.as_str().to_lowercase(),
            login: name.as_str().to_string(),
            display_name: Some(name.as_str().to_string()),
            email: None,
            avatar_url: None,
        }
    }
}

impl PlatformProfile {
    /// The profile as it is stored: the login and the name without control or
    /// invisible characters ([`super::text::is_hidden`]), as they are shown to the
    /// admins who decide about this person. A login with nothing left becomes the
    /// immutable id, a name with nothing left no name. The ids are kept as they are.
    pub fn without_hidden_characters(&self) -> PlatformProfile {
        let clean = |raw: &str| super::text::without_hidden(raw).trim().to_string();
        let login = clean(&self.login);
        PlatformProfile {
            login: if login.is_empty() { self.platform_user_id.clone() } else { login },
            display_name: self.display_name.as_deref().map(clean).filter(|name| !name.is_empty()),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(login: &str, name: Option<&str>) -> PlatformProfile {
        PlatformProfile {
            platform: "github".into(),
            platform_user_id: "583231".into(),
            login: login.into(),
            display_name: name.map(str::to_string),
            email: None,
            avatar_url: None,
        }
    }

    #[test]
    fn a_stored_profile_has_no_hidden_characters() {
        let stored = profile("\u{202E}mallory\u{200B}", Some("Alice\u{200D} Example\u{7}"))
            .without_hidden_characters();
        assert_eq!(stored.login, "mallory");
        assert_eq!(stored.display_name.as_deref(), Some("Alice Example"));
        assert_eq!(stored.platform_user_id, "583231");
        let stored = profile("\u{2066}\u{2069}", Some("\u{FEFF}")).without_hidden_characters();
        assert_eq!(stored.login, "583231");
        assert_eq!(stored.display_name, None);
        let plain = profile("mallory", Some("Mallory"));
        assert_eq!(plain.without_hidden_characters(), plain);
    }
}
