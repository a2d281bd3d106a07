//! Leases: the exclusive right to work on one product of one store, or one order, held across processes
//! and renewed while the work runs. The waiting is done through an injected [`Timer`], so the core knows no
//! async runtime.

use std::{
    future::{Future, poll_fn},
    pin::pin,
    task::Poll,
    time::Duration,
};

use async_trait::async_trait;

use crate::errors::StorageError;

/// Waiting for a while, as the runtime provides it (the app injects its timers).
#[async_trait]
pub trait Timer: Send + Sync + 'static {
    /// Resolves once `duration` has passed.
    async fn sleep(&self, duration: Duration);
}

/// How long a lease lasts without renewal. Its holder renews it while it works, so this only bounds how
/// long a worker that died holding it (SIGKILL, a lost host) blocks the product or the order: the retry
/// layer's attempts must outlast it (the default backoff does, by far).
pub(crate) const LEASE_TTL: Duration = Duration::from_secs(15);

/// Lease attempts, [`LEASE_RETRY`] apart, before a busy lease is given up on.
const LEASE_TRIES: u32 = 50;

/// The pause between two attempts at a busy lease.
const LEASE_RETRY: Duration = Duration::from_millis(20);

/// Takes a lease with `try_lease`, trying [`LEASE_TRIES`] times [`LEASE_RETRY`] apart (another holder keeps
/// it only for the few calls of one sync); false when it stayed busy.
pub(crate) async fn wait_for_lease<F, Fut>(timer: &dyn Timer, mut try_lease: F) -> Result<bool, StorageError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, StorageError>>,
{
    for _ in 0..LEASE_TRIES {
        if try_lease().await? {
            return Ok(true);
        }
        timer.sleep(LEASE_RETRY).await;
    }
    Ok(false)
}

/// Runs `work` while renewing its lease (`renew`, which takes it again for the same owner) every third of
/// `ttl`, and returns what `work` returns.
pub(crate) async fn renewing_lease<T, R, F>(
    timer: &dyn Timer,
    ttl: Duration,
    work: impl Future<Output = T>,
    renew: R,
) -> T
where
    R: Fn() -> F,
    F: Future<Output = Result<bool, StorageError>>,
{
    let mut work = pin!(work);
    loop {
        let mut nap = timer.sleep(ttl / 3);
        let finished = poll_fn(|cx| match work.as_mut().poll(cx) {
            Poll::Ready(out) => Poll::Ready(Some(out)),
            Poll::Pending => nap.as_mut().poll(cx).map(|()| None),
        })
        .await;
        if let Some(out) = finished {
            return out;
        }
        match renew().await {
            Ok(true) => {}
            Ok(false) => tracing::warn!("a lease lapsed while its holder was still working"),
            Err(e) => tracing::warn!(error = %e, "could not renew a lease"),
        }
    }
}

/// A [`Timer`] on tokio, for the core's own tests.
#[cfg(test)]
pub(crate) struct TokioTimer;

#[cfg(test)]
#[async_trait]
impl Timer for TokioTimer {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A [`Timer`] that returns at once and remembers every pause asked of it, for the core's own tests.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct RecordingTimer(pub(crate) std::sync::Mutex<Vec<Duration>>);

#[cfg(test)]
#[async_trait]
impl Timer for RecordingTimer {
    async fn sleep(&self, duration: Duration) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(duration);
    }
}
