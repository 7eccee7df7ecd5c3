//! `ApiCaller`: the extractor every authenticated endpoint takes. It reads the
//! `Authorization` header (`Bearer <key>` or `Token <key>`) and asks the key
//! authenticator who the key speaks for, as of this request. The access rules
//! are extractors on top of it (`OrgInReach`, `OrgKeyManager`, `UserKeyOwner`),
//! so no handler can forget one.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{Either, LocalBoxFuture, Ready, ready};

use super::client_address;
use super::error::ApiError;
use crate::auth::key_auth::checks::KeyCheck;
use crate::auth::key_auth::{AuthFailure, Verified};
use crate::domain::access::OrgRef;
use crate::domain::api_key::Scope;
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

/// The organization named by the path's `{org}`, when the key reaches it; 404
/// otherwise, whether it exists or not. (Authentication comes first: 401 wins.)
pub struct OrgInReach {
    pub caller: ApiCaller,
    pub org: OrgRef,
    /// The user's role; `None` for an organization key.
    pub role: Option<Role>,
    /// What the key may do here (its permissions within its holder's rights).
    pub scope: Scope,
}

impl OrgInReach {
    pub fn can_manage_keys(&self) -> bool {
        self.role.is_none_or(|role| role == Role::Admin)
    }
}

/// [`OrgInReach`] for a key that may manage the organization's keys: an
/// organization key, or an admin's user key (403 for a member's).
pub struct OrgKeyManager(pub OrgInReach);

/// The person behind a user key, for `/user/keys` (403 for an organization key).
pub struct UserKeyOwner {
    pub caller: ApiCaller,
    pub user_id: UserId,
}

impl FromRequest for OrgInReach {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<OrgInReach, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let slug = req.match_info().get("org").map(str::to_string);
        let caller = ApiCaller::from_request(req, payload);
        let state = req.app_data::<Data<AppState>>().cloned();
        Box::pin(async move {
            let caller = caller.await?;
            let reach = slug.as_deref().and_then(|slug| caller.0.reach(slug)).ok_or(ApiError::NotFound)?;
            state.inspect(|state| state.key_auth.record_org_use(&caller.0.key, reach.org.id));
            let (org, role, scope) = (reach.org.clone(), reach.role, reach.scope);
            Ok(OrgInReach { caller, org, role, scope })
        })
    }
}

impl FromRequest for OrgKeyManager {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<OrgKeyManager, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let in_reach = OrgInReach::from_request(req, payload);
        Box::pin(async move {
            let in_reach = in_reach.await?;
            if !in_reach.can_manage_keys() {
                return Err(ApiError::Forbidden(format!(
                    "Managing the API keys of {} needs the admin role; you are a member.",
                    in_reach.org.name
                )));
            }
            Ok(OrgKeyManager(in_reach))
        })
    }
}

impl FromRequest for UserKeyOwner {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<UserKeyOwner, ApiError>>;

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
            Ok(UserKeyOwner { caller, user_id })
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
            return Either::Left(ready(result.map(ApiCaller).map_err(ApiError::from)));
        }
        let client =
            client_address::of(req, &state.trusted_proxies).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let token = token.to_string();
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
            Ok(ApiCaller(result?))
        }))
    }
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
