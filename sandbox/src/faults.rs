//! Fault injection for every route, in one middleware: a test asks (`POST /__sandbox/faults`)
//! for a fault on a route, named by method and matched path (`"POST /v1/checkouts/{id}/complete"`),
//! before or after the request is processed, for the next `times` requests.
//!
//! Before: the handler does not run (but for `delay`, after which it runs normally). After:
//! the handler runs, the provider's state changes, and the client gets the fault instead of
//! the answer. Every request is counted first, per actual path, faulted or not.

use crate::state::{reply, App, FaultKind};
use axum::body::{to_bytes, Body};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;
use std::sync::{Arc, LazyLock};

/// The body of `{"huge": true}`: `{"data": "xxx…"}`, 9 MiB, past the library's 8 MiB bound.
/// Made once and shared, so that the fault costs the sandbox no work per request: building it
/// per request kept a debug build busy long enough to delay its other answers.
static HUGE: LazyLock<axum::body::Bytes> = LazyLock::new(|| {
    let mut body = String::with_capacity((9 << 20) + 16);
    body.push_str(r#"{"data": ""#);
    body.extend(std::iter::repeat_n('x', 9 << 20));
    body.push_str(r#""}"#);
    body.into()
});

/// Parses a fault request: `{"status": 503, "retry_after": "2"}`, `{"reset": true}`,
/// `{"delay_ms": 500}`, `{"truncate": true}`, `{"not_json": true}`,
/// `{"wrong_content_type": true}` or `{"huge": true}`.
pub fn parse(v: &serde_json::Value) -> Option<FaultKind> {
    let flag = |k: &str| v[k].as_bool() == Some(true);
    if let Some(status) = v["status"].as_u64() {
        let retry_after =
            v["retry_after"].as_str().map(str::to_owned).or_else(|| v["retry_after"].as_u64().map(|n| n.to_string()));
        return Some(FaultKind::Status { status: status as u16, retry_after });
    }
    if let Some(ms) = v["delay_ms"].as_u64() {
        return Some(FaultKind::Delay(std::time::Duration::from_millis(ms)));
    }
    [
        ("reset", FaultKind::Reset),
        ("truncate", FaultKind::Truncate),
        ("not_json", FaultKind::NotJson),
        ("wrong_content_type", FaultKind::WrongContentType),
        ("huge", FaultKind::Huge),
    ]
    .into_iter()
    .find(|(k, _)| flag(k))
    .map(|(_, kind)| kind)
}

/// The middleware (a route layer, so that the matched path is known).
pub async fn inject(
    State(app): State<Arc<App>>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let Some(path) = matched else { return next.run(request).await };
    let route = format!("{} {}", request.method(), path.as_str());
    let before = {
        let mut inner = app.lock();
        inner.count_request(format!("{} {}", request.method(), request.uri().path()));
        inner.take_fault(&route, false)
    };
    match before {
        Some(FaultKind::Delay(d)) => tokio::time::sleep(d).await,
        Some(kind) => {
            // The request is read to its end first, as a provider's server or load balancer
            // does before it answers: an answer sent over an unread body makes hyper close the
            // keep-alive connection, and the client's next request on it fails (a fault the
            // test did not ask for).
            let _ = to_bytes(request.into_body(), 1 << 20).await;
            return act_out(kind, None).await;
        }
        None => {}
    }
    let response = next.run(request).await;
    let after = app.lock().take_fault(&route, true);
    match after {
        Some(kind) => act_out(kind, Some(response)).await,
        None => response,
    }
}

async fn act_out(kind: FaultKind, real: Option<Response>) -> Response {
    match kind {
        FaultKind::Status { status, retry_after } => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut r =
                reply(code, json!({"error": {"code": "injected_fault", "message": format!("injected HTTP {status}")}}));
            if let Some(v) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        FaultKind::Reset => std::panic::resume_unwind(Box::new("sandbox fault: connection reset")),
        FaultKind::Delay(d) => {
            tokio::time::sleep(d).await;
            real.unwrap_or_else(|| reply(StatusCode::OK, json!({})))
        }
        FaultKind::Truncate => {
            let real = real.unwrap_or_else(|| reply(StatusCode::OK, json!({"data": "x".repeat(64)})));
            let (mut parts, body) = real.into_parts();
            let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
            let half = bytes.slice(..bytes.len() / 2);
            parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len().max(2)));
            // A stream, not a sized body, as a sized one makes debug builds of hyper assert that
            // the two lengths agree. It pauses after the half, so that hyper sends it, then fails,
            // so that hyper closes the connection.
            let half = futures_util::stream::once(async move { Ok::<_, std::io::Error>(half) });
            let cut = futures_util::stream::once(async {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                Err(std::io::Error::other("truncated by the sandbox's fault"))
            });
            Response::from_parts(parts, Body::from_stream(futures_util::StreamExt::chain(half, cut)))
        }
        FaultKind::NotJson => (StatusCode::OK, Html("<html><body>Bad Gateway</body></html>")).into_response(),
        FaultKind::WrongContentType => {
            let mut r = real.unwrap_or_else(|| reply(StatusCode::OK, json!({})));
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            r
        }
        FaultKind::Huge => {
            let mut r = Response::new(Body::from(HUGE.clone()));
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
    }
}
