//! [`OperationsMetrics`] through the `metrics` facade, which the process's Prometheus recorder exports at
//! `/metrics`: `hub_jobs_total`, `hub_job_duration_seconds`, `hub_job_wait_seconds`,
//! `hub_webservice_calls_total`, `hub_webservice_call_duration_seconds` and `hub_webservice_circuit_open`.

use std::time::Duration;

use hub_domain::{JobType, Outcome, operations::OperationsMetrics};

/// Live job and Webservice metrics, recorded into the `metrics` facade.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrometheusMetrics;

impl OperationsMetrics for PrometheusMetrics {
    fn job_finished(&self, job: JobType, outcome: Outcome, wait: Option<Duration>, duration: Duration) {
        let labels = [("job", job.as_str()), ("outcome", outcome.as_str())];
        metrics::counter!("hub_jobs_total", &labels).increment(1);
        metrics::histogram!("hub_job_duration_seconds", "job" => job.as_str()).record(duration.as_secs_f64());
        if let Some(w) = wait {
            metrics::histogram!("hub_job_wait_seconds", "job" => job.as_str()).record(w.as_secs_f64());
        }
    }

    fn webservice_call(&self, store: &str, resource: &str, method: &str, status: Option<u16>, duration: Duration) {
        let status_label = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
        metrics::counter!(
            "hub_webservice_calls_total",
            "store" => store.to_owned(),
            "resource" => resource.to_owned(),
            "method" => method.to_owned(),
            "status" => status_label
        )
        .increment(1);
        metrics::histogram!("hub_webservice_call_duration_seconds", "store" => store.to_owned())
            .record(duration.as_secs_f64());
    }

    fn circuit(&self, store: &str, open: bool) {
        metrics::gauge!("hub_webservice_circuit_open", "store" => store.to_owned()).set(if open { 1.0 } else { 0.0 });
    }
}
