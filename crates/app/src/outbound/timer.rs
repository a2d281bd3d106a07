//! [`Timer`] on tokio's timers.

use std::time::Duration;

use async_trait::async_trait;
use hub_domain::Timer;

/// Sleeps on tokio's timer wheel.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioTimer;

#[async_trait]
impl Timer for TokioTimer {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}
