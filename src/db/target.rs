//! Which database to use, from `DATABASE_URL`.

use secrecy::SecretString;

/// Why `DATABASE_URL` names no database this server can use.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("DATABASE_URL must start with sqlite:// or postgres:// (got a {0}:// URL)")]
    UnknownScheme(String),
    #[error("DATABASE_URL must start with sqlite:// or postgres:// (got a value without a URL scheme)")]
    WithoutScheme,
    #[error("DATABASE_URL: sqlite:// needs a file path, e.g. sqlite://data/monkeyci.db")]
    SqliteWithoutPath,
}

/// Where the data lives, picked from the scheme of `DATABASE_URL`.
#[derive(Clone)]
pub enum DatabaseTarget {
    Sqlite { path: String },
    Postgres { url: SecretString },
}

impl std::fmt::Debug for DatabaseTarget {
    // The Postgres URL may carry a password: only the kind is printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseTarget::Sqlite { path } => write!(f, "sqlite://{path}"),
            DatabaseTarget::Postgres { .. } => write!(f, "postgres://…"),
        }
    }
}

impl DatabaseTarget {
    pub fn parse(raw: &str) -> Result<Self, DatabaseUrlError> {
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DatabaseUrlError::SqliteWithoutPath);
            }
            Ok(DatabaseTarget::Sqlite { path: path.to_string() })
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Ok(DatabaseTarget::Postgres { url: SecretString::from(raw.to_string()) })
        } else {
            match raw.split_once("://").map(|(scheme, _)| scheme).filter(|s| is_url_scheme(s)) {
                Some(scheme) => Err(DatabaseUrlError::UnknownScheme(scheme.to_string())),
                None => Err(DatabaseUrlError::WithoutScheme),
            }
        }
    }
}

/// A URL scheme as RFC 3986 writes it (a letter, then letters, digits, `+`, `-`
/// or `.`), and short like every real one: anything else before `://` may be
/// part of a secret, so it is not shown.
fn is_url_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    s.len() <= 16
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}
