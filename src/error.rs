//! Status codes and the error object of the public contract (docs/contract.md §4 and §6).
//!
//! Every failure in the library is an [`Error`]; at the C boundary it becomes a status code
//! and the JSON error object `{"error": {"status", "code", "message", ...}}`.

use serde::Serialize;
use std::fmt;

/// Success.
pub const CHECKOUT_OK: i32 = 0;
/// A required pointer was NULL.
pub const CHECKOUT_ERR_NULL_ARGUMENT: i32 = 1;
/// A string was not valid UTF-8.
pub const CHECKOUT_ERR_INVALID_UTF8: i32 = 2;
/// A string was not JSON, or not a JSON object.
pub const CHECKOUT_ERR_INVALID_JSON: i32 = 3;
/// A request field is missing, unknown, of the wrong type or out of range.
pub const CHECKOUT_ERR_INVALID_REQUEST: i32 = 4;
/// The client configuration is invalid.
pub const CHECKOUT_ERR_CONFIG: i32 = 5;
/// The provider has no such operation.
pub const CHECKOUT_ERR_UNSUPPORTED: i32 = 6;
/// The provider refused the credentials (after one token refresh).
pub const CHECKOUT_ERR_AUTHENTICATION: i32 = 7;
/// The provider has no such object.
pub const CHECKOUT_ERR_NOT_FOUND: i32 = 8;
/// Idempotency conflict, already processed, or a concurrent call.
pub const CHECKOUT_ERR_CONFLICT: i32 = 9;
/// HTTP 429 after the retries allowed.
pub const CHECKOUT_ERR_RATE_LIMITED: i32 = 10;
/// Any other refusal, or a 5xx, from the provider.
pub const CHECKOUT_ERR_PROVIDER: i32 = 11;
/// Connect, DNS, TLS, reset, or malformed HTTP.
pub const CHECKOUT_ERR_NETWORK: i32 = 12;
/// A deadline passed.
pub const CHECKOUT_ERR_TIMEOUT: i32 = 13;
/// A webhook signature is missing, wrong or outside the tolerance.
pub const CHECKOUT_ERR_SIGNATURE: i32 = 14;
/// A bug in this library: a caught panic.
pub const CHECKOUT_ERR_INTERNAL: i32 = 99;

/// The kind of a failure; its value is the C status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    NullArgument,
    InvalidUtf8,
    InvalidJson,
    InvalidRequest,
    Config,
    Unsupported,
    Authentication,
    NotFound,
    Conflict,
    RateLimited,
    Provider,
    Network,
    Timeout,
    Signature,
    Internal,
}

impl Status {
    /// Every status, in code order: the one table the header's `CHECKOUT_ERR_*`, and the
    /// bindings' error classes, are checked against (`tests/status_codes.rs`). A function,
    /// not an associated constant, which cbindgen would put in the header.
    pub fn all() -> [Status; 15] {
        [
            Status::NullArgument,
            Status::InvalidUtf8,
            Status::InvalidJson,
            Status::InvalidRequest,
            Status::Config,
            Status::Unsupported,
            Status::Authentication,
            Status::NotFound,
            Status::Conflict,
            Status::RateLimited,
            Status::Provider,
            Status::Network,
            Status::Timeout,
            Status::Signature,
            Status::Internal,
        ]
    }

    /// The C status code (docs/contract.md §4).
    pub fn code(self) -> i32 {
        match self {
            Status::NullArgument => CHECKOUT_ERR_NULL_ARGUMENT,
            Status::InvalidUtf8 => CHECKOUT_ERR_INVALID_UTF8,
            Status::InvalidJson => CHECKOUT_ERR_INVALID_JSON,
            Status::InvalidRequest => CHECKOUT_ERR_INVALID_REQUEST,
            Status::Config => CHECKOUT_ERR_CONFIG,
            Status::Unsupported => CHECKOUT_ERR_UNSUPPORTED,
            Status::Authentication => CHECKOUT_ERR_AUTHENTICATION,
            Status::NotFound => CHECKOUT_ERR_NOT_FOUND,
            Status::Conflict => CHECKOUT_ERR_CONFLICT,
            Status::RateLimited => CHECKOUT_ERR_RATE_LIMITED,
            Status::Provider => CHECKOUT_ERR_PROVIDER,
            Status::Network => CHECKOUT_ERR_NETWORK,
            Status::Timeout => CHECKOUT_ERR_TIMEOUT,
            Status::Signature => CHECKOUT_ERR_SIGNATURE,
            Status::Internal => CHECKOUT_ERR_INTERNAL,
        }
    }

    /// The snake_case name carried as `code` in the error object.
    pub fn name(self) -> &'static str {
        match self {
            Status::NullArgument => "null_argument",
            Status::InvalidUtf8 => "invalid_utf8",
            Status::InvalidJson => "invalid_json",
            Status::InvalidRequest => "invalid_request",
            Status::Config => "config",
            Status::Unsupported => "unsupported",
            Status::Authentication => "authentication",
            Status::NotFound => "not_found",
            Status::Conflict => "conflict",
            Status::RateLimited => "rate_limited",
            Status::Provider => "provider",
            Status::Network => "network",
            Status::Timeout => "timeout",
            Status::Signature => "signature",
            Status::Internal => "internal",
        }
    }

    /// The status for a provider's non-2xx HTTP answer, before any provider-specific code
    /// refines it: 400 and 422 refuse the request's content, 401 and 403 the credentials.
    pub fn from_http(http_status: u16) -> Status {
        match http_status {
            400 | 422 => Status::InvalidRequest,
            401 | 403 => Status::Authentication,
            404 => Status::NotFound,
            409 => Status::Conflict,
            429 => Status::RateLimited,
            _ => Status::Provider,
        }
    }

    /// Whether calling again with the same request (and idempotency key) may succeed.
    fn retryable(self) -> bool {
        matches!(self, Status::RateLimited | Status::Network | Status::Timeout)
    }
}

/// A failed operation: the contract's error object (docs/contract.md §6).
///
/// `message` names the offending field where there is one; it never holds a secret.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Error {
    #[serde(serialize_with = "status_code")]
    pub status: Status,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_code: Option<String>,
    pub retryable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// HTTP requests the call sent, retries included (0 when refused before sending).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// Whether the failed request may have reached the provider and been acted on (a
    /// timeout, a reset, an answer that could not be read): what makes a payment call's
    /// failure ambiguous. Not part of the error object.
    #[serde(skip)]
    pub may_have_reached_provider: bool,
}

fn status_code<S: serde::Serializer>(status: &Status, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_i32(status.code())
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error of `status` with `message`; retryable as the status class says.
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
            provider: None,
            http_status: None,
            provider_code: None,
            retryable: status.retryable(),
            request_id: None,
            idempotency_key: None,
            attempts: None,
            may_have_reached_provider: false,
        }
    }

    pub fn invalid_request(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidRequest, message)
    }

    pub fn config(message: impl Into<String>) -> Error {
        Error::new(Status::Config, message)
    }

    /// The error for a panic caught at the boundary: a bug in this library.
    pub fn caught_panic() -> Error {
        Error::new(Status::Internal, "internal error: storefront-checkout caught a panic; please report it")
    }

    /// Records which provider the failure came from, unless already known.
    pub fn with_provider(mut self, provider: &'static str) -> Error {
        self.provider.get_or_insert(provider);
        self
    }

    /// Records the idempotency key under which the caller may safely call again.
    pub fn with_idempotency_key(mut self, key: &str) -> Error {
        self.idempotency_key = Some(key.to_owned());
        self
    }

    /// The error object as JSON text: `{"error": {...}}`.
    pub fn to_json(&self) -> String {
        let mut inner = serde_json::to_value(self).unwrap_or_default();
        if let Some(obj) = inner.as_object_mut() {
            obj.insert("code".into(), self.status.name().into());
        }
        serde_json::json!({ "error": inner }).to_string()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.name(), self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_object_has_the_contract_fields() {
        let mut e = Error::new(Status::InvalidRequest, "amount: must be a positive integer").with_provider("justifi");
        e.http_status = Some(422);
        let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(v["error"]["status"], 4);
        assert_eq!(v["error"]["code"], "invalid_request");
        assert_eq!(v["error"]["message"], "amount: must be a positive integer");
        assert_eq!(v["error"]["provider"], "justifi");
        assert_eq!(v["error"]["http_status"], 422);
        assert_eq!(v["error"]["retryable"], false);
        assert!(v["error"].get("request_id").is_none());
    }

    #[test]
    fn http_statuses_map_to_contract_codes() {
        assert_eq!(Status::from_http(422).code(), CHECKOUT_ERR_INVALID_REQUEST);
        assert_eq!(Status::from_http(401).code(), CHECKOUT_ERR_AUTHENTICATION);
        assert_eq!(Status::from_http(404).code(), CHECKOUT_ERR_NOT_FOUND);
        assert_eq!(Status::from_http(409).code(), CHECKOUT_ERR_CONFLICT);
        assert_eq!(Status::from_http(429).code(), CHECKOUT_ERR_RATE_LIMITED);
        assert_eq!(Status::from_http(402).code(), CHECKOUT_ERR_PROVIDER);
        assert_eq!(Status::from_http(503).code(), CHECKOUT_ERR_PROVIDER);
    }
}
