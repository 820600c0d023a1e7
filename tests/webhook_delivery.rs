//! The sandbox delivers signed events after payments, and the library verifies every one
//! of them: JustiFi completions and session payments, ReCharge charges, Payfect callbacks.

mod common;

use common::host::Op;
use common::{
    config, ledger, lib, payfect_config, recharge_config, sandbox, set_webhook, tokenize, Captured, Receiver,
};
use serde_json::{json, Value};

fn verify(client: &common::host::HostClient, delivery: &Captured) -> Value {
    client.verify(&Value::Object(delivery.headers.clone()), &delivery.body).unwrap_or_else(|(c, e)| panic!("{c}: {e}"))
}

#[test]
fn justifi_events_after_a_completion_and_a_session_payment_verify() {
    let s = sandbox();
    let receiver = Receiver::start(1);
    set_webhook(&s, "justifi", &receiver.url, "sigk_sandbox");
    let mut cfg = config(&s.base_url());
    cfg["webhook_secrets"] = json!(["sigk_sandbox"]);
    let client = lib().client(&cfg).unwrap();

    let id = client.call(Op::Create, &json!({"amount": 1799, "description": "One Chocolate Donut"})).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    client.call(Op::Complete, &json!({"checkout_id": id, "payment_token": tokenize(&s, "4242424242424242")})).unwrap();
    let deliveries = receiver.wait_for(3);
    let events: Vec<Value> = deliveries.iter().map(|d| verify(&client, d)).collect();
    let mut types: Vec<(&str, &str)> =
        events.iter().map(|e| (e["provider_type"].as_str().unwrap(), e["type"].as_str().unwrap())).collect();
    types.sort_unstable();
    types.dedup();
    assert_eq!(
        types,
        [("checkout.completed", "checkout.completed"), ("checkout.completion.succeeded", "payment.succeeded")],
        "the retried delivery is the same event: {types:?}"
    );
    for e in &events {
        assert_eq!((e["checkout_id"].as_str(), e["payment_status"].as_str()), (Some(id.as_str()), Some("succeeded")));
        assert!(e["event_id"].as_str().unwrap().starts_with("evt_"));
    }
    let first =
        ledger(&s)["webhook_deliveries"].as_array().unwrap().iter().map(|d| d["attempts"].as_u64().unwrap()).max();
    assert_eq!(first, Some(2), "the delivery answered 500 was retried");

    let session =
        client.call(Op::RedirectUrl, &json!({"amount": 500, "success_url": "http://127.0.0.1:1/ok"})).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().max_redirects(0).http_status_as_error(false).build().into();
    agent.post(session["url"].as_str().unwrap()).send_form([("card_number", "4242424242424242")]).unwrap();
    let deliveries = receiver.wait_for(4);
    let event = verify(&client, deliveries.last().unwrap());
    assert_eq!(
        (event["type"].as_str(), event["provider_type"].as_str()),
        (Some("payment.succeeded"), Some("payment_intent.succeeded"))
    );
    assert_eq!(event["object_id"], session["payment_intent_id"]);

    // The hosted checkout page pays through a completion too: the same two events; a declined
    // card, a failed payment.
    let paid_there = client.call(Op::Create, &json!({"amount": 500, "description": "Donut"})).unwrap();
    let page = client.call(Op::RedirectUrl, &json!({"checkout_id": paid_there["id"]})).unwrap();
    agent.post(page["url"].as_str().unwrap()).send_form([("card_number", "4242424242424242")]).unwrap();
    let declined = client.call(Op::Create, &json!({"amount": 500, "description": "Donut"})).unwrap();
    client
        .call(Op::Complete, &json!({"checkout_id": declined["id"], "payment_token": "pm_test_card_declined"}))
        .unwrap();
    let events: Vec<Value> = receiver.wait_for(7)[4..].iter().map(|d| verify(&client, d)).collect();
    let mut seen: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| {
            (e["checkout_id"].as_str().unwrap(), e["provider_type"].as_str().unwrap(), e["type"].as_str().unwrap())
        })
        .collect();
    seen.sort_unstable();
    let (paid, failed) = (paid_there["id"].as_str().unwrap(), declined["id"].as_str().unwrap());
    let mut expected = vec![
        (paid, "checkout.completed", "checkout.completed"),
        (paid, "checkout.completion.succeeded", "payment.succeeded"),
        (failed, "checkout.completion.failed", "payment.failed"),
    ];
    expected.sort_unstable();
    assert_eq!(seen, expected);
}

#[test]
fn recharge_and_payfect_deliveries_verify() {
    let s = sandbox();
    let receiver = Receiver::start(0);
    set_webhook(&s, "recharge", &receiver.url, "recharge-client-secret");
    let fernet_key = fernet::Fernet::generate_key();
    set_webhook(&s, "payfect", &receiver.url, &fernet_key);

    let mut cfg = recharge_config(&s.base_url());
    cfg["webhook_secrets"] = json!(["recharge-client-secret"]);
    let recharge = lib().client(&cfg).unwrap();
    let token =
        recharge.call(Op::Create, &json!({"provider_options": common::fixture("seed_002_create.json")})).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    recharge.call(Op::Complete, &json!({"checkout_id": token, "payment_token": "tok_visa"})).unwrap();
    let delivery = receiver.wait_for(1).remove(0);
    let event = verify(&recharge, &delivery);
    assert_eq!(
        (event["type"].as_str(), event["provider_type"].as_str(), event["checkout_id"].as_str()),
        (Some("checkout.completed"), Some("checkout"), Some(token.as_str()))
    );
    assert_eq!(event["unsigned_topic"], "checkout/processed");
    let mut legacy_only = delivery.clone();
    legacy_only.headers.remove("x-recharge-webhook-signature");
    let (code, _) = recharge.verify(&Value::Object(legacy_only.headers.clone()), &legacy_only.body).unwrap_err();
    assert_eq!(code, 14, "a delivery stripped to the legacy hash is refused by default");
    cfg = recharge_config(&s.base_url());
    cfg["webhook_secrets"] = json!(["recharge-client-secret"]);
    cfg["accept_legacy_webhook_signature"] = true.into();
    let legacy = lib().client(&cfg).unwrap();
    assert_eq!(verify(&legacy, &legacy_only)["payment_status"], "succeeded", "the legacy hash verifies when accepted");

    let mut cfg = payfect_config(&s.base_url());
    cfg["webhook_secrets"] = json!([fernet_key]);
    let payfect = lib().client(&cfg).unwrap();
    let checkout = payfect
        .call(
            Op::Create,
            &json!({"amount": 2050, "currency": "usdt", "description": "Standard Plan",
            "callback_url": receiver.url, "client_reference_id": "order-7"}),
        )
        .unwrap();
    let page = checkout["redirect_url"].as_str().unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().max_redirects(0).http_status_as_error(false).build().into();
    agent.post(page).send_empty().unwrap();
    let event = verify(&payfect, &receiver.wait_for(2)[1]);
    assert_eq!(
        (event["type"].as_str(), event["object_id"].clone(), event["payment_status"].as_str()),
        (Some("checkout.completed"), checkout["id"].clone(), Some("succeeded"))
    );
    assert_eq!(event["provider_type"], Value::Null, "Payfect names no events");
    assert_eq!(event["data"]["client_reference_id"], "order-7");
}

#[test]
fn the_sandbox_never_delivers_off_loopback() {
    let s = sandbox();
    set_webhook(&s, "payfect", "http://127.0.0.1:9/unused", &fernet::Fernet::generate_key());
    let payfect = lib().client(&payfect_config(&s.base_url())).unwrap();
    let checkout = payfect
        .call(Op::Create, &json!({"amount": 100, "currency": "usdt", "description": "x", "callback_url": "https://example.com/callback"}))
        .unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder().max_redirects(0).http_status_as_error(false).build().into();
    agent.post(checkout["redirect_url"].as_str().unwrap()).send_empty().unwrap();
    for _ in 0..100 {
        if let Some(d) = ledger(&s)["webhook_deliveries"].as_array().unwrap().first() {
            assert_eq!(d["outcome"], "skipped: the sandbox delivers to loopback addresses only");
            assert_eq!(d["attempts"], 0);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no delivery was recorded");
}

/// Refund events (JustiFi `payment.refunded`, ReCharge's refunded charge) verify, and carry
/// the refund as the signed body gives it.
#[test]
fn refund_events_verify_and_carry_the_refund() {
    let s = sandbox();
    let receiver = Receiver::start(0);
    set_webhook(&s, "justifi", &receiver.url, "sigk_sandbox");
    set_webhook(&s, "recharge", &receiver.url, "recharge-client-secret");
    let mut cfg = config(&s.base_url());
    cfg["webhook_secrets"] = json!(["sigk_sandbox"]);
    let justifi = lib().client(&cfg).unwrap();
    let id = justifi.call(Op::Create, &json!({"amount": 1799, "description": "Donut"})).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    justifi.call(Op::Complete, &json!({"checkout_id": id, "payment_token": tokenize(&s, "4242424242424242")})).unwrap();
    let before = receiver.wait_for(2).len();
    justifi.call(Op::Refund, &json!({"checkout_id": id, "amount": 500})).unwrap();
    let refunds = justifi.call(Op::Refunds, &json!({"checkout_id": id})).unwrap();
    let events: Vec<Value> = receiver.wait_for(before + 1).iter().map(|d| verify(&justifi, d)).collect();
    let event = events.iter().find(|e| e["type"] == "refund.created").expect("a refund.created event");
    assert_eq!(event["provider_type"], "payment.refunded");
    assert_eq!(
        event["refund"],
        json!({"id": refunds["refunds"][0]["id"], "payment_id": refunds["payment_id"], "amount": 500,
            "amount_refunded": null, "status": "succeeded"})
    );
    assert!(events.iter().filter(|e| e["type"] != "refund.created").all(|e| e["refund"].is_null()));

    let mut rcfg = recharge_config(&s.base_url());
    rcfg["webhook_secrets"] = json!(["recharge-client-secret"]);
    let recharge = lib().client(&rcfg).unwrap();
    let token =
        recharge.call(Op::Create, &json!({"provider_options": common::fixture("seed_002_create.json")})).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    recharge.call(Op::Complete, &json!({"checkout_id": token, "payment_token": "tok_visa"})).unwrap();
    let seen = receiver.wait_for(events.len() + 1).len();
    recharge.call(Op::Refund, &json!({"checkout_id": token, "amount": 1000})).unwrap();
    let refunds = recharge.call(Op::Refunds, &json!({"checkout_id": token})).unwrap();
    let deliveries = receiver.wait_for(seen + 1);
    let event = verify(&recharge, deliveries.last().unwrap());
    assert_eq!(
        (event["type"].as_str(), event["provider_type"].as_str(), event["unsigned_topic"].as_str()),
        (Some("refund.created"), Some("charge"), Some("charge/refunded"))
    );
    // A 2021-01 charge (the sandbox's default version) names no currency, so the event cannot
    // give the total in minor units; checkout_refunds, which knows the checkout's, does.
    assert_eq!(
        event["refund"],
        json!({"id": null, "payment_id": refunds["payment_id"], "amount": null, "amount_refunded": null,
            "status": "succeeded"})
    );
    assert_eq!(refunds["amount_refunded"], 1000);
}
