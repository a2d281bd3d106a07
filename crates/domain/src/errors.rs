//! The failures the core tells apart: bad input, and the outside world (database, queue, a store) being
//! unavailable or refusing. Adapters translate their drivers' errors into these at their boundary.

/// A value failed the domain's rules; `field` is the dotted path of the offending input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidValue {
    /// Dotted path of the field, e.g. `product.price`.
    pub field: String,
    /// Human-readable reason.
    pub message: String,
}

impl InvalidValue {
    /// Builds an error for `field` with `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }

    /// Prefixes the field path with `parent.` (used when a nested value is validated on its own).
    #[must_use]
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() { parent.to_owned() } else { format!("{parent}.{}", self.field) };
        self
    }
}

/// A storage failure, as the use cases need to tell them apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The database cannot be reached now; the same call may succeed later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else (a bug, a corrupt row).
    #[error("unexpected storage error: {0}")]
    Unexpected(String),
}

/// A queue failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The queue cannot be reached now; the same call may succeed later.
    #[error("queue unavailable: {0}")]
    Unavailable(String),
    /// Anything else.
    #[error("unexpected queue error: {0}")]
    Unexpected(String),
}

/// A store call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// Timeout, connection error, 5xx, 429, circuit open: may succeed later.
    #[error("{0}")]
    Retryable(String),
    /// The object addressed no longer exists there (404).
    #[error("{0}")]
    Gone(String),
    /// A 4xx retrying cannot fix, or a store not configured.
    #[error("{0}")]
    Permanent(String),
}
