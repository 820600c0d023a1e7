//! The `log` configuration key: one JSON line on stderr per HTTP attempt, with no secret.

use super::attempt::Failure;
use super::call::call_operation;
use super::{HttpRequest, HttpResponse, Method};
use std::time::Duration;

/// One line of JSON on stderr for an attempt (the `log` configuration key): the operation, the
/// method and path, the status (or the error's code), the milliseconds, the attempt number,
/// the provider's request id and the idempotency key. Never a header value but the key, never
/// a body: no secret, token or card number can reach it.
pub(super) fn log_attempt(
    req: &HttpRequest,
    outcome: &std::result::Result<HttpResponse, Failure>,
    took: Duration,
    attempt: u32,
) {
    let path = url::Url::parse(req.url).map(|u| u.path().to_owned()).unwrap_or_default();
    let key = req.headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("Idempotency-Key")).map(|(_, v)| *v);
    let (status, error, request_id) = match outcome {
        Ok(r) => (Some(r.status), None, r.request_id.as_deref()),
        Err(f) => (None, Some(f.error.status.name()), None),
    };
    let line = serde_json::json!({
        "storefront_checkout": "http_attempt",
        "operation": call_operation(),
        "method": match req.method { Method::Get => "GET", Method::Post => "POST" },
        "path": path,
        "status": status,
        "error": error,
        "ms": took.as_secs_f64() * 1000.0,
        "attempt": attempt,
        "request_id": request_id,
        "idempotency_key": key,
    });
    eprintln!("{line}");
}
