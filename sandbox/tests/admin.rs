//! The admin routes (`/__sandbox/...`) answer only the sandbox's own loopback address, refuse
//! web pages (a foreign `Origin`), and take only `application/json` POSTs, so that a page the
//! developer opens can neither re-point webhooks nor inject faults (a "simple" cross-site POST)
//! nor read the ledger through DNS rebinding (a foreign `Host`).

use checkout_sandbox::{Sandbox, SandboxConfig, TEST_CLIENT_ID, TEST_CLIENT_SECRET};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Sends one HTTP/1.1 request with exactly these headers (Host included) over a fresh
/// connection: the status and the JSON body.
fn raw(s: &Sandbox, method: &str, path: &str, headers: &[(&str, String)], body: &str) -> (u16, Value) {
    let mut stream = TcpStream::connect(s.addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        request += &format!("{name}: {value}\r\n");
    }
    request += "\r\n";
    request += body;
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn own_host(s: &Sandbox) -> (&'static str, String) {
    ("Host", s.addr().to_string())
}

fn json_type() -> (&'static str, String) {
    ("Content-Type", "application/json".into())
}

/// Whether a token request fails with the fault a test tried to inject on it.
fn token_request_faulted(s: &Sandbox) -> bool {
    let body = format!(r#"{{"client_id":"{TEST_CLIENT_ID}","client_secret":"{TEST_CLIENT_SECRET}"}}"#);
    raw(s, "POST", "/oauth/token", &[own_host(s), json_type()], &body).0 == 503
}

const FAULT: &str = r#"{"route": "POST /oauth/token", "status": 503, "times": 1}"#;

#[test]
fn a_cross_site_simple_post_changes_nothing() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let plain = ("Content-Type", "text/plain;charset=UTF-8".to_owned());
    let page = ("Origin", "https://attacker.example".to_owned());
    let (status, v) = raw(&s, "POST", "/__sandbox/faults", &[own_host(&s), plain.clone(), page.clone()], FAULT);
    assert_eq!((status, v["error"]["code"].as_str()), (403, Some("forbidden_origin")), "{v}");
    // Without an Origin (as a local tool sends it): still refused unless labelled JSON.
    let (status, v) = raw(&s, "POST", "/__sandbox/faults", &[own_host(&s), plain.clone()], FAULT);
    assert_eq!((status, v["error"]["code"].as_str()), (415, Some("unsupported_media_type")), "{v}");
    let hook = r#"{"provider": "justifi", "url": "http://127.0.0.1:9/hook", "secret": "attacker"}"#;
    let (status, _) = raw(&s, "POST", "/__sandbox/webhooks", &[own_host(&s), plain], hook);
    assert_eq!(status, 415);
    let (status, _) = raw(&s, "POST", "/__sandbox/webhooks", &[own_host(&s), json_type(), page.clone()], hook);
    assert_eq!(status, 403);
    let (status, _) = raw(&s, "POST", "/__sandbox/tokens/expire", &[own_host(&s), page], "");
    assert_eq!(status, 403);
    let (status, _) = raw(&s, "POST", "/__sandbox/faults", &[own_host(&s), ("Origin", "null".into())], FAULT);
    assert_eq!(status, 403, "a sandboxed iframe's opaque origin is foreign too");
    assert!(!token_request_faulted(&s), "no refused request installed its fault");
}

#[test]
fn a_foreign_host_is_refused_dns_rebinding() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let port = s.addr().port();
    for host in [format!("attacker.example:{port}"), format!("127.0.0.1:{}", port.wrapping_add(1)), "127.0.0.1".into()]
    {
        let (status, v) = raw(&s, "GET", "/__sandbox/ledger", &[("Host", host.clone())], "");
        assert_eq!((status, v["error"]["code"].as_str()), (403, Some("forbidden_host")), "{host}: {v}");
    }
    let (status, _) = raw(&s, "GET", "/__sandbox/counters", &[], "");
    assert_eq!(status, 403, "no Host at all");
    let (status, _) =
        raw(&s, "POST", "/__sandbox/faults", &[("Host", format!("attacker.example:{port}")), json_type()], FAULT);
    assert_eq!(status, 403);
    assert!(!token_request_faulted(&s));
}

#[test]
fn the_sandbox_s_own_addresses_and_origins_are_served() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let port = s.addr().port();
    for host in [format!("127.0.0.1:{port}"), format!("LOCALHOST:{port}"), format!("[::1]:{port}")] {
        let (status, v) = raw(&s, "GET", "/__sandbox/counters", &[("Host", host.clone())], "");
        assert_eq!(status, 200, "{host}: {v}");
    }
    let origin = ("Origin", format!("http://localhost:{port}"));
    let json = ("Content-Type", "application/json; charset=utf-8".to_owned());
    let (status, v) = raw(&s, "POST", "/__sandbox/faults", &[own_host(&s), json, origin], FAULT);
    assert_eq!(status, 200, "{v}");
    assert!(token_request_faulted(&s), "the fault was installed");
    // The provider routes are not admin routes: a browser on any page may use them.
    let (status, _) = raw(&s, "GET", "/webcomponents/webcomponents.esm.js", &[("Host", "shop.example".into())], "");
    assert_eq!(status, 200);
}
