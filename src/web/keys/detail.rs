//! A key's own page (`…/api-keys/{id}`): its details, its history (created,
//! rolled, revoked, expired) and its requests per day for the last 30 days
//! (SPEC §2 "Usage"). Organization keys for their admins, user keys for their
//! user; anyone else's id is a 404.

use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, NaiveDateTime, Utc};

use super::KeyScope;
use super::access::AccessView;
use super::pages::org_view;
use super::status::StatusView;
use crate::db::api_keys::{self, KeyListItem};
use crate::db::users::User;
use crate::db::{DbConnection, api_key_daily_uses};
use crate::domain::api_key::usage_chart::{self, UsageChart};
use crate::domain::api_key::{KeyKind, PublicId, RevokeReason, ValidUntil};
use crate::domain::dates;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::current_user::CurrentUser;
use crate::web::org_access::{OrgAdmin, OrgMember};
use crate::web::orgs::OrgView;
use crate::web::page::{PageContext, ok};

/// `GET /o/{slug}/settings/api-keys/{id}`: admins only.
pub async fn org_key(
    req: HttpRequest,
    admin: OrgAdmin,
    path: Path<(String, String)>,
    state: Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let OrgAdmin(OrgMember { org, role, .. }) = admin;
    let scope = KeyScope::Organization { org, is_admin: true, role_label: role.label() };
    show(&req, &scope, &state, &path.into_inner().1).await
}

/// `GET /settings/api-keys/{id}`: the user's own keys only.
pub async fn user_key(
    req: HttpRequest,
    CurrentUser(user): CurrentUser,
    public_id: Path<String>,
    state: Data<AppState>,
) -> Result<HttpResponse, AppError> {
    show(&req, &KeyScope::User { user_id: user.id }, &state, &public_id).await
}

/// One line of the key's history, oldest first.
pub struct HistoryEvent {
    /// "5 Dec 2026 14:00 UTC".
    pub when: String,
    /// For `<time datetime>`.
    pub when_iso: String,
    pub what: String,
    /// A key this event names ("rolled to …"), linked to its page while it exists.
    pub link: Option<KeyLink>,
}

pub struct KeyLink {
    pub hint: String,
    pub url: String,
}

/// What `keys/detail.html` shows.
pub struct KeyDetail {
    pub list_url: String,
    pub public_id: String,
    pub hint: String,
    pub description: String,
    pub kind: &'static str,
    pub status_label: &'static str,
    pub status_class: &'static str,
    /// "works until …" for a rolled key, who revoked it and why.
    pub status_detail: Option<String>,
    pub roll_url: Option<String>,
    pub revoke_url: Option<String>,
    pub access: AccessView,
    pub created: String,
    pub valid_until: String,
    pub last_used: String,
    pub last_used_address: Option<String>,
    pub last_used_agent: Option<String>,
    pub history: Vec<HistoryEvent>,
    pub chart: UsageChart,
    pub chart_width: u32,
    pub chart_height: u32,
    pub chart_summary: String,
    pub first_day: String,
}

struct Loaded {
    item: KeyListItem,
    reach_names: Vec<String>,
    revoked_by_name: Option<String>,
    counts: Vec<(chrono::NaiveDate, i64)>,
    /// Which of the keys it was rolled from / to still exist (they are purged 90 days on).
    rolled_from_exists: bool,
    rolled_to_exists: bool,
}

async fn show(
    req: &HttpRequest,
    scope: &KeyScope,
    state: &AppState,
    public_id: &str,
) -> Result<HttpResponse, AppError> {
    let public_id = PublicId::parse(public_id).ok_or(AppError::NotFound)?;
    let owner = scope.owner();
    let now = state.clock.now();
    let first_day = UsageChart::first_day(now.date_naive());
    let loaded = state.db.run(move |conn| load(conn, owner, &public_id, first_day)).await?;
    let loaded = loaded.ok_or(AppError::NotFound)?;
    let detail = detail(scope, loaded, now);
    let page = PageContext::load(req).await?;
    match org_view(scope) {
        Some(org) => ok(&OrgKeyPage { page, org, tab: "api-keys", detail }),
        None => ok(&UserKeyPage { page, section: "api-keys", detail }),
    }
}

fn load(
    conn: &mut DbConnection,
    owner: api_keys::Owner,
    public_id: &PublicId,
    first_day: chrono::NaiveDate,
) -> diesel::QueryResult<Option<Loaded>> {
    let Some(item) = api_keys::item_for_owner(conn, owner, public_id)? else {
        return Ok(None);
    };
    let key = &item.key;
    let reach_names = if key.user_id.is_some() && !key.reaches_all_orgs {
        api_keys::org_names_of(conn, &[key.id])?.into_iter().map(|(_, name)| name).collect()
    } else {
        Vec::new()
    };
    let revoked_by_name = match key.revoked_by {
        Some(user_id) => User::find(conn, user_id)?.map(|user| user.display_name),
        None => None,
    };
    let counts = api_key_daily_uses::since(conn, key.id, first_day)?;
    let mut exists = |id: &Option<String>| -> diesel::QueryResult<bool> {
        match id.as_deref().and_then(PublicId::parse) {
            Some(id) => Ok(api_keys::find_for_owner(conn, owner, &id)?.is_some()),
            None => Ok(false),
        }
    };
    let rolled_from_exists = exists(&key.rolled_from)?;
    let rolled_to_exists = exists(&key.rolled_to)?;
    Ok(Some(Loaded { item, reach_names, revoked_by_name, counts, rolled_from_exists, rolled_to_exists }))
}

fn detail(scope: &KeyScope, loaded: Loaded, now: DateTime<Utc>) -> KeyDetail {
    let Loaded { item, reach_names, revoked_by_name, counts, rolled_from_exists, rolled_to_exists } = loaded;
    let created_by = item.created_by_label();
    let key = item.key;
    let kind = scope.kind();
    let base = scope.base_url();
    let access = AccessView::of(&key, &reach_names);
    let valid_until = key.valid_until.map(ValidUntil::from_date);
    let revocation = key.revocation();
    let link = |id: &Option<String>, exists: bool| {
        id.as_deref().and_then(PublicId::parse).map(|id| KeyLink {
            hint: id.hint(kind),
            url: if exists { format!("{base}/{id}") } else { String::new() },
        })
    };
    let mut history = vec![HistoryEvent {
        when: dates::date_time_utc(key.created_at),
        when_iso: dates::iso_utc(key.created_at),
        what: match key.rolled_from {
            Some(_) => format!("Created by {created_by}, rolled from"),
            None => format!("Created by {created_by}"),
        },
        link: link(&key.rolled_from, rolled_from_exists),
    }];
    if let Some(revoked) = revocation {
        let at = revoked.at.naive_utc();
        let by = revoked_by_name.as_deref().map(|name| format!(" by {name}")).unwrap_or_default();
        let in_effect = revoked.is_in_effect_at(now);
        let what = match (revoked.reason, in_effect) {
            (RevokeReason::Rolled, false) => {
                format!("Rolled{by}: this key keeps working until then, then stops; rolled to")
            }
            (RevokeReason::Rolled, true) => format!("Stopped working: rolled{by} to"),
            (reason, _) => format!("Revoked ({}){by}", reason.words()),
        };
        let link = match revoked.reason {
            RevokeReason::Rolled => link(&key.rolled_to, rolled_to_exists),
            _ => None,
        };
        history.push(HistoryEvent {
            when: dates::date_time_utc(at),
            when_iso: dates::iso_utc(at),
            what,
            link,
        });
    }
    if let Some(until) = valid_until {
        let stops: NaiveDateTime = until.refused_from().naive_utc();
        let stopped_first = revocation.is_some_and(|revoked| revoked.at <= until.refused_from());
        if !stopped_first {
            let what = if until.is_usable_at(now) { "Expires (stops working)" } else { "Expired" };
            history.push(HistoryEvent {
                when: dates::date_time_utc(stops),
                when_iso: dates::iso_utc(stops),
                what: what.to_string(),
                link: None,
            });
        }
    }
    let status = StatusView::of(&key, kind, revoked_by_name.as_deref(), now);
    let action_url = |action: &str| format!("{base}/{}/{action}", key.public_id);
    let (roll_url, revoke_url) =
        (status.can_roll.then(|| action_url("roll")), status.can_revoke.then(|| action_url("revoke")));
    let chart = UsageChart::of(now.date_naive(), &counts);
    let chart_summary = chart_summary(&chart);
    KeyDetail {
        list_url: base.clone(),
        hint: key.public_id.hint(kind),
        public_id: key.public_id.to_string(),
        description: key.description,
        kind: match kind {
            KeyKind::Organization => "Organization key",
            KeyKind::User => "User key",
        },
        status_label: status.label,
        status_class: status.class,
        status_detail: status.detail,
        roll_url,
        revoke_url,
        access,
        created: format!("{} by {created_by}", dates::date_time_utc(key.created_at)),
        valid_until: match valid_until {
            Some(v) => format!("{} ({})", dates::date(v.date()), v.meaning()),
            None => "never".into(),
        },
        last_used: dates::relative(key.last_used_at.map(|t| t.and_utc()), now),
        last_used_address: key.last_used_address,
        last_used_agent: key.last_used_agent,
        history,
        first_day: dates::date(UsageChart::first_day(now.date_naive())),
        chart,
        chart_width: usage_chart::WIDTH,
        chart_height: usage_chart::HEIGHT,
        chart_summary,
    }
}

/// The chart in one sentence, for screen readers and as the drawing's label.
fn chart_summary(chart: &UsageChart) -> String {
    if chart.is_empty() {
        return "No requests in the last 30 days.".to_string();
    }
    let busiest = chart.bars.iter().max_by_key(|bar| (bar.requests, bar.day));
    let busiest =
        busiest.map(|bar| format!(", the most on {} ({})", bar.label, bar.requests)).unwrap_or_default();
    let noun = if chart.total == 1 { "request" } else { "requests" };
    format!("{} {noun} in the last 30 days{busiest}.", chart.total)
}

#[derive(Template)]
#[template(path = "keys/org_detail.html")]
struct OrgKeyPage {
    page: PageContext,
    org: OrgView,
    tab: &'static str,
    detail: KeyDetail,
}

#[derive(Template)]
#[template(path = "keys/user_detail.html")]
struct UserKeyPage {
    page: PageContext,
    section: &'static str,
    detail: KeyDetail,
}
