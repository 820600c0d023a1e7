//! Payfect's wire types and their conversion to the unified results.
//!
//! Sources: `providers/payfect/create.md` (seed 004: the request, snake_case; the checkout,
//! camelCase), `query.md`, `create.v2023-08-draft.md` (ISO 8601 `expiresAt`), `errors.md`.

use crate::error::Error;
use crate::money;
use crate::request::CreateCheckout;
use crate::response::{Checkout, CheckoutPaymentStatus, CheckoutStatus};
use crate::timestamp;
use crate::webhook::WebhookEvent;
use serde_json::{json, Map, Value};

pub const PROVIDER: &str = "payfect";

/// An integration fault: Payfect answered 2xx with something that cannot be read
/// ([`crate::providers::undecodable`]).
pub fn undecodable(what: &str, problem: impl std::fmt::Display) -> Error {
    crate::providers::undecodable("Payfect", what, problem)
}

/// Payfect's error bodies are undocumented [I]; Django REST framework's forms are read:
/// `{"detail": "..."}` and `{"field": ["msg"]}` → `field: msg; ...`.
pub fn error_message(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    if let Some(detail) = v["detail"].as_str() {
        return Some(detail.to_owned());
    }
    let parts: Vec<String> = v
        .as_object()?
        .iter()
        .filter_map(|(field, msgs)| {
            let text = match msgs {
                Value::String(s) => s.clone(),
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
                _ => return None,
            };
            Some(format!("{field}: {text}"))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The body of `POST /api/v1/checkouts/`: `currency`, `invoice_items` with `price_data`
/// (`unit_amount` an exact decimal string in the currency's places) and `product_data`
/// (`name`, `description`, `images`), the URLs and `client_reference_id`; `provider_options`
/// (e.g. `payment_method_data`) merged as is. An `amount` without line items is one item
/// named by `description`.
pub fn create_body(req: &CreateCheckout, currency: &str) -> Result<Value, Error> {
    let price =
        |minor: u64| money::to_decimal(minor, currency).map_err(|e| Error::invalid_request(format!("currency: {e}")));
    let mut items = Vec::new();
    for item in &req.line_items {
        let mut product = json!({ "name": item.name });
        if let Some(d) = &item.description {
            product["description"] = d.as_str().into();
        }
        if let Some(image) = &item.image_url {
            product["images"] = json!([image]);
        }
        items.push(json!({
            "price_data": {"currency": currency, "unit_amount": price(item.unit_amount)?, "product_data": product},
            "quantity": item.quantity,
        }));
    }
    if items.is_empty() {
        let amount = req.amount.ok_or_else(|| Error::invalid_request("amount: is required (or give line_items)"))?;
        let name = req.description.as_deref().ok_or_else(|| {
            Error::invalid_request("description: is required by Payfect without line_items (it names the invoice item)")
        })?;
        items.push(json!({
            "price_data": {"currency": currency, "unit_amount": price(amount)?, "product_data": {"name": name}},
            "quantity": 1,
        }));
    }
    let mut body = Map::new();
    body.insert("currency".into(), currency.into());
    body.insert("invoice_items".into(), items.into());
    for (key, value) in [
        ("client_reference_id", &req.client_reference_id),
        ("success_url", &req.success_url),
        ("cancel_url", &req.cancel_url),
        ("callback_url", &req.callback_url),
    ] {
        if let Some(v) = value {
            body.insert(key.into(), v.as_str().into());
        }
    }
    body.extend(req.provider_options.clone().unwrap_or_default());
    Ok(Value::Object(body))
}

fn str_field(obj: &Value, key: &str) -> Option<String> {
    obj.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A Payfect checkout (camelCase) → the unified checkout: `status` as is, `paid` once
/// `complete`; `amount` from `amountTotal`; `redirect_url` the checkout's `url`; `createdAt`
/// (Unix seconds with a fraction) and `expiresAt` (Unix milliseconds, or ISO 8601 in the
/// 2023-08 draft) as RFC 3339.
pub fn checkout(data: Value) -> Result<Checkout, Error> {
    let id = str_field(&data, "id").ok_or_else(|| undecodable("checkout", "no id"))?;
    let status = match data["status"].as_str() {
        Some("open") => CheckoutStatus::Open,
        Some("complete") => CheckoutStatus::Complete,
        Some("expired") => CheckoutStatus::Expired,
        other => return Err(undecodable("checkout", format!("unknown status {other:?}"))),
    };
    let currency =
        data["currency"].as_str().ok_or_else(|| undecodable("checkout", "no currency"))?.to_ascii_lowercase();
    let total = data["amountTotal"].as_str().ok_or_else(|| undecodable("checkout", "no amountTotal"))?;
    let amount = money::to_minor(total, &currency).map_err(|e| undecodable("checkout amountTotal", e))?;
    let names: Vec<&str> = data["invoiceItems"]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["priceData"]["productData"]["name"].as_str()).collect())
        .unwrap_or_default();
    let time = |key: &str| str_field(&data, key).as_deref().and_then(timestamp::any_utc);
    Ok(Checkout {
        provider: PROVIDER,
        id,
        status,
        payment_status: if status == CheckoutStatus::Complete {
            CheckoutPaymentStatus::Paid
        } else {
            CheckoutPaymentStatus::Unpaid
        },
        amount,
        currency,
        description: (!names.is_empty()).then(|| names.join(", ")),
        redirect_url: str_field(&data, "url"),
        created_at: time("createdAt"),
        expires_at: time("expiresAt"),
        client_reference_id: str_field(&data, "clientReferenceId"),
        metadata: data["metadata"].as_object().cloned().unwrap_or_default(),
        idempotency_key: None,
        provider_data: data.into(),
    })
}

/// A checkout-success callback (`callback.md`: `{id, amount, status: "succeeded", ...}`) →
/// `checkout.completed`, `object_id` and `checkout_id` the checkout's id.
pub fn callback_event(body: Value) -> WebhookEvent {
    WebhookEvent {
        provider: PROVIDER,
        event_id: None,
        kind: "checkout.completed".to_owned(),
        object_id: str_field(&body, "id"),
        checkout_id: str_field(&body, "id"),
        payment_status: str_field(&body, "status"),
        data: body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::LineItem;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn seed_004_response_decodes_field_by_field() {
        let c = checkout(fixture("seed_004_checkout.json")).unwrap();
        assert_eq!(c.provider, "payfect");
        assert_eq!(c.id, "ed8d24aa-a860-426b-8e56-87cb9f55a081");
        assert_eq!((c.status, c.payment_status), (CheckoutStatus::Open, CheckoutPaymentStatus::Unpaid));
        assert_eq!((c.amount, c.currency.as_str()), (2000, "usdt"));
        assert_eq!(c.description, None, "the example's items carry no priceData");
        assert_eq!(
            c.redirect_url.as_deref(),
            Some("https://buy-dev.payfect.finance/checkouts/ed8d24aa-a860-426b-8e56-87cb9f55a081")
        );
        assert_eq!(c.created_at.as_deref(), Some("2023-07-28T08:14:32.288761Z"));
        assert_eq!(c.expires_at.as_deref(), Some("2023-12-30T12:26:06Z"));
        assert_eq!(c.client_reference_id, None);
        assert!(c.metadata.is_empty());
        assert_eq!(c.provider_data.to_value()["paymentIntent"], "b7c30e83-5439-47b2-ac4d-81c64c1d0174");
    }

    #[test]
    fn the_draft_response_with_iso_expiry_decodes() {
        let mut v = fixture("seed_004_checkout.json");
        v["expiresAt"] = "2023-07-29T08:14:32.288761Z".into();
        v["invoiceItems"][0]["priceData"] = json!({"productData": {"name": "Standard Plan"}});
        let c = checkout(v).unwrap();
        assert_eq!(c.expires_at.as_deref(), Some("2023-07-29T08:14:32.288761Z"));
        assert_eq!(c.description.as_deref(), Some("Standard Plan"));
    }

    #[test]
    fn seed_004_request_is_built_from_the_unified_request() {
        let seed = fixture("seed_004_create.json");
        let req = CreateCheckout {
            currency: Some("usdt".into()),
            line_items: vec![LineItem {
                name: "Standard Plan".into(),
                description: Some("A standard plan".into()),
                unit_amount: 2050,
                quantity: 1,
                product_id: None,
                variant_id: None,
                image_url: Some("https://google.com.tw/images/123".into()),
                subscription: None,
            }],
            client_reference_id: Some("5ae50223-e455-4a72-a48d-fe7d85800e64".into()),
            success_url: Some("https://example.com/success".into()),
            cancel_url: Some("https://example.com/cancel".into()),
            callback_url: Some("https://example.com/callback".into()),
            provider_options: seed["payment_method_data"].as_object().map(|p| {
                let mut m = Map::new();
                m.insert("payment_method_data".into(), Value::Object(p.clone()));
                m
            }),
            ..Default::default()
        };
        let mut body = create_body(&req, "usdt").unwrap();
        let ours = body["invoice_items"][0]["price_data"]["unit_amount"].take();
        let mut expected = seed.clone();
        let theirs = expected["invoice_items"][0]["price_data"]["unit_amount"].take();
        assert_eq!(body, expected, "every field but unit_amount's spelling");
        let minor = |v: &Value| money::to_minor(v.as_str().unwrap(), "usdt").unwrap();
        assert_eq!((ours.as_str(), minor(&ours)), (Some("20.50"), minor(&theirs)), "\"20.50\" is the seed's \"20.5\"");
    }

    #[test]
    fn drf_error_forms() {
        assert_eq!(error_message(br#"{"detail": "Invalid API key."}"#).as_deref(), Some("Invalid API key."));
        assert_eq!(
            error_message(br#"{"currency": ["This field is required."]}"#).as_deref(),
            Some("currency: This field is required.")
        );
        assert_eq!(error_message(b"<html>"), None);
    }
}
