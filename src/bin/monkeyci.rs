//! The `monkeyci` command-line client: everything lives in `monkeyci_accounts::cli`.

fn main() -> std::process::ExitCode {
    monkeyci_accounts::cli::main()
}
