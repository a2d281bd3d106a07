//! Test controls: added latency, injected failures (status codes, timeouts, dropped connections; by
//! resource, method, count or duration) and the request log.

use std::{
    sync::{Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use crate::{Failure, FailureKind, RecordedRequest};

#[derive(Debug)]
struct Active {
    failure: Failure,
    remaining: Option<usize>,
    until: Option<Instant>,
}

/// The controls shared by every connection.
#[derive(Debug, Default)]
pub(crate) struct Control {
    latency: Mutex<Duration>,
    failures: Mutex<Vec<Active>>,
    log: Mutex<Vec<(u64, RecordedRequest)>>,
    seq: Mutex<u64>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Control {
    pub(crate) fn new(latency: Duration) -> Self {
        Self { latency: Mutex::new(latency), ..Self::default() }
    }

    pub(crate) fn latency(&self) -> Duration {
        *lock(&self.latency)
    }

    pub(crate) fn set_latency(&self, d: Duration) {
        *lock(&self.latency) = d;
    }

    pub(crate) fn inject(&self, failure: Failure) {
        let until = failure.duration.map(|d| Instant::now() + d);
        let remaining = failure.count;
        lock(&self.failures).push(Active { failure, remaining, until });
    }

    pub(crate) fn clear_failures(&self) {
        lock(&self.failures).clear();
    }

    /// The failure to apply to a request on `resource` with `method`, consuming one of its uses.
    pub(crate) fn take_failure(&self, resource: &str, method: &str) -> Option<FailureKind> {
        let now = Instant::now();
        let mut list = lock(&self.failures);
        list.retain(|a| a.until.is_none_or(|u| now < u) && a.remaining != Some(0));
        let hit = list.iter_mut().find(|a| {
            a.failure.resource.as_deref().is_none_or(|r| r == resource)
                && a.failure.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
        })?;
        let kind = hit.failure.kind;
        if let Some(n) = hit.remaining.as_mut() {
            *n -= 1;
        }
        list.retain(|a| a.remaining != Some(0));
        Some(kind)
    }

    /// Logs a request as it arrives and returns its sequence number.
    pub(crate) fn record(&self, req: RecordedRequest) -> u64 {
        let seq = {
            let mut s = lock(&self.seq);
            *s += 1;
            *s
        };
        lock(&self.log).push((seq, req));
        seq
    }

    /// Sets the status of a logged request once it is answered.
    pub(crate) fn set_status(&self, seq: u64, status: u16) {
        if let Some((_, r)) = lock(&self.log).iter_mut().find(|(s, _)| *s == seq) {
            r.status = status;
        }
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.log).iter().map(|(_, r)| r.clone()).collect()
    }

    pub(crate) fn clear_requests(&self) {
        lock(&self.log).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_failures_run_out_and_filters_apply() {
        let c = Control::default();
        c.inject(Failure::status(503).on_resource("orders").on_method("post").times(2));
        assert_eq!(c.take_failure("products", "POST"), None);
        assert_eq!(c.take_failure("orders", "GET"), None);
        assert_eq!(c.take_failure("orders", "POST"), Some(FailureKind::Status(503)));
        assert_eq!(c.take_failure("orders", "POST"), Some(FailureKind::Status(503)));
        assert_eq!(c.take_failure("orders", "POST"), None);
    }

    #[test]
    fn timed_failures_expire() {
        let c = Control::default();
        c.inject(Failure::new(FailureKind::Drop).for_duration(Duration::from_millis(30)));
        assert_eq!(c.take_failure("products", "GET"), Some(FailureKind::Drop));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(c.take_failure("products", "GET"), None);
    }
}
