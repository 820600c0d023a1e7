//! Inspection routes for tests, under `/__sandbox/` (no provider has them):
//! - `GET /__sandbox/ledger`: token grants, TCP connections accepted, requests per
//!   `"METHOD /path"`, and per checkout
//!   and payment intent its status, completion attempts and the payments that moved money
//!   (at most one, exactly once), the refunds of those payments (`refunds`: each with its
//!   `re_` id, the `chr_` id of the checkout refund that made it, amount, status and
//!   `Idempotency-Key`), `amount_refunded` and `voided`; per ReCharge checkout its `charge_id`,
//!   `refunds` (amounts, decimal strings) and `refund_requests` (requests to its charge's refund
//!   route, faulted ones included); `refunds_by_idempotency_key` (JustiFi refunds recorded per
//!   key: at most one per logical call), and the totals `refunds` and `voids`.
//! - `GET /__sandbox/counters`: the totals only (token grants, connections, requests,
//!   checkouts, payments, refunds, voids) and the sizes of what is stored, for benchmarks.
//! - `POST /__sandbox/tokens/expire`: expires every access token now, so the next call
//!   with one answers 401.
//! - `POST /__sandbox/faults` `{"route": "POST /checkouts/{token}/charge", <fault>,
//!   "after": false, "times": 1}`: the next `times` requests to the route get the fault
//!   (see `faults.rs`), before they are processed or `after`.
//! - `POST /__sandbox/webhooks` `{"provider": "justifi", "url": "http://127.0.0.1:PORT/hook",
//!   "secret": "..."}`: where a provider's events go, and the secret they are signed with
//!   (Payfect's is a Fernet key). The ledger lists every delivery.
//! - `POST /__sandbox/clock` `{"advance_s": 86400}`: moves the sandbox's clock forward.
//!
//! The ledger and the lists show what the sandbox still holds: at most `max_objects` of each
//! kind (`SandboxConfig::max_objects`, the oldest dropped first); the counts (`token_grants`,
//! `payments`, the counters' `checkouts` and `requests`) are totals since the start, and the
//! counters' `stored` gives the size of each kept list.
//!
//! No provider publishes these routes; the sandbox guards them itself, because a developer keeps
//! it running while browsing: a web page could otherwise re-point webhook deliveries, change
//! their signing secret or inject faults with a "simple" cross-site POST (`text/plain`, no CORS
//! preflight), or read the ledger through DNS rebinding (its own host name resolving to
//! 127.0.0.1). So every admin request must name the sandbox's own loopback address in `Host`
//! (`127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT`: 403 `forbidden_host` otherwise), carry no
//! `Origin` but that address's (403 `forbidden_origin`; `Origin: null` included), and an admin
//! POST must say `Content-Type: application/json` (415 `unsupported_media_type`), which a page
//! can send cross-site only after a preflight the sandbox never answers.

use crate::faults;
use crate::state::{error, reply, App, Fault, Payment, Refusal, WebhookTarget};
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Duration;

pub fn routes(app: Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route("/__sandbox/ledger", get(ledger))
        .route("/__sandbox/exchanges", get(exchanges))
        .route("/__sandbox/counters", get(counters))
        .route("/__sandbox/tokens/expire", post(expire_tokens))
        .route("/__sandbox/faults", post(add_fault))
        .route("/__sandbox/webhooks", post(set_webhook))
        .route("/__sandbox/clock", post(advance_clock))
        .route_layer(axum::middleware::from_fn_with_state(app, guard))
}

/// Refuses an admin request from anything but a local, non-browser-forged caller (see the
/// module's docs): a foreign `Host` or `Origin`, or a POST not labelled `application/json`.
async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let scheme = if app.config.tls { "https" } else { "http" };
    let host = request.uri().authority().map(|a| a.as_str()).or_else(|| header_str(request.headers(), header::HOST));
    if !host.is_some_and(|h| own_address(&format!("{scheme}://{h}"), scheme, app.port)) {
        return error(
            StatusCode::FORBIDDEN,
            "forbidden_host",
            "admin routes answer only the sandbox's loopback address",
        )
        .into_response();
    }
    let origin = request.headers().get(header::ORIGIN).map(|o| o.to_str().unwrap_or_default());
    if origin.is_some_and(|o| !own_address(o, scheme, app.port)) {
        return error(StatusCode::FORBIDDEN, "forbidden_origin", "admin routes refuse requests from web pages")
            .into_response();
    }
    let json = header_str(request.headers(), header::CONTENT_TYPE)
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if request.method() == Method::POST && !json {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "admin POSTs must be sent with Content-Type: application/json",
        )
        .into_response();
    }
    next.run(request).await
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether `url` (an origin, or `scheme://` and a `Host` value) is the sandbox's own address:
/// its scheme, `127.0.0.1`, `localhost` or `[::1]`, and its port.
fn own_address(url: &str, scheme: &str, port: u16) -> bool {
    let Ok(u) = url::Url::parse(url) else { return false };
    let loopback = match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(url::Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        None => false,
    };
    loopback && u.scheme() == scheme && u.port_or_known_default() == Some(port) && u.path() == "/"
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
    // The refunds of the payments made for a checkout or payment intent, its amount refunded,
    // and whether one of its payments was voided.
    let refunds_for = |id: &str| -> (Vec<Value>, u64, bool) {
        let payments: Vec<&Payment> = inner.payments_for(id).collect();
        let refunds = payments
            .iter()
            .flat_map(|p| p.refund_ids.iter().filter_map(|r| inner.refunds.get(r)))
            .map(|r| {
                json!({"id": r.id, "checkout_refund_id": r.checkout_refund_id, "payment_id": r.payment_id,
                    "amount": r.amount, "status": r.status, "idempotency_key": r.idempotency_key})
            })
            .collect();
        (refunds, payments.iter().map(|p| p.amount_refunded).sum(), payments.iter().any(|p| p.canceled))
    };
    let checkouts: Map<String, Value> = inner
        .checkouts
        .iter()
        .map(|(_, c)| {
            let (refunds, amount_refunded, voided) = refunds_for(&c.id);
            let entry = json!({"status": c.status, "amount": c.amount, "completions": c.completions.len(),
                "payments": payments_for(&c.id), "refunds": refunds, "amount_refunded": amount_refunded,
                "voided": voided});
            (c.id.clone(), entry)
        })
        .collect();
    let payment_intents: Map<String, Value> = inner
        .payment_intents
        .iter()
        .map(|(_, p)| {
            let (refunds, amount_refunded, voided) = refunds_for(&p.id);
            let entry = json!({"status": p.status, "amount": p.amount, "payments": payments_for(&p.id),
                "refunds": refunds, "amount_refunded": amount_refunded, "voided": voided});
            (p.id.clone(), entry)
        })
        .collect();
    let mut refunds_by_key = Map::new();
    for (_, r) in inner.refunds.iter() {
        let n = refunds_by_key.entry(r.idempotency_key.clone()).or_insert(json!(0));
        *n = json!(n.as_u64().unwrap_or(0) + 1);
    }
    let recharge_checkouts: Map<String, Value> = inner
        .recharge_checkouts
        .iter()
        .map(|(token, c)| {
            let charges = inner.requests.get(&format!("POST /checkouts/{token}/charge")).copied().unwrap_or(0);
            let charge_id = c.json["charge_id"].as_u64().map(|id| id.to_string());
            let charge = charge_id.as_ref().and_then(|id| inner.recharge_charges.get(id));
            let refunds: Vec<Value> =
                charge.map(|ch| ch.refunds.iter().map(|a| json!(format!("{a:.2}"))).collect()).unwrap_or_default();
            let refund_requests = charge_id
                .and_then(|id| inner.requests.get(&format!("POST /charges/{id}/refund")).copied())
                .unwrap_or(0);
            let entry = json!({"completed": !c.json["completed_at"].is_null(), "charge_requests": charges,
                "payments": payments_for(token), "charge_id": c.json["charge_id"], "refunds": refunds,
                "refund_requests": refund_requests});
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
            "requests": inner.requests.iter().map(|(path, n)| (path.clone(), json!(n))).collect::<Map<_, _>>(),
            "web_component_token_grants": inner.web_component_token_grants,
            "payments": inner.payments_made,
            "refunds": inner.refunds_made,
            "voids": inner.voids_made,
            "refunds_by_idempotency_key": refunds_by_key,
            "checkouts": checkouts,
            "payment_intents": payment_intents,
        }),
    )
}

/// The recorded provider exchanges (empty unless `record_exchanges` is on).
async fn exchanges(State(app): State<Arc<App>>) -> Response {
    reply(StatusCode::OK, Value::Array(app.lock().exchanges.iter().cloned().collect()))
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
            "requests": inner.requests_total,
            "checkouts": inner.checkouts_created,
            "payments": inner.payments_made,
            "refunds": inner.refunds_made,
            "voids": inner.voids_made,
            "stored": inner.stored(),
        }),
    )
}

async fn expire_tokens(State(app): State<Arc<App>>) -> Response {
    let mut inner = app.lock();
    let now = inner.now();
    for grant in inner.tokens.values_mut() {
        grant.expires_at = now;
    }
    for grant in inner.web_component_tokens.values_mut() {
        grant.expires_at = now;
    }
    reply(StatusCode::OK, json!({"expired": inner.tokens.len() + inner.web_component_tokens.len()}))
}

/// Moves the sandbox's clock forward by `advance_s` seconds (tokens, checkouts, checkout
/// sessions and Payfect checkouts then age as if that time had passed), so that tests of
/// lifetimes need not wait. The clock never goes back.
async fn advance_clock(State(app): State<Arc<App>>, body: Bytes) -> Result<Response, Refusal> {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let seconds = v["advance_s"]
        .as_u64()
        .ok_or_else(|| error(StatusCode::BAD_REQUEST, "invalid_clock", "advance_s: a number of seconds"))?;
    let mut inner = app.lock();
    inner.clock_offset += Duration::from_secs(seconds);
    Ok(reply(StatusCode::OK, json!({"offset_s": inner.clock_offset.as_secs()})))
}
