//! A person's display name as they enter it.

use std::fmt;

use super::text;

pub const MAX_CHARS: usize = 64;

/// A display name: 1 to 64 characters after trimming, no control characters and
/// no invisible ones (text-direction controls, zero-width characters: see
/// [`text::is_invisible`]), so that names that look alike are the same text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisplayNameError {
    #[error("Enter a name.")]
    Empty,
    #[error("Use at most {MAX_CHARS} characters.")]
    TooLong,
    #[error("The name cannot contain control characters.")]
    ControlCharacter,
    /// The form shows the name back without them ([`text::without_invisible`]).
    #[error(
        "The name cannot contain invisible or text-direction characters. They were removed: check the name and save again."
    )]
    InvisibleCharacter,
}

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, DisplayNameError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(DisplayNameError::Empty);
        }
        if trimmed.chars().count() > MAX_CHARS {
            return Err(DisplayNameError::TooLong);
        }
        if trimmed.chars().any(char::is_control) {
            return Err(DisplayNameError::ControlCharacter);
        }
        if trimmed.chars().any(text::is_invisible) {
            return Err(DisplayNameError::InvisibleCharacter);
        }
        Ok(DisplayName(trimmed.to_string()))
    }

    /// The name for a user created from a platform profile: the platform's name
    /// (or the login), made to fit the same rules as a name typed in the profile
    /// form: control and invisible characters dropped (nobody is there to ask),
    /// at most 64 characters. Platforms allow longer names (GitHub and GitLab: 255).
    pub fn from_platform(name: Option<&str>, login: &str) -> DisplayName {
        let fit = |raw: &str| -> String {
            let cleaned = text::without_hidden(raw);
            cleaned.trim().chars().take(MAX_CHARS).collect::<String>().trim_end().to_string()
        };
        let name = name.map(fit).filter(|n| !n.is_empty()).unwrap_or_else(|| fit(login));
        if name.is_empty() { DisplayName("unnamed".to_string()) } else { DisplayName(name) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed() {
        assert_eq!(DisplayName::parse("  Ada Lovelace \n").unwrap().as_str(), "Ada Lovelace");
    }

    #[test]
    fn a_blank_name_is_refused() {
        assert_eq!(DisplayName::parse("   "), Err(DisplayNameError::Empty));
    }

    #[test]
    fn sixty_four_characters_are_allowed_and_sixty_five_are_not() {
        assert!(DisplayName::parse(&"é".repeat(64)).is_ok());
        assert_eq!(DisplayName::parse(&"é".repeat(65)), Err(DisplayNameError::TooLong));
    }

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(DisplayName::parse("a\u{0}b"), Err(DisplayNameError::ControlCharacter));
    }

    #[test]
    fn direction_and_zero_width_characters_are_refused() {
        for name in [
            "Alice\u{202E}txt.exe",
            "Al\u{200B}ice",
            "\u{FEFF}Alice",
            "Alice\u{2066}x\u{2069}",
            "Ali\u{00AD}ce",
            "Alice\u{061C}",
            "A\u{180E}lice",
            "\u{200E}Alice\u{200F}",
        ] {
            assert_eq!(DisplayName::parse(name), Err(DisplayNameError::InvisibleCharacter), "{name:?}");
        }
        // Only invisible characters: still refused for them, not as empty.
        assert_eq!(DisplayName::parse("\u{200B}\u{200B}"), Err(DisplayNameError::InvisibleCharacter));
    }

    #[test]
    fn names_in_any_script_are_accepted() {
        for name in ["Zoë Ådahl", "日本 太郎", "محمد", "Ωμέγα", "Ada 👍"] {
            assert_eq!(DisplayName::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn a_platform_name_loses_its_invisible_characters() {
        let name = DisplayName::from_platform(Some("\u{202E}Al\u{200B}ice\u{FEFF} "), "alice");
        assert_eq!(name.as_str(), "Alice");
        assert!(DisplayName::parse(name.as_str()).is_ok());
        // Nothing visible left: the login, then the fallback.
        assert_eq!(DisplayName::from_platform(Some("\u{200B}\u{202E}"), "a\u{200D}da").as_str(), "ada");
        assert_eq!(DisplayName::from_platform(Some("\u{200B}"), "\u{2060} ").as_str(), "unnamed");
        // Removed before the 64 characters are counted.
        let padded = format!("{}{}", "\u{200B}".repeat(100), "x".repeat(64));
        assert_eq!(DisplayName::from_platform(Some(&padded), "x").as_str(), "x".repeat(64));
    }

    #[test]
    fn a_platform_name_is_made_to_fit_the_rules() {
        let long = format!("Ada {}", "Lovelace ".repeat(20));
        let fitted = DisplayName::from_platform(Some(&long), "ada");
        assert_eq!(fitted.as_str().chars().count(), 64);
        assert!(DisplayName::parse(fitted.as_str()).is_ok());
        assert_eq!(DisplayName::from_platform(Some("A\u{7}da"), "ada").as_str(), "Ada");
        assert_eq!(DisplayName::from_platform(Some("  "), "ada").as_str(), "ada");
        assert_eq!(DisplayName::from_platform(None, "ada").as_str(), "ada");
    }

    #[test]
    fn markup_is_kept_as_text() {
        assert_eq!(DisplayName::parse("<b>x</b>").unwrap().as_str(), "<b>x</b>");
    }
}
