//! The API keys screen, whoever owns the keys: the list, the Add form, the
//! one-time token dialog and deletion.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use super::{KeyScope, valid_until};
use crate::auth::pending_token::{self, NewKeyNotice};
use crate::auth::session::{self, Flash, PendingTokenRef};
use crate::db::api_keys::{self, KeyListItem};
use crate::db::pending_tokens::{self, NewPendingToken};
use crate::domain::api_key::validity::{latest_allowed, suggestion};
use crate::domain::api_key::{
    KeyListFilter, KeySort, KeyStatus, ParsedToken, PublicId, StatusFilter, ValidUntil,
};
use crate::domain::dates;
use crate::domain::ids::UserId;
use crate::error::AppError;
use crate::services::api_keys::{Actor, NewKeyInput};
use crate::state::AppState;
use crate::web::orgs::OrgView;
use crate::web::page::{PageContext, ok, render, see_other};
use crate::web::pagination::{PER_PAGE, PageQuery, Pagination, page_or_last};

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
struct KeysScreen {
    /// The organization's name on its keys screen, `None` on the user's.
    org_name: Option<String>,
    /// The organization's slug on its keys screen, for the CLI examples.
    org_slug: Option<String>,
    /// This server's public URL, as the CLI takes it (`--url`, `MONKEYCI_URL`, `url:`).
    server_url: String,
    list_url: String,
    rows: Vec<KeyRow>,
    /// The number of the owner's keys.
    total: i64,
    /// "55", or "1000+" past the counting limit.
    total_label: String,
    /// The filter form's values, and whether it leaves keys out.
    filter: FilterView,
    pagination: Pagination,
    /// The filter, for the page links (`&q=…&status=…`).
    page_suffix: String,
    form: FormState,
    /// The token of the key just created: shown once, in the dialog.
    new_key: Option<NewKeyNotice>,
    /// The public id of the key just created: its row takes the focus when the dialog closes.
    new_key_id: Option<String>,
    today: String,
    min_date: String,
    max_date: Option<String>,
    policy_days: Option<u32>,
    meaning: String,
}

/// One choice of a select.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// The list's filter form as the page shows it.
pub struct FilterView {
    pub text: String,
    pub statuses: Vec<Choice>,
    pub sorts: Vec<Choice>,
    /// Whether keys are left out: the list says how many match, and offers to show all.
    pub narrows: bool,
    /// "3", or "1000+": how many keys match.
    pub matching_label: String,
}

impl FilterView {
    fn new(filter: &KeyListFilter, matching: i64) -> FilterView {
        FilterView {
            text: filter.text.as_ref().map(|t| t.as_str().to_string()).unwrap_or_default(),
            statuses: StatusFilter::ALL
                .into_iter()
                .map(|s| Choice { value: s.code(), label: s.label(), selected: s == filter.status })
                .collect(),
            sorts: KeySort::ALL
                .into_iter()
                .map(|s| Choice { value: s.code(), label: s.label(), selected: s == filter.sort })
                .collect(),
            narrows: filter.narrows(),
            matching_label: count_label(matching),
        }
    }
}

/// "55", or "1000+" past the counting limit.
fn count_label(total: i64) -> String {
    if total > api_keys::COUNT_CAP { format!("{}+", api_keys::COUNT_CAP) } else { total.to_string() }
}

/// The list's query string: the page, and the filter (see [`KeyListFilter::parse`]).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub page: Option<String>,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub sort: String,
}

impl ListQuery {
    fn filter(&self) -> KeyListFilter {
        KeyListFilter::parse(&self.q, &self.status, &self.sort)
    }

    fn page(&self) -> i64 {
        Pagination::requested(&PageQuery { page: self.page.clone() })
    }
}

/// What `keys/delete_panel.html` shows: the confirmation page for pages without scripts.
struct ConfirmDelete {
    list_url: String,
    description: String,
    hint: String,
    delete_url: String,
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
fn render_keys_page(
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

fn render_confirm_delete(
    scope: &KeyScope,
    page: PageContext,
    screen: ConfirmDelete,
) -> Result<HttpResponse, AppError> {
    match org_view(scope) {
        Some(org) => ok(&OrgConfirmDeletePage { page, org, tab: "api-keys", screen }),
        None => ok(&UserConfirmDeletePage { page, section: "api-keys", screen }),
    }
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    valid_until: String,
}

fn org_view(scope: &KeyScope) -> Option<OrgView> {
    match scope {
        KeyScope::Organization { org, is_admin, role_label } => {
            Some(OrgView { slug: org.slug.clone(), name: org.name.clone(), is_admin: *is_admin, role_label })
        }
        KeyScope::User { .. } => None,
    }
}

fn row(scope: &KeyScope, item: KeyListItem, now: chrono::DateTime<chrono::Utc>) -> KeyRow {
    let created_by = item.created_by_label();
    let key = item.key;
    let valid_until = key.valid_until.map(ValidUntil::from_date);
    let status = KeyStatus::at(valid_until, now);
    let hint = key.public_id.hint(scope.kind());
    KeyRow {
        delete_url: format!("{}/{}/delete", scope.base_url(), key.public_id),
        public_id: key.public_id.to_string(),
        description: key.description,
        hint,
        created_on: dates::day_of(key.created_at),
        created_by,
        last_used: dates::relative(key.last_used_at.map(|t| t.and_utc()), now),
        valid_until: match valid_until {
            Some(v) => format!("{} ({})", dates::date(v.date()), v.meaning()),
            None => "never".into(),
        },
        status_label: status.label(),
        status_class: status.badge_class(),
    }
}

/// What a list page shows besides its keys: the filter, the Add form and the new key's dialog.
struct ListView {
    filter: KeyListFilter,
    requested_page: i64,
    form: FormState,
    new_key: Option<NewKeyNotice>,
}

async fn render_list(
    req: &HttpRequest,
    scope: &KeyScope,
    state: &AppState,
    view: ListView,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let ListView { filter, requested_page, form, new_key } = view;
    let owner = scope.owner();
    let now = state.clock.now();
    let query_filter = filter.clone();
    let key_page = state
        .db
        .run(move |conn| {
            page_or_last(requested_page, PER_PAGE, |offset| {
                api_keys::page_matching(conn, owner, &query_filter, now, PER_PAGE, offset)
            })
        })
        .await?;
    let capped = key_page.total > api_keys::COUNT_CAP;
    let pagination = if capped {
        Pagination::open_ended(requested_page, PER_PAGE, key_page.has_next)
    } else {
        Pagination::new(requested_page, PER_PAGE, key_page.total)
    };
    let today = now.date_naive();
    let max_days = scope.max_days();
    let rows = key_page.items.into_iter().map(|item| row(scope, item, now)).collect();
    let meaning = valid_until::sentence(&form.valid_until, today);
    let page_suffix = match filter.query_pairs() {
        pairs if pairs.is_empty() => String::new(),
        pairs => format!("&{}", serde_urlencoded::to_string(pairs).map_err(AppError::internal)?),
    };
    let new_key_id = new_key
        .as_ref()
        .and_then(|notice| ParsedToken::parse(&notice.token).ok())
        .map(|token| token.public_id.to_string());
    let org = org_view(scope);
    let screen = KeysScreen {
        org_name: org.as_ref().map(|org| org.name.clone()),
        org_slug: org.map(|org| org.slug),
        server_url: server_url(&state.public_url),
        list_url: scope.base_url(),
        rows,
        total: key_page.owner_total,
        total_label: count_label(key_page.owner_total),
        filter: FilterView::new(&filter, key_page.total),
        pagination,
        page_suffix,
        form,
        new_key,
        new_key_id,
        today: today.to_string(),
        min_date: (today + Duration::days(1)).to_string(),
        max_date: max_days.map(|d| latest_allowed(today, d).to_string()),
        policy_days: max_days,
        meaning,
    };
    render_keys_page(scope, PageContext::load(req).await?, status, screen)
}

/// The server's address as people type it for the CLI: `https://ci.example.com`,
/// without the slash a bare host's URL ends with.
fn server_url(public_url: &url::Url) -> String {
    let url = public_url.as_str();
    if public_url.path() == "/" { url.trim_end_matches('/').to_string() } else { url.to_string() }
}

pub async fn list(
    req: &HttpRequest,
    scope: &KeyScope,
    viewer: UserId,
    state: &AppState,
    session: &Session,
    query: &ListQuery,
) -> Result<HttpResponse, AppError> {
    let list_url = scope.base_url();
    let pending = session::take_pending_token(session, &list_url);
    let new_key = match &pending {
        Some(pending) => take_new_key(req, session, state, viewer, pending).await?,
        None => None,
    };
    let today = state.clock.now().date_naive();
    let suggested = suggestion(today, scope.max_days());
    let form = FormState { valid_until: suggested.to_string(), ..FormState::default() };
    let view = ListView { filter: query.filter(), requested_page: query.page(), form, new_key };
    let mut response = render_list(req, scope, state, view, StatusCode::OK).await?;
    // This response may carry the one-time token: never cached, whatever the
    // middleware's defaults become.
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    if pending.is_some() {
        response
            .add_cookie(&pending_token::removal(&list_url, state.is_https()))
            .map_err(AppError::internal)?;
    }
    Ok(response)
}

/// The sealed token waiting for this page, taken out of the database (one
/// request wins) and opened with the key from this browser's cookie.
async fn take_new_key(
    req: &HttpRequest,
    session: &Session,
    state: &AppState,
    viewer: UserId,
    pending: &PendingTokenRef,
) -> Result<Option<NewKeyNotice>, AppError> {
    let now = state.clock.now_naive();
    let (id, list_url) = (pending.id.clone(), pending.list_url.clone());
    let sealed = state.db.run(move |conn| pending_tokens::take(conn, &id, viewer, &list_url, now)).await?;
    let Some(sealed) = sealed else {
        // Shown already (another tab won the race) or expired.
        return Ok(None);
    };
    let key = req.cookie(pending_token::cookie_name(state.is_https()));
    match key.map(|key| pending_token::open(&sealed, key.value(), &pending.id, &pending.list_url)) {
        Some(Ok(notice)) => Ok(Some(notice)),
        failure => {
            let reason = match failure {
                Some(Err(error)) => error.to_string(),
                _ => "the browser did not send the key's cookie".to_string(),
            };
            tracing::warn!(%reason, "a new key's token could not be shown");
            session::push_flash(
                session,
                Flash::error(
                    "The new key was created, but its token could not be shown (this browser did not \
                     send it back). Delete that key and create another one.",
                ),
            );
            Ok(None)
        }
    }
}

pub async fn create(
    req: &HttpRequest,
    scope: &KeyScope,
    actor: UserId,
    state: &AppState,
    session: &Session,
    form: CreateForm,
) -> Result<HttpResponse, AppError> {
    let input = NewKeyInput { description: &form.description, valid_until: &form.valid_until };
    let actor_id = actor;
    let actor = Actor { user_id: Some(actor), via_key: None };
    let created = match state.api_keys.create(scope.owner(), actor, input).await? {
        Ok(created) => created,
        Err(errors) => {
            let state_of_form = FormState {
                description: form.description.clone(),
                valid_until: form.valid_until.clone(),
                description_error: errors.description.map(|e| e.to_string()),
                valid_until_error: errors.valid_until.map(|e| valid_until::form_error(&e, scope.max_days())),
            };
            let view = ListView {
                filter: KeyListFilter::default(),
                requested_page: 1,
                form: state_of_form,
                new_key: None,
            };
            return render_list(req, scope, state, view, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let list_url = scope.base_url();
    let notice = NewKeyNotice {
        token: created.token.to_token_string(),
        hint: created.hint,
        description: created.key.description,
    };
    let sealed = pending_token::seal(&notice, &list_url);
    drop(notice);
    let expires_at = state.clock.now_naive() + pending_token::LIFETIME;
    let (id, url, ciphertext) = (sealed.id.clone(), list_url.clone(), sealed.sealed);
    state
        .db
        .run(move |conn| {
            NewPendingToken { id: &id, user_id: actor_id, list_url: &url, sealed: &ciphertext, expires_at }
                .insert(conn)
        })
        .await?;
    session::put_pending_token(session, PendingTokenRef { id: sealed.id, list_url: list_url.clone() })
        .map_err(AppError::internal)?;
    let mut response = see_other(&list_url);
    response
        .add_cookie(&pending_token::cookie(sealed.key, &list_url, state.is_https()))
        .map_err(AppError::internal)?;
    Ok(response)
}

pub async fn confirm_delete(
    req: &HttpRequest,
    scope: &KeyScope,
    state: &AppState,
    public_id: &str,
) -> Result<HttpResponse, AppError> {
    let public_id = PublicId::parse(public_id).ok_or(AppError::NotFound)?;
    let owner = scope.owner();
    let lookup = public_id.clone();
    let key = state.db.run(move |conn| api_keys::find_for_owner(conn, owner, &lookup)).await?;
    let key = key.ok_or(AppError::NotFound)?;
    let screen = ConfirmDelete {
        list_url: scope.base_url(),
        description: key.description,
        hint: public_id.hint(scope.kind()),
        delete_url: format!("{}/{}/delete", scope.base_url(), public_id),
    };
    render_confirm_delete(scope, PageContext::load(req).await?, screen)
}

pub async fn delete(
    scope: &KeyScope,
    actor: UserId,
    state: &AppState,
    session: &Session,
    public_id: &str,
) -> Result<HttpResponse, AppError> {
    let public_id = PublicId::parse(public_id).ok_or(AppError::NotFound)?;
    let actor = Actor { user_id: Some(actor), via_key: None };
    let (key, hint) =
        state.api_keys.delete(scope.owner(), &public_id, actor).await?.ok_or(AppError::NotFound)?;
    session::push_flash(
        session,
        Flash::success(format!("The API key {hint} “{}” was deleted. It no longer works.", key.description)),
    );
    Ok(see_other(&scope.base_url()))
}
