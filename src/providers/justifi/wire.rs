//! JustiFi's wire types and their conversion to the unified results.
//!
//! Sources: JustiFi's OpenAPI spec (`tests/fixtures/justifi-spec/justifi-openapi.yaml`) (components `Envelope`, `Checkout`,
//! `CheckoutCompletion`, `CardPaymentIntent`; path `/oauth/token`), the legacy payment intent
//! and checkout session specs in the legacy specs (`tests/fixtures/justifi-spec/`), and docs/providers.md.

use crate::providers::decode::MinorUnits;
use crate::providers::exchange::Fault;
use crate::response::{
    Checkout, CheckoutPaymentStatus, CheckoutStatus, Completion, PaymentError, PaymentStatus, ProviderData,
    RefundStatus, RefundSummary, Refunds,
};
use crate::timestamp;
use crate::webhook::{signature, EventType, RefundEvent, WebhookEvent};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;

pub const PROVIDER: &str = "justifi";

/// A checkout expires one week after it was created (`Checkout.status` in the spec).
const CHECKOUT_LIFETIME_S: i64 = 7 * 86_400;

/// `POST /oauth/token` → 200. `expires_in` is not documented; used when present, else 24 h.
#[derive(Deserialize)]
pub struct AccessToken {
    pub access_token: String,
    pub expires_in: Option<u64>,
}

/// `POST /v1/web_component_tokens` → `200 {"access_token"}` (the spec's answer, and
/// justifi-node's `AccessToken`); an `expires_in` is used if one is ever sent, else the docs'
/// 60 minutes.
#[derive(Deserialize)]
pub struct WebComponentToken {
    pub access_token: String,
    pub expires_in: Option<u64>,
}

/// `{"error": {"code", "message", "decline_code"}}`, or `{"error": "text"}`.
#[derive(Debug, Default, PartialEq)]
pub struct ErrorDetail {
    pub code: Option<String>,
    pub message: Option<String>,
    pub decline_code: Option<String>,
}

impl ErrorDetail {
    /// JustiFi's error body (the spec's error responses; JustiFi docs *API description (error codes)*'s codes), or
    /// nothing read when the body is not one.
    pub fn parse(body: &[u8]) -> ErrorDetail {
        #[derive(Deserialize)]
        struct ErrorBody {
            error: ErrorField,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum ErrorField {
            Text(String),
            Object { code: Option<String>, message: Option<String>, decline_code: Option<String> },
        }
        match serde_json::from_slice::<ErrorBody>(body).map(|b| b.error) {
            Ok(ErrorField::Text(message)) => ErrorDetail { message: Some(message), ..Default::default() },
            Ok(ErrorField::Object { code, message, decline_code }) => ErrorDetail { code, message, decline_code },
            Err(_) => ErrorDetail::default(),
        }
    }
}

/// `components.schemas.Checkout`, the fields read.
#[derive(Deserialize)]
pub struct CheckoutObject {
    pub id: String,
    /// `created | attempted | completed | expired` (`Checkout.status`).
    pub status: String,
    pub payment_amount: MinorUnits,
    pub payment_currency: Option<String>,
    /// The create's `description`: not in the spec's `Checkout`, but read by JustiFi's web
    /// component (`api/Checkout.ts`, `Checkout.description`).
    pub description: Option<String>,
    /// The create's `payment.description`, else "Checkout [checkout id]" (spec).
    pub payment_description: Option<String>,
    pub created_at: Option<String>,
    pub successful_payment_id: Option<String>,
    /// `{description, metadata}` as given on create; the unified metadata travels here.
    pub payment: Option<PaymentPart>,
    /// The completion attempts (`CheckoutCompletionAttempt`), in no published order; null or
    /// absent when there are none (JustiFi's web component, `api/Checkout.ts`, reads it as
    /// optional).
    pub completions: Option<Vec<CompletionAttempt>>,
}

/// `Checkout.payment`, the part read.
#[derive(Deserialize)]
pub struct PaymentPart {
    pub metadata: Option<Map<String, Value>>,
}

/// `components.schemas.CheckoutCompletionAttempt`, the fields read.
#[derive(Deserialize)]
pub struct CompletionAttempt {
    pub id: Option<String>,
    /// `succeeded | failed | pending | canceled | skipped`.
    pub payment_status: Option<String>,
    /// `succeeded | failed | processing`: read when `payment_status` is absent.
    pub status: Option<String>,
    pub updated_at: Option<String>,
}

/// `Checkout.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckoutState {
    Created,
    Attempted,
    Completed,
    Expired,
}

impl TryFrom<&str> for CheckoutState {
    type Error = Fault;
    fn try_from(status: &str) -> Result<CheckoutState, Fault> {
        match status {
            "created" => Ok(CheckoutState::Created),
            "attempted" => Ok(CheckoutState::Attempted),
            "completed" => Ok(CheckoutState::Completed),
            "expired" => Ok(CheckoutState::Expired),
            other => Err(Fault::new("checkout", format!("unknown status {other:?}"))),
        }
    }
}

impl CheckoutObject {
    /// The completion attempts, latest first: by `updated_at`, as JustiFi's web component
    /// takes the latest (`api/Checkout.ts`, `payment_mode`: sorted by `updated_at`,
    /// descending), since the spec gives `completions` no order; an attempt without a readable
    /// time counts as older than any with one, and on a tie the later in the list is the later.
    fn latest_first(&self) -> Vec<&CompletionAttempt> {
        let mut attempts: Vec<(usize, &CompletionAttempt)> =
            self.completions.as_deref().unwrap_or_default().iter().enumerate().collect();
        let time =
            |a: &CompletionAttempt| a.updated_at.as_deref().and_then(|t| time::OffsetDateTime::parse(t, &Rfc3339).ok());
        attempts.sort_by(|(i, a), (j, b)| time(b).cmp(&time(a)).then(j.cmp(i)));
        attempts.into_iter().map(|(_, a)| a).collect()
    }

    /// The latest succeeded completion's id and the checkout's `successful_payment_id`, when paid.
    pub fn paid_by(&self) -> (Option<String>, Option<String>) {
        let attempt = self.latest_first().into_iter().find(|c| c.payment_status.as_deref() == Some("succeeded"));
        (attempt.and_then(|c| c.id.clone()), self.successful_payment_id.clone())
    }
}

/// Key under which the unified `client_reference_id` travels in the checkout's
/// `payment.metadata`, as JustiFi checkouts have no such field.
pub const CLIENT_REFERENCE_KEY: &str = "client_reference_id";

/// A JustiFi `Checkout` → the unified checkout.
///
/// `status` `created`/`attempted` → `open`, `completed` → `complete`, `expired`. The payment
/// (docs/contract.md, `checkout_get`): `paid` once `successful_payment_id` is set or the status
/// is `completed`; else, from the latest completion attempt ([`CheckoutObject::latest_first`]),
/// its `payment_status` (or, without one, its `status`) `failed`/`canceled` → `failed`,
/// `pending`/`processing`/`skipped` and a `succeeded` the checkout does not yet show →
/// `pending`; `attempted` with no attempt listed → `failed`; else `unpaid`. The spec lists
/// `skipped` without saying what it means: read as `pending`, never as paid or failed.
/// `expires_at` is `created_at` plus one week.
impl TryFrom<(CheckoutObject, ProviderData)> for Checkout {
    type Error = Fault;
    fn try_from((c, provider_data): (CheckoutObject, ProviderData)) -> Result<Checkout, Fault> {
        let state = CheckoutState::try_from(c.status.as_str())?;
        let status = match state {
            CheckoutState::Created | CheckoutState::Attempted => CheckoutStatus::Open,
            CheckoutState::Completed => CheckoutStatus::Complete,
            CheckoutState::Expired => CheckoutStatus::Expired,
        };
        let latest = c.latest_first().first().map(|a| a.payment_status.as_deref().or(a.status.as_deref()));
        let payment_status = if c.successful_payment_id.is_some() || state == CheckoutState::Completed {
            CheckoutPaymentStatus::Paid
        } else {
            match latest {
                Some(Some("failed" | "canceled")) => CheckoutPaymentStatus::Failed,
                Some(_) => CheckoutPaymentStatus::Pending,
                None if state == CheckoutState::Attempted => CheckoutPaymentStatus::Failed,
                None => CheckoutPaymentStatus::Unpaid,
            }
        };
        let mut metadata = c.payment.and_then(|p| p.metadata).unwrap_or_default();
        let client_reference_id = match metadata.remove(CLIENT_REFERENCE_KEY) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        Ok(Checkout {
            provider: PROVIDER,
            id: c.id,
            status,
            payment_status,
            amount: c.payment_amount.0,
            currency: currency(c.payment_currency.as_deref()),
            description: c.description.or(c.payment_description),
            redirect_url: None,
            expires_at: c.created_at.as_deref().and_then(|t| timestamp::rfc3339_plus(t, CHECKOUT_LIFETIME_S)),
            created_at: c.created_at.as_deref().and_then(timestamp::rfc3339_utc),
            client_reference_id,
            metadata,
            idempotency_key: None,
            provider_data,
        })
    }
}

/// JustiFi sends `USD`; the contract's codes are lowercase. Sub accounts without a currency
/// in the answer are USD accounts (the spec's only `payment_currency` value).
pub fn currency(v: Option<&str>) -> String {
    v.unwrap_or("usd").to_ascii_lowercase()
}

/// `components.schemas.CardPaymentIntent` (and the legacy `payment_intents.yaml`), the fields
/// read.
#[derive(Deserialize)]
pub struct PaymentIntentObject {
    pub id: String,
    pub amount: MinorUnits,
    pub currency: Option<String>,
    pub description: Option<String>,
    /// `requires_payment_method | pending | requires_capture | canceled | succeeded`.
    pub status: String,
    pub created_at: Option<String>,
    pub metadata: Option<Map<String, Value>>,
}

/// A legacy `PaymentIntent` (hosted-checkout-session flow) → the unified checkout:
/// `succeeded` → complete/paid; `canceled` → expired/unpaid; `pending`, `requires_capture`
/// → open/pending; `requires_payment_method` → open/unpaid. The spec writes the statuses in
/// lower case, justifi-node's `PaymentIntentStatus` writes `Canceled` and `Succeeded`: either
/// case is read.
impl TryFrom<(PaymentIntentObject, ProviderData)> for Checkout {
    type Error = Fault;
    fn try_from((pi, provider_data): (PaymentIntentObject, ProviderData)) -> Result<Checkout, Fault> {
        let (status, payment_status) = match pi.status.to_ascii_lowercase().as_str() {
            "succeeded" => (CheckoutStatus::Complete, CheckoutPaymentStatus::Paid),
            "canceled" => (CheckoutStatus::Expired, CheckoutPaymentStatus::Unpaid),
            "pending" | "requires_capture" => (CheckoutStatus::Open, CheckoutPaymentStatus::Pending),
            "requires_payment_method" => (CheckoutStatus::Open, CheckoutPaymentStatus::Unpaid),
            other => return Err(Fault::new("payment intent", format!("unknown status {other:?}"))),
        };
        Ok(Checkout {
            provider: PROVIDER,
            id: pi.id,
            status,
            payment_status,
            amount: pi.amount.0,
            currency: currency(pi.currency.as_deref()),
            description: pi.description,
            redirect_url: None,
            created_at: pi.created_at.as_deref().and_then(timestamp::rfc3339_utc),
            expires_at: None,
            client_reference_id: None,
            metadata: pi.metadata.unwrap_or_default(),
            idempotency_key: None,
            provider_data,
        })
    }
}

/// The legacy `POST /v1/checkout_sessions` answer's `data` (`checkout_sessions.yaml`).
#[derive(Deserialize)]
pub struct CheckoutSessionObject {
    pub checkout_session_id: String,
}

/// `components.schemas.CheckoutCompletion`, the fields read.
#[derive(Deserialize)]
pub struct CompletionObject {
    pub id: Option<String>,
    pub checkout_id: Option<String>,
    /// `succeeded | failed | pending | canceled | skipped` (docs/providers.md).
    pub payment_status: Option<String>,
    /// `succeeded | failed | processing`: read when `payment_status` is absent.
    pub status: Option<String>,
    pub payment_id: Option<String>,
    pub payment_error_code: Option<String>,
    pub payment_error_description: Option<String>,
    pub payment_response: Option<PaymentResponse>,
    pub checkout: Option<CompletedCheckout>,
    #[serde(default)]
    pub additional_transactions: Option<Vec<Value>>,
}

/// `CheckoutCompletion.payment_response`: the payment envelope, or its error.
#[derive(Deserialize)]
pub struct PaymentResponse {
    pub error: Option<DeclinePart>,
    pub data: Option<AmountPart>,
}

#[derive(Deserialize)]
pub struct DeclinePart {
    pub decline_code: Option<String>,
}

#[derive(Deserialize)]
pub struct AmountPart {
    pub amount: Option<MinorUnits>,
}

/// `CheckoutCompletion.checkout`, the part read.
#[derive(Deserialize)]
pub struct CompletedCheckout {
    pub payment_amount: Option<MinorUnits>,
    pub payment_currency: Option<String>,
}

/// A completion's `payment_status` (or, without one, its `status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CompletionPayment {
    Succeeded,
    Failed,
    Pending,
}

impl TryFrom<Option<&str>> for CompletionPayment {
    type Error = Fault;
    fn try_from(status: Option<&str>) -> Result<CompletionPayment, Fault> {
        match status {
            Some("succeeded") => Ok(CompletionPayment::Succeeded),
            Some("failed" | "canceled") => Ok(CompletionPayment::Failed),
            Some("pending" | "processing" | "skipped") => Ok(CompletionPayment::Pending),
            other => Err(Fault::new("checkout completion", format!("unknown payment_status {other:?}"))),
        }
    }
}

/// A `CheckoutCompletion` (`POST /v1/checkouts/{id}/complete` → 201) → the unified result.
/// `payment_status` `succeeded`; `failed`/`canceled` → failed; `pending`, `skipped` and the
/// completion `status` `processing` → pending (money not yet known to have moved).
pub fn completion(
    c: CompletionObject,
    provider_data: ProviderData,
    checkout_id: &str,
    idempotency_key: &str,
) -> Result<Completion, Fault> {
    let payment_status = match CompletionPayment::try_from(c.payment_status.as_deref().or(c.status.as_deref()))? {
        CompletionPayment::Succeeded => PaymentStatus::Succeeded,
        CompletionPayment::Failed => PaymentStatus::Failed,
        CompletionPayment::Pending => PaymentStatus::Pending,
    };
    let (decline_code, paid_amount) = match c.payment_response {
        Some(r) => (r.error.and_then(|e| e.decline_code), r.data.and_then(|d| d.amount)),
        None => (None, None),
    };
    let payment_error = (payment_status == PaymentStatus::Failed).then_some(PaymentError {
        code: c.payment_error_code,
        message: c.payment_error_description,
        decline_code,
    });
    let (amount, currency_code) = match c.checkout {
        Some(checkout) => (checkout.payment_amount.or(paid_amount), checkout.payment_currency),
        None => (paid_amount, None),
    };
    Ok(Completion {
        provider: PROVIDER,
        checkout_id: c.checkout_id.unwrap_or_else(|| checkout_id.to_owned()),
        id: c.id,
        payment_status,
        payment_id: c.payment_id,
        amount: amount.map(|a| a.0),
        currency: currency_code.as_deref().map(|c| currency(Some(c))),
        payment_error,
        additional_transactions: c.additional_transactions.unwrap_or_default(),
        idempotency_key: Some(idempotency_key.to_owned()),
        confirmed_by: None,
        pending_reason: None,
        provider_data,
    })
}

/// A payment refused with `402 {"error": {...}}` instead of a recorded completion: still a
/// decline, reported as `payment_status: failed`.
pub fn declined(detail: ErrorDetail, body: &[u8], checkout_id: &str, idempotency_key: &str) -> Completion {
    let error = PaymentError { code: detail.code, message: detail.message, decline_code: detail.decline_code };
    let data = serde_json::from_slice(body).unwrap_or_default();
    Completion::declined(PROVIDER, checkout_id, error, Some(idempotency_key.to_owned()), data)
}

/// The body of `POST /v1/checkouts` (the spec's request schema): `amount`, `description`,
/// `currency` when the caller gave one, `origin_url`, and `payment` with the description and
/// the unified `metadata` (with `client_reference_id`).
///
/// `currency` is not in the spec's request schema, but JustiFi documents the refusal
/// `checkout_invalid_currency` ("The currency parameter does not match the currency this
/// account is configured to process", JustiFi docs *API description (error codes)*) and
/// justifi-node 0.4.0 `CreateCheckoutPayload` has `currency?: string`: sent, a mismatch is
/// refused before any checkout exists.
#[derive(Serialize)]
pub struct CreateBody<'a> {
    pub amount: u64,
    pub description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_url: Option<&'a str>,
    pub payment: PaymentBody<'a>,
}

/// `payment` of the create request (`CheckoutPayment` in justifi-node): `description` (the
/// spec: "Override the default payment description of Checkout [checkout id]"), so the payment
/// and the checkout's `payment_description` carry the storefront's description, and the
/// metadata.
#[derive(Serialize)]
pub struct PaymentBody<'a> {
    pub description: &'a str,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub metadata: Map<String, Value>,
}

impl<'a> CreateBody<'a> {
    /// The body for a unified request's parts; the unified `client_reference_id` joins the
    /// metadata under [`CLIENT_REFERENCE_KEY`].
    pub fn new(
        amount: u64,
        description: &'a str,
        currency: Option<&'a str>,
        origin_url: Option<&'a str>,
        mut metadata: Map<String, Value>,
        client_reference_id: Option<&str>,
    ) -> CreateBody<'a> {
        if let Some(r) = client_reference_id {
            metadata.insert(CLIENT_REFERENCE_KEY.into(), r.into());
        }
        CreateBody { amount, description, currency, origin_url, payment: PaymentBody { description, metadata } }
    }
}

/// `POST /v1/checkouts/{id}/complete` (`CheckoutCompletion` in the spec: `payment_token`,
/// `payment_mode`).
#[derive(Serialize)]
pub struct CompleteBody<'a> {
    pub payment_token: &'a str,
    pub payment_mode: &'a str,
}

/// `POST /v1/web_component_tokens` (`resources`: roles such as `write:checkout:cho_...`).
#[derive(Serialize)]
pub struct WebComponentTokenBody {
    pub resources: [String; 2],
}

/// `POST /oauth/token`.
#[derive(Serialize)]
pub struct AccessTokenBody<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

/// `POST /v1/payment_intents` (`payment_intents.yaml`: `amount`, `currency`, `description`).
#[derive(Serialize)]
pub struct PaymentIntentBody<'a> {
    pub amount: u64,
    pub currency: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
}

/// `POST /v1/checkout_sessions` (`checkout_sessions.yaml`).
#[derive(Serialize)]
pub struct CheckoutSessionBody<'a> {
    pub payment_intent_id: &'a str,
    pub after_payment_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub back_url: Option<&'a str>,
}

/// `components.schemas.CardPayment` (`GET /payments/{id}`, `POST /payments/{id}/void`), the
/// fields read. `refunds` is not in the schema, but the spec's payment examples carry
/// `refunds: []`: read when present, as a list of `Refund`s.
#[derive(Deserialize)]
pub struct PaymentObject {
    pub id: String,
    pub amount: MinorUnits,
    pub amount_refunded: Option<MinorUnits>,
    pub amount_refundable: Option<MinorUnits>,
    pub currency: Option<String>,
    pub refunds: Option<Vec<RefundObject>>,
}

/// `components.schemas.Refund`, the fields read (the schema requires none of them).
#[derive(Deserialize)]
pub struct RefundObject {
    pub id: Option<String>,
    pub amount: Option<MinorUnits>,
    /// `pending | succeeded | failed`.
    pub status: Option<String>,
    /// `duplicate | fraudulent | customer_request`.
    pub reason: Option<String>,
    pub created_at: Option<String>,
}

/// `components.schemas.CheckoutRefund` (`POST /checkouts/{id}/refunds` → 200), the fields
/// read: `status` is `succeeded` or `failed` ("only succeeded or failed"), `refund_response`
/// the failure's description.
#[derive(Deserialize)]
pub struct CheckoutRefundObject {
    pub id: Option<String>,
    pub checkout_id: Option<String>,
    pub status: String,
    pub refund_response: Option<String>,
    pub refund_amount: Option<MinorUnits>,
    pub created_at: Option<String>,
}

/// A refund's `status` (`Refund.status`, `CheckoutRefund.status`).
pub fn refund_status(status: Option<&str>, what: &'static str) -> Result<RefundStatus, Fault> {
    match status {
        Some("succeeded") => Ok(RefundStatus::Succeeded),
        Some("failed") => Ok(RefundStatus::Failed),
        Some("pending") => Ok(RefundStatus::Pending),
        other => Err(Fault::new(what, format!("unknown status {other:?}"))),
    }
}

/// A payment → the refunds of `checkout_id`: paid `amount`, `amount_refunded`,
/// `amount_refundable` (when absent: paid minus refunded), the listed refunds. `refunds` is in
/// the spec's examples but not its schema, so it is read leniently: an entry without an amount
/// and a known status is left out of the list (the totals, which the schema has, still count
/// it).
pub fn refunds(checkout_id: &str, p: PaymentObject, provider_data: ProviderData) -> Result<Refunds, Fault> {
    let refunded = p.amount_refunded.map_or(0, |a| a.0);
    let refunds = p
        .refunds
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| {
            Some(RefundSummary {
                id: r.id,
                amount: r.amount?.0,
                status: refund_status(r.status.as_deref(), "payment refund").ok()?,
                reason: r.reason,
                created_at: r.created_at.as_deref().and_then(timestamp::rfc3339_utc),
            })
        })
        .collect();
    Ok(Refunds {
        provider: PROVIDER,
        checkout_id: checkout_id.to_owned(),
        payment_id: Some(p.id),
        currency: currency(p.currency.as_deref()),
        amount_paid: p.amount.0,
        amount_refunded: refunded,
        amount_refundable: p.amount_refundable.map_or(p.amount.0.saturating_sub(refunded), |a| a.0),
        refunds,
        provider_data,
    })
}

/// `POST /checkouts/{id}/refunds` (`RefundCheckout`: `amount`, `currency`, both optional; the
/// library always sends the amount, as JustiFi's default is the checkout's whole amount, wrong
/// after a partial refund).
#[derive(Serialize)]
pub struct RefundBody {
    pub amount: u64,
}

/// A JustiFi event (JustiFi docs *Events*): `id`, `event_name`, `data`; the rest is kept.
#[derive(Deserialize)]
struct EventObject {
    id: Option<String>,
    event_name: Option<String>,
    #[serde(default)]
    data: EventData,
}

/// The `data` of an event, the fields read (a refund event's `data` is a `Refund`: spec
/// `x-webhooks.refunds`).
#[derive(Deserialize, Default)]
struct EventData {
    id: Option<String>,
    checkout_id: Option<String>,
    payment_id: Option<String>,
    amount: Option<MinorUnits>,
    status: Option<String>,
    /// A `CheckoutCompletion`'s: `succeeded | failed | pending | canceled | skipped`, "depending
    /// upon payment mode, the status of the payment API call, bnpl transaction, or card reader
    /// transaction" (spec).
    payment_status: Option<String>,
}

/// A JustiFi event name → the unified type (docs/contract.md §7, "Event types"). The names
/// are those of JustiFi's docs *Events* (`events.md`) and the spec's `x-webhooks`, which also
/// say what `data` each carries:
/// - `checkout.completion.succeeded` / `checkout.completion.failed` (`x-webhooks.
///   checkout_completions`, `data` a `CheckoutCompletion` with its `checkout_id`): the payment
///   of `checkout_complete`, or of the hosted checkout page, succeeded or failed. The
///   completion's own `payment_status` is read too: a completion that succeeded with a payment
///   still `pending` (a BNPL transaction, a card reader's) or `canceled|skipped` is `other`,
///   not a payment taken;
/// - `checkout.completed` (`x-webhooks.checkouts`, `data` the `Checkout`): the checkout is paid;
/// - `payment.succeeded` / `payment.failed` (`x-webhooks.payments`, `data` a `CardPayment` or
///   `BankAccountPayment`, whose `checkout_id` names the checkout);
/// - `payment_intent.succeeded` (`x-webhooks.payment_intents`, "Payment Intents (old)", `data`
///   the `PaymentIntent`): the payment of a hosted checkout session (`session_redirect_url`);
/// - `payment.refunded` / `payment.refund.updated` (`x-webhooks.refunds`, `data` a `Refund`).
///
/// Every other name maps to `other`: `checkout.created`, `checkout.completion.processing`
/// (terminal payments only, per `x-webhooks.checkout_completions`), `payment.created`,
/// `payment.pending`, `payment.authorized`, `payment.captured`, `payment.canceled` (a void),
/// the other `payment_intent.*` events, disputes, payment methods, payouts, accounts and
/// terminals.
fn event_type(event_name: &str, data: &EventData) -> EventType {
    match event_name {
        "checkout.completion.succeeded" => match data.payment_status.as_deref() {
            None | Some("succeeded") => EventType::PaymentSucceeded,
            Some(_) => EventType::Other,
        },
        "payment.succeeded" | "payment_intent.succeeded" => EventType::PaymentSucceeded,
        "checkout.completion.failed" | "payment.failed" => EventType::PaymentFailed,
        "checkout.completed" => EventType::CheckoutCompleted,
        "payment.refunded" => EventType::RefundCreated,
        "payment.refund.updated" => EventType::RefundUpdated,
        _ => EventType::Other,
    }
}

/// A JustiFi event → the normalized event: `event_name` → `provider_type` and, mapped by
/// [`event_type`], `type`; `data.id` → `object_id`; the checkout from `data` (a `Checkout`'s
/// own id for `checkout.completed`, else `data.checkout_id`, which a `PaymentIntent` has not).
pub fn event(body: Value) -> Result<WebhookEvent, crate::error::Error> {
    let e = EventObject::deserialize(&body).map_err(|e| signature(format!("body is not a JustiFi event ({e})")))?;
    let name = e.event_name.ok_or_else(|| signature("body is not a JustiFi event: no event_name"))?;
    let kind = event_type(&name, &e.data);
    let refund = matches!(kind, EventType::RefundCreated | EventType::RefundUpdated).then(|| RefundEvent {
        id: e.data.id.clone(),
        payment_id: e.data.payment_id.clone(),
        amount: e.data.amount.map(|a| a.0),
        amount_refunded: None,
        // `Refund.status` (spec: `pending | succeeded | failed`; justifi-node's `RefundStatus`
        // writes `success`).
        status: match e.data.status.as_deref() {
            Some("succeeded" | "success") => Some("succeeded".to_owned()),
            Some(s @ ("pending" | "failed")) => Some(s.to_owned()),
            _ => None,
        },
    });
    let checkout_id = if name == "checkout.completed" { e.data.id.clone() } else { e.data.checkout_id };
    Ok(WebhookEvent {
        provider: PROVIDER,
        event_id: e.id,
        object_id: e.data.id,
        checkout_id,
        payment_status: kind.payment_status(),
        kind,
        provider_type: Some(name),
        unsigned_topic: None,
        refund,
        data: body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;
    use crate::providers::decode::{object, Envelope};
    use serde::de::DeserializeOwned;
    use serde_json::json;

    /// The real path: the answer's bytes, typed, with the raw object kept.
    fn decoded<T: DeserializeOwned>(v: Value) -> Result<(T, ProviderData), Fault> {
        object(v.to_string().as_bytes(), Envelope::DataWhenTyped, "test")
    }

    fn checkout_of(v: Value) -> Result<Checkout, Fault> {
        Checkout::try_from(decoded::<CheckoutObject>(v)?)
    }

    fn completion_of(v: Value, checkout_id: &str, key: &str) -> Result<Completion, Fault> {
        let (c, raw) = decoded::<CompletionObject>(v)?;
        completion(c, raw, checkout_id, key)
    }

    #[test]
    fn checkout_maps_statuses_and_times() {
        let c = checkout_of(json!({
            "id": "cho_1", "payment_amount": 1799, "payment_currency": "USD", "status": "created",
            "payment_description": "One Chocolate Donut", "created_at": "2024-01-01T12:00:00Z",
            "payment": {"metadata": {"order": "7", "client_reference_id": "cart_9"}}
        }))
        .unwrap();
        assert_eq!((c.status, c.payment_status), (CheckoutStatus::Open, CheckoutPaymentStatus::Unpaid));
        assert_eq!(c.currency, "usd");
        assert_eq!(c.expires_at.as_deref(), Some("2024-01-08T12:00:00Z"));
        assert_eq!(c.client_reference_id.as_deref(), Some("cart_9"));
        assert_eq!(c.metadata, json!({"order": "7"}).as_object().unwrap().clone());

        let paid = checkout_of(json!({"id": "cho_1", "payment_amount": 1799, "status": "completed",
            "successful_payment_id": "py_1"}))
        .unwrap();
        assert_eq!((paid.status, paid.payment_status), (CheckoutStatus::Complete, CheckoutPaymentStatus::Paid));
        let failed = checkout_of(json!({"id": "cho_1", "payment_amount": 1799, "status": "attempted",
            "completions": [{"payment_status": "failed"}]}))
        .unwrap();
        assert_eq!(failed.payment_status, CheckoutPaymentStatus::Failed);
        let described = checkout_of(json!({"id": "cho_1", "payment_amount": 1, "status": "created",
            "description": "order 7", "payment_description": "Checkout cho_1"}));
        assert_eq!(described.unwrap().description.as_deref(), Some("order 7"), "the web component's field first");
        assert!(checkout_of(json!({"id": "cho_1", "payment_amount": 1, "status": "weird"})).is_err());
        assert!(checkout_of(json!({"payment_amount": 1, "status": "created"})).is_err());
    }

    /// `completions` has no published order: the latest is taken by `updated_at`, as
    /// JustiFi's web component does (`api/Checkout.ts`), and may be null.
    #[test]
    fn the_latest_completion_is_the_latest_by_time_not_by_position() {
        let listed = |completions: Value| {
            checkout_of(
                json!({"id": "cho_1", "payment_amount": 1799, "status": "attempted", "completions": completions}),
            )
            .unwrap()
            .payment_status
        };
        let newer_failed = json!([
            {"id": "chc_2", "payment_status": "failed", "updated_at": "2024-01-01T12:05:00Z"},
            {"id": "chc_1", "payment_status": "pending", "updated_at": "2024-01-01T12:00:00Z"}
        ]);
        assert_eq!(listed(newer_failed), CheckoutPaymentStatus::Failed);
        let newer_pending = json!([
            {"id": "chc_1", "payment_status": "pending", "updated_at": "2024-01-01T13:00:00+01:00"},
            {"id": "chc_2", "payment_status": "failed", "updated_at": "2024-01-01T11:59:59Z"}
        ]);
        assert_eq!(listed(newer_pending), CheckoutPaymentStatus::Pending, "offsets compared as instants");
        assert_eq!(
            listed(json!([{"status": "failed"}])),
            CheckoutPaymentStatus::Failed,
            "status without payment_status"
        );
        assert_eq!(listed(json!([{"payment_status": "skipped"}])), CheckoutPaymentStatus::Pending);
        assert_eq!(listed(Value::Null), CheckoutPaymentStatus::Failed, "attempted, no attempt listed");
        let created =
            checkout_of(json!({"id": "cho_1", "payment_amount": 1, "status": "created", "completions": null}));
        assert_eq!(created.unwrap().payment_status, CheckoutPaymentStatus::Unpaid);

        let (typed, _) = decoded::<CheckoutObject>(json!({"id": "cho_1", "payment_amount": 1, "status": "completed",
            "successful_payment_id": "py_1", "completions": [
                {"id": "chc_new", "payment_status": "succeeded", "updated_at": "2024-01-02T00:00:00Z"},
                {"id": "chc_old", "payment_status": "succeeded", "updated_at": "2024-01-01T00:00:00Z"}]}))
        .unwrap();
        assert_eq!(typed.paid_by(), (Some("chc_new".into()), Some("py_1".into())));
    }

    #[test]
    fn payment_intent_statuses_in_the_specs_case_and_the_node_sdks() {
        for (status, expected) in [
            ("succeeded", (CheckoutStatus::Complete, CheckoutPaymentStatus::Paid)),
            ("Succeeded", (CheckoutStatus::Complete, CheckoutPaymentStatus::Paid)),
            ("Canceled", (CheckoutStatus::Expired, CheckoutPaymentStatus::Unpaid)),
            ("requires_capture", (CheckoutStatus::Open, CheckoutPaymentStatus::Pending)),
        ] {
            let body = json!({"id": "pi_1", "amount": 500, "currency": "usd", "status": status});
            let pi = Checkout::try_from(decoded::<PaymentIntentObject>(body).unwrap()).unwrap();
            assert_eq!((pi.status, pi.payment_status), expected, "{status}");
        }
        let refunded = decoded::<PaymentIntentObject>(json!({"id": "pi_1", "amount": 500, "status": "refunded"}));
        let e = Checkout::try_from(refunded.unwrap()).unwrap_err();
        assert!(e.problem.contains(r#"unknown status "refunded""#), "named, not defaulted: {}", e.problem);
    }

    #[test]
    fn completion_reads_success_and_decline() {
        let ok = completion_of(json!({"id": "chc_1", "checkout_id": "cho_1", "payment_status": "succeeded",
            "status": "succeeded", "payment_id": "py_1", "checkout": {"payment_amount": 1799, "payment_currency": "USD"}}),
            "cho_1", "key-1").unwrap();
        assert_eq!(ok.payment_status, PaymentStatus::Succeeded);
        assert_eq!((ok.amount, ok.currency.as_deref()), (Some(1799), Some("usd")));
        assert!(ok.payment_error.is_none());

        let declined = completion_of(
            json!({"id": "chc_2", "payment_status": "failed", "status": "failed",
            "payment_error_code": "card_declined", "payment_error_description": "Your card was declined.",
            "payment_response": {"error": {"code": "card_declined", "decline_code": "insufficient_funds"}}}),
            "cho_1",
            "key-2",
        )
        .unwrap();
        assert_eq!(declined.payment_status, PaymentStatus::Failed);
        assert_eq!(
            declined.payment_error.unwrap(),
            PaymentError {
                code: Some("card_declined".into()),
                message: Some("Your card was declined.".into()),
                decline_code: Some("insufficient_funds".into()),
            }
        );
        assert_eq!(declined.checkout_id, "cho_1");
    }

    #[test]
    fn objects_come_enveloped_or_bare() {
        #[derive(Deserialize)]
        struct Id {
            id: String,
        }
        let raw_of = |d: ProviderData| match d {
            ProviderData::Raw(raw) => raw.get().to_owned(),
            ProviderData::Parsed(v) => v.to_string(),
        };
        let enveloped = br#"{"id": "cho_1", "type": "checkout", "data": {"id": "cho_1", "other": [1, {"deep": true}]}, "page_info": null}"#;
        let (id, raw) = object::<Id>(enveloped, Envelope::DataWhenTyped, "checkout").unwrap();
        assert_eq!(id.id, "cho_1");
        assert_eq!(
            raw_of(raw),
            r#"{"id": "cho_1", "other": [1, {"deep": true}]}"#,
            "provider_data is the object verbatim"
        );
        let (id, raw) = object::<Id>(br#"{"id": "pi_1", "amount": 5}"#, Envelope::DataWhenTyped, "x").unwrap();
        assert_eq!((id.id.as_str(), raw_of(raw).as_str()), ("pi_1", r#"{"id": "pi_1", "amount": 5}"#));
        assert_eq!(
            object::<Id>(b"[1]", Envelope::DataWhenTyped, "x").err().unwrap().into_error("JustiFi").status,
            Status::Provider
        );
        assert_eq!(
            object::<Id>(b"{\"data\": 1", Envelope::DataWhenTyped, "x").err().unwrap().into_error("JustiFi").status,
            Status::Provider
        );
        let e =
            object::<CheckoutObject>(br#"{"id": "cho_1", "status": "created"}"#, Envelope::DataWhenTyped, "checkout")
                .err()
                .unwrap()
                .into_error("JustiFi");
        assert!(e.message.contains("payment_amount"), "a missing field is named: {}", e.message);
    }

    #[test]
    fn error_bodies_in_both_forms() {
        let d = ErrorDetail::parse(
            br#"{"error": {"code": "card_declined", "message": "no", "decline_code": "expired_card"}}"#,
        );
        assert_eq!(d.code.as_deref(), Some("card_declined"));
        assert_eq!(d.decline_code.as_deref(), Some("expired_card"));
        let d = ErrorDetail::parse(br#"{"error": "Not authorized"}"#);
        assert_eq!(d.message.as_deref(), Some("Not authorized"));
        assert_eq!(ErrorDetail::parse(b"<html>"), ErrorDetail::default());
    }

    #[test]
    fn create_body_merges_provider_options_last() {
        let body = crate::providers::exchange::with_options(
            &CreateBody::new(1799, "One Chocolate Donut", None, Some("http://localhost:3000"), Map::new(), Some("c1")),
            json!({"payment_method_group_id": "pmg_1", "description": "override"}).as_object().cloned(),
        );
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            json!({"amount": 1799, "description": "override", "origin_url": "http://localhost:3000",
            "payment": {"description": "One Chocolate Donut", "metadata": {"client_reference_id": "c1"}},
            "payment_method_group_id": "pmg_1"})
        );
    }
}
