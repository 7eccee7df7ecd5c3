//! `ApiCaller`: the extractor every authenticated endpoint takes. It reads the
//! `Authorization` header (`Bearer <key>` or `Token <key>`), asks the key
//! authenticator who the key speaks for, as of this request, and refuses a key
//! with allowed networks used from elsewhere (403 `ip_not_allowed`; the client
//! address is worked out only for such keys, so other keys' hot path is unchanged).
//!
//! The access rules are extractors on top of it, and what a route needs is part
//! of the extractor's type, so a handler cannot forget to ask for it:
//!
//! - [`InOrg<N>`]: the organization of the path's `{org}`, within the key's reach
//!   (404 otherwise), where the key's effective rights (its permissions within
//!   its holder's rights, `Reach::scope`) include `N`: 403 `forbidden` when the
//!   holder lacks the right (a member's user key on the keys), 403
//!   `insufficient_scope` when the holder has it and the key does not;
//! - [`OwnKeys<N>`]: the user behind a user key (403 `forbidden` for an
//!   organization key), whose key's own permissions include `N`;
//! - [`ApiCaller`] alone: routes that need no permission (`/whoami`, `/orgs`).
//!
//! `N` is one of the [`Needs`] markers ([`OrgRead`], [`MembersRead`],
//! [`KeysRead`], [`KeysWrite`]), whose `RESOURCE` and `LEVEL` say what it is.
//! Each operation's OpenAPI `security` names the same scope; the integration
//! tests check both against one table.

use std::marker::PhantomData;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, HeaderMap, USER_AGENT};
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{Either, LocalBoxFuture, Ready, ready};

use super::client_address;
use super::error::ApiError;
use crate::auth::key_auth::checks::KeyCheck;
use crate::auth::key_auth::{AuthFailure, SeenUse, Verified};
use crate::domain::access::{OrgRef, holder_rights};
use crate::domain::api_key::{Level, Resource, Scope};
use crate::domain::ids::UserId;
use crate::domain::organization::Role;
use crate::state::AppState;

pub struct ApiCaller(pub Arc<Verified>);

impl ApiCaller {
    /// The hint of the key making the request, for audit entries.
    pub fn hint(&self) -> String {
        self.0.key.hint()
    }
}

/// What a route needs of the key: one level of one resource (write includes read).
pub trait Needs {
    const RESOURCE: Resource;
    const LEVEL: Level;
}

macro_rules! needs {
    ($($(#[$doc:meta])* $name:ident = $resource:ident : $level:ident;)+) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl Needs for $name {
                const RESOURCE: Resource = Resource::$resource;
                const LEVEL: Level = Level::$level;
            }
        )+
    };
}

needs! {
    /// `org:read`: the organization's details.
    OrgRead = Org: Read;
    /// `members:read`: its members.
    MembersRead = Members: Read;
    /// `keys:read`: listing and reading keys.
    KeysRead = Keys: Read;
    /// `keys:write`: creating and deleting keys.
    KeysWrite = Keys: Write;
}

/// The organization named by the path's `{org}`, when the key reaches it (404
/// otherwise, whether it exists or not) and its effective rights there include
/// `N`. (Authentication comes first: 401 wins.)
pub struct InOrg<N: Needs> {
    pub caller: ApiCaller,
    pub org: OrgRef,
    /// The user's role; `None` for an organization key.
    pub role: Option<Role>,
    /// What the key may do here (its permissions within its holder's rights).
    pub scope: Scope,
    need: PhantomData<fn() -> N>,
}

/// The person behind a user key, for `/user/keys` (403 for an organization
/// key), when the key's own permissions include `N`.
pub struct OwnKeys<N: Needs> {
    pub caller: ApiCaller,
    pub user_id: UserId,
    need: PhantomData<fn() -> N>,
}

impl<N: Needs + 'static> FromRequest for InOrg<N> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<InOrg<N>, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let slug = req.match_info().get("org").map(str::to_string);
        let caller = ApiCaller::from_request(req, payload);
        let state = req.app_data::<Data<AppState>>().cloned();
        Box::pin(async move {
            let caller = caller.await?;
            let reach = slug.as_deref().and_then(|slug| caller.0.reach(slug)).ok_or(ApiError::NotFound)?;
            let (org, role, scope) = (reach.org.clone(), reach.role, reach.scope);
            if !holder_rights(role).allows(N::RESOURCE, N::LEVEL) {
                return Err(ApiError::Forbidden(holder_refusal(N::RESOURCE, &org)));
            }
            if !scope.allows(N::RESOURCE, N::LEVEL) {
                return Err(ApiError::InsufficientScope { resource: N::RESOURCE, level: N::LEVEL });
            }
            // A use of the key in this organization, for its admins' oversight.
            state.inspect(|state| state.key_auth.record_org_use(&caller.0.key, org.id));
            Ok(InOrg { caller, org, role, scope, need: PhantomData })
        })
    }
}

/// Why a member may not do something, whatever their key says: only admins may.
fn holder_refusal(resource: Resource, org: &OrgRef) -> String {
    match resource {
        Resource::Keys => {
            format!("Managing the API keys of {} needs the admin role; you are a member.", org.name)
        }
        other => format!(
            "This needs the admin role in {} ({}); you are a member.",
            org.name,
            other.label().to_lowercase()
        ),
    }
}

impl<N: Needs + 'static> FromRequest for OwnKeys<N> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<OwnKeys<N>, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = ApiCaller::from_request(req, payload);
        Box::pin(async move {
            let caller = caller.await?;
            let user_id = caller.0.user().map(|user| user.id).ok_or_else(|| {
                ApiError::Forbidden(
                    "These endpoints manage a person's own keys: call them with a user key (mci_usr_…)."
                        .into(),
                )
            })?;
            if !caller.0.key.scope.allows(N::RESOURCE, N::LEVEL) {
                return Err(ApiError::InsufficientScope { resource: N::RESOURCE, level: N::LEVEL });
            }
            Ok(OwnKeys { caller, user_id, need: PhantomData })
        })
    }
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future =
        Either<Ready<Result<ApiCaller, ApiError>>, LocalBoxFuture<'static, Result<ApiCaller, ApiError>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<Data<AppState>>().cloned() else {
            return Either::Left(ready(Err(ApiError::Internal(anyhow::anyhow!("no application state")))));
        };
        let token = match token_in(req.headers()) {
            Ok(token) => token,
            Err(failure) => {
                state.key_auth.count(match failure {
                    AuthFailure::Missing => KeyCheck::Missing,
                    _ => KeyCheck::BadHeader,
                });
                return Either::Left(ready(Err(ApiError::Unauthorized(failure))));
            }
        };
        // A hot key is answered here, without a boxed future.
        if let Some(result) = state.key_auth.authenticate_cached(token) {
            let address = || client_address::of(req, &state.trusted_proxies);
            let admitted = result.map_err(ApiError::from).and_then(|verified| {
                within_networks(&state, verified, address, || SeenUse::new(address(), user_agent(req)))
            });
            return Either::Left(ready(admitted));
        }
        let seen = client_address::of(req, &state.trusted_proxies);
        let client = seen.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let token = token.to_string();
        let agent = user_agent(req).map(str::to_string);
        Either::Right(Box::pin(async move {
            let result = state.key_auth.authenticate(&token, client).await;
            // The authenticator counts what it decides; these it only passes on.
            match &result {
                Err(AuthFailure::Busy) => state.key_auth.count(KeyCheck::Busy),
                Err(AuthFailure::Database(_) | AuthFailure::Internal(_)) => {
                    state.key_auth.count(KeyCheck::Error);
                }
                _ => {}
            }
            within_networks(&state, result?, || seen, || SeenUse::new(seen, agent.as_deref()))
        }))
    }
}

/// The caller, unless its key lists allowed networks and `client` (asked only
/// then) is in none of them: 403 `ip_not_allowed`, naming the address seen.
/// A caller let through counts as a use of its key (`seen` is asked only when
/// the key's last use is due to be written).
fn within_networks(
    state: &AppState,
    verified: Arc<Verified>,
    client: impl FnOnce() -> Option<IpAddr>,
    seen: impl FnOnce() -> SeenUse,
) -> Result<ApiCaller, ApiError> {
    if let Some(networks) = &verified.key.allowed_networks {
        let address = client();
        if !address.is_some_and(|address| networks.allows(address)) {
            state.key_auth.count(KeyCheck::IpNotAllowed);
            tracing::info!(
                key = verified.key.public_id.as_str(),
                client = ?address,
                "API key refused: used outside its allowed networks"
            );
            return Err(ApiError::IpNotAllowed(address));
        }
    }
    state.key_auth.record_use(&verified.key, seen);
    Ok(ApiCaller(verified))
}

/// The request's `User-Agent`, when it is text.
fn user_agent(req: &HttpRequest) -> Option<&str> {
    req.headers().get(USER_AGENT).and_then(|value| value.to_str().ok())
}

/// The key from `Authorization: Bearer <key>` (or MonkeyCI's `Token <key>`).
fn token_in(headers: &HeaderMap) -> Result<&str, AuthFailure> {
    let mut values = headers.get_all(AUTHORIZATION);
    let value = values.next().ok_or(AuthFailure::Missing)?;
    if values.next().is_some() {
        return Err(AuthFailure::BadHeader);
    }
    let value = value.to_str().map_err(|_| AuthFailure::BadHeader)?.trim();
    let (scheme, token) = value.split_once(' ').ok_or(AuthFailure::BadHeader)?;
    if !(scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token")) {
        return Err(AuthFailure::BadHeader);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(AuthFailure::Missing);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn a_members_refusal_names_what_needs_the_admin_role() {
        let acme = OrgRef { id: crate::domain::ids::OrgId::new(1), slug: "acme".into(), name: "Acme".into() };
        assert_eq!(
            holder_refusal(KeysRead::RESOURCE, &acme),
            "Managing the API keys of Acme needs the admin role; you are a member."
        );
        assert_eq!(
            holder_refusal(Resource::Billing, &acme),
            "This needs the admin role in Acme (billing); you are a member."
        );
        assert_eq!((KeysWrite::RESOURCE, KeysWrite::LEVEL), (Resource::Keys, Level::Write));
        assert_eq!((OrgRead::RESOURCE, MembersRead::RESOURCE), (Resource::Org, Resource::Members));
    }

    #[test]
    fn bearer_and_token_schemes_are_accepted_in_any_case() {
        assert_eq!(token_in(&headers(&["Bearer abc"])).unwrap(), "abc");
        assert_eq!(token_in(&headers(&["token  abc "])).unwrap(), "abc");
        assert_eq!(token_in(&headers(&["BEARER abc"])).unwrap(), "abc");
    }

    #[test]
    fn other_schemes_and_repeated_headers_are_refused() {
        assert!(matches!(token_in(&headers(&[])), Err(AuthFailure::Missing)));
        assert!(matches!(token_in(&headers(&["Bearer "])), Err(AuthFailure::BadHeader)));
        assert!(matches!(token_in(&headers(&["Basic dXNlcjpwYXNz"])), Err(AuthFailure::BadHeader)));
        assert!(matches!(token_in(&headers(&["abc"])), Err(AuthFailure::BadHeader)));
        assert!(matches!(token_in(&headers(&["Bearer a", "Bearer b"])), Err(AuthFailure::BadHeader)));
    }
}
