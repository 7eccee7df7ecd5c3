//! Access to an organization's pages as extractors, so no handler can forget
//! the check: `OrgMember` for pages every member may see, `OrgAdmin` for the
//! admin-only ones. The organization comes from the `{slug}` in the path.
//!
//! An outsider gets 404 whether or not the organization exists (no leak beyond
//! the search); a member without the role gets 403 (`AppError::AdminsOnly`: a
//! page naming the admins to ask).

use std::future::Future;
use std::pin::Pin;

use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest, dev::Payload};

use crate::db::memberships;
use crate::db::organizations::Organization;
use crate::db::users::User;
use crate::domain::organization::{OrgSlug, Role};
use crate::error::{AdminsOnly, AppError};
use crate::state::AppState;
use crate::web::current_user::CurrentUser;

/// The signed-in user, an organization they belong to, and their role in it.
pub struct OrgMember {
    pub user: User,
    pub org: Organization,
    pub role: Role,
}

impl OrgMember {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// An `OrgMember` whose role is admin.
pub struct OrgAdmin(pub OrgMember);

/// The organization slug in a request's path; an address no organization can
/// have is simply not found.
pub fn slug_in_address(raw: &str) -> Result<OrgSlug, AppError> {
    OrgSlug::from_address(raw).ok_or(AppError::NotFound)
}

async fn load_member(req: HttpRequest) -> Result<OrgMember, AppError> {
    let CurrentUser(user) = CurrentUser::extract(&req).await?;
    let slug = slug_in_address(req.match_info().get("slug").ok_or(AppError::NotFound)?)?;
    let state = req
        .app_data::<Data<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("AppState missing")))?;
    let user_id = user.id;
    let found = state
        .db
        .run(move |conn| {
            let Some(org) = Organization::find_by_slug(conn, &slug)? else {
                return Ok(None);
            };
            let role = memberships::role_of(conn, org.id, user_id)?;
            Ok(role.map(|role| (org, role)))
        })
        .await?;
    let (org, role) = found.ok_or(AppError::NotFound)?;
    Ok(OrgMember { user, org, role })
}

/// The 403 for a member on an admin page, naming the organization's admins so
/// the person knows whom to ask.
async fn admins_only(req: &HttpRequest, member: OrgMember) -> AppError {
    let Some(state) = req.app_data::<Data<AppState>>() else {
        return AppError::Internal(anyhow::anyhow!("AppState missing"));
    };
    let org_id = member.org.id;
    match state.db.run(move |conn| memberships::admin_names(conn, org_id)).await {
        Ok(admins) => AppError::AdminsOnly(Box::new(AdminsOnly {
            org_name: member.org.name,
            org_slug: member.org.slug,
            admins,
        })),
        Err(error) => error.into(),
    }
}

impl FromRequest for OrgMember {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(load_member(req.clone()))
    }
}

impl FromRequest for OrgAdmin {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let member = load_member(req.clone()).await?;
            if member.is_admin() {
                return Ok(OrgAdmin(member));
            }
            Err(admins_only(&req, member).await)
        })
    }
}
