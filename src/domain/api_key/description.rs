//! What a key is for, as its creator describes it.

pub const MAX_CHARS: usize = 200;

/// 1 to 200 characters after trimming; any Unicode except control characters.
/// Shown escaped, like everything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescriptionError {
    #[error("Describe what the key is for.")]
    Empty,
    #[error("Use at most {MAX_CHARS} characters.")]
    TooLong,
    #[error("The description cannot contain control characters such as line breaks.")]
    ControlCharacter,
}

impl Description {
    pub fn parse(raw: &str) -> Result<Description, DescriptionError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(DescriptionError::Empty);
        }
        if text.chars().count() > MAX_CHARS {
            return Err(DescriptionError::TooLong);
        }
        if text.chars().any(char::is_control) {
            return Err(DescriptionError::ControlCharacter);
        }
        Ok(Description(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_description_is_trimmed() {
        assert_eq!(Description::parse("  deploy bot ").unwrap().as_str(), "deploy bot");
    }

    #[test]
    fn two_hundred_characters_of_any_script_fit_and_more_do_not() {
        assert!(Description::parse(&"ключ".repeat(50)).is_ok());
        assert_eq!(Description::parse(&"ключ".repeat(50).replace('к', "кк")), Err(DescriptionError::TooLong));
        assert!(Description::parse("🚀 deploys").is_ok());
    }

    #[test]
    fn blank_and_multi_line_descriptions_are_refused() {
        assert_eq!(Description::parse(" \t "), Err(DescriptionError::Empty));
        assert_eq!(Description::parse("a\nb"), Err(DescriptionError::ControlCharacter));
    }
}
