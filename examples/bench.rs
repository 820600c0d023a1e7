//! The benchmark's Rust runners (driven by `bench/run`): one JustiFi checkout = create +
//! complete, a token fetched once. Prints one JSON line of figures.
//!
//! `bench MODE BASE_URL PAYMENT_TOKEN CHECKOUTS THREADS`, over HTTPS when BASE_URL is
//! `https://` (trusting the CA certificate of `BENCH_CA_BUNDLE`, a PEM file), MODE one of
//! - `bare`: the limit, a keep-alive ureq agent calling the sandbox directly;
//! - `rlib`: the library's Rust API;
//! - `cabi`: the library through its C ABI (libloading);
//! - `paired`: `bare`, `rlib` and `cabi` in one process, one checkout each in turn: the
//!   medians of each, for the added costs;
//! - `cold`: dlopen + client + first checkout, in this fresh process;
//! - `rss`: RSS after CHECKOUTS `checkout_get` calls through the C ABI.

mod host;

use host::{CheckoutLib, Op};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

const CLIENT_ID: &str = "test_sandbox_client_id";
const CLIENT_SECRET: &str = "test_sandbox_client_secret";
const SUB_ACCOUNT: &str = "acc_5Et9iXrSSAZR2KSouQGAWi";

/// The PEM file of the CA to trust (the HTTPS sandbox's), from `BENCH_CA_BUNDLE`.
fn ca_bundle() -> Option<String> {
    std::env::var("BENCH_CA_BUNDLE").ok().filter(|p| !p.is_empty())
}

fn config(base: &str) -> Value {
    let mut config = json!({"provider": "justifi", "base_url": base, "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET, "sub_account": SUB_ACCOUNT});
    if let Some(path) = ca_bundle() {
        config["ca_bundle_path"] = path.into();
    }
    config
}

fn donut() -> Value {
    json!({"amount": 1799, "description": "One Chocolate Donut", "origin_url": "http://localhost:3000"})
}

/// What a developer would write with ureq: one agent, the token once, an `Idempotency-Key` on
/// every POST (JustiFi's docs, Idempotency: "Each request may include an Idempotency-Key
/// header"; the library sends one on each), JSON in and out.
struct Bare {
    agent: ureq::Agent,
    base: String,
    bearer: String,
}

impl Bare {
    fn new(base: &str) -> Bare {
        let mut agent = ureq::Agent::config_builder().http_status_as_error(false);
        if let Some(path) = ca_bundle() {
            let pem = std::fs::read(path).unwrap();
            let roots =
                ureq::tls::RootCerts::Specific(std::sync::Arc::new(vec![ureq::tls::Certificate::from_pem(&pem)
                    .unwrap()
                    .to_owned()]));
            agent = agent.tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build());
        }
        let agent: ureq::Agent = agent.build().into();
        let mut resp = agent
            .post(format!("{base}/oauth/token"))
            .content_type("application/json")
            .send(json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}).to_string())
            .unwrap();
        let token: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
        Bare { agent, base: base.to_owned(), bearer: format!("Bearer {}", token["access_token"].as_str().unwrap()) }
    }

    fn post(&self, path: &str, body: &Value, key: Option<&str>) -> Value {
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Authorization", &self.bearer)
            .header("Sub-Account", SUB_ACCOUNT);
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        let mut resp = req.content_type("application/json").send(body.to_string()).unwrap();
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
    }

    fn checkout(&self, pm: &str) {
        let created = self.post("/v1/checkouts", &donut(), Some(&uuid::Uuid::new_v4().to_string()));
        let id = created["data"]["id"].as_str().unwrap();
        let key = uuid::Uuid::new_v4().to_string();
        let done = self.post(
            &format!("/v1/checkouts/{id}/complete"),
            &json!({"payment_token": pm, "payment_mode": "ecom"}),
            Some(&key),
        );
        assert_eq!(done["data"]["payment_status"], "succeeded");
    }
}

/// One checkout through the library's Rust API.
fn rlib_checkout(client: &storefront_checkout::Client, pm: &str) {
    let id = client.create(object(donut())).unwrap()["id"].as_str().unwrap().to_owned();
    let done = client.complete(object(json!({"checkout_id": id, "payment_token": pm}))).unwrap();
    assert_eq!(done["payment_status"], "succeeded");
}

/// One checkout through the library's C ABI.
fn cabi_checkout(client: &host::HostClient, pm: &str) {
    let id = client.call(Op::Create, &donut()).unwrap()["id"].as_str().unwrap().to_owned();
    let done = client.call(Op::Complete, &json!({"checkout_id": id, "payment_token": pm})).unwrap();
    assert_eq!(done["payment_status"], "succeeded");
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// Runs `checkouts` checkouts over `threads` threads (after a warm-up): per-checkout
/// latencies and the elapsed time.
fn measure(checkouts: usize, threads: usize, one: &(dyn Fn() + Sync)) -> (Vec<Duration>, Duration) {
    for _ in 0..100.min(checkouts) {
        one();
    }
    let started = Instant::now();
    let per_thread = checkouts / threads;
    let latencies: Vec<Duration> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    (0..per_thread)
                        .map(|_| {
                            let t = Instant::now();
                            one();
                            t.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    (latencies, started.elapsed())
}

fn report(runner: &str, threads: usize, mut latencies: Vec<Duration>, elapsed: Duration) {
    latencies.sort();
    let pick = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)].as_secs_f64() * 1e6;
    let line = json!({"runner": runner, "threads": threads, "checkouts": latencies.len(),
        "median_us": pick(0.5), "p99_us": pick(0.99), "per_sec": latencies.len() as f64 / elapsed.as_secs_f64()});
    println!("{line}");
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mode, base, pm) = (args[1].as_str(), args[2].as_str(), args[3].clone());
    let checkouts: usize = args.get(4).map_or(1000, |n| n.parse().unwrap());
    let threads: usize = args.get(5).map_or(1, |n| n.parse().unwrap());
    match mode {
        "bare" => {
            let bare = Bare::new(base);
            let (l, e) = measure(checkouts, threads, &|| bare.checkout(&pm));
            report("rust bare ureq (limit)", threads, l, e);
        }
        "rlib" => {
            let client = storefront_checkout::Client::new(object(config(base))).unwrap();
            let (l, e) = measure(checkouts, threads, &|| rlib_checkout(&client, &pm));
            report("library, Rust API", threads, l, e);
        }
        "paired" => {
            // The three routes in one process, one checkout each in turn, so that the machine's
            // drift between runs cancels out of their differences.
            let bare = Bare::new(base);
            let rlib = storefront_checkout::Client::new(object(config(base))).unwrap();
            let lib = CheckoutLib::load(&host::locate().unwrap()).unwrap();
            let cabi = lib.client(&config(base)).unwrap();
            let routes: [(&str, &dyn Fn()); 3] = [
                ("bare", &|| bare.checkout(&pm)),
                ("rlib", &|| rlib_checkout(&rlib, &pm)),
                ("cabi", &|| cabi_checkout(&cabi, &pm)),
            ];
            let mut latencies: [Vec<Duration>; 3] = Default::default();
            for round in 0..checkouts + 100 {
                for (i, (_, one)) in routes.iter().enumerate() {
                    let t = Instant::now();
                    one();
                    if round >= 100 {
                        latencies[i].push(t.elapsed());
                    }
                }
            }
            let mut line = json!({"runner": "paired"});
            for ((name, _), mut l) in routes.iter().zip(latencies) {
                l.sort();
                line[format!("{name}_median_us")] = (l[l.len() / 2].as_secs_f64() * 1e6).into();
            }
            println!("{line}");
        }
        "cabi" | "cold" | "rss" => {
            let started = Instant::now();
            let lib = CheckoutLib::load(&host::locate().unwrap()).unwrap();
            let client = lib.client(&config(base)).unwrap();
            let one = || cabi_checkout(&client, &pm);
            match mode {
                "cold" => {
                    one();
                    println!("{}", json!({"runner": "cold start", "ms": started.elapsed().as_secs_f64() * 1e3}));
                }
                "rss" => {
                    one();
                    let id = client.call(Op::Create, &donut()).unwrap()["id"].as_str().unwrap().to_owned();
                    let before = rss_kib();
                    for _ in 0..checkouts {
                        client.call(Op::Get, &json!({"checkout_id": id})).unwrap();
                    }
                    println!(
                        "{}",
                        json!({"runner": "rss", "calls": checkouts, "rss_kib": rss_kib(), "growth_kib": rss_kib() as i64 - before as i64})
                    );
                }
                _ => {
                    let (l, e) = measure(checkouts, threads, &one);
                    report("library, C ABI", threads, l, e);
                }
            }
        }
        other => panic!("unknown mode {other}"),
    }
}
