//! What an operator relies on: the readiness probe, the metrics, JSON logs,
//! `monkeyci-server migrate` and graceful shutdown.

mod logs;
mod metrics;
mod migrate;
mod readiness;
mod shutdown;
