//! `checkout_refund`, `checkout_refunds` and `checkout_void` through the dlopen'ed library
//! against the sandbox: full and partial refunds, the documented refusals, the fault table
//! before and after processing, and 500 faulted refunds with no refund made twice.

mod common;

use checkout_sandbox::{Sandbox, SandboxConfig};
use common::host::{HostClient, Op};
use common::{add_fault, config, ledger, lib, payfect_config, recharge_config, sandbox, tokenize};
use serde_json::{json, Value};
use std::time::Duration;

const REFUND: &str = "POST /v1/checkouts/{id}/refunds";
const CHARGE_REFUND: &str = "POST /charges/{id}/refund";

/// A paid JustiFi checkout of `amount` minor units.
fn paid(client: &HostClient, pm: &str, amount: u64) -> String {
    let c = client.call(Op::Create, &json!({"amount": amount, "description": "Donuts"})).unwrap();
    let id = c["id"].as_str().unwrap().to_owned();
    let done = client.call(Op::Complete, &json!({"checkout_id": id, "payment_token": pm})).unwrap();
    assert_eq!(done["payment_status"], "succeeded", "{done}");
    id
}

/// A paid ReCharge checkout (seed 002's line item: 6 × 12.50 = 75.00).
fn recharge_paid(client: &HostClient) -> String {
    let item = common::fixture("seed_002_create.json")["line_items"][0].clone();
    let c = client
        .call(
            Op::Create,
            &json!({"line_items": [{"name": "Coffee", "unit_amount": 1250, "quantity": item["quantity"],
                "product_id": item["product_id"], "variant_id": item["variant_id"]}]}),
        )
        .unwrap();
    let token = c["id"].as_str().unwrap().to_owned();
    let done = client.call(Op::Complete, &json!({"checkout_id": token, "payment_token": "tok_visa"})).unwrap();
    assert_eq!(done["payment_status"], "succeeded", "{done}");
    token
}

fn code(result: Result<Value, (i32, Value)>) -> (i32, Value) {
    result.expect_err("an error")
}

#[test]
fn justifi_refunds_partly_then_fully_and_refuses_what_it_cannot() {
    let s = sandbox();
    let pm = tokenize(&s, "4242424242424242");
    let client = lib().client(&config(&s.base_url())).unwrap();
    let id = paid(&client, &pm, 1799);

    let before = client.call(Op::Refunds, &json!({"checkout_id": id})).unwrap();
    assert_eq!(
        (&before["amount_paid"], &before["amount_refunded"], &before["amount_refundable"]),
        (&json!(1799), &json!(0), &json!(1799))
    );
    let payment_id = before["payment_id"].as_str().unwrap().to_owned();

    let part = client.call(Op::Refund, &json!({"checkout_id": id, "amount": 500})).unwrap();
    assert_eq!(
        (&part["status"], &part["amount"], &part["currency"]),
        (&json!("succeeded"), &json!(500), &json!("usd"))
    );
    assert_eq!(part["payment_id"], payment_id.as_str());
    assert!(part["id"].as_str().unwrap().starts_with("chr_"), "{part}");
    assert!(part["idempotency_key"].is_string() && part["confirmed_by"].is_null(), "{part}");

    let (status, e) = code(client.call(Op::Refund, &json!({"checkout_id": id, "amount": 1300})));
    assert_eq!(status, 4, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().starts_with("amount: 1300 minor units is more than the 1299"));

    let rest = client.call(Op::Refund, &json!({"checkout_id": id})).unwrap();
    assert_eq!((&rest["status"], &rest["amount"]), (&json!("succeeded"), &json!(1299)), "no amount: what is left");
    let after = client.call(Op::Refunds, &json!({"checkout_id": id})).unwrap();
    assert_eq!((&after["amount_refunded"], &after["amount_refundable"]), (&json!(1799), &json!(0)));
    let amounts: Vec<&Value> = after["refunds"].as_array().unwrap().iter().map(|r| &r["amount"]).collect();
    assert_eq!(amounts, [&json!(500), &json!(1299)], "{after}");

    let (status, e) = code(client.call(Op::Refund, &json!({"checkout_id": id})));
    assert_eq!((status, e["error"]["code"].as_str()), (9, Some("conflict")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().ends_with("is fully refunded"));
    assert_eq!(ledger(&s)["checkouts"][&id]["refunds"].as_array().unwrap().len(), 2);

    let unpaid = client.call(Op::Create, &json!({"amount": 900, "description": "Box"})).unwrap();
    let (status, e) = code(client.call(Op::Refund, &json!({"checkout_id": unpaid["id"]})));
    assert_eq!(status, 9, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("is not paid"), "{e}");
    let none = client.call(Op::Refunds, &json!({"checkout_id": unpaid["id"]})).unwrap();
    assert_eq!((&none["payment_id"], &none["amount_paid"]), (&Value::Null, &json!(0)));

    let (status, e) = code(client.call(Op::Refund, &json!({"checkout_id": id, "reason": "duplicate"})));
    assert_eq!(status, 4, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().starts_with("reason: justifi does not take it on checkout_refund"));
}

#[test]
fn a_refund_called_again_with_its_key_is_replayed_not_made_twice() {
    let s = sandbox();
    let pm = tokenize(&s, "4242424242424242");
    let client = lib().client(&config(&s.base_url())).unwrap();
    let id = paid(&client, &pm, 1799);
    let request = json!({"checkout_id": id, "amount": 700, "idempotency_key": "refund-order-7"});
    let first = client.call(Op::Refund, &request).unwrap();
    let again = client.call(Op::Refund, &request).unwrap();
    assert_eq!((&first["id"], &first["status"]), (&again["id"], &again["status"]));
    assert_eq!(ledger(&s)["checkouts"][&id]["refunds"].as_array().unwrap().len(), 1);
}

#[test]
fn justifi_voids_a_fresh_payment_and_refuses_a_refunded_one() {
    let s = sandbox();
    let pm = tokenize(&s, "4242424242424242");
    let client = lib().client(&config(&s.base_url())).unwrap();
    let id = paid(&client, &pm, 1799);
    let void = client.call(Op::Void, &json!({"checkout_id": id})).unwrap();
    assert_eq!(void["status"], "voided", "{void}");
    assert!(void["payment_id"].as_str().unwrap().starts_with("py_"), "{void}");

    let refunded = paid(&client, &pm, 1799);
    client.call(Op::Refund, &json!({"checkout_id": refunded})).unwrap();
    let (status, e) = code(client.call(Op::Void, &json!({"checkout_id": refunded})));
    assert_eq!((status, e["error"]["provider_code"].as_str()), (9, Some("payment_outside_void_window")), "{e}");

    let unpaid = client.call(Op::Create, &json!({"amount": 900, "description": "Box"})).unwrap();
    let (status, e) = code(client.call(Op::Void, &json!({"checkout_id": unpaid["id"]})));
    assert_eq!(status, 9, "{e}");
}

#[test]
fn recharge_refunds_the_checkouts_charge_and_payfect_has_none() {
    let s = sandbox();
    let client = lib().client(&recharge_config(&s.base_url())).unwrap();
    let token = recharge_paid(&client);
    let state = client.call(Op::Refunds, &json!({"checkout_id": token})).unwrap();
    assert_eq!((&state["amount_paid"], &state["amount_refundable"]), (&json!(7500), &json!(7500)), "{state}");
    let part = client.call(Op::Refund, &json!({"checkout_id": token, "amount": 1250})).unwrap();
    assert_eq!(
        (&part["status"], &part["amount"], &part["idempotency_key"]),
        (&json!("succeeded"), &json!(1250), &Value::Null)
    );
    let rest = client.call(Op::Refund, &json!({"checkout_id": token})).unwrap();
    assert_eq!((&rest["status"], &rest["amount"]), (&json!("succeeded"), &json!(6250)), "{rest}");
    let after = client.call(Op::Refunds, &json!({"checkout_id": token})).unwrap();
    assert_eq!((&after["amount_refunded"], &after["amount_refundable"]), (&json!(7500), &json!(0)));
    let (status, e) = code(client.call(Op::Refund, &json!({"checkout_id": token, "idempotency_key": "k"})));
    assert_eq!(status, 4, "{e}");
    let (status, _) = code(client.call(Op::Void, &json!({"checkout_id": token})));
    assert_eq!(status, 6, "ReCharge publishes no void");

    let payfect = lib().client(&payfect_config(&s.base_url())).unwrap();
    let (status, e) = code(payfect.call(Op::Refund, &json!({"checkout_id": "c_1"})));
    assert_eq!(status, 6, "{e}");
    assert_eq!(e["error"]["message"], "checkout_refund: Payfect's published API has no refund");
    assert_eq!(e["error"]["attempts"], 0);
}

/// The fault table for refunds: each ends in a definite answer or `pending` (never an error
/// to guess from), the provider's ledger shows at most one refund for the call, and a fault
/// after processing reads back as `succeeded`.
#[test]
fn a_refund_meets_every_fault_and_is_made_at_most_once() {
    // Some 150 ReCharge requests in a few seconds: more than ReCharge's bucket (40, draining
    // 2 per second) lets through, which is not what this test is about.
    let s = Sandbox::start(SandboxConfig { recharge_rate_limit: false, ..SandboxConfig::default() }).unwrap();
    let pm = tokenize(&s, "4242424242424242");
    let mut cfg = config(&s.base_url());
    cfg["timeout_ms"] = 1000.into();
    cfg["max_retries"] = 0.into();
    let justifi = lib().client(&cfg).unwrap();
    let mut rcfg = recharge_config(&s.base_url());
    rcfg["timeout_ms"] = 1000.into();
    let recharge = lib().client(&rcfg).unwrap();
    let mut table = Vec::new();
    // After a delayed request, until the sandbox has run it.
    let settle =
        |fault: &Value| std::thread::sleep(Duration::from_millis(if fault["delay_ms"].is_null() { 50 } else { 900 }));
    // The delay outlasts the clients' 1 s timeout, which leaves a loaded machine time to
    // answer the other requests.
    for fault in common::every_fault(1500) {
        let id = paid(&justifi, &pm, 1799);
        let mut f = fault.clone();
        f["route"] = REFUND.into();
        add_fault(&s, f);
        let request = json!({"checkout_id": id, "amount": 600});
        let r = match justifi.call(Op::Refund, &request) {
            Ok(r) => r,
            // The read after the fault failed too (a loaded machine): the error says so and
            // carries the key, which settles the refund without making a second one.
            Err((_, e)) => {
                let e = &e["error"];
                assert!(e["message"].as_str().unwrap().contains("may have gone through"), "{fault}: {e}");
                assert_eq!(e["retryable"], true, "{fault}: {e}");
                settle(&fault);
                let again = json!({"checkout_id": id, "amount": 600, "idempotency_key": e["idempotency_key"]});
                justifi.call(Op::Refund, &again).unwrap()
            }
        };
        settle(&fault);
        let made = ledger(&s)["checkouts"][&id]["refunds"].as_array().map_or(0, Vec::len);
        assert!(made <= 1, "{fault}: refunded {made} times");
        match r["status"].as_str().unwrap() {
            "succeeded" => assert_eq!(made, 1, "{fault}: succeeded means refunded: {r}"),
            "pending" => {
                let reason = r["pending_reason"].as_str().unwrap();
                assert!(reason.contains("same idempotency_key and amount 600"), "{r}");
            }
            other => panic!("{fault}: {other}"),
        }
        if fault["after"] == true {
            assert_eq!(r["status"], "succeeded", "{fault}: processed before the fault: {r}");
        }
        table.push(format!("JustiFi {fault}: {} ({made} refund)", r["status"]));

        let token = recharge_paid(&recharge);
        let mut f = fault.clone();
        f["route"] = CHARGE_REFUND.into();
        add_fault(&s, f);
        let r = match recharge.call(Op::Refund, &json!({"checkout_id": token, "amount": 1250})) {
            Ok(r) => r,
            // The read after the fault failed too: the error says to read before refunding
            // again, and is not retryable, as the refund is never sent again.
            Err((_, e)) => {
                let e = &e["error"];
                assert!(e["message"].as_str().unwrap().contains("read checkout_refunds before refunding again"));
                assert_eq!(e["retryable"], false, "{fault}: {e}");
                settle(&fault);
                let read = recharge.call(Op::Refunds, &json!({"checkout_id": token})).unwrap();
                let landed = read["amount_refunded"] == 1250;
                json!({"status": if landed { "succeeded" } else { "pending" },
                    "pending_reason": "read checkout_refunds later before refunding again"})
            }
        };
        settle(&fault);
        let l = ledger(&s);
        let checkout = &l["recharge_checkouts"][&token];
        let made = checkout["refunds"].as_array().map_or(0, Vec::len);
        let sent = checkout["refund_requests"]
            .as_u64()
            .or_else(|| checkout["refund_requests"].as_array().map(|a| a.len() as u64));
        assert_eq!(sent, Some(1), "{fault}: the refund was sent once: {checkout}");
        assert!(made <= 1, "{fault}: refunded {made} times");
        match r["status"].as_str().unwrap() {
            "succeeded" => assert_eq!(made, 1, "{fault}: succeeded means refunded: {r}"),
            "pending" => assert!(r["pending_reason"].as_str().unwrap().contains("before refunding again"), "{r}"),
            other => panic!("{fault}: {other}"),
        }
        if fault["after"] == true {
            assert_eq!(r["status"], "succeeded", "{fault}: processed before the fault: {r}");
        }
        table.push(format!("ReCharge {fault}: {} ({made} refund)", r["status"]));
    }
    println!("Refunds under every fault:\n{}", table.join("\n"));
}

/// 500 refunds (two partial refunds of each of 250 paid checkouts), most under a random
/// fault; every refund not definite at once is called again with its key until it is: the
/// ledger shows exactly two refunds per checkout, none made twice.
#[test]
fn five_hundred_faulted_refunds_refund_nothing_twice() {
    let s = sandbox();
    let pm = tokenize(&s, "4242424242424242");
    let mut cfg = config(&s.base_url());
    cfg["timeout_ms"] = 200.into();
    cfg["max_retries"] = 0.into();
    let client = lib().client(&cfg).unwrap();
    let plain = lib().client(&config(&s.base_url())).unwrap();
    let mut rng = fastrand::Rng::with_seed(20261202);
    let kinds = [
        json!({"status": 500}),
        json!({"status": 503}),
        json!({"status": 429}),
        json!({"reset": true}),
        json!({"delay_ms": 400}),
        json!({"truncate": true}),
        json!({"not_json": true}),
        json!({"huge": true}),
    ];
    let (mut faults, mut recovered) = (0, 0);
    let mut checkouts = Vec::new();
    for i in 0..250 {
        let id = paid(&plain, &pm, 2000);
        for part in 0..2 {
            if rng.u8(0..10) < 8 {
                let mut fault = kinds[rng.usize(0..kinds.len())].clone();
                fault["after"] = rng.bool().into();
                fault["route"] = REFUND.into();
                add_fault(&s, fault);
                faults += 1;
            }
            let request = json!({"checkout_id": id, "amount": 600, "idempotency_key": format!("refund-{i}-{part}")});
            let mut outcome = client.call(Op::Refund, &request);
            let mut tries = 0;
            while !matches!(&outcome, Ok(r) if r["status"] == "succeeded") {
                match &outcome {
                    Ok(r) => assert_eq!(r["status"], "pending", "refund {i}.{part}: {r}"),
                    Err((_, e)) => assert_eq!(e["error"]["idempotency_key"], request["idempotency_key"], "{e}"),
                }
                tries += 1;
                assert!(tries <= 5, "refund {i}.{part} did not settle: {outcome:?}");
                std::thread::sleep(Duration::from_millis(150));
                outcome = plain.call(Op::Refund, &request);
            }
            recovered += usize::from(tries > 0);
        }
        checkouts.push(id);
    }
    std::thread::sleep(Duration::from_millis(600));
    let l = ledger(&s);
    for id in &checkouts {
        let refunds = l["checkouts"][id]["refunds"].as_array().unwrap();
        assert_eq!(refunds.len(), 2, "checkout {id} was refunded {} times", refunds.len());
        assert_eq!(l["checkouts"][id]["amount_refunded"], 1200, "checkout {id}");
    }
    println!("500 refunds: {faults} faulted, {recovered} recovered with their key, 0 double refunds");
    assert!(faults > 350, "the mix exercised the faults ({faults})");
}
