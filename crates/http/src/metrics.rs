//! The Prometheus `/metrics` endpoint, served by the hub and by each worker's monitoring server, and the
//! queue depths it shares with the dashboard's overview.

use actix_web::{HttpResponse, web};
use hub_domain::{JobQueue, JobType};

use crate::dashboard::Operations;

/// Every job type's queue depth, read at once; `None` where the queue did not answer.
pub(crate) async fn depths(queue: &dyn JobQueue) -> Vec<(JobType, Option<u64>)> {
    let reads = JobType::ALL.map(|job| async move { (job, queue.depth(job).await.ok()) });
    futures::future::join_all(reads).await
}

/// `GET /metrics`: this process's metrics in the Prometheus text format, with the queue depths read now.
pub(crate) async fn metrics(ops: web::Data<Operations>) -> HttpResponse {
    let Some(render) = &ops.metrics else {
        return HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("metrics are disabled\n");
    };
    for (job, depth) in depths(ops.queue.as_ref()).await {
        if let Some(depth) = depth {
            metrics::gauge!("hub_queue_depth", "job" => job.as_str()).set(depth as f64);
        }
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(render())
}
