//! JustiFi: API checkouts, the checkout web component, and hosted checkout (the current
//! hosted page of a checkout, and the legacy payment intent + checkout session flow).
//!
//! Wire facts: docs/providers.md §JustiFi; JustiFi's OpenAPI spec (`tests/fixtures/justifi-spec/justifi-openapi.yaml`) paths
//! `/oauth/token`, `/checkouts`, `/checkouts/{id}`, `/checkouts/{id}/complete`,
//! `/web_component_tokens`; the legacy specs (`tests/fixtures/justifi-spec/`) for `/payment_intents` and
//! `/checkout_sessions`; JustiFi docs *Idempotency* for `Idempotency-Key`.

pub(crate) mod wire;

use super::decode::{object, Envelope};
use super::exchange::{
    endpoint, Body, CheckoutRead, Exchange, Failure, Fault, IdempotencyKeys, Next, Refusal, WireRequest, WireResponse,
};
use super::honours::{Honoured, Honours};
use super::{
    credentials_or_verify_only, verify_only_error, Bearer, Connection, CredentialKey, Endpoint, Provider, RedirectPlan,
};
use crate::error::{Error, Result, Status};
use crate::fields::Fields;
use crate::request::{CheckoutLookup, Complete, CreateCheckout, Redirect, RefundRequest, WebComponentTokenRequest};
use crate::response::{
    same_object, Checkout, Completion, PaymentError, ProviderData, RedirectUrl, Refund, RefundStatus, Refunds, Void,
    WebComponentToken,
};
use crate::secret::Secret;
use crate::timestamp;
use crate::token_cache::{self, TokenSlot};
use crate::transport::Method;
use crate::webhook::{body_json, hmac_sha256_matches, signature, unix_seconds, Headers, WebhookEvent, WebhookKeys};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use wire::{ErrorDetail, PROVIDER};

const DEFAULT_BASE_URL: &str = "https://api.justifi.ai";
/// The current hosted checkout page: `/hosted-checkout/{checkout_id}` (docs/hosted-checkout.mdx).
const HOSTED_CHECKOUT_ORIGIN: &str = "https://components.justifi.ai";
/// The legacy hosted checkout session page: `/r/{checkout_session_id}` (seed 003).
const CHECKOUT_SESSION_ORIGIN: &str = "https://checkout.justifi.ai";
/// Access tokens are valid for 24 h (`/oauth/token` in the spec).
const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// A checkout session must be paid within 24 h (seed 003).
const SESSION_LIFETIME_S: i64 = 24 * 3600;
/// Web component tokens last 60 min (docs *Web component tokens*: "good for 60 minutes").
const WEB_COMPONENT_TOKEN_LIFETIME_S: u64 = 3600;
/// `POST /v1/checkouts` accepts 50 to 100 000 000 cents (docs/providers.md).
const AMOUNT_RANGE: std::ops::RangeInclusive<u64> = 50..=100_000_000;
/// The default webhook timestamp tolerance, seconds: 24 h and 5 min. Live accounts retry a
/// delivery "10 times over 24 hours" (JustiFi docs *Webhooks*) and nothing published says a retry
/// is signed afresh, so the last retry may carry a signature a day old; 5 min more for clock
/// skew.
const WEBHOOK_TOLERANCE_S: u64 = 24 * 3600 + 300;
/// `Idempotency-Key` is at most 100 characters (docs/idempotency.mdx).
const KEYS: IdempotencyKeys = IdempotencyKeys { max_len: 100 };
/// `CheckoutCompletion.payment_mode` in the spec (`components.schemas`): `ecom`, `bnpl`,
/// `card_present`.
const PAYMENT_MODES: [&str; 3] = ["ecom", "bnpl", "card_present"];

/// JustiFi's credentials: the API key pair (sent in the body of `/oauth/token`) and the sub
/// account (a header).
const CREDENTIALS: [CredentialKey; 3] = [
    ("client_id", "JUSTIFI_CLIENT_ID", false),
    ("client_secret", "JUSTIFI_CLIENT_SECRET", false),
    ("sub_account", "JUSTIFI_SUB_ACCOUNT", true),
];

/// A JustiFi client: credentials (none on a verify-only client), the hosted pages' origin,
/// the webhook keys.
pub struct Justifi {
    credentials: Option<Credentials>,
    hosted_base_url: Option<String>,
    webhook: WebhookKeys,
}

/// The API key pair, the sub account, and the access-token slot shared by every client with
/// the same key pair.
struct Credentials {
    client_id: String,
    client_secret: Secret,
    sub_account: String,
    token: Arc<TokenSlot>,
}

impl Justifi {
    /// Reads `client_id`, `client_secret` and `sub_account` (or `JUSTIFI_CLIENT_ID`,
    /// `JUSTIFI_CLIENT_SECRET`, `JUSTIFI_SUB_ACCOUNT`; none of them on a client given only
    /// `webhook_secrets`, which verifies webhooks) and the common keys.
    pub fn from_config(f: &mut Fields) -> Result<(Justifi, Endpoint)> {
        let conn = Connection::from_config(f, DEFAULT_BASE_URL, "JUSTIFI_BASE_URL")?;
        let credentials = credentials_or_verify_only(f, &CREDENTIALS, &conn.webhook)?.map(|values| {
            let [client_id, client_secret, sub_account] = values;
            let client_secret = Secret::new(client_secret);
            Credentials {
                token: token_cache::slot(&conn.base_url, &client_id, &client_secret),
                client_id,
                client_secret,
                sub_account,
            }
        });
        let justifi =
            Justifi { credentials, hosted_base_url: conn.hosted_base_url.clone(), webhook: conn.webhook.clone() };
        Ok((justifi, conn.endpoint()))
    }

    /// The sub account (the engine calls nothing on a verify-only client).
    fn sub_account(&self) -> &str {
        self.credentials.as_ref().map_or("", |c| c.sub_account.as_str())
    }

    /// A request to `segments`, with `Sub-Account` where the spec takes it ([`takes_sub_account`]).
    fn request(&self, method: Method, segments: &[&str], body: Option<Body>) -> WireRequest {
        let request = match body {
            Some(body) => WireRequest::post(segments, body),
            None => WireRequest::get(segments),
        };
        match takes_sub_account(method, segments) {
            true => request.header("Sub-Account", self.sub_account()),
            false => request,
        }
    }

    fn hosted_origin<'a>(&'a self, default: &'a str) -> &'a str {
        self.hosted_base_url.as_deref().unwrap_or(default)
    }

    /// Seed 003: a payment intent (made here unless given), then a checkout session.
    fn checkout_session(&self, req: &Redirect) -> Result<RedirectPlan<'_>> {
        let after_payment_url = req.success_url.clone().ok_or_else(|| {
            Error::invalid_request("success_url: is required for a JustiFi checkout session (its after_payment_url)")
        })?;
        let back_url = req.cancel_url.clone();
        let session = move |payment_intent_id: String, payment_intent: serde_json::Value, key: Option<String>| {
            let body = Body::json(&wire::CheckoutSessionBody {
                payment_intent_id: &payment_intent_id,
                after_payment_url: &after_payment_url,
                back_url: back_url.as_deref(),
            });
            // A session of its own key: retried with it, but a session is only a page for the
            // payment intent, so a second one in a later call costs nothing.
            let session_key = uuid::Uuid::new_v4().to_string();
            let request = self.request(Method::Post, &["v1", "checkout_sessions"], Some(body)).with_key(&session_key);
            Exchange::new(request, move |resp: WireResponse| {
                let (session, raw): (wire::CheckoutSessionObject, _) =
                    object(&resp.body, Envelope::DataWhenTyped, "checkout session")?;
                let url = endpoint(self.hosted_origin(CHECKOUT_SESSION_ORIGIN), &["r", &session.checkout_session_id])?;
                Ok(RedirectUrl {
                    url: url.into(),
                    expires_at: timestamp::now_plus(SESSION_LIFETIME_S),
                    payment_intent_id: Some(payment_intent_id),
                    idempotency_key: key,
                    provider_data: json!({"payment_intent": payment_intent, "checkout_session": raw.to_value()}).into(),
                })
            })
        };
        if let Some(id) = req.payment_intent_id.clone() {
            if req.amount.is_some() {
                return Err(Error::invalid_request("amount: give either payment_intent_id or amount, not both"));
            }
            refuse(
                req.idempotency_key.is_some(),
                "idempotency_key",
                "only with amount, when a payment intent is created; this one exists",
            )?;
            return Ok(RedirectPlan::Created { exchange: session(id, serde_json::Value::Null, None), key: None });
        }
        let amount =
            check_amount(req.amount.ok_or_else(|| {
                Error::invalid_request("amount: is required without checkout_id or payment_intent_id")
            })?)?;
        let body = Body::json(&wire::PaymentIntentBody {
            amount,
            currency: req.currency.as_deref().unwrap_or("usd"),
            description: req.description.as_deref(),
        });
        let key = KEYS.mint("JustiFi", req.idempotency_key.clone())?;
        let request = self.request(Method::Post, &["v1", "payment_intents"], Some(body)).with_key(&key);
        let pi_key = key.clone();
        let exchange = Exchange::then(request, move |resp: WireResponse| {
            let (pi, raw): (wire::PaymentIntentObject, _) =
                object(&resp.body, Envelope::DataWhenTyped, "payment intent")?;
            Ok(Next::Send(session(pi.id, raw.to_value(), Some(pi_key))))
        });
        Ok(RedirectPlan::Created { exchange, key: Some(key) })
    }
}

impl Bearer for Credentials {
    fn slot(&self) -> &TokenSlot {
        &self.token
    }

    /// `POST /oauth/token {client_id, client_secret}`: harmless to send again.
    fn token_request(&self) -> WireRequest {
        let body = Body::json(&wire::AccessTokenBody {
            client_id: &self.client_id,
            client_secret: self.client_secret.expose(),
        });
        WireRequest::post(&["oauth", "token"], body).repeatable()
    }

    /// `{access_token, expires_in?}`: the token must be printable ASCII (it travels in the
    /// `Authorization` header); without `expires_in`, 24 h.
    fn read_token(&self, resp: &WireResponse) -> std::result::Result<(Secret, Duration), Fault> {
        let t: wire::AccessToken = serde_json::from_slice(&resp.body).map_err(|e| Fault::new("access token", e))?;
        let lifetime = t.expires_in.map(Duration::from_secs).unwrap_or(TOKEN_LIFETIME);
        let token = t.access_token.trim_start();
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Fault::new(
                "access token",
                "access_token is empty or holds characters an Authorization header cannot carry",
            ));
        }
        Ok((Secret::new(token), lifetime))
    }

    fn refused(&self) -> &'static str {
        "JustiFi refused client_id and client_secret"
    }
}

/// Refuses a field the provider cannot honour in this request's shape, rather than dropping it.
fn refuse(present: bool, field: &str, why: &str) -> Result<()> {
    if present {
        return Err(Error::invalid_request(format!("{field}: {why}")));
    }
    Ok(())
}

/// Whether the spec takes `Sub-Account` for a request: `POST /checkouts` and `POST
/// /payment_intents` require it (`sub-account-required`), `GET /checkouts/{id}` takes it
/// (`sub-account`). The others the library sends (complete, web component tokens, `GET
/// /payment_intents/{id}`, checkout sessions) list no such header, and neither justifi-node
/// (`dist/lib/internal/checkout.js`, `payment_intent.js`, `checkout_session.js`) nor the web
/// component (`checkout.service.js`) nor JustiFi docs *Checkout* send one there.
fn takes_sub_account(method: Method, segments: &[&str]) -> bool {
    matches!(
        (method, segments),
        (Method::Post, ["v1", "checkouts"] | ["v1", "payment_intents"]) | (Method::Get, ["v1", "checkouts", _])
    )
}

/// JustiFi's amount range, for checkouts and payment intents alike.
fn check_amount(amount: u64) -> Result<u64> {
    if !AMOUNT_RANGE.contains(&amount) {
        return Err(Error::invalid_request(format!(
            "amount: JustiFi accepts {} to {} minor units, not {amount}",
            AMOUNT_RANGE.start(),
            AMOUNT_RANGE.end()
        )));
    }
    Ok(amount)
}

/// The request fields JustiFi honours (the spec's `/checkouts` request schema: `amount`,
/// `description`, `origin_url`, `payment` with `metadata`; `currency` as justifi-node's
/// `CreateCheckoutPayload` has it; `/checkouts/{id}/complete`: `payment_mode`; the legacy
/// payment intent and checkout session specs for `session_redirect_url`). Line items become
/// the amount and the description: their other fields have nowhere to go.
static HONOURS: Honours = Honours {
    create: Honoured {
        fields: &[
            "amount",
            "currency",
            "description",
            "line_items",
            "origin_url",
            "client_reference_id",
            "metadata",
            "provider_options",
            "idempotency_key",
        ],
        refused_because: &[
            ("success_url", "return URLs belong to session_redirect_url"),
            ("cancel_url", "return URLs belong to session_redirect_url"),
            ("callback_url", "payments are reported by webhook (event publisher)"),
            ("email", "checkouts have no email; the web component collects it"),
            ("line_items[].subscription", "checkouts are one-time payments"),
            ("line_items[].description", "checkouts have no line items; their names make the description"),
            ("line_items[].image_url", "checkouts have no line items; their names make the description"),
            ("line_items[].product_id", "checkouts have no line items; their names make the description"),
            ("line_items[].variant_id", "checkouts have no line items; their names make the description"),
        ],
    },
    get: Honoured { fields: &["payment_intent_id"], refused_because: &[] },
    complete: Some(Honoured {
        fields: &["payment_mode", "idempotency_key"],
        refused_because: &[
            ("payment_processor", "it takes payment_mode instead"),
            ("payment_type", "it takes payment_mode instead"),
        ],
    }),
    redirect: Honoured {
        fields: &[
            "checkout_id",
            "payment_intent_id",
            "amount",
            "currency",
            "description",
            "success_url",
            "cancel_url",
            "idempotency_key",
        ],
        refused_because: &[],
    },
    refund: Some(Honoured {
        fields: &["amount", "idempotency_key"],
        refused_because: &[
            ("reason", "its checkout refunds (RefundCheckout) take only amount and currency"),
            ("metadata", "its checkout refunds (RefundCheckout) take only amount and currency"),
        ],
    }),
    void: Some(Honoured { fields: &["idempotency_key"], refused_because: &[] }),
};

/// The error codes of JustiFi's docs (*API description*, "Error Codes") that say a request
/// with the same key is under way: its outcome is unknown.
const IN_FLIGHT: [&str; 2] = ["idempotency_request_in_progress", "idempotency_concurrent_request"];

/// "A refund for this payment is already in progress" (the same table): another refund, not
/// this request, is under way; this one was refused, so it is a conflict worth calling again
/// (with the same key) once that refund ends, never an outcome to settle by reading.
const REFUND_IN_PROGRESS: &str = "refund_in_progress";

/// The codes of the same table that refuse a refund or void for the payment's state
/// (`payment_fully_refunded`, `payment_outside_refund_window`, `payment_outside_void_window`:
/// "Try a refund instead."): conflicts.
const CLOSED: [&str; 3] = ["payment_fully_refunded", "payment_outside_refund_window", "payment_outside_void_window"];

impl Justifi {
    /// Reads the checkout, then sends `then` its paid payment's id (or `unpaid` for a checkout
    /// without a `successful_payment_id`).
    fn with_payment<'a, T: 'a>(
        &'a self,
        checkout_id: &str,
        unpaid: impl FnOnce(wire::CheckoutObject, ProviderData) -> Result<T> + 'a,
        then: impl FnOnce(String, String) -> Exchange<'a, T> + 'a,
    ) -> Exchange<'a, T> {
        let request = self.request(Method::Get, &["v1", "checkouts", checkout_id], None);
        Exchange::then(request, move |resp: WireResponse| {
            let (checkout, raw): (wire::CheckoutObject, _) = object(&resp.body, Envelope::DataWhenTyped, "checkout")?;
            match checkout.successful_payment_id.clone() {
                Some(payment_id) => Ok(Next::Send(then(checkout.id, payment_id))),
                None => Ok(Next::Done(unpaid(checkout, raw)?)),
            }
        })
    }
}

impl Provider for Justifi {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn display_name(&self) -> &'static str {
        "JustiFi"
    }

    fn honours(&self) -> &'static Honours {
        &HONOURS
    }

    fn credentials(&self) -> Vec<(&'static str, &str)> {
        Vec::new()
    }

    fn bearer(&self) -> Option<&dyn Bearer> {
        self.credentials.as_ref().map(|c| c as &dyn Bearer)
    }

    fn without_credentials(&self) -> Option<Error> {
        self.credentials.is_none().then(|| verify_only_error(CREDENTIALS[0]))
    }

    /// JustiFi docs *Idempotency*: each request may carry an `Idempotency-Key`.
    fn keys(&self) -> Option<IdempotencyKeys> {
        Some(KEYS)
    }

    /// JustiFi's error answer → the contract's error, with its code, message and request id,
    /// classified by HTTP status and the codes of the docs' error table (*API description*,
    /// "Error Codes"): idempotency refusals are conflicts; 409 (a request with the key in
    /// flight), 429 and 5xx may succeed when called again.
    fn refusal(&self, resp: &WireResponse) -> Refusal {
        let detail = ErrorDetail::parse(&resp.body);
        let code = detail.code.as_deref().unwrap_or_default();
        let in_flight = IN_FLIGHT.contains(&code);
        let settled = code == "idempotency_params_mismatch";
        let conflict = in_flight || settled || code == REFUND_IN_PROGRESS || CLOSED.contains(&code);
        let status = if conflict { Status::Conflict } else { Status::from_http(resp.status) };
        let mut message = detail.message.clone().or_else(|| detail.code.clone());
        if detail.code.as_deref() == Some("checkout_invalid_currency") {
            message = message.map(|m| format!("currency: {m}"));
        }
        let refund_in_progress = code == REFUND_IN_PROGRESS;
        let mut error = Refusal::error_of(PROVIDER, resp, status, message, detail.code);
        error.retryable |= (resp.status == 409 && !settled) || refund_in_progress;
        Refusal { error, in_flight }
    }

    /// `POST /v1/checkouts` (201) under the `Idempotency-Key` (JustiFi docs *Idempotency*: each
    /// request may carry one). The amount (or line items' total) must be 50 to 100 000 000
    /// cents; `description` (or the line items' names) is required. JustiFi takes the sub
    /// account's currency: a `currency` other than the checkout's is refused.
    fn create(&self, req: CreateCheckout, key: Option<&str>) -> Result<Exchange<'_, Checkout>> {
        let amount = check_amount(req.total()?)?;
        let description = match (&req.description, req.line_items.is_empty()) {
            (Some(d), _) => d.clone(),
            (None, false) => req.line_items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", "),
            (None, true) => return Err(Error::invalid_request("description: is required by JustiFi")),
        };
        let body = Body::json_with_options(
            &wire::CreateBody::new(
                amount,
                &description,
                req.currency.as_deref(),
                req.origin_url.as_deref(),
                req.metadata.unwrap_or_default(),
                req.client_reference_id.as_deref(),
            ),
            req.provider_options,
        );
        let mut request = self.request(Method::Post, &["v1", "checkouts"], Some(body));
        if let Some(key) = key {
            request = request.with_key(key);
        }
        let currency = req.currency;
        Ok(Exchange::new(request, move |resp: WireResponse| {
            let answer: (wire::CheckoutObject, _) = object(&resp.body, Envelope::DataWhenTyped, "checkout")?;
            let checkout = Checkout::try_from(answer)?;
            // JustiFi refuses a mismatched currency itself (`checkout_invalid_currency`); this
            // check stays for an API that would ignore the field.
            match currency {
                Some(c) if c != checkout.currency => Err(Failure::Error(Error::invalid_request(format!(
                    "currency: this JustiFi sub account charges in {}, not {c}; checkout {} was created and will expire unused",
                    checkout.currency, checkout.id
                )))),
                _ => Ok(checkout),
            }
        }))
    }

    /// `GET /v1/checkouts/{id}`, or `GET /v1/payment_intents/{id}` for the session flow.
    fn get(&self, lookup: CheckoutLookup) -> Result<Exchange<'_, CheckoutRead>> {
        Ok(match lookup {
            CheckoutLookup::Checkout(id) => {
                Exchange::new(self.request(Method::Get, &["v1", "checkouts", &id], None), |resp: WireResponse| {
                    let (object, raw): (wire::CheckoutObject, _) =
                        object(&resp.body, Envelope::DataWhenTyped, "checkout")?;
                    let (completion_id, payment_id) = object.paid_by();
                    Ok(CheckoutRead { checkout: Checkout::try_from((object, raw))?, completion_id, payment_id })
                })
            }
            CheckoutLookup::PaymentIntent(id) => {
                Exchange::new(self.request(Method::Get, &["v1", "payment_intents", &id], None), |resp: WireResponse| {
                    let answer: (wire::PaymentIntentObject, _) =
                        object(&resp.body, Envelope::DataWhenTyped, "payment intent")?;
                    Ok(Checkout::try_from(answer)?.into())
                })
            }
        })
    }

    /// `POST /v1/checkouts/{id}/complete {payment_token, payment_mode}` under the key: retried
    /// with it, so a shopper is charged at most once. A decline (a failed completion, or 402)
    /// is a result with `payment_status: failed`.
    fn complete(&self, req: Complete, key: Option<&str>) -> Result<Exchange<'_, Completion>> {
        let mode = req.payment_mode.as_deref().unwrap_or("ecom");
        if !PAYMENT_MODES.contains(&mode) {
            return Err(Error::invalid_request(format!("payment_mode: must be one of {}", PAYMENT_MODES.join(", "))));
        }
        let key = key.unwrap_or_default().to_owned();
        let body = Body::json(&wire::CompleteBody { payment_token: &req.payment_token, payment_mode: mode });
        let request =
            self.request(Method::Post, &["v1", "checkouts", &req.checkout_id, "complete"], Some(body)).with_key(&key);
        let (checkout_id, declined_id, declined_key) = (req.checkout_id.clone(), req.checkout_id, key.clone());
        Ok(Exchange::new(request, move |resp: WireResponse| {
            let (completion, raw) = object(&resp.body, Envelope::DataWhenTyped, "checkout completion")?;
            Ok(wire::completion(completion, raw, &checkout_id, &key)?)
        })
        .reading_declines(move |resp| {
            (resp.status == 402)
                .then(|| wire::declined(ErrorDetail::parse(&resp.body), &resp.body, &declined_id, &declined_key))
        }))
    }

    /// JustiFi publishes no error code for completing a checkout that is already completed or
    /// expired.
    fn refusal_may_mean_closed(&self) -> bool {
        true
    }

    /// With `checkout_id`: the checkout's hosted page
    /// `https://components.justifi.ai/hosted-checkout/{checkout_id}[?success_redirect_url=]`,
    /// once the checkout is read open. Without: seed 003's checkout session,
    /// `https://checkout.justifi.ai/r/{checkout_session_id}`, valid 24 h.
    fn redirect(&self, req: &Redirect) -> Result<RedirectPlan<'_>> {
        let Some(id) = &req.checkout_id else {
            return self.checkout_session(req);
        };
        if req.payment_intent_id.is_some() || req.amount.is_some() {
            return Err(Error::invalid_request(
                "checkout_id: give either checkout_id, or payment_intent_id or amount for a checkout session, not both",
            ));
        }
        if req.cancel_url.is_some() {
            return Err(Error::invalid_request(
                "cancel_url: JustiFi's hosted checkout page takes only success_url; a checkout session (no checkout_id) takes both",
            ));
        }
        refuse(
            req.idempotency_key.is_some(),
            "idempotency_key",
            "only for a checkout session made from an amount, which creates a payment intent",
        )?;
        Ok(RedirectPlan::CheckoutPage(id.clone()))
    }

    fn hosted_page(&self, checkout: Checkout, req: &Redirect) -> std::result::Result<RedirectUrl, Failure> {
        let mut url = endpoint(self.hosted_origin(HOSTED_CHECKOUT_ORIGIN), &["hosted-checkout", &checkout.id])?;
        if let Some(success) = &req.success_url {
            url.query_pairs_mut().append_pair("success_redirect_url", success);
        }
        Ok(RedirectUrl {
            url: url.into(),
            expires_at: checkout.expires_at,
            payment_intent_id: None,
            idempotency_key: None,
            provider_data: checkout.provider_data,
        })
    }

    /// `POST /v1/web_component_tokens` with the roles the checkout component needs (seed 001):
    /// `write:checkout:{checkout_id}` and `write:tokenize:{sub_account}`, under the key.
    fn web_component_token(
        &self,
        req: WebComponentTokenRequest,
        key: Option<&str>,
    ) -> Result<Exchange<'_, WebComponentToken>> {
        let resources =
            [format!("write:checkout:{}", req.checkout_id), format!("write:tokenize:{}", self.sub_account())];
        let key = key.unwrap_or_default().to_owned();
        let request = self
            .request(
                Method::Post,
                &["v1", "web_component_tokens"],
                Some(Body::json(&wire::WebComponentTokenBody { resources })),
            )
            .with_key(&key);
        Ok(Exchange::new(request, move |resp: WireResponse| {
            let t = serde_json::from_slice::<wire::WebComponentToken>(&resp.body)
                .map_err(|e| Fault::new("web component token", e))?;
            let html = format!(
                "<justifi-checkout auth-token=\"{}\" checkout-id=\"{}\"></justifi-checkout>",
                html_escape::encode_double_quoted_attribute(&t.access_token),
                html_escape::encode_double_quoted_attribute(&req.checkout_id),
            );
            Ok(WebComponentToken {
                expires_in: t.expires_in.unwrap_or(WEB_COMPONENT_TOKEN_LIFETIME_S),
                access_token: t.access_token,
                html,
                idempotency_key: key,
            })
        }))
    }

    /// The checkout's payment (`GET /v1/checkouts/{id}`, then `GET /v1/payments/{id}` of its
    /// `successful_payment_id`; `GetPayment` takes no `Sub-Account`) and its refunds. An unpaid
    /// checkout has none: paid 0.
    fn refunds(&self, checkout_id: String) -> Result<Exchange<'_, Refunds>> {
        let unpaid = |checkout: wire::CheckoutObject, raw: ProviderData| {
            Ok(Refunds {
                provider: PROVIDER,
                checkout_id: checkout.id,
                payment_id: None,
                currency: wire::currency(checkout.payment_currency.as_deref()),
                amount_paid: 0,
                amount_refunded: 0,
                amount_refundable: 0,
                refunds: Vec::new(),
                provider_data: raw,
            })
        };
        Ok(self.with_payment(&checkout_id, unpaid, move |checkout_id, payment_id| {
            Exchange::new(WireRequest::get(&["v1", "payments", &payment_id]), move |resp: WireResponse| {
                let (payment, raw): (wire::PaymentObject, _) = object(&resp.body, Envelope::DataWhenTyped, "payment")?;
                same_object(&payment_id, &payment.id)?;
                Ok(wire::refunds(&checkout_id, payment, raw)?)
            })
        }))
    }

    /// `POST /v1/checkouts/{id}/refunds {amount}` (`RefundCheckout`) under the key: retried
    /// with it, so a payment is refunded at most once per key. Its answer
    /// (`CheckoutRefund`): `succeeded`, or `failed` with `refund_response` (a result, as a
    /// decline is).
    fn refund(
        &self,
        req: RefundRequest,
        state: &Refunds,
        amount: u64,
        key: Option<&str>,
    ) -> Result<Exchange<'_, Refund>> {
        let key = key.unwrap_or_default().to_owned();
        let body = Body::json(&wire::RefundBody { amount });
        let request =
            self.request(Method::Post, &["v1", "checkouts", &req.checkout_id, "refunds"], Some(body)).with_key(&key);
        let (payment_id, currency, checkout_id) = (state.payment_id.clone(), state.currency.clone(), req.checkout_id);
        Ok(Exchange::new(request, move |resp: WireResponse| {
            let (r, raw): (wire::CheckoutRefundObject, _) =
                object(&resp.body, Envelope::DataWhenTyped, "checkout refund")?;
            let status = wire::refund_status(Some(&r.status), "checkout refund")?;
            Ok(Refund {
                provider: PROVIDER,
                id: r.id,
                checkout_id: r.checkout_id.unwrap_or(checkout_id),
                payment_id,
                amount: r.refund_amount.map_or(amount, |a| a.0),
                currency,
                status,
                reason: None,
                refund_error: (status == RefundStatus::Failed).then_some(PaymentError {
                    code: None,
                    message: r.refund_response,
                    decline_code: None,
                }),
                pending_reason: (status == RefundStatus::Pending).then(|| {
                    format!(
                        "JustiFi answered the refund pending: read checkout_refunds later, or call checkout_refund \
                         again with the same idempotency_key and amount {amount}"
                    )
                }),
                idempotency_key: Some(key),
                confirmed_by: None,
                created_at: r.created_at.as_deref().and_then(timestamp::rfc3339_utc),
                provider_data: raw,
            })
        }))
    }

    /// `POST /v1/payments/{id}/void` (`VoidPayment`: no body; card payments, "voidable within
    /// 25 minutes of the original transaction") of the checkout's payment, under the key. Too
    /// late is JustiFi's `payment_outside_void_window`, a conflict.
    fn void(&self, checkout_id: String, key: Option<&str>) -> Result<Exchange<'_, Void>> {
        let key = key.unwrap_or_default().to_owned();
        let unpaid = |checkout: wire::CheckoutObject, _raw: ProviderData| {
            Err(Error::new(
                Status::Conflict,
                format!("checkout_id: checkout {} is not paid: there is no payment to void", checkout.id),
            ))
        };
        Ok(self.with_payment(&checkout_id, unpaid, move |checkout_id, payment_id| {
            let request = WireRequest::post_without_body(&["v1", "payments", &payment_id, "void"]).with_key(&key);
            Exchange::new(request, move |resp: WireResponse| {
                let (payment, raw): (wire::PaymentObject, _) = object(&resp.body, Envelope::DataWhenTyped, "payment")?;
                if payment.id != payment_id {
                    return Err(
                        Fault::new("payment", format!("answered about {}, not {payment_id}", payment.id)).into()
                    );
                }
                Ok(Void {
                    provider: PROVIDER,
                    checkout_id,
                    payment_id,
                    status: "voided",
                    idempotency_key: Some(key),
                    provider_data: raw,
                })
            })
        }))
    }

    /// `JUSTIFI-SIGNATURE` = lowercase hex HMAC-SHA256(secret, `JUSTIFI-TIMESTAMP` + "." +
    /// body) (JustiFi docs *Webhooks*); the timestamp (Unix seconds or ISO 8601) within
    /// `webhook_tolerance_s` (default 24 h 5 min, the retry window) of now.
    fn verify_webhook(&self, headers: &Headers, body: &[u8], now: i64) -> Result<WebhookEvent> {
        let secrets = self.webhook.secrets()?;
        let timestamp = headers.require("JUSTIFI-TIMESTAMP")?;
        let sig = headers.require("JUSTIFI-SIGNATURE")?;
        let message: [&[u8]; 3] = [timestamp.as_bytes(), b".", body];
        if !secrets.iter().any(|secret| hmac_sha256_matches(secret, &message, sig)) {
            return Err(signature(
                "bad signature: JUSTIFI-SIGNATURE matches none of the webhook_secrets; \
                the body must be the raw bytes received, not re-serialized JSON, and webhook_secrets \
                the endpoint's signing secrets",
            ));
        }
        let signed_at = unix_seconds(timestamp)
            .ok_or_else(|| signature("JUSTIFI-TIMESTAMP is neither Unix seconds nor ISO 8601"))?;
        self.webhook.check_timestamp(signed_at, now, WEBHOOK_TOLERANCE_S)?;
        wire::event(body_json(body)?)
    }
}
