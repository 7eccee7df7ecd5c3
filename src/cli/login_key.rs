//! Where `monkeyci login` takes the key it saves. A key typed as an argument lands
//! in shell history, so there are two ways around it: `--with-token` reads it from
//! standard input (as `gh auth login --with-token`), and with no key given at all a
//! terminal is asked for it without echo.
//!
//! In order: `--with-token` (standard input; hidden on a terminal), `--api-key`,
//! `MONKEYCI_API_KEY`, then the hidden question when standard input is a terminal.
//! Without a terminal and without a key, the message says what to pass.

use std::io::{self, BufRead, IsTerminal};

use super::error::CliError;
use super::inputs::TokenArgument;
use super::source::{Source, Sourced};

/// A key is 62 characters: more than this on the first line is not a key, and
/// `yes | monkeyci login --with-token` must not fill the memory.
const MAX_LINE: u64 = 4096;

const PROMPT: &str = "Paste the API key (input is hidden): ";

/// Standard input and the terminal, as `login` uses them; tests bring their own.
pub trait Console {
    /// Whether standard input is a terminal (a person typing), not a pipe or a file.
    fn input_is_terminal(&self) -> bool;
    /// The first line of standard input, with its line ending.
    fn read_line(&mut self) -> io::Result<String>;
    /// Asks on the terminal without echoing what is typed.
    fn ask_hidden(&mut self, prompt: &str) -> io::Result<String>;
}

/// The process's own standard input and terminal.
pub struct ProcessConsole;

impl Console for ProcessConsole {
    fn input_is_terminal(&self) -> bool {
        io::stdin().is_terminal()
    }

    fn read_line(&mut self) -> io::Result<String> {
        first_line(io::stdin().lock())
    }

    fn ask_hidden(&mut self, prompt: &str) -> io::Result<String> {
        rpassword::prompt_password(prompt)
    }
}

/// The first line of `input`, at most [`MAX_LINE`] bytes of it.
pub fn first_line(input: impl BufRead) -> io::Result<String> {
    let mut line = String::new();
    input.take(MAX_LINE).read_line(&mut line)?;
    Ok(line)
}

/// The key to log in with: `given` is `--api-key` or `MONKEYCI_API_KEY`, if set.
pub fn login_key(
    with_token: bool,
    given: Option<Sourced<String>>,
    console: &mut dyn Console,
) -> Result<TokenArgument, CliError> {
    if with_token {
        if let Some(Sourced { source: source @ Source::Flag(_), .. }) = &given {
            return Err(CliError::Usage(format!(
                "--with-token reads the key from standard input: leave out {source}"
            )));
        }
        let (read, source) = if console.input_is_terminal() {
            (console.ask_hidden(PROMPT), Source::Terminal)
        } else {
            (console.read_line(), Source::StandardInput)
        };
        let key = read.map_err(|e| CliError::Other(format!("cannot read the key from {source}: {e}")))?;
        return parse(&key, source, || {
            "--with-token read no key from standard input: pipe it in, e.g. \
             `monkeyci login --with-token < key.txt`"
                .into()
        });
    }
    if let Some(given) = given {
        return TokenArgument::parse(given);
    }
    if !console.input_is_terminal() {
        return Err(CliError::Usage(
            "no API key to log in with: pipe it in with --with-token (`monkeyci login --with-token < key.txt`), \
             pass --api-key <key>, or set MONKEYCI_API_KEY"
                .into(),
        ));
    }
    let key = console
        .ask_hidden(PROMPT)
        .map_err(|e| CliError::Other(format!("cannot read the key from the terminal: {e}")))?;
    parse(&key, Source::Terminal, || "no key was entered: nothing was saved".into())
}

/// The trimmed key; a blank one is the usage error `empty` describes.
fn parse(raw: &str, source: Source, empty: impl FnOnce() -> String) -> Result<TokenArgument, CliError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(CliError::Usage(empty()));
    }
    TokenArgument::parse(Sourced { value: value.to_string(), source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::settings::API_KEY_FLAG;
    use crate::domain::api_key::{KeyKind, generate};

    /// Standard input holding `input`; a terminal answers `typed` when asked.
    struct FakeConsole {
        terminal: bool,
        input: &'static [u8],
        typed: String,
        asked: usize,
    }

    impl FakeConsole {
        fn pipe(input: &'static [u8]) -> FakeConsole {
            FakeConsole { terminal: false, input, typed: String::new(), asked: 0 }
        }

        fn terminal(typed: &str) -> FakeConsole {
            FakeConsole { terminal: true, input: b"", typed: typed.into(), asked: 0 }
        }
    }

    impl Console for FakeConsole {
        fn input_is_terminal(&self) -> bool {
            self.terminal
        }

        fn read_line(&mut self) -> io::Result<String> {
            first_line(self.input)
        }

        fn ask_hidden(&mut self, prompt: &str) -> io::Result<String> {
            assert_eq!(prompt, PROMPT);
            self.asked += 1;
            Ok(self.typed.clone())
        }
    }

    fn token() -> String {
        generate(KeyKind::User).to_token_string()
    }

    fn leak(token: &str) -> &'static [u8] {
        Box::leak(token.to_string().into_boxed_str()).as_bytes()
    }

    #[test]
    fn with_token_takes_the_first_line_of_standard_input_trimmed() {
        let key = token();
        let input = leak(&format!("  {key}\r\nsecond line\n"));
        let parsed = login_key(true, None, &mut FakeConsole::pipe(input)).unwrap();
        assert_eq!((parsed.token(), &parsed.source), (key.as_str(), &Source::StandardInput));
    }

    #[test]
    fn with_token_beats_the_environment() {
        let key = token();
        let env = Sourced { value: token(), source: Source::Environment("MONKEYCI_API_KEY") };
        let parsed = login_key(true, Some(env), &mut FakeConsole::pipe(leak(&key))).unwrap();
        assert_eq!(parsed.token(), key);
    }

    #[test]
    fn with_token_and_api_key_exclude_each_other() {
        let flag = Sourced { value: token(), source: Source::Flag(API_KEY_FLAG) };
        let error = login_key(true, Some(flag), &mut FakeConsole::pipe(b"")).unwrap_err();
        assert_eq!(
            (error.to_string().as_str(), error.exit_code()),
            ("--with-token reads the key from standard input: leave out --api-key", 2)
        );
    }

    #[test]
    fn with_token_and_empty_input_is_a_usage_error() {
        for input in [&b""[..], b"\n", b"   \nmci_usr_x\n"] {
            let error = login_key(true, None, &mut FakeConsole::pipe(input)).unwrap_err();
            assert_eq!(error.exit_code(), 2);
            assert!(error.to_string().starts_with("--with-token read no key from standard input"), "{error}");
        }
    }

    #[test]
    fn a_malformed_key_on_standard_input_is_named_by_its_source() {
        let error = login_key(true, None, &mut FakeConsole::pipe(b"mci_usr_short\n")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the API key from standard input is malformed: the key has the wrong length"
        );
    }

    #[test]
    fn with_token_on_a_terminal_asks_without_echo() {
        let key = token();
        let mut console = FakeConsole::terminal(&key);
        let parsed = login_key(true, None, &mut console).unwrap();
        assert_eq!((parsed.token(), console.asked), (key.as_str(), 1));
    }

    #[test]
    fn a_given_key_is_used_without_asking() {
        let key = token();
        let mut console = FakeConsole::terminal("");
        let given = Sourced { value: key.clone(), source: Source::Flag(API_KEY_FLAG) };
        assert_eq!(login_key(false, Some(given), &mut console).unwrap().token(), key);
        assert_eq!(console.asked, 0);
    }

    #[test]
    fn without_a_key_a_terminal_is_asked_and_a_pipe_is_told_what_to_pass() {
        let key = token();
        let mut console = FakeConsole::terminal(&format!("{key}\n"));
        let parsed = login_key(false, None, &mut console).unwrap();
        assert_eq!((parsed.token(), &parsed.source), (key.as_str(), &Source::Terminal));

        let error = login_key(false, None, &mut FakeConsole::terminal(" ")).unwrap_err();
        assert_eq!(
            (error.to_string().as_str(), error.exit_code()),
            ("no key was entered: nothing was saved", 2)
        );

        let error = login_key(false, None, &mut FakeConsole::pipe(leak(&key))).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().starts_with("no API key to log in with: pipe it in with --with-token"));
    }

    #[test]
    fn only_the_first_bytes_of_an_endless_line_are_read() {
        let endless = io::repeat(b'y');
        assert_eq!(first_line(io::BufReader::new(endless)).unwrap().len(), 4096);
    }
}
