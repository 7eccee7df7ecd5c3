//! The body of `POST …/keys` (organization and user keys alike): read strictly
//! into a [`NewKeyRequest`], then into the service's [`NewKeyInput`], and the
//! service's field errors back into a 422 with `fields`.
//!
//! What the body may choose (SPEC §5): `scope` (a scope string; absent: Run
//! builds, the keys screen's default), `orgs` (user keys only: slugs; absent:
//! all of the user's organizations) and `allowed_networks` (a list of networks).
//! A key gives a new key at most what it may do itself: a key with `keys:write`
//! alone cannot make a key with `org:write`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::{ApiError, scope_word};
use super::json_body::JsonBody;
use super::model::NewKeyRequest;
use crate::domain::api_key::{DescriptionError, Level, NetworksError, Resource, Scope};
use crate::services::api_keys::{NewKeyErrors, NewKeyInput, ReachChoice};

/// The body as a `NewKeyRequest`. Read from a JSON value first so that only an
/// object is accepted (serde would also read `["CD"]` as a description), with
/// each member given once and each choice of the right shape (named in `fields`).
pub fn read(body: JsonBody) -> Result<NewKeyRequest, ApiError> {
    let body = body.into_value()?;
    let Some(object) = body.as_object() else {
        return Err(ApiError::field("body", "Send a JSON object such as {\"description\": \"CI\"}."));
    };
    if !object.contains_key("description") {
        return Err(ApiError::field("description", DescriptionError::Empty.to_string()));
    }
    let mut fields = BTreeMap::new();
    let mut expect = |name: &str, list: bool, message: &str| {
        let fits = match object.get(name) {
            None | Some(Value::Null) => true,
            Some(Value::String(_)) => !list,
            Some(Value::Array(items)) => list && items.iter().all(Value::is_string),
            Some(_) => false,
        };
        if !fits {
            fields.insert(name.to_string(), message.to_string());
        }
    };
    expect("scope", false, "Give the permissions as one scope string, such as \"repos:read builds:write\".");
    expect("orgs", true, "Give a list of organization slugs, such as [\"acme\"].");
    expect("allowed_networks", true, "Give a list of networks, such as [\"203.0.113.0/24\"].");
    if !fields.is_empty() {
        return Err(ApiError::Validation(fields));
    }
    serde_json::from_value(body).map_err(|e| ApiError::field("body", e.to_string()))
}

/// The chosen networks, one per item, as the service reads them. An item that
/// holds a separator is refused rather than read as several networks.
fn networks_text(request: &NewKeyRequest) -> Result<String, ApiError> {
    let items = request.allowed_networks.as_deref().unwrap_or_default();
    for item in items {
        let trimmed = item.trim();
        if trimmed.is_empty() || trimmed.contains(|c: char| c == ',' || c.is_whitespace()) {
            let shown: String = trimmed.chars().take(60).collect();
            let message = NetworksError::NotANetwork(shown).to_string();
            return Err(ApiError::field("allowed_networks", message));
        }
    }
    Ok(items.iter().map(|item| item.trim()).collect::<Vec<_>>().join(" "))
}

/// The request's choices, owned, for [`NewKeyInput`].
pub struct Choices {
    scope: String,
    reach: ReachChoice,
    networks: String,
}

impl Choices {
    /// The choices of `request`: its scope must be within `bound`, what the
    /// creating key may do where the new key goes.
    pub fn of(request: &NewKeyRequest, bound: &Scope) -> Result<Choices, ApiError> {
        let scope = request.scope.clone().unwrap_or_else(|| Scope::run_builds().to_string());
        if let Ok(wanted) = Scope::parse(&scope)
            && let Some((resource, level)) = beyond(&wanted, bound)
        {
            return Err(ApiError::field(
                "scope",
                format!(
                    "A key can give a new key only what it may do itself: this one lacks {}.",
                    scope_word(resource, level)
                ),
            ));
        }
        let reach = match &request.orgs {
            None => ReachChoice::AllOrgs,
            Some(slugs) => ReachChoice::Only(slugs.iter().map(|slug| slug.trim().to_string()).collect()),
        };
        Ok(Choices { scope, reach, networks: networks_text(request)? })
    }

    pub fn input<'a>(&'a self, request: &'a NewKeyRequest) -> NewKeyInput<'a> {
        NewKeyInput {
            description: &request.description,
            valid_until: request.valid_until.as_deref().unwrap_or(""),
            scope: &self.scope,
            reach: self.reach.clone(),
            allowed_networks: &self.networks,
        }
    }

    /// A restricted user key's organizations, sorted, once they were accepted.
    pub fn orgs(&self) -> Option<Vec<String>> {
        match &self.reach {
            ReachChoice::AllOrgs => None,
            ReachChoice::Only(slugs) => {
                let mut slugs = slugs.clone();
                slugs.sort();
                slugs.dedup();
                Some(slugs)
            }
        }
    }
}

/// The first permission `wanted` has beyond `bound`, at the level wanted.
fn beyond(wanted: &Scope, bound: &Scope) -> Option<(Resource, Level)> {
    wanted.granted().find(|(resource, level)| !bound.allows(*resource, *level))
}

/// The service's errors as a 422, one entry per field of the body.
pub fn field_errors(errors: NewKeyErrors) -> ApiError {
    let mut fields = BTreeMap::new();
    let mut add = |name: &str, message: Option<String>| {
        if let Some(message) = message {
            fields.insert(name.to_string(), message);
        }
    };
    add("description", errors.description.map(|e| e.to_string()));
    add("valid_until", errors.valid_until.map(|e| e.to_string()));
    add("scope", errors.scope.map(|e| e.to_string()));
    add("orgs", errors.reach.map(|e| e.to_string()));
    add("allowed_networks", errors.allowed_networks.map(|e| e.to_string()));
    ApiError::Validation(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gives_at_most_what_it_has() {
        let keys_only = Scope::parse("keys:write").unwrap();
        assert_eq!(beyond(&Scope::parse("keys:read").unwrap(), &keys_only), None);
        assert_eq!(beyond(&Scope::run_builds(), &keys_only), Some((Resource::Repos, Level::Read)));
        assert_eq!(beyond(&Scope::full_access(), &Scope::full_access()), None);
    }

    fn request(json: serde_json::Value) -> Result<NewKeyRequest, ApiError> {
        let body: JsonBody = serde_json::from_value(json).unwrap();
        read(body)
    }

    fn fields_of(error: ApiError) -> Vec<String> {
        match error {
            ApiError::Validation(fields) => fields.into_keys().collect(),
            other => panic!("not a 422: {other}"),
        }
    }

    #[test]
    fn choices_of_the_wrong_shape_are_named() {
        let error = request(serde_json::json!({
            "description": "x", "scope": ["builds:write"], "orgs": "acme", "allowed_networks": [1]
        }))
        .unwrap_err();
        assert_eq!(fields_of(error), ["allowed_networks", "orgs", "scope"]);
        let fine = request(serde_json::json!({"description": "x", "scope": null, "orgs": ["acme"]})).unwrap();
        let choices = Choices::of(&fine, &Scope::full_access()).unwrap();
        assert_eq!(
            choices.input(&fine).scope,
            "repos:read builds:write params:read",
            "Run builds by default"
        );
        assert_eq!(choices.orgs(), Some(vec!["acme".to_string()]));
    }

    #[test]
    fn one_network_per_item() {
        let request = NewKeyRequest {
            allowed_networks: Some(vec!["10.0.0.0/8, 11.0.0.0/8".into()]),
            ..NewKeyRequest::default()
        };
        let error = Choices::of(&request, &Scope::full_access()).err().expect("refused");
        assert_eq!(fields_of(error), ["allowed_networks"]);
    }
}
