//! Payfect through the dlopen'ed library against the sandbox: seed 004's crypto checkout,
//! the hosted page, and the refusals.

mod common;

use common::host::Op;
use common::{fixture, ledger, lib, payfect_config, sandbox};
use serde_json::{json, Value};

/// Seed 004's example request, as a storefront writes it in the unified form.
fn seed_004_request() -> Value {
    let seed = fixture("seed_004_create.json");
    let item = &seed["invoice_items"][0]["price_data"];
    json!({
        "currency": seed["currency"],
        "line_items": [{
            "name": item["product_data"]["name"], "description": item["product_data"]["description"],
            "image_url": item["product_data"]["images"][0], "unit_amount": 2050, "quantity": seed["invoice_items"][0]["quantity"],
        }],
        "client_reference_id": seed["client_reference_id"], "success_url": seed["success_url"],
        "cancel_url": seed["cancel_url"], "callback_url": seed["callback_url"],
        "provider_options": {"payment_method_data": seed["payment_method_data"]},
    })
}

fn pay_on_page(url: &str) -> (u16, Option<String>) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let resp = agent.post(url).send_empty().unwrap();
    (resp.status().as_u16(), resp.headers().get("location").map(|l| l.to_str().unwrap().to_owned()))
}

#[test]
fn seed_004_crypto_checkout_is_created_paid_and_read() {
    let s = sandbox();
    let client = lib().client(&payfect_config(&s.base_url())).unwrap();
    let seed = fixture("seed_004_create.json");

    let c = client.call(Op::Create, &seed_004_request()).unwrap();
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!((id.len(), id.matches('-').count()), (36, 4), "a UUID: {id}");
    assert_eq!(
        (c["provider"].as_str(), c["status"].as_str(), c["payment_status"].as_str()),
        (Some("payfect"), Some("open"), Some("unpaid"))
    );
    assert_eq!((c["amount"].as_u64(), c["currency"].as_str()), (Some(2050), Some("usdt")));
    assert_eq!(c["description"], "Standard Plan");
    assert_eq!(c["client_reference_id"], seed["client_reference_id"]);
    let url = c["redirect_url"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("{}/payfect/checkouts/{id}", s.base_url()));
    for t in ["created_at", "expires_at"] {
        assert!(c[t].as_str().unwrap().ends_with('Z'), "{t}: {}", c[t]);
    }
    assert!(c["expires_at"].as_str() > c["created_at"].as_str());
    let data = &c["provider_data"];
    assert_eq!(data["amountTotal"], "20.50");
    assert_eq!(data["invoiceItems"][0]["priceData"]["unitAmount"], "20.50");
    assert_eq!(
        data["invoiceItems"][0]["priceData"]["productData"]["images"],
        seed["invoice_items"][0]["price_data"]["product_data"]["images"]
    );
    assert_eq!(data["successUrl"], seed["success_url"]);

    let redirect = client.call(Op::RedirectUrl, &json!({"checkout_id": id})).unwrap();
    assert_eq!(redirect["url"], url);
    assert_eq!(redirect["expires_at"], c["expires_at"]);

    let (code, e) = client.call(Op::Complete, &json!({"checkout_id": id, "payment_token": "x"})).unwrap_err();
    assert_eq!(code, 6);
    assert!(e["error"]["message"].as_str().unwrap().contains("checkout_get"), "{e}");

    assert_eq!(pay_on_page(&url), (303, Some("https://example.com/success".to_owned())));
    let paid = client.call(Op::Get, &json!({"checkout_id": id})).unwrap();
    assert_eq!((paid["status"].as_str(), paid["payment_status"].as_str()), (Some("complete"), Some("paid")));
    assert_eq!(ledger(&s)["payfect_checkouts"][&id]["payments"].as_array().unwrap().len(), 1);
    let (code, _) = client.call(Op::RedirectUrl, &json!({"checkout_id": id})).unwrap_err();
    assert_eq!(code, 9, "no payment page for a paid checkout");
    assert_eq!(pay_on_page(&url).0, 402, "the page refuses a second payment");
}

#[test]
fn an_amount_with_a_description_is_one_invoice_item() {
    let s = sandbox();
    let client = lib().client(&payfect_config(&s.base_url())).unwrap();
    let c = client.call(Op::Create, &json!({"amount": 1999, "currency": "USDT", "description": "Donut box"})).unwrap();
    assert_eq!((c["amount"].as_u64(), c["description"].as_str()), (Some(1999), Some("Donut box")));
    assert_eq!(c["provider_data"]["invoiceItems"][0]["quantity"], 1);
    assert_eq!(c["provider_data"]["amountTotal"], "19.99");
}

#[test]
fn refusals_name_the_field() {
    let s = sandbox();
    let client = lib().client(&payfect_config(&s.base_url())).unwrap();
    let cases = [
        (json!({"amount": 1999, "description": "x"}), "currency: is required by Payfect"),
        (
            json!({"amount": 1999, "currency": "usdt"}),
            "description: is required by Payfect without line_items (it names the invoice item)",
        ),
        (
            json!({"amount": 1999, "currency": "doge", "description": "x"}),
            "currency: doge is not an ISO 4217 currency with minor units, nor usdt or usdc",
        ),
        (json!({"amount": 1999, "currency": "eur", "description": "x"}), "currency: \"eur\" is not a valid choice."),
        (
            json!({"amount": 1999, "currency": "usdt", "description": "x", "metadata": {"a": "b"}}),
            "metadata: payfect does not take it on checkout_create: its create takes none; use client_reference_id",
        ),
    ];
    for (request, message) in cases {
        let (code, e) = client.call(Op::Create, &request).unwrap_err();
        assert_eq!(code, 4, "{request}");
        assert_eq!(e["error"]["message"], message);
    }
    let (code, e) = client.call(Op::Get, &json!({"checkout_id": "00000000-0000-4000-8000-000000000000"})).unwrap_err();
    assert_eq!((code, e["error"]["message"].as_str()), (8, Some("Not found.")));

    let mut wrong = payfect_config(&s.base_url());
    wrong["api_key"] = "wrong-key-123".into();
    let (code, e) = lib().client(&wrong).unwrap().call(Op::Get, &json!({"checkout_id": "x"})).unwrap_err();
    assert_eq!((code, e["error"]["message"].as_str()), (7, Some("Invalid API key.")));
    assert!(!e.to_string().contains("wrong-key-123"));
}

#[test]
fn the_trailing_slash_matters() {
    let s = sandbox();
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let send = |path: &str| {
        agent
            .post(format!("{}{path}", s.base_url()))
            .header("Authorization", format!("Api-Key {}", checkout_sandbox::TEST_PAYFECT_KEY))
            .content_type("application/json")
            .send(fixture("seed_004_create.json").to_string())
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(send("/api/v1/checkouts"), 404);
    assert_eq!(send("/api/v1/checkouts/"), 201, "seed 004's example request, verbatim but for trailing commas");
}

/// The sandbox's checkout answers in seed 004's shape: its top-level fields are the example
/// response's (`tests/fixtures/seed_004_checkout.json`, verbatim from Payfect docs *Create a checkout*).
#[test]
fn the_sandbox_checkout_has_the_seed_responses_fields() {
    let s = sandbox();
    let client = lib().client(&payfect_config(&s.base_url())).unwrap();
    let c = client.call(Op::Create, &seed_004_request()).unwrap();
    let published = fixture("seed_004_checkout.json");
    let mut expected: Vec<&String> = published.as_object().unwrap().keys().collect();
    let mut answered: Vec<&String> = c["provider_data"].as_object().unwrap().keys().collect();
    expected.sort();
    answered.sort();
    assert_eq!(answered, expected);
}
