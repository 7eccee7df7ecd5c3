//! What an operator relies on: the readiness probe, the metrics, JSON logs and
//! `monkeyci-server migrate`.

mod logs;
mod metrics;
mod migrate;
mod readiness;
