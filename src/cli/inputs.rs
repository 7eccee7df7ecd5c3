//! The key and the server URL, parsed once: past this point a key has the right
//! shape and checksum, and a URL is one the client may send a key to.

use std::fmt;

use url::Url;

use super::error::CliError;
use super::source::{Source, Sourced};
use crate::domain::api_key::ParsedToken;

/// A key with the right shape and checksum, checked before any request.
/// `Debug` shows its hint, never the token.
pub struct TokenArgument {
    token: String,
    parsed: ParsedToken,
    pub source: Source,
}

impl TokenArgument {
    pub fn parse(raw: Sourced<String>) -> Result<TokenArgument, CliError> {
        match ParsedToken::parse(&raw.value) {
            Ok(parsed) => Ok(TokenArgument { token: raw.value, parsed, source: raw.source }),
            Err(reason) => Err(CliError::MalformedKey { from: raw.source, reason }),
        }
    }

    /// `mci_org_3fKx…`: what messages show.
    pub fn hint(&self) -> String {
        self.parsed.public_id.hint(self.parsed.kind)
    }

    /// The whole token: only for the `Authorization` header and the config file.
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl fmt::Debug for TokenArgument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenArgument({} from {})", self.hint(), self.source)
    }
}

/// The server's base URL: http or https, without credentials, query or fragment.
#[derive(Debug, Clone)]
pub struct ServerUrl {
    url: Url,
    pub source: Source,
}

impl ServerUrl {
    pub fn parse(raw: Sourced<String>) -> Result<ServerUrl, CliError> {
        let invalid =
            |why: String| CliError::Other(format!("the server URL from {} is not valid: {why}", raw.source));
        let url = Url::parse(&raw.value).map_err(|e| invalid(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(invalid("expected http://host[:port] or https://host[:port]".into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it must not hold a user name or password".into()));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("it must not have a query or a fragment".into()));
        }
        Ok(ServerUrl { url, source: raw.source })
    }

    /// `{base}/api/v1/{segments…}`, each segment percent-encoded.
    pub fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(["api", "v1"]).extend(segments);
        }
        url
    }
}

/// As people wrote it: no trailing slash.
impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str().trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::settings::{API_KEY_FLAG, URL_FLAG};
    use crate::domain::api_key::{KeyKind, generate};

    #[test]
    fn a_server_url_must_be_http_without_credentials() {
        let parse =
            |raw: &str| ServerUrl::parse(Sourced { value: raw.into(), source: Source::Flag(URL_FLAG) });
        assert!(parse("ftp://ci.example").is_err());
        assert!(parse("ci.example").is_err());
        assert!(parse("https://me:pw@ci.example").is_err());
        assert!(parse("https://ci.example/?a=1").is_err());
        let error = parse("nonsense").unwrap_err().to_string();
        assert!(error.starts_with("the server URL from --url is not valid: "), "{error}");
    }

    #[test]
    fn endpoints_keep_a_base_path_and_encode_segments() {
        let url =
            ServerUrl::parse(Sourced { value: "https://ci.example/monkey/".into(), source: Source::Default })
                .unwrap();
        assert_eq!(
            url.endpoint(&["orgs", "a b/c", "keys"]).as_str(),
            "https://ci.example/monkey/api/v1/orgs/a%20b%2Fc/keys"
        );
        let root =
            ServerUrl::parse(Sourced { value: "http://127.0.0.1:8080".into(), source: Source::Default })
                .unwrap();
        assert_eq!(root.endpoint(&["whoami"]).as_str(), "http://127.0.0.1:8080/api/v1/whoami");
    }

    #[test]
    fn debug_shows_the_hint_never_the_token() {
        let raw = generate(KeyKind::Organization).to_token_string();
        let key =
            TokenArgument::parse(Sourced { value: raw.clone(), source: Source::Flag(API_KEY_FLAG) }).unwrap();
        assert_eq!(format!("{key:?}"), format!("TokenArgument({} from --api-key)", key.hint()));
        assert!(!format!("{key:?}").contains(&raw[24..]));
    }
}
