//! The unified operation requests (docs/contract.md §7), parsed and validated before anything is
//! sent. Provider-specific rules (limits, fields a provider cannot honour) are checked by the
//! provider; everything here holds for every provider.

use crate::error::{Error, Result};
use crate::fields::Fields;
use crate::money;
use serde_json::{Map, Value};
use url::Url;

/// `checkout_create`'s request.
#[derive(Debug, Default)]
pub struct CreateCheckout {
    /// The total in the currency's minor units; required unless `line_items` give it.
    pub amount: Option<u64>,
    /// Lowercase ISO 4217 code with minor units, or a crypto code of [`money`]'s table (`usdt`).
    pub currency: Option<String>,
    pub description: Option<String>,
    pub line_items: Vec<LineItem>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub callback_url: Option<String>,
    pub origin_url: Option<String>,
    pub client_reference_id: Option<String>,
    pub email: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    /// Merged into the provider's request body as is.
    pub provider_options: Option<Map<String, Value>>,
    /// The key to create under, where the provider takes one (an error's key, to call again
    /// with).
    pub idempotency_key: Option<String>,
}

/// One line of a checkout; amounts in minor units.
#[derive(Debug, Clone, PartialEq)]
pub struct LineItem {
    pub name: String,
    pub description: Option<String>,
    pub unit_amount: u64,
    pub quantity: u64,
    pub product_id: Option<String>,
    pub variant_id: Option<String>,
    pub image_url: Option<String>,
    pub subscription: Option<Subscription>,
}

/// A recurring line item: every `interval_frequency` `interval_unit`s.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// `day`, `week` or `month`.
    pub interval_unit: String,
    pub interval_frequency: u64,
    pub charge_interval_frequency: Option<u64>,
}

/// The names whose flag is set, in order: the optional fields a request gives.
fn given_names(fields: impl IntoIterator<Item = (bool, &'static str)>) -> Vec<&'static str> {
    fields.into_iter().filter(|(given, _)| *given).map(|(_, name)| name).collect()
}

impl CreateCheckout {
    pub fn parse(mut f: Fields) -> Result<CreateCheckout> {
        let mut line_items = Vec::new();
        for (i, item) in f.array("line_items")?.unwrap_or_default().into_iter().enumerate() {
            line_items.push(LineItem::parse(f.nested(&format!("line_items[{i}]"), item)?)?);
        }
        let req = CreateCheckout {
            amount: f.minor_units("amount")?,
            currency: currency(&mut f, "currency")?,
            description: f.string("description")?,
            line_items,
            success_url: web_url(&mut f, "success_url")?,
            cancel_url: web_url(&mut f, "cancel_url")?,
            callback_url: web_url(&mut f, "callback_url")?,
            origin_url: web_url(&mut f, "origin_url")?,
            client_reference_id: f.string("client_reference_id")?,
            email: f.string("email")?,
            metadata: f.object("metadata")?,
            provider_options: f.object("provider_options")?,
            idempotency_key: idempotency_key(&mut f)?,
        };
        f.finish()?;
        Ok(req)
    }

    /// The checkout's total in minor units: `amount`, or the sum of the line items. When
    /// both are given they must agree.
    pub fn total(&self) -> Result<u64> {
        let mut sum: Option<u64> = None;
        for (i, item) in self.line_items.iter().enumerate() {
            let line = item.unit_amount.checked_mul(item.quantity);
            sum = line.and_then(|l| l.checked_add(sum.unwrap_or(0)));
            if sum.is_none() {
                return Err(Error::invalid_request(format!("line_items[{i}]: the total is too large")));
            }
        }
        match (self.amount, sum) {
            (Some(a), Some(s)) if a != s => Err(Error::invalid_request(format!(
                "amount: {a} differs from the line items' total of {s} minor units"
            ))),
            (Some(a), _) => Ok(a),
            (None, Some(s)) => Ok(s),
            (None, None) => Err(Error::invalid_request("amount: is required (or give line_items)")),
        }
    }
}

impl CreateCheckout {
    /// The optional fields this request gives, named as the contract names them
    /// (`line_items[].subscription` for any item's): what a provider's allow-list
    /// ([`Honours`]) is checked against; a field it does not honour is refused.
    ///
    /// [`Honours`]: crate::providers::honours::Honours
    pub fn given(&self) -> Vec<&'static str> {
        let top = [
            (self.amount.is_some(), "amount"),
            (self.currency.is_some(), "currency"),
            (self.description.is_some(), "description"),
            (!self.line_items.is_empty(), "line_items"),
            (self.success_url.is_some(), "success_url"),
            (self.cancel_url.is_some(), "cancel_url"),
            (self.callback_url.is_some(), "callback_url"),
            (self.origin_url.is_some(), "origin_url"),
            (self.client_reference_id.is_some(), "client_reference_id"),
            (self.email.is_some(), "email"),
            (self.metadata.is_some(), "metadata"),
            (self.provider_options.is_some(), "provider_options"),
            (self.idempotency_key.is_some(), "idempotency_key"),
        ];
        let items = self.line_items.iter().flat_map(|i| {
            [
                (i.description.is_some(), "line_items[].description"),
                (i.product_id.is_some(), "line_items[].product_id"),
                (i.variant_id.is_some(), "line_items[].variant_id"),
                (i.image_url.is_some(), "line_items[].image_url"),
                (i.subscription.is_some(), "line_items[].subscription"),
            ]
        });
        given_names(top.into_iter().chain(items))
    }
}

impl LineItem {
    fn parse(mut f: Fields) -> Result<LineItem> {
        let subscription = match f.object("subscription")? {
            Some(map) => Some(Subscription::parse(f.nested("subscription", Value::Object(map))?)?),
            None => None,
        };
        let item = LineItem {
            name: f.required_string("name")?,
            description: f.string("description")?,
            unit_amount: f.minor_units("unit_amount")?.ok_or_else(|| f.error("unit_amount", "is required"))?,
            quantity: f.positive_integer("quantity")?.ok_or_else(|| f.error("quantity", "is required"))?,
            product_id: f.string_or_integer("product_id")?,
            variant_id: f.string_or_integer("variant_id")?,
            image_url: web_url(&mut f, "image_url")?,
            subscription,
        };
        f.finish()?;
        Ok(item)
    }
}

impl Subscription {
    fn parse(mut f: Fields) -> Result<Subscription> {
        let interval_unit = f.required_string("interval_unit")?;
        if !matches!(interval_unit.as_str(), "day" | "week" | "month") {
            return Err(f.error("interval_unit", "must be day, week or month"));
        }
        let s = Subscription {
            interval_unit,
            interval_frequency: f
                .positive_integer("interval_frequency")?
                .ok_or_else(|| f.error("interval_frequency", "is required"))?,
            charge_interval_frequency: f.positive_integer("charge_interval_frequency")?,
        };
        f.finish()?;
        Ok(s)
    }
}

/// `checkout_get`'s request: a checkout, or (JustiFi's hosted-session flow) a payment intent.
#[derive(Debug, PartialEq)]
pub enum CheckoutLookup {
    Checkout(String),
    PaymentIntent(String),
}

impl CheckoutLookup {
    /// The optional fields this lookup gives (see [`CreateCheckout::given`]).
    pub fn given(&self) -> Vec<&'static str> {
        match self {
            CheckoutLookup::Checkout(_) => Vec::new(),
            CheckoutLookup::PaymentIntent(_) => vec!["payment_intent_id"],
        }
    }

    /// The checkout id, for providers whose checkouts are only read by it (the client has
    /// refused a payment intent id for them already; this holds for direct callers too).
    pub fn checkout_id(self) -> Result<String> {
        match self {
            CheckoutLookup::Checkout(id) => Ok(id),
            CheckoutLookup::PaymentIntent(_) => {
                Err(Error::invalid_request("payment_intent_id: this provider's checkouts are read by checkout_id"))
            }
        }
    }

    /// The id looked up.
    pub fn id(&self) -> &str {
        match self {
            CheckoutLookup::Checkout(id) | CheckoutLookup::PaymentIntent(id) => id,
        }
    }

    pub fn parse(mut f: Fields) -> Result<CheckoutLookup> {
        let checkout_id = f.id("checkout_id")?;
        let payment_intent_id = f.id("payment_intent_id")?;
        f.finish()?;
        match (checkout_id, payment_intent_id) {
            (Some(c), None) => Ok(CheckoutLookup::Checkout(c)),
            (None, Some(p)) => Ok(CheckoutLookup::PaymentIntent(p)),
            (Some(_), Some(_)) => {
                Err(Error::invalid_request("checkout_id: give either checkout_id or payment_intent_id, not both"))
            }
            (None, None) => Err(Error::invalid_request("checkout_id: is required")),
        }
    }
}

/// `checkout_complete`'s request.
#[derive(Debug, Default)]
pub struct Complete {
    pub checkout_id: String,
    /// The payment method token (`pm_...` at JustiFi).
    pub payment_token: String,
    /// JustiFi: `ecom` (default), `bnpl`, `card_present`.
    pub payment_mode: Option<String>,
    /// ReCharge: `stripe` by default.
    pub payment_processor: Option<String>,
    /// ReCharge: `CREDIT_CARD` by default.
    pub payment_type: Option<String>,
    /// Reused by every retry; generated (a UUID v4) when absent.
    pub idempotency_key: Option<String>,
}

impl Complete {
    /// The optional fields this request gives (see [`CreateCheckout::given`]).
    pub fn given(&self) -> Vec<&'static str> {
        given_names([
            (self.payment_mode.is_some(), "payment_mode"),
            (self.payment_processor.is_some(), "payment_processor"),
            (self.payment_type.is_some(), "payment_type"),
            (self.idempotency_key.is_some(), "idempotency_key"),
        ])
    }

    pub fn parse(mut f: Fields) -> Result<Complete> {
        let req = Complete {
            checkout_id: f.required_id("checkout_id")?,
            payment_token: f.required_id("payment_token")?,
            payment_mode: f.string("payment_mode")?,
            payment_processor: f.string("payment_processor")?,
            payment_type: f.string("payment_type")?,
            idempotency_key: idempotency_key(&mut f)?,
        };
        f.finish()?;
        Ok(req)
    }
}

/// `session_redirect_url`'s request.
#[derive(Debug, Default)]
pub struct Redirect {
    pub checkout_id: Option<String>,
    pub payment_intent_id: Option<String>,
    /// Minor units, for a payment intent made on the fly.
    pub amount: Option<u64>,
    pub currency: Option<String>,
    pub description: Option<String>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    /// The key of the payment intent a checkout session creates: a call that failed after
    /// minting one (its error carries it) is made again with it, never creating a second.
    pub idempotency_key: Option<String>,
}

impl Redirect {
    pub fn parse(mut f: Fields) -> Result<Redirect> {
        let req = Redirect {
            checkout_id: f.id("checkout_id")?,
            payment_intent_id: f.id("payment_intent_id")?,
            amount: f.minor_units("amount")?,
            currency: currency(&mut f, "currency")?,
            description: f.string("description")?,
            success_url: web_url(&mut f, "success_url")?,
            cancel_url: web_url(&mut f, "cancel_url")?,
            idempotency_key: idempotency_key(&mut f)?,
        };
        f.finish()?;
        Ok(req)
    }
}

impl Redirect {
    /// The optional fields this request gives (see [`CreateCheckout::given`]); `checkout_id`
    /// too, as a provider may take either it or the fields of a session made from scratch.
    pub fn given(&self) -> Vec<&'static str> {
        given_names([
            (self.checkout_id.is_some(), "checkout_id"),
            (self.payment_intent_id.is_some(), "payment_intent_id"),
            (self.amount.is_some(), "amount"),
            (self.currency.is_some(), "currency"),
            (self.description.is_some(), "description"),
            (self.success_url.is_some(), "success_url"),
            (self.cancel_url.is_some(), "cancel_url"),
            (self.idempotency_key.is_some(), "idempotency_key"),
        ])
    }

    /// The `checkout_id`, required by a provider whose hosted page is the checkout's own.
    pub fn required_checkout_id(&self) -> Result<&str> {
        self.checkout_id.as_deref().ok_or_else(|| Error::invalid_request("checkout_id: is required"))
    }
}

/// `checkout_web_component_token`'s request.
#[derive(Debug)]
pub struct WebComponentTokenRequest {
    pub checkout_id: String,
    pub idempotency_key: Option<String>,
}

impl WebComponentTokenRequest {
    pub fn parse(mut f: Fields) -> Result<WebComponentTokenRequest> {
        let req = WebComponentTokenRequest {
            checkout_id: f.required_id("checkout_id")?,
            idempotency_key: idempotency_key(&mut f)?,
        };
        f.finish()?;
        Ok(req)
    }
}

/// `checkout_refund`'s request: `{"checkout_id", "amount"?, "reason"?, "metadata"?,
/// "idempotency_key"?}`. Without `amount`, what is still refundable (the library reads it).
#[derive(Debug, Default)]
pub struct RefundRequest {
    pub checkout_id: String,
    /// Minor units.
    pub amount: Option<u64>,
    pub reason: Option<String>,
    pub metadata: Option<Map<String, Value>>,
    /// Reused by every retry; generated (a UUID v4) when absent, where the provider has keys.
    pub idempotency_key: Option<String>,
}

impl RefundRequest {
    pub fn parse(mut f: Fields) -> Result<RefundRequest> {
        let req = RefundRequest {
            checkout_id: f.required_id("checkout_id")?,
            amount: f.minor_units("amount")?,
            reason: f.string("reason")?,
            metadata: f.object("metadata")?,
            idempotency_key: idempotency_key(&mut f)?,
        };
        f.finish()?;
        Ok(req)
    }

    /// The optional fields this request gives (see [`CreateCheckout::given`]).
    pub fn given(&self) -> Vec<&'static str> {
        given_names([
            (self.amount.is_some(), "amount"),
            (self.reason.is_some(), "reason"),
            (self.metadata.is_some(), "metadata"),
            (self.idempotency_key.is_some(), "idempotency_key"),
        ])
    }
}

/// `checkout_refunds`' and `checkout_void`'s request: `{"checkout_id", "idempotency_key"?}`
/// (the key for a void only).
#[derive(Debug, Default)]
pub struct PaymentOf {
    pub checkout_id: String,
    pub idempotency_key: Option<String>,
}

impl PaymentOf {
    pub fn parse(mut f: Fields) -> Result<PaymentOf> {
        let req = PaymentOf { checkout_id: f.required_id("checkout_id")?, idempotency_key: idempotency_key(&mut f)? };
        f.finish()?;
        Ok(req)
    }

    /// The optional fields this request gives (see [`CreateCheckout::given`]).
    pub fn given(&self) -> Vec<&'static str> {
        given_names([(self.idempotency_key.is_some(), "idempotency_key")])
    }
}

/// A currency code, returned in lowercase: an ISO 4217 currency with minor units, or a crypto
/// code of [`money`]'s table (`usdt`, `usdc`, Payfect's): checked here, before any token is
/// fetched or request sent, so that a word such as `dollars` never reaches a provider.
fn currency(f: &mut Fields, name: &str) -> Result<Option<String>> {
    match f.string(name)? {
        Some(c) if (3..=10).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
            money::exponent(&c).map_err(|problem| f.error(name, &problem))?;
            Ok(Some(c.to_ascii_lowercase()))
        }
        Some(_) => Err(f.error(name, "must be an ISO 4217 code such as usd, or a crypto code such as usdt")),
        None => Ok(None),
    }
}

/// An absolute http(s) URL, such as a storefront's success page.
fn web_url(f: &mut Fields, name: &str) -> Result<Option<String>> {
    match f.string(name)? {
        Some(s) => match Url::parse(&s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(Some(s)),
            _ => Err(f.error(name, "must be an absolute http(s) URL")),
        },
        None => Ok(None),
    }
}

/// An idempotency key: printable ASCII (it travels in a header), 1 to 255 characters.
fn idempotency_key(f: &mut Fields) -> Result<Option<String>> {
    match f.string("idempotency_key")? {
        Some(k) if k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()) => Ok(Some(k)),
        Some(_) => Err(f.error("idempotency_key", "must be 1 to 255 printable ASCII characters without spaces")),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;
    use serde_json::json;

    fn fields(v: Value) -> Fields {
        Fields::new(v.as_object().unwrap().clone(), Status::InvalidRequest)
    }

    #[test]
    fn create_reads_the_seed_request() {
        let req = CreateCheckout::parse(fields(json!({
            "amount": 1799, "description": "One Chocolate Donut", "origin_url": "http://localhost:3000",
            "currency": "USD", "provider_options": {"payment_method_group_id": "pmg_1"}
        })))
        .unwrap();
        assert_eq!(req.total().unwrap(), 1799);
        assert_eq!(req.currency.as_deref(), Some("usd"));
        assert_eq!(req.origin_url.as_deref(), Some("http://localhost:3000"));
        assert_eq!(req.provider_options.unwrap()["payment_method_group_id"], "pmg_1");
    }

    #[test]
    fn line_items_give_the_total_and_must_agree_with_amount() {
        let items = json!([
            {"name": "Donut", "unit_amount": 250, "quantity": 3},
            {"name": "Coffee box", "unit_amount": 1000, "quantity": 1,
             "subscription": {"interval_unit": "month", "interval_frequency": 1}}
        ]);
        let req = CreateCheckout::parse(fields(json!({ "line_items": items }))).unwrap();
        assert_eq!(req.total().unwrap(), 1750);
        assert_eq!(req.line_items[1].subscription.as_ref().unwrap().interval_unit, "month");
        let req = CreateCheckout::parse(fields(json!({ "line_items": items, "amount": 1700 }))).unwrap();
        assert_eq!(
            req.total().unwrap_err().message,
            "amount: 1700 differs from the line items' total of 1750 minor units"
        );
        let req = CreateCheckout::parse(fields(json!({
            "line_items": [{"name": "x", "unit_amount": u64::MAX, "quantity": 2}]
        })))
        .unwrap();
        assert_eq!(req.total().unwrap_err().message, "line_items[0]: the total is too large");
        assert_eq!(
            CreateCheckout::parse(fields(json!({}))).unwrap().total().unwrap_err().message,
            "amount: is required (or give line_items)"
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (json!({"amount": "1799"}), "amount: must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)"),
            (json!({"amount": 17.99}), "amount: must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)"),
            (
                json!({"line_items": [{"name": "x", "unit_amount": 2.5, "quantity": 1}]}),
                "line_items[0].unit_amount: must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)",
            ),
            (json!({"currency": "dollars"}), "currency: dollars is not an ISO 4217 currency with minor units, nor usdt or usdc"),
            (json!({"currency": "xau"}), "currency: xau is not an ISO 4217 currency with minor units, nor usdt or usdc"),
            (
                json!({"currency": "us dollars"}),
                "currency: must be an ISO 4217 code such as usd, or a crypto code such as usdt",
            ),
            (json!({"success_url": "/thanks"}), "success_url: must be an absolute http(s) URL"),
            (json!({"success_url": "javascript:alert(1)"}), "success_url: must be an absolute http(s) URL"),
            (json!({"line_items": [{"name": "x", "unit_amount": 1}]}), "line_items[0].quantity: is required"),
            (
                json!({"line_items": [{"name": "x", "unit_amount": 1, "quantity": 1,
                "subscription": {"interval_unit": "year", "interval_frequency": 1}}]}),
                "line_items[0].subscription.interval_unit: must be day, week or month",
            ),
            (json!({"amount": 5, "colour": "red"}), "colour: unknown field"),
        ];
        for (v, msg) in cases {
            let e = CreateCheckout::parse(fields(v)).unwrap_err();
            assert_eq!(e.message, msg);
            assert_eq!(e.status, Status::InvalidRequest);
        }
    }

    #[test]
    fn iso_4217_and_payfect_crypto_codes_pass() {
        for (given, read) in
            [("usd", "usd"), ("EUR", "eur"), ("jpy", "jpy"), ("kwd", "kwd"), ("USDT", "usdt"), ("usdc", "usdc")]
        {
            let req = CreateCheckout::parse(fields(json!({ "currency": given }))).unwrap();
            assert_eq!(req.currency.as_deref(), Some(read));
            let req = Redirect::parse(fields(json!({ "currency": given }))).unwrap();
            assert_eq!(req.currency.as_deref(), Some(read));
        }
        let e = Redirect::parse(fields(json!({"amount": 1799, "currency": "dollars"}))).unwrap_err();
        assert_eq!(e.message, "currency: dollars is not an ISO 4217 currency with minor units, nor usdt or usdc");
    }

    #[test]
    fn idempotency_keys_cannot_inject_headers() {
        for bad in ["a\r\nX-Evil: 1", "with space", "é"] {
            let e = Complete::parse(fields(
                json!({"checkout_id": "cho_1", "payment_token": "pm_1", "idempotency_key": bad}),
            ))
            .unwrap_err();
            assert!(e.message.starts_with("idempotency_key: "), "{}", e.message);
        }
    }

    #[test]
    fn lookup_takes_exactly_one_id() {
        assert_eq!(
            CheckoutLookup::parse(fields(json!({"checkout_id": "cho_1"}))).unwrap(),
            CheckoutLookup::Checkout("cho_1".into())
        );
        assert_eq!(
            CheckoutLookup::parse(fields(json!({"payment_intent_id": "pi_1"}))).unwrap(),
            CheckoutLookup::PaymentIntent("pi_1".into())
        );
        assert!(CheckoutLookup::parse(fields(json!({}))).is_err());
        assert!(CheckoutLookup::parse(fields(json!({"checkout_id": "a", "payment_intent_id": "b"}))).is_err());
    }
}
