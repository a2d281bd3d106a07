//! The operator's dashboard: server-rendered pages under `/dashboard` (no JavaScript, no build step),
//! behind the admin token from settings. The Prometheus `/metrics` endpoint, which reads the same
//! [`Operations`], is in `crate::metrics`.
//!
//! Failed logins are limited per client address and for all addresses together (`throttle`: token buckets
//! in this process's memory); over the limit, 429 with `Retry-After`, before the token is compared.
//!
//! Login trades the token for an HttpOnly, SameSite=Strict session cookie `<expiry>.<id>.<HMAC>` whose
//! id is also recorded server-side ([`DashboardSessions`], shared by every API process): logout deletes
//! the record, so the cookie is dead everywhere at once; expiry still applies, and changing the token logs
//! everyone out. The Retry, Discard and Re-check forms carry a CSRF token derived from the session. Secrets are never rendered: stores show their code, role and
//! whether a Webservice is configured, never a key.
//!
//! Here: [`Operations`] and the routes ([`configure`]). `session`: the cookie, the gate, CSRF, login and
//! logout. `throttle`: the limit on failed logins. `html`: escaping, the layout and the small shared responses. `chart`: the overview's SVG.
//! `pages`: one module per page.

mod chart;
mod html;
mod pages;
mod session;
mod throttle;

use std::sync::Arc;

use actix_web::web;
use hub_domain::{
    JobQueue, Secret,
    operations::{DashboardSessions, FailedJobs, LocateSku, OperationsLog},
};

pub use self::throttle::{LoginLimits, LoginThrottle};
use self::{
    pages::{jobs, orders, overview, skus, stores},
    session::{login, login_form, logout},
};

/// What the dashboard and `/metrics` need.
#[derive(Clone)]
pub struct Operations {
    /// Telemetry, failed jobs and links.
    pub log: Arc<dyn OperationsLog>,
    /// Retry and Discard.
    pub failed: FailedJobs,
    /// For queue depths.
    pub queue: Arc<dyn JobQueue>,
    /// "Where is my SKU?" and its re-check (the SKU page and `GET /api/skus/{reference}`).
    pub skus: LocateSku,
    /// The admin token; `None` disables the dashboard.
    pub admin_token: Option<Secret>,
    /// The dashboard's open sessions.
    pub sessions: Arc<dyn DashboardSessions>,
    /// Renders this process's Prometheus metrics; `None` disables `/metrics`.
    pub metrics: Option<Arc<dyn Fn() -> String + Send + Sync>>,
    /// The bearer token `/metrics` asks for; `None` leaves it open.
    pub metrics_token: Option<Secret>,
}

/// Mounts the dashboard under `/dashboard` (`/metrics` is mounted apart, see `crate::metrics`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/dashboard").route(web::get().to(overview::overview)))
        .service(web::resource("/dashboard/login").route(web::get().to(login_form)).route(web::post().to(login)))
        .service(web::resource("/dashboard/logout").route(web::post().to(logout)))
        .service(web::resource("/dashboard/jobs").route(web::get().to(jobs::jobs)))
        .service(web::resource("/dashboard/jobs/{id}/{action}").route(web::post().to(jobs::job_action)))
        .service(web::resource("/dashboard/stores").route(web::get().to(stores::stores_page)))
        .service(web::resource("/dashboard/orders").route(web::get().to(orders::orders_page)))
        .service(web::resource("/dashboard/skus").route(web::get().to(skus::sku_page)))
        .service(web::resource("/dashboard/skus/recheck").route(web::post().to(skus::recheck)));
}
