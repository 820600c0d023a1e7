//! `checkout_webhook_verify` through the dlopen'ed library: JustiFi's official test vectors,
//! ReCharge's two schemes, Payfect's Fernet callback, and every way a delivery can fail.

mod common;

use common::host::HostClient;
use common::{fixture, lib};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::{SystemTime, UNIX_EPOCH};

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn hmac_hex(secret: &str, message: &[u8]) -> String {
    let mut mac = <Hmac<Sha256>>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

fn client(provider: &str, extra: Value) -> HostClient<'static> {
    let mut cfg = match provider {
        "justifi" => {
            json!({"provider": "justifi", "base_url": "http://127.0.0.1:9", "client_id": "c", "client_secret": "s", "sub_account": "acc_1"})
        }
        "recharge" => json!({"provider": "recharge", "base_url": "http://127.0.0.1:9", "api_token": "t"}),
        _ => json!({"provider": "payfect", "base_url": "http://127.0.0.1:9", "api_key": "k"}),
    };
    cfg.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    lib().client(&cfg).unwrap()
}

fn refused(result: Result<Value, (i32, Value)>) -> String {
    let (code, e) = result.expect_err("refused");
    assert_eq!(code, 14, "{e}");
    assert_eq!(e["error"]["code"], "signature");
    e["error"]["message"].as_str().unwrap().to_owned()
}

/// What a signature that matches no secret says: the secrets, and first the body, as a
/// framework's parsed and re-encoded JSON is the usual cause.
const RAW_BODY: &str =
    "the body must be the raw bytes received, not re-serialized JSON, and webhook_secrets the endpoint's signing secrets";
const JUSTIFI_BAD_SIGNATURE: &str = "bad signature: JUSTIFI-SIGNATURE matches none of the webhook_secrets; \
    the body must be the raw bytes received, not re-serialized JSON, and webhook_secrets the endpoint's signing secrets";

fn justifi_delivery(secret: &str, timestamp: &str, body: &str) -> Value {
    let sig = hmac_hex(secret, format!("{timestamp}.{body}").as_bytes());
    json!({"Justifi-Timestamp": timestamp, "JUSTIFI-SIGNATURE": sig, "Content-Type": "application/json"})
}

#[test]
fn justifi_official_vectors_verify() {
    for vector in fixture("justifi_webhook_vectors.json").as_array().unwrap() {
        let secret = vector["secret_key"].as_str().unwrap();
        let body = vector["body"].as_str().unwrap();
        let headers = json!({"justifi-timestamp": vector["timestamp_header"], "justifi-signature": vector["expected_signature_hex"]});
        let stored_events = client("justifi", json!({"webhook_secrets": [secret], "webhook_tolerance_s": 0}));
        let event = stored_events.verify(&headers, body.as_bytes()).unwrap();
        let sent: Value = serde_json::from_str(body).unwrap();
        assert_eq!(event["provider"], "justifi");
        assert_eq!(event["event_id"], sent["id"]);
        assert_eq!(event["provider_type"], sent["event_name"]);
        assert_eq!(event["type"], "other", "payment.created means nothing for an order yet");
        assert_eq!(event["object_id"], sent["data"]["id"]);
        assert_eq!(event["data"], sent);

        let live = client("justifi", json!({"webhook_secrets": [secret]}));
        assert!(refused(live.verify(&headers, body.as_bytes())).starts_with("timestamp outside tolerance: signed"));
    }
}

#[test]
fn justifi_checks_signature_secret_rotation_and_time() {
    let body = r#"{"id":"evt_1","event_name":"checkout.completion.succeeded","data":{"id":"chc_1","checkout_id":"cho_1","payment_status":"succeeded"}}"#;
    let ts = now().to_string();
    let c = client("justifi", json!({"webhook_secrets": ["sigk_new", "sigk_old"]}));

    let event = c.verify(&justifi_delivery("sigk_new", &ts, body), body.as_bytes()).unwrap();
    assert_eq!((event["checkout_id"].as_str(), event["payment_status"].as_str()), (Some("cho_1"), Some("succeeded")));
    assert_eq!(
        (event["type"].as_str(), event["provider_type"].as_str()),
        (Some("payment.succeeded"), Some("checkout.completion.succeeded"))
    );
    c.verify(&justifi_delivery("sigk_old", &ts, body), body.as_bytes()).expect("a rotated-out secret still verifies");

    let bad = refused(c.verify(&justifi_delivery("sigk_wrong", &ts, body), body.as_bytes()));
    assert_eq!(bad, JUSTIFI_BAD_SIGNATURE);
    let tampered = body.replace("succeeded", "failed");
    refused(c.verify(&justifi_delivery("sigk_new", &ts, body), tampered.as_bytes()));

    // Live accounts retry "10 times over 24 hours" (docs/webhooks.md): the last retry's
    // signature may be a day old, and the default tolerance accepts it.
    let last_retry = (now() - 24 * 3600).to_string();
    c.verify(&justifi_delivery("sigk_new", &last_retry, body), body.as_bytes())
        .expect("a retry signed 24 hours ago verifies by default");
    let stale = (now() - 24 * 3600 - 301).to_string();
    assert!(refused(c.verify(&justifi_delivery("sigk_new", &stale, body), body.as_bytes()))
        .contains("old, tolerance 86700 s"));
    let strict = client("justifi", json!({"webhook_secrets": ["sigk_new"], "webhook_tolerance_s": 300}));
    let late = (now() - 301).to_string();
    assert!(refused(strict.verify(&justifi_delivery("sigk_new", &late, body), body.as_bytes()))
        .contains("old, tolerance 300 s"));
    let future = (now() + 600).to_string();
    assert!(refused(c.verify(&justifi_delivery("sigk_new", &future, body), body.as_bytes())).contains("in the future"));
    let iso = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap();
    c.verify(&justifi_delivery("sigk_new", &iso, body), body.as_bytes()).expect("an ISO 8601 timestamp");

    let mut no_sig = justifi_delivery("sigk_new", &ts, body);
    no_sig.as_object_mut().unwrap().remove("JUSTIFI-SIGNATURE");
    assert_eq!(refused(c.verify(&no_sig, body.as_bytes())), "missing header JUSTIFI-SIGNATURE");
    assert_eq!(refused(c.verify(&json!({}), body.as_bytes())), "missing header JUSTIFI-TIMESTAMP");

    let binary = b"\xff\xfe{\"not\": \"utf-8\"}";
    let mut message = format!("{ts}.").into_bytes();
    message.extend_from_slice(binary);
    let headers = json!({"justifi-timestamp": ts, "justifi-signature": hmac_hex("sigk_new", &message)});
    assert_eq!(refused(c.verify(&headers, binary)), "body is not JSON (it is not UTF-8)");

    let failure = format!("{:?}", c.verify(&justifi_delivery("sigk_wrong", &ts, body), body.as_bytes()));
    assert!(!failure.contains("sigk_new") && !failure.contains("sigk_old"), "a configured secret leaked: {failure}");
}

#[test]
fn a_re_serialized_body_is_pointed_at() {
    let raw =
        r#"{"id":"evt_1","event_name":"checkout.completion.succeeded","data":{"id":"chc_1","checkout_id":"cho_1"}}"#;
    let reserialized = serde_json::to_string_pretty(&serde_json::from_str::<Value>(raw).unwrap()).unwrap();
    let ts = now().to_string();
    let justifi = client("justifi", json!({"webhook_secrets": ["sigk_1"]}));
    let headers = justifi_delivery("sigk_1", &ts, raw);
    justifi.verify(&headers, raw.as_bytes()).expect("the raw bytes verify");
    assert_eq!(refused(justifi.verify(&headers, reserialized.as_bytes())), JUSTIFI_BAD_SIGNATURE);

    let recharge = client("recharge", json!({"webhook_secrets": ["shpss_1"], "accept_legacy_webhook_signature": true}));
    let v1 = hmac_hex("shpss_1", format!("{ts}.{raw}").as_bytes());
    let e = refused(
        recharge.verify(&json!({"X-Recharge-Webhook-Signature": format!("t={ts},v1={v1}")}), reserialized.as_bytes()),
    );
    assert_eq!(
        e,
        format!("bad signature: no v1 in X-Recharge-Webhook-Signature matches the webhook_secrets; {RAW_BODY}")
    );
    let legacy = hex::encode(Sha256::new().chain_update("shpss_1").chain_update(raw).finalize());
    let e = refused(recharge.verify(&json!({"X-Recharge-Hmac-Sha256": legacy}), reserialized.as_bytes()));
    assert_eq!(e, format!("bad signature: X-Recharge-Hmac-Sha256 matches none of the webhook_secrets; {RAW_BODY}"));
}

#[test]
fn verification_needs_secrets_and_well_formed_arguments() {
    let (code, e) = client("justifi", json!({})).verify(&json!({}), b"{}").unwrap_err();
    assert_eq!((code, e["error"]["message"].as_str()), (5, Some("webhook_secrets: is required to verify webhooks")));
    let c = client("justifi", json!({"webhook_secrets": ["s"]}));
    let mut out = std::ptr::null_mut();
    // SAFETY: a NULL body with a length is refused before it is read.
    let code = unsafe { (lib().webhook_verify)(c.raw, c"{}".as_ptr(), std::ptr::null(), 5, &mut out) };
    assert_eq!(code, 1);
    lib().take_string(out);
    // SAFETY: a NULL body of length 0 is an empty body.
    let code = unsafe { (lib().webhook_verify)(c.raw, c"{}".as_ptr(), std::ptr::null(), 0, &mut out) };
    assert_eq!(code, 14);
    assert!(lib().take_string(out).unwrap().contains("missing header"));
    let (code, _) = c.verify(&json!(["not", "an", "object"]), b"{}").unwrap_err();
    assert_eq!(code, 3);
}

/// The signature covers `t.body`, not `X-Recharge-Topic`: a signed `checkout/created` delivery
/// (`completed_at: null`) re-sent with the topic changed to `checkout/processed` must not
/// verify as a payment.
#[test]
fn recharge_payment_status_comes_from_the_signed_body_not_the_topic_header() {
    let body = r#"{"checkout":{"token":"0123456789abcdef0123456789abcdef","completed_at":null,"total_price":"60.00"}}"#;
    let c = client("recharge", json!({"webhook_secrets": ["shpss_secret"]}));
    let t = now();
    let v1 = hmac_hex("shpss_secret", format!("{t}.{body}").as_bytes());
    let signature = format!("t={t},v1={v1}");
    for topic in ["checkout/created", "checkout/processed", "charge/paid"] {
        let event = c
            .verify(&json!({"X-Recharge-Webhook-Signature": signature, "X-Recharge-Topic": topic}), body.as_bytes())
            .unwrap();
        assert_eq!(
            (event["type"].as_str(), event["provider_type"].as_str()),
            (Some("other"), Some("checkout")),
            "topic {topic}: an unpaid checkout, whatever the header says"
        );
        assert_eq!(
            (event["payment_status"].clone(), event["unsigned_topic"].as_str()),
            (Value::Null, Some(topic)),
            "topic {topic}"
        );
    }
    let event = c.verify(&json!({"X-Recharge-Webhook-Signature": signature}), body.as_bytes()).unwrap();
    assert_eq!(event["unsigned_topic"], Value::Null);
}

#[test]
fn recharge_accepts_either_scheme() {
    let body = r#"{"checkout":{"token":"0123456789abcdef0123456789abcdef","completed_at":"2024-01-01T00:00:00","total_price":"60.00"}}"#;
    let c = client("recharge", json!({"webhook_secrets": ["shpss_secret"]}));
    let t = now();
    let v1 = hmac_hex("shpss_secret", format!("{t}.{body}").as_bytes());
    let header = format!("t={t},v1={},v1={v1}", "00".repeat(32));
    let event = c
        .verify(
            &json!({"X-Recharge-Webhook-Signature": header, "X-Recharge-Topic": "checkout/processed"}),
            body.as_bytes(),
        )
        .unwrap();
    assert_eq!(
        (event["type"].as_str(), event["provider_type"].as_str(), event["unsigned_topic"].as_str()),
        (Some("checkout.completed"), Some("checkout"), Some("checkout/processed"))
    );
    assert_eq!(
        (event["checkout_id"].as_str(), event["payment_status"].as_str()),
        (Some("0123456789abcdef0123456789abcdef"), Some("succeeded"))
    );

    let two_days_ago = t - 48 * 3600 - 5;
    let v1 = hmac_hex("shpss_secret", format!("{two_days_ago}.{body}").as_bytes());
    let old = json!({"x-recharge-webhook-signature": format!("t={two_days_ago},v1={v1}")});
    assert!(refused(c.verify(&old, body.as_bytes())).contains("tolerance 172800 s"));
    let twenty_hours_ago = t - 20 * 3600;
    let v1 = hmac_hex("shpss_secret", format!("{twenty_hours_ago}.{body}").as_bytes());
    c.verify(&json!({"x-recharge-webhook-signature": format!("t={twenty_hours_ago},v1={v1}")}), body.as_bytes())
        .expect("ReCharge allows 48 hours");

    // A delivery stripped of its timestamped signature, keeping the legacy hash, is a
    // downgrade: refused unless the storefront opted in to the legacy scheme.
    let legacy = hex::encode(Sha256::new().chain_update("shpss_secret").chain_update(body).finalize());
    let downgraded = refused(c.verify(&json!({"X-Recharge-Hmac-Sha256": legacy}), body.as_bytes()));
    assert!(downgraded.contains("set accept_legacy_webhook_signature"), "{downgraded}");
    let legacy_client =
        client("recharge", json!({"webhook_secrets": ["shpss_secret"], "accept_legacy_webhook_signature": true}));
    let event = legacy_client.verify(&json!({"X-Recharge-Hmac-Sha256": legacy}), body.as_bytes()).unwrap();
    assert_eq!(event["type"], "checkout.completed");
    let wrong = hex::encode(Sha256::new().chain_update("other").chain_update(body).finalize());
    refused(legacy_client.verify(&json!({"X-Recharge-Hmac-Sha256": wrong}), body.as_bytes()));
    let cfg = json!({"provider": "justifi", "base_url": "http://127.0.0.1:9", "client_id": "c",
        "client_secret": "s", "sub_account": "acc_1", "accept_legacy_webhook_signature": true});
    let e = lib().client(&cfg).map(|_| ()).unwrap_err();
    assert_eq!(e["error"]["message"], "accept_legacy_webhook_signature: unknown field", "a ReCharge key");
    assert!(refused(c.verify(&json!({}), body.as_bytes())).starts_with("missing header X-Recharge-Webhook-Signature"));
    assert!(refused(c.verify(&json!({"X-Recharge-Webhook-Signature": "v1=ab"}), body.as_bytes())).contains("no t="));
}

#[test]
fn payfect_callbacks_are_fernet_tokens_of_the_body() {
    let key = fernet::Fernet::generate_key();
    let c = client("payfect", json!({"webhook_secrets": ["not-a-fernet-key", key]}));
    let body = r#"{"id": "ed8d24aa-a860-426b-8e56-87cb9f55a081", "amount": "20.00", "status": "succeeded", "currency": "usdt"}"#;
    let reordered =
        r#"{"currency":"usdt","status":"succeeded","amount":"20.00","id":"ed8d24aa-a860-426b-8e56-87cb9f55a081"}"#;
    let token = fernet::Fernet::new(&key).unwrap().encrypt(reordered.as_bytes());
    let event = c.verify(&json!({"X-Payfect-Signature": token}), body.as_bytes()).expect("equal in value, not bytes");
    assert_eq!((event["type"].as_str(), event["provider_type"].clone()), (Some("checkout.completed"), Value::Null));
    assert_eq!(
        (event["object_id"].as_str(), event["payment_status"].as_str()),
        (Some("ed8d24aa-a860-426b-8e56-87cb9f55a081"), Some("succeeded"))
    );

    let tampered = body.replace("20.00", "2000.00");
    assert_eq!(
        refused(c.verify(&json!({"x-payfect-signature": token}), tampered.as_bytes())),
        "bad signature: the decrypted X-Payfect-Signature differs from the body"
    );
    let other = fernet::Fernet::new(&fernet::Fernet::generate_key()).unwrap().encrypt(body.as_bytes());
    assert!(refused(c.verify(&json!({"X-Payfect-Signature": other}), body.as_bytes())).contains("does not decrypt"));
    assert_eq!(refused(c.verify(&json!({}), body.as_bytes())), "missing header X-Payfect-Signature");
    let fernet_key = fernet::Fernet::new(&key).unwrap();
    let three_years_ago = (now() - 3 * 365 * 86_400) as u64;
    let replayed = fernet_key.encrypt_at_time(body.as_bytes(), three_years_ago);
    assert_eq!(
        refused(c.verify(&json!({"X-Payfect-Signature": replayed}), body.as_bytes())),
        "timestamp outside tolerance: X-Payfect-Signature was made more than 86400 s ago"
    );
    let stored = client("payfect", json!({"webhook_secrets": [key], "webhook_tolerance_s": 0}));
    stored
        .verify(&json!({"X-Payfect-Signature": replayed}), body.as_bytes())
        .expect("tolerance 0 replays stored events");
    let an_hour_ago = fernet_key.encrypt_at_time(body.as_bytes(), (now() - 3600) as u64);
    c.verify(&json!({"X-Payfect-Signature": an_hour_ago}), body.as_bytes()).expect("a late delivery verifies");
    let strict = client("payfect", json!({"webhook_secrets": [key], "webhook_tolerance_s": 600}));
    refused(strict.verify(&json!({"X-Payfect-Signature": an_hour_ago}), body.as_bytes()));

    let (code, _) = client("payfect", json!({"webhook_secrets": ["plain"]}))
        .verify(&json!({"X-Payfect-Signature": token}), body.as_bytes())
        .unwrap_err();
    assert_eq!(code, 5, "no secret is a Fernet key");
}

#[test]
fn a_client_with_only_webhook_secrets_verifies_and_calls_nothing() {
    use common::host::Op;
    let secret = "whsec_only";
    for (provider, credential, env) in [
        ("justifi", "client_id", "JUSTIFI_CLIENT_ID"),
        ("recharge", "api_token", "RECHARGE_API_TOKEN"),
        ("payfect", "api_key", "PAYFECT_API_KEY"),
    ] {
        let verifier = lib()
            .client(&json!({"provider": provider, "base_url": "http://127.0.0.1:9", "webhook_secrets": [secret]}))
            .unwrap_or_else(|e| panic!("{provider}: a verify-only client is made: {e}"));
        let (code, e) = verifier.call(Op::Create, &json!({"amount": 1799, "description": "Donut"})).unwrap_err();
        assert_eq!((code, e["error"]["code"].as_str()), (5, Some("config")), "{e}");
        let message = e["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("{credential}: is required (or set {env}); this client was made")),
            "{message}"
        );
        assert_eq!(e["error"]["attempts"], 0, "nothing was sent: {e}");

        let Err(e) = lib().client(&json!({"provider": provider, "base_url": "http://127.0.0.1:9"})) else {
            panic!("{provider}: a client with neither credentials nor webhook_secrets is refused")
        };
        assert_eq!(
            e["error"]["message"],
            format!("{credential}: is required (or set {env})"),
            "without webhook_secrets"
        );
    }
    let body = r#"{"id":"evt_1","event_name":"checkout.completed","data":{"id":"cho_1"}}"#;
    let t = now().to_string();
    let verifier = lib()
        .client(&json!({"provider": "justifi", "base_url": "http://127.0.0.1:9", "webhook_secrets": [secret]}))
        .unwrap();
    let event = verifier.verify(&justifi_delivery(secret, &t, body), body.as_bytes()).unwrap();
    assert_eq!((event["type"].as_str(), event["checkout_id"].as_str()), (Some("checkout.completed"), Some("cho_1")));
    let partial = lib().client(&json!({"provider": "justifi", "base_url": "http://127.0.0.1:9",
        "client_id": "c", "webhook_secrets": [secret]}));
    let Err(e) = partial else { panic!("a client with some of the credentials is refused") };
    assert_eq!(e["error"]["message"], "client_secret: is required (or set JUSTIFI_CLIENT_SECRET)");
}

/// JustiFi's events with a unified type (docs/contract.md §7, "Event types"); every other
/// published event is `other`.
const JUSTIFI_TYPES: [(&str, &str); 8] = [
    ("checkout.completion.succeeded", "payment.succeeded"),
    ("payment.succeeded", "payment.succeeded"),
    ("payment_intent.succeeded", "payment.succeeded"),
    ("checkout.completion.failed", "payment.failed"),
    ("payment.failed", "payment.failed"),
    ("checkout.completed", "checkout.completed"),
    ("payment.refunded", "refund.created"),
    ("payment.refund.updated", "refund.updated"),
];

/// The event names of the spec's `x-webhooks` ("Received for the following events: a, b, and
/// c"), and the example deliveries it gives.
fn justifi_published_events() -> (Vec<String>, Vec<Value>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/justifi-spec/justifi-openapi.yaml");
    let spec: Value = serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (mut names, mut examples) = (Vec::new(), Vec::new());
    for entry in spec["x-webhooks"].as_object().unwrap().values() {
        let description = entry["post"]["description"].as_str().unwrap();
        names.extend(
            description
                .split([' ', ',', '\n'])
                .map(|w| w.trim_end_matches('.'))
                .filter(|w| w.contains('.') && w.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.'))
                .map(str::to_owned),
        );
        let content = &entry["post"]["requestBody"]["content"]["application/json"];
        if let Some(found) = content["examples"].as_object() {
            examples.extend(found.values().map(|e| e["value"].clone()));
        }
    }
    (names, examples)
}

/// Every event JustiFi publishes gets a deliberate unified type: the eight of
/// [`JUSTIFI_TYPES`] (each a published name), `other` for the rest; the provider's name is
/// kept as `provider_type`, and `payment_status` agrees with the type.
#[test]
fn every_justifi_event_of_the_spec_has_a_unified_type() {
    let (names, examples) = justifi_published_events();
    assert!(names.len() > 40 && names.contains(&"checkout.completion.processing".to_owned()), "{names:?}");
    for (name, _) in JUSTIFI_TYPES {
        assert!(names.iter().any(|n| n == name), "{name} is not a published event");
    }
    let c = client("justifi", json!({"webhook_secrets": ["sigk_1"]}));
    let ts = now().to_string();
    for name in &names {
        let body =
            json!({"id": "evt_1", "event_name": name, "data": {"id": "obj_1", "checkout_id": "cho_1"}}).to_string();
        let event = c.verify(&justifi_delivery("sigk_1", &ts, &body), body.as_bytes()).unwrap();
        let expected = JUSTIFI_TYPES.iter().find(|(n, _)| n == name).map_or("other", |(_, t)| t);
        assert_eq!((event["type"].as_str(), event["provider_type"].as_str()), (Some(expected), Some(name.as_str())));
        let paid = match expected {
            "payment.succeeded" | "checkout.completed" => json!("succeeded"),
            "payment.failed" => json!("failed"),
            _ => Value::Null,
        };
        assert_eq!(event["payment_status"], paid, "{name}");
        let checkout = if name == "checkout.completed" { "obj_1" } else { "cho_1" };
        assert_eq!(event["checkout_id"], checkout, "{name}");
        assert_eq!(event["refund"].is_null(), !expected.starts_with("refund."), "{name}");
    }
    assert_eq!(examples.len(), 7, "the spec's example deliveries");
    for example in examples {
        let body = example.to_string();
        let event = c.verify(&justifi_delivery("sigk_1", &ts, &body), body.as_bytes()).unwrap();
        let expected = if example["event_name"] == "payment_intent.succeeded" { "payment.succeeded" } else { "other" };
        assert_eq!(event["type"], expected, "{}", example["event_name"]);
        assert_eq!(event["object_id"], example["data"]["id"]);
    }
}

/// ReCharge's unified type comes from the signed object, whatever the unsigned topic says: a
/// checkout with `completed_at`, a charge by its refunded total and its `status` (either case:
/// 2021-01 sends `SUCCESS`, 2021-11 `success`).
#[test]
fn recharge_unified_types_come_from_the_signed_object() {
    let c = client("recharge", json!({"webhook_secrets": ["shpss_secret"]}));
    let token = "0123456789abcdef0123456789abcdef";
    let cases = [
        (json!({"checkout": {"token": token, "completed_at": "2024-01-01T00:00:00"}}), "checkout.completed"),
        (json!({"checkout": {"token": token, "completed_at": null}}), "other"),
        (json!({"charge": {"id": 501, "status": "SUCCESS", "total_refunds": "0.00"}}), "payment.succeeded"),
        (
            json!({"charge": {"id": 501, "status": "success", "total_refunds": "0.00", "currency": "USD"}}),
            "payment.succeeded",
        ),
        (json!({"charge": {"id": 501, "status": "ERROR", "total_refunds": "0.00"}}), "payment.failed"),
        (json!({"charge": {"id": 501, "status": "QUEUED"}}), "other"),
        (json!({"charge": {"id": 501, "status": "PARTIALLY_REFUNDED", "total_refunds": "10.00"}}), "refund.created"),
        (json!({"charge": {"id": 501, "status": "refunded", "total_refunds": "60.00"}}), "refund.created"),
        (json!({"subscription": {"id": 7, "status": "ACTIVE"}}), "other"),
    ];
    let t = now();
    for (payload, expected) in cases {
        let body = payload.to_string();
        let v1 = hmac_hex("shpss_secret", format!("{t}.{body}").as_bytes());
        for topic in ["checkout/processed", "charge/paid", "charge/refunded"] {
            let headers = json!({"X-Recharge-Webhook-Signature": format!("t={t},v1={v1}"), "X-Recharge-Topic": topic});
            let event = c.verify(&headers, body.as_bytes()).unwrap();
            let object = payload.as_object().unwrap().keys().next().unwrap();
            assert_eq!(
                (event["type"].as_str(), event["provider_type"].as_str(), event["unsigned_topic"].as_str()),
                (Some(expected), Some(object.as_str()), Some(topic)),
                "{body}"
            );
            assert_eq!(event["refund"].is_null(), expected != "refund.created", "{body}");
        }
    }
}

/// Payfect's published callback (`callback.md`, verbatim) is a completed checkout; a status
/// `callback.md` does not publish is `other`, never a payment.
#[test]
fn payfect_published_callback_is_a_completed_checkout() {
    let key = fernet::Fernet::generate_key();
    let c = client("payfect", json!({"webhook_secrets": [key]}));
    let fernet = fernet::Fernet::new(&key).unwrap();
    let published = json!({
      "id": "ed8d24aa-a860-426b-8e56-87cb9f55a081", "amount": "20.00", "status": "succeeded", "currency": "usdt",
      "merchant": "bf065cc8-343d-4419-be7d-ed2190f1df4d", "is_livemode": false,
      "payment_intent": "b7c30e83-5439-47b2-ac4d-81c64c1d0174",
      "payment_method": {"id": "74fa9095-b553-4607-b282-70ef7597a2e8",
        "payment_method_detail": {"network": "tron", "currency": "usdt"}},
      "client_reference_id": "5ae50223-e455-4a72-a48d-fe7d85800e64"
    });
    for (status, expected, paid) in
        [("succeeded", "checkout.completed", json!("succeeded")), ("expired", "other", Value::Null)]
    {
        let mut payload = published.clone();
        payload["status"] = status.into();
        let body = payload.to_string();
        let event =
            c.verify(&json!({"X-Payfect-Signature": fernet.encrypt(body.as_bytes())}), body.as_bytes()).unwrap();
        assert_eq!((event["type"].as_str(), event["provider_type"].clone()), (Some(expected), Value::Null));
        assert_eq!((event["checkout_id"].as_str(), event["payment_status"].clone()), (published["id"].as_str(), paid));
    }
}

/// A completion that succeeded while its payment is still `pending` (the spec's
/// `CheckoutCompletion.payment_status`: "depending upon payment mode, the status of the
/// payment API call, bnpl transaction, or card reader transaction") is no payment taken.
#[test]
fn a_justifi_completion_with_its_payment_pending_is_not_a_payment() {
    let c = client("justifi", json!({"webhook_secrets": ["sigk_1"]}));
    let ts = now().to_string();
    for (payment_status, expected) in [
        (json!("succeeded"), "payment.succeeded"),
        (Value::Null, "payment.succeeded"),
        (json!("pending"), "other"),
        (json!("canceled"), "other"),
    ] {
        let body = json!({"id": "evt_1", "event_name": "checkout.completion.succeeded", "data": {"id": "chc_1",
            "checkout_id": "cho_1", "status": "succeeded", "payment_mode": "bnpl", "payment_status": payment_status}})
        .to_string();
        let event = c.verify(&justifi_delivery("sigk_1", &ts, &body), body.as_bytes()).unwrap();
        assert_eq!(event["type"], expected, "payment_status {payment_status}");
    }
}
