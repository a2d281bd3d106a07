//! The HTTP ingress (actix-web): the webhooks of the wire contract v1, the order link and SKU reports, health
//! and readiness, and the OpenAPI document (paperclip) with Swagger UI.

pub mod dashboard;
pub mod error;
pub mod limits;
mod metrics;
pub mod openapi;
pub mod routes;
pub mod skus;
pub mod webhook;
pub mod wire;

use std::{net::TcpListener, sync::Arc};

use actix_web::{App, HttpServer, dev::Server, http::StatusCode, middleware, web};
use hub_domain::{Secret, StoreDirectory};
use paperclip::{
    actix::{OpenApiExt, web as pweb},
    v2::models::{DefaultApiRaw, Info, Tag},
};
use serde::{Deserialize, Serialize};

pub use routes::AppState;

/// HTTP settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Address to listen on; port 0 picks a free one.
    pub listen: String,
    /// Largest accepted body.
    pub body_limit_bytes: usize,
    /// Largest accepted request header (name and value); a larger one gets 431.
    pub header_limit_bytes: usize,
    /// Largest accepted request headers, all together; more gets 431.
    pub all_headers_limit_bytes: usize,
    /// Accepted clock difference for `X-Hub-Signature` timestamps.
    pub signature_tolerance_secs: i64,
    /// HTTP worker threads (0: one per core).
    pub workers: usize,
    /// The token that opens the dashboard (`/dashboard`); unset, the dashboard is off.
    #[serde(skip_serializing)]
    pub admin_token: Option<Secret>,
    /// Limits on failed dashboard logins, per client address and in all (per process).
    pub login_limit: dashboard::LoginLimits,
    /// The token `/metrics` asks for (`Authorization: Bearer <token>`), on the API and on a worker's
    /// monitoring server; unset, `/metrics` is open (keep it on a private network then).
    #[serde(skip_serializing)]
    pub metrics_token: Option<Secret>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            body_limit_bytes: 1024 * 1024,
            header_limit_bytes: 8 * 1024,
            all_headers_limit_bytes: 16 * 1024,
            signature_tolerance_secs: 300,
            workers: 0,
            admin_token: None,
            metrics_token: None,
            login_limit: dashboard::LoginLimits::default(),
        }
    }
}

impl HttpSettings {
    /// The limits on a request's headers.
    pub fn header_limits(&self) -> limits::HeaderLimits {
        limits::HeaderLimits { each: self.header_limit_bytes, all: self.all_headers_limit_bytes }
    }
}

fn spec() -> DefaultApiRaw {
    let info = Info {
        title: "Fulfillment Hub".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: Some(
            "Webhooks of the fulfillment_connector module. Each store has its own X-API-KEY; the source store posts \
             product events, client stores post orders. When a store has a signing secret, requests carry \
             X-Hub-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>, accepted within ±300 s. \
             Errors are always {\"error\":{\"code\",\"message\",\"fields\"}}."
                .into(),
        ),
        ..Default::default()
    };
    let tags = vec![
        Tag { name: "Sync".into(), description: Some("Events from the stores".into()), external_docs: None },
        Tag { name: "Orders".into(), description: Some("Replicated orders".into()), external_docs: None },
        Tag {
            name: "Products".into(),
            description: Some("Where a SKU stands on the client stores".into()),
            external_docs: None,
        },
        Tag { name: "Health".into(), description: Some("Liveness and readiness".into()), external_docs: None },
    ];
    DefaultApiRaw { info, tags, ..Default::default() }
}

/// Starts the HTTP server on `listener`.
///
/// # Errors
/// When the server cannot start.
pub fn serve(
    listener: TcpListener,
    state: AppState,
    operations: dashboard::Operations,
    stores: Arc<dyn StoreDirectory>,
    settings: HttpSettings,
) -> std::io::Result<Server> {
    let skus = web::Data::new(operations.skus.clone());
    let operations = web::Data::new(operations);
    let state = web::Data::new(state);
    let stores = web::Data::new(stores);
    let settings_data = web::Data::new(settings.clone());
    let header_limits = settings.header_limits();
    let login_throttle = web::Data::new(dashboard::LoginThrottle::new(settings.login_limit));
    let spec_cell: Arc<std::sync::OnceLock<serde_json::Value>> = Arc::default();
    let mut server = HttpServer::new(move || {
        let published = spec_cell.clone();
        App::new()
            // The annotated document; registered before paperclip's route at the same path, so it wins
            // (paperclip's route only tells Swagger UI where the document is).
            .service(web::resource("/api/openapi.json").route(web::get().to({
                let cell = spec_cell.clone();
                move || {
                    let cell = cell.clone();
                    async move { web::Json(cell.get().cloned().unwrap_or_default()) }
                }
            })))
            .service(web::resource("/metrics").route(web::get().to(metrics::metrics)))
            .configure(dashboard::configure)
            .wrap(middleware::NormalizePath::trim())
            .wrap(middleware::ErrorHandlers::new().handler(StatusCode::METHOD_NOT_ALLOWED, error::method_not_allowed))
            .wrap_fn(limits::refuse_large_headers(header_limits))
            .app_data(operations.clone())
            .app_data(login_throttle.clone())
            .app_data(state.clone())
            .app_data(skus.clone())
            .app_data(stores.clone())
            .app_data(settings_data.clone())
            .app_data(web::JsonConfig::default().error_handler(error::json_error_handler))
            .app_data(web::PathConfig::default().error_handler(error::json_error_handler))
            .app_data(web::QueryConfig::default().error_handler(error::json_error_handler))
            .wrap_api_with_spec(spec())
            .service(pweb::resource("/api/sync/product").route(pweb::post().to(routes::sync_product)))
            .service(pweb::resource("/api/sync/order").route(pweb::post().to(routes::sync_order)))
            .service(pweb::resource("/api/sync/order-status").route(pweb::post().to(routes::sync_order_status)))
            .service(
                pweb::resource("/api/orders/{client_store}/{client_order_id}")
                    .route(pweb::get().to(routes::order_link)),
            )
            .service(pweb::resource("/api/skus/{reference}").route(pweb::get().to(skus::sku)))
            .service(pweb::resource("/health").route(pweb::get().to(routes::health)))
            .service(pweb::resource("/ready").route(pweb::get().to(routes::ready)))
            .with_raw_json_spec_v3(|app, spec| {
                let _ = published.set(openapi::annotate(spec));
                app
            })
            .with_json_spec_v3_at("/api/openapi.json")
            .with_json_spec_at("/api/openapi-v2.json")
            .with_swagger_ui_at("/api/documentation")
            .build()
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(error::ApiError::NotFound("no such resource".into()))
            }))
    })
    .listen(listener)?
    .disable_signals();
    if settings.workers > 0 {
        server = server.workers(settings.workers);
    }
    Ok(server.run())
}

/// Starts the monitoring server of a worker process on `listener`: `/health`, `/ready` (database and
/// queue) and `/metrics`, with the header limits of `settings`.
///
/// # Errors
/// When the server cannot start.
pub fn serve_monitor(
    listener: TcpListener,
    inbox: Arc<dyn hub_domain::ingest::Inbox>,
    operations: dashboard::Operations,
    settings: &HttpSettings,
) -> std::io::Result<Server> {
    let header_limits = settings.header_limits();
    let probe = web::Data::new(routes::Probe { inbox, queue: operations.queue.clone() });
    let operations = web::Data::new(operations);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(probe.clone())
            .app_data(operations.clone())
            .service(web::resource("/health").route(web::get().to(routes::health)))
            .service(web::resource("/ready").route(web::get().to(routes::probe_ready)))
            .service(web::resource("/metrics").route(web::get().to(metrics::metrics)))
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(error::ApiError::NotFound("no such resource".into()))
            }))
            .wrap(middleware::ErrorHandlers::new().handler(StatusCode::METHOD_NOT_ALLOWED, error::method_not_allowed))
            .wrap_fn(limits::refuse_large_headers(header_limits))
    })
    .listen(listener)?
    .workers(1)
    .disable_signals();
    Ok(server.run())
}
