//! The job queue on apalis: the jobs, the Redis and SQLite storages behind the domain's `JobQueue` port,
//! the workers that run the use cases with retries.

pub mod backend;
pub mod jobs;
mod redis_backlog;
mod wake;
pub mod worker;

pub use backend::{ApalisJobQueue, QueueKind, QueueSettings};
pub use jobs::{FanOutProductJob, JobNames, ReplicateOrderJob, SyncProductToStoreJob};
pub use worker::{JobHandlers, WorkerSettings, run_workers};
