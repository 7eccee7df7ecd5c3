//! What a key may do, as the Add form asks it and the list and the one-time
//! dialog say it: its permissions (a preset, or a level per resource), for a
//! user key the organizations it reaches, and the networks it may be used from
//! (SPEC §2 "Permissions", "Reach of user keys", "Allowed networks").
//!
//! The form works without scripts: the custom table is always in the page and
//! CSS shows it while "Custom" is checked. Whatever is posted becomes a scope
//! string, a [`ReachChoice`] and the networks' text; the service checks them.

use serde::Deserialize;

use crate::db::api_keys::ApiKey;
use crate::domain::api_key::{Level, Preset, Resource, Scope};
use crate::services::api_keys::ReachChoice;

/// The Add form as posted. Read from its pairs, as checkboxes repeat a name
/// (`orgs=acme&orgs=bolt`).
#[derive(Debug, Default, Deserialize)]
#[serde(from = "Vec<(String, String)>")]
pub struct CreateForm {
    pub description: String,
    pub valid_until: String,
    /// The preset's name (`run_builds`, …, `custom`); empty when not sent.
    pub permissions: String,
    /// The custom table's levels as sent (`level_repos=read`), by resource.
    pub levels: Vec<(Resource, String)>,
    /// `all` or `only`; empty when not sent.
    pub reach: String,
    /// The slugs of the organizations checked under "Only these organizations".
    pub orgs: Vec<String>,
    pub allowed_networks: String,
}

/// The custom table's field for a resource: `level_repos`.
pub fn level_field(resource: Resource) -> String {
    format!("level_{}", resource.name())
}

impl From<Vec<(String, String)>> for CreateForm {
    fn from(pairs: Vec<(String, String)>) -> CreateForm {
        let mut form = CreateForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "description" => form.description = value,
                "valid_until" => form.valid_until = value,
                "permissions" => form.permissions = value,
                "reach" => form.reach = value,
                "orgs" => form.orgs.push(value),
                "allowed_networks" => form.allowed_networks = value,
                other => {
                    if let Some(resource) = Resource::ALL.into_iter().find(|r| level_field(*r) == other) {
                        form.levels.retain(|(seen, _)| *seen != resource);
                        form.levels.push((resource, value));
                    }
                }
            }
        }
        form
    }
}

impl CreateForm {
    /// The chosen preset: Run builds when none was sent (the form's default).
    /// `None` for a name that is no preset.
    pub fn preset(&self) -> Option<Preset> {
        match self.permissions.trim() {
            "" => Some(Preset::RunBuilds),
            name => Preset::from_name(name),
        }
    }

    /// The scope string the service is asked for: the preset's, or the custom
    /// table's levels (a level that is none of none/read/write is passed on, for
    /// the service's message). An unknown preset asks for nothing, which the
    /// service refuses with "Choose at least one permission."
    pub fn scope_string(&self) -> String {
        match self.preset() {
            Some(Preset::Custom) => self
                .levels
                .iter()
                .filter_map(|(resource, raw)| {
                    let raw = raw.trim();
                    match raw {
                        "" | "none" => None,
                        // One word, so a level cannot smuggle in another resource.
                        _ if raw.contains(|c: char| c.is_whitespace() || c == ':') => Some(format!(
                            "{}:{}",
                            resource.name(),
                            raw.replace(|c: char| c.is_whitespace() || c == ':', "_")
                        )),
                        _ => Some(format!("{}:{raw}", resource.name())),
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
            Some(preset) => preset.scope().map(|scope| scope.to_string()).unwrap_or_default(),
            None => String::new(),
        }
    }

    /// The chosen reach of a user key: all organizations unless "only" was chosen.
    pub fn reach_choice(&self) -> ReachChoice {
        if self.reach_only() { ReachChoice::Only(self.orgs.clone()) } else { ReachChoice::AllOrgs }
    }

    pub fn reach_only(&self) -> bool {
        self.reach.trim() == "only"
    }

    /// The custom table's levels to show again: as sent, or Run builds' when the
    /// table was not sent at all. A level that is not one shows as none.
    pub fn custom_levels(&self) -> Scope {
        if self.levels.is_empty() {
            return Scope::run_builds();
        }
        self.levels.iter().fold(Scope::none(), |scope, (resource, raw)| {
            scope.with(*resource, Level::from_name(raw.trim()).unwrap_or_default())
        })
    }
}

/// A key's permissions in words: the preset's label ("Run builds") and what
/// they allow ("read repositories, start builds, read parameters").
pub fn permissions_in_words(scope: &Scope) -> (&'static str, String) {
    let words = scope.in_words();
    let details = words.split_once(": ").map(|(_, details)| details.to_string()).unwrap_or(words);
    (scope.preset().label(), details)
}

/// What the list and the one-time dialog say a key may do.
pub struct AccessView {
    /// "Run builds", "Read only", "Full access" or "Custom".
    pub label: &'static str,
    /// What it allows: "read repositories, start builds, read parameters".
    pub words: String,
    /// For a user key: "All my organizations", the organizations' names, or
    /// "No organization" (all that were chosen were left).
    pub reach: Option<String>,
    /// The same as the list's row says it, after the permissions: "in all my
    /// organizations", "in Acme Corp, Bolt Labs", "in no organization".
    pub reach_phrase: Option<String>,
    /// The networks it may be used from, when it has a list.
    pub networks: Option<String>,
}

pub const ALL_MY_ORGS: &str = "All my organizations";

impl AccessView {
    /// `reach_names`: the names of the organizations a restricted user key reaches.
    pub fn of(key: &ApiKey, reach_names: &[String]) -> AccessView {
        let (label, words) = permissions_in_words(&key.scope);
        let reach = key.user_id.map(|_| {
            if key.reaches_all_orgs {
                (ALL_MY_ORGS.to_string(), "in all my organizations".to_string())
            } else if reach_names.is_empty() {
                ("No organization".to_string(), "in no organization".to_string())
            } else {
                (reach_names.join(", "), format!("in {}", reach_names.join(", ")))
            }
        });
        let (reach, reach_phrase) = reach.unzip();
        let networks = match key.allowed_networks() {
            Ok(Some(networks)) => Some(networks.to_strings().join(", ")),
            Ok(None) => None,
            Err(_) => Some("(unreadable: the key is refused)".to_string()),
        };
        AccessView { label, words, reach, reach_phrase, networks }
    }
}

/// A preset of the Add form.
pub struct PresetChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub words: String,
    pub checked: bool,
}

/// One level of a row of the custom table.
pub struct LevelChoice {
    pub value: &'static str,
    /// "None", "Read", "Write".
    pub label: &'static str,
    /// What it allows, for the radio's accessible name ("start builds"); empty for none.
    pub words: &'static str,
    pub checked: bool,
}

/// A row of the custom table: a resource and its three levels.
pub struct CustomRow {
    pub field: String,
    pub label: &'static str,
    pub levels: Vec<LevelChoice>,
}

/// An organization of the user, as a checkbox of the reach.
pub struct OrgChoice {
    pub slug: String,
    pub name: String,
    pub checked: bool,
}

/// The reach fieldset of a user key.
pub struct ReachView {
    pub only: bool,
    pub orgs: Vec<OrgChoice>,
}

/// The presets, `checked` checked. `holder` names who the key acts for, as
/// full access is said: "you", "an admin of this organization".
pub fn preset_choices(checked: Option<Preset>, holder: &str) -> Vec<PresetChoice> {
    Preset::ALL
        .into_iter()
        .map(|preset| PresetChoice {
            value: preset.name(),
            label: preset.label(),
            words: match preset {
                Preset::FullAccess => format!("Everything {holder} may do."),
                Preset::Custom => "Choose a level for each resource below.".to_string(),
                _ => {
                    format!("{}.", capitalized(&permissions_in_words(&preset.scope().unwrap_or_default()).1))
                }
            },
            checked: Some(preset) == checked,
        })
        .collect()
}

pub fn custom_rows(levels: &Scope) -> Vec<CustomRow> {
    Resource::ALL
        .into_iter()
        .map(|resource| CustomRow {
            field: level_field(resource),
            label: resource.label(),
            levels: Level::ALL
                .into_iter()
                .map(|level| LevelChoice {
                    value: level.name(),
                    label: level_label(level),
                    words: resource.allows_in_words(level).unwrap_or_default(),
                    checked: levels.level(resource) == level,
                })
                .collect(),
        })
        .collect()
}

fn level_label(level: Level) -> &'static str {
    match level {
        Level::None => "None",
        Level::Read => "Read",
        Level::Write => "Write",
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> CreateForm {
        CreateForm::from(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>())
    }

    #[test]
    fn a_preset_becomes_its_scope_and_no_choice_is_run_builds() {
        assert_eq!(form(&[]).scope_string(), "repos:read builds:write params:read");
        assert_eq!(form(&[("permissions", "read_only")]).scope_string(), Scope::read_only().to_string());
        assert_eq!(form(&[("permissions", "full_access")]).scope_string(), Scope::full_access().to_string());
        assert_eq!(form(&[("permissions", "everything")]).scope_string(), "");
    }

    #[test]
    fn the_custom_table_becomes_a_scope_string() {
        let custom = form(&[
            ("permissions", "custom"),
            ("level_repos", "read"),
            ("level_builds", "write"),
            ("level_org", "none"),
            ("level_nothing", "write"),
        ]);
        assert_eq!(custom.scope_string(), "repos:read builds:write");
        assert_eq!(custom.custom_levels(), Scope::parse("repos:read builds:write").unwrap());
        assert_eq!(form(&[("permissions", "custom"), ("level_org", "none")]).scope_string(), "");
        let smuggled = form(&[("permissions", "custom"), ("level_repos", "read keys:write")]);
        assert_eq!(smuggled.scope_string(), "repos:read_keys_write");
        assert_eq!(form(&[]).custom_levels(), Scope::run_builds(), "the table starts as Run builds");
    }

    #[test]
    fn the_reach_is_all_unless_only_is_chosen() {
        assert_eq!(form(&[("orgs", "acme")]).reach_choice(), ReachChoice::AllOrgs);
        assert_eq!(
            form(&[("reach", "only"), ("orgs", "acme"), ("orgs", "bolt")]).reach_choice(),
            ReachChoice::Only(vec!["acme".into(), "bolt".into()])
        );
        assert_eq!(form(&[("reach", "only")]).reach_choice(), ReachChoice::Only(vec![]));
    }

    #[test]
    fn permissions_read_as_a_label_and_words() {
        assert_eq!(
            permissions_in_words(&Scope::run_builds()),
            ("Run builds", "read repositories, start builds, read parameters".to_string())
        );
        assert_eq!(permissions_in_words(&Scope::full_access()).0, "Full access");
        assert_eq!(
            permissions_in_words(&Scope::parse("repos:read builds:write").unwrap()),
            ("Custom", "read repositories, start builds".to_string())
        );
    }
}
