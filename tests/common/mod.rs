//! Shared by the integration tests: the library loaded through its C ABI, the sandbox, and
//! a scripted loopback HTTP server for answers the sandbox never gives (5xx, 429, silence).

#![allow(dead_code)]

#[path = "../../examples/host/mod.rs"]
pub mod host;

use checkout_sandbox::{
    Sandbox, SandboxConfig, TEST_CLIENT_ID, TEST_CLIENT_SECRET, TEST_PAYFECT_KEY, TEST_RECHARGE_TOKEN, TEST_SUB_ACCOUNT,
};
use host::CheckoutLib;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The shared library, loaded once per test binary.
pub fn lib() -> &'static CheckoutLib {
    static LIB: OnceLock<CheckoutLib> = OnceLock::new();
    LIB.get_or_init(|| CheckoutLib::load(&host::locate().expect("built cdylib")).expect("dlopen"))
}

pub fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).expect("sandbox starts")
}

/// A JustiFi client configuration for `base_url`, with the sandbox's test credentials.
pub fn config(base_url: &str) -> Value {
    json!({
        "provider": "justifi", "base_url": base_url, "hosted_base_url": base_url,
        "client_id": TEST_CLIENT_ID, "client_secret": TEST_CLIENT_SECRET, "sub_account": TEST_SUB_ACCOUNT,
    })
}

/// A ReCharge client configuration for `base_url`, with the sandbox's token.
pub fn recharge_config(base_url: &str) -> Value {
    json!({"provider": "recharge", "base_url": base_url, "hosted_base_url": base_url, "api_token": TEST_RECHARGE_TOKEN})
}

/// A Payfect client configuration for `base_url`, with the sandbox's key.
pub fn payfect_config(base_url: &str) -> Value {
    json!({"provider": "payfect", "base_url": base_url, "api_key": TEST_PAYFECT_KEY})
}

/// A JSON file of `tests/fixtures/`.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect("fixture is JSON")
}

/// Every kind of fault the sandbox injects (`docs/sandbox.md`), before the request is
/// processed and after, with a delay of `delay_ms` (past the test client's timeout).
pub fn every_fault(delay_ms: u64) -> Vec<Value> {
    let kinds = [
        json!({"status": 500}),
        json!({"status": 502}),
        json!({"status": 503}),
        json!({"status": 429}),
        json!({"reset": true}),
        json!({"delay_ms": delay_ms}),
        json!({"truncate": true}),
        json!({"not_json": true}),
        json!({"wrong_content_type": true}),
        json!({"huge": true}),
    ];
    let mut faults = Vec::new();
    for after in [false, true] {
        for kind in &kinds {
            let mut fault = kind.clone();
            fault["after"] = after.into();
            faults.push(fault);
        }
    }
    faults
}

/// Asks the sandbox for a fault (`POST /__sandbox/faults`).
pub fn add_fault(sandbox: &Sandbox, fault: Value) {
    let (status, v) = http("POST", &format!("{}/__sandbox/faults", sandbox.base_url()), None, Some(&fault));
    assert_eq!(status, 200, "{v}");
}

fn http(method: &str, url: &str, bearer: Option<&str>, body: Option<&Value>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut resp = match method {
        "GET" => {
            let mut r = agent.get(url);
            if let Some(t) = bearer {
                r = r.header("Authorization", format!("Bearer {t}"));
            }
            r.call()
        }
        _ => {
            let mut r = agent.post(url).header("Sub-Account", TEST_SUB_ACCOUNT);
            if let Some(t) = bearer {
                r = r.header("Authorization", format!("Bearer {t}"));
            }
            r.content_type("application/json").send(body.map(Value::to_string).unwrap_or_default())
        }
    }
    .expect("sandbox answers");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// An API access token from the sandbox, fetched directly (not through the library).
pub fn api_token(sandbox: &Sandbox) -> String {
    let body = json!({"client_id": TEST_CLIENT_ID, "client_secret": TEST_CLIENT_SECRET});
    let (_, v) = http("POST", &format!("{}/oauth/token", sandbox.base_url()), None, Some(&body));
    v["access_token"].as_str().expect("token").to_owned()
}

/// Tokenizes a test card with an API token of the test's own: `pm_...`.
pub fn tokenize(sandbox: &Sandbox, number: &str) -> String {
    tokenize_with(sandbox, &api_token(sandbox), number)
}

/// Tokenizes a test card with `token`, as the web component does with its token.
pub fn tokenize_with(sandbox: &Sandbox, token: &str, number: &str) -> String {
    let body = json!({"payment_method": {"card": {"name": "Test Shopper", "number": number,
        "verification": "123", "month": "12", "year": "2031"}}});
    let (status, v) = http("POST", &format!("{}/v1/payment_methods", sandbox.base_url()), Some(token), Some(&body));
    assert_eq!(status, 201, "{v}");
    v["data"]["id"].as_str().expect("pm id").to_owned()
}

/// The sandbox's ledger.
pub fn ledger(sandbox: &Sandbox) -> Value {
    http("GET", &format!("{}/__sandbox/ledger", sandbox.base_url()), None, None).1
}

pub fn expire_tokens(sandbox: &Sandbox) {
    http("POST", &format!("{}/__sandbox/tokens/expire", sandbox.base_url()), None, None);
}

/// Any other request to the sandbox, as a browser or test would send it.
pub fn sandbox_request(method: &str, url: &str, bearer: Option<&str>, body: Option<&Value>) -> (u16, Value) {
    http(method, url, bearer, body)
}

/// A stub's answer to a request other than the token's: status, extra headers and body
/// (status 0: silence until the client gives up; a `content-length` header longer than the
/// body: the body, then silence, a stall mid-body).
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Answer {
        Answer { status, headers: Vec::new(), body: body.into() }
    }
}

/// A loopback server answering `/oauth/token` with a token, and every other request with
/// `status` and `body` (or, when `status` is 0, with silence until the client gives up).
/// Counts the requests other than the token's.
pub struct Stub {
    pub base_url: String,
    pub hits: Arc<AtomicUsize>,
}

impl Stub {
    pub fn start(status: u16, body: &'static str) -> Stub {
        Stub::answering(r#"{"access_token": "stub-token"}"#, move || Answer::json(status, body))
    }

    /// A stub whose `/oauth/token` answers `token_body`, and every other request `answer()`.
    pub fn answering(token_body: &'static str, answer: impl Fn() -> Answer + Send + Sync + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let counter = counter.clone();
                let answer = answer.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).is_err() {
                        return;
                    }
                    let mut length = 0;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body_in = vec![0; length];
                    let _ = reader.read_exact(&mut body_in);
                    let reply = if request_line.contains("/oauth/token") {
                        Answer::json(200, token_body)
                    } else {
                        counter.fetch_add(1, Ordering::SeqCst);
                        let reply = answer();
                        if reply.status == 0 {
                            std::thread::sleep(Duration::from_secs(5));
                            return;
                        }
                        reply
                    };
                    let declared = reply.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-length"));
                    let stalls = declared.is_some_and(|(_, v)| v.parse().unwrap_or(0) > reply.body.len());
                    let mut head = format!(
                        "HTTP/1.1 {} X\r\ncontent-type: application/json\r\nrequest-id: req_stub\r\nconnection: close\r\n",
                        reply.status
                    );
                    if declared.is_none() {
                        head.push_str(&format!("content-length: {}\r\n", reply.body.len()));
                    }
                    for (name, value) in &reply.headers {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = stream.write_all(head.as_bytes());
                    let _ = stream.write_all(&reply.body);
                    if stalls {
                        let _ = stream.flush();
                        std::thread::sleep(Duration::from_secs(5));
                    }
                });
            }
        });
        Stub { base_url, hits }
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A delivery a [`Receiver`] captured: its headers (lowercase names) and raw body.
#[derive(Clone, Debug)]
pub struct Captured {
    pub headers: serde_json::Map<String, Value>,
    pub body: Vec<u8>,
}

/// A loopback webhook endpoint that records every request, answering 500 to the first
/// `failures` and 200 after.
pub struct Receiver {
    pub url: String,
    pub captured: Arc<std::sync::Mutex<Vec<Captured>>>,
}

impl Receiver {
    pub fn start(failures: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let captured = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = captured.clone();
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { break };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                let mut headers = serde_json::Map::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = h.trim_end().split_once(':') {
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().into());
                    }
                }
                let length = headers.get("content-length").and_then(|v| v.as_str()?.parse().ok()).unwrap_or(0);
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                sink.lock().unwrap().push(Captured { headers, body });
                let status = if n < failures { "500 Internal Server Error" } else { "200 OK" };
                let _ = write!(stream, "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            }
        });
        Receiver { url, captured }
    }

    /// Waits (up to 10 s) until `n` deliveries arrived; the deliveries.
    pub fn wait_for(&self, n: usize) -> Vec<Captured> {
        for _ in 0..200 {
            let got = self.captured.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("expected {n} deliveries, got {}", self.captured.lock().unwrap().len());
    }
}

/// Points a provider's webhooks at `url`, signed with `secret`.
pub fn set_webhook(sandbox: &Sandbox, provider: &str, url: &str, secret: &str) {
    let body = json!({"provider": provider, "url": url, "secret": secret});
    let (status, v) = http("POST", &format!("{}/__sandbox/webhooks", sandbox.base_url()), None, Some(&body));
    assert_eq!(status, 200, "{v}");
}
