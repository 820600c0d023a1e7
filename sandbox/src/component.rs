//! What a shopper's browser fetches from JustiFi for the web component flow (seed 001), as
//! `@justifi/webcomponents` 6.x (npm; files named below are of its `dist/collection/`) uses it:
//!
//! - a stand-in for the `<justifi-checkout>` script at `/webcomponents/webcomponents.esm.js`
//!   (`sandbox/assets/webcomponents.esm.js`, which says what it does as JustiFi's and where
//!   it differs);
//! - the card fields' iframe pages at `/v2/{cardNumber,expirationMonth,expirationYear,CVV}`
//!   (`sandbox/assets/card-field.html`): JustiFi's component loads them from
//!   `{iframe origin}/v2/<field>?tabId=...` (`components/checkout/card-form/card-form.js`) and
//!   tokenizes by a `postMessage` to the card number's (`ui-components/form/iframe-input.js`);
//!   the sandbox's origin stands for the iframe origin (`<justifi-config-provider
//!   iframe-origin>`, `components/config-provider/justifi-config-provider.js`);
//! - CORS on the script and on the API routes the component calls from the storefront's page
//!   (`GET /v1/checkouts/{id}`, `POST /v1/checkouts/{id}/complete`; the card is tokenized by
//!   the card number's iframe, on the sandbox's own origin): a module script is fetched in CORS
//!   mode, and the API calls carry
//!   `Authorization`, `Idempotency-Key` and `Justifi-Web-Component-Version` headers
//!   (`api/Api.js` `getAuthorizationHeader`). JustiFi publishes no CORS policy; the sandbox
//!   allows any origin and enforces seed 001's `origin_url` rule in the checkout routes
//!   (`justifi.rs`), which a CORS policy could not do for requests other than a browser's.

use crate::state::App;
use axum::extract::Path;
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use tower_http::cors::{Any, CorsLayer};

const SCRIPT: &str = include_str!("../assets/webcomponents.esm.js");
const CARD_FIELD: &str = include_str!("../assets/card-field.html");

/// The card form's iframes (`card-form.js`: `cardNumber`, `expirationMonth`,
/// `expirationYear`, `CVV`).
const CARD_FIELDS: [&str; 4] = ["cardNumber", "expirationMonth", "expirationYear", "CVV"];

/// The CORS policy of the routes the component uses from a storefront's page: the headers
/// `api/Api.js` sends with a token (`Authorization`, `Idempotency-Key`, `Content-Type`,
/// `Justifi-Web-Component-Version`).
pub fn cors() -> CorsLayer {
    CorsLayer::new().allow_origin(Any).allow_methods([Method::GET, Method::POST]).allow_headers([
        header::AUTHORIZATION,
        header::CONTENT_TYPE,
        HeaderName::from_static("idempotency-key"),
        HeaderName::from_static("justifi-web-component-version"),
    ])
}

/// Whether a request's `Origin` header is the page origin `origin_url` names (seed 001's
/// example `http://localhost:3000`): scheme, host and port compared, a path or trailing slash
/// ignored. No `origin_url`, or no `Origin`, is never a match.
pub fn same_origin(origin_url: Option<&str>, origin: Option<&str>) -> bool {
    let serialized = |s: &str| url::Url::parse(s).ok().map(|u| u.origin().ascii_serialization());
    match (origin_url.and_then(serialized), origin.and_then(serialized)) {
        (Some(allowed), Some(page)) => allowed != "null" && allowed == page,
        _ => false,
    }
}

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/webcomponents/webcomponents.esm.js", get(script).layer(cors()))
        .route("/v2/{field}", get(card_field))
}

async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"))], SCRIPT)
}

/// One card field's iframe page; which field is read by the page from its own path.
async fn card_field(Path(field): Path<String>) -> Response {
    if !CARD_FIELDS.contains(&field.as_str()) {
        return crate::state::error(StatusCode::NOT_FOUND, "not_found", "No such route").into_response();
    }
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], CARD_FIELD).into_response()
}

#[cfg(test)]
mod tests {
    use super::same_origin;

    #[test]
    fn origins_compare_by_scheme_host_and_port() {
        let allowed = Some("http://localhost:3000");
        assert!(same_origin(allowed, Some("http://localhost:3000")));
        assert!(same_origin(Some("http://localhost:3000/"), Some("http://localhost:3000")));
        assert!(same_origin(Some("https://shop.example:443/checkout"), Some("https://shop.example")));
        for other in ["http://localhost:3001", "https://localhost:3000", "http://127.0.0.1:3000", "null", ""] {
            assert!(!same_origin(allowed, Some(other)), "{other}");
        }
        assert!(!same_origin(allowed, None));
        assert!(!same_origin(None, Some("http://localhost:3000")));
    }
}
