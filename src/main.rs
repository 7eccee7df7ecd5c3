use clap::Parser;
use monkeyci_accounts::config::{Cli, Settings};
use monkeyci_accounts::startup::Application;
use monkeyci_accounts::telemetry;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let _log_writer = telemetry::init();
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let settings = Settings::from_cli(Cli::parse())?;
    let app = Application::build(settings).await?;
    tracing::info!(
        "MonkeyCI accounts listening on {} (open {})",
        app.addrs().iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "),
        app.public_url()
    );
    app.run_until_stopped().await?;
    Ok(())
}
