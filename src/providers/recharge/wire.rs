//! ReCharge's wire types and their conversion to the unified results.
//!
//! Sources (docs/providers.md §ReCharge): seed 002 (`POST /checkouts` with `line_items` at the top
//! level of the body, the charge body), the error samples in
//! ReCharge's error samples (`tests/fixtures/recharge-errors/`), and the public SDKs:
//! - ChemicalLuck/recharge-api-python `recharge/api/v1/checkouts.py` (2021-01 `CheckoutLineItem`:
//!   `product_id`, `variant_id`, `title`, `price`, `quantity`, `order_interval_unit`,
//!   `order_interval_frequency`, `charge_interval_frequency`) and `recharge/api/v2/checkouts.py`
//!   (2021-11 `CheckoutLineItem`: `external_product_id`/`external_variant_id` as
//!   `{"ecommerce": id}`, `title`, `unit_price`, `quantity`, `purchase_item_type`
//!   `subscription|onetime`, `subscription_preferences`); both `create` calls post the body
//!   itself, unwrapped, as seed 002 does.
//! - ChemicalLuck `recharge/model/v2/checkout.py` `CheckoutCharge` and RechargeSharp
//!   (mattgenious) `Entities/Checkouts/CheckoutCharge.cs`: the charge answer has `charge_id`,
//!   `payment_processor`, `payment_token`, `payment_type`, `status`, ... and no amount or
//!   currency, which come from the checkout.
//!
//! The material disagrees on one point: a later RechargeSharp wraps the create body in
//! `{"checkout": ...}`; seed 002, both ChemicalLuck versions and RechargeSharp's
//! `CreateCheckoutRequest` send it unwrapped, which this module follows.

use crate::error::Error;
use crate::money;
use crate::providers::decode::{field_messages, NumberOrText};
use crate::providers::exchange::{with_options, Fault};
use crate::request::{CreateCheckout, LineItem};
use crate::response::{
    Checkout, CheckoutPaymentStatus, CheckoutStatus, Completion, PaymentError, PaymentStatus, ProviderData, Refunds,
};
use crate::timestamp;
use crate::webhook::{signature, EventType, RefundEvent, WebhookEvent};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const PROVIDER: &str = "recharge";

/// The API versions of `X-Recharge-Version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiVersion {
    V2021_01,
    V2021_11,
}

impl ApiVersion {
    pub fn header(self) -> &'static str {
        match self {
            ApiVersion::V2021_01 => "2021-01",
            ApiVersion::V2021_11 => "2021-11",
        }
    }
}

/// ReCharge's error bodies: `{"errors": "Not Found"}`, `{"errors": {"field": ["msg"]}}`,
/// `{"errors": {"field": "msg"}}`, and `{"error": "...", "message": "..."}` → one message,
/// `field: msg; field: msg`.
#[derive(Debug, Default, PartialEq)]
pub struct ErrorDetail {
    pub message: Option<String>,
}

impl ErrorDetail {
    pub fn parse(body: &[u8]) -> ErrorDetail {
        let v: Value = serde_json::from_slice(body).unwrap_or_default();
        let message = match &v["errors"] {
            errors @ (Value::String(_) | Value::Object(_)) => field_messages(errors),
            _ => [&v["message"], &v["error"]].into_iter().find_map(|m| m.as_str().map(str::to_owned)),
        };
        ErrorDetail { message }
    }

    /// What a refused charge's body says, by ReCharge's published messages wherever they stand
    /// in the body: a string `errors`, a field's message or list of messages, a top-level
    /// `message`/`error`, or a body that is the bare message (RechargeSharp
    /// `Utilities/ExceptionUtility.cs` compares the whole body text with
    /// `Entities/Checkouts/ProcessCheckoutErrorMessages.cs`, without case). "Already
    /// processed" and "in progress" are looked for first, as they are no decline.
    pub fn refusal(body: &[u8]) -> Option<ChargeRefusal> {
        let texts = texts_of(body);
        let has = |needle: &str| texts.iter().any(|t| t.to_ascii_lowercase().contains(needle));
        if ALREADY_PROCESSED.iter().any(|m| has(m)) {
            return Some(ChargeRefusal::AlreadyProcessed);
        }
        if IN_PROGRESS.iter().any(|m| has(m)) {
            return Some(ChargeRefusal::InProgress);
        }
        let message = texts.into_iter().find(|t| {
            let t = t.to_ascii_lowercase();
            DECLINES.iter().any(|m| t.starts_with(m))
        })?;
        let lower = message.to_ascii_lowercase();
        let decline_code = lower
            .split_once("decline_code = ")
            .map(|(_, code)| code.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>());
        let code = if lower.contains(AUTHENTICATION_REQUIRED) {
            Some("authentication_required")
        } else if lower.starts_with(PROCESSING_ERROR) {
            Some("processing_error")
        } else {
            None
        };
        Some(ChargeRefusal::Declined(PaymentError {
            code: code.map(str::to_owned),
            message: Some(message),
            decline_code: decline_code.filter(|c| !c.is_empty()),
        }))
    }
}

/// What a charge's 4xx says beyond its HTTP status ([`ErrorDetail::refusal`]).
#[derive(Debug, PartialEq)]
pub enum ChargeRefusal {
    /// The checkout was charged before, or the token was used: a conflict, never a decline.
    AlreadyProcessed,
    /// Another charge of this checkout or token is under way: its outcome is unknown.
    InProgress,
    /// The card was refused (or needs 3-D Secure, `code: authentication_required`).
    Declined(PaymentError),
}

/// RechargeSharp `ProcessCheckoutErrorMessages`: `CheckoutAlreadyProcessed`,
/// `CannotUseMoreThanOnce` (both `CheckoutAlreadyProcessedException`), lower case.
const ALREADY_PROCESSED: [&str; 2] =
    ["checkout has already been processed", "you cannot use a stripe token more than once"];
/// `CallToRouteAlreadyInProgress` and `AlreadyProcessing` (both `ConflictException`).
const IN_PROGRESS: [&str; 2] = [
    "a call to this route is already in progress",
    "there is currently another in-progress request using this stripe token",
];
/// The beginnings of the messages RechargeSharp raises as `PaymentException` or
/// `ScaException` (`CardDeclined*`, `CardLost`, `CardStolen`, `AuthorizationRequired`,
/// `InsufficientFunds`, `CardNumberIncorrect`, `CvcIncorrect`, `CardExpired`,
/// `MaxDeclinesIn24HoursReached`), and `ErrorOccurredTryAgainLater` (its
/// `TransientErrorException`: the card was not charged, the shopper may try again).
const DECLINES: [&str; 7] = [
    "your card was declined",
    "your card has insufficient funds",
    "your card number is incorrect",
    "your card's security code is incorrect",
    "your card has expired",
    "you have exceeded the maximum number of declines",
    PROCESSING_ERROR,
];
const PROCESSING_ERROR: &str = "an error occurred while processing your card";

/// Every string of a JSON body, depth first (a body that is not JSON: its text, trimmed).
fn texts_of(body: &[u8]) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.trim().to_owned()),
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(fields) => fields.values().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => walk(&v, &mut out),
        Err(_) => out.push(String::from_utf8_lossy(body).trim().to_owned()),
    }
    out
}

/// A 2021-01 product or variant id: an integer (ChemicalLuck v1 `CheckoutLineItem`, seed
/// 002's numbers); an id that is not one goes as the string it is.
#[derive(Serialize)]
#[serde(untagged)]
enum NumericId<'a> {
    Number(u64),
    Text(&'a str),
}

impl<'a> From<&'a str> for NumericId<'a> {
    fn from(id: &'a str) -> NumericId<'a> {
        id.parse().map(NumericId::Number).unwrap_or(NumericId::Text(id))
    }
}

/// A 2021-01 line item (ChemicalLuck `recharge/api/v1/checkouts.py` `CheckoutLineItem`).
#[derive(Serialize)]
struct LineItem202101<'a> {
    product_id: NumericId<'a>,
    variant_id: NumericId<'a>,
    title: &'a str,
    quantity: u64,
    price: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    order_interval_unit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order_interval_frequency: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    charge_interval_frequency: Option<u64>,
}

/// `{"ecommerce": id}`, the 2021-11 external ids.
#[derive(Serialize)]
struct External<'a> {
    ecommerce: &'a str,
}

/// A 2021-11 line item (ChemicalLuck `recharge/api/v2/checkouts.py` `CheckoutLineItem`).
#[derive(Serialize)]
struct LineItem202111<'a> {
    external_product_id: External<'a>,
    external_variant_id: External<'a>,
    title: &'a str,
    quantity: u64,
    unit_price: String,
    /// `subscription | onetime`.
    purchase_item_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription_preferences: Option<SubscriptionPreferences<'a>>,
}

/// `CheckoutLineItemSubscriptionPreferences` (2021-11).
#[derive(Serialize)]
struct SubscriptionPreferences<'a> {
    interval_unit: &'a str,
    order_interval_frequency: u64,
    charge_interval_frequency: u64,
}

fn line_item(item: &LineItem, index: usize, currency: &str, version: ApiVersion) -> Result<Value, Error> {
    let field = |name: &str| format!("line_items[{index}].{name}");
    let product = item
        .product_id
        .as_deref()
        .ok_or_else(|| Error::invalid_request(format!("{}: is required by ReCharge", field("product_id"))))?;
    let variant = item
        .variant_id
        .as_deref()
        .ok_or_else(|| Error::invalid_request(format!("{}: is required by ReCharge", field("variant_id"))))?;
    let price =
        money::to_decimal(item.unit_amount, currency).map_err(|e| Error::invalid_request(format!("currency: {e}")))?;
    let sub = item.subscription.as_ref();
    let charge_every = sub.map(|s| s.charge_interval_frequency.unwrap_or(s.interval_frequency));
    let wire = match version {
        ApiVersion::V2021_01 => serde_json::to_value(LineItem202101 {
            product_id: product.into(),
            variant_id: variant.into(),
            title: &item.name,
            quantity: item.quantity,
            price,
            order_interval_unit: sub.map(|s| s.interval_unit.as_str()),
            order_interval_frequency: sub.map(|s| s.interval_frequency),
            charge_interval_frequency: charge_every,
        }),
        ApiVersion::V2021_11 => serde_json::to_value(LineItem202111 {
            external_product_id: External { ecommerce: product },
            external_variant_id: External { ecommerce: variant },
            title: &item.name,
            quantity: item.quantity,
            unit_price: price,
            purchase_item_type: if sub.is_some() { "subscription" } else { "onetime" },
            subscription_preferences: sub.map(|s| SubscriptionPreferences {
                interval_unit: &s.interval_unit,
                order_interval_frequency: s.interval_frequency,
                charge_interval_frequency: s.charge_interval_frequency.unwrap_or(s.interval_frequency),
            }),
        }),
    };
    wire.map_err(|e| Error::new(crate::error::Status::Internal, e.to_string()))
}

/// The body of `POST /checkouts` (seed 002; ChemicalLuck `CheckoutCreateBody`), its fields at
/// the top level.
#[derive(Serialize)]
struct CreateBody<'a> {
    line_items: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    /// Upper case, as ReCharge writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

/// The body of `POST /checkouts`: line items (a `subscription` gives the interval fields;
/// none makes a one-time item), `email`, `currency` (upper case), `description` as `note`,
/// then `provider_options` merged as is (a `line_items` there replaces the mapped ones, for
/// fields the unified item lacks).
pub fn create_body(req: &CreateCheckout, currency: &str, version: ApiVersion) -> Result<String, Error> {
    let line_items = req
        .line_items
        .iter()
        .enumerate()
        .map(|(i, item)| line_item(item, i, currency, version))
        .collect::<Result<_, _>>()?;
    let body = CreateBody {
        line_items,
        email: req.email.as_deref(),
        currency: req.currency.as_ref().map(|_| currency.to_ascii_uppercase()),
        note: req.description.as_deref(),
    };
    Ok(with_options(&body, req.provider_options.clone()))
}

/// `POST /checkouts/{token}/charge` (ChemicalLuck `CheckoutProcessBody`: `payment_processor`,
/// `payment_token`, `payment_type`).
#[derive(Serialize)]
pub struct ChargeBody<'a> {
    pub payment_processor: &'a str,
    pub payment_token: &'a str,
    pub payment_type: &'a str,
}

/// A ReCharge checkout as answered (`{"checkout": {...}}`'s object; ChemicalLuck
/// `recharge/model/v2/checkout.py` `Checkout`, and its v1), the fields read.
#[derive(Deserialize)]
pub struct CheckoutObject {
    pub token: String,
    pub completed_at: Option<String>,
    pub currency: Option<String>,
    /// A decimal amount: a string (`"60.00"`, the models' `str`), or a number; may be null
    /// (ChemicalLuck `model/v2/checkout.py`: `Optional[str]`).
    pub total_price: Option<NumberOrText>,
    #[serde(default)]
    pub line_items: Vec<LineItemObject>,
    pub note: Option<String>,
    pub created_at: Option<String>,
    /// The charge that paid it (ChemicalLuck `model/v2/checkout.py` `Checkout.charge_id`).
    pub charge_id: Option<NumberOrText>,
}

/// A checkout line item as answered, the fields read: the price is `unit_price` in 2021-11
/// (ChemicalLuck `model/v2/checkout.py` `CheckoutLineItem`) and `price` in 2021-01
/// (`api/v1/checkouts.py`), decimal strings in major units.
#[derive(Deserialize)]
pub struct LineItemObject {
    pub title: Option<String>,
    pub unit_price: Option<NumberOrText>,
    pub price: Option<NumberOrText>,
    pub quantity: Option<u64>,
}

/// The amount of a checkout answered with `total_price: null`: its line items' prices times
/// their quantities (a missing quantity is 1). Without a price on every item the amount
/// cannot be known, and the answer is undecodable.
fn line_items_total(items: &[LineItemObject], currency: &str) -> Result<u64, Fault> {
    let unknown = || Fault::new("checkout", "no total_price, and line items without a price");
    if items.is_empty() {
        return Err(unknown());
    }
    items.iter().try_fold(0u64, |sum, item| {
        let price = item.unit_price.as_ref().or(item.price.as_ref()).ok_or_else(unknown)?;
        let each = money::to_minor(&price.text(), currency).map_err(|e| Fault::new("checkout line item price", e))?;
        each.checked_mul(item.quantity.unwrap_or(1)).and_then(|v| sum.checked_add(v)).ok_or_else(unknown)
    })
}

/// A ReCharge checkout → the unified checkout. ReCharge has no status: `complete` and `paid`
/// exactly when `completed_at` is set; `amount` is `total_price`; `redirect_url` is the hosted
/// page (`hosted_url`), while the checkout is open.
pub fn checkout(c: CheckoutObject, provider_data: ProviderData, hosted_url: String) -> Result<Checkout, Fault> {
    let completed = c.completed_at.is_some();
    let currency = c.currency.as_deref().unwrap_or("usd").to_ascii_lowercase();
    let amount = match &c.total_price {
        Some(total) => money::to_minor(&total.text(), &currency).map_err(|e| Fault::new("checkout total_price", e))?,
        None => line_items_total(&c.line_items, &currency)?,
    };
    let titles: Vec<&str> = c.line_items.iter().filter_map(|i| i.title.as_deref()).collect();
    Ok(Checkout {
        provider: PROVIDER,
        id: c.token,
        status: if completed { CheckoutStatus::Complete } else { CheckoutStatus::Open },
        payment_status: if completed { CheckoutPaymentStatus::Paid } else { CheckoutPaymentStatus::Unpaid },
        amount,
        currency,
        description: c.note.or_else(|| (!titles.is_empty()).then(|| titles.join(", "))),
        redirect_url: (!completed).then_some(hosted_url),
        created_at: c.created_at.as_deref().and_then(timestamp::any_utc),
        expires_at: None,
        client_reference_id: None,
        metadata: Map::new(),
        idempotency_key: None,
        provider_data,
    })
}

/// A `{"checkout_charge": {...}}` answer (ChemicalLuck `CheckoutCharge`, RechargeSharp
/// `CheckoutCharge.cs`), the fields read: `charge_id` (an integer in both, the models' `int`
/// and `long`) and `status`.
#[derive(Deserialize)]
pub struct ChargeObject {
    pub charge_id: Option<NumberOrText>,
    pub status: Option<String>,
}

/// What a charge's own `status` says. `CheckoutCharge.status` is a plain `str` in ChemicalLuck
/// `recharge/model/v2/checkout.py`; the values are those of the charge resource's `ChargeStatus`
/// in `recharge/model/v2/charge.py` (`SUCCESS`, `QUEUED`, `ERROR`, `REFUNDED`,
/// `PARTIALLY_REFUNDED`, `SKIPPED`), compared without case as that model's validator upper-cases
/// them. That a checkout's charge uses the charge resource's words is our reading: no published
/// source lists the checkout charge's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChargeVerdict {
    /// `success`.
    Succeeded,
    /// `error`.
    Failed,
    /// Absent, or a word that decides nothing about this payment (`queued`, `skipped`, ...).
    Unknown,
}

impl ChargeObject {
    pub fn verdict(&self) -> ChargeVerdict {
        match self.status.as_deref().map(str::to_ascii_uppercase).as_deref() {
            Some("SUCCESS") => ChargeVerdict::Succeeded,
            Some("ERROR") => ChargeVerdict::Failed,
            _ => ChargeVerdict::Unknown,
        }
    }
}

/// A charge answered 2xx and the read of the same checkout after it (`None` when the read
/// failed or named another checkout) → the completion. The charge carries no amount or
/// currency, so they come from the checkout. Both the charge's own verdict and the checkout
/// must agree before a payment is `succeeded`:
///
/// | charge `status` | checkout read | completion |
/// |---|---|---|
/// | `success` or unknown | completed | `succeeded` |
/// | `success` or unknown | open | `pending` |
/// | `success` | failed | `succeeded` (amount and currency null) |
/// | unknown | failed | `pending` |
/// | `error` | open or failed | `failed` |
/// | `error` | completed | `pending`: the two disagree |
pub fn charge(
    charge: ChargeObject,
    provider_data: ProviderData,
    checkout: Option<Checkout>,
    checkout_id: &str,
) -> Completion {
    let verdict = charge.verdict();
    let word = charge.status.as_deref().unwrap_or_default();
    let completed = checkout.as_ref().map(|c| c.payment_status == CheckoutPaymentStatus::Paid);
    let payment_status = match (verdict, completed) {
        (ChargeVerdict::Failed, Some(true)) => PaymentStatus::Pending,
        (ChargeVerdict::Failed, _) => PaymentStatus::Failed,
        (_, Some(true)) | (ChargeVerdict::Succeeded, None) => PaymentStatus::Succeeded,
        _ => PaymentStatus::Pending,
    };
    let pending_reason = (payment_status == PaymentStatus::Pending).then(|| match completed {
        Some(true) => format!(
            "ReCharge answered the charge with status {word:?} but checkout {checkout_id} is completed: read it \
             again later with checkout_get before charging again"
        ),
        Some(false) => format!(
            "ReCharge accepted the charge (status {word:?}) but checkout {checkout_id} is not completed yet: read \
             it again later with checkout_get before charging again"
        ),
        None => format!(
            "ReCharge accepted the charge (status {word:?}, which does not say it succeeded) and checkout \
             {checkout_id} could not be read: read it later with checkout_get before charging again"
        ),
    });
    let payment_error = (payment_status == PaymentStatus::Failed).then(|| PaymentError {
        code: None,
        message: Some(format!("ReCharge answered the charge with status {word:?}")),
        decline_code: None,
    });
    Completion {
        provider: PROVIDER,
        checkout_id: checkout_id.to_owned(),
        id: None,
        payment_status,
        payment_id: charge.charge_id.as_ref().map(NumberOrText::text),
        amount: checkout.as_ref().map(|c| c.amount),
        currency: checkout.map(|c| c.currency),
        payment_error,
        additional_transactions: Vec::new(),
        idempotency_key: None,
        confirmed_by: None,
        pending_reason,
        provider_data,
    }
}

/// A charge (`GET /charges/{id}`, `POST /charges/{id}/refund`: `{"charge": {...}}`;
/// ChemicalLuck `recharge/model/v2/charge.py` `Charge`), the fields read: decimal strings
/// in major units.
#[derive(Deserialize)]
pub struct ChargeResource {
    pub id: NumberOrText,
    pub currency: Option<String>,
    pub total_price: Option<NumberOrText>,
    pub total_refunds: Option<NumberOrText>,
}

/// `POST /charges/{id}/refund` (ChemicalLuck `recharge/api/v2/charges.py` `ChargeRefundBody`:
/// `amount`, a decimal string, required; `full_refund` optional).
#[derive(Serialize)]
pub struct RefundBody {
    pub amount: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub full_refund: bool,
}

/// A charge → the refunds of `checkout_id`: paid `total_price`, refunded `total_refunds`.
/// ReCharge lists no single refunds, only their total.
pub fn refunds(checkout_id: &str, c: ChargeResource, provider_data: ProviderData) -> Result<Refunds, Fault> {
    let currency = c.currency.as_deref().unwrap_or("usd").to_ascii_lowercase();
    let minor = |v: &Option<NumberOrText>, what: &'static str| match v {
        Some(v) => money::to_minor(&v.text(), &currency).map_err(|e| Fault::new(what, e)),
        None => Ok(0),
    };
    let paid = minor(&c.total_price, "charge total_price")?;
    let refunded = minor(&c.total_refunds, "charge total_refunds")?;
    Ok(Refunds {
        provider: PROVIDER,
        checkout_id: checkout_id.to_owned(),
        payment_id: Some(c.id.text()),
        amount_paid: paid,
        amount_refunded: refunded,
        amount_refundable: paid.saturating_sub(refunded),
        currency,
        refunds: Vec::new(),
        provider_data,
    })
}

/// Stripe's refusal of a charge that needs the shopper's authentication (3-D Secure), as
/// ReCharge relays it (RechargeSharp `ProcessCheckoutErrorMessages.AuthorizationRequired`:
/// "Your card was declined. This transaction requires authentication."), lower case.
const AUTHENTICATION_REQUIRED: &str = "requires authentication";

/// A declined charge (a 422 whose body carries one of the published decline messages,
/// [`ErrorDetail::refusal`]): a failed completion, the attempt being ReCharge's record. A
/// charge that requires the shopper's authentication is no plain decline: `pending`, with the
/// payment error code `authentication_required` (the shopper must authenticate, e.g. on
/// ReCharge's hosted page).
pub fn declined(error: PaymentError, body: &[u8], checkout_id: &str) -> Completion {
    let v: Value = serde_json::from_slice(body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into()));
    let needs_authentication = error.code.as_deref() == Some("authentication_required");
    let completion = Completion::declined(PROVIDER, checkout_id, error, None, v);
    if needs_authentication {
        return Completion { payment_status: PaymentStatus::Pending, ..completion };
    }
    completion
}

/// `t=<unix>,v1=<hex>[,v1=<hex>...]` → the timestamp and the signatures.
pub fn signature_header(header: &str) -> Result<(i64, Vec<&str>), Error> {
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1.push(value),
            _ => {}
        }
    }
    let t = t.ok_or_else(|| signature("X-Recharge-Webhook-Signature has no t=<unix seconds>"))?;
    if v1.is_empty() {
        return Err(signature("X-Recharge-Webhook-Signature has no v1= signature"));
    }
    Ok((t, v1))
}

/// A ReCharge webhook payload (`{"checkout": {...}}`, `{"charge": {...}}`, ...) → the
/// normalized event, from the signed body alone: the signature covers `t.body`
/// (docs/providers.md §ReCharge), never `X-Recharge-Topic`, so the topic can be changed in
/// transit; if given, it is reported as `unsigned_topic` and decides nothing. `provider_type`
/// is the payload's object name. The unified `type` (docs/contract.md §7, "Event types"), from
/// the topics of ChemicalLuck/recharge-api-python `recharge/model/v2/webhook.py` `WebhookTopic`
/// and mattgenious/RechargeSharp `Entities/Webhooks/WebhookTopic.cs`, told apart by the signed
/// object:
/// - `checkout` with a `completed_at` (`checkout/processed`, `checkout/completed`): the checkout
///   is paid, `checkout.completed`; without one (`checkout/created`, `checkout/updated`): `other`;
/// - `charge` whose `total_refunds` is above zero (`charge/refunded`): `refund.created`, the
///   charge's refunded total in `refund` (ReCharge numbers no refunds, so a later
///   `charge/updated` of the same charge reads the same: the total is a state, not an increment);
/// - else a `charge` by its signed `status` (ChemicalLuck `model/v2/charge.py` `ChargeStatus`,
///   RechargeSharp `ChargeStatus.cs`; either case, as the API versions differ): `SUCCESS`
///   `payment.succeeded`, `ERROR` `payment.failed`, any other (`QUEUED`, `SKIPPED`) `other`.
///   No source shows the payloads of `charge/paid` or `charge/failed`, so the status decides,
///   never the topic. A charge names no checkout: `checkout_id` is null and `object_id` the
///   charge's id;
/// - every other object (subscriptions, orders, customers, addresses, ...): `other`.
pub fn event(body: Value, unsigned_topic: Option<&str>) -> Result<WebhookEvent, Error> {
    /// The payload's object (`{"checkout": {...}}`, `{"charge": {...}}`, ...), fields read.
    #[derive(Deserialize)]
    struct Object {
        token: Option<String>,
        id: Option<NumberOrText>,
        completed_at: Option<String>,
        /// A charge's (ChemicalLuck `model/v2/charge.py` `Charge.total_refunds`, `currency`,
        /// `status`).
        total_refunds: Option<NumberOrText>,
        currency: Option<String>,
        status: Option<String>,
    }
    let (name, object) = body
        .as_object()
        .and_then(|o| o.iter().next())
        .ok_or_else(|| signature("body is not a ReCharge webhook: no object"))?;
    let object = Object::deserialize(object).map_err(|e| signature(format!("body is not a ReCharge webhook ({e})")))?;
    let is_checkout = name == "checkout";
    // A refund is told by `total_refunds` above zero, in whatever currency; its amount in minor
    // units only where the payload names its currency (a 2021-01 charge names none: ChemicalLuck
    // `model/v1/charge.py`), never in a guessed one.
    let refunded = object
        .total_refunds
        .as_ref()
        .and_then(|t| t.text().parse::<rust_decimal::Decimal>().ok())
        .filter(|total| name == "charge" && total.is_sign_positive() && !total.is_zero());
    let refund = refunded.map(|_| RefundEvent {
        id: None,
        payment_id: object.id.as_ref().map(NumberOrText::text),
        amount: None,
        amount_refunded: match (&object.total_refunds, object.currency.as_deref()) {
            (Some(total), Some(currency)) => money::to_minor(&total.text(), &currency.to_ascii_lowercase()).ok(),
            _ => None,
        },
        status: Some("succeeded".to_owned()),
    });
    let kind = match name.as_str() {
        "checkout" if object.completed_at.is_some() => EventType::CheckoutCompleted,
        "charge" if refund.is_some() => EventType::RefundCreated,
        "charge" => match object.status.as_deref().map(str::to_ascii_uppercase).as_deref() {
            Some("SUCCESS") => EventType::PaymentSucceeded,
            Some("ERROR") => EventType::PaymentFailed,
            _ => EventType::Other,
        },
        _ => EventType::Other,
    };
    let object_id = object.token.clone().or_else(|| object.id.as_ref().map(NumberOrText::text));
    Ok(WebhookEvent {
        provider: PROVIDER,
        event_id: None,
        kind,
        provider_type: Some(name.clone()),
        object_id,
        checkout_id: if is_checkout { object.token } else { None },
        payment_status: kind.payment_status(),
        unsigned_topic: unsigned_topic.map(str::to_owned),
        refund,
        data: body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refunded_charge_without_a_currency_is_a_refund_of_unknown_minor_units() {
        let charge = json!({"charge": {"id": 7, "status": "PARTIALLY_REFUNDED", "total_refunds": "1000"}});
        let refunded = event(charge, Some("charge/refunded")).unwrap();
        assert_eq!(refunded.kind, EventType::RefundCreated);
        let refund = refunded.refund.unwrap();
        assert_eq!((refund.payment_id.as_deref(), refund.amount_refunded), (Some("7"), None));
        let kwd = json!({"charge": {"id": 7, "currency": "KWD", "total_refunds": "1.500"}});
        assert_eq!(event_refunded(kwd), Some(1500));
        let none = json!({"charge": {"id": 7, "currency": "USD", "total_refunds": "0.00", "status": "SUCCESS"}});
        assert!(event(none, None).unwrap().refund.is_none());
    }

    fn event_refunded(body: Value) -> Option<u64> {
        event(body, None).unwrap().refund.and_then(|r| r.amount_refunded)
    }
    use crate::providers::decode::{object, Envelope};
    use crate::request::Subscription;
    use serde_json::json;

    /// A checkout answer's object, decoded the real way.
    fn checkout_of(v: Value, hosted_url: String) -> Result<Checkout, Fault> {
        let (typed, raw) =
            object(json!({ "checkout": v }).to_string().as_bytes(), Envelope::Key("checkout"), "checkout")?;
        checkout(typed, raw, hosted_url)
    }

    #[test]
    fn every_error_sample_reads() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/recharge-errors");
        let entries: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
        assert_eq!(entries.len(), 23, "the samples of providers/recharge/error-samples/");
        for entry in entries {
            let body = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(ErrorDetail::parse(&body).message.is_some(), "{}", String::from_utf8_lossy(&body));
        }
    }

    #[test]
    fn error_forms() {
        let d = ErrorDetail::parse(br#"{"errors": "Not Found"}"#);
        assert_eq!(d.message.as_deref(), Some("Not Found"));
        let d = ErrorDetail::parse(br#"{"errors": {"address1": ["Field may not be null."]}}"#);
        assert_eq!(d.message.as_deref(), Some("address1: Field may not be null."));
        let d = ErrorDetail::parse(br#"{"errors": {"billing_address": {"address1": ["Field may not be null."]}}}"#);
        assert_eq!(d.message.as_deref(), Some("billing_address.address1: Field may not be null."));
        let d = ErrorDetail::parse(br#"{"errors": {"email": "email already exists on store"}}"#);
        assert_eq!(d.message.as_deref(), Some("email: email already exists on store"));
        let d = ErrorDetail::parse(br#"{"error": "Bad Request", "message": "The payload format is unsupported"}"#);
        assert_eq!(d.message.as_deref(), Some("The payload format is unsupported"));
    }

    #[test]
    fn a_refused_charge_is_read_by_its_published_message_in_any_shape() {
        let declined = "Your card was declined. decline_code = do_not_honor";
        let shapes = [
            json!({ "errors": declined }),
            json!({ "errors": { "payment": [declined] } }),
            json!({ "errors": { "payment_token": declined } }),
            json!({ "error": "Unprocessable Entity", "message": declined }),
            Value::String(declined.into()),
        ];
        for body in shapes {
            let error = match ErrorDetail::refusal(body.to_string().as_bytes()) {
                Some(ChargeRefusal::Declined(error)) => error,
                other => panic!("{body}: {other:?}"),
            };
            assert_eq!(
                (error.message.as_deref(), error.decline_code.as_deref()),
                (Some(declined), Some("do_not_honor"))
            );
        }
        let bare = ErrorDetail::refusal(b"Your card has insufficient funds.").unwrap();
        assert!(matches!(bare, ChargeRefusal::Declined(PaymentError { code: None, .. })), "a body that is the message");
        let transient = "An error occurred while processing your card. Try again in a little bit.";
        let Some(ChargeRefusal::Declined(e)) =
            ErrorDetail::refusal(json!({ "errors": transient }).to_string().as_bytes())
        else {
            panic!("ErrorOccurredTryAgainLater")
        };
        assert_eq!(e.code.as_deref(), Some("processing_error"));
        for (body, expected) in [
            (r#"{"errors": "Checkout has already been processed."}"#, ChargeRefusal::AlreadyProcessed),
            (r#"{"errors": {"payment": ["Checkout has already been processed."]}}"#, ChargeRefusal::AlreadyProcessed),
            (r#"{"errors": "You cannot use a Stripe token more than once: tok_1"}"#, ChargeRefusal::AlreadyProcessed),
            (r#"{"errors": "A call to this route is already in progress."}"#, ChargeRefusal::InProgress),
        ] {
            assert_eq!(ErrorDetail::refusal(body.as_bytes()), Some(expected), "{body}");
        }
        assert_eq!(ErrorDetail::refusal(br#"{"errors": {"address1": ["Field may not be null."]}}"#), None);
        assert_eq!(ErrorDetail::refusal(br#"{"errors": "Not Found"}"#), None);
    }

    #[test]
    fn line_items_in_both_api_versions() {
        let item = LineItem {
            name: "Coffee".into(),
            description: None,
            unit_amount: 1250,
            quantity: 6,
            product_id: Some("1255183683".into()),
            variant_id: Some("3844924611".into()),
            image_url: None,
            subscription: Some(Subscription {
                interval_unit: "day".into(),
                interval_frequency: 5,
                charge_interval_frequency: None,
            }),
        };
        let req = CreateCheckout { line_items: vec![item], ..Default::default() };

        // 2021-01: seed 002's body, top level, with the SDK's `title` and `price` added
        // (ChemicalLuck `recharge/api/v1/checkouts.py` `CheckoutLineItem`).
        let seed: Value = serde_json::from_str(include_str!("../../../tests/fixtures/seed_002_create.json")).unwrap();
        let body: Value = serde_json::from_str(&create_body(&req, "usd", ApiVersion::V2021_01).unwrap()).unwrap();
        let sent = body["line_items"][0].as_object().unwrap();
        let mapped = [
            "product_id",
            "variant_id",
            "quantity",
            "order_interval_unit",
            "order_interval_frequency",
            "charge_interval_frequency",
        ];
        for key in mapped {
            assert_eq!(sent[key], seed["line_items"][0][key], "{key} as seed 002 writes it");
        }
        assert_eq!((sent["title"].as_str(), sent["price"].as_str()), (Some("Coffee"), Some("12.50")));
        assert_eq!(sent.len(), mapped.len() + 2, "nothing else: {sent:?}");
        assert_eq!(body.as_object().unwrap().len(), 1, "line_items at the top level, no wrapper");

        // 2021-11: the SDK's v2 `CheckoutLineItem`, with the seed's values.
        let expected: Value =
            serde_json::from_str(include_str!("../../../tests/fixtures/recharge_2021_11_create.json")).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&create_body(&req, "usd", ApiVersion::V2021_11).unwrap()).unwrap(),
            expected
        );
        let one_time = CreateCheckout {
            line_items: vec![LineItem { subscription: None, ..req.line_items[0].clone() }],
            ..Default::default()
        };
        let body: Value = serde_json::from_str(&create_body(&one_time, "usd", ApiVersion::V2021_11).unwrap()).unwrap();
        let item = &body["line_items"][0];
        assert_eq!(
            (item["purchase_item_type"].as_str(), item.get("subscription_preferences")),
            (Some("onetime"), None)
        );
    }

    #[test]
    fn a_charge_takes_amount_and_currency_from_the_checkout() {
        let body = include_bytes!("../../../tests/fixtures/recharge_checkout_charge.json");
        let (charge, raw) = object::<ChargeObject>(body, Envelope::Key("checkout_charge"), "checkout charge").unwrap();
        let paid = checkout_of(
            json!({"token": "t1", "total_price": "60.00", "currency": "USD", "completed_at": "2021-01-20T12:05:00"}),
            String::new(),
        )
        .unwrap();
        let again = object::<ChargeObject>(body, Envelope::Key("checkout_charge"), "checkout charge").unwrap();
        let c = super::charge(charge, raw, Some(paid), "t1");
        assert_eq!(
            (c.payment_status, c.amount, c.currency.as_deref()),
            (PaymentStatus::Succeeded, Some(6000), Some("usd"))
        );
        assert_eq!(c.payment_id.as_deref(), Some("512345678"), "charge_id, an integer in the model");
        let open =
            checkout_of(json!({"token": "t1", "total_price": "60.00", "completed_at": null}), String::new()).unwrap();
        let c = super::charge(again.0, again.1, Some(open), "t1");
        assert_eq!(c.payment_status, PaymentStatus::Pending);
        assert!(c.pending_reason.unwrap().contains(r#"status "success""#));
        assert!(object::<ChargeObject>(
            br#"{"checkout_charge": null}"#,
            Envelope::Key("checkout_charge"),
            "checkout charge"
        )
        .is_err());
    }

    #[test]
    fn a_charge_needing_authentication_is_pending_not_declined() {
        let refused = |body: &[u8]| match ErrorDetail::refusal(body) {
            Some(ChargeRefusal::Declined(error)) => declined(error, body, "t1"),
            other => panic!("{other:?}"),
        };
        let c = refused(br#"{"errors": "Your card was declined. This transaction requires authentication."}"#);
        assert_eq!(c.payment_status, PaymentStatus::Pending);
        assert_eq!(c.payment_error.unwrap().code.as_deref(), Some("authentication_required"));
        assert_eq!(refused(br#"{"errors": "Your card was declined."}"#).payment_status, PaymentStatus::Failed);
    }

    /// ChemicalLuck `model/v2/checkout.py`: `total_price: Optional[str]`.
    #[test]
    fn a_checkout_without_a_total_price_is_priced_from_its_line_items() {
        let v2 = checkout_of(
            json!({"token": "t1", "total_price": null, "currency": "USD",
            "line_items": [{"title": "Coffee", "unit_price": "12.50", "quantity": 6}, {"title": "Mug", "unit_price": "8.00"}]}),
            "https://h/r".into(),
        )
        .unwrap();
        assert_eq!(v2.amount, 8300);
        let v1 = checkout_of(
            json!({"token": "t1", "line_items": [{"price": "60.00", "quantity": 1}]}),
            "https://h/r".into(),
        );
        assert_eq!(v1.unwrap().amount, 6000);
        let unpriced =
            checkout_of(json!({"token": "t1", "total_price": null, "line_items": [{"title": "Coffee"}]}), "h".into());
        assert!(unpriced.unwrap_err().problem.contains("no total_price, and line items without a price"));
    }

    #[test]
    fn checkout_is_complete_exactly_when_completed_at_is_set() {
        let open = checkout_of(
            json!({"token": "t1", "total_price": "75.00", "currency": "USD", "completed_at": null,
            "line_items": [{"title": "Coffee"}], "created_at": "2021-01-20T12:00:00"}),
            "https://h/r".into(),
        )
        .unwrap();
        assert_eq!(
            (open.status, open.payment_status, open.amount),
            (CheckoutStatus::Open, CheckoutPaymentStatus::Unpaid, 7500)
        );
        assert_eq!(open.redirect_url.as_deref(), Some("https://h/r"));
        assert_eq!(open.created_at.as_deref(), Some("2021-01-20T12:00:00Z"));
        assert_eq!(open.description.as_deref(), Some("Coffee"));
        let done = checkout_of(
            json!({"token": "t1", "total_price": "75.00", "completed_at": "2021-01-20T12:05:00"}),
            String::new(),
        )
        .unwrap();
        assert_eq!((done.status, done.payment_status), (CheckoutStatus::Complete, CheckoutPaymentStatus::Paid));
        assert!(checkout_of(json!({"token": "t1", "total_price": "75.001"}), String::new()).is_err());
        assert!(checkout_of(json!({"total_price": "75.00"}), String::new()).unwrap_err().problem.contains("token"));
    }
}
