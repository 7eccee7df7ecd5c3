//! One local stand-in for all five sign-in platforms, on a random port.
//!
//! Each platform lives under its own path prefix and answers with the JSON shapes
//! the real one uses (`shapes.rs`, `oidc.rs`). A test approves an authorization
//! request the app sent the browser to (`approve`), which registers a one-time
//! code; the app then redeems that code at the token endpoint and reads the
//! profile. The stand-in records what the token endpoint and the APIs received,
//! and remembers every secret it handed out so tests can check none of them leak.

mod oidc;
mod routes;
pub mod secret_scanning;
mod shapes;

pub use routes::s256;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::{App, HttpServer, web};
use monkeyci_accounts::config::{
    BitbucketSettings, CodebergSettings, GitHubSettings, GitLabSettings, OAuthApp, OidcSettings,
    PlatformSettings,
};
use secrecy::SecretString;
use url::Url;

/// The name the OpenID Connect provider is configured with (its button label).
pub const OIDC_NAME: &str = "Example ID";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Platform {
    GitHub,
    GitLab,
    Bitbucket,
    Codeberg,
    Oidc,
}

impl Platform {
    pub const ALL: [Platform; 5] =
        [Platform::GitHub, Platform::GitLab, Platform::Bitbucket, Platform::Codeberg, Platform::Oidc];

    /// The name in the app's routes and in the identities table.
    pub fn slug(self) -> &'static str {
        match self {
            Platform::GitHub => "github",
            Platform::GitLab => "gitlab",
            Platform::Bitbucket => "bitbucket",
            Platform::Codeberg => "codeberg",
            Platform::Oidc => "oidc",
        }
    }

    pub fn from_slug(slug: &str) -> Platform {
        Platform::ALL.into_iter().find(|p| p.slug() == slug).unwrap_or_else(|| panic!("no platform {slug}"))
    }

    /// The name on buttons and in messages.
    pub fn label(self) -> &'static str {
        match self {
            Platform::GitHub => "GitHub",
            Platform::GitLab => "GitLab",
            Platform::Bitbucket => "Bitbucket",
            Platform::Codeberg => "Codeberg",
            Platform::Oidc => OIDC_NAME,
        }
    }

    /// Whether the platform supports PKCE (Bitbucket Cloud does not).
    pub fn supports_pkce(self) -> bool {
        self != Platform::Bitbucket
    }

    /// The path of the authorization endpoint at the stand-in.
    fn authorize_path(self) -> &'static str {
        match self {
            Platform::GitHub => "/github/login/oauth/authorize",
            Platform::GitLab => "/gitlab/oauth/authorize",
            Platform::Bitbucket => "/bitbucket/site/oauth2/authorize",
            Platform::Codeberg => "/codeberg/login/oauth/authorize",
            Platform::Oidc => "/oidc/authorize",
        }
    }

    /// A platform-shaped immutable user id: numeric for GitHub, GitLab and
    /// Codeberg, a braced uuid for Bitbucket, an opaque `sub` for OIDC.
    pub fn user_id(self, n: u32) -> String {
        match self {
            Platform::GitHub | Platform::GitLab | Platform::Codeberg => (5_831_000 + n).to_string(),
            Platform::Bitbucket => format!("{{1b2c3d4e-0000-4000-8000-{n:012}}}"),
            Platform::Oidc => format!("00u{n:06}abcdEFGH"),
        }
    }

    /// The id as the app stores it in `identities.platform_user_id`.
    pub fn stored_id(self, standin: &StandIn, id: &str) -> String {
        match self {
            Platform::Bitbucket => id.trim_matches(|c| c == '{' || c == '}').to_ascii_lowercase(),
            Platform::Oidc => format!("{}#{id}", standin.issuer()),
            _ => id.to_string(),
        }
    }
}

/// A person at a platform. Rendered into each platform's own profile shape.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub login: String,
    pub name: Option<String>,
    /// The email in the profile itself (GitHub: the public one; Bitbucket has none there).
    pub email: Option<String>,
    /// Whether the platform confirmed `email`: GitLab's `confirmed_at`, the OpenID
    /// provider's `email_verified`, and the profile email's entry in the lists below.
    pub email_verified: bool,
    pub avatar_url: Option<String>,
    /// GitHub's, Bitbucket's and Forgejo's `/user/emails`; when empty, the
    /// profile email is listed as primary, verified as `email_verified` says.
    pub listed_emails: Vec<ListedEmail>,
}

#[derive(Debug, Clone)]
pub struct ListedEmail {
    pub email: String,
    pub primary: bool,
    pub verified: bool,
}

impl Person {
    /// Ada, with a name, an email and an avatar.
    pub fn ada(platform: Platform) -> Person {
        Person {
            id: platform.user_id(1),
            login: "ada".into(),
            name: Some("Ada Lovelace".into()),
            email: Some("ada@example.com".into()),
            email_verified: true,
            avatar_url: Some("https://avatars.example/ada-1.png".into()),
            listed_emails: Vec::new(),
        }
    }

    /// Grace, another person on the same platform.
    pub fn grace(platform: Platform) -> Person {
        Person {
            id: platform.user_id(2),
            login: "grace".into(),
            name: Some("Grace Hopper".into()),
            email: Some("grace@example.com".into()),
            email_verified: true,
            avatar_url: Some("https://avatars.example/grace.png".into()),
            listed_emails: Vec::new(),
        }
    }

    pub fn emails_to_list(&self) -> Vec<ListedEmail> {
        if !self.listed_emails.is_empty() {
            return self.listed_emails.clone();
        }
        self.email
            .iter()
            .map(|e| ListedEmail { email: e.clone(), primary: true, verified: self.email_verified })
            .collect()
    }
}

/// Ways the stand-in can misbehave for one approved sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// GitHub's habit: HTTP 200 with `{"error": "bad_verification_code", …}`.
    ErrorInOkTokenResponse,
    /// The token endpoint answers 500.
    TokenEndpointDown,
    /// The profile API answers 500.
    ProfileDown,
    /// The profile API refuses the access token with 401.
    ProfileRefusesToken,
    /// `/user/emails` (GitHub, Bitbucket, Forgejo) answers 500 (the profile itself works).
    EmailListDown,
    /// The token endpoint answers with a redirect (to the trap).
    TokenEndpointRedirects,
    /// The profile API answers with a redirect (to the trap).
    ProfileRedirects,
    /// The ID token is signed with a key that is not in the JWKS (same `kid`).
    IdTokenSignedWithAnotherKey,
    /// `alg: none`, no signature.
    IdTokenUnsigned,
    /// HS256 with the client secret as the key (the algorithm-confusion forgery).
    IdTokenSignedWithClientSecret,
    /// `at_hash` of another access token.
    IdTokenWithAnotherAtHash,
    IdTokenFromAnotherIssuer,
    IdTokenForAnotherClient,
    IdTokenExpired,
    IdTokenWithAnotherNonce,
    /// The token response has no `id_token`.
    NoIdToken,
}

/// The request the app sent the browser to: the platform's authorize URL.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub platform: Platform,
    pub url: Url,
    params: HashMap<String, String>,
}

impl AuthorizeRequest {
    /// Parses the app's redirect; panics unless it points at this stand-in.
    pub fn parse(standin: &StandIn, location: &str) -> AuthorizeRequest {
        let url = Url::parse(location).unwrap_or_else(|e| panic!("{location:?} is not a URL: {e}"));
        let path = url.as_str().strip_prefix(&standin.base).map(|rest| rest.split('?').next().unwrap_or(""));
        let platform = Platform::ALL
            .into_iter()
            .find(|p| path == Some(p.authorize_path()))
            .unwrap_or_else(|| panic!("{location} is not a stand-in authorize URL"));
        let params = url.query_pairs().into_owned().collect();
        AuthorizeRequest { platform, url, params }
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub fn state(&self) -> &str {
        self.param("state").expect("the authorize URL has a state")
    }
}

/// What the token endpoint received.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub platform: Platform,
    pub form: HashMap<String, String>,
    /// Client id and secret from an `Authorization: Basic` header.
    pub basic_auth: Option<(String, String)>,
}

impl TokenRequest {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form.get(name).map(String::as_str)
    }
}

/// A request to a profile API.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub path: String,
    pub authorization: Option<String>,
}

/// An approved authorization request, waiting for its code to be redeemed.
#[derive(Debug, Clone)]
struct Grant {
    platform: Platform,
    person: Person,
    redirect_uri: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    nonce: Option<String>,
    failure: Option<Failure>,
}

/// An access token the stand-in issued, and whose profile it opens.
#[derive(Debug, Clone)]
struct Issued {
    platform: Platform,
    person: Person,
    failure: Option<Failure>,
}

#[derive(Default)]
struct Records {
    grants: HashMap<String, Grant>,
    tokens: HashMap<String, Issued>,
    token_requests: Vec<TokenRequest>,
    api_requests: Vec<ApiRequest>,
    /// Everything secret the stand-in handed out: codes, access and refresh tokens.
    secrets: Vec<String>,
    /// When set, the discovery document names this issuer instead of the real one.
    advertised_issuer: Option<String>,
    /// Requests that followed a redirect to `/trap`.
    trap_hits: usize,
    /// `token_endpoint_auth_methods_supported` of the OpenID provider; the token
    /// endpoint accepts only these. Default: both client_secret methods.
    oidc_auth_methods: Option<Vec<String>>,
}

/// State shared by the stand-in's handlers and the test.
pub(crate) struct Shared {
    base: String,
    /// (client id, client secret) per platform.
    apps: HashMap<Platform, (String, String)>,
    records: Mutex<Records>,
}

impl Shared {
    fn records(&self) -> MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn issuer(&self) -> String {
        format!("{}/oidc", self.base)
    }
}

pub struct StandIn {
    pub base: String,
    shared: Arc<Shared>,
}

/// A random, recognisable secret.
fn distinctive(prefix: &str) -> String {
    format!("{prefix}{}", hex::encode(monkeyci_accounts::random::os_bytes::<16>()))
}

impl StandIn {
    pub async fn start() -> StandIn {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let apps = Platform::ALL
            .into_iter()
            .map(|p| {
                let id = format!("standin-client-{}", p.slug());
                (p, (id, distinctive(&format!("standinsecret{}", p.slug()))))
            })
            .collect();
        let shared = Arc::new(Shared { base: base.clone(), apps, records: Mutex::default() });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || App::new().app_data(data.clone()).configure(routes::configure))
            .workers(1)
            .disable_signals()
            .listen(listener)
            .expect("the stand-in listens")
            .run();
        actix_web::rt::spawn(server);
        StandIn { base, shared }
    }

    pub fn url(&self, path: &str) -> Url {
        Url::parse(&format!("{}{path}", self.base)).unwrap()
    }

    pub fn issuer(&self) -> String {
        self.shared.issuer()
    }

    pub fn client_id(&self, platform: Platform) -> String {
        self.shared.apps[&platform].0.clone()
    }

    pub fn client_secret(&self, platform: Platform) -> String {
        self.shared.apps[&platform].1.clone()
    }

    fn app(&self, platform: Platform) -> OAuthApp {
        OAuthApp {
            client_id: self.client_id(platform),
            client_secret: SecretString::from(self.client_secret(platform)),
        }
    }

    /// All five platforms, pointed at this stand-in.
    pub fn platforms(&self) -> PlatformSettings {
        PlatformSettings {
            github: Some(GitHubSettings {
                app: self.app(Platform::GitHub),
                url: self.url("/github"),
                api_url: self.url("/github-api"),
            }),
            gitlab: Some(GitLabSettings { app: self.app(Platform::GitLab), url: self.url("/gitlab") }),
            bitbucket: Some(BitbucketSettings {
                app: self.app(Platform::Bitbucket),
                url: self.url("/bitbucket"),
                api_url: self.url("/bitbucket-api"),
            }),
            codeberg: Some(CodebergSettings {
                app: self.app(Platform::Codeberg),
                url: self.url("/codeberg"),
            }),
            oidc: Some(OidcSettings {
                app: self.app(Platform::Oidc),
                issuer: self.issuer(),
                name: OIDC_NAME.to_string(),
            }),
        }
    }

    /// The person approves the request: returns the code the platform would send
    /// back to the app's redirect_uri.
    pub fn approve(&self, request: &AuthorizeRequest, person: &Person) -> String {
        self.grant(request, person, None)
    }

    /// Approves, but the rest of this sign-in goes wrong in the given way.
    pub fn approve_failing(&self, request: &AuthorizeRequest, person: &Person, failure: Failure) -> String {
        self.grant(request, person, Some(failure))
    }

    fn grant(&self, request: &AuthorizeRequest, person: &Person, failure: Option<Failure>) -> String {
        let code = distinctive("standincode");
        let grant = Grant {
            platform: request.platform,
            person: person.clone(),
            redirect_uri: request.param("redirect_uri").map(str::to_string),
            code_challenge: request.param("code_challenge").map(str::to_string),
            code_challenge_method: request.param("code_challenge_method").map(str::to_string),
            nonce: request.param("nonce").map(str::to_string),
            failure,
        };
        let mut records = self.shared.records();
        records.grants.insert(code.clone(), grant);
        records.secrets.push(code.clone());
        code
    }

    /// The discovery document names another issuer from now on.
    pub fn advertise_issuer(&self, issuer: &str) {
        self.shared.records().advertised_issuer = Some(issuer.to_string());
    }

    /// The OpenID provider accepts (and advertises) only these client
    /// authentication methods from now on, e.g. `["client_secret_post"]`.
    pub fn accept_oidc_client_auth(&self, methods: &[&str]) {
        self.shared.records().oidc_auth_methods =
            Some(methods.iter().map(std::string::ToString::to_string).collect());
    }

    /// How many requests arrived at `/trap`, where the stand-in's redirects point.
    pub fn trap_hits(&self) -> usize {
        self.shared.records().trap_hits
    }

    pub fn token_requests(&self) -> Vec<TokenRequest> {
        self.shared.records().token_requests.clone()
    }

    pub fn api_requests(&self) -> Vec<ApiRequest> {
        self.shared.records().api_requests.clone()
    }

    /// The access tokens issued so far.
    pub fn access_tokens(&self) -> Vec<String> {
        self.shared.records().tokens.keys().cloned().collect()
    }

    /// Every value that must never show up outside the app's memory: the client
    /// secrets, and every code and token this stand-in handed out.
    pub fn secrets(&self) -> Vec<String> {
        let mut all = self.shared.records().secrets.clone();
        all.extend(Platform::ALL.into_iter().map(|p| self.client_secret(p)));
        all
    }
}
