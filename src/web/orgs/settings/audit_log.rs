//! *Organization settings > Audit log*: who did what and when, newest first.

use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use askama::Template;

use crate::db::audit_events;
use crate::domain::dates;
use crate::domain::identity::IdentityLabel;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::org_access::OrgAdmin;
use crate::web::orgs::OrgView;
use crate::web::page::{PageContext, ok};
use crate::web::pagination::{PER_PAGE, PageQuery, Pagination, page_or_last};

pub struct EventRow {
    pub when: String,
    pub when_iso: String,
    pub actor: String,
    pub actor_identities: Vec<IdentityLabel>,
    pub action: &'static str,
    pub details: String,
    /// Whom the event is about, when that is someone else than the actor: their
    /// name and sign-in identities, as the details give only a name.
    pub about: Option<(String, Vec<IdentityLabel>)>,
}

#[derive(Template)]
#[template(path = "orgs/settings/audit_log.html")]
struct AuditLogPage {
    page: PageContext,
    org: OrgView,
    tab: &'static str,
    events: Vec<EventRow>,
    pagination: Pagination,
    page_suffix: &'static str,
}

pub async fn show(
    OrgAdmin(admin): OrgAdmin,
    page: PageContext,
    state: Data<AppState>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let requested = Pagination::requested(&query);
    let org_id = admin.org.id;
    let (entries, total) = state
        .db
        .run(move |conn| {
            page_or_last(requested, PER_PAGE, |offset| audit_events::page(conn, org_id, PER_PAGE, offset))
        })
        .await?;
    let events = entries
        .into_iter()
        .map(|entry| {
            let about = match (entry.event.target_user_id, entry.target_name) {
                (Some(target), Some(name)) if entry.event.actor_user_id != Some(target) => {
                    Some((name, entry.target_identities))
                }
                _ => None,
            };
            EventRow {
                when: dates::date_time_utc(entry.event.created_at),
                when_iso: dates::iso_utc(entry.event.created_at),
                actor: audit_events::actor_label(
                    entry.actor_name,
                    entry.event.actor_key_hint.as_deref(),
                    entry.event.actor_key_description.as_deref(),
                ),
                actor_identities: entry.actor_identities,
                action: entry.event.action.as_str(),
                details: entry.event.details,
                about,
            }
        })
        .collect();
    ok(&AuditLogPage {
        page,
        org: OrgView::of(&admin),
        tab: "audit-log",
        events,
        pagination: Pagination::new(requested, PER_PAGE, total),
        page_suffix: "",
    })
}
