//! Where each setting comes from: a flag beats the environment, which beats the
//! config file; the server URL falls back to the local default. Every value
//! remembers its [`Source`], so that messages can say which one was wrong.

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::config::{self, Account, ConfigFile};
use super::error::CliError;
use super::inputs::{ServerUrl, TokenArgument};
use super::source::{Source, Sourced};
use crate::clock::{Clock, SystemClock};
use crate::domain::organization::OrgSlug;

pub const API_KEY_FLAG: &str = "--api-key";
pub const API_KEY_VAR: &str = "MONKEYCI_API_KEY";
pub const URL_FLAG: &str = "--url";
pub const URL_VAR: &str = "MONKEYCI_URL";
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";

/// The part of the process environment the client reads, read in one place
/// ([`Environment::from_process`]); tests build their own.
#[derive(Clone, Default)]
pub struct Environment {
    pub api_key: Option<String>,
    pub url: Option<String>,
    pub home: Option<PathBuf>,
    pub xdg_config_home: Option<PathBuf>,
    /// Today (UTC) on this machine: the default expiry of new keys counts from it.
    pub today: NaiveDate,
}

impl Environment {
    pub fn from_process() -> Environment {
        Environment {
            api_key: std::env::var(API_KEY_VAR).ok(),
            url: std::env::var(URL_VAR).ok(),
            home: std::env::var_os("HOME").map(PathBuf::from),
            xdg_config_home: std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from),
            today: SystemClock.now().date_naive(),
        }
    }

    pub fn config_path(&self) -> Option<PathBuf> {
        config::config_path(self.xdg_config_home.as_deref(), self.home.as_deref())
    }
}

/// The first value that is set: a flag as given (even blank: `--api-key "$EMPTY"`
/// must not quietly fall back to another key), the environment and the file only
/// when not blank.
pub fn pick(
    flag: Option<(&str, &'static str)>,
    env: Option<(&str, &'static str)>,
    file: Option<(&str, &Path)>,
) -> Option<Sourced<String>> {
    let sourced = |value: &str, source| Sourced { value: value.trim().to_string(), source };
    if let Some((value, name)) = flag {
        return Some(sourced(value, Source::Flag(name)));
    }
    if let Some((value, name)) = env.filter(|(value, _)| !value.trim().is_empty()) {
        return Some(sourced(value, Source::Environment(name)));
    }
    file.filter(|(value, _)| !value.trim().is_empty())
        .map(|(value, path)| sourced(value, Source::File(path.into())))
}
/// Whose keys a `keys` command works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeysOf {
    Org(OrgSlug),
    User,
}

impl KeysOf {
    /// The API path of the list, below `/api/v1`.
    pub fn keys_path(&self) -> Vec<&str> {
        match self {
            KeysOf::Org(slug) => vec!["orgs", slug.as_str(), "keys"],
            KeysOf::User => vec!["user", "keys"],
        }
    }
}

/// Everything the client may read, resolved on demand: the config file is only
/// read when a flag or the environment leaves something open.
pub struct ClientSettings {
    api_key_flag: Option<String>,
    url_flag: Option<String>,
    env: Environment,
    file: OnceCell<Option<(PathBuf, Account)>>,
}

impl ClientSettings {
    pub fn new(api_key_flag: Option<String>, url_flag: Option<String>, env: Environment) -> ClientSettings {
        ClientSettings { api_key_flag, url_flag, env, file: OnceCell::new() }
    }

    pub fn config_path(&self) -> Option<PathBuf> {
        self.env.config_path()
    }

    /// The config file's account, if there is a file.
    fn file(&self) -> Result<Option<(&Path, &Account)>, CliError> {
        if self.file.get().is_none() {
            let loaded = match self.config_path() {
                Some(path) => config::load(&path)?.map(|file| (path, file.account())),
                None => None,
            };
            let _ = self.file.set(loaded);
        }
        Ok(self.file.get().and_then(Option::as_ref).map(|(path, account)| (path.as_path(), account)))
    }

    /// The file as it is now, for `login` to update.
    pub fn saved(&self) -> Result<ConfigFile, CliError> {
        Ok(ConfigFile { account: self.file()?.map(|(_, account)| account.clone()) })
    }

    fn flag_or_env(&self) -> Option<Sourced<String>> {
        pick(
            self.api_key_flag.as_deref().map(|v| (v, API_KEY_FLAG)),
            self.env.api_key.as_deref().map(|v| (v, API_KEY_VAR)),
            None,
        )
    }

    /// The key to use: `--api-key`, `MONKEYCI_API_KEY`, then the file.
    pub fn api_key(&self) -> Result<TokenArgument, CliError> {
        let raw = match self.flag_or_env() {
            Some(raw) => Some(raw),
            None => self
                .file()?
                .and_then(|(path, account)| pick(None, None, file_value(account.token.as_ref(), path))),
        };
        TokenArgument::parse(raw.ok_or(CliError::NoKey)?)
    }

    /// The key `login` was given, if any: only a flag or the environment (the file
    /// is what it replaces); [`super::login_key`] decides what else to try.
    pub fn given_api_key(&self) -> Option<Sourced<String>> {
        self.flag_or_env()
    }

    /// The server: `--url`, `MONKEYCI_URL`, the file, then [`DEFAULT_URL`].
    pub fn url(&self) -> Result<ServerUrl, CliError> {
        let flag_or_env = pick(
            self.url_flag.as_deref().map(|v| (v, URL_FLAG)),
            self.env.url.as_deref().map(|v| (v, URL_VAR)),
            None,
        );
        let raw = match flag_or_env {
            Some(raw) => raw,
            None => self
                .file()?
                .and_then(|(path, account)| pick(None, None, file_value(account.url.as_ref(), path)))
                .unwrap_or_else(|| Sourced { value: DEFAULT_URL.into(), source: Source::Default }),
        };
        ServerUrl::parse(raw)
    }

    /// `--org SLUG`, `--user`, or else the file's `account.org`.
    pub fn owner(&self, org: Option<&str>, user: bool) -> Result<KeysOf, CliError> {
        if user {
            return Ok(KeysOf::User);
        }
        let slug = match org {
            Some(slug) => Sourced { value: slug.trim().to_string(), source: Source::Flag("--org") },
            None => self
                .file()?
                .and_then(|(path, account)| pick(None, None, file_value(account.org.as_ref(), path)))
                .ok_or_else(|| CliError::Usage("choose --org SLUG or --user".into()))?,
        };
        OrgSlug::parse(&slug.value).map(KeysOf::Org).map_err(|reason| {
            CliError::Usage(format!(
                "the organization “{}” from {} is not valid: {reason}",
                slug.value, slug.source
            ))
        })
    }
}

fn file_value<'a>(value: Option<&'a String>, path: &'a Path) -> Option<(&'a str, &'a Path)> {
    value.map(|v| (v.as_str(), path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::api_key::{KeyKind, generate};

    fn token(kind: KeyKind) -> String {
        generate(kind).to_token_string()
    }

    /// An environment whose config directory is a fresh temporary one.
    fn environment(file: Option<&str>) -> (tempfile::TempDir, Environment) {
        let dir = tempfile::tempdir().unwrap();
        let env = Environment {
            home: Some(dir.path().join("home")),
            xdg_config_home: Some(dir.path().join("xdg")),
            ..Environment::default()
        };
        if let Some(text) = file {
            let path = env.config_path().unwrap();
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        }
        (dir, env)
    }

    #[test]
    fn a_flag_beats_the_environment_which_beats_the_file() {
        let flag = Some(("f", API_KEY_FLAG));
        let env = Some(("e", API_KEY_VAR));
        let file = Some(("c", Path::new("/c.yaml")));
        assert_eq!(pick(flag, env, file).unwrap().source, Source::Flag("--api-key"));
        assert_eq!(
            pick(None, env, file).unwrap(),
            Sourced { value: "e".into(), source: Source::Environment(API_KEY_VAR) }
        );
        assert_eq!(
            pick(None, None, file).unwrap(),
            Sourced { value: "c".into(), source: Source::File("/c.yaml".into()) }
        );
        assert_eq!(pick(None, None, None), None);
    }

    #[test]
    fn a_blank_environment_or_file_value_is_not_set_but_a_blank_flag_is_used() {
        let file = Some(("c", Path::new("/c.yaml")));
        assert_eq!(pick(None, Some(("  ", URL_VAR)), file).unwrap().value, "c");
        assert_eq!(pick(None, None, Some(("", Path::new("/c.yaml")))), None);
        assert_eq!(pick(Some(("", URL_FLAG)), None, file).unwrap().source, Source::Flag(URL_FLAG));
    }

    #[test]
    fn the_key_comes_from_the_flag_then_the_environment_then_the_file() {
        let (flag, env_key, file_key) =
            (token(KeyKind::User), token(KeyKind::User), token(KeyKind::Organization));
        let (_dir, mut env) = environment(Some(&format!("account:\n  token: {file_key}\n")));
        let path = env.config_path().unwrap();
        assert_eq!(ClientSettings::new(None, None, env.clone()).api_key().unwrap().token(), file_key);
        assert_eq!(
            ClientSettings::new(None, None, env.clone()).api_key().unwrap().source,
            Source::File(path)
        );
        env.api_key = Some(env_key.clone());
        assert_eq!(ClientSettings::new(None, None, env.clone()).api_key().unwrap().token(), env_key);
        let settings = ClientSettings::new(Some(flag.clone()), None, env);
        assert_eq!(settings.api_key().unwrap().token(), flag);
        assert_eq!(settings.api_key().unwrap().source, Source::Flag(API_KEY_FLAG));
    }

    #[test]
    fn the_url_comes_from_the_flag_then_the_environment_then_the_file_then_the_default() {
        let (_dir, mut env) = environment(Some("account:\n  url: https://file.example/\n"));
        let url = |env: &Environment, flag: Option<&str>| {
            ClientSettings::new(None, flag.map(Into::into), env.clone()).url().unwrap().to_string()
        };
        assert_eq!(url(&env, None), "https://file.example");
        env.url = Some("https://env.example".into());
        assert_eq!(url(&env, None), "https://env.example");
        assert_eq!(url(&env, Some("http://flag.example:9000")), "http://flag.example:9000");
        let (_dir, empty) = environment(None);
        assert_eq!(url(&empty, None), "http://127.0.0.1:8080");
    }

    #[test]
    fn no_key_anywhere_is_a_usage_error() {
        let (_dir, env) = environment(Some("account:\n  org: acme\n"));
        assert!(matches!(ClientSettings::new(None, None, env).api_key(), Err(CliError::NoKey)));
    }

    #[test]
    fn a_malformed_key_names_its_source() {
        let (_dir, mut env) = environment(Some("account:\n  token: mci_org_short\n"));
        let path = env.config_path().unwrap();
        let error = ClientSettings::new(None, None, env.clone()).api_key().unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("the API key from {} is malformed: the key has the wrong length", path.display())
        );
        env.api_key = Some("ghp_abc".into());
        let error = ClientSettings::new(None, None, env).api_key().unwrap_err();
        assert!(error.to_string().starts_with("the API key from MONKEYCI_API_KEY is malformed: "), "{error}");
    }

    #[test]
    fn login_takes_its_key_from_the_flag_or_the_environment_never_the_file() {
        let (_dir, mut env) = environment(Some(&format!("account:\n  token: {}\n", token(KeyKind::User))));
        assert_eq!(ClientSettings::new(None, None, env.clone()).given_api_key(), None);
        let key = token(KeyKind::User);
        env.api_key = Some(key.clone());
        assert_eq!(ClientSettings::new(None, None, env).given_api_key().unwrap().value, key);
    }

    #[test]
    fn the_file_is_not_read_when_flags_and_environment_say_everything() {
        let (_dir, mut env) = environment(Some("account: [unclosed\n"));
        env.url = Some("http://ci.example".into());
        let settings = ClientSettings::new(Some(token(KeyKind::User)), None, env);
        assert!(settings.api_key().is_ok());
        assert!(settings.url().is_ok());
        assert_eq!(settings.owner(None, true).unwrap(), KeysOf::User);
        assert!(settings.owner(None, false).unwrap_err().to_string().contains("is not valid (line 1)"));
    }

    #[test]
    fn the_owner_is_the_flag_or_the_files_organization() {
        let (_dir, env) = environment(Some("account:\n  org: acme\n"));
        let settings = ClientSettings::new(None, None, env);
        let org = |slug: &str| KeysOf::Org(OrgSlug::parse(slug).unwrap());
        assert_eq!(settings.owner(Some("bolt"), false).unwrap(), org("bolt"));
        assert_eq!(settings.owner(None, true).unwrap(), KeysOf::User);
        assert_eq!(settings.owner(None, false).unwrap(), org("acme"));
        let error = settings.owner(Some("Bolt Labs"), false).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(
            error.to_string().starts_with("the organization “Bolt Labs” from --org is not valid: "),
            "{error}"
        );
        let (_dir, empty) = environment(None);
        let error = ClientSettings::new(None, None, empty).owner(None, false).unwrap_err();
        assert_eq!((error.to_string().as_str(), error.exit_code()), ("choose --org SLUG or --user", 2));
    }
}
