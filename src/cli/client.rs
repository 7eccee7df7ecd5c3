//! The API over HTTP, and what its answers mean for the client: each endpoint is
//! one method returning the API's own types (`crate::api::model`), and every
//! failure becomes a [`CliError`] that names the key by its hint only.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::{RequestBuilder, Response};
use serde::de::DeserializeOwned;

use super::error::CliError;
use super::inputs::{ServerUrl, TokenArgument};
use super::settings::KeysOf;
use crate::api::model::{
    ApiKeyInfo, CreatedKey, ErrorBody, KeyList, NewKeyRequest, OrgDetails, OrgList, RollRequest, Whoami,
};
use crate::domain::api_key::{PublicId, StatusFilter};
use crate::domain::organization::OrgSlug;

/// The largest page the API serves.
pub const PER_PAGE: u32 = 100;

pub struct Client {
    http: reqwest::blocking::Client,
    base: ServerUrl,
    key: TokenArgument,
}

impl Client {
    pub fn new(base: ServerUrl, key: TokenArgument) -> Result<Client, CliError> {
        let http = reqwest::blocking::Client::builder()
            .user_agent(concat!("monkeyci/", env!("CARGO_PKG_VERSION")))
            // A redirect could carry the key to another host: report it instead.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_mins(1))
            .build()
            .map_err(|e| CliError::Other(format!("cannot start the HTTP client: {e}")))?;
        Ok(Client { http, base, key })
    }

    pub fn key(&self) -> &TokenArgument {
        &self.key
    }

    pub fn whoami(&self) -> Result<Whoami, CliError> {
        self.read(self.http.get(self.base.endpoint(&["whoami"])))
    }

    pub fn orgs(&self) -> Result<OrgList, CliError> {
        self.read(self.http.get(self.base.endpoint(&["orgs"])))
    }

    pub fn org(&self, slug: &OrgSlug) -> Result<OrgDetails, CliError> {
        self.read(self.http.get(self.base.endpoint(&["orgs", slug.as_str()])))
    }

    /// One page of keys: the first, or the one `cursor` (a `next_cursor`) names.
    pub fn keys_page(
        &self,
        owner: &KeysOf,
        status: StatusFilter,
        cursor: Option<&str>,
    ) -> Result<KeyList, CliError> {
        let mut url = self.base.endpoint(&owner.keys_path());
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(cursor) = cursor {
                pairs.append_pair("cursor", cursor);
            }
            pairs.append_pair("per_page", &PER_PAGE.to_string()).append_pair("status", status.code());
        }
        self.read(self.http.get(url))
    }

    /// Every key with that status, following `next_cursor` page after page, as
    /// one list (no `next_cursor`).
    pub fn all_keys(&self, owner: &KeysOf, status: StatusFilter) -> Result<KeyList, CliError> {
        let mut keys: Vec<ApiKeyInfo> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let list = self.keys_page(owner, status, cursor.as_deref())?;
            keys.extend(list.keys);
            match list.next_cursor {
                // The same cursor again would loop for ever.
                Some(next) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
                _ => break,
            }
        }
        let total = i64::try_from(keys.len()).unwrap_or(i64::MAX);
        Ok(KeyList { keys, per_page: PER_PAGE, total, total_is_capped: false, next_cursor: None })
    }

    pub fn create_key(&self, owner: &KeysOf, request: &NewKeyRequest) -> Result<CreatedKey, CliError> {
        self.read(self.http.post(self.base.endpoint(&owner.keys_path())).json(request))
    }

    pub fn key_info(&self, owner: &KeysOf, id: &PublicId) -> Result<ApiKeyInfo, CliError> {
        self.read(self.http.get(self.key_url(owner, id)))
    }

    pub fn revoke_key(&self, owner: &KeysOf, id: &PublicId) -> Result<(), CliError> {
        self.send(self.http.delete(self.key_url(owner, id))).map(drop)
    }

    pub fn roll_key(
        &self,
        owner: &KeysOf,
        id: &PublicId,
        request: &RollRequest,
    ) -> Result<CreatedKey, CliError> {
        let mut url = self.key_url(owner, id);
        url.path_segments_mut()
            .map_err(|()| CliError::Other("the server URL cannot take a path".into()))?
            .push("roll");
        self.read(self.http.post(url).json(request))
    }

    fn key_url(&self, owner: &KeysOf, id: &PublicId) -> reqwest::Url {
        let mut path = owner.keys_path();
        path.push(id.as_str());
        self.base.endpoint(&path)
    }

    /// Sends the request and reads a successful answer as `T`.
    fn read<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, CliError> {
        let response = self.send(request)?;
        response.json().map_err(|e| {
            CliError::Other(format!(
                "the server at {} sent an answer this client does not understand: {}",
                self.base,
                innermost(&e)
            ))
        })
    }

    /// Sends the request with the key; anything but a 2xx becomes an error.
    fn send(&self, request: RequestBuilder) -> Result<Response, CliError> {
        let response = request
            .bearer_auth(self.key.token())
            .send()
            .map_err(|e| CliError::Unreachable { url: self.base.to_string(), cause: innermost(&e) })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status.is_redirection() {
            let to = response.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok());
            return Err(CliError::Other(format!(
                "the server at {} redirects to {}: use that address with --url",
                self.base,
                to.unwrap_or("another address")
            )));
        }
        let body = response.text().unwrap_or_default();
        Err(refusal(status, &body, &self.key.hint(), &self.base.to_string()))
    }
}

/// What an error answer means: the server's message, with the key's hint for a 401.
pub fn refusal(status: StatusCode, body: &str, hint: &str, base: &str) -> CliError {
    let Ok(ErrorBody { error }) = serde_json::from_str::<ErrorBody>(body) else {
        return CliError::Other(format!(
            "the server at {base} answered {status} without an API error: is it a MonkeyCI server?"
        ));
    };
    if status == StatusCode::UNAUTHORIZED {
        return CliError::Rejected { hint: hint.to_string(), message: error.message };
    }
    let mut message = error.message;
    for (field, problem) in error.fields.unwrap_or_default() {
        let line = format!("{field}: {problem}");
        if !message.contains(&line) {
            message.push(' ');
            message.push_str(&line);
        }
    }
    CliError::Server(message)
}

/// The most precise cause of an error ("Connection refused (os error 111)").
fn innermost(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:8080";

    #[test]
    fn a_401_names_the_key_by_its_hint_with_the_servers_message() {
        let body = r#"{"error":{"code":"invalid_key","message":"The API key is not valid: it was deleted, or it never existed."}}"#;
        let error = refusal(StatusCode::UNAUTHORIZED, body, "mci_org_3fKx…", BASE);
        assert_eq!(error.exit_code(), 3);
        assert_eq!(
            error.to_string(),
            "the API key mci_org_3fKx… was not accepted: The API key is not valid: it was deleted, or it never existed."
        );
    }

    #[test]
    fn a_422_lists_every_field() {
        let body = r#"{"error":{"code":"validation_failed","message":"The request has invalid fields.",
            "fields":{"description":"Enter a description.","valid_until":"Choose a later date."}}}"#;
        let error = refusal(StatusCode::UNPROCESSABLE_ENTITY, body, "mci_usr_abcd…", BASE);
        assert_eq!(error.exit_code(), 1);
        assert_eq!(
            error.to_string(),
            "The request has invalid fields. description: Enter a description. valid_until: Choose a later date."
        );
        let body = r#"{"error":{"code":"validation_failed","message":"Fix: description: Enter a description.",
            "fields":{"description":"Enter a description."}}}"#;
        let error = refusal(StatusCode::UNPROCESSABLE_ENTITY, body, "mci_usr_abcd…", BASE);
        assert_eq!(error.to_string(), "Fix: description: Enter a description.", "a field is not said twice");
    }

    #[test]
    fn other_refusals_are_the_servers_message() {
        let body = r#"{"error":{"code":"not_found","message":"Not found, or not within this key's reach."}}"#;
        let error = refusal(StatusCode::NOT_FOUND, body, "mci_usr_abcd…", BASE);
        assert_eq!(
            (error.to_string().as_str(), error.exit_code()),
            ("Not found, or not within this key's reach.", 1)
        );
    }

    #[test]
    fn an_answer_that_is_not_an_api_error_says_so() {
        let error = refusal(StatusCode::NOT_FOUND, "<html>Not Found</html>", "mci_usr_abcd…", BASE);
        assert_eq!(
            error.to_string(),
            "the server at http://127.0.0.1:8080 answered 404 Not Found without an API error: is it a MonkeyCI server?"
        );
        let error = refusal(StatusCode::UNAUTHORIZED, "", "mci_usr_abcd…", BASE);
        assert_eq!(error.exit_code(), 1, "only the API's own 401 says the key was refused");
    }
}
