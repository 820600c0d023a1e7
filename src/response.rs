//! The unified results (docs/contract.md §7), the same shape whatever the provider.

use crate::error::{Error, Status};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The provider's object as received: parsed, or kept as the raw JSON text it arrived in,
/// where the provider module read only the fields it needed (copied through verbatim, never
/// parsed into a tree).
#[derive(Debug, Clone)]
pub enum ProviderData {
    Parsed(Value),
    Raw(Box<RawValue>),
}

impl ProviderData {
    /// As a parsed value.
    pub fn to_value(&self) -> Value {
        match self {
            ProviderData::Parsed(v) => v.clone(),
            ProviderData::Raw(raw) => serde_json::from_str(raw.get()).unwrap_or_default(),
        }
    }
}

impl From<Value> for ProviderData {
    fn from(v: Value) -> ProviderData {
        ProviderData::Parsed(v)
    }
}

impl Serialize for ProviderData {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            ProviderData::Parsed(v) => v.serialize(s),
            ProviderData::Raw(raw) => raw.serialize(s),
        }
    }
}

/// A checkout's state: `open`, `complete` or `expired`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckoutStatus {
    Open,
    Complete,
    Expired,
}

/// Whether a checkout's money arrived: `unpaid`, `paid`, `failed` or `pending`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckoutPaymentStatus {
    Unpaid,
    Paid,
    Failed,
    Pending,
}

/// The outcome of one payment attempt: `succeeded`, `failed` or `pending`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Succeeded,
    Failed,
    Pending,
}

/// The unified checkout, result of `checkout_create` and `checkout_get`.
#[derive(Debug, Serialize)]
pub struct Checkout {
    pub provider: &'static str,
    pub id: String,
    pub status: CheckoutStatus,
    pub payment_status: CheckoutPaymentStatus,
    /// Minor units.
    pub amount: u64,
    /// Lowercase currency code.
    pub currency: String,
    pub description: Option<String>,
    /// Where to send the shopper, when the provider gives it with the checkout.
    pub redirect_url: Option<String>,
    /// RFC 3339 UTC.
    pub created_at: Option<String>,
    /// RFC 3339 UTC.
    pub expires_at: Option<String>,
    pub client_reference_id: Option<String>,
    pub metadata: Map<String, Value>,
    /// The `Idempotency-Key` `checkout_create` sent (the caller's, or one it made): calling
    /// again with it returns this checkout instead of creating another. Null where the
    /// provider has none, and for `checkout_get`.
    pub idempotency_key: Option<String>,
    /// The provider's object as received.
    pub provider_data: ProviderData,
}

/// A declined or failed payment's reason, as the provider gave it.
#[derive(Debug, Serialize, PartialEq)]
pub struct PaymentError {
    pub code: Option<String>,
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decline_code: Option<String>,
}

/// The result of `checkout_complete`. A decline is a result (`payment_status: failed`), not
/// an error: the provider recorded the attempt.
#[derive(Debug, Serialize)]
pub struct Completion {
    pub provider: &'static str,
    pub checkout_id: String,
    /// The provider's id of this completion attempt, when it has one.
    pub id: Option<String>,
    pub payment_status: PaymentStatus,
    pub payment_id: Option<String>,
    /// Minor units.
    pub amount: Option<u64>,
    pub currency: Option<String>,
    pub payment_error: Option<PaymentError>,
    pub additional_transactions: Vec<Value>,
    /// The key this completion was sent under; calling again with it never charges twice.
    pub idempotency_key: Option<String>,
    /// `"checkout_get"` when the payment call ended ambiguously (no answer, a reset, a 5xx,
    /// an unreadable answer) and the library settled it by reading the checkout within the
    /// call's deadline; null when the provider's answer to the payment call itself told.
    pub confirmed_by: Option<&'static str>,
    /// Why a `pending` payment is pending and what to do next, when the library could not
    /// learn the outcome (the checkout read back unpaid, or could not be read).
    pub pending_reason: Option<String>,
    pub provider_data: ProviderData,
}

impl Completion {
    /// A payment the provider refused outright, without a completion record of its own: a
    /// failed result, not an error, since the attempt was made.
    pub fn declined(
        provider: &'static str,
        checkout_id: &str,
        payment_error: PaymentError,
        idempotency_key: Option<String>,
        provider_data: Value,
    ) -> Completion {
        Completion {
            provider,
            checkout_id: checkout_id.to_owned(),
            id: None,
            payment_status: PaymentStatus::Failed,
            payment_id: None,
            amount: None,
            currency: None,
            payment_error: Some(payment_error),
            additional_transactions: Vec::new(),
            idempotency_key,
            confirmed_by: None,
            pending_reason: None,
            provider_data: provider_data.into(),
        }
    }

    /// The outcome of a payment call that ended ambiguously, from the checkout read after it:
    /// `succeeded` when the checkout is paid (with the completion `id` and `payment_id`, when
    /// the checkout names them), else `pending` with `pending_reason`. Never `failed`: an
    /// unpaid checkout does not show that this call's payment will not land.
    pub fn settled(
        checkout: Checkout,
        id: Option<String>,
        payment_id: Option<String>,
        idempotency_key: Option<String>,
        pending_reason: String,
    ) -> Completion {
        let paid = checkout.payment_status == CheckoutPaymentStatus::Paid;
        Completion {
            provider: checkout.provider,
            checkout_id: checkout.id,
            id: id.filter(|_| paid),
            payment_status: if paid { PaymentStatus::Succeeded } else { PaymentStatus::Pending },
            payment_id: payment_id.filter(|_| paid),
            amount: Some(checkout.amount),
            currency: Some(checkout.currency),
            payment_error: None,
            additional_transactions: Vec::new(),
            idempotency_key,
            confirmed_by: Some("checkout_get"),
            pending_reason: (!paid).then_some(pending_reason),
            provider_data: checkout.provider_data,
        }
    }
}

impl Checkout {
    /// Refuses to send a shopper to pay a checkout that is paid or expired
    /// (`CHECKOUT_ERR_CONFLICT`, naming the checkout).
    pub fn require_open(&self) -> Result<(), Error> {
        let state = match self.status {
            CheckoutStatus::Open => return Ok(()),
            CheckoutStatus::Complete => "already completed",
            CheckoutStatus::Expired => "expired",
        };
        Err(Error::new(Status::Conflict, format!("checkout_id: checkout {} is {state}", self.id)))
    }
}

/// Checks a URL the library is about to hand a storefront to send a shopper to: an absolute
/// `https` URL, or `http` on a loopback host (a local sandbox). Anything else (`javascript:`,
/// `data:`, a relative or plain-http URL from a provider) is `CHECKOUT_ERR_PROVIDER`.
pub fn check_redirect_url(url: &str) -> Result<(), Error> {
    match url::Url::parse(url) {
        Ok(u) if u.scheme() == "https" && u.has_host() => Ok(()),
        Ok(u) if u.scheme() == "http" && crate::config::is_loopback(&u) => Ok(()),
        _ => Err(Error::new(
            Status::Provider,
            "the provider gave a redirect URL that is not an absolute https URL; it was not returned",
        )),
    }
}

impl RedirectUrl {
    /// `self`, once its `url` passed [`check_redirect_url`].
    pub fn checked(self) -> Result<RedirectUrl, Error> {
        check_redirect_url(&self.url)?;
        Ok(self)
    }
}

impl Checkout {
    /// `self`, once its `redirect_url` (if any) passed [`check_redirect_url`].
    pub fn checked(self) -> Result<Checkout, Error> {
        if let Some(url) = &self.redirect_url {
            check_redirect_url(url)?;
        }
        Ok(self)
    }
}

/// The result of `session_redirect_url`.
#[derive(Debug, Serialize)]
pub struct RedirectUrl {
    /// The absolute URL of the provider's hosted page.
    pub url: String,
    /// RFC 3339 UTC, when known.
    pub expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_intent_id: Option<String>,
    /// The key the payment intent was created under (a checkout session made from an
    /// amount): calling again with it makes no second payment intent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    pub provider_data: ProviderData,
}

/// The result of `checkout_web_component_token`.
#[derive(Debug, Serialize)]
pub struct WebComponentToken {
    pub access_token: String,
    /// Seconds.
    pub expires_in: u64,
    /// The ready-to-render element, attribute values HTML-escaped.
    pub html: String,
    /// The `Idempotency-Key` the token request was sent under.
    pub idempotency_key: String,
}

/// A refund's state: `pending`, `succeeded` or `failed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
}

/// The result of `checkout_refund`. A refund the provider refused after recording it is a
/// result (`status: failed`, `refund_error`), as a declined payment is.
#[derive(Debug, Serialize)]
pub struct Refund {
    pub provider: &'static str,
    /// The provider's id of this refund, when it gives one.
    pub id: Option<String>,
    pub checkout_id: String,
    /// The refunded payment (JustiFi's payment, ReCharge's charge).
    pub payment_id: Option<String>,
    /// Minor units.
    pub amount: u64,
    pub currency: String,
    pub status: RefundStatus,
    pub reason: Option<String>,
    pub refund_error: Option<PaymentError>,
    /// The key this refund was sent under; calling again with it (and the same amount) never
    /// refunds twice. Null where the provider has no keys.
    pub idempotency_key: Option<String>,
    /// `"checkout_refunds"` when the refund call ended ambiguously and the library settled it
    /// by reading the payment's refunds; null when the provider's answer told.
    pub confirmed_by: Option<&'static str>,
    /// Why a `pending` refund is pending and what to do next.
    pub pending_reason: Option<String>,
    /// RFC 3339 UTC, when known.
    pub created_at: Option<String>,
    pub provider_data: ProviderData,
}

/// One refund of a payment, as `checkout_refunds` lists it.
#[derive(Debug, Serialize)]
pub struct RefundSummary {
    pub id: Option<String>,
    /// Minor units.
    pub amount: u64,
    pub status: RefundStatus,
    pub reason: Option<String>,
    /// RFC 3339 UTC, when known.
    pub created_at: Option<String>,
}

/// The result of `checkout_refunds`: the checkout's payment and what was refunded of it.
#[derive(Debug, Serialize)]
pub struct Refunds {
    pub provider: &'static str,
    pub checkout_id: String,
    /// The paid payment (JustiFi's payment, ReCharge's charge); null when the checkout is unpaid.
    pub payment_id: Option<String>,
    pub currency: String,
    /// Minor units paid (0 when unpaid), refunded so far, and still refundable.
    pub amount_paid: u64,
    pub amount_refunded: u64,
    pub amount_refundable: u64,
    /// The refunds, when the provider lists them (ReCharge gives only the total).
    pub refunds: Vec<RefundSummary>,
    pub provider_data: ProviderData,
}

/// The result of `checkout_void`.
#[derive(Debug, Serialize)]
pub struct Void {
    pub provider: &'static str,
    pub checkout_id: String,
    pub payment_id: String,
    /// `voided`.
    pub status: &'static str,
    pub idempotency_key: Option<String>,
    pub provider_data: ProviderData,
}

/// Refuses an answer about another object than the one asked for (`CHECKOUT_ERR_PROVIDER`):
/// a completion or checkout naming another id is never reported as the requested one's.
pub fn same_object(asked: &str, answered: &str) -> Result<(), Error> {
    if asked != answered {
        return Err(Error::new(
            Status::Provider,
            format!(
                "the provider answered about {answered:?}, not {asked:?} that was asked for; the answer was not used"
            ),
        ));
    }
    Ok(())
}
