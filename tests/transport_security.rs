//! Transport security on loopback: https with the webpki roots refusing a private CA,
//! `ca_bundle_path` trusting it, and `proxy` carrying requests (tunnelled with CONNECT), as
//! users behind a PCI vault proxy need.

mod common;

use common::host::Op;
use common::{config, lib, sandbox};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A private CA (its PEM file) and a TLS server for `localhost` it signed, forwarding each
/// request to `upstream` (the sandbox) with `Connection: close`.
struct TlsFront {
    origin: String,
    ca_pem: std::path::PathBuf,
    handshakes: Arc<AtomicUsize>,
}

fn tls_front(upstream: std::net::SocketAddr, dir: &std::path::Path) -> TlsFront {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()]).unwrap().signed_by(&key, &issuer).unwrap();
    let ca_pem = dir.join("ca.pem");
    std::fs::write(&ca_pem, ca_cert.pem()).unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    let server = Arc::new(server);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let count = handshakes.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { break };
            let (server, count) = (server.clone(), count.clone());
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(server).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let Some(request) = read_request(&mut tls) else { return };
                count.fetch_add(1, Ordering::SeqCst);
                let mut up = TcpStream::connect(upstream).unwrap();
                up.write_all(&request).unwrap();
                let mut response = Vec::new();
                let _ = up.read_to_end(&mut response);
                let _ = tls.write_all(&response);
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    TlsFront { origin: format!("https://localhost:{port}"), ca_pem, handshakes }
}

/// An HTTP request read whole, its `Connection` header replaced by `close`.
fn read_request(stream: &mut impl Read) -> Option<Vec<u8>> {
    let mut reader = BufReader::new(stream);
    let mut head = Vec::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if !lower.starts_with("connection:") {
            head.extend_from_slice(line.as_bytes());
        }
    }
    head.extend_from_slice(b"Connection: close\r\n\r\n");
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    head.extend_from_slice(&body);
    Some(head)
}

/// A forward proxy: CONNECT tunnels, each recorded.
fn proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { break };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut first = String::new();
                reader.read_line(&mut first).unwrap();
                log.lock().unwrap().push(first.trim().to_owned());
                let target = first.split_whitespace().nth(1).unwrap_or_default().to_owned();
                if !first.starts_with("CONNECT ") {
                    let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n");
                    return;
                }
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                let up = TcpStream::connect(target.replace("localhost", "127.0.0.1")).unwrap();
                client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n").unwrap();
                tunnel(reader, client, up);
            });
        }
    });
    (url, seen)
}

fn tunnel(mut from_client: BufReader<TcpStream>, mut client: TcpStream, mut up: TcpStream) {
    let mut up_writer = up.try_clone().unwrap();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut up_writer);
    });
    let _ = std::io::copy(&mut up, &mut client);
}

#[test]
fn https_needs_a_trusted_root_and_ca_bundle_path_provides_one() {
    let s = sandbox();
    let dir = std::env::temp_dir().join(format!("storefront-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let front = tls_front(s.addr(), &dir);

    let mut cfg = config(&front.origin);
    cfg["max_retries"] = 0.into();
    let untrusting = lib().client(&cfg).unwrap();
    let (code, e) = untrusting.call(Op::Create, &json!({"amount": 1799, "description": "x"})).unwrap_err();
    assert_eq!(code, 12, "the webpki roots do not know the private CA: {e}");

    cfg["ca_bundle_path"] = front.ca_pem.to_str().unwrap().into();
    let trusting = lib().client(&cfg).unwrap();
    let c = trusting.call(Op::Create, &json!({"amount": 1799, "description": "Over TLS"})).unwrap();
    assert_eq!(c["description"], "Over TLS");
    assert!(front.handshakes.load(Ordering::SeqCst) >= 2, "the token and the create went over TLS");

    let (proxy_url, seen) = proxy();
    cfg["proxy"] = proxy_url.into();
    let proxied = lib().client(&cfg).unwrap();
    proxied.call(Op::Get, &json!({"checkout_id": c["id"]})).unwrap();
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with(&format!("CONNECT {}", front.origin.trim_start_matches("https://")))),
        "{:?}",
        seen.lock().unwrap()
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The I/O threads of the asynchronous calls have small stacks (src/workers.rs): a rustls
/// handshake, a refused certificate and a payment that settles all fit in them.
#[test]
fn asynchronous_calls_run_over_tls_on_the_io_threads() {
    let s = sandbox();
    let dir = std::env::temp_dir().join(format!("storefront-tls-async-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let front = tls_front(s.addr(), &dir);
    let run = |client: &common::host::HostClient, op: Op, request: serde_json::Value| {
        let (tx, rx) = std::sync::mpsc::channel();
        assert_eq!(client.start(op, &request, tx), 0);
        let (code, text) = rx.recv_timeout(std::time::Duration::from_secs(60)).expect("the callback ran");
        (code, serde_json::from_str::<serde_json::Value>(&text).unwrap())
    };
    let mut cfg = config(&front.origin);
    cfg["max_retries"] = 0.into();
    let untrusting = lib().client(&cfg).unwrap();
    let (code, e) = run(&untrusting, Op::Create, json!({"amount": 1799, "description": "x"}));
    assert_eq!(code, 12, "{e}");

    cfg["ca_bundle_path"] = front.ca_pem.to_str().unwrap().into();
    let trusting = lib().client(&cfg).unwrap();
    let (code, c) = run(&trusting, Op::Create, json!({"amount": 1799, "description": "Over TLS"}));
    assert_eq!(code, 0, "{c}");
    let token = common::tokenize(&s, "4242424242424242");
    let (code, paid) = run(&trusting, Op::Complete, json!({"checkout_id": c["id"], "payment_token": token}));
    assert_eq!((code, paid["payment_status"].as_str()), (0, Some("succeeded")), "{paid}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn plain_http_goes_through_the_proxy_too() {
    let s = sandbox();
    let (proxy_url, seen) = proxy();
    let mut cfg = config(&s.base_url());
    cfg["proxy"] = proxy_url.into();
    let client = lib().client(&cfg).unwrap();
    client.call(Op::Create, &json!({"amount": 1799, "description": "x"})).unwrap();
    let lines = seen.lock().unwrap().clone();
    assert_eq!(
        lines,
        [format!("CONNECT {} HTTP/1.1", s.addr())],
        "ureq tunnels http too, one connection for both requests"
    );
}

#[test]
fn bad_transport_settings_are_configuration_errors() {
    let dir = std::env::temp_dir().join(format!("storefront-tls-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "not a certificate").unwrap();
    for (key, value, message) in [
        ("ca_bundle_path", dir.join("missing.pem").to_str().unwrap().to_owned(), "ca_bundle_path: cannot read"),
        ("ca_bundle_path", empty.to_str().unwrap().to_owned(), "holds no PEM certificate"),
        ("proxy", "::not a url::".to_owned(), "proxy: is not a proxy URL"),
        ("proxy", "socks5://127.0.0.1:1080".to_owned(), "proxy: only http:// and https:// proxies"),
    ] {
        let mut cfg = config("https://localhost:1");
        cfg[key] = value.into();
        let e = lib().client(&cfg).err().expect("refused");
        assert_eq!(e["error"]["status"], 5);
        assert!(e["error"]["message"].as_str().unwrap().contains(message), "{e}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A port nothing listens on: bound, then released.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A proxy that answers every CONNECT with `403 Forbidden`, counting them.
fn refusing_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let refused = Arc::new(AtomicUsize::new(0));
    let count = refused.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { break };
            let mut reader = BufReader::new(client.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
            }
            count.fetch_add(1, Ordering::SeqCst);
            let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    (format!("http://proxy-user:proxy-pass@{addr}"), refused)
}

/// A ReCharge charge that failed before anything reached ReCharge: an error saying so, never
/// "may have gone through" (which would send the storefront to reconcile a charge that
/// cannot exist).
fn assert_never_sent(e: &serde_json::Value, what: &str) {
    let message = e["error"]["message"].as_str().unwrap();
    assert_eq!(e["error"]["status"], 12, "{what}: {e}");
    assert!(!message.contains("may have gone through"), "{what}: nothing was sent: {message}");
    assert!(!message.contains("proxy-pass") && !message.contains("proxy-user"), "{what}: credentials: {message}");
}

#[test]
fn a_tls_handshake_failure_is_never_sent() {
    let s = sandbox();
    let dir = std::env::temp_dir().join(format!("storefront-tls-never-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let front = tls_front(s.addr(), &dir);
    let mut cfg = common::recharge_config(&front.origin);
    cfg["max_retries"] = 0.into();
    let client = lib().client(&cfg).unwrap();
    let (_, e) = client.call(Op::Complete, &json!({"checkout_id": "abc123", "payment_token": "tok_visa"})).unwrap_err();
    assert_never_sent(&e, "a CA the client does not trust");
    assert!(e["error"]["message"].as_str().unwrap().contains("TLS handshake"), "{e}");
    assert_eq!(front.handshakes.load(Ordering::SeqCst), 0, "no request reached the server");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_refused_proxy_is_named_and_never_sent() {
    let port = closed_port();
    let mut cfg = common::recharge_config(&format!("https://127.0.0.1:{}", closed_port()));
    cfg["proxy"] = format!("http://proxy-user:proxy-pass@127.0.0.1:{port}").into();
    cfg["max_retries"] = 0.into();
    let client = lib().client(&cfg).unwrap();
    let (_, e) = client.call(Op::Complete, &json!({"checkout_id": "abc123", "payment_token": "tok_visa"})).unwrap_err();
    assert_never_sent(&e, "a proxy refusing the connection");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("proxy 127.0.0.1:{port}")), "names the proxy: {message}");
    assert!(!message.contains("provider's host"), "the provider was never contacted: {message}");

    let (url, refused) = refusing_proxy();
    cfg["proxy"] = url.clone().into();
    let client = lib().client(&cfg).unwrap();
    let (_, e) = client.call(Op::Complete, &json!({"checkout_id": "abc123", "payment_token": "tok_visa"})).unwrap_err();
    assert_never_sent(&e, "a proxy refusing the tunnel");
    let addr = url.rsplit('@').next().unwrap();
    assert!(e["error"]["message"].as_str().unwrap().contains(&format!("proxy {addr}")), "{e}");
    assert_eq!(refused.load(Ordering::SeqCst), 1, "one CONNECT, refused, and the charge never sent");
}

/// Whether this process is a child of `the_proxy_environment_is_honoured_but_httpoxy`.
const ENV_CHILD: &str = "STOREFRONT_TEST_PROXY_ENV_CHILD";

/// httpoxy: under CGI a request's `Proxy:` header reaches the environment as `HTTP_PROXY`.
/// The environment is process-wide, so each case runs in a child process (this test binary
/// again, running this test alone) with its own environment; the child creates a checkout
/// against a sandbox of its own, and the parent's recording proxy tells whether it was used.
#[test]
fn the_proxy_environment_is_honoured_but_httpoxy() {
    if std::env::var_os(ENV_CHILD).is_some() {
        let s = sandbox();
        let client = lib().client(&config(&s.base_url())).unwrap();
        client.call(Op::Create, &json!({"amount": 1799, "description": "x"})).unwrap();
        return;
    }
    let cases: [(&[(&str, &str)], bool); 6] = [
        (&[("HTTP_PROXY", "PROXY")], true),
        (&[("REQUEST_METHOD", "POST"), ("HTTP_PROXY", "PROXY")], false),
        (&[("REQUEST_METHOD", "GET"), ("http_proxy", "PROXY")], false),
        (&[("REQUEST_METHOD", "GET"), ("HTTPS_PROXY", "PROXY")], true),
        (&[("ALL_PROXY", "PROXY")], true),
        (&[("HTTPS_PROXY", "PROXY"), ("NO_PROXY", "localhost, 127.0.0.1")], false),
    ];
    for (vars, proxied) in cases {
        let (proxy_url, seen) = proxy();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child.args(["--exact", "the_proxy_environment_is_honoured_but_httpoxy", "--test-threads=1"]);
        for name in ["ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "REQUEST_METHOD"] {
            child.env_remove(name).env_remove(name.to_ascii_lowercase());
        }
        child.env(ENV_CHILD, "1");
        for (name, value) in vars {
            child.env(name, value.replace("PROXY", &proxy_url));
        }
        let out = child.output().unwrap();
        assert!(out.status.success(), "{vars:?}: the child's call failed: {}", String::from_utf8_lossy(&out.stdout));
        let tunnels = seen.lock().unwrap().len();
        assert_eq!(tunnels > 0, proxied, "{vars:?}: the proxy saw {tunnels} tunnel(s)");
    }
}
