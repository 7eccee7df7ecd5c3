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
/// A URL ending in `/api/v1` (the API's own address, as people copy it) means the
/// server above it.
#[derive(Debug, Clone)]
pub struct ServerUrl {
    url: Url,
    pub source: Source,
}

impl ServerUrl {
    /// Every refusal is a usage error naming where the URL came from.
    pub fn parse(raw: Sourced<String>) -> Result<ServerUrl, CliError> {
        let invalid =
            |why: &str| CliError::Usage(format!("the server URL from {} is not valid: {why}", raw.source));
        // `127.0.0.1:8080` fails to parse and `localhost:8080` parses with the
        // scheme `localhost`: neither is what the person meant.
        if !raw.value.contains("://") {
            return Err(CliError::Usage(format!(
                "the server URL from {} needs a full URL such as {}",
                raw.source,
                with_scheme(&raw.value).unwrap_or_else(|| DEFAULT_EXAMPLE.to_string())
            )));
        }
        let mut url = Url::parse(&raw.value).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(invalid("expected http://host[:port] or https://host[:port]"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it must not hold a user name or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("it must not have a query or a fragment"));
        }
        strip_api_path(&mut url);
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

/// Shown when the value gives nothing to build an example from.
const DEFAULT_EXAMPLE: &str = "http://127.0.0.1:8080";

/// `http://` before a bare `host[:port][/path]`, for the message; `None` for
/// anything else (it might hold a password: it is not repeated).
fn with_scheme(raw: &str) -> Option<String> {
    let plain = !raw.is_empty()
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '/' | '[' | ']' | '_'));
    plain.then(|| format!("http://{raw}"))
}

/// `…/api/v1` and `…/api/v1/` become `…/`: the client adds `api/v1` itself.
fn strip_api_path(url: &mut Url) {
    let segments: Vec<String> = url
        .path_segments()
        .map(|segments| segments.filter(|s| !s.is_empty()).map(str::to_string).collect())
        .unwrap_or_default();
    if let [base @ .., api, version] = segments.as_slice()
        && api == "api"
        && version == "v1"
    {
        let mut path = base.join("/");
        path.insert(0, '/');
        if !base.is_empty() {
            path.push('/');
        }
        url.set_path(&path);
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
        let error = parse("http://").unwrap_err();
        assert!(error.to_string().starts_with("the server URL from --url is not valid: "), "{error}");
        assert_eq!(error.exit_code(), 2);
    }

    #[test]
    fn a_url_without_a_scheme_is_answered_with_the_full_url_to_type() {
        let message = |raw: &str, source: Source| {
            let error = ServerUrl::parse(Sourced { value: raw.into(), source }).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{raw}");
            error.to_string()
        };
        assert_eq!(
            message("127.0.0.1:18181", Source::Flag(URL_FLAG)),
            "the server URL from --url needs a full URL such as http://127.0.0.1:18181"
        );
        assert_eq!(
            message("localhost:8080", Source::Environment("MONKEYCI_URL")),
            "the server URL from MONKEYCI_URL needs a full URL such as http://localhost:8080"
        );
        assert_eq!(
            message("ci.example", Source::File("/c.yaml".into())),
            "the server URL from /c.yaml needs a full URL such as http://ci.example"
        );
        assert_eq!(
            message("me:secret@ci.example", Source::Flag(URL_FLAG)),
            "the server URL from --url needs a full URL such as http://127.0.0.1:8080",
            "a value that may hold a password is not repeated"
        );
    }

    #[test]
    fn the_apis_own_address_means_the_server_above_it() {
        let base = |raw: &str| {
            ServerUrl::parse(Sourced { value: raw.into(), source: Source::Default }).unwrap().to_string()
        };
        assert_eq!(base("http://127.0.0.1:8080/api/v1"), "http://127.0.0.1:8080");
        assert_eq!(base("http://127.0.0.1:8080/api/v1/"), "http://127.0.0.1:8080");
        assert_eq!(base("https://ci.example/monkey/api/v1"), "https://ci.example/monkey");
        assert_eq!(base("https://ci.example/api/v2"), "https://ci.example/api/v2", "only /api/v1");
        let url = ServerUrl::parse(Sourced {
            value: "https://ci.example/monkey/api/v1/".into(),
            source: Source::Default,
        })
        .unwrap();
        assert_eq!(url.endpoint(&["whoami"]).as_str(), "https://ci.example/monkey/api/v1/whoami");
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
