//! The dashboard's session: the signed session cookie and the server-side record that makes it revocable,
//! the gate in front of every page, the CSRF token of the forms, and the login form, login and logout.
//!
//! The cookie is `<expiry>.<id>.<HMAC(admin token, "session:<expiry>:<id>")>`, the id 32 random bytes.
//! A session is open while its cookie verifies, its expiry has not passed, and the
//! [`DashboardSessions`](hub_domain::operations::DashboardSessions) port (a table shared by every API
//! process) still holds the SHA-256 of its id: a logout deletes that row, so a copy of the cookie taken
//! before the logout opens nothing afterwards, on any process. Changing the admin token still ends every
//! session at once.

// The pages answer early with a whole response (a redirect, a 403): it is the natural error type here.
#![allow(clippy::result_large_err)]

use std::{collections::BTreeMap, time::Instant};

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use hub_domain::Secret;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{
    LoginThrottle, Operations,
    html::{STYLE, disabled, see_other, unavailable},
};

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

/// An open dashboard session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Session {
    /// The random id its cookie carries (64 hex digits).
    id: String,
    /// Its end, Unix seconds.
    expiry: i64,
}

impl Session {
    /// A new session of a fresh random id, ending `SESSION_SECS` after `now`.
    fn new(now: i64) -> Self {
        Self { id: hex::encode(rand::random::<[u8; 32]>()), expiry: now + SESSION_SECS }
    }

    /// The key [`DashboardSessions`](hub_domain::operations::DashboardSessions) knows it by: the SHA-256 of its id, so the table holds nothing a
    /// cookie could be made of.
    fn key(&self) -> String {
        hex::encode(Sha256::digest(self.id.as_bytes()))
    }

    fn signed_text(&self) -> String {
        format!("session:{}:{}", self.expiry, self.id)
    }

    /// The cookie's value, signed with `token`.
    fn cookie_value(&self, token: &Secret) -> String {
        format!("{}.{}.{}", self.expiry, self.id, sign(token, &self.signed_text()))
    }

    /// The session a cookie value names, when `token` signed it and its expiry is after `now`.
    fn from_cookie(value: &str, token: &Secret, now: i64) -> Option<Self> {
        let mut parts = value.splitn(3, '.');
        let (expiry, id, signature) = (parts.next()?, parts.next()?, parts.next()?);
        let session = Self { id: id.to_owned(), expiry: expiry.parse().ok()? };
        (session.expiry > now && verify(token, &session.signed_text(), signature)).then_some(session)
    }
}

/// The session the request's cookie names, when the cookie verifies and has not expired (not yet asked
/// whether it is still open).
fn signed_session(req: &HttpRequest, token: &Secret) -> Option<Session> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .find_map(|value| Session::from_cookie(value, token, Utc::now().timestamp()))
}

/// The CSRF token of the forms of `session`.
pub(super) fn csrf(ops: &Operations, session: &Session) -> String {
    ops.admin_token.as_ref().map(|t| sign(t, &format!("csrf:{}", session.id))).unwrap_or_default()
}

/// Gate of every page: the open session, or the response to send instead (the login form when there is
/// none, 503 when the sessions cannot be read).
pub(super) async fn gate(req: &HttpRequest, ops: &Operations) -> Result<Session, HttpResponse> {
    let Some(token) = &ops.admin_token else { return Err(disabled()) };
    let session = signed_session(req, token).ok_or_else(|| see_other("/dashboard/login"))?;
    match ops.sessions.is_open(&session.key(), Utc::now()).await {
        Ok(true) => Ok(session),
        Ok(false) => Err(see_other("/dashboard/login")),
        Err(e) => Err(unavailable(e)),
    }
}

/// `GET /dashboard/login`.
pub(super) async fn login_form(
    ops: web::Data<Operations>,
    query: web::Query<BTreeMap<String, String>>,
) -> HttpResponse {
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
pub(super) struct LoginForm {
    token: String,
}

/// The answer to a login attempt over the limit: come back in `wait_secs`.
fn too_many_logins(wait_secs: u64) -> HttpResponse {
    HttpResponse::TooManyRequests()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::RETRY_AFTER, wait_secs.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Log in · Fulfillment Hub</title>\
             <style>{STYLE}</style></head><body><header><strong>Fulfillment Hub</strong></header><main>\
             <h1>Log in</h1><p class=\"flash bad\" id=\"throttled\">Too many failed logins. Try again in {wait_secs} s.</p>\
             <p><a href=\"/dashboard/login\">Back to the login form</a></p></main></body></html>"
        ))
}

/// `POST /dashboard/login`.
pub(super) async fn login(
    req: HttpRequest,
    ops: web::Data<Operations>,
    throttle: web::Data<LoginThrottle>,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let Some(token) = &ops.admin_token else { return disabled() };
    // The TCP peer: a forwarded-for header is anyone's to write (see `throttle`).
    let client = req.peer_addr().map(|a| a.ip());
    let shown = client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    if let Err(wait) = throttle.attempt(client, Instant::now()) {
        let wait_secs = wait.as_secs_f64().ceil().max(1.0) as u64;
        // Not logged at warn: past the limit, attempts cost nothing, and must not flood the log either.
        tracing::debug!(client = %shown, retry_after_secs = wait_secs, "dashboard login throttled");
        return too_many_logins(wait_secs);
    }
    if !token.matches(form.token.as_bytes()) {
        tracing::warn!(client = %shown, "dashboard login refused: wrong token");
        return see_other("/dashboard/login?failed=1");
    }
    throttle.succeeded(client);
    let now = Utc::now();
    let session = Session::new(now.timestamp());
    let ends = DateTime::from_timestamp(session.expiry, 0).unwrap_or(now);
    if let Err(e) = ops.sessions.open(&session.key(), ends).await {
        tracing::warn!(client = %shown, error = %e, "dashboard login not recorded");
        return unavailable(e);
    }
    match ops.sessions.prune(now).await {
        Ok(n) if n > 0 => tracing::debug!(pruned = n, "expired dashboard sessions forgotten"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not forget expired dashboard sessions"),
    }
    // Behind TLS (directly or per `X-Forwarded-Proto` / `Forwarded` from the proxy), the cookie never
    // travels in clear.
    let secure = if req.connection_info().scheme() == "https" { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={}; Path=/dashboard; Max-Age={SESSION_SECS}; HttpOnly; SameSite=Strict{secure}",
        session.cookie_value(token)
    );
    tracing::info!(client = %shown, "dashboard login");
    HttpResponse::SeeOther()
        .insert_header((header::SET_COOKIE, cookie))
        .insert_header((header::LOCATION, "/dashboard"))
        .finish()
}

/// A form that changes something: it carries the CSRF token.
#[derive(Debug, Deserialize)]
pub(super) struct ActionForm {
    csrf: String,
}

/// The gate, plus the form's CSRF token: the open session, or the response to send instead.
pub(super) async fn checked(req: &HttpRequest, ops: &Operations, form: &ActionForm) -> Result<Session, HttpResponse> {
    let session = gate(req, ops).await?;
    let token = ops.admin_token.as_ref().ok_or_else(disabled)?;
    if !verify(token, &format!("csrf:{}", session.id), &form.csrf) {
        return Err(HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body("Bad or missing form token.\n"));
    }
    Ok(session)
}

/// `POST /dashboard/logout`: ends the session for every process (its cookie, even copied, opens nothing
/// afterwards) and clears the cookie.
pub(super) async fn logout(req: HttpRequest, ops: web::Data<Operations>, form: web::Form<ActionForm>) -> HttpResponse {
    let session = match checked(&req, &ops, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    // Answering "logged out" while the session stays open would be a lie: a failure is a 503.
    if let Err(e) = ops.sessions.close(&session.key()).await {
        tracing::warn!(error = %e, "dashboard logout not recorded");
        return unavailable(e);
    }
    tracing::info!("dashboard logout");
    HttpResponse::SeeOther()
        .insert_header((
            header::SET_COOKIE,
            format!("{COOKIE}=; Path=/dashboard; Max-Age=0; HttpOnly; SameSite=Strict"),
        ))
        .insert_header((header::LOCATION, "/dashboard/login"))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_cookie_names_its_session_only_unaltered_unexpired_and_under_the_same_token() {
        let token = Secret::new("admin-token-0123456789");
        let session = Session::new(1_000);
        let value = session.cookie_value(&token);
        assert_eq!(Session::from_cookie(&value, &token, 1_000), Some(session.clone()));
        assert_eq!(Session::from_cookie(&value, &token, session.expiry), None, "expired");
        assert_eq!(Session::from_cookie(&value, &Secret::new("other-token-0123456789"), 1_000), None);
        let other = Session::new(1_000);
        let swapped = value.replace(&session.id, &other.id);
        assert_eq!(Session::from_cookie(&swapped, &token, 1_000), None, "another id under the same signature");
        let later = value.replacen(&session.expiry.to_string(), &(session.expiry + 3600).to_string(), 1);
        assert_eq!(Session::from_cookie(&later, &token, 1_000), None, "a later expiry under the same signature");
        // The format before sessions were revocable (`<expiry>.<signature>`) names no session.
        let old = format!("{}.{}", session.expiry, sign(&token, &format!("session:{}", session.expiry)));
        assert_eq!(Session::from_cookie(&old, &token, 1_000), None);
    }

    #[test]
    fn sessions_get_distinct_ids_and_are_known_by_a_digest_of_them() {
        let (a, b) = (Session::new(0), Session::new(0));
        assert_ne!(a.id, b.id);
        assert_eq!(a.id.len(), 64);
        assert_eq!(a.key().len(), 64);
        assert_ne!(a.key(), a.id);
    }
}
