//! The client behind a `CheckoutClient` handle: reads the configuration, then for each
//! operation parses the unified request, calls the provider, and returns the unified result
//! as JSON. It names no provider; `providers::from_config` picks one.

use crate::error::{Error, Result, Status};
use crate::fields::Fields;
use crate::providers::{self, Provider};
use crate::request::{CheckoutLookup, Complete, CreateCheckout, Redirect, WebComponentTokenRequest};
use crate::transport;
use crate::webhook::Headers;
use serde::Serialize;
use serde_json::{Map, Value};

/// A configured checkout client; `Send + Sync`, so one may serve many threads at once.
pub struct Client {
    provider: Box<dyn Provider>,
}

type Request = Map<String, Value>;

impl Client {
    /// A client from the configuration object of CONTRACT.md §5. Unknown keys and bad
    /// values are `CHECKOUT_ERR_CONFIG` naming the key.
    pub fn new(config: Request) -> Result<Client> {
        let mut f = Fields::new(config, Status::Config);
        let provider = providers::from_config(&mut f)?;
        f.finish()?;
        Ok(Client { provider })
    }

    /// The provider's name, as results and errors carry it.
    pub fn provider(&self) -> &'static str {
        self.provider.name()
    }

    /// `checkout_create`: request and result as in CONTRACT.md §7.
    pub fn create(&self, request: Request) -> Result<Value> {
        self.run(|| self.provider.create(CreateCheckout::parse(fields(request))?))
    }

    /// `checkout_get`: `{checkout_id}` or (JustiFi) `{payment_intent_id}`.
    pub fn get(&self, request: Request) -> Result<Value> {
        self.run(|| self.provider.get(CheckoutLookup::parse(fields(request))?))
    }

    /// `checkout_complete`: pays a checkout with a payment method token.
    pub fn complete(&self, request: Request) -> Result<Value> {
        self.run(|| self.provider.complete(Complete::parse(fields(request))?))
    }

    /// `session_redirect_url`: where to send the shopper to pay.
    pub fn redirect_url(&self, request: Request) -> Result<Value> {
        self.run(|| self.provider.redirect_url(Redirect::parse(fields(request))?))
    }

    /// `checkout_web_component_token` (JustiFi): a token and HTML for the checkout component.
    pub fn web_component_token(&self, request: Request) -> Result<Value> {
        self.run(|| self.provider.web_component_token(WebComponentTokenRequest::parse(fields(request))?))
    }

    /// `checkout_webhook_verify`: the normalized event of a delivery whose signature holds.
    /// `headers` is the JSON object of the request's headers; `body` the raw bytes received.
    pub fn verify_webhook(&self, headers: &str, body: &[u8]) -> Result<Value> {
        self.run(|| {
            let headers = Headers::parse(headers)?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default();
            self.provider.verify_webhook(&headers, body, now)
        })
    }

    /// Runs one operation: its result with `attempts` (HTTP requests sent, retries
    /// included) added, or its error with `provider` and `attempts`.
    fn run<T: Serialize>(&self, op: impl FnOnce() -> Result<T>) -> Result<Value> {
        let scope = transport::begin_call();
        let outcome = op();
        let attempts = scope.attempts();
        outcome
            .and_then(|r| serde_json::to_value(r).map_err(|e| Error::new(Status::Internal, e.to_string())))
            .map(|mut v| {
                if let Some(obj) = v.as_object_mut() {
                    obj.insert("attempts".into(), attempts.into());
                }
                v
            })
            .map_err(|mut e| {
                e.attempts = Some(attempts);
                e.with_provider(self.provider.name())
            })
    }
}

fn fields(request: Request) -> Fields {
    Fields::new(request, Status::InvalidRequest)
}
