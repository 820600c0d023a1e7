//! Hostile input, table-driven, through every export of the dlopen'ed library: NULLs, broken
//! UTF-8, broken and deeply nested JSON, numbers of every wrong kind, megabyte strings, control
//! characters, header injection, path tricks in ids, unknown fields and wrong types. Each case
//! gets its status and a JSON error object; the process never aborts; and no id reaches the
//! provider anywhere but its own URL path segment.

mod common;

use common::host::Op;
use common::{config, ledger, lib, sandbox};
use serde_json::{json, Value};
use std::ffi::CString;
use std::ptr;

/// One case: which export, the raw request (None for NULL), and the status it must get.
struct Case {
    op: Op,
    request: Option<Vec<u8>>,
    status: i32,
    what: String,
}

fn case(op: Op, request: impl Into<Vec<u8>>, status: i32, what: impl Into<String>) -> Case {
    Case { op, request: Some(request.into()), status, what: what.into() }
}

fn valid(op: Op) -> Value {
    match op {
        Op::Create => json!({"amount": 1799, "description": "x"}),
        Op::Complete => json!({"checkout_id": "cho_x", "payment_token": "pm_x", "idempotency_key": "k"}),
        Op::RedirectUrl => json!({"checkout_id": "cho_x"}),
        Op::Get | Op::WebComponentToken | Op::Refunds | Op::Void => json!({"checkout_id": "cho_x"}),
        Op::Refund => json!({"checkout_id": "cho_x", "amount": 500}),
    }
}

fn with(op: Op, field: &str, value: Value) -> Vec<u8> {
    let mut v = valid(op);
    v[field] = value;
    v.to_string().into_bytes()
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let bad_utf8: [&[u8]; 6] =
        [b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80"];
    let bad_json: [&[u8]; 12] =
        [b"", b" ", b"{", b"}", b"[]", b"null", b"42", b"\"s\"", b"{\"a\":}", b"{}x", b"{'a': 1}", b"{\"a\" 1}"];
    let deep_array = "[".repeat(100_000);
    let deep_object = format!("{{\"metadata\": {}{}}}", "{\"a\":".repeat(300), "1".to_owned() + &"}".repeat(300));
    for op in Op::ALL {
        cases.push(Case { op, request: None, status: 1, what: "NULL request".into() });
        for (i, b) in bad_utf8.iter().enumerate() {
            let mut bytes = br#"{"checkout_id": ""#.to_vec();
            bytes.extend_from_slice(b);
            bytes.extend_from_slice(br#""}"#);
            cases.push(case(op, bytes, 2, format!("invalid UTF-8 #{i}")));
        }
        for b in bad_json {
            cases.push(case(op, b.to_vec(), 3, format!("not a JSON object: {:?}", String::from_utf8_lossy(b))));
        }
        cases.push(case(op, deep_array.clone(), 3, "100,000 nested arrays"));
        cases.push(case(op, deep_object.clone(), 3, "300 nested objects"));
        cases.push(case(op, with(op, "zebra", json!(1)), 4, "an unknown field"));
        cases.push(case(op, with(op, "checkout_id", json!(12)), 4, "a number for an id"));
        cases.push(case(op, with(op, "checkout_id", json!(["cho_x"])), 4, "an array for an id"));
        cases.push(case(op, with(op, "checkout_id", json!({"id": 1})), 4, "an object for an id"));
        cases.push(case(op, with(op, "checkout_id", json!("")), 4, "an empty id"));
        cases.push(case(op, with(op, "checkout_id", json!("x".repeat(1 << 20))), 4, "a 1 MiB id"));
        for control in ["\u{0}", "\u{1b}[31m", "\r\nX-Injected: 1", "\n", "\t", "\u{7f}"] {
            cases.push(case(
                op,
                with(op, "checkout_id", json!(format!("cho_{control}"))),
                4,
                format!("control character {control:?} in an id"),
            ));
        }
        cases.push(case(op, with(op, "checkout_id", json!("..")), 4, "an id of .."));
        cases.push(case(op, with(op, "checkout_id", json!("cho x")), 4, "a space in an id"));
        cases.push(case(op, with(op, "checkout_id", json!("chó_x")), 4, "non-ASCII in an id"));
        cases.push(case(op, with(op, "checkout_id", json!(".")), 4, "an id of ."));
    }
    for amount in [
        json!(-1),
        json!(0),
        json!(1.5),
        json!(17.99),
        json!("1799"),
        json!(true),
        json!([1799]),
        json!({"v": 1}),
        json!(18446744073709551615u64),
        json!(-9223372036854775808i64),
        json!(1e300),
        json!(49),
        json!(100000001),
    ] {
        cases.push(case(Op::Create, with(Op::Create, "amount", amount.clone()), 4, format!("amount {amount}")));
        cases.push(case(
            Op::RedirectUrl,
            json!({"amount": amount, "success_url": "https://a.test"}).to_string(),
            4,
            format!("session amount {amount}"),
        ));
    }
    cases.push(case(Op::Create, br#"{"amount": 1e400, "description": "x"}"#.to_vec(), 3, "a number past f64"));
    cases.push(case(Op::Create, br#"{"amount": 18446744073709551616, "description": "x"}"#.to_vec(), 4, "2^64"));
    cases.push(case(Op::Create, with(Op::Create, "description", json!("d".repeat(1 << 20))), 4, "a 1 MiB description"));
    for field in ["currency", "success_url", "cancel_url", "callback_url", "origin_url", "email", "client_reference_id"]
    {
        cases.push(case(Op::Create, with(Op::Create, field, json!(42)), 4, format!("{field} as a number")));
        cases.push(case(Op::Create, with(Op::Create, field, json!("bad\u{0}value")), 4, format!("{field} with NUL")));
    }
    for url in ["javascript:alert(1)", "/relative", "ftp://x.test/a", "http://", "not a url"] {
        cases.push(case(Op::Create, with(Op::Create, "origin_url", json!(url)), 4, format!("origin_url {url}")));
    }
    for items in [
        json!("x"),
        json!([1]),
        json!([{"name": "a"}]),
        json!([{"name": "a", "unit_amount": -1, "quantity": 1}]),
        json!([{"name": "a", "unit_amount": 1, "quantity": 0}]),
        json!([{"name": "a", "unit_amount": 1, "quantity": 1, "x": 1}]),
        json!([{"name": "a", "unit_amount": u64::MAX, "quantity": 2}]),
    ] {
        cases.push(case(Op::Create, json!({"line_items": items}).to_string(), 4, format!("line_items {items}")));
    }
    for key in ["k\r\nX-Evil: 1", "with space", "é", "k".repeat(101).as_str(), "\u{0}"] {
        cases.push(case(
            Op::Complete,
            with(Op::Complete, "idempotency_key", json!(key)),
            4,
            format!("idempotency key {key:?}"),
        ));
    }
    for mode in [json!("cash"), json!(1), json!("")] {
        cases.push(case(
            Op::Complete,
            with(Op::Complete, "payment_mode", mode.clone()),
            4,
            format!("payment_mode {mode}"),
        ));
    }
    cases
}

#[test]
fn every_hostile_input_gets_its_status_and_an_error_object() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let cases = cases();
    assert!(cases.len() >= 200, "{} cases", cases.len());
    for c in &cases {
        let (code, text) = lib().call_raw(c.op, client.raw, c.request.as_deref());
        let error: Value = serde_json::from_str(&text.unwrap_or_else(|| panic!("{}: no out_json", c.what))).unwrap();
        assert_eq!(code, c.status, "{:?} {}: {error}", c.op, c.what);
        assert_eq!(error["error"]["status"], c.status, "{}", c.what);
        assert!(error["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", c.what);
    }
    println!("{} hostile inputs: each got its status and a JSON error object", cases.len());
    let seen = ledger(&s)["requests"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert!(seen.iter().all(|r| r.starts_with("POST /oauth/token") || r.starts_with("POST /v1/checkouts")), "{seen:?}");
}

#[test]
fn path_characters_in_ids_stay_in_their_segment() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    for (id, path) in [
        ("../oauth/token", "/v1/checkouts/..%2Foauth%2Ftoken"),
        ("a/b", "/v1/checkouts/a%2Fb"),
        ("a?b=1", "/v1/checkouts/a%3Fb=1"),
        ("a#b", "/v1/checkouts/a%23b"),
        ("%2F", "/v1/checkouts/%252F"),
    ] {
        let (code, e) = client.call(Op::Get, &json!({"checkout_id": id})).unwrap_err();
        assert_eq!(code, 8, "{id}: {e}");
        assert_eq!(ledger(&s)["requests"][format!("GET {path}")], 1, "{id} was sent as {path}");
    }
    let seen = ledger(&s)["requests"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert!(seen.iter().all(|r| r == "POST /oauth/token" || r.starts_with("GET /v1/checkouts/")), "{seen:?}");
}

#[test]
fn hostile_configurations_and_webhook_arguments_are_refused() {
    let cases: [(&[u8], i32); 10] = [
        (b"\xff", 2),
        (b"[]", 3),
        (b"{\"provider\": \"justifi\", \"base_url\": \"http://10.0.0.1\"}", 5),
        (b"{\"provider\": \"justifi\", \"base_url\": \"file:///etc/passwd\"}", 5),
        (b"{\"provider\": \"justifi\", \"timeout_ms\": -1}", 5),
        (b"{\"provider\": \"justifi\", \"max_retries\": 1e9}", 5),
        (b"{\"provider\": \"justifi\", \"client_id\": \"a\", \"client_secret\": \"b\", \"sub_account\": \"acc\\r\\nX: 1\"}", 5),
        (b"{\"provider\": {\"name\": \"justifi\"}}", 5),
        (b"{\"provider\": \"recharge\", \"api_token\": \"t\\u0000\"}", 5),
        (b"{\"provider\": \"payfect\", \"api_key\": \"k\", \"webhook_secrets\": [1]}", 5),
    ];
    for (config, status) in cases {
        let (code, client, text) = lib().client_new_raw(Some(config));
        assert_eq!((code, client.is_null()), (status, true), "{}", String::from_utf8_lossy(config));
        assert!(text.unwrap().contains("\"error\""));
    }
    let s = sandbox();
    let mut cfg = config(&s.base_url());
    cfg["webhook_secrets"] = json!(["s"]);
    let client = lib().client(&cfg).unwrap();
    for (headers, body, status) in [
        (b"\xff".to_vec(), b"{}".to_vec(), 2),
        (b"[1]".to_vec(), b"{}".to_vec(), 3),
        (br#"{"JUSTIFI-SIGNATURE": 1}"#.to_vec(), b"{}".to_vec(), 4),
        (br#"{"a": [1]}"#.to_vec(), b"{}".to_vec(), 4),
        (b"{}".to_vec(), vec![0xff; 1 << 20], 14),
        (br#"{"justifi-timestamp": "1", "justifi-signature": "zz"}"#.to_vec(), b"\x00\x01".to_vec(), 14),
    ] {
        let headers = CString::new(headers).unwrap();
        let mut out = ptr::null_mut();
        // SAFETY: valid pointers and lengths.
        let code = unsafe { (lib().webhook_verify)(client.raw, headers.as_ptr(), body.as_ptr(), body.len(), &mut out) };
        assert_eq!(code, status);
        assert!(lib().take_string(out).unwrap().contains("\"error\""));
    }
    let mut out = ptr::null_mut();
    // SAFETY: NULL headers are refused.
    let code = unsafe { (lib().webhook_verify)(client.raw, ptr::null(), ptr::null(), 0, &mut out) };
    assert_eq!(code, 1);
    lib().take_string(out);
}
