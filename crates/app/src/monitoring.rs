//! The process's Prometheus recorder, and the task that writes worker telemetry for the dashboard.

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use chrono::Utc;
use hub_domain::operations::{OperationsLog, Telemetry};
use hub_prestashop::WebserviceGateway;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::sync::watch;

/// Seconds buckets of the duration histograms: 1 ms to 2 min.
const BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0, 120.0];

/// Installs the process-wide Prometheus recorder (once) and returns what renders it for `/metrics`.
///
/// # Panics
/// Never: the bucket list is valid.
pub fn recorder() -> Arc<dyn Fn() -> String + Send + Sync> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    let handle = HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
                .expect("non-empty buckets")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may be installed already (a test harness): then this one only renders.
            let _ = metrics::set_global_recorder(recorder);
            describe();
            handle
        })
        .clone();
    Arc::new(move || handle.render())
}

fn describe() {
    metrics::describe_counter!(
        "hub_events_total",
        "Webhook events by kind, store and result (new, duplicate, forbidden, unavailable)"
    );
    metrics::describe_counter!("hub_http_errors_total", "API error answers by HTTP status");
    metrics::describe_gauge!("hub_queue_depth", "Jobs waiting per job type, read at scrape time");
    metrics::describe_counter!("hub_jobs_total", "Job runs by job type and outcome (succeeded, retrying, failed)");
    metrics::describe_histogram!("hub_job_duration_seconds", "Job run time by job type");
    metrics::describe_histogram!("hub_job_wait_seconds", "Time from queueing to the first start, by job type");
    metrics::describe_counter!(
        "hub_webservice_calls_total",
        "PrestaShop Webservice calls by store, resource, method and HTTP status (`error`: no answer)"
    );
    metrics::describe_histogram!("hub_webservice_call_duration_seconds", "Webservice call time by store");
    metrics::describe_gauge!("hub_webservice_circuit_open", "1 while a store's circuit breaker is open");
}

/// Every second, writes what the workers recorded (job counts, a sample of runs, Webservice health with
/// the circuit states) for the dashboard; prunes old rows every ten minutes; flushes once more on
/// shutdown. A database outage only delays the figures (they are kept and retried).
pub async fn flush_telemetry(
    telemetry: Arc<Telemetry>,
    gateway: WebserviceGateway,
    log: Arc<dyn OperationsLog>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_prune = std::time::Instant::now();
    let mut unsent: Option<hub_domain::operations::TelemetryBatch> = None;
    loop {
        let stopping = tokio::select! {
            _ = tick.tick() => false,
            _ = shutdown.changed() => true,
        } || *shutdown.borrow();
        for (store, circuit) in gateway.circuits() {
            let state = match circuit {
                hub_prestashop::Circuit::Closed => "closed",
                hub_prestashop::Circuit::Open => "open",
                hub_prestashop::Circuit::HalfOpen => "half_open",
            };
            telemetry.circuit(store.as_str(), state);
        }
        let mut batch = telemetry.drain();
        if let Some(old) = unsent.take() {
            // Older counts first; the newer health report wins.
            let mut merged = old;
            merged.minutes.extend(batch.minutes);
            merged.runs.extend(batch.runs);
            merged.store_minutes.extend(batch.store_minutes);
            if !batch.health.is_empty() {
                merged.health = batch.health;
            }
            batch = merged;
        }
        if !batch.is_empty()
            && let Err(e) = log.write(&batch).await
        {
            tracing::warn!(error = %e, "could not write telemetry; will retry");
            if batch.runs.len() > 1000 {
                batch.runs.drain(..batch.runs.len() - 1000);
            }
            unsent = Some(batch);
        }
        if last_prune.elapsed() > Duration::from_secs(600) {
            last_prune = std::time::Instant::now();
            let now = Utc::now();
            if let Err(e) = log.prune(now - chrono::Duration::hours(1), now - chrono::Duration::hours(24)).await {
                tracing::warn!(error = %e, "could not prune telemetry");
            }
        }
        if stopping {
            return;
        }
    }
}
