//! No access token, refresh token, client secret or authorization code leaves
//! the app's memory: none is logged, shown on a page, put in a redirect or stored.

use reqwest::Response;

use crate::platform_tests;
use crate::platforms::{come_back_approved, database_dump, leave_for_platform, logged_for, request_id};
use crate::standins::{Failure, Person, Platform, StandIn};
use crate::support::{TestApp, location};

/// Everything the app sent the browser (redirect targets and page bodies), and
/// which requests were callbacks.
#[derive(Default)]
struct Seen {
    sent: Vec<String>,
    /// Request ids of the callbacks.
    callbacks: Vec<String>,
}

impl Seen {
    async fn keep(&mut self, response: Response) -> reqwest::StatusCode {
        let status = response.status();
        self.sent.push(location(&response));
        self.sent.push(response.text().await.unwrap());
        status
    }

    async fn visit(&mut self, app: &TestApp, path: &str) {
        self.keep(app.get(path).await).await;
    }

    /// One trip to the platform and back; the app's redirect out is kept too.
    async fn trip(
        &mut self,
        app: &TestApp,
        standin: &StandIn,
        path: &str,
        person: &Person,
        failure: Option<Failure>,
    ) {
        let request = leave_for_platform(&app.client, app, standin, path).await;
        self.sent.push(request.url.to_string());
        let code = match failure {
            Some(failure) => standin.approve_failing(&request, person, failure),
            None => standin.approve(&request, person),
        };
        let response = come_back_approved(&app.client, app, &request, &code).await;
        self.callbacks.push(request_id(&response));
        self.keep(response).await;
    }
}

/// A failure that happens after the access token was issued.
fn failure_after_the_token(platform: Platform) -> Failure {
    match platform {
        Platform::Oidc => Failure::IdTokenSignedWithAnotherKey,
        _ => Failure::ProfileRefusesToken,
    }
}

async fn no_token_secret_or_code_shows_up_in_the_log_the_pages_or_the_database(
    app: TestApp,
    standin: StandIn,
) {
    let mut seen = Seen::default();
    for platform in Platform::ALL {
        let ada = Person::ada(platform);
        let login = format!("/auth/{}/login?return_to=%2Fsettings%2Fprofile", platform.slug());
        seen.trip(&app, &standin, &login, &ada, Some(failure_after_the_token(platform))).await;
        seen.trip(&app, &standin, &login, &ada, Some(Failure::TokenEndpointDown)).await;
        seen.trip(&app, &standin, &login, &ada, None).await;
        for page in ["/", "/settings/profile", "/settings/sign-in-methods"] {
            seen.visit(&app, page).await;
        }
        seen.keep(app.sign_out().await).await;
    }
    let grace = Person::grace(Platform::GitHub);
    seen.trip(&app, &standin, "/auth/github/login", &grace, Some(Failure::ErrorInOkTokenResponse)).await;
    // Grace links every other platform.
    seen.trip(&app, &standin, "/auth/github/login", &grace, None).await;
    for platform in [Platform::GitLab, Platform::Bitbucket, Platform::Codeberg, Platform::Oidc] {
        let link = format!("/auth/{}/link", platform.slug());
        seen.trip(&app, &standin, &link, &Person::grace(platform), None).await;
        seen.visit(&app, "/settings/sign-in-methods").await;
    }

    // 5 failed after the token, 5 signed in, 1 signed in and 4 linked by Grace.
    assert_eq!(standin.access_tokens().len(), 15);
    let outcomes = ["signed in", "sign-in failed", "link attempt"];
    let logged = logged_for(&app, &seen.callbacks);
    let captured = logged.iter().all(|lines| outcomes.iter().any(|o| lines.contains(o)));
    assert!(captured, "every callback's outcome is in the captured log: {logged:?}");
    let logs = app.logs();
    let stored = database_dump(&app).await;
    let secrets = standin.secrets();
    assert!(secrets.len() > 40, "codes, access and refresh tokens, client secrets: {}", secrets.len());
    for secret in &secrets {
        assert!(!logs.contains(secret.as_str()), "{secret} is in the log");
        assert!(!stored.contains(secret.as_str()), "{secret} is in the database");
        for text in &seen.sent {
            assert!(!text.contains(secret.as_str()), "{secret} was sent to the browser in:\n{text}");
        }
    }
}
platform_tests!(no_token_secret_or_code_shows_up_in_the_log_the_pages_or_the_database);
