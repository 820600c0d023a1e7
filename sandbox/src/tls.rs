//! HTTPS for the sandbox (`checkout-sandbox --tls-ca-out PATH`): a fresh private CA per
//! start, which signs a server certificate for `127.0.0.1` and `localhost`; clients trust it
//! through `ca_bundle_path`. Handshakes run on tasks of their own, so a slow client holds up
//! no other, and each is counted as full or resumed (`tls_handshakes`, `tls_resumptions` of
//! `GET /__sandbox/counters`), which shows whether clients reuse connections and sessions.

use crate::state::App;
use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::HandshakeKind;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// The server side of the sandbox's TLS: its acceptor and the CA that signed its certificate.
pub struct Tls {
    pub acceptor: TlsAcceptor,
    /// The CA certificate, PEM: what a client's `ca_bundle_path` names.
    pub ca_pem: String,
}

fn invalid(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("sandbox TLS: {e}"))
}

/// A fresh CA and a server certificate it signed for `127.0.0.1` and `localhost`.
pub fn generate() -> io::Result<Tls> {
    let ca_key = KeyPair::generate().map_err(invalid)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(invalid)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // Distinct names: OpenSSL (curl, PHP) takes a leaf named like its issuer for self-signed.
    ca_params.distinguished_name = DistinguishedName::new();
    ca_params.distinguished_name.push(DnType::CommonName, "checkout-sandbox CA");
    let ca_cert = ca_params.self_signed(&ca_key).map_err(invalid)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().map_err(invalid)?;
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).map_err(invalid)?;
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, "checkout-sandbox");
    let cert = params.signed_by(&key, &issuer).map_err(invalid)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(invalid)?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .map_err(invalid)?;
    Ok(Tls { acceptor: TlsAcceptor::from(Arc::new(config)), ca_pem: ca_cert.pem() })
}

/// A listener for `axum::serve` yielding connections whose TLS handshake has completed.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Accepts on `listener` (counting connections in `app`), handshaking on tasks of their own.
    pub fn new(listener: TcpListener, acceptor: TlsAcceptor, app: Arc<App>) -> io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let (done, ready) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let Ok((tcp, peer)) = listener.accept().await else {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await; // e.g. out of descriptors
                    continue;
                };
                app.connections.fetch_add(1, Ordering::Relaxed);
                let (acceptor, app, done) = (acceptor.clone(), app.clone(), done.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let counter = match tls.get_ref().1.handshake_kind() {
                        Some(HandshakeKind::Resumed) => &app.tls_resumptions,
                        _ => &app.tls_handshakes,
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    let _ = done.send((tls, peer)).await;
                });
            }
        });
        Ok(TlsListener { ready, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}
