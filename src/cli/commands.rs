//! One function per command: resolve what it needs, call the API, and return the
//! text for stdout (a table, a sentence, or `--json`).

use chrono::NaiveDate;

use super::args::{Cli, Command, CreateArgs, KeyArgs, KeysCommand, ListArgs, LoginArgs, OwnerArgs, RollArgs};
use super::client::Client;
use super::config;
use super::error::CliError;
use super::key_ref::KeyRef;
use super::login_key::{Console, login_key};
use super::output;
use super::settings::{ClientSettings, Environment, KeysOf};
use super::source::Source;
use crate::api::model::{NewKeyRequest, RollRequest};
use crate::domain::api_key::validity::suggestion;
use crate::domain::api_key::{PublicId, StatusFilter};
use crate::domain::organization::OrgSlug;

/// Runs the command; `Ok` holds what to print. `console` is standard input and
/// the terminal, which only `login` reads.
pub fn run(cli: Cli, env: Environment, console: &mut dyn Console) -> Result<String, CliError> {
    let today = env.today;
    let settings = ClientSettings::new(cli.api_key, cli.url, env);
    let json = cli.json;
    match cli.command {
        Command::Login(args) => login(&settings, &args, console, json),
        Command::Whoami => {
            let me = client(&settings)?.whoami()?;
            Ok(if json { output::json(&me) } else { output::whoami(&me) })
        }
        Command::Orgs => {
            let orgs = client(&settings)?.orgs()?;
            Ok(if json { output::json(&orgs) } else { output::orgs(&orgs) })
        }
        Command::Keys(KeysCommand::List(owner)) => list_keys(&settings, &owner, json),
        Command::Keys(KeysCommand::Create(args)) => create_key(&settings, &args, today, json),
        Command::Keys(KeysCommand::Show(args)) => show_key(&settings, &args, json),
        Command::Keys(KeysCommand::Roll(args)) => roll_key(&settings, &args, json),
        Command::Keys(KeysCommand::Revoke(args)) => revoke_key(&settings, &args, json),
    }
}

/// The key first (a missing or malformed key is refused before anything else), then the server.
fn client(settings: &ClientSettings) -> Result<Client, CliError> {
    let key = settings.api_key()?;
    Client::new(settings.url()?, key)
}

fn owner(settings: &ClientSettings, args: &OwnerArgs) -> Result<KeysOf, CliError> {
    settings.owner(args.org.as_deref(), args.user)
}

fn list_keys(settings: &ClientSettings, args: &ListArgs, json: bool) -> Result<String, CliError> {
    let client = client(settings)?;
    let list = client.all_keys(&owner(settings, &args.owner)?, args.status.unwrap_or_default())?;
    Ok(if json { output::json(&list) } else { output::keys(&list) })
}

fn create_key(
    settings: &ClientSettings,
    args: &CreateArgs,
    today: NaiveDate,
    json: bool,
) -> Result<String, CliError> {
    let client = client(settings)?;
    let owner = owner(settings, &args.owner)?;
    if matches!(owner, KeysOf::Org(_)) && !args.reach_orgs.is_empty() {
        return Err(CliError::Usage(
            "--reach-org is for user keys (--user): an organization key reaches its own organization only"
                .into(),
        ));
    }
    let policy_days = match (&owner, args.valid_until, args.no_expiry) {
        (KeysOf::Org(slug), None, false) => longest_lifetime_days(&client, slug)?,
        _ => None,
    };
    let request = NewKeyRequest {
        description: args.description.clone(),
        valid_until: valid_until(args, today, policy_days).map(|date| date.format("%Y-%m-%d").to_string()),
        scope: args.scope().map(|scope| scope.to_string()),
        orgs: (!args.reach_orgs.is_empty()).then(|| args.reach_orgs.clone()),
        allowed_networks: (!args.allowed_networks.is_empty()).then(|| args.allowed_networks.clone()),
    };
    let created = client.create_key(&owner, &request)?;
    Ok(if json { output::json(&created) } else { output::created(&created, &owner) })
}

/// `--valid-until`, none with `--no-expiry`, else the date the keys screen
/// suggests: 90 days, or the organization's longest lifetime when shorter. A
/// date given by hand is the server's to judge (its 422 names the limit).
fn valid_until(args: &CreateArgs, today: NaiveDate, policy_days: Option<u32>) -> Option<NaiveDate> {
    match (args.valid_until, args.no_expiry) {
        (Some(date), _) => Some(date),
        (None, true) => None,
        (None, false) => Some(suggestion(today, policy_days)),
    }
}

/// The organization's key policy, for the default date (one more request, only
/// when the date is left to the client). A key that may not read the
/// organization (no `org:read`) still creates keys: the default is then 90
/// days, and the server says so if the policy is shorter.
fn longest_lifetime_days(client: &Client, slug: &OrgSlug) -> Result<Option<u32>, CliError> {
    match client.org(slug) {
        Ok(org) => Ok(org.max_key_lifetime_days.and_then(|days| u32::try_from(days).ok())),
        Err(CliError::Server(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// The key an argument names (id, hint or whole token) among the owner's.
fn named_key(settings: &ClientSettings, args: &KeyArgs) -> Result<(Client, KeysOf, PublicId), CliError> {
    let named = KeyRef::parse(&args.id)?;
    let client = client(settings)?;
    let owner = owner(settings, &args.owner)?;
    named.check_owner(&owner)?;
    let id = match named.id() {
        Some(id) => id.clone(),
        // A revoked or expired key is still named (to show it, or to say it was revoked).
        None => named.find_in(&client.all_keys(&owner, StatusFilter::All)?.keys, &owner)?,
    };
    Ok((client, owner, id))
}

fn show_key(settings: &ClientSettings, args: &KeyArgs, json: bool) -> Result<String, CliError> {
    let (client, owner, id) = named_key(settings, args)?;
    let key = client.key_info(&owner, &id)?;
    Ok(if json { output::json(&key) } else { output::key(&key) })
}

fn revoke_key(settings: &ClientSettings, args: &KeyArgs, json: bool) -> Result<String, CliError> {
    let (client, owner, id) = named_key(settings, args)?;
    // Read first, so the message can name the key (and a wrong id revokes nothing).
    let key = client.key_info(&owner, &id)?;
    client.revoke_key(&owner, &id)?;
    Ok(if json {
        output::json(&serde_json::json!({ "revoked": id.as_str() }))
    } else {
        output::revoked(&key.hint, &key.description)
    })
}

/// The successor's token is printed once, as `keys create` does; a key rolled
/// before, revoked or expired is the server's 409, said as it says it.
fn roll_key(settings: &ClientSettings, args: &RollArgs, json: bool) -> Result<String, CliError> {
    let (client, owner, id) = named_key(settings, &args.key)?;
    let request = RollRequest { overlap: Some(args.overlap.code().to_string()) };
    let rolled = client.roll_key(&owner, &id, &request)?;
    Ok(if json { output::json(&rolled) } else { output::rolled(&rolled, &id, args.overlap) })
}

/// Checks the key with `whoami`, then saves it (and `--url`, `--org`) to the config
/// file, keeping what it does not replace. Nothing is written when the check fails.
fn login(
    settings: &ClientSettings,
    args: &LoginArgs,
    console: &mut dyn Console,
    json: bool,
) -> Result<String, CliError> {
    // The URL first: a person is not asked for a key only to hear that the URL is wrong.
    let url = settings.url()?;
    let org = args
        .org
        .as_deref()
        .map(|raw| {
            OrgSlug::parse(raw).map_err(|reason| {
                CliError::Usage(format!(
                    "the organization “{}” from --org is not valid: {reason}",
                    raw.trim()
                ))
            })
        })
        .transpose()?;
    let path = settings.config_path().ok_or_else(|| {
        CliError::Other("cannot tell where the config file goes: set HOME or XDG_CONFIG_HOME".into())
    })?;
    // A config file that cannot be read is reported before the key is even asked for.
    let mut saved = settings.saved()?;
    let key = login_key(args.with_token, settings.given_api_key(), console)?;
    let client = Client::new(url.clone(), key)?;
    let me = client.whoami()?;
    if let Some(slug) = &org
        && !me.organizations.iter().any(|reached| reached.slug == slug.as_str())
    {
        return Err(CliError::Server(format!(
            "the API key {} does not reach the organization {slug}: nothing was saved",
            client.key().hint()
        )));
    }
    let account = saved.account.get_or_insert_default();
    account.token = Some(client.key().token().to_string());
    if matches!(url.source, Source::Flag(_) | Source::Environment(_)) {
        account.url = Some(url.to_string());
    }
    // An organization key only reaches its own organization: that is the one to use.
    if let Some(slug) =
        org.as_ref().map(OrgSlug::as_str).or(me.organization.as_ref().map(|o| o.slug.as_str()))
    {
        account.org = Some(slug.to_string());
    }
    let default_org = account.org.clone();
    config::save(&path, &saved)?;
    Ok(if json { output::json(&me) } else { output::logged_in(&me, &path, default_org.as_deref()) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::OwnerArgs;

    fn create_args(valid_until: Option<NaiveDate>, no_expiry: bool) -> CreateArgs {
        CreateArgs {
            description: "x".into(),
            valid_until,
            no_expiry,
            scope: None,
            preset: None,
            reach_orgs: Vec::new(),
            allowed_networks: Vec::new(),
            owner: OwnerArgs { org: None, user: true },
        }
    }

    #[test]
    fn a_new_key_expires_as_the_keys_screen_suggests_unless_told_otherwise() {
        let today = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        assert_eq!(valid_until(&create_args(None, false), today, None), NaiveDate::from_ymd_opt(2027, 4, 2));
        assert_eq!(
            valid_until(&create_args(None, false), today, Some(30)),
            NaiveDate::from_ymd_opt(2027, 2, 1)
        );
        assert_eq!(valid_until(&create_args(None, true), today, Some(30)), None);
        let chosen = NaiveDate::from_ymd_opt(2027, 3, 1);
        assert_eq!(valid_until(&create_args(chosen, false), today, Some(30)), chosen);
    }
}
