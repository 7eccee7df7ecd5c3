//! The API keys screen, whoever owns the keys: the list, the Add form and the
//! one-time token dialog (revoking and rolling: `lifecycle.rs`).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Duration;

pub use super::access::CreateForm;
use super::access::{AccessView, OrgChoice, ReachView, custom_rows, preset_choices};
use super::filter::{FilterView, ListQuery, count_label, page_link};
use super::pages::{FormState, KeyRow, KeysScreen, org_view, overlap_choices, render_keys_page};
use super::status::StatusView;
use super::{KeyScope, valid_until};
use crate::auth::pending_token::{self, NewKeyNotice};
use crate::auth::session::{self, Flash, PendingTokenRef};
use crate::db::DbConnection;
use crate::db::api_key_blocks;
use crate::db::api_keys::{self, ApiKey, KeyListItem, Owner};
use crate::db::organizations::Organization;
use crate::db::pending_tokens::{self, NewPendingToken};
use crate::domain::api_key::validity::{latest_allowed, suggestion};
use crate::domain::api_key::{BadCursor, KeyCursor, KeyKind, KeyListFilter, ParsedToken, ValidUntil};
use crate::domain::dates;
use crate::domain::ids::{KeyId, UserId};
use crate::error::AppError;
use crate::services::api_keys::{Actor, NewKeyInput, ReachChoice};
use crate::state::AppState;
use crate::web::page::{PageContext, see_other};
use crate::web::pagination::PER_PAGE;

fn row(
    scope: &KeyScope,
    item: KeyListItem,
    reach_names: &[String],
    revoker: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> KeyRow {
    let created_by = item.created_by_label();
    let access = AccessView::of(&item.key, reach_names);
    let status = StatusView::of(&item.key, scope.kind(), revoker, now);
    let key = item.key;
    let valid_until = key.valid_until.map(ValidUntil::from_date);
    let hint = key.public_id.hint(scope.kind());
    let action_url = |action: &str| format!("{}/{}/{action}", scope.base_url(), key.public_id);
    KeyRow {
        revoke_url: status.can_revoke.then(|| action_url("revoke")),
        roll_url: status.can_roll.then(|| action_url("roll")),
        public_id: key.public_id.to_string(),
        description: key.description,
        hint,
        created_on: dates::day_of(key.created_at),
        created_by,
        last_used: dates::relative(key.last_used_at.map(|t| t.and_utc()), now),
        last_used_from: key.last_used_address.map(|address| format!("from {address}")),
        last_used_agent: key.last_used_agent,
        valid_until: match valid_until {
            Some(v) => format!("{} ({})", dates::date(v.date()), v.meaning()),
            None => "never".into(),
        },
        status_label: status.label,
        status_class: status.class,
        status_detail: status.detail,
        rolled_to: status.rolled_to,
        rolled_from: status.rolled_from,
        blocked_by: Vec::new(),
        access,
    }
}

/// The names of the organizations each restricted user key reaches, by key.
fn reach_names_of(
    conn: &mut DbConnection,
    keys: &[&ApiKey],
) -> diesel::QueryResult<Vec<(KeyId, Vec<String>)>> {
    let restricted: Vec<KeyId> =
        keys.iter().filter(|key| key.user_id.is_some() && !key.reaches_all_orgs).map(|key| key.id).collect();
    let mut names: Vec<(KeyId, Vec<String>)> = restricted.iter().map(|id| (*id, Vec::new())).collect();
    for (key_id, name) in api_keys::org_names_of(conn, &restricted)? {
        if let Some((_, list)) = names.iter_mut().find(|(id, _)| *id == key_id) {
            list.push(name);
        }
    }
    Ok(names)
}

fn names_for(names: &[(KeyId, Vec<String>)], key_id: KeyId) -> &[String] {
    names.iter().find(|(id, _)| *id == key_id).map_or(&[], |(_, list)| list.as_slice())
}

/// What a list page shows besides its keys: the filter, the Add form and the new key's dialog.
struct ListView {
    filter: KeyListFilter,
    /// Where the page starts; `Err`: a cursor this list did not give.
    cursor: Result<Option<KeyCursor>, BadCursor>,
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
    let ListView { filter, cursor, form, new_key } = view;
    // A cursor this list did not give (edited, cut short, or of another
    // order): the first page, saying why, rather than an error page; a person
    // following a link wants the list, and the filter still applies.
    let cursor_notice = cursor.is_err().then_some(
        "That page link was not one this list gave (it may have been cut short or edited), so this is the first page.",
    );
    let cursor = cursor.unwrap_or(None);
    let owner = scope.owner();
    let now = state.clock.now();
    let query_filter = filter.clone();
    let new_key_id = new_key
        .as_ref()
        .and_then(|notice| ParsedToken::parse(&notice.token).ok())
        .map(|token| token.public_id);
    let new_key_lookup = new_key_id.clone();
    let ((key_page, owner_total), reach_names, new_key_found, own_orgs, mut blocked_by, revokers) = state
        .db
        .run(move |conn| {
            let key_page = api_keys::page_matching(conn, owner, &query_filter, now, PER_PAGE, cursor)?;
            let owner_total = api_keys::owner_total(conn, owner, &query_filter, &key_page, now)?;
            let new_key = match &new_key_lookup {
                Some(public_id) => api_keys::find_for_owner(conn, owner, public_id)?,
                None => None,
            };
            let keys: Vec<&ApiKey> =
                key_page.items.iter().map(|item| &item.key).chain(new_key.as_ref()).collect();
            let reach_names = reach_names_of(conn, &keys)?;
            let own_orgs = match owner {
                Owner::User(user_id) => Some(Organization::for_user(conn, user_id)?),
                Owner::Organization(_) => None,
            };
            let ids: Vec<_> = key_page.items.iter().map(|item| item.key.id).collect();
            let blocked_by = api_key_blocks::blocking_orgs(conn, &ids)?;
            let revokers = api_keys::revoker_names(conn, &keys)?;
            Ok::<_, diesel::result::Error>((
                (key_page, owner_total),
                reach_names,
                new_key,
                own_orgs,
                blocked_by,
                revokers,
            ))
        })
        .await?;
    let list_url = scope.base_url();
    let previous_url = match key_page.previous_cursor() {
        Some(cursor) => Some(page_link(&list_url, &filter, Some(cursor))),
        // After the last key, where nothing is left (the keys were revoked
        // or deleted since): back to the start.
        None if key_page.has_previous => Some(page_link(&list_url, &filter, None)),
        None => None,
    };
    let next_url = key_page.next_cursor().map(|cursor| page_link(&list_url, &filter, Some(cursor)));
    let today = now.date_naive();
    let policy = scope.policy();
    let max_days = policy.max_lifetime_days;
    let rows = key_page
        .items
        .into_iter()
        .map(|item| {
            let names = names_for(&reach_names, item.key.id);
            let revoker = item
                .key
                .revoked_by
                .and_then(|by| revokers.iter().find(|(id, _)| *id == by))
                .map(|(_, name)| name.clone());
            KeyRow {
                blocked_by: blocked_by.remove(&item.key.id).unwrap_or_default(),
                ..row(scope, item, names, revoker.as_deref(), now)
            }
        })
        .collect();
    let new_key_access = new_key_found.map(|key| AccessView::of(&key, names_for(&reach_names, key.id)));
    let meaning = valid_until::sentence_under(&form.valid_until, today, policy.needs_expiry());
    let reach = own_orgs.map(|orgs| ReachView {
        only: form.reach_only,
        orgs: orgs
            .into_iter()
            .map(|(org, _)| OrgChoice {
                checked: form.reach_orgs.contains(&org.slug),
                slug: org.slug,
                name: org.name,
            })
            .collect(),
    });
    let new_key_id = new_key_id.map(|id| id.to_string());
    let org = org_view(scope);
    let org_name_is_some = org.is_some();
    let screen = KeysScreen {
        org_name: org.as_ref().map(|org| org.name.clone()),
        org_slug: org.map(|org| org.slug),
        server_url: server_url(&state.public_url),
        list_url,
        rows,
        total: owner_total,
        total_label: count_label(owner_total),
        filter: FilterView::new(&filter, key_page.total),
        previous_url,
        next_url,
        cursor_notice,
        new_key,
        new_key_access,
        new_key_id,
        today: today.to_string(),
        min_date: (today + Duration::days(1)).to_string(),
        max_date: max_days.map(|d| latest_allowed(today, d).to_string()),
        policy_hint: valid_until::policy_hint(&policy),
        expiry_needed: policy.needs_expiry(),
        meaning,
        presets: preset_choices(
            form.preset,
            if org_name_is_some { "an admin of this organization" } else { "you" },
        ),
        custom_rows: custom_rows(&form.custom_levels),
        reach,
        form,
        overlaps: overlap_choices(),
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
    let suggested = suggestion(today, scope.policy().max_lifetime_days);
    let form = FormState { valid_until: suggested.to_string(), ..FormState::default() };
    let filter = query.filter();
    let view = ListView { cursor: query.cursor(&filter), filter, form, new_key };
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
                     send it back). Revoke that key and create another one.",
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
    let scope_string = form.scope_string();
    let reach = match scope.kind() {
        // An organization key reaches its organization: the form asks nothing else.
        KeyKind::Organization => ReachChoice::AllOrgs,
        KeyKind::User => form.reach_choice(),
    };
    let input = NewKeyInput {
        description: &form.description,
        valid_until: &form.valid_until,
        scope: &scope_string,
        reach,
        allowed_networks: &form.allowed_networks,
    };
    let actor_id = actor;
    let actor = Actor { user_id: Some(actor), via_key: None };
    let created = match state.api_keys.create(scope.owner(), actor, input).await? {
        Ok(created) => created,
        Err(errors) => {
            let policy = scope.policy();
            let state_of_form = FormState {
                description_error: errors.description.map(|e| e.to_string()),
                valid_until_error: errors.valid_until.map(|e| valid_until::form_error(&e, &policy)),
                permissions_error: errors.scope.map(|e| e.to_string()),
                reach_error: errors.reach.map(|e| e.to_string()),
                networks_error: errors.allowed_networks.map(|e| e.to_string()),
                ..FormState::sent(&form)
            };
            let view = ListView {
                filter: KeyListFilter::default(),
                cursor: Ok(None),
                form: state_of_form,
                new_key: None,
            };
            return render_list(req, scope, state, view, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let notice = NewKeyNotice {
        token: created.token.to_token_string(),
        hint: created.hint,
        description: created.key.description,
    };
    show_token_once(scope, actor_id, state, session, notice).await
}

/// The one-time dialog's flow for a key just made (created or rolled): the
/// token is sealed (ciphertext in the database, its key in a cookie of this
/// browser only), the session names it for the list page, and the answer is a
/// 303 to that page, whose GET takes it out once.
pub async fn show_token_once(
    scope: &KeyScope,
    actor_id: UserId,
    state: &AppState,
    session: &Session,
    notice: NewKeyNotice,
) -> Result<HttpResponse, AppError> {
    let list_url = scope.base_url();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_url_is_written_as_people_type_it() {
        let url = |raw: &str| server_url(&url::Url::parse(raw).unwrap());
        assert_eq!(url("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(url("https://ci.example.com/"), "https://ci.example.com");
        assert_eq!(url("https://example.com/accounts/"), "https://example.com/accounts/");
    }
}
