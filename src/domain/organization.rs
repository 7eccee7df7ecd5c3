//! Organizations: their names, slugs and the roles of their members.

use std::fmt;

use super::text;

pub const SLUG_MIN: usize = 2;
pub const SLUG_MAX: usize = 40;
pub const NAME_MAX: usize = 100;

/// The organization's address (`/o/{slug}`): 2 to 40 of `a-z`, `0-9` and `-`,
/// starting and ending with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrgSlug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("Enter a short name for the address.")]
    Empty,
    #[error("Use at least {SLUG_MIN} characters.")]
    TooShort,
    #[error("Use at most {SLUG_MAX} characters.")]
    TooLong,
    #[error("Use only lower-case letters, digits and hyphens.")]
    BadCharacter,
    #[error("Start and end with a letter or a digit.")]
    EdgeHyphen,
}

impl OrgSlug {
    pub fn parse(raw: &str) -> Result<OrgSlug, SlugError> {
        let slug = raw.trim();
        if slug.is_empty() {
            return Err(SlugError::Empty);
        }
        if !slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return Err(SlugError::BadCharacter);
        }
        if slug.len() < SLUG_MIN {
            return Err(SlugError::TooShort);
        }
        if slug.len() > SLUG_MAX {
            return Err(SlugError::TooLong);
        }
        if slug.starts_with('-') || slug.ends_with('-') {
            return Err(SlugError::EdgeHyphen);
        }
        Ok(OrgSlug(slug.to_string()))
    }

    /// The slug in an address (`/o/{slug}`), exactly as written: no trimming, so
    /// only the one spelling of an address finds its organization.
    pub fn from_address(raw: &str) -> Option<OrgSlug> {
        OrgSlug::parse(raw).ok().filter(|slug| slug.as_str() == raw)
    }

    /// A slug suggested from a display name: "Acme Corp." → "acme-corp". May be
    /// too short to be valid (a name of one letter, or only symbols).
    pub fn suggest(name: &str) -> String {
        let mut slug = String::new();
        for c in text::without_hidden(name).trim().chars().flat_map(char::to_lowercase) {
            let c = fold_accent(c);
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let mut slug: String = slug.chars().take(SLUG_MAX).collect();
        while slug.ends_with('-') {
            slug.pop();
        }
        slug
    }

    /// The address an organization gets when its Address field is left empty:
    /// the suggestion from its name, if that is a valid slug. The form and its
    /// preview (`GET /orgs/slug-preview`) both use this, so they cannot disagree.
    pub fn derive(name: &str) -> Result<OrgSlug, SlugError> {
        OrgSlug::parse(&OrgSlug::suggest(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The common Latin accents, so "Café Zürich" suggests "cafe-zurich".
fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        other => other,
    }
}

impl fmt::Display for OrgSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The organization's display name: 1 to 100 characters after trimming, without
/// control or invisible characters (people find and tell organizations apart by it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgNameError {
    #[error("Enter a name.")]
    Empty,
    #[error("Use at most {NAME_MAX} characters.")]
    TooLong,
    #[error("The name cannot contain control characters.")]
    ControlCharacter,
    /// The form shows the name back without them ([`text::without_invisible`]).
    #[error(
        "The name cannot contain invisible or text-direction characters. They were removed: check the name and save again."
    )]
    InvisibleCharacter,
}

impl OrgName {
    pub fn parse(raw: &str) -> Result<OrgName, OrgNameError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(OrgNameError::Empty);
        }
        if name.chars().count() > NAME_MAX {
            return Err(OrgNameError::TooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(OrgNameError::ControlCharacter);
        }
        if name.chars().any(text::is_invisible) {
            return Err(OrgNameError::InvisibleCharacter);
        }
        Ok(OrgName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A member's role in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Admin, Role::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        match raw {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Member => "Member",
        }
    }
}

/// Whether a member with `role` may leave (or be removed from) an organization
/// that has `admins` admins: the last admin stays, so that someone can still
/// manage it. The storage checks it again under the organization's row lock;
/// pages use it to offer only what would work.
pub fn may_leave(role: Role, admins: usize) -> bool {
    role != Role::Admin || admins > 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_admin_may_not_leave() {
        assert!(!may_leave(Role::Admin, 1));
        assert!(may_leave(Role::Admin, 2));
        assert!(may_leave(Role::Member, 1));
    }

    #[test]
    fn a_valid_slug_is_kept() {
        assert_eq!(OrgSlug::parse("acme-corp-2").unwrap().as_str(), "acme-corp-2");
    }

    #[test]
    fn slugs_outside_the_rules_are_refused_with_a_reason() {
        assert_eq!(OrgSlug::parse(""), Err(SlugError::Empty));
        assert_eq!(OrgSlug::parse("a"), Err(SlugError::TooShort));
        assert_eq!(OrgSlug::parse(&"a".repeat(41)), Err(SlugError::TooLong));
        assert_eq!(OrgSlug::parse("Acme"), Err(SlugError::BadCharacter));
        assert_eq!(OrgSlug::parse("ac me"), Err(SlugError::BadCharacter));
        assert_eq!(OrgSlug::parse("acme/x"), Err(SlugError::BadCharacter));
        assert_eq!(OrgSlug::parse("-acme"), Err(SlugError::EdgeHyphen));
        assert_eq!(OrgSlug::parse("acme-"), Err(SlugError::EdgeHyphen));
        assert!(OrgSlug::parse(&"a".repeat(40)).is_ok());
        assert!(OrgSlug::parse("ab").is_ok());
    }

    #[test]
    fn a_slug_is_suggested_from_the_name() {
        assert_eq!(OrgSlug::suggest("Acme Corp."), "acme-corp");
        assert_eq!(OrgSlug::suggest("  Café   Zürich "), "cafe-zurich");
        assert_eq!(OrgSlug::suggest("--Hello__World--"), "hello-world");
        assert_eq!(OrgSlug::suggest("日本"), "");
        assert_eq!(OrgSlug::suggest("Ac\u{200B}me\u{202E} Corp"), "acme-corp");
        assert_eq!(OrgSlug::suggest(&"long name ".repeat(10)).len(), 39);
    }

    #[test]
    fn every_suggestion_of_a_latin_name_is_a_valid_slug() {
        for name in ["Acme", "The Build Crew", "ci/cd team #1", "Zürich Ops"] {
            assert!(OrgSlug::parse(&OrgSlug::suggest(name)).is_ok(), "{name}");
        }
    }

    #[test]
    fn a_name_derives_an_address_only_when_it_gives_a_valid_one() {
        assert_eq!(OrgSlug::derive("Ørsted").unwrap().as_str(), "orsted");
        assert_eq!(OrgSlug::derive("Acme Corp.").unwrap().as_str(), "acme-corp");
        assert_eq!(OrgSlug::derive("A"), Err(SlugError::TooShort));
        assert_eq!(OrgSlug::derive("日本"), Err(SlugError::Empty));
    }

    #[test]
    fn an_organization_name_is_trimmed_and_bounded() {
        assert_eq!(OrgName::parse("  Acme ").unwrap().as_str(), "Acme");
        assert_eq!(OrgName::parse(" "), Err(OrgNameError::Empty));
        assert_eq!(OrgName::parse(&"x".repeat(101)), Err(OrgNameError::TooLong));
    }

    #[test]
    fn an_organization_name_with_invisible_characters_is_refused() {
        for name in ["Acme\u{202E}proC", "Ac\u{200B}me", "\u{FEFF}Acme", "Acme\u{2067}"] {
            assert_eq!(OrgName::parse(name), Err(OrgNameError::InvisibleCharacter), "{name:?}");
        }
        assert_eq!(OrgName::parse("日本 Ωμέγα 👍").unwrap().as_str(), "日本 Ωμέγα 👍");
    }

    #[test]
    fn roles_round_trip() {
        for role in [Role::Admin, Role::Member] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("owner"), None);
    }
}
