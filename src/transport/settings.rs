//! The settings a pool's ureq agent is built from, and the building: the `User-Agent`, the
//! per-connection buffers and head limit, the TLS roots (`ca_bundle_path`), the proxy
//! (`proxy`, else the environment's), and a resolver that starts no thread.

use super::pools::{PoolKey, MAX_IDLE_AGE};
use crate::error::{Error, Result};
use ureq::tls::{parse_pem, Certificate, PemItem, RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use ureq::{Agent, Proxy, ProxyProtocol};

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("storefront-checkout/", env!("CARGO_PKG_VERSION"));

/// Bytes of each connection's input buffer, which ureq allocates once per connection and
/// keeps while the connection lives (in flight or idle in a pool). ureq's default, 128 KiB
/// (and as much for the output), made most of the 149–172 MiB peak RSS growth at 1,000
/// calls in flight (BENCHMARKS.md, "Provider latency"). 16 KiB is plenty for provider
/// answers, whose bodies are read through it in pieces of up to this size (the 8 MiB bound,
/// [`MAX_RESPONSE_BYTES`](super::attempt::MAX_RESPONSE_BYTES), is on the body, not on this buffer).
const INPUT_BUFFER_BYTES: usize = 16 << 10;

/// Bytes of each connection's output buffer (ureq's default is 128 KiB, as for the input).
/// A request body goes out through it in pieces, so it bounds no body (a caller's request
/// is bounded by [`crate::fields::MAX_JSON_BYTES`]); ureq refuses a request only if one line
/// of its head (the request line or one header) does not fit, and ours are far below 16 KiB.
const OUTPUT_BUFFER_BYTES: usize = 16 << 10;

/// The largest response head (status line and headers) accepted; a larger one is a network
/// error. ureq parses the head from the input buffer, so a head must fit in
/// [`INPUT_BUFFER_BYTES`]: with a limit below the buffer's size, a longer head is refused by
/// this check (ureq's `LargeResponseHeader`) before the buffer is full, rather than ending
/// in ureq's "made no progress" once it is. The providers' published material gives no
/// head size: 12 KiB is what the 16 KiB buffer holds with room to spare, and the
/// sandbox's heads are a few hundred bytes.
const MAX_RESPONSE_HEAD_BYTES: usize = 12 << 10;

/// Idle keep-alive connections kept per pool (ureq keeps 3 per host by default, so that a
/// pool shared by more threads would keep opening connections).
const MAX_IDLE_CONNECTIONS: usize = 64;

/// A proxy and where it was configured, to name it in errors: its host and port only, never
/// its credentials.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct ProxyRoute {
    pub(super) proxy: Proxy,
    /// ``"`proxy`"`` (the configuration key) or the environment variable it came from.
    pub(super) source: &'static str,
}

impl ProxyRoute {
    /// The route for a request to `url`: `None` when it goes straight to the provider.
    pub(super) fn for_url<'a>(route: Option<&'a ProxyRoute>, url: &str) -> Option<&'a ProxyRoute> {
        let uri = url.parse::<ureq::http::Uri>().ok()?;
        route.filter(|r| !r.proxy.is_no_proxy(&uri))
    }

    /// `the proxy 127.0.0.1:3128 (set by HTTPS_PROXY)`: no user name, no password.
    pub(super) fn describe(&self) -> String {
        format!("the proxy {}:{} (set by {})", self.proxy.host(), self.proxy.port(), self.source)
    }
}

/// The DER root certificates of a PEM file.
pub(super) fn read_ca_bundle(path: &std::path::Path) -> Result<Vec<Vec<u8>>> {
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

/// The proxy variables, in the order ureq 3 reads them (`Proxy::try_from_env`): the first
/// one set to an `http://` or `https://` proxy URL applies to every request, whatever its
/// scheme (ureq has no per-scheme proxies).
const PROXY_VARIABLES: [&str; 6] = ["ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"];

/// The proxy of the environment (`var` reads a variable), for a client configured without
/// `proxy`; ureq's own reading, with two differences:
/// - httpoxy (CVE-2016-5385): a CGI server turns a request's `Proxy:` header into
///   `HTTP_PROXY`, so when `REQUEST_METHOD` is set (a CGI child), `HTTP_PROXY` and
///   `http_proxy` are ignored (Go's `httpproxy` refuses them when `REQUEST_METHOD` is set,
///   failing the request; curl never reads uppercase `HTTP_PROXY`); the next variable applies.
/// - `socks*` URLs are skipped: this build of ureq has no SOCKS support (it would connect
///   directly, or panic).
///
/// `NO_PROXY` (else `no_proxy`) lists the hosts reached directly, split on commas, each entry
/// trimmed: `host` exactly, `.domain` or `*.domain` its subdomains, `*` every host (ureq's
/// `NoProxy` rules; no ports, no CIDR).
pub(super) fn proxy_from_env(var: impl Fn(&str) -> Option<String>) -> Option<ProxyRoute> {
    let cgi = var("REQUEST_METHOD").is_some();
    let no_proxy = var("NO_PROXY").or_else(|| var("no_proxy")).unwrap_or_default();
    PROXY_VARIABLES.into_iter().filter(|name| !(cgi && name.eq_ignore_ascii_case("HTTP_PROXY"))).find_map(|name| {
        let parsed = Proxy::new(&var(name)?).ok()?;
        if !matches!(parsed.protocol(), ProxyProtocol::Http | ProxyProtocol::Https) {
            return None;
        }
        let mut builder = Proxy::builder(parsed.protocol()).host(parsed.host()).port(parsed.port());
        if let Some(user) = parsed.username() {
            builder = builder.username(user);
        }
        if let Some(password) = parsed.password() {
            builder = builder.password(password);
        }
        for entry in no_proxy.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            builder = builder.no_proxy(entry);
        }
        Some(ProxyRoute { proxy: builder.build().ok()?, source: name })
    })
}

/// An agent with a keep-alive pool (at most [`MAX_IDLE_CONNECTIONS`] idle, each for at most
/// [`MAX_IDLE_AGE`]) and 16 KiB buffers per connection ([`INPUT_BUFFER_BYTES`]): `timeout` bounds each attempt, `connect_timeout` its connection; rustls
/// with the webpki roots, or the configured CA bundle; the configured proxy. Redirects are
/// returned, never followed (an API answering 3xx is an error).
pub(super) fn build_agent(settings: &PoolKey) -> Agent {
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
        .max_idle_age(MAX_IDLE_AGE)
        .input_buffer_size(INPUT_BUFFER_BYTES)
        .output_buffer_size(OUTPUT_BUFFER_BYTES)
        .max_response_header_size(MAX_RESPONSE_HEAD_BYTES);
    // Always set, so that ureq never reads the environment itself ([`proxy_from_env`] does).
    config = config.proxy(settings.proxy.as_ref().map(|route| route.proxy.clone()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_proxy_follows_ureq_but_for_httpoxy_and_socks() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
        };
        let chosen = |vars| proxy_from_env(env(vars)).map(|r| (r.source, r.proxy.host().to_owned(), r.proxy.port()));
        assert_eq!(chosen(&[]), None);
        assert_eq!(chosen(&[("HTTP_PROXY", "http://h:1")]), Some(("HTTP_PROXY", "h".to_owned(), 1)));
        assert_eq!(chosen(&[("http_proxy", "h:2")]), Some(("http_proxy", "h".to_owned(), 2)));
        // Under CGI, HTTP_PROXY may be a request's `Proxy:` header: ignored, either case.
        assert_eq!(chosen(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1")]), None);
        assert_eq!(chosen(&[("REQUEST_METHOD", ""), ("http_proxy", "http://evil:1")]), None);
        assert_eq!(
            chosen(&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1"), ("HTTPS_PROXY", "http://ok:3")]),
            Some(("HTTPS_PROXY", "ok".to_owned(), 3))
        );
        // ureq's order: ALL_PROXY first; an empty or broken value is skipped, and so is SOCKS.
        assert_eq!(
            chosen(&[("ALL_PROXY", "http://all:4"), ("HTTPS_PROXY", "http://s:5")]),
            Some(("ALL_PROXY", "all".to_owned(), 4))
        );
        assert_eq!(
            chosen(&[("ALL_PROXY", ""), ("all_proxy", "socks5://s:6"), ("https_proxy", "https://t:7")]),
            Some(("https_proxy", "t".to_owned(), 7))
        );
        let route = proxy_from_env(env(&[
            ("HTTPS_PROXY", "http://user:p%40ss@h:8"),
            ("NO_PROXY", "localhost, .internal,*.corp"),
            ("no_proxy", "ignored"),
        ]))
        .unwrap();
        assert_eq!((route.proxy.username(), route.proxy.password()), (Some("user"), Some("p@ss")));
        for (url, direct) in [
            ("http://localhost:1/x", true),
            ("https://api.internal/x", true),
            ("https://a.corp/x", true),
            ("https://internal/x", false),
            ("https://ignored/x", false),
            ("https://api.justifi.ai/x", false),
        ] {
            assert_eq!(ProxyRoute::for_url(Some(&route), url).is_none(), direct, "{url}");
        }
        assert!(!route.describe().contains("user") && !route.describe().contains("p@ss"), "{}", route.describe());
    }
}
