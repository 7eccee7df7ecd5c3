//! Signing in with each platform: the first time creates the user, later times
//! find the same user by the platform's immutable id and refresh the profile.

use reqwest::StatusCode;

use crate::each_platform;
use crate::platforms::{
    all_identities, all_users, identity_of, is_signed_in, sign_in_returning_to, signed_in_name,
    signed_in_with,
};
use crate::standins::Platform;
use crate::standins::{Person, StandIn};
use crate::support::{TestApp, location};

/// The users whose sessions are signed in right now.
async fn signed_in_user_ids(app: &TestApp) -> Vec<i32> {
    use diesel::prelude::*;
    use monkeyci_accounts::db::schema::sessions;
    app.db
        .run(|conn| {
            sessions::table
                .filter(sessions::user_id.is_not_null())
                .select(sessions::user_id)
                .load::<Option<i32>>(conn)
        })
        .await
        .expect("sessions load")
        .into_iter()
        .flatten()
        .collect()
}

async fn sign_out(app: &TestApp, _standin: &StandIn) {
    let response = app.sign_out().await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!is_signed_in(app).await);
}

async fn a_first_sign_in_creates_the_user_and_lands_on_return_to(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    let ada = Person::ada(platform);
    let response = sign_in_returning_to(&app, &standin, platform, &ada, "/settings/profile?tab=1").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/settings/profile?tab=1");

    assert!(is_signed_in(&app).await);
    assert_eq!(signed_in_name(&app).await.as_deref(), Some("Ada Lovelace"));
    let users = all_users(&app).await;
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].display_name, "Ada Lovelace");
    let identities = all_identities(&app).await;
    assert_eq!(identities.len(), 1);
    let identity = identity_of(&app, &standin, platform, &ada).await.expect("the identity is stored");
    assert_eq!(identity.user_id, users[0].id);
    assert_eq!(identity.login, "ada");
    assert_eq!(identity.display_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(identity.email.as_deref(), Some("ada@example.com"));
    assert_eq!(identity.avatar_url.as_deref(), Some("https://avatars.example/ada-1.png"));
    assert_eq!(signed_in_user_ids(&app).await, vec![users[0].id.get()]);
}
each_platform!(a_first_sign_in_creates_the_user_and_lands_on_return_to);

async fn without_a_name_at_the_platform_the_user_is_named_after_the_login(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    let ada = Person { name: None, ..Person::ada(platform) };
    signed_in_with(&app, &standin, platform, &ada).await;
    assert_eq!(signed_in_name(&app).await.as_deref(), Some("ada"));
    let identity = identity_of(&app, &standin, platform, &ada).await.unwrap();
    assert_eq!(identity.display_name, None);
}
each_platform!(without_a_name_at_the_platform_the_user_is_named_after_the_login);

async fn a_second_sign_in_reuses_the_user_and_refreshes_the_profile(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    let ada = Person::ada(platform);
    signed_in_with(&app, &standin, platform, &ada).await;
    let first = identity_of(&app, &standin, platform, &ada).await.unwrap();
    sign_out(&app, &standin).await;

    let changed = Person {
        login: "ada-king".into(),
        name: Some("Ada King".into()),
        email: Some("countess@lovelace.example".into()),
        avatar_url: Some("https://avatars.example/ada-2.png".into()),
        ..ada.clone()
    };
    signed_in_with(&app, &standin, platform, &changed).await;

    assert_eq!(all_users(&app).await.len(), 1);
    assert_eq!(all_identities(&app).await.len(), 1);
    let second = identity_of(&app, &standin, platform, &ada).await.unwrap();
    assert_eq!(second.id, first.id);
    assert_eq!(second.user_id, first.user_id);
    assert_eq!(second.login, "ada-king");
    assert_eq!(second.display_name.as_deref(), Some("Ada King"));
    assert_eq!(second.email.as_deref(), Some("countess@lovelace.example"));
    assert_eq!(second.avatar_url.as_deref(), Some("https://avatars.example/ada-2.png"));
    assert_eq!(second.linked_at, first.linked_at);
    assert!(second.last_sign_in_at >= first.last_sign_in_at);
    assert_eq!(signed_in_user_ids(&app).await, vec![first.user_id.get()]);
    // The MonkeyCI name is the person's own; the platform name only seeds it.
    assert_eq!(signed_in_name(&app).await.as_deref(), Some("Ada Lovelace"));
}
each_platform!(a_second_sign_in_reuses_the_user_and_refreshes_the_profile);

async fn the_same_login_with_another_id_is_another_person(
    app: TestApp,
    standin: StandIn,
    platform: Platform,
) {
    let ada = Person::ada(platform);
    signed_in_with(&app, &standin, platform, &ada).await;
    let original = identity_of(&app, &standin, platform, &ada).await.unwrap();
    sign_out(&app, &standin).await;

    // The account was deleted and someone else registered the same login.
    let newcomer = Person { id: platform.user_id(99), ..ada.clone() };
    signed_in_with(&app, &standin, platform, &newcomer).await;

    assert_eq!(all_users(&app).await.len(), 2);
    let newcomers = identity_of(&app, &standin, platform, &newcomer).await.expect("a new identity");
    assert_ne!(newcomers.user_id, original.user_id);
    assert_eq!(signed_in_user_ids(&app).await, vec![newcomers.user_id.get()]);
    let unchanged = identity_of(&app, &standin, platform, &ada).await.unwrap();
    assert_eq!(unchanged.user_id, original.user_id);
    assert_eq!(unchanged.login, "ada");
}
each_platform!(the_same_login_with_another_id_is_another_person);

async fn two_people_on_the_same_platform_get_two_users(app: TestApp, standin: StandIn, platform: Platform) {
    signed_in_with(&app, &standin, platform, &Person::ada(platform)).await;
    sign_out(&app, &standin).await;
    signed_in_with(&app, &standin, platform, &Person::grace(platform)).await;
    assert_eq!(signed_in_name(&app).await.as_deref(), Some("Grace Hopper"));
    let names: Vec<String> = all_users(&app).await.into_iter().map(|u| u.display_name).collect();
    assert_eq!(names, ["Ada Lovelace", "Grace Hopper"]);
}
each_platform!(two_people_on_the_same_platform_get_two_users);
