//! Payment providers behind the unified contract. A provider is one module (its connector)
//! plus its wire types: it builds the wire request from a unified request, sends it through
//! the transport, and reads the wire response back into a unified result.

pub mod justifi;
pub mod payfect;
pub mod recharge;

use crate::config::ClientConfig;
use crate::error::{Error, Result, Status};
use crate::fields::Fields;
use crate::request::{CheckoutLookup, Complete, CreateCheckout, Redirect, WebComponentTokenRequest};
use crate::response::{Checkout, Completion, RedirectUrl, WebComponentToken};
use crate::transport::{HttpRequest, HttpResponse, Method, Replay, Transport};
use crate::webhook::{Headers, WebhookEvent, WebhookKeys};
use serde_json::Value;
use url::Url;

/// The operations of docs/contract.md §7, as one provider performs them.
pub trait Provider: Send + Sync {
    /// The provider's name in results and errors (`justifi`).
    fn name(&self) -> &'static str;

    /// The optional request fields it does not honour, and why.
    fn refusals(&self) -> &'static Refusals;

    fn create(&self, req: CreateCheckout) -> Result<Checkout>;

    fn get(&self, req: CheckoutLookup) -> Result<Checkout>;

    fn complete(&self, req: Complete) -> Result<Completion>;

    fn redirect_url(&self, req: Redirect) -> Result<RedirectUrl>;

    /// Verifies a webhook delivery (raw `body`, its `headers`) against the configured
    /// `webhook_secrets`, with timestamps judged against `now` (Unix seconds).
    fn verify_webhook(&self, headers: &Headers, body: &[u8], now: i64) -> Result<WebhookEvent>;

    /// JustiFi only; others answer `CHECKOUT_ERR_UNSUPPORTED`.
    fn web_component_token(&self, _req: WebComponentTokenRequest) -> Result<WebComponentToken> {
        Err(Error::new(
            Status::Unsupported,
            format!("{} has no web component; send the shopper to session_redirect_url instead", self.name()),
        ))
    }
}

/// The provider named by the configuration's `provider` key, reading its own keys from `f`.
pub fn from_config(f: &mut Fields) -> Result<Box<dyn Provider>> {
    match f.required_string("provider")?.as_str() {
        "justifi" => Ok(Box::new(justifi::Justifi::from_config(f)?)),
        "recharge" => Ok(Box::new(recharge::Recharge::from_config(f)?)),
        "payfect" => Ok(Box::new(payfect::Payfect::from_config(f)?)),
        _ => Err(f.error("provider", "must be one of justifi, recharge, payfect")),
    }
}

/// What every provider client holds, read from the common configuration keys: the API
/// origin, the hosted pages' origin when overridden, the transport and the webhook keys.
pub struct Connection {
    pub base_url: String,
    /// `base_url`, parsed once: every request's URL is built from it.
    pub base: Url,
    pub hosted_base_url: Option<String>,
    pub transport: Transport,
    pub webhook: WebhookKeys,
}

impl Connection {
    /// Reads the common keys (docs/contract.md §5), with `default_base_url` the provider's
    /// production origin and `base_url_env` the variable that may give another; a bad
    /// `ca_bundle_path` or `proxy` is `CHECKOUT_ERR_CONFIG` here.
    pub fn from_config(f: &mut Fields, default_base_url: &str, base_url_env: &str) -> Result<Connection> {
        let common = ClientConfig::read(f, default_base_url, base_url_env)?;
        Ok(Connection {
            webhook: WebhookKeys::from_config(&common),
            transport: Transport::new(&common)?,
            base: parse_origin(&common.base_url)?,
            base_url: common.base_url,
            hosted_base_url: common.hosted_base_url,
        })
    }
}

/// Refuses a field the provider cannot honour, rather than dropping it silently.
pub fn refuse(present: bool, field: &str, why: &str) -> Result<()> {
    if present {
        return Err(Error::invalid_request(format!("{field}: {why}")));
    }
    Ok(())
}

/// The optional unified request fields a provider does not honour, per operation, each with
/// the reason: declared once per provider, and checked by the client before the provider
/// sees the request, so that a field is refused (never dropped) with a message made here.
/// Fields are named as [`CreateCheckout::given`] names them.
pub struct Refusals {
    pub create: &'static [(&'static str, &'static str)],
    pub get: &'static [(&'static str, &'static str)],
    pub complete: &'static [(&'static str, &'static str)],
    pub redirect: &'static [(&'static str, &'static str)],
}

impl Refusals {
    /// `CHECKOUT_ERR_INVALID_REQUEST` for the first `given` field in `refused`:
    /// `"<field>: <provider> does not take it on <operation>: <why>"`.
    pub fn check(provider: &str, operation: &str, refused: &[(&str, &str)], given: &[&str]) -> Result<()> {
        match given.iter().find_map(|g| refused.iter().find(|(name, _)| name == g)) {
            Some((field, why)) => {
                Err(Error::invalid_request(format!("{field}: {provider} does not take it on {operation}: {why}")))
            }
            None => Ok(()),
        }
    }
}

/// An integration fault: `provider` (its display name) answered 2xx with something that
/// cannot be read. Retryable: the provider may have acted on the request, and calling again
/// (with the same idempotency key, where there is one) is how the storefront learns what
/// happened; a payment call settles it by reading the checkout.
pub fn undecodable(provider: &str, what: &str, problem: impl std::fmt::Display) -> Error {
    Error {
        retryable: true,
        ..Error::new(Status::Provider, format!("{provider}'s {what} could not be read: {problem}"))
    }
}

/// A provider's non-2xx answer as the contract's error: `status`, the provider's message
/// (or `"<provider> answered HTTP <n>"`) and code, `http_status` and `request_id`;
/// retryable for 429 and 5xx, which a later call may get past.
pub fn provider_error(
    provider: &'static str,
    resp: &HttpResponse,
    status: Status,
    message: Option<String>,
    provider_code: Option<String>,
) -> Error {
    let message = message.unwrap_or_else(|| format!("{provider} answered HTTP {}", resp.status));
    let mut e = Error::new(status, message).with_provider(provider);
    e.http_status = Some(resp.status);
    e.provider_code = provider_code;
    e.request_id = resp.request_id.clone();
    e.retryable = resp.status == 429 || resp.status >= 500;
    e
}

/// A JSON request to a provider: its URL built from path segments and its body serialized
/// once, then sent with the provider's headers as often as its logic needs (JustiFi sends it
/// again after refreshing its token).
pub struct JsonRequest {
    method: Method,
    url: Url,
    body: Option<String>,
    replay: Replay,
    settles: bool,
}

impl JsonRequest {
    pub fn new(
        origin: &Url,
        method: Method,
        segments: &[&str],
        body: Option<&str>,
        replay: Replay,
    ) -> Result<JsonRequest> {
        Ok(JsonRequest {
            method,
            url: endpoint_at(origin, segments)?,
            body: body.map(str::to_owned),
            replay,
            settles: false,
        })
    }

    /// A payment call whose ambiguous failure the provider settles by reading the checkout:
    /// it leaves time for that read before the call's deadline ([`HttpRequest::settles`]).
    pub fn settled_by_read(self) -> JsonRequest {
        JsonRequest { settles: true, ..self }
    }

    pub fn send(&self, transport: &Transport, headers: &[(&'static str, &str)]) -> Result<HttpResponse> {
        transport.send(&HttpRequest {
            method: self.method,
            url: self.url.as_str(),
            headers,
            body: self.body.as_deref(),
            replay: self.replay,
            settles: self.settles,
        })
    }
}

fn parse_origin(origin: &str) -> Result<Url> {
    Url::parse(origin).map_err(|e| Error::config(format!("base_url: is not a URL ({e})")))
}

/// `origin` followed by `segments`, each percent-encoded as one path segment: an id holding
/// `/`, `?`, `#` or `%` stays inside its segment and can never address another resource.
/// An empty last segment gives a trailing slash. `.` and `..` (which URL resolution would
/// drop or climb) are refused.
pub fn endpoint(origin: &str, segments: &[&str]) -> Result<Url> {
    endpoint_at(&parse_origin(origin)?, segments)
}

/// [`endpoint`] from an origin parsed once ([`Connection::base`]): the per-request path,
/// which then parses no URL.
pub fn endpoint_at(origin: &Url, segments: &[&str]) -> Result<Url> {
    if let Some(dots) = segments.iter().find(|s| matches!(**s, "." | "..")) {
        return Err(Error::invalid_request(format!("{dots:?} is not a valid id")));
    }
    let mut url = origin.clone();
    url.path_segments_mut().map_err(|()| Error::config("base_url: cannot carry a path"))?.clear().extend(segments);
    Ok(url)
}

/// A request body (a `Serialize` struct of the provider's wire module) as JSON text, with the
/// unified `provider_options` merged over it: a key there replaces the typed one, as the
/// contract says. (`#[serde(flatten)]` would send a key given in both twice.) Without options
/// the struct is serialized straight to text.
pub fn with_options<T: serde::Serialize>(body: &T, provider_options: Option<serde_json::Map<String, Value>>) -> String {
    match provider_options {
        Some(options) if !options.is_empty() => {
            let mut value = serde_json::to_value(body).unwrap_or_default();
            if let Value::Object(map) = &mut value {
                map.extend(options);
            }
            value.to_string()
        }
        _ => serde_json::to_string(body).unwrap_or_default(),
    }
}

/// A value a provider writes as a string or as a JSON number (ReCharge's prices and ids,
/// Payfect's times): read as its text.
#[derive(serde::Deserialize)]
#[serde(untagged)]
pub enum NumberOrText {
    Text(String),
    Number(serde_json::Number),
}

impl NumberOrText {
    /// The value's text (`"60.00"`, `"512345678"`, `"1690532072.288761"`).
    pub fn text(&self) -> String {
        match self {
            NumberOrText::Text(s) => s.clone(),
            NumberOrText::Number(n) => n.to_string(),
        }
    }
}

/// A request body as the JSON text the transport sends.
pub fn json_body<T: serde::Serialize>(body: &T) -> String {
    with_options(body, None)
}

/// An integer amount of minor units from a JSON number (`1799` or `1799.0`), as providers
/// documenting amounts as "number" may send either.
pub fn minor_units(v: &serde_json::Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= 9.0e15).map(|f| f as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_segments_cannot_escape() {
        let u = endpoint("http://127.0.0.1:9", &["v1", "checkouts", "../oauth/token?x=1#f", "complete"]).unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:9/v1/checkouts/..%2Foauth%2Ftoken%3Fx=1%23f/complete");
        assert_eq!(
            endpoint("http://127.0.0.1:9", &["v1", "checkouts", ".."]).unwrap_err().status,
            Status::InvalidRequest
        );
        let u = endpoint("http://127.0.0.1:9", &["v1", "checkouts", "%2F"]).unwrap();
        assert_eq!(u.path(), "/v1/checkouts/%252F");
        let u = endpoint("https://api.payfect.finance", &["api", "v1", "checkouts", ""]).unwrap();
        assert_eq!(u.as_str(), "https://api.payfect.finance/api/v1/checkouts/");
    }

    #[test]
    fn refusals_name_the_field_provider_and_operation() {
        let refused = [("line_items[].subscription", "checkouts are one-time payments"), ("email", "it has none")];
        Refusals::check("acme", "checkout_create", &refused, &["metadata", "line_items[].image_url"]).unwrap();
        let e = Refusals::check("acme", "checkout_create", &refused, &["origin_url", "line_items[].subscription"])
            .unwrap_err();
        assert_eq!(e.status, Status::InvalidRequest);
        assert_eq!(
            e.message,
            "line_items[].subscription: acme does not take it on checkout_create: checkouts are one-time payments"
        );
    }

    #[test]
    fn minor_units_accept_integral_numbers_only() {
        assert_eq!(minor_units(&serde_json::json!(1799)), Some(1799));
        assert_eq!(minor_units(&serde_json::json!(1799.0)), Some(1799));
        assert_eq!(minor_units(&serde_json::json!(17.99)), None);
        assert_eq!(minor_units(&serde_json::json!(-1)), None);
        assert_eq!(minor_units(&serde_json::json!("1799")), None);
    }
}
