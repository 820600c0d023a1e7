//! checkout-sandbox: a faithful local emulator of the payment providers' APIs, so that
//! storefront-checkout's quickstart and tests run offline with no credentials.
//!
//! JustiFi routes follow JustiFi's OpenAPI spec (`tests/fixtures/justifi-spec/justifi-openapi.yaml`) and the legacy specs
//! (envelopes, `201`s, id prefixes, error bodies, the checkout lifecycle, idempotency, bearer
//! checks); ReCharge's and Payfect's follow docs/providers.md and the sources it lists. Inspection routes
//! under `/__sandbox/` let tests assert exactly-once behaviour and inject faults.
//!
//! Start it in-process with [`Sandbox::start`] (127.0.0.1, port 0), or run the binary
//! `checkout-sandbox --port N`.

mod admin;
mod bounded;
mod component;
mod exchanges;
mod faults;
mod idempotency;
mod justifi;
mod justifi_refunds;
mod pages;
mod payfect;
mod recharge;
mod state;
mod tls;
mod webhooks;

use axum::serve::ListenerExt;
use axum::Router;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;

/// The JustiFi client id the sandbox accepts by default.
pub const TEST_CLIENT_ID: &str = "test_sandbox_client_id";
/// The JustiFi client secret the sandbox accepts by default.
pub const TEST_CLIENT_SECRET: &str = "test_sandbox_client_secret";
/// The JustiFi sub account the sandbox knows by default (seed 000's).
pub const TEST_SUB_ACCOUNT: &str = "acc_5Et9iXrSSAZR2KSouQGAWi";
/// The ReCharge API token the sandbox accepts by default.
pub const TEST_RECHARGE_TOKEN: &str = "test_recharge_token";
/// The Payfect API key the sandbox accepts by default.
pub const TEST_PAYFECT_KEY: &str = "test_payfect_key";

/// The sandbox's behaviour.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Accepted JustiFi `(client_id, client_secret)` pairs.
    pub justifi_clients: Vec<(String, String)>,
    /// Known JustiFi sub accounts (`Sub-Account` header values).
    pub justifi_sub_accounts: Vec<String>,
    /// Lifetime of access tokens (JustiFi: 24 h); short in tests that expire tokens.
    pub token_ttl: Duration,
    /// Time a checkout completion spends "processing" with its idempotency key in flight;
    /// lets tests observe `409 idempotency_request_in_progress`.
    pub complete_delay: Duration,
    /// Accepted ReCharge `X-Recharge-Access-Token` values.
    pub recharge_api_tokens: Vec<String>,
    /// Whether ReCharge's leaky bucket (40 requests per token, draining 2 per second) refuses
    /// with `429` when full; off for the benchmark, which measures the library, not the bucket.
    pub recharge_rate_limit: bool,
    /// Time a ReCharge charge spends in flight; lets tests observe ReCharge's 409.
    pub charge_delay: Duration,
    /// Time a refund (JustiFi's or ReCharge's) spends in flight; lets tests observe JustiFi's
    /// `refund_in_progress` (another refund of the payment meanwhile) and
    /// `idempotency_request_in_progress` (the same key meanwhile), and ReCharge's 409.
    pub refund_delay: Duration,
    /// Accepted Payfect API keys (`Authorization: Api-Key <key>`).
    pub payfect_api_keys: Vec<String>,
    /// Whether to record every provider exchange for `GET /__sandbox/exchanges` (tests that
    /// check them against the published API descriptions).
    pub record_exchanges: bool,
    /// Whether to serve HTTPS, with a certificate from a fresh CA ([`Sandbox::ca_pem`]).
    pub tls: bool,
    /// How many objects of each kind the sandbox keeps (checkouts, payment intents, checkout
    /// sessions, payment methods, payments, refunds, access tokens, idempotency keys, ReCharge
    /// and Payfect checkouts, ReCharge charges, recorded exchanges, webhook deliveries, per-path request counts):
    /// beyond it the oldest is dropped, and then answers 404 (a token 401, a key is fresh again)
    /// as if it had never existed. Bounds the sandbox's memory however long it runs; default
    /// [`DEFAULT_MAX_OBJECTS`].
    pub max_objects: usize,
}

/// The default of [`SandboxConfig::max_objects`]: more than any test or benchmark run holds at
/// once.
pub const DEFAULT_MAX_OBJECTS: usize = 10_000;

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            justifi_clients: vec![(TEST_CLIENT_ID.into(), TEST_CLIENT_SECRET.into())],
            justifi_sub_accounts: vec![TEST_SUB_ACCOUNT.into()],
            token_ttl: Duration::from_secs(24 * 3600),
            complete_delay: Duration::ZERO,
            recharge_api_tokens: vec![TEST_RECHARGE_TOKEN.into()],
            recharge_rate_limit: true,
            charge_delay: Duration::ZERO,
            refund_delay: Duration::ZERO,
            payfect_api_keys: vec![TEST_PAYFECT_KEY.into()],
            record_exchanges: false,
            tls: false,
            max_objects: DEFAULT_MAX_OBJECTS,
        }
    }
}

/// The sandbox's routes, for serving on a loopback listener bound to `port`: its admin routes
/// (`/__sandbox/...`) refuse requests naming another host or port (see `admin.rs`).
pub fn router(config: SandboxConfig, port: u16) -> Router {
    routes(Arc::new(state::App::new(config, port)))
}

fn routes(app: Arc<state::App>) -> Router {
    Router::new()
        .merge(justifi::routes())
        .merge(justifi_refunds::routes())
        .merge(recharge::routes())
        .merge(payfect::routes())
        .merge(pages::routes())
        .merge(component::routes())
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), faults::inject))
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), exchanges::record))
        .merge(admin::routes(app.clone()))
        .fallback(|| async { state::error(axum::http::StatusCode::NOT_FOUND, "resource_not_found", "No such route") })
        .layer(axum::middleware::map_response(state::with_request_id))
        .with_state(app)
}

/// A sandbox serving on a background thread of its own; stopped when dropped.
pub struct Sandbox {
    addr: SocketAddr,
    ca_pem: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Starts on 127.0.0.1 with a free port.
    pub fn start(config: SandboxConfig) -> io::Result<Sandbox> {
        Sandbox::bind(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
    }

    /// Starts on `addr`.
    pub fn bind(config: SandboxConfig, addr: SocketAddr) -> io::Result<Sandbox> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let tls = if config.tls { Some(tls::generate()?) } else { None };
        let ca_pem = tls.as_ref().map(|t| t.ca_pem.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("checkout-sandbox")
            .enable_all()
            .build()?;
        let (shutdown, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new().name("checkout-sandbox".into()).spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener from std");
                let app = Arc::new(state::App::new(config, addr.port()));
                let stopped = async {
                    let _ = stopped.await;
                };
                match tls {
                    Some(tls) => {
                        let listener =
                            tls::TlsListener::new(listener, tls.acceptor, app.clone()).expect("TLS listener");
                        axum::serve(listener, routes(app)).with_graceful_shutdown(stopped).await
                    }
                    None => {
                        let counter = app.clone();
                        let listener = listener.tap_io(move |_| {
                            counter.connections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        });
                        axum::serve(listener, routes(app)).with_graceful_shutdown(stopped).await
                    }
                }
                .expect("sandbox server");
            });
        })?;
        Ok(Sandbox { addr, ca_pem, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (`https://` when serving TLS), the `base_url` (and
    /// `hosted_base_url`) for a client.
    pub fn base_url(&self) -> String {
        let scheme = if self.ca_pem.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The PEM certificate of the CA that signed the sandbox's certificate, when it serves
    /// HTTPS (`SandboxConfig::tls`): a client trusts it through `ca_bundle_path`.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
