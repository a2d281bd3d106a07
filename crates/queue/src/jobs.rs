//! The jobs on the queue. Their queue names are fixed strings from configuration, never a Rust type path,
//! so renaming a struct cannot strand queued jobs.

use serde::{Deserialize, Serialize};

/// Process one accepted product event: `FanOutProduct`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FanOutProductJob {
    /// The inbox event.
    pub event_id: String,
    /// When it was queued (microseconds since the Unix epoch), for the wait-time figures; absent in jobs
    /// queued by older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_at_us: Option<i64>,
}

/// Process one accepted order event: `ReplicateOrder`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicateOrderJob {
    /// The inbox event.
    pub event_id: String,
    /// When it was queued (microseconds since the Unix epoch), for the wait-time figures; absent in jobs
    /// queued by older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_at_us: Option<i64>,
}

/// Apply the latest source state of a SKU to one client store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncProductToStoreJob {
    /// The client store code.
    pub store: String,
    /// The product reference.
    pub sku: String,
    /// When it was queued (microseconds since the Unix epoch), for the wait-time figures; absent in jobs
    /// queued by older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_at_us: Option<i64>,
}

/// The queue name of each job, from configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobNames {
    /// Queue of [`FanOutProductJob`].
    pub fan_out_product: String,
    /// Queue of [`ReplicateOrderJob`].
    pub replicate_order: String,
    /// Queue of [`SyncProductToStoreJob`].
    pub sync_product_to_store: String,
}

impl Default for JobNames {
    fn default() -> Self {
        Self {
            fan_out_product: "hub:fan-out-product".into(),
            replicate_order: "hub:replicate-order".into(),
            sync_product_to_store: "hub:sync-product-to-store".into(),
        }
    }
}

impl JobNames {
    /// Prefixes every name (tests share one Redis).
    #[must_use]
    pub fn prefixed(&self, prefix: &str) -> Self {
        Self {
            fan_out_product: format!("{prefix}{}", self.fan_out_product),
            replicate_order: format!("{prefix}{}", self.replicate_order),
            sync_product_to_store: format!("{prefix}{}", self.sync_product_to_store),
        }
    }
}

/// Now, as a job's `queued_at_us`.
pub(crate) fn now_us() -> Option<i64> {
    Some(chrono::Utc::now().timestamp_micros())
}
