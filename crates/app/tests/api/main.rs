//! The hub's integration tests: one binary, real MariaDB and Redis, real SQLite files, port 0.
#![allow(clippy::unwrap_used)]

mod cli;
mod database_faults;
mod demo;
mod helpers;
mod ingest;
mod instances;
mod operations;
mod order_status;
mod orders;
mod owed;
mod publishing;
mod queue_faults;
mod reconcile;
mod reliability;
mod scale;
mod skus;
mod spec;
mod sync;
