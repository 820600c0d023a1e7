//! The log callback through the C ABI, as a host sees it (docs/contract.md, "Logging"): the
//! library dlopen'ed, `checkout_client_set_log_callback` given a C function, calls made from
//! many threads at once and asynchronously; every record counted, its thread and level checked,
//! and searched for secrets.

mod common;

use checkout_sandbox::{TEST_CLIENT_SECRET, TEST_RECHARGE_TOKEN};
use common::host::{Op, RawClient};
use common::{add_fault, config, lib, recharge_config, sandbox, tokenize};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::Duration;

type LogCallback = unsafe extern "C" fn(*mut c_void, *const c_char, usize);
type SetLogCallback = unsafe extern "C" fn(*const RawClient, Option<LogCallback>, *mut c_void, u32) -> i32;
type FlushLog = unsafe extern "C" fn(*const RawClient) -> i32;

/// `CHECKOUT_LOG_DEFER_ASYNC`.
const DEFER_ASYNC: u32 = 1;

/// The two log exports, read from the library the tests load.
struct LogExports {
    set: SetLogCallback,
    flush: FlushLog,
    _lib: libloading::Library,
}

fn exports() -> &'static LogExports {
    static EXPORTS: OnceLock<LogExports> = OnceLock::new();
    EXPORTS.get_or_init(|| {
        // SAFETY: the library the other tests load; each symbol read with the header's signature.
        unsafe {
            let lib = libloading::Library::new(&lib().path).expect("dlopen");
            let set = *lib.get::<SetLogCallback>(b"checkout_client_set_log_callback").unwrap();
            let flush = *lib.get::<FlushLog>(b"checkout_client_flush_log").unwrap();
            LogExports { set, flush, _lib: lib }
        }
    })
}

/// What a host's callback collected: each record with the thread it came on.
#[derive(Default)]
struct Collector {
    records: Mutex<Vec<(ThreadId, Value)>>,
    /// Callbacks running now; a slow callback sleeps this long.
    running: AtomicUsize,
    slow_ms: AtomicUsize,
}

impl Collector {
    fn take(&self) -> Vec<(ThreadId, Value)> {
        std::mem::take(&mut *self.records.lock().unwrap())
    }
}

unsafe extern "C" fn collect(user_data: *mut c_void, record: *const c_char, len: usize) {
    let collector = &*user_data.cast::<Collector>();
    collector.running.fetch_add(1, Ordering::SeqCst);
    let bytes = std::slice::from_raw_parts(record.cast::<u8>(), len);
    assert_eq!(*record.add(len), 0, "the record is NUL-terminated too");
    let value: Value = serde_json::from_slice(bytes).expect("a record is JSON");
    assert!(bytes.starts_with(b"{\"level\":\""), "level comes first: {value}");
    collector.records.lock().unwrap().push((std::thread::current().id(), value));
    std::thread::sleep(Duration::from_millis(collector.slow_ms.load(Ordering::SeqCst) as u64));
    collector.running.fetch_sub(1, Ordering::SeqCst);
}

fn set(client: *const RawClient, collector: Option<&Collector>, flags: u32) -> i32 {
    let user_data = collector.map_or(std::ptr::null_mut(), |c| (c as *const Collector).cast_mut().cast());
    // SAFETY: a live handle; the collector outlives the registration (each test clears it or
    // frees the client before dropping the collector).
    unsafe { (exports().set)(client, collector.map(|_| collect as LogCallback), user_data, flags) }
}

/// The record members of each event (docs/contract.md, "Logging"): nothing else may appear.
fn members(event: &str) -> BTreeSet<&'static str> {
    let names: &[&str] = match event {
        "http_attempt" => &[
            "level",
            "event",
            "operation",
            "method",
            "path",
            "status",
            "error",
            "ms",
            "attempt",
            "retry_in_ms",
            "request_id",
            "idempotency_key",
        ],
        "outcome_settled" => {
            &["level", "event", "operation", "confirmed_by", "checkout_id", "outcome", "idempotency_key"]
        }
        "operation_failed" => &[
            "level",
            "event",
            "operation",
            "error",
            "http_status",
            "retryable",
            "attempts",
            "ms",
            "request_id",
            "idempotency_key",
        ],
        other => panic!("unknown event {other}"),
    };
    names.iter().copied().collect()
}

/// Every record has only its event's members and none of `secrets`, nor a bearer token.
fn assert_clean(records: &[(ThreadId, Value)], secrets: &[&str]) {
    for (_, record) in records {
        let event = record["event"].as_str().unwrap();
        let keys: BTreeSet<&str> = record.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(keys.is_subset(&members(event)), "unexpected members in {record}");
        let text = record.to_string();
        for secret in secrets.iter().chain(&["Bearer", "\"tok_", "4242424242424242"]) {
            assert!(!text.contains(secret), "{secret} in the record {text}");
        }
    }
}

fn count(records: &[(ThreadId, Value)], event: &str) -> usize {
    records.iter().filter(|(_, r)| r["event"] == event).count()
}

#[test]
fn records_from_many_threads_arrive_on_each_calling_thread_counted_and_clean() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let collector = Collector::default();
    assert_eq!(set(client.raw, Some(&collector), 0), 0);
    let card = tokenize(&s, "4242424242424242");
    const THREADS: usize = 8;
    const ROUNDS: usize = 5;
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (client, card, tx) = (&client, card.clone(), tx.clone());
            scope.spawn(move || {
                let mut sent = 0;
                for r in 0..ROUNDS {
                    let checkout = client.call(Op::Create, &json!({"amount": 1799, "description": "log"})).unwrap();
                    let id = checkout["id"].as_str().unwrap();
                    let key = format!("log-{t}-{r}");
                    let done = client
                        .call(Op::Complete, &json!({"checkout_id": id, "payment_token": card, "idempotency_key": key}))
                        .unwrap();
                    let (_, missing) = client.call(Op::Get, &json!({"checkout_id": "cho_missing"})).unwrap_err();
                    sent += checkout["attempts"].as_u64().unwrap()
                        + done["attempts"].as_u64().unwrap()
                        + missing["error"]["attempts"].as_u64().unwrap();
                }
                tx.send((std::thread::current().id(), sent)).unwrap();
            });
        }
    });
    drop(tx);
    let records = collector.take();
    let mut total = 0;
    for (thread, sent) in rx {
        let here: Vec<_> = records.iter().filter(|(t, _)| *t == thread).cloned().collect();
        assert_eq!(count(&here, "http_attempt") as u64, sent, "every attempt of a thread's calls, on that thread");
        assert_eq!(count(&here, "operation_failed"), ROUNDS, "one failure per missing checkout");
        total += here.len();
    }
    assert_eq!(total, records.len(), "no record on another thread");
    for (_, r) in &records {
        match r["event"].as_str().unwrap() {
            "http_attempt" => assert_eq!(r["level"], "debug", "{r}"),
            _ => assert_eq!(
                (&r["level"], &r["error"], &r["operation"]),
                (&json!("warning"), &json!("not_found"), &json!("checkout_get"))
            ),
        }
    }
    let completes: Vec<_> = records.iter().filter(|(_, r)| r["operation"] == "checkout_complete").collect();
    assert_eq!(completes.len(), THREADS * ROUNDS);
    assert!(completes.iter().all(|(_, r)| r["idempotency_key"].as_str().unwrap().starts_with("log-")));
    assert_clean(&records, &[TEST_CLIENT_SECRET, &card]);

    // Asynchronous calls: delivered on the library's I/O threads, before each completion.
    let (tx, rx) = mpsc::channel();
    for _ in 0..32 {
        assert_eq!(client.start(Op::Create, &json!({"amount": 500, "description": "async"}), tx.clone()), 0);
    }
    drop(tx);
    let outcomes: Vec<_> = rx.iter().take(32).collect();
    let records = collector.take();
    assert_eq!(count(&records, "http_attempt"), 32);
    assert!(outcomes.iter().all(|(code, _)| *code == 0));
    let me = std::thread::current().id();
    assert!(records.iter().all(|(t, _)| *t != me), "asynchronous calls log on the I/O threads");

    assert_eq!(set(client.raw, None, 0), 0);
    client.call(Op::Create, &json!({"amount": 1799, "description": "unheard"})).unwrap();
    assert!(collector.take().is_empty(), "no record once cleared");
    println!("{} records from {THREADS} threads, 32 asynchronous calls: counted and clean", total);
}

#[test]
fn retries_settled_outcomes_and_failures_have_their_levels() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let collector = Collector::default();
    assert_eq!(set(client.raw, Some(&collector), 0), 0);
    add_fault(&s, json!({"route": "POST /v1/checkouts", "status": 503, "times": 1}));
    client.call(Op::Create, &json!({"amount": 1799, "description": "retried"})).unwrap();
    let records = collector.take();
    let summary: Vec<_> =
        records.iter().map(|(_, r)| (r["path"].as_str().unwrap(), r["status"].as_u64(), r["level"].as_str())).collect();
    assert_eq!(
        summary,
        [
            ("/oauth/token", Some(200), Some("debug")),
            ("/v1/checkouts", Some(503), Some("info")),
            ("/v1/checkouts", Some(201), Some("debug"))
        ]
    );
    assert!(records[1].1["retry_in_ms"].as_u64().is_some(), "{}", records[1].1);
    assert_eq!(records[2].1["attempt"], 2);

    // A ReCharge charge whose answer is lost after it was processed: settled by reading.
    let mut cfg = recharge_config(&s.base_url());
    cfg["timeout_ms"] = 200.into();
    let recharge = lib().client(&cfg).unwrap();
    assert_eq!(set(recharge.raw, Some(&collector), 0), 0);
    let token =
        recharge.call(Op::Create, &json!({"provider_options": common::fixture("seed_002_create.json")})).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    add_fault(&s, json!({"route": "POST /checkouts/{token}/charge", "reset": true, "after": true}));
    let done = recharge.call(Op::Complete, &json!({"checkout_id": token, "payment_token": "tok_visa"})).unwrap();
    assert_eq!(done["confirmed_by"], "checkout_get");
    let records = collector.take();
    let settled: Vec<_> = records.iter().filter(|(_, r)| r["event"] == "outcome_settled").collect();
    assert_eq!(settled.len(), 1, "{records:?}");
    let r = &settled[0].1;
    assert_eq!(
        (&r["level"], &r["operation"], &r["confirmed_by"], &r["checkout_id"], &r["outcome"]),
        (&json!("info"), &json!("checkout_complete"), &json!("checkout_get"), &json!(token), &done["payment_status"])
    );
    let charge = records.iter().find(|(_, r)| r["path"].as_str().unwrap().ends_with("/charge")).unwrap();
    assert_eq!((&charge.1["level"], &charge.1["error"]), (&json!("warning"), &json!("network")), "{}", charge.1);

    // A failed operation, refused before any request: a warning with no attempt.
    let (code, _) = client.call(Op::Create, &json!({"amount": 17.99, "description": "x"})).unwrap_err();
    assert_eq!(code, 4);
    let records = collector.take();
    assert_eq!(records.len(), 1);
    assert_eq!((&records[0].1["event"], &records[0].1["attempts"]), (&json!("operation_failed"), &json!(0)));
    assert_clean(&records, &[TEST_CLIENT_SECRET, TEST_RECHARGE_TOKEN]);
    assert_eq!(set(client.raw, None, 0), 0);
    assert_eq!(set(recharge.raw, None, 0), 0);
}

#[test]
fn no_callback_runs_after_clearing_or_freeing_returns() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let collector = Collector::default();
    collector.slow_ms.store(300, Ordering::SeqCst);
    assert_eq!(set(client.raw, Some(&collector), 0), 0);
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| client.call(Op::Create, &json!({"amount": 1799, "description": "slow log"})));
        while collector.running.load(Ordering::SeqCst) == 0 && !worker.is_finished() {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(set(client.raw, None, 0), 0);
        assert_eq!(collector.running.load(Ordering::SeqCst), 0, "the clear waited for the running callback");
        let before = collector.take().len();
        worker.join().unwrap().unwrap();
        assert_eq!(before, 1, "one record before the clear (the token's), none after");
        assert!(collector.take().is_empty());
    });

    // Freeing with asynchronous calls in flight: none of their records after the free returns.
    collector.slow_ms.store(0, Ordering::SeqCst);
    add_fault(&s, json!({"route": "POST /v1/checkouts", "delay_ms": 300, "times": 8}));
    let client = lib().client(&config(&s.base_url())).unwrap();
    assert_eq!(set(client.raw, Some(&collector), 0), 0);
    let (tx, rx) = mpsc::channel();
    for _ in 0..8 {
        assert_eq!(client.start(Op::Create, &json!({"amount": 500, "description": "freed"}), tx.clone()), 0);
    }
    drop(tx);
    std::thread::sleep(Duration::from_millis(100));
    client.free();
    let at_free = collector.take().len();
    assert_eq!(rx.iter().take(8).filter(|(code, _)| *code == 0).count(), 8, "the calls still end");
    assert!(collector.take().is_empty(), "{at_free} records before the free, none after");
}

#[test]
fn deferred_records_of_asynchronous_calls_arrive_on_the_flushing_thread() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let collector = Collector::default();
    assert_eq!(set(client.raw, Some(&collector), 1 << 7), 4, "an unknown flag is refused");
    assert_eq!(set(client.raw, Some(&collector), DEFER_ASYNC), 0);
    let (tx, rx) = mpsc::channel();
    for _ in 0..4 {
        assert_eq!(client.start(Op::Create, &json!({"amount": 500, "description": "deferred"}), tx.clone()), 0);
    }
    drop(tx);
    assert_eq!(rx.iter().take(4).count(), 4);
    assert!(collector.take().is_empty(), "nothing on the I/O threads");
    // A synchronous call's records still come at once, on its thread.
    client.call(Op::Get, &json!({"checkout_id": "cho_missing"})).unwrap_err();
    assert_eq!(collector.take().len(), 2);
    // SAFETY: a live handle.
    assert_eq!(unsafe { (exports().flush)(client.raw) }, 0);
    let records = collector.take();
    assert_eq!(count(&records, "http_attempt"), 5, "the token's and four creates'");
    let me = std::thread::current().id();
    assert!(records.iter().all(|(t, _)| *t == me), "delivered on the flushing thread");
    // SAFETY: NULL is refused.
    assert_eq!(unsafe { (exports().flush)(std::ptr::null()) }, 1);
    assert_eq!(set(std::ptr::null(), None, 0), 1);
    assert_eq!(set(client.raw, None, 0), 0);
}

/// A host whose callback clears its registration (and may free what `user_data` points to).
struct SelfClearing {
    client: *const RawClient,
    delivered: AtomicUsize,
}

unsafe extern "C" fn clear_on_first(user_data: *mut c_void, _record: *const c_char, _len: usize) {
    let host = &*user_data.cast::<SelfClearing>();
    host.delivered.fetch_add(1, Ordering::SeqCst);
    (exports().set)(host.client, None, std::ptr::null_mut(), 0);
}

#[test]
fn a_flush_stops_when_its_callback_clears_the_registration() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let host = SelfClearing { client: client.raw, delivered: AtomicUsize::new(0) };
    // SAFETY: a live handle; `host` outlives the registration, which the callback clears.
    let set = unsafe {
        (exports().set)(client.raw, Some(clear_on_first), (&host as *const SelfClearing).cast_mut().cast(), DEFER_ASYNC)
    };
    assert_eq!(set, 0);
    let (tx, rx) = mpsc::channel();
    for _ in 0..3 {
        assert_eq!(client.start(Op::Create, &json!({"amount": 500, "description": "deferred"}), tx.clone()), 0);
    }
    drop(tx);
    assert_eq!(rx.iter().take(3).count(), 3);
    // SAFETY: a live handle.
    assert_eq!(unsafe { (exports().flush)(client.raw) }, 0);
    assert_eq!(host.delivered.load(Ordering::SeqCst), 1, "no record after the callback cleared itself");
}
