//! What the orders pass of a reconciliation ([`super::order_pass`]) works with: the client orders it lists,
//! the watermarks it keeps, the order links it checks and the webhook's own intake it hands orders to; and
//! the deterministic inbox event id of an order it hands over.

use std::sync::Arc;

use super::ports::{ClientOrders, OrderWatermarks};
use crate::{
    ingest::AcceptOrderEvent,
    model::{EventId, StoreCode},
    replication::OrderLinks,
};

/// What the orders pass needs, given to [`Reconcile::with_orders`].
#[derive(Clone)]
pub struct OrderReconciliation {
    pub(super) orders: Arc<dyn ClientOrders>,
    pub(super) watermarks: Arc<dyn OrderWatermarks>,
    pub(super) links: Arc<dyn OrderLinks>,
    pub(super) accept: AcceptOrderEvent,
    pub(super) lookback: chrono::Duration,
}

impl OrderReconciliation {
    /// Lists through `orders`, keeps watermarks in `watermarks`, checks `links`, and hands orders to
    /// replication through `accept`. A client without a watermark is read from `lookback` ago (by the hub's
    /// clock: the shop's `date_upd` has no zone, so the window is approximate by the shop's UTC offset).
    pub fn new(
        orders: Arc<dyn ClientOrders>,
        watermarks: Arc<dyn OrderWatermarks>,
        links: Arc<dyn OrderLinks>,
        accept: AcceptOrderEvent,
        lookback: chrono::Duration,
    ) -> Self {
        Self { orders, watermarks, links, accept, lookback }
    }
}

/// The inbox event id of a client order found by reconciliation: `reconcile-order-{store}-{id}`, or, when
/// that would exceed an event id's 64 characters, the store code replaced by a 64-bit FNV-1a hash of it.
pub fn reconcile_event_id(store: &StoreCode, order_id: u64) -> EventId {
    let plain = format!("reconcile-order-{store}-{order_id}");
    let id = if plain.len() <= 64 {
        plain
    } else {
        let hash = store
            .as_str()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        format!("reconcile-order-{hash:016x}-{order_id}")
    };
    // Lower-case letters, digits, '-' and '_' only, at most 16 + 64 (or 16 + 16) + 1 + 20 characters.
    EventId::parse(&id).unwrap_or_else(|_| unreachable!("a reconcile event id is always valid: {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_id_stays_within_64_characters_and_apart_per_store() {
        let short = reconcile_event_id(&StoreCode::parse("retail-1").unwrap(), 42);
        assert_eq!(short.as_str(), "reconcile-order-retail-1-42");
        let a = reconcile_event_id(&StoreCode::parse(&"a".repeat(60)).unwrap(), u64::MAX);
        let b = reconcile_event_id(&StoreCode::parse(&format!("{}b", "a".repeat(59))).unwrap(), u64::MAX);
        assert!(a.as_str().len() <= 64 && a != b, "{a} {b}");
    }
}
