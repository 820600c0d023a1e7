//! The sandbox as event publisher: after a JustiFi completion, a payment intent paid in the
//! session flow, a ReCharge charge or a payment on Payfect's page, it POSTs the signed event
//! to the provider's delivery URL (`POST /__sandbox/webhooks`), as each provider signs it:
//! - JustiFi: `JUSTIFI-TIMESTAMP`, `JUSTIFI-SIGNATURE` = hex HMAC-SHA256(secret, "ts.body");
//! - ReCharge: `X-Recharge-Topic`, `X-Recharge-Webhook-Signature: t=..,v1=..` and the legacy
//!   `X-Recharge-Hmac-Sha256` = hex SHA-256(secret ‖ body);
//! - Payfect: `X-Payfect-Signature`, a Fernet token of the body (to the checkout's
//!   `callback_url`, else the configured URL).
//!
//! Up to 3 attempts, retried on a non-2xx answer or a failed connection. Only loopback
//! addresses are ever contacted; any other URL is recorded as skipped.

use crate::state::{App, Delivery, Outgoing};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const ATTEMPTS: u32 = 3;

/// Delivers every queued event, each on a blocking task of its own.
pub fn flush(app: &Arc<App>) {
    let (outgoing, targets) = {
        let mut inner = app.lock();
        (std::mem::take(&mut inner.outbox), inner.webhooks.clone())
    };
    for event in outgoing {
        let target = targets.get(event.provider).cloned();
        let app = app.clone();
        tokio::task::spawn_blocking(move || {
            let delivery = match target {
                Some(t) => deliver(&event, event.url.clone().unwrap_or(t.url), &t.secret),
                None => return,
            };
            app.lock().record_delivery(delivery);
        });
    }
}

fn is_loopback(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else { return false };
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

fn hmac_hex(secret: &str, parts: &[&[u8]]) -> String {
    let mut mac = <Hmac<Sha256>>::new_from_slice(secret.as_bytes()).expect("any key length");
    for p in parts {
        mac.update(p);
    }
    hex::encode(mac.finalize().into_bytes())
}

/// The signed headers of `body` for `event`'s provider.
fn sign(event: &Outgoing, body: &[u8], secret: &str) -> Result<Vec<(&'static str, String)>, String> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs().to_string();
    Ok(match event.provider {
        "justifi" => vec![
            ("JUSTIFI-TIMESTAMP", now.clone()),
            ("JUSTIFI-SIGNATURE", hmac_hex(secret, &[now.as_bytes(), b".", body])),
        ],
        "recharge" => vec![
            ("X-Recharge-Topic", event.kind.clone()),
            ("X-Recharge-Webhook-Timestamp", now.clone()),
            ("X-Recharge-Webhook-Signature", format!("t={now},v1={}", hmac_hex(secret, &[now.as_bytes(), b".", body]))),
            ("X-Recharge-Hmac-Sha256", hex::encode(Sha256::new().chain_update(secret).chain_update(body).finalize())),
        ],
        _ => {
            let fernet = fernet::Fernet::new(secret).ok_or("the Payfect secret is not a Fernet key")?;
            vec![("X-Payfect-Signature", fernet.encrypt(body))]
        }
    })
}

fn deliver(event: &Outgoing, url: String, secret: &str) -> Delivery {
    let mut delivery = Delivery {
        provider: event.provider,
        kind: event.kind.clone(),
        url: url.clone(),
        attempts: 0,
        outcome: String::new(),
    };
    if !is_loopback(&url) {
        delivery.outcome = "skipped: the sandbox delivers to loopback addresses only".into();
        return delivery;
    }
    let body = event.body.to_string();
    let headers = match sign(event, body.as_bytes(), secret) {
        Ok(h) => h,
        Err(e) => {
            delivery.outcome = format!("skipped: {e}");
            return delivery;
        }
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    for attempt in 1..=ATTEMPTS {
        delivery.attempts = attempt;
        let mut request = agent.post(&url).header("Content-Type", "application/json");
        for (name, value) in &headers {
            request = request.header(*name, value);
        }
        match request.send(body.as_str()) {
            Ok(resp) if resp.status().is_success() => {
                delivery.outcome = resp.status().as_u16().to_string();
                return delivery;
            }
            Ok(resp) => delivery.outcome = resp.status().as_u16().to_string(),
            Err(e) => delivery.outcome = format!("failed: {e}"),
        }
        std::thread::sleep(Duration::from_millis(200 * u64::from(attempt)));
    }
    delivery
}
