//! What a shopper's browser fetches from JustiFi for the web component flow (seed 001): a
//! stand-in for the `<justifi-checkout>` script at `/webcomponents/webcomponents.esm.js`
//! (`sandbox/assets/webcomponents.esm.js` says where it differs from JustiFi's), and CORS on
//! that script and on the tokenizer (`POST /v1/payment_methods`), which the component calls
//! from the storefront's origin. A module script is fetched in CORS mode, and the tokenizer
//! is called with an `Authorization` header, so both need it. JustiFi publishes no CORS
//! policy; the sandbox allows any origin rather than guess one from `origin_url`.

use crate::state::App;
use axum::http::{header, HeaderValue, Method};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use tower_http::cors::{Any, CorsLayer};

const SCRIPT: &str = include_str!("../assets/webcomponents.esm.js");

/// The CORS policy of the routes the component uses from a storefront's page.
pub fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
}

pub fn routes() -> Router<Arc<App>> {
    Router::new().route("/webcomponents/webcomponents.esm.js", get(script).layer(cors()))
}

async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"))], SCRIPT)
}
