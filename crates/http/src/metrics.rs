//! The Prometheus `/metrics` endpoint, served by the hub and by each worker's monitoring server, and the
//! queue depths it shares with the dashboard's overview. With `server.metrics_token` set, it answers only
//! `Authorization: Bearer <token>` (compared in constant time; the token is never logged or echoed).

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use hub_domain::{JobQueue, JobType, Secret};

use crate::{dashboard::Operations, error::ApiError};

/// Every job type's queue depth, read at once; `None` where the queue did not answer.
pub(crate) async fn depths(queue: &dyn JobQueue) -> Vec<(JobType, Option<u64>)> {
    let reads = JobType::ALL.map(|job| async move { (job, queue.depth(job).await.ok()) });
    futures::future::join_all(reads).await
}

/// Checks `Authorization: Bearer <token>` (the scheme in any case, as RFC 9110 allows).
fn check_bearer(req: &HttpRequest, token: &Secret) -> Result<(), ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::UnauthorizedBearer("missing Authorization: Bearer header".into()))?;
    let credentials = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, credentials)| credentials.trim())
        .ok_or_else(|| ApiError::UnauthorizedBearer("expected Authorization: Bearer <metrics token>".into()))?;
    if token.matches(credentials.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::UnauthorizedBearer("wrong metrics token".into()))
    }
}

/// `GET /metrics`: this process's metrics in the Prometheus text format, with the queue depths read now.
pub(crate) async fn metrics(req: HttpRequest, ops: web::Data<Operations>) -> Result<HttpResponse, ApiError> {
    if let Some(token) = &ops.metrics_token {
        check_bearer(&req, token)?;
    }
    let Some(render) = &ops.metrics else {
        return Ok(HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("metrics are disabled\n"));
    };
    for (job, depth) in depths(ops.queue.as_ref()).await {
        if let Some(depth) = depth {
            metrics::gauge!("hub_queue_depth", "job" => job.as_str()).set(depth as f64);
        }
    }
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(render()))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    const TOKEN: &str = "metrics-token-0123456789";

    fn check(authorization: Option<&str>) -> Result<(), ApiError> {
        let mut req = TestRequest::get().uri("/metrics");
        if let Some(a) = authorization {
            req = req.insert_header((header::AUTHORIZATION, a));
        }
        check_bearer(&req.to_http_request(), &Secret::new(TOKEN))
    }

    #[test]
    fn only_the_bearer_of_the_exact_token_passes() {
        assert!(check(Some(&format!("Bearer {TOKEN}"))).is_ok());
        assert!(check(Some(&format!("bearer {TOKEN}"))).is_ok());
        for wrong in [String::new(), TOKEN.to_owned(), format!("Basic {TOKEN}"), format!("Bearer {TOKEN}x")] {
            let e = check(Some(&wrong)).unwrap_err();
            assert!(matches!(e, ApiError::UnauthorizedBearer(_)), "{wrong}");
            assert!(!e.to_string().contains(TOKEN), "the token is not echoed");
        }
        assert!(check(None).is_err());
    }
}
