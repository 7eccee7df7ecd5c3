//! Organizations: creating, finding and joining them, their page and settings.

pub mod membership;
pub mod new;
pub mod search;
pub mod settings;
pub mod show;

/// When a person may ask to join again, as the pages say it: "28 Feb 2027 13:01 UTC"
/// (rounded up to the minute, so that the time shown always works).
pub fn ask_again_text(at: chrono::NaiveDateTime) -> String {
    crate::domain::dates::date_time_utc(crate::domain::join_request::next_whole_minute(at))
}

/// Template data for an organization, shared by its pages.
pub struct OrgView {
    pub slug: String,
    pub name: String,
    pub is_admin: bool,
    pub role_label: &'static str,
}

impl OrgView {
    pub fn of(member: &crate::web::org_access::OrgMember) -> OrgView {
        OrgView {
            slug: member.org.slug.clone(),
            name: member.org.name.clone(),
            is_admin: member.is_admin(),
            role_label: member.role.label(),
        }
    }
}
