//! The people most tests start from: two organizations and four people in
//! different roles, each with their own [`Browser`] (cookie jar, so session).
//!
//! | who   | role                                   |
//! |-------|----------------------------------------|
//! | Alice | admin of Acme Corp (`/o/acme`)         |
//! | Mia   | member of Acme Corp                    |
//! | Bob   | admin of Bolt Labs (`/o/bolt`)         |
//! | Olga  | outsider: belongs to no organization   |

use reqwest::StatusCode;

use super::{Browser, TestApp, attrs, count, pending_request, quoted, role};

/// Two organizations and four people in different roles (see the module docs).
pub struct Team {
    pub alice: Browser,
    pub mia: Browser,
    pub bob: Browser,
    pub olga: Browser,
}

impl Team {
    pub async fn new(app: &TestApp) -> Team {
        let alice = Browser::signed_in(app, "Alice").await;
        alice.create_org("Acme Corp", "acme").await;
        let bob = Browser::signed_in(app, "Bob").await;
        bob.create_org("Bolt Labs", "bolt").await;
        let mia = Browser::signed_in(app, "Mia").await;
        join(app, &mia, &alice, "acme").await;
        let olga = Browser::signed_in(app, "Olga").await;
        assert_eq!(role(app, "acme", alice.id).await.as_deref(), Some("admin"));
        assert_eq!(role(app, "acme", mia.id).await.as_deref(), Some("member"));
        assert_eq!(role(app, "bolt", bob.id).await.as_deref(), Some("admin"));
        Team { alice, mia, bob, olga }
    }
}

impl Browser {
    /// Asks to join; checks the redirect back to the search, and follows it.
    pub async fn ask_to_join(&self, slug: &str) {
        self.post_and_follow(&format!("/o/{slug}/join-requests"), &[], "/orgs").await;
    }
}

/// `person` asks to join `slug`, and `admin` approves the request with its
/// button on the members page (which shows one per pending request): `person`
/// is then a member, and can open the organization.
pub async fn join(app: &TestApp, person: &Browser, admin: &Browser, slug: &str) {
    person.ask_to_join(slug).await;
    let request = pending_request(app, slug, person.id).await.expect("a pending request");
    let path = format!("/o/{slug}/settings/requests/{request}/approve");
    let html = admin.page(&format!("/o/{slug}/settings/members")).await;
    let approve = attrs(&html, "[data-testid=join-requests] form[action$='/approve']", "action");
    assert_eq!(approve.len() as i64, pending_requests(app, slug).await, "one request to approve each");
    assert!(approve.contains(&path), "{}'s request to approve: {approve:?}", person.name);
    admin.post_and_follow(&path, &[], &format!("/o/{slug}/settings/members")).await;
    assert_eq!(role(app, slug, person.id).await.as_deref(), Some("member"));
    assert_eq!(person.get(&format!("/o/{slug}")).await.status(), StatusCode::OK, "{} joined", person.name);
}

async fn pending_requests(app: &TestApp, slug: &str) -> i64 {
    count(
        app,
        format!(
            "SELECT COUNT(*) AS n FROM join_requests r JOIN organizations o ON o.id = r.organization_id \
             WHERE o.slug = {} AND r.status = 'pending'",
            quoted(slug)
        ),
    )
    .await
}
