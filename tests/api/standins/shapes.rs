//! The JSON the four code hosts really answer with (abridged to the fields that
//! matter plus a few that do not, as the real ones carry many more).

use serde_json::{Value, json};

use super::{Person, Platform};

pub fn token_response(platform: Platform, access_token: &str, refresh_token: &str) -> Value {
    match platform {
        Platform::GitHub => json!({
            "access_token": access_token,
            "token_type": "bearer",
            "scope": "read:user,user:email"
        }),
        Platform::GitLab => json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 7200,
            "refresh_token": refresh_token,
            "scope": "read_user",
            "created_at": 1_767_000_000
        }),
        Platform::Bitbucket => json!({
            "access_token": access_token,
            "scopes": "account email",
            "token_type": "bearer",
            "expires_in": 7200,
            "state": "authorization_code",
            "refresh_token": refresh_token
        }),
        Platform::Codeberg => json!({
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": 3600,
            "refresh_token": refresh_token
        }),
        Platform::Oidc => unreachable!("the OpenID Connect token response is built in oidc.rs"),
    }
}

fn numeric_id(person: &Person) -> Value {
    json!(person.id.parse::<u64>().expect("this platform's user ids are numbers"))
}

/// `GET /user` (GitHub), `/api/v4/user` (GitLab), `/2.0/user` (Bitbucket),
/// `/api/v1/user` (Forgejo).
pub fn user(platform: Platform, person: &Person) -> Value {
    match platform {
        Platform::GitHub => json!({
            "login": person.login,
            "id": numeric_id(person),
            "node_id": "MDQ6VXNlcjE=",
            "avatar_url": person.avatar_url,
            "html_url": format!("https://github.com/{}", person.login),
            "type": "User",
            "site_admin": false,
            "name": person.name,
            "company": null,
            "email": person.email,
            "bio": null,
            "public_repos": 8,
            "created_at": "2011-01-25T18:44:36Z"
        }),
        Platform::GitLab => json!({
            "id": numeric_id(person),
            "username": person.login,
            "name": person.name,
            "state": "active",
            "locked": false,
            "avatar_url": person.avatar_url,
            "web_url": format!("https://gitlab.com/{}", person.login),
            "created_at": "2012-05-23T08:00:58Z",
            "email": person.email,
            // GitLab answers the user themself when their primary address was confirmed.
            "confirmed_at": if person.email_verified { json!("2012-05-23T09:05:22Z") } else { Value::Null },
            "two_factor_enabled": true
        }),
        Platform::Bitbucket => json!({
            "type": "user",
            "uuid": person.id,
            "account_id": "557058:abcd",
            "nickname": person.login,
            "username": person.login,
            "display_name": person.name,
            "account_status": "active",
            "created_on": "2014-03-05T10:00:00.000000+00:00",
            "links": {
                "self": { "href": "https://api.bitbucket.org/2.0/users/x" },
                "avatar": { "href": person.avatar_url },
                "html": { "href": format!("https://bitbucket.org/{}/", person.login) }
            }
        }),
        Platform::Codeberg => json!({
            "id": numeric_id(person),
            "login": person.login,
            "login_name": "",
            "source_id": 0,
            "full_name": person.name.clone().unwrap_or_default(),
            "email": person.email.clone().unwrap_or_default(),
            "avatar_url": person.avatar_url.clone().unwrap_or_default(),
            "html_url": format!("https://codeberg.org/{}", person.login),
            "language": "en-US",
            "is_admin": false,
            "active": true,
            "visibility": "public"
        }),
        Platform::Oidc => unreachable!("the OpenID Connect provider has no profile API here"),
    }
}

/// GitHub's `GET /user/emails`, Bitbucket's `GET /2.0/user/emails` and
/// Forgejo's `GET /api/v1/user/emails`.
pub fn emails(platform: Platform, person: &Person) -> Value {
    let listed = person.emails_to_list();
    match platform {
        Platform::GitHub => Value::Array(
            listed
                .iter()
                .map(|e| {
                    json!({
                        "email": e.email,
                        "primary": e.primary,
                        "verified": e.verified,
                        "visibility": if e.primary { json!("private") } else { Value::Null }
                    })
                })
                .collect(),
        ),
        Platform::Bitbucket => json!({
            "pagelen": 10,
            "page": 1,
            "size": listed.len(),
            "values": listed
                .iter()
                .map(|e| json!({
                    "type": "email",
                    "email": e.email,
                    "is_primary": e.primary,
                    "is_confirmed": e.verified,
                }))
                .collect::<Vec<_>>()
        }),
        Platform::Codeberg => Value::Array(
            listed
                .iter()
                .map(|e| json!({ "email": e.email, "verified": e.verified, "primary": e.primary }))
                .collect(),
        ),
        _ => unreachable!("GitLab and the OpenID provider list no emails separately"),
    }
}
