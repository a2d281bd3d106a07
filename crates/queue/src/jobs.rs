//! The jobs on the queue, and how a worker reads them. Their queue names are fixed strings from
//! configuration, never a Rust type path, so renaming a struct cannot strand queued jobs.

use apalis::prelude::Codec;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

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

impl SyncProductToStoreJob {
    /// The key that marks a job for this (store, SKU) as waiting on the Redis queue `queue`: set when one is
    /// queued, deleted when a worker starts it; while it exists, the next ones are left out (coalescing).
    pub(crate) fn pending_key(&self, queue: &str) -> String {
        format!("{queue}:pending:{}:{}", self.store, self.sku)
    }
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

/// What a worker reads off a queue: a job, or bytes that are not one of its queue's jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Payload<T> {
    /// A job.
    Job(T),
    /// Not a `T`: the payload as text (bytes that are not UTF-8 replaced) and why it could not be read.
    Undecodable {
        /// The payload as queued.
        raw: String,
        /// The decode error.
        error: String,
    },
}

/// The workers' codec: apalis' JSON, except that a payload that is not a `T` decodes as
/// [`Payload::Undecodable`] instead of failing. A decode error stops the apalis worker (it is a storage error
/// to apalis), so the job was never acknowledged or kept and came back to stop the next worker too; as a
/// value, the handler keeps it as a failed job.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct JobPayloadCodec;

impl<T: Serialize + DeserializeOwned> Codec<Payload<T>> for JobPayloadCodec {
    type Error = serde_json::Error;
    type Compact = Vec<u8>;

    fn encode(&self, payload: &Payload<T>) -> Result<Vec<u8>, serde_json::Error> {
        match payload {
            Payload::Job(job) => serde_json::to_vec(job),
            Payload::Undecodable { raw, .. } => Ok(raw.as_bytes().to_vec()),
        }
    }

    fn decode(&self, bytes: &Vec<u8>) -> Result<Payload<T>, serde_json::Error> {
        Ok(match serde_json::from_slice(bytes) {
            Ok(job) => Payload::Job(job),
            Err(e) => Payload::Undecodable { raw: String::from_utf8_lossy(bytes).into_owned(), error: e.to_string() },
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_that_is_not_a_job_decodes_as_undecodable_with_its_text_and_error() {
        let codec = JobPayloadCodec;
        let job = FanOutProductJob { event_id: "evt-1".into(), queued_at_us: Some(7) };
        let bytes = Codec::<Payload<FanOutProductJob>>::encode(&codec, &Payload::Job(job.clone())).unwrap();
        assert_eq!(codec.decode(&bytes).unwrap(), Payload::Job(job));

        let wrong: Payload<FanOutProductJob> = codec.decode(&br#"{"event_id":42}"#.to_vec()).unwrap();
        let Payload::Undecodable { raw, error } = wrong else { panic!("decoded a wrong shape") };
        assert_eq!(raw, r#"{"event_id":42}"#);
        assert!(error.starts_with("invalid type: integer `42`, expected a string"), "{error}");

        let bytes: Payload<FanOutProductJob> = codec.decode(&b"\xff{".to_vec()).unwrap();
        assert!(matches!(bytes, Payload::Undecodable { raw, .. } if raw == "\u{fffd}{"));
    }
}
