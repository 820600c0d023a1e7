//! docs/contract.schema.json against the library's real outputs: every operation of every
//! provider, through the C ABI against the sandbox (successes, declines, settled outcomes,
//! refunds, webhook events, and the typical errors), each output validated against the
//! operation's `$def`; and the schema refusing outputs that break the contract.

mod common;

use common::host::{HostClient, Op};
use common::{
    add_fault, config, lib, payfect_config, recharge_config, sandbox, set_webhook, tokenize, Captured, Receiver,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::{Mutex, OnceLock};

/// The schema, as committed.
fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/contract.schema.json");
        serde_json::from_str(&std::fs::read_to_string(path).expect(path)).expect("the schema is JSON")
    })
}

/// The problems of `value` against `$defs/name` (formats such as `date-time` checked too).
fn problems(name: &str, value: &Value) -> Vec<String> {
    assert!(schema()["$defs"].get(name).is_some(), "no $defs/{name}");
    let mut root = schema().clone();
    root["$ref"] = format!("#/$defs/{name}").into();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .expect("the schema compiles");
    validator.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

/// The `$defs` validated so far, for the coverage check at the end.
fn seen() -> &'static Mutex<BTreeSet<String>> {
    static SEEN: OnceLock<Mutex<BTreeSet<String>>> = OnceLock::new();
    SEEN.get_or_init(Default::default)
}

/// Asserts that `value` is valid against `$defs/name`.
fn valid(name: &str, value: &Value) {
    let found = problems(name, value);
    assert!(found.is_empty(), "{name} does not hold for {value:#}:\n{}", found.join("\n"));
    seen().lock().unwrap().insert(name.to_owned());
}

/// The result `$def` of an operation, from the schema's `x-operations`.
fn result_def(op: Op) -> String {
    let name = match op {
        Op::Create => "checkout_create",
        Op::Get => "checkout_get",
        Op::Complete => "checkout_complete",
        Op::RedirectUrl => "session_redirect_url",
        Op::WebComponentToken => "checkout_web_component_token",
        Op::Refund => "checkout_refund",
        Op::Refunds => "checkout_refunds",
        Op::Void => "checkout_void",
    };
    schema()["x-operations"][name]["result"].as_str().expect("x-operations names the result").to_owned()
}

/// Calls `op`, validates its result and returns it; panics on an error.
fn ok(client: &HostClient, op: Op, request: Value) -> Value {
    match client.call(op, &request) {
        Ok(result) => {
            valid(&result_def(op), &result);
            result
        }
        Err((code, e)) => panic!("{op:?} {request}: {code} {e}"),
    }
}

/// Calls `op` expecting status `code`, validates the error object and returns it.
fn err(client: &HostClient, op: Op, request: Value, code: i32) -> Value {
    match client.call(op, &request) {
        Ok(result) => panic!("{op:?} {request} succeeded: {result}"),
        Err((status, e)) => {
            valid("error", &e);
            assert_eq!(status, code, "{op:?} {request}: {e}");
            assert_eq!(e["error"]["status"], code);
            e
        }
    }
}

/// Verifies a delivery, validates the event and returns it.
fn event(client: &HostClient, delivery: &Captured) -> Value {
    let event = client
        .verify(&Value::Object(delivery.headers.clone()), &delivery.body)
        .unwrap_or_else(|(c, e)| panic!("{c}: {e}"));
    valid("webhook_event", &event);
    event
}

/// Posts to a hosted page as a shopper's browser would.
fn pay_on_page(url: &str, form: &[(&str, &str)]) {
    let agent: ureq::Agent = ureq::Agent::config_builder().max_redirects(0).http_status_as_error(false).build().into();
    agent.post(url).send_form(form.iter().copied()).expect("the sandbox answers");
}

/// One provider's webhook endpoint, and how many of its deliveries were verified.
struct Hook {
    receiver: Receiver,
    verified: usize,
}

impl Hook {
    /// Verifies the deliveries that arrived since the last call (at least `more`), adding
    /// their unified types to `types`.
    fn verify(&mut self, client: &HostClient, types: &mut BTreeSet<String>, more: usize) {
        let got = self.receiver.wait_for(self.verified + more);
        for d in &got[self.verified..] {
            types.insert(event(client, d)["type"].as_str().unwrap().to_owned());
        }
        self.verified = got.len();
    }
}

#[test]
fn every_operation_of_every_provider_gives_outputs_the_schema_holds() {
    let s = sandbox();
    let fernet_key = fernet::Fernet::generate_key();
    let mut types = BTreeSet::new();
    let mut hooks = [("justifi", "sigk_sandbox"), ("recharge", "recharge-client-secret"), ("payfect", &fernet_key)]
        .map(|(provider, secret)| {
            let hook = Hook { receiver: Receiver::start(0), verified: 0 };
            set_webhook(&s, provider, &hook.receiver.url, secret);
            hook
        });
    let [justifi_hooks, recharge_hooks, payfect_hooks] = &mut hooks;

    // JustiFi: every operation, a decline, a session, a settled payment and refund, a void.
    let mut cfg = config(&s.base_url());
    cfg["webhook_secrets"] = json!(["sigk_sandbox"]);
    cfg["timeout_ms"] = 1000.into();
    let justifi = lib().client(&cfg).unwrap();
    let c = ok(
        &justifi,
        Op::Create,
        json!({"line_items": [{"name": "Donut", "unit_amount": 250, "quantity": 2}], "currency": "usd",
               "client_reference_id": "order-1", "metadata": {"order": 1}}),
    );
    let id = c["id"].as_str().unwrap().to_owned();
    ok(&justifi, Op::Get, json!({"checkout_id": id}));
    ok(&justifi, Op::RedirectUrl, json!({"checkout_id": id, "success_url": "http://127.0.0.1:1/ok"}));
    ok(&justifi, Op::WebComponentToken, json!({"checkout_id": id}));
    let declined =
        ok(&justifi, Op::Complete, json!({"checkout_id": id, "payment_token": tokenize(&s, "4000000000000002")}));
    assert_eq!(declined["payment_status"], "failed", "{declined}");
    justifi_hooks.verify(&justifi, &mut types, 1);
    let pm = tokenize(&s, "4242424242424242");
    ok(&justifi, Op::Complete, json!({"checkout_id": id, "payment_token": pm}));
    justifi_hooks.verify(&justifi, &mut types, 2);
    let paid = ok(&justifi, Op::Get, json!({"checkout_id": id}));
    assert_eq!(paid["payment_status"], "paid");
    ok(&justifi, Op::Refund, json!({"checkout_id": id, "amount": 100}));
    ok(&justifi, Op::Refunds, json!({"checkout_id": id}));
    justifi_hooks.verify(&justifi, &mut types, 1);
    add_fault(&s, json!({"route": "POST /v1/checkouts/{id}/refunds", "status": 503, "after": true, "times": 3}));
    let settled = ok(&justifi, Op::Refund, json!({"checkout_id": id}));
    assert_eq!(settled["confirmed_by"], "checkout_refunds", "{settled}");
    justifi_hooks.verify(&justifi, &mut types, 1);
    err(&justifi, Op::Refund, json!({"checkout_id": id}), 9);

    let other = ok(&justifi, Op::Create, json!({"amount": 1799, "description": "One Chocolate Donut"}));
    let other = other["id"].as_str().unwrap().to_owned();
    err(&justifi, Op::Void, json!({"checkout_id": other}), 9);
    add_fault(&s, json!({"route": "POST /v1/checkouts/{id}/complete", "status": 503, "after": true, "times": 3}));
    let settled = ok(&justifi, Op::Complete, json!({"checkout_id": other, "payment_token": pm}));
    assert_eq!(settled["confirmed_by"], "checkout_get", "{settled}");
    justifi_hooks.verify(&justifi, &mut types, 2);
    ok(&justifi, Op::Void, json!({"checkout_id": other}));

    let session = ok(&justifi, Op::RedirectUrl, json!({"amount": 500, "success_url": "http://127.0.0.1:1/ok"}));
    assert!(session["payment_intent_id"].is_string() && session["idempotency_key"].is_string(), "{session}");
    pay_on_page(session["url"].as_str().unwrap(), &[("card_number", "4242424242424242")]);
    justifi_hooks.verify(&justifi, &mut types, 1);
    ok(&justifi, Op::Get, json!({"payment_intent_id": session["payment_intent_id"]}));

    err(&justifi, Op::Create, json!({"amount": 17.99}), 4);
    err(&justifi, Op::Create, json!({"amount": 1799, "currency": "dollars"}), 4);
    err(&justifi, Op::Create, json!({"amount": 1799, "colour": "red"}), 4);
    err(&justifi, Op::Get, json!({"checkout_id": "cho_missing"}), 8);
    add_fault(&s, json!({"route": "GET /v1/checkouts/{id}", "status": 429, "retry_after": "60"}));
    let limited = err(&justifi, Op::Get, json!({"checkout_id": id}), 10);
    assert_eq!(limited["error"]["retryable"], true);
    let mut wrong = config(&s.base_url());
    wrong["client_secret"] = "wrong".into();
    err(&lib().client(&wrong).unwrap(), Op::Get, json!({"checkout_id": id}), 7);
    err(&lib().client(&config("http://127.0.0.1:9")).unwrap(), Op::Get, json!({"checkout_id": id}), 12);
    let forged = json!({"JUSTIFI-SIGNATURE": "00", "JUSTIFI-TIMESTAMP": "1700000000"});
    let (code, e) = justifi.verify(&forged, b"{}").unwrap_err();
    assert_eq!(code, 14);
    valid("error", &e);
    let refused = lib().client(&json!({"provider": "justifi", "colour": "red"})).err().expect("an unknown key");
    valid("error", &refused);

    // ReCharge: every operation it has, a decline, a refund and its event; the rest refused.
    let mut cfg = recharge_config(&s.base_url());
    cfg["webhook_secrets"] = json!(["recharge-client-secret"]);
    let recharge = lib().client(&cfg).unwrap();
    let item = common::fixture("seed_002_create.json")["line_items"][0].clone();
    let c = ok(
        &recharge,
        Op::Create,
        json!({"line_items": [{"name": "Coffee", "unit_amount": 1250, "quantity": item["quantity"],
               "product_id": item["product_id"], "variant_id": item["variant_id"]}]}),
    );
    let token = c["id"].as_str().unwrap().to_owned();
    ok(&recharge, Op::Get, json!({"checkout_id": token}));
    ok(&recharge, Op::RedirectUrl, json!({"checkout_id": token}));
    let declined = ok(&recharge, Op::Complete, json!({"checkout_id": token, "payment_token": "tok_chargeDeclined"}));
    assert_eq!(declined["payment_status"], "failed", "{declined}");
    let pending =
        ok(&recharge, Op::Complete, json!({"checkout_id": token, "payment_token": "tok_authenticationRequired"}));
    assert_eq!(pending["payment_status"], "pending", "{pending}");
    ok(&recharge, Op::Complete, json!({"checkout_id": token, "payment_token": "tok_visa"}));
    recharge_hooks.verify(&recharge, &mut types, 1);
    ok(&recharge, Op::Refund, json!({"checkout_id": token, "amount": 1000}));
    ok(&recharge, Op::Refunds, json!({"checkout_id": token}));
    recharge_hooks.verify(&recharge, &mut types, 1);
    err(&recharge, Op::Void, json!({"checkout_id": token}), 6);
    err(&recharge, Op::WebComponentToken, json!({"checkout_id": token}), 6);
    err(&recharge, Op::Refund, json!({"checkout_id": token, "reason": "requested_by_customer"}), 4);

    // Payfect: create, read, its page and callback; the rest refused.
    let mut cfg = payfect_config(&s.base_url());
    cfg["webhook_secrets"] = json!([fernet_key]);
    let payfect = lib().client(&cfg).unwrap();
    let c = ok(
        &payfect,
        Op::Create,
        json!({"amount": 2050, "currency": "usdt", "description": "Standard Plan",
               "callback_url": payfect_hooks.receiver.url, "client_reference_id": "order-7"}),
    );
    let pid = c["id"].as_str().unwrap().to_owned();
    let page = ok(&payfect, Op::RedirectUrl, json!({"checkout_id": pid}));
    pay_on_page(page["url"].as_str().unwrap(), &[]);
    payfect_hooks.verify(&payfect, &mut types, 1);
    ok(&payfect, Op::Get, json!({"checkout_id": pid}));
    err(&payfect, Op::Complete, json!({"checkout_id": pid, "payment_token": "tok"}), 6);
    err(&payfect, Op::Refund, json!({"checkout_id": pid}), 6);
    err(&payfect, Op::Refunds, json!({"checkout_id": pid}), 6);

    let outputs: BTreeSet<String> = schema()["x-operations"]
        .as_object()
        .unwrap()
        .values()
        .map(|o| o["result"].as_str().unwrap().to_owned())
        .chain(["error".to_owned()])
        .collect();
    let validated = seen().lock().unwrap().clone();
    assert!(outputs.is_subset(&validated), "never produced: {:?}", outputs.difference(&validated));
    let expected: BTreeSet<String> =
        ["payment.succeeded", "payment.failed", "checkout.completed", "refund.created"].map(String::from).into();
    assert!(expected.is_subset(&types), "event types seen: {types:?}");
}

/// A named change to an output.
type Mutation = (&'static str, fn(&mut Value));

/// The schema is no rubber stamp: a real output with a typo'd key, a status outside its
/// enum, an amount as a decimal, a missing field or a wrong error code each fail.
#[test]
fn the_schema_refuses_outputs_that_break_the_contract() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let checkout = ok(&client, Op::Create, json!({"amount": 1799, "description": "One Chocolate Donut"}));
    let mutations: [Mutation; 6] = [
        ("a typo'd key", |v| {
            let url = v.as_object_mut().unwrap().remove("redirect_url").unwrap();
            v["redirect_urll"] = url;
        }),
        ("a status outside the enum", |v| v["payment_status"] = "succeeded".into()),
        ("a decimal amount", |v| v["amount"] = json!(17.99)),
        ("a missing field", |v| drop(v.as_object_mut().unwrap().remove("attempts"))),
        ("an upper-case currency", |v| v["currency"] = "USD".into()),
        ("a timestamp with an offset", |v| v["created_at"] = "2026-12-02T10:00:00+01:00".into()),
    ];
    for (what, mutate) in mutations {
        let mut wrong = checkout.clone();
        mutate(&mut wrong);
        assert!(!problems("checkout", &wrong).is_empty(), "{what} passed: {wrong}");
    }
    let e = err(&client, Op::Create, json!({"amount": 17.99}), 4);
    let mut wrong = e.clone();
    wrong["error"]["code"] = "invalid-request".into();
    assert!(!problems("error", &wrong).is_empty(), "an unknown error code passed");
    let mut wrong = e;
    wrong["error"]["hint"] = "a key the contract does not have".into();
    assert!(!problems("error", &wrong).is_empty(), "an unknown error key passed");
}

/// The configurations and requests the contract documents are valid; typo'd keys and
/// decimal amounts in them are not (what the generated binding types refuse too).
#[test]
fn documented_requests_and_configurations_hold() {
    valid("config", &config("http://127.0.0.1:8088"));
    valid("config", &recharge_config("http://127.0.0.1:8088"));
    valid("config", &payfect_config("http://127.0.0.1:8088"));
    valid("config", &json!({"provider": "justifi", "webhook_secrets": ["sigk_1"]}));
    for bad in [
        json!({"provider": "justifi", "api_token": "a ReCharge key"}),
        json!({"provider": "payfect", "hosted_base_url": "https://pay.example"}),
        json!({"provider": "stripe"}),
        json!({"provider": "justifi", "timeout_ms": 0}),
    ] {
        assert!(!problems("config", &bad).is_empty(), "{bad} passed");
    }
    valid("checkout_create_request", &json!({"amount": 1799, "currency": "USD", "description": "One Chocolate Donut"}));
    valid("checkout_get_request", &json!({"payment_intent_id": "pi_1"}));
    valid("webhook_headers", &json!({"JUSTIFI-SIGNATURE": "ab", "X-Many": ["1", "2"]}));
    for (name, bad) in [
        ("checkout_create_request", json!({"amount": 17.99})),
        ("checkout_create_request", json!({"amount": 1799, "descripton": "typo"})),
        ("checkout_get_request", json!({"checkout_id": "a", "payment_intent_id": "b"})),
        ("checkout_complete_request", json!({"checkout_id": "cho_1"})),
        ("checkout_refunds_request", json!({"checkout_id": "cho_1", "idempotency_key": "k"})),
    ] {
        assert!(!problems(name, &bad).is_empty(), "{name}: {bad} passed");
    }
}
