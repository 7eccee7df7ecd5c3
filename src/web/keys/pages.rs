//! What the keys screen shows and how it is put in its owner's settings layout:
//! the view structs the templates read, the page templates, and rendering.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use chrono::NaiveDate;

use super::KeyScope;
use super::filter::FilterView;
use crate::auth::pending_token::NewKeyNotice;
use crate::error::AppError;
use crate::web::orgs::OrgView;
use crate::web::page::{PageContext, ok, render};
use crate::web::pagination::Pagination;

pub struct KeyRow {
    pub description: String,
    /// The key's public id, whole: what the CLI and the API take.
    pub public_id: String,
    pub hint: String,
    pub created_on: String,
    pub created_by: String,
    pub last_used: String,
    pub valid_until: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub delete_url: String,
    /// A user key: the organizations that blocked it.
    pub blocked_by: Vec<String>,
}

/// The Add form's values and errors.
#[derive(Default)]
pub struct FormState {
    pub description: String,
    pub valid_until: String,
    pub description_error: Option<String>,
    pub valid_until_error: Option<String>,
}

impl FormState {
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
    pub pagination: Pagination,
    /// The filter, for the page links (`&q=…&status=…`).
    pub page_suffix: String,
    pub form: FormState,
    /// The token of the key just created: shown once, in the dialog.
    pub new_key: Option<NewKeyNotice>,
    /// The public id of the key just created: its row takes the focus when the dialog closes.
    pub new_key_id: Option<String>,
    pub today: String,
    pub min_date: String,
    pub max_date: Option<String>,
    pub policy_days: Option<u32>,
    pub meaning: String,
}

/// What `keys/delete_panel.html` shows: the confirmation page for pages without scripts.
pub struct ConfirmDelete {
    pub list_url: String,
    pub description: String,
    pub hint: String,
    pub delete_url: String,
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
#[template(path = "keys/org_confirm_delete.html")]
struct OrgConfirmDeletePage {
    page: PageContext,
    org: OrgView,
    tab: &'static str,
    screen: ConfirmDelete,
}

#[derive(Template)]
#[template(path = "keys/user_confirm_delete.html")]
struct UserConfirmDeletePage {
    page: PageContext,
    section: &'static str,
    screen: ConfirmDelete,
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
    OrgConfirmDeletePage => ConfirmDelete,
    UserConfirmDeletePage => ConfirmDelete,
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

pub fn render_confirm_delete(
    scope: &KeyScope,
    page: PageContext,
    screen: ConfirmDelete,
) -> Result<HttpResponse, AppError> {
    match org_view(scope) {
        Some(org) => ok(&OrgConfirmDeletePage { page, org, tab: "api-keys", screen }),
        None => ok(&UserConfirmDeletePage { page, section: "api-keys", screen }),
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
