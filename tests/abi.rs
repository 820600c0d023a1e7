//! The C ABI as a host sees it: the library dlopen'ed, every export driven with bad
//! pointers, bad text and bad fields, and every status code reachable without a webhook.

mod common;

use common::host::{Op, RawClient};
use common::{config, lib, payfect_config, sandbox, Stub};

/// A create with no idempotency key: Payfect's (`POST /api/v1/checkouts/`).
fn plain_post() -> serde_json::Value {
    json!({"amount": 2000, "currency": "usdt", "description": "x"})
}
use serde_json::{json, Value};
use std::ptr;

fn error_of(text: Option<String>) -> Value {
    serde_json::from_str::<Value>(&text.expect("an error object is written")).expect("error object is JSON")["error"]
        .clone()
}

#[test]
fn version_is_static_and_matches_the_crate() {
    assert_eq!(lib().version(), env!("CARGO_PKG_VERSION"));
    assert_eq!(lib().version(), "0.1.0");
}

#[test]
fn free_functions_accept_null() {
    // SAFETY: both are documented to accept NULL.
    unsafe {
        (lib().client_free)(ptr::null_mut());
        (lib().string_free)(ptr::null_mut());
    }
}

#[test]
fn client_new_rejects_bad_arguments() {
    let lib = lib();
    let (code, client, text) = lib.client_new_raw(None);
    assert_eq!((code, client.is_null()), (1, true));
    assert_eq!(error_of(text)["message"], "config_json: must not be NULL");

    let mut out = ptr::null_mut();
    let config = std::ffi::CString::new("{}").unwrap();
    // SAFETY: NULL client_out is an argument error, reported through out_json.
    let code = unsafe { (lib.client_new)(config.as_ptr(), ptr::null_mut(), &mut out) };
    assert_eq!(code, 1);
    assert_eq!(error_of(lib.take_string(out))["message"], "client_out: must not be NULL");

    let (code, client, text) = lib.client_new_raw(Some(b"{\"provider\": \"justifi\xff\"}"));
    assert_eq!((code, client.is_null()), (2, true));
    assert_eq!(error_of(text)["code"], "invalid_utf8");

    for bad in [&b"not json"[..], b"[1, 2]", b"\"justifi\"", b"{\"a\": 1"] {
        let (code, client, text) = lib.client_new_raw(Some(bad));
        assert_eq!((code, client.is_null()), (3, true), "{}", String::from_utf8_lossy(bad));
        assert_eq!(error_of(text)["code"], "invalid_json");
    }
}

#[test]
fn client_new_names_the_bad_configuration_key() {
    let s = sandbox();
    let cases = [
        (json!({}), 5, "provider: is required"),
        (json!({"provider": "stripe"}), 5, "provider: must be one of justifi, recharge, payfect"),
        (
            json!({"provider": "recharge", "api_token": "x", "api_version": "2020-01"}),
            5,
            "api_version: must be 2021-01 or 2021-11",
        ),
        (
            json!({"provider": "payfect", "api_key": "x", "hosted_base_url": "https://pay.example"}),
            5,
            "hosted_base_url: Payfect gives each checkout its own url",
        ),
        (
            json!({"provider": "justifi", "base_url": "http://api.example.com", "client_id": "a", "client_secret": "b", "sub_account": "acc_1"}),
            5,
            "base_url: must use https (plain http is allowed for loopback hosts only)",
        ),
        (
            json!({"provider": "justifi", "base_url": s.base_url(), "client_id": "a", "client_secret": "b", "sub_account": "acc_1", "colour": "red"}),
            5,
            "colour: unknown field",
        ),
        (
            json!({"provider": "justifi", "base_url": s.base_url(), "client_id": "a", "client_secret": "b", "sub_account": "acc_1", "timeout_ms": "fast"}),
            5,
            "timeout_ms: must be an integer from 0 to 600000",
        ),
    ];
    for (cfg, status, message) in cases {
        let e = lib().client(&cfg).err().expect("refused");
        assert_eq!(e["error"]["status"], status, "{cfg}");
        assert_eq!(e["error"]["message"], message, "{cfg}");
    }
}

#[test]
fn client_new_reads_missing_credentials_from_the_environment_only_when_set() {
    let mut cfg = config("http://127.0.0.1:9");
    cfg.as_object_mut().unwrap().remove("client_secret");
    if std::env::var_os("JUSTIFI_CLIENT_SECRET").is_none() {
        let e = lib().client(&cfg).err().expect("refused");
        assert_eq!(e["error"]["message"], "client_secret: is required (or set JUSTIFI_CLIENT_SECRET)");
    }
}

#[test]
fn client_new_succeeds_with_out_json_null() {
    let s = sandbox();
    let cfg = std::ffi::CString::new(config(&s.base_url()).to_string()).unwrap();
    let mut client: *mut RawClient = ptr::null_mut();
    // SAFETY: out_json may be NULL; the handle is freed below.
    unsafe {
        assert_eq!((lib().client_new)(cfg.as_ptr(), &mut client, ptr::null_mut()), 0);
        assert!(!client.is_null());
        (lib().client_free)(client);
    }
}

#[test]
fn every_operation_checks_its_pointers_text_and_json() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    for op in Op::ALL {
        let (code, text) = lib().call_raw(op, ptr::null(), Some(b"{}"));
        assert_eq!(code, 1, "{op:?}");
        assert_eq!(error_of(text)["message"], "client: must not be NULL");

        let (code, text) = lib().call_raw(op, client.raw, None);
        assert_eq!(code, 1, "{op:?}");
        assert_eq!(error_of(text)["message"], "request_json: must not be NULL");

        // SAFETY: a NULL out_json is refused before anything is written.
        let code = unsafe { (lib().op(op))(client.raw, c"{}".as_ptr(), ptr::null_mut()) };
        assert_eq!(code, 1, "{op:?}");

        let (code, text) = lib().call_raw(op, client.raw, Some(b"{\"checkout_id\": \"cho_\xc3\x28\"}"));
        assert_eq!(code, 2, "{op:?}");
        assert_eq!(error_of(text)["message"], "request_json: is not valid UTF-8 (at byte 21)");

        for bad in [&b""[..], b"nul", b"[]", b"42", b"{\"a\":}"] {
            let (code, text) = lib().call_raw(op, client.raw, Some(bad));
            assert_eq!(code, 3, "{op:?} {}", String::from_utf8_lossy(bad));
            assert_eq!(error_of(text)["code"], "invalid_json");
        }

        let mut request = match op {
            Op::Create => json!({"amount": 1799, "description": "x"}),
            Op::Complete => json!({"checkout_id": "cho_1", "payment_token": "pm_1"}),
            _ => json!({"checkout_id": "cho_1"}),
        };
        request["zebra"] = 1.into();
        let (code, text) = lib().call_raw(op, client.raw, Some(request.to_string().as_bytes()));
        assert_eq!(code, 4, "{op:?}");
        assert_eq!(error_of(text)["message"], "zebra: unknown field", "{op:?}");
    }
}

#[test]
fn bad_request_fields_are_invalid_request_naming_the_field() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let cases = [
        (
            Op::Create,
            json!({"amount": "1799", "description": "x"}),
            "amount: must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)",
        ),
        (
            Op::Create,
            json!({"amount": 17.99, "description": "x"}),
            "amount: must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)",
        ),
        (
            Op::Create,
            json!({"amount": -5, "description": "x"}),
            "amount: must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)",
        ),
        (
            Op::Create,
            json!({"amount": 0, "description": "x"}),
            "amount: must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)",
        ),
        (
            Op::Create,
            json!({"amount": 1e30, "description": "x"}),
            "amount: must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)",
        ),
        (
            Op::Create,
            json!({"amount": 49, "description": "x"}),
            "amount: JustiFi accepts 50 to 100000000 minor units, not 49",
        ),
        (Op::Create, json!({"amount": 1799}), "description: is required by JustiFi"),
        (Op::Create, json!({"amount": 1799, "description": 7}), "description: must be a string"),
        (
            Op::Create,
            json!({"amount": 1799, "description": "x", "success_url": "https://shop.test/ok"}),
            "success_url: justifi does not take it on checkout_create: return URLs belong to session_redirect_url",
        ),
        (Op::Create, json!({"amount": 1799, "description": "x", "metadata": [1]}), "metadata: must be an object"),
        (Op::Get, json!({}), "checkout_id: is required"),
        (Op::Get, json!({"checkout_id": 12}), "checkout_id: must be a string"),
        (Op::Get, json!({"checkout_id": "cho_1\r\nX-Injected: 1"}), "checkout_id: must not contain control characters"),
        (Op::Get, json!({"checkout_id": ".."}), "checkout_id: is not a valid id"),
        (Op::Complete, json!({"checkout_id": "cho_1"}), "payment_token: is required"),
        (
            Op::Complete,
            json!({"checkout_id": "cho_1", "payment_token": "pm_1", "payment_mode": "cash"}),
            "payment_mode: must be one of ecom, bnpl, card_present",
        ),
        (
            Op::Complete,
            json!({"checkout_id": "cho_1", "payment_token": "pm_1", "idempotency_key": "k".repeat(101)}),
            "idempotency_key: JustiFi accepts at most 100 characters",
        ),
        (
            Op::Complete,
            json!({"checkout_id": "cho_1", "payment_token": "pm_1", "payment_processor": "stripe"}),
            "payment_processor: justifi does not take it on checkout_complete: it takes payment_mode instead",
        ),
        (
            Op::RedirectUrl,
            json!({"amount": 1799}),
            "success_url: is required for a JustiFi checkout session (its after_payment_url)",
        ),
        (
            Op::RedirectUrl,
            json!({"success_url": "https://shop.test/ok"}),
            "amount: is required without checkout_id or payment_intent_id",
        ),
        (Op::WebComponentToken, json!({}), "checkout_id: is required"),
    ];
    for (op, request, message) in cases {
        let (code, e) = client.call(op, &request).expect_err("refused");
        assert_eq!(code, 4, "{op:?} {request}");
        assert_eq!(e["error"]["code"], "invalid_request");
        assert_eq!(e["error"]["message"], message, "{op:?} {request}");
        assert_eq!(e["error"]["provider"], "justifi");
    }
    assert_eq!(common::ledger(&s)["checkouts"], json!({}), "nothing invalid reached the provider");
}

#[test]
fn provider_refusals_map_to_their_status_codes() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();

    let (code, e) = client.call(Op::Get, &json!({"checkout_id": "cho_missing"})).unwrap_err();
    assert_eq!(code, 8);
    let e = &e["error"];
    assert_eq!((e["code"].as_str(), e["http_status"].as_u64()), (Some("not_found"), Some(404)));
    assert_eq!(e["provider_code"], "resource_not_found", "the docs' error table");
    assert!(e["request_id"].as_str().is_some_and(|r| r.starts_with("req_")), "{e}");
    assert_eq!(e["retryable"], false);

    let (code, _) = client.call(Op::Get, &json!({"checkout_id": "../oauth/token"})).unwrap_err();
    assert_eq!(code, 8, "an id with path characters stays one path segment");

    let mut wrong = config(&s.base_url());
    wrong["client_secret"] = "not-the-secret-xyz".into();
    let other = lib().client(&wrong).unwrap();
    let (code, e) = other.call(Op::Get, &json!({"checkout_id": "cho_1"})).unwrap_err();
    assert_eq!(code, 7);
    assert_eq!(e["error"]["http_status"], 401);
    assert!(!e.to_string().contains("not-the-secret-xyz"), "the secret leaked: {e}");

    let mut stranger = config(&s.base_url());
    stranger["sub_account"] = "acc_someone_else".into();
    let other = lib().client(&stranger).unwrap();
    let (code, e) = other.call(Op::Create, &json!({"amount": 1799, "description": "x"})).unwrap_err();
    assert_eq!((code, e["error"]["http_status"].as_u64()), (7, Some(403)));
}

#[test]
fn server_errors_are_retried_only_where_replay_is_safe() {
    let stub = Stub::start(503, r#"{"error": {"code": "unavailable", "message": "try later"}}"#);
    let client = lib().client(&config(&stub.base_url)).unwrap();

    let (code, e) = client.call(Op::Get, &json!({"checkout_id": "cho_1"})).unwrap_err();
    assert_eq!(code, 11);
    assert_eq!((e["error"]["http_status"].as_u64(), e["error"]["retryable"].as_bool()), (Some(503), Some(true)));
    assert_eq!(e["error"]["message"], "try later");
    assert_eq!(stub.hits(), 3, "a GET is tried 1 + max_retries times");

    let (code, _) = client.call(Op::Create, &json!({"amount": 1799, "description": "x"})).unwrap_err();
    assert_eq!(code, 11);
    assert_eq!(stub.hits(), 6, "a JustiFi create carries a key, so it is retried with it");
    let payfect = lib().client(&payfect_config(&stub.base_url)).unwrap();
    let (code, _) = payfect.call(Op::Create, &plain_post()).unwrap_err();
    assert_eq!(code, 11);
    assert_eq!(stub.hits(), 7, "a POST without an idempotency key is never resent after a 5xx");

    let (code, e) = client
        .call(Op::Complete, &json!({"checkout_id": "cho_1", "payment_token": "pm_1", "idempotency_key": "order-77"}))
        .unwrap_err();
    assert_eq!(code, 11);
    assert_eq!(e["error"]["idempotency_key"], "order-77");
    assert!(e["error"]["message"].as_str().unwrap().ends_with("may have succeeded: call checkout_complete again with the same idempotency_key (JustiFi replays it, never charging twice), or read the checkout"), "{e}");
    assert_eq!(stub.hits(), 13, "a complete carries its key, so it is retried with it; then the checkout read 3 times");
}

#[test]
fn rate_limits_are_retried_only_where_replay_is_safe() {
    let stub = Stub::start(429, r#"{"error": {"code": "rate_limited", "message": "slow down"}}"#);
    let mut cfg = payfect_config(&stub.base_url);
    cfg["max_retries"] = 1.into();
    let client = lib().client(&cfg).unwrap();
    let (code, e) = client.call(Op::Create, &plain_post()).unwrap_err();
    assert_eq!(code, 10);
    assert_eq!(e["error"]["retryable"], true);
    assert_eq!(stub.hits(), 1, "a provider may process a request and still answer 429: a plain POST is sent once");
    let (code, _) = client.call(Op::Get, &json!({"checkout_id": "cho_1"})).unwrap_err();
    assert_eq!(code, 10);
    assert_eq!(stub.hits(), 3, "a GET is retried after a 429");
}

#[test]
fn a_refused_connection_is_a_retryable_network_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cfg = config(&format!("http://127.0.0.1:{port}"));
    cfg["max_retries"] = 0.into();
    let client = lib().client(&cfg).unwrap();
    let (code, e) = client.call(Op::Create, &json!({"amount": 1799, "description": "x"})).unwrap_err();
    assert_eq!(code, 12);
    assert_eq!(e["error"]["code"], "network");
    assert_eq!(e["error"]["retryable"], true);
}

#[test]
fn a_refused_connection_names_the_origin_and_says_what_to_do() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cfg = config(&format!("http://127.0.0.1:{port}"));
    cfg["max_retries"] = 0.into();
    let client = lib().client(&cfg).unwrap();
    let (_, e) = client.call(Op::Create, &json!({"amount": 1799, "description": "x"})).unwrap_err();
    assert_eq!(
        e["error"]["message"],
        format!(
            "connection refused by http://127.0.0.1:{port}: nothing is listening there; if it is the local sandbox, \
             start it (checkout-sandbox --port {port}), or check base_url"
        )
    );
}

#[test]
fn a_silent_provider_is_a_timeout() {
    let stub = Stub::start(0, "");
    let mut cfg = payfect_config(&stub.base_url);
    cfg["timeout_ms"] = 300.into();
    let client = lib().client(&cfg).unwrap();
    let (code, e) = client.call(Op::Create, &plain_post()).unwrap_err();
    assert_eq!(code, 13);
    assert_eq!(e["error"]["retryable"], true);
    assert_eq!(stub.hits(), 1, "a create that may have arrived is not resent");
}

#[test]
fn a_client_is_shared_by_threads() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..10 {
                    let c = client.call(Op::Create, &json!({"amount": 1799, "description": "x"})).unwrap();
                    let id = c["id"].as_str().unwrap();
                    assert_eq!(client.call(Op::Get, &json!({"checkout_id": id})).unwrap()["id"], id);
                }
            });
        }
    });
    let ledger = common::ledger(&s);
    assert_eq!(ledger["checkouts"].as_object().unwrap().len(), 80);
    assert_eq!(ledger["token_grants"], 1, "one token for all threads");
}
