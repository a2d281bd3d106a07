//! What a request's headers may weigh before any route sees them: one header (name and value) at most
//! `server.header_limit_bytes`, all of them together at most `server.all_headers_limit_bytes`; over
//! either, `431 Request Header Fields Too Large` with the JSON error.
//!
//! actix-http has no setting for this: it only refuses a request head over its fixed 128 KiB read buffer
//! or with more than 96 headers, with a bare 431 (no body) before the application is reached. These
//! limits are checked right after it, by the outermost middleware of every server.

use actix_web::{
    dev::{Service, ServiceRequest, ServiceResponse},
    http::header::HeaderMap,
};
use futures::future::{Either, Ready, ready};

use crate::error::ApiError;

/// The limits on a request's headers, in bytes of names and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderLimits {
    /// One header.
    pub each: usize,
    /// All of them together.
    pub all: usize,
}

/// Checks `headers` against `limits`.
///
/// # Errors
/// [`ApiError::HeadersTooLarge`], saying which limit (never echoing a header).
pub fn check_headers(headers: &HeaderMap, limits: HeaderLimits) -> Result<(), ApiError> {
    let mut all = 0usize;
    for (name, value) in headers {
        let size = name.as_str().len() + value.len();
        if size > limits.each {
            return Err(ApiError::HeadersTooLarge(format!(
                "a request header is over the {}-byte limit per header",
                limits.each
            )));
        }
        all += size;
    }
    if all > limits.all {
        return Err(ApiError::HeadersTooLarge(format!(
            "the request headers are over the {}-byte limit for all of them together",
            limits.all
        )));
    }
    Ok(())
}

/// What the middleware answers: the wrapped service's future, or the refusal at once.
type Checked<F, B> = Either<F, Ready<Result<ServiceResponse<B>, actix_web::Error>>>;

/// The middleware (for `App::wrap_fn`): refuses a request whose headers are over `limits`, before the
/// rest of the application sees it.
pub(crate) fn refuse_large_headers<S, B>(
    limits: HeaderLimits,
) -> impl Fn(ServiceRequest, &S) -> Checked<S::Future, B> + Clone + 'static
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    move |req, srv| match check_headers(req.headers(), limits) {
        Ok(()) => Either::Left(srv.call(req)),
        Err(e) => Either::Right(ready(Err(e.into()))),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    const LIMITS: HeaderLimits = HeaderLimits { each: 100, all: 250 };

    fn headers(sizes: &[usize]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (i, size) in sizes.iter().enumerate() {
            // "x-h<i>" is 4 bytes for i < 10.
            let name = HeaderName::try_from(format!("x-h{i}")).unwrap();
            map.insert(name, HeaderValue::from_str(&"a".repeat(size - 4)).unwrap());
        }
        map
    }

    #[test]
    fn headers_within_both_limits_pass() {
        assert!(check_headers(&headers(&[100, 100, 50]), LIMITS).is_ok());
    }

    #[test]
    fn one_header_over_its_limit_is_refused() {
        let e = check_headers(&headers(&[101]), LIMITS).unwrap_err();
        assert!(matches!(e, ApiError::HeadersTooLarge(_)));
        assert!(e.to_string().contains("100-byte limit per header"), "{e}");
    }

    #[test]
    fn headers_each_within_their_limit_but_over_the_total_are_refused() {
        let e = check_headers(&headers(&[100, 100, 51]), LIMITS).unwrap_err();
        assert!(e.to_string().contains("250-byte limit for all"), "{e}");
    }
}
