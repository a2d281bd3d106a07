//! The app's own implementations of the core's runtime ports: live metrics for Prometheus and timers on
//! tokio.

pub mod prometheus;
pub mod timer;

pub use prometheus::PrometheusMetrics;
pub use timer::TokioTimer;
