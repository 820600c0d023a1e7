//! HTTP transport policy: one keep-alive connection pool per process and transport settings,
//! per-attempt deadlines, and the one place that decides what may be sent again (the Stripe
//! SDKs' rules, STYLE.md).
//!
//! The transport knows nothing of providers except whether a request may be replayed:
//! - [`Replay::Safe`] (a GET, or a POST carrying an `Idempotency-Key` that the provider
//!   de-duplicates): retried on connect errors, timeouts, resets, 409 (a request with the
//!   same key is in flight), 429 and 5xx.
//! - [`Replay::OnlyIfUnsent`] (any other POST): retried only when nothing reached the
//!   server: the connection was refused or never established. A reset, timeout, 429 or 5xx
//!   after sending is returned to the caller, because the server may have acted on it (a
//!   provider may process a request and still answer 429).
//!
//! Up to `max_retries` further attempts, waiting `min(0.5 s · 2^n, 5 s)` scaled by a random
//! factor in [0.5, 1) between them, or the server's `Retry-After` (seconds or HTTP-date) when
//! longer, up to 10 s; a longer `Retry-After` is not waited for. Every attempt, and every
//! wait, must end by the call's deadline (`deadline_ms`, counted from its first request):
//! each attempt's timeout is the smaller of `timeout_ms` and the time left.
//!
//! This module owns the request and answer types and [`Transport::send`], the loop that
//! applies the policy; its parts live in submodules:
//! - `call`: the state of the library call running on a thread (its attempts and deadline);
//! - `pools`: the process's connection pools, shared by clients with equal settings, and
//!   their sweeping;
//! - `settings`: the settings a pool's agent is built from (TLS roots, proxy, buffers);
//! - `attempt`: one HTTP attempt, its body read within bounds, and what its failure means;
//! - `retry`: the retry policy as a pure function, the backoff and `Retry-After`;
//! - `log`: the client's log records (each attempt's, settled outcomes, failed operations),
//!   to the host's callback and to stderr;
//! - `json_depth`: the nesting bound on provider and webhook bodies.

mod attempt;
mod call;
mod json_depth;
mod log;
mod pools;
mod retry;
mod settings;

pub use call::{begin_call, begin_call_since};
pub use json_depth::json_depth_within;
pub(crate) use json_depth::MAX_JSON_DEPTH;
pub use log::{LogCallback, Logger};

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use attempt::attempt;
use call::{deadline_from_now, deadline_passed, start_attempt};
use pools::{lock, sweep, sweep_if_due, Pool, PoolKey, PoolState, POOLS};
use retry::{backoff, decide, Decision, Outcome};
use settings::{proxy_from_env, read_ca_bundle, ProxyRoute};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ureq::{Proxy, ProxyProtocol};

/// Whether a request may be sent again after it may have reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replay {
    /// The server de-duplicates it (GET, or an idempotency key): retry any transient failure.
    Safe,
    /// Retry only when it is certain the server did not act on it.
    OnlyIfUnsent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// One logical request; every attempt sends it unchanged.
pub struct HttpRequest<'a> {
    pub method: Method,
    /// The absolute URL, path segments already percent-encoded.
    pub url: &'a str,
    /// Extra headers (`Authorization`, `Idempotency-Key`, ...). Values are validated by the
    /// request layer; a value ureq refuses is an internal error, never sent.
    pub headers: &'a [(&'static str, &'a str)],
    /// The body, sent with `content_type`.
    pub body: Option<&'a str>,
    /// `application/json`, or `application/x-www-form-urlencoded` for a form.
    pub content_type: &'static str,
    pub replay: Replay,
    /// A payment call whose failure the caller settles by reading the checkout: its
    /// attempts and waits end [`Transport::settle_reserve`] before the call's deadline, so
    /// that the read still fits within it.
    pub settles: bool,
}

/// The provider's answer, whatever its status.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    /// The `request-id` response header, for support requests.
    pub request_id: Option<String>,
    /// The `Retry-After` header, in seconds or as an HTTP-date, as a wait from now.
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The HTTP client of one `CheckoutClient`.
pub struct Transport {
    /// The process's pool for this client's settings, found (or made) when the client is
    /// made, so that a request neither hashes the settings (certificates included) nor takes
    /// the process-wide lock; holding it keeps the pool (not its idle connections) alive.
    pool: Arc<Pool>,
    max_retries: u32,
    deadline: Duration,
    /// The client's log: each attempt's record, to the host's callback and to stderr (`log`).
    log: Logger,
}

impl Transport {
    /// The transport of a client; reads `ca_bundle_path` and parses `proxy` now, so that a bad
    /// one is a `CHECKOUT_ERR_CONFIG` at client creation.
    pub fn new(config: &ClientConfig) -> Result<Transport> {
        let roots = config.ca_bundle_path.as_deref().map(read_ca_bundle).transpose()?;
        let proxy = match &config.proxy {
            Some(url) => {
                let proxy = Proxy::new(url).map_err(|e| Error::config(format!("proxy: is not a proxy URL ({e})")))?;
                if !matches!(proxy.protocol(), ProxyProtocol::Http | ProxyProtocol::Https) {
                    // This build of ureq has no SOCKS support: it panics on the first request.
                    return Err(Error::config("proxy: only http:// and https:// proxies are supported"));
                }
                Some(ProxyRoute { proxy, source: "`proxy`" })
            }
            None => proxy_from_env(|name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())),
        };
        let settings = PoolKey { timeout: config.timeout, connect_timeout: config.connect_timeout, roots, proxy };
        let pool = lock(&POOLS)
            .entry(settings)
            .or_insert_with_key(|settings| {
                Arc::new(Pool { settings: settings.clone(), state: Mutex::new(PoolState::default()) })
            })
            .clone();
        sweep_if_due(Instant::now());
        Ok(Transport { pool, max_retries: config.max_retries, deadline: config.deadline, log: Logger::new(config.log) })
    }

    /// The client's log, for the records of settled outcomes and failed operations.
    pub fn logger(&self) -> &Logger {
        &self.log
    }

    /// The running call's deadline (`deadline_ms` from its first request, or from now when
    /// it has sent none yet): how long the call may wait for anything, a token fetched by
    /// another thread included.
    pub fn deadline(&self) -> Instant {
        deadline_from_now(self.deadline)
    }

    /// The part of the call's deadline a settling payment call leaves for reading the
    /// checkout afterwards: a quarter of `deadline_ms`, at most 10 s.
    pub fn settle_reserve(&self) -> Duration {
        (self.deadline / 4).min(Duration::from_secs(10))
    }

    /// Sends `req` under the retry policy. `Ok` is any HTTP answer (the last one, when
    /// retries ran out); `Err` is a network failure or timeout of the last attempt, or the
    /// call's deadline passing.
    pub fn send(&self, req: &HttpRequest) -> Result<HttpResponse> {
        sweep_if_due(Instant::now());
        let in_use = self.pool.acquire();
        let agent = &in_use.agent;
        let reserve = if req.settles { self.settle_reserve() } else { Duration::ZERO };
        let before = |deadline: Instant| deadline.checked_sub(reserve).unwrap_or(deadline);
        let mut retries = 0;
        loop {
            let now = Instant::now();
            let left = before(deadline_from_now(self.deadline)).saturating_duration_since(now);
            if left.is_zero() {
                return Err(Error { may_have_reached_provider: retries > 0, ..deadline_passed(self.deadline) });
            }
            let deadline = before(start_attempt(self.deadline));
            let left = deadline.saturating_duration_since(Instant::now());
            let began = Instant::now();
            let via = ProxyRoute::for_url(self.pool.settings.proxy.as_ref(), req.url);
            let outcome = attempt(agent, req, (left < self.pool.settings.timeout).then_some(left), via);
            let took = began.elapsed();
            let seen = match &outcome {
                Ok(r) => Outcome::Answered { status: r.status, retry_after: r.retry_after },
                Err(f) => Outcome::Failed { retryable: f.error.retryable, unsent: f.unsent },
            };
            let retry = match decide(seen, req.replay, retries, self.max_retries, backoff(retries)) {
                Decision::Retry(wait) if Instant::now() + wait < deadline => Some(wait),
                _ => None,
            };
            self.log.attempt(req, &outcome, took, retries + 1, retry);
            match retry {
                Some(wait) => {
                    std::thread::sleep(wait);
                    retries += 1;
                }
                None => return outcome.map_err(|f| Error { may_have_reached_provider: !f.unsent, ..*f.error }),
            }
        }
    }
}

impl Drop for Transport {
    /// Frees the client's hold on its pool: a pool no client uses is kept for the next
    /// client with the same settings until its connections idle out, and only the
    /// [`MAX_UNUSED_POOLS`](pools::MAX_UNUSED_POOLS) most recently used are kept.
    fn drop(&mut self) {
        sweep(Instant::now(), Some(&self.pool));
    }
}
