//! The quickstart: JustiFi's checkout flow (seeds 000, 001 and 003) through the shared
//! library, loaded with libloading as a PHP, Python or Node host loads it.
//!
//! With no credentials it starts the local sandbox itself. With `JUSTIFI_CLIENT_ID`,
//! `JUSTIFI_CLIENT_SECRET`, `JUSTIFI_SUB_ACCOUNT` (and optionally `JUSTIFI_BASE_URL`) set,
//! it runs against that API; there `JUSTIFI_PAYMENT_TOKEN` may name a test payment method
//! (`pm_...`) to pay with, else the test card is tokenized as the web component would.
//!
//! `cargo run --example quickstart`

mod host;

use checkout_sandbox::{Sandbox, SandboxConfig, TEST_CLIENT_ID, TEST_CLIENT_SECRET, TEST_SUB_ACCOUNT};
use host::{CheckoutLib, Op};
use serde_json::{json, Value};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quickstart failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let path = host::locate()?;
    let lib = CheckoutLib::load(&path.canonicalize().unwrap_or(path))?;
    let real = std::env::var("JUSTIFI_CLIENT_ID").is_ok_and(|v| !v.is_empty());
    let sandbox;
    let (config, base_url) = if real {
        let base = std::env::var("JUSTIFI_BASE_URL").unwrap_or_else(|_| "https://api.justifi.ai".into());
        (json!({"provider": "justifi", "base_url": base}), base)
    } else {
        sandbox = Sandbox::start(SandboxConfig::default()).map_err(|e| format!("starting the sandbox: {e}"))?;
        let base = sandbox.base_url();
        let config = json!({
            "provider": "justifi", "base_url": base, "hosted_base_url": base,
            "client_id": TEST_CLIENT_ID, "client_secret": TEST_CLIENT_SECRET, "sub_account": TEST_SUB_ACCOUNT,
        });
        (config, base)
    };
    println!("storefront-checkout {} ({})", lib.version(), lib.path.display());
    println!("JustiFi API: {base_url}{}", if real { "" } else { " (local sandbox)" });

    let client = lib.client(&config).map_err(|e| describe(&e))?;
    let call = |op, req: Value| client.call(op, &req).map_err(|(_, e)| describe(&e));

    let checkout = call(
        Op::Create,
        json!({
            "amount": 1799, "description": "One Chocolate Donut", "origin_url": "http://localhost:3000"
        }),
    )?;
    let checkout_id = checkout["id"].as_str().ok_or("checkout without id")?.to_owned();
    println!(
        "\n1. checkout {checkout_id}: {} {}, {}",
        money(&checkout),
        checkout["description"].as_str().unwrap_or(""),
        checkout["status"].as_str().unwrap_or("?")
    );

    let component = call(Op::WebComponentToken, json!({ "checkout_id": checkout_id }))?;
    println!("2. web component:\n   {}", component["html"].as_str().unwrap_or(""));

    let hosted = call(
        Op::RedirectUrl,
        json!({
            "checkout_id": checkout_id, "success_url": "http://localhost:3000/thanks"
        }),
    )?;
    println!("3. hosted checkout page: {}", hosted["url"].as_str().unwrap_or(""));

    let token = payment_token(&base_url, &component, real)?;
    let completion = call(Op::Complete, json!({ "checkout_id": checkout_id, "payment_token": token }))?;
    println!(
        "4. completion {}: payment_status {} (payment {}, idempotency key {})",
        completion["id"].as_str().unwrap_or("-"),
        completion["payment_status"].as_str().unwrap_or("?"),
        completion["payment_id"].as_str().unwrap_or("-"),
        completion["idempotency_key"].as_str().unwrap_or("-"),
    );

    let session = call(
        Op::RedirectUrl,
        json!({
            "amount": 1799, "currency": "usd", "description": "One Chocolate Donut",
            "success_url": "http://localhost:3000/thanks", "cancel_url": "http://localhost:3000/cart"
        }),
    )?;
    println!(
        "5. hosted checkout session (seed 003): {}\n   payment intent {}, check it with checkout_get after the shopper returns",
        session["url"].as_str().unwrap_or(""),
        session["payment_intent_id"].as_str().unwrap_or("-"),
    );

    if completion["payment_status"] != "succeeded" {
        return Err(format!("the payment did not succeed: {}", completion["payment_error"]));
    }
    println!("\nPaid: {} for checkout {checkout_id}.", money(&checkout));
    Ok(())
}

/// A payment method token, as the browser's web component would make one with its token:
/// `POST /v1/payment_methods` with the test card (or `JUSTIFI_PAYMENT_TOKEN` against a real API).
fn payment_token(base_url: &str, component: &Value, real: bool) -> Result<String, String> {
    if real {
        if let Ok(t) = std::env::var("JUSTIFI_PAYMENT_TOKEN") {
            return Ok(t);
        }
    }
    let wct = component["access_token"].as_str().ok_or("no web component token")?;
    let card = json!({"payment_method": {"card": {
        "name": "Donut Lover", "number": "4242424242424242", "verification": "123",
        "month": "12", "year": "2031", "address_postal_code": "55555"
    }}});
    let failed = |e: &dyn std::fmt::Display| format!("tokenizing the test card: {e}");
    let mut resp = ureq::post(format!("{base_url}/v1/payment_methods"))
        .header("Authorization", format!("Bearer {wct}"))
        .content_type("application/json")
        .send(card.to_string())
        .map_err(|e| failed(&e))?;
    let text = resp.body_mut().read_to_string().map_err(|e| failed(&e))?;
    let body: Value = serde_json::from_str(&text).map_err(|e| failed(&e))?;
    body["data"]["id"].as_str().map(str::to_owned).ok_or_else(|| format!("no payment method in {body}"))
}

fn money(checkout: &Value) -> String {
    let cents = checkout["amount"].as_u64().unwrap_or(0);
    format!("{}.{:02} {}", cents / 100, cents % 100, checkout["currency"].as_str().unwrap_or("").to_uppercase())
}

fn describe(error: &Value) -> String {
    let e = &error["error"];
    format!("{} ({}): {}", e["code"].as_str().unwrap_or("?"), e["status"], e["message"].as_str().unwrap_or(""))
}
