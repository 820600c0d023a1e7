//! JustiFi's refunds and voids, as its OpenAPI spec (`tests/fixtures/justifi-spec/justifi-openapi.yaml`,
//! "the spec" below, with its line numbers) and docs describe them:
//! - `POST /v1/checkouts/{id}/refunds` (`RefundCheckout`, spec l. 6191): `Idempotency-Key`
//!   required; body `{amount?, currency?}` ("If missing, the total amount will be used") →
//!   `200` envelope of a `CheckoutRefund` (`chr_...`, l. 10216).
//! - `POST /v1/payments/{id}/refunds` (`CreateRefund`, l. 3093): `Idempotency-Key` required;
//!   body `{amount?, description?, reason?, metadata?}` → `201` envelope of a `Refund` (`re_...`,
//!   l. 8329). The only route that takes a `reason` or `metadata`.
//! - `GET /v1/refunds` (`ListRefunds`, l. 3817: no filter but `Sub-Account`), `GET
//!   /v1/refunds/{id}` (`GetRefund`, l. 3841), `PATCH /v1/refunds/{id}` (`UpdateRefund`: the
//!   metadata, `Idempotency-Key` required).
//! - `GET /v1/payments/{id}` (`GetPayment`, l. 2511): the `CardPayment` with
//!   `amount_refunded`, `amount_refundable`, `refunded` and `refunds`.
//! - `POST /v1/payments/{id}/void` (`VoidPayment`, l. 3158): "voidable within 25 minutes of the
//!   original transaction. Only payments created with a card payment_method" → `200` envelope of
//!   the payment, `status: canceled`.
//!
//! A checkout refund refunds the checkout's `successful_payment_id`: it makes a `Refund` of
//! that payment (what the payment's `refunds` and the refund lists show) and answers the
//! `CheckoutRefund`. How JustiFi links the two is unpublished (`CheckoutRefund` names no
//! refund); the sandbox's ledger lists both ids.
//!
//! Error codes are those of the spec's error table (`info.description`, "Error Codes",
//! l. 312-375; docs `description.md` l. 684-825): `payment_fully_refunded`,
//! `refund_exceeds_payment_amount`, `refund_exceeds_amount_available`, `refund_reason_invalid`,
//! `payment_outside_void_window`, `amount_must_be_an_integer`, `amount_too_small`,
//! `unexpected_parameter`. No source gives their HTTP status: the sandbox answers 422, the
//! spec's "Unprocessable Entity" ("the request was well-formed, but was unable to be processed
//! due to semantic errors"). Where no code fits (refunding an unpaid checkout or a voided
//! payment, voiding twice or a bank payment) the refusal is a 422 without a code, as the rest
//! of the sandbox answers. `refund_in_progress` ("A refund for this payment is already in
//! progress", l. 354) answers a refund of a payment while another is in flight
//! (`SandboxConfig::refund_delay`), with 409, the spec's "Concurrent Request Error". Not
//! modelled: `payment_outside_refund_window` (no window is published), `refund_error`, and a
//! `CheckoutRefund` with `status: failed` and its `refund_response` (the spec's only answer
//! is 200, and no source says what makes a refund fail).
//!
//! Events (spec `x-webhooks.refunds`, l. 6685: "payment.refunded, payment.refund.updated", data
//! a `Refund`; docs *Events*): `payment.refunded` for each refund made, `payment.refund.updated`
//! when `UpdateRefund` changes one; a void sends `payment.canceled` with the payment (spec
//! `x-webhooks.payments`). Each carries the request's `Idempotency-Key` in `idempotency_key`.

use crate::justifi::{
    api_only, authenticate, body_object, emit_keyed_event, error_body, idempotency_key, idempotent, idempotent_with,
    page, sub_account, uncoded_body, validation,
};
use crate::state::{envelope, error, new_id, now, reply, App, Inner, Refund, Refusal};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

type Shared = State<Arc<App>>;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/v1/checkouts/{id}/refunds", post(refund_checkout))
        .route("/v1/payments/{id}", get(get_payment))
        .route("/v1/payments/{id}/refunds", post(refund_payment))
        .route("/v1/payments/{id}/void", post(void_payment))
        .route("/v1/refunds", get(list_refunds))
        .route("/v1/refunds/{id}", get(get_refund).patch(update_refund))
}

/// Spec `VoidPayment`: "Payment transactions are voidable within 25 minutes of the original
/// transaction."
const VOID_WINDOW: Duration = Duration::from_secs(25 * 60);

/// Spec `Refund.reason` (and `CreateRefund`'s body): the reasons `refund_reason_invalid`'s
/// "%{Refund::REASONS}" stands for. justifi-node 0.4.0 (`dist/lib/internal/refund.d.ts`
/// `RefundReason`) spells the second `fradulent`: the sandbox follows the spec.
const REASONS: [&str; 3] = ["duplicate", "fraudulent", "customer_request"];

/// A refusal as an answer `(status, body)`, for use inside an idempotent `process`.
type Refused = (StatusCode, Value);

fn coded(code: &str, message: &str) -> Refused {
    (StatusCode::UNPROCESSABLE_ENTITY, error_body(code, message))
}

fn refused(message: &str) -> Refused {
    (StatusCode::UNPROCESSABLE_ENTITY, uncoded_body(message))
}

fn not_found(what: &str, id: &str) -> Refused {
    (StatusCode::NOT_FOUND, error_body("resource_not_found", &format!("{what} {id} not found")))
}

/// The request body: a JSON object, or nothing (`RefundCheckout`'s body is "required: false";
/// `VoidPayment` has none); only `allowed` fields, any other refused with the table's
/// `unexpected_parameter` ("Unexpected parameter for this request"). The spec names no other;
/// the docs' `fees` (*Fees*, `description.md` l. 1099) is refused too: the sandbox models no fees.
fn fields(body: &Bytes, allowed: &[&str]) -> Result<Map<String, Value>, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let body = body_object(body)?;
    if let Some(field) = body.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unexpected_parameter",
            format!("Unexpected parameter for this request: {field}"),
        ));
    }
    Ok(body)
}

/// `amount` in cents when given: an integer (`amount_must_be_an_integer`) of at least 1
/// (`amount_too_small`; no minimum is published for a refund).
fn refund_amount(body: &Map<String, Value>) -> Result<Option<u64>, Refusal> {
    match body.get("amount") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match (v.as_u64(), v.as_i64()) {
            (Some(a), _) if a >= 1 => Ok(Some(a)),
            (Some(_), _) | (None, Some(_)) => Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "amount_too_small",
                "The specified amount is less than the minimum amount allowed. Use a higher amount and try again.",
            )),
            (None, None) => {
                Err(error(StatusCode::UNPROCESSABLE_ENTITY, "amount_must_be_an_integer", "Amount must be an integer"))
            }
        },
    }
}

/// Starts a refund of payment `py` (once its key is fresh): `refund_in_progress` while another
/// refund of it is in flight, else it is in flight for `delay`.
fn begin_refund(inner: &mut Inner, py: Option<&str>, delay: Duration) -> Option<Refused> {
    let now = inner.now();
    let payment = inner.payments.get_mut(py?)?;
    if payment.refund_busy_until.is_some_and(|until| now < until) {
        let body = error_body("refund_in_progress", "A refund for this payment is already in progress");
        return Some((StatusCode::CONFLICT, body));
    }
    if !delay.is_zero() {
        payment.refund_busy_until = Some(now + delay);
    }
    None
}

/// Ends the refund [`begin_refund`] started.
fn end_refund(inner: &mut Inner, py: &str) {
    if let Some(payment) = inner.payments.get_mut(py) {
        payment.refund_busy_until = None;
    }
}

/// What a refund records besides its amount.
struct Details {
    description: Option<String>,
    reason: Option<String>,
    metadata: Value,
    key: String,
    checkout_refund_id: Option<String>,
}

/// Refunds `amount` (`None`: the payment's whole amount, `RefundCheckout`'s published default,
/// which `CreateRefund` leaves unsaid) of JustiFi payment `py`: the refund's id, or the refusal.
/// `refund_exceeds_payment_amount` beyond the payment's amount, `refund_exceeds_amount_available`
/// beyond its `amount_refundable` ("must be less than or equal to the `amount_refundable` on the
/// payment", `CreateRefund`), `payment_fully_refunded` when nothing is left.
fn refund(
    inner: &mut Inner,
    py: &str,
    account: Option<&str>,
    amount: Option<u64>,
    d: Details,
) -> Result<String, Refused> {
    let Some((payment, payment_account)) = inner.justifi_payment(py).filter(|(_, a)| account.is_none_or(|x| x == *a))
    else {
        return Err(not_found("payment", py));
    };
    if payment.canceled {
        return Err(refused(&format!("payment {py} has been voided: there is nothing to refund")));
    }
    let refundable = payment.amount - payment.amount_refunded.min(payment.amount);
    if refundable == 0 {
        return Err(coded(
            "payment_fully_refunded",
            "The refund cannot be processed because the associated payment is fully refunded",
        ));
    }
    let amount = amount.unwrap_or(payment.amount);
    if amount > payment.amount {
        return Err(coded(
            "refund_exceeds_payment_amount",
            "The refund cannot be processed because the refund amount exceeds the associated payment amount",
        ));
    }
    if amount > refundable {
        return Err(coded(
            "refund_exceeds_amount_available",
            "The refund cannot be processed because the refund amount exceeds the available funds",
        ));
    }
    let account = payment_account.to_owned();
    let created_at = now();
    let refund = Refund {
        id: new_id("re_"),
        payment_id: py.to_owned(),
        account_id: account.clone(),
        amount,
        description: d.description,
        reason: d.reason,
        metadata: d.metadata,
        status: "succeeded",
        updated_at: created_at.clone(),
        created_at: created_at.clone(),
        checkout_refund_id: d.checkout_refund_id,
        idempotency_key: d.key.clone(),
    };
    let (id, data) = (refund.id.clone(), refund.to_json());
    let payment = inner.payments.get_mut(py).expect("found above");
    payment.amount_refunded += amount;
    payment.refund_ids.push(id.clone());
    payment.updated_at = created_at;
    inner.refunds.insert(id.clone(), refund);
    inner.refunds_made += 1;
    emit_keyed_event(inner, &account, "payment.refunded", data, Some(&d.key));
    Ok(id)
}

/// `POST /v1/checkouts/{id}/refunds` → `200` `{"id": "chr_...", "type": "checkout_refund",
/// "data": CheckoutRefund, "page_info": null}`. The envelope's `type` is the docs' (*Fees*,
/// `description.md` l. 1118, "checkout_refund"); the spec's example says `checkout_completion`,
/// the completion's, copied. A checkout that is not `completed` has nothing to refund (422, no
/// published code).
async fn refund_checkout(
    State(app): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let caller = authenticate(&app, &headers)?;
    api_only(&caller)?;
    let account = sub_account(&app, &headers, false)?;
    let key = idempotency_key(&headers, true)?.unwrap_or_default();
    let body = fields(&body, &["amount", "currency"])?;
    let amount = refund_amount(&body)?;
    // "Currency used with the Checkout. If missing, the checkout currency will be used": the
    // sandbox's checkouts are USD; the table's code for another currency.
    if let Some(currency) = body.get("currency").filter(|c| !c.is_null()) {
        if !currency.as_str().is_some_and(|c| c.eq_ignore_ascii_case("usd")) {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "checkout_invalid_currency",
                "The currency parameter does not match the currency this account is configured to process.",
            ));
        }
    }
    let fingerprint = format!("POST /v1/checkouts/{id}/refunds {}", Value::Object(body));
    let client = caller.client_id().to_owned();
    let delay = app.config.refund_delay;
    let start = |inner: &mut Inner| {
        let py = inner
            .checkout_mut(&id)
            .filter(|c| c.status == "completed" && account.as_ref().is_none_or(|a| *a == c.account_id))
            .and_then(|c| c.successful_payment_id.clone());
        begin_refund(inner, py.as_deref(), delay)
    };
    let response = idempotent_with(&app, &client, &key, fingerprint, delay, start, |inner| {
        let Some(checkout) = inner.checkout_mut(&id).filter(|c| account.as_ref().is_none_or(|a| *a == c.account_id))
        else {
            return not_found("checkout", &id);
        };
        let Some(py) = checkout.successful_payment_id.clone().filter(|_| checkout.status == "completed") else {
            return refused(&format!("checkout {id} has not been paid: there is nothing to refund"));
        };
        let chr = new_id("chr_");
        let details = Details {
            description: None,
            reason: None,
            metadata: json!({}),
            key: key.clone(),
            checkout_refund_id: Some(chr.clone()),
        };
        let outcome = refund(inner, &py, None, amount, details);
        end_refund(inner, &py);
        match outcome {
            Err(refusal) => refusal,
            Ok(re) => {
                let r = inner.refunds.get(&re).expect("just made");
                // Spec `CheckoutRefund`: `refund_response` is "when refund succeeded additional
                // refund info (or null)".
                let data = json!({"id": chr, "checkout_id": id, "status": "succeeded", "refund_response": null,
                    "refund_amount": r.amount, "created_at": r.created_at, "updated_at": r.updated_at});
                (StatusCode::OK, envelope("checkout_refund", data))
            }
        }
    })
    .await;
    crate::webhooks::flush(&app);
    Ok(response)
}

/// `POST /v1/payments/{id}/refunds` → `201` envelope (`type: "refund"`) of the `Refund`.
async fn refund_payment(
    State(app): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let caller = authenticate(&app, &headers)?;
    api_only(&caller)?;
    let account = sub_account(&app, &headers, false)?;
    let key = idempotency_key(&headers, true)?.unwrap_or_default();
    let body = fields(&body, &["amount", "description", "reason", "metadata"])?;
    let amount = refund_amount(&body)?;
    let reason = match body.get("reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(r)) if REASONS.contains(&r.as_str()) => Some(r.clone()),
        Some(_) => {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "refund_reason_invalid",
                format!("Refund reason must be one of the following: {}", REASONS.join(", ")),
            ))
        }
    };
    let description = match body.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) => Some(d.clone()),
        Some(_) => return Err(validation("description must be a string")),
    };
    let metadata = match body.get("metadata") {
        None | Some(Value::Null) => json!({}),
        Some(m @ Value::Object(_)) => m.clone(),
        Some(_) => return Err(validation("metadata must be an object")),
    };
    let fingerprint = format!("POST /v1/payments/{id}/refunds {}", Value::Object(body));
    let client = caller.client_id().to_owned();
    let delay = app.config.refund_delay;
    let start = |inner: &mut Inner| begin_refund(inner, Some(&id), delay);
    let response = idempotent_with(&app, &client, &key, fingerprint, delay, start, |inner| {
        let details = Details { description, reason, metadata, key: key.clone(), checkout_refund_id: None };
        let outcome = refund(inner, &id, account.as_deref(), amount, details);
        end_refund(inner, &id);
        match outcome {
            Err(refusal) => refusal,
            Ok(re) => {
                let data = inner.refunds.get(&re).expect("just made").to_json();
                (StatusCode::CREATED, envelope("refund", data))
            }
        }
    })
    .await;
    crate::webhooks::flush(&app);
    Ok(response)
}

/// `GET /v1/payments/{id}` → `200` envelope (`type: "payment"`) of the `CardPayment`.
async fn get_payment(State(app): Shared, headers: HeaderMap, Path(id): Path<String>) -> Result<Response, Refusal> {
    let caller = authenticate(&app, &headers)?;
    api_only(&caller)?;
    let account = sub_account(&app, &headers, false)?;
    let inner = app.lock();
    let known = inner.justifi_payment(&id).is_some_and(|(_, a)| account.as_deref().is_none_or(|x| x == a));
    match inner.payment_json(&id).filter(|_| known) {
        Some(data) => Ok(reply(StatusCode::OK, envelope("payment", data))),
        None => {
            let (status, body) = not_found("payment", &id);
            Err(Refusal { status, body })
        }
    }
}

/// `POST /v1/payments/{id}/void` → `200` envelope of the payment, `status: canceled`. Past the
/// 25 minutes, or once refunded (a refund has already reversed part of it: the sandbox's
/// choice, no source covers it), the table's `payment_outside_void_window` ("Try a refund
/// instead").
async fn void_payment(
    State(app): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let caller = authenticate(&app, &headers)?;
    api_only(&caller)?;
    let account = sub_account(&app, &headers, false)?;
    let key = idempotency_key(&headers, true)?.unwrap_or_default();
    fields(&body, &[])?;
    let fingerprint = format!("POST /v1/payments/{id}/void");
    let client = caller.client_id().to_owned();
    let response = idempotent(&app, &client, &key, fingerprint, Duration::ZERO, |inner| {
        let at = inner.now();
        let Some((payment, payment_account)) =
            inner.justifi_payment(&id).filter(|(_, a)| account.as_deref().is_none_or(|x| x == *a))
        else {
            return not_found("payment", &id);
        };
        if payment.canceled {
            return refused(&format!("payment {id} has already been voided"));
        }
        if payment.bank {
            return refused("Only payments created with a card payment_method are eligible to be voided");
        }
        if payment.amount_refunded > 0 || at.duration_since(payment.made) >= VOID_WINDOW {
            return coded(
                "payment_outside_void_window",
                "The void cannot be processed because the associated payment is outside the void window. Try a refund instead.",
            );
        }
        let account = payment_account.to_owned();
        let payment = inner.payments.get_mut(&id).expect("found above");
        payment.canceled = true;
        payment.updated_at = now();
        inner.voids_made += 1;
        let data = inner.payment_json(&id).expect("found above");
        emit_keyed_event(inner, &account, "payment.canceled", data.clone(), Some(&key));
        (StatusCode::OK, envelope("payment", data))
    })
    .await;
    crate::webhooks::flush(&app);
    Ok(response)
}

/// `GET /v1/refunds?limit&after_cursor&before_cursor` → the list envelope, newest first; with
/// `Sub-Account`, that account's only.
async fn list_refunds(
    State(app): Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, Refusal> {
    let caller = authenticate(&app, &headers)?;
    api_only(&caller)?;
    let account = sub_account(&app, &headers, false)?;
    let inner = app.lock();
    let all: Vec<&Refund> = inner
        .refunds
        .iter()
        .map(|(_, r)| r)
        .rev()
        .filter(|r| account.as_ref().is_none_or(|a| *a == r.account_id))
        .collect();
    Ok(reply(StatusCode::OK, page(&all, |r| &r.id, |r| r.to_json(), &q)?))
}

/// `GET /v1/refunds/{id}` → `200` envelope (`type: "refund"`) of the `Refund`.
async fn get_refund(State(app): Shared, headers: HeaderMap, Path(id): Path<String>) -> Result<Response, Refusal> {
    let caller = authenticate(&app, &headers)?;
    api_only(&caller)?;
    let account = sub_account(&app, &headers, false)?;
    let inner = app.lock();
    match inner.refunds.get(&id).filter(|r| account.as_ref().is_none_or(|a| *a == r.account_id)) {
        Some(r) => Ok(reply(StatusCode::OK, envelope("refund", r.to_json()))),
        None => {
            let (status, body) = not_found("refund", &id);
            Err(Refusal { status, body })
        }
    }
}

/// `PATCH /v1/refunds/{id}` `{"metadata": {...}}` ("when you update metadata, any previous
/// metadata will be overwritten") → `200` envelope of the `Refund`, and `payment.refund.updated`.
async fn update_refund(
    State(app): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Refusal> {
    let caller = authenticate(&app, &headers)?;
    api_only(&caller)?;
    let account = sub_account(&app, &headers, false)?;
    let key = idempotency_key(&headers, true)?.unwrap_or_default();
    let body = fields(&body, &["metadata"])?;
    let metadata = match body.get("metadata") {
        Some(m @ Value::Object(_)) => m.clone(),
        None | Some(Value::Null) => {
            return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "parameter_missing", "metadata can't be blank"))
        }
        Some(_) => return Err(validation("metadata must be an object")),
    };
    let fingerprint = format!("PATCH /v1/refunds/{id} {}", Value::Object(body));
    let client = caller.client_id().to_owned();
    let response = idempotent(&app, &client, &key, fingerprint, Duration::ZERO, |inner| {
        let Some(r) = inner.refunds.get_mut(&id).filter(|r| account.as_ref().is_none_or(|a| *a == r.account_id)) else {
            return not_found("refund", &id);
        };
        r.metadata = metadata;
        r.updated_at = now();
        let (account, data) = (r.account_id.clone(), r.to_json());
        emit_keyed_event(inner, &account, "payment.refund.updated", data.clone(), Some(&key));
        (StatusCode::OK, envelope("refund", data))
    })
    .await;
    crate::webhooks::flush(&app);
    Ok(response)
}
