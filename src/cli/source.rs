//! Where a setting's value came from, so that messages can name it.

use std::fmt;
use std::path::PathBuf;

/// Where a value came from, as messages name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Environment(&'static str),
    File(PathBuf),
    /// `login --with-token`: the first line of standard input.
    StandardInput,
    /// `login` asked for it on the terminal.
    Terminal,
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(name) | Source::Environment(name) => f.write_str(name),
            Source::File(path) => write!(f, "{}", path.display()),
            Source::StandardInput => f.write_str("standard input"),
            Source::Terminal => f.write_str("the terminal"),
            Source::Default => f.write_str("the default"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}
