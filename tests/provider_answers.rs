//! Hostile or broken provider answers, through the dlopen'ed library against loopback stubs:
//! what a provider (or whatever sits in its place) sends back must end in a result or an
//! error object the host can read, never in memory exhaustion, a body the host cannot parse,
//! a dangerous redirect, another checkout's payment, or an internal error.

mod common;

use common::host::Op;
use common::{config, fixture, ledger, lib, payfect_config, sandbox, Answer, Stub};
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Value};
use std::io::Write;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Starts a new peak of resident memory (`/proc/self/clear_refs`, 5 resets `VmHWM`).
fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

/// The peak resident set of this process, in KiB (`VmHWM`).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn checkout_json(pad: usize) -> String {
    json!({"id": "cho_1", "type": "checkout", "page_info": null, "data": {
        "id": "cho_1", "status": "created", "payment_amount": 1799, "payment_currency": "USD",
        "pad": "x".repeat(pad)}})
    .to_string()
}

#[test]
fn a_gzip_body_is_bounded_after_decompression() {
    let inflated = checkout_json(64 << 20);
    let compressed = gzip(inflated.as_bytes());
    println!("gzip: {} bytes on the wire inflate to {} bytes", compressed.len(), inflated.len());
    drop(inflated);
    let stub = Stub::answering(r#"{"access_token": "stub-token"}"#, move || Answer {
        status: 200,
        headers: vec![("content-encoding", "gzip".into())],
        body: compressed.clone(),
    });
    let client = lib().client(&config(&stub.base_url)).unwrap();
    reset_peak_rss();
    let before = peak_rss_kib();
    let (code, e) = client.call(Op::Get, &json!({"checkout_id": "cho_1"})).unwrap_err();
    let grown = peak_rss_kib().saturating_sub(before);
    println!("peak RSS grew {grown} KiB reading a 64 MiB gzip bomb");
    assert_eq!(code, 12, "{e}");
    assert_eq!(e["error"]["message"], "the provider's response exceeds 8388608 bytes");
    assert!(grown < 32 * 1024, "the body was inflated past the cap: +{grown} KiB");

    let small = gzip(checkout_json(10).as_bytes());
    let stub = Stub::answering(r#"{"access_token": "stub-token"}"#, move || Answer {
        status: 200,
        headers: vec![("content-encoding", "gzip".into())],
        body: small.clone(),
    });
    let client = lib().client(&config(&stub.base_url)).unwrap();
    assert_eq!(client.call(Op::Get, &json!({"checkout_id": "cho_1"})).unwrap()["id"], "cho_1", "gzip still works");
}

/// ureq reads and writes through per-connection buffers of 16 KiB (`INPUT_BUFFER_BYTES`,
/// `OUTPUT_BUFFER_BYTES` in src/transport/settings.rs, down from ureq's 128 KiB to bound memory with
/// many calls in flight): bodies up to the bounds still pass, and a response head, which must
/// fit in the input buffer, is read up to 12 KiB and refused past it with a network error.
#[test]
fn bodies_up_to_their_bounds_pass_and_a_response_head_past_12_kib_is_refused() {
    let body = checkout_json((8 << 20) - 1024);
    assert!(body.len() <= 8 << 20 && body.len() > (8 << 20) - 1024);
    let head = |pad: usize| vec![("x-pad", "p".repeat(pad))];
    let big = Stub::answering(r#"{"access_token": "stub-token"}"#, move || Answer {
        status: 200,
        headers: head(11 << 10),
        body: body.clone().into_bytes(),
    });
    let client = lib().client(&config(&big.base_url)).unwrap();
    let got = client.call(Op::Get, &json!({"checkout_id": "cho_1"})).unwrap();
    assert_eq!(got["id"], "cho_1");
    let pad = "y".repeat(1_000_000);
    let created = client
        .call(Op::Create, &json!({"amount": 1799, "description": "x", "provider_options": {"pad": pad}}))
        .unwrap();
    assert_eq!(created["id"], "cho_1", "a request body of 1 MB is sent whole");

    let too_big = Stub::answering(r#"{"access_token": "stub-token"}"#, move || Answer {
        status: 200,
        headers: head(14 << 10),
        body: checkout_json(10).into_bytes(),
    });
    let mut no_retry = config(&too_big.base_url);
    no_retry["max_retries"] = json!(0);
    let client = lib().client(&no_retry).unwrap();
    let (code, e) = client.call(Op::Get, &json!({"checkout_id": "cho_1"})).unwrap_err();
    assert_eq!(code, 12, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("response header is too big"), "{e}");
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn provider_bodies_nested_past_125_levels_are_refused() {
    let deep = format!(
        r#"{{"id": "cho_1", "type": "checkout", "data": {{"id": "cho_1", "status": "created", "payment_amount": 1799, "deep": {}}}}}"#,
        nested(1_000_000)
    );
    let stub = Stub::answering(r#"{"access_token": "stub-token"}"#, move || Answer::json(200, deep.clone()));
    let client = lib().client(&config(&stub.base_url)).unwrap();
    let (code, e) = client.call(Op::Get, &json!({"checkout_id": "cho_1"})).unwrap_err();
    assert_eq!(code, 11, "{e}");
    assert_eq!(e["error"]["message"], "the provider's response nests JSON deeper than 125 levels; it was not read");

    let at_limit = format!(
        r#"{{"id": "cho_1", "type": "checkout", "data": {{"id": "cho_1", "status": "created", "payment_amount": 1799, "deep": {}}}}}"#,
        nested(123)
    );
    let stub = Stub::answering(r#"{"access_token": "stub-token"}"#, move || Answer::json(200, at_limit.clone()));
    let client = lib().client(&config(&stub.base_url)).unwrap();
    let read = client.call(Op::Get, &json!({"checkout_id": "cho_1"})).expect("125 levels in all are read");
    assert!(read["provider_data"]["deep"].is_array(), "and the result parses under serde_json's own limit");
}

#[test]
fn a_too_deep_completion_says_the_payment_may_have_succeeded_and_carries_the_key() {
    let deep = format!(
        r#"{{"id": "chc_1", "type": "checkout_completion", "data": {{"checkout_id": "cho_1", "payment_status": "succeeded", "deep": {}}}}}"#,
        nested(5_000)
    );
    let stub = Stub::answering(r#"{"access_token": "stub-token"}"#, move || Answer::json(201, deep.clone()));
    let client = lib().client(&config(&stub.base_url)).unwrap();
    let request = json!({"checkout_id": "cho_1", "payment_token": "pm_1", "idempotency_key": "order-5000"});
    let (code, e) = client.call(Op::Complete, &request).unwrap_err();
    assert_eq!(code, 11, "{e}");
    assert_eq!(e["error"]["idempotency_key"], "order-5000");
    assert_eq!(e["error"]["retryable"], true);
    assert!(e["error"]["message"].as_str().unwrap().contains("the payment may have succeeded"), "{e}");
}

#[test]
fn an_access_token_that_cannot_be_a_header_is_a_provider_error() {
    let stub = Stub::start(200, "{}");
    let client = lib().client(&config(&stub.base_url)).unwrap();
    client.call(Op::Get, &json!({"checkout_id": "cho_1"})).unwrap_err();
    for token in [r#"{"access_token": "tok\r\nX-Injected: 1"}"#, r#"{"access_token": "tok\u0000"}"#] {
        let stub = Stub::answering(token, || Answer::json(200, "{}"));
        let client = lib().client(&config(&stub.base_url)).unwrap();
        let (code, e) = client.call(Op::Get, &json!({"checkout_id": "cho_1"})).unwrap_err();
        assert_eq!(code, 11, "{e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("access_token"), "names the value: {e}");
        assert_eq!(stub.hits(), 0, "nothing was sent with it");
    }
}

#[test]
fn a_completion_naming_another_checkout_is_refused() {
    let other = json!({"id": "chc_9", "type": "checkout_completion", "data": {
        "id": "chc_9", "checkout_id": "cho_OTHER", "payment_status": "succeeded", "status": "succeeded",
        "payment_id": "py_9", "checkout": {"payment_amount": 99_999, "payment_currency": "USD"}}})
    .to_string();
    let stub = Stub::answering(r#"{"access_token": "stub-token"}"#, move || Answer::json(201, other.clone()));
    let client = lib().client(&config(&stub.base_url)).unwrap();
    let request = json!({"checkout_id": "cho_1", "payment_token": "pm_1", "idempotency_key": "order-1"});
    let (code, e) = client.call(Op::Complete, &request).unwrap_err();
    assert_eq!(code, 11, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains(r#""cho_OTHER", not "cho_1""#), "{e}");
    assert_eq!(e["error"]["idempotency_key"], "order-1");

    let another = checkout_json(1).replace("cho_1", "cho_2");
    let stub = Stub::answering(r#"{"access_token": "stub-token"}"#, move || Answer::json(200, another.clone()));
    let client = lib().client(&config(&stub.base_url)).unwrap();
    let (code, _) = client.call(Op::Get, &json!({"checkout_id": "cho_1"})).unwrap_err();
    assert_eq!(code, 11, "a read answered with another checkout");
}

/// Seed 004's checkout answer, with `changes` applied.
fn payfect_stub(changes: Value) -> Stub {
    let mut checkout = fixture("seed_004_checkout.json");
    checkout.as_object_mut().unwrap().extend(changes.as_object().unwrap().clone());
    let body = checkout.to_string();
    Stub::answering("{}", move || Answer::json(200, body.clone()))
}

#[test]
fn a_redirect_url_must_be_absolute_https() {
    let id = "ed8d24aa-a860-426b-8e56-87cb9f55a081";
    for url in ["javascript:alert(document.cookie)", "http://buy.payfect.example/c", "/checkouts/1", "data:text/html,x"]
    {
        let stub = payfect_stub(json!({ "url": url }));
        let client = lib().client(&payfect_config(&stub.base_url)).unwrap();
        let (code, e) = client.call(Op::RedirectUrl, &json!({"checkout_id": id})).unwrap_err();
        assert_eq!(code, 11, "{url}: {e}");
        assert!(!e.to_string().contains(url), "the URL is not echoed");
        let (code, _) = client.call(Op::Get, &json!({"checkout_id": id})).unwrap_err();
        assert_eq!(code, 11, "{url}: a checkout's redirect_url too");
    }
    let stub = payfect_stub(json!({}));
    let client = lib().client(&payfect_config(&stub.base_url)).unwrap();
    let page = client.call(Op::RedirectUrl, &json!({"checkout_id": id})).unwrap();
    assert_eq!(page["url"], format!("https://buy-dev.payfect.finance/checkouts/{id}"), "seed 004's url");
}

#[test]
fn an_amount_with_more_digits_than_the_currency_holds_is_refused_not_rounded() {
    let stub = payfect_stub(json!({"amountTotal": "0.999999999999999999999999999999"}));
    let client = lib().client(&payfect_config(&stub.base_url)).unwrap();
    let (code, e) = client.call(Op::Get, &json!({"checkout_id": "ed8d24aa-a860-426b-8e56-87cb9f55a081"})).unwrap_err();
    assert_eq!(code, 11, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("amountTotal"), "{e}");
}

#[test]
fn a_request_over_1_mib_is_refused_before_anything_is_sent() {
    let stub = Stub::start(200, "{}");
    let client = lib().client(&config(&stub.base_url)).unwrap();
    let pad: Vec<u32> = vec![0; 600_000];
    let (code, e) = client
        .call(Op::Create, &json!({"amount": 1799, "description": "x", "provider_options": {"pad": pad}}))
        .unwrap_err();
    assert_eq!(code, 4, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().ends_with("the most accepted is 1048576 bytes (1 MiB)"), "{e}");
    assert_eq!(stub.hits(), 0);
}

#[test]
fn the_session_flow_accepts_back_the_key_it_minted() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let request = json!({"amount": 500, "success_url": "https://shop.example/ok", "idempotency_key": "cart-7"});
    let first = client.call(Op::RedirectUrl, &request).unwrap();
    let again = client.call(Op::RedirectUrl, &request).unwrap();
    assert_eq!(first["payment_intent_id"], again["payment_intent_id"], "the key replays the payment intent");
    let intents = ledger(&s)["payment_intents"].as_object().map_or(0, |m| m.len());
    assert_eq!(intents, 1, "one payment intent for two calls with one key");
    let (code, e) =
        client.call(Op::RedirectUrl, &json!({"checkout_id": "cho_1", "idempotency_key": "cart-7"})).unwrap_err();
    assert_eq!(code, 4, "{e}");
    let _: Value = e;
}

#[test]
fn a_json_answer_of_the_wrong_shape_is_a_provider_error_not_a_panic() {
    for body in ["[1, 2]", "\"text\"", "7", "{\"checkout\": [1]}"] {
        let stub = Stub::answering("{}", move || Answer::json(200, body));
        let client = lib().client(&common::recharge_config(&stub.base_url)).unwrap();
        let (code, e) = client.call(Op::Get, &json!({"checkout_id": "t1"})).unwrap_err();
        assert_eq!(code, 11, "{body}: {e}");
        let (code, e) =
            client.call(Op::Complete, &json!({"checkout_id": "t1", "payment_token": "tok_visa"})).unwrap_err();
        assert_eq!(code, 11, "{body}: {e}");
        assert!(e["error"]["message"].as_str().unwrap().contains("may have gone through"), "{e}");
    }
}

/// A ReCharge stub answering the charge with `charge` (status 200) and every later request
/// (the read of the checkout, and its retries) with `read`.
fn recharge_charge_then_read(charge: Value, read: Answer) -> Stub {
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let charge = json!({ "checkout_charge": charge }).to_string();
    Stub::answering("{}", move || match calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
        0 => Answer::json(200, charge.clone()),
        _ => Answer { status: read.status, headers: Vec::new(), body: read.body.clone() },
    })
}

/// ChemicalLuck `recharge/model/v2/checkout.py` `CheckoutCharge` (tests/fixtures), with `status`.
fn charge_with_status(status: &str) -> Value {
    let mut charge = fixture("recharge_checkout_charge.json")["checkout_charge"].clone();
    charge["status"] = status.into();
    charge
}

const ASKED: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn a_recharge_charge_is_never_judged_by_a_read_of_another_checkout() {
    let other = json!({"checkout": {"token": "ffffffffffffffffffffffffffffffff", "completed_at": "2024-01-01T00:00:00",
        "total_price": "999.99", "currency": "USD", "line_items": []}})
    .to_string();
    for status in ["success", "queued"] {
        let stub = recharge_charge_then_read(charge_with_status(status), Answer::json(200, other.clone()));
        let client = lib().client(&common::recharge_config(&stub.base_url)).unwrap();
        let done = client.call(Op::Complete, &json!({"checkout_id": ASKED, "payment_token": "tok_visa"})).unwrap();
        assert_eq!(done["checkout_id"], ASKED);
        assert_eq!((done["amount"].clone(), done["currency"].clone()), (Value::Null, Value::Null), "{done}");
        let expected = if status == "success" { "succeeded" } else { "pending" };
        assert_eq!(done["payment_status"], expected, "charge status {status}: {done}");
    }
    let stub = Stub::answering("{}", move || Answer::json(200, other.clone()));
    let client = lib().client(&common::recharge_config(&stub.base_url)).unwrap();
    let (code, e) = client.call(Op::RedirectUrl, &json!({"checkout_id": ASKED})).unwrap_err();
    assert_eq!(code, 11, "a hosted page is never made from another checkout's answer: {e}");
}

#[test]
fn a_recharge_charge_whose_own_status_is_error_is_never_succeeded() {
    let unreadable = Answer::json(500, r#"{"errors": "Internal Server Error"}"#);
    let stub = recharge_charge_then_read(charge_with_status("error"), unreadable);
    let client = lib().client(&common::recharge_config(&stub.base_url)).unwrap();
    let done = client.call(Op::Complete, &json!({"checkout_id": ASKED, "payment_token": "tok_visa"})).unwrap();
    assert_eq!(
        (done["payment_status"].as_str(), done["payment_error"]["message"].as_str(), &done["confirmed_by"]),
        (Some("failed"), Some("ReCharge answered the charge with status \"error\""), &Value::Null),
        "{done}"
    );
    let open = json!({"checkout": {"token": ASKED, "completed_at": null, "total_price": "60.00", "currency": "USD"}});
    let stub = recharge_charge_then_read(charge_with_status("ERROR"), Answer::json(200, open.to_string()));
    let client = lib().client(&common::recharge_config(&stub.base_url)).unwrap();
    let done = client.call(Op::Complete, &json!({"checkout_id": ASKED, "payment_token": "tok_visa"})).unwrap();
    assert_eq!((done["payment_status"].as_str(), done["amount"].as_u64()), (Some("failed"), Some(6000)), "{done}");

    let stub = recharge_charge_then_read(charge_with_status("queued"), Answer::json(404, r#"{"errors": "Not Found"}"#));
    let client = lib().client(&common::recharge_config(&stub.base_url)).unwrap();
    let done = client.call(Op::Complete, &json!({"checkout_id": ASKED, "payment_token": "tok_visa"})).unwrap();
    assert_eq!(done["payment_status"], "pending", "an accepted charge that does not say it succeeded: {done}");
    assert!(done["pending_reason"].as_str().unwrap().contains("could not be read"), "{done}");
}

#[test]
fn a_read_answered_about_another_object_never_makes_a_redirect_url() {
    let other = checkout_json(1).replace("cho_1", "cho_B");
    let stub = Stub::answering(r#"{"access_token": "stub-token"}"#, move || Answer::json(200, other.clone()));
    let client = lib().client(&config(&stub.base_url)).unwrap();
    let (code, e) = client.call(Op::RedirectUrl, &json!({"checkout_id": "cho_A"})).unwrap_err();
    assert_eq!(code, 11, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains(r#""cho_B", not "cho_A""#), "{e}");

    let stub = payfect_stub(json!({"id": "11111111-1111-1111-1111-111111111111"}));
    let client = lib().client(&payfect_config(&stub.base_url)).unwrap();
    let (code, e) =
        client.call(Op::RedirectUrl, &json!({"checkout_id": "ed8d24aa-a860-426b-8e56-87cb9f55a081"})).unwrap_err();
    assert_eq!(code, 11, "{e}");
}
