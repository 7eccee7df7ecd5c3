use clap::Parser;
use monkeyci_accounts::config::{DatabaseTarget, ServerArgs, ServerCommand, Settings};
use monkeyci_accounts::startup::Application;
use monkeyci_accounts::{db, telemetry};
use secrecy::ExposeSecret;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let args = ServerArgs::parse();
    let _log_writer = telemetry::init(args.log_format);
    let outcome = match args.command {
        Some(ServerCommand::Migrate) => migrate(&args).await,
        None => serve(args).await,
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServerArgs) -> anyhow::Result<()> {
    let settings = Settings::from_args(args)?;
    let app = Application::build(settings).await?;
    tracing::info!(
        "MonkeyCI accounts listening on {} (open {})",
        app.addrs().iter().map(std::string::ToString::to_string).collect::<Vec<_>>().join(", "),
        app.public_url()
    );
    if let Some(addr) = app.metrics_addr() {
        tracing::info!("Prometheus metrics at http://{addr}/metrics");
    }
    app.run_until_stopped().await?;
    Ok(())
}

/// `monkeyci-server migrate`: only `DATABASE_URL` is read.
async fn migrate(args: &ServerArgs) -> anyhow::Result<()> {
    let target = DatabaseTarget::parse(args.database_url.expose_secret())?;
    let applied = actix_web::rt::task::spawn_blocking(move || db::operations::migrate(&target)).await??;
    match applied.as_slice() {
        [] => tracing::info!("the database is up to date: no migration to apply"),
        names => tracing::info!(count = names.len(), applied = names.join(", "), "migrations applied"),
    }
    Ok(())
}
