//! The sandbox's state: what JustiFi would hold for its test accounts, plus counters for
//! tests. One mutex guards it; no handler awaits while holding it.

use crate::idempotency::Idempotency;
use crate::SandboxConfig;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub struct App {
    pub config: SandboxConfig,
    /// TCP connections accepted, counted by the listener.
    pub connections: std::sync::atomic::AtomicU64,
    /// Full TLS handshakes (with a HelloRetryRequest or not), when serving HTTPS.
    pub tls_handshakes: std::sync::atomic::AtomicU64,
    /// TLS handshakes that resumed an earlier session.
    pub tls_resumptions: std::sync::atomic::AtomicU64,
    inner: Mutex<Inner>,
}

impl App {
    pub fn new(config: SandboxConfig) -> App {
        let mut inner = Inner::default();
        inner.payment_methods.extend(crate::justifi::test_payment_methods());
        App {
            config,
            connections: Default::default(),
            tls_handshakes: Default::default(),
            tls_resumptions: Default::default(),
            inner: Mutex::new(inner),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// An access token the sandbox granted.
pub struct Grant {
    pub client_id: String,
    pub expires_at: Instant,
    /// `None` for API tokens; the roles of a web component token (`write:checkout:cho_...`).
    pub roles: Option<Vec<String>>,
}

pub struct Checkout {
    pub id: String,
    pub account_id: String,
    pub amount: u64,
    pub description: String,
    pub payment_method_group_id: Value,
    pub statement_descriptor: Value,
    pub payment: Value,
    /// The page origin the checkout component may be rendered on (seed 001: "you must set the
    /// origin_url parameter to be the domain on which you will render the component").
    pub origin_url: Option<String>,
    /// `created`, `attempted`, `completed` or `expired`.
    pub status: &'static str,
    pub successful_payment_id: Option<String>,
    pub completions: Vec<Value>,
    /// One week after creation; an unpaid checkout then turns `expired`.
    pub expires: Instant,
    pub created_at: String,
    pub updated_at: String,
}

impl Checkout {
    /// The `Checkout` schema of the spec.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "account_id": self.account_id, "platform_account_id": PLATFORM_ACCOUNT,
            "payment_amount": self.amount, "payment_currency": "USD",
            "payment_description": self.description,
            "payment_methods": [], "payment_method_group_id": self.payment_method_group_id,
            "status": self.status, "mode": "test", "successful_payment_id": self.successful_payment_id,
            "statement_descriptor": self.statement_descriptor, "application_fees": null,
            "payment_settings": {"ach_payments": true, "bnpl_payments": false,
                "credit_card_payments": true, "insurance_payments": false},
            "payment": self.payment, "created_at": self.created_at, "updated_at": self.updated_at,
            "completions": self.completions,
        })
    }
}

/// A tokenized card or bank account (`pm_...`).
pub struct PaymentMethod {
    /// Its sub account; empty for the sandbox's test tokens, which every account accepts.
    pub account_id: String,
    /// What a payment with it does: `None` succeeds, else the decline.
    pub decline: Option<Decline>,
}

#[derive(Clone)]
pub struct Decline {
    pub code: &'static str,
    pub decline_code: Option<&'static str>,
    pub message: &'static str,
}

impl Decline {
    pub fn to_json(&self) -> Value {
        json!({"code": self.code, "decline_code": self.decline_code, "message": self.message})
    }
}

/// A payment that moved money: what tests count to prove exactly-once.
pub struct Payment {
    pub id: String,
    pub amount: u64,
    /// `cho_...` or `pi_...`.
    pub paid_for: String,
    pub payment_method_id: String,
    pub created_at: String,
}

impl Payment {
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "amount": self.amount, "currency": "usd", "status": "succeeded",
            "captured": true, "payment_method": {"id": self.payment_method_id},
            "description": format!("Payment for {}", self.paid_for), "created_at": self.created_at})
    }
}

pub struct PaymentIntent {
    pub id: String,
    pub account_id: String,
    pub amount: u64,
    pub currency: String,
    pub description: Value,
    pub metadata: Value,
    /// `requires_payment_method` or `succeeded`.
    pub status: &'static str,
    pub successful_payment_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl PaymentIntent {
    /// The `CardPaymentIntent` schema of the spec.
    pub fn to_json(&self) -> Value {
        json!({"id": self.id, "account_id": self.account_id, "amount": self.amount,
            "currency": self.currency, "description": self.description, "metadata": self.metadata,
            "payment_method": null, "status": self.status,
            "successful_payment_id": self.successful_payment_id,
            "created_at": self.created_at, "updated_at": self.updated_at})
    }
}

pub struct CheckoutSession {
    pub payment_intent_id: String,
    pub after_payment_url: String,
    pub back_url: Option<String>,
    pub expires_at: Instant,
}

/// A ReCharge checkout: its wire object, and whether a charge of it is in flight.
pub struct RechargeCheckout {
    pub json: Value,
    pub charge_in_flight: bool,
}

/// ReCharge's leaky bucket of one API token: 40 requests, draining 2 per second.
pub struct Bucket {
    pub level: f64,
    pub at: Instant,
}

/// A Payfect checkout: its wire object (camelCase), when it expires, and the callback URL it
/// was created with (which the answer does not echo).
pub struct PayfectCheckout {
    pub json: Value,
    pub expires: Instant,
    pub callback_url: Option<String>,
}

/// What a fault does to a request (`POST /__sandbox/faults`).
#[derive(Clone, Debug, PartialEq)]
pub enum FaultKind {
    /// Answer with this status (and `Retry-After`, when given) instead.
    Status { status: u16, retry_after: Option<String> },
    /// Drop the connection without an answer.
    Reset,
    /// Wait this long first (before: the request is then processed; after: the answer waits).
    Delay(std::time::Duration),
    /// Send the answer's headers and half its body, then drop the connection.
    Truncate,
    /// Answer 200 with an HTML page.
    NotJson,
    /// The answer, labelled `text/plain`.
    WrongContentType,
    /// Answer 200 with a 9 MiB JSON body.
    Huge,
}

/// A fault for the next `times` requests to `route` (`"POST /v1/checkouts/{id}/complete"`):
/// before the request is processed, or `after` it (the provider acted; the client never
/// hears the real answer).
#[derive(Clone, Debug)]
pub struct Fault {
    pub kind: FaultKind,
    pub after: bool,
    pub times: u32,
}

/// Where a provider's events go: a delivery URL and the signing secret.
#[derive(Clone, Debug)]
pub struct WebhookTarget {
    pub url: String,
    pub secret: String,
}

/// An event waiting to be delivered once the state lock is released.
pub struct Outgoing {
    pub provider: &'static str,
    /// The event name or topic (`checkout.completion.succeeded`, `checkout/processed`).
    pub kind: String,
    pub body: Value,
    /// A URL of the event's own (a Payfect checkout's `callback_url`), before the target's.
    pub url: Option<String>,
}

/// One delivery's outcome, for the ledger.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub provider: &'static str,
    pub kind: String,
    pub url: String,
    pub attempts: u32,
    /// The last HTTP status, or why nothing was sent.
    pub outcome: String,
}

#[derive(Default)]
pub struct Inner {
    /// The exchanges recorded when `record_exchanges` is on (see `exchanges.rs`).
    pub exchanges: Vec<Value>,
    pub tokens: HashMap<String, Grant>,
    pub token_grants: u64,
    pub web_component_token_grants: u64,
    /// Checkouts in creation order (lists page through this), and their positions by id.
    pub checkouts: Vec<Checkout>,
    pub checkout_index: HashMap<String, usize>,
    pub payment_methods: HashMap<String, PaymentMethod>,
    pub payments: Vec<Payment>,
    /// Positions in `payments`, by payment id and by what they paid for.
    pub payment_index: HashMap<String, usize>,
    pub payments_by_target: HashMap<String, Vec<usize>>,
    pub payment_intents: HashMap<String, PaymentIntent>,
    pub checkout_sessions: HashMap<String, CheckoutSession>,
    pub idempotency: Idempotency,
    pub recharge_checkouts: HashMap<String, RechargeCheckout>,
    pub recharge_buckets: HashMap<String, Bucket>,
    pub payfect_checkouts: HashMap<String, PayfectCheckout>,
    pub faults: HashMap<String, Fault>,
    /// Requests received per `"METHOD /actual/path"`, faulted ones included.
    pub requests: HashMap<String, u64>,
    pub webhooks: HashMap<&'static str, WebhookTarget>,
    pub outbox: Vec<Outgoing>,
    pub deliveries: Vec<Delivery>,
}

impl Inner {
    /// Queues an event; the handler publishes it after releasing the lock.
    pub fn emit(&mut self, provider: &'static str, kind: &str, body: Value, url: Option<String>) {
        self.outbox.push(Outgoing { provider, kind: kind.to_owned(), body, url });
    }

    /// The checkout, turned `expired` first if its week has passed unpaid.
    pub fn checkout_mut(&mut self, id: &str) -> Option<&mut Checkout> {
        let c = self.checkouts.get_mut(*self.checkout_index.get(id)?)?;
        if Instant::now() >= c.expires && matches!(c.status, "created" | "attempted") {
            c.status = "expired";
        }
        Some(c)
    }

    /// Charges `amount` to payment method `pm` for `paid_for`: the payment, or the decline.
    pub fn charge(&mut self, pm: &str, amount: u64, paid_for: &str) -> Result<String, Decline> {
        let method = self.payment_methods.get(pm).expect("payment method checked by caller");
        if let Some(d) = &method.decline {
            return Err(d.clone());
        }
        let id = new_id("py_");
        self.add_payment(Payment {
            id: id.clone(),
            amount,
            paid_for: paid_for.to_owned(),
            payment_method_id: pm.to_owned(),
            created_at: now(),
        });
        Ok(id)
    }

    pub fn payment(&self, id: &str) -> Option<&Payment> {
        self.payments.get(*self.payment_index.get(id)?)
    }

    /// Adds a checkout, indexed by id.
    pub fn add_checkout(&mut self, checkout: Checkout) {
        self.checkout_index.insert(checkout.id.clone(), self.checkouts.len());
        self.checkouts.push(checkout);
    }

    fn add_payment(&mut self, payment: Payment) {
        let at = self.payments.len();
        self.payment_index.insert(payment.id.clone(), at);
        self.payments_by_target.entry(payment.paid_for.clone()).or_default().push(at);
        self.payments.push(payment);
    }

    /// The payments made for a checkout or payment intent.
    pub fn payments_for(&self, paid_for: &str) -> impl Iterator<Item = &Payment> {
        self.payments_by_target.get(paid_for).into_iter().flatten().filter_map(|i| self.payments.get(*i))
    }

    /// Records a payment for `paid_for` that needs no card (a ReCharge processor token, a
    /// Payfect crypto payment); the payment id.
    pub fn record_payment(&mut self, amount: u64, paid_for: &str, method: &str) -> String {
        let id = new_id("py_");
        self.add_payment(Payment {
            id: id.clone(),
            amount,
            paid_for: paid_for.to_owned(),
            payment_method_id: method.to_owned(),
            created_at: now(),
        });
        id
    }

    /// The fault for `route` at this point (`after` processing or before), used up once.
    pub fn take_fault(&mut self, route: &str, after: bool) -> Option<FaultKind> {
        let fault = self.faults.get_mut(route).filter(|f| f.after == after && f.times > 0)?;
        fault.times -= 1;
        Some(fault.kind.clone())
    }
}

/// The platform account every test sub account belongs to.
pub const PLATFORM_ACCOUNT: &str = "acc_sandboxplatform0000000";

/// A JustiFi-style id: `prefix` and 22 random letters and digits.
pub fn new_id(prefix: &str) -> String {
    let mut id = String::from(prefix);
    id.extend(std::iter::repeat_with(fastrand::alphanumeric).take(22));
    id
}

/// A random UUID v4 in its usual text form.
pub fn new_uuid() -> String {
    let mut b: [u8; 16] = std::array::from_fn(|_| fastrand::u8(..));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// `n` random lowercase hex digits.
pub fn random_hex(n: usize) -> String {
    std::iter::repeat_with(|| format!("{:x}", fastrand::u8(..16))).take(n).collect()
}

/// Now, RFC 3339 UTC, whole seconds.
pub fn now() -> String {
    let t = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| OffsetDateTime::now_utc());
    t.format(&Rfc3339).unwrap_or_default()
}

/// A JSON answer.
pub fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// A refused request, answered in JustiFi's error form.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub body: Value,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        reply(self.status, self.body)
    }
}

/// JustiFi's error body: `{"error": {"code", "message"}}`.
pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Refusal {
    Refusal { status, body: json!({"error": {"code": code, "message": message.into()}}) }
}

/// The single-object envelope: `{"id", "type", "data", "page_info": null}`.
pub fn envelope(kind: &str, data: Value) -> Value {
    json!({"id": data["id"], "type": kind, "data": data, "page_info": null})
}

/// Every answer carries a `request-id` header, as JustiFi's do.
pub async fn with_request_id(mut response: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&new_id("req_")) {
        response.headers_mut().insert("request-id", v);
    }
    response
}
