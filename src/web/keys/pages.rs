//! What the keys screen shows and how it is put in its owner's settings layout:
//! the view structs the templates read, the page templates, and rendering.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use chrono::NaiveDate;

use super::KeyScope;
use super::access::{AccessView, CreateForm, CustomRow, PresetChoice, ReachView};
use super::filter::FilterView;
use crate::auth::pending_token::NewKeyNotice;
use crate::domain::api_key::{Overlap, Preset, Scope};
use crate::error::AppError;
use crate::web::orgs::OrgView;
use crate::web::page::{PageContext, ok, render};

pub struct KeyRow {
    pub description: String,
    /// The key's public id, whole: what the CLI and the API take.
    pub public_id: String,
    pub hint: String,
    pub created_on: String,
    pub created_by: String,
    pub last_used: String,
    /// Where from ("from 203.0.113.9") and with what (the user agent) it was last used.
    pub last_used_from: Option<String>,
    pub last_used_agent: Option<String>,
    pub valid_until: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    /// When a rolled key stops, or who revoked it, why and when.
    pub status_detail: Option<String>,
    /// The hints of the keys it was rolled to / from.
    pub rolled_to: Option<String>,
    pub rolled_from: Option<String>,
    /// What the key may do, where from and (user keys) in which organizations.
    pub access: AccessView,
    /// The Revoke action's confirmation (`None`: it no longer works).
    pub revoke_url: Option<String>,
    /// The Roll action's page (`None`: rolled already, revoked or expired).
    pub roll_url: Option<String>,
    /// A user key: the organizations that blocked it.
    pub blocked_by: Vec<String>,
}

/// The Add form's values and errors.
pub struct FormState {
    pub description: String,
    pub valid_until: String,
    /// The checked preset (`None`: a name that is no preset was sent).
    pub preset: Option<Preset>,
    /// The custom table's levels.
    pub custom_levels: Scope,
    /// Whether "Only these organizations" is checked, and which ones (slugs).
    pub reach_only: bool,
    pub reach_orgs: Vec<String>,
    pub allowed_networks: String,
    pub description_error: Option<String>,
    pub valid_until_error: Option<String>,
    pub permissions_error: Option<String>,
    pub reach_error: Option<String>,
    pub networks_error: Option<String>,
}

impl Default for FormState {
    /// The empty form: Run builds, its levels in the custom table, all organizations.
    fn default() -> FormState {
        FormState {
            description: String::new(),
            valid_until: String::new(),
            preset: Some(Preset::RunBuilds),
            custom_levels: Scope::run_builds(),
            reach_only: false,
            reach_orgs: Vec::new(),
            allowed_networks: String::new(),
            description_error: None,
            valid_until_error: None,
            permissions_error: None,
            reach_error: None,
            networks_error: None,
        }
    }
}

impl FormState {
    /// The form as it was sent, to show again with its errors.
    pub fn sent(form: &CreateForm) -> FormState {
        FormState {
            description: form.description.clone(),
            valid_until: form.valid_until.clone(),
            preset: form.preset(),
            custom_levels: form.custom_levels(),
            reach_only: form.reach_only(),
            reach_orgs: form.orgs.clone(),
            allowed_networks: form.allowed_networks.clone(),
            ..FormState::default()
        }
    }

    /// Whether any field has an error (the first one takes the focus).
    pub fn first_error(&self) -> Option<&'static str> {
        [
            ("description", self.description_error.is_some()),
            ("valid_until", self.valid_until_error.is_some()),
            ("permissions", self.permissions_error.is_some()),
            ("reach", self.reach_error.is_some()),
            ("allowed_networks", self.networks_error.is_some()),
        ]
        .into_iter()
        .find_map(|(field, has_error)| has_error.then_some(field))
    }

    /// A date input drops a value that is not `YYYY-MM-DD`, and the form would
    /// then come back empty, meaning "never expires". What was typed instead is
    /// shown as text, so it stays visible and is sent again as it is.
    pub fn valid_until_input_type(&self) -> &'static str {
        let value = self.valid_until.trim();
        if value.is_empty() || NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok() { "date" } else { "text" }
    }
}

/// What `keys/screen.html` shows, whoever owns the keys. The pages below put it in
/// the organization's or the user's settings layout, and reach its fields through
/// `Deref` (askama looks a template's names up on `self`).
pub struct KeysScreen {
    /// The organization's name on its keys screen, `None` on the user's.
    pub org_name: Option<String>,
    /// The organization's slug on its keys screen, for the CLI examples.
    pub org_slug: Option<String>,
    /// This server's public URL, as the CLI takes it (`--url`, `MONKEYCI_URL`, `url:`).
    pub server_url: String,
    pub list_url: String,
    pub rows: Vec<KeyRow>,
    /// The number of the owner's keys.
    pub total: i64,
    /// "55", or "1000+" past the counting limit.
    pub total_label: String,
    /// The filter form's values, and whether it leaves keys out.
    pub filter: FilterView,
    /// The pages before and after this one (cursors, with the filter).
    pub previous_url: Option<String>,
    pub next_url: Option<String>,
    /// Why the first page is shown instead of the one a link asked for.
    pub cursor_notice: Option<&'static str>,
    pub form: FormState,
    /// The token of the key just created: shown once, in the dialog.
    pub new_key: Option<NewKeyNotice>,
    /// What the key just created may do, said in its dialog.
    pub new_key_access: Option<AccessView>,
    /// The public id of the key just created: its row takes the focus when the dialog closes.
    pub new_key_id: Option<String>,
    pub today: String,
    pub min_date: String,
    pub max_date: Option<String>,
    /// What the organization's key policy asks of the date ("This organization
    /// allows keys of at most 30 days."); `None`: a key may never expire.
    pub policy_hint: Option<String>,
    /// Whether the policy needs a date (then an empty field is no way out).
    pub expiry_needed: bool,
    pub meaning: String,
    /// The Add form's permission presets and custom table.
    pub presets: Vec<PresetChoice>,
    pub custom_rows: Vec<CustomRow>,
    /// The reach fieldset: on the user's screen only.
    pub reach: Option<ReachView>,
    /// The Roll dialog's overlap choice.
    pub overlaps: Vec<OverlapChoice>,
}

/// What `keys/revoke_panel.html` shows: the confirmation page for pages without scripts.
pub struct ConfirmRevoke {
    pub list_url: String,
    pub description: String,
    pub hint: String,
    pub revoke_url: String,
}

/// What `keys/roll_panel.html` shows: the overlap choice, as a page (the
/// row's dialog shows the same form when scripts run).
pub struct ConfirmRoll {
    pub list_url: String,
    pub description: String,
    pub hint: String,
    pub roll_url: String,
    pub overlaps: Vec<OverlapChoice>,
}

/// One radio of the overlap choice.
pub struct OverlapChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// The four overlaps, the default (24 hours) checked.
pub fn overlap_choices() -> Vec<OverlapChoice> {
    Overlap::ALL
        .into_iter()
        .map(|o| OverlapChoice { value: o.code(), label: o.label(), checked: o == Overlap::default() })
        .collect()
}

#[derive(Template)]
#[template(path = "keys/org_list.html")]
struct OrgKeysPage {
    page: PageContext,
    org: OrgView,
    tab: &'static str,
    screen: KeysScreen,
}

#[derive(Template)]
#[template(path = "keys/user_list.html")]
struct UserKeysPage {
    page: PageContext,
    section: &'static str,
    screen: KeysScreen,
}

#[derive(Template)]
#[template(path = "keys/org_confirm_revoke.html")]
struct OrgConfirmRevokePage {
    page: PageContext,
    org: OrgView,
    tab: &'static str,
    screen: ConfirmRevoke,
}

#[derive(Template)]
#[template(path = "keys/user_confirm_revoke.html")]
struct UserConfirmRevokePage {
    page: PageContext,
    section: &'static str,
    screen: ConfirmRevoke,
}

#[derive(Template)]
#[template(path = "keys/org_confirm_roll.html")]
struct OrgConfirmRollPage {
    page: PageContext,
    org: OrgView,
    tab: &'static str,
    screen: ConfirmRoll,
}

#[derive(Template)]
#[template(path = "keys/user_confirm_roll.html")]
struct UserConfirmRollPage {
    page: PageContext,
    section: &'static str,
    screen: ConfirmRoll,
}

macro_rules! deref_to_screen {
    ($($page:ty => $screen:ty),* $(,)?) => {$(
        impl std::ops::Deref for $page {
            type Target = $screen;
            fn deref(&self) -> &$screen {
                &self.screen
            }
        }
    )*};
}

deref_to_screen!(
    OrgKeysPage => KeysScreen,
    UserKeysPage => KeysScreen,
    OrgConfirmRevokePage => ConfirmRevoke,
    UserConfirmRevokePage => ConfirmRevoke,
    OrgConfirmRollPage => ConfirmRoll,
    UserConfirmRollPage => ConfirmRoll,
);

/// The settings layout of the keys' owner: the organization's tabs or the user's side navigation.
pub fn render_keys_page(
    scope: &KeyScope,
    page: PageContext,
    status: StatusCode,
    screen: KeysScreen,
) -> Result<HttpResponse, AppError> {
    match org_view(scope) {
        Some(org) => render(status, &OrgKeysPage { page, org, tab: "api-keys", screen }),
        None => render(status, &UserKeysPage { page, section: "api-keys", screen }),
    }
}

pub fn render_confirm_revoke(
    scope: &KeyScope,
    page: PageContext,
    screen: ConfirmRevoke,
) -> Result<HttpResponse, AppError> {
    match org_view(scope) {
        Some(org) => ok(&OrgConfirmRevokePage { page, org, tab: "api-keys", screen }),
        None => ok(&UserConfirmRevokePage { page, section: "api-keys", screen }),
    }
}

pub fn render_confirm_roll(
    scope: &KeyScope,
    page: PageContext,
    screen: ConfirmRoll,
) -> Result<HttpResponse, AppError> {
    match org_view(scope) {
        Some(org) => ok(&OrgConfirmRollPage { page, org, tab: "api-keys", screen }),
        None => ok(&UserConfirmRollPage { page, section: "api-keys", screen }),
    }
}

pub fn org_view(scope: &KeyScope) -> Option<OrgView> {
    match scope {
        KeyScope::Organization { org, is_admin, role_label } => {
            Some(OrgView { slug: org.slug.clone(), name: org.name.clone(), is_admin: *is_admin, role_label })
        }
        KeyScope::User { .. } => None,
    }
}
