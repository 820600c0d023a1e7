//! Reading providers' answers: the one place an object is taken out of its envelope, and the
//! value shapes several providers share. Every failure here is a [`Fault`] (an integration
//! fault), never a provider's verdict.

use super::exchange::Fault;
use crate::response::ProviderData;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Where a provider puts the object in a 2xx answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Envelope {
    /// JustiFi's `{"id", "type", "data", "page_info"}` (`components.schemas.Envelope` of its
    /// spec) when the answer has both `type` and an object `data`; else the bare object, as the
    /// spec shows for `/payment_intents`. The object is kept as the raw text it arrived in.
    DataWhenTyped,
    /// The object under a key: ReCharge's `{"checkout": {...}}`, `{"checkout_charge": {...}}`.
    Key(&'static str),
    /// The body is the object (Payfect).
    Bare,
}

/// A 2xx answer's object typed as `T` (the fields a provider reads), with the object as
/// received for `provider_data`. An answer that is not a JSON object, or whose envelope lacks
/// the object, is a [`Fault`] about `what`.
pub fn object<T: DeserializeOwned>(
    body: &[u8],
    envelope: Envelope,
    what: &'static str,
) -> Result<(T, ProviderData), Fault> {
    match envelope {
        Envelope::DataWhenTyped => data_when_typed(body, what),
        Envelope::Key(key) => {
            let mut answer: Map<String, Value> = serde_json::from_slice(body).map_err(|e| Fault::new(what, e))?;
            let object = answer
                .remove(key)
                .filter(Value::is_object)
                .ok_or_else(|| Fault::new(what, format!("no {key} object")))?;
            let typed = T::deserialize(&object).map_err(|e| Fault::new(what, e))?;
            Ok((typed, ProviderData::Parsed(object)))
        }
        Envelope::Bare => {
            let raw: Value = serde_json::from_slice(body).map_err(|e| Fault::new(what, e))?;
            let typed = T::deserialize(&raw).map_err(|e| Fault::new(what, e))?;
            Ok((typed, ProviderData::Parsed(raw)))
        }
    }
}

/// [`Envelope::DataWhenTyped`]: one pass over the body finds the envelope's `data` (the usual
/// answer); the whole body is read again only when it is not enveloped, or not an object
/// (for the fault). The object's text is kept verbatim, never parsed into a tree.
fn data_when_typed<T: DeserializeOwned>(body: &[u8], what: &'static str) -> Result<(T, ProviderData), Fault> {
    #[derive(Deserialize)]
    struct Enveloped<'a> {
        #[serde(borrow)]
        data: Option<&'a RawValue>,
        #[serde(rename = "type")]
        kind: Option<IgnoredAny>,
    }
    let whole = || -> Result<&RawValue, Fault> {
        let whole: &RawValue = serde_json::from_slice(body).map_err(|e| Fault::new(what, e))?;
        match whole.get().trim_start().starts_with('{') {
            true => Ok(whole),
            false => Err(Fault::new(what, "not a JSON object")),
        }
    };
    let envelope: Enveloped = match serde_json::from_slice(body) {
        Ok(envelope) => envelope,
        Err(e) => {
            whole()?;
            return Err(Fault::new(what, e));
        }
    };
    let raw = match (envelope.data, envelope.kind) {
        (Some(data), Some(_)) if data.get().trim_start().starts_with('{') => data,
        _ => whole()?,
    };
    let typed = serde_json::from_str(raw.get()).map_err(|e| Fault::new(what, e))?;
    Ok((typed, ProviderData::Raw(raw.to_owned())))
}

/// A value a provider writes as a string or as a JSON number (ReCharge's prices and ids,
/// Payfect's times): read as its text.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum NumberOrText {
    Text(String),
    Number(serde_json::Number),
}

impl NumberOrText {
    /// The value's text (`"60.00"`, `"512345678"`, `"1690532072.288761"`).
    pub fn text(&self) -> String {
        match self {
            NumberOrText::Text(s) => s.clone(),
            NumberOrText::Number(n) => n.to_string(),
        }
    }
}

/// An integer amount of minor units from a JSON number (`1799` or `1799.0`), as providers
/// documenting amounts as "number" may send either.
pub fn minor_units(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= 9.0e15).map(|f| f as u64))
}

/// An amount in minor units that a provider types `number` (JustiFi's spec): an integer, or
/// a float with no fraction (`1799.0`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MinorUnits(pub u64);

impl<'de> Deserialize<'de> for MinorUnits {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<MinorUnits, D::Error> {
        let v = Value::deserialize(d)?;
        minor_units(&v).map(MinorUnits).ok_or_else(|| serde::de::Error::custom(format!("{v} is not minor units")))
    }
}

/// The messages of an error body's field map, `field: message; field: message`: a string is
/// its message, a list of strings is joined by spaces, and nested objects give dotted paths
/// (`billing_address.address1: Field may not be null.`). ReCharge's `{"errors": {...}}`
/// and Django REST framework's `{"field": ["msg"]}` (Payfect) both read so. A bare string is
/// returned as it is.
pub fn field_messages(v: &Value) -> Option<String> {
    fn flatten(path: &str, v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(m) => out.push(format!("{path}: {m}")),
            Value::Array(items) => {
                let texts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                if !texts.is_empty() {
                    out.push(format!("{path}: {}", texts.join(" ")));
                }
            }
            Value::Object(fields) => {
                for (k, inner) in fields {
                    let path = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    flatten(&path, inner, out);
                }
            }
            _ => {}
        }
    }
    if let Value::String(s) = v {
        return Some(s.clone());
    }
    let mut parts = Vec::new();
    if v.is_object() {
        flatten("", v, &mut parts);
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize, Debug)]
    struct Thing {
        id: String,
    }

    #[test]
    fn minor_units_accept_integral_numbers_only() {
        assert_eq!(minor_units(&json!(1799)), Some(1799));
        assert_eq!(minor_units(&json!(1799.0)), Some(1799));
        assert_eq!(minor_units(&json!(17.99)), None);
        assert_eq!(minor_units(&json!(-1)), None);
        assert_eq!(minor_units(&json!("1799")), None);
    }

    #[test]
    fn field_messages_in_every_published_form() {
        assert_eq!(field_messages(&json!("Not Found")).as_deref(), Some("Not Found"));
        assert_eq!(
            field_messages(&json!({"email": ["is invalid", "is required"], "address": {"zip": "bad"}})).as_deref(),
            Some("address.zip: bad; email: is invalid is required")
        );
        assert_eq!(field_messages(&json!({})), None);
        assert_eq!(field_messages(&json!(null)), None);
    }

    #[test]
    fn each_envelope_gives_its_object_or_a_fault() {
        let enveloped = br#"{"id":"cho_1","type":"checkout","data":{"id":"cho_1"},"page_info":null}"#;
        let (t, raw) = object::<Thing>(enveloped, Envelope::DataWhenTyped, "checkout").unwrap();
        assert_eq!((t.id.as_str(), raw.to_value()), ("cho_1", json!({"id": "cho_1"})));
        let bare = br#"{"id":"pi_1","data":"x"}"#;
        assert_eq!(object::<Thing>(bare, Envelope::DataWhenTyped, "payment intent").unwrap().0.id, "pi_1");
        let keyed = br#"{"checkout":{"id":"tok"}}"#;
        assert_eq!(object::<Thing>(keyed, Envelope::Key("checkout"), "checkout").unwrap().0.id, "tok");
        let fault = object::<Thing>(br#"{"charge":{}}"#, Envelope::Key("checkout"), "checkout").unwrap_err();
        assert_eq!(fault.problem, "no checkout object");
        assert!(object::<Thing>(b"[1]", Envelope::Bare, "checkout").is_err());
        let fault = object::<Thing>(b"[]", Envelope::DataWhenTyped, "checkout").unwrap_err();
        assert_eq!(fault.into_error("JustiFi").message, "JustiFi's checkout could not be read: not a JSON object");
    }
}
