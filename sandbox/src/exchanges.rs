//! A record of the provider API exchanges the sandbox served (`SandboxConfig::record_exchanges`,
//! off by default): for each, the method, the matched route, the request's path, headers
//! (lowercase names) and body, and the answer's status and body, as `GET /__sandbox/exchanges`
//! lists them. Conformance tests check these
//! against the providers' published descriptions, so that neither the library's requests nor
//! the sandbox's answers are judged by the sandbox itself.

use crate::state::App;
use axum::body::{to_bytes, Body};
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{json, Value};
use std::sync::Arc;

/// Exchanges larger than this are recorded without their bodies.
const MAX_RECORDED_BODY: usize = 1 << 20;

/// The middleware (a route layer, so that the matched path is known).
pub async fn record(
    State(app): State<Arc<App>>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let (Some(route), true) = (matched, app.config.record_exchanges) else { return next.run(request).await };
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    // Header names are case-insensitive (RFC 9110 §5.1): recorded lowercase, values as sent.
    let headers: serde_json::Map<String, Value> = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into()))
        .collect();
    let (parts, body) = request.into_parts();
    let sent = to_bytes(body, MAX_RECORDED_BODY).await.unwrap_or_default();
    let response = next.run(Request::from_parts(parts, Body::from(sent.clone()))).await;
    let (parts, body) = response.into_parts();
    let answered = to_bytes(body, MAX_RECORDED_BODY).await.unwrap_or_default();
    let parse = |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).unwrap_or(Value::Null);
    app.lock().record_exchange(json!({
        "method": method, "route": route.as_str(), "path": path, "headers": headers, "request": parse(&sent),
        "status": parts.status.as_u16(), "response": parse(&answered),
    }));
    Response::from_parts(parts, Body::from(answered))
}
