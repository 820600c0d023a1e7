//! Payfect's checkout API (docs/providers.md §Payfect, seed 004): `POST /api/v1/checkouts/` and
//! `GET /api/v1/checkouts/{id}/` (the paths without the trailing slash are 404s), the
//! `Api-Key` check, Django REST framework's error forms, and camelCase checkouts shaped like
//! seed 004's example (with the 2023-08 draft's `priceData`). Each checkout's `url` is this
//! sandbox's hosted page, `/payfect/checkouts/{id}`, where a test can pay.

use crate::state::{new_uuid, reply, App, Inner, PayfectCheckout, Refusal};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/checkouts/", post(create))
        .route("/api/v1/checkouts/{id}/", get(read))
        .route("/api/v1/checkouts", post(no_slash).get(no_slash))
        .route("/api/v1/checkouts/{id}", get(no_slash))
}

/// How long a checkout stays open.
const CHECKOUT_TTL: Duration = Duration::from_secs(24 * 3600);
/// Currencies with their decimal places (Payfect's examples: `usdt`, amounts `"20.00"`).
const CURRENCIES: [(&str, u32); 3] = [("usdt", 2), ("usdc", 2), ("usd", 2)];

fn detail(status: StatusCode, message: &str) -> Refusal {
    Refusal { status, body: json!({ "detail": message }) }
}

fn field_errors(errors: Map<String, Value>) -> Refusal {
    Refusal { status: StatusCode::BAD_REQUEST, body: Value::Object(errors) }
}

async fn no_slash() -> Refusal {
    detail(StatusCode::NOT_FOUND, "Not found.")
}

fn authenticate(app: &App, headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Err(detail(StatusCode::UNAUTHORIZED, "Authentication credentials were not provided."));
    };
    match value.strip_prefix("Api-Key ") {
        Some(key) if app.config.payfect_api_keys.iter().any(|k| k == key) => Ok(()),
        _ => Err(detail(StatusCode::UNAUTHORIZED, "Invalid API key.")),
    }
}

/// Seconds since the epoch with a fraction (`"1690532072.288761"`), and milliseconds.
fn epoch() -> (String, u128) {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    (format!("{}.{:06}", since.as_secs(), since.subsec_micros()), since.as_millis())
}

/// A decimal amount with at most `places` decimal places.
fn amount(v: Option<&Value>, places: u32) -> Option<Decimal> {
    let d = Decimal::from_str(v?.as_str()?).ok()?;
    (!d.is_sign_negative() && d.normalize().scale() <= places).then_some(d)
}

/// One invoice item (`price_data` with `product_data`): the camelCase item, or its errors.
fn invoice_item(item: &Value, currency: &str, places: u32) -> Result<Value, Value> {
    let price_data = &item["price_data"];
    let mut problems = Map::new();
    if !price_data.is_object() {
        problems.insert("price_data".into(), json!(["This field is required."]));
    }
    let quantity = item["quantity"].as_u64().filter(|q| *q > 0);
    if quantity.is_none() {
        problems.insert("quantity".into(), json!(["A valid positive integer is required."]));
    }
    let unit = amount(price_data.get("unit_amount"), places);
    if price_data.is_object() && unit.is_none() {
        problems.insert(
            "unit_amount".into(),
            json!([format!("A valid decimal with at most {places} decimal places is required.")]),
        );
    }
    let name = price_data["product_data"]["name"].as_str().filter(|n| !n.is_empty());
    if price_data.is_object() && name.is_none() {
        problems.insert("product_data".into(), json!({"name": ["This field is required."]}));
    }
    if price_data["currency"].as_str().is_some_and(|c| c != currency) {
        problems.insert("currency".into(), json!(["Must match the checkout's currency."]));
    }
    let (Some(unit), Some(quantity), Some(name), true) = (unit, quantity, name, problems.is_empty()) else {
        return Err(Value::Object(problems));
    };
    let product = &price_data["product_data"];
    let (price_id, product_id) = (new_uuid(), new_uuid());
    Ok(json!({
        "id": new_uuid(), "price": price_id, "quantity": quantity,
        "amount": format!("{:.*}", places as usize, unit * Decimal::from(quantity)),
        "priceData": {
            "id": price_id, "product": product_id, "currency": currency,
            "unitAmount": format!("{:.*}", places as usize, unit),
            "productData": {"id": product_id, "name": name, "description": product.get("description").cloned().unwrap_or(Value::Null),
                "images": product.get("images").cloned().unwrap_or(json!([]))},
        },
    }))
}

/// `POST /api/v1/checkouts/` → `201` with the checkout.
async fn create(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Result<Response, Refusal> {
    authenticate(&app, &headers)?;
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&body) else {
        return Err(detail(StatusCode::BAD_REQUEST, "JSON parse error."));
    };
    let mut problems = Map::new();
    let currency = body.get("currency").and_then(Value::as_str).map(str::to_ascii_lowercase);
    let places = currency.as_deref().and_then(|c| CURRENCIES.iter().find(|(code, _)| *code == c)).map(|(_, p)| *p);
    match (&currency, places) {
        (None, _) => {
            problems.insert("currency".into(), json!(["This field is required."]));
        }
        (Some(c), None) => {
            problems.insert("currency".into(), json!([format!("\"{c}\" is not a valid choice.")]));
        }
        _ => {}
    }
    let items = body.get("invoice_items").and_then(Value::as_array).filter(|i| !i.is_empty());
    if items.is_none() {
        problems.insert("invoice_items".into(), json!(["This field is required."]));
    }
    let (Some(currency), Some(places), Some(items), true) = (currency, places, items, problems.is_empty()) else {
        return Err(field_errors(problems));
    };
    let mut invoice_items = Vec::new();
    let mut item_errors = Vec::new();
    for item in items {
        match invoice_item(item, &currency, places) {
            Ok(i) => {
                invoice_items.push(i);
                item_errors.push(json!({}));
            }
            Err(e) => item_errors.push(e),
        }
    }
    if invoice_items.len() != items.len() {
        let mut errors = Map::new();
        errors.insert("invoice_items".into(), item_errors.into());
        return Err(field_errors(errors));
    }
    let total: Decimal = invoice_items.iter().filter_map(|i| Decimal::from_str(i["amount"].as_str()?).ok()).sum();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let id = new_uuid();
    let (created, millis) = epoch();
    let field = |k: &str| body.get(k).cloned().unwrap_or(Value::Null);
    let checkout = json!({
        "id": id, "merchant": {"id": new_uuid(), "name": "Sandbox Merchant"},
        "nameCollection": false, "emailCollection": false, "phoneNumberCollection": false,
        "shippingAddressCollection": null, "invoiceItems": invoice_items,
        "amountTotal": format!("{:.*}", places as usize, total), "status": "open",
        "createdAt": created, "updatedAt": created, "clientReferenceId": field("client_reference_id"),
        "currency": currency, "successUrl": field("success_url"), "cancelUrl": field("cancel_url"),
        "expiresAt": (millis + CHECKOUT_TTL.as_millis()).to_string(), "paymentIntent": new_uuid(),
        "paymentMethodTypes": ["crypto"],
        "paymentMethodOptions": {"crypto": [{"currency": {"value": "usdt", "name": "Tether"},
            "networks": [{"value": "tron", "name": "Tron (TRC20)"}]}], "card": null},
        "url": format!("http://{host}/payfect/checkouts/{id}"), "metadata": null, "isLivemode": false,
    });
    // Seed 004's answer echoes neither `callback_url` nor `payment_method_data`: the
    // callback URL is kept beside the checkout, not in it.
    let callback_url = body.get("callback_url").and_then(Value::as_str).map(str::to_owned);
    let mut inner = app.lock();
    let stored = PayfectCheckout { json: checkout.clone(), expires: inner.now() + CHECKOUT_TTL, callback_url };
    inner.payfect_checkouts.insert(id, stored);
    Ok(reply(StatusCode::CREATED, checkout))
}

/// The checkout, turned `expired` first if its time has passed unpaid.
pub fn checkout<'a>(inner: &'a mut Inner, id: &str) -> Option<&'a mut PayfectCheckout> {
    let now = inner.now();
    let c = inner.payfect_checkouts.get_mut(id)?;
    if now >= c.expires && c.json["status"] == "open" {
        c.json["status"] = "expired".into();
    }
    Some(c)
}

/// `GET /api/v1/checkouts/{id}/` → `200` with the checkout.
async fn read(State(app): State<Arc<App>>, headers: HeaderMap, Path(id): Path<String>) -> Result<Response, Refusal> {
    authenticate(&app, &headers)?;
    let mut inner = app.lock();
    let c = checkout(&mut inner, &id).ok_or_else(|| detail(StatusCode::NOT_FOUND, "Not found."))?;
    Ok(reply(StatusCode::OK, c.json.clone()))
}

/// Marks an open checkout paid (the hosted page's payment), or says why not.
pub fn pay(inner: &mut Inner, id: &str) -> Result<(), &'static str> {
    let c = checkout(inner, id).ok_or("Checkout not found")?;
    match c.json["status"].as_str() {
        Some("open") => {}
        Some("complete") => return Err("This checkout is already paid"),
        _ => return Err("This checkout has expired"),
    }
    c.json["status"] = "complete".into();
    c.json["updatedAt"] = epoch().0.into();
    let callback = json!({
        "id": id, "amount": c.json["amountTotal"], "status": "succeeded", "currency": c.json["currency"],
        "merchant": c.json["merchant"]["id"], "is_livemode": false, "payment_intent": c.json["paymentIntent"],
        "payment_method": {"id": new_uuid(), "payment_method_detail": {"network": "tron", "currency": c.json["currency"]}},
        "client_reference_id": c.json["clientReferenceId"],
    });
    let callback_url = c.callback_url.clone();
    let places = CURRENCIES.iter().find(|(code, _)| c.json["currency"] == *code).map_or(2, |(_, p)| *p);
    let minor = Decimal::from_str(c.json["amountTotal"].as_str().unwrap_or("0")).unwrap_or_default()
        * Decimal::from(10u64.pow(places));
    inner.record_payment(minor.trunc().to_string().parse().unwrap_or(0), id, "crypto");
    inner.emit("payfect", "checkout.completed", callback, callback_url);
    Ok(())
}
