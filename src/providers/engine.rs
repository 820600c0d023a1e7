//! The engine: runs every operation of every provider. A provider only translates
//! ([`super::Provider`]); the engine checks the request against the provider's allow-list,
//! mints idempotency keys, sends each [`WireRequest`] with the provider's credentials
//! (fetching and refreshing an OAuth token), turns non-2xx answers into the provider's
//! refusal, and owns what must hold whatever the provider:
//! - a payment whose outcome is unknown (no answer, a reset, a 5xx, 429, an unreadable answer,
//!   the same key still in flight) is settled by reading the checkout within the call's
//!   deadline, and never sent again where the provider has no idempotency keys;
//! - every answer names the object asked for (same-object check);
//! - every URL handed to a storefront to send a shopper to is absolute https (loopback http
//!   for a sandbox).

use super::exchange::{
    endpoint_at, Body, CheckoutRead, Exchange, Failure, IdempotencyKeys, Next, WireRequest, WireResponse,
};
use super::honours;
use super::{unsupported, Bearer, Endpoint, Provider, RedirectPlan};
use crate::error::{Error, Result, Status};
use crate::request::{
    CheckoutLookup, Complete, CreateCheckout, PaymentOf, Redirect, RefundRequest, WebComponentTokenRequest,
};
use crate::response::{
    same_object, Checkout, Completion, PaymentError, RedirectUrl, Refund, RefundStatus, Refunds, Void,
    WebComponentToken,
};
use crate::secret::Secret;
use crate::transport::HttpRequest;
use crate::webhook::{Headers, WebhookEvent};

/// A provider's translator and where its requests go. `Send + Sync`.
pub struct Engine {
    provider: Box<dyn Provider>,
    endpoint: Endpoint,
}

impl Engine {
    pub fn new(provider: Box<dyn Provider>, endpoint: Endpoint) -> Engine {
        Engine { provider, endpoint }
    }

    /// The client's log (docs/contract.md, "Logging").
    pub fn logger(&self) -> &crate::transport::Logger {
        self.endpoint.transport.logger()
    }

    /// The provider's name, as results and errors carry it.
    pub fn name(&self) -> &'static str {
        self.provider.name()
    }

    /// `checkout_create`: the checkout, with the idempotency key it was created under (where
    /// the provider has keys: the caller's, or a new UUID), which every error carries too.
    pub fn create(&self, req: CreateCheckout) -> Result<Checkout> {
        let p = &*self.provider;
        self.ready()?;
        p.honours().create.check(p.name(), "checkout_create", &req.given())?;
        let key = self.mint(req.idempotency_key.clone())?;
        let exchange = p.create(req, key.as_deref())?;
        let checkout = self.run(exchange, false).map_err(|f| with_key(self.error(f), key.as_deref()))?;
        Checkout { idempotency_key: key, ..checkout }.checked()
    }

    /// `checkout_get`: the checkout (or payment intent) asked for, never another.
    pub fn get(&self, lookup: CheckoutLookup) -> Result<Checkout> {
        let p = &*self.provider;
        self.ready()?;
        p.honours().get.check(p.name(), "checkout_get", &lookup.given())?;
        self.read(lookup)?.checkout.checked()
    }

    /// `checkout_complete`. The payment request is sent under the key (where the provider has
    /// keys), retried with it, and never sent again where the provider has none. An outcome
    /// left unknown is settled by reading the checkout ([`Engine::settle`]). Every error
    /// carries the key.
    pub fn complete(&self, req: Complete) -> Result<Completion> {
        let p = &*self.provider;
        self.ready()?;
        honours::check(p.honours().complete.as_ref(), p.name(), "checkout_complete", &req.given())?;
        let checkout_id = req.checkout_id.clone();
        let key = self.mint(req.idempotency_key.clone())?;
        let exchange = p.complete(req, key.as_deref())?;
        let completion = match self.run(exchange, true) {
            Ok(completion) => Ok(completion),
            Err(f) if ambiguous(&f) => self.settle(&checkout_id, key.as_deref(), self.error(f)),
            Err(Failure::Refused(r))
                if p.refusal_may_mean_closed()
                    && r.error.status != Status::Conflict
                    && r.error.http_status.is_some_and(|s| (400..500).contains(&s)) =>
            {
                Err(self.refused_because_closed(&checkout_id, r.error))
            }
            Err(f) => Err(self.error(f)),
        }
        .map_err(|e| with_key(e, key.as_deref()))?;
        same_object(&checkout_id, &completion.checkout_id)
            .map_err(|e| with_key(e, completion.idempotency_key.as_deref()))?;
        Ok(completion)
    }

    /// `session_redirect_url`: the hosted page of an open checkout, or a page the provider
    /// makes; its URL absolute https (loopback http for a sandbox).
    pub fn redirect_url(&self, req: Redirect) -> Result<RedirectUrl> {
        let p = &*self.provider;
        self.ready()?;
        p.honours().redirect.check(p.name(), "session_redirect_url", &req.given())?;
        let url = match p.redirect(&req)? {
            RedirectPlan::CheckoutPage(id) => {
                let checkout = self.read(CheckoutLookup::Checkout(id))?.checkout;
                checkout.require_open()?;
                p.hosted_page(checkout, &req).map_err(|f| self.error(f))?
            }
            RedirectPlan::Created { exchange, key } => {
                self.run(exchange, false).map_err(|f| with_key(self.error(f), key.as_deref()))?
            }
        };
        url.checked()
    }

    /// `checkout_web_component_token` (JustiFi), under an idempotency key every error carries.
    pub fn web_component_token(&self, req: WebComponentTokenRequest) -> Result<WebComponentToken> {
        self.ready()?;
        let key = self.mint(req.idempotency_key.clone())?;
        let exchange = self.provider.web_component_token(req, key.as_deref())?;
        self.run(exchange, false).map_err(|f| with_key(self.error(f), key.as_deref()))
    }

    /// `checkout_refunds`: the checkout's payment and its refunds, never another checkout's.
    pub fn refunds(&self, req: PaymentOf) -> Result<Refunds> {
        self.ready()?;
        if req.idempotency_key.is_some() {
            return Err(Error::invalid_request("idempotency_key: checkout_refunds only reads"));
        }
        self.refunds_of(&req.checkout_id)
    }

    /// `checkout_refund`: refunds `amount` (default: all that is still refundable, read first)
    /// of a paid checkout. The refund is sent under the key (where the provider has keys) and
    /// retried with it, never sent again where the provider has none; an outcome left unknown
    /// is settled by reading the refunds again ([`Engine::settle_refund`]). Refunding an
    /// unpaid or fully refunded checkout is `CHECKOUT_ERR_CONFLICT`, more than is refundable
    /// `CHECKOUT_ERR_INVALID_REQUEST`, both before anything is sent; with a caller's key the
    /// provider judges the amount, so that a call made again replays the first. Every error
    /// carries the key.
    pub fn refund(&self, req: RefundRequest) -> Result<Refund> {
        self.ready()?;
        let p = &*self.provider;
        let honoured =
            p.honours().refund.as_ref().ok_or_else(|| unsupported("checkout_refund", p.display_name(), "refund"))?;
        honoured.check(p.name(), "checkout_refund", &req.given())?;
        let checkout_id = req.checkout_id.clone();
        let caller_key = req.idempotency_key.is_some();
        let key = self.mint(req.idempotency_key.clone())?;
        let refund = (|| {
            let before = self.refunds_of(&checkout_id)?;
            if before.payment_id.is_none() {
                return Err(Error::new(
                    Status::Conflict,
                    format!("checkout_id: checkout {checkout_id} is not paid: there is nothing to refund"),
                ));
            }
            let amount = match req.amount {
                Some(amount) if amount > before.amount_refundable && !caller_key => {
                    return Err(Error::invalid_request(format!(
                        "amount: {amount} minor units is more than the {} still refundable of checkout {checkout_id}",
                        before.amount_refundable
                    )))
                }
                Some(amount) => amount,
                None if before.amount_refundable == 0 => {
                    return Err(Error::new(
                        Status::Conflict,
                        format!("checkout_id: checkout {checkout_id} is fully refunded"),
                    ))
                }
                None => before.amount_refundable,
            };
            let exchange = p.refund(req, &before, amount, key.as_deref())?;
            match self.run(exchange, true) {
                Ok(refund) => Ok(refund),
                Err(f) if ambiguous(&f) => self.settle_refund(&before, amount, key.as_deref(), self.error(f)),
                Err(f) => Err(self.error(f)),
            }
        })()
        .map_err(|e| with_key(e, key.as_deref()))?;
        same_object(&checkout_id, &refund.checkout_id).map_err(|e| with_key(e, key.as_deref()))?;
        Ok(refund)
    }

    /// `checkout_void`: cancels the paid checkout's payment before it settles (JustiFi: cards,
    /// within its void window), under a key every error carries.
    pub fn void(&self, req: PaymentOf) -> Result<Void> {
        self.ready()?;
        let p = &*self.provider;
        let honoured =
            p.honours().void.as_ref().ok_or_else(|| unsupported("checkout_void", p.display_name(), "void"))?;
        honoured.check(p.name(), "checkout_void", &req.given())?;
        let key = self.mint(req.idempotency_key.clone())?;
        let checkout_id = req.checkout_id.clone();
        let void = self
            .run(p.void(req.checkout_id, key.as_deref())?, false)
            .map_err(|f| with_key(self.error(f), key.as_deref()))?;
        same_object(&checkout_id, &void.checkout_id).map_err(|e| with_key(e, key.as_deref()))?;
        Ok(void)
    }

    /// `checkout_webhook_verify`: the provider's own verification (no request is sent).
    pub fn verify_webhook(&self, headers: &Headers, body: &[u8], now: i64) -> Result<WebhookEvent> {
        self.provider.verify_webhook(headers, body, now)
    }

    /// Refuses an operation that calls the provider on a verify-only client.
    fn ready(&self) -> Result<()> {
        self.provider.without_credentials().map_or(Ok(()), Err)
    }

    /// The caller's idempotency key or a new one, where the provider has keys.
    fn mint(&self, given: Option<String>) -> Result<Option<String>> {
        let keys: Option<IdempotencyKeys> = self.provider.keys();
        keys.map(|k| k.mint(self.provider.display_name(), given)).transpose()
    }

    /// A checkout read, refused when the answer is about another object than the one asked for.
    fn read(&self, lookup: CheckoutLookup) -> Result<CheckoutRead> {
        let asked = lookup.id().to_owned();
        let read = self.run(self.provider.get(lookup)?, false).map_err(|f| self.error(f))?;
        same_object(&asked, &read.checkout.id)?;
        Ok(read)
    }

    /// Sends an operation's requests and reads their answers until a result. `settles`: the
    /// first request is a payment whose failure is settled by a read, for which the transport
    /// leaves time before the call's deadline.
    fn run<T>(&self, exchange: Exchange<'_, T>, settles: bool) -> std::result::Result<T, Failure> {
        let mut exchange = exchange;
        let mut settles = settles;
        loop {
            let resp = self.send(&exchange.request, settles)?;
            settles = false;
            if !resp.is_success() {
                if let Some(result) = exchange.declines.take().and_then(|declines| declines(&resp)) {
                    return Ok(result);
                }
                return Err(Failure::Refused(self.provider.refusal(&resp)));
            }
            match (exchange.read)(resp)? {
                Next::Done(result) => return Ok(result),
                Next::Send(next) => exchange = next,
                Next::ReadCheckout(id, then) => {
                    let checkout = self.read(CheckoutLookup::Checkout(id)).ok().map(|r| r.checkout);
                    return Ok(then(checkout));
                }
            }
        }
    }

    /// Sends `req` with the provider's credentials; with a bearer token, a 401 refreshes the
    /// token once and sends again. A failed token fetch is [`Failure::Error`], never ambiguous:
    /// `req` was not sent, or was refused with a 401 and not processed.
    fn send(&self, req: &WireRequest, settles: bool) -> std::result::Result<WireResponse, Failure> {
        let bearer = self.provider.bearer();
        let mut refreshed = false;
        loop {
            let token = bearer.map(|b| self.token(b)).transpose().map_err(Failure::Error)?;
            let authorization = token.as_ref().map(|t| format!("Bearer {}", t.expose()));
            let mut headers = self.provider.credentials();
            headers.extend(authorization.as_deref().map(|a| ("Authorization", a)));
            let resp = self.transmit(req, headers, settles).map_err(Failure::Transport)?;
            if let (401, false, Some(b), Some(t)) = (resp.status, refreshed, bearer, &token) {
                b.slot().invalidate(t);
                refreshed = true;
                continue;
            }
            return Ok(resp);
        }
    }

    /// One logical request through the transport (which retries it as its [`Replay`] class
    /// allows): the credentials, then the request's own headers, then `Idempotency-Key`.
    ///
    /// [`Replay`]: crate::transport::Replay
    fn transmit<'a>(
        &self,
        req: &'a WireRequest,
        mut headers: Vec<(&'static str, &'a str)>,
        settles: bool,
    ) -> Result<WireResponse> {
        let segments: Vec<&str> = req.path.iter().map(String::as_str).collect();
        let url = endpoint_at(&self.endpoint.base, &segments)?;
        headers.extend(req.headers.iter().map(|(name, value)| (*name, value.as_str())));
        headers.extend(req.idempotency_key.as_deref().map(|k| ("Idempotency-Key", k)));
        let body = req.body.as_ref().map(Body::text);
        self.endpoint.transport.send(&HttpRequest {
            method: req.method,
            url: url.as_str(),
            headers: &headers,
            body: body.as_deref(),
            content_type: req.body.as_ref().map_or("application/json", Body::content_type),
            replay: req.replay,
            settles,
        })
    }

    /// The cached bearer token, or a new one. A token request refused with 400, 401 or 403 is
    /// `CHECKOUT_ERR_AUTHENTICATION`.
    fn token(&self, bearer: &dyn Bearer) -> Result<Secret> {
        bearer.slot().get_or_fetch(self.endpoint.transport.deadline(), || {
            let resp = self.transmit(&bearer.token_request(), Vec::new(), false)?;
            if !resp.is_success() {
                let mut e = self.provider.refusal(&resp).error;
                if matches!(resp.status, 400 | 401 | 403) {
                    e.status = Status::Authentication;
                    e.message = format!("{}: {}", bearer.refused(), e.message);
                }
                return Err(e);
            }
            bearer.read_token(&resp).map_err(|f| f.into_error(self.provider.display_name()))
        })
    }

    /// Settles a payment that ended ambiguously by reading the checkout within the call's
    /// deadline: paid is a succeeded completion confirmed by the read (`confirmed_by:
    /// "checkout_get"`); anything else is `pending`, with what to do next. When the read
    /// fails too, `failure` is returned, saying the payment may have gone through: retryable
    /// with the same key where the provider replays keys, else not (read before paying again).
    fn settle(&self, checkout_id: &str, key: Option<&str>, failure: Error) -> Result<Completion> {
        let display = self.provider.display_name();
        let Ok(read) = self.read(CheckoutLookup::Checkout(checkout_id.to_owned())) else {
            let mut e = failure;
            match key {
                Some(key) => {
                    e = e.with_idempotency_key(key);
                    e.retryable = true;
                    e.message.push_str(&format!(
                        "; the payment may have succeeded: call checkout_complete again with the same \
                         idempotency_key ({display} replays it, never charging twice), or read the checkout"
                    ));
                }
                None => {
                    e.retryable = false;
                    e.message.push_str(
                        "; the charge may have gone through: read the checkout (checkout_get) before charging again",
                    );
                }
            }
            return Err(e);
        };
        let reason = match key {
            Some(_) => format!(
                "the completion's outcome is unknown ({}) and checkout {checkout_id} is not completed yet: read it \
                 again later with checkout_get, or call checkout_complete again with the same idempotency_key, \
                 which {display} replays without charging twice",
                failure.message
            ),
            None => format!(
                "the charge's outcome is unknown ({}) and checkout {checkout_id} is not completed yet: read it \
                 again later with checkout_get before charging again ({display} has no idempotency keys)",
                failure.message
            ),
        };
        let settled =
            Completion::settled(read.checkout, read.completion_id, read.payment_id, key.map(str::to_owned), reason);
        self.logger().settled("checkout_get", checkout_id, &settled.payment_status, key);
        Ok(settled)
    }

    /// The refunds of a checkout, refused when the answer is about another checkout.
    fn refunds_of(&self, checkout_id: &str) -> Result<Refunds> {
        let refunds = self.run(self.provider.refunds(checkout_id.to_owned())?, false).map_err(|f| self.error(f))?;
        same_object(checkout_id, &refunds.checkout_id)?;
        Ok(refunds)
    }

    /// Settles a refund that ended ambiguously by reading the payment's refunds again within
    /// the call's deadline (`confirmed_by: "checkout_refunds"`). When exactly one refund of
    /// `amount` appeared since `before`, its own status is the answer (a `failed` one with its
    /// reason); else refunded by at least `amount` more than `before` is `succeeded`, and
    /// anything less `pending`, with what to do next. When the read fails too, `failure` is
    /// returned, saying the refund may have gone through: retryable with the same key where the
    /// provider replays keys, else not (read before refunding again). Another refund of the same
    /// payment made meanwhile by someone else would read as this one: the key, where there is
    /// one, is what keeps a second call from refunding twice. The `id` of a settled refund is
    /// the payment's refund (JustiFi `re_...`), as `checkout_refunds` lists it.
    fn settle_refund(&self, before: &Refunds, amount: u64, key: Option<&str>, failure: Error) -> Result<Refund> {
        let display = self.provider.display_name();
        let checkout_id = &before.checkout_id;
        let Ok(after) = self.refunds_of(checkout_id) else {
            let mut e = failure;
            e.retryable = key.is_some();
            e.message.push_str(&match key {
                Some(_) => format!(
                    "; the refund may have gone through: call checkout_refund again with the same idempotency_key \
                     and amount {amount} ({display} replays it, never refunding twice), or read checkout_refunds"
                ),
                None => "; the refund may have gone through: read checkout_refunds before refunding again".to_owned(),
            });
            return Err(e);
        };
        let new = after.refunds.iter().filter(|r| !before.refunds.iter().any(|b| b.id == r.id)).collect::<Vec<_>>();
        let this = match new.as_slice() {
            [only] if only.amount == amount => Some(*only),
            _ => None,
        };
        let landed = after.amount_refunded >= before.amount_refunded.saturating_add(amount);
        let status = match this {
            Some(r) => r.status,
            None if landed => RefundStatus::Succeeded,
            None => RefundStatus::Pending,
        };
        let pending_reason = (status == RefundStatus::Pending).then(|| match key {
            Some(_) => format!(
                "the refund's outcome is unknown ({}) and checkout {checkout_id}'s refunds do not show it done yet: \
                 read checkout_refunds later, or call checkout_refund again with the same idempotency_key and \
                 amount {amount}, which {display} replays without refunding twice",
                failure.message
            ),
            None => format!(
                "the refund's outcome is unknown ({}) and checkout {checkout_id}'s refunds do not show it done yet: \
                 read checkout_refunds later before refunding again ({display} has no idempotency keys)",
                failure.message
            ),
        });
        self.logger().settled("checkout_refunds", checkout_id, &status, key);
        Ok(Refund {
            provider: self.provider.name(),
            id: this.and_then(|r| r.id.clone()),
            checkout_id: checkout_id.clone(),
            payment_id: after.payment_id.clone(),
            amount,
            currency: after.currency.clone(),
            status,
            reason: this.and_then(|r| r.reason.clone()),
            refund_error: (status == RefundStatus::Failed).then(|| PaymentError {
                code: None,
                message: Some(format!("{display} lists this refund as failed")),
                decline_code: None,
            }),
            idempotency_key: key.map(str::to_owned),
            confirmed_by: Some("checkout_refunds"),
            pending_reason,
            created_at: this.and_then(|r| r.created_at.clone()),
            provider_data: after.provider_data,
        })
    }

    /// A payment refused with a 4xx, by a provider that publishes no code for paying a closed
    /// checkout: the checkout is read, and when it is no longer open the refusal is that
    /// conflict (`CHECKOUT_ERR_CONFLICT`, naming the checkout's state); otherwise, or when the
    /// read fails, `refusal` as it came.
    fn refused_because_closed(&self, checkout_id: &str, refusal: Error) -> Error {
        match self.read(CheckoutLookup::Checkout(checkout_id.to_owned())).map(|r| r.checkout.require_open()) {
            Ok(Err(closed)) => closed,
            _ => refusal,
        }
    }

    /// The contract's error for a failure.
    fn error(&self, failure: Failure) -> Error {
        match failure {
            Failure::Transport(e) | Failure::Error(e) => e,
            Failure::Refused(r) => r.error,
            Failure::Fault(f) => f.into_error(self.provider.display_name()),
        }
    }
}

/// Whether a payment's failure leaves its outcome unknown: the request may have reached the
/// provider (no answer in time, a reset), or the provider answered in a way that does not
/// tell (5xx; 429, as a provider may process a request and still answer it; an unreadable
/// answer; a request with the same key, or of the same checkout, still in flight).
fn ambiguous(failure: &Failure) -> bool {
    fn uncertain(e: &Error) -> bool {
        match e.status {
            Status::Network | Status::Timeout => e.may_have_reached_provider,
            Status::Provider => e.http_status.is_none_or(|s| s >= 500),
            Status::RateLimited => true,
            _ => false,
        }
    }
    match failure {
        Failure::Transport(e) => uncertain(e),
        Failure::Refused(r) => r.in_flight || uncertain(&r.error),
        Failure::Fault(_) => true,
        Failure::Error(_) => false,
    }
}

fn with_key(e: Error, key: Option<&str>) -> Error {
    match key {
        Some(key) => e.with_idempotency_key(key),
        None => e,
    }
}
