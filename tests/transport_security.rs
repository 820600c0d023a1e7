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
    ] {
        let mut cfg = config("https://localhost:1");
        cfg[key] = value.into();
        let e = lib().client(&cfg).err().expect("refused");
        assert_eq!(e["error"]["status"], 5);
        assert!(e["error"]["message"].as_str().unwrap().contains(message), "{e}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
