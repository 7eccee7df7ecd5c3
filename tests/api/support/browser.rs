//! One person's browser for tests that need several people: its own cookie jar
//! (so its own session), the session's CSRF token, and form posts as a browser
//! sends them.

use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Response, StatusCode};

use super::{TestApp, csrf_token_in, location, quietly};

/// One person's browser: its own cookie jar, so its own session.
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    pub base: String,
    /// The display name signed in with (empty for an anonymous visitor).
    pub name: String,
    /// The user's id (0 for an anonymous visitor).
    pub id: i32,
    /// The session's CSRF token, read once: it stays the same for the whole session,
    /// and reading a page would consume its flash messages.
    token: String,
}

impl Browser {
    /// A visitor who is not signed in but holds a session and its CSRF token.
    pub async fn anonymous(app: &TestApp) -> Browser {
        let (client, jar) = app.new_visitor();
        let mut browser = Browser {
            client,
            jar,
            base: app.address.clone(),
            name: String::new(),
            id: 0,
            token: String::new(),
        };
        let html = browser.html("/login").await;
        browser.token = quietly(|| csrf_token_in(&html)).expect("the sign-in page has a CSRF token");
        browser
    }

    /// A new browser signed in with development sign-in under `name` (the same
    /// name is the same person each time).
    pub async fn signed_in(app: &TestApp, name: &str) -> Browser {
        let mut browser = Browser::anonymous(app).await;
        browser.sign_in_as(app, name).await;
        browser
    }

    /// Signs in as `name` in this same browser (its cookies kept): also how a
    /// second person at a shared computer signs in without signing the first out.
    pub async fn sign_in_as(&mut self, app: &TestApp, name: &str) {
        let response = self.post("/auth/dev/login", &[("name", name)]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{name} signs in");
        // Signing in renews the session and its CSRF token.
        let html = self.html("/orgs/new").await;
        self.token = quietly(|| csrf_token_in(&html)).expect("a signed-in page has a CSRF token");
        self.name = name.to_string();
        self.id = user_id_of(app, name).await;
    }

    /// Signs out; the browser keeps whatever cookies the server leaves it.
    pub async fn sign_out(&mut self) {
        let response = self.post("/auth/logout", &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{} signs out", self.who());
        let html = self.html("/login").await;
        self.token = quietly(|| csrf_token_in(&html)).expect("the sign-in page has a CSRF token");
        self.name = String::new();
        self.id = 0;
    }

    /// A browser that `client` (with its cookie `jar`) signed in some other way
    /// than development sign-in, such as a platform's trip: reads the renewed
    /// session's CSRF token.
    pub async fn signed_in_elsewhere(
        app: &TestApp,
        client: reqwest::Client,
        jar: Arc<Jar>,
        name: &str,
        id: i32,
    ) -> Browser {
        let mut browser = Browser {
            client,
            jar,
            base: app.address.clone(),
            name: name.to_string(),
            id,
            token: String::new(),
        };
        let html = browser.html("/orgs/new").await;
        browser.token = quietly(|| csrf_token_in(&html)).expect("a signed-in page has a CSRF token");
        browser
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }

    /// The body of a page, whatever its status.
    pub async fn html(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("body")
    }

    /// The body of a page that must answer 200.
    pub async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{} opens {path}", self.who());
        response.text().await.expect("body")
    }

    /// Another tab of the same browser: a new connection with the same cookie jar.
    pub fn tab(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_provider(self.jar.clone())
            .build()
            .unwrap()
    }

    /// A form POST as the browser sends it from one of our pages: from our origin,
    /// with the session's CSRF token.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all = fields.to_vec();
        all.push(("csrf_token", &self.token));
        self.post_raw(path, &all).await
    }

    /// A form POST from our origin with exactly these fields (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .header("Origin", &self.base)
            .form(fields)
            .send()
            .await
            .expect("request sent")
    }

    /// POSTs, checks the 303 and where it goes, and returns the page it leads to.
    pub async fn post_and_follow(&self, path: &str, fields: &[(&str, &str)], expected: &str) -> String {
        let response = self.post(path, fields).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{} POST {path}", self.who());
        assert_eq!(location(&response), expected, "{} POST {path} leads to", self.who());
        self.page(expected).await
    }

    pub fn csrf_token(&self) -> &str {
        &self.token
    }

    /// The session cookie's value as the browser holds it now.
    pub fn session_cookie(&self) -> Option<String> {
        let url = url::Url::parse(&self.base).unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|c| c.split_once('=').filter(|(k, _)| k.ends_with("monkeyci_session")))
            .map(|(_, v)| v.to_string())
    }

    /// Creates an organization and checks that it worked. Like a browser, follows
    /// the redirect (which shows the flash message, so it does not pile up).
    pub async fn create_org(&self, name: &str, slug: &str) {
        let response = self.post("/orgs", &[("name", name), ("slug", slug)]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{} creates {name}", self.who());
        self.page(&location(&response)).await;
    }

    pub(crate) fn who(&self) -> &str {
        if self.name.is_empty() { "an anonymous visitor" } else { &self.name }
    }
}

/// The id of the user with this display name.
async fn user_id_of(app: &TestApp, name: &str) -> i32 {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        id: i32,
    }
    let name = name.to_string();
    let found = app
        .db
        .run(move |conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query("SELECT id FROM users WHERE display_name = $1")
                .bind::<diesel::sql_types::Text, _>(name)
                .load::<Id>(conn)
        })
        .await
        .expect("query runs");
    found.first().map(|row| row.id).expect("a user with that name")
}
