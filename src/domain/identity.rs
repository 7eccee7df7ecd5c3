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
