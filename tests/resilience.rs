//! Resilience under faults the sandbox injects (`POST /__sandbox/faults`): the retry policy,
//! exactly-once JustiFi completion under 1,000 faulted calls, ReCharge charges that are never
//! sent twice, and one client shared by 16 threads.

mod common;

use checkout_sandbox::{Sandbox, SandboxConfig};
use common::host::{HostClient, Op};
use common::{add_fault, config, expire_tokens, ledger, lib, recharge_config, sandbox, tokenize, Answer, Stub};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

const COMPLETE: &str = "POST /v1/checkouts/{id}/complete";

fn donut(client: &HostClient) -> String {
    let c = client.call(Op::Create, &json!({"amount": 1799, "description": "One Chocolate Donut"})).unwrap();
    c["id"].as_str().unwrap().to_owned()
}

/// Waits until the sandbox has run a request the client gave up on: a delayed one runs after
/// its delay (1.5 s, past the 1 s timeout of the fault tables).
fn until_run(fault: &Value) {
    std::thread::sleep(Duration::from_millis(if fault["delay_ms"].is_null() { 50 } else { 900 }));
}

fn requests(s: &checkout_sandbox::Sandbox, key: &str) -> u64 {
    ledger(s)["requests"][key].as_u64().unwrap_or(0)
}

#[test]
fn retry_after_is_honoured_in_seconds_and_dates_up_to_a_cap() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();

    let id = donut(&client);
    let get = json!({"checkout_id": id});
    const ROUTE: &str = "GET /v1/checkouts/{id}";

    add_fault(&s, json!({"route": ROUTE, "status": 429, "retry_after": "1"}));
    let started = Instant::now();
    let c = client.call(Op::Get, &get).unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1), "waited for Retry-After");
    assert_eq!(c["attempts"], 2, "a GET is sent again after a 429");

    let in_a_second = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    add_fault(&s, json!({"route": ROUTE, "status": 429, "retry_after": in_a_second}));
    let started = Instant::now();
    assert_eq!(client.call(Op::Get, &get).unwrap()["attempts"], 2);
    assert!(started.elapsed() >= Duration::from_millis(900), "waited for the HTTP-date");

    add_fault(&s, json!({"route": ROUTE, "status": 429, "retry_after": "60"}));
    let (code, e) = client.call(Op::Get, &get).unwrap_err();
    assert_eq!((code, e["error"]["attempts"].as_u64()), (10, Some(1)), "a Retry-After past the cap is not waited for");
    assert_eq!(e["error"]["retryable"], true);

    add_fault(&s, json!({"route": "POST /v1/checkouts", "status": 429, "retry_after": "0", "after": true}));
    let c = client.call(Op::Create, &json!({"amount": 1799, "description": "x"})).unwrap();
    assert_eq!(c["attempts"], 2, "a create carries its key, so a 429 is retried with it");
    assert_eq!(ledger(&s)["checkouts"].as_object().unwrap().len(), 2, "the replay is the checkout the 429 hid");
}

#[test]
fn a_call_keeps_to_its_deadline_and_reports_attempts() {
    let s = sandbox();
    let mut cfg = config(&s.base_url());
    cfg["deadline_ms"] = 700.into();
    cfg["timeout_ms"] = 5000.into();
    let client = lib().client(&cfg).unwrap();
    let id = donut(&client);

    add_fault(&s, json!({"route": "GET /v1/checkouts/{id}", "status": 503, "times": 1}));
    assert_eq!(
        client.call(Op::Get, &json!({"checkout_id": id})).unwrap()["attempts"],
        2,
        "a GET is retried after a 503"
    );

    add_fault(&s, json!({"route": "GET /v1/checkouts/{id}", "delay_ms": 3000}));
    let started = Instant::now();
    let (code, e) = client.call(Op::Get, &json!({"checkout_id": id})).unwrap_err();
    assert_eq!(code, 13);
    assert!(started.elapsed() < Duration::from_millis(2000), "the 700 ms deadline cut the 5 s attempt short");
    assert_eq!((e["error"]["attempts"].as_u64(), e["error"]["retryable"].as_bool()), (Some(1), Some(true)));

    let (_, e) = client.call(Op::Get, &json!({"checkout_id": 7})).unwrap_err();
    assert_eq!(e["error"]["attempts"], 0, "refused before anything was sent");
}

/// The faults of the exactly-once run: before or after processing.
fn random_fault(rng: &mut fastrand::Rng) -> Option<Value> {
    let after = rng.bool();
    let fault = match rng.u8(0..14) {
        0 => json!({"status": 500}),
        1 => json!({"status": 502}),
        2 => json!({"status": 503}),
        3 => json!({"status": 429, "retry_after": "0"}),
        4 => json!({"status": 429}),
        5 => json!({"delay_ms": 400}),
        6 => json!({"reset": true}),
        7 => json!({"truncate": true}),
        8 => json!({"not_json": true}),
        9 => json!({"wrong_content_type": true}),
        10 => json!({"huge": true}),
        _ => return None,
    };
    let mut fault = fault;
    fault["after"] = after.into();
    fault["route"] = COMPLETE.into();
    Some(fault)
}

#[test]
fn a_thousand_faulted_completes_charge_each_checkout_at_most_once() {
    let s = sandbox();
    let pm = tokenize(&s, "4242424242424242");
    let mut cfg = config(&s.base_url());
    cfg["timeout_ms"] = 200.into();
    cfg["max_retries"] = 0.into();
    let storefront = lib().client(&cfg).unwrap();
    cfg["max_retries"] = 2.into();
    let retrying = lib().client(&cfg).unwrap();

    let mut rng = fastrand::Rng::with_seed(20261121);
    let (mut definite, mut recovered, mut faults, mut settled) = (0, 0, 0, 0);
    let mut outcomes = Vec::new();
    for i in 0..1000 {
        let client = if i % 10 == 0 { &retrying } else { &storefront };
        let id = donut(client);
        let key = format!("order-{i}");
        if let Some(fault) = random_fault(&mut rng) {
            add_fault(&s, fault);
            faults += 1;
        }
        let request = json!({"checkout_id": id, "payment_token": pm, "idempotency_key": key});
        let first = client.call(Op::Complete, &request);
        if let Ok(c) = &first {
            if c["confirmed_by"] == "checkout_get" {
                settled += 1;
                assert_eq!(c["idempotency_key"], key, "call {i}: a settled completion carries the key");
            }
        }
        let completion = match first {
            Ok(c) if c["payment_status"] == "succeeded" => {
                definite += 1;
                c
            }
            outcome => {
                match outcome {
                    Ok(c) => {
                        assert_eq!(c["payment_status"], "pending", "call {i}: {c}");
                        assert!(c["pending_reason"].as_str().unwrap().contains("same idempotency_key"), "call {i}");
                    }
                    Err((code, e)) => {
                        let e = &e["error"];
                        assert_eq!(e["retryable"], true, "call {i}: a non-definite answer must be retryable: {e}");
                        assert_eq!(e["idempotency_key"], key, "call {i}: the error carries the key");
                        assert!([10, 11, 12, 13, 9].contains(&code), "call {i}: {e}");
                    }
                }
                recovered += 1;
                let mut again = None;
                for _ in 0..5 {
                    match storefront.call(Op::Complete, &request) {
                        Ok(c) if c["payment_status"] == "succeeded" => {
                            again = Some(c);
                            break;
                        }
                        _ => std::thread::sleep(Duration::from_millis(150)),
                    }
                }
                again.unwrap_or_else(|| panic!("call {i}: the key did not recover the completion"))
            }
        };
        assert_eq!(completion["payment_status"], "succeeded", "call {i}");
        outcomes.push((id, completion["id"].clone(), completion["payment_id"].clone(), request));
    }
    std::thread::sleep(Duration::from_millis(600));
    let l = ledger(&s);
    for (id, completion_id, payment_id, request) in &outcomes {
        let payments = l["checkouts"][id]["payments"].as_array().unwrap();
        assert_eq!(payments.len(), 1, "checkout {id} was charged {} times", payments.len());
        assert_eq!(&payments[0]["id"], payment_id, "the recovered completion is the one that charged");
        let replay = storefront.call(Op::Complete, request).unwrap();
        assert_eq!(&replay["id"], completion_id, "the key keeps answering the original completion");
    }
    println!(
        "1000 completes: {faults} faulted, {definite} definite at once ({settled} settled by reading the checkout), \
         {recovered} recovered with the key, 0 double charges"
    );
    assert!(faults > 700 && recovered > 300, "the mix exercised the faults ({faults}, {recovered})");
}

/// The ambiguity table: a ReCharge charge meets every fault, before and after ReCharge
/// processes it. ReCharge has no idempotency keys, so the charge is sent once and the library
/// settles the outcome by reading the checkout: the storefront gets `succeeded` (confirmed by
/// the read) or `pending`, never an error to guess from, and never a second charge. (A JSON
/// answer under the wrong content type is still the answer, read as such.)
#[test]
fn a_recharge_charge_is_never_sent_twice_and_always_settled() {
    let s = sandbox();
    let mut cfg = recharge_config(&s.base_url());
    cfg["timeout_ms"] = 1000.into();
    let client = lib().client(&cfg).unwrap();
    let mut table = Vec::new();
    // The delay outlasts the client's 1 s timeout, which leaves a loaded machine time to answer
    // the other requests (a 200 ms timeout made the settling read itself time out under load).
    for fault in common::every_fault(1500) {
        let token = client
            .call(Op::Create, &json!({"provider_options": common::fixture("seed_002_create.json")}))
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut f = fault.clone();
        f["route"] = "POST /checkouts/{token}/charge".into();
        add_fault(&s, f);
        let c = client
            .call(Op::Complete, &json!({"checkout_id": token, "payment_token": "tok_visa"}))
            .unwrap_or_else(|e| panic!("{fault}: an error instead of a settled answer: {e:?}"));
        assert!(c["confirmed_by"] == "checkout_get" || fault["wrong_content_type"] == true, "{fault}: {c}");
        assert_eq!(requests(&s, &format!("POST /checkouts/{token}/charge")), 1, "{fault}: the charge was sent once");
        until_run(&fault);
        let payments = ledger(&s)["recharge_checkouts"][&token]["payments"].as_array().map_or(0, Vec::len);
        assert!(payments <= 1, "{fault}: charged {payments} times");
        match c["payment_status"].as_str().unwrap() {
            "succeeded" => assert_eq!(payments, 1, "{fault}: succeeded means charged"),
            "pending" => assert!(c["pending_reason"].as_str().unwrap().contains("before charging again")),
            other => panic!("{fault}: {other}"),
        }
        if fault["after"] == true {
            assert_eq!(
                c["payment_status"], "succeeded",
                "{fault}: processed before the fault, so the read finds it paid"
            );
        }
        table.push(format!("{fault}: {} ({payments} payment)", c["payment_status"]));
    }
    println!("ReCharge charge under every fault:\n{}", table.join("\n"));
}

/// The same table for a JustiFi completion, which also carries an idempotency key: after the
/// retries with the key, the library reads the checkout; `pending` answers are recovered by
/// calling again with the key, and every checkout has exactly one payment.
#[test]
fn a_justifi_completion_is_settled_under_every_fault() {
    let s = sandbox();
    let pm = tokenize(&s, "4242424242424242");
    let mut cfg = config(&s.base_url());
    cfg["timeout_ms"] = 1000.into();
    cfg["max_retries"] = 0.into();
    let client = lib().client(&cfg).unwrap();
    for fault in common::every_fault(1500) {
        let id = donut(&client);
        let mut f = fault.clone();
        f["route"] = COMPLETE.into();
        add_fault(&s, f);
        let request = json!({"checkout_id": id, "payment_token": pm});
        let c = client
            .call(Op::Complete, &request)
            .unwrap_or_else(|e| panic!("{fault}: an error instead of a settled answer: {e:?}"));
        assert!(c["confirmed_by"] == "checkout_get" || fault["wrong_content_type"] == true, "{fault}: {c}");
        let key = c["idempotency_key"].as_str().unwrap();
        if fault["after"] == true {
            assert_eq!(c["payment_status"], "succeeded", "{fault}: processed before the fault");
            assert_eq!(c["payment_id"], ledger(&s)["checkouts"][&id]["payments"][0]["id"], "{fault}");
        } else {
            assert_eq!(c["payment_status"], "pending", "{fault}: not processed yet when read");
            until_run(&fault);
            let again =
                client.call(Op::Complete, &json!({"checkout_id": id, "payment_token": pm, "idempotency_key": key}));
            assert_eq!(again.unwrap()["payment_status"], "succeeded", "{fault}: the key completes it");
        }
        let payments = ledger(&s)["checkouts"][&id]["payments"].as_array().map_or(0, Vec::len);
        assert_eq!(payments, 1, "{fault}: exactly one payment");
    }
}

#[test]
fn sixteen_threads_share_one_client_one_token_and_few_connections() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let id = donut(&client);
    let before = ledger(&s);
    std::thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| {
                for _ in 0..500 {
                    assert_eq!(client.call(Op::Get, &json!({"checkout_id": id})).unwrap()["id"], id);
                }
            });
        }
    });
    let after = ledger(&s);
    let connections = after["connections"].as_u64().unwrap();
    println!("16 threads × 500 calls: {} token grant(s), {connections} TCP connections", after["token_grants"]);
    assert_eq!(after["token_grants"], 1);
    assert_eq!(before["token_grants"], 1);
    assert!(connections <= 16 + 2, "{connections} connections for 16 threads (plus this test's own two)");
    assert_eq!(requests(&s, &format!("GET /v1/checkouts/{id}")), 8000);
}

#[test]
fn clients_made_per_request_share_the_process_pool() {
    let s = sandbox();
    let warm = lib().client(&config(&s.base_url())).unwrap();
    let id = donut(&warm);
    drop(warm);
    let before = ledger(&s)["connections"].as_u64().unwrap();
    for _ in 0..200 {
        let client = lib().client(&config(&s.base_url())).unwrap();
        assert_eq!(client.call(Op::Get, &json!({"checkout_id": id})).unwrap()["id"], id);
    }
    let opened = ledger(&s)["connections"].as_u64().unwrap() - before;
    println!("200 clients, one per request: {opened} connection(s) opened, this test's ledger read included");
    assert!(opened <= 2, "{opened} connections for 200 clients made one after another");
}

#[test]
fn clients_with_other_transport_settings_do_not_share_a_pool() {
    let s = sandbox();
    let id = donut(&lib().client(&config(&s.base_url())).unwrap());
    let before = ledger(&s)["connections"].as_u64().unwrap();
    for timeout_ms in [10_001, 10_002, 10_003] {
        let mut cfg = config(&s.base_url());
        cfg["timeout_ms"] = timeout_ms.into();
        let client = lib().client(&cfg).unwrap();
        assert_eq!(client.call(Op::Get, &json!({"checkout_id": id})).unwrap()["id"], id);
    }
    let opened = ledger(&s)["connections"].as_u64().unwrap() - before;
    assert_eq!(opened, 3 + 1, "one connection per distinct timeout, and this test's ledger read");
}

#[test]
fn a_call_waiting_for_another_threads_token_fetch_keeps_to_its_own_deadline() {
    let s = sandbox();
    add_fault(&s, json!({"route": "POST /oauth/token", "delay_ms": 3000}));
    let slow = std::thread::spawn({
        let base_url = s.base_url();
        move || lib().client(&config(&base_url)).unwrap().call(Op::Create, &json!({"amount": 1799, "description": "x"}))
    });
    while requests(&s, "POST /oauth/token") == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut cfg = config(&s.base_url());
    cfg["deadline_ms"] = 500.into();
    let hurried = lib().client(&cfg).unwrap();
    let started = Instant::now();
    let (code, e) = hurried.call(Op::Create, &json!({"amount": 1799, "description": "x"})).unwrap_err();
    let waited = started.elapsed();
    println!("deadline_ms 500 behind another thread's 3 s token fetch: TIMEOUT after {} ms", waited.as_millis());
    assert_eq!(code, 13, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("another call fetched the access token"), "{e}");
    assert!(waited < Duration::from_millis(1500), "gave up by its 500 ms deadline, not the 3 s fetch: {waited:?}");
    assert!(slow.join().unwrap().is_ok(), "the fetching call itself completes");
    assert_eq!(ledger(&s)["token_grants"], 1, "one token fetched");
}

#[test]
fn clients_made_per_request_over_https_share_connections_and_tls_sessions() {
    let s = Sandbox::start(SandboxConfig { tls: true, ..SandboxConfig::default() }).unwrap();
    let ca = std::env::temp_dir().join(format!("checkout-sandbox-ca-{}-{}.pem", std::process::id(), s.addr().port()));
    std::fs::write(&ca, s.ca_pem().unwrap()).unwrap();
    let mut cfg = config(&s.base_url());
    cfg["ca_bundle_path"] = ca.to_str().unwrap().into();
    // The test's own reads go over one keep-alive connection of their own, opened here.
    let admin: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![ureq::tls::Certificate::from_pem(
                    s.ca_pem().unwrap().as_bytes(),
                )
                .unwrap()
                .to_owned()])))
                .build(),
        )
        .build()
        .into();
    let counters = || -> Value {
        let mut resp = admin.get(&format!("{}/__sandbox/counters", s.base_url())).call().unwrap();
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
    };
    let before = counters();
    let mut id = Value::Null;
    for i in 0..200 {
        let client = lib().client(&cfg).unwrap();
        if i == 0 {
            id = client.call(Op::Create, &json!({"amount": 1799, "description": "One Chocolate Donut"})).unwrap()["id"]
                .clone();
        } else {
            assert_eq!(client.call(Op::Get, &json!({"checkout_id": id})).unwrap()["id"], id);
        }
    }
    let after = counters();
    let delta = |after: &Value, before: &Value, key: &str| after[key].as_u64().unwrap() - before[key].as_u64().unwrap();
    let (connections, handshakes) = (delta(&after, &before, "connections"), delta(&after, &before, "tls_handshakes"));
    println!("200 clients over HTTPS, one per request: {connections} connection(s), {handshakes} full handshake(s)");
    assert!(connections <= 2, "{connections} connections for 200 clients");
    assert!(handshakes <= 2, "{handshakes} full TLS handshakes for 200 clients");

    // The pooled connection is dropped (the sandbox resets it): the retry's new connection
    // resumes the TLS session of the process's pool instead of a full handshake.
    let fault = json!({"route": "GET /v1/checkouts/{id}", "reset": true, "times": 1}).to_string();
    let mut added =
        admin.post(&format!("{}/__sandbox/faults", s.base_url())).content_type("application/json").send(fault).unwrap();
    added.body_mut().read_to_string().unwrap(); // read whole, so its connection goes back to the admin's pool
    let client = lib().client(&cfg).unwrap();
    assert_eq!(client.call(Op::Get, &json!({"checkout_id": id})).unwrap()["id"], id);
    let last = counters();
    std::fs::remove_file(&ca).unwrap();
    assert_eq!(delta(&last, &after, "connections"), 1, "one new connection after the reset");
    assert_eq!(
        (delta(&last, &after, "tls_handshakes"), delta(&last, &after, "tls_resumptions")),
        (0, 1),
        "the new connection resumed the session"
    );
}

#[test]
fn a_timeout_mid_body_is_a_timeout() {
    // The headers and the first bytes of a 1,000-byte body, then nothing for 5 s.
    let stub = Stub::answering(r#"{"access_token": "stub-token"}"#, || Answer {
        status: 200,
        headers: vec![("content-length", "1000".into())],
        body: br#"{"id": "cho_"#.to_vec(),
    });
    let mut cfg = config(&stub.base_url);
    cfg["timeout_ms"] = 300.into();
    cfg["max_retries"] = 0.into();
    let client = lib().client(&cfg).unwrap();
    let started = Instant::now();
    let (code, e) = client.call(Op::Get, &json!({"checkout_id": "cho_1"})).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "the attempt's timeout ended it");
    assert_eq!(code, 13, "the headers came, the body stalled: the timeout is what happened: {e}");
    assert_eq!(e["error"]["code"], "timeout");
    assert_eq!(e["error"]["retryable"], true);
}

#[test]
fn a_completion_whose_token_fetch_fails_was_not_sent_so_it_is_not_ambiguous() {
    let s = sandbox();
    let pm = tokenize(&s, "4242424242424242");
    let mut cfg = config(&s.base_url());
    cfg["max_retries"] = 0.into();
    let client = lib().client(&cfg).unwrap();
    let id = donut(&client);
    let reads = requests(&s, "GET /v1/checkouts/{id}");
    // The cached token is refused (401, not processed); its refresh answers 503: the
    // completion was never processed, so there is nothing to settle and nothing "may have
    // succeeded".
    expire_tokens(&s);
    add_fault(&s, json!({"route": "POST /oauth/token", "status": 503, "times": 5}));
    let request = json!({"checkout_id": id, "payment_token": pm, "idempotency_key": "order-token-503"});
    let (code, e) = client.call(Op::Complete, &request).unwrap_err();
    let message = e["error"]["message"].as_str().unwrap();
    assert_eq!((code, e["error"]["http_status"].as_u64()), (11, Some(503)), "{e}");
    assert!(!message.contains("may have"), "{e}");
    assert_eq!(e["error"]["retryable"], true, "{e}");
    assert_eq!(e["error"]["idempotency_key"], "order-token-503", "{e}");
    assert_eq!(requests(&s, "GET /v1/checkouts/{id}"), reads, "no settling read: nothing was processed");
    assert!(ledger(&s)["payments"].as_object().is_none_or(|p| p.is_empty()), "no payment was made");
}
