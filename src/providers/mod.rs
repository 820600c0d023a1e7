//! Payment providers behind the unified contract. A provider is a translator: for each
//! operation it builds the wire request from a unified request and reads the wire answer back
//! into a unified result ([`exchange`]), declares the fields it honours ([`honours`]) and how
//! it authenticates, and verifies its webhooks. It sends nothing: the [`engine`] does, and
//! owns what is common to every provider (credentials on the wire, failure classification,
//! settling ambiguous payments by reading back, same-object and redirect-URL checks).
//!
//! A new provider is one module here (its translator and its `wire` types) and one line in
//! [`from_config`].

pub mod decode;
pub mod engine;
pub mod exchange;
pub mod honours;
pub mod justifi;
pub mod payfect;
pub mod recharge;
#[cfg(test)]
mod tables;

use crate::config::{credential, ClientConfig};
use crate::error::{Error, Result, Status};
use crate::fields::Fields;
use crate::request::{CheckoutLookup, Complete, CreateCheckout, Redirect, RefundRequest, WebComponentTokenRequest};
use crate::response::{Checkout, Completion, RedirectUrl, Refund, Refunds, Void, WebComponentToken};
use crate::secret::Secret;
use crate::token_cache::TokenSlot;
use crate::transport::Transport;
use crate::webhook::{Headers, WebhookEvent, WebhookKeys};
use exchange::{CheckoutRead, Exchange, Failure, Fault, IdempotencyKeys, Refusal, WireRequest, WireResponse};
use honours::Honours;
use std::time::Duration;
use url::Url;

/// The translator of one provider: pure functions from unified requests to [`Exchange`]s
/// (a [`WireRequest`] and the reader of its answer), and the provider's facts the engine
/// needs. Built once per client; `Send + Sync`.
pub trait Provider: Send + Sync {
    /// The provider's name in results and errors (`justifi`).
    fn name(&self) -> &'static str;

    /// Its name in messages (`JustiFi`).
    fn display_name(&self) -> &'static str;

    /// The optional request fields it honours, per operation.
    fn honours(&self) -> &'static Honours;

    /// Headers that authenticate every request (an API key); empty with [`Provider::bearer`].
    fn credentials(&self) -> Vec<(&'static str, &str)>;

    /// An OAuth bearer token, when the provider authenticates so.
    fn bearer(&self) -> Option<&dyn Bearer> {
        None
    }

    /// Its idempotency keys, when it de-duplicates requests by `Idempotency-Key`.
    fn keys(&self) -> Option<IdempotencyKeys> {
        None
    }

    /// A non-2xx answer as the contract's error.
    fn refusal(&self, resp: &WireResponse) -> Refusal;

    /// `checkout_create`, under `key` when the provider has keys.
    fn create(&self, req: CreateCheckout, key: Option<&str>) -> Result<Exchange<'_, Checkout>>;

    /// `checkout_get`: the checkout (or payment intent) `lookup` names.
    fn get(&self, lookup: CheckoutLookup) -> Result<Exchange<'_, CheckoutRead>>;

    /// `checkout_complete`'s payment request, under `key` when the provider has keys.
    fn complete(&self, req: Complete, key: Option<&str>) -> Result<Exchange<'_, Completion>>;

    /// Whether a payment refused with a 4xx may mean the checkout is closed, though the
    /// provider publishes no code for it: the engine then reads the checkout and reports a
    /// closed one as `CHECKOUT_ERR_CONFLICT`.
    fn refusal_may_mean_closed(&self) -> bool {
        false
    }

    /// How `session_redirect_url` finds the page.
    fn redirect(&self, req: &Redirect) -> Result<RedirectPlan<'_>>;

    /// The hosted page of `checkout`, read and known to be open ([`RedirectPlan::CheckoutPage`]).
    fn hosted_page(&self, checkout: Checkout, req: &Redirect) -> std::result::Result<RedirectUrl, Failure>;

    /// `checkout_web_component_token` (JustiFi); others answer `CHECKOUT_ERR_UNSUPPORTED`.
    fn web_component_token(
        &self,
        _req: WebComponentTokenRequest,
        _key: Option<&str>,
    ) -> Result<Exchange<'_, WebComponentToken>> {
        Err(Error::new(
            Status::Unsupported,
            format!("{} has no web component; send the shopper to session_redirect_url instead", self.name()),
        ))
    }

    /// `checkout_refunds`: the checkout's payment, what was refunded of it and what is still
    /// refundable (a read of the checkout, then of its payment).
    fn refunds(&self, _checkout_id: String) -> Result<Exchange<'_, Refunds>> {
        Err(unsupported("checkout_refunds", self.display_name(), "refund"))
    }

    /// `checkout_refund`'s request for `amount` (minor units) of the payment `state` (read just
    /// before), under `key` when the provider has keys.
    fn refund(
        &self,
        _req: RefundRequest,
        _state: &Refunds,
        _amount: u64,
        _key: Option<&str>,
    ) -> Result<Exchange<'_, Refund>> {
        Err(unsupported("checkout_refund", self.display_name(), "refund"))
    }

    /// `checkout_void`: cancels the checkout's payment before it settles, under `key`.
    fn void(&self, _checkout_id: String, _key: Option<&str>) -> Result<Exchange<'_, Void>> {
        Err(unsupported("checkout_void", self.display_name(), "void"))
    }

    /// Verifies a webhook delivery (raw `body`, its `headers`) against the configured
    /// `webhook_secrets`, with timestamps judged against `now` (Unix seconds).
    fn verify_webhook(&self, headers: &Headers, body: &[u8], now: i64) -> Result<WebhookEvent>;

    /// The `CHECKOUT_ERR_CONFIG` of a verify-only client (made with `webhook_secrets` and no
    /// credentials) for any operation that calls the provider; `None` when it has credentials.
    fn without_credentials(&self) -> Option<Error>;
}

/// A credential a provider needs: its configuration key, the environment variable that may
/// give it instead, and whether it travels in an HTTP header (then printable ASCII only, so
/// that it can never break the header it goes in).
pub type CredentialKey = (&'static str, &'static str, bool);

/// A provider's credentials (docs/contract.md §5): all required, or none on a client given
/// `webhook_secrets` (a verify-only client: `None`). A missing one is `CHECKOUT_ERR_CONFIG`
/// `"<name>: is required (or set <ENV>)"`, the first in order.
pub fn credentials_or_verify_only<const N: usize>(
    f: &mut Fields,
    keys: &[CredentialKey; N],
    webhook: &WebhookKeys,
) -> Result<Option<[String; N]>> {
    let mut given: [Option<String>; N] = std::array::from_fn(|_| None);
    for (value, (name, env, _)) in given.iter_mut().zip(keys) {
        *value = credential(f, name, env)?;
    }
    if given.iter().all(Option::is_none) && webhook.secrets().is_ok() {
        return Ok(None);
    }
    for (value, (name, env, header)) in given.iter().zip(keys) {
        let value = value.as_deref().ok_or_else(|| f.error(name, &format!("is required (or set {env})")))?;
        if *header && !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(f.error(name, "must be printable ASCII (it travels in an HTTP header)"));
        }
    }
    Ok(Some(given.map(Option::unwrap_or_default)))
}

/// The error of an operation on a verify-only client, naming its first credential.
pub fn verify_only_error((name, env, _): CredentialKey) -> Error {
    Error::config(format!(
        "{name}: is required (or set {env}); this client was made with webhook_secrets only, so it verifies \
         webhooks and calls nothing"
    ))
}

/// `CHECKOUT_ERR_UNSUPPORTED` for an operation a provider publishes nothing for.
pub fn unsupported(operation: &str, provider: &str, what: &str) -> Error {
    Error::new(Status::Unsupported, format!("{operation}: {provider}'s published API has no {what}"))
}

/// How `session_redirect_url` gets its page.
pub enum RedirectPlan<'a> {
    /// The hosted page of an existing checkout: the engine reads the checkout, requires it
    /// open, then asks [`Provider::hosted_page`].
    CheckoutPage(String),
    /// A page the provider makes (JustiFi's checkout session), under `key`, which every error
    /// of the call carries.
    Created { exchange: Exchange<'a, RedirectUrl>, key: Option<String> },
}

/// An OAuth bearer token: fetched with [`Bearer::token_request`], cached in [`Bearer::slot`]
/// (shared by every client with the same credentials), refreshed once when the provider
/// answers 401.
pub trait Bearer {
    fn slot(&self) -> &TokenSlot;

    /// The token request (its body holds the client secret).
    fn token_request(&self) -> WireRequest;

    /// The token and its lifetime from the token request's 2xx answer.
    fn read_token(&self, resp: &WireResponse) -> std::result::Result<(Secret, Duration), Fault>;

    /// The message that begins a token request's refusal with 400, 401 or 403
    /// (`CHECKOUT_ERR_AUTHENTICATION`).
    fn refused(&self) -> &'static str;
}

/// The client's provider, named by the configuration's `provider` key and reading its own
/// keys from `f`, and where and how it is reached.
pub fn from_config(f: &mut Fields) -> Result<(Box<dyn Provider>, Endpoint)> {
    match f.required_string("provider")?.as_str() {
        "justifi" => justifi::Justifi::from_config(f).map(|(p, c)| (Box::new(p) as Box<dyn Provider>, c)),
        "recharge" => recharge::Recharge::from_config(f).map(|(p, c)| (Box::new(p) as Box<dyn Provider>, c)),
        "payfect" => payfect::Payfect::from_config(f).map(|(p, c)| (Box::new(p) as Box<dyn Provider>, c)),
        _ => Err(f.error("provider", "must be one of justifi, recharge, payfect")),
    }
}

/// Where the engine sends a provider's requests: the API origin, parsed once (every request's
/// URL is built from it), and the transport.
pub struct Endpoint {
    pub base: Url,
    pub transport: Transport,
}

/// The common configuration keys as read: the API origin and the transport (the engine's
/// [`Endpoint`]), the hosted pages' origin when overridden and the webhook keys (the
/// provider's).
pub struct Connection {
    pub base_url: String,
    pub base: Url,
    pub hosted_base_url: Option<String>,
    pub transport: Transport,
    pub webhook: WebhookKeys,
}

impl Connection {
    /// Reads the common keys (docs/contract.md §5), with `default_base_url` the provider's
    /// production origin and `base_url_env` the variable that may give another; a bad
    /// `ca_bundle_path` or `proxy` is `CHECKOUT_ERR_CONFIG` here.
    pub fn from_config(f: &mut Fields, default_base_url: &str, base_url_env: &str) -> Result<Connection> {
        let common = ClientConfig::read(f, default_base_url, base_url_env)?;
        Ok(Connection {
            webhook: WebhookKeys::from_config(&common),
            transport: Transport::new(&common)?,
            base: exchange::parse_origin(&common.base_url)?,
            base_url: common.base_url,
            hosted_base_url: common.hosted_base_url,
        })
    }

    /// The engine's part.
    pub fn endpoint(self) -> Endpoint {
        Endpoint { base: self.base, transport: self.transport }
    }
}
