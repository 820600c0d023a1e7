//! The client behind a `CheckoutClient` handle: reads the configuration, then for each
//! operation parses the unified request, calls the provider, and returns the unified result
//! as JSON. It names no provider; `providers::from_config` picks one.

use crate::error::{Error, Result, Status};
use crate::fields::Fields;
use crate::providers::{self, engine::Engine};
use crate::request::{
    CheckoutLookup, Complete, CreateCheckout, PaymentOf, Redirect, RefundRequest, WebComponentTokenRequest,
};
use crate::transport;
use crate::webhook::Headers;
use serde::Serialize;
use serde_json::{Map, Value};
use std::time::Instant;

/// A configured checkout client; `Send + Sync`, so one may serve many threads at once.
pub struct Client {
    engine: Engine,
    /// The most asynchronous calls of this client run at once (`max_in_flight`); more wait.
    max_in_flight: usize,
}

/// `max_in_flight`'s default: 512 calls, each waiting on the provider on its own I/O thread.
const DEFAULT_MAX_IN_FLIGHT: u64 = 512;

/// `max_in_flight`'s largest value.
const MAX_MAX_IN_FLIGHT: u64 = 10_000;

type Request = Map<String, Value>;

impl Client {
    /// A client from the configuration object of docs/contract.md §5. Unknown keys and bad
    /// values are `CHECKOUT_ERR_CONFIG` naming the key.
    pub fn new(config: Request) -> Result<Client> {
        let mut f = Fields::new(config, Status::Config);
        let max_in_flight = match f.integer_up_to("max_in_flight", MAX_MAX_IN_FLIGHT) {
            Ok(Some(0)) | Err(_) => {
                return Err(f.error("max_in_flight", &format!("must be an integer from 1 to {MAX_MAX_IN_FLIGHT}")))
            }
            Ok(n) => n.unwrap_or(DEFAULT_MAX_IN_FLIGHT),
        };
        let (provider, endpoint) = providers::from_config(&mut f)?;
        f.finish()?;
        Ok(Client { engine: Engine::new(provider, endpoint), max_in_flight: max_in_flight as usize })
    }

    /// The provider's name, as results and errors carry it.
    pub fn provider(&self) -> &'static str {
        self.engine.name()
    }

    /// `checkout_create`: request and result as in docs/contract.md §7.
    pub fn create(&self, request: Request) -> Result<Value> {
        self.dispatch::<AsValue>(Operation::Create, request, None)
    }

    /// `checkout_get`: `{checkout_id}` or (JustiFi) `{payment_intent_id}`.
    pub fn get(&self, request: Request) -> Result<Value> {
        self.dispatch::<AsValue>(Operation::Get, request, None)
    }

    /// `checkout_complete`: pays a checkout with a payment method token.
    pub fn complete(&self, request: Request) -> Result<Value> {
        self.dispatch::<AsValue>(Operation::Complete, request, None)
    }

    /// `session_redirect_url`: where to send the shopper to pay.
    pub fn redirect_url(&self, request: Request) -> Result<Value> {
        self.dispatch::<AsValue>(Operation::RedirectUrl, request, None)
    }

    /// `checkout_refund`: refunds a paid checkout, fully or partly.
    pub fn refund(&self, request: Request) -> Result<Value> {
        self.dispatch::<AsValue>(Operation::Refund, request, None)
    }

    /// `checkout_refunds`: a checkout's payment, its refunds and what is still refundable.
    pub fn refunds(&self, request: Request) -> Result<Value> {
        self.dispatch::<AsValue>(Operation::Refunds, request, None)
    }

    /// `checkout_void` (JustiFi): cancels a paid checkout's card payment before it settles.
    pub fn void(&self, request: Request) -> Result<Value> {
        self.dispatch::<AsValue>(Operation::Void, request, None)
    }

    /// `checkout_web_component_token` (JustiFi): a token and HTML for the checkout component.
    pub fn web_component_token(&self, request: Request) -> Result<Value> {
        self.dispatch::<AsValue>(Operation::WebComponentToken, request, None)
    }

    /// `checkout_webhook_verify`: the normalized event of a delivery whose signature holds.
    /// `headers` is the JSON object of the request's headers; `body` the raw bytes received.
    pub fn verify_webhook(&self, headers: &str, body: &[u8]) -> Result<Value> {
        self.verify::<AsValue>(headers, body)
    }

    /// An operation's result as JSON text, serialized once: what the C ABI returns.
    pub(crate) fn json(&self, operation: Operation, request: Request) -> Result<String> {
        self.dispatch::<AsText>(operation, request, None)
    }

    /// [`Client::json`] for an asynchronous call queued at `since`: the wait for an I/O thread
    /// counts against the call's `deadline_ms`.
    pub(crate) fn json_since(&self, operation: Operation, request: Request, since: Instant) -> Result<String> {
        self.dispatch::<AsText>(operation, request, Some(since))
    }

    /// How many asynchronous calls of this client run at once (`max_in_flight`).
    pub(crate) fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// [`Client::verify_webhook`] as JSON text.
    pub(crate) fn verify_webhook_json(&self, headers: &str, body: &[u8]) -> Result<String> {
        self.verify::<AsText>(headers, body)
    }

    /// Runs an operation on the engine, which checks what every provider's answer must
    /// satisfy.
    fn dispatch<R: Render>(&self, operation: Operation, request: Request, since: Option<Instant>) -> Result<R::Out> {
        let e = &self.engine;
        let call = (operation.name(), since);
        match operation {
            Operation::Create => self.run::<R, _>(call, || e.create(CreateCheckout::parse(fields(request))?)),
            Operation::Get => self.run::<R, _>(call, || e.get(CheckoutLookup::parse(fields(request))?)),
            Operation::Complete => self.run::<R, _>(call, || e.complete(Complete::parse(fields(request))?)),
            Operation::RedirectUrl => self.run::<R, _>(call, || e.redirect_url(Redirect::parse(fields(request))?)),
            Operation::WebComponentToken => {
                self.run::<R, _>(call, || e.web_component_token(WebComponentTokenRequest::parse(fields(request))?))
            }
            Operation::Refund => self.run::<R, _>(call, || e.refund(RefundRequest::parse(fields(request))?)),
            Operation::Refunds => self.run::<R, _>(call, || e.refunds(PaymentOf::parse(fields(request))?)),
            Operation::Void => self.run::<R, _>(call, || e.void(PaymentOf::parse(fields(request))?)),
        }
    }

    fn verify<R: Render>(&self, headers: &str, body: &[u8]) -> Result<R::Out> {
        self.run::<R, _>(("checkout_webhook_verify", None), || {
            let headers = Headers::parse(headers)?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or_default();
            self.engine.verify_webhook(&headers, body, now)
        })
    }

    /// Runs one operation: its result with `attempts` (HTTP requests sent, retries
    /// included), rendered once; or its error with `provider` and `attempts`.
    /// `call` is the operation's C name and, for an asynchronous call, when it was queued.
    fn run<R: Render, T: Serialize>(
        &self,
        call: (&'static str, Option<Instant>),
        op: impl FnOnce() -> Result<T>,
    ) -> Result<R::Out> {
        let scope = match call {
            (name, Some(since)) => transport::begin_call_since(name, since),
            (name, None) => transport::begin_call(name),
        };
        let began = Instant::now();
        let outcome = op();
        let attempts = scope.attempts();
        outcome
            .and_then(|result| {
                R::render(&WithAttempts { result: &result, attempts })
                    .map_err(|e| Error::new(Status::Internal, e.to_string()))
            })
            .map_err(|mut e| {
                e.attempts = Some(attempts);
                let e = e.with_provider(self.engine.name());
                self.engine.logger().failed(call.0, &e, began.elapsed());
                e
            })
    }

    /// Sets or clears the log callback (`checkout_client_set_log_callback`).
    ///
    /// # Safety
    /// As [`Logger::set`](crate::transport::Logger::set).
    pub(crate) unsafe fn set_log_callback(
        &self,
        callback: Option<transport::LogCallback>,
        user_data: *mut std::ffi::c_void,
        defer_async: bool,
    ) {
        self.engine.logger().set(callback, user_data, defer_async)
    }

    /// Delivers the deferred log records of asynchronous calls on this thread
    /// (`checkout_client_flush_log`).
    pub(crate) fn flush_log(&self) {
        self.engine.logger().flush()
    }
}

/// The operations of docs/contract.md §7 that take a JSON request object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    Create,
    Get,
    Complete,
    RedirectUrl,
    WebComponentToken,
    Refund,
    Refunds,
    Void,
}

impl Operation {
    /// The C export's name (`checkout_create`), as the log names the operation.
    fn name(self) -> &'static str {
        match self {
            Operation::Create => "checkout_create",
            Operation::Get => "checkout_get",
            Operation::Complete => "checkout_complete",
            Operation::RedirectUrl => "session_redirect_url",
            Operation::WebComponentToken => "checkout_web_component_token",
            Operation::Refund => "checkout_refund",
            Operation::Refunds => "checkout_refunds",
            Operation::Void => "checkout_void",
        }
    }
}

/// A result, and the HTTP requests its call sent.
#[derive(Serialize)]
struct WithAttempts<'a, T: Serialize> {
    #[serde(flatten)]
    result: &'a T,
    attempts: u32,
}

/// How a result leaves the library: as a `Value` (the Rust API) or as JSON text (the C ABI).
trait Render {
    type Out;
    fn render<T: Serialize>(value: &T) -> serde_json::Result<Self::Out>;
}

struct AsValue;

impl Render for AsValue {
    type Out = Value;
    fn render<T: Serialize>(value: &T) -> serde_json::Result<Value> {
        serde_json::to_value(value)
    }
}

struct AsText;

impl Render for AsText {
    type Out = String;
    fn render<T: Serialize>(value: &T) -> serde_json::Result<String> {
        serde_json::to_string(value)
    }
}

fn fields(request: Request) -> Fields {
    Fields::new(request, Status::InvalidRequest)
}
