//! Stopping without dropping anyone: SIGTERM (an orchestrator) and SIGINT
//! (Ctrl-C) end the server in steps, so that no request it accepted is cut.
//!
//! 1. *Draining*: `/readyz` answers 503 and every response closes its
//!    connection, while the server goes on accepting and serving, for
//!    `MONKEYCI_SHUTDOWN_DELAY` (SIGTERM only): load balancers take the
//!    instance out of rotation, and keep-alive clients learn not to send another
//!    request on a connection that is about to close.
//! 2. *Stopping*: the listeners close; requests in flight get up to
//!    `MONKEYCI_SHUTDOWN_TIMEOUT` to finish.
//! 3. Background work stops (see `Application::run_until_stopped`), the process
//!    exits 0.
//!
//! A second signal during steps 1–2 skips what is left of them.

use tokio::sync::mpsc;

use crate::config::ShutdownSettings;
pub use crate::web::draining::Draining;

/// How a stop was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopRequest {
    /// SIGTERM: drain for the configured delay, then stop.
    Graceful,
    /// SIGINT: a person at a terminal; stop accepting at once, still finishing
    /// requests in flight.
    Prompt,
}

/// Asks a running `Application` to stop, as a signal would (tests use it).
#[derive(Debug, Clone)]
pub struct StopHandle(mpsc::UnboundedSender<StopRequest>);

impl StopHandle {
    pub fn stop(&self, request: StopRequest) {
        // Nobody listens once the server has stopped: nothing left to do.
        let _ = self.0.send(request);
    }
}

/// Where stop requests arrive, from a `StopHandle` and, once `listen_for_signals`
/// ran, from the process's signals.
pub struct StopRequests {
    sender: mpsc::UnboundedSender<StopRequest>,
    receiver: mpsc::UnboundedReceiver<StopRequest>,
}

impl StopRequests {
    pub fn new() -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        StopRequests { sender, receiver }
    }

    pub fn handle(&self) -> StopHandle {
        StopHandle(self.sender.clone())
    }

    /// SIGTERM and SIGINT become stop requests (instead of ending the process).
    pub fn listen_for_signals(&self) -> std::io::Result<()> {
        use tokio::signal::unix::{SignalKind, signal};
        for (kind, request) in
            [(SignalKind::terminate(), StopRequest::Graceful), (SignalKind::interrupt(), StopRequest::Prompt)]
        {
            let mut signals = signal(kind)?;
            let handle = self.handle();
            actix_web::rt::spawn(async move {
                while signals.recv().await.is_some() {
                    handle.stop(request);
                }
            });
        }
        Ok(())
    }

    async fn next(&mut self) -> StopRequest {
        // `self` holds a sender, so the channel never closes.
        self.receiver.recv().await.unwrap_or(StopRequest::Prompt)
    }
}

impl Default for StopRequests {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs `server` until a stop request, then stops it in the steps above.
/// Returns once the server has stopped (it may also stop by itself).
pub async fn serve_until_stopped(
    server: actix_web::dev::Server,
    mut requests: StopRequests,
    draining: Draining,
    settings: ShutdownSettings,
) -> std::io::Result<()> {
    let handle = server.handle();
    let mut serving = actix_web::rt::spawn(server);
    let request = tokio::select! {
        ended = &mut serving => return ended.unwrap_or_else(|e| Err(std::io::Error::other(e))),
        request = requests.next() => request,
    };

    draining.begin();
    let delay = match request {
        StopRequest::Graceful => settings.delay,
        StopRequest::Prompt => std::time::Duration::ZERO,
    };
    tracing::info!(
        delay = %humantime::format_duration(delay),
        "stopping: /readyz answers 503 and connections close after their response"
    );
    let second_request = tokio::select! {
        () = actix_web::rt::time::sleep(delay) => false,
        _ = requests.next() => true,
    };
    if !second_request {
        tracing::info!(
            timeout = %humantime::format_duration(settings.timeout),
            "no longer accepting connections; finishing the requests in flight"
        );
        // The stop is under way once asked; awaiting only learns when it ends.
        let stopped = handle.stop(true);
        tokio::select! {
            () = stopped => return serving.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            _ = requests.next() => {}
        }
    }
    tracing::warn!("asked again: stopping without waiting for the requests in flight");
    // Dropping a running server closes its listeners and its connections at once.
    serving.abort();
    Ok(())
}
