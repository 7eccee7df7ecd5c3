//! What a key may do (SPEC §2 "Permissions"): for each resource of the platform a
//! level, none, read or write, where write includes read. Written as an OAuth-style
//! scope string, `repos:read builds:write params:read`, in one canonical order so
//! that equal scopes print the same.

use std::fmt;

/// The platform's resources, in the order scope strings and the screen list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    Org,
    Members,
    Keys,
    Repos,
    Builds,
    Params,
    SshKeys,
    Webhooks,
    Billing,
}

impl Resource {
    pub const ALL: [Resource; 9] = [
        Resource::Org,
        Resource::Members,
        Resource::Keys,
        Resource::Repos,
        Resource::Builds,
        Resource::Params,
        Resource::SshKeys,
        Resource::Webhooks,
        Resource::Billing,
    ];

    /// The name in scope strings.
    pub fn name(self) -> &'static str {
        match self {
            Resource::Org => "org",
            Resource::Members => "members",
            Resource::Keys => "keys",
            Resource::Repos => "repos",
            Resource::Builds => "builds",
            Resource::Params => "params",
            Resource::SshKeys => "ssh_keys",
            Resource::Webhooks => "webhooks",
            Resource::Billing => "billing",
        }
    }

    pub fn from_name(name: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|resource| resource.name() == name)
    }

    /// How the screen names it, in a table of resources.
    pub fn label(self) -> &'static str {
        match self {
            Resource::Org => "Organization",
            Resource::Members => "Members",
            Resource::Keys => "API keys",
            Resource::Repos => "Repositories",
            Resource::Builds => "Builds",
            Resource::Params => "Build parameters",
            Resource::SshKeys => "SSH keys",
            Resource::Webhooks => "Webhooks",
            Resource::Billing => "Billing",
        }
    }

    /// What a level allows, in words ("start builds"); `None` for no access.
    pub fn allows_in_words(self, level: Level) -> Option<&'static str> {
        let (read, write) = match self {
            Resource::Org => ("read the organization", "change the organization's settings"),
            Resource::Members => ("read members", "manage members and join requests"),
            Resource::Keys => ("read API keys", "create and revoke API keys"),
            Resource::Repos => ("read repositories", "change repositories"),
            Resource::Builds => ("read builds and logs", "start builds"),
            Resource::Params => ("read parameters", "change parameters"),
            Resource::SshKeys => ("read SSH keys", "change SSH keys"),
            Resource::Webhooks => ("read webhooks", "change webhooks"),
            Resource::Billing => ("read billing", "change billing"),
        };
        match level {
            Level::None => None,
            Level::Read => Some(read),
            Level::Write => Some(write),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How much of a resource a key may use. Ordered: write includes read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Level {
    #[default]
    None,
    Read,
    Write,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::None, Level::Read, Level::Write];

    pub fn name(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Read => "read",
            Level::Write => "write",
        }
    }

    pub fn from_name(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|level| level.name() == name)
    }
}

/// A key's permissions: one level per resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Scope {
    levels: [Level; 9],
}

/// Why a scope string is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("`{0}` is not a permission: write resource:level, e.g. builds:write")]
    Malformed(String),
    #[error("`{0}` is not a resource (one of: {list})", list = resource_list())]
    UnknownResource(String),
    #[error("`{0}` is not a level: use read or write")]
    UnknownLevel(String),
    #[error("{0} is given twice")]
    Repeated(&'static str),
    #[error("Choose at least one permission.")]
    Empty,
}

fn resource_list() -> String {
    Resource::ALL.map(Resource::name).join(", ")
}

/// The choices of the Add form. `Custom` is any scope that is none of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    RunBuilds,
    ReadOnly,
    FullAccess,
    Custom,
}

impl Preset {
    pub const ALL: [Preset; 4] = [Preset::RunBuilds, Preset::ReadOnly, Preset::FullAccess, Preset::Custom];

    pub fn label(self) -> &'static str {
        match self {
            Preset::RunBuilds => "Run builds",
            Preset::ReadOnly => "Read only",
            Preset::FullAccess => "Full access",
            Preset::Custom => "Custom",
        }
    }

    /// The name forms and the API use (`run_builds`).
    pub fn name(self) -> &'static str {
        match self {
            Preset::RunBuilds => "run_builds",
            Preset::ReadOnly => "read_only",
            Preset::FullAccess => "full_access",
            Preset::Custom => "custom",
        }
    }

    pub fn from_name(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|preset| preset.name() == name)
    }

    /// Its scope; `None` for `Custom`, which has no fixed one.
    pub fn scope(self) -> Option<Scope> {
        match self {
            Preset::RunBuilds => Some(Scope::run_builds()),
            Preset::ReadOnly => Some(Scope::read_only()),
            Preset::FullAccess => Some(Scope::full_access()),
            Preset::Custom => None,
        }
    }
}

impl Scope {
    /// No permission at all.
    pub fn none() -> Scope {
        Scope::default()
    }

    /// Write on every resource: what keys made before permissions existed keep.
    pub fn full_access() -> Scope {
        Scope { levels: [Level::Write; 9] }
    }

    /// What `monkeyci build` needs; the default for new keys.
    pub fn run_builds() -> Scope {
        Scope::none()
            .with(Resource::Repos, Level::Read)
            .with(Resource::Builds, Level::Write)
            .with(Resource::Params, Level::Read)
    }

    /// Read on every resource except build parameters and SSH keys (they hold secrets).
    pub fn read_only() -> Scope {
        let mut scope = Scope { levels: [Level::Read; 9] };
        scope.levels[Resource::Params.index()] = Level::None;
        scope.levels[Resource::SshKeys.index()] = Level::None;
        scope
    }

    #[must_use]
    pub fn with(mut self, resource: Resource, level: Level) -> Scope {
        self.levels[resource.index()] = level;
        self
    }

    /// Reads a scope string: `resource:level` words separated by spaces, each
    /// resource at most once; `none` may be written but adds nothing.
    pub fn parse(raw: &str) -> Result<Scope, ScopeError> {
        let mut scope = Scope::none();
        let mut seen = [false; 9];
        for word in raw.split_whitespace() {
            let (resource, level) =
                word.split_once(':').ok_or_else(|| ScopeError::Malformed(word.to_string()))?;
            let resource = Resource::from_name(resource)
                .ok_or_else(|| ScopeError::UnknownResource(resource.to_string()))?;
            let level = Level::from_name(level).ok_or_else(|| ScopeError::UnknownLevel(level.to_string()))?;
            if std::mem::replace(&mut seen[resource.index()], true) {
                return Err(ScopeError::Repeated(resource.name()));
            }
            scope.levels[resource.index()] = level;
        }
        Ok(scope)
    }

    /// A scope string for a new key: as [`Scope::parse`], and granting something.
    pub fn parse_granting(raw: &str) -> Result<Scope, ScopeError> {
        Scope::parse(raw).and_then(|scope| if scope.is_empty() { Err(ScopeError::Empty) } else { Ok(scope) })
    }

    pub fn level(&self, resource: Resource) -> Level {
        self.levels[resource.index()]
    }

    /// Whether the scope allows `level` on `resource` (write includes read).
    pub fn allows(&self, resource: Resource, level: Level) -> bool {
        self.level(resource) >= level
    }

    /// What both allow: the lower level of each resource.
    #[must_use]
    pub fn intersect(&self, other: &Scope) -> Scope {
        let mut levels = self.levels;
        for (mine, theirs) in levels.iter_mut().zip(other.levels) {
            *mine = (*mine).min(theirs);
        }
        Scope { levels }
    }

    pub fn is_empty(&self) -> bool {
        self.levels.iter().all(|level| *level == Level::None)
    }

    /// The preset it equals, or `Custom`.
    pub fn preset(&self) -> Preset {
        Preset::ALL.into_iter().find(|preset| preset.scope().as_ref() == Some(self)).unwrap_or(Preset::Custom)
    }

    /// Each resource with a level other than none, in canonical order.
    pub fn granted(&self) -> impl Iterator<Item = (Resource, Level)> + '_ {
        Resource::ALL
            .into_iter()
            .map(|resource| (resource, self.level(resource)))
            .filter(|(_, l)| *l != Level::None)
    }

    /// What the key may do, in words: "Run builds: read repositories, start builds,
    /// read parameters"; "No permissions" for an empty scope.
    pub fn in_words(&self) -> String {
        let parts: Vec<&str> =
            self.granted().filter_map(|(resource, level)| resource.allows_in_words(level)).collect();
        let what = if parts.is_empty() { "no permissions".to_string() } else { parts.join(", ") };
        match self.preset() {
            Preset::FullAccess => "Full access: everything its holder may do".to_string(),
            Preset::Custom => format!("Custom: {what}"),
            preset => format!("{}: {what}", preset.label()),
        }
    }
}

impl fmt::Display for Scope {
    /// The canonical scope string; empty for no permission.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (resource, level) in self.granted() {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            write!(f, "{}:{}", resource.name(), level.name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn any_scope() -> impl Strategy<Value = Scope> {
        prop::array::uniform9(prop::sample::select(Level::ALL.to_vec())).prop_map(|levels| Scope { levels })
    }

    fn any_resource() -> impl Strategy<Value = Resource> {
        prop::sample::select(Resource::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn a_scope_reads_back_what_it_prints(scope in any_scope()) {
            prop_assert_eq!(Scope::parse(&scope.to_string()), Ok(scope));
        }

        #[test]
        fn the_order_of_words_does_not_matter(scope in any_scope(), seed in any::<u64>()) {
            let mut words: Vec<String> = scope.to_string().split(' ').map(str::to_string).collect();
            let n = words.len();
            if n > 1 {
                words.rotate_left(usize::try_from(seed % n as u64).unwrap());
            }
            prop_assert_eq!(Scope::parse(&words.join("  ")), Ok(scope));
        }

        #[test]
        fn write_includes_read(scope in any_scope(), resource in any_resource()) {
            if scope.allows(resource, Level::Write) {
                prop_assert!(scope.allows(resource, Level::Read));
            }
            prop_assert!(scope.allows(resource, Level::None));
        }

        #[test]
        fn an_intersection_allows_only_what_both_allow(a in any_scope(), b in any_scope(), resource in any_resource()) {
            let both = a.intersect(&b);
            prop_assert_eq!(both, b.intersect(&a));
            for level in Level::ALL {
                prop_assert_eq!(both.allows(resource, level), a.allows(resource, level) && b.allows(resource, level));
            }
        }
    }

    #[test]
    fn the_presets_are_what_the_spec_says() {
        assert_eq!(Scope::run_builds().to_string(), "repos:read builds:write params:read");
        assert_eq!(
            Scope::read_only().to_string(),
            "org:read members:read keys:read repos:read builds:read webhooks:read billing:read"
        );
        assert_eq!(
            Scope::full_access().to_string(),
            "org:write members:write keys:write repos:write builds:write params:write ssh_keys:write \
             webhooks:write billing:write"
        );
        for preset in [Preset::RunBuilds, Preset::ReadOnly, Preset::FullAccess] {
            assert_eq!(preset.scope().unwrap().preset(), preset);
            assert_eq!(Preset::from_name(preset.name()), Some(preset));
        }
        assert_eq!(Scope::parse("builds:read").unwrap().preset(), Preset::Custom);
    }

    #[test]
    fn a_scope_is_said_in_words() {
        assert_eq!(
            Scope::run_builds().in_words(),
            "Run builds: read repositories, start builds, read parameters"
        );
        assert_eq!(Scope::full_access().in_words(), "Full access: everything its holder may do");
        assert_eq!(Scope::parse("keys:write").unwrap().in_words(), "Custom: create and revoke API keys");
        assert_eq!(Scope::none().in_words(), "Custom: no permissions");
    }

    #[test]
    fn bad_scope_strings_say_what_is_wrong() {
        let error = |raw: &str| Scope::parse(raw).unwrap_err().to_string();
        assert_eq!(error("builds"), "`builds` is not a permission: write resource:level, e.g. builds:write");
        assert!(
            error("deploys:write").starts_with("`deploys` is not a resource (one of: org, members, keys,")
        );
        assert_eq!(error("builds:admin"), "`admin` is not a level: use read or write");
        assert_eq!(error("builds:read builds:write"), "builds is given twice");
        assert_eq!(Scope::parse("  builds:none  "), Ok(Scope::none()));
    }
}
