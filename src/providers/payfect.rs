//! Payfect: crypto checkouts (seed 004). The shopper pays on the checkout's `url`; Payfect
//! reports the payment by callback, and `checkout_get` reads it.
//!
//! Wire facts: docs/providers.md §Payfect, Payfect's docs. `Authorization: Api-Key <key>`;
//! `POST /api/v1/checkouts/` and `GET /api/v1/checkouts/{id}/` (the trailing slashes matter).

pub(crate) mod wire;

use super::decode::{object, Envelope};
use super::exchange::{Body, CheckoutRead, Exchange, Failure, Fault, Refusal, WireRequest, WireResponse};
use super::honours::{Honoured, Honours};
use super::{
    credentials_or_verify_only, verify_only_error, Connection, CredentialKey, Endpoint, Provider, RedirectPlan,
};
use crate::error::{Error, Result, Status};
use crate::fields::Fields;
use crate::request::{CheckoutLookup, Complete, CreateCheckout, Redirect};
use crate::response::{Checkout, Completion, RedirectUrl};
use crate::secret::Secret;
use crate::webhook::{body_json, signature, Headers, WebhookEvent, WebhookKeys};
use fernet::Fernet;
use serde_json::Value;
use wire::PROVIDER;

const DEFAULT_BASE_URL: &str = "https://api.payfect.finance";
/// The default age limit of a callback's Fernet token, seconds. Payfect docs *Callback*
/// documents no retry schedule, so this allows a day of delivery retries.
const WEBHOOK_TOLERANCE_S: u64 = 24 * 3600;

/// Payfect's credential: a merchant API key, sent as `Authorization: Api-Key <key>`.
const API_KEY: CredentialKey = ("api_key", "PAYFECT_API_KEY", true);

/// A Payfect client: a merchant API key (none on a verify-only client).
pub struct Payfect {
    /// `Api-Key <key>`, the `Authorization` header's value.
    api_key: Option<Secret>,
    webhook: WebhookKeys,
}

impl Payfect {
    /// Reads `api_key` (or `PAYFECT_API_KEY`) and the common keys. `hosted_base_url` does not
    /// apply: each checkout carries its own `url`.
    pub fn from_config(f: &mut Fields) -> Result<(Payfect, Endpoint)> {
        let conn = Connection::from_config(f, DEFAULT_BASE_URL, "PAYFECT_BASE_URL")?;
        if conn.hosted_base_url.is_some() {
            return Err(Error::config("hosted_base_url: Payfect gives each checkout its own url"));
        }
        let api_key = credentials_or_verify_only(f, &[API_KEY], &conn.webhook)?
            .map(|[key]| Secret::new(format!("Api-Key {key}")));
        let payfect = Payfect { api_key, webhook: conn.webhook.clone() };
        Ok((payfect, conn.endpoint()))
    }
}

/// A checkout answer (the body is the checkout).
fn checkout_of(resp: &WireResponse) -> std::result::Result<Checkout, Failure> {
    let (checkout, raw): (wire::CheckoutObject, _) = object(&resp.body, Envelope::Bare, "checkout")?;
    Ok(wire::checkout(checkout, raw)?)
}

/// The request fields Payfect honours (Payfect docs *Create a checkout*: `currency`,
/// `invoice_items` with `price_data.product_data` `name`, `description`, `images`,
/// `client_reference_id`, `success_url`, `cancel_url`, `callback_url`).
static HONOURS: Honours = Honours {
    create: Honoured {
        fields: &[
            "amount",
            "currency",
            "description",
            "line_items",
            "success_url",
            "cancel_url",
            "callback_url",
            "client_reference_id",
            "provider_options",
            "line_items[].description",
            "line_items[].image_url",
        ],
        refused_because: &[
            ("email", "its hosted page collects it"),
            ("origin_url", "it has no embedded component"),
            ("metadata", "its create takes none; use client_reference_id"),
            ("idempotency_key", "it has no idempotency keys"),
            ("line_items[].subscription", "checkouts are one-time payments"),
            ("line_items[].product_id", "its invoice items carry product_data, not product ids"),
            ("line_items[].variant_id", "its invoice items carry product_data, not product ids"),
        ],
    },
    get: Honoured { fields: &[], refused_because: &[("payment_intent_id", "its checkouts are read by checkout_id")] },
    complete: None,
    refund: None,
    void: None,
    redirect: Honoured {
        fields: &["checkout_id"],
        refused_because: &[
            ("success_url", "return URLs are given to checkout_create"),
            ("cancel_url", "return URLs are given to checkout_create"),
            ("payment_intent_id", "it makes no checkout sessions from payment intents"),
            ("amount", "it makes no checkout sessions from an amount; create a checkout"),
            ("currency", "it makes no checkout sessions from an amount; create a checkout"),
            ("description", "it makes no checkout sessions from an amount; create a checkout"),
            ("idempotency_key", "it creates nothing here"),
        ],
    },
};

impl Provider for Payfect {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn display_name(&self) -> &'static str {
        "Payfect"
    }

    fn honours(&self) -> &'static Honours {
        &HONOURS
    }

    fn credentials(&self) -> Vec<(&'static str, &str)> {
        vec![("Authorization", self.api_key.as_ref().map_or("", Secret::expose))]
    }

    fn without_credentials(&self) -> Option<Error> {
        self.api_key.is_none().then(|| verify_only_error(API_KEY))
    }

    /// Payfect's error bodies are undocumented: Django REST framework's forms are read
    /// (`{"detail": "..."}`, `{"field": ["msg"]}`), the status from the HTTP status.
    fn refusal(&self, resp: &WireResponse) -> Refusal {
        let message = wire::error_message(&resp.body);
        let error = Refusal::error_of(PROVIDER, resp, Status::from_http(resp.status), message, None);
        Refusal { error, in_flight: false }
    }

    /// `POST /api/v1/checkouts/`. `currency` is required (`usdt`, or an ISO 4217 code);
    /// amounts become exact decimal strings in its places, more precision being refused.
    fn create(&self, req: CreateCheckout, _key: Option<&str>) -> Result<Exchange<'_, Checkout>> {
        if !req.line_items.is_empty() {
            req.total()?;
        }
        let currency =
            req.currency.clone().ok_or_else(|| Error::invalid_request("currency: is required by Payfect"))?;
        let body = Body::Json(wire::create_body(&req, &currency)?);
        Ok(Exchange::new(WireRequest::post(&["api", "v1", "checkouts", ""], body), |resp: WireResponse| {
            checkout_of(&resp)
        }))
    }

    /// `GET /api/v1/checkouts/{id}/`: how a storefront learns the shopper paid.
    fn get(&self, lookup: CheckoutLookup) -> Result<Exchange<'_, CheckoutRead>> {
        let id = lookup.checkout_id()?;
        Ok(Exchange::new(WireRequest::get(&["api", "v1", "checkouts", &id, ""]), |resp: WireResponse| {
            checkout_of(&resp).map(CheckoutRead::from)
        }))
    }

    /// Payfect has no complete call: the shopper pays on the checkout's `url`.
    fn complete(&self, _req: Complete, _key: Option<&str>) -> Result<Exchange<'_, Completion>> {
        Err(Error::new(
            Status::Unsupported,
            "checkout_complete: Payfect has no complete call; the shopper pays on the checkout's url. \
             Read the result with checkout_get, or verify Payfect's callback to callback_url",
        ))
    }

    /// The checkout's own `url`, once it is known to be open.
    fn redirect(&self, req: &Redirect) -> Result<RedirectPlan<'_>> {
        Ok(RedirectPlan::CheckoutPage(req.required_checkout_id()?.to_owned()))
    }

    fn hosted_page(&self, checkout: Checkout, _req: &Redirect) -> std::result::Result<RedirectUrl, Failure> {
        let url = checkout.redirect_url.ok_or_else(|| Fault::new("checkout", "no url"))?;
        Ok(RedirectUrl {
            url,
            expires_at: checkout.expires_at,
            payment_intent_id: None,
            idempotency_key: None,
            provider_data: checkout.provider_data,
        })
    }

    /// `X-Payfect-Signature` is a Fernet token made with the merchant's secret key (a
    /// `webhook_secrets` entry, Payfect docs *Callback*); decrypted, it must be JSON
    /// equal in value to the body (not byte-equal). The token's creation time must be within
    /// `webhook_tolerance_s` (default 24 h; Payfect documents no retry schedule). The
    /// callback is `checkout.completed`.
    fn verify_webhook(&self, headers: &Headers, body: &[u8], _now: i64) -> Result<WebhookEvent> {
        // Fernet judges the token's age against the system clock itself, which is the clock
        // `now` comes from.
        let secrets = self.webhook.secrets()?;
        let token = headers.require("X-Payfect-Signature")?;
        let keys: Vec<Fernet> = secrets.iter().filter_map(|s| Fernet::new(s.expose())).collect();
        if keys.is_empty() {
            return Err(Error::config(
                "webhook_secrets: Payfect's secret keys are Fernet keys (32 bytes, url-safe base64)",
            ));
        }
        let key = keys.iter().find(|k| k.decrypt(token).is_ok()).ok_or_else(|| {
            signature("bad signature: X-Payfect-Signature does not decrypt with any of the webhook_secrets")
        })?;
        // The token is authentic; its own creation time (Fernet spec) must be within the
        // tolerance, or it is a replayed callback.
        let tolerance = self.webhook.tolerance_s.unwrap_or(WEBHOOK_TOLERANCE_S);
        let plaintext = match tolerance {
            0 => key.decrypt(token),
            ttl => key.decrypt_with_ttl(token, ttl),
        }
        .map_err(|_| {
            signature(format!("timestamp outside tolerance: X-Payfect-Signature was made more than {tolerance} s ago"))
        })?;
        let body = body_json(body)?;
        let signed: Value = serde_json::from_slice(&plaintext)
            .map_err(|_| signature("bad signature: the decrypted X-Payfect-Signature is not JSON"))?;
        if signed != body {
            return Err(signature("bad signature: the decrypted X-Payfect-Signature differs from the body"));
        }
        Ok(wire::callback_event(body))
    }
}
