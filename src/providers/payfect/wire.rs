//! Payfect's wire types and their conversion to the unified results.
//!
//! Sources: Payfect docs *Create a checkout* (seed 004: the request, snake_case; the checkout,
//! camelCase), `query.md`, `create.v2023-08-draft.md` (ISO 8601 `expiresAt`), `errors.md`.

use crate::error::Error;
use crate::money;
use crate::providers::decode::{field_messages, NumberOrText};
use crate::providers::exchange::{with_options, Fault};
use crate::request::CreateCheckout;
use crate::response::{Checkout, CheckoutPaymentStatus, CheckoutStatus, ProviderData};
use crate::timestamp;
use crate::webhook::{EventType, WebhookEvent};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const PROVIDER: &str = "payfect";

/// Payfect's error bodies are undocumented (`[I]` in docs/providers.md); Django REST framework's forms are read:
/// `{"detail": "..."}`, else the field messages (`{"field": ["msg"]}` → `field: msg; ...`).
pub fn error_message(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v["detail"].as_str().map(str::to_owned).or_else(|| field_messages(&v))
}

/// `price_data.product_data` of an invoice item (`create.md`).
#[derive(Serialize)]
struct ProductData<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    images: Vec<&'a str>,
}

/// `price_data` of an invoice item: `unit_amount` an exact decimal string.
#[derive(Serialize)]
struct PriceData<'a> {
    currency: &'a str,
    unit_amount: String,
    product_data: ProductData<'a>,
}

/// An `invoice_items` entry (`create.md`).
#[derive(Serialize)]
struct InvoiceItem<'a> {
    price_data: PriceData<'a>,
    quantity: u64,
}

/// The body of `POST /api/v1/checkouts/` (`create.md`, seed 004).
#[derive(Serialize)]
struct CreateBody<'a> {
    currency: &'a str,
    invoice_items: Vec<InvoiceItem<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_reference_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    success_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cancel_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    callback_url: Option<&'a str>,
}

/// The body of `POST /api/v1/checkouts/`: `currency`, `invoice_items` with `price_data`
/// (`unit_amount` an exact decimal string in the currency's places) and `product_data`
/// (`name`, `description`, `images`), the URLs and `client_reference_id`; `provider_options`
/// (e.g. `payment_method_data`) merged as is. An `amount` without line items is one item
/// named by `description`.
pub fn create_body(req: &CreateCheckout, currency: &str) -> Result<String, Error> {
    let price =
        |minor: u64| money::to_decimal(minor, currency).map_err(|e| Error::invalid_request(format!("currency: {e}")));
    let mut invoice_items = Vec::new();
    for item in &req.line_items {
        invoice_items.push(InvoiceItem {
            price_data: PriceData {
                currency,
                unit_amount: price(item.unit_amount)?,
                product_data: ProductData {
                    name: &item.name,
                    description: item.description.as_deref(),
                    images: item.image_url.as_deref().into_iter().collect(),
                },
            },
            quantity: item.quantity,
        });
    }
    if invoice_items.is_empty() {
        let amount = req.amount.ok_or_else(|| Error::invalid_request("amount: is required (or give line_items)"))?;
        let name = req.description.as_deref().ok_or_else(|| {
            Error::invalid_request("description: is required by Payfect without line_items (it names the invoice item)")
        })?;
        invoice_items.push(InvoiceItem {
            price_data: PriceData {
                currency,
                unit_amount: price(amount)?,
                product_data: ProductData { name, description: None, images: Vec::new() },
            },
            quantity: 1,
        });
    }
    let body = CreateBody {
        currency,
        invoice_items,
        client_reference_id: req.client_reference_id.as_deref(),
        success_url: req.success_url.as_deref(),
        cancel_url: req.cancel_url.as_deref(),
        callback_url: req.callback_url.as_deref(),
    };
    Ok(with_options(&body, req.provider_options.clone()))
}

/// A Payfect checkout (`create.md`'s and `query.md`'s answer, camelCase), the fields read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutObject {
    pub id: String,
    /// `open | complete | expired`.
    pub status: String,
    pub currency: String,
    pub amount_total: String,
    #[serde(default)]
    pub invoice_items: Vec<InvoiceItemObject>,
    pub url: Option<String>,
    /// Unix seconds with a fraction, as text (`"1690532072.288761"`).
    pub created_at: Option<NumberOrText>,
    /// Unix milliseconds, or ISO 8601 in the 2023-08 draft.
    pub expires_at: Option<NumberOrText>,
    pub client_reference_id: Option<String>,
    pub metadata: Option<Map<String, Value>>,
}

/// An invoice item as answered: its product's name, when the answer carries `priceData`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceItemObject {
    pub price_data: Option<PriceDataObject>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceDataObject {
    pub product_data: Option<ProductDataObject>,
}

#[derive(Deserialize)]
pub struct ProductDataObject {
    pub name: Option<String>,
}

/// A Payfect checkout → the unified checkout: `status` as is (an unknown one is refused by
/// name), `paid` once `complete`; `amount` from `amountTotal`; `redirect_url` the checkout's
/// `url`; `createdAt` and `expiresAt` as RFC 3339.
pub fn checkout(c: CheckoutObject, provider_data: ProviderData) -> Result<Checkout, Fault> {
    let status = match c.status.as_str() {
        "open" => CheckoutStatus::Open,
        "complete" => CheckoutStatus::Complete,
        "expired" => CheckoutStatus::Expired,
        other => return Err(Fault::new("checkout", format!("unknown status {other:?}"))),
    };
    let currency = c.currency.to_ascii_lowercase();
    let amount = money::to_minor(&c.amount_total, &currency).map_err(|e| Fault::new("checkout amountTotal", e))?;
    let names: Vec<String> = c.invoice_items.into_iter().filter_map(|i| i.price_data?.product_data?.name).collect();
    Ok(Checkout {
        provider: PROVIDER,
        id: c.id,
        status,
        payment_status: if status == CheckoutStatus::Complete {
            CheckoutPaymentStatus::Paid
        } else {
            CheckoutPaymentStatus::Unpaid
        },
        amount,
        currency,
        description: (!names.is_empty()).then(|| names.join(", ")),
        redirect_url: c.url,
        created_at: c.created_at.as_ref().and_then(|t| timestamp::any_utc(&t.text())),
        expires_at: c.expires_at.as_ref().and_then(|t| timestamp::any_utc(&t.text())),
        client_reference_id: c.client_reference_id,
        metadata: c.metadata.unwrap_or_default(),
        idempotency_key: None,
        provider_data,
    })
}

/// The callback's body (`callback.md`), the fields read.
#[derive(Deserialize)]
struct CallbackObject {
    id: Option<String>,
    status: Option<String>,
}

/// A checkout-success callback (`callback.md`: `{id, amount, status: "succeeded", ...}`) →
/// the normalized event, `object_id` and `checkout_id` the checkout's id. Payfect publishes
/// one callback, "Callback for Checkout Success", and names no events: `provider_type` is null,
/// and the unified `type` (docs/contract.md §7, "Event types") is `checkout.completed` for the
/// published `status: "succeeded"`. `succeeded` is the only status `callback.md` publishes: any
/// other value is `other` rather than an unknown word passed through as a payment.
pub fn callback_event(body: Value) -> WebhookEvent {
    let callback = CallbackObject::deserialize(&body).unwrap_or(CallbackObject { id: None, status: None });
    let kind =
        if callback.status.as_deref() == Some("succeeded") { EventType::CheckoutCompleted } else { EventType::Other };
    WebhookEvent {
        provider: PROVIDER,
        event_id: None,
        kind,
        provider_type: None,
        object_id: callback.id.clone(),
        checkout_id: callback.id,
        payment_status: kind.payment_status(),
        unsigned_topic: None,
        refund: None,
        data: body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::decode::{object, Envelope};
    use crate::request::LineItem;
    use serde_json::json;

    /// A checkout answer decoded the real way.
    fn checkout_of(v: Value) -> Result<Checkout, Fault> {
        let (typed, raw) = object(v.to_string().as_bytes(), Envelope::Bare, "checkout")?;
        checkout(typed, raw)
    }

    #[test]
    fn only_the_published_callback_status_reads_as_a_payment_status() {
        let paid = callback_event(json!({"id": "ed8d24aa", "amount": "20.00", "status": "succeeded"}));
        assert_eq!(
            (paid.payment_status.as_deref(), paid.checkout_id.as_deref()),
            (Some("succeeded"), Some("ed8d24aa"))
        );
        assert_eq!(paid.kind, EventType::CheckoutCompleted);
        let unknown = callback_event(json!({"id": "ed8d24aa", "status": "expired"}));
        assert_eq!((unknown.kind, unknown.payment_status), (EventType::Other, None));
    }

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn seed_004_response_decodes_field_by_field() {
        let c = checkout_of(fixture("seed_004_checkout.json")).unwrap();
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
        let c = checkout_of(v).unwrap();
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
        let mut body: Value = serde_json::from_str(&create_body(&req, "usdt").unwrap()).unwrap();
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
