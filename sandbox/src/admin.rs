//! Inspection routes for tests, under `/__sandbox/` (no provider has them):
//! - `GET /__sandbox/ledger`: token grants, TCP connections accepted, requests per
//!   `"METHOD /path"`, and per checkout
//!   and payment intent its status, completion attempts and the payments that moved money
//!   (at most one, exactly once).
//! - `GET /__sandbox/counters`: the totals only (token grants, connections, requests,
//!   checkouts, payments), for benchmarks.
//! - `POST /__sandbox/tokens/expire`: expires every access token now, so the next call
//!   with one answers 401.
//! - `POST /__sandbox/faults` `{"route": "POST /checkouts/{token}/charge", <fault>,
//!   "after": false, "times": 1}`: the next `times` requests to the route get the fault
//!   (see `faults.rs`), before they are processed or `after`.
//! - `POST /__sandbox/webhooks` `{"provider": "justifi", "url": "http://127.0.0.1:PORT/hook",
//!   "secret": "..."}`: where a provider's events go, and the secret they are signed with
//!   (Payfect's is a Fernet key). The ledger lists every delivery.

use crate::faults;
use crate::state::{error, reply, App, Fault, Refusal, WebhookTarget};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Instant;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/__sandbox/ledger", get(ledger))
        .route("/__sandbox/exchanges", get(exchanges))
        .route("/__sandbox/counters", get(counters))
        .route("/__sandbox/tokens/expire", post(expire_tokens))
        .route("/__sandbox/faults", post(add_fault))
        .route("/__sandbox/webhooks", post(set_webhook))
}

async fn set_webhook(State(app): State<Arc<App>>, body: Bytes) -> Result<Response, Refusal> {
    let bad = |m: &str| error(StatusCode::BAD_REQUEST, "invalid_webhook", m);
    let v: Value = serde_json::from_slice(&body).map_err(|_| bad("the body must be JSON"))?;
    let provider = match v["provider"].as_str() {
        Some("justifi") => "justifi",
        Some("recharge") => "recharge",
        Some("payfect") => "payfect",
        _ => return Err(bad("provider must be justifi, recharge or payfect")),
    };
    let (Some(url), Some(secret)) = (v["url"].as_str(), v["secret"].as_str()) else {
        return Err(bad("url and secret are required"));
    };
    app.lock().webhooks.insert(provider, WebhookTarget { url: url.to_owned(), secret: secret.to_owned() });
    Ok(reply(StatusCode::OK, json!({ "provider": provider, "url": url })))
}

async fn add_fault(State(app): State<Arc<App>>, body: Bytes) -> Result<Response, Refusal> {
    let bad = |m: &str| error(StatusCode::BAD_REQUEST, "invalid_fault", m);
    let v: Value = serde_json::from_slice(&body).map_err(|_| bad("the body must be JSON"))?;
    let route =
        v["route"].as_str().filter(|r| r.contains(' ')).ok_or_else(|| bad("route: \"METHOD /path/{param}\""))?;
    let kind = faults::parse(&v)
        .ok_or_else(|| bad("give status, reset, delay_ms, truncate, not_json, wrong_content_type or huge"))?;
    let times = v["times"].as_u64().unwrap_or(1) as u32;
    app.lock().faults.insert(route.to_owned(), Fault { kind, after: v["after"].as_bool().unwrap_or(false), times });
    Ok(reply(StatusCode::OK, json!({ "route": route })))
}

async fn ledger(State(app): State<Arc<App>>) -> Response {
    let inner = app.lock();
    let payments_for =
        |id: &str| -> Vec<Value> { inner.payments_for(id).map(|p| json!({"id": p.id, "amount": p.amount})).collect() };
    let checkouts: Map<String, Value> = inner
        .checkouts
        .iter()
        .map(|c| {
            let entry = json!({"status": c.status, "amount": c.amount, "completions": c.completions.len(),
                "payments": payments_for(&c.id)});
            (c.id.clone(), entry)
        })
        .collect();
    let payment_intents: Map<String, Value> = inner
        .payment_intents
        .values()
        .map(|p| (p.id.clone(), json!({"status": p.status, "amount": p.amount, "payments": payments_for(&p.id)})))
        .collect();
    let recharge_checkouts: Map<String, Value> = inner
        .recharge_checkouts
        .iter()
        .map(|(token, c)| {
            let charges = inner.requests.get(&format!("POST /checkouts/{token}/charge")).copied().unwrap_or(0);
            let entry = json!({"completed": !c.json["completed_at"].is_null(), "charge_requests": charges,
                "payments": payments_for(token)});
            (token.clone(), entry)
        })
        .collect();
    let payfect_checkouts: Map<String, Value> = inner
        .payfect_checkouts
        .iter()
        .map(|(id, c)| (id.clone(), json!({"status": c.json["status"], "payments": payments_for(id)})))
        .collect();
    reply(
        StatusCode::OK,
        json!({
            "recharge_checkouts": recharge_checkouts,
            "webhook_deliveries": inner.deliveries.iter().map(|d| json!({"provider": d.provider, "type": d.kind,
                "url": d.url, "attempts": d.attempts, "outcome": d.outcome})).collect::<Vec<_>>(),
            "payfect_checkouts": payfect_checkouts,
            "token_grants": inner.token_grants,
            "connections": app.connections.load(std::sync::atomic::Ordering::Relaxed),
            "tls_handshakes": app.tls_handshakes.load(std::sync::atomic::Ordering::Relaxed),
            "tls_resumptions": app.tls_resumptions.load(std::sync::atomic::Ordering::Relaxed),
            "requests": inner.requests,
            "web_component_token_grants": inner.web_component_token_grants,
            "payments": inner.payments.len(),
            "checkouts": checkouts,
            "payment_intents": payment_intents,
        }),
    )
}

/// The recorded provider exchanges (empty unless `record_exchanges` is on).
async fn exchanges(State(app): State<Arc<App>>) -> Response {
    reply(StatusCode::OK, Value::Array(app.lock().exchanges.clone()))
}

/// The ledger's totals only, cheap however many checkouts there are (for benchmarks).
async fn counters(State(app): State<Arc<App>>) -> Response {
    let inner = app.lock();
    reply(
        StatusCode::OK,
        json!({
            "token_grants": inner.token_grants,
            "connections": app.connections.load(std::sync::atomic::Ordering::Relaxed),
            "tls_handshakes": app.tls_handshakes.load(std::sync::atomic::Ordering::Relaxed),
            "tls_resumptions": app.tls_resumptions.load(std::sync::atomic::Ordering::Relaxed),
            "requests": inner.requests.values().sum::<u64>(),
            "checkouts": inner.checkouts.len(),
            "payments": inner.payments.len(),
        }),
    )
}

async fn expire_tokens(State(app): State<Arc<App>>) -> Response {
    let mut inner = app.lock();
    let now = Instant::now();
    for grant in inner.tokens.values_mut() {
        grant.expires_at = now;
    }
    reply(StatusCode::OK, json!({"expired": inner.tokens.len()}))
}
