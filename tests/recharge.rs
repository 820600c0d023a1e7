//! ReCharge through the dlopen'ed library against the sandbox: seed 002's subscription
//! checkout, the charge, declines, and a charge never sent twice whatever the fault.

mod common;

use checkout_sandbox::{Sandbox, SandboxConfig, TEST_RECHARGE_TOKEN};
use common::host::Op;
use common::{add_fault, fixture, ledger, lib, recharge_config, sandbox};
use serde_json::{json, Value};
use std::time::Duration;

fn seed_002(client: &common::host::HostClient) -> Value {
    client.call(Op::Create, &json!({ "provider_options": fixture("seed_002_create.json") })).unwrap()
}

fn charge_requests(s: &Sandbox, token: &str) -> u64 {
    ledger(s)["recharge_checkouts"][token]["charge_requests"].as_u64().unwrap()
}

#[test]
fn seed_002_subscription_checkout_is_created_charged_and_read() {
    let s = sandbox();
    let mut cfg = recharge_config(&s.base_url());
    cfg["store_domain"] = "donuts.myshopify.com".into();
    let client = lib().client(&cfg).unwrap();

    let checkout = seed_002(&client);
    let token = checkout["id"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 32);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!((checkout["provider"].as_str(), checkout["status"].as_str()), (Some("recharge"), Some("open")));
    assert_eq!((checkout["amount"].as_u64(), checkout["currency"].as_str()), (Some(6000), Some("usd")), "6 × 10.00");
    let item = &checkout["provider_data"]["line_items"][0];
    for (key, value) in fixture("seed_002_create.json")["line_items"][0].as_object().unwrap() {
        assert_eq!(&item[key], value, "{key} reached ReCharge as the seed wrote it");
    }
    let hosted = format!("{}/r/checkout/{token}?myshopify_domain=donuts.myshopify.com", s.base_url());
    assert_eq!(checkout["redirect_url"], hosted);

    let redirect = client.call(Op::RedirectUrl, &json!({"checkout_id": token})).unwrap();
    assert_eq!(redirect["url"], hosted);

    let mut charge = fixture("seed_002_charge.json");
    charge["checkout_id"] = token.clone().into();
    let done = client.call(Op::Complete, &charge).unwrap();
    assert_eq!(done["payment_status"], "succeeded");
    assert!(done["payment_id"].as_str().is_some());
    assert_eq!((done["amount"].as_u64(), done["idempotency_key"].clone()), (Some(6000), Value::Null));

    let paid = client.call(Op::Get, &json!({"checkout_id": token})).unwrap();
    assert_eq!((paid["status"].as_str(), paid["payment_status"].as_str()), (Some("complete"), Some("paid")));
    assert_eq!(paid["redirect_url"], Value::Null);

    let (code, e) = client.call(Op::Complete, &charge).unwrap_err();
    assert_eq!(code, 9, "{e}");
    assert_eq!(e["error"]["message"], "Checkout has already been processed.");
    let (code, _) = client.call(Op::RedirectUrl, &json!({"checkout_id": token})).unwrap_err();
    assert_eq!(code, 9);
    assert_eq!(ledger(&s)["recharge_checkouts"][&token]["payments"].as_array().unwrap().len(), 1);
}

#[test]
fn the_sandbox_takes_the_seed_body_as_published_and_refuses_a_wrapper() {
    let s = sandbox();
    let (status, v) = common::sandbox_request("POST", &format!("{}/checkouts", s.base_url()), None, None);
    assert_eq!(status, 401, "{v}");
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut resp = agent
        .post(format!("{}/checkouts", s.base_url()))
        .header("X-Recharge-Access-Token", TEST_RECHARGE_TOKEN)
        .header("X-Recharge-Version", "2021-01")
        .content_type("application/json")
        .send(fixture("seed_002_create.json").to_string())
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    assert_eq!(resp.headers().get("x-recharge-limit").unwrap(), "1/40");
    let v: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(v["checkout"]["line_items"][0]["quantity"], 6);
    let wrapped = agent
        .post(format!("{}/checkouts", s.base_url()))
        .header("X-Recharge-Access-Token", TEST_RECHARGE_TOKEN)
        .content_type("application/json")
        .send(json!({ "checkout": fixture("seed_002_create.json") }).to_string())
        .unwrap();
    assert_eq!(wrapped.status().as_u16(), 422, "no published source wraps the create body");
}

#[test]
fn unified_line_items_become_recharge_line_items_in_both_versions() {
    let s = sandbox();
    let request = json!({"email": "shopper@example.com", "line_items": [
        {"name": "Coffee beans", "unit_amount": 1250, "quantity": 2, "product_id": 1255183683u64, "variant_id": 3844924611u64,
         "subscription": {"interval_unit": "month", "interval_frequency": 1}},
        {"name": "Mug", "unit_amount": 900, "quantity": 1, "product_id": "77", "variant_id": "78"}
    ]});
    let client = lib().client(&recharge_config(&s.base_url())).unwrap();
    let c = client.call(Op::Create, &request).unwrap();
    assert_eq!(c["amount"], 3400);
    assert_eq!(c["description"], "Coffee beans, Mug");
    let items = &c["provider_data"]["line_items"];
    assert_eq!((items[0]["price"].as_str(), items[0]["order_interval_unit"].as_str()), (Some("12.50"), Some("month")));
    assert_eq!(
        (items[0]["order_interval_frequency"].as_u64(), items[0]["charge_interval_frequency"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(items[1].get("order_interval_unit"), None, "no subscription makes a one-time item");
    assert_eq!(c["provider_data"]["email"], "shopper@example.com");

    let mut cfg = recharge_config(&s.base_url());
    cfg["api_version"] = "2021-11".into();
    let client = lib().client(&cfg).unwrap();
    let c = client.call(Op::Create, &request).unwrap();
    let items = &c["provider_data"]["line_items"];
    assert_eq!(items[0]["external_variant_id"], json!({"ecommerce": "3844924611"}), "a numeric id, as text");
    assert_eq!(
        (items[0]["unit_price"].as_str(), items[0]["purchase_item_type"].as_str()),
        (Some("12.50"), Some("subscription"))
    );
    assert_eq!(
        items[0]["subscription_preferences"],
        json!({"interval_unit": "month", "order_interval_frequency": 1, "charge_interval_frequency": 1})
    );
    assert_eq!(items[1]["purchase_item_type"], "onetime");
    assert_eq!((c["description"].as_str(), c["amount"].as_u64()), (Some("Coffee beans, Mug"), Some(3400)));
}

#[test]
fn the_charge_answers_in_the_sdk_shape_and_the_completion_reads_the_checkout() {
    let s = sandbox();
    let client = lib().client(&recharge_config(&s.base_url())).unwrap();
    let token = seed_002(&client)["id"].as_str().unwrap().to_owned();
    let done = client.call(Op::Complete, &json!({"checkout_id": token, "payment_token": "tok_visa"})).unwrap();
    assert_eq!((done["amount"].as_u64(), done["currency"].as_str()), (Some(6000), Some("usd")), "from the checkout");
    let published = fixture("recharge_checkout_charge.json");
    let mut expected: Vec<&String> = published["checkout_charge"].as_object().unwrap().keys().collect();
    expected.retain(|k| *k != "autorization_token");
    let mut answered: Vec<&String> = done["provider_data"].as_object().unwrap().keys().collect();
    expected.sort();
    answered.sort();
    assert_eq!(answered, expected, "the sandbox's checkout_charge has the SDK model's fields");

    let other = seed_002(&client)["id"].as_str().unwrap().to_owned();
    let sca = client
        .call(Op::Complete, &json!({"checkout_id": other, "payment_token": "tok_authenticationRequired"}))
        .unwrap();
    assert_eq!(
        (sca["payment_status"].as_str(), sca["payment_error"]["code"].as_str()),
        (Some("pending"), Some("authentication_required"))
    );
}

#[test]
fn a_declined_charge_is_a_failed_payment() {
    let s = sandbox();
    let client = lib().client(&recharge_config(&s.base_url())).unwrap();
    let token = seed_002(&client)["id"].as_str().unwrap().to_owned();
    let declined = client
        .call(Op::Complete, &json!({"checkout_id": token, "payment_token": "tok_chargeDeclinedInsufficientFunds"}))
        .unwrap();
    assert_eq!(declined["payment_status"], "failed");
    assert_eq!(declined["payment_error"]["message"], "Your card has insufficient funds.");
    assert_eq!(client.call(Op::Get, &json!({"checkout_id": token})).unwrap()["status"], "open");
    // RechargeSharp `ProcessCheckoutErrorMessages.CardDeclinedDoNotHonor`, as a string `errors`.
    let declined = client
        .call(Op::Complete, &json!({"checkout_id": token, "payment_token": "tok_chargeDeclinedDoNotHonor"}))
        .unwrap();
    assert_eq!(
        (declined["payment_status"].as_str(), declined["payment_error"]["decline_code"].as_str()),
        (Some("failed"), Some("do_not_honor"))
    );
    assert_eq!(declined["provider_data"], json!({"errors": "Your card was declined. decline_code = do_not_honor"}));
    let paid = client.call(Op::Complete, &json!({"checkout_id": token, "payment_token": "tok_visa"})).unwrap();
    assert_eq!(paid["payment_status"], "succeeded");
}

#[test]
fn refusals_name_the_field_and_status() {
    let s = sandbox();
    let client = lib().client(&recharge_config(&s.base_url())).unwrap();
    let (code, e) = client.call(Op::Get, &json!({"checkout_id": "0123456789abcdef0123456789abcdef"})).unwrap_err();
    assert_eq!(
        (code, e["error"]["message"].as_str(), e["error"]["http_status"].as_u64()),
        (8, Some("Not Found"), Some(404))
    );

    let cases = [
        (
            json!({"line_items": [{"name": "x", "unit_amount": 100, "quantity": 1, "product_id": "1"}]}),
            "line_items[0].variant_id: is required by ReCharge",
        ),
        (
            json!({"amount": 1000, "description": "x"}),
            "line_items: ReCharge checkouts are made of line items (product_id, variant_id)",
        ),
        (
            json!({"provider_options": {"line_items": [{"product_id": 1, "variant_id": 2, "quantity": 1, "order_interval_unit": "year"}]}}),
            "line_items.0.order_interval_unit: Must be one of: day, week, month.",
        ),
        (
            json!({"provider_options": {"line_items": [{"name": 1}]}, "success_url": "https://shop.test/ok"}),
            "success_url: recharge does not take it on checkout_create: its hosted checkout has no return URLs",
        ),
    ];
    for (request, message) in cases {
        let (code, e) = client.call(Op::Create, &request).unwrap_err();
        assert_eq!(code, 4, "{request}");
        assert_eq!(e["error"]["message"], message);
    }
    let (code, e) = client
        .call(Op::Complete, &json!({"checkout_id": "t", "payment_token": "tok_visa", "idempotency_key": "k1"}))
        .unwrap_err();
    assert_eq!(code, 4);
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("idempotency_key: recharge does not take it on checkout_complete: it has no idempotency keys"));
    let (code, _) = client.call(Op::WebComponentToken, &json!({"checkout_id": "t"})).unwrap_err();
    assert_eq!(code, 6);

    let mut wrong = recharge_config(&s.base_url());
    wrong["api_token"] = "not-a-token".into();
    let (code, e) = lib().client(&wrong).unwrap().call(Op::Get, &json!({"checkout_id": "t"})).unwrap_err();
    assert_eq!(code, 7);
    assert!(!e.to_string().contains("not-a-token"));
}

#[test]
fn a_charge_answered_by_a_503_is_not_resent_and_reads_back_pending() {
    let s = sandbox();
    let client = lib().client(&recharge_config(&s.base_url())).unwrap();
    let token = seed_002(&client)["id"].as_str().unwrap().to_owned();
    add_fault(&s, json!({"route": "POST /checkouts/{token}/charge", "status": 503}));
    let c = client.call(Op::Complete, &json!({"checkout_id": token, "payment_token": "tok_visa"})).unwrap();
    assert_eq!((c["payment_status"].as_str(), c["confirmed_by"].as_str()), (Some("pending"), Some("checkout_get")));
    assert!(c["pending_reason"]
        .as_str()
        .unwrap()
        .contains("read it again later with checkout_get before charging again"));
    assert_eq!(charge_requests(&s, &token), 1, "the sandbox saw exactly one charge");
}

#[test]
fn a_charge_whose_connection_drops_after_processing_is_settled_by_reading_the_checkout() {
    let s = sandbox();
    let client = lib().client(&recharge_config(&s.base_url())).unwrap();
    let token = seed_002(&client)["id"].as_str().unwrap().to_owned();
    add_fault(&s, json!({"route": "POST /checkouts/{token}/charge", "reset": true, "after": true}));
    let c = client.call(Op::Complete, &json!({"checkout_id": token, "payment_token": "tok_visa"})).unwrap();
    assert_eq!((c["payment_status"].as_str(), c["confirmed_by"].as_str()), (Some("succeeded"), Some("checkout_get")));
    assert_eq!(c["pending_reason"], Value::Null);
    assert_eq!(charge_requests(&s, &token), 1, "the sandbox saw exactly one charge");
    assert_eq!(ledger(&s)["recharge_checkouts"][&token]["payments"].as_array().unwrap().len(), 1);
}

#[test]
fn a_concurrent_charge_is_pending_not_a_second_payment() {
    let s = Sandbox::start(SandboxConfig { charge_delay: Duration::from_millis(500), ..Default::default() }).unwrap();
    let client = lib().client(&recharge_config(&s.base_url())).unwrap();
    let token = seed_002(&client)["id"].as_str().unwrap().to_owned();
    let request = json!({"checkout_id": token, "payment_token": "tok_visa"});
    let outcomes: Vec<Value> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let (client, request) = (&client, &request);
                scope.spawn(move || {
                    std::thread::sleep(Duration::from_millis(150 * i));
                    client.call(Op::Complete, request).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let statuses: Vec<_> = outcomes.iter().map(|c| c["payment_status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["succeeded", "pending"], "the second charge met the first in flight (409), read back unpaid");
    assert!(outcomes[1]["pending_reason"].as_str().unwrap().contains("in progress"), "{}", outcomes[1]);
    assert_eq!(client.call(Op::Get, &json!({"checkout_id": token})).unwrap()["payment_status"], "paid");
    assert_eq!(charge_requests(&s, &token), 2);
    assert_eq!(ledger(&s)["recharge_checkouts"][&token]["payments"].as_array().unwrap().len(), 1);
}

#[test]
fn the_leaky_bucket_answers_429_and_the_library_reports_it() {
    let s = sandbox();
    let mut cfg = recharge_config(&s.base_url());
    cfg["max_retries"] = 0.into();
    let client = lib().client(&cfg).unwrap();
    let token = seed_002(&client)["id"].as_str().unwrap().to_owned();
    let limited = (0..60).find_map(|_| client.call(Op::Get, &json!({"checkout_id": token})).err());
    let (code, e) = limited.expect("a burst past 40 requests is limited");
    assert_eq!(
        (code, e["error"]["http_status"].as_u64(), e["error"]["retryable"].as_bool()),
        (10, Some(429), Some(true))
    );

    let patient = lib().client(&recharge_config(&s.base_url())).unwrap();
    std::thread::sleep(Duration::from_millis(600));
    assert!(patient.call(Op::Get, &json!({"checkout_id": token})).is_ok(), "the bucket drains 2 per second");
}

#[test]
fn the_sandbox_checks_the_version_and_reports_the_bucket() {
    let s = sandbox();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let get = |version: &str| {
        let resp = agent
            .get(format!("{}/checkouts/0123456789abcdef0123456789abcdef", s.base_url()))
            .header("X-Recharge-Access-Token", TEST_RECHARGE_TOKEN)
            .header("X-Recharge-Version", version)
            .call()
            .unwrap();
        let limit = resp.headers().get("x-recharge-limit").map(|v| v.to_str().unwrap().to_owned());
        (resp.status().as_u16(), limit)
    };
    assert_eq!(get("2019-12").0, 400, "an unknown API version is refused");
    let answers: Vec<(u16, Option<String>)> = (0..41).map(|_| get("2021-11")).collect();
    assert_eq!(answers[0], (404, Some("1/40".into())));
    assert_eq!(answers[39].0, 404);
    assert_eq!(answers[40], (429, Some("40/40".into())), "the 41st request overflows the bucket");
}

/// The sandbox's 2021-11 checkout answers in the published model's shape: every field it
/// sends is a field of ChemicalLuck/recharge-api-python `recharge/model/v2/checkout.py`
/// (`Checkout`, and `CheckoutLineItem` for its line items).
#[test]
fn the_sandbox_checkout_has_only_the_sdk_models_fields() {
    const CHECKOUT: &[&str] = &[
        "charge_id",
        "analytics_data",
        "applied_discounts",
        "applied_shipping_rate",
        "available_shipping_rates",
        "billing_address",
        "completed_at",
        "created_at",
        "currency",
        "email",
        "external_checkout_id",
        "external_checkout_source",
        "external_customer_id",
        "external_transaction_id",
        "line_items",
        "note",
        "notification_preferences",
        "order_attributes",
        "payment_processor",
        "requires_shipping",
        "shipping_address",
        "shipping_lines",
        "subtotal_price",
        "tax_lines",
        "taxable",
        "taxes_included",
        "token",
        "total_price",
        "total_tax",
        "updated_at",
    ];
    const LINE_ITEM: &[&str] = &[
        "external_product_id",
        "external_variant_id",
        "handle",
        "images",
        "properties",
        "purchase_item_type",
        "quantity",
        "sku",
        "subscription_preferences",
        "title",
        "unit_price",
        "variant_title",
        "weight",
    ];
    let s = sandbox();
    let mut cfg = recharge_config(&s.base_url());
    cfg["api_version"] = "2021-11".into();
    let client = lib().client(&cfg).unwrap();
    let c = client
        .call(
            Op::Create,
            &json!({"email": "shopper@example.com", "description": "note", "line_items": [
                {"name": "Coffee", "unit_amount": 1250, "quantity": 2, "product_id": 1, "variant_id": 2,
                 "subscription": {"interval_unit": "month", "interval_frequency": 1}}]}),
        )
        .unwrap();
    for key in c["provider_data"].as_object().unwrap().keys() {
        assert!(CHECKOUT.contains(&key.as_str()), "checkout.{key} is not in the SDK's Checkout model");
    }
    for key in c["provider_data"]["line_items"][0].as_object().unwrap().keys() {
        assert!(LINE_ITEM.contains(&key.as_str()), "line_items[0].{key} is not in the SDK's CheckoutLineItem");
    }
}
