//! Table tests of every provider's translators, without HTTP: each row builds a request from
//! a unified request and checks the wire request (method, path, headers, key, replay class,
//! body against the published fixture), then feeds a published answer (or one written with
//! the published field names) to the reader and checks the unified result.

use super::exchange::{Exchange, Failure, Next, Refusal, WireRequest, WireResponse};
use super::{from_config, Provider, RedirectPlan};
use crate::error::Status;
use crate::fields::Fields;
use crate::request::{CheckoutLookup, Complete, CreateCheckout, Redirect, RefundRequest};
use crate::response::{CheckoutPaymentStatus, CheckoutStatus, PaymentStatus, ProviderData, RefundStatus, Refunds};
use crate::transport::{Method, Replay};
use serde_json::{json, Value};

fn provider(config: Value) -> Box<dyn Provider> {
    let Value::Object(map) = config else { unreachable!("configs here are objects") };
    from_config(&mut Fields::new(map, Status::Config)).map(|(p, _)| p).unwrap()
}

fn justifi() -> Box<dyn Provider> {
    provider(json!({"provider": "justifi", "base_url": "https://api.justifi.example", "client_id": "id",
        "client_secret": "secret", "sub_account": "acc_1"}))
}

fn recharge() -> Box<dyn Provider> {
    provider(json!({"provider": "recharge", "base_url": "https://api.recharge.example", "api_token": "tok"}))
}

fn payfect() -> Box<dyn Provider> {
    provider(json!({"provider": "payfect", "base_url": "http://127.0.0.1:9", "api_key": "key"}))
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn request<T>(json: Value, parse: fn(Fields) -> crate::error::Result<T>) -> T {
    let Value::Object(map) = json else { unreachable!("requests here are objects") };
    parse(Fields::new(map, Status::InvalidRequest)).unwrap()
}

fn answer(status: u16, body: Value) -> WireResponse {
    WireResponse { status, request_id: None, retry_after: None, body: body.to_string().into_bytes() }
}

/// A wire request's method, path, headers, idempotency key and replay class.
type Line = (Method, String, Vec<(&'static str, String)>, Option<String>, Replay);

fn line(r: &WireRequest) -> Line {
    (r.method, r.path.join("/"), r.headers.clone(), r.idempotency_key.clone(), r.replay)
}

/// The result of reading a 2xx answer that ends the operation.
fn done<T>(exchange: Exchange<'_, T>, resp: WireResponse) -> T {
    match (exchange.read)(resp) {
        Ok(Next::Done(t)) => t,
        _ => panic!("the answer did not end the operation"),
    }
}

#[test]
fn justifi_create_get_and_complete() {
    let p = justifi();
    let req = request(
        json!({"amount": 1799, "description": "One Chocolate Donut", "origin_url": "https://shop.example",
            "client_reference_id": "cart_9", "metadata": {"order": "7"}}),
        CreateCheckout::parse,
    );
    let ex = p.create(req, Some("key-1")).unwrap();
    assert_eq!(
        line(&ex.request),
        (
            Method::Post,
            "v1/checkouts".into(),
            vec![("Sub-Account", "acc_1".into())],
            Some("key-1".into()),
            Replay::Safe
        )
    );
    assert_eq!(
        ex.request.json().unwrap(),
        json!({"amount": 1799, "description": "One Chocolate Donut", "origin_url": "https://shop.example",
            "payment": {"description": "One Chocolate Donut", "metadata": {"order": "7", "client_reference_id": "cart_9"}}})
    );
    let checkout = done(
        ex,
        answer(
            201,
            json!({"id": "cho_1", "type": "checkout", "page_info": null, "data": {"id": "cho_1", "status": "created",
                "payment_amount": 1799, "payment_currency": "USD", "created_at": "2024-01-01T12:00:00Z",
                "payment": {"metadata": {"order": "7", "client_reference_id": "cart_9"}}}}),
        ),
    );
    assert_eq!((checkout.id.as_str(), checkout.status, checkout.amount), ("cho_1", CheckoutStatus::Open, 1799));
    assert_eq!(checkout.client_reference_id.as_deref(), Some("cart_9"));

    let ex = p.get(CheckoutLookup::Checkout("cho_1".into())).unwrap();
    assert_eq!(
        line(&ex.request),
        (Method::Get, "v1/checkouts/cho_1".into(), vec![("Sub-Account", "acc_1".into())], None, Replay::Safe)
    );
    let read = done(
        ex,
        answer(
            200,
            json!({"id": "cho_1", "type": "checkout", "data": {"id": "cho_1", "status": "completed",
                "payment_amount": 1799, "successful_payment_id": "py_1",
                "completions": [{"id": "cc_1", "payment_status": "succeeded", "updated_at": "2024-01-01T12:00:00Z"}]}}),
        ),
    );
    assert_eq!(read.checkout.payment_status, CheckoutPaymentStatus::Paid);
    assert_eq!((read.completion_id.as_deref(), read.payment_id.as_deref()), (Some("cc_1"), Some("py_1")));

    let req = request(json!({"checkout_id": "cho_1", "payment_token": "pm_1"}), Complete::parse);
    let ex = p.complete(req, Some("key-2")).unwrap();
    assert_eq!(
        line(&ex.request),
        (Method::Post, "v1/checkouts/cho_1/complete".into(), vec![], Some("key-2".into()), Replay::Safe)
    );
    assert_eq!(ex.request.json().unwrap(), json!({"payment_token": "pm_1", "payment_mode": "ecom"}));
    let declined = (ex.declines.unwrap())(&answer(
        402,
        json!({"error": {"code": "card_declined", "message": "Your card was declined.", "decline_code": "generic_decline"}}),
    ))
    .unwrap();
    assert_eq!(declined.payment_status, PaymentStatus::Failed);
    assert_eq!(declined.payment_error.unwrap().decline_code.as_deref(), Some("generic_decline"));
}

#[test]
fn justifi_refusals_and_the_checkout_session_flow() {
    let p = justifi();
    let in_flight = p.refusal(&answer(409, json!({"error": {"code": "idempotency_request_in_progress"}})));
    assert!(in_flight.in_flight && in_flight.error.status == Status::Conflict && in_flight.error.retryable);
    let Refusal { error, in_flight } =
        p.refusal(&answer(400, json!({"error": {"code": "checkout_invalid_currency", "message": "no"}})));
    assert!(!in_flight);
    assert_eq!((error.status, error.message.as_str()), (Status::InvalidRequest, "currency: no"));

    let e =
        p.honours().create.check("justifi", "checkout_create", &["line_items", "line_items[].image_url"]).unwrap_err();
    assert!(e.message.starts_with("line_items[].image_url: justifi does not take it on checkout_create"));

    let req = request(
        json!({"amount": 900, "description": "Box", "success_url": "https://shop.example/ok",
            "cancel_url": "https://shop.example/cart", "idempotency_key": "pi-key"}),
        Redirect::parse,
    );
    let RedirectPlan::Created { exchange, key } = p.redirect(&req).unwrap() else { panic!("a session is created") };
    assert_eq!(key.as_deref(), Some("pi-key"));
    assert_eq!(exchange.request.path.join("/"), "v1/payment_intents");
    assert_eq!(exchange.request.json().unwrap(), json!({"amount": 900, "currency": "usd", "description": "Box"}));
    let Ok(Next::Send(session)) =
        (exchange.read)(answer(201, json!({"id": "pi_1", "amount": 900, "status": "requires_payment_method"})))
    else {
        panic!("the session follows the payment intent")
    };
    assert_eq!(session.request.path.join("/"), "v1/checkout_sessions");
    assert_eq!(
        session.request.json().unwrap(),
        json!({"payment_intent_id": "pi_1", "after_payment_url": "https://shop.example/ok",
            "back_url": "https://shop.example/cart"})
    );
    let url = done(session, answer(201, json!({"checkout_session_id": "cs_1"})));
    assert_eq!(url.url, "https://checkout.justifi.ai/r/cs_1");
    assert_eq!(url.idempotency_key.as_deref(), Some("pi-key"));
}

#[test]
fn recharge_create_and_charge_from_seed_002() {
    let p = recharge();
    let mut unified = fixture("seed_002_create.json");
    let item = &mut unified["line_items"][0];
    let seed_item = item.clone();
    *item = json!({"name": "Coffee", "unit_amount": 1250, "quantity": seed_item["quantity"],
        "product_id": seed_item["product_id"], "variant_id": seed_item["variant_id"],
        "subscription": {"interval_unit": "day", "interval_frequency": 5}});
    let ex = p.create(request(unified, CreateCheckout::parse), None).unwrap();
    assert_eq!(line(&ex.request), (Method::Post, "checkouts".into(), vec![], None, Replay::OnlyIfUnsent));
    let sent = ex.request.json().unwrap();
    for field in ["product_id", "variant_id", "quantity", "order_interval_unit", "order_interval_frequency"] {
        assert_eq!(sent["line_items"][0][field], seed_item[field], "{field} as seed 002 sends it");
    }
    let checkout = done(
        ex,
        answer(
            201,
            json!({"checkout": {"token": "tok_1", "total_price": "75.00", "currency": "USD", "completed_at": null}}),
        ),
    );
    assert_eq!(
        (checkout.amount, checkout.redirect_url.as_deref()),
        (7500, Some("https://checkout.rechargeapps.com/r/checkout/tok_1"))
    );

    let charge = fixture("seed_002_charge.json");
    let req = request(json!({"checkout_id": "tok_1", "payment_token": charge["payment_token"]}), Complete::parse);
    let ex = p.complete(req, None).unwrap();
    assert_eq!(line(&ex.request), (Method::Post, "checkouts/tok_1/charge".into(), vec![], None, Replay::OnlyIfUnsent));
    assert_eq!(ex.request.json().unwrap(), charge, "the charge body is seed 002's");
    let body = fixture("recharge_checkout_charge.json");
    let Ok(Next::ReadCheckout(id, judge)) = (ex.read)(answer(200, body)) else { panic!("the checkout is read after") };
    assert_eq!(id, "tok_1");
    let unread = judge(None);
    assert_eq!((unread.payment_status, unread.payment_id.as_deref()), (PaymentStatus::Succeeded, Some("512345678")));
}

#[test]
fn recharge_declines_and_refusals() {
    let p = recharge();
    let req = request(json!({"checkout_id": "tok_1", "payment_token": "tok_chargeDeclined"}), Complete::parse);
    let ex = p.complete(req, None).unwrap();
    let declined = (ex.declines.unwrap())(&answer(422, json!({"errors": "Your card was declined."}))).unwrap();
    assert_eq!(declined.payment_status, PaymentStatus::Failed);
    let processed = p.refusal(&answer(422, json!({"errors": "Checkout has already been processed"})));
    assert_eq!((processed.error.status, processed.in_flight), (Status::Conflict, false));
    assert!(p.refusal(&answer(409, json!({"errors": "A call to this route is already in progress."}))).in_flight);
    let e = p.honours().complete.as_ref().unwrap().check("recharge", "checkout_complete", &["idempotency_key"]);
    assert!(e.unwrap_err().message.contains("it has no idempotency keys"));
}

#[test]
fn payfect_create_from_seed_004() {
    let p = payfect();
    let seed = fixture("seed_004_create.json");
    let item = &seed["invoice_items"][0];
    let unified = json!({"currency": seed["currency"], "client_reference_id": seed["client_reference_id"],
        "success_url": seed["success_url"], "cancel_url": seed["cancel_url"], "callback_url": seed["callback_url"],
        "line_items": [{"name": item["price_data"]["product_data"]["name"],
            "description": item["price_data"]["product_data"]["description"],
            "image_url": item["price_data"]["product_data"]["images"][0], "unit_amount": 2050,
            "quantity": item["quantity"]}],
        "provider_options": {"payment_method_data": seed["payment_method_data"]}});
    let ex = p.create(request(unified, CreateCheckout::parse), None).unwrap();
    assert_eq!(line(&ex.request), (Method::Post, "api/v1/checkouts/".into(), vec![], None, Replay::OnlyIfUnsent));
    let mut expected = seed.clone();
    // The seed writes 20.5; the library writes usdt's two places: the same decimal.
    expected["invoice_items"][0]["price_data"]["unit_amount"] = json!("20.50");
    assert_eq!(ex.request.json().unwrap(), expected, "the body is seed 004's");
    let checkout = done(ex, answer(201, fixture("seed_004_checkout.json")));
    assert_eq!(checkout.status, CheckoutStatus::Open);
    assert!(p.complete(request(json!({"checkout_id": "c", "payment_token": "t"}), Complete::parse), None).is_err());
    let RedirectPlan::CheckoutPage(id) = p.redirect(&request(json!({"checkout_id": "c_1"}), Redirect::parse)).unwrap()
    else {
        panic!("Payfect's page is the checkout's own")
    };
    assert_eq!(id, "c_1");
}

/// A paid payment's refund state, as `checkout_refunds` reads it.
fn paid_state(provider: &'static str, payment_id: &str, paid: u64, refunded: u64) -> Refunds {
    Refunds {
        provider,
        checkout_id: "c_1".into(),
        payment_id: Some(payment_id.into()),
        currency: "usd".into(),
        amount_paid: paid,
        amount_refunded: refunded,
        amount_refundable: paid - refunded,
        refunds: Vec::new(),
        provider_data: ProviderData::Parsed(Value::Null),
    }
}

#[test]
fn justifi_refunds_read_the_payment_then_refund_the_checkout_under_the_key() {
    let p = justifi();
    let ex = p.refunds("c_1".into()).unwrap();
    assert_eq!(line(&ex.request).1, "v1/checkouts/c_1");
    let Ok(Next::Send(payment)) = (ex.read)(answer(
        200,
        json!({"id": "c_1", "type": "checkout", "data": {"id": "c_1", "status": "completed", "payment_amount": 1799,
            "successful_payment_id": "py_1"}}),
    )) else {
        panic!("the payment is read next")
    };
    assert_eq!(line(&payment.request), (Method::Get, "v1/payments/py_1".into(), vec![], None, Replay::Safe));
    let state = done(
        payment,
        answer(
            200,
            json!({"id": "py_1", "type": "payment", "data": {"id": "py_1", "amount": 1799, "amount_refunded": 500,
                "amount_refundable": 1299, "currency": "usd",
                "refunds": [{"id": "re_1", "amount": 500, "status": "succeeded"}, {"id": "re_x"}]}}),
        ),
    );
    assert_eq!((state.amount_paid, state.amount_refunded, state.amount_refundable), (1799, 500, 1299));
    assert_eq!(state.refunds.len(), 1, "an entry without amount or status is left out of the list");

    let req = request(json!({"checkout_id": "c_1", "amount": 700}), RefundRequest::parse);
    let ex = p.refund(req, &state, 700, Some("key-r")).unwrap();
    assert_eq!(
        line(&ex.request),
        (Method::Post, "v1/checkouts/c_1/refunds".into(), vec![], Some("key-r".into()), Replay::Safe)
    );
    assert_eq!(ex.request.json().unwrap(), json!({"amount": 700}), "RefundCheckout: amount (and currency)");
    let refund = done(
        ex,
        answer(
            200,
            json!({"id": "chr_1", "type": "checkout_refund", "data": {"id": "chr_1", "checkout_id": "c_1",
                "status": "failed", "refund_response": "invalid_amount", "refund_amount": 700}}),
        ),
    );
    assert_eq!((refund.status, refund.payment_id.as_deref()), (RefundStatus::Failed, Some("py_1")));
    assert_eq!(refund.refund_error.unwrap().message.as_deref(), Some("invalid_amount"));
}

#[test]
fn recharge_refunds_the_charge_once_in_the_sdk_body() {
    let p = recharge();
    // ChemicalLuck `recharge/api/v2/charges.py` `ChargeRefundBody`: `amount` a decimal string,
    // `full_refund` optional.
    let state = paid_state("recharge", "512345678", 7500, 0);
    let req = request(json!({"checkout_id": "c_1"}), RefundRequest::parse);
    let ex = p.refund(req, &state, 7500, None).unwrap();
    assert_eq!(
        line(&ex.request),
        (Method::Post, "charges/512345678/refund".into(), vec![], None, Replay::OnlyIfUnsent)
    );
    assert_eq!(ex.request.json().unwrap(), json!({"amount": "75.00", "full_refund": true}));
    let part = paid_state("recharge", "512345678", 7500, 1250);
    let ex = p.refund(request(json!({"checkout_id": "c_1"}), RefundRequest::parse), &part, 1250, None).unwrap();
    assert_eq!(ex.request.json().unwrap(), json!({"amount": "12.50"}), "a partial refund is no full_refund");
    let refund = done(
        ex,
        answer(
            200,
            json!({"charge": {"id": 512345678, "status": "PARTIALLY_REFUNDED", "total_price": "75.00",
                "total_refunds": "25.00", "currency": "USD"}}),
        ),
    );
    assert_eq!((refund.status, refund.amount, refund.idempotency_key), (RefundStatus::Succeeded, 1250, None));
    assert!(payfect().refund(request(json!({"checkout_id": "c_1"}), RefundRequest::parse), &part, 1, None).is_err());
}

#[test]
fn a_recharge_refund_answer_is_read_in_the_checkouts_currency_and_about_its_own_charge() {
    let p = recharge();
    // A 2021-01 charge names no currency (ChemicalLuck `model/v1/charge.py`): a yen store's
    // totals are yen, not dollars.
    let mut state = paid_state("recharge", "512345678", 5000, 1000);
    state.currency = "jpy".into();
    let req = || request(json!({"checkout_id": "c_1"}), RefundRequest::parse);
    let ex = p.refund(req(), &state, 500, None).unwrap();
    assert_eq!(ex.request.json().unwrap(), json!({"amount": "500"}));
    let stale = json!({"charge": {"id": 512345678, "status": "PARTIALLY_REFUNDED", "total_price": "5000",
        "total_refunds": "1000"}});
    let refund = done(ex, answer(200, stale));
    assert_eq!((refund.status, refund.currency.as_str()), (RefundStatus::Pending, "jpy"), "not yet refunded");

    let ex = p.refund(req(), &state, 500, None).unwrap();
    let other = json!({"charge": {"id": 999, "total_price": "5000", "total_refunds": "1500"}});
    assert!(matches!((ex.read)(answer(200, other)), Err(Failure::Fault(_))), "a 2xx about another charge is a fault");
}

#[test]
fn justifi_refund_in_progress_is_a_retryable_conflict_not_an_unknown_outcome() {
    let r = justifi().refusal(&answer(
        409,
        json!({"error": {"code": "refund_in_progress", "message": "A refund for this payment is already in progress"}}),
    ));
    assert_eq!((r.error.status, r.error.retryable, r.in_flight), (Status::Conflict, true, false));
}
