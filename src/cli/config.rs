//! The user's config file, `$XDG_CONFIG_HOME/monkeyci/config.yaml` (or
//! `~/.config/monkeyci/config.yaml`), which `monkeyci login` writes:
//!
//! ```yaml
//! account:
//!   token: mci_usr_…
//!   url: https://monkeyci.example.com
//!   org: acme
//! ```
//!
//! It holds an API key, so it is written with mode 0600 in a directory with mode
//! 0700, and atomically: a reader sees the old file or the new one, never half.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::CliError;

const HEADER: &str = "# Written by `monkeyci login`. It holds an API key: keep it private (mode 0600).\n";

/// `$XDG_CONFIG_HOME/monkeyci/config.yaml` when `XDG_CONFIG_HOME` is set and absolute
/// (the XDG rule: a relative value is ignored), else `$HOME/.config/monkeyci/config.yaml`;
/// `None` when neither is usable.
pub fn config_path(xdg_config_home: Option<&Path>, home: Option<&Path>) -> Option<PathBuf> {
    let base = match xdg_config_home.filter(|dir| dir.is_absolute()) {
        Some(dir) => dir.to_path_buf(),
        None => home.filter(|dir| !dir.as_os_str().is_empty())?.join(".config"),
    };
    Some(base.join("monkeyci").join("config.yaml"))
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
}

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
}

/// Never shows the token.
impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("token", &self.token.as_ref().map(|_| "…"))
            .field("url", &self.url)
            .field("org", &self.org)
            .finish()
    }
}

impl ConfigFile {
    pub fn account(&self) -> Account {
        self.account.clone().unwrap_or_default()
    }
}

/// Reads the file; `None` when there is none.
pub fn load(path: &Path) -> Result<Option<ConfigFile>, CliError> {
    match fs::read_to_string(path) {
        Ok(text) => parse(path, &text).map(Some),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CliError::Other(format!("cannot read the config file {}: {e}", path.display()))),
    }
}

/// The file's contents; an error names the file and the line.
pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, CliError> {
    if text.lines().all(|line| line.trim().is_empty() || line.trim_start().starts_with('#')) {
        return Ok(ConfigFile::default());
    }
    serde_yaml_ng::from_str(text).map_err(|e| {
        let place = e.location().map(|at| format!(" (line {})", at.line())).unwrap_or_default();
        CliError::Other(format!("the config file {} is not valid{place}: {e}", path.display()))
    })
}

/// Replaces the file atomically: a private temporary file in the same directory,
/// then a rename over the old one.
pub fn save(path: &Path, config: &ConfigFile) -> Result<(), CliError> {
    let failed =
        |e: io::Error| CliError::Other(format!("cannot write the config file {}: {e}", path.display()));
    let yaml = serde_yaml_ng::to_string(config).map_err(|e| failed(io::Error::other(e)))?;
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(failed)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", crate::random::unique_name()));
    let written =
        write_private(&temp, format!("{HEADER}{yaml}").as_bytes()).and_then(|()| fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(failed(e));
    }
    // Makes the rename itself durable; a failure here loses nothing already written.
    let _ = fs::File::open(dir).and_then(|d| d.sync_all());
    Ok(())
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(token: Option<&str>, url: Option<&str>, org: Option<&str>) -> Account {
        Account { token: token.map(Into::into), url: url.map(Into::into), org: org.map(Into::into) }
    }

    #[test]
    fn an_absolute_xdg_config_home_wins_over_home() {
        let path = config_path(Some(Path::new("/xdg")), Some(Path::new("/home/alice")));
        assert_eq!(path, Some(PathBuf::from("/xdg/monkeyci/config.yaml")));
    }

    #[test]
    fn a_relative_or_missing_xdg_config_home_falls_back_to_home() {
        let expected = Some(PathBuf::from("/home/alice/.config/monkeyci/config.yaml"));
        assert_eq!(config_path(Some(Path::new("relative/dir")), Some(Path::new("/home/alice"))), expected);
        assert_eq!(config_path(Some(Path::new("")), Some(Path::new("/home/alice"))), expected);
        assert_eq!(config_path(None, Some(Path::new("/home/alice"))), expected);
    }

    #[test]
    fn without_home_or_xdg_config_home_there_is_no_config_file() {
        assert_eq!(config_path(None, None), None);
        assert_eq!(config_path(Some(Path::new("relative")), Some(Path::new(""))), None);
    }

    #[test]
    fn every_field_is_optional() {
        let path = Path::new("/c.yaml");
        assert_eq!(parse(path, "").unwrap(), ConfigFile::default());
        assert_eq!(parse(path, "# nothing yet\n").unwrap(), ConfigFile::default());
        assert_eq!(parse(path, "account:\n").unwrap(), ConfigFile::default());
        let file = parse(path, "account:\n  org: acme\nother: 1\n").unwrap();
        assert_eq!(file.account(), account(None, None, Some("acme")));
    }

    #[test]
    fn a_malformed_file_is_named_with_its_line() {
        let path = Path::new("/home/alice/.config/monkeyci/config.yaml");
        let error = parse(path, "account:\n  token: a\n   url: [\n").unwrap_err().to_string();
        assert!(
            error.starts_with("the config file /home/alice/.config/monkeyci/config.yaml is not valid (line "),
            "{error}"
        );
        let error = parse(path, "account:\n  org: [1, 2]\n").unwrap_err().to_string();
        assert!(error.contains("(line 2)"), "{error}");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let shown = format!("{:?}", account(Some("mci_usr_secret"), None, None));
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn a_saved_file_reads_back_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("monkeyci").join("config.yaml");
        let config =
            ConfigFile { account: Some(account(Some("mci_usr_x"), Some("https://ci.example"), None)) };
        save(&path, &config).unwrap();
        assert_eq!(load(&path).unwrap(), Some(config.clone()));
        save(&path, &config).unwrap();
        let names: Vec<_> =
            fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["config.yaml"], "no temporary file is left behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        }
    }

    #[test]
    fn a_missing_file_is_no_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(&dir.path().join("config.yaml")).unwrap(), None);
    }
}
