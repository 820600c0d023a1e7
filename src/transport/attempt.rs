//! One HTTP attempt through a pool's agent: the request sent with the attempt's timeout,
//! the answer's body read within its size and nesting bounds, and a failure classified as
//! the contract sees it, with whether the request surely never reached the server.

use super::json_depth::{json_depth_within, MAX_JSON_DEPTH};
use super::retry::retry_after;
use super::settings::ProxyRoute;
use super::{HttpRequest, HttpResponse, Method};
use crate::error::{Error, Status};
use std::io;
use std::time::{Duration, SystemTime};
use ureq::{Agent, ProxyProtocol};

/// The largest response body read, in bytes, after decompression; a larger one is a
/// network error.
pub(super) const MAX_RESPONSE_BYTES: u64 = 8 << 20;

/// A failed attempt, and whether the request surely never reached the server.
pub(super) struct Failure {
    pub(super) error: Box<Error>,
    pub(super) unsent: bool,
}

/// One attempt; `shorter` is a timeout below the agent's own, when the call's deadline is near.
/// `via` is the proxy the request goes through, if any, to name it when it fails.
pub(super) fn attempt(
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
        Some(body) => run(agent, builder.header("Content-Type", req.content_type).body(body), shorter),
        None => run(agent, builder.body(()), shorter),
    };
    let mut resp = sent.map_err(|e| classify(e, via, req.url))?;
    let status = resp.status().as_u16();
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let request_id = header("request-id");
    let retry_after = header("retry-after").and_then(|v| retry_after(&v, SystemTime::now()));
    let body = read_body(resp.body_mut(), via, req.url)?;
    Ok(HttpResponse { status, request_id, retry_after, body })
}

/// The response body, decompressed (ureq asks for gzip), bounded by [`MAX_RESPONSE_BYTES`]
/// after decompression: ureq's own limit counts the bytes on the wire, so a small gzip body
/// could inflate to gigabytes. A larger body, or one nesting JSON deeper than
/// [`MAX_JSON_DEPTH`], is a failure of an attempt that reached the server.
fn read_body(body: &mut ureq::Body, via: Option<&ProxyRoute>, url: &str) -> std::result::Result<Vec<u8>, Failure> {
    use std::io::Read;
    let sent = |status, message: String| Failure { error: Box::new(Error::new(status, message)), unsent: false };
    // Room for the whole body at once where its length is known (and plausible), so that
    // reading it does not grow the buffer step by step.
    let expected = body.content_length().unwrap_or(0).min(MAX_RESPONSE_BYTES) as usize;
    let mut out = Vec::with_capacity(expected.max(4096));
    body.as_reader().take(MAX_RESPONSE_BYTES + 1).read_to_end(&mut out).map_err(|e| {
        // The reader wraps ureq's own errors (a timeout mid-body among them) in `io::Error`;
        // `From` unwraps them, so that a timeout is classified as one and not as I/O.
        let mut f = classify(ureq::Error::from(e), via, url);
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

/// A failed attempt as the contract sees it, and whether it surely never reached the server:
/// nothing is sent before the connection (to the provider or through `via`, the proxy) is
/// made and its TLS handshake done, so a refused or failed connection, a proxy refusing the
/// tunnel and a failed handshake are never sent.
///
/// The message names what refused or failed: the proxy (host and port, never credentials), or
/// the request's origin (scheme, host and port: a path could carry an id), and says what to
/// check, for a loopback origin that the local sandbox may not be running.
fn classify(e: ureq::Error, via: Option<&ProxyRoute>, url: &str) -> Failure {
    use ureq::Error as U;
    use ureq::Timeout as T;
    let unsent = |status, message: String| Failure { error: Box::new(Error::new(status, message)), unsent: true };
    let maybe_sent = |status, message: String| Failure { error: Box::new(Error::new(status, message)), unsent: false };
    // What the connection is made to: the proxy when there is one, else the provider's origin;
    // and who a TLS handshake was with (an https proxy makes one of its own first).
    let origin = url::Url::parse(url).ok();
    let peer = match (via, &origin) {
        (Some(route), _) => route.describe(),
        (None, Some(o)) => o.origin().ascii_serialization(),
        (None, None) => "the provider's host".to_owned(),
    };
    let refused_hint = match (via, &origin) {
        (Some(_), _) => ": check the proxy settings (proxy, HTTPS_PROXY)".to_owned(),
        (None, Some(o)) if crate::config::is_loopback(o) => format!(
            ": nothing is listening there; if it is the local sandbox, start it (checkout-sandbox --port {}), \
             or check base_url",
            o.port_or_known_default().unwrap_or_default()
        ),
        (None, _) => ": check base_url and the network".to_owned(),
    };
    let tls_peer = match via {
        Some(route) if route.proxy.protocol() == ProxyProtocol::Https => format!("{peer} or the provider"),
        _ => "the provider".to_owned(),
    };
    match e {
        U::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused => {
            unsent(Status::Network, format!("connection refused by {peer}{refused_hint}"))
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
