//! Operations: what operators see and do. Job and Webservice telemetry (aggregated by each worker and
//! written in batches), failed jobs kept for a human, the dashboard's read models, and the use cases
//! behind Retry, Discard and Replay.

pub mod failed_jobs;
pub mod ports;
pub mod read_models;
pub mod telemetry;

pub use failed_jobs::{FailedJobs, OperationError};
#[cfg(test)]
pub use ports::MockOperationsLog;
pub use ports::{NoMetrics, OperationsLog, OperationsMetrics};
pub use read_models::{
    Counts, FailedJob, FailedStatus, JobMinute, JobRun, NewFailedJob, OrderLinkRow, StoreHealth, StoreMinute,
    TelemetryBatch, UnlinkedSku,
};
pub use telemetry::Telemetry;
