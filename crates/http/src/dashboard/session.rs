//! The dashboard's session: the signed session cookie, the gate in front of every page, the CSRF token of
//! the forms, and the login form, login and logout.

// The pages answer early with a whole response (a redirect, a 403): it is the natural error type here.
#![allow(clippy::result_large_err)]

use std::{collections::BTreeMap, time::Instant};

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::Utc;
use hmac::{Hmac, Mac};
use hub_domain::Secret;
use serde::Deserialize;
use sha2::Sha256;

use super::{
    LoginThrottle, Operations,
    html::{STYLE, disabled, see_other},
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

/// The CSRF token of the forms of the session that expires at `expiry`.
pub(super) fn csrf(ops: &Operations, expiry: i64) -> String {
    ops.admin_token.as_ref().map(|t| sign(t, &format!("csrf:{expiry}"))).unwrap_or_default()
}

/// Gate of every page: the session's expiry, or the response to send instead.
pub(super) fn gate(req: &HttpRequest, ops: &Operations) -> Result<i64, HttpResponse> {
    if ops.admin_token.is_none() {
        return Err(disabled());
    }
    session(req, ops).ok_or_else(|| see_other("/dashboard/login"))
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
    let expiry = Utc::now().timestamp() + SESSION_SECS;
    // Behind TLS (directly or per `X-Forwarded-Proto` / `Forwarded` from the proxy), the cookie never
    // travels in clear.
    let secure = if req.connection_info().scheme() == "https" { "; Secure" } else { "" };
    let cookie = format!(
        "{COOKIE}={expiry}.{}; Path=/dashboard; Max-Age={SESSION_SECS}; HttpOnly; SameSite=Strict{secure}",
        sign(token, &format!("session:{expiry}"))
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

/// The gate, plus the form's CSRF token: the session's expiry, or the response to send instead.
pub(super) fn checked(req: &HttpRequest, ops: &Operations, form: &ActionForm) -> Result<i64, HttpResponse> {
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
pub(super) async fn logout(req: HttpRequest, ops: web::Data<Operations>, form: web::Form<ActionForm>) -> HttpResponse {
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
}
