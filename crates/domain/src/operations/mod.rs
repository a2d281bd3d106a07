//! Operations: what operators see and do. Job and Webservice telemetry (aggregated by each worker and
//! written in batches), failed jobs kept for a human, the dashboard's read models and open sessions, and
//! the use cases behind Retry, Discard and Replay, and "where is my SKU?" with its re-check.

pub mod failed_jobs;
pub mod ports;
pub mod read_models;
pub mod sku_report;
pub mod telemetry;

pub use failed_jobs::{FailedJobs, OperationError};
pub use ports::{DashboardSessions, NoMetrics, OperationsLog, OperationsMetrics};
#[cfg(test)]
pub use ports::{MockDashboardSessions, MockOperationsLog};
pub use read_models::{
    Counts, FailedJob, FailedStatus, JobMinute, JobRun, LinkCount, NewFailedJob, OrderLinkRow, SkuActivity,
    StoreHealth, StoreMinute, TelemetryBatch, UnlinkedSku, WaitingFailure,
};
pub use sku_report::{ClientSku, LocateSku, Pending, RecheckError, SkuReport};
pub use telemetry::Telemetry;
