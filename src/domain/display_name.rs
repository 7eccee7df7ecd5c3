//! A person's display name as they enter it.

use std::fmt;

pub const MAX_CHARS: usize = 64;

/// A display name: 1 to 64 characters after trimming, no control characters.
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
        Ok(DisplayName(trimmed.to_string()))
    }

    /// The name for a user created from a platform profile: the platform's name
    /// (or the login), made to fit the same rules as a name typed in the profile
    /// form: control characters dropped, at most 64 characters. Platforms allow
    /// longer names (GitHub and GitLab: 255).
    pub fn from_platform(name: Option<&str>, login: &str) -> DisplayName {
        let fit = |raw: &str| -> String {
            let cleaned: String = raw.chars().filter(|c| !c.is_control()).collect();
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
