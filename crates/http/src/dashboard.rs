//! The operator's dashboard: server-rendered pages under `/dashboard` (no JavaScript, no build step),
//! behind the admin token from settings, and the Prometheus `/metrics` endpoint.
//!
//! Login trades the token for an HttpOnly, SameSite=Strict session cookie `<expiry>.<HMAC(token, expiry)>`
//! (nothing is stored server-side; changing the token logs everyone out). The Retry and Discard forms carry
//! a CSRF token derived from the session. Secrets are never rendered: stores show their code, role and
//! whether a Webservice is configured, never a key.

// The pages answer early with a whole response (a redirect, a 403): it is the natural error type here.
#![allow(clippy::result_large_err)]

use std::{collections::BTreeMap, fmt::Write as _, sync::Arc};

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use hub_domain::{
    JobQueue, JobType, Secret, StoreDirectory, StoreRole,
    operations::{FailedJobs, OperationError, OperationsLog},
};
use serde::Deserialize;
use sha2::Sha256;

/// What the dashboard and `/metrics` need.
#[derive(Clone)]
pub struct Operations {
    /// Telemetry, failed jobs and links.
    pub log: Arc<dyn OperationsLog>,
    /// Retry and Discard.
    pub failed: FailedJobs,
    /// For queue depths.
    pub queue: Arc<dyn JobQueue>,
    /// The admin token; `None` disables the dashboard.
    pub admin_token: Option<Secret>,
    /// Renders this process's Prometheus metrics; `None` disables `/metrics`.
    pub metrics: Option<Arc<dyn Fn() -> String + Send + Sync>>,
}

const COOKIE: &str = "hub_session";
const SESSION_SECS: i64 = 8 * 3600;

fn sign(token: &Secret, what: &str) -> String {
    // HMAC accepts a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(token.expose().as_bytes()).expect("any key length");
    mac.update(what.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn verify(token: &Secret, what: &str, signature: &str) -> bool {
    let Ok(bytes) = hex::decode(signature) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(token.expose().as_bytes()).expect("any key length");
    mac.update(what.as_bytes());
    mac.verify_slice(&bytes).is_ok()
}

/// The session's expiry when the request carries a valid, unexpired session cookie.
fn session(req: &HttpRequest, ops: &Operations) -> Option<i64> {
    let token = ops.admin_token.as_ref()?;
    let value = req
        .headers()
        .get_all(header::COOKIE)
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))?;
    let (expiry, signature) = value.split_once('.')?;
    let expiry: i64 = expiry.parse().ok()?;
    (expiry > Utc::now().timestamp() && verify(token, &format!("session:{expiry}"), signature)).then_some(expiry)
}

fn csrf(ops: &Operations, expiry: i64) -> String {
    ops.admin_token.as_ref().map(|t| sign(t, &format!("csrf:{expiry}"))).unwrap_or_default()
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to.to_owned())).finish()
}

fn disabled() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("The dashboard is disabled: set server.admin_token (HUB_SERVER__ADMIN_TOKEN) to enable it.\n")
}

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "—".to_owned(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2433;background:#f5f6f8}\
header{background:#1d2433;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:center}\
header a{color:#cfd6e4;text-decoration:none}header a.on{color:#fff;font-weight:600}\
header form{margin-left:auto}main{padding:16px 24px;max-width:1280px}\
h1{font-size:20px;margin:8px 0 16px}h2{font-size:16px;margin:24px 0 8px}\
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:10px 14px;min-width:150px}\
.card b{display:block;font-size:22px}table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e8}\
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eceff4;vertical-align:top}th{background:#f0f2f6;font-weight:600}\
.ok{color:#17803d}.bad{color:#c0262d}.warn{color:#a86400}code,pre{font:12px ui-monospace,monospace}\
pre{white-space:pre-wrap;margin:4px 0;max-width:520px}button{cursor:pointer;padding:3px 10px}\
.flash{background:#e7f5ec;border:1px solid #b4dfc2;padding:8px 12px;border-radius:6px}\
.flash.bad{background:#fbeaea;border-color:#eab4b4}.muted{color:#6b7385}svg{background:#fff;border:1px solid #dde1e8}";

fn page(title: &str, active: &str, expiry: i64, ops: &Operations, body: &str) -> HttpResponse {
    let nav = [
        ("Overview", "/dashboard"),
        ("Jobs", "/dashboard/jobs"),
        ("Stores", "/dashboard/stores"),
        ("Orders", "/dashboard/orders"),
    ]
    .iter()
    .map(|(name, href)| format!("<a href=\"{href}\"{}>{name}</a>", if *name == active { " class=\"on\"" } else { "" }))
    .collect::<String>();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · Fulfillment Hub</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>{STYLE}</style></head><body>\
         <header><strong>Fulfillment Hub</strong>{nav}<form method=\"post\" action=\"/dashboard/logout\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><button>Log out</button></form></header>\
         <main><h1>{title}</h1>{body}</main></body></html>",
        title = esc(title),
        csrf = csrf(ops, expiry),
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'",
        ))
        .body(html)
}

fn unavailable(e: impl std::fmt::Display) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((header::RETRY_AFTER, "5"))
        .content_type("text/plain; charset=utf-8")
        .body(format!("The hub's database cannot be read now: {e}\n"))
}

/// Gate of every page: the session's expiry, or the response to send instead.
fn gate(req: &HttpRequest, ops: &Operations) -> Result<i64, HttpResponse> {
    if ops.admin_token.is_none() {
        return Err(disabled());
    }
    session(req, ops).ok_or_else(|| see_other("/dashboard/login"))
}

/// `GET /dashboard/login`.
pub async fn login_form(ops: web::Data<Operations>, query: web::Query<BTreeMap<String, String>>) -> HttpResponse {
    if ops.admin_token.is_none() {
        return disabled();
    }
    let error =
        if query.contains_key("failed") { "<p class=\"flash bad\">That token is not the admin token.</p>" } else { "" };
    HttpResponse::Ok().content_type("text/html; charset=utf-8").insert_header((header::CACHE_CONTROL, "no-store")).body(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Log in · Fulfillment Hub</title>\
         <style>{STYLE}</style></head><body><header><strong>Fulfillment Hub</strong></header><main>\
         <h1>Log in</h1>{error}<form method=\"post\" action=\"/dashboard/login\">\
         <p><label>Admin token<br><input type=\"password\" name=\"token\" id=\"token\" size=\"40\" autofocus required></label></p>\
         <p><button type=\"submit\">Log in</button></p></form></main></body></html>"
    ))
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    token: String,
}

/// `POST /dashboard/login`.
pub async fn login(req: HttpRequest, ops: web::Data<Operations>, form: web::Form<LoginForm>) -> HttpResponse {
    let Some(token) = &ops.admin_token else { return disabled() };
    if !token.matches(form.token.as_bytes()) {
        tracing::warn!("dashboard login refused");
        return see_other("/dashboard/login?failed=1");
    }
    let expiry = Utc::now().timestamp() + SESSION_SECS;
    // Behind TLS (directly or per `X-Forwarded-Proto` / `Forwarded` from the proxy), the cookie never
    // travels in clear.
    let secure = if req.connection_info().scheme() == "https" { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={expiry}.{}; Path=/dashboard; Max-Age={SESSION_SECS}; HttpOnly; SameSite=Strict{secure}",
        sign(token, &format!("session:{expiry}"))
    );
    tracing::info!("dashboard login");
    HttpResponse::SeeOther()
        .insert_header((header::SET_COOKIE, cookie))
        .insert_header((header::LOCATION, "/dashboard"))
        .finish()
}

/// A form that changes something: it carries the CSRF token.
#[derive(Debug, Deserialize)]
pub struct ActionForm {
    csrf: String,
}

fn checked(req: &HttpRequest, ops: &Operations, form: &ActionForm) -> Result<i64, HttpResponse> {
    let expiry = gate(req, ops)?;
    let token = ops.admin_token.as_ref().ok_or_else(disabled)?;
    if !verify(token, &format!("csrf:{expiry}"), &form.csrf) {
        return Err(HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body("Bad or missing form token.\n"));
    }
    Ok(expiry)
}

/// `POST /dashboard/logout`.
pub async fn logout(req: HttpRequest, ops: web::Data<Operations>, form: web::Form<ActionForm>) -> HttpResponse {
    if let Err(r) = checked(&req, &ops, &form) {
        return r;
    }
    HttpResponse::SeeOther()
        .insert_header((
            header::SET_COOKIE,
            format!("{COOKIE}=; Path=/dashboard; Max-Age=0; HttpOnly; SameSite=Strict"),
        ))
        .insert_header((header::LOCATION, "/dashboard/login"))
        .finish()
}

/// `POST /dashboard/jobs/{id}/{retry|discard}`.
pub async fn job_action(
    req: HttpRequest,
    ops: web::Data<Operations>,
    path: web::Path<(i64, String)>,
    form: web::Form<ActionForm>,
) -> HttpResponse {
    if let Err(r) = checked(&req, &ops, &form) {
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

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct MinuteRow {
    runs: u64,
    failed: u64,
    wait_sum: u64,
    wait_runs: u64,
}

/// An SVG chart of the last hour: bars of jobs per minute (failures in red) and a line of the mean wait.
fn chart(minutes: &BTreeMap<i64, MinuteRow>, now_minute: i64) -> String {
    let (w, h, left, bottom) = (720.0_f64, 200.0_f64, 48.0_f64, 24.0_f64);
    let slot = (w - left - 48.0) / 60.0;
    let max_runs = minutes.values().map(|m| m.runs).max().unwrap_or(0).max(1) as f64;
    let waits: Vec<(usize, f64)> = (0..60)
        .filter_map(|i| {
            let m = minutes.get(&(now_minute - 59 + i as i64))?;
            (m.wait_runs > 0).then(|| (i, m.wait_sum as f64 / m.wait_runs as f64))
        })
        .collect();
    let max_wait = waits.iter().map(|(_, w)| *w).fold(1.0_f64, f64::max);
    let plot_h = h - bottom - 12.0;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"Jobs per minute and mean wait, last hour\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">"
    );
    for i in 0..60_i64 {
        let Some(m) = minutes.get(&(now_minute - 59 + i)) else { continue };
        let x = left + i as f64 * slot;
        let bar = plot_h * m.runs as f64 / max_runs;
        let bad = plot_h * m.failed as f64 / max_runs;
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bar:.1}\" fill=\"#7aa2e3\"><title>{} jobs</title></rect>",
            12.0 + plot_h - bar,
            slot * 0.8,
            m.runs
        );
        if m.failed > 0 {
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bad:.1}\" fill=\"#d9534f\"/>",
                12.0 + plot_h - bad,
                slot * 0.8
            );
        }
    }
    if !waits.is_empty() {
        let points: Vec<String> = waits
            .iter()
            .map(|(i, wt)| {
                format!("{:.1},{:.1}", left + *i as f64 * slot + slot * 0.4, 12.0 + plot_h - plot_h * wt / max_wait)
            })
            .collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"#e08a00\" stroke-width=\"2\" points=\"{}\"/>",
            points.join(" ")
        );
    }
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"#99a\"/>\
         <text x=\"4\" y=\"20\" font-size=\"11\" fill=\"#36c\">{max_runs:.0}/min</text>\
         <text x=\"{x2t}\" y=\"20\" font-size=\"11\" fill=\"#e08a00\">{max_wait:.0} ms</text>\
         <text x=\"{left}\" y=\"{yl}\" font-size=\"11\" fill=\"#667\">−60 min</text>\
         <text x=\"{x2m}\" y=\"{yl}\" font-size=\"11\" fill=\"#667\">now</text></svg>",
        y = 12.0 + plot_h,
        x2 = w - 48.0,
        x2t = w - 44.0,
        x2m = w - 72.0,
        yl = h - 6.0,
    );
    svg
}

/// `GET /dashboard`.
pub async fn overview(
    req: HttpRequest,
    ops: web::Data<Operations>,
    stores: web::Data<Arc<dyn StoreDirectory>>,
) -> HttpResponse {
    let expiry = match gate(&req, &ops) {
        Ok(e) => e,
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
    page("Overview", "Overview", expiry, &ops, &body)
}

fn store_table(
    stores: &dyn StoreDirectory,
    health: &[hub_domain::operations::StoreHealth],
    minutes: &[hub_domain::operations::StoreMinute],
) -> String {
    let mut out = String::from(
        "<h2>Stores</h2><table id=\"stores\"><tr><th>Store</th><th>Role</th><th>Circuit</th><th>Last success</th>\
         <th>Last error</th><th>Calls, last hour</th><th>Error rate</th></tr>",
    );
    let fresh = Utc::now() - chrono::Duration::minutes(5);
    for store in stores.all() {
        let code = store.code.as_str();
        let reports: Vec<_> = health.iter().filter(|h| h.store == code).collect();
        let circuit = if reports.iter().any(|h| h.circuit == "open" && h.updated_at > fresh) {
            "<span class=\"bad\">open</span>"
        } else if reports.iter().any(|h| h.circuit == "half_open" && h.updated_at > fresh) {
            "<span class=\"warn\">half open</span>"
        } else if reports.is_empty() {
            "<span class=\"muted\">no calls yet</span>"
        } else {
            "<span class=\"ok\">closed</span>"
        };
        let last_success = reports.iter().filter_map(|h| h.last_success).max();
        let last_error = reports
            .iter()
            .filter_map(|h| h.last_error.map(|t| (t, h.last_error_message.clone())))
            .max_by_key(|(t, _)| *t);
        let (calls, errors) =
            minutes.iter().filter(|m| m.store == code).fold((0, 0), |a, m| (a.0 + m.calls, a.1 + m.errors));
        let rate = if calls > 0 { format!("{:.1} %", errors as f64 * 100.0 / calls as f64) } else { "—".into() };
        let _ = write!(
            out,
            "<tr data-store=\"{}\"><td>{}</td><td>{}</td><td>{circuit}</td><td>{}</td><td>{}</td><td>{calls}</td><td class=\"{}\">{rate}</td></tr>",
            esc(code),
            esc(code),
            if store.role == StoreRole::Source { "source" } else { "client" },
            when(last_success),
            last_error.map_or_else(
                || "—".to_owned(),
                |(t, m)| format!("{}<br><code>{}</code>", when(Some(t)), esc(&m.unwrap_or_default()))
            ),
            if errors > 0 { "bad" } else { "ok" },
        );
    }
    out.push_str("</table>");
    out
}

/// `GET /dashboard/jobs`.
pub async fn jobs(
    req: HttpRequest,
    ops: web::Data<Operations>,
    query: web::Query<BTreeMap<String, String>>,
) -> HttpResponse {
    let expiry = match gate(&req, &ops) {
        Ok(e) => e,
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
    let token = csrf(&ops, expiry);
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
    page("Jobs", "Jobs", expiry, &ops, &body)
}

/// `GET /dashboard/stores`.
pub async fn stores_page(
    req: HttpRequest,
    ops: web::Data<Operations>,
    stores: web::Data<Arc<dyn StoreDirectory>>,
) -> HttpResponse {
    let expiry = match gate(&req, &ops) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let since = Utc::now() - chrono::Duration::minutes(60);
    let (health, minutes, unlinked) =
        futures::join!(ops.log.store_health(), ops.log.store_minutes(since), ops.log.unlinked_skus(500));
    let (health, minutes, unlinked) = match (health, minutes, unlinked) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return unavailable(e),
    };
    let mut body = store_table(stores.get_ref().as_ref(), &health, &minutes);
    let mut by_store: BTreeMap<&str, Vec<&hub_domain::operations::UnlinkedSku>> = BTreeMap::new();
    for u in &unlinked {
        by_store.entry(u.store.as_str()).or_default().push(u);
    }
    let _ = write!(body, "<h2>Unlinked SKUs ({})</h2>", unlinked.len());
    if by_store.is_empty() {
        body.push_str("<p class=\"muted\">Every synced SKU matches exactly one product on each client.</p>");
    }
    for (store, skus) in by_store {
        let _ = write!(
            body,
            "<h3>{} · {} SKU(s)</h3><table class=\"unlinked\"><tr><th>SKU</th><th>Why</th><th>Last looked up</th></tr>",
            esc(store),
            skus.len()
        );
        for u in skus {
            let why = if u.status == "ambiguous" {
                "several products have this reference"
            } else {
                "no product has this reference"
            };
            let _ =
                write!(body, "<tr><td>{}</td><td>{why}</td><td>{}</td></tr>", esc(&u.sku), when(Some(u.updated_at)));
        }
        body.push_str("</table>");
    }
    page("Stores", "Stores", expiry, &ops, &body)
}

/// `GET /dashboard/orders`.
pub async fn orders_page(req: HttpRequest, ops: web::Data<Operations>) -> HttpResponse {
    let expiry = match gate(&req, &ops) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let links = match ops.log.order_links(200).await {
        Ok(l) => l,
        Err(e) => return unavailable(e),
    };
    let mut body = String::from(
        "<table id=\"orders\"><tr><th>Client store</th><th>Client order</th><th>→ Source order</th><th>State</th><th>Updated</th></tr>",
    );
    for l in &links {
        let class = match l.status.as_str() {
            "created" => "ok",
            "failed" => "bad",
            _ => "warn",
        };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td>{}</td></tr>",
            esc(&l.client_store),
            l.client_order_id,
            l.source_order_id.map_or_else(|| "—".to_owned(), |i| i.to_string()),
            esc(&l.status),
            when(Some(l.updated_at)),
        );
    }
    if links.is_empty() {
        body.push_str("<tr><td colspan=\"5\" class=\"muted\">No order replicated yet.</td></tr>");
    }
    body.push_str("</table>");
    page("Orders", "Orders", expiry, &ops, &body)
}

/// Every job type's queue depth, read at once; `None` where the queue did not answer.
async fn depths(queue: &dyn JobQueue) -> Vec<(JobType, Option<u64>)> {
    let reads = JobType::ALL.map(|job| async move { (job, queue.depth(job).await.ok()) });
    futures::future::join_all(reads).await
}

/// `GET /metrics`: this process's metrics in the Prometheus text format, with the queue depths read now.
pub async fn metrics(ops: web::Data<Operations>) -> HttpResponse {
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

/// Mounts the dashboard and `/metrics`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/metrics").route(web::get().to(metrics)))
        .service(web::resource("/dashboard").route(web::get().to(overview)))
        .service(web::resource("/dashboard/login").route(web::get().to(login_form)).route(web::post().to(login)))
        .service(web::resource("/dashboard/logout").route(web::post().to(logout)))
        .service(web::resource("/dashboard/jobs").route(web::get().to(jobs)))
        .service(web::resource("/dashboard/jobs/{id}/{action}").route(web::post().to(job_action)))
        .service(web::resource("/dashboard/stores").route(web::get().to(stores_page)))
        .service(web::resource("/dashboard/orders").route(web::get().to(orders_page)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn signatures_verify_only_with_the_same_token_and_text() {
        let t = Secret::new("admin-token-0123456789");
        let s = sign(&t, "session:1");
        assert!(verify(&t, "session:1", &s));
        assert!(!verify(&t, "session:2", &s));
        assert!(!verify(&Secret::new("other-token-0123456789"), "session:1", &s));
        assert!(!verify(&t, "session:1", "zz"));
    }

    #[test]
    fn the_chart_draws_a_bar_per_minute_with_runs() {
        let mut m = BTreeMap::new();
        m.insert(100, MinuteRow { runs: 10, failed: 2, wait_sum: 50, wait_runs: 10 });
        m.insert(99, MinuteRow { runs: 5, failed: 0, wait_sum: 0, wait_runs: 0 });
        let svg = chart(&m, 100);
        assert_eq!(svg.matches("<title>").count(), 2);
        assert!(svg.contains("#d9534f"), "failures drawn");
        assert!(svg.contains("polyline"), "wait line drawn");
    }
}
