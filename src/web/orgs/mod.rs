//! Organizations: creating, finding and joining them, their page and settings.

pub mod membership;
pub mod new;
pub mod search;
pub mod settings;
pub mod show;

/// Template data for an organization, shared by its pages.
pub struct OrgView {
    pub slug: String,
    pub name: String,
    pub is_admin: bool,
    pub role_label: &'static str,
}

impl OrgView {
    pub fn of(member: &crate::auth::org_access::OrgMember) -> OrgView {
        OrgView {
            slug: member.org.slug.clone(),
            name: member.org.name.clone(),
            is_admin: member.is_admin(),
            role_label: member.role.label(),
        }
    }
}
