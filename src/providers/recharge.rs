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

use super::decode::{object, Envelope};
use super::exchange::{
    endpoint, Body, CheckoutRead, Exchange, Failure, Fault, Next, Refusal, WireRequest, WireResponse,
};
use super::honours::{Honoured, Honours};
use super::{
    credentials_or_verify_only, verify_only_error, Connection, CredentialKey, Endpoint, Provider, RedirectPlan,
};
use crate::error::{Error, Result, Status};
use crate::fields::Fields;
use crate::money;
use crate::request::{CheckoutLookup, Complete, CreateCheckout, Redirect, RefundRequest};
use crate::response::{same_object, Checkout, Completion, ProviderData, RedirectUrl, Refund, RefundStatus, Refunds};
use crate::secret::Secret;
use crate::webhook::{body_json, constant_time_eq, hmac_sha256_matches, signature, Headers, WebhookEvent, WebhookKeys};
use sha2::{Digest, Sha256};
use wire::{ApiVersion, ChargeRefusal, ErrorDetail, PROVIDER};

const DEFAULT_BASE_URL: &str = "https://api.rechargeapps.com";
const HOSTED_ORIGIN: &str = "https://checkout.rechargeapps.com";
/// ReCharge rejects signed timestamps older than 48 h (docs/providers.md).
const WEBHOOK_TOLERANCE_S: u64 = 48 * 3600;

/// ReCharge's credential: an API token, sent in `X-Recharge-Access-Token`.
const API_TOKEN: CredentialKey = ("api_token", "RECHARGE_API_TOKEN", true);

/// A ReCharge client: an API token with `read_checkouts` and `write_checkouts` (none on a
/// verify-only client).
pub struct Recharge {
    api_token: Option<Secret>,
    version: ApiVersion,
    store_domain: Option<String>,
    hosted_base_url: Option<String>,
    webhook: WebhookKeys,
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
    pub fn from_config(f: &mut Fields) -> Result<(Recharge, Endpoint)> {
        let conn = Connection::from_config(f, DEFAULT_BASE_URL, "RECHARGE_BASE_URL")?;
        let api_token = credentials_or_verify_only(f, &[API_TOKEN], &conn.webhook)?.map(|[token]| Secret::new(token));
        let version = match f.string("api_version")?.as_deref() {
            None | Some("2021-01") => ApiVersion::V2021_01,
            Some("2021-11") => ApiVersion::V2021_11,
            Some(_) => return Err(f.error("api_version", "must be 2021-01 or 2021-11")),
        };
        let recharge = Recharge {
            api_token,
            version,
            store_domain: f.string("store_domain")?,
            hosted_base_url: conn.hosted_base_url.clone(),
            webhook: conn.webhook.clone(),
            accept_legacy_webhooks: f.boolean("accept_legacy_webhook_signature")?.unwrap_or(false),
        };
        Ok((recharge, conn.endpoint()))
    }

    /// The checkout of a 2xx answer (`{"checkout": {...}}`), with its hosted page.
    fn checkout_of(&self, resp: &WireResponse) -> std::result::Result<Checkout, Failure> {
        let (checkout, raw): (wire::CheckoutObject, _) = object(&resp.body, Envelope::Key("checkout"), "checkout")?;
        let hosted = self.hosted_url(&checkout.token)?;
        Ok(wire::checkout(checkout, raw, hosted)?)
    }

    fn hosted_url(&self, token: &str) -> Result<String> {
        let origin = self.hosted_base_url.as_deref().unwrap_or(HOSTED_ORIGIN);
        let mut url = endpoint(origin, &["r", "checkout", token])?;
        if let Some(domain) = &self.store_domain {
            url.query_pairs_mut().append_pair("myshopify_domain", domain);
        }
        Ok(url.into())
    }
}

/// The request fields ReCharge honours (seed 002 and ChemicalLuck/recharge-api-python
/// `CheckoutCreateBody`: `line_items`, `email`, `currency`, `note`; `CheckoutProcessBody`:
/// `payment_processor`, `payment_type`). ReCharge has no idempotency keys.
static HONOURS: Honours = Honours {
    create: Honoured {
        fields: &[
            "amount",
            "currency",
            "description",
            "line_items",
            "email",
            "provider_options",
            "line_items[].product_id",
            "line_items[].variant_id",
            "line_items[].subscription",
        ],
        refused_because: &[
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
    },
    get: Honoured { fields: &[], refused_because: &[("payment_intent_id", "its checkouts are read by checkout_id")] },
    redirect: Honoured {
        fields: &["checkout_id"],
        refused_because: &[
            ("success_url", "its hosted checkout has no return URLs"),
            ("cancel_url", "its hosted checkout has no return URLs"),
            ("payment_intent_id", "it makes no checkout sessions from payment intents"),
            ("amount", "it makes no checkout sessions from an amount; create a checkout"),
            ("currency", "it makes no checkout sessions from an amount; create a checkout"),
            ("description", "it makes no checkout sessions from an amount; create a checkout"),
            ("idempotency_key", "it creates nothing here"),
        ],
    },
    refund: Some(Honoured {
        fields: &["amount"],
        refused_because: &[
            ("reason", "its charge refunds take only amount and full_refund"),
            ("metadata", "its charge refunds take only amount and full_refund"),
            (
                "idempotency_key",
                "it has no idempotency keys; a refund is sent once and never again after it may have arrived",
            ),
        ],
    }),
    void: None,
    complete: Some(Honoured {
        fields: &["payment_processor", "payment_type"],
        refused_because: &[
            ("payment_mode", "it takes payment_processor and payment_type"),
            (
                "idempotency_key",
                "it has no idempotency keys; a charge is sent once and never again after it may have arrived",
            ),
        ],
    }),
};

impl Provider for Recharge {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn display_name(&self) -> &'static str {
        "ReCharge"
    }

    fn honours(&self) -> &'static Honours {
        &HONOURS
    }

    fn credentials(&self) -> Vec<(&'static str, &str)> {
        let token = self.api_token.as_ref().map_or("", Secret::expose);
        vec![("X-Recharge-Access-Token", token), ("X-Recharge-Version", self.version.header())]
    }

    fn without_credentials(&self) -> Option<Error> {
        self.api_token.is_none().then(|| verify_only_error(API_TOKEN))
    }

    /// ReCharge's error answer → the contract's error. "Already processed" (422) and "in
    /// progress" (409) are conflicts; 404 not found; other 422s name the field. A 409 says a
    /// charge of this checkout is in flight.
    fn refusal(&self, resp: &WireResponse) -> Refusal {
        let detail = ErrorDetail::parse(&resp.body);
        let status = match ErrorDetail::refusal(&resp.body) {
            Some(ChargeRefusal::AlreadyProcessed | ChargeRefusal::InProgress) => Status::Conflict,
            _ => Status::from_http(resp.status),
        };
        Refusal {
            error: Refusal::error_of(PROVIDER, resp, status, detail.message, None),
            in_flight: resp.status == 409,
        }
    }

    /// `POST /checkouts` with the body of `wire::create_body`. Each line item needs
    /// `product_id` and `variant_id`; `amount`, when given, must equal their total.
    fn create(&self, req: CreateCheckout, _key: Option<&str>) -> Result<Exchange<'_, Checkout>> {
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
        let body = Body::Json(wire::create_body(&req, &currency, self.version)?);
        Ok(Exchange::new(WireRequest::post(&["checkouts"], body), |resp: WireResponse| self.checkout_of(&resp)))
    }

    /// `GET /checkouts/{token}`.
    fn get(&self, lookup: CheckoutLookup) -> Result<Exchange<'_, CheckoutRead>> {
        let token = lookup.checkout_id()?;
        Ok(Exchange::new(WireRequest::get(&["checkouts", &token]), |resp: WireResponse| {
            self.checkout_of(&resp).map(CheckoutRead::from)
        }))
    }

    /// `POST /checkouts/{token}/charge` `{payment_processor, payment_token, payment_type}`
    /// (`stripe` and `CREDIT_CARD` by default), sent once: ReCharge has no idempotency keys.
    /// A charge answered 2xx is followed by a read of the checkout, for its amount and
    /// currency (the charge has neither) and its completion, judged with the charge's own
    /// `status` (`wire::charge`). A 422 payment error is `payment_status: failed` (`pending`
    /// when the card requires authentication).
    fn complete(&self, req: Complete, _key: Option<&str>) -> Result<Exchange<'_, Completion>> {
        let body = Body::json(&wire::ChargeBody {
            payment_processor: req.payment_processor.as_deref().unwrap_or("stripe"),
            payment_token: &req.payment_token,
            payment_type: req.payment_type.as_deref().unwrap_or("CREDIT_CARD"),
        });
        let request = WireRequest::post(&["checkouts", &req.checkout_id, "charge"], body);
        let (checkout_id, declined_id) = (req.checkout_id.clone(), req.checkout_id);
        Ok(Exchange::then(request, move |resp: WireResponse| {
            let (charge, raw): (wire::ChargeObject, _) =
                object(&resp.body, Envelope::Key("checkout_charge"), "checkout charge")?;
            let id = checkout_id.clone();
            Ok(Next::ReadCheckout(checkout_id, Box::new(move |checkout| wire::charge(charge, raw, checkout, &id))))
        })
        .reading_declines(move |resp| match ErrorDetail::refusal(&resp.body) {
            Some(ChargeRefusal::Declined(error)) if resp.status == 422 => {
                Some(wire::declined(error, &resp.body, &declined_id))
            }
            _ => None,
        }))
    }

    /// The hosted page of an open checkout.
    fn redirect(&self, req: &Redirect) -> Result<RedirectPlan<'_>> {
        Ok(RedirectPlan::CheckoutPage(req.required_checkout_id()?.to_owned()))
    }

    /// `https://checkout.rechargeapps.com/r/checkout/{token}[?myshopify_domain=]`.
    fn hosted_page(&self, checkout: Checkout, _req: &Redirect) -> std::result::Result<RedirectUrl, Failure> {
        Ok(RedirectUrl {
            url: self.hosted_url(&checkout.id)?,
            expires_at: None,
            payment_intent_id: None,
            idempotency_key: None,
            provider_data: checkout.provider_data,
        })
    }

    /// The checkout's charge (`GET /checkouts/{token}`, its `charge_id`, then `GET
    /// /charges/{id}`) and what was refunded of it. An unpaid checkout has none: paid 0.
    fn refunds(&self, checkout_id: String) -> Result<Exchange<'_, Refunds>> {
        Ok(Exchange::then(WireRequest::get(&["checkouts", &checkout_id]), move |resp: WireResponse| {
            let (checkout, raw): (wire::CheckoutObject, ProviderData) =
                object(&resp.body, Envelope::Key("checkout"), "checkout")?;
            let Some(charge_id) =
                checkout.charge_id.as_ref().map(|id| id.text()).filter(|_| checkout.completed_at.is_some())
            else {
                return Ok(Next::Done(Refunds {
                    provider: PROVIDER,
                    checkout_id: checkout.token,
                    payment_id: None,
                    currency: checkout.currency.as_deref().unwrap_or("usd").to_ascii_lowercase(),
                    amount_paid: 0,
                    amount_refunded: 0,
                    amount_refundable: 0,
                    refunds: Vec::new(),
                    provider_data: raw,
                }));
            };
            let (token, currency) = (checkout.token, checkout.currency);
            Ok(Next::Send(Exchange::new(WireRequest::get(&["charges", &charge_id]), move |resp: WireResponse| {
                let (mut charge, raw): (wire::ChargeResource, _) =
                    object(&resp.body, Envelope::Key("charge"), "charge")?;
                same_object(&charge_id, &charge.id.text())?;
                // A 2021-01 charge carries no currency (ChemicalLuck `model/v1/charge.py`): the
                // checkout's is the charge's.
                charge.currency = charge.currency.or(currency);
                Ok(wire::refunds(&token, charge, raw)?)
            })))
        }))
    }

    /// `POST /charges/{id}/refund {amount, full_refund}` (`full_refund` when the whole charge
    /// is refunded at once), sent once: ReCharge has no idempotency keys. `succeeded` when the
    /// charge answered shows `total_refunds` grown by the amount, else `pending`.
    fn refund(
        &self,
        req: RefundRequest,
        state: &Refunds,
        amount: u64,
        _key: Option<&str>,
    ) -> Result<Exchange<'_, Refund>> {
        let charge_id = state.payment_id.clone().unwrap_or_default();
        let decimal =
            money::to_decimal(amount, &state.currency).map_err(|e| Error::invalid_request(format!("amount: {e}")))?;
        let body = Body::json(&wire::RefundBody {
            amount: decimal,
            full_refund: state.amount_refunded == 0 && amount == state.amount_paid,
        });
        let request = WireRequest::post(&["charges", &charge_id, "refund"], body);
        let (checkout_id, before, currency) = (req.checkout_id, state.amount_refunded, state.currency.clone());
        Ok(Exchange::new(request, move |resp: WireResponse| {
            let (mut charge, raw): (wire::ChargeResource, _) = object(&resp.body, Envelope::Key("charge"), "charge")?;
            // A 2xx about another charge: ReCharge most likely acted on this one, so the answer
            // is an integration fault (settled by reading), never a plain refusal.
            if charge.id.text() != charge_id {
                return Err(
                    Fault::new("charge", format!("answered about {}, not {charge_id}", charge.id.text())).into()
                );
            }
            // A 2021-01 charge carries no currency: the checkout's, read before, is the charge's.
            charge.currency = charge.currency.or(Some(currency));
            let after = wire::refunds(&checkout_id, charge, raw)?;
            let landed = after.amount_refunded >= before.saturating_add(amount);
            Ok(Refund {
                provider: PROVIDER,
                id: None,
                checkout_id,
                payment_id: after.payment_id,
                amount,
                currency: after.currency,
                status: if landed { RefundStatus::Succeeded } else { RefundStatus::Pending },
                reason: None,
                refund_error: None,
                idempotency_key: None,
                confirmed_by: None,
                pending_reason: (!landed).then(|| {
                    "ReCharge accepted the refund but the charge's total_refunds does not include it yet: read \
                     checkout_refunds later before refunding again"
                        .to_owned()
                }),
                created_at: None,
                provider_data: after.provider_data,
            })
        }))
    }

    /// `X-Recharge-Webhook-Signature: t=<unix>,v1=<hex>` (docs/providers.md §ReCharge:
    /// HMAC-SHA256(secret, "t.body"), any of several `v1`, within 48 h by default, ReCharge's
    /// own limit). The legacy `X-Recharge-Hmac-Sha256` = hex(SHA-256(secret ‖ body)), a plain
    /// hash with no timestamp, only with `accept_legacy_webhook_signature`. The topic comes
    /// from `X-Recharge-Topic`.
    fn verify_webhook(&self, headers: &Headers, body: &[u8], now: i64) -> Result<WebhookEvent> {
        let secrets = self.webhook.secrets()?;
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
            self.webhook.check_timestamp(signed_at, now, WEBHOOK_TOLERANCE_S)?;
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
}
