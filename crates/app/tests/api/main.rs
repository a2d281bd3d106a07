//! The hub's integration tests: one binary, real MariaDB and Redis, real SQLite files, port 0.
#![allow(clippy::unwrap_used)]

mod helpers;
mod ingest;
mod orders;
mod reliability;
mod spec;
mod sync;
