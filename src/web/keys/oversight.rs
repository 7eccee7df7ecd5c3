//! *Organization settings > API keys > Members' user keys* (SPEC §4 "Oversight of
//! members' user keys"): every user key that can reach the organization, for its
//! admins, who may block one here (it keeps working elsewhere) and undo it.
//! "Block" leads to a confirmation page naming the key and its owner; with
//! scripts, a dialog on the list asks the same.

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::web::{self, Data, Path, Query, ServiceConfig};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::auth::session::{self, Flash};
use crate::db::api_key_blocks::{self, BlockActor, BlockChange};
use crate::db::member_keys::{self, Cursor, MemberKey};
use crate::domain::access::OrgRef;
use crate::domain::api_key::{KeyKind, KeyPolicy, PublicId, ValidUntil};
use crate::domain::dates;
use crate::domain::identity::IdentityLabel;
use crate::domain::ids::OrgId;
use crate::domain::oversight::MemberKeyStatus;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::org_access::OrgAdmin;
use crate::web::orgs::OrgView;
use crate::web::page::{PageContext, ok, see_other};
use crate::web::pagination::PER_PAGE;

/// The routes of this page (registered with the other keys routes).
pub fn routes(cfg: &mut ServiceConfig) {
    const KEY: &str = "/o/{slug}/settings/api-keys/members/{id}";
    cfg.route("/o/{slug}/settings/api-keys/members", web::get().to(list))
        .route(&format!("{KEY}/block"), web::get().to(confirm_block))
        .route(&format!("{KEY}/block"), web::post().to(block))
        .route(&format!("{KEY}/unblock"), web::post().to(unblock));
}

/// One member's user key, as the list and the confirmation page show it.
pub struct MemberKeyRow {
    pub public_id: String,
    pub hint: String,
    pub description: String,
    pub owner_name: String,
    pub owner_identities: Vec<IdentityLabel>,
    pub permissions: String,
    pub created_on: String,
    pub last_used: String,
    pub valid_until: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    /// Why the key policy keeps it out, when it does.
    pub refusal: Option<String>,
    pub blocked: bool,
    pub block_url: String,
    pub unblock_url: String,
}

impl MemberKeyRow {
    /// "github: mallory, gitlab: mal" for the dialog (the page lists them one by one).
    pub fn identities_text(&self) -> String {
        if self.owner_identities.is_empty() {
            "no sign-in method".into()
        } else {
            self.owner_identities.iter().map(IdentityLabel::as_str).collect::<Vec<_>>().join(", ")
        }
    }
}

fn list_url(slug: &str) -> String {
    format!("/o/{slug}/settings/api-keys/members")
}

fn row(slug: &str, item: MemberKey, policy: &KeyPolicy, now: DateTime<Utc>) -> MemberKeyRow {
    let status = MemberKeyStatus::of(item.blocked, policy, &item.terms(), now);
    let key = item.key;
    let base = format!("{}/{}", list_url(slug), key.public_id);
    MemberKeyRow {
        hint: key.public_id.hint(KeyKind::User),
        public_id: key.public_id.to_string(),
        description: key.description,
        owner_name: item.owner_name,
        owner_identities: item.owner_identities,
        permissions: key.scope.in_words(),
        created_on: dates::day_of(key.created_at),
        last_used: dates::relative(item.last_used_here.map(|t| t.and_utc()), now),
        valid_until: match key.valid_until.map(ValidUntil::from_date) {
            Some(v) => format!("{} ({})", dates::date(v.date()), v.meaning()),
            None => "never".into(),
        },
        status_label: status.label(),
        status_class: status.badge_class(),
        refusal: status.refusal().map(|refusal| format!("Not allowed: {refusal}.")),
        blocked: item.blocked,
        block_url: format!("{base}/block"),
        unblock_url: format!("{base}/unblock"),
    }
}

#[derive(Template)]
#[template(path = "keys/oversight.html")]
struct MemberKeysPage {
    page: PageContext,
    org: OrgView,
    tab: &'static str,
    rows: Vec<MemberKeyRow>,
    total: i64,
    previous_url: Option<String>,
    next_url: Option<String>,
}

#[derive(Template)]
#[template(path = "keys/oversight_confirm_block.html")]
struct ConfirmBlockPage {
    page: PageContext,
    org: OrgView,
    tab: &'static str,
    list_url: String,
    row: MemberKeyRow,
}

#[derive(Deserialize)]
pub struct ListQuery {
    after: Option<String>,
    before: Option<String>,
}

impl ListQuery {
    /// Where the page starts; an id that is not one starts at the beginning.
    fn cursor(&self) -> Cursor {
        let parse = |raw: &Option<String>| raw.as_deref().and_then(PublicId::parse);
        match (parse(&self.after), parse(&self.before)) {
            (Some(after), _) => Cursor::After(after),
            (None, Some(before)) => Cursor::Before(before),
            (None, None) => Cursor::First,
        }
    }
}

/// `GET /o/{slug}/settings/api-keys/members`.
pub async fn list(
    OrgAdmin(admin): OrgAdmin,
    page: PageContext,
    state: Data<AppState>,
    query: Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (org_id, cursor, at) = (admin.org.id, query.cursor(), state.clock.now_naive());
    let found = state
        .db
        .run(move |conn| match member_keys::page(conn, org_id, &cursor, PER_PAGE, at)? {
            Some(page) => Ok(page),
            // The key the link started from is gone: from the beginning.
            None => Ok(member_keys::page(conn, org_id, &Cursor::First, PER_PAGE, at)?.unwrap_or_default()),
        })
        .await?;
    let (policy, now, slug) = (admin.org.key_policy(), state.clock.now(), admin.org.slug.clone());
    let url = list_url(&slug);
    let previous_url = match (found.has_previous, found.items.first()) {
        (true, Some(first)) => Some(format!("{url}?before={}", first.key.public_id)),
        (true, None) => Some(url.clone()),
        _ => None,
    };
    let next_url = match (found.has_next, found.items.last()) {
        (true, Some(last)) => Some(format!("{url}?after={}", last.key.public_id)),
        _ => None,
    };
    let rows = found.items.into_iter().map(|item| row(&slug, item, &policy, now)).collect();
    ok(&MemberKeysPage {
        page,
        org: OrgView::of(&admin),
        tab: "api-keys",
        rows,
        total: found.total,
        previous_url,
        next_url,
    })
}

/// The member's key named in the path, if it can reach the organization.
async fn find(state: &AppState, org_id: OrgId, raw: &str) -> Result<MemberKey, AppError> {
    let public_id = PublicId::parse(raw).ok_or(AppError::NotFound)?;
    let now = state.clock.now_naive();
    state
        .db
        .run(move |conn| member_keys::find(conn, org_id, &public_id, now))
        .await?
        .ok_or(AppError::NotFound)
}

/// `GET …/members/{id}/block`: the confirmation page, naming the key and its
/// owner (what "Block" opens without scripts).
pub async fn confirm_block(
    OrgAdmin(admin): OrgAdmin,
    path: Path<(String, String)>,
    page: PageContext,
    state: Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let item = find(&state, admin.org.id, &path.1).await?;
    let row = row(&admin.org.slug, item, &admin.org.key_policy(), state.clock.now());
    ok(&ConfirmBlockPage {
        page,
        org: OrgView::of(&admin),
        tab: "api-keys",
        list_url: list_url(&admin.org.slug),
        row,
    })
}

/// `POST …/members/{id}/block`.
pub async fn block(
    admin: OrgAdmin,
    path: Path<(String, String)>,
    state: Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    set_blocked(admin, &path.1, true, &state, &session).await
}

/// `POST …/members/{id}/unblock`.
pub async fn unblock(
    admin: OrgAdmin,
    path: Path<(String, String)>,
    state: Data<AppState>,
    session: Session,
) -> Result<HttpResponse, AppError> {
    set_blocked(admin, &path.1, false, &state, &session).await
}

async fn set_blocked(
    OrgAdmin(admin): OrgAdmin,
    raw_id: &str,
    blocked: bool,
    state: &AppState,
    session: &Session,
) -> Result<HttpResponse, AppError> {
    let public_id = PublicId::parse(raw_id).ok_or(AppError::NotFound)?;
    let (org, actor, now) = (admin.org.org_ref(), admin.user.id, state.clock.now_naive());
    let changed = state
        .db
        .run(move |conn| {
            let actor = BlockActor { user_id: Some(actor), via_key: None };
            if blocked {
                api_key_blocks::block(conn, &org, &public_id, actor, now)
            } else {
                api_key_blocks::unblock(conn, &org, &public_id, actor, now)
            }
        })
        .await?;
    let (key, change) = changed.ok_or(AppError::NotFound)?;
    session::push_flash(session, block_flash(&admin.org.org_ref(), &key, blocked, change));
    Ok(see_other(&list_url(&admin.org.slug)))
}

fn block_flash(org: &OrgRef, key: &MemberKey, blocked: bool, change: BlockChange) -> Flash {
    let named =
        format!("{} “{}” of {}", key.key.public_id.hint(KeyKind::User), key.key.description, key.owner_name);
    match (blocked, change) {
        (true, BlockChange::Done) => Flash::success(format!(
            "The user key {named} is blocked from {}. It keeps working in the owner's other organizations.",
            org.name
        )),
        (true, BlockChange::Unchanged) => Flash::info(format!("The user key {named} was blocked already.")),
        (false, BlockChange::Done) => {
            Flash::success(format!("The user key {named} may reach {} again.", org.name))
        }
        (false, BlockChange::Unchanged) => Flash::info(format!("The user key {named} was not blocked.")),
    }
}
