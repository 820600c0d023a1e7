//! The client configuration common to every provider (docs/contract.md §5). Each provider reads
//! its own credentials from the same [`Fields`] after this, and whatever is left is an
//! unknown key.

use crate::error::{Error, Result};
use crate::fields::Fields;
use crate::secret::Secret;
use std::net::IpAddr;
use std::time::Duration;
use url::Url;

/// Settings shared by all providers.
#[derive(Debug)]
pub struct ClientConfig {
    /// The provider API's origin, without a trailing slash (`https://api.justifi.ai`).
    pub base_url: String,
    /// The origin of the provider's hosted pages, when overridden: `hosted_base_url`, else
    /// the provider's hosted-origin variable (`JUSTIFI_HOSTED_BASE_URL`,
    /// `RECHARGE_HOSTED_BASE_URL`), else `base_url` itself when that is a loopback origin (the
    /// sandbox serves the hosted pages on the API's origin, so a sandbox checkout is never sent
    /// to the production page). `None` means the provider's production page.
    pub hosted_base_url: Option<String>,
    /// The deadline of one HTTP attempt (`timeout_ms`, default 30 000 ms).
    pub timeout: Duration,
    /// The deadline to establish a connection (`connect_timeout_ms`, default 10 000 ms).
    pub connect_timeout: Duration,
    /// Further attempts allowed after the first (`max_retries`, default 2, at most 10).
    pub max_retries: u32,
    /// The whole call's budget, retries and waits included, from its first request
    /// (`deadline_ms`, default 60 000 ms).
    pub deadline: Duration,
    /// A PEM file of root certificates to trust instead of the bundled webpki roots
    /// (`ca_bundle_path`; e.g. a PCI vault proxy's CA).
    pub ca_bundle_path: Option<std::path::PathBuf>,
    /// An HTTP(S) proxy for every request (`proxy`, `http://host:port`; https targets are
    /// tunnelled with CONNECT). Without it, the environment's proxy applies, read when the
    /// client is made (docs/contract.md §5: `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` unless
    /// `REQUEST_METHOD` is set, `NO_PROXY`).
    pub proxy: Option<String>,
    /// Webhook signing secrets, any of which may have signed a delivery (`webhook_secrets`;
    /// several during a rotation).
    pub webhook_secrets: Vec<Secret>,
    /// The allowed clock difference for signed webhook timestamps, in seconds
    /// (`webhook_tolerance_s`; `None` means the provider's default; 0 disables the check).
    pub webhook_tolerance_s: Option<u64>,
    /// Whether to write one JSON line per HTTP attempt to stderr (`log`, default false).
    pub log: bool,
}

impl ClientConfig {
    /// Reads the common keys; `default_base_url` is the provider's production origin, and
    /// `base_url_env` the environment variable that gives `base_url` when the configuration
    /// does not (`JUSTIFI_BASE_URL`, ...), as credentials come from the environment too.
    /// The hosted pages' variable is named after it ([`hosted_base_url_env`]).
    pub fn read(f: &mut Fields, default_base_url: &str, base_url_env: &str) -> Result<ClientConfig> {
        Self::read_with(f, default_base_url, base_url_env, hosted_base_url_env(base_url_env))
    }

    /// [`ClientConfig::read`], with `hosted_env` the variable giving `hosted_base_url` (and
    /// allowing the loopback default), or `None` for a provider without hosted pages of its own.
    fn read_with(
        f: &mut Fields,
        default_base_url: &str,
        base_url_env: &str,
        hosted_env: Option<&str>,
    ) -> Result<ClientConfig> {
        let base_url = match credential(f, "base_url", base_url_env)? {
            Some(s) => origin(f, "base_url", &s)?,
            None => default_base_url.to_owned(),
        };
        let hosted = match hosted_env {
            Some(env) => credential(f, "hosted_base_url", env)?,
            None => f.string("hosted_base_url")?,
        };
        let hosted_base_url = match hosted {
            Some(s) => Some(origin(f, "hosted_base_url", &s)?),
            None if hosted_env.is_some() && Url::parse(&base_url).is_ok_and(|u| is_loopback(&u)) => {
                Some(base_url.clone())
            }
            None => None,
        };
        let ms = |v: Option<u64>, default: u64| Duration::from_millis(v.unwrap_or(default));
        let timeout = ms(f.integer_up_to("timeout_ms", 600_000)?, 30_000);
        let connect_timeout = ms(f.integer_up_to("connect_timeout_ms", 600_000)?, 10_000);
        if timeout.is_zero() || connect_timeout.is_zero() {
            return Err(Error::config("timeout_ms and connect_timeout_ms: must be at least 1"));
        }
        let max_retries = f.integer_up_to("max_retries", 10)?.unwrap_or(2) as u32;
        let deadline = ms(f.integer_up_to("deadline_ms", 3_600_000)?, 60_000);
        if deadline.is_zero() {
            return Err(Error::config("deadline_ms: must be at least 1"));
        }
        let ca_bundle_path = f.string("ca_bundle_path")?.map(std::path::PathBuf::from);
        let proxy = f.string("proxy")?;
        let mut webhook_secrets = Vec::new();
        for (i, v) in f.array("webhook_secrets")?.unwrap_or_default().into_iter().enumerate() {
            match v {
                serde_json::Value::String(s) if !s.is_empty() => webhook_secrets.push(Secret::new(s)),
                _ => return Err(f.error(&format!("webhook_secrets[{i}]"), "must be a non-empty string")),
            }
        }
        let webhook_tolerance_s = f.integer_up_to("webhook_tolerance_s", 10 * 365 * 86_400)?;
        let log = f.boolean("log")?.unwrap_or(false);
        Ok(ClientConfig {
            base_url,
            hosted_base_url,
            timeout,
            connect_timeout,
            max_retries,
            deadline,
            ca_bundle_path,
            proxy,
            webhook_secrets,
            webhook_tolerance_s,
            log,
        })
    }
}

/// The variable giving `hosted_base_url` for the provider whose `base_url` variable is
/// `base_url_env`: `JUSTIFI_HOSTED_BASE_URL`, `RECHARGE_HOSTED_BASE_URL`. Payfect has none, as
/// each of its checkouts carries its own `url` and it refuses `hosted_base_url`.
pub fn hosted_base_url_env(base_url_env: &str) -> Option<&'static str> {
    const HOSTED: [(&str, &str); 2] =
        [("JUSTIFI_BASE_URL", "JUSTIFI_HOSTED_BASE_URL"), ("RECHARGE_BASE_URL", "RECHARGE_HOSTED_BASE_URL")];
    HOSTED.iter().find(|(base, _)| *base == base_url_env).map(|(_, hosted)| *hosted)
}

/// A credential from the configuration, or else from the environment variable `env`
/// (docs/contract.md §5: `JUSTIFI_CLIENT_ID`, ...). Empty environment values count as unset.
pub fn credential(f: &mut Fields, name: &str, env: &str) -> Result<Option<String>> {
    Ok(f.string(name)?.or_else(|| std::env::var(env).ok().filter(|v| !v.is_empty())))
}

/// Checks that `value` is an origin: `https://host[:port]`, or `http://` for loopback
/// hosts only, with no path, query or credentials. Returns it without a trailing slash.
fn origin(f: &Fields, name: &str, value: &str) -> Result<String> {
    let url = Url::parse(value).map_err(|e| f.error(name, &format!("is not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(f.error(name, "must not contain credentials"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(f.error(name, "must be an origin (scheme, host, port) without a path"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(f.error(name, "must use https (plain http is allowed for loopback hosts only)")),
        _ => return Err(f.error(name, "must be an http(s) URL")),
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Whether `url`'s host is `localhost` or a loopback address.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;
    use serde_json::json;

    fn read(v: serde_json::Value) -> Result<ClientConfig> {
        let mut f = Fields::new(v.as_object().unwrap().clone(), Status::Config);
        let c = ClientConfig::read(&mut f, "https://api.example.test", "STOREFRONT_TEST_UNSET_BASE_URL")?;
        f.finish()?;
        Ok(c)
    }

    #[test]
    fn defaults_apply() {
        let c = read(json!({})).unwrap();
        assert_eq!(c.base_url, "https://api.example.test");
        assert_eq!(c.timeout, Duration::from_millis(30_000));
        assert_eq!(c.connect_timeout, Duration::from_millis(10_000));
        assert_eq!(c.max_retries, 2);
        assert_eq!((c.webhook_secrets.len(), c.webhook_tolerance_s), (0, None));
    }

    #[test]
    fn base_url_must_be_an_https_or_loopback_origin() {
        assert_eq!(read(json!({"base_url": "http://127.0.0.1:8088/"})).unwrap().base_url, "http://127.0.0.1:8088");
        assert_eq!(read(json!({"base_url": "http://localhost:1"})).unwrap().base_url, "http://localhost:1");
        assert_eq!(read(json!({"base_url": "http://[::1]:9"})).unwrap().base_url, "http://[::1]:9");
        for bad in [
            "http://api.justifi.ai",
            "http://10.0.0.1:80",
            "ftp://127.0.0.1",
            "https://api.justifi.ai/v1",
            "https://user:pw@api.justifi.ai",
            "not a url",
        ] {
            let e = read(json!({ "base_url": bad })).unwrap_err();
            assert_eq!(e.status, Status::Config, "{bad}");
            assert!(e.message.starts_with("base_url: "), "{}", e.message);
        }
    }

    fn read_hosted(v: serde_json::Value, hosted_env: Option<&str>) -> Result<Option<String>> {
        let mut f = Fields::new(v.as_object().unwrap().clone(), Status::Config);
        let c =
            ClientConfig::read_with(&mut f, "https://api.example.test", "STOREFRONT_TEST_UNSET_BASE_URL", hosted_env)?;
        f.finish()?;
        Ok(c.hosted_base_url)
    }

    #[test]
    fn hosted_base_url_comes_from_the_config_the_environment_or_a_loopback_base_url() {
        assert_eq!(hosted_base_url_env("JUSTIFI_BASE_URL"), Some("JUSTIFI_HOSTED_BASE_URL"));
        assert_eq!(hosted_base_url_env("RECHARGE_BASE_URL"), Some("RECHARGE_HOSTED_BASE_URL"));
        assert_eq!(hosted_base_url_env("PAYFECT_BASE_URL"), None);
        let hosted = Some("STOREFRONT_TEST_HOSTED_BASE_URL");
        // A sandbox on loopback serves the hosted pages itself: its checkouts never get the
        // production page.
        let sandbox = json!({"base_url": "http://127.0.0.1:8088"});
        assert_eq!(read_hosted(sandbox.clone(), hosted).unwrap().as_deref(), Some("http://127.0.0.1:8088"));
        assert_eq!(read_hosted(json!({"base_url": "https://api.example.test"}), hosted).unwrap(), None);
        assert_eq!(read_hosted(json!({}), hosted).unwrap(), None);
        let given = json!({"base_url": "http://127.0.0.1:8088", "hosted_base_url": "https://pay.example.test/"});
        assert_eq!(read_hosted(given, hosted).unwrap().as_deref(), Some("https://pay.example.test"));
        // No variable (Payfect): nothing derived, so its refusal of hosted_base_url holds.
        assert_eq!(read_hosted(sandbox, None).unwrap(), None);
        std::env::set_var("STOREFRONT_TEST_HOSTED_BASE_URL", "http://localhost:9000");
        let from_env = read_hosted(json!({"base_url": "https://api.example.test"}), hosted);
        let bad = read_hosted(json!({"hosted_base_url": "http://pay.example.test"}), hosted).unwrap_err();
        std::env::remove_var("STOREFRONT_TEST_HOSTED_BASE_URL");
        assert_eq!(from_env.unwrap().as_deref(), Some("http://localhost:9000"));
        assert!(bad.message.starts_with("hosted_base_url: must use https"), "{}", bad.message);
    }

    #[test]
    fn debug_prints_mask_the_secrets() {
        let c = read(json!({"webhook_secrets": ["whsec_very_secret"]})).unwrap();
        let printed = format!("{c:?}");
        assert!(printed.contains("webhook_secrets: [***]"), "{printed}");
        assert!(!printed.contains("whsec_very_secret"));
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = read(json!({"max_retries": 11})).unwrap_err();
        assert_eq!(e.message, "max_retries: must be an integer from 0 to 10");
        let e = read(json!({"webhook_secrets": ["a", ""]})).unwrap_err();
        assert_eq!(e.message, "webhook_secrets[1]: must be a non-empty string");
        let e = read(json!({"timeout": 5})).unwrap_err();
        assert_eq!(e.message, "timeout: unknown field");
    }
}
