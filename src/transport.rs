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
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use ureq::tls::{parse_pem, Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use ureq::{Agent, Proxy};

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("storefront-checkout/", env!("CARGO_PKG_VERSION"));

/// The largest response body read, in bytes, after decompression; a larger one is a
/// network error.
const MAX_RESPONSE_BYTES: u64 = 8 << 20;

/// The deepest nesting of arrays and objects accepted in a provider's body. Requests are
/// bounded by serde_json's limit of 128 levels (127 nest; the 128th is refused); a result
/// wraps a provider's object at most 2 levels deeper than its answer did (a checkout
/// session's `provider_data.payment_intent`), so 125 keeps every result within the same
/// limit, for hosts that parse with serde_json as much as for Python's, PHP's and Node's.
pub(crate) const MAX_JSON_DEPTH: usize = 125;

/// Idle keep-alive connections kept per pool (ureq keeps 3 per host by default, so that a
/// pool shared by more threads would keep opening connections).
const MAX_IDLE_CONNECTIONS: usize = 64;

/// How long an idle keep-alive connection stays in a pool.
const MAX_IDLE_AGE: Duration = Duration::from_secs(15);

/// The process's connection pools, one per distinct [`PoolKey`], each with the process id it
/// was made in. Clients with equal transport settings share one pool, so that a storefront
/// building a client per request (the PHP-FPM habit) reuses the connections of the previous
/// request; dropping a client never closes them. The lock is held for a map lookup only,
/// never across I/O.
static POOLS: Lazy<Mutex<HashMap<PoolKey, (u32, Agent)>>> = Lazy::new(Default::default);

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
    /// Which of the process's pools this client sends through.
    pool: PoolKey,
    max_retries: u32,
    deadline: Duration,
    /// Whether each attempt is logged to stderr (`log`).
    log: bool,
    /// The pool this client last used and the pid it used it in: the per-request lookup,
    /// so that only a client's first request (or its first after `fork()`) hashes the
    /// settings, certificates included, and takes the process-wide lock.
    used: Mutex<Option<(u32, Agent)>>,
}

/// The transport settings a pool is built from: clients whose settings are equal share it.
#[derive(Clone, PartialEq, Eq, Hash)]
struct PoolKey {
    timeout: Duration,
    connect_timeout: Duration,
    /// The DER certificates of `ca_bundle_path`, or `None` for the webpki roots: two paths
    /// to the same certificates share a pool, a file changed between clients does not.
    roots: Option<Vec<Vec<u8>>>,
    /// The `proxy` URL, already checked by [`Proxy::new`].
    proxy: Option<String>,
}

impl Transport {
    /// The transport of a client; reads `ca_bundle_path` and parses `proxy` now, so that a bad
    /// one is a `CHECKOUT_ERR_CONFIG` at client creation.
    pub fn new(config: &ClientConfig) -> Result<Transport> {
        let roots = config.ca_bundle_path.as_deref().map(read_ca_bundle).transpose()?;
        if let Some(url) = &config.proxy {
            Proxy::new(url).map_err(|e| Error::config(format!("proxy: is not a proxy URL ({e})")))?;
        }
        let pool = PoolKey {
            timeout: config.timeout,
            connect_timeout: config.connect_timeout,
            roots,
            proxy: config.proxy.clone(),
        };
        Ok(Transport {
            pool,
            max_retries: config.max_retries,
            deadline: config.deadline,
            log: config.log,
            used: Mutex::new(None),
        })
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

    /// The process's pool for this client's settings, made on first use. After `fork()` the
    /// child makes its own, so it never writes to the parent's pooled sockets.
    fn agent(&self) -> Agent {
        let pid = std::process::id();
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        match &*used {
            Some((used_in, agent)) if *used_in == pid => agent.clone(),
            _ => {
                let agent = self.pool_agent(pid);
                *used = Some((pid, agent.clone()));
                agent
            }
        }
    }

    /// The process's pool for this client's settings in process `pid`, from the process-wide map.
    fn pool_agent(&self, pid: u32) -> Agent {
        let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
        match pools.get_mut(&self.pool) {
            Some((made_in, agent)) if *made_in == pid => agent.clone(),
            Some(entry) => {
                let inherited = std::mem::replace(entry, (pid, build_agent(&self.pool)));
                // Dropping the parent's pool here could send TLS close_notify on sockets the
                // parent still uses; leaking it once per fork is the safe choice.
                std::mem::forget(inherited);
                entry.1.clone()
            }
            None => pools.entry(self.pool.clone()).or_insert_with(|| (pid, build_agent(&self.pool))).1.clone(),
        }
    }

    /// Sends `req` under the retry policy. `Ok` is any HTTP answer (the last one, when
    /// retries ran out); `Err` is a network failure or timeout of the last attempt, or the
    /// call's deadline passing.
    pub fn send(&self, req: &HttpRequest) -> Result<HttpResponse> {
        let agent = self.agent();
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
            let outcome = attempt(&agent, req, (left < self.pool.timeout).then_some(left));
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

/// An agent with a keep-alive pool (at most [`MAX_IDLE_CONNECTIONS`] idle, each for at most
/// [`MAX_IDLE_AGE`]): `timeout` bounds each attempt, `connect_timeout` its connection; rustls
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
        .max_idle_age(MAX_IDLE_AGE);
    if let Some(url) = &settings.proxy {
        config = config.proxy(Proxy::new(url).ok());
    }
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
fn attempt(agent: &Agent, req: &HttpRequest, shorter: Option<Duration>) -> std::result::Result<HttpResponse, Failure> {
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
    let mut resp = sent.map_err(classify)?;
    let status = resp.status().as_u16();
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let request_id = header("request-id");
    let retry_after = header("retry-after").and_then(|v| retry_after(&v, SystemTime::now()));
    let body = read_body(resp.body_mut())?;
    Ok(HttpResponse { status, request_id, retry_after, body })
}

/// The response body, decompressed (ureq asks for gzip), bounded by [`MAX_RESPONSE_BYTES`]
/// after decompression: ureq's own limit counts the bytes on the wire, so a small gzip body
/// could inflate to gigabytes. A larger body, or one nesting JSON deeper than
/// [`MAX_JSON_DEPTH`], is a failure of an attempt that reached the server.
fn read_body(body: &mut ureq::Body) -> std::result::Result<Vec<u8>, Failure> {
    use std::io::Read;
    let sent = |status, message: String| Failure { error: Box::new(Error::new(status, message)), unsent: false };
    // Room for the whole body at once where its length is known (and plausible), so that
    // reading it does not grow the buffer step by step.
    let expected = body.content_length().unwrap_or(0).min(MAX_RESPONSE_BYTES) as usize;
    let mut out = Vec::with_capacity(expected.max(4096));
    body.as_reader().take(MAX_RESPONSE_BYTES + 1).read_to_end(&mut out).map_err(|e| {
        let mut f = classify(ureq::Error::Io(e));
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

fn classify(e: ureq::Error) -> Failure {
    use ureq::Error as U;
    use ureq::Timeout as T;
    let unsent = |status, message: String| Failure { error: Box::new(Error::new(status, message)), unsent: true };
    let maybe_sent = |status, message: String| Failure { error: Box::new(Error::new(status, message)), unsent: false };
    match e {
        U::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused => {
            unsent(Status::Network, "connection refused by the provider's host".into())
        }
        U::ConnectionFailed => unsent(Status::Network, "could not connect to the provider's host".into()),
        U::HostNotFound => unsent(Status::Network, "the provider's host name did not resolve".into()),
        U::Timeout(which @ (T::Resolve | T::Connect)) => {
            unsent(Status::Timeout, format!("timed out connecting to the provider ({which})"))
        }
        U::Timeout(which) => maybe_sent(Status::Timeout, format!("the provider did not answer in time ({which})")),
        U::Tls(_) | U::Pem(_) | U::Rustls(_) => {
            unsent(Status::Network, format!("TLS handshake with the provider failed: {e}"))
        }
        U::BadUri(_) | U::Http(_) => unsent(Status::Internal, format!("could not build the HTTP request: {e}")),
        other => maybe_sent(Status::Network, format!("the connection to the provider failed: {other}")),
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
