//! Fulfillment Hub's business core, one module per business area: what the hub deals in (`model`), how an
//! event is accepted (`ingest`), how the source's products reach the clients (`catalog`), how a retailer's
//! order reaches the wholesaler (`replication`), how drift is repaired (`reconcile`) and what operators see
//! and do (`operations`). Each area holds its values, its ports (traits the adapters implement) and its use
//! cases. No web framework, ORM, queue, HTTP client, metrics facade or async runtime is known here: time
//! passes through the [`lease::Timer`] port, live metrics through [`operations::OperationsMetrics`].

pub mod catalog;
pub mod errors;
pub mod ingest;
pub mod jobs;
pub mod lease;
pub mod model;
pub mod operations;
pub mod reconcile;
pub mod replication;

#[cfg(test)]
mod fixtures;

pub use errors::{GatewayError, InvalidValue, QueueError, StorageError};
pub use jobs::{JobError, JobQueue, JobType, Outcome, SyncRequest};
pub use lease::Timer;
pub use model::{
    Address, CombinationCandidate, CombinationData, CombinationIdentity, CombinationMatch, Customer, EventId,
    EventKind, EventPayload, EventStatus, Money, NewEvent, OrderData, OrderLine, OrderStage, OrderStateMap,
    OrderStatusData, OrderedCombination, PriceRule, ProductData, Secret, Sku, StaticStoreDirectory, Store, StoreCode,
    StoreDirectory, StoreRole, StoredEvent, match_combination,
};
