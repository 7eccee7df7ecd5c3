//! The command line, as clap reads it. The key and the URL are not read from the
//! environment here: [`super::settings`] resolves them, so it can say where each came from.

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use crate::domain::api_key::{Overlap, Preset, Scope, StatusFilter};

#[derive(Debug, Parser)]
#[command(
    name = "monkeyci",
    version,
    about = "MonkeyCI from the command line: who a key is, its organizations, and API keys.",
    after_help = "The key and the server come from --api-key/--url, else MONKEYCI_API_KEY/MONKEYCI_URL, \
                  else the config file that `monkeyci login` writes \
                  ($XDG_CONFIG_HOME/monkeyci/config.yaml or ~/.config/monkeyci/config.yaml).\n\
                  Exit codes: 0 success, 1 failure, 2 usage, 3 the key was refused.",
    arg_required_else_help = true
)]
pub struct Cli {
    /// The API key (default: MONKEYCI_API_KEY, then the config file).
    #[arg(long, global = true, value_name = "KEY")]
    pub api_key: Option<String>,

    /// The server's URL, with http:// or https:// (default: MONKEYCI_URL, then the config file,
    /// then http://127.0.0.1:8080). The API's address, ending in /api/v1, works too.
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,

    /// Print the server's JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a key and save it, with --url and --org, to the config file.
    ///
    /// The key comes from --with-token (standard input), --api-key or MONKEYCI_API_KEY;
    /// with none of them, a terminal is asked for it without echo.
    Login(LoginArgs),
    /// Show the key in use, whom it belongs to and which organizations it reaches.
    Whoami,
    /// List the organizations the key reaches.
    Orgs,
    /// List, create and revoke API keys of an organization (--org) or your own (--user).
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Read the key from standard input (its first line), so that it stays out of
    /// shell history: `monkeyci login --with-token < key.txt`. Not with --api-key.
    // clap cannot make a global flag conflict with this one: `login` refuses the pair.
    #[arg(long)]
    pub with_token: bool,
    /// The organization `keys` commands use when neither --org nor --user is given.
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the keys (all pages): those that work, unless --status says otherwise.
    List(ListArgs),
    /// Create a key; its token is shown once.
    Create(CreateArgs),
    /// Show one key: its permissions, reach, networks, dates and status.
    Show(KeyArgs),
    /// Roll a key: a new key with the same description, permissions and reach (its
    /// token is shown once); the old one works on for the overlap, then stops.
    Roll(RollArgs),
    /// Revoke a key, named by its id, its hint or the whole key: it stops working at
    /// once, and stays listed (--status inactive) for 90 days.
    #[command(visible_alias = "delete")]
    Revoke(KeyArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Which keys: active (those that work, the default), inactive (revoked or
    /// expired), all, or one status: expires_soon, expired, revoked.
    #[arg(long, value_name = "STATUS", value_parser = parse_status)]
    pub status: Option<StatusFilter>,
    #[command(flatten)]
    pub owner: OwnerArgs,
}

#[derive(Debug, Args)]
pub struct RollArgs {
    #[command(flatten)]
    pub key: KeyArgs,
    /// How long the old key keeps working: 0h (it stops now), 1h, 24h or 7d.
    #[arg(long, value_name = "OVERLAP", default_value = "24h", value_parser = parse_overlap)]
    pub overlap: Overlap,
}

/// Whose keys: neither flag means the config file's `account.org`.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct OwnerArgs {
    /// An organization's keys.
    #[arg(long, value_name = "SLUG")]
    pub org: Option<String>,
    /// Your own user keys.
    #[arg(long)]
    pub user: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// What the key is for (1 to 200 characters).
    #[arg(long, value_name = "TEXT")]
    pub description: String,
    /// The key is refused from this date (00:00 UTC) on [default: 90 days from today, or
    /// the organization's longest lifetime when shorter, as the keys screen suggests].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub valid_until: Option<NaiveDate>,
    /// The key never expires (unless the organization's policy requires a date).
    #[arg(long, conflicts_with = "valid_until")]
    pub no_expiry: bool,
    /// What the key may do, as a scope string: "repos:read builds:write params:read"
    /// (resources org, members, keys, repos, builds, params, ssh_keys, webhooks, billing;
    /// levels read or write) [default: the run_builds preset].
    #[arg(long, value_name = "SCOPE", value_parser = parse_scope, conflicts_with = "preset")]
    pub scope: Option<Scope>,
    /// What the key may do, as a preset: run_builds (repos:read builds:write params:read,
    /// the default), read_only or full_access.
    #[arg(long, value_name = "PRESET", value_parser = parse_preset)]
    pub preset: Option<Preset>,
    /// User keys: reach only this one of your organizations (repeat for several)
    /// [default: all your organizations, now and later].
    #[arg(long = "reach-org", value_name = "SLUG")]
    pub reach_orgs: Vec<String>,
    /// Accept the key only from this network, in CIDR notation such as 203.0.113.0/24 or
    /// 2001:db8::/32 (repeat for several) [default: anywhere].
    #[arg(long = "allowed-network", value_name = "CIDR")]
    pub allowed_networks: Vec<String>,
    #[command(flatten)]
    pub owner: OwnerArgs,
}

impl CreateArgs {
    /// The scope to ask for; `None` leaves it to the server (Run builds).
    pub fn scope(&self) -> Option<Scope> {
        self.scope.or_else(|| self.preset.and_then(Preset::scope))
    }
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The key: its 16-character id (the ID column of `keys list`), its hint as the
    /// keys screen shows it (mci_org_3fKx…, or mci_org_3fKx...; it must match only
    /// one key), or the whole key.
    #[arg(value_name = "KEY")]
    pub id: String,
    #[command(flatten)]
    pub owner: OwnerArgs,
}

fn parse_scope(raw: &str) -> Result<Scope, String> {
    Scope::parse_granting(raw).map_err(|e| e.to_string())
}

fn parse_preset(raw: &str) -> Result<Preset, String> {
    Preset::from_name(raw.trim())
        .filter(|preset| preset.scope().is_some())
        .ok_or_else(|| "expected run_builds, read_only or full_access (or give --scope)".to_string())
}

fn parse_status(raw: &str) -> Result<StatusFilter, String> {
    StatusFilter::parse_strict(raw).ok_or_else(|| {
        let codes: Vec<&str> = StatusFilter::ALL.iter().map(|s| s.code()).collect();
        format!("expected one of {}", codes.join(", "))
    })
}

fn parse_overlap(raw: &str) -> Result<Overlap, String> {
    Overlap::parse(raw).map_err(|_| "expected 0h (none), 1h, 24h or 7d".to_string())
}

fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| format!("expected a date as YYYY-MM-DD, not {raw:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_anywhere() {
        let cli =
            Cli::try_parse_from(["monkeyci", "keys", "list", "--org", "acme", "--json", "--url", "http://x"])
                .unwrap();
        assert!(cli.json);
        assert_eq!(cli.url.as_deref(), Some("http://x"));
        let Command::Keys(KeysCommand::List(list)) = cli.command else { panic!("keys list") };
        assert_eq!((list.owner.org.as_deref(), list.owner.user, list.status), (Some("acme"), false, None));
    }

    #[test]
    fn org_and_user_exclude_each_other() {
        let error = Cli::try_parse_from(["monkeyci", "keys", "list", "--org", "acme", "--user"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
    }

    #[test]
    fn a_valid_until_date_is_checked_locally() {
        let parse = |date| {
            Cli::try_parse_from(["monkeyci", "keys", "create", "--description", "x", "--valid-until", date])
        };
        assert_eq!(parse("tomorrow").unwrap_err().exit_code(), 2);
        let Command::Keys(KeysCommand::Create(args)) = parse("2027-03-01").unwrap().command else { panic!() };
        assert_eq!(args.valid_until, NaiveDate::from_ymd_opt(2027, 3, 1));
    }

    #[test]
    fn no_expiry_excludes_a_date() {
        let args = [
            "monkeyci",
            "keys",
            "create",
            "--description",
            "x",
            "--no-expiry",
            "--valid-until",
            "2027-03-01",
        ];
        assert_eq!(Cli::try_parse_from(args).unwrap_err().exit_code(), 2);
        let args = ["monkeyci", "keys", "create", "--description", "x", "--no-expiry"];
        let Command::Keys(KeysCommand::Create(args)) = Cli::try_parse_from(args).unwrap().command else {
            panic!()
        };
        assert!(args.no_expiry && args.valid_until.is_none());
    }

    #[test]
    fn a_scope_comes_from_scope_or_a_preset_never_both() {
        let create = |extra: &[&str]| {
            let mut args = vec!["monkeyci", "keys", "create", "--description", "x"];
            args.extend_from_slice(extra);
            Cli::try_parse_from(args).map(|cli| match cli.command {
                Command::Keys(KeysCommand::Create(args)) => args,
                _ => panic!("keys create"),
            })
        };
        assert_eq!(create(&[]).unwrap().scope(), None, "the server's default");
        assert_eq!(create(&["--preset", "read_only"]).unwrap().scope(), Some(Scope::read_only()));
        let custom = create(&["--scope", "builds:write  repos:read"]).unwrap();
        assert_eq!(custom.scope().unwrap().to_string(), "repos:read builds:write");
        for bad in [
            &["--preset", "custom"][..],
            &["--preset", "everything"],
            &["--scope", "builds:admin"],
            &["--scope", ""],
            &["--scope", "builds:read", "--preset", "full_access"],
        ] {
            assert_eq!(create(bad).unwrap_err().exit_code(), 2, "{bad:?}");
        }
        let many = create(&["--reach-org", "acme", "--reach-org", "bolt", "--allowed-network", "10.0.0.0/8"])
            .unwrap();
        assert_eq!((many.reach_orgs.len(), many.allowed_networks.len()), (2, 1));
    }

    #[test]
    fn delete_is_another_name_for_revoke() {
        let cli = Cli::try_parse_from(["monkeyci", "keys", "delete", "3fKxQ9a0LmP2sT7v", "--user"]).unwrap();
        assert!(matches!(cli.command, Command::Keys(KeysCommand::Revoke(_))));
    }

    #[test]
    fn a_roll_overlaps_a_day_unless_told_and_only_by_the_four_choices() {
        let roll = |extra: &[&str]| {
            let mut args = vec!["monkeyci", "keys", "roll", "3fKxQ9a0LmP2sT7v", "--user"];
            args.extend_from_slice(extra);
            Cli::try_parse_from(args).map(|cli| match cli.command {
                Command::Keys(KeysCommand::Roll(args)) => args.overlap,
                _ => panic!("keys roll"),
            })
        };
        assert_eq!(roll(&[]).unwrap(), Overlap::OneDay);
        assert_eq!(roll(&["--overlap", "7d"]).unwrap(), Overlap::SevenDays);
        assert_eq!(roll(&["--overlap", "2h"]).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn the_list_takes_a_status() {
        let list = |status| Cli::try_parse_from(["monkeyci", "keys", "list", "--status", status]);
        let Command::Keys(KeysCommand::List(args)) = list("inactive").unwrap().command else { panic!() };
        assert_eq!(args.status, Some(StatusFilter::Inactive));
        assert_eq!(list("gone").unwrap_err().exit_code(), 2);
    }
}
