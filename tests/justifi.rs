//! JustiFi flows through the dlopen'ed library against the sandbox: the seed flows, declines,
//! exactly-once completion, token reuse and refresh, and both hosted checkout modes.

mod common;

use checkout_sandbox::{Sandbox, SandboxConfig, TEST_CLIENT_SECRET, TEST_SUB_ACCOUNT};
use common::host::Op;
use common::{config, ledger, lib, sandbox, tokenize};
use serde_json::{json, Value};
use std::time::Duration;

fn donut() -> Value {
    json!({"amount": 1799, "description": "One Chocolate Donut", "origin_url": "http://localhost:3000"})
}

/// Posts the hosted page's card form, as a shopper's browser does; the status and `Location`.
fn pay_on_page(url: &str, card: &str, extra: &[(&str, &str)]) -> (u16, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let mut form = vec![("card_number", card)];
    form.extend_from_slice(extra);
    let resp = agent.post(url.split('?').next().unwrap()).send_form(form).expect("page answers");
    let location = resp.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    (resp.status().as_u16(), location)
}

#[test]
fn the_seed_flow_pays_once() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();

    let checkout = client.call(Op::Create, &donut()).unwrap();
    let id = checkout["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cho_"));
    assert_eq!(checkout["provider"], "justifi");
    assert_eq!((checkout["status"].as_str(), checkout["payment_status"].as_str()), (Some("open"), Some("unpaid")));
    assert_eq!((checkout["amount"].as_u64(), checkout["currency"].as_str()), (Some(1799), Some("usd")));
    assert_eq!(checkout["description"], "One Chocolate Donut");
    assert_eq!(checkout["provider_data"]["payment_description"], "One Chocolate Donut", "the spec's field");
    assert!(checkout["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(checkout["expires_at"].as_str().unwrap() > checkout["created_at"].as_str().unwrap());

    let component = client.call(Op::WebComponentToken, &json!({"checkout_id": id})).unwrap();
    let wct = component["access_token"].as_str().unwrap();
    assert_eq!(component["expires_in"], 3600);
    assert_eq!(
        component["html"],
        format!("<justifi-checkout auth-token=\"{wct}\" checkout-id=\"{id}\"></justifi-checkout>")
    );

    let hosted = client
        .call(Op::RedirectUrl, &json!({"checkout_id": id, "success_url": "https://shop.test/thanks?order=7"}))
        .unwrap();
    assert_eq!(
        hosted["url"],
        format!(
            "{}/hosted-checkout/{id}?success_redirect_url=https%3A%2F%2Fshop.test%2Fthanks%3Forder%3D7",
            s.base_url()
        )
    );
    assert_eq!(hosted["expires_at"], checkout["expires_at"]);

    let pm = common::tokenize_with(&s, wct, "4242424242424242");
    let done = client.call(Op::Complete, &json!({"checkout_id": id, "payment_token": pm})).unwrap();
    assert_eq!(done["payment_status"], "succeeded");
    assert!(done["id"].as_str().unwrap().starts_with("chc_"));
    assert!(done["payment_id"].as_str().unwrap().starts_with("py_"));
    assert_eq!((done["amount"].as_u64(), done["currency"].as_str()), (Some(1799), Some("usd")));
    assert_eq!(done["payment_error"], Value::Null);
    assert_eq!(done["additional_transactions"], json!([]));
    let key = done["idempotency_key"].as_str().unwrap();
    assert_eq!(key.len(), 36, "a generated UUID: {key}");

    let paid = client.call(Op::Get, &json!({"checkout_id": id})).unwrap();
    assert_eq!((paid["status"].as_str(), paid["payment_status"].as_str()), (Some("complete"), Some("paid")));

    let (code, e) = client.call(Op::Complete, &json!({"checkout_id": id, "payment_token": pm})).unwrap_err();
    assert_eq!(code, 9, "a completed checkout refuses another completion: {e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("is already completed"), "read back, not by a code: {e}");
    assert_eq!(e["error"]["retryable"], false);
    let (code, _) = client.call(Op::RedirectUrl, &json!({"checkout_id": id})).unwrap_err();
    assert_eq!(code, 9, "no hosted page for a paid checkout");

    let l = ledger(&s);
    assert_eq!(l["checkouts"][&id]["payments"].as_array().unwrap().len(), 1);
    assert_eq!(l["token_grants"], 1);
}

#[test]
fn the_web_component_token_holds_the_checkout_and_tokenize_roles() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let id = client.call(Op::Create, &donut()).unwrap()["id"].as_str().unwrap().to_owned();
    let wct = client.call(Op::WebComponentToken, &json!({"checkout_id": id})).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let card = json!({"payment_method": {"card": {"number": "4242424242424242", "month": "1", "year": "2031"}}});
    let (status, pm) =
        common::sandbox_request("POST", &format!("{}/v1/payment_methods", s.base_url()), Some(&wct), Some(&card));
    assert_eq!(status, 201, "write:tokenize:{TEST_SUB_ACCOUNT} lets the component tokenize: {pm}");
    let pm = pm["data"]["id"].as_str().unwrap();
    let other = client.call(Op::Create, &donut()).unwrap()["id"].as_str().unwrap().to_owned();
    let (status, _) =
        common::sandbox_request("GET", &format!("{}/v1/checkouts/{other}", s.base_url()), Some(&wct), None);
    assert_eq!(status, 403, "the token is for its own checkout only");
    let done = client.call(Op::Complete, &json!({"checkout_id": id, "payment_token": pm})).unwrap();
    assert_eq!(done["payment_status"], "succeeded");
}

#[test]
fn html_in_the_checkout_id_is_escaped() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let t = client.call(Op::WebComponentToken, &json!({"checkout_id": "cho_\"><script>x</script>"})).unwrap();
    let html = t["html"].as_str().unwrap();
    assert!(
        html.ends_with("checkout-id=\"cho_&quot;&gt;&lt;script&gt;x&lt;/script&gt;\"></justifi-checkout>"),
        "{html}"
    );
}

#[test]
fn a_declined_card_is_a_failed_payment_not_an_error() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let id = client.call(Op::Create, &donut()).unwrap()["id"].as_str().unwrap().to_owned();

    let declined = client
        .call(Op::Complete, &json!({"checkout_id": id, "payment_token": tokenize(&s, "4000000000009995")}))
        .unwrap();
    assert_eq!(declined["payment_status"], "failed");
    assert_eq!(declined["payment_id"], Value::Null);
    assert_eq!(
        declined["payment_error"],
        json!({"code": "card_declined", "message": "Your card has insufficient funds.", "decline_code": "insufficient_funds"})
    );
    let after = client.call(Op::Get, &json!({"checkout_id": id})).unwrap();
    assert_eq!((after["status"].as_str(), after["payment_status"].as_str()), (Some("open"), Some("failed")));

    let gateway = client
        .call(Op::Complete, &json!({"checkout_id": id, "payment_token": tokenize(&s, "4000000000000119")}))
        .unwrap();
    assert_eq!(gateway["payment_error"]["code"], "gateway_error");

    let paid = client
        .call(Op::Complete, &json!({"checkout_id": id, "payment_token": tokenize(&s, "4242424242424242")}))
        .unwrap();
    assert_eq!(paid["payment_status"], "succeeded");
    let l = &ledger(&s)["checkouts"][&id];
    assert_eq!((l["completions"].as_u64(), l["payments"].as_array().unwrap().len()), (Some(3), 1));
}

#[test]
fn one_idempotency_key_charges_once() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let id = client.call(Op::Create, &donut()).unwrap()["id"].as_str().unwrap().to_owned();
    let pm = tokenize(&s, "4242424242424242");
    let request = json!({"checkout_id": id, "payment_token": pm, "idempotency_key": "order-1001-payment"});

    let first = client.call(Op::Complete, &request).unwrap();
    let again = client.call(Op::Complete, &request).unwrap();
    assert_eq!(first["id"], again["id"], "the replay is the original completion");
    assert_eq!(first["payment_id"], again["payment_id"]);
    assert_eq!(again["idempotency_key"], "order-1001-payment");
    assert_eq!(ledger(&s)["checkouts"][&id]["payments"].as_array().unwrap().len(), 1);

    let mut other = request.clone();
    other["payment_token"] = tokenize(&s, "4242424242424242").into();
    let (code, e) = client.call(Op::Complete, &other).unwrap_err();
    assert_eq!(code, 9);
    assert_eq!(e["error"]["provider_code"], "idempotency_params_mismatch");
    assert_eq!(e["error"]["idempotency_key"], "order-1001-payment");
    assert_eq!(e["error"]["retryable"], false);
}

#[test]
fn concurrent_completes_with_one_key_wait_for_the_first() {
    let s = Sandbox::start(SandboxConfig { complete_delay: Duration::from_millis(300), ..Default::default() }).unwrap();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let id = client.call(Op::Create, &donut()).unwrap()["id"].as_str().unwrap().to_owned();
    let request =
        json!({"checkout_id": id, "payment_token": tokenize(&s, "4242424242424242"), "idempotency_key": "dup-click"});
    let results: Vec<Value> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2).map(|_| scope.spawn(|| client.call(Op::Complete, &request).unwrap())).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results[0]["id"], results[1]["id"], "the second got 409 in flight, retried, and replayed");
    assert_eq!(results[0]["payment_status"], "succeeded");
    assert_eq!(ledger(&s)["checkouts"][&id]["payments"].as_array().unwrap().len(), 1);
}

#[test]
fn an_expired_token_is_refreshed_once_on_401() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let id = client.call(Op::Create, &donut()).unwrap()["id"].as_str().unwrap().to_owned();
    assert_eq!(ledger(&s)["token_grants"], 1);
    common::expire_tokens(&s);
    assert_eq!(client.call(Op::Get, &json!({"checkout_id": id})).unwrap()["id"], id);
    assert_eq!(ledger(&s)["token_grants"], 2, "one refresh after the 401");
    assert_eq!(client.call(Op::Get, &json!({"checkout_id": id})).unwrap()["id"], id);
    assert_eq!(ledger(&s)["token_grants"], 2);
}

#[test]
fn clients_with_the_same_credentials_share_one_token() {
    let s = sandbox();
    for _ in 0..20 {
        let client = lib().client(&config(&s.base_url())).unwrap();
        client.call(Op::Create, &donut()).unwrap();
    }
    assert_eq!(ledger(&s)["token_grants"], 1, "a client per web request still fetches one token");
}

#[test]
fn the_hosted_session_flow_of_seed_003() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let session = client
        .call(
            Op::RedirectUrl,
            &json!({"amount": 1799, "currency": "usd", "description": "One Chocolate Donut",
            "success_url": "https://shop.test/thanks", "cancel_url": "https://shop.test/cart"}),
        )
        .unwrap();
    let url = session["url"].as_str().unwrap();
    let session_id = url.strip_prefix(&format!("{}/r/", s.base_url())).expect("a session page URL");
    assert_eq!(session_id.len(), 64);
    assert!(session_id.bytes().all(|b| b.is_ascii_hexdigit()));
    let pi = session["payment_intent_id"].as_str().unwrap().to_owned();
    assert!(pi.starts_with("pi_"));
    assert_eq!(session["provider_data"]["payment_intent"]["amount"], 1799);
    assert!(session["expires_at"].as_str().unwrap().ends_with('Z'));

    let before = client.call(Op::Get, &json!({"payment_intent_id": pi})).unwrap();
    assert_eq!((before["status"].as_str(), before["payment_status"].as_str()), (Some("open"), Some("unpaid")));

    assert_eq!(pay_on_page(url, "4000000000000002", &[]).0, 402, "a declined card stays on the page");
    assert_eq!(pay_on_page(url, "4242424242424242", &[]), (303, Some("https://shop.test/thanks".into())));

    let after = client.call(Op::Get, &json!({"payment_intent_id": pi})).unwrap();
    assert_eq!((after["status"].as_str(), after["payment_status"].as_str()), (Some("complete"), Some("paid")));
    assert_eq!(after["amount"], 1799);
    assert_eq!(ledger(&s)["payment_intents"][&pi]["payments"].as_array().unwrap().len(), 1);

    let (code, _) = client
        .call(Op::RedirectUrl, &json!({"payment_intent_id": pi, "success_url": "https://shop.test/thanks"}))
        .unwrap_err();
    assert_eq!(code, 4, "no new session for a paid payment intent");
}

#[test]
fn a_session_for_an_existing_payment_intent() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let first = client.call(Op::RedirectUrl, &json!({"amount": 500, "success_url": "https://shop.test/ok"})).unwrap();
    let pi = first["payment_intent_id"].as_str().unwrap();
    let second =
        client.call(Op::RedirectUrl, &json!({"payment_intent_id": pi, "success_url": "https://shop.test/ok"})).unwrap();
    assert_eq!(second["payment_intent_id"], pi);
    assert_ne!(second["url"], first["url"]);
    assert_eq!(ledger(&s)["payment_intents"].as_object().unwrap().len(), 1);
}

#[test]
fn the_hosted_checkout_page_takes_a_payment() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let id = client.call(Op::Create, &donut()).unwrap()["id"].as_str().unwrap().to_owned();
    let hosted =
        client.call(Op::RedirectUrl, &json!({"checkout_id": id, "success_url": "https://shop.test/ok"})).unwrap();
    let url = hosted["url"].as_str().unwrap();
    let page = ureq::get(url).call().unwrap().body_mut().read_to_string().unwrap();
    assert!(page.contains("One Chocolate Donut") && page.contains("$17.99"), "{page}");
    let (status, location) = pay_on_page(url, "4242424242424242", &[("success_redirect_url", "https://shop.test/ok")]);
    assert_eq!((status, location.as_deref()), (303, Some("https://shop.test/ok")));
    let paid = client.call(Op::Get, &json!({"checkout_id": id})).unwrap();
    assert_eq!(paid["payment_status"], "paid");
}

#[test]
fn metadata_reference_and_provider_options_travel() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let mut request = donut();
    request["metadata"] = json!({"order": "1001"});
    request["client_reference_id"] = "cart_42".into();
    request["currency"] = "USD".into();
    request["provider_options"] = json!({"payment_method_group_id": "pmg_123", "statement_descriptor": "Big Donuts"});
    let c = client.call(Op::Create, &request).unwrap();
    assert_eq!(c["metadata"], json!({"order": "1001"}));
    assert_eq!(c["client_reference_id"], "cart_42");
    assert_eq!(c["provider_data"]["payment_method_group_id"], "pmg_123");
    assert_eq!(c["provider_data"]["statement_descriptor"], "Big Donuts");
    let again = client.call(Op::Get, &json!({"checkout_id": c["id"]})).unwrap();
    assert_eq!(
        (again["metadata"].clone(), again["client_reference_id"].clone()),
        (c["metadata"].clone(), c["client_reference_id"].clone())
    );

    let before = ledger(&s)["checkouts"].as_object().map_or(0, |c| c.len());
    let mut euros = donut();
    euros["currency"] = "eur".into();
    let (code, e) = client.call(Op::Create, &euros).unwrap_err();
    assert_eq!((code, e["error"]["provider_code"].as_str()), (4, Some("checkout_invalid_currency")), "{e}");
    // The message of `checkout_invalid_currency` in JustiFi's error table (docs/description.md).
    assert_eq!(
        e["error"]["message"],
        "currency: The currency parameter does not match the currency this account is configured to process."
    );
    assert_eq!(ledger(&s)["checkouts"].as_object().map_or(0, |c| c.len()), before, "no orphan checkout");
}

#[test]
fn completion_payment_modes_are_the_specs() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let id = client.call(Op::Create, &donut()).unwrap()["id"].as_str().unwrap().to_owned();
    // `CheckoutCompletion.payment_mode`: ecom | bnpl | card_present.
    let (code, e) = client
        .call(Op::Complete, &json!({"checkout_id": id, "payment_token": "pm_x", "payment_mode": "apple_pay"}))
        .unwrap_err();
    assert_eq!(
        (code, e["error"]["message"].as_str()),
        (4, Some("payment_mode: must be one of ecom, bnpl, card_present"))
    );
}

#[test]
fn line_items_give_amount_and_description() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let c = client
        .call(
            Op::Create,
            &json!({"line_items": [
                {"name": "Chocolate Donut", "unit_amount": 1799, "quantity": 2},
                {"name": "Coffee", "unit_amount": 350, "quantity": 1}
            ]}),
        )
        .unwrap();
    assert_eq!(c["amount"], 3948);
    assert_eq!(c["description"], "Chocolate Donut, Coffee");
    let (code, _) = client
        .call(
            Op::Create,
            &json!({"line_items": [{"name": "Box", "unit_amount": 999, "quantity": 1,
            "subscription": {"interval_unit": "month", "interval_frequency": 1}}]}),
        )
        .unwrap_err();
    assert_eq!(code, 4, "JustiFi checkouts are one-time payments");
}

#[test]
fn no_output_carries_a_secret() {
    let s = sandbox();
    let mut cfg = config(&s.base_url());
    let client = lib().client(&cfg).unwrap();
    let mut outputs = Vec::new();
    let id = client.call(Op::Create, &donut()).unwrap()["id"].as_str().unwrap().to_owned();
    outputs.push(client.call(Op::Get, &json!({"checkout_id": id})).unwrap().to_string());
    outputs.push(client.call(Op::Get, &json!({"checkout_id": "cho_nope"})).unwrap_err().1.to_string());
    outputs.push(
        client.call(Op::Complete, &json!({"checkout_id": id, "payment_token": "pm_nope"})).unwrap_err().1.to_string(),
    );
    cfg["client_secret"] = "a-wrong-secret-value".into();
    let wrong = lib().client(&cfg).unwrap();
    outputs.push(wrong.call(Op::Create, &donut()).unwrap_err().1.to_string());
    cfg["colour"] = "red".into();
    outputs.push(lib().client(&cfg).err().unwrap().to_string());
    for out in outputs {
        assert!(!out.contains(TEST_CLIENT_SECRET) && !out.contains("a-wrong-secret-value"), "{out}");
        assert!(!out.contains("tok_"), "an access token leaked: {out}");
    }
}

/// JustiFi docs *Idempotency*: "Each request may include an Idempotency-Key header", and a 5XX or
/// a network timeout is retried "with the exact same parameters and idempotency key". Every
/// POST the library sends to JustiFi carries one, so a create that failed after JustiFi made
/// the checkout is retried into the same checkout, never a second.
#[test]
fn every_post_carries_an_idempotency_key_and_a_faulted_create_makes_one_checkout() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let count = |s: &checkout_sandbox::Sandbox| ledger(s)["checkouts"].as_object().map_or(0, |c| c.len());
    common::add_fault(&s, json!({"route": "POST /v1/checkouts", "status": 503, "after": true}));
    let c = client.call(Op::Create, &donut()).unwrap();
    assert_eq!(
        (c["attempts"].as_u64(), count(&s)),
        (Some(3), 1),
        "token, create, its retry with the key: one checkout"
    );
    let key = c["idempotency_key"].as_str().unwrap().to_owned();

    let mut again = donut();
    again["idempotency_key"] = key.into();
    assert_eq!(client.call(Op::Create, &again).unwrap()["id"], c["id"], "the key returns the same checkout");
    assert_eq!(count(&s), 1);

    let wct = client.call(Op::WebComponentToken, &json!({"checkout_id": c["id"], "idempotency_key": "wct-1"})).unwrap();
    let replayed =
        client.call(Op::WebComponentToken, &json!({"checkout_id": c["id"], "idempotency_key": "wct-1"})).unwrap();
    assert_eq!((wct["idempotency_key"].as_str(), &wct["access_token"]), (Some("wct-1"), &replayed["access_token"]));

    common::add_fault(&s, json!({"route": "POST /v1/checkout_sessions", "status": 502, "after": true}));
    let session =
        client.call(Op::RedirectUrl, &json!({"amount": 900, "success_url": "https://shop.example/ok"})).unwrap();
    assert_eq!(session["attempts"], 3, "payment intent, then the session retried with its key");
    assert!(session["idempotency_key"].is_string(), "the payment intent's key is returned");
}

/// The sandbox's one-line test payment tokens (README): no card to tokenize first.
#[test]
fn the_sandbox_test_tokens_pay_and_decline_without_tokenizing() {
    let s = sandbox();
    let client = lib().client(&config(&s.base_url())).unwrap();
    let paid = client.call(Op::Create, &donut()).unwrap();
    let done = client.call(Op::Complete, &json!({"checkout_id": paid["id"], "payment_token": "pm_test_visa"})).unwrap();
    assert_eq!(done["payment_status"], "succeeded");
    let declined = client.call(Op::Create, &donut()).unwrap();
    let done = client
        .call(Op::Complete, &json!({"checkout_id": declined["id"], "payment_token": "pm_test_card_declined"}))
        .unwrap();
    assert_eq!(
        (done["payment_status"].as_str(), done["payment_error"]["code"].as_str()),
        (Some("failed"), Some("card_declined"))
    );
}
