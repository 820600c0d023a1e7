//! JustiFi: API checkouts, the checkout web component, and hosted checkout (the current
//! hosted page of a checkout, and the legacy payment intent + checkout session flow).
//!
//! Wire facts: docs/providers.md §JustiFi; JustiFi's OpenAPI spec (`tests/fixtures/justifi-spec/justifi-openapi.yaml`) paths
//! `/oauth/token`, `/checkouts`, `/checkouts/{id}`, `/checkouts/{id}/complete`,
//! `/web_component_tokens`; the legacy specs (`tests/fixtures/justifi-spec/`) for `/payment_intents` and
//! `/checkout_sessions`; JustiFi docs *Idempotency* for `Idempotency-Key`.

pub(crate) mod wire;

use crate::config::{required_credential, required_header_credential};
use crate::error::{Error, Result, Status};
use crate::fields::Fields;
use crate::providers::{endpoint, json_body, provider_error, refuse, Connection, JsonRequest, Provider, Refusals};
use crate::request::{CheckoutLookup, Complete, CreateCheckout, Redirect, WebComponentTokenRequest};
use crate::response::{same_object, Checkout, Completion, ProviderData, RedirectUrl, WebComponentToken};
use crate::secret::Secret;
use crate::timestamp;
use crate::token_cache::{self, TokenSlot};
use crate::transport::{HttpResponse, Method, Replay};
use crate::webhook::{body_json, hmac_sha256_matches, signature, unix_seconds, Headers, WebhookEvent};
use serde_json::{json, Value};
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
const MAX_IDEMPOTENCY_KEY: usize = 100;
/// `CheckoutCompletion.payment_mode` in the spec (`components.schemas`): `ecom`, `bnpl`,
/// `card_present`.
const PAYMENT_MODES: [&str; 3] = ["ecom", "bnpl", "card_present"];

/// A JustiFi client: credentials, a sub account, and the shared access-token slot.
pub struct Justifi {
    conn: Connection,
    client_id: String,
    client_secret: Secret,
    sub_account: String,
    token: Arc<TokenSlot>,
}

impl Justifi {
    /// Reads `client_id`, `client_secret` and `sub_account` (or `JUSTIFI_CLIENT_ID`,
    /// `JUSTIFI_CLIENT_SECRET`, `JUSTIFI_SUB_ACCOUNT`) and the common keys.
    pub fn from_config(f: &mut Fields) -> Result<Justifi> {
        let conn = Connection::from_config(f, DEFAULT_BASE_URL, "JUSTIFI_BASE_URL")?;
        let client_id = required_credential(f, "client_id", "JUSTIFI_CLIENT_ID")?;
        let client_secret = Secret::new(required_credential(f, "client_secret", "JUSTIFI_CLIENT_SECRET")?);
        let sub_account = required_header_credential(f, "sub_account", "JUSTIFI_SUB_ACCOUNT")?;
        Ok(Justifi {
            token: token_cache::slot(&conn.base_url, &client_id, &client_secret),
            conn,
            client_id,
            client_secret,
            sub_account,
        })
    }

    fn access_token(&self) -> Result<Secret> {
        self.token.get_or_fetch(self.conn.transport.deadline(), || {
            let body = json_body(&wire::AccessTokenBody {
                client_id: &self.client_id,
                client_secret: self.client_secret.expose(),
            });
            let resp = JsonRequest::new(&self.conn.base, Method::Post, &["oauth", "token"], Some(&body), Replay::Safe)?
                .send(&self.conn.transport, &[])?;
            if !resp.is_success() {
                let mut e = self.error(&resp);
                if resp.status == 400 || resp.status == 401 || resp.status == 403 {
                    e.status = Status::Authentication;
                    e.message = format!("JustiFi refused client_id and client_secret: {}", e.message);
                }
                return Err(e);
            }
            let t: wire::AccessToken =
                serde_json::from_slice(&resp.body).map_err(|e| wire::undecodable("access token", e))?;
            let lifetime = t.expires_in.map(Duration::from_secs).unwrap_or(TOKEN_LIFETIME);
            let token = t.access_token.trim_start();
            if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(wire::undecodable(
                    "access token",
                    "access_token is empty or holds characters an Authorization header cannot carry",
                ));
            }
            Ok((Secret::new(token), lifetime))
        })
    }

    /// Sends an authenticated request; on 401 refreshes the token once and sends again.
    fn call(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&str>,
        idempotency_key: Option<&str>,
    ) -> Result<HttpResponse> {
        let sub_account = takes_sub_account(method, segments);
        self.send(self.request(method, segments, body, idempotency_key)?, idempotency_key, sub_account)
    }

    /// The request of [`Justifi::call`]: replayable when it is a GET or carries a key.
    fn request(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&str>,
        idempotency_key: Option<&str>,
    ) -> Result<JsonRequest> {
        let replay =
            if method == Method::Get || idempotency_key.is_some() { Replay::Safe } else { Replay::OnlyIfUnsent };
        JsonRequest::new(&self.conn.base, method, segments, body, replay)
    }

    /// Sends `request` with the bearer token, `Idempotency-Key` when given, and `Sub-Account`
    /// when `sub_account` (see [`takes_sub_account`]).
    fn send(&self, request: JsonRequest, idempotency_key: Option<&str>, sub_account: bool) -> Result<HttpResponse> {
        let mut refreshed = false;
        loop {
            let token = self.access_token()?;
            let bearer = format!("Bearer {}", token.expose());
            let mut headers = vec![("Authorization", bearer.as_str())];
            if sub_account {
                headers.push(("Sub-Account", self.sub_account.as_str()));
            }
            if let Some(key) = idempotency_key {
                headers.push(("Idempotency-Key", key));
            }
            let resp = request.send(&self.conn.transport, &headers)?;
            if resp.status == 401 && !refreshed {
                self.token.invalidate(&token);
                refreshed = true;
                continue;
            }
            return Ok(resp);
        }
    }

    /// A 2xx answer's object, typed, with the raw `provider_data`; or the error the answer
    /// stands for.
    fn data<T: serde::de::DeserializeOwned>(&self, resp: HttpResponse, what: &str) -> Result<(T, ProviderData)> {
        if resp.is_success() {
            wire::object(&resp.body, what)
        } else {
            Err(self.error(&resp))
        }
    }

    /// `GET /v1/checkouts/{id}`, typed and raw.
    fn read_checkout(&self, id: &str) -> Result<(wire::CheckoutObject, ProviderData)> {
        let resp = self.call(Method::Get, &["v1", "checkouts", id], None, None)?;
        let (object, raw): (wire::CheckoutObject, ProviderData) = self.data(resp, "checkout")?;
        same_object(id, &object.id)?;
        Ok((object, raw))
    }

    /// JustiFi's error answer → the contract's error, with its code, message and request id,
    /// classified by HTTP status and the codes of the docs' error table (*API description*,
    /// "Error Codes"): idempotency refusals are conflicts; 409 (a request with the key in
    /// flight), 429 and 5xx may succeed when called again.
    fn error(&self, resp: &HttpResponse) -> Error {
        let detail = ErrorDetail::parse(&resp.body);
        let settled = detail.code.as_deref() == Some("idempotency_params_mismatch");
        let status = match detail.code.as_deref() {
            Some("idempotency_request_in_progress" | "idempotency_concurrent_request") => Status::Conflict,
            _ if settled => Status::Conflict,
            _ => Status::from_http(resp.status),
        };
        let mut message = detail.message.clone().or_else(|| detail.code.clone());
        if detail.code.as_deref() == Some("checkout_invalid_currency") {
            message = message.map(|m| format!("currency: {m}"));
        }
        let mut e = provider_error(PROVIDER, resp, status, message, detail.code);
        e.retryable |= resp.status == 409 && !settled;
        e
    }

    /// Settles a completion that ended ambiguously by reading the checkout within the call's
    /// deadline: `completed` (with its `successful_payment_id`) is a succeeded completion
    /// confirmed by the read; anything else is `pending`. When the read fails too, `failure`
    /// is returned, saying the payment may have succeeded, with the key to call again with.
    fn settle(&self, checkout_id: &str, key: &str, failure: Error) -> Result<Completion> {
        let Ok((object, raw)) = self.read_checkout(checkout_id) else {
            let mut e = failure.with_idempotency_key(key);
            e.retryable = true;
            e.message.push_str(
                "; the payment may have succeeded: call checkout_complete again with the same idempotency_key \
                 (JustiFi replays it, never charging twice), or read the checkout",
            );
            return Err(e);
        };
        let (completion_id, payment_id) = object.paid_by();
        let checkout = Checkout::try_from((object, raw))?;
        let reason = format!(
            "the completion's outcome is unknown ({}) and checkout {checkout_id} is not completed yet: read it \
             again later with checkout_get, or call checkout_complete again with the same idempotency_key, \
             which JustiFi replays without charging twice",
            failure.message
        );
        Ok(Completion::settled(checkout, completion_id, payment_id, Some(key.to_owned()), reason))
    }

    /// A completion refused with a 4xx: JustiFi publishes no error code for completing a
    /// checkout that is already completed or expired, so the checkout is read, and when it is
    /// no longer open the refusal is that conflict (`CHECKOUT_ERR_CONFLICT`, naming the
    /// checkout's state); otherwise, or when the read fails, `refusal` as it came.
    fn refused_because_closed(&self, checkout_id: &str, refusal: Error) -> Error {
        match self.get(CheckoutLookup::Checkout(checkout_id.to_owned())).map(|c| c.require_open()) {
            Ok(Err(closed)) => closed,
            _ => refusal,
        }
    }

    fn hosted_origin<'a>(&'a self, default: &'a str) -> &'a str {
        self.conn.hosted_base_url.as_deref().unwrap_or(default)
    }

    /// The current hosted checkout page of an existing, open checkout.
    fn hosted_checkout_url(&self, checkout_id: &str, req: &Redirect) -> Result<RedirectUrl> {
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
        let checkout = self.get(CheckoutLookup::Checkout(checkout_id.to_owned()))?;
        checkout.require_open()?;
        let mut url = endpoint(self.hosted_origin(HOSTED_CHECKOUT_ORIGIN), &["hosted-checkout", checkout_id])?;
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

    /// Seed 003: a payment intent (made here unless given), then a checkout session.
    fn checkout_session_url(&self, req: Redirect) -> Result<RedirectUrl> {
        let after_payment_url = req.success_url.as_deref().ok_or_else(|| {
            Error::invalid_request("success_url: is required for a JustiFi checkout session (its after_payment_url)")
        })?;
        let (payment_intent_id, payment_intent, payment_intent_key) = match req.payment_intent_id {
            Some(id) => {
                if req.amount.is_some() {
                    return Err(Error::invalid_request("amount: give either payment_intent_id or amount, not both"));
                }
                refuse(
                    req.idempotency_key.is_some(),
                    "idempotency_key",
                    "only with amount, when a payment intent is created; this one exists",
                )?;
                (id, Value::Null, None)
            }
            None => {
                let amount = check_amount(req.amount.ok_or_else(|| {
                    Error::invalid_request("amount: is required without checkout_id or payment_intent_id")
                })?)?;
                let body = json_body(&wire::PaymentIntentBody {
                    amount,
                    currency: req.currency.as_deref().unwrap_or("usd"),
                    description: req.description.as_deref(),
                });
                let key = idempotency_key(req.idempotency_key.clone())?;
                let resp = self
                    .call(Method::Post, &["v1", "payment_intents"], Some(&body), Some(&key))
                    .map_err(|e| e.with_idempotency_key(&key))?;
                let (pi, raw): (wire::PaymentIntentObject, _) =
                    self.data(resp, "payment intent").map_err(|e| e.with_idempotency_key(&key))?;
                (pi.id, raw.to_value(), Some(key))
            }
        };
        let body = json_body(&wire::CheckoutSessionBody {
            payment_intent_id: &payment_intent_id,
            after_payment_url,
            back_url: req.cancel_url.as_deref(),
        });
        // A session of its own key: retried with it, but a session is only a page for the
        // payment intent, so a second one in a later call costs nothing.
        let session_key = idempotency_key(None)?;
        let resp = self.call(Method::Post, &["v1", "checkout_sessions"], Some(&body), Some(&session_key))?;
        let (session, raw): (wire::CheckoutSessionObject, _) = self.data(resp, "checkout session")?;
        let url = endpoint(self.hosted_origin(CHECKOUT_SESSION_ORIGIN), &["r", &session.checkout_session_id])?;
        Ok(RedirectUrl {
            url: url.into(),
            expires_at: timestamp::now_plus(SESSION_LIFETIME_S),
            payment_intent_id: Some(payment_intent_id),
            idempotency_key: payment_intent_key,
            provider_data: json!({"payment_intent": payment_intent, "checkout_session": raw.to_value()}).into(),
        })
    }
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

/// The caller's idempotency key, or a new UUID; JustiFi takes at most 100 characters.
fn idempotency_key(given: Option<String>) -> Result<String> {
    let key = given.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if key.len() > MAX_IDEMPOTENCY_KEY {
        return Err(Error::invalid_request(format!(
            "idempotency_key: JustiFi accepts at most {MAX_IDEMPOTENCY_KEY} characters"
        )));
    }
    Ok(key)
}

/// Whether a completion's failure leaves its outcome unknown: the request may have reached
/// JustiFi (no answer in time, a reset, the deadline after an attempt), or JustiFi answered
/// in a way that does not tell (5xx, 429, an unreadable 2xx, the key still in flight).
fn ambiguous(e: &Error) -> bool {
    match e.status {
        Status::Network | Status::Timeout => e.may_have_reached_provider,
        Status::Provider => e.http_status.is_none_or(|s| s >= 500),
        Status::RateLimited => true,
        Status::Conflict => {
            matches!(
                e.provider_code.as_deref(),
                Some("idempotency_request_in_progress" | "idempotency_concurrent_request")
            )
        }
        _ => false,
    }
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

/// The request fields JustiFi does not take (the spec's `/checkouts` request schema has no
/// return URLs, callback, email or recurrence; `/checkouts/{id}/complete` takes
/// `payment_mode`).
static REFUSALS: Refusals = Refusals {
    create: &[
        ("success_url", "return URLs belong to session_redirect_url"),
        ("cancel_url", "return URLs belong to session_redirect_url"),
        ("callback_url", "payments are reported by webhook (event publisher)"),
        ("email", "checkouts have no email; the web component collects it"),
        ("line_items[].subscription", "checkouts are one-time payments"),
    ],
    get: &[],
    complete: &[
        ("payment_processor", "it takes payment_mode instead"),
        ("payment_type", "it takes payment_mode instead"),
    ],
    redirect: &[],
};

impl Provider for Justifi {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn refusals(&self) -> &'static Refusals {
        &REFUSALS
    }

    /// `POST /v1/checkouts` (201) with an `Idempotency-Key` (the caller's, or a new UUID;
    /// JustiFi docs *Idempotency*: each request may carry one), retried with it and returned with
    /// the checkout. The amount (or line items' total) must be 50 to 100 000 000 cents;
    /// `description` (or the line items' names) is required. JustiFi takes the sub account's
    /// currency: a `currency` other than the checkout's is refused.
    fn create(&self, req: CreateCheckout) -> Result<Checkout> {
        let amount = check_amount(req.total()?)?;
        let description = match (&req.description, req.line_items.is_empty()) {
            (Some(d), _) => d.clone(),
            (None, false) => req.line_items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", "),
            (None, true) => return Err(Error::invalid_request("description: is required by JustiFi")),
        };
        let body = crate::providers::with_options(
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
        let key = idempotency_key(req.idempotency_key)?;
        let created = || {
            let resp = self.call(Method::Post, &["v1", "checkouts"], Some(&body), Some(&key))?;
            let answer: (wire::CheckoutObject, _) = self.data(resp, "checkout")?;
            Checkout::try_from(answer)
        };
        let checkout =
            Checkout { idempotency_key: Some(key.clone()), ..created().map_err(|e| e.with_idempotency_key(&key))? };
        // JustiFi refuses a mismatched currency itself (`checkout_invalid_currency`); this
        // check stays for an API that would ignore the field.
        match &req.currency {
            Some(c) if *c != checkout.currency => Err(Error::invalid_request(format!(
                "currency: this JustiFi sub account charges in {}, not {c}; checkout {} was created and will expire unused",
                checkout.currency, checkout.id
            ))),
            _ => Ok(checkout),
        }
    }

    /// `GET /v1/checkouts/{id}`, or `GET /v1/payment_intents/{id}` for the session flow.
    fn get(&self, req: CheckoutLookup) -> Result<Checkout> {
        match req {
            CheckoutLookup::Checkout(id) => Checkout::try_from(self.read_checkout(&id)?),
            CheckoutLookup::PaymentIntent(id) => {
                let resp = self.call(Method::Get, &["v1", "payment_intents", &id], None, None)?;
                let answer: (wire::PaymentIntentObject, _) = self.data(resp, "payment intent")?;
                same_object(&id, &answer.0.id)?;
                Checkout::try_from(answer)
            }
        }
    }

    /// `POST /v1/checkouts/{id}/complete` with `Idempotency-Key` (the caller's, or a new
    /// UUID): retried with the same key, so a shopper is charged at most once. A decline (a
    /// failed completion, or 402) is a result with `payment_status: failed`. Every error
    /// carries the key, to call again with.
    fn complete(&self, req: Complete) -> Result<Completion> {
        let mode = req.payment_mode.as_deref().unwrap_or("ecom");
        if !PAYMENT_MODES.contains(&mode) {
            return Err(Error::invalid_request(format!("payment_mode: must be one of {}", PAYMENT_MODES.join(", "))));
        }
        let key = idempotency_key(req.idempotency_key)?;
        let body = json_body(&wire::CompleteBody { payment_token: &req.payment_token, payment_mode: mode });
        let attempt = || {
            let segments = ["v1", "checkouts", &req.checkout_id, "complete"];
            let request = self.request(Method::Post, &segments, Some(&body), Some(&key))?.settled_by_read();
            let resp = self.send(request, Some(&key), takes_sub_account(Method::Post, &segments))?;
            if resp.status == 402 {
                return Ok(wire::declined(ErrorDetail::parse(&resp.body), &resp.body, &req.checkout_id, &key));
            }
            let (completion, raw) = self.data(resp, "checkout completion")?;
            wire::completion(completion, raw, &req.checkout_id, &key)
        };
        match attempt() {
            Err(e) if ambiguous(&e) => self.settle(&req.checkout_id, &key, e),
            Err(e) if e.status != Status::Conflict && e.http_status.is_some_and(|s| (400..500).contains(&s)) => {
                Err(self.refused_because_closed(&req.checkout_id, e).with_idempotency_key(&key))
            }
            outcome => outcome.map_err(|e| e.with_idempotency_key(&key)),
        }
    }

    /// With `checkout_id`: the checkout's hosted page
    /// `https://components.justifi.ai/hosted-checkout/{checkout_id}[?success_redirect_url=]`,
    /// after checking the checkout is open. Without: seed 003's checkout session,
    /// `https://checkout.justifi.ai/r/{checkout_session_id}`, valid 24 h.
    fn redirect_url(&self, req: Redirect) -> Result<RedirectUrl> {
        match req.checkout_id.clone() {
            Some(id) => self.hosted_checkout_url(&id, &req),
            None => self.checkout_session_url(req),
        }
    }

    /// `JUSTIFI-SIGNATURE` = lowercase hex HMAC-SHA256(secret, `JUSTIFI-TIMESTAMP` + "." +
    /// body) (JustiFi docs *Webhooks*); the timestamp (Unix seconds or ISO 8601) within
    /// `webhook_tolerance_s` (default 24 h 5 min, the retry window) of now.
    fn verify_webhook(&self, headers: &Headers, body: &[u8], now: i64) -> Result<WebhookEvent> {
        let secrets = self.conn.webhook.secrets()?;
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
        self.conn.webhook.check_timestamp(signed_at, now, WEBHOOK_TOLERANCE_S)?;
        wire::event(body_json(body)?)
    }

    /// `POST /v1/web_component_tokens` with the roles the checkout component needs (seed 001):
    /// `write:checkout:{checkout_id}` and `write:tokenize:{sub_account}`; under an
    /// `Idempotency-Key` (the caller's, or a new UUID), retried with it.
    fn web_component_token(&self, req: WebComponentTokenRequest) -> Result<WebComponentToken> {
        let resources = [format!("write:checkout:{}", req.checkout_id), format!("write:tokenize:{}", self.sub_account)];
        let body = json_body(&wire::WebComponentTokenBody { resources });
        let key = idempotency_key(req.idempotency_key)?;
        let token = || {
            let resp = self.call(Method::Post, &["v1", "web_component_tokens"], Some(&body), Some(&key))?;
            if !resp.is_success() {
                return Err(self.error(&resp));
            }
            serde_json::from_slice::<wire::WebComponentToken>(&resp.body)
                .map_err(|e| wire::undecodable("web component token", e))
        };
        let t = token().map_err(|e| e.with_idempotency_key(&key))?;
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
    }
}
