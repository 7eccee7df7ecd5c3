//! *Organization settings > General*: the organization's name and its API key
//! policy (SPEC §4 "Key policy"). A policy that would stop keys working now is
//! saved only after the page has said how many and the admin has confirmed.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::session::{self, Flash};
use crate::db::member_keys;
use crate::db::organizations::Organization;
use crate::domain::api_key::validity::MAX_POLICY_DAYS;
use crate::domain::api_key::{KeyPolicy, UserKeysAllowed};
use crate::domain::organization::OrgName;
use crate::domain::oversight::PolicyImpact;
use crate::domain::text;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::org_access::{OrgAdmin, OrgMember};
use crate::web::orgs::OrgView;
use crate::web::page::{PageContext, ok, render, see_other};

/// One of the radio choices "Which user keys may reach this organization".
pub struct UserKeysChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// The policy form's values, errors and, before a change that stops keys, the
/// question.
pub struct PolicyView {
    pub max_days: String,
    pub max_days_error: Option<String>,
    pub require_expiry: bool,
    pub user_keys: Vec<UserKeysChoice>,
    pub user_keys_error: Option<String>,
    /// "This change stops 3 keys from working in Acme at their next request: …"
    pub impact: Option<String>,
    /// The policy the admin confirms (sent back with "Save anyway").
    pub confirm: String,
}

impl PolicyView {
    fn of(policy: &KeyPolicy) -> PolicyView {
        PolicyView {
            max_days: policy.max_lifetime_days.map(|d| d.to_string()).unwrap_or_default(),
            max_days_error: None,
            require_expiry: policy.require_expiry,
            user_keys: choices(policy.user_keys.as_str()),
            user_keys_error: None,
            impact: None,
            confirm: String::new(),
        }
    }
}

fn choices(checked: &str) -> Vec<UserKeysChoice> {
    UserKeysAllowed::ALL
        .into_iter()
        .map(|choice| UserKeysChoice {
            value: choice.as_str(),
            label: choice.label(),
            checked: choice.as_str() == checked,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "orgs/settings/general.html")]
struct GeneralPage {
    page: PageContext,
    org: OrgView,
    tab: &'static str,
    name: String,
    name_error: Option<String>,
    policy: PolicyView,
}

impl GeneralPage {
    fn new(page: PageContext, admin: &OrgMember) -> GeneralPage {
        GeneralPage {
            page,
            org: OrgView::of(admin),
            tab: "general",
            name: admin.org.name.clone(),
            name_error: None,
            policy: PolicyView::of(&admin.org.key_policy()),
        }
    }
}

fn general_url(slug: &str) -> String {
    format!("/o/{slug}/settings/general")
}

pub async fn show(OrgAdmin(admin): OrgAdmin, page: PageContext) -> Result<HttpResponse, AppError> {
    ok(&GeneralPage::new(page, &admin))
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    name: String,
}

pub async fn rename(
    req: HttpRequest,
    OrgAdmin(admin): OrgAdmin,
    state: Data<AppState>,
    session: Session,
    form: Form<RenameForm>,
) -> Result<HttpResponse, AppError> {
    let name = match OrgName::parse(&form.name) {
        Ok(name) => name,
        Err(error) => {
            let mut template = GeneralPage::new(PageContext::load(&req).await?, &admin);
            template.name = text::without_invisible(&form.name);
            template.name_error = Some(error.to_string());
            return render(StatusCode::UNPROCESSABLE_ENTITY, &template);
        }
    };
    let now = state.clock.now_naive();
    let (org, actor) = (admin.org.clone(), admin.user.id);
    state.db.run(move |conn| Organization::rename(conn, &org, &name, actor, now)).await?;
    session::push_flash(&session, Flash::success("The organization's settings were saved."));
    Ok(see_other(&general_url(&admin.org.slug)))
}

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    max_days: String,
    /// A checkbox: present when checked.
    #[serde(default)]
    require_expiry: Option<String>,
    /// Absent (an older form): the current choice stays.
    #[serde(default)]
    user_keys: Option<String>,
    /// The policy the admin confirmed after being told which keys it stops.
    #[serde(default)]
    confirm: Option<String>,
}

/// The policy a form asks for, or the form's errors.
fn parse_policy(form: &PolicyForm, current: &KeyPolicy) -> Result<KeyPolicy, Box<PolicyView>> {
    let raw = form.max_days.trim();
    let max_days = if raw.is_empty() {
        Ok(None)
    } else {
        match raw.parse::<u32>() {
            Ok(days) if (1..=MAX_POLICY_DAYS.unsigned_abs()).contains(&days) => Ok(Some(days)),
            _ => Err(format!(
                "Enter a number of days from 1 to {MAX_POLICY_DAYS}, or leave it empty for no limit."
            )),
        }
    };
    let user_keys = match form.user_keys.as_deref() {
        None => Ok(current.user_keys),
        Some(raw) => UserKeysAllowed::parse(raw.trim())
            .ok_or_else(|| "Choose which user keys may reach this organization.".to_string()),
    };
    let require_expiry = form.require_expiry.is_some();
    match (max_days, user_keys) {
        (Ok(max_lifetime_days), Ok(user_keys)) => {
            Ok(KeyPolicy { max_lifetime_days, require_expiry, user_keys })
        }
        (max_days, user_keys) => Err(Box::new(PolicyView {
            max_days: form.max_days.clone(),
            max_days_error: max_days.err(),
            require_expiry,
            user_keys: choices(form.user_keys.as_deref().unwrap_or(current.user_keys.as_str())),
            user_keys_error: user_keys.err(),
            impact: None,
            confirm: String::new(),
        })),
    }
}

/// What "Save anyway" sends back: the policy that was shown with its count, so a
/// form changed after the question is counted again.
fn fingerprint(policy: &KeyPolicy) -> String {
    let days = policy.max_lifetime_days.map_or_else(|| "none".to_string(), |d| d.to_string());
    format!("{days}:{}:{}", policy.require_expiry, policy.user_keys.as_str())
}

/// `POST /o/{slug}/settings/key-policy`: the maximum lifetime of keys, whether
/// they need an expiry date, and which user keys may reach the organization.
pub async fn set_key_policy(
    req: HttpRequest,
    OrgAdmin(admin): OrgAdmin,
    state: Data<AppState>,
    session: Session,
    form: Form<PolicyForm>,
) -> Result<HttpResponse, AppError> {
    let current = admin.org.key_policy();
    let policy = match parse_policy(&form, &current) {
        Ok(policy) => policy,
        Err(view) => {
            let mut template = GeneralPage::new(PageContext::load(&req).await?, &admin);
            template.policy = *view;
            return render(StatusCode::UNPROCESSABLE_ENTITY, &template);
        }
    };
    let confirmed = form.confirm.as_deref() == Some(fingerprint(&policy).as_str());
    if policy != current && !confirmed {
        let org_id = admin.org.id;
        let at = state.clock.now_naive();
        let terms = state.db.run(move |conn| member_keys::policy_terms(conn, org_id, at)).await?;
        let impact = PolicyImpact::of(&terms, &current, &policy, state.clock.now());
        if let Some(sentence) = impact.sentence(&admin.org.name) {
            let mut template = GeneralPage::new(PageContext::load(&req).await?, &admin);
            template.policy = PolicyView {
                impact: Some(sentence),
                confirm: fingerprint(&policy),
                ..PolicyView::of(&policy)
            };
            return ok(&template);
        }
    }
    let now = state.clock.now_naive();
    let (org, actor) = (admin.org.clone(), admin.user.id);
    state.db.run(move |conn| Organization::set_key_policy(conn, &org, policy, actor, now)).await?;
    session::push_flash(&session, Flash::success("The API key policy was saved."));
    Ok(see_other(&general_url(&admin.org.slug)))
}
