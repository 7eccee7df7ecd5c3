//! What the layout needs on every page, and rendering a template into a response.

use std::future::Future;
use std::pin::Pin;

use actix_session::SessionExt;
use actix_web::http::StatusCode;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload};

use crate::auth::session::{self, Flash};
use crate::db::join_requests;
use crate::db::key_reminders::{self, Window};
use crate::db::organizations::Organization;
use crate::db::users::User;
use crate::domain::organization::Role;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::current_user::load_user;

/// The layout's data: who is signed in, the CSRF token for forms, banners and
/// the one-time messages.
pub struct PageContext {
    pub user: Option<User>,
    /// The signed-in user's organizations, for the switcher in the header (and
    /// the home page), with the requests to join waiting for them as admin.
    pub orgs: Vec<OrgLink>,
    pub csrf_token: String,
    pub dev_sign_in: bool,
    pub flashes: Vec<Flash>,
    /// The person's user keys that stop working within 7 days (the banner on their keys page).
    pub user_keys_stopping: i64,
}

pub struct OrgLink {
    pub slug: String,
    pub name: String,
    pub role: Role,
    /// Requests to join waiting for an answer (always 0 where the person is not an admin).
    pub pending_requests: i64,
    /// Its keys that stop working within 7 days (always 0 where the person is not an admin).
    pub keys_stopping: i64,
}

impl OrgLink {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

impl PageContext {
    /// Signed-in pages always have a CSRF token (the header's Sign out form needs
    /// it). Anonymous visitors get one only on pages with a form (`for_form`),
    /// and then in a cookie, not a session: looking at the site writes no row.
    pub async fn load(req: &HttpRequest) -> Result<PageContext, AppError> {
        Self::load_with(req, false).await
    }

    pub async fn for_form(req: &HttpRequest) -> Result<PageContext, AppError> {
        Self::load_with(req, true).await
    }

    async fn load_with(req: &HttpRequest, needs_csrf: bool) -> Result<PageContext, AppError> {
        let user = load_user(req).await?;
        let orgs = load_orgs(req, user.as_ref()).await?;
        Ok(Self::assemble(req, user, orgs, needs_csrf))
    }

    /// The context for an error page: never fails, anonymous if the user cannot be loaded.
    pub async fn for_error(req: &HttpRequest) -> PageContext {
        let user = load_user(req).await.unwrap_or(None);
        let orgs = load_orgs(req, user.as_ref()).await.unwrap_or_default();
        Self::assemble(req, user, orgs, false)
    }

    /// The context for an error page while the database is away: anonymous,
    /// nothing read from the database.
    pub fn for_error_without_database(req: &HttpRequest) -> PageContext {
        Self::assemble(req, None, Loaded::default(), false)
    }

    fn assemble(req: &HttpRequest, user: Option<User>, loaded: Loaded, needs_csrf: bool) -> PageContext {
        let Loaded { orgs, user_keys_stopping } = loaded;
        let session = req.get_session();
        // A visitor without a session gets a cookie token rather than a session row.
        let csrf_token = match (&user, session::existing_csrf_token(&session)) {
            (Some(_), _) => session::csrf_token(&session),
            (None, Some(token)) => token,
            (None, None) if needs_csrf => crate::web::csrf::anonymous_token(req),
            (None, None) => String::new(),
        };
        let dev_sign_in = req.app_data::<Data<AppState>>().is_some_and(|s| s.dev_sign_in);
        PageContext {
            user,
            orgs,
            csrf_token,
            dev_sign_in,
            flashes: session::take_flashes(&session),
            user_keys_stopping,
        }
    }

    pub fn asset(&self, name: &str) -> String {
        super::assets::url(name)
    }

    /// The requests to join waiting in the organization at `slug`, if the person
    /// is one of its admins (read with the header's organizations: no query of its own).
    pub fn pending_requests(&self, slug: &str) -> i64 {
        self.orgs.iter().find(|org| org.slug == slug).map_or(0, |org| org.pending_requests)
    }

    /// The keys of the organization at `slug` that stop working within 7 days, if
    /// the person is one of its admins (read with the header's organizations).
    pub fn keys_stopping(&self, slug: &str) -> i64 {
        self.orgs.iter().find(|org| org.slug == slug).map_or(0, |org| org.keys_stopping)
    }

    /// The requests to join waiting for this person, in all their organizations.
    pub fn all_pending_requests(&self) -> i64 {
        self.orgs.iter().map(|org| org.pending_requests).sum()
    }

    /// The first letter of the user's name, for the avatar circle.
    pub fn user_initial(&self) -> String {
        self.user
            .as_ref()
            .and_then(|u| u.display_name.chars().next())
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default()
    }
}

/// What the header and the notices show, read in one go.
#[derive(Default)]
struct Loaded {
    orgs: Vec<OrgLink>,
    user_keys_stopping: i64,
}

async fn load_orgs(req: &HttpRequest, user: Option<&User>) -> Result<Loaded, AppError> {
    let (Some(user), Some(state)) = (user, req.app_data::<Data<AppState>>()) else {
        return Ok(Loaded::default());
    };
    let user_id = user.id;
    let week = Window::this_week(state.clock.now_naive());
    let (orgs, pending, stopping, user_keys_stopping) = state
        .db
        .run(move |conn| {
            Ok((
                Organization::for_user(conn, user_id)?,
                join_requests::pending_counts_for_admin(conn, user_id)?,
                key_reminders::org_keys_stopping(conn, user_id, week)?,
                key_reminders::user_keys_stopping(conn, user_id, week)?,
            ))
        })
        .await?;
    let orgs = orgs
        .into_iter()
        .map(|(org, role)| OrgLink {
            pending_requests: pending.get(&org.id).copied().unwrap_or(0),
            keys_stopping: stopping.get(&org.id).copied().unwrap_or(0),
            slug: org.slug,
            name: org.name,
            role,
        })
        .collect();
    Ok(Loaded { orgs, user_keys_stopping })
}

impl FromRequest for PageContext {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { PageContext::load(&req).await })
    }
}

/// Renders a template as an HTML response with the given status.
pub fn render<T: askama::Template>(status: StatusCode, template: &T) -> Result<HttpResponse, AppError> {
    let body = template.render()?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}

pub fn ok<T: askama::Template>(template: &T) -> Result<HttpResponse, AppError> {
    render(StatusCode::OK, template)
}

/// 303 See Other: the answer to a successful form POST.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, location)).finish()
}
