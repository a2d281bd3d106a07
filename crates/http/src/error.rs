//! Every error the API answers, and its one mapping to HTTP: always the JSON shape
//! `{"error":{"code","message","fields"}}`, never a 500 for bad input, never a secret or a cause chain.

use std::collections::BTreeMap;

use actix_web::{
    HttpResponse, ResponseError,
    dev::ServiceResponse,
    http::{StatusCode, header},
    middleware::ErrorHandlerResponse,
};
use paperclip::actix::{Apiv2Schema, api_v2_errors};
use serde::{Deserialize, Serialize};

/// The error body.
#[derive(Debug, Serialize, Deserialize, Apiv2Schema)]
pub struct ErrorResponse {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, Deserialize, Apiv2Schema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: `unauthorized`, `forbidden`, `not_found`, `method_not_allowed`,
    /// `payload_too_large`, `unsupported_media_type`, `invalid_payload`, `request_header_fields_too_large`,
    /// `unavailable`, `internal`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// Field path (`product.price`, `order.lines[0].quantity`) → messages; only for `invalid_payload`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fields: Option<BTreeMap<String, Vec<String>>>,
}

/// An API error.
#[api_v2_errors(
    code = 401,
    description = "Missing or wrong X-API-KEY, or a bad or stale X-Hub-Signature",
    schema = "ErrorResponse",
    code = 403,
    description = "The key's store may not post this kind of event",
    schema = "ErrorResponse",
    code = 413,
    description = "Body over the configured limit (1 MiB by default)",
    schema = "ErrorResponse",
    code = 415,
    description = "Content-Type is not application/json",
    schema = "ErrorResponse",
    code = 422,
    description = "Malformed JSON or a field failing validation; `fields` names each",
    schema = "ErrorResponse",
    code = 431,
    description = "A request header over 8 KiB, or all of them together over 16 KiB (by default)",
    schema = "ErrorResponse",
    code = 503,
    description = "Database or queue unavailable; retry after `Retry-After` seconds",
    schema = "ErrorResponse"
)]
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401.
    #[error("{0}")]
    Unauthorized(String),
    /// 401 of a call that needs `Authorization: Bearer <token>` (`/metrics` with `server.metrics_token`).
    #[error("{0}")]
    UnauthorizedBearer(String),
    /// 403.
    #[error("{0}")]
    Forbidden(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 405: the resource exists but does not answer `method`.
    #[error("{}", method_not_allowed_message(method, allowed))]
    MethodNotAllowed {
        /// The request's method.
        method: String,
        /// The methods it answers, as the `Allow` header lists them (empty when unknown).
        allowed: String,
    },
    /// 413.
    #[error("the body is over the {limit}-byte limit")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 431: a header, or all of them together, over `server.header_limit_bytes` /
    /// `server.all_headers_limit_bytes`.
    #[error("{0}")]
    HeadersTooLarge(String),
    /// 415.
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    /// 422.
    #[error("{message}")]
    Invalid {
        /// Summary.
        message: String,
        /// Per-field messages.
        fields: BTreeMap<String, Vec<String>>,
    },
    /// 503.
    #[error("{message}")]
    Unavailable {
        /// What is unavailable.
        message: String,
        /// Seconds before a retry is useful.
        retry_after: u32,
    },
    /// 500: logged with its cause, answered without it.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A 422 for one field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let (field, message) = (field.into(), message.into());
        ApiError::Invalid { message: format!("{field}: {message}"), fields: BTreeMap::from([(field, vec![message])]) }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) | ApiError::UnauthorizedBearer(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::HeadersTooLarge(_) => "request_header_fields_too_large",
            ApiError::Invalid { .. } => "invalid_payload",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) | ApiError::UnauthorizedBearer(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::HeadersTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        metrics::counter!("hub_http_errors_total", "status" => self.status_code().as_str().to_owned()).increment(1);
        let message = match self {
            ApiError::Internal(cause) => {
                tracing::error!(cause = %cause, "internal error");
                "internal error".to_owned()
            }
            ApiError::Unavailable { message, .. } => {
                tracing::warn!(cause = %message, "answering 503");
                "temporarily unavailable; retry later".to_owned()
            }
            other => other.to_string(),
        };
        let fields = match self {
            ApiError::Invalid { fields, .. } if !fields.is_empty() => Some(fields.clone()),
            _ => None,
        };
        let mut resp = HttpResponse::build(self.status_code());
        if let ApiError::Unavailable { retry_after, .. } = self {
            resp.insert_header(("Retry-After", retry_after.to_string()));
        }
        if let ApiError::Unauthorized(_) = self {
            resp.insert_header(("WWW-Authenticate", "ApiKey header=\"X-API-KEY\""));
        }
        if let ApiError::UnauthorizedBearer(_) = self {
            resp.insert_header(("WWW-Authenticate", "Bearer realm=\"metrics\""));
        }
        if let ApiError::MethodNotAllowed { allowed, .. } = self
            && !allowed.is_empty()
        {
            resp.insert_header((header::ALLOW, allowed.as_str()));
        }
        resp.json(ErrorResponse { error: ErrorDetail { code: self.code().to_owned(), message, fields } })
    }
}

fn method_not_allowed_message(method: &str, allowed: &str) -> String {
    if allowed.is_empty() {
        format!("this resource does not answer {method}")
    } else {
        format!("this resource does not answer {method}; it answers {allowed}")
    }
}

/// Gives actix's own `405 Method Not Allowed` (an empty body) the JSON shape, keeping its `Allow` header;
/// registered for status 405 with actix's `ErrorHandlers` middleware.
///
/// # Errors
/// Never: the `Result` is the middleware's signature.
pub fn method_not_allowed<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let allowed = res.headers().get(header::ALLOW).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let method = res.request().method().to_string();
    let (req, _) = res.into_parts();
    let json = ApiError::MethodNotAllowed { method, allowed }.error_response();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, json).map_into_right_body()))
}

/// Renders actix's own extractor and routing errors in the same JSON shape.
pub fn json_error_handler<E: ResponseError>(err: E, _req: &actix_web::HttpRequest) -> actix_web::Error {
    let status = err.status_code();
    let api = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge { limit: 0 },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        StatusCode::NOT_FOUND => ApiError::NotFound("no such resource".into()),
        s if s.is_client_error() => ApiError::Invalid { message: err.to_string(), fields: BTreeMap::new() },
        _ => ApiError::Internal(err.to_string()),
    };
    api.into()
}

#[cfg(test)]
mod tests {
    use actix_web::{App, middleware::ErrorHandlers, test, web};

    use super::*;

    #[actix_web::test]
    async fn a_405_gets_the_json_error_and_keeps_its_allow_header() {
        let app = test::init_service(
            App::new()
                .wrap(ErrorHandlers::new().handler(StatusCode::METHOD_NOT_ALLOWED, method_not_allowed))
                .service(web::resource("/health").route(web::get().to(HttpResponse::Ok))),
        )
        .await;
        let res = test::call_service(&app, test::TestRequest::post().uri("/health").to_request()).await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(res.headers().get(header::ALLOW).and_then(|v| v.to_str().ok()), Some("GET"));
        let body: serde_json::Value = test::read_body_json(res).await;
        assert_eq!(body["error"]["code"], "method_not_allowed");
        assert_eq!(body["error"]["message"], "this resource does not answer POST; it answers GET");
    }
}
