//! `GET /dashboard`: queue depths, the last hour's jobs and wait times, and the stores' health.

use std::{collections::BTreeMap, fmt::Write as _, sync::Arc};

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use hub_domain::StoreDirectory;

use super::stores::store_table;
use crate::{
    dashboard::{
        Operations,
        chart::{MinuteRow, chart},
        html::{esc, page, unavailable},
        session::gate,
    },
    metrics::depths,
};

/// `GET /dashboard`.
pub(crate) async fn overview(
    req: HttpRequest,
    ops: web::Data<Operations>,
    stores: web::Data<Arc<dyn StoreDirectory>>,
) -> HttpResponse {
    let session = match gate(&req, &ops).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let since = Utc::now() - chrono::Duration::minutes(60);
    let (minutes, health, store_minutes, waiting) = futures::join!(
        ops.log.job_minutes(since),
        ops.log.store_health(),
        ops.log.store_minutes(since),
        ops.failed.waiting(1000)
    );
    let (minutes, health, store_minutes) = match (minutes, health, store_minutes) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return unavailable(e),
    };
    let mut per_minute: BTreeMap<i64, MinuteRow> = BTreeMap::new();
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    let (mut wait_sum, mut wait_runs, mut dur_sum, mut runs) = (0_u64, 0_u64, 0_u64, 0_u64);
    for m in &minutes {
        let row = per_minute.entry(m.minute).or_insert(MinuteRow { runs: 0, failed: 0, wait_sum: 0, wait_runs: 0 });
        row.runs += m.counts.runs;
        if m.outcome != "succeeded" {
            row.failed += m.counts.runs;
        }
        row.wait_sum += m.counts.wait_ms_sum;
        row.wait_runs += m.counts.wait_runs;
        *totals.entry(m.outcome.as_str()).or_default() += m.counts.runs;
        wait_sum += m.counts.wait_ms_sum;
        wait_runs += m.counts.wait_runs;
        dur_sum += m.counts.duration_ms_sum;
        runs += m.counts.runs;
    }
    let mut body = String::new();
    body.push_str("<div class=\"cards\">");
    for (job, depth) in depths(ops.queue.as_ref()).await {
        let depth = depth.map_or_else(|| "unavailable".to_owned(), |d| d.to_string());
        let _ = write!(
            body,
            "<div class=\"card\" data-queue=\"{0}\">Queue · {0}<b>{1}</b></div>",
            job.as_str(),
            esc(&depth)
        );
    }
    let _ = write!(
        body,
        "<div class=\"card\">Jobs, last hour<b>{runs}</b><span class=\"ok\">{} ok</span> · <span class=\"warn\">{} retried</span> · <span class=\"bad\">{} failed</span></div>\
         <div class=\"card\">Mean wait<b>{}</b></div><div class=\"card\">Mean run time<b>{}</b></div>\
         <div class=\"card\">Failed, waiting<b class=\"{}\">{}</b><a href=\"/dashboard/jobs\">see jobs</a></div></div>",
        totals.get("succeeded").unwrap_or(&0),
        totals.get("retrying").unwrap_or(&0),
        totals.get("failed").unwrap_or(&0),
        wait_sum.checked_div(wait_runs).map_or_else(|| "—".to_owned(), |w| format!("{w} ms")),
        dur_sum.checked_div(runs).map_or_else(|| "—".to_owned(), |d| format!("{d} ms")),
        if waiting.as_ref().is_ok_and(|w| !w.is_empty()) { "bad" } else { "ok" },
        waiting.as_ref().map_or_else(|_| "?".to_owned(), |w| w.len().to_string()),
    );
    let _ = write!(
        body,
        "<h2>Throughput and wait time, last hour</h2>{}<p class=\"muted\">Bars: jobs finished per minute (red: failed or retried). Line: mean wait from queueing to start.</p>",
        chart(&per_minute, Utc::now().timestamp().div_euclid(60))
    );
    body.push_str(&store_table(stores.get_ref().as_ref(), &health, &store_minutes));
    page("Overview", "Overview", &session, &ops, &body)
}
