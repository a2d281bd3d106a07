//! One process's telemetry: job runs and Webservice calls aggregated in memory and drained in batches
//! into the operations log (so the dashboard of an API process sees every worker), and counted live into
//! the [`OperationsMetrics`] port as they are recorded.

use std::{
    collections::{HashMap, VecDeque},
    fmt,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, Utc};

use super::{
    ports::OperationsMetrics,
    read_models::{Counts, JobMinute, JobRun, StoreHealth, StoreMinute, TelemetryBatch},
};
use crate::jobs::{JobType, Outcome};

/// Recent successful runs kept per flush (every failure is kept).
const SAMPLED_RUNS: usize = 50;
/// Failures kept per flush at most (a storm of failures must not grow memory without bound).
const KEPT_FAILURES: usize = 500;

#[derive(Debug, Default)]
struct StoreAgg {
    minutes: HashMap<i64, (u64, u64)>,
    last_success: Option<DateTime<Utc>>,
    last_error: Option<DateTime<Utc>>,
    last_error_message: Option<String>,
    circuit: Option<String>,
    /// When a report was last drained, and the circuit it said.
    reported: Option<(DateTime<Utc>, String)>,
}

#[derive(Debug, Default)]
struct Pending {
    minutes: HashMap<(i64, JobType, Outcome), Counts>,
    successes: VecDeque<JobRun>,
    failures: Vec<JobRun>,
    stores: HashMap<String, StoreAgg>,
}

/// One process's telemetry: aggregated in memory, drained by a flusher into [`OperationsLog`], and
/// mirrored into Prometheus metrics as it is recorded.
pub struct Telemetry {
    worker: String,
    metrics: Arc<dyn OperationsMetrics>,
    pending: Mutex<Pending>,
}

fn minute_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(60)
}

impl Telemetry {
    /// Telemetry of the worker named `worker`, counted live into `metrics` too.
    pub fn new(worker: impl Into<String>, metrics: Arc<dyn OperationsMetrics>) -> Arc<Self> {
        Arc::new(Self { worker: worker.into(), metrics, pending: Mutex::new(Pending::default()) })
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records one finished run: `wait` is its time in the queue, from enqueue to the start of the run (its
    /// own run time is `duration`, never part of the wait).
    #[allow(clippy::too_many_arguments)]
    pub fn job_finished(
        &self,
        job: JobType,
        subject: &str,
        outcome: Outcome,
        attempt: u32,
        wait: Option<Duration>,
        duration: Duration,
        error: Option<&str>,
    ) {
        self.metrics.job_finished(job, outcome, wait, duration);
        let now = Utc::now();
        let run = JobRun {
            job: job.as_str().to_owned(),
            subject: subject.to_owned(),
            outcome: outcome.as_str().to_owned(),
            attempt,
            wait_ms: wait.map(|w| w.as_millis() as u64),
            duration_ms: duration.as_millis() as u64,
            error: error.map(|e| e.chars().take(2000).collect()),
            worker: self.worker.clone(),
            finished_at: now,
        };
        let mut p = self.pending();
        let c = p.minutes.entry((minute_of(now), job, outcome)).or_default();
        c.runs += 1;
        c.duration_ms_sum += run.duration_ms;
        if let Some(w) = run.wait_ms {
            c.wait_ms_sum += w;
            c.wait_runs += 1;
        }
        if outcome == Outcome::Succeeded {
            if p.successes.len() == SAMPLED_RUNS {
                p.successes.pop_front();
            }
            p.successes.push_back(run);
        } else if p.failures.len() < KEPT_FAILURES {
            p.failures.push(run);
        }
    }

    /// Records one Webservice call: `status` is the HTTP status, or `None` when no answer came.
    #[allow(clippy::too_many_arguments)]
    pub fn webservice_call(
        &self,
        store: &str,
        resource: &str,
        method: &str,
        status: Option<u16>,
        failed: bool,
        duration: Duration,
        error: Option<&str>,
    ) {
        self.metrics.webservice_call(store, resource, method, status, duration);
        let now = Utc::now();
        let mut p = self.pending();
        let s = p.stores.entry(store.to_owned()).or_default();
        let m = s.minutes.entry(minute_of(now)).or_default();
        m.0 += 1;
        if failed {
            m.1 += 1;
            s.last_error = Some(now);
            s.last_error_message = error.map(|e| e.chars().take(1000).collect());
        } else {
            s.last_success = Some(now);
        }
    }

    /// Records a store's circuit state (`closed`, `open`, `half_open`) as seen now.
    pub fn circuit(&self, store: &str, state: &str) {
        self.metrics.circuit(store, state == "open");
        self.pending().stores.entry(store.to_owned()).or_default().circuit = Some(state.to_owned());
    }

    /// Takes what was recorded since the last drain.
    pub fn drain(&self) -> TelemetryBatch {
        let now = Utc::now();
        let mut p = self.pending();
        let minutes = p
            .minutes
            .drain()
            .map(|((minute, job, outcome), counts)| JobMinute {
                minute,
                job: job.as_str().to_owned(),
                outcome: outcome.as_str().to_owned(),
                counts,
            })
            .collect();
        let mut runs: Vec<JobRun> = p.failures.drain(..).collect();
        runs.extend(p.successes.drain(..));
        runs.sort_by_key(|r| r.finished_at);
        let mut store_minutes = Vec::new();
        let mut health = Vec::new();
        for (store, agg) in &mut p.stores {
            let called = !agg.minutes.is_empty();
            for (minute, (calls, errors)) in agg.minutes.drain() {
                store_minutes.push(StoreMinute { minute, store: store.clone(), calls, errors });
            }
            let circuit = agg.circuit.clone().unwrap_or_else(|| "closed".into());
            // A report when something changed, and once a minute to show the worker is alive; none for a
            // store this worker never called (an idle hub writes nothing).
            let never_called = agg.last_success.is_none() && agg.last_error.is_none();
            let due = match &agg.reported {
                None => !never_called || circuit != "closed",
                Some((at, said)) => called || *said != circuit || now - *at >= chrono::Duration::seconds(60),
            };
            if !due {
                continue;
            }
            agg.reported = Some((now, circuit.clone()));
            health.push(StoreHealth {
                store: store.clone(),
                worker: self.worker.clone(),
                circuit,
                last_success: agg.last_success,
                last_error: agg.last_error,
                last_error_message: agg.last_error_message.clone(),
                updated_at: now,
            });
        }
        TelemetryBatch { minutes, runs, store_minutes, health }
    }
}

impl fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telemetry").field("worker", &self.worker).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::ports::NoMetrics;

    #[test]
    fn telemetry_aggregates_and_drains() {
        let t = Telemetry::new("w1", Arc::new(NoMetrics));
        for _ in 0..60 {
            t.job_finished(
                JobType::SyncProductToStore,
                "a/b",
                Outcome::Succeeded,
                1,
                Some(Duration::from_millis(4)),
                Duration::from_millis(10),
                None,
            );
        }
        t.job_finished(JobType::FanOutProduct, "e", Outcome::Failed, 8, None, Duration::from_millis(3), Some("bad"));
        t.webservice_call(
            "retailer-1",
            "stock_availables",
            "PATCH",
            Some(500),
            true,
            Duration::from_millis(2),
            Some("500"),
        );
        t.webservice_call("retailer-1", "products", "GET", Some(200), false, Duration::from_millis(2), None);
        t.circuit("retailer-1", "open");
        let b = t.drain();
        let sync: u64 = b.minutes.iter().filter(|m| m.job == "sync_product_to_store").map(|m| m.counts.runs).sum();
        assert_eq!(sync, 60);
        assert_eq!(b.minutes.iter().map(|m| m.counts.wait_runs).sum::<u64>(), 60);
        assert_eq!(b.runs.len(), SAMPLED_RUNS + 1, "a sample of successes and every failure");
        assert_eq!(
            b.store_minutes.iter().map(|m| (m.calls, m.errors)).fold((0, 0), |a, x| (a.0 + x.0, a.1 + x.1)),
            (2, 1)
        );
        assert_eq!(b.health[0].circuit, "open");
        assert!(b.health[0].last_error.is_some() && b.health[0].last_success.is_some());
        let quiet = t.drain();
        assert!(quiet.minutes.is_empty() && quiet.health.is_empty(), "nothing new, nothing written: {quiet:?}");
        t.circuit("retailer-1", "closed");
        assert_eq!(t.drain().health.len(), 1, "a circuit change is reported");
        t.circuit("retailer-2", "closed");
        assert!(t.drain().health.is_empty(), "a store never called is not reported");
    }
}
