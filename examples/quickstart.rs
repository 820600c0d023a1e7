//! The quickstart: a provider's seed flow through the shared library, loaded with libloading
//! as a PHP, Python or Node host loads it.
//!
//! `cargo run --example quickstart [-- justifi|recharge|payfect]` (JustiFi by default):
//! - justifi: seeds 000, 001 and 003, token → checkout → web component → hosted page →
//!   completion → hosted checkout session;
//! - recharge: seed 002, a subscription checkout → hosted page → charge;
//! - payfect: seed 004, a crypto checkout → its payment page → the shopper pays → read back.
//!
//! With no credentials it starts the local sandbox itself. With a provider's credentials in
//! the environment it runs against that provider's API: JustiFi `JUSTIFI_CLIENT_ID`,
//! `JUSTIFI_CLIENT_SECRET`, `JUSTIFI_SUB_ACCOUNT` (and `JUSTIFI_PAYMENT_TOKEN`, a test `pm_...`
//! to pay with); ReCharge `RECHARGE_API_TOKEN` (and `RECHARGE_PAYMENT_TOKEN`, a processor
//! token); Payfect `PAYFECT_API_KEY`. `<PROVIDER>_BASE_URL` picks another origin.

mod host;

use checkout_sandbox::{
    Sandbox, SandboxConfig, TEST_CLIENT_ID, TEST_CLIENT_SECRET, TEST_PAYFECT_KEY, TEST_RECHARGE_TOKEN, TEST_SUB_ACCOUNT,
};
use host::{CheckoutLib, HostClient, Op};
use serde_json::{json, Value};
use std::process::ExitCode;

/// Seed 002's bodies and seed 004's request (see `tests/fixtures/README.md`).
const SEED_002_CREATE: &str = include_str!("../tests/fixtures/seed_002_create.json");
const SEED_002_CHARGE: &str = include_str!("../tests/fixtures/seed_002_charge.json");
const SEED_004_CREATE: &str = include_str!("../tests/fixtures/seed_004_create.json");

fn main() -> ExitCode {
    let provider = std::env::args().nth(1).unwrap_or_else(|| "justifi".into());
    match run(&provider) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quickstart failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Where the flow runs: the provider's API (with credentials) or a sandbox started here.
struct Target {
    config: Value,
    base_url: String,
    real: bool,
    _sandbox: Option<Sandbox>,
}

fn target(provider: &str) -> Result<Target, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let credential = match provider {
        "justifi" => "JUSTIFI_CLIENT_ID",
        "recharge" => "RECHARGE_API_TOKEN",
        "payfect" => "PAYFECT_API_KEY",
        other => return Err(format!("unknown provider {other:?}: use justifi, recharge or payfect")),
    };
    if env(credential).is_some() {
        let mut config = json!({ "provider": provider });
        let base_url = env(&format!("{}_BASE_URL", provider.to_uppercase()));
        if let Some(base) = &base_url {
            config["base_url"] = base.as_str().into();
        }
        let default_base = match provider {
            "justifi" => "https://api.justifi.ai",
            "recharge" => "https://api.rechargeapps.com",
            _ => "https://api.payfect.finance",
        };
        let base_url = base_url.unwrap_or_else(|| default_base.into());
        return Ok(Target { config, base_url, real: true, _sandbox: None });
    }
    let sandbox = Sandbox::start(SandboxConfig::default()).map_err(|e| format!("starting the sandbox: {e}"))?;
    let base = sandbox.base_url();
    let config = match provider {
        "justifi" => {
            json!({"provider": "justifi", "base_url": base, "hosted_base_url": base, "client_id": TEST_CLIENT_ID,
            "client_secret": TEST_CLIENT_SECRET, "sub_account": TEST_SUB_ACCOUNT})
        }
        "recharge" => json!({"provider": "recharge", "base_url": base, "hosted_base_url": base,
            "api_token": TEST_RECHARGE_TOKEN, "store_domain": "donuts.myshopify.com"}),
        _ => json!({"provider": "payfect", "base_url": base, "api_key": TEST_PAYFECT_KEY}),
    };
    Ok(Target { config, base_url: base, real: false, _sandbox: Some(sandbox) })
}

fn run(provider: &str) -> Result<(), String> {
    let path = host::locate()?;
    let lib = CheckoutLib::load(&path.canonicalize().unwrap_or(path))?;
    let target = target(provider)?;
    println!("storefront-checkout {} ({})", lib.version(), lib.path.display());
    println!("{provider} API: {}{}", target.base_url, if target.real { "" } else { " (local sandbox)" });
    let client = lib.client(&target.config).map_err(|e| describe(&e))?;
    match provider {
        "justifi" => justifi(&client, &target),
        "recharge" => recharge(&client, &target),
        _ => payfect(&client, &target),
    }
}

fn call(client: &HostClient, op: Op, request: Value) -> Result<Value, String> {
    client.call(op, &request).map_err(|(_, e)| describe(&e))
}

fn justifi(client: &HostClient, target: &Target) -> Result<(), String> {
    let checkout = call(
        client,
        Op::Create,
        json!({
            "amount": 1799, "description": "One Chocolate Donut", "origin_url": "http://localhost:3000"
        }),
    )?;
    let checkout_id = id(&checkout)?;
    println!("\n1. checkout {checkout_id}: {}, {}", summary(&checkout), checkout["status"].as_str().unwrap_or("?"));

    let component = call(client, Op::WebComponentToken, json!({ "checkout_id": checkout_id }))?;
    println!("2. web component:\n   {}", component["html"].as_str().unwrap_or(""));

    let hosted = call(
        client,
        Op::RedirectUrl,
        json!({
            "checkout_id": checkout_id, "success_url": "http://localhost:3000/thanks"
        }),
    )?;
    println!("3. hosted checkout page: {}", hosted["url"].as_str().unwrap_or(""));

    let token = justifi_payment_token(&target.base_url, &component, target.real)?;
    let completion = call(client, Op::Complete, json!({ "checkout_id": checkout_id, "payment_token": token }))?;
    println!(
        "4. completion {}: payment_status {} (payment {}, idempotency key {})",
        completion["id"].as_str().unwrap_or("-"),
        completion["payment_status"].as_str().unwrap_or("?"),
        completion["payment_id"].as_str().unwrap_or("-"),
        completion["idempotency_key"].as_str().unwrap_or("-"),
    );

    let session = call(
        client,
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
    paid(&completion, &checkout)
}

/// A payment method token, as the browser's web component makes one with its token:
/// `POST /v1/payment_methods` with the test card (or `JUSTIFI_PAYMENT_TOKEN` on a real API).
fn justifi_payment_token(base_url: &str, component: &Value, real: bool) -> Result<String, String> {
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

fn recharge(client: &HostClient, target: &Target) -> Result<(), String> {
    let seed: Value = serde_json::from_str(SEED_002_CREATE).map_err(|e| e.to_string())?;
    let checkout = call(client, Op::Create, json!({ "provider_options": seed }))?;
    let token = id(&checkout)?;
    let item = &checkout["provider_data"]["line_items"][0];
    println!(
        "\n1. subscription checkout {token}: {}, every {} {}s",
        summary(&checkout),
        item["order_interval_frequency"],
        item["order_interval_unit"].as_str().unwrap_or("?"),
    );
    let hosted = call(client, Op::RedirectUrl, json!({ "checkout_id": token }))?;
    println!("2. ReCharge hosted checkout: {}", hosted["url"].as_str().unwrap_or(""));

    let mut charge: Value = serde_json::from_str(SEED_002_CHARGE).map_err(|e| e.to_string())?;
    charge["checkout_id"] = token.as_str().into();
    if target.real {
        charge["payment_token"] = std::env::var("RECHARGE_PAYMENT_TOKEN")
            .map_err(|_| "set RECHARGE_PAYMENT_TOKEN to a payment processor token to charge")?
            .into();
    }
    let completion = call(client, Op::Complete, charge)?;
    println!(
        "3. charge: payment_status {} (charge {})",
        completion["payment_status"].as_str().unwrap_or("?"),
        completion["payment_id"].as_str().unwrap_or("-"),
    );
    let read = call(client, Op::Get, json!({ "checkout_id": token }))?;
    println!(
        "4. checkout_get: {}, {}",
        read["status"].as_str().unwrap_or("?"),
        read["payment_status"].as_str().unwrap_or("?")
    );
    paid(&completion, &checkout)
}

fn payfect(client: &HostClient, target: &Target) -> Result<(), String> {
    let seed: Value = serde_json::from_str(SEED_004_CREATE).map_err(|e| e.to_string())?;
    let price = &seed["invoice_items"][0]["price_data"];
    let checkout = call(
        client,
        Op::Create,
        json!({
            "currency": seed["currency"],
            "line_items": [{"name": price["product_data"]["name"], "description": price["product_data"]["description"],
                "image_url": price["product_data"]["images"][0], "unit_amount": 2050, "quantity": 1}],
            "client_reference_id": seed["client_reference_id"], "success_url": seed["success_url"],
            "cancel_url": seed["cancel_url"], "callback_url": seed["callback_url"],
            "provider_options": {"payment_method_data": seed["payment_method_data"]},
        }),
    )?;
    let checkout_id = id(&checkout)?;
    println!(
        "\n1. crypto checkout {checkout_id}: {}, expires {}",
        summary(&checkout),
        checkout["expires_at"].as_str().unwrap_or("?")
    );
    let redirect = call(client, Op::RedirectUrl, json!({ "checkout_id": checkout_id }))?;
    let url = redirect["url"].as_str().unwrap_or("").to_owned();
    println!("2. Payfect payment page: {url}");
    if let Err((_, e)) = client.call(Op::Complete, &json!({"checkout_id": checkout_id, "payment_token": "-"})) {
        println!("3. checkout_complete: {}", e["error"]["message"].as_str().unwrap_or(""));
    }
    if target.real {
        println!("\nPay at the URL above, then read the checkout with checkout_get.");
        return Ok(());
    }
    let agent: ureq::Agent = ureq::Agent::config_builder().max_redirects(0).http_status_as_error(false).build().into();
    let paid_page = agent.post(&url).send_empty().map_err(|e| format!("paying on the sandbox page: {e}"))?;
    println!(
        "4. the shopper pays on the page; it redirects to {}",
        paid_page.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("-")
    );
    let read = call(client, Op::Get, json!({ "checkout_id": checkout_id }))?;
    println!(
        "5. checkout_get: {}, {}",
        read["status"].as_str().unwrap_or("?"),
        read["payment_status"].as_str().unwrap_or("?")
    );
    if read["payment_status"] != "paid" {
        return Err(format!("the checkout is not paid: {read}"));
    }
    println!("\nPaid: {} for checkout {checkout_id}.", summary(&checkout));
    Ok(())
}

fn id(checkout: &Value) -> Result<String, String> {
    checkout["id"].as_str().map(str::to_owned).ok_or_else(|| "checkout without id".into())
}

fn paid(completion: &Value, checkout: &Value) -> Result<(), String> {
    if completion["payment_status"] != "succeeded" {
        return Err(format!("the payment did not succeed: {}", completion["payment_error"]));
    }
    println!("\nPaid: {} for checkout {}.", summary(checkout), checkout["id"].as_str().unwrap_or("?"));
    Ok(())
}

/// `17.99 USD One Chocolate Donut`: the amount in major units (two decimals, as every seed's
/// currency has), the currency and the description.
fn summary(checkout: &Value) -> String {
    let cents = checkout["amount"].as_u64().unwrap_or(0);
    let currency = checkout["currency"].as_str().unwrap_or("").to_uppercase();
    let description = checkout["description"].as_str().unwrap_or("");
    format!("{}.{:02} {currency} {description}", cents / 100, cents % 100).trim_end().to_owned()
}

fn describe(error: &Value) -> String {
    let e = &error["error"];
    format!("{} ({}): {}", e["code"].as_str().unwrap_or("?"), e["status"], e["message"].as_str().unwrap_or(""))
}
