//! Platform sign-in (`platforms::<area>`), and the helpers those tests share: an
//! app wired to the stand-in, the trip out to the platform and back, and what the
//! app stored afterwards.
//!
//! Tests here are registered with `platform_tests!` (both databases, all five
//! platforms configured) or `each_platform!` (once per platform as well): see
//! `support::register`.

mod failures;
mod linking;
mod profiles;
mod protocol;
mod secrets;
mod session;
mod sign_in;
mod sign_in_page;
mod state;

use diesel::prelude::*;
use monkeyci_accounts::clock::FixedClock;
use monkeyci_accounts::db::identities::Identity;
use monkeyci_accounts::db::schema::{identities, sessions, users};
use monkeyci_accounts::db::users::User;
use reqwest::{Response, StatusCode};

use crate::standins::{AuthorizeRequest, Person, Platform, StandIn};
use crate::support::{Backend, Options, TestApp, location, test_epoch, text_of};

/// A stand-in and an app pointed at it, or `None` when PostgreSQL is skipped.
pub async fn spawn(backend: Backend, setup: fn(&mut Options)) -> Option<(TestApp, StandIn)> {
    let standin = StandIn::start().await;
    let mut options = Options::new(backend);
    options.platforms = standin.platforms();
    setup(&mut options);
    let app = match backend {
        Backend::Sqlite => TestApp::spawn_with(options).await,
        Backend::Postgres => TestApp::spawn_with_postgres(options).await?,
    };
    Some((app, standin))
}

pub fn all_platforms(_: &mut Options) {}

/// Time stands still until the test moves it.
pub fn with_fixed_clock(options: &mut Options) {
    options.clock = Some(FixedClock::at(test_epoch()));
}

pub fn only_github(options: &mut Options) {
    let github = options.platforms.github.take();
    options.platforms = monkeyci_accounts::config::PlatformSettings::default();
    options.platforms.github = github;
}

/// This browser opens `path` (`/auth/github/login?…`, `/auth/github/link`) and
/// is sent to the platform: the request it arrives with there.
pub async fn leave_for_platform(
    client: &reqwest::Client,
    app: &TestApp,
    standin: &StandIn,
    path: &str,
) -> AuthorizeRequest {
    let response = client.get(app.url(path)).send().await.expect("request sent");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path} sends the browser to the platform");
    AuthorizeRequest::parse(standin, &location(&response))
}

/// The platform sends this browser back to the app's callback with `query`.
pub async fn come_back(
    client: &reqwest::Client,
    app: &TestApp,
    platform: Platform,
    query: &[(&str, &str)],
) -> Response {
    let query = serde_urlencoded::to_string(query).unwrap();
    let path = format!("/auth/{}/callback?{query}", platform.slug());
    client.get(app.url(&path)).send().await.expect("request sent")
}

/// Comes back with the code the platform issued after approval.
pub async fn come_back_approved(
    client: &reqwest::Client,
    app: &TestApp,
    request: &AuthorizeRequest,
    code: &str,
) -> Response {
    come_back(client, app, request.platform, &[("code", code), ("state", request.state())]).await
}

/// The whole trip in the test's browser: sign-in page button, approval as
/// `person`, and the callback's response.
pub async fn sign_in_with(app: &TestApp, standin: &StandIn, platform: Platform, person: &Person) -> Response {
    let path = format!("/auth/{}/login", platform.slug());
    trip(&app.client, app, standin, &path, person).await
}

pub async fn sign_in_returning_to(
    app: &TestApp,
    standin: &StandIn,
    platform: Platform,
    person: &Person,
    return_to: &str,
) -> Response {
    let query = serde_urlencoded::to_string([("return_to", return_to)]).unwrap();
    let path = format!("/auth/{}/login?{query}", platform.slug());
    trip(&app.client, app, standin, &path, person).await
}

/// Signs in and checks that it worked.
pub async fn signed_in_with(app: &TestApp, standin: &StandIn, platform: Platform, person: &Person) {
    let response = sign_in_with(app, standin, platform, person).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "signing in with {platform:?} works");
    assert_eq!(location(&response), "/");
}

/// The signed-in user links the platform account of `person`.
pub async fn link(app: &TestApp, standin: &StandIn, platform: Platform, person: &Person) -> Response {
    let path = format!("/auth/{}/link", platform.slug());
    trip(&app.client, app, standin, &path, person).await
}

async fn trip(
    client: &reqwest::Client,
    app: &TestApp,
    standin: &StandIn,
    path: &str,
    person: &Person,
) -> Response {
    let request = leave_for_platform(client, app, standin, path).await;
    let code = standin.approve(&request, person);
    come_back_approved(client, app, &request, &code).await
}

pub async fn is_signed_in(app: &TestApp) -> bool {
    app.get("/settings/profile").await.status() == StatusCode::OK
}

/// The name in the page header, when signed in.
pub async fn signed_in_name(app: &TestApp) -> Option<String> {
    text_of(&app.get_html("/").await, "[data-testid=user-name]")
}

/// The heading of the friendly page shown when a sign-in is refused.
pub fn refusal_title(html: &str) -> Option<String> {
    text_of(html, "[data-testid=sign-in-failed] h1")
}

/// The id the app gave the request that produced this response.
pub fn request_id(response: &Response) -> String {
    response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).expect("a request id").to_string()
}

/// What the app logged while serving these requests, one entry per request id.
/// Read the log once, after the test's last request: copying it holds the log
/// lock, and a long pause can outlast the server's keep-alive.
pub fn logged_for(app: &TestApp, request_ids: &[String]) -> Vec<String> {
    let logs = app.logs();
    request_ids
        .iter()
        .map(|id| {
            let marker = format!("id={id}");
            logs.lines().filter(|l| l.contains(&marker)).collect::<Vec<_>>().join("\n")
        })
        .collect()
}

/// The link of the page's "Try again" button.
pub fn try_again_href(html: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("[data-testid=sign-in-failed] a").unwrap();
    doc.select(&selector)
        .find(|a| a.text().collect::<String>().trim() == "Try again")
        .and_then(|a| a.value().attr("href").map(str::to_string))
}

/// The message shown once after a redirect (on the next page).
pub async fn flash_on(app: &TestApp, path: &str) -> Option<String> {
    text_of(&app.get_html(path).await, ".flash")
}

/// Every identity, oldest first.
pub async fn all_identities(app: &TestApp) -> Vec<Identity> {
    app.db
        .run(|conn| identities::table.order(identities::id).select(Identity::as_select()).load(conn))
        .await
        .expect("identities load")
}

pub async fn all_users(app: &TestApp) -> Vec<User> {
    app.db
        .run(|conn| users::table.order(users::id).select(User::as_select()).load(conn))
        .await
        .expect("users load")
}

/// The identity of `person` at `platform`, as stored.
pub async fn identity_of(
    app: &TestApp,
    standin: &StandIn,
    platform: Platform,
    person: &Person,
) -> Option<Identity> {
    let stored_id = platform.stored_id(standin, &person.id);
    all_identities(app)
        .await
        .into_iter()
        .find(|i| i.platform == platform.slug() && i.platform_user_id == stored_id)
}

/// Everything in the database, as text (for looking for leaked secrets).
pub async fn database_dump(app: &TestApp) -> String {
    let states: Vec<(String, String)> = app
        .db
        .run(|conn| sessions::table.select((sessions::id, sessions::state)).load(conn))
        .await
        .expect("sessions load");
    format!("{states:?}\n{:?}\n{:?}", all_identities(app).await, all_users(app).await)
}
