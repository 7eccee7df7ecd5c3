//! Where to send a person after sign-in: only a path on this site.

/// A same-origin relative path (`/o/acme?tab=keys`). Anything else, such as
/// `//evil`, `/\evil`, `https://evil` or `javascript:…`, becomes `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnTo(String);

const MAX_LEN: usize = 2048;

impl ReturnTo {
    pub fn parse(raw: &str) -> ReturnTo {
        if is_local_path(raw) { ReturnTo(raw.to_string()) } else { ReturnTo::home() }
    }

    pub fn parse_opt(raw: Option<&str>) -> ReturnTo {
        raw.map_or_else(Self::home, Self::parse)
    }

    pub fn home() -> ReturnTo {
        ReturnTo("/".to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_home(&self) -> bool {
        self.0 == "/"
    }
}

fn is_local_path(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    raw.len() <= MAX_LEN
        && bytes.first() == Some(&b'/')
        // `//host` and `/\host` are read by browsers as another host.
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && !raw.contains('\\')
        // Browsers drop tabs and newlines from URLs, which can turn `/\t/evil` into `//evil`.
        && !raw.chars().any(|c| c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_path_with_a_query_is_kept() {
        assert_eq!(ReturnTo::parse("/o/acme/settings?tab=1").as_str(), "/o/acme/settings?tab=1");
    }

    #[test]
    fn hostile_values_fall_back_to_home() {
        for hostile in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "\\\\evil.example",
            "/ok\\..\\evil",
            "",
        ] {
            assert!(ReturnTo::parse(hostile).is_home(), "{hostile:?} must fall back to /");
        }
    }

    #[test]
    fn an_overlong_path_falls_back_to_home() {
        assert!(ReturnTo::parse(&format!("/{}", "a".repeat(3000))).is_home());
    }
}
