//! Inspection routes for tests, under `/__sandbox/` (no provider has them):
//! - `GET /__sandbox/ledger`: token grants, and per checkout and payment intent its status,
//!   completion attempts and the payments that moved money (at most one, exactly once).
//! - `POST /__sandbox/tokens/expire`: expires every access token now, so the next call
//!   with one answers 401.

use crate::state::{reply, App};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Instant;

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/__sandbox/ledger", get(ledger)).route("/__sandbox/tokens/expire", post(expire_tokens))
}

async fn ledger(State(app): State<Arc<App>>) -> Response {
    let inner = app.lock();
    let payments_for = |id: &str| -> Vec<Value> {
        inner.payments.iter().filter(|p| p.paid_for == id).map(|p| json!({"id": p.id, "amount": p.amount})).collect()
    };
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
    reply(
        StatusCode::OK,
        json!({
            "token_grants": inner.token_grants,
            "web_component_token_grants": inner.web_component_token_grants,
            "payments": inner.payments.len(),
            "checkouts": checkouts,
            "payment_intents": payment_intents,
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
