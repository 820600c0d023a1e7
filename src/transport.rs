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

use crate::config::ClientConfig;
use crate::error::{Error, Result, Status};
use once_cell::sync::Lazy;
use std::cell::Cell;
use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use ureq::tls::{parse_pem, Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use ureq::{Agent, Proxy, ProxyProtocol};

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("storefront-checkout/", env!("CARGO_PKG_VERSION"));

/// The largest response body read, in bytes, after decompression; a larger one is a
/// network error.
const MAX_RESPONSE_BYTES: u64 = 8 << 20;

/// Bytes of each connection's input buffer, which ureq allocates once per connection and
/// keeps while the connection lives (in flight or idle in a pool). ureq's default, 128 KiB
/// (and as much for the output), made most of the 149–172 MiB peak RSS growth at 1,000
/// calls in flight (BENCHMARKS.md, "Provider latency"). 16 KiB is plenty for provider
/// answers, whose bodies are read through it in pieces of up to this size (the 8 MiB bound,
/// [`MAX_RESPONSE_BYTES`], is on the body, not on this buffer).
const INPUT_BUFFER_BYTES: usize = 16 << 10;

/// Bytes of each connection's output buffer (ureq's default is 128 KiB, as for the input).
/// A request body goes out through it in pieces, so it bounds no body (a caller's request
/// is bounded by [`crate::fields::MAX_JSON_BYTES`]); ureq refuses a request only if one line
/// of its head (the request line or one header) does not fit, and ours are far below 16 KiB.
const OUTPUT_BUFFER_BYTES: usize = 16 << 10;

/// The largest response head (status line and headers) accepted; a larger one is a network
/// error. ureq parses the head from the input buffer, so a head must fit in
/// [`INPUT_BUFFER_BYTES`]: with a limit below the buffer's size, a longer head is refused by
/// this check (ureq's `LargeResponseHeader`) before the buffer is full, rather than ending
/// in ureq's "made no progress" once it is. The providers' published material gives no
/// head size: 12 KiB is what the 16 KiB buffer holds with room to spare, and the
/// sandbox's heads are a few hundred bytes.
const MAX_RESPONSE_HEAD_BYTES: usize = 12 << 10;

/// The deepest nesting of arrays and objects accepted in a provider's body. Requests are
/// bounded by serde_json's limit of 128 levels (127 nest; the 128th is refused); a result
/// wraps a provider's object at most 2 levels deeper than its answer did (a checkout
/// session's `provider_data.payment_intent`), so 125 keeps every result within the same
/// limit, for hosts that parse with serde_json as much as for Python's, PHP's and Node's.
pub(crate) const MAX_JSON_DEPTH: usize = 125;

/// Idle keep-alive connections kept per pool (ureq keeps 3 per host by default, so that a
/// pool shared by more threads would keep opening connections).
const MAX_IDLE_CONNECTIONS: usize = 64;

/// How long an idle keep-alive connection stays in a pool: ureq drops older ones whenever
/// their pool is used, and [`sweep`] closes a whole pool once none of its connections has
/// been used for this long, on the next call of any client. (Short in unit tests, so that
/// they can watch it happen without a long sleep.)
#[cfg(not(test))]
const MAX_IDLE_AGE: Duration = Duration::from_secs(15);
#[cfg(test)]
const MAX_IDLE_AGE: Duration = Duration::from_millis(300);

/// Pools kept when no client uses them any more, for the next client with the same settings
/// (a storefront making a client per web request frees each before making the next): beyond
/// this many, the least recently used is freed at once, closing its connections. The
/// process holds one pool per distinct setting among its live clients, plus at most these.
pub(crate) const MAX_UNUSED_POOLS: usize = 8;

/// The process's connection pools, one per distinct [`PoolKey`]. Clients with equal transport
/// settings share one pool, so that a storefront building a client per request (the PHP-FPM
/// habit) reuses the connections of the previous request. The lock is held to find or make a
/// pool when a client is made, and to [`sweep`]; never across I/O, and never while a pool's
/// connections are closed.
static POOLS: Lazy<Mutex<HashMap<PoolKey, Arc<Pool>>>> = Lazy::new(Default::default);

/// When [`sweep`] is next due, in nanoseconds after [`EPOCH`] (`u64::MAX`: no pool holds
/// an agent). Read on every request without a lock, so that a request takes the
/// process-wide lock only when some pool's connections are due to close.
static NEXT_SWEEP: AtomicU64 = AtomicU64::new(u64::MAX);

/// The origin of [`NEXT_SWEEP`]'s clock.
static EPOCH: Lazy<Instant> = Lazy::new(Instant::now);

fn since_epoch(t: Instant) -> u64 {
    u64::try_from(t.saturating_duration_since(*EPOCH).as_nanos()).unwrap_or(u64::MAX)
}

/// A pool of the process: its settings, and its ureq agent (the keep-alive connections and
/// the TLS session cache), made on first use and dropped once idle for [`MAX_IDLE_AGE`].
struct Pool {
    settings: PoolKey,
    state: Mutex<PoolState>,
}

#[derive(Default)]
struct PoolState {
    agent: Option<Built>,
    /// When its last request ended.
    last_used: Option<Instant>,
}

/// An agent, the process that built it, and that process's requests running on it.
struct Built {
    pid: u32,
    agent: Agent,
    in_flight: usize,
}

/// A request's hold on its pool's agent: the pool is not swept while one runs.
struct InUse<'a> {
    pool: &'a Pool,
    pid: u32,
    agent: Agent,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Pool {
    /// The agent for a request from this process, made if the pool has none (its first use,
    /// after a sweep, or the first in a forked child, which never touches the parent's
    /// sockets: they are leaked rather than dropped, so that no TLS close is sent on them).
    fn acquire(&self) -> InUse<'_> {
        let pid = std::process::id();
        let mut state = lock(&self.state);
        let agent = match &mut state.agent {
            Some(built) if built.pid == pid => {
                built.in_flight += 1;
                built.agent.clone()
            }
            slot => {
                std::mem::forget(slot.take());
                let agent = build_agent(&self.settings);
                *slot = Some(Built { pid, agent: agent.clone(), in_flight: 1 });
                agent
            }
        };
        InUse { pool: self, pid, agent }
    }
}

impl Drop for InUse<'_> {
    fn drop(&mut self) {
        let now = Instant::now();
        let mut state = lock(&self.pool.state);
        if let Some(built) = state.agent.as_mut().filter(|b| b.pid == self.pid) {
            built.in_flight -= 1;
        }
        state.last_used = Some(now);
        NEXT_SWEEP.fetch_min(since_epoch(now + MAX_IDLE_AGE), Ordering::Relaxed);
    }
}

/// [`sweep`], if a pool's connections are due to close.
fn sweep_if_due(now: Instant) {
    if since_epoch(now) >= NEXT_SWEEP.load(Ordering::Relaxed) {
        sweep(now, None);
    }
}

/// Closes what has outlived its use: the agent (every connection) of each pool idle for
/// [`MAX_IDLE_AGE`] with no request running, whichever client is calling; pools no client
/// uses once they hold no agent, and beyond [`MAX_UNUSED_POOLS`] the least recently used.
/// `freeing` is a pool whose client is being dropped, which counts as unused. A forked
/// child forgets its parent's agents without dropping them. Connections are closed after
/// the lock is released.
fn sweep(now: Instant, freeing: Option<&Arc<Pool>>) {
    let pid = std::process::id();
    let mut closing: Vec<Built> = Vec::new();
    let mut freed: Vec<Arc<Pool>> = Vec::new();
    {
        let mut pools = lock(&POOLS);
        let mut next = u64::MAX;
        let mut unused: Vec<(Option<Instant>, *const Pool)> = Vec::new();
        pools.retain(|_, pool| {
            let holders = Arc::strong_count(pool) - usize::from(freeing.is_some_and(|f| Arc::ptr_eq(f, pool)));
            let mut state = lock(&pool.state);
            if state.agent.as_ref().is_some_and(|b| b.pid != pid) {
                std::mem::forget(state.agent.take());
            }
            match &state.agent {
                Some(b) if b.in_flight > 0 => next = next.min(since_epoch(now + MAX_IDLE_AGE)),
                Some(_) => match state.last_used.map(|t| t + MAX_IDLE_AGE) {
                    Some(expiry) if expiry > now => next = next.min(since_epoch(expiry)),
                    _ => closing.extend(state.agent.take()),
                },
                None => {}
            }
            // The map holds one reference; clients hold the others.
            let used = holders > 1;
            if !used && state.agent.is_none() {
                return false;
            }
            if !used {
                unused.push((state.last_used, Arc::as_ptr(pool)));
            }
            true
        });
        if unused.len() > MAX_UNUSED_POOLS {
            unused.sort_unstable_by_key(|(last_used, _)| *last_used);
            let evicted: Vec<*const Pool> = unused[..unused.len() - MAX_UNUSED_POOLS].iter().map(|u| u.1).collect();
            pools.retain(|_, pool| {
                let keep = !evicted.contains(&Arc::as_ptr(pool));
                if !keep {
                    freed.push(pool.clone());
                }
                keep
            });
        }
        NEXT_SWEEP.store(next, Ordering::Relaxed);
    }
    drop(closing);
    drop(freed);
}

/// The longest `Retry-After` the transport waits for.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// The state of the library call running on this thread: the HTTP attempts it made, and its
/// deadline once its first request set it. A call runs on one thread from start to end (the
/// C export returns only when it is done), so a thread-local holds it without being shared;
/// it is not a "last error": nothing outlives the call.
#[derive(Clone, Copy, Default)]
struct CallState {
    /// The operation's C name (`checkout_complete`), for the log.
    operation: &'static str,
    attempts: u32,
    deadline: Option<Instant>,
    /// When the call's clock started, if before its first request: an asynchronous call's
    /// time waiting for an I/O thread counts against its `deadline_ms` (docs/contract.md §8).
    since: Option<Instant>,
}

thread_local! {
    static CALL: Cell<Option<CallState>> = const { Cell::new(None) };
}

/// Counts the attempts of one library call; restores the enclosing state when dropped.
pub struct CallScope {
    previous: Option<CallState>,
}

/// Starts counting the HTTP attempts of `operation` (its C name) on this thread.
pub fn begin_call(operation: &'static str) -> CallScope {
    let state = CallState { operation, ..CallState::default() };
    CallScope { previous: CALL.with(|c| c.replace(Some(state))) }
}

/// As [`begin_call`], for a call whose deadline runs from `since` (when it was queued)
/// rather than from its first request.
pub fn begin_call_since(operation: &'static str, since: Instant) -> CallScope {
    let state = CallState { operation, since: Some(since), ..CallState::default() };
    CallScope { previous: CALL.with(|c| c.replace(Some(state))) }
}

/// The running call's operation, for the log.
fn call_operation() -> &'static str {
    CALL.with(|c| c.get().map_or("", |s| s.operation))
}

impl CallScope {
    /// HTTP requests sent so far in this call, retries included.
    pub fn attempts(&self) -> u32 {
        CALL.with(|c| c.get().map_or(0, |s| s.attempts))
    }
}

impl Drop for CallScope {
    fn drop(&mut self) {
        CALL.with(|c| c.set(self.previous));
    }
}

/// The call's deadline (set by its first request to `now + budget`), and one attempt counted.
fn start_attempt(budget: Duration) -> Instant {
    CALL.with(|c| {
        let mut state = c.get().unwrap_or_default();
        let deadline = *state.deadline.get_or_insert_with(|| state.since.unwrap_or_else(Instant::now) + budget);
        state.attempts += 1;
        c.set(Some(state));
        deadline
    })
}

/// The deadline of the call running on this thread, starting its clock now if no request
/// has yet (`now + budget` outside a call).
fn deadline_from_now(budget: Duration) -> Instant {
    CALL.with(|c| match c.get() {
        Some(mut state) => {
            let deadline = *state.deadline.get_or_insert_with(|| state.since.unwrap_or_else(Instant::now) + budget);
            c.set(Some(state));
            deadline
        }
        None => Instant::now() + budget,
    })
}

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
    /// A JSON body, sent as `application/json`.
    pub body: Option<&'a str>,
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

/// A failed attempt, and whether the request surely never reached the server.
struct Failure {
    error: Box<Error>,
    unsent: bool,
}

/// The HTTP client of one `CheckoutClient`.
pub struct Transport {
    /// The process's pool for this client's settings, found (or made) when the client is
    /// made, so that a request neither hashes the settings (certificates included) nor takes
    /// the process-wide lock; holding it keeps the pool (not its idle connections) alive.
    pool: Arc<Pool>,
    max_retries: u32,
    deadline: Duration,
    /// Whether each attempt is logged to stderr (`log`).
    log: bool,
}

/// The transport settings a pool is built from: clients whose settings are equal share it.
#[derive(Clone, PartialEq, Eq, Hash)]
struct PoolKey {
    timeout: Duration,
    connect_timeout: Duration,
    /// The DER certificates of `ca_bundle_path`, or `None` for the webpki roots: two paths
    /// to the same certificates share a pool, a file changed between clients does not.
    roots: Option<Vec<Vec<u8>>>,
    /// The proxy every request goes through (but those to hosts its `NO_PROXY` list names).
    proxy: Option<ProxyRoute>,
}

/// A proxy and where it was configured, to name it in errors: its host and port only, never
/// its credentials.
#[derive(Clone, PartialEq, Eq, Hash)]
struct ProxyRoute {
    proxy: Proxy,
    /// ``"`proxy`"`` (the configuration key) or the environment variable it came from.
    source: &'static str,
}

impl ProxyRoute {
    /// The route for a request to `url`: `None` when it goes straight to the provider.
    fn for_url<'a>(route: Option<&'a ProxyRoute>, url: &str) -> Option<&'a ProxyRoute> {
        let uri = url.parse::<ureq::http::Uri>().ok()?;
        route.filter(|r| !r.proxy.is_no_proxy(&uri))
    }

    /// `the proxy 127.0.0.1:3128 (set by HTTPS_PROXY)`: no user name, no password.
    fn describe(&self) -> String {
        format!("the proxy {}:{} (set by {})", self.proxy.host(), self.proxy.port(), self.source)
    }
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
        Ok(Transport { pool, max_retries: config.max_retries, deadline: config.deadline, log: config.log })
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
            if self.log {
                log_attempt(req, &outcome, began.elapsed(), retries + 1);
            }
            let seen = match &outcome {
                Ok(r) => Outcome::Answered { status: r.status, retry_after: r.retry_after },
                Err(f) => Outcome::Failed { retryable: f.error.retryable, unsent: f.unsent },
            };
            match decide(seen, req.replay, retries, self.max_retries, backoff(retries)) {
                Decision::Retry(wait) if Instant::now() + wait < deadline => {
                    std::thread::sleep(wait);
                    retries += 1;
                }
                _ => return outcome.map_err(|f| Error { may_have_reached_provider: !f.unsent, ..*f.error }),
            }
        }
    }
}

impl Drop for Transport {
    /// Frees the client's hold on its pool: a pool no client uses is kept for the next
    /// client with the same settings until its connections idle out, and only the
    /// [`MAX_UNUSED_POOLS`] most recently used are kept.
    fn drop(&mut self) {
        sweep(Instant::now(), Some(&self.pool));
    }
}

/// One line of JSON on stderr for an attempt (the `log` configuration key): the operation, the
/// method and path, the status (or the error's code), the milliseconds, the attempt number,
/// the provider's request id and the idempotency key. Never a header value but the key, never
/// a body: no secret, token or card number can reach it.
fn log_attempt(req: &HttpRequest, outcome: &std::result::Result<HttpResponse, Failure>, took: Duration, attempt: u32) {
    let path = url::Url::parse(req.url).map(|u| u.path().to_owned()).unwrap_or_default();
    let key = req.headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("Idempotency-Key")).map(|(_, v)| *v);
    let (status, error, request_id) = match outcome {
        Ok(r) => (Some(r.status), None, r.request_id.as_deref()),
        Err(f) => (None, Some(f.error.status.name()), None),
    };
    let line = serde_json::json!({
        "storefront_checkout": "http_attempt",
        "operation": call_operation(),
        "method": match req.method { Method::Get => "GET", Method::Post => "POST" },
        "path": path,
        "status": status,
        "error": error,
        "ms": took.as_secs_f64() * 1000.0,
        "attempt": attempt,
        "request_id": request_id,
        "idempotency_key": key,
    });
    eprintln!("{line}");
}

/// An attempt's outcome, as the retry policy sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered `status`, with its `Retry-After` when it sent one.
    Answered { status: u16, retry_after: Option<Duration> },
    /// No answer: `retryable` for connection and timeout failures; `unsent` when the request
    /// surely never reached the server.
    Failed { retryable: bool, unsent: bool },
}

/// What the transport does after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send again after this wait (the caller still checks it against the deadline).
    Retry(Duration),
    Stop,
}

/// The retry policy (the module's rules), as a pure function: after an attempt with
/// `outcome`, of a request that may be replayed as `replay`, having retried `retries` of
/// `max_retries` times, with `backoff` the jittered wait for this retry: retry after the
/// longer of `backoff` and the server's `Retry-After` (up to [`MAX_RETRY_AFTER`]), or stop.
pub fn decide(outcome: Outcome, replay: Replay, retries: u32, max_retries: u32, backoff: Duration) -> Decision {
    let again = match outcome {
        Outcome::Answered { status, .. } => replay == Replay::Safe && matches!(status, 409 | 429 | 500..),
        Outcome::Failed { retryable, unsent } => retryable && (unsent || replay == Replay::Safe),
    };
    match outcome {
        _ if !again || retries >= max_retries => Decision::Stop,
        Outcome::Answered { retry_after: Some(after), .. } if after > MAX_RETRY_AFTER => Decision::Stop,
        Outcome::Answered { retry_after: Some(after), .. } => Decision::Retry(backoff.max(after)),
        _ => Decision::Retry(backoff),
    }
}

fn deadline_passed(budget: Duration) -> Error {
    Error::new(Status::Timeout, format!("the call's deadline of {} ms passed", budget.as_millis()))
}

/// The DER root certificates of a PEM file.
fn read_ca_bundle(path: &std::path::Path) -> Result<Vec<Vec<u8>>> {
    let pem = std::fs::read(path)
        .map_err(|e| Error::config(format!("ca_bundle_path: cannot read {} ({e})", path.display())))?;
    let certs: Vec<Vec<u8>> = parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c.der().to_vec()),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(Error::config(format!("ca_bundle_path: {} holds no PEM certificate", path.display())));
    }
    Ok(certs)
}

/// The proxy variables, in the order ureq 3 reads them (`Proxy::try_from_env`): the first
/// one set to an `http://` or `https://` proxy URL applies to every request, whatever its
/// scheme (ureq has no per-scheme proxies).
const PROXY_VARIABLES: [&str; 6] = ["ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"];

/// The proxy of the environment (`var` reads a variable), for a client configured without
/// `proxy`; ureq's own reading, with two differences:
/// - httpoxy (CVE-2016-5385): a CGI server turns a request's `Proxy:` header into
///   `HTTP_PROXY`, so when `REQUEST_METHOD` is set (a CGI child), `HTTP_PROXY` and
///   `http_proxy` are ignored (Go's `httpproxy` refuses them when `REQUEST_METHOD` is set,
///   failing the request; curl never reads uppercase `HTTP_PROXY`); the next variable applies.
/// - `socks*` URLs are skipped: this build of ureq has no SOCKS support (it would connect
///   directly, or panic).
///
/// `NO_PROXY` (else `no_proxy`) lists the hosts reached directly, split on commas, each entry
/// trimmed: `host` exactly, `.domain` or `*.domain` its subdomains, `*` every host (ureq's
/// `NoProxy` rules; no ports, no CIDR).
fn proxy_from_env(var: impl Fn(&str) -> Option<String>) -> Option<ProxyRoute> {
    let cgi = var("REQUEST_METHOD").is_some();
    let no_proxy = var("NO_PROXY").or_else(|| var("no_proxy")).unwrap_or_default();
    PROXY_VARIABLES.into_iter().filter(|name| !(cgi && name.eq_ignore_ascii_case("HTTP_PROXY"))).find_map(|name| {
        let parsed = Proxy::new(&var(name)?).ok()?;
        if !matches!(parsed.protocol(), ProxyProtocol::Http | ProxyProtocol::Https) {
            return None;
        }
        let mut builder = Proxy::builder(parsed.protocol()).host(parsed.host()).port(parsed.port());
        if let Some(user) = parsed.username() {
            builder = builder.username(user);
        }
        if let Some(password) = parsed.password() {
            builder = builder.password(password);
        }
        for entry in no_proxy.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            builder = builder.no_proxy(entry);
        }
        Some(ProxyRoute { proxy: builder.build().ok()?, source: name })
    })
}

/// An agent with a keep-alive pool (at most [`MAX_IDLE_CONNECTIONS`] idle, each for at most
/// [`MAX_IDLE_AGE`]) and 16 KiB buffers per connection ([`INPUT_BUFFER_BYTES`]): `timeout` bounds each attempt, `connect_timeout` its connection; rustls
/// with the webpki roots, or the configured CA bundle; the configured proxy. Redirects are
/// returned, never followed (an API answering 3xx is an error).
fn build_agent(settings: &PoolKey) -> Agent {
    let tls = match &settings.roots {
        Some(der) => {
            let certs: Vec<Certificate<'static>> = der.iter().map(|c| Certificate::from_der(c).to_owned()).collect();
            TlsConfig::builder().root_certs(RootCerts::new_with_certs(&certs)).build()
        }
        None => TlsConfig::default(),
    };
    let mut config = Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(settings.timeout))
        .timeout_connect(Some(settings.connect_timeout))
        .tls_config(tls)
        .user_agent(USER_AGENT)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .max_idle_connections(MAX_IDLE_CONNECTIONS)
        .max_idle_connections_per_host(MAX_IDLE_CONNECTIONS)
        .max_idle_age(MAX_IDLE_AGE)
        .input_buffer_size(INPUT_BUFFER_BYTES)
        .output_buffer_size(OUTPUT_BUFFER_BYTES)
        .max_response_header_size(MAX_RESPONSE_HEAD_BYTES);
    // Always set, so that ureq never reads the environment itself ([`proxy_from_env`] does).
    config = config.proxy(settings.proxy.as_ref().map(|route| route.proxy.clone()));
    Agent::with_parts(config.build(), DefaultConnector::new(), InlineResolver::default())
}

/// Resolves host names on the calling thread. ureq's default resolver spawns a thread to
/// bound a lookup by the timeout, and this library starts no threads (docs/contract.md §2: PHP-FPM
/// and koffi hosts own threading). A lookup is then bounded by the system resolver's own
/// timeouts rather than `timeout_ms`; pooled connections make lookups rare.
#[derive(Debug, Default)]
struct InlineResolver(DefaultResolver);

impl Resolver for InlineResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        self.0.resolve(uri, config, NextTimeout::default())
    }
}

/// The wait before retry `n` (0-based): `min(0.5 s · 2^n, 5 s)` times a factor in [0.5, 1).
pub fn backoff(n: u32) -> Duration {
    let base = Duration::from_millis(500).saturating_mul(1 << n.min(4)).min(Duration::from_secs(5));
    base.mul_f64(0.5 + jitter() * 0.5)
}

/// A random number in [0, 1) for jitter. The generator is seeded per use from a process-wide
/// counter and the clock, never from fastrand's thread-local one: that one calls
/// `std::thread::current()`, which registers a thread-exit destructor inside this library on
/// the host's thread, and a host whose threads outlive the loaded library (Node unloads it
/// before koffi's worker threads exit) then crashes at exit.
fn jitter() -> f64 {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::from(d.subsec_nanos()));
    fastrand::Rng::with_seed(SEQUENCE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) ^ nanos).f64()
}

/// One attempt; `shorter` is a timeout below the agent's own, when the call's deadline is near.
/// `via` is the proxy the request goes through, if any, to name it when it fails.
fn attempt(
    agent: &Agent,
    req: &HttpRequest,
    shorter: Option<Duration>,
    via: Option<&ProxyRoute>,
) -> std::result::Result<HttpResponse, Failure> {
    let method = match req.method {
        Method::Get => ureq::http::Method::GET,
        Method::Post => ureq::http::Method::POST,
    };
    let mut builder = ureq::http::Request::builder().method(method).uri(req.url).header("Accept", "application/json");
    for (k, v) in req.headers {
        builder = builder.header(*k, *v);
    }
    let sent = match req.body {
        Some(body) => run(agent, builder.header("Content-Type", "application/json").body(body), shorter),
        None => run(agent, builder.body(()), shorter),
    };
    let mut resp = sent.map_err(|e| classify(e, via))?;
    let status = resp.status().as_u16();
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let request_id = header("request-id");
    let retry_after = header("retry-after").and_then(|v| retry_after(&v, SystemTime::now()));
    let body = read_body(resp.body_mut(), via)?;
    Ok(HttpResponse { status, request_id, retry_after, body })
}

/// The response body, decompressed (ureq asks for gzip), bounded by [`MAX_RESPONSE_BYTES`]
/// after decompression: ureq's own limit counts the bytes on the wire, so a small gzip body
/// could inflate to gigabytes. A larger body, or one nesting JSON deeper than
/// [`MAX_JSON_DEPTH`], is a failure of an attempt that reached the server.
fn read_body(body: &mut ureq::Body, via: Option<&ProxyRoute>) -> std::result::Result<Vec<u8>, Failure> {
    use std::io::Read;
    let sent = |status, message: String| Failure { error: Box::new(Error::new(status, message)), unsent: false };
    // Room for the whole body at once where its length is known (and plausible), so that
    // reading it does not grow the buffer step by step.
    let expected = body.content_length().unwrap_or(0).min(MAX_RESPONSE_BYTES) as usize;
    let mut out = Vec::with_capacity(expected.max(4096));
    body.as_reader().take(MAX_RESPONSE_BYTES + 1).read_to_end(&mut out).map_err(|e| {
        // The reader wraps ureq's own errors (a timeout mid-body among them) in `io::Error`;
        // `From` unwraps them, so that a timeout is classified as one and not as I/O.
        let mut f = classify(ureq::Error::from(e), via);
        f.unsent = false;
        f
    })?;
    if out.len() as u64 > MAX_RESPONSE_BYTES {
        return Err(sent(Status::Network, format!("the provider's response exceeds {MAX_RESPONSE_BYTES} bytes")));
    }
    if !json_depth_within(&out, MAX_JSON_DEPTH) {
        let mut e = Error::new(
            Status::Provider,
            format!("the provider's response nests JSON deeper than {MAX_JSON_DEPTH} levels; it was not read"),
        );
        e.retryable = false;
        return Err(Failure { error: Box::new(e), unsent: false });
    }
    Ok(out)
}

/// Whether the JSON-ish `bytes` nest arrays and objects at most `max` deep (brackets inside
/// strings do not count). serde_json bounds the depth of what it parses into a tree, but not
/// of what it skips or keeps raw (`RawValue`), and a host language parsing the result again
/// would fail on it (Python's `RecursionError`): the bound holds for every body a provider
/// sends and every webhook body, as for every request.
pub fn json_depth_within(bytes: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // Skip the string: jump between quotes and backslashes (most of a JSON body).
                i += 1;
                loop {
                    match bytes.get(i..).and_then(|rest| memchr::memchr2(b'"', b'\\', rest)) {
                        Some(at) if bytes[i + at] == b'\\' => i += at + 2,
                        Some(at) => {
                            i += at;
                            break;
                        }
                        None => return true,
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    true
}

/// Sends a built request through `agent`, with `shorter` as its whole timeout when given.
fn run<S: ureq::AsSendBody>(
    agent: &Agent,
    request: std::result::Result<ureq::http::Request<S>, ureq::http::Error>,
    shorter: Option<Duration>,
) -> std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    let request = request?;
    let request = match shorter {
        Some(t) => agent.configure_request(request).timeout_global(Some(t)).build(),
        None => request,
    };
    agent.run(request)
}

/// A `Retry-After` value (RFC 9110 §10.2.3): delay seconds, or an HTTP-date, as a wait from
/// `now` (zero for a date already past).
fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value.trim()).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A failed attempt as the contract sees it, and whether it surely never reached the server:
/// nothing is sent before the connection (to the provider or through `via`, the proxy) is
/// made and its TLS handshake done, so a refused or failed connection, a proxy refusing the
/// tunnel and a failed handshake are never sent.
fn classify(e: ureq::Error, via: Option<&ProxyRoute>) -> Failure {
    use ureq::Error as U;
    use ureq::Timeout as T;
    let unsent = |status, message: String| Failure { error: Box::new(Error::new(status, message)), unsent: true };
    let maybe_sent = |status, message: String| Failure { error: Box::new(Error::new(status, message)), unsent: false };
    // What the connection is made to: the proxy when there is one, else the provider's host;
    // and who a TLS handshake was with (an https proxy makes one of its own first).
    let peer = via.map_or_else(|| "the provider's host".to_owned(), ProxyRoute::describe);
    let tls_peer = match via {
        Some(route) if route.proxy.protocol() == ProxyProtocol::Https => format!("{peer} or the provider"),
        _ => "the provider".to_owned(),
    };
    match e {
        U::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused => {
            unsent(Status::Network, format!("connection refused by {peer}"))
        }
        U::Io(io) if io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()).is_some_and(in_handshake) => {
            unsent(Status::Network, format!("TLS handshake with {tls_peer} failed: {io}"))
        }
        U::ConnectionFailed => unsent(Status::Network, format!("could not connect to {peer}")),
        U::HostNotFound => unsent(Status::Network, format!("the host name of {peer} did not resolve")),
        U::ConnectProxyFailed(reason) => {
            unsent(Status::Network, format!("{peer} refused the tunnel to the provider ({reason})"))
        }
        U::Timeout(which @ (T::Resolve | T::Connect)) => {
            unsent(Status::Timeout, format!("timed out connecting to {peer} ({which})"))
        }
        U::Timeout(which) => maybe_sent(Status::Timeout, format!("the provider did not answer in time ({which})")),
        U::Tls(_) | U::Pem(_) | U::Rustls(_) => {
            unsent(Status::Network, format!("TLS handshake with {tls_peer} failed: {e}"))
        }
        U::BadUri(_) | U::Http(_) => unsent(Status::Internal, format!("could not build the HTTP request: {e}")),
        other => maybe_sent(Status::Network, format!("the connection to the provider failed: {other}")),
    }
}

/// Whether a TLS error can only come from the handshake, before any request byte is sent
/// (rustls sends no application data before the handshake completes, and ureq completes it
/// when connecting): a certificate refused, no common protocol, a handshake alert. Errors
/// of an established session (a record that fails to decrypt, an alert mid-answer) may
/// follow a sent request.
fn in_handshake(e: &rustls::Error) -> bool {
    use rustls::AlertDescription as A;
    use rustls::Error as R;
    match e {
        R::InvalidCertificate(_)
        | R::NoCertificatesPresented
        | R::UnsupportedNameType
        | R::PeerIncompatible(_)
        | R::InappropriateHandshakeMessage { .. }
        | R::InvalidCertRevocationList(_)
        | R::InvalidEncryptedClientHello(_)
        | R::HandshakeNotComplete
        | R::NoApplicationProtocol => true,
        R::AlertReceived(alert) => matches!(
            alert,
            A::HandshakeFailure
                | A::BadCertificate
                | A::UnsupportedCertificate
                | A::CertificateRevoked
                | A::CertificateExpired
                | A::CertificateUnknown
                | A::UnknownCA
                | A::ProtocolVersion
                | A::InsufficientSecurity
                | A::CertificateRequired
                | A::UnrecognisedName
                | A::NoApplicationProtocol
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_depth_counts_brackets_outside_strings_only() {
        assert!(json_depth_within(br#"{"a": [1, {"b": 2}]}"#, 3));
        assert!(!json_depth_within(br#"{"a": [1, {"b": 2}]}"#, 2));
        let nested = format!("{}{}", "[".repeat(126), "]".repeat(126));
        assert!(json_depth_within(&nested.as_bytes()[1..nested.len() - 1], MAX_JSON_DEPTH));
        assert!(!json_depth_within(nested.as_bytes(), MAX_JSON_DEPTH));
        // Brackets in strings, escaped quotes and backslashes do not count or end a string.
        assert!(json_depth_within(br#"{"a": "[[[{{{", "b": "x\"[[[\\", "c": "\\\"{{"}"#, 1));
        assert!(!json_depth_within(br#"{"a": "\\", "b": [[]]}"#, 2), "the string ends at the quote after \\\\");
        // Truncated bodies end the scan without a panic.
        for cut in [r#"{"a": "x\"#, r#"{"a": "x"#, r#"{"a": "\"#] {
            assert!(json_depth_within(cut.as_bytes(), 1), "{cut}");
        }
    }

    #[test]
    fn the_environment_proxy_follows_ureq_but_for_httpoxy_and_socks() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
        };
        let chosen = |vars| proxy_from_env(env(vars)).map(|r| (r.source, r.proxy.host().to_owned(), r.proxy.port()));
        assert_eq!(chosen(&[]), None);
        assert_eq!(chosen(&[("HTTP_PROXY", "http://h:1")]), Some(("HTTP_PROXY", "h".to_owned(), 1)));
        assert_eq!(chosen(&[("http_proxy", "h:2")]), Some(("http_proxy", "h".to_owned(), 2)));
        // Under CGI, HTTP_PROXY may be a request's `Proxy:` header: ignored, either case.
        assert_eq!(chosen(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1")]), None);
        assert_eq!(chosen(&[("REQUEST_METHOD", ""), ("http_proxy", "http://evil:1")]), None);
        assert_eq!(
            chosen(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1"), ("HTTPS_PROXY", "http://ok:3")]),
            Some(("HTTPS_PROXY", "ok".to_owned(), 3))
        );
        // ureq's order: ALL_PROXY first; an empty or broken value is skipped, and so is SOCKS.
        assert_eq!(
            chosen(&[("ALL_PROXY", "http://all:4"), ("HTTPS_PROXY", "http://s:5")]),
            Some(("ALL_PROXY", "all".to_owned(), 4))
        );
        assert_eq!(
            chosen(&[("ALL_PROXY", ""), ("all_proxy", "socks5://s:6"), ("https_proxy", "https://t:7")]),
            Some(("https_proxy", "t".to_owned(), 7))
        );
        let route = proxy_from_env(env(&[
            ("HTTPS_PROXY", "http://user:p%40ss@h:8"),
            ("NO_PROXY", "localhost, .internal,*.corp"),
            ("no_proxy", "ignored"),
        ]))
        .unwrap();
        assert_eq!((route.proxy.username(), route.proxy.password()), (Some("user"), Some("p@ss")));
        for (url, direct) in [
            ("http://localhost:1/x", true),
            ("https://api.internal/x", true),
            ("https://a.corp/x", true),
            ("https://internal/x", false),
            ("https://ignored/x", false),
            ("https://api.justifi.ai/x", false),
        ] {
            assert_eq!(ProxyRoute::for_url(Some(&route), url).is_none(), direct, "{url}");
        }
        assert!(!route.describe().contains("user") && !route.describe().contains("p@ss"), "{}", route.describe());
    }

    /// A loopback HTTP/1.1 server answering every request `200 {}` on keep-alive
    /// connections, and the number of connections it holds open.
    fn counting_server() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = open.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                count.fetch_add(1, Ordering::SeqCst);
                let count = count.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    'requests: loop {
                        loop {
                            let mut line = String::new();
                            match reader.read_line(&mut line) {
                                Ok(0) | Err(_) => break 'requests,
                                Ok(_) if line == "\r\n" => break,
                                Ok(_) => {}
                            }
                        }
                        if stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}").is_err() {
                            break;
                        }
                    }
                    count.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        (url, open)
    }

    /// Whether `done` holds within 5 s (polled: the server sees a close a little after it).
    fn eventually(done: impl Fn() -> bool) -> bool {
        let until = Instant::now() + Duration::from_secs(5);
        while !done() {
            if Instant::now() > until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }

    #[test]
    fn pools_are_bounded_freed_and_closed_when_idle_whichever_pool_is_used_next() {
        let (url, open) = counting_server();
        let config = |timeout_ms: u64| ClientConfig {
            base_url: url.clone(),
            hosted_base_url: None,
            timeout: Duration::from_millis(timeout_ms),
            connect_timeout: Duration::from_secs(10),
            max_retries: 0,
            deadline: Duration::from_secs(60),
            ca_bundle_path: None,
            proxy: None,
            webhook_secrets: Vec::new(),
            webhook_tolerance_s: None,
            log: false,
        };
        let target = format!("{url}/v1/checkouts/cho_1");
        let get = HttpRequest {
            method: Method::Get,
            url: &target,
            headers: &[],
            body: None,
            replay: Replay::Safe,
            settles: false,
        };
        // 300 clients with distinct settings (hence pools), each freed after one request.
        const FIRST: u64 = 700_001;
        for timeout_ms in FIRST..FIRST + 300 {
            assert_eq!(Transport::new(&config(timeout_ms)).unwrap().send(&get).unwrap().status, 200);
        }
        assert!(
            eventually(|| open.load(Ordering::SeqCst) <= MAX_UNUSED_POOLS),
            "{} connections left open by 300 freed clients",
            open.load(Ordering::SeqCst)
        );
        let live = Transport::new(&config(800_001)).unwrap();
        live.send(&get).unwrap();
        std::thread::sleep(MAX_IDLE_AGE + Duration::from_millis(50));
        // Past the idle limit, a call through another pool closes every idle pool's
        // connections, the live client's too, and frees the pools no client uses.
        let other = Transport::new(&config(800_002)).unwrap();
        other.send(&get).unwrap();
        assert!(
            eventually(|| open.load(Ordering::SeqCst) == 1),
            "{} connections open; only the last call's should be",
            open.load(Ordering::SeqCst)
        );
        let mine = |k: &PoolKey| (FIRST..FIRST + 300).contains(&(k.timeout.as_millis() as u64));
        assert_eq!(lock(&POOLS).keys().filter(|k| mine(k)).count(), 0, "the freed clients' pools are gone");
        assert_eq!(live.send(&get).unwrap().status, 200, "the live client's pool makes a new connection");
        assert!(eventually(|| open.load(Ordering::SeqCst) == 2));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now), Some(Duration::from_secs(3)));
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn a_call_scope_counts_attempts_and_restores_the_outer_one() {
        let outer = begin_call("outer");
        start_attempt(Duration::from_secs(1));
        {
            let inner = begin_call("inner");
            start_attempt(Duration::from_secs(1));
            start_attempt(Duration::from_secs(1));
            assert_eq!(inner.attempts(), 2);
        }
        assert_eq!(outer.attempts(), 1);
    }

    #[test]
    fn the_retry_decision_table() {
        use Decision::{Retry, Stop};
        use Replay::{OnlyIfUnsent, Safe};
        let b = Duration::from_millis(300);
        let answered = |status| Outcome::Answered { status, retry_after: None };
        let after = |secs| Outcome::Answered { status: 429, retry_after: Some(Duration::from_secs(secs)) };
        let failed = |retryable, unsent| Outcome::Failed { retryable, unsent };
        let table = [
            // (outcome, replay, retries so far, expected)
            (answered(200), Safe, 0, Stop),
            (answered(400), Safe, 0, Stop),
            (answered(404), Safe, 0, Stop),
            (answered(409), Safe, 0, Retry(b)),
            (answered(429), Safe, 0, Retry(b)),
            (answered(500), Safe, 0, Retry(b)),
            (answered(503), Safe, 1, Retry(b)),
            (answered(503), Safe, 2, Stop),
            (answered(409), OnlyIfUnsent, 0, Stop),
            (answered(429), OnlyIfUnsent, 0, Stop),
            (answered(502), OnlyIfUnsent, 0, Stop),
            (after(2), Safe, 0, Retry(Duration::from_secs(2))),
            (after(0), Safe, 0, Retry(b)),
            (after(11), Safe, 0, Stop),
            (after(2), OnlyIfUnsent, 0, Stop),
            (failed(true, true), OnlyIfUnsent, 0, Retry(b)),
            (failed(true, false), OnlyIfUnsent, 0, Stop),
            (failed(true, false), Safe, 0, Retry(b)),
            (failed(false, true), Safe, 0, Stop),
            (failed(true, true), Safe, 2, Stop),
        ];
        for (outcome, replay, retries, expected) in table {
            assert_eq!(decide(outcome, replay, retries, 2, b), expected, "{outcome:?} {replay:?} after {retries}");
        }
    }

    #[test]
    fn backoff_doubles_up_to_five_seconds_with_jitter() {
        for _ in 0..100 {
            let b0 = backoff(0);
            assert!(b0 >= Duration::from_millis(250) && b0 < Duration::from_millis(500), "{b0:?}");
            let b1 = backoff(1);
            assert!(b1 >= Duration::from_millis(500) && b1 < Duration::from_millis(1000), "{b1:?}");
            let b9 = backoff(9);
            assert!(b9 >= Duration::from_millis(2500) && b9 < Duration::from_secs(5), "{b9:?}");
        }
    }
}
