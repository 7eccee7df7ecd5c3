//! A key named on the command line (`keys revoke KEY`, `keys roll KEY`), in any form a person has
//! at hand: the 16-character id, the hint as the keys screen and `keys list` show it
//! (`mci_org_3fKx…`, or with `...`), or the whole token, of which only the public
//! id is used. The input is never repeated in a message: it could be a whole token.

use super::error::CliError;
use super::settings::KeysOf;
use crate::api::model::ApiKeyInfo;
use crate::domain::api_key::token::PREFIX_LEN;
use crate::domain::api_key::{KeyKind, ParsedToken, PublicId};

/// The four characters of the id that a hint shows.
const HINT_LEN: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// The public id, given as itself or taken from a whole token.
    Id { id: PublicId, kind: Option<KeyKind> },
    /// `mci_org_3fKx…`: the key of the owner whose id starts with `start`, if only one does.
    Hint { kind: KeyKind, start: String },
}

impl KeyRef {
    pub fn parse(raw: &str) -> Result<KeyRef, CliError> {
        let raw = raw.trim();
        if let Some(id) = PublicId::parse(raw) {
            return Ok(KeyRef::Id { id, kind: None });
        }
        if let Ok(token) = ParsedToken::parse(raw) {
            return Ok(KeyRef::Id { id: token.public_id, kind: Some(token.kind) });
        }
        parse_hint(raw).ok_or_else(|| {
            CliError::Usage(
                "name the key by its 16-character id, its hint as `monkeyci keys list` and the keys screen \
                 show it (mci_org_3fKx…), or the whole key"
                    .into(),
            )
        })
    }

    /// Refuses a key of the other kind than `owner`'s keys, before any request.
    pub fn check_owner(&self, owner: &KeysOf) -> Result<(), CliError> {
        let kind = match self {
            KeyRef::Id { kind: Some(kind), .. } | KeyRef::Hint { kind, .. } => *kind,
            KeyRef::Id { kind: None, .. } => return Ok(()),
        };
        match (kind, owner) {
            (KeyKind::User, KeysOf::Org(slug)) => Err(CliError::Usage(format!(
                "that is a user key (mci_usr_…), not one of the organization {slug}: pass --user"
            ))),
            (KeyKind::Organization, KeysOf::User) => Err(CliError::Usage(
                "that is an organization key (mci_org_…), not one of your user keys: pass --org SLUG".into(),
            )),
            _ => Ok(()),
        }
    }

    /// The id, when the command line gave it (no list needed).
    pub fn id(&self) -> Option<&PublicId> {
        match self {
            KeyRef::Id { id, .. } => Some(id),
            KeyRef::Hint { .. } => None,
        }
    }

    /// The one key among `keys` (the owner's whole list) that the hint names.
    pub fn find_in(&self, keys: &[ApiKeyInfo], owner: &KeysOf) -> Result<PublicId, CliError> {
        let (kind, start) = match self {
            KeyRef::Id { id, .. } => return Ok(id.clone()),
            KeyRef::Hint { kind, start } => (*kind, start),
        };
        let hint = format!("{}{start}…", kind.prefix());
        let mut matching: Vec<&str> =
            keys.iter().map(|key| key.id.as_str()).filter(|id| id.starts_with(start.as_str())).collect();
        matching.sort_unstable();
        let (keys_of, list) = match owner {
            KeysOf::Org(slug) => (format!("the organization {slug}'s keys"), format!("--org {slug}")),
            KeysOf::User => ("your user keys".to_string(), "--user".to_string()),
        };
        match matching.as_slice() {
            [] => Err(CliError::Server(format!(
                "none of {keys_of} has the hint {hint}: see `monkeyci keys list {list}`"
            ))),
            [id] => PublicId::parse(id).ok_or_else(|| {
                CliError::Other(format!("the server listed a key id that is not one: {}", id.escape_debug()))
            }),
            ids => Err(CliError::Usage(format!(
                "the hint {hint} matches {} of {keys_of} ({}): pass the 16-character id instead",
                ids.len(),
                ids.join(", ")
            ))),
        }
    }
}

/// `mci_org_` or `mci_usr_`, four base62 characters, then `…` or `...`.
fn parse_hint(raw: &str) -> Option<KeyRef> {
    let kind =
        [KeyKind::Organization, KeyKind::User].into_iter().find(|kind| raw.starts_with(kind.prefix()))?;
    let rest = &raw[PREFIX_LEN..];
    let start = rest.strip_suffix('…').or_else(|| rest.strip_suffix("..."))?;
    (start.len() == HINT_LEN && start.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| KeyRef::Hint { kind, start: start.to_string() })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::domain::api_key::generate;
    use crate::domain::organization::OrgSlug;

    fn acme() -> KeysOf {
        KeysOf::Org(OrgSlug::parse("acme").unwrap())
    }

    fn hint(kind: KeyKind, start: &str) -> KeyRef {
        KeyRef::Hint { kind, start: start.into() }
    }

    fn listed(id: &str) -> ApiKeyInfo {
        ApiKeyInfo {
            id: id.into(),
            kind: "organization".into(),
            hint: format!("mci_org_{}…", &id[..4]),
            description: "Deploy bot".into(),
            valid_until: None,
            status: "active".into(),
            created_at: Utc::now(),
            created_by: None,
            created_by_key: None,
            last_used_at: None,
            scope: "repos:read builds:write params:read".into(),
            orgs: None,
            allowed_networks: None,
            revoked_at: None,
            revoked_reason: None,
            rolled_from: None,
            rolled_to: None,
        }
    }

    #[test]
    fn an_id_is_sixteen_base62_characters() {
        let id = PublicId::parse("3fKxQ9a0LmP2sT7v").unwrap();
        assert_eq!(KeyRef::parse(" 3fKxQ9a0LmP2sT7v ").unwrap(), KeyRef::Id { id, kind: None });
    }

    #[test]
    fn a_hint_is_read_with_the_ellipsis_or_three_dots() {
        assert_eq!(KeyRef::parse("mci_org_zaMQ…").unwrap(), hint(KeyKind::Organization, "zaMQ"));
        assert_eq!(KeyRef::parse("mci_usr_zaMQ...").unwrap(), hint(KeyKind::User, "zaMQ"));
    }

    #[test]
    fn a_whole_token_gives_its_public_id() {
        let token = generate(KeyKind::Organization);
        assert_eq!(
            KeyRef::parse(&token.to_token_string()).unwrap(),
            KeyRef::Id { id: token.public_id.clone(), kind: Some(KeyKind::Organization) }
        );
    }

    #[test]
    fn anything_else_is_a_usage_error_that_does_not_repeat_it() {
        let token = generate(KeyKind::User).to_token_string();
        // A different last character: the checksum no longer matches.
        let last = if token.ends_with('x') { 'y' } else { 'x' };
        let typo = format!("{}{last}", &token[..token.len() - 1]);
        for bad in
            ["", "3fKx", "3fKxQ9a0LmP2sT7v0", "3fKxQ9a0LmP2sT7-", "mci_org_zaMQ", "mci_org_zaM…", "ghp_zaMQ…"]
                .into_iter()
                .chain([typo.as_str()])
        {
            let error = KeyRef::parse(bad).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad}");
            assert!(!error.to_string().contains(&typo[8..]), "{error}");
        }
    }

    #[test]
    fn a_key_of_the_other_kind_is_refused_before_any_request() {
        assert!(hint(KeyKind::Organization, "zaMQ").check_owner(&acme()).is_ok());
        let error = hint(KeyKind::User, "zaMQ").check_owner(&acme()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "that is a user key (mci_usr_…), not one of the organization acme: pass --user"
        );
        let error = hint(KeyKind::Organization, "zaMQ").check_owner(&KeysOf::User).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        let id = KeyRef::parse("3fKxQ9a0LmP2sT7v").unwrap();
        assert!(id.check_owner(&KeysOf::User).is_ok() && id.check_owner(&acme()).is_ok());
    }

    #[test]
    fn a_hint_names_the_one_key_that_starts_so() {
        let keys = [listed("zaMQ000000000000"), listed("zaMq000000000001"), listed("abcd000000000002")];
        let found = hint(KeyKind::Organization, "zaMQ").find_in(&keys, &acme()).unwrap();
        assert_eq!(found.as_str(), "zaMQ000000000000", "case matters");
    }

    #[test]
    fn an_ambiguous_hint_lists_the_ids_and_an_unknown_one_says_so() {
        let keys = [listed("zaMQ000000000000"), listed("zaMQ000000000001")];
        let error = hint(KeyKind::Organization, "zaMQ").find_in(&keys, &acme()).unwrap_err();
        assert_eq!(
            (error.to_string().as_str(), error.exit_code()),
            (
                "the hint mci_org_zaMQ… matches 2 of the organization acme's keys (zaMQ000000000000, \
                 zaMQ000000000001): pass the 16-character id instead",
                2
            )
        );
        let error = hint(KeyKind::User, "nope").find_in(&keys, &KeysOf::User).unwrap_err();
        assert_eq!(
            (error.to_string().as_str(), error.exit_code()),
            ("none of your user keys has the hint mci_usr_nope…: see `monkeyci keys list --user`", 1)
        );
    }
}
