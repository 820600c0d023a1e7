//! The sandbox's state: what JustiFi would hold for its test accounts, plus counters for
//! tests. One mutex guards it; no handler awaits while holding it.

use crate::bounded::Bounded;
use crate::idempotency::Idempotency;
use crate::SandboxConfig;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub struct App {
    pub config: SandboxConfig,
    /// The port the sandbox listens on: its admin routes answer only requests naming it.
    pub port: u16,
    /// TCP connections accepted, counted by the listener.
    pub connections: std::sync::atomic::AtomicU64,
    /// Full TLS handshakes (with a HelloRetryRequest or not), when serving HTTPS.
    pub tls_handshakes: std::sync::atomic::AtomicU64,
    /// TLS handshakes that resumed an earlier session.
    pub tls_resumptions: std::sync::atomic::AtomicU64,
    inner: Mutex<Inner>,
}

impl App {
    pub fn new(config: SandboxConfig, port: u16) -> App {
        let inner = Inner::new(config.max_objects);
        App {
            config,
            port,
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
    /// The `Checkout` schema of the spec. `payment_method_group_id` is there only when given
    /// ("id of payment method group used for checkout, if provided": the spec types it a string,
    /// and JustiFi's web component's `ICheckout` a non-null `string`).
    pub fn to_json(&self) -> Value {
        let mut checkout = json!({
            "id": self.id, "account_id": self.account_id, "platform_account_id": PLATFORM_ACCOUNT,
            "payment_amount": self.amount, "payment_currency": "USD",
            // Spec `Checkout.payment_description`: the create's `payment.description`, "otherwise
            // \"Checkout [checkout id]\"".
            "payment_description": self.payment["description"].as_str().map_or_else(|| format!("Checkout {}", self.id), str::to_owned),
            "payment_methods": [], "payment_method_group_id": self.payment_method_group_id,
            "status": self.status, "mode": "test", "successful_payment_id": self.successful_payment_id,
            "statement_descriptor": self.statement_descriptor, "application_fees": null,
            "payment_settings": {"ach_payments": true, "bnpl_payments": false,
                "credit_card_payments": true, "insurance_payments": false},
            "payment": self.payment, "created_at": self.created_at, "updated_at": self.updated_at,
            "completions": self.completions,
        });
        if self.payment_method_group_id.is_null() {
            checkout.as_object_mut().expect("an object").remove("payment_method_group_id");
        }
        checkout
    }
}

/// A tokenized card or bank account (`pm_...`).
pub struct PaymentMethod {
    /// Its sub account; empty for the sandbox's test tokens, which every account accepts.
    pub account_id: String,
    /// What a payment with it does: `None` succeeds, else the decline.
    pub decline: Option<Decline>,
    /// A bank account rather than a card: its payments cannot be voided (spec `VoidPayment`:
    /// "Only payments created with a card payment_method are eligible to be voided").
    pub bank: bool,
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
    /// `cho_...` or `pi_...` (JustiFi), a ReCharge checkout token or a Payfect checkout id.
    pub paid_for: String,
    pub payment_method_id: String,
    pub created_at: String,
    pub updated_at: String,
    /// When it was made, on the sandbox's clock: the void window counts from it.
    pub made: Instant,
    /// Paid with a bank account: never voidable.
    pub bank: bool,
    /// The sum of its refunds, in cents (spec `CardPayment.amount_refunded`).
    pub amount_refunded: u64,
    /// Its refunds (`re_...`), oldest first.
    pub refund_ids: Vec<String>,
    /// Voided (`POST /v1/payments/{id}/void`).
    pub canceled: bool,
    /// Until when a refund of it is in flight (`SandboxConfig::refund_delay`); a time rather
    /// than a flag, so that a request dropped mid-flight leaves nothing stuck.
    pub refund_busy_until: Option<Instant>,
}

impl Payment {
    /// The spec's `CardPayment` (`components.schemas.CardPayment`), for `account` and with
    /// `refunds` (the `Refund`s of this payment). `status` is a value of its enum: `canceled`
    /// once voided (the `VoidPayment` example `Card_payment_voided`), `partially_refunded` or
    /// `fully_refunded` once refunded, else `succeeded`. `amount_refundable` is "amount of this
    /// payment currently able to be refunded": 0 once voided, although the spec's voided
    /// example still shows the whole amount (an example left unedited, as its `refunded: false`
    /// beside `status: canceled` shows nothing either way). `refunds` is not a property of the
    /// schema but is in every payment example of the spec (`refunds: []`, never with an
    /// element): the sandbox lists `Refund` objects in it.
    pub fn to_json(&self, account: &str, refunds: Vec<Value>) -> Value {
        let status = if self.canceled {
            "canceled"
        } else if self.amount_refunded >= self.amount {
            "fully_refunded"
        } else if self.amount_refunded > 0 {
            "partially_refunded"
        } else {
            "succeeded"
        };
        let refundable = if self.canceled { 0 } else { self.amount - self.amount_refunded.min(self.amount) };
        let mut payment = json!({"id": self.id, "account_id": account, "amount": self.amount, "currency": "usd",
            "status": status, "captured": true, "capture_strategy": "automatic", "is_test": true,
            "payment_method": {"id": self.payment_method_id},
            "description": format!("Payment for {}", self.paid_for), "amount_refunded": self.amount_refunded,
            "amount_refundable": refundable, "refunded": self.amount_refunded > 0, "refunds": refunds,
            "created_at": self.created_at, "updated_at": self.updated_at});
        let link = if self.paid_for.starts_with("pi_") { "payment_intent_id" } else { "checkout_id" };
        payment[link] = self.paid_for.clone().into();
        payment
    }
}

/// A JustiFi refund (`re_...`), as the spec's `Refund` describes it.
pub struct Refund {
    pub id: String,
    pub payment_id: String,
    pub account_id: String,
    /// In cents.
    pub amount: u64,
    pub description: Option<String>,
    /// `duplicate`, `fraudulent` or `customer_request` (spec `Refund.reason`).
    pub reason: Option<String>,
    pub metadata: Value,
    /// `pending`, `succeeded` or `failed` (spec `Refund.status`); the sandbox's refunds succeed.
    pub status: &'static str,
    pub created_at: String,
    pub updated_at: String,
    /// The `chr_...` of the checkout refund that made it (`POST /v1/checkouts/{id}/refunds`).
    pub checkout_refund_id: Option<String>,
    /// The `Idempotency-Key` of the request that made it, for the ledger.
    pub idempotency_key: String,
}

impl Refund {
    /// The spec's `Refund`, which has no nullable property: a description or reason not given
    /// is absent.
    pub fn to_json(&self) -> Value {
        let mut refund = json!({"id": self.id, "payment_id": self.payment_id, "amount": self.amount,
            "description": self.description, "reason": self.reason, "status": self.status,
            "metadata": self.metadata, "created_at": self.created_at, "updated_at": self.updated_at});
        refund.as_object_mut().expect("an object").retain(|_, v| !v.is_null());
        refund
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
    /// The `CardPaymentIntent` schema of the spec, which has no nullable property: one not set
    /// is absent (`payment_method` "will include the payment method once one is attached",
    /// `successful_payment_id` is there "if this payment intent was paid for successfully").
    pub fn to_json(&self) -> Value {
        let mut intent = json!({"id": self.id, "account_id": self.account_id, "amount": self.amount,
            "currency": self.currency, "description": self.description, "metadata": self.metadata,
            "status": self.status, "successful_payment_id": self.successful_payment_id,
            "created_at": self.created_at, "updated_at": self.updated_at});
        intent.as_object_mut().expect("an object").retain(|_, v| !v.is_null());
        intent
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

/// The charge a ReCharge checkout's payment made (`checkout_charge.charge_id`), readable with
/// `GET /charges/{id}` and refunded with `POST /charges/{id}/refund` (see `recharge.rs`).
pub struct RechargeCharge {
    pub id: u64,
    /// The checkout's `total_price`, `subtotal_price`, `total_tax` and `currency`.
    pub total_price: rust_decimal::Decimal,
    pub subtotal_price: Value,
    pub total_tax: Value,
    pub currency: Value,
    pub line_items: Value,
    pub payment_processor: Value,
    pub transaction_id: String,
    /// Each refund's amount, in major units, oldest first.
    pub refunds: Vec<rust_decimal::Decimal>,
    pub processed_at: String,
    pub updated_at: String,
    /// Until when a refund of it is in flight (`SandboxConfig::refund_delay`).
    pub refund_busy_until: Option<Instant>,
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

/// Everything the sandbox holds, bounded: each kind of object (checkouts, payment intents,
/// checkout sessions, payment methods, payments, refunds, tokens, idempotency keys, ReCharge and
/// Payfect checkouts, ReCharge charges, recorded exchanges, webhook deliveries, per-path request
/// counts) keeps at most
/// `max_objects` entries, dropping the oldest first.
/// Tokens and checkout sessions also go once past their documented lifetime (see
/// [`Inner::expire`]). The totals (`token_grants`, `checkouts_created`, `payments_made`,
/// `refunds_made`, `voids_made`, `requests_total`) count everything since the start.
pub struct Inner {
    /// How far the sandbox's clock is ahead of the machine's (`POST /__sandbox/clock`).
    pub clock_offset: std::time::Duration,
    /// The exchanges recorded when `record_exchanges` is on (see `exchanges.rs`), the newest last.
    pub exchanges: VecDeque<Value>,
    /// API access tokens, and web component tokens apart: each list has one lifetime, so its
    /// oldest entry is the first to expire.
    pub tokens: Bounded<String, Grant>,
    pub web_component_tokens: Bounded<String, Grant>,
    pub token_grants: u64,
    pub web_component_token_grants: u64,
    /// Checkouts in creation order (lists page through this).
    pub checkouts: Bounded<String, Checkout>,
    pub checkouts_created: u64,
    /// The sandbox's test tokens (`pm_test_visa`...), never dropped.
    pub test_payment_methods: HashMap<String, PaymentMethod>,
    pub payment_methods: Bounded<String, PaymentMethod>,
    pub payments: Bounded<String, Payment>,
    pub payments_made: u64,
    /// The ids of the payments made for each checkout, payment intent or provider checkout.
    pub payments_by_target: Bounded<String, Vec<String>>,
    pub payment_intents: Bounded<String, PaymentIntent>,
    pub checkout_sessions: Bounded<String, CheckoutSession>,
    pub idempotency: Idempotency,
    pub recharge_checkouts: Bounded<String, RechargeCheckout>,
    /// ReCharge charges by id (decimal text).
    pub recharge_charges: Bounded<String, RechargeCharge>,
    /// JustiFi refunds by id, in creation order (lists page through this).
    pub refunds: Bounded<String, Refund>,
    /// Refunds recorded (JustiFi and ReCharge) and JustiFi payments voided, since the start.
    pub refunds_made: u64,
    pub voids_made: u64,
    pub recharge_buckets: HashMap<String, Bucket>,
    pub payfect_checkouts: Bounded<String, PayfectCheckout>,
    /// Faults still to act out; one is dropped once used up.
    pub faults: HashMap<String, Fault>,
    /// Requests received per `"METHOD /actual/path"`, faulted ones included.
    pub requests: Bounded<String, u64>,
    pub requests_total: u64,
    pub webhooks: HashMap<&'static str, WebhookTarget>,
    pub outbox: Vec<Outgoing>,
    /// The webhook deliveries, the newest last.
    pub deliveries: VecDeque<Delivery>,
    max_objects: usize,
}

impl Inner {
    pub fn new(max_objects: usize) -> Inner {
        Inner {
            clock_offset: std::time::Duration::ZERO,
            exchanges: VecDeque::new(),
            tokens: Bounded::new(max_objects),
            web_component_tokens: Bounded::new(max_objects),
            token_grants: 0,
            web_component_token_grants: 0,
            checkouts: Bounded::new(max_objects),
            checkouts_created: 0,
            test_payment_methods: crate::justifi::test_payment_methods().collect(),
            payment_methods: Bounded::new(max_objects),
            payments: Bounded::new(max_objects),
            payments_made: 0,
            payments_by_target: Bounded::new(max_objects),
            payment_intents: Bounded::new(max_objects),
            checkout_sessions: Bounded::new(max_objects),
            idempotency: Idempotency::new(max_objects),
            recharge_checkouts: Bounded::new(max_objects),
            recharge_charges: Bounded::new(max_objects),
            refunds: Bounded::new(max_objects),
            refunds_made: 0,
            voids_made: 0,
            recharge_buckets: HashMap::new(),
            payfect_checkouts: Bounded::new(max_objects),
            faults: HashMap::new(),
            requests: Bounded::new(max_objects),
            requests_total: 0,
            webhooks: HashMap::new(),
            outbox: Vec::new(),
            deliveries: VecDeque::new(),
            max_objects,
        }
    }

    /// The sandbox's now: the machine's monotonic clock, moved on by `POST /__sandbox/clock`.
    pub fn now(&self) -> Instant {
        Instant::now() + self.clock_offset
    }

    /// Drops what has outlived its provider's documented lifetime and can no longer be used:
    /// access tokens (JustiFi: "valid for 24 hours", docs/description.md; web component tokens
    /// "good for 60 minutes", docs/webComponentTokens.mdx), then answered 401 like unknown ones,
    /// and checkout sessions ("You have 24 hours to complete the checkout",
    /// legacy/hosted_checkout.md), whose page then says "Checkout Session Expired" as for an
    /// unknown one. Checkouts are kept past their week: JustiFi still answers them, `expired`
    /// (docs/lifecycle.mdx); they go only by the cap. Called as tokens and sessions are made;
    /// each goes from the oldest on, so this costs nothing while the oldest is still valid.
    pub fn expire(&mut self) {
        let now = self.now();
        self.tokens.drop_oldest_while(|g| now >= g.expires_at);
        self.web_component_tokens.drop_oldest_while(|g| now >= g.expires_at);
        self.checkout_sessions.drop_oldest_while(|s| now >= s.expires_at);
    }

    /// Records a recorded exchange, the oldest beyond the cap dropped.
    pub fn record_exchange(&mut self, exchange: Value) {
        push_bounded(&mut self.exchanges, exchange, self.max_objects);
    }

    /// Records a webhook delivery, the oldest beyond the cap dropped.
    pub fn record_delivery(&mut self, delivery: Delivery) {
        push_bounded(&mut self.deliveries, delivery, self.max_objects);
    }

    /// Counts a request to `path` (`"METHOD /actual/path"`).
    pub fn count_request(&mut self, path: String) {
        self.requests_total += 1;
        *self.requests.get_or_insert_with(path, || 0) += 1;
    }

    /// The grant of an access token or web component token.
    pub fn grant(&self, token: &str) -> Option<&Grant> {
        self.tokens.get(token).or_else(|| self.web_component_tokens.get(token))
    }

    /// A payment method: a tokenized one, or one of the sandbox's test tokens.
    pub fn payment_method(&self, id: &str) -> Option<&PaymentMethod> {
        self.test_payment_methods.get(id).or_else(|| self.payment_methods.get(id))
    }

    /// The sizes of what the sandbox holds, for `GET /__sandbox/counters`.
    pub fn stored(&self) -> Value {
        json!({
            "max_objects": self.max_objects, "tokens": self.tokens.len(),
            "web_component_tokens": self.web_component_tokens.len(), "checkouts": self.checkouts.len(),
            "payment_methods": self.payment_methods.len(), "payments": self.payments.len(),
            "payment_intents": self.payment_intents.len(), "checkout_sessions": self.checkout_sessions.len(),
            "idempotency_keys": self.idempotency.len(), "recharge_checkouts": self.recharge_checkouts.len(),
            "payfect_checkouts": self.payfect_checkouts.len(), "recharge_charges": self.recharge_charges.len(),
            "refunds": self.refunds.len(), "request_paths": self.requests.len(),
            "exchanges": self.exchanges.len(), "webhook_deliveries": self.deliveries.len(),
        })
    }

    /// Queues an event; the handler publishes it after releasing the lock.
    pub fn emit(&mut self, provider: &'static str, kind: &str, body: Value, url: Option<String>) {
        self.outbox.push(Outgoing { provider, kind: kind.to_owned(), body, url });
    }

    /// The checkout, turned `expired` first if its week has passed unpaid.
    pub fn checkout_mut(&mut self, id: &str) -> Option<&mut Checkout> {
        let now = self.now();
        let c = self.checkouts.get_mut(id)?;
        if now >= c.expires && matches!(c.status, "created" | "attempted") {
            c.status = "expired";
        }
        Some(c)
    }

    /// Charges `amount` to payment method `pm` for `paid_for`: the payment, or the decline.
    pub fn charge(&mut self, pm: &str, amount: u64, paid_for: &str) -> Result<String, Decline> {
        let method = self.payment_method(pm).expect("payment method checked by caller");
        if let Some(d) = &method.decline {
            return Err(d.clone());
        }
        let bank = method.bank;
        Ok(self.add_payment(amount, paid_for, pm, bank))
    }

    /// A JustiFi payment (one made for a checkout or a payment intent) and its sub account.
    pub fn justifi_payment(&self, id: &str) -> Option<(&Payment, &str)> {
        let payment = self.payments.get(id)?;
        let account = match &payment.paid_for {
            p if p.starts_with("cho_") => self.checkouts.get(p).map(|c| c.account_id.as_str()),
            p if p.starts_with("pi_") => self.payment_intents.get(p).map(|i| i.account_id.as_str()),
            _ => None,
        }?;
        Some((payment, account))
    }

    /// The `CardPayment` of JustiFi payment `id`, its refunds included.
    pub fn payment_json(&self, id: &str) -> Option<Value> {
        let (payment, account) = self.justifi_payment(id)?;
        let refunds = payment.refund_ids.iter().filter_map(|r| self.refunds.get(r)).map(Refund::to_json).collect();
        Some(payment.to_json(account, refunds))
    }

    /// Adds a checkout, indexed by id.
    pub fn add_checkout(&mut self, checkout: Checkout) {
        self.checkouts_created += 1;
        self.checkouts.insert(checkout.id.clone(), checkout);
    }

    fn add_payment(&mut self, amount: u64, paid_for: &str, method: &str, bank: bool) -> String {
        let created_at = now();
        let payment = Payment {
            id: new_id("py_"),
            amount,
            paid_for: paid_for.to_owned(),
            payment_method_id: method.to_owned(),
            updated_at: created_at.clone(),
            created_at,
            made: self.now(),
            bank,
            amount_refunded: 0,
            refund_ids: Vec::new(),
            canceled: false,
            refund_busy_until: None,
        };
        let id = payment.id.clone();
        self.payments_made += 1;
        self.payments_by_target.get_or_insert_with(payment.paid_for.clone(), Vec::new).push(payment.id.clone());
        self.payments.insert(payment.id.clone(), payment);
        id
    }

    /// The payments made for a checkout or payment intent (those still held).
    pub fn payments_for(&self, paid_for: &str) -> impl Iterator<Item = &Payment> {
        self.payments_by_target.get(paid_for).into_iter().flatten().filter_map(|id| self.payments.get(id))
    }

    /// Records a payment for `paid_for` that needs no card (a ReCharge processor token, a
    /// Payfect crypto payment); the payment id.
    pub fn record_payment(&mut self, amount: u64, paid_for: &str, method: &str) -> String {
        self.add_payment(amount, paid_for, method, false)
    }

    /// The fault for `route` at this point (`after` processing or before), used up once.
    pub fn take_fault(&mut self, route: &str, after: bool) -> Option<FaultKind> {
        let fault = self.faults.get_mut(route).filter(|f| f.after == after && f.times > 0)?;
        fault.times -= 1;
        let kind = fault.kind.clone();
        if fault.times == 0 {
            self.faults.remove(route);
        }
        Some(kind)
    }
}

fn push_bounded<T>(list: &mut VecDeque<T>, item: T, cap: usize) {
    list.push_back(item);
    while list.len() > cap.max(1) {
        list.pop_front();
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

/// Every answer carries a `request-id` header. No source shows JustiFi's header name (its events
/// carry a `request_id`, docs *Webhooks*): the library reports the header when present and
/// depends on nothing else about it.
pub async fn with_request_id(mut response: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&new_id("req_")) {
        response.headers_mut().insert("request-id", v);
    }
    response
}
