//! One store's Webservice: reqwest with keep-alive, a concurrency cap, a request-rate cap and a circuit
//! breaker, and the classification of every failure as retryable, gone or permanent.

use std::{
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicU8, Ordering},
    },
    time::{Duration, Instant},
};

use hub_domain::{GatewayError, Secret, operations::Telemetry};
use reqwest::{Method, StatusCode, header};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::xml;

/// Limits and timeouts for one store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreLimits {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Requests per second at most (0: no cap).
    pub rate_per_sec: f64,
    /// Per-request timeout.
    pub timeout_ms: u64,
    /// Consecutive retryable failures that open the circuit.
    pub breaker_failures: u32,
    /// How long an open circuit fails fast before letting a request try.
    pub breaker_open_secs: u64,
}

impl Default for StoreLimits {
    fn default() -> Self {
        Self { concurrency: 8, rate_per_sec: 100.0, timeout_ms: 10_000, breaker_failures: 5, breaker_open_secs: 10 }
    }
}

/// Circuit breaker state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Circuit {
    /// Requests flow.
    Closed,
    /// Failing fast until the pause ends.
    Open,
    /// The pause ended: the next request decides.
    HalfOpen,
}

#[derive(Debug)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
}

/// A Webservice answer.
#[derive(Debug)]
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// Body text.
    pub body: String,
    /// The body as it came (an image's file); empty unless asked for with [`WebserviceClient::send_binary`].
    pub bytes: Vec<u8>,
}

/// A request body and its content type.
#[derive(Debug)]
struct Payload {
    content_type: String,
    bytes: Vec<u8>,
}

const VERSION_UNKNOWN: u8 = 0;
const VERSION_PRE_8: u8 = 1;
const VERSION_8_PLUS: u8 = 2;

/// One store's Webservice client.
#[derive(Debug)]
pub struct WebserviceClient {
    store: String,
    base: String,
    key: Secret,
    http: reqwest::Client,
    limits: StoreLimits,
    slots: Semaphore,
    next_slot: Mutex<Instant>,
    breaker: Mutex<Breaker>,
    version: AtomicU8,
    version_text: Mutex<Option<String>>,
    telemetry: OnceLock<Arc<Telemetry>>,
}

impl WebserviceClient {
    /// A client for the shop at `base_url` (the Webservice is under `/api/`).
    pub fn new(store: &str, base_url: &str, key: Secret, http: reqwest::Client, limits: StoreLimits) -> Self {
        Self {
            store: store.to_owned(),
            base: base_url.trim_end_matches('/').to_owned(),
            key,
            http,
            slots: Semaphore::new(limits.concurrency.max(1)),
            limits,
            next_slot: Mutex::new(Instant::now()),
            breaker: Mutex::new(Breaker { failures: 0, open_until: None }),
            version: AtomicU8::new(VERSION_UNKNOWN),
            version_text: Mutex::new(None),
            telemetry: OnceLock::new(),
        }
    }

    /// Reports every call to `telemetry` from now on (once; later calls do nothing).
    pub fn report_to(&self, telemetry: Arc<Telemetry>) {
        let _ = self.telemetry.set(telemetry);
    }

    /// The shop's version as its last answer gave it (`PSWS-Version`).
    pub fn version(&self) -> Option<String> {
        self.version_text.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The store's code.
    pub fn store(&self) -> &str {
        &self.store
    }

    fn observe(
        &self,
        method: &Method,
        path: &str,
        status: Option<u16>,
        started: Instant,
        error: Option<&GatewayError>,
    ) {
        let Some(t) = self.telemetry.get() else { return };
        let resource = path.split('/').next().unwrap_or(path);
        let failed = matches!(error, Some(GatewayError::Retryable(_)));
        let message = error.map(|e| e.to_string());
        t.webservice_call(
            &self.store,
            resource,
            method.as_str(),
            status,
            failed,
            started.elapsed(),
            message.as_deref(),
        );
    }

    /// The circuit's state now.
    pub fn circuit(&self) -> Circuit {
        let b = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        match b.open_until {
            Some(t) if Instant::now() < t => Circuit::Open,
            Some(_) => Circuit::HalfOpen,
            None => Circuit::Closed,
        }
    }

    /// True once an answer said the shop runs PrestaShop 8.0 or later (PATCH available). Unknown until the
    /// first answer: callers read before they write.
    pub fn supports_patch(&self) -> bool {
        self.version.load(Ordering::Relaxed) != VERSION_PRE_8
    }

    /// True once an answer carried `PSWS-Version`.
    pub fn version_known(&self) -> bool {
        self.version.load(Ordering::Relaxed) != VERSION_UNKNOWN
    }

    fn check_breaker(&self) -> Result<(), GatewayError> {
        let b = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        match b.open_until {
            Some(t) if Instant::now() < t => Err(GatewayError::Retryable(format!(
                "store {}: circuit open after {} consecutive failures",
                self.store, b.failures
            ))),
            _ => Ok(()),
        }
    }

    fn record(&self, ok: bool) {
        let mut b = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        if ok {
            if b.open_until.is_some() {
                tracing::info!(store = %self.store, "circuit closed");
            }
            b.failures = 0;
            b.open_until = None;
        } else {
            b.failures += 1;
            let threshold = self.limits.breaker_failures.max(1);
            if b.failures >= threshold {
                if b.open_until.is_none_or(|t| Instant::now() >= t) {
                    tracing::warn!(store = %self.store, failures = b.failures, "circuit open");
                }
                b.open_until = Some(Instant::now() + Duration::from_secs(self.limits.breaker_open_secs));
            }
        }
    }

    /// Waits for this request's slot under the rate cap.
    async fn pace(&self) {
        if self.limits.rate_per_sec <= 0.0 {
            return;
        }
        let gap = Duration::from_secs_f64(1.0 / self.limits.rate_per_sec);
        let at = {
            let mut next = self.next_slot.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + gap;
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }

    /// Sends one request to `/api/{path}` (with `query`) and classifies the outcome: 2xx → the answer;
    /// 404 → [`GatewayError::Gone`]; 5xx, 429, timeouts, connection errors, an open circuit →
    /// [`GatewayError::Retryable`]; other 4xx → [`GatewayError::Permanent`] with the shop's error codes.
    ///
    /// # Errors
    /// As above.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<String>,
    ) -> Result<Answer, GatewayError> {
        let url = self.api_url(path, query)?;
        let body = body.map(|b| Payload { content_type: "text/xml".into(), bytes: b.into_bytes() });
        self.send_to(method, url, path, Vec::new(), true, body, Mode::Text).await
    }

    fn api_url(&self, path: &str, query: &[(&str, String)]) -> Result<reqwest::Url, GatewayError> {
        reqwest::Url::parse_with_params(&format!("{}/api/{path}", self.base), query)
            .map_err(|e| GatewayError::Permanent(format!("store {}: bad Webservice URL: {e}", self.store)))
    }

    /// `GET /api/{path}` whose answer is a file (an image): the body comes back as bytes in
    /// [`Answer::bytes`]. Same caps, breaker and classification as [`send`](Self::send).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_binary(&self, path: &str) -> Result<Answer, GatewayError> {
        let url = self.api_url(path, &[])?;
        self.send_to(Method::GET, url, path, Vec::new(), true, None, Mode::Binary).await
    }

    /// `POST /api/{path}` of `file` as the `multipart/form-data` field `field` (an image upload).
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn upload(&self, path: &str, field: &str, filename: &str, file: &[u8]) -> Result<Answer, GatewayError> {
        let url = self.api_url(path, &[])?;
        let boundary = format!("----fulfillment-hub-{:016x}", rand::random::<u64>());
        let mime = match filename.rsplit('.').next() {
            Some("png") => "image/png",
            Some("gif") => "image/gif",
            Some("webp") => "image/webp",
            _ => "image/jpeg",
        };
        let mut bytes = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: {mime}\r\n\r\n"
        )
        .into_bytes();
        bytes.extend_from_slice(file);
        bytes.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let body = Payload { content_type: format!("multipart/form-data; boundary={boundary}"), bytes };
        self.send_to(Method::POST, url, path, Vec::new(), true, Some(body), Mode::Text).await
    }

    /// Calls the shop's `fulfillment_connector` front controller `controller` (outside the Webservice),
    /// with `headers` and without the Webservice key; same caps, breaker and classification as [`send`].
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_to_connector(
        &self,
        controller: &str,
        query: &[(&str, String)],
        headers: Vec<(&'static str, String)>,
    ) -> Result<Answer, GatewayError> {
        let url = self.connector_url(controller, query)?;
        self.send_to(Method::GET, url, controller, headers, false, None, Mode::Text).await
    }

    /// Like [`send_to_connector`](Self::send_to_connector), but any HTTP answer, whatever its status, is
    /// returned as it came (for `hub stores check`, which tells the controller's answers apart); only a
    /// shop that does not answer (timeout, connection error, open circuit) is an error.
    ///
    /// # Errors
    /// [`GatewayError::Retryable`] when the shop does not answer.
    pub async fn probe_connector(
        &self,
        controller: &str,
        query: &[(&str, String)],
        headers: Vec<(&'static str, String)>,
    ) -> Result<Answer, GatewayError> {
        let url = self.connector_url(controller, query)?;
        self.send_to(Method::GET, url, controller, headers, false, None, Mode::Unclassified).await
    }

    fn connector_url(&self, controller: &str, query: &[(&str, String)]) -> Result<reqwest::Url, GatewayError> {
        let mut params: Vec<(&str, String)> = vec![
            ("fc", "module".into()),
            ("module", "fulfillment_connector".into()),
            ("controller", controller.into()),
        ];
        params.extend(query.iter().cloned());
        reqwest::Url::parse_with_params(&format!("{}/index.php", self.base), &params)
            .map_err(|e| GatewayError::Permanent(format!("store {}: bad shop URL: {e}", self.store)))
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_to(
        &self,
        method: Method,
        url: reqwest::Url,
        path: &str,
        headers: Vec<(&'static str, String)>,
        webservice_auth: bool,
        body: Option<Payload>,
        mode: Mode,
    ) -> Result<Answer, GatewayError> {
        let started = Instant::now();
        let mut status = None;
        let result = self.exchange(&method, url, path, headers, webservice_auth, body, &mut status, mode).await;
        self.observe(&method, path, status, started, result.as_ref().err());
        result
    }

    #[allow(clippy::too_many_arguments)]
    async fn exchange(
        &self,
        method: &Method,
        url: reqwest::Url,
        path: &str,
        headers: Vec<(&'static str, String)>,
        webservice_auth: bool,
        body: Option<Payload>,
        answered: &mut Option<u16>,
        mode: Mode,
    ) -> Result<Answer, GatewayError> {
        let classify = mode != Mode::Unclassified;
        self.check_breaker()?;
        let _slot = self.slots.acquire().await.map_err(|e| GatewayError::Retryable(e.to_string()))?;
        self.pace().await;
        self.check_breaker()?;
        let mut req = self.http.request(method.clone(), url).timeout(Duration::from_millis(self.limits.timeout_ms));
        if webservice_auth {
            req = req.basic_auth(self.key.expose(), Some(""));
        }
        for (name, value) in headers {
            req = req.header(name, value);
        }
        if let Some(b) = body {
            req = req.header(header::CONTENT_TYPE, b.content_type).body(b.bytes);
        }
        let started = Instant::now();
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                self.record(false);
                let what = if e.is_timeout() { "timeout" } else { "connection error" };
                tracing::warn!(store = %self.store, %method, path, "webservice {what}");
                return Err(GatewayError::Retryable(format!("store {}: {method} {path}: {what}", self.store)));
            }
        };
        let status = resp.status();
        *answered = Some(status.as_u16());
        if let Some(v) = resp.headers().get("PSWS-Version").and_then(|v| v.to_str().ok()) {
            *self.version_text.lock().unwrap_or_else(|p| p.into_inner()) = Some(v.chars().take(32).collect());
            let major = v.split('.').next().and_then(|m| m.parse::<u32>().ok()).unwrap_or(0);
            if major > 0 {
                self.version.store(if major >= 8 { VERSION_8_PLUS } else { VERSION_PRE_8 }, Ordering::Relaxed);
            }
        }
        let read = if mode == Mode::Binary && status.is_success() {
            resp.bytes().await.map(|b| (String::new(), b.to_vec()))
        } else {
            resp.text().await.map(|t| (t, Vec::new()))
        };
        let (body, bytes) = match read {
            Ok(b) => b,
            Err(_) => {
                self.record(false);
                return Err(GatewayError::Retryable(format!("store {}: {method} {path}: body cut off", self.store)));
            }
        };
        tracing::debug!(store = %self.store, %method, path, status = status.as_u16(), ms = started.elapsed().as_millis() as u64, "webservice call");
        if status.is_success() || !classify {
            self.record(!status.is_server_error());
            return Ok(Answer { status, body, bytes });
        }
        let detail = describe(&body);
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::REQUEST_TIMEOUT
        {
            self.record(false);
            return Err(GatewayError::Retryable(format!("store {}: {method} {path}: {status}{detail}", self.store)));
        }
        // The shop answered: it is alive, whatever it thinks of this request.
        self.record(true);
        if status == StatusCode::NOT_FOUND {
            return Err(GatewayError::Gone(format!("store {}: {method} {path}: 404{detail}", self.store)));
        }
        Err(GatewayError::Permanent(format!("store {}: {method} {path}: {status}{detail}", self.store)))
    }
}

/// How an answer is read and classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Text, classified by status.
    Text,
    /// Bytes (a file), classified by status.
    Binary,
    /// Text, whatever the status.
    Unclassified,
}

/// The shop's error codes and messages, for the job's last error.
fn describe(body: &str) -> String {
    let mut errors = xml::errors(body);
    if errors.is_empty()
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(body)
        && let Some(list) = v.get("errors").and_then(|e| e.as_array())
    {
        errors = list
            .iter()
            .map(|e| (e["code"].to_string(), e["message"].as_str().unwrap_or_default().to_owned()))
            .collect();
    }
    if errors.is_empty() {
        String::new()
    } else {
        let parts: Vec<String> = errors.into_iter().map(|(c, m)| format!("[{c}] {m}")).collect();
        format!(" — {}", parts.join("; "))
    }
}
