//! Reconciliation: repairs what webhooks missed, comparing the source's catalog with the hub's known states
//! and each client's shelves with the targets the sync computes (see [`run`]).

pub mod client_pass;
pub mod ports;
pub mod progress;
pub mod run;
pub mod source_pass;

pub use ports::{CatalogPage, ClientListing, RunLeases, SourceListing, StoreCatalog};
#[cfg(test)]
pub use ports::{MockRunLeases, MockStoreCatalog};
pub use progress::{NoProgress, ReconcileProgress, Stage};
pub use run::{Reconcile, ReconcileError, ReconcileReport, ReconcileRequest};
