//! The webhook extractor: authenticates the store by `X-API-KEY` (constant time, once per request), checks
//! the content type, the body size, the optional `X-Hub-Signature`, then parses and validates the body into
//! a domain event. Each failure is its own [`ApiError`]; nothing is stored before all of them pass. The store's
//! role is checked here before the body is read (a connector's connection test relies on the 403 coming
//! first); the accept use case keeps the same rule as the domain's own guard.

use std::{collections::BTreeMap, future::Future, marker::PhantomData, pin::Pin, sync::Arc};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use futures::StreamExt;
use hmac::{Hmac, Mac};
use hub_domain::{NewEvent, Store, StoreDirectory};
use paperclip::{
    actix::{Apiv2Security, OperationModifier},
    v2::{
        models::{DefaultOperationRaw, DefaultSchemaRaw, Either, Parameter, ParameterIn, SecurityScheme},
        schema::Apiv2Schema as SchemaTrait,
    },
};
use sha2::Sha256;

use crate::{HttpSettings, error::ApiError, wire::WebhookBody};

/// The store that sent the request, authenticated by its `X-API-KEY`.
#[derive(Debug, Clone, Apiv2Security)]
#[openapi(apiKey, in = "header", name = "X-API-KEY", description = "The store's own key; never logged")]
pub struct ApiKey(pub Arc<Store>);

impl FromRequest for ApiKey {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(authenticate(req).map(ApiKey))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Arc<Store>, ApiError> {
    let stores = req
        .app_data::<web::Data<Arc<dyn StoreDirectory>>>()
        .ok_or_else(|| ApiError::Internal("store directory not configured".into()))?;
    let key =
        req.headers().get("X-API-KEY").ok_or_else(|| ApiError::Unauthorized("missing X-API-KEY header".into()))?;
    stores.authenticate(key.as_bytes()).ok_or_else(|| ApiError::Unauthorized("unknown X-API-KEY".into()))
}

/// A verified, validated event from an authenticated store.
#[derive(Debug)]
pub struct Webhook<T> {
    /// The sending store.
    pub store: Arc<Store>,
    /// The event, in domain terms.
    pub event: NewEvent,
    body: PhantomData<T>,
}

impl<T: WebhookBody> FromRequest for Webhook<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let settings = req
                .app_data::<web::Data<HttpSettings>>()
                .ok_or_else(|| ApiError::Internal("http settings not configured".into()))?
                .clone();
            let store = authenticate(&req)?;
            // Refused before the body is read: a store's connection test relies on a 403 coming first.
            if store.role != T::ROLE {
                return Err(ApiError::Forbidden(format!(
                    "store `{}` is a {} store: only a {} store may post here",
                    store.code,
                    store.role,
                    T::ROLE
                )));
            }
            let is_json = req
                .mime_type()
                .ok()
                .flatten()
                .is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
            if !is_json {
                return Err(ApiError::UnsupportedMediaType);
            }
            let limit = settings.body_limit_bytes;
            if req
                .headers()
                .get(actix_web::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok())
                .is_some_and(|n| n > limit)
            {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| ApiError::Invalid {
                    message: format!("could not read the body: {e}"),
                    fields: BTreeMap::new(),
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            if let Some(secret) = &store.signing_secret {
                let header = req.headers().get("X-Hub-Signature").and_then(|v| v.to_str().ok());
                verify_signature(
                    secret.expose().as_bytes(),
                    header,
                    &body,
                    chrono::Utc::now().timestamp(),
                    settings.signature_tolerance_secs,
                )?;
            }
            let de = &mut serde_json::Deserializer::from_slice(&body);
            let parsed: T = serde_path_to_error::deserialize(de).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let field = if path == "." { String::new() } else { path };
                let message = format!("malformed JSON: {inner}");
                ApiError::Invalid {
                    message: message.clone(),
                    fields: if field.is_empty() {
                        BTreeMap::new()
                    } else {
                        BTreeMap::from([(field, vec![inner.to_string()])])
                    },
                }
            })?;
            if let Err(report) = parsed.validate() {
                let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for (path, error) in report.iter() {
                    fields.entry(path.to_string()).or_default().push(error.message().to_string());
                }
                let summary = fields.keys().cloned().collect::<Vec<_>>().join(", ");
                return Err(ApiError::Invalid { message: format!("invalid fields: {summary}"), fields });
            }
            let event =
                parsed.try_into_domain(store.code.clone()).map_err(|e| ApiError::invalid_field(e.field, e.message))?;
            // The same tolerance as signatures: a clock that far ahead is a bug, and its state would win forever.
            event
                .check_not_ahead_of(chrono::Utc::now(), chrono::Duration::seconds(settings.signature_tolerance_secs))
                .map_err(|e| ApiError::invalid_field(e.field, e.message))?;
            Ok(Webhook { store, event, body: PhantomData })
        })
    }
}

/// Checks `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` within ±`tolerance` seconds of `now`.
///
/// # Errors
/// [`ApiError::Unauthorized`] naming what is wrong (never the expected value).
pub fn verify_signature(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<(), ApiError> {
    let header = header.ok_or_else(|| ApiError::Unauthorized("missing X-Hub-Signature header".into()))?;
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1.push(v.to_owned()),
            _ => {}
        }
    }
    let (Some(t), false) = (t, v1.is_empty()) else {
        return Err(ApiError::Unauthorized("malformed X-Hub-Signature: expected t=<unix>,v1=<hex>".into()));
    };
    if (now - t).abs() > tolerance {
        return Err(ApiError::Unauthorized(format!("stale X-Hub-Signature: timestamp outside ±{tolerance} s")));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|e| ApiError::Internal(e.to_string()))?;
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    if v1.iter().any(|sig| constant_time_eq::constant_time_eq(sig.to_ascii_lowercase().as_bytes(), expected.as_bytes()))
    {
        Ok(())
    } else {
        Err(ApiError::Unauthorized("bad X-Hub-Signature".into()))
    }
}

impl<T: SchemaTrait> SchemaTrait for Webhook<T> {
    fn name() -> Option<String> {
        T::name()
    }

    fn raw_schema() -> DefaultSchemaRaw {
        T::raw_schema()
    }
}

impl<T: SchemaTrait> OperationModifier for Webhook<T> {
    fn update_parameter(op: &mut DefaultOperationRaw) {
        op.parameters.push(Either::Right(Parameter {
            description: Some("The event, as JSON (Content-Type: application/json)".into()),
            in_: ParameterIn::Body,
            name: "body".into(),
            required: true,
            schema: Some({
                let mut def = T::schema_with_ref();
                def.retain_ref();
                def
            }),
            ..Default::default()
        }));
    }

    /// The `X-API-KEY` the extractor authenticates with, as [`ApiKey`] documents it.
    fn update_security(op: &mut DefaultOperationRaw) {
        ApiKey::update_security(op);
    }

    fn update_security_definitions(map: &mut BTreeMap<String, SecurityScheme>) {
        ApiKey::update_security_definitions(map);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, t: i64, body: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.{body}").as_bytes());
        format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn a_fresh_signature_of_the_exact_body_passes() {
        let h = sign("s3cret-s3cret-s3cret", 1_700_000_000, "{}");
        assert!(verify_signature(b"s3cret-s3cret-s3cret", Some(&h), b"{}", 1_700_000_100, 300).is_ok());
    }

    #[test]
    fn a_signature_over_another_body_or_key_fails() {
        let h = sign("s3cret-s3cret-s3cret", 1_700_000_000, "{}");
        assert!(verify_signature(b"s3cret-s3cret-s3cret", Some(&h), b"{ }", 1_700_000_000, 300).is_err());
        assert!(verify_signature(b"other-other-other", Some(&h), b"{}", 1_700_000_000, 300).is_err());
    }

    #[test]
    fn a_signature_outside_the_window_is_stale() {
        let h = sign("k", 1_700_000_000, "{}");
        let e = verify_signature(b"k", Some(&h), b"{}", 1_700_000_301, 300).unwrap_err();
        assert!(e.to_string().contains("stale"));
        assert!(verify_signature(b"k", Some(&h), b"{}", 1_699_999_699, 300).is_err());
    }

    #[test]
    fn a_missing_or_malformed_signature_is_refused() {
        assert!(verify_signature(b"k", None, b"{}", 0, 300).is_err());
        assert!(verify_signature(b"k", Some("v1=abc"), b"{}", 0, 300).is_err());
        assert!(verify_signature(b"k", Some("garbage"), b"{}", 0, 300).is_err());
    }

    #[test]
    fn a_known_vector_matches_openssl() {
        // printf '%s' '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'secret'
        let h = "t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686";
        assert!(verify_signature(b"secret", Some(h), br#"{"a":1}"#, 1_700_000_000, 300).is_ok());
    }
}
