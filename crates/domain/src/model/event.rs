//! The envelope every webhook arrives in, and its life in the inbox.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use super::{order::OrderData, order_status::OrderStatusData, product::ProductData, store::StoreCode};
use crate::errors::InvalidValue;

/// The connector's id for an event; the same id is the same event (dedupe key).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventId(String);

impl EventId {
    /// Validates an event id: 8–64 characters of `A-Z a-z 0-9 - _ . :` (a UUID fits).
    ///
    /// # Errors
    /// Anything else.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        let ok = (8..=64).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidValue::new("", "8-64 characters of A-Z, a-z, 0-9, '-', '_', '.', ':' (a UUID fits)"))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EventId {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        EventId::parse(&s)
    }
}

impl From<EventId> for String {
    fn from(e: EventId) -> String {
        e.0
    }
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// A source product changed.
    Product,
    /// A client placed an order, or its order changed state.
    Order,
    /// The source reported a state or tracking number of an order the hub created there.
    #[serde(rename = "order_status")]
    OrderStatus,
}

impl EventKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Product => "product",
            EventKind::Order => "order",
            EventKind::OrderStatus => "order_status",
        }
    }

    /// Parses a stored name.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "product" => Some(EventKind::Product),
            "order" => Some(EventKind::Order),
            "order_status" => Some(EventKind::OrderStatus),
            _ => None,
        }
    }
}

/// The payload of an event, typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "lowercase")]
pub enum EventPayload {
    /// A product's state on the source.
    Product(ProductData),
    /// A client's order.
    Order(Box<OrderData>),
    /// The source's report of an order the hub created there.
    #[serde(rename = "order_status")]
    OrderStatus(Box<OrderStatusData>),
}

impl EventPayload {
    /// Its kind.
    pub fn kind(&self) -> EventKind {
        match self {
            EventPayload::Product(_) => EventKind::Product,
            EventPayload::Order(_) => EventKind::Order,
            EventPayload::OrderStatus(_) => EventKind::OrderStatus,
        }
    }
}

/// An accepted event, about to be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewEvent {
    /// Dedupe key.
    pub event_id: EventId,
    /// The store whose key posted it.
    pub store: StoreCode,
    /// When it happened at the store (microsecond precision when the connector gives it).
    pub occurred_at: DateTime<Utc>,
    /// The connector's monotonic per-store sequence, when sent.
    pub sequence: Option<u64>,
    /// What happened.
    pub payload: EventPayload,
}

impl NewEvent {
    /// Builds an event.
    pub fn new(
        event_id: EventId,
        store: StoreCode,
        occurred_at: DateTime<Utc>,
        sequence: Option<u64>,
        payload: EventPayload,
    ) -> Self {
        Self { event_id, store, occurred_at, sequence, payload }
    }

    /// Its kind.
    pub fn kind(&self) -> EventKind {
        self.payload.kind()
    }

    /// Refuses an event whose times are more than `tolerance` ahead of `now`: a product state dated in the
    /// future would outrank every real change of its SKU to come, and freeze it.
    ///
    /// # Errors
    /// [`InvalidValue`] naming `occurred_at` or `product.updated_at`.
    pub fn check_not_ahead_of(&self, now: DateTime<Utc>, tolerance: chrono::Duration) -> Result<(), InvalidValue> {
        let limit = now + tolerance;
        let ahead = |field: &str, t: DateTime<Utc>| {
            if t > limit {
                Err(InvalidValue::new(
                    field,
                    format!(
                        "{} is ahead of the hub's clock by more than {} s",
                        t.to_rfc3339(),
                        tolerance.num_seconds()
                    ),
                ))
            } else {
                Ok(())
            }
        };
        ahead("occurred_at", self.occurred_at)?;
        if let EventPayload::Product(p) = &self.payload {
            ahead("product.updated_at", p.updated_at)?;
        }
        Ok(())
    }
}

/// Where an event is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventStatus {
    /// Stored; not known to be queued (the sweeper queues it).
    Received,
    /// Stored and queued.
    Queued,
    /// Its job completed.
    Processed,
    /// Its job failed for good; kept with the last error.
    Failed,
}

impl EventStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Received => "received",
            EventStatus::Queued => "queued",
            EventStatus::Processed => "processed",
            EventStatus::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "received" => EventStatus::Received,
            "queued" => EventStatus::Queued,
            "processed" => EventStatus::Processed,
            "failed" => EventStatus::Failed,
            _ => return None,
        })
    }
}

/// An event as the inbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredEvent {
    /// The event.
    pub event: NewEvent,
    /// Its status.
    pub status: EventStatus,
    /// When the hub accepted it.
    pub received_at: DateTime<Utc>,
    /// Failed processing attempts so far.
    pub attempts: u32,
    /// The last processing error.
    pub last_error: Option<String>,
}

impl StoredEvent {
    /// Builds a stored event.
    pub fn new(
        event: NewEvent,
        status: EventStatus,
        received_at: DateTime<Utc>,
        attempts: u32,
        last_error: Option<String>,
    ) -> Self {
        Self { event, status, received_at, attempts, last_error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_is_a_valid_event_id() {
        assert!(EventId::parse("0b5b6f0e-8d1c-4a39-9d0e-3f7f0c2a9b11").is_ok());
        assert!(EventId::parse("short").is_err());
        assert!(EventId::parse("has space in it").is_err());
        assert!(EventId::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn a_product_dated_in_the_future_is_refused_naming_the_field() {
        let event = crate::fixtures::product_event("event-0001");
        let EventPayload::Product(product) = &event.payload else { unreachable!() };
        let tolerance = chrono::Duration::seconds(300);
        let now = event.occurred_at;
        assert_eq!(event.check_not_ahead_of(now, tolerance), Ok(()));
        let mut far = product.clone();
        far.updated_at = DateTime::parse_from_rfc3339("9999-12-31T23:59:59Z").unwrap().with_timezone(&Utc);
        let frozen = NewEvent::new(event.event_id.clone(), event.store.clone(), now, None, EventPayload::Product(far));
        assert_eq!(frozen.check_not_ahead_of(now, tolerance).unwrap_err().field, "product.updated_at");
        let early = NewEvent::new(
            event.event_id.clone(),
            event.store.clone(),
            now + chrono::Duration::seconds(301),
            None,
            event.payload.clone(),
        );
        assert_eq!(early.check_not_ahead_of(now, tolerance).unwrap_err().field, "occurred_at");
        let within = NewEvent::new(event.event_id, event.store, now + tolerance, None, event.payload);
        assert_eq!(within.check_not_ahead_of(now, tolerance), Ok(()), "the tolerance itself is allowed");
    }
}
