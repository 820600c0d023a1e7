//! ReCharge: subscription checkouts (seed 002), charged with a payment processor's token or
//! paid on ReCharge's hosted checkout.
//!
//! Wire facts: docs/providers.md §ReCharge. `X-Recharge-Access-Token`, `X-Recharge-Version`;
//! `POST /checkouts`, `GET /checkouts/{token}`, `POST /checkouts/{token}/charge`; hosted page
//! `https://checkout.rechargeapps.com/r/checkout/{token}[?myshopify_domain=]`. ReCharge has no
//! idempotency keys: a charge that may have reached it is never sent again.
//!
//! Which stores can use it. ReCharge's API reference tags the 2021-11 Checkouts resource for
//! its BigCommerce and Custom (Recharge-hosted or API-first) platforms
//! (developer.rechargepayments.com/2021-11/checkouts/checkout_create); its support article
//! "Recharge Checkout no longer accessible" says the Recharge Checkout and the Checkout API
//! were disabled for Shopify stores on October 18, 2024, and its BigCommerce pages announce
//! the end of BigCommerce support (December 31, 2025; end of life October 2026). So this
//! provider serves Custom stores. `api_version` stays `2021-01` by default, the shape of seed
//! 002's line items (a storefront passing them raw through `provider_options` keeps working);
//! `2021-11` is ReCharge's current version of the resource. `store_domain`
//! (`?myshopify_domain=`) belongs to the retired Recharge Checkout on Shopify and is kept only
//! for stores that still have it; `external_checkout_source` (`big_commerce | headless |
//! shopify` in ChemicalLuck's `CheckoutCreateBody`; a Custom store is `headless`) travels in
//! `provider_options`.

pub(crate) mod wire;

use crate::config::required_header_credential;
use crate::error::{Error, Result, Status};
use crate::fields::Fields;
use crate::providers::{endpoint, provider_error, Connection, JsonRequest, Provider, Refusals};
use crate::request::{CheckoutLookup, Complete, CreateCheckout, Redirect};
use crate::response::{same_object, Checkout, Completion, RedirectUrl};
use crate::secret::Secret;
use crate::transport::{HttpResponse, Method, Replay};
use crate::webhook::{body_json, constant_time_eq, hmac_sha256_matches, signature, Headers, WebhookEvent};
use sha2::{Digest, Sha256};
use wire::{ApiVersion, ChargeRefusal, ErrorDetail, PROVIDER};

const DEFAULT_BASE_URL: &str = "https://api.rechargeapps.com";

/// Whether a charge's failure leaves its outcome unknown: the request may have reached
/// ReCharge (no answer in time, a reset), or ReCharge answered in a way that does not tell
/// (5xx; 429, as a provider may process a request and still answer it; an unreadable 2xx;
/// 409, a charge of this checkout in progress).
fn ambiguous(e: &Error) -> bool {
    match e.status {
        Status::Network | Status::Timeout => e.may_have_reached_provider,
        Status::Provider => e.http_status.is_none_or(|s| s >= 500),
        Status::RateLimited => true,
        Status::Conflict => e.http_status == Some(409),
        _ => false,
    }
}
const HOSTED_ORIGIN: &str = "https://checkout.rechargeapps.com";
/// ReCharge rejects signed timestamps older than 48 h (docs/providers.md).
const WEBHOOK_TOLERANCE_S: u64 = 48 * 3600;

/// A ReCharge client: an API token with `read_checkouts` and `write_checkouts`.
pub struct Recharge {
    conn: Connection,
    api_token: Secret,
    version: ApiVersion,
    store_domain: Option<String>,
    /// Whether a delivery signed only with the legacy `X-Recharge-Hmac-Sha256` is accepted
    /// (`accept_legacy_webhook_signature`, default false): that hash covers no timestamp, so
    /// a captured delivery verifies forever, and a delivery stripped of its newer signature
    /// would otherwise be a way around the timestamp check.
    accept_legacy_webhooks: bool,
}

impl Recharge {
    /// Reads `api_token` (or `RECHARGE_API_TOKEN`), `api_version` (`2021-01` default,
    /// `2021-11`), `store_domain` (for `?myshopify_domain=`),
    /// `accept_legacy_webhook_signature` (default false) and the common keys.
    pub fn from_config(f: &mut Fields) -> Result<Recharge> {
        let conn = Connection::from_config(f, DEFAULT_BASE_URL, "RECHARGE_BASE_URL")?;
        let api_token = required_header_credential(f, "api_token", "RECHARGE_API_TOKEN")?;
        let version = match f.string("api_version")?.as_deref() {
            None | Some("2021-01") => ApiVersion::V2021_01,
            Some("2021-11") => ApiVersion::V2021_11,
            Some(_) => return Err(f.error("api_version", "must be 2021-01 or 2021-11")),
        };
        Ok(Recharge {
            conn,
            api_token: Secret::new(api_token),
            version,
            store_domain: f.string("store_domain")?,
            accept_legacy_webhooks: f.boolean("accept_legacy_webhook_signature")?.unwrap_or(false),
        })
    }

    fn headers(&self) -> [(&'static str, &str); 2] {
        [("X-Recharge-Access-Token", self.api_token.expose()), ("X-Recharge-Version", self.version.header())]
    }

    fn call(&self, method: Method, segments: &[&str], body: Option<&str>, replay: Replay) -> Result<HttpResponse> {
        JsonRequest::new(&self.conn.base, method, segments, body, replay)?.send(&self.conn.transport, &self.headers())
    }

    /// Settles a charge that ended ambiguously by reading the checkout within the call's
    /// deadline: `completed_at` set is a succeeded completion confirmed by the read; still
    /// open is `pending`, to read again later. The charge itself is never sent again.
    /// When the read fails too, `failure` is returned, saying the charge may have gone
    /// through.
    fn settle(&self, checkout_id: &str, failure: Error) -> Result<Completion> {
        match self.get(CheckoutLookup::Checkout(checkout_id.to_owned())) {
            Ok(checkout) => {
                let reason = format!(
                    "the charge's outcome is unknown ({}) and checkout {checkout_id} is not completed yet: read it \
                     again later with checkout_get before charging again (ReCharge has no idempotency keys)",
                    failure.message
                );
                Ok(Completion::settled(checkout, None, None, None, reason))
            }
            Err(_) => {
                let mut e = failure;
                e.retryable = false;
                e.message.push_str(
                    "; the charge may have gone through: read the checkout (checkout_get) before charging again",
                );
                Err(e)
            }
        }
    }

    /// ReCharge's error answer → the contract's error. "Already processed" (422) and "in
    /// progress" (409) are conflicts; 404 not found; other 422s name the field.
    fn error(&self, resp: &HttpResponse) -> Error {
        let detail = ErrorDetail::parse(&resp.body);
        let status = match ErrorDetail::refusal(&resp.body) {
            Some(ChargeRefusal::AlreadyProcessed | ChargeRefusal::InProgress) => Status::Conflict,
            _ => Status::from_http(resp.status),
        };
        provider_error(PROVIDER, resp, status, detail.message, None)
    }

    /// The `checkout` of a 2xx answer, or the error the answer stands for.
    fn checkout_of(&self, resp: HttpResponse) -> Result<Checkout> {
        if !resp.is_success() {
            return Err(self.error(&resp));
        }
        let (checkout, raw) = wire::checkout_object(&resp.body)?;
        let hosted = self.hosted_url(&checkout.token)?;
        wire::checkout(checkout, raw, hosted)
    }

    fn hosted_url(&self, token: &str) -> Result<String> {
        let origin = self.conn.hosted_base_url.as_deref().unwrap_or(HOSTED_ORIGIN);
        let mut url = endpoint(origin, &["r", "checkout", token])?;
        if let Some(domain) = &self.store_domain {
            url.query_pairs_mut().append_pair("myshopify_domain", domain);
        }
        Ok(url.into())
    }
}

/// The request fields ReCharge does not take (`CheckoutCreateBody` and `CheckoutProcessBody`
/// of ChemicalLuck/recharge-api-python have none of them; ReCharge has no idempotency keys).
static REFUSALS: Refusals = Refusals {
    create: &[
        ("success_url", "its hosted checkout has no return URLs"),
        ("cancel_url", "its hosted checkout has no return URLs"),
        ("callback_url", "checkouts are reported by webhook (checkout/processed)"),
        ("origin_url", "it has no embedded component"),
        ("client_reference_id", "its checkouts have none"),
        ("metadata", "its checkouts have none; use provider_options"),
        ("idempotency_key", "it has no idempotency keys"),
        ("line_items[].description", "its line items have none"),
        ("line_items[].image_url", "it takes images from the product"),
    ],
    get: &[("payment_intent_id", "its checkouts are read by checkout_id")],
    redirect: &[
        ("success_url", "its hosted checkout has no return URLs"),
        ("cancel_url", "its hosted checkout has no return URLs"),
        ("payment_intent_id", "it makes no checkout sessions from payment intents"),
        ("amount", "it makes no checkout sessions from an amount; create a checkout"),
        ("currency", "it makes no checkout sessions from an amount; create a checkout"),
        ("description", "it makes no checkout sessions from an amount; create a checkout"),
        ("idempotency_key", "it creates nothing here"),
    ],
    complete: &[
        ("payment_mode", "it takes payment_processor and payment_type"),
        (
            "idempotency_key",
            "it has no idempotency keys; a charge is sent once and never again after it may have arrived",
        ),
    ],
};

impl Provider for Recharge {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn refusals(&self) -> &'static Refusals {
        &REFUSALS
    }

    /// `POST /checkouts` with the body of `wire::create_body`. Each line item needs
    /// `product_id` and `variant_id`; `amount`, when given, must equal their total.
    fn create(&self, req: CreateCheckout) -> Result<Checkout> {
        let passes_items = req.provider_options.as_ref().is_some_and(|o| o.contains_key("line_items"));
        if req.line_items.is_empty() && !passes_items {
            return Err(Error::invalid_request(
                "line_items: ReCharge checkouts are made of line items (product_id, variant_id)",
            ));
        }
        if !req.line_items.is_empty() {
            req.total()?;
        }
        let currency = req.currency.clone().unwrap_or_else(|| "usd".into());
        let body = wire::create_body(&req, &currency, self.version)?;
        let resp = self.call(Method::Post, &["checkouts"], Some(&body), Replay::OnlyIfUnsent)?;
        self.checkout_of(resp)
    }

    /// `GET /checkouts/{token}`; an answer about another checkout is `CHECKOUT_ERR_PROVIDER`,
    /// so neither a caller nor the reads after a charge ever take its amount or completion.
    fn get(&self, req: CheckoutLookup) -> Result<Checkout> {
        let token = req.checkout_id()?;
        let resp = self.call(Method::Get, &["checkouts", &token], None, Replay::Safe)?;
        let checkout = self.checkout_of(resp)?;
        same_object(&token, &checkout.id)?;
        Ok(checkout)
    }

    /// `POST /checkouts/{token}/charge` `{payment_processor, payment_token, payment_type}`
    /// (`stripe` and `CREDIT_CARD` by default), sent once: ReCharge has no idempotency keys.
    /// A charge answered 2xx is followed by a read of the checkout, for its amount and
    /// currency (the charge has neither) and its completion, judged with the charge's own
    /// `status` (`wire::charge`); one that ends ambiguously is settled by the same read. A 422 payment error is `payment_status: failed` (`pending`
    /// when the card requires authentication).
    fn complete(&self, req: Complete) -> Result<Completion> {
        let body = crate::providers::json_body(&wire::ChargeBody {
            payment_processor: req.payment_processor.as_deref().unwrap_or("stripe"),
            payment_token: &req.payment_token,
            payment_type: req.payment_type.as_deref().unwrap_or("CREDIT_CARD"),
        });
        let charge = || {
            let request = JsonRequest::new(
                &self.conn.base,
                Method::Post,
                &["checkouts", &req.checkout_id, "charge"],
                Some(&body),
                Replay::OnlyIfUnsent,
            )?
            .settled_by_read();
            let resp = request.send(&self.conn.transport, &self.headers())?;
            if resp.is_success() {
                let (charge, raw) = wire::charge_object(&resp.body)?;
                let checkout = self.get(CheckoutLookup::Checkout(req.checkout_id.clone())).ok();
                return Ok(wire::charge(charge, raw, checkout, &req.checkout_id));
            }
            match ErrorDetail::refusal(&resp.body) {
                Some(ChargeRefusal::Declined(error)) if resp.status == 422 => {
                    Ok(wire::declined(error, &resp.body, &req.checkout_id))
                }
                _ => Err(self.error(&resp)),
            }
        };
        match charge() {
            Err(e) if ambiguous(&e) => self.settle(&req.checkout_id, e),
            outcome => outcome,
        }
    }

    /// `X-Recharge-Webhook-Signature: t=<unix>,v1=<hex>` (docs/providers.md §ReCharge:
    /// HMAC-SHA256(secret, "t.body"), any of several `v1`, within 48 h by default, ReCharge's
    /// own limit). The legacy `X-Recharge-Hmac-Sha256` = hex(SHA-256(secret ‖ body)), a plain
    /// hash with no timestamp, only with `accept_legacy_webhook_signature`. The topic comes
    /// from `X-Recharge-Topic`.
    fn verify_webhook(&self, headers: &Headers, body: &[u8], now: i64) -> Result<WebhookEvent> {
        let secrets = self.conn.webhook.secrets()?;
        if let Some(header) = headers.get("X-Recharge-Webhook-Signature") {
            let (signed_at, signatures) = wire::signature_header(header)?;
            let t = signed_at.to_string();
            let message: [&[u8]; 3] = [t.as_bytes(), b".", body];
            let valid = secrets.iter().any(|s| signatures.iter().any(|sig| hmac_sha256_matches(s, &message, sig)));
            if !valid {
                return Err(signature(
                    "bad signature: no v1 in X-Recharge-Webhook-Signature matches the webhook_secrets; \
                        the body must be the raw bytes received, not re-serialized JSON, and webhook_secrets \
                        the endpoint's signing secrets",
                ));
            }
            self.conn.webhook.check_timestamp(signed_at, now, WEBHOOK_TOLERANCE_S)?;
        } else if let Some(legacy) = headers.get("X-Recharge-Hmac-Sha256") {
            if !self.accept_legacy_webhooks {
                return Err(signature(
                    "missing header X-Recharge-Webhook-Signature: a delivery signed only with the legacy \
                     X-Recharge-Hmac-Sha256 carries no timestamp and could be a replay; set \
                     accept_legacy_webhook_signature to accept it",
                ));
            }
            let given = hex::decode(legacy.trim()).unwrap_or_default();
            let valid = secrets.iter().any(|s| {
                let digest = Sha256::new().chain_update(s.expose()).chain_update(body).finalize();
                constant_time_eq(&digest, &given)
            });
            if !valid {
                return Err(signature(
                    "bad signature: X-Recharge-Hmac-Sha256 matches none of the webhook_secrets; \
                    the body must be the raw bytes received, not re-serialized JSON, and webhook_secrets \
                    the endpoint's signing secrets",
                ));
            }
        } else {
            return Err(signature(
                "missing header X-Recharge-Webhook-Signature (or the legacy X-Recharge-Hmac-Sha256)",
            ));
        }
        wire::event(body_json(body)?, headers.get("X-Recharge-Topic"))
    }

    /// The hosted page of an open checkout:
    /// `https://checkout.rechargeapps.com/r/checkout/{token}[?myshopify_domain=]`.
    fn redirect_url(&self, req: Redirect) -> Result<RedirectUrl> {
        let token = req.required_checkout_id()?;
        let checkout = self.get(CheckoutLookup::Checkout(token.to_owned()))?;
        checkout.require_open()?;
        Ok(RedirectUrl {
            url: self.hosted_url(token)?,
            expires_at: None,
            payment_intent_id: None,
            idempotency_key: None,
            provider_data: checkout.provider_data,
        })
    }
}
