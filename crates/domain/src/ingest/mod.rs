//! Ingest: a store's webhook event is accepted once (durable inbox, deduplicated by `event_id`) and its
//! job queued; the sweeper queues whatever was stored but not (or no longer) queued.

pub mod accept;
pub mod ports;
pub mod sweep;

pub use accept::{AcceptError, AcceptOrderEvent, AcceptOrderStatusEvent, AcceptProductEvent, Acceptance};
#[cfg(test)]
pub use ports::MockInbox;
pub use ports::{Inbox, PendingEvent, Recorded};
pub use sweep::SweepInbox;
