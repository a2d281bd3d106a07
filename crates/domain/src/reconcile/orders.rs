//! What the orders pass of a reconciliation ([`super::order_pass`]) works with: the client orders it lists,
//! the watermarks it keeps, the order links it checks and the webhook's own intake it hands orders to; and
//! the deterministic inbox event id of an order it hands over.

use std::sync::Arc;

use super::ports::{ClientOrders, OrderWatermarks};
use crate::{
    ingest::{AcceptOrderEvent, AcceptOrderStatusEvent},
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
    pub(super) statuses: Option<AcceptOrderStatusEvent>,
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
        Self { orders, watermarks, links, accept, lookback, statuses: None }
    }

    /// Also compares the state and tracking number of every order created on the source and changed in the
    /// last [`STATUS_LOOKBACK`] with what its link recorded, and hands a difference (a lost report of the
    /// source's connector) to the return path through `statuses`, the webhook's own intake.
    #[must_use]
    pub fn with_statuses(mut self, statuses: AcceptOrderStatusEvent) -> Self {
        self.statuses = Some(statuses);
        self
    }
}

/// How far back the statuses of created orders are compared: a dropshipped order is shipped and delivered
/// within weeks.
pub const STATUS_LOOKBACK: chrono::Duration = chrono::Duration::days(60);

/// The most links one reconciliation compares statuses of.
pub const STATUS_LIMIT: u32 = 20_000;

/// FNV-1a, 64 bits: short deterministic ids.
fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The inbox event id of a client order's state found by reconciliation (a cancellation whose webhook
/// was lost): `reconcile-order-{store}-{id}-s{state}`, the store hashed when too long.
pub fn reconcile_state_event_id(store: &StoreCode, order_id: u64, state: &str) -> EventId {
    let state: String = state.chars().filter(char::is_ascii_digit).take(10).collect();
    let plain = format!("reconcile-order-{store}-{order_id}-s{state}");
    let id = if plain.len() <= 64 {
        plain
    } else {
        format!("reconcile-order-{:016x}-{order_id}-s{state}", fnv(store.as_str()))
    };
    EventId::parse(&id).unwrap_or_else(|_| unreachable!("a reconcile event id is always valid: {id}"))
}

/// The inbox event id of a source order's status found by reconciliation:
/// `reconcile-status-{order}-{state}-{hash of the tracking number}`.
pub fn reconcile_status_event_id(source_order: u64, state: &str, tracking: Option<&str>) -> EventId {
    let state: String = state.chars().filter(char::is_ascii_digit).take(10).collect();
    let id = format!("reconcile-status-{source_order}-{state}-{:016x}", fnv(tracking.unwrap_or("")));
    EventId::parse(&id).unwrap_or_else(|_| unreachable!("a reconcile event id is always valid: {id}"))
}

/// The inbox event id of a client order found by reconciliation: `reconcile-order-{store}-{id}`, or, when
/// that would exceed an event id's 64 characters, the store code replaced by a 64-bit FNV-1a hash of it.
pub fn reconcile_event_id(store: &StoreCode, order_id: u64) -> EventId {
    let plain = format!("reconcile-order-{store}-{order_id}");
    let id = if plain.len() <= 64 {
        plain
    } else {
        let hash = fnv(store.as_str());
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
