//! Finding organizations to join (`GET /orgs?q=…`), with the state of the
//! person's own requests.

use actix_web::HttpResponse;
use actix_web::web::{Data, Query};
use askama::Template;
use serde::Deserialize;

use crate::db::join_requests;
use crate::db::organizations::Organization;
use crate::domain::dates;
use crate::domain::ids::{JoinRequestId, OrgId};
use crate::domain::join_request::JoinRequestStatus;
use crate::domain::organization::NAME_MAX;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::current_user::CurrentUser;
use crate::web::orgs::ask_again_text;
use crate::web::page::{PageContext, ok};
use crate::web::pagination::{PageQuery, Pagination, page_or_last};

/// Fewer than other lists: each result is read and weighed, not scanned.
const RESULTS_PER_PAGE: i64 = 20;

/// What the person can do with a search result.
pub enum Standing {
    Member,
    Pending {
        request_id: JoinRequestId,
    },
    /// They asked and withdrew less than an hour ago: when they may ask again.
    AskAgainFrom {
        when: String,
    },
    CanAsk,
}

pub struct FoundOrganization {
    pub slug: String,
    pub name: String,
    pub standing: Standing,
}

/// One of the signed-in person's own requests to join, under the search.
pub struct MyRequestRow {
    pub id: JoinRequestId,
    pub org_name: String,
    pub org_slug: String,
    pub status: String,
    pub pending: bool,
    pub asked_on: String,
}

#[derive(Template)]
#[template(path = "orgs/search.html")]
struct SearchPage {
    page: PageContext,
    query: String,
    results: Vec<FoundOrganization>,
    total: i64,
    pagination: Pagination,
    /// Kept on the "Previous"/"Next" links: the search text.
    page_suffix: String,
    searched: bool,
    requests: Vec<MyRequestRow>,
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn search(
    CurrentUser(user): CurrentUser,
    page: PageContext,
    state: Data<AppState>,
    query: Query<SearchQuery>,
    page_query: Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let text: String = query.q.trim().chars().take(NAME_MAX).collect();
    let requested = Pagination::requested(&page_query);
    let searched = !text.is_empty();
    let user_id = user.id;
    let search_text = text.clone();
    let now = state.clock.now_naive();
    let (found, total, member_of, requests, ask_again) = state
        .db
        .run(move |conn| {
            let (found, total) = if search_text.is_empty() {
                (Vec::new(), 0)
            } else {
                page_or_last(requested, RESULTS_PER_PAGE, |offset| {
                    Organization::search(conn, &search_text, RESULTS_PER_PAGE, offset)
                })?
            };
            let member_of: Vec<OrgId> =
                Organization::for_user(conn, user_id)?.into_iter().map(|(o, _)| o.id).collect();
            let requests = join_requests::for_user(conn, user_id)?;
            let ask_again = join_requests::ask_again_times(conn, user_id, now)?;
            Ok((found, total, member_of, requests, ask_again))
        })
        .await?;
    let results = found
        .into_iter()
        .map(|org| {
            let standing = if member_of.contains(&org.id) {
                Standing::Member
            } else if let Some((request, _)) = requests
                .iter()
                .find(|(r, _)| r.organization_id == org.id && r.status == JoinRequestStatus::Pending)
            {
                Standing::Pending { request_id: request.id }
            } else if let Some(at) = ask_again.get(&org.id) {
                Standing::AskAgainFrom { when: ask_again_text(*at) }
            } else {
                Standing::CanAsk
            };
            FoundOrganization { slug: org.slug, name: org.name, standing }
        })
        .collect();
    let requests = requests
        .into_iter()
        .map(|(r, org)| MyRequestRow {
            id: r.id,
            org_name: org.name,
            org_slug: org.slug,
            pending: r.status == JoinRequestStatus::Pending,
            status: r.status.as_str().to_string(),
            asked_on: dates::day_of(r.created_at),
        })
        .collect();
    let page_suffix = format!("&{}", serde_urlencoded::to_string([("q", text.as_str())]).unwrap_or_default());
    ok(&SearchPage {
        page,
        page_suffix,
        query: text,
        results,
        total,
        pagination: Pagination::new(requested, RESULTS_PER_PAGE, total),
        searched,
        requests,
    })
}
