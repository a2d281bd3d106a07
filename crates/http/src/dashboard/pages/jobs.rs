//! `GET /dashboard/jobs`: the failed jobs waiting for a decision and the recent runs; and
//! `POST /dashboard/jobs/{id}/{retry|discard}`, the decision.

use std::{collections::BTreeMap, fmt::Write as _};

use actix_web::{HttpRequest, HttpResponse, web};
use hub_domain::operations::OperationError;

use crate::dashboard::{
    Operations,
    html::{esc, page, see_other, unavailable, urlencode, when},
    session::{ActionForm, checked, csrf, gate},
};

/// `GET /dashboard/jobs`.
pub(crate) async fn jobs(
    req: HttpRequest,
    ops: web::Data<Operations>,
    query: web::Query<BTreeMap<String, String>>,
) -> HttpResponse {
    let session = match gate(&req, &ops).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (waiting, recent) = futures::join!(ops.failed.waiting(200), ops.log.recent_runs(100));
    let (waiting, recent) = match (waiting, recent) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) => return unavailable(e),
        (_, Err(e)) => return unavailable(e),
    };
    let mut body = String::new();
    if let (Some(done), Some(id)) = (query.get("done"), query.get("id")) {
        let what = if done == "retry" { "queued again" } else { "discarded" };
        let _ = write!(body, "<p class=\"flash\" id=\"flash\">Job {} {what}.</p>", esc(id));
    }
    if let Some(error) = query.get("error") {
        let _ = write!(body, "<p class=\"flash bad\" id=\"flash\">{}</p>", esc(error));
    }
    let token = csrf(&ops, &session);
    let _ = write!(body, "<h2>Failed jobs ({})</h2>", waiting.len());
    if waiting.is_empty() {
        body.push_str("<p class=\"muted\" id=\"no-failed\">No failed job is waiting.</p>");
    } else {
        body.push_str(
            "<table id=\"failed\"><tr><th>#</th><th>Job</th><th>Subject</th><th>Error</th><th>Attempts</th><th>Failed at</th><th>Payload</th><th></th></tr>",
        );
        for j in &waiting {
            let _ = write!(
                body,
                "<tr data-failed-id=\"{id}\"><td>{id}</td><td>{}</td><td>{}</td><td><pre>{}</pre></td><td>{}</td><td>{}</td>\
                 <td><details><summary>show</summary><pre>{}</pre></details></td><td>\
                 <form method=\"post\" action=\"/dashboard/jobs/{id}/retry\"><input type=\"hidden\" name=\"csrf\" value=\"{token}\"><button>Retry</button></form>\
                 <form method=\"post\" action=\"/dashboard/jobs/{id}/discard\"><input type=\"hidden\" name=\"csrf\" value=\"{token}\"><button>Discard</button></form></td></tr>",
                esc(&j.job),
                esc(&j.subject),
                esc(&j.error),
                j.attempts,
                when(Some(j.failed_at)),
                esc(&j.payload),
                id = j.id,
            );
        }
        body.push_str("</table>");
    }
    body.push_str(
        "<h2>Recent jobs</h2><p class=\"muted\">Every failure and a sample of successes, newest first; written by the workers about once a second.</p>\
         <table id=\"recent\"><tr><th>Finished</th><th>Job</th><th>Subject</th><th>Outcome</th><th>Attempt</th><th>Wait</th><th>Duration</th><th>Worker</th><th>Error</th></tr>",
    );
    for r in &recent {
        let class = match r.outcome.as_str() {
            "succeeded" => "ok",
            "retrying" => "warn",
            _ => "bad",
        };
        let _ = write!(
            body,
            "<tr data-subject=\"{subject}\" data-outcome=\"{outcome}\"><td>{}</td><td>{}</td><td>{subject}</td><td class=\"{class}\">{outcome}</td><td>{}</td><td>{}</td><td>{} ms</td><td>{}</td><td><code>{}</code></td></tr>",
            when(Some(r.finished_at)),
            esc(&r.job),
            r.attempt,
            r.wait_ms.map_or_else(|| "—".to_owned(), |w| format!("{w} ms")),
            r.duration_ms,
            esc(&r.worker),
            esc(r.error.as_deref().unwrap_or("")),
            subject = esc(&r.subject),
            outcome = esc(&r.outcome),
        );
    }
    body.push_str("</table>");
    page("Jobs", "Jobs", &session, &ops, &body)
}

/// `POST /dashboard/jobs/{id}/{retry|discard}`.
pub(crate) async fn job_action(
    req: HttpRequest,
    ops: web::Data<Operations>,
    path: web::Path<(i64, String)>,
    form: web::Form<ActionForm>,
) -> HttpResponse {
    if let Err(r) = checked(&req, &ops, &form).await {
        return r;
    }
    let (id, action) = path.into_inner();
    let result = match action.as_str() {
        "retry" => ops.failed.retry(id).await,
        "discard" => ops.failed.discard(id).await,
        _ => return HttpResponse::NotFound().finish(),
    };
    match result {
        Ok(()) => see_other(&format!("/dashboard/jobs?done={action}&id={id}")),
        Err(
            e @ (OperationError::NotFound(_) | OperationError::AlreadyResolved(..) | OperationError::Malformed(..)),
        ) => see_other(&format!("/dashboard/jobs?error={}", urlencode(&e.to_string()))),
        Err(e) => see_other(&format!("/dashboard/jobs?error={}", urlencode(&format!("not done, try again: {e}")))),
    }
}
