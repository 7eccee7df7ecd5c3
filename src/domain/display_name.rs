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
    fn markup_is_kept_as_text() {
        assert_eq!(DisplayName::parse("<b>x</b>").unwrap().as_str(), "<b>x</b>");
    }
}
