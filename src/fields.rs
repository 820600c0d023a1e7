//! Reading a JSON object field by field, so that every bad input gets an error naming the
//! field (`"line_items[0].quantity: must be a positive integer"`), and every field left
//! unread at the end is reported as unknown.

use crate::error::{Error, Result, Status};
use serde_json::{Map, Value};

/// The longest string field accepted, in bytes: far above any provider's field, and a bound
/// on what a hostile or broken caller can make the library forward.
const MAX_STRING_BYTES: usize = 65_536;

/// The largest JSON argument accepted (a request, a configuration or a webhook's headers),
/// in bytes: 1 MiB. Far above any checkout, and a bound on what a hostile or broken caller
/// can make the library hold and forward (`provider_options` and `metadata` included).
pub(crate) const MAX_JSON_BYTES: usize = 1 << 20;

/// The JSON object in `text`, named `name` in errors (`CHECKOUT_ERR_INVALID_JSON`); text over
/// [`MAX_JSON_BYTES`] is `CHECKOUT_ERR_INVALID_REQUEST`, refused before it is parsed.
pub fn json_object(text: &str, name: &str) -> Result<Map<String, Value>> {
    if text.len() > MAX_JSON_BYTES {
        return Err(Error::invalid_request(format!(
            "{name}: is {} bytes; the most accepted is {MAX_JSON_BYTES} bytes (1 MiB)",
            text.len()
        )));
    }
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::new(Status::InvalidJson, format!("{name}: must be a JSON object"))),
        Err(e) => Err(Error::new(Status::InvalidJson, format!("{name}: is not JSON ({e})"))),
    }
}

/// What an amount must be: the refusal of a decimal, a string or a non-positive amount, the same
/// in every binding (the bindings' own checks, such as Node's for a `BigInt`, say it too).
pub const MINOR_UNITS: &str = "must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)";

/// The fields of one JSON object, taken one at a time.
///
/// `status` is the error status for bad fields: `InvalidRequest` for operation requests,
/// `Config` for the client configuration. A JSON `null` reads as an absent field.
pub struct Fields {
    map: Map<String, Value>,
    prefix: String,
    status: Status,
}

impl Fields {
    pub fn new(map: Map<String, Value>, status: Status) -> Fields {
        Fields { map, prefix: String::new(), status }
    }

    /// The fields of a nested object, with `name` (e.g. `line_items[0]`) prefixed to errors.
    pub fn nested(&self, name: &str, value: Value) -> Result<Fields> {
        let path = self.path(name);
        match value {
            Value::Object(map) => Ok(Fields { map, prefix: format!("{path}."), status: self.status }),
            _ => Err(Error::new(self.status, format!("{path}: must be an object"))),
        }
    }

    /// The full name of field `name`, as errors show it.
    pub fn path(&self, name: &str) -> String {
        format!("{}{}", self.prefix, name)
    }

    /// An error about field `name`.
    pub fn error(&self, name: &str, problem: &str) -> Error {
        Error::new(self.status, format!("{}: {}", self.path(name), problem))
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.map.remove(name).filter(|v| !v.is_null())
    }

    /// An optional string; empty strings and control characters are refused, since every
    /// string here ends up in a URL, a header or a provider's record.
    pub fn string(&mut self, name: &str) -> Result<Option<String>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Err(self.error(name, "must not be empty")),
            Some(Value::String(s)) if s.len() > MAX_STRING_BYTES => {
                Err(self.error(name, &format!("must be at most {MAX_STRING_BYTES} bytes")))
            }
            Some(Value::String(s)) if s.chars().any(char::is_control) => {
                Err(self.error(name, "must not contain control characters"))
            }
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.error(name, "must be a string")),
        }
    }

    /// An optional provider id (`cho_...`, a ReCharge token, a UUID): 1 to 255 printable ASCII
    /// characters without spaces, and not `.` or `..`, so that it is safe in a URL path
    /// segment, a header or an HTML attribute.
    pub fn id(&mut self, name: &str) -> Result<Option<String>> {
        match self.string(name)? {
            Some(id) if id == "." || id == ".." => Err(self.error(name, "is not a valid id")),
            Some(id) if id.len() <= 255 && id.bytes().all(|b| b.is_ascii_graphic()) => Ok(Some(id)),
            Some(_) => Err(self.error(name, "must be 1 to 255 printable ASCII characters without spaces")),
            None => Ok(None),
        }
    }

    /// A required provider id (see [`Fields::id`]).
    pub fn required_id(&mut self, name: &str) -> Result<String> {
        self.id(name)?.ok_or_else(|| self.error(name, "is required"))
    }

    /// An optional catalog id given as a string or a non-negative integer (seed 002 writes
    /// ReCharge's `product_id` and `variant_id` as numbers), as its decimal text.
    pub fn string_or_integer(&mut self, name: &str) -> Result<Option<String>> {
        match self.map.get(name) {
            Some(Value::Number(n)) => match n.as_u64() {
                Some(v) => {
                    self.map.remove(name);
                    Ok(Some(v.to_string()))
                }
                None => Err(self.error(name, "must be a string or a non-negative integer")),
            },
            _ => self.string(name),
        }
    }

    /// A required string.
    pub fn required_string(&mut self, name: &str) -> Result<String> {
        self.string(name)?.ok_or_else(|| self.error(name, "is required"))
    }

    /// An optional positive integer (no floats, no strings, no zero).
    pub fn positive_integer(&mut self, name: &str) -> Result<Option<u64>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(v) if v > 0 => Ok(Some(v)),
                _ => Err(self.error(name, "must be a positive integer")),
            },
            Some(_) => Err(self.error(name, "must be a positive integer")),
        }
    }

    /// An optional amount in a currency's minor units: a positive integer. A refusal says so
    /// with an example ([`MINOR_UNITS`]), as a decimal such as 17.99 is the usual mistake.
    pub fn minor_units(&mut self, name: &str) -> Result<Option<u64>> {
        self.positive_integer(name).map_err(|_| self.error(name, MINOR_UNITS))
    }

    /// An optional integer in `0..=max`.
    pub fn integer_up_to(&mut self, name: &str, max: u64) -> Result<Option<u64>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(v) if v <= max => Ok(Some(v)),
                _ => Err(self.error(name, &format!("must be an integer from 0 to {max}"))),
            },
            Some(_) => Err(self.error(name, &format!("must be an integer from 0 to {max}"))),
        }
    }

    /// An optional boolean.
    pub fn boolean(&mut self, name: &str) -> Result<Option<bool>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(self.error(name, "must be true or false")),
        }
    }

    /// An optional JSON object, taken as is.
    pub fn object(&mut self, name: &str) -> Result<Option<Map<String, Value>>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(self.error(name, "must be an object")),
        }
    }

    /// An optional JSON array, taken as is.
    pub fn array(&mut self, name: &str) -> Result<Option<Vec<Value>>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(self.error(name, "must be an array")),
        }
    }

    /// Ends the reading: any field not taken is unknown, and the first one (in name order)
    /// is reported.
    pub fn finish(self) -> Result<()> {
        match self.map.keys().min() {
            None => Ok(()),
            Some(name) => Err(Error::new(self.status, format!("{}{}: unknown field", self.prefix, name))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> Fields {
        Fields::new(v.as_object().unwrap().clone(), Status::InvalidRequest)
    }

    #[test]
    fn reads_typed_fields_and_names_bad_ones() {
        let mut f = fields(json!({"a": "x", "n": 5, "z": null, "o": {}}));
        assert_eq!(f.string("a").unwrap().as_deref(), Some("x"));
        assert_eq!(f.positive_integer("n").unwrap(), Some(5));
        assert_eq!(f.string("z").unwrap(), None);
        assert!(f.object("o").unwrap().is_some());
        f.finish().unwrap();

        for (v, msg) in [
            (json!({"n": 1.5}), "n: must be a positive integer"),
            (json!({"n": "17"}), "n: must be a positive integer"),
            (json!({"n": 0}), "n: must be a positive integer"),
            (json!({"n": -3}), "n: must be a positive integer"),
            (json!({"n": 1e300}), "n: must be a positive integer"),
        ] {
            let err = fields(v).positive_integer("n").unwrap_err();
            assert_eq!(err.message, msg);
        }
        for v in [json!(17.99), json!("1799"), json!(0), json!(-1)] {
            let err = fields(json!({ "amount": v })).minor_units("amount").unwrap_err();
            assert_eq!(
                err.message,
                "amount: must be a positive integer in minor units (1799 for 17.99 USD, 1799 for 1799 JPY)"
            );
        }
        assert_eq!(fields(json!({"amount": 1799})).minor_units("amount").unwrap(), Some(1799));
        let err = fields(json!({"a": "x".repeat(MAX_STRING_BYTES + 1)})).string("a").unwrap_err();
        assert_eq!(err.message, "a: must be at most 65536 bytes");
        let err = fields(json!({"a": "x\r\ny"})).string("a").unwrap_err();
        assert_eq!(err.message, "a: must not contain control characters");
        let err = fields(json!({"a": 3})).required_string("a").unwrap_err();
        assert_eq!(err.message, "a: must be a string");
        let err = fields(json!({})).required_string("a").unwrap_err();
        assert_eq!(err.message, "a: is required");
    }

    #[test]
    fn json_arguments_are_capped_before_parsing() {
        let big = format!(r#"{{"provider_options": {{"pad": [{}0]}}}}"#, "0,".repeat(MAX_JSON_BYTES / 2));
        let e = json_object(&big, "request_json").unwrap_err();
        assert_eq!(e.status, Status::InvalidRequest);
        assert!(e.message.starts_with("request_json: is 1048"), "{}", e.message);
        assert!(e.message.ends_with("the most accepted is 1048576 bytes (1 MiB)"), "{}", e.message);
        let fits = format!(r#"{{"pad": "{}"}}"#, "x".repeat(MAX_JSON_BYTES - 20));
        assert!(json_object(&fits, "request_json").is_ok());
    }

    #[test]
    fn unknown_fields_are_named_with_their_path() {
        let f = fields(json!({"items": [{"nme": "x"}]}));
        let item = f.nested("items[0]", json!({"nme": "x"})).unwrap();
        let err = item.finish().unwrap_err();
        assert_eq!(err.message, "items[0].nme: unknown field");
        assert_eq!(err.status, Status::InvalidRequest);
    }
}
