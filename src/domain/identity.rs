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
    /// The platform says `email` is the person's and confirmed (GitHub's primary
    /// verified address, GitLab's confirmed one, OIDC's `email_verified`). Only
    /// such an address receives mail; another is shown, never written to.
    pub email_verified: bool,
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
            email_verified: false,
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

/// At most this many characters of a login are shown in a label.
const LABEL_LOGIN_MAX: usize = 64;

/// One of a person's ways to sign in, as shown next to their display name where
/// admins decide about them: "github: mallory". Display names are free text, so
/// two people may both be "Alice Example"; the platform and the login there tell
/// them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityLabel(String);

impl IdentityLabel {
    /// From a stored identity: the platform's slug and the login (hidden characters
    /// dropped, cut to 64 characters), or the platform's immutable id when no
    /// login is left.
    pub fn new(platform: &str, login: &str, platform_user_id: &str) -> IdentityLabel {
        let visible = |raw: &str| super::text::without_hidden(raw).trim().to_string();
        let login =
            Some(visible(login)).filter(|l| !l.is_empty()).unwrap_or_else(|| visible(platform_user_id));
        let shown: String = if login.chars().count() > LABEL_LOGIN_MAX {
            login.chars().take(LABEL_LOGIN_MAX - 1).chain(['…']).collect()
        } else {
            login
        };
        IdentityLabel(format!("{}: {shown}", visible(platform)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for IdentityLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::display_name::DisplayName;

    fn profile(login: &str, name: Option<&str>) -> PlatformProfile {
        PlatformProfile {
            platform: "github".into(),
            platform_user_id: "583231".into(),
            login: login.into(),
            display_name: name.map(str::to_string),
            email: None,
            email_verified: false,
            avatar_url: None,
        }
    }

    #[test]
    fn a_label_is_the_platform_and_the_login() {
        assert_eq!(IdentityLabel::new("github", "mallory", "583231").as_str(), "github: mallory");
        let dev = PlatformProfile::development(&DisplayName::parse("Alice Example").unwrap());
        assert_eq!(
            IdentityLabel::new(&dev.platform, &dev.login, &dev.platform_user_id).as_str(),
            "dev: Alice Example"
        );
    }

    #[test]
    fn a_label_shows_no_hidden_characters_and_never_nothing() {
        assert_eq!(IdentityLabel::new("oidc", "mal\u{202E}lory\u{200B}", "x").as_str(), "oidc: mallory");
        assert_eq!(IdentityLabel::new("oidc", "\u{200B} ", "sub-1").as_str(), "oidc: sub-1");
        let long = IdentityLabel::new("oidc", &"x".repeat(100), "x");
        assert_eq!(long.as_str(), format!("oidc: {}…", "x".repeat(63)));
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
