//! Webhook verification, the parts every provider shares (the Stripe SDKs' model, STYLE.md):
//! headers looked up case-insensitively, the raw body as bytes, any of several secrets
//! (rotation), a timestamp tolerance against an injected clock, and comparisons in constant
//! time. Each provider's scheme is in its own module; failures are `CHECKOUT_ERR_SIGNATURE`
//! with a message saying which check failed, never a secret.

use crate::config::ClientConfig;
use crate::error::{Error, Result, Status};
use crate::fields::json_object;
use crate::secret::Secret;
use crate::transport::{json_depth_within, MAX_JSON_DEPTH};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far ahead of the local clock a signed timestamp may be, in seconds (clock skew).
pub(crate) const MAX_FUTURE_SKEW_S: u64 = 300;

/// The secrets and tolerance of a client (`webhook_secrets`, `webhook_tolerance_s`).
#[derive(Debug, Clone)]
pub struct WebhookKeys {
    pub secrets: Vec<Secret>,
    /// Seconds; `None` for the provider's default; `Some(0)` disables the check.
    pub tolerance_s: Option<u64>,
}

impl WebhookKeys {
    pub fn from_config(config: &ClientConfig) -> WebhookKeys {
        WebhookKeys { secrets: config.webhook_secrets.clone(), tolerance_s: config.webhook_tolerance_s }
    }

    /// The configured secrets, or the configuration error saying they are needed.
    pub fn secrets(&self) -> Result<&[Secret]> {
        if self.secrets.is_empty() {
            return Err(Error::config("webhook_secrets: is required to verify webhooks"));
        }
        Ok(&self.secrets)
    }

    /// Checks that `timestamp` (Unix seconds) is at most the tolerance (the configured one,
    /// else `default_s`) older than `now`, and at most [`MAX_FUTURE_SKEW_S`] (or the
    /// tolerance, when smaller) ahead of it: a provider's retries make signatures old, never
    /// new, so a long tolerance for retries is no reason to accept a far-future timestamp.
    pub fn check_timestamp(&self, timestamp: i64, now: i64, default_s: u64) -> Result<()> {
        let tolerance = self.tolerance_s.unwrap_or(default_s);
        let skew = now.abs_diff(timestamp);
        let limit = if timestamp > now { tolerance.min(MAX_FUTURE_SKEW_S) } else { tolerance };
        if tolerance != 0 && skew > limit {
            let when = if timestamp < now { "old" } else { "in the future" };
            return Err(signature(format!("timestamp outside tolerance: signed {skew} s {when}, tolerance {limit} s")));
        }
        Ok(())
    }
}

/// A `CHECKOUT_ERR_SIGNATURE` with `message`.
pub fn signature(message: impl Into<String>) -> Error {
    Error::new(Status::Signature, message)
}

/// The request's headers, names case-insensitive; a value may be a string or an array of
/// strings (a header sent more than once).
#[derive(Debug, Default)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    /// From the `headers_json` object of `checkout_webhook_verify`.
    pub fn parse(text: &str) -> Result<Headers> {
        let mut headers = Vec::new();
        for (name, value) in json_object(text, "headers_json")? {
            let values = match value {
                Value::String(s) => vec![s],
                Value::Array(items) => items
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s),
                        _ => Err(Error::invalid_request(format!("headers_json.{name}: must hold strings"))),
                    })
                    .collect::<Result<_>>()?,
                _ => return Err(Error::invalid_request(format!("headers_json.{name}: must be a string"))),
            };
            headers.extend(values.into_iter().map(|v| (name.to_ascii_lowercase(), v)));
        }
        Ok(Headers(headers))
    }

    /// The first value of header `name` (any case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The value of header `display` (any case), or "missing header `display`".
    pub fn require(&self, display: &str) -> Result<&str> {
        self.get(display).map(str::trim).ok_or_else(|| signature(format!("missing header {display}")))
    }
}

/// Whether `hex_signature` is the lowercase-hex HMAC-SHA256 of `message` under `secret`,
/// compared in constant time.
pub fn hmac_sha256_matches(secret: &Secret, message: &[&[u8]], hex_signature: &str) -> bool {
    let Ok(expected) = hex::decode(hex_signature.trim()) else { return false };
    let mut mac = <Hmac<Sha256>>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key length");
    for part in message {
        mac.update(part);
    }
    mac.verify_slice(&expected).is_ok()
}

/// Whether `a` and `b` are equal, in constant time for equal lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// The body as JSON: "body is not JSON" otherwise (a non-UTF-8 body included); a body
/// nesting deeper than [`MAX_JSON_DEPTH`] levels is refused, as the event wraps it once more.
pub fn body_json(body: &[u8]) -> Result<Value> {
    let text = std::str::from_utf8(body).map_err(|_| signature("body is not JSON (it is not UTF-8)"))?;
    if !json_depth_within(body, MAX_JSON_DEPTH) {
        return Err(signature(format!("body nests JSON deeper than {MAX_JSON_DEPTH} levels")));
    }
    serde_json::from_str(text).map_err(|e| signature(format!("body is not JSON ({e})")))
}

/// A timestamp header: Unix seconds, or ISO 8601 / RFC 3339 (JustiFi's docs show both).
pub fn unix_seconds(value: &str) -> Option<i64> {
    if let Ok(seconds) = value.trim().parse::<i64>() {
        return Some(seconds);
    }
    let iso = time::OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc3339).ok()?;
    Some(iso.unix_timestamp())
}

/// The unified `type` of a verified event: what it means for an order, the same words for
/// every provider (docs/contract.md §7, "Event types"). Each provider's mapping, with its
/// source, is next to its `event` function; an event that means none of these is `other`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub enum EventType {
    /// A payment was taken (a checkout's or a payment intent's): the order is paid.
    #[serde(rename = "payment.succeeded")]
    PaymentSucceeded,
    /// A payment attempt failed: the order stays unpaid, and the shopper may try again.
    #[serde(rename = "payment.failed")]
    PaymentFailed,
    /// A checkout was paid and closed: the order is paid.
    #[serde(rename = "checkout.completed")]
    CheckoutCompleted,
    /// A refund was made; the event's `refund` says what it is.
    #[serde(rename = "refund.created")]
    RefundCreated,
    /// A refund changed (its status, its metadata); the event's `refund` says what it is now.
    #[serde(rename = "refund.updated")]
    RefundUpdated,
    /// Anything else: nothing an order has to act on.
    #[serde(rename = "other")]
    Other,
}

impl EventType {
    /// The `payment_status` an event of this type reports: `succeeded` for a payment taken or a
    /// checkout completed, `failed` for a failed payment, none otherwise.
    pub fn payment_status(self) -> Option<String> {
        match self {
            EventType::PaymentSucceeded | EventType::CheckoutCompleted => Some("succeeded".to_owned()),
            EventType::PaymentFailed => Some("failed".to_owned()),
            EventType::RefundCreated | EventType::RefundUpdated | EventType::Other => None,
        }
    }
}

/// The normalized event of `checkout_webhook_verify` (docs/contract.md §7).
#[derive(Debug, Serialize, PartialEq)]
pub struct WebhookEvent {
    pub provider: &'static str,
    pub event_id: Option<String>,
    /// The unified type, from the signed bytes only.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The provider's own name of the event, from the signed bytes: JustiFi's `event_name`,
    /// ReCharge's payload object name (`checkout`, `charge`); null for Payfect, whose callback
    /// carries no name.
    pub provider_type: Option<String>,
    pub object_id: Option<String>,
    pub checkout_id: Option<String>,
    /// `succeeded` | `failed`, from the unified type ([`EventType::payment_status`]).
    pub payment_status: Option<String>,
    /// A provider's event name that travels outside the signed bytes (ReCharge's
    /// `X-Recharge-Topic`), as received: anyone on the path can change it, so nothing in the
    /// event is derived from it. Null for providers that sign their event name.
    pub unsigned_topic: Option<String>,
    /// For an event about a refund (JustiFi `payment.refunded`, `payment.refund.updated`; a
    /// signed ReCharge charge whose `total_refunds` is above zero): what it says of the refund,
    /// from the signed body. Null for other events.
    pub refund: Option<RefundEvent>,
    /// The event's payload as received.
    pub data: Value,
}

/// A refund as a webhook reports it.
#[derive(Debug, Serialize, PartialEq)]
pub struct RefundEvent {
    /// JustiFi's refund id (`re_...`); null for ReCharge, which numbers no refunds.
    pub id: Option<String>,
    /// The refunded payment (JustiFi's payment, ReCharge's charge).
    pub payment_id: Option<String>,
    /// This refund's amount, minor units (JustiFi); null where the event gives only a total.
    pub amount: Option<u64>,
    /// Everything refunded of the payment so far, minor units (ReCharge's `total_refunds`);
    /// null where the event does not say.
    pub amount_refunded: Option<u64>,
    /// `pending | succeeded | failed`, where the event says.
    pub status: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_case_insensitive_and_may_repeat() {
        let h = Headers::parse(r#"{"JUSTIFI-Signature": "abc", "X-Many": ["1", "2"]}"#).unwrap();
        assert_eq!(h.get("justifi-signature"), Some("abc"));
        assert_eq!(h.get("X-MANY"), Some("1"), "the first of repeated values");
        assert_eq!(h.require("X-Missing").unwrap_err().message, "missing header X-Missing");
        assert_eq!(Headers::parse(r#"{"a": 1}"#).unwrap_err().message, "headers_json.a: must be a string");
        assert_eq!(Headers::parse("[]").unwrap_err().status, Status::InvalidJson);
    }

    #[test]
    fn tolerance_counts_both_directions_and_zero_disables() {
        let keys = WebhookKeys { secrets: vec![], tolerance_s: None };
        keys.check_timestamp(1000, 1300, 300).unwrap();
        assert_eq!(
            keys.check_timestamp(1000, 1301, 300).unwrap_err().message,
            "timestamp outside tolerance: signed 301 s old, tolerance 300 s"
        );
        assert!(keys.check_timestamp(1400, 1000, 300).unwrap_err().message.contains("in the future"));
        keys.check_timestamp(1000, 1000 + 86_400, 86_700).expect("a day-old retry");
        assert_eq!(
            keys.check_timestamp(1000 + 301, 1000, 86_700).unwrap_err().message,
            "timestamp outside tolerance: signed 301 s in the future, tolerance 300 s"
        );
        WebhookKeys { secrets: vec![], tolerance_s: Some(0) }.check_timestamp(0, 1_700_000_000, 300).unwrap();
        assert_eq!(keys.secrets().unwrap_err().status, Status::Config);
    }

    #[test]
    fn timestamps_in_seconds_or_iso() {
        assert_eq!(unix_seconds("1668122947"), Some(1668122947));
        assert_eq!(unix_seconds("2022-11-10T23:29:07Z"), Some(1668122947));
        assert_eq!(unix_seconds("yesterday"), None);
    }

    #[test]
    fn bodies_must_be_json() {
        assert_eq!(body_json(b"\xff\xfe").unwrap_err().message, "body is not JSON (it is not UTF-8)");
        assert!(body_json(b"{").unwrap_err().message.starts_with("body is not JSON"));
        let deep = format!("{}{}", "[".repeat(126), "]".repeat(126));
        assert_eq!(body_json(deep.as_bytes()).unwrap_err().message, "body nests JSON deeper than 125 levels");
        body_json(&deep.as_bytes()[1..deep.len() - 1]).expect("125 levels");
    }
}
