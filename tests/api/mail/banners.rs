//! The banners that tell admins, and people about their user keys, which keys
//! stop working this week: shown whether or not the server sends mail.

use super::*;
use crate::both_databases;
use crate::keys::{ACME_KEYS, USER_KEYS};
use crate::support::{Team, attrs, text};

const BANNER: &str = "[data-testid=keys-stopping]";

async fn admins_see_which_keys_stop_this_week_on_the_organizations_pages(app: TestApp) {
    let team = Team::new(&app).await;
    // 28 Feb 12:00: two keys stop within 7 days, one later, one never.
    team.alice.create_key(ACME_KEYS, "Tomorrow", "2027-03-01").await;
    team.alice.create_key(ACME_KEYS, "Next week", "2027-03-07").await;
    team.alice.create_key(ACME_KEYS, "Later", "2027-03-08").await;
    team.alice.create_key(ACME_KEYS, "Forever", "").await;
    for page in ["/o/acme", "/o/acme/settings/general", "/o/acme/settings/members", ACME_KEYS] {
        let html = team.alice.page(page).await;
        let banner = text(&html, BANNER).unwrap_or_else(|| panic!("a banner on {page}"));
        assert!(banner.starts_with("2 API keys stop working this week."), "{page}: {banner}");
        assert_eq!(
            attrs(&html, &format!("{BANNER} a"), "href"),
            ["/o/acme/settings/api-keys?status=active&sort=valid_until"]
        );
    }
    assert_eq!(text(&team.mia.page("/o/acme").await, BANNER), None, "members see no banner");
    assert_eq!(text(&team.bob.page("/o/bolt").await, BANNER), None, "other organizations have none");
}
both_databases!(admins_see_which_keys_stop_this_week_on_the_organizations_pages, at_epoch);

async fn people_see_their_user_keys_that_stop_this_week_on_their_keys_page(app: TestApp) {
    let team = Team::new(&app).await;
    team.olga.create_key(USER_KEYS, "Laptop", "2027-03-02").await;
    let html = team.olga.page(USER_KEYS).await;
    let banner = text(&html, BANNER).expect("a banner");
    assert!(banner.starts_with("1 API key stops working this week."), "{banner}");
    assert_eq!(
        attrs(&html, &format!("{BANNER} a"), "href"),
        ["/settings/api-keys?status=active&sort=valid_until"]
    );
    assert_eq!(text(&team.mia.page(USER_KEYS).await, BANNER), None);
    // Not on the other settings pages, and gone once the key has stopped.
    assert_eq!(text(&team.olga.page("/settings/profile").await, BANNER), None);
    crate::keys::set_clock(&app, at(3, 2, 0));
    let olga = crate::support::Browser::signed_in(&app, "Olga").await;
    assert_eq!(text(&olga.page(USER_KEYS).await, BANNER), None);
}
both_databases!(people_see_their_user_keys_that_stop_this_week_on_their_keys_page, at_epoch);
