//! Reconciliation: repairs what webhooks missed, comparing the source's catalog with the hub's known states,
//! each client's shelves with the targets the sync computes, and each client's valid orders with the order
//! links (see [`run`] and [`order_pass`]).

pub mod client_pass;
pub mod order_pass;
pub mod orders;
pub mod ports;
pub mod progress;
pub mod publish_pass;
pub mod run;
pub mod source_pass;

pub use orders::{
    OrderReconciliation, STATUS_LIMIT, STATUS_LOOKBACK, reconcile_event_id, reconcile_state_event_id,
    reconcile_status_event_id,
};
pub use ports::{
    CatalogPage, CatalogWatermarks, ClientListing, ClientOrders, ListedOrder, OrderWatermarks, RunLeases,
    SourceListing, SourceStockRow, StoreCatalog,
};
#[cfg(test)]
pub use ports::{MockCatalogWatermarks, MockClientOrders, MockOrderWatermarks, MockRunLeases, MockStoreCatalog};
pub use progress::{NoProgress, ReconcileProgress, Stage};
pub use publish_pass::{DryRun, Planned, PublishReport};
pub use run::{PassKind, Reconcile, ReconcileError, ReconcileReport, ReconcileRequest};
