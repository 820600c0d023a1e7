//! JustiFi's wire types and their conversion to the unified results.
//!
//! Sources: `providers/justifi/justifi-openapi.yaml` (components `Envelope`, `Checkout`,
//! `CheckoutCompletion`, `CardPaymentIntent`; path `/oauth/token`), the legacy payment intent
//! and checkout session specs in `providers/justifi/legacy/`, and PROVIDERS.md.

use crate::error::{Error, Result};
use crate::providers::minor_units;
use crate::response::{
    Checkout, CheckoutPaymentStatus, CheckoutStatus, Completion, PaymentError, PaymentStatus, ProviderData,
};
use crate::timestamp;
use crate::webhook::{signature, WebhookEvent};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

pub const PROVIDER: &str = "justifi";

/// A checkout expires one week after it was created (`Checkout.status` in the spec).
const CHECKOUT_LIFETIME_S: i64 = 7 * 86_400;

/// `POST /oauth/token` → 200. `expires_in` is not documented; used when present, else 24 h.
#[derive(Deserialize)]
pub struct AccessToken {
    pub access_token: String,
    pub expires_in: Option<u64>,
}

/// `POST /v1/web_component_tokens` → `{access_token, expires_in, token_type}`; 60 min.
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
    pub fn parse(body: &[u8]) -> ErrorDetail {
        let v: Value = serde_json::from_slice(body).unwrap_or_default();
        let text = |v: &Value| v.as_str().map(str::to_owned);
        match &v["error"] {
            Value::String(s) => ErrorDetail { message: Some(s.clone()), ..Default::default() },
            Value::Object(e) => ErrorDetail {
                code: e.get("code").and_then(text),
                message: e.get("message").and_then(text),
                decline_code: e.get("decline_code").and_then(text),
            },
            _ => ErrorDetail::default(),
        }
    }
}

/// An integration fault: JustiFi answered 2xx with something that cannot be read
/// ([`crate::providers::undecodable`]).
pub fn undecodable(what: &str, problem: impl std::fmt::Display) -> Error {
    crate::providers::undecodable("JustiFi", what, problem)
}

/// A 2xx answer's object: the `data` of the envelope `{"id", "type", "data", "page_info":
/// null}` that most endpoints use, or the bare object, as the spec shows for
/// `/payment_intents` and `/payment_intents/{id}`. Returned as its raw text (the
/// `provider_data`, copied through verbatim) and a [`Projection`] of the fields this module
/// reads: the rest is skipped, not parsed into a tree.
pub fn envelope_data(body: &[u8], what: &str) -> Result<(Value, Box<RawValue>)> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        data: Option<&'a RawValue>,
        #[serde(rename = "type")]
        kind: Option<IgnoredAny>,
    }
    let whole: &RawValue = serde_json::from_slice(body).map_err(|e| undecodable(what, e))?;
    if !whole.get().trim_start().starts_with('{') {
        return Err(undecodable(what, "not a JSON object"));
    }
    let envelope: Envelope = serde_json::from_str(whole.get()).map_err(|e| undecodable(what, e))?;
    let object = match (envelope.data, envelope.kind) {
        (Some(data), Some(_)) if data.get().trim_start().starts_with('{') => data,
        _ => whole,
    };
    let projection: Projection = serde_json::from_str(object.get()).map_err(|e| undecodable(what, e))?;
    let view = serde_json::to_value(projection).map_err(|e| undecodable(what, e))?;
    Ok((view, object.to_owned()))
}

/// The fields of JustiFi's checkouts, completions, payment intents and checkout sessions
/// that this module reads, with the nested parts it reads from; a decoded view of them.
#[derive(Deserialize, Serialize, Default)]
pub struct Projection {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    successful_payment_id: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_amount: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_currency: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_description: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completions: Option<Vec<Attempt>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checkout_id: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_status: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_error_code: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_error_description: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_id: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_response: Option<PaymentResponse>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checkout: Option<CheckoutPart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    additional_transactions: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checkout_session_id: Option<Value>,
}

#[derive(Deserialize, Serialize, Default)]
struct Attempt {
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_status: Option<Value>,
}

#[derive(Deserialize, Serialize, Default)]
struct PaymentResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<DeclinePart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<AmountPart>,
}

#[derive(Deserialize, Serialize, Default)]
struct DeclinePart {
    #[serde(skip_serializing_if = "Option::is_none")]
    decline_code: Option<Value>,
}

#[derive(Deserialize, Serialize, Default)]
struct AmountPart {
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<Value>,
}

#[derive(Deserialize, Serialize, Default)]
struct CheckoutPart {
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_amount: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_currency: Option<Value>,
}

fn str_field(obj: &Value, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// Key under which the unified `client_reference_id` travels in the checkout's
/// `payment.metadata`, as JustiFi checkouts have no such field.
pub const CLIENT_REFERENCE_KEY: &str = "client_reference_id";

/// A JustiFi `Checkout` object → the unified checkout.
///
/// `status` `created`/`attempted` → `open`, `completed` → `complete`, `expired`; the payment is
/// `paid` once `successful_payment_id` is set, `failed` or `pending` after an attempt (from the
/// last completion), else `unpaid`. `expires_at` is `created_at` plus one week.
pub fn checkout(data: Value, provider_data: ProviderData) -> Result<Checkout> {
    let id = str_field(&data, "id").ok_or_else(|| undecodable("checkout", "no id"))?;
    let raw_status = str_field(&data, "status").unwrap_or_default();
    let status = match raw_status.as_str() {
        "created" | "attempted" => CheckoutStatus::Open,
        "completed" => CheckoutStatus::Complete,
        "expired" => CheckoutStatus::Expired,
        other => return Err(undecodable("checkout", format!("unknown status {other:?}"))),
    };
    let last_attempt =
        data["completions"].as_array().and_then(|c| c.last()).and_then(|c| str_field(c, "payment_status"));
    let payment_status = if data["successful_payment_id"].is_string() || status == CheckoutStatus::Complete {
        CheckoutPaymentStatus::Paid
    } else if raw_status == "attempted" {
        match last_attempt.as_deref() {
            Some("pending") => CheckoutPaymentStatus::Pending,
            _ => CheckoutPaymentStatus::Failed,
        }
    } else {
        CheckoutPaymentStatus::Unpaid
    };
    let amount = minor_units(&data["payment_amount"])
        .or_else(|| minor_units(&data["amount"]))
        .ok_or_else(|| undecodable("checkout", "no payment_amount"))?;
    let created_at = str_field(&data, "created_at");
    let mut metadata = data["payment"]["metadata"].as_object().cloned().unwrap_or_default();
    let client_reference_id = match metadata.remove(CLIENT_REFERENCE_KEY) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    Ok(Checkout {
        provider: PROVIDER,
        id,
        status,
        payment_status,
        amount,
        currency: currency(&data["payment_currency"]),
        description: str_field(&data, "payment_description").or_else(|| str_field(&data, "description")),
        redirect_url: None,
        expires_at: created_at.as_deref().and_then(|c| timestamp::rfc3339_plus(c, CHECKOUT_LIFETIME_S)),
        created_at: created_at.as_deref().and_then(timestamp::rfc3339_utc),
        client_reference_id,
        metadata,
        idempotency_key: None,
        provider_data,
    })
}

/// What a checkout's raw JSON says of its payment: the id of its succeeded completion (the
/// spec's `Checkout.completions[]`) and its `successful_payment_id`, where set.
pub fn paid_by(checkout: &str) -> (Option<String>, Option<String>) {
    #[derive(Deserialize)]
    struct Paid {
        successful_payment_id: Option<String>,
        #[serde(default)]
        completions: Vec<PaidCompletion>,
    }
    #[derive(Deserialize)]
    struct PaidCompletion {
        id: Option<String>,
        payment_status: Option<String>,
    }
    let Ok(paid) = serde_json::from_str::<Paid>(checkout) else { return (None, None) };
    let completion = paid.completions.into_iter().rev().find(|c| c.payment_status.as_deref() == Some("succeeded"));
    (completion.and_then(|c| c.id), paid.successful_payment_id)
}

/// JustiFi sends `USD`; the contract's codes are lowercase. Sub accounts without a currency
/// in the response are USD accounts (the spec's only `payment_currency` value).
fn currency(v: &Value) -> String {
    v.as_str().unwrap_or("usd").to_ascii_lowercase()
}

/// A legacy `PaymentIntent` (hosted-checkout-session flow) → the unified checkout:
/// `succeeded` → complete/paid; `canceled` → expired/unpaid; `pending`, `requires_capture`
/// → open/pending; `requires_payment_method` → open/unpaid. The spec writes the statuses in
/// lower case, justifi-node's `PaymentIntentStatus` writes `Canceled` and `Succeeded`: either
/// case is read.
pub fn payment_intent(data: Value, provider_data: ProviderData) -> Result<Checkout> {
    let id = str_field(&data, "id").ok_or_else(|| undecodable("payment intent", "no id"))?;
    let status = str_field(&data, "status").map(|s| s.to_ascii_lowercase());
    let (status, payment_status) = match status.as_deref() {
        Some("succeeded") => (CheckoutStatus::Complete, CheckoutPaymentStatus::Paid),
        Some("canceled") => (CheckoutStatus::Expired, CheckoutPaymentStatus::Unpaid),
        Some("pending" | "requires_capture") => (CheckoutStatus::Open, CheckoutPaymentStatus::Pending),
        Some("requires_payment_method") => (CheckoutStatus::Open, CheckoutPaymentStatus::Unpaid),
        other => return Err(undecodable("payment intent", format!("unknown status {other:?}"))),
    };
    let amount = minor_units(&data["amount"]).ok_or_else(|| undecodable("payment intent", "no amount"))?;
    Ok(Checkout {
        provider: PROVIDER,
        id,
        status,
        payment_status,
        amount,
        currency: currency(&data["currency"]),
        description: str_field(&data, "description"),
        redirect_url: None,
        created_at: str_field(&data, "created_at").as_deref().and_then(timestamp::rfc3339_utc),
        expires_at: None,
        client_reference_id: None,
        metadata: data["metadata"].as_object().cloned().unwrap_or_default(),
        idempotency_key: None,
        provider_data,
    })
}

/// A `CheckoutCompletion` (`POST /v1/checkouts/{id}/complete` → 201) → the unified result.
/// `payment_status` `succeeded`; `failed`/`canceled` → failed; `pending`, `skipped` and the
/// completion `status` `processing` → pending (money not yet known to have moved).
pub fn completion(
    data: Value,
    provider_data: ProviderData,
    checkout_id: &str,
    idempotency_key: &str,
) -> Result<Completion> {
    let raw = str_field(&data, "payment_status").or_else(|| str_field(&data, "status"));
    let payment_status = match raw.as_deref() {
        Some("succeeded") => PaymentStatus::Succeeded,
        Some("failed" | "canceled") => PaymentStatus::Failed,
        Some("pending" | "processing" | "skipped") => PaymentStatus::Pending,
        other => return Err(undecodable("checkout completion", format!("unknown payment_status {other:?}"))),
    };
    let payment_error = (payment_status == PaymentStatus::Failed).then(|| PaymentError {
        code: str_field(&data, "payment_error_code"),
        message: str_field(&data, "payment_error_description"),
        decline_code: str_field(&data["payment_response"]["error"], "decline_code"),
    });
    let checkout = &data["checkout"];
    Ok(Completion {
        provider: PROVIDER,
        checkout_id: str_field(&data, "checkout_id").unwrap_or_else(|| checkout_id.to_owned()),
        id: str_field(&data, "id"),
        payment_status,
        payment_id: str_field(&data, "payment_id"),
        amount: minor_units(&checkout["payment_amount"])
            .or_else(|| minor_units(&data["payment_response"]["data"]["amount"])),
        currency: checkout.get("payment_currency").map(currency),
        payment_error,
        additional_transactions: data["additional_transactions"].as_array().cloned().unwrap_or_default(),
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

/// The body of `POST /v1/checkouts`: `amount`, `description`, `currency` when the caller
/// gave one, `origin_url`, and the unified `metadata` (with `client_reference_id`) as
/// `payment.metadata`; `provider_options` merged over it as is.
///
/// `currency` is not in the spec's request schema, but JustiFi documents the refusal
/// `checkout_invalid_currency` ("The currency parameter does not match the currency this
/// account is configured to process", `docs/description.md`) and an earlier justifi-node
/// `CreateCheckoutPayload` had `currency?: string`: sent, a mismatch is refused before any
/// checkout exists.
pub fn create_body(
    amount: u64,
    description: &str,
    currency: Option<&str>,
    origin_url: Option<&str>,
    mut metadata: Map<String, Value>,
    client_reference_id: Option<&str>,
    provider_options: Option<Map<String, Value>>,
) -> Value {
    let mut body = Map::new();
    body.insert("amount".into(), amount.into());
    body.insert("description".into(), description.into());
    if let Some(currency) = currency {
        body.insert("currency".into(), currency.into());
    }
    if let Some(origin) = origin_url {
        body.insert("origin_url".into(), origin.into());
    }
    if let Some(r) = client_reference_id {
        metadata.insert(CLIENT_REFERENCE_KEY.into(), r.into());
    }
    if !metadata.is_empty() {
        body.insert("payment".into(), serde_json::json!({ "metadata": metadata }));
    }
    body.extend(provider_options.unwrap_or_default());
    Value::Object(body)
}

/// A JustiFi event (`{id, event_name, data, ...}`, `docs/events.md`) → the normalized event:
/// `event_name` → `type`, `data.id` → `object_id`; the checkout and payment outcome for
/// `checkout.completed`, `checkout.completion.succeeded|failed` and `payment_intent.succeeded`.
pub fn event(body: Value) -> Result<WebhookEvent> {
    let kind = str_field(&body, "event_name").ok_or_else(|| signature("body is not a JustiFi event: no event_name"))?;
    let data = &body["data"];
    let (checkout_id, payment_status) = match kind.as_str() {
        "checkout.completed" => (str_field(data, "id"), Some("succeeded")),
        "checkout.completion.succeeded" => (str_field(data, "checkout_id"), Some("succeeded")),
        "checkout.completion.failed" => (str_field(data, "checkout_id"), Some("failed")),
        "payment_intent.succeeded" => (None, Some("succeeded")),
        _ => (str_field(data, "checkout_id"), None),
    };
    Ok(WebhookEvent {
        provider: PROVIDER,
        event_id: str_field(&body, "id"),
        object_id: str_field(data, "id"),
        checkout_id,
        payment_status: payment_status.map(str::to_owned),
        kind,
        data: body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;
    use serde_json::json;

    /// The real path: the answer's bytes, projected, with the raw object kept.
    fn decoded(v: Value) -> (Value, ProviderData) {
        let (view, raw) = envelope_data(v.to_string().as_bytes(), "test").unwrap();
        (view, ProviderData::Raw(raw))
    }

    fn checkout_of(v: Value) -> Result<Checkout> {
        let (view, raw) = decoded(v);
        checkout(view, raw)
    }

    fn completion_of(v: Value, checkout_id: &str, key: &str) -> Result<Completion> {
        let (view, raw) = decoded(v);
        completion(view, raw, checkout_id, key)
    }

    #[test]
    fn checkout_maps_statuses_and_times() {
        let c = checkout_of(json!({
            "id": "cho_1", "payment_amount": 1799, "payment_currency": "USD", "status": "created",
            "description": "One Chocolate Donut", "created_at": "2024-01-01T12:00:00Z",
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
        assert!(checkout_of(json!({"id": "cho_1", "payment_amount": 1, "status": "weird"})).is_err());
        assert!(checkout_of(json!({"payment_amount": 1, "status": "created"})).is_err());
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
            let (view, raw) = decoded(body);
            let pi = payment_intent(view, raw).unwrap();
            assert_eq!((pi.status, pi.payment_status), expected, "{status}");
        }
        let (view, raw) = decoded(json!({"id": "pi_1", "amount": 500, "status": "refunded"}));
        assert!(payment_intent(view, raw).unwrap_err().message.contains("unknown status"), "named, not defaulted");
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
        let enveloped = br#"{"id": "cho_1", "type": "checkout", "data": {"id": "cho_1", "other": [1, {"deep": true}]}, "page_info": null}"#;
        let (view, raw) = envelope_data(enveloped, "checkout").unwrap();
        assert_eq!(view, json!({"id": "cho_1"}), "the view holds only the fields read");
        assert_eq!(
            raw.get(),
            r#"{"id": "cho_1", "other": [1, {"deep": true}]}"#,
            "provider_data is the object verbatim"
        );
        let (view, raw) = envelope_data(br#"{"id": "pi_1", "amount": 5}"#, "x").unwrap();
        assert_eq!((view, raw.get()), (json!({"id": "pi_1", "amount": 5}), r#"{"id": "pi_1", "amount": 5}"#));
        assert_eq!(envelope_data(b"[1]", "x").unwrap_err().status, Status::Provider);
        assert_eq!(envelope_data(b"{\"data\": 1", "x").unwrap_err().status, Status::Provider);
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
        let body = create_body(
            1799,
            "One Chocolate Donut",
            None,
            Some("http://localhost:3000"),
            Map::new(),
            Some("c1"),
            json!({"payment_method_group_id": "pmg_1", "description": "override"}).as_object().cloned(),
        );
        assert_eq!(
            body,
            json!({"amount": 1799, "description": "override", "origin_url": "http://localhost:3000",
            "payment": {"metadata": {"client_reference_id": "c1"}}, "payment_method_group_id": "pmg_1"})
        );
    }
}
