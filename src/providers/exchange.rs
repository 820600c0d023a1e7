//! What a provider hands the engine: one HTTP request of an operation, built without
//! sending anything, and how to read its answer. Providers are translators made of these
//! (Hyperswitch's per-flow "build request" / "handle response"); the engine
//! ([`super::engine`]) sends them, authenticates them, classifies what fails, and settles
//! what stays ambiguous.

use crate::error::{Error, Result, Status};
use crate::response::Checkout;
use crate::transport::{HttpResponse, Method, Replay};
use serde_json::Value;
use url::Url;

/// A provider's answer, whatever its status.
pub type WireResponse = HttpResponse;

/// A request body: JSON text, or an `application/x-www-form-urlencoded` form.
#[derive(Clone, PartialEq)]
pub enum Body {
    Json(String),
    #[allow(dead_code, reason = "no provider of today sends a form; issue 21 asks for them, for the next providers")]
    Form(Vec<(String, String)>),
}

impl Body {
    /// A `Serialize` struct of a provider's wire module as JSON.
    pub fn json<T: serde::Serialize>(body: &T) -> Body {
        Body::Json(with_options(body, None))
    }

    /// A body with the unified `provider_options` merged over it ([`with_options`]).
    pub fn json_with_options<T: serde::Serialize>(body: &T, options: Option<serde_json::Map<String, Value>>) -> Body {
        Body::Json(with_options(body, options))
    }

    /// The `Content-Type` it is sent with.
    pub fn content_type(&self) -> &'static str {
        match self {
            Body::Json(_) => "application/json",
            Body::Form(_) => "application/x-www-form-urlencoded",
        }
    }

    /// The bytes sent: the JSON text, or the form percent-encoded (`url::form_urlencoded`).
    pub fn text(&self) -> String {
        match self {
            Body::Json(text) => text.clone(),
            Body::Form(pairs) => url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish(),
        }
    }
}

/// One request to a provider, as a provider builds it: the method, the path as segments
/// (each percent-encoded as one segment when sent, [`endpoint_at`]), the body, the headers
/// that are not credentials (`Sub-Account`), the idempotency key, and whether the request
/// may be sent again after it may have reached the provider ([`Replay`]).
///
/// Credentials are added by the engine when sending, so a `WireRequest` holds no secret but
/// the bodies of credential exchanges (JustiFi's `/oauth/token`); it has no `Debug`.
pub struct WireRequest {
    pub method: Method,
    pub path: Vec<String>,
    pub body: Option<Body>,
    pub headers: Vec<(&'static str, String)>,
    /// Sent as `Idempotency-Key`; the provider replays a request sent again with it.
    pub idempotency_key: Option<String>,
    pub replay: Replay,
}

impl WireRequest {
    /// A GET: always safe to send again.
    pub fn get(path: &[&str]) -> WireRequest {
        WireRequest {
            method: Method::Get,
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            body: None,
            headers: Vec::new(),
            idempotency_key: None,
            replay: Replay::Safe,
        }
    }

    /// A POST: sent again only when it surely never reached the provider, unless it carries an
    /// idempotency key ([`WireRequest::with_key`]) or is harmless to repeat.
    pub fn post(path: &[&str], body: Body) -> WireRequest {
        WireRequest { method: Method::Post, body: Some(body), replay: Replay::OnlyIfUnsent, ..WireRequest::get(path) }
    }

    /// A POST without a body (JustiFi's `VoidPayment` takes none).
    pub fn post_without_body(path: &[&str]) -> WireRequest {
        WireRequest { method: Method::Post, replay: Replay::OnlyIfUnsent, ..WireRequest::get(path) }
    }

    /// Under an idempotency key the provider de-duplicates: safe to send again with it.
    pub fn with_key(self, key: &str) -> WireRequest {
        WireRequest { idempotency_key: Some(key.to_owned()), replay: Replay::Safe, ..self }
    }

    /// A request whose repetition does no harm (a credential exchange): safe to send again.
    pub fn repeatable(self) -> WireRequest {
        WireRequest { replay: Replay::Safe, ..self }
    }

    /// With a header that is not a credential.
    pub fn header(mut self, name: &'static str, value: &str) -> WireRequest {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// The JSON body, parsed (for table tests).
    #[cfg(test)]
    pub fn json(&self) -> Option<Value> {
        match &self.body {
            Some(Body::Json(text)) => serde_json::from_str(text).ok(),
            _ => None,
        }
    }
}

/// Why reading an answer failed. A provider's translators make the last two; the engine the
/// first two.
pub enum Failure {
    /// The request did not get an answer (transport error): it may or may not have been acted on.
    Transport(Error),
    /// The provider answered non-2xx: its verdict, as [`Refusal`].
    Refused(Refusal),
    /// An integration fault: a 2xx answer that cannot be read. The provider may have acted.
    Fault(Fault),
    /// A definite error made by the translator from a readable answer.
    Error(Error),
}

impl From<Fault> for Failure {
    fn from(f: Fault) -> Failure {
        Failure::Fault(f)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Error(e)
    }
}

/// A provider's non-2xx answer as the contract's error, and whether it says a request with
/// the same idempotency key is still in flight (its outcome then unknown).
pub struct Refusal {
    pub error: Error,
    pub in_flight: bool,
}

impl Refusal {
    /// A provider's non-2xx answer as the contract's error: `status`, the provider's message
    /// (or `"<provider> answered HTTP <n>"`) and code, `http_status` and `request_id`;
    /// retryable for 429 and 5xx, which a later call may get past.
    pub fn error_of(
        provider: &'static str,
        resp: &WireResponse,
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
}

/// A 2xx answer that cannot be read: `what` (`"checkout"`) and the problem. It becomes
/// `CHECKOUT_ERR_PROVIDER`, retryable, with the provider's display name
/// ([`Fault::into_error`]).
#[derive(Debug)]
pub struct Fault {
    pub what: &'static str,
    pub problem: String,
}

impl Fault {
    pub fn new(what: &'static str, problem: impl std::fmt::Display) -> Fault {
        Fault { what, problem: problem.to_string() }
    }

    /// `"<Provider>'s <what> could not be read: <problem>"`, retryable: the provider may have
    /// acted on the request, and calling again (with the same idempotency key, where there is
    /// one) is how the storefront learns what happened; a payment call settles it by reading
    /// the checkout.
    pub fn into_error(self, provider: &str) -> Error {
        Error {
            retryable: true,
            ..Error::new(Status::Provider, format!("{provider}'s {} could not be read: {}", self.what, self.problem))
        }
    }
}

/// How a step's 2xx answer is read: into the operation's result, or into the next step.
pub type Read<'a, T> = Box<dyn FnOnce(WireResponse) -> std::result::Result<Next<'a, T>, Failure> + 'a>;

/// A non-2xx answer that is itself the operation's result (a decline), or `None`.
pub type Declines<'a, T> = Box<dyn FnOnce(&WireResponse) -> Option<T> + 'a>;

/// One step of an operation: the request, and how its answer is read.
pub struct Exchange<'a, T> {
    pub request: WireRequest,
    pub read: Read<'a, T>,
    /// Read before the engine takes a non-2xx answer for the provider's refusal.
    pub declines: Option<Declines<'a, T>>,
}

/// What follows a step.
pub enum Next<'a, T> {
    Done(T),
    /// Another request (JustiFi's checkout session after its payment intent).
    Send(Exchange<'a, T>),
    /// A read of the checkout (the engine's `checkout_get`, same-object check included), then
    /// the result from it (`None` when the read failed): ReCharge's charge has no amount.
    ReadCheckout(String, Box<dyn FnOnce(Option<Checkout>) -> T + 'a>),
}

impl<'a, T> Exchange<'a, T> {
    /// A one-request step whose answer gives the result.
    pub fn new(
        request: WireRequest,
        read: impl FnOnce(WireResponse) -> std::result::Result<T, Failure> + 'a,
    ) -> Exchange<'a, T> {
        Exchange::then(request, move |resp| read(resp).map(Next::Done))
    }

    /// A step whose answer says what comes next.
    pub fn then(
        request: WireRequest,
        read: impl FnOnce(WireResponse) -> std::result::Result<Next<'a, T>, Failure> + 'a,
    ) -> Exchange<'a, T> {
        Exchange { request, read: Box::new(read), declines: None }
    }

    /// With a reader of the non-2xx answers that are results (a payment declined).
    pub fn reading_declines(self, declines: impl FnOnce(&WireResponse) -> Option<T> + 'a) -> Exchange<'a, T> {
        Exchange { declines: Some(Box::new(declines)), ..self }
    }
}

/// A checkout read, with what paid it when the provider says (JustiFi: the latest succeeded
/// completion and the `successful_payment_id`), for settling an ambiguous payment.
pub struct CheckoutRead {
    pub checkout: Checkout,
    pub completion_id: Option<String>,
    pub payment_id: Option<String>,
}

impl From<Checkout> for CheckoutRead {
    fn from(checkout: Checkout) -> CheckoutRead {
        CheckoutRead { checkout, completion_id: None, payment_id: None }
    }
}

/// A provider's idempotency keys: sent as `Idempotency-Key`, at most `max_len` characters.
#[derive(Clone, Copy)]
pub struct IdempotencyKeys {
    pub max_len: usize,
}

impl IdempotencyKeys {
    /// The caller's key, or a new UUID v4; a key longer than the provider takes is
    /// `CHECKOUT_ERR_INVALID_REQUEST`.
    pub fn mint(self, provider: &str, given: Option<String>) -> Result<String> {
        let key = given.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if key.len() > self.max_len {
            return Err(Error::invalid_request(format!(
                "idempotency_key: {provider} accepts at most {} characters",
                self.max_len
            )));
        }
        Ok(key)
    }
}

/// `origin` followed by `segments`, each percent-encoded as one path segment: an id holding
/// `/`, `?`, `#` or `%` stays inside its segment and can never address another resource.
/// An empty last segment gives a trailing slash. `.` and `..` (which URL resolution would
/// drop or climb) are refused.
pub fn endpoint(origin: &str, segments: &[&str]) -> Result<Url> {
    endpoint_at(&parse_origin(origin)?, segments)
}

/// [`endpoint`] from an origin parsed once: the per-request path, which then parses no URL.
pub fn endpoint_at(origin: &Url, segments: &[&str]) -> Result<Url> {
    if let Some(dots) = segments.iter().find(|s| matches!(**s, "." | "..")) {
        return Err(Error::invalid_request(format!("{dots:?} is not a valid id")));
    }
    let mut url = origin.clone();
    url.path_segments_mut().map_err(|()| Error::config("base_url: cannot carry a path"))?.clear().extend(segments);
    Ok(url)
}

/// An origin from the configuration, parsed.
pub fn parse_origin(origin: &str) -> Result<Url> {
    Url::parse(origin).map_err(|e| Error::config(format!("base_url: is not a URL ({e})")))
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
    fn a_form_body_is_percent_encoded_with_its_content_type() {
        let form = Body::Form(vec![("amount".into(), "1799".into()), ("reason".into(), "a&b=c d".into())]);
        assert_eq!(form.content_type(), "application/x-www-form-urlencoded");
        assert_eq!(form.text(), "amount=1799&reason=a%26b%3Dc+d");
        assert_eq!(Body::json(&serde_json::json!({"a": 1})).content_type(), "application/json");
    }

    #[test]
    fn replay_follows_the_method_and_the_key() {
        assert_eq!(WireRequest::get(&["v1"]).replay, Replay::Safe);
        let post = WireRequest::post(&["v1"], Body::Json("{}".into()));
        assert_eq!(post.replay, Replay::OnlyIfUnsent);
        let keyed = post.with_key("k");
        assert_eq!((keyed.replay, keyed.idempotency_key.as_deref()), (Replay::Safe, Some("k")));
    }

    #[test]
    fn keys_are_minted_or_refused_when_too_long() {
        let keys = IdempotencyKeys { max_len: 100 };
        assert_eq!(keys.mint("JustiFi", Some("abc".into())).unwrap(), "abc");
        assert_eq!(keys.mint("JustiFi", None).unwrap().len(), 36);
        let e = keys.mint("JustiFi", Some("k".repeat(101))).unwrap_err();
        assert_eq!(e.message, "idempotency_key: JustiFi accepts at most 100 characters");
    }
}
