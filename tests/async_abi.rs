//! The asynchronous C ABI as a host sees it (docs/contract.md §8): the library dlopen'ed, calls
//! started with the `*_async` exports against the sandbox, their outcomes collected from the
//! callbacks the library calls on its own threads.

mod common;

use common::host::{Op, Outcome};
use common::{add_fault, config, ledger, lib, sandbox, Answer, Stub};
use serde_json::{json, Value};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Waits for `n` outcomes on `rx`, each within `limit` of the start.
fn collect(rx: &mpsc::Receiver<Outcome>, n: usize, limit: Duration) -> Vec<(i32, Value)> {
    let began = Instant::now();
    (0..n)
        .map(|i| {
            let left = limit.saturating_sub(began.elapsed());
            let (code, text) = rx.recv_timeout(left).unwrap_or_else(|_| panic!("outcome {i} of {n} never came"));
            (code, serde_json::from_str(&text).expect("result_json is JSON"))
        })
        .collect()
}

fn create() -> Value {
    json!({"amount": 1799, "currency": "usd", "description": "async"})
}

#[test]
fn many_calls_wait_on_the_provider_at_once_on_the_librarys_threads() {
    let s = sandbox();
    let delay = 300;
    add_fault(&s, json!({"route": "POST /v1/checkouts", "delay_ms": delay, "times": 256}));
    let client = lib().client(&config(&s.base_url())).unwrap();
    let (tx, rx) = mpsc::channel();
    let began = Instant::now();
    for _ in 0..256 {
        assert_eq!(client.start(Op::Create, &create(), tx.clone()), 0);
    }
    drop(tx);
    let outcomes = collect(&rx, 256, Duration::from_secs(60));
    // Each callback took its sender back and dropped it: a 257th outcome, or a callback that
    // never ran, would leave the channel open.
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)),
        Err(mpsc::RecvTimeoutError::Disconnected),
        "one callback per call"
    );
    let took = began.elapsed();
    for (code, v) in &outcomes {
        assert_eq!(*code, 0, "{v}");
        assert!(v["id"].as_str().is_some_and(|id| id.starts_with("cho_")), "{v}");
    }
    // One at a time they would take 256 × 300 ms = 77 s; a tenth of that proves they overlap
    // (the figure itself is a measurement, in BENCHMARKS.md, not asserted here).
    assert!(took < Duration::from_millis(256 * delay / 10), "256 calls took {took:?}");
    assert_eq!(ledger(&s)["checkouts"].as_object().unwrap().len(), 256);
    assert_eq!(ledger(&s)["token_grants"], 1, "one token for all the calls");
}

#[test]
fn bad_arguments_are_refused_at_the_start_or_reported_through_the_callback() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let request = std::ffi::CString::new(create().to_string()).unwrap();
    // SAFETY: NULL client and NULL callback are refused before anything is started.
    unsafe {
        let code = (lib().create_async)(std::ptr::null(), request.as_ptr(), None, std::ptr::null_mut());
        assert_eq!(code, 1);
        let code = (lib().create_async)(client.raw, request.as_ptr(), None, std::ptr::null_mut());
        assert_eq!(code, 1);
    }
    let (tx, rx) = mpsc::channel();
    assert_eq!(client.start_raw(Op::Get, std::ptr::null(), tx.clone()), 0);
    assert_eq!(client.start(Op::Get, &json!([1]), tx.clone()), 0);
    assert_eq!(client.start(Op::Create, &json!({"amount": 1799, "description": "x", "zebra": 1}), tx.clone()), 0);
    assert_eq!(client.start(Op::Get, &json!({"checkout_id": "cho_missing"}), tx), 0);
    let mut outcomes = collect(&rx, 4, Duration::from_secs(30));
    outcomes.sort_by_key(|(code, _)| *code);
    let summary: Vec<(i32, &str)> =
        outcomes.iter().map(|(c, v)| (*c, v["error"]["message"].as_str().unwrap_or_default())).collect();
    assert_eq!(summary[0], (1, "request_json: must not be NULL"));
    assert_eq!(summary[1].0, 3);
    assert_eq!(summary[2], (4, "zebra: unknown field"));
    assert_eq!(summary[3].0, 8, "the provider's answer, as the synchronous call gives it");
}

#[test]
fn freeing_the_client_with_calls_in_flight_lets_them_finish() {
    let s = sandbox();
    add_fault(&s, json!({"route": "POST /v1/checkouts", "delay_ms": 300, "times": 40}));
    let client = lib().client(&config(&s.base_url())).unwrap();
    let (tx, rx) = mpsc::channel();
    for _ in 0..40 {
        assert_eq!(client.start(Op::Create, &create(), tx.clone()), 0);
    }
    client.free();
    for (code, v) in collect(&rx, 40, Duration::from_secs(60)) {
        assert_eq!(code, 0, "{v}");
    }
    assert_eq!(ledger(&s)["checkouts"].as_object().unwrap().len(), 40);
}

#[test]
fn calls_beyond_max_in_flight_queue_and_their_wait_counts_against_deadline_ms() {
    let s = sandbox();
    add_fault(&s, json!({"route": "POST /v1/checkouts", "delay_ms": 2000, "times": 100}));
    let mut cfg = config(&s.base_url());
    cfg["max_in_flight"] = 2.into();
    cfg["deadline_ms"] = 3000.into();
    let client = lib().client(&cfg).unwrap();
    // A token first, so that the first two calls spend their time on the delayed create only.
    let (tx, rx) = mpsc::channel();
    assert_eq!(client.start(Op::Get, &json!({"checkout_id": "cho_missing"}), tx), 0);
    collect(&rx, 1, Duration::from_secs(30));

    let mut receivers = Vec::new();
    for _ in 0..6 {
        let (one_tx, one_rx) = mpsc::channel();
        assert_eq!(client.start(Op::Create, &create(), one_tx), 0);
        receivers.push(one_rx);
    }
    let outcomes: Vec<(i32, Value)> =
        receivers.iter().map(|r| collect(r, 1, Duration::from_secs(60)).remove(0)).collect();
    // Two run at once: the first two end after the 2 s delay; the next two start then, with
    // 1 s of their 3 s left, and time out; the last two start when the deadline has passed
    // and send nothing.
    assert_eq!(outcomes[0].0, 0, "{}", outcomes[0].1);
    assert_eq!(outcomes[1].0, 0, "{}", outcomes[1].1);
    for (i, (code, v)) in outcomes.iter().enumerate().skip(2) {
        assert_eq!(*code, 13, "call {i}: {v}");
    }
    for (code, v) in &outcomes[4..] {
        assert_eq!((*code, v["error"]["attempts"].as_u64()), (13, Some(0)), "{v}");
        assert_eq!(v["error"]["message"], "the call's deadline of 3000 ms passed");
    }
}

#[test]
fn the_bound_is_per_client() {
    let s = sandbox();
    add_fault(&s, json!({"route": "POST /v1/checkouts", "delay_ms": 1000, "times": 100}));
    let mut cfg = config(&s.base_url());
    cfg["max_in_flight"] = 1.into();
    let one = lib().client(&cfg).unwrap();
    let other = lib().client(&config(&s.base_url())).unwrap();
    let (tx, rx) = mpsc::channel();
    for _ in 0..3 {
        assert_eq!(one.start(Op::Create, &create(), tx.clone()), 0);
    }
    let began = Instant::now();
    let (other_tx, other_rx) = mpsc::channel();
    assert_eq!(other.start(Op::Get, &json!({"checkout_id": "cho_missing"}), other_tx), 0);
    let (code, _) = collect(&other_rx, 1, Duration::from_secs(30)).remove(0);
    assert_eq!(code, 8);
    assert!(began.elapsed() < Duration::from_millis(2000), "another client's queue held it up");
    for (code, v) in collect(&rx, 3, Duration::from_secs(60)) {
        assert_eq!(code, 0, "{v}");
    }
}

#[test]
fn max_in_flight_is_checked_at_client_creation() {
    let s = sandbox();
    for bad in [json!(0), json!(10_001), json!("many")] {
        let mut cfg = config(&s.base_url());
        cfg["max_in_flight"] = bad.clone();
        let e = lib().client(&cfg).err().expect("refused");
        assert_eq!(e["error"]["message"], "max_in_flight: must be an integer from 1 to 10000", "{bad}");
    }
}

/// The I/O threads have small stacks (src/workers.rs): the deepest JSON the library reads, in
/// a request (serde_json's 128 levels) and in a provider's answer (125 levels), fits in them.
#[test]
fn the_deepest_json_read_fits_the_io_threads_stacks() {
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let at_limit = format!(
        r#"{{"id": "cho_1", "type": "checkout", "data": {{"id": "cho_1", "status": "created", "payment_amount": 1799, "deep": {}}}}}"#,
        nested(123)
    );
    let stub = Stub::answering(r#"{"access_token": "stub-token"}"#, move || Answer::json(200, at_limit.clone()));
    let client = lib().client(&config(&stub.base_url)).unwrap();
    let (tx, rx) = mpsc::channel();
    assert_eq!(client.start(Op::Get, &json!({"checkout_id": "cho_1"}), tx), 0);
    let (code, read) = collect(&rx, 1, Duration::from_secs(30)).remove(0);
    assert_eq!(code, 0, "{read}");
    assert!(read["provider_data"]["deep"].is_array());

    let deep_object = format!("{{\"metadata\": {}{}}}", "{\"a\":".repeat(300), "1".to_owned() + &"}".repeat(300));
    for request in ["[".repeat(100_000), deep_object] {
        let text = std::ffi::CString::new(request).unwrap();
        let (tx, rx) = mpsc::channel();
        assert_eq!(client.start_raw(Op::Create, text.as_ptr(), tx), 0);
        assert_eq!(collect(&rx, 1, Duration::from_secs(30)).remove(0).0, 3);
    }
}

#[test]
fn waiting_for_idle_returns_once_every_callback_has_returned() {
    let s = sandbox();
    add_fault(&s, json!({"route": "POST /v1/checkouts", "delay_ms": 500, "times": 10}));
    let client = lib().client(&config(&s.base_url())).unwrap();
    let (tx, rx) = mpsc::channel();
    for _ in 0..10 {
        assert_eq!(client.start(Op::Create, &create(), tx.clone()), 0);
    }
    // SAFETY: takes no pointer; called from a thread that is not a callback.
    unsafe {
        assert_eq!((lib().async_wait_idle)(0), 13, "calls are in flight");
        assert_eq!((lib().async_wait_idle)(120_000), 0);
    }
    for i in 0..10 {
        let (code, text) = rx.try_recv().unwrap_or_else(|_| panic!("outcome {i} was not delivered before idle"));
        assert_eq!(code, 0, "{text}");
    }
}
