//! Each command's human output: facts, plain tables and sentences.

use chrono::Utc;
use monkeyci_accounts::api::model::CreatedKey;
use monkeyci_accounts::domain::api_key::KeyKind;
use monkeyci_accounts::domain::api_key::validity::suggestion;

use super::*;
use crate::both_databases;
use crate::keys::set_clock;
use crate::rest::permissions::{FULL_ACCESS, READ_ONLY, RUN_BUILDS, set_scope};

/// What a member's full-access key may do in an organization.
const MEMBER_RIGHTS: &str =
    "org:read members:read repos:write builds:write params:write ssh_keys:write webhooks:write";

async fn whoami_shows_the_key_whom_it_belongs_to_and_the_organizations_it_reaches(app: TestApp) {
    let team = Team::new(&app).await;
    join(&app, &team.alice, &team.bob, "bolt").await;
    let laptop = team.alice.new_key(USER_KEYS, "Alice laptop", "2027-03-10").await;
    set_scope(&app, &laptop, FULL_ACCESS).await;
    let run = Machine::using(&app, &laptop).run(&["whoami"]).await;
    let text = run.ok();
    assert_eq!(fact(text, "Key"), Some(format!("{} “Alice laptop” (user key)", laptop.hint())));
    assert_eq!(fact(text, "Key id"), Some(laptop.public_id.clone()));
    assert_eq!(fact(text, "User").as_deref(), Some("Alice"));
    assert_eq!(fact(text, "Organization"), None);
    assert_eq!(fact(text, "Valid until").as_deref(), Some("2027-03-10 (refused from that day, 00:00 UTC)"));
    assert_eq!(fact(text, "Created").as_deref(), Some("2027-02-28 12:00 UTC"));
    assert_eq!(
        fact(text, "Permissions"),
        Some(format!("Full access: everything its holder may do ({FULL_ACCESS})"))
    );
    assert_eq!(fact(text, "Reaches").as_deref(), Some("all organizations"));
    assert_eq!(fact(text, "Networks").as_deref(), Some("anywhere"));
    let orgs = text.split("\n\n").nth(1).expect("a table of organizations after the facts");
    assert_eq!(header(orgs), ["ORGANIZATION", "NAME", "ROLE", "MANAGES KEYS", "SCOPE HERE"]);
    let mut reached = rows(orgs);
    reached.sort();
    assert_eq!(
        reached,
        [
            ["acme", "Acme Corp", "admin", "yes", "Full access"],
            ["bolt", "Bolt Labs", "member", "no", MEMBER_RIGHTS]
        ]
    );
    assert!(!laptop.leaks_into(text));

    // An organization key acts for its organization, with no role of its own.
    let deploy = team.alice.new_key(ACME_KEYS, "Deploy bot", "").await;
    set_scope(&app, &deploy, RUN_BUILDS).await;
    let run = Machine::using(&app, &deploy).run(&["whoami"]).await;
    let text = run.ok();
    assert_eq!(fact(text, "Key"), Some(format!("{} “Deploy bot” (organization key)", deploy.hint())));
    assert_eq!(fact(text, "Organization").as_deref(), Some("Acme Corp (acme)"));
    assert_eq!(fact(text, "User"), None);
    assert_eq!(fact(text, "Valid until").as_deref(), Some("never expires"));
    assert_eq!(
        fact(text, "Permissions").as_deref(),
        Some(
            "Run builds: read repositories, start builds, read parameters (repos:read builds:write params:read)"
        )
    );
    assert_eq!(fact(text, "Reaches"), None, "an organization key reaches its organization");
    assert_eq!(rows(text.split("\n\n").nth(1).unwrap()), [["acme", "Acme Corp", "-", "no", "Run builds"]]);
}
both_databases!(whoami_shows_the_key_whom_it_belongs_to_and_the_organizations_it_reaches, at_epoch);

async fn orgs_lists_the_organizations_a_key_reaches_with_the_role(app: TestApp) {
    let team = Team::new(&app).await;
    join(&app, &team.alice, &team.bob, "bolt").await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    set_scope(&app, &alice, READ_ONLY).await;
    let text = Machine::using(&app, &alice).run(&["orgs"]).await.ok().to_string();
    assert_eq!(header(&text), ["ORGANIZATION", "NAME", "ROLE", "MANAGES KEYS", "SCOPE HERE"]);
    let mut reached = rows(&text);
    reached.sort();
    assert_eq!(
        reached,
        [
            ["acme", "Acme Corp", "admin", "no", "Read only"],
            [
                "bolt",
                "Bolt Labs",
                "member",
                "no",
                "org:read members:read repos:read builds:read webhooks:read"
            ]
        ]
    );

    let mia = team.mia.new_key(USER_KEYS, "Mia laptop", "").await;
    set_scope(&app, &mia, FULL_ACCESS).await;
    assert_eq!(
        rows(Machine::using(&app, &mia).run(&["orgs"]).await.ok()),
        [["acme", "Acme Corp", "member", "no", MEMBER_RIGHTS]]
    );

    let olga = team.olga.new_key(USER_KEYS, "Olga laptop", "").await;
    assert_eq!(Machine::using(&app, &olga).run(&["orgs"]).await.ok(), "The key reaches no organization.\n");
}
both_databases!(orgs_lists_the_organizations_a_key_reaches_with_the_role, at_epoch);

async fn keys_list_shows_every_key_of_an_organization_across_pages(app: TestApp) {
    let team = Team::new(&app).await;
    let deploy = team.alice.new_key(ACME_KEYS, "Deploy bot", "2027-03-05").await;
    set_scope(&app, &deploy, RUN_BUILDS).await;
    insert_org_keys(&app, "acme", team.alice.id, 120).await;
    team.bob.new_key(crate::keys::BOLT_KEYS, "Bolt bot", "").await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    set_scope(&app, &alice, READ_ONLY).await;

    let run = Machine::using(&app, &alice).run(&["keys", "list", "--org", "acme"]).await;
    let text = run.ok();
    assert_eq!(
        header(text),
        [
            "ID",
            "DESCRIPTION",
            "SCOPE",
            "NETWORKS",
            "VALID UNTIL",
            "STATUS",
            "CREATED (UTC)",
            "CREATED BY",
            "LAST USED (UTC)"
        ]
    );
    let listed = rows(text);
    assert_eq!(listed.len(), 121, "two pages of up to 100, all of them");
    // The second page is the one `next_cursor` names (a page number is refused
    // now): the list goes on in its order, newest first, across the pages.
    let in_order: Vec<&str> = listed.iter().map(|row| row[1].as_str()).collect();
    let mut newest_first: Vec<String> = (1..=120).rev().map(|n| format!("Bulk {n:03}")).collect();
    newest_first.push("Deploy bot".into());
    assert_eq!(in_order, newest_first);
    let row = listed.iter().find(|row| row[0] == deploy.public_id).expect("the Deploy bot row");
    assert_eq!(
        row,
        &[
            deploy.public_id.as_str(),
            "Deploy bot",
            "Run builds",
            "anywhere",
            "2027-03-05",
            "expires soon",
            "2027-02-28 12:00",
            "Alice",
            "never"
        ]
    );
    let mut descriptions: Vec<&str> = listed.iter().map(|row| row[1].as_str()).collect();
    descriptions.sort_unstable();
    let mut expected: Vec<String> = (1..=120).map(|n| format!("Bulk {n:03}")).collect();
    expected.push("Deploy bot".into());
    assert_eq!(descriptions, expected, "each key once, no other organization's");
    assert!(listed.iter().all(|row| row[0].len() == 16), "the ID column holds public ids");
}
both_databases!(keys_list_shows_every_key_of_an_organization_across_pages, at_epoch);

async fn keys_list_with_user_shows_only_the_callers_own_keys(app: TestApp) {
    let team = Team::new(&app).await;
    let laptop = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    set_scope(&app, &laptop, FULL_ACCESS).await;
    let ci = team.alice.new_key(USER_KEYS, "Alice CI", "2027-06-01").await;
    set_scope(&app, &ci, RUN_BUILDS).await;
    team.mia.new_key(USER_KEYS, "Mia laptop", "").await;
    team.alice.new_key(ACME_KEYS, "Deploy bot", "").await;

    let listed = rows(Machine::using(&app, &laptop).run(&["keys", "list", "--user"]).await.ok());
    let mut descriptions: Vec<&str> = listed.iter().map(|row| row[1].as_str()).collect();
    descriptions.sort_unstable();
    assert_eq!(descriptions, ["Alice CI", "Alice laptop"]);
    let row = listed.iter().find(|row| row[0] == ci.public_id).expect("the Alice CI row");
    assert_eq!(
        row[..9],
        [
            ci.public_id.as_str(),
            "Alice CI",
            "Run builds",
            "all organizations",
            "anywhere",
            "2027-06-01",
            "active",
            "2027-02-28 12:00",
            "Alice"
        ]
    );
}
both_databases!(keys_list_with_user_shows_only_the_callers_own_keys, at_epoch);

async fn keys_create_shows_the_token_once_and_the_token_works(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    set_scope(&app, &alice, FULL_ACCESS).await;
    let machine = Machine::using(&app, &alice);
    let args =
        ["keys", "create", "--org", "acme", "--description", "Deploy bot", "--valid-until", "2027-03-10"];
    let run = machine.run(&args).await;
    let lines: Vec<&str> = run.ok().lines().collect();
    assert_eq!(lines.len(), 6, "{lines:?}");
    let created = Token::parse(lines[2].trim(), KeyKind::Organization);
    assert_eq!(lines[2], format!("    {}", created.full), "the token alone on its line");
    assert_eq!(
        lines[0],
        format!(
            "Created the API key {} “Deploy bot” for the organization acme (id {}, valid until 2027-03-10).",
            created.hint(),
            created.public_id
        )
    );
    assert_eq!(lines[4], "This token is shown once: store it now. It cannot be shown again.");
    assert_eq!(
        lines[5],
        "Permissions: Run builds: read repositories, start builds, read parameters \
         (repos:read builds:write params:read).",
        "the default"
    );
    assert!(key_exists(&app, &created.public_id).await);
    let text = Machine::using(&app, &created).run(&["whoami"]).await.ok().to_string();
    assert_eq!(fact(&text, "Organization").as_deref(), Some("Acme Corp (acme)"));

    // A user key, without an expiry date.
    let run = machine.run(&["keys", "create", "--user", "--description", "Alice CI", "--no-expiry"]).await;
    let lines: Vec<&str> = run.ok().lines().collect();
    let created = Token::parse(lines[2].trim(), KeyKind::User);
    assert_eq!(
        lines[0],
        format!(
            "Created the API key {} “Alice CI” for your user (id {}, never expires).",
            created.hint(),
            created.public_id
        )
    );
    assert_eq!(
        fact(Machine::using(&app, &created).run(&["whoami"]).await.ok(), "User").as_deref(),
        Some("Alice")
    );
}
both_databases!(keys_create_shows_the_token_once_and_the_token_works, at_epoch);

async fn keys_create_expires_in_ninety_days_or_the_policys_limit_unless_told_otherwise(app: TestApp) {
    // The client counts from its own today: the server's clock is set to the real one,
    // so that both agree on "today".
    set_clock(&app, Utc::now());
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    set_scope(&app, &alice, FULL_ACCESS).await;
    let machine = Machine::using(&app, &alice);
    // What the keys screen suggests; read around the run, in case it straddles midnight.
    let suggested = || suggestion(Utc::now().date_naive(), None);

    let before = suggested();
    let created: CreatedKey = machine
        .run(&["--json", "keys", "create", "--org", "acme", "--description", "Deploy bot"])
        .await
        .json();
    let after = suggested();
    let date = created.key.valid_until.expect("a date by default");
    assert!(date == before || date == after, "{date} is 90 days from today, as the screen suggests");
    assert!([90, 91].contains(&(date - Utc::now().date_naive()).num_days()), "{date}");

    let run = machine
        .run(&["keys", "create", "--org", "acme", "--description", "Forever bot", "--no-expiry"])
        .await;
    assert!(run.ok().lines().next().unwrap().ends_with("never expires)."), "{}", run.stdout);

    let args =
        ["keys", "create", "--user", "--description", "x", "--no-expiry", "--valid-until", "2099-01-01"];
    let run = machine.run(&args).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);

    // An organization whose policy is shorter: the default follows it, as on the screen;
    // a date given by hand beyond it gets the server's message.
    execute(&app, "UPDATE organizations SET max_key_lifetime_days = 30 WHERE slug = 'acme'".into()).await;
    let suggested = || suggestion(Utc::now().date_naive(), Some(30));
    let before = suggested();
    let created: CreatedKey = machine
        .run(&["--json", "keys", "create", "--org", "acme", "--description", "Within policy"])
        .await
        .json();
    let date = created.key.valid_until.expect("a date by default");
    assert!(date == before || date == suggested(), "{date} is the policy's 30 days");
    let too_late = (Utc::now().date_naive() + chrono::Duration::days(60)).format("%Y-%m-%d").to_string();
    let message = machine
        .run(&["keys", "create", "--org", "acme", "--description", "Too long", "--valid-until", &too_late])
        .await
        .error(1);
    assert!(message.contains("This organization allows keys of at most 30 days"), "{message}");
    let message = machine
        .run(&["keys", "create", "--org", "acme", "--description", "Never", "--no-expiry"])
        .await
        .error(1);
    assert!(message.contains("This organization requires an expiry date"), "{message}");
}
both_databases!(keys_create_expires_in_ninety_days_or_the_policys_limit_unless_told_otherwise, at_epoch);

async fn keys_revoke_stops_the_key_and_names_it_and_delete_is_another_name_for_it(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    set_scope(&app, &alice, FULL_ACCESS).await;
    let old = team.alice.new_key(USER_KEYS, "Old laptop", "").await;
    let deploy = team.alice.new_key(ACME_KEYS, "Deploy bot", "").await;
    let keep = team.alice.new_key(ACME_KEYS, "Keep me", "").await;
    let machine = Machine::using(&app, &alice);

    let run = machine.run(&["keys", "revoke", &deploy.public_id, "--org", "acme"]).await;
    assert_eq!(run.ok(), format!("Revoked key {} “Deploy bot”: it no longer works.\n", deploy.hint()));
    assert!(key_exists(&app, &deploy.public_id).await, "kept, as revoked");
    let message = Machine::using(&app, &deploy).run(&["whoami"]).await.error(3);
    assert!(message.contains("was revoked (by a person)"), "{message}");

    let run = machine.run(&["keys", "delete", &old.public_id, "--user"]).await;
    assert_eq!(run.ok(), format!("Revoked key {} “Old laptop”: it no longer works.\n", old.hint()));
    Machine::using(&app, &old).run(&["whoami"]).await.error(3);
    Machine::using(&app, &alice).run(&["whoami"]).await.ok();

    let ids = |run: Run| rows(run.ok()).iter().map(|row| row[0].clone()).collect::<Vec<_>>();
    assert_eq!(ids(machine.run(&["keys", "list", "--org", "acme"]).await), [keep.public_id.as_str()]);
    let inactive = machine.run(&["keys", "list", "--org", "acme", "--status", "inactive"]).await;
    let inactive = rows(inactive.ok());
    assert_eq!(inactive.len(), 1);
    assert_eq!(inactive[0][0], deploy.public_id);
    assert!(
        inactive.iter().any(|row| row.iter().any(|cell| cell.starts_with("revoked (by a person"))),
        "{inactive:?}"
    );
    assert_eq!(ids(machine.run(&["keys", "list", "--org", "acme", "--status", "all"]).await).len(), 2);
    // By its hint, a revoked key is still found: revoking it again changes nothing.
    let run = machine.run(&["keys", "revoke", &deploy.hint(), "--org", "acme"]).await;
    assert!(run.ok().starts_with("Revoked key"), "{}", run.stdout);
    let run = machine.run(&["keys", "list", "--user", "--status", "gone"]).await;
    assert_eq!(run.code, 2, "a usage error");
    assert!(run.stderr.contains("expected one of active, inactive, all"), "{}", run.stderr);
}
both_databases!(keys_revoke_stops_the_key_and_names_it_and_delete_is_another_name_for_it, at_epoch);

async fn keys_roll_prints_the_new_token_once_and_the_old_key_works_for_the_overlap(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    set_scope(&app, &alice, FULL_ACCESS).await;
    let deploy = team.alice.new_key(ACME_KEYS, "Deploy bot", "2027-05-29").await;
    let machine = Machine::using(&app, &alice);

    let run = machine.run(&["keys", "roll", &deploy.public_id, "--org", "acme", "--overlap", "1h"]).await;
    let out = run.ok();
    assert!(out.starts_with(&format!("Rolled the API key {} to mci_org_", deploy.public_id)), "{out}");
    assert!(out.contains("“Deploy bot”") && out.contains("valid until 2027-05-29"), "{out}");
    assert!(out.contains("The old key") && out.contains("keeps working for 1 hour, then stops."), "{out}");
    let token = out
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("mci_org_") && line.len() == 62)
        .expect("the token");
    let successor = Token::parse(token, KeyKind::Organization);
    Machine::using(&app, &successor).run(&["whoami"]).await.ok();
    Machine::using(&app, &deploy).run(&["whoami"]).await.ok();
    let listed = rows(machine.run(&["keys", "list", "--org", "acme"]).await.ok());
    assert!(
        listed.iter().any(|row| row[0] == deploy.public_id
            && row.iter().any(|c| c == "rolled (works until 2027-02-28 13:00 UTC)")),
        "{listed:?}"
    );

    let message = machine.run(&["keys", "roll", &deploy.public_id, "--org", "acme"]).await.error(1);
    assert!(message.contains("was already rolled to"), "{message}");
    let run = machine.run(&["keys", "roll", &deploy.public_id, "--org", "acme", "--overlap", "3d"]).await;
    assert_eq!(run.code, 2, "a usage error");
    assert!(run.stderr.contains("expected 0h (none), 1h, 24h or 7d"), "{}", run.stderr);

    let run = machine
        .run(&["keys", "roll", &successor.public_id, "--org", "acme", "--overlap", "0h", "--json"])
        .await;
    let rolled: serde_json::Value = serde_json::from_str(run.ok()).expect("JSON");
    assert_eq!(rolled["rolled_from"], successor.public_id.as_str());
    assert!(rolled["token"].as_str().unwrap().starts_with("mci_org_"));
    Machine::using(&app, &successor).run(&["whoami"]).await.error(3);
}
both_databases!(keys_roll_prints_the_new_token_once_and_the_old_key_works_for_the_overlap, at_epoch);

async fn keys_commands_use_the_organization_of_the_config_file(app: TestApp) {
    let team = Team::new(&app).await;
    let alice = team.alice.new_key(USER_KEYS, "Alice laptop", "").await;
    set_scope(&app, &alice, FULL_ACCESS).await;
    let deploy = team.alice.new_key(ACME_KEYS, "Deploy bot", "").await;
    let machine = Machine::using(&app, &alice);

    // Neither --org nor --user, and no organization in the file.
    let message = machine.run(&["keys", "list"]).await.error(2);
    assert_eq!(message, "choose --org SLUG or --user");

    machine.write_config("account:\n  org: acme\n");
    let listed = rows(machine.run(&["keys", "list"]).await.ok());
    assert_eq!(listed.iter().map(|row| row[0].as_str()).collect::<Vec<_>>(), [deploy.public_id.as_str()]);
    let run = machine.run(&["keys", "create", "--description", "From the file"]).await;
    assert!(run.ok().starts_with("Created the API key mci_org_"), "{}", run.stdout);
    // A flag still wins.
    let listed = rows(machine.run(&["keys", "list", "--user"]).await.ok());
    assert_eq!(listed.iter().map(|row| row[0].as_str()).collect::<Vec<_>>(), [alice.public_id.as_str()]);
    machine.run(&["keys", "list", "--org", "bolt"]).await.error(1);
}
both_databases!(keys_commands_use_the_organization_of_the_config_file, at_epoch);
