//! The `truncate` fault: the answer's headers promise the full body, half of it is sent, then
//! the connection closes, and the sandbox's server does so without panicking (a sized body
//! made debug builds of hyper assert that the two lengths agree, in the server's task).

use checkout_sandbox::{Sandbox, SandboxConfig, TEST_CLIENT_ID, TEST_CLIENT_SECRET};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

static LENGTH_PANICS: AtomicUsize = AtomicUsize::new(0);

/// One request over a fresh connection; everything the server sent before closing it.
fn raw(s: &Sandbox, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(s.addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        s.addr(),
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn a_truncated_answer_is_cut_short_without_a_server_panic() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.to_string().contains("content-length") {
            LENGTH_PANICS.fetch_add(1, Ordering::SeqCst);
        }
        previous(info);
    }));
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let fault = r#"{"route": "POST /oauth/token", "truncate": true, "times": 1}"#;
    assert!(raw(&s, "/__sandbox/faults", fault).starts_with("HTTP/1.1 200"));

    let grant = format!(r#"{{"client_id":"{TEST_CLIENT_ID}","client_secret":"{TEST_CLIENT_SECRET}"}}"#);
    let answer = raw(&s, "/oauth/token", &grant);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no headers: {answer:?}"));
    let promised: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned))
        .expect("a Content-Length header")
        .parse()
        .unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(!body.is_empty() && body.len() < promised, "{} of {promised} bytes", body.len());
    // The server task runs on the sandbox's runtime: give it the moment it takes to finish.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(LENGTH_PANICS.load(Ordering::SeqCst), 0, "the server panicked writing the short body");
}

/// Reads one answer (headers, then a `Content-Length` body) off a kept-alive connection: its
/// status line, or `None` when the server closed the connection instead.
fn answer(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned))
        .map_or(0, |v| v.parse().unwrap());
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).ok()?;
    head.lines().next().map(str::to_owned)
}

#[test]
fn a_status_fault_on_a_request_with_a_body_keeps_the_connection_alive() {
    let s = Sandbox::start(SandboxConfig::default()).unwrap();
    let fault = r#"{"route": "POST /oauth/token", "status": 503, "times": 1}"#;
    assert!(raw(&s, "/__sandbox/faults", fault).starts_with("HTTP/1.1 200"));

    let grant = format!(r#"{{"client_id":"{TEST_CLIENT_ID}","client_secret":"{TEST_CLIENT_SECRET}"}}"#);
    let head = format!(
        "POST /oauth/token HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        s.addr(),
        grant.len()
    );
    let request = format!("{head}{grant}");
    let mut stream = TcpStream::connect(s.addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // The body follows the headers a moment later, as a client writing them apart sends it.
    stream.write_all(head.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    stream.write_all(grant.as_bytes()).unwrap();
    assert_eq!(answer(&mut stream).as_deref(), Some("HTTP/1.1 503 Service Unavailable"));
    // A client's pool reuses the connection, as it was not closed: the next request on it is
    // answered (it was reset when the fault answered over the unread request body).
    std::thread::sleep(Duration::from_millis(50));
    let _ = stream.write_all(request.as_bytes());
    assert_eq!(answer(&mut stream).as_deref(), Some("HTTP/1.1 200 OK"), "the connection was closed");
}
