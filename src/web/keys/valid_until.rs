//! The sentence under the Add form's "Valid until" field, in one place: the page
//! renders it for the value it shows, and `GET /api-keys/valid-until-preview`
//! answers it for what is being typed (the form's script asks rather than
//! repeating the rule in JavaScript).

use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::api_key::{KeyPolicy, ValidUntil, ValidUntilError};
use crate::domain::dates;
use crate::state::AppState;
use crate::web::current_user::CurrentUser;

/// What a valid-until value means, said on `today`: "This key will be usable until
/// the end of 28 Feb 2027 UTC.", "This key will never expire." for an empty value,
/// and nothing for a value the form refuses (not a date, or not after today: the
/// field's error says why once the form is sent).
pub fn sentence(raw: &str, today: NaiveDate) -> String {
    sentence_under(raw, today, false)
}

/// [`sentence`] under a policy that may need a date (`expiry_needed`): then an
/// empty value means nothing either, as the form refuses it.
pub fn sentence_under(raw: &str, today: NaiveDate, expiry_needed: bool) -> String {
    let raw = raw.trim();
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(date) if date > today => format!("This key will be {}.", ValidUntil::from_date(date).meaning()),
        Ok(_) => String::new(),
        Err(_) if raw.is_empty() && !expiry_needed => "This key will never expire.".into(),
        Err(_) => String::new(),
    }
}

/// What the field's hint says of the organization's policy; `None` when a
/// key may have no date.
pub fn policy_hint(policy: &KeyPolicy) -> Option<String> {
    match (policy.max_lifetime_days, policy.require_expiry) {
        (Some(days), _) => Some(format!("This organization allows keys of at most {days} days.")),
        (None, true) => Some("This organization requires an expiry date.".to_string()),
        (None, false) => None,
    }
}

/// The form's words for a refused date. The form's date picker shows dates the
/// way the person's browser writes them, never `YYYY-MM-DD`, so these speak of
/// what the person sees and does (the API, which takes `YYYY-MM-DD`, says the
/// format: `ValidUntilError`'s own messages). `policy` is the organization's
/// key policy: when it needs a date, an empty field is no way out.
pub fn form_error(error: &ValidUntilError, policy: &KeyPolicy) -> String {
    match (error, policy.max_lifetime_days) {
        (ValidUntilError::NotADate, Some(days)) => {
            format!("Enter a date: this organization allows keys of at most {days} days.")
        }
        (ValidUntilError::NotADate, None) if policy.require_expiry => {
            "Enter a date: this organization requires an expiry date.".to_string()
        }
        (ValidUntilError::NotADate, None) => {
            "Enter a date, or leave it empty for a key that never expires.".to_string()
        }
        (ValidUntilError::NotInTheFuture { today }, _) => {
            format!("Pick a date after today ({}).", dates::date(*today))
        }
        (ValidUntilError::BeyondPolicy { max_days, latest }, _) => format!(
            "This organization allows keys of at most {max_days} days: pick {} or earlier.",
            dates::date(*latest)
        ),
        (ValidUntilError::RequiredByPolicy { max_days }, _) => {
            format!("This organization requires an expiry date: pick one at most {max_days} days from today.")
        }
        (ValidUntilError::ExpiryRequired, _) => {
            "This organization requires an expiry date: pick one.".to_string()
        }
    }
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    #[serde(default)]
    valid_until: String,
    /// `1` when the organization's policy needs a date: an empty value means nothing then.
    #[serde(default)]
    expiry_needed: String,
}

/// The answer of `GET /api-keys/valid-until-preview`: `{"meaning": "…"}`.
#[derive(Serialize)]
pub struct Preview {
    pub meaning: String,
}

/// `GET /api-keys/valid-until-preview?valid_until=YYYY-MM-DD[&expiry_needed=1]`:
/// [`sentence_under`] for that value, today by the server's clock.
pub async fn preview(_user: CurrentUser, state: Data<AppState>, query: Query<PreviewQuery>) -> HttpResponse {
    let today = state.clock.now().date_naive();
    let expiry_needed = query.expiry_needed == "1";
    HttpResponse::Ok().json(Preview { meaning: sentence_under(&query.valid_until, today, expiry_needed) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_errors_never_ask_for_the_wire_format() {
        let today = NaiveDate::from_ymd_opt(2027, 2, 28).unwrap();
        let latest = NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
        let none = KeyPolicy::default();
        let days = KeyPolicy { max_lifetime_days: Some(30), ..KeyPolicy::default() };
        let required = KeyPolicy { require_expiry: true, ..KeyPolicy::default() };
        let cases = [
            (ValidUntilError::NotADate, none),
            (ValidUntilError::NotADate, days),
            (ValidUntilError::NotADate, required),
            (ValidUntilError::NotInTheFuture { today }, none),
            (ValidUntilError::BeyondPolicy { max_days: 30, latest }, days),
            (ValidUntilError::RequiredByPolicy { max_days: 30 }, days),
            (ValidUntilError::ExpiryRequired, required),
        ];
        for (error, policy) in cases {
            let message = form_error(&error, &policy);
            assert!(!message.contains("YYYY") && !message.contains("2027-"), "{message}");
            if policy.needs_expiry() {
                assert!(
                    !message.contains("empty"),
                    "no empty field under a policy that needs a date: {message}"
                );
            }
        }
        assert_eq!(
            form_error(&ValidUntilError::NotADate, &none),
            "Enter a date, or leave it empty for a key that never expires."
        );
        assert_eq!(
            form_error(&ValidUntilError::NotADate, &required),
            "Enter a date: this organization requires an expiry date."
        );
        assert_eq!(
            form_error(&ValidUntilError::NotInTheFuture { today }, &none),
            "Pick a date after today (28 Feb 2027)."
        );
        assert_eq!(policy_hint(&none), None);
        assert_eq!(policy_hint(&required).as_deref(), Some("This organization requires an expiry date."));
        assert_eq!(
            policy_hint(&KeyPolicy { require_expiry: true, ..days }).as_deref(),
            Some("This organization allows keys of at most 30 days.")
        );
    }

    #[test]
    fn the_sentence_says_the_last_day_of_use_or_nothing_for_a_refused_value() {
        let today = NaiveDate::from_ymd_opt(2027, 2, 28).unwrap();
        assert_eq!(sentence("2027-03-10", today), "This key will be usable until the end of 9 Mar 2027 UTC.");
        assert_eq!(sentence(" ", today), "This key will never expire.");
        assert_eq!(sentence("2027-02-28", today), "");
        assert_eq!(sentence("2027-02-30", today), "");
        assert_eq!(sentence("2027-13-01", today), "");
        assert_eq!(sentence("01/03/2027", today), "");
        assert_eq!(sentence_under("", today, true), "", "no promise of a key that never expires");
        assert_eq!(sentence_under("2027-03-10", today, true), sentence("2027-03-10", today));
    }
}
