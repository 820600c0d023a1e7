//! The optional request fields a provider honours, per operation: an allow-list. A field a
//! provider does not declare is refused (`CHECKOUT_ERR_INVALID_REQUEST`), never dropped, with
//! the provider's reason when it gives one. Checked by the engine before a provider builds
//! anything.

use crate::error::{Error, Result};

/// One operation's allow-list: the optional fields honoured (named as the requests'
/// `given()` names them: `metadata`, `line_items[].image_url`), and reasons for refusing
/// some of the others.
pub struct Honoured {
    pub fields: &'static [&'static str],
    pub refused_because: &'static [(&'static str, &'static str)],
}

/// A provider's allow-lists. `None`: the operation is unsupported, and the provider's own
/// error says so.
pub struct Honours {
    pub create: Honoured,
    pub get: Honoured,
    pub complete: Option<Honoured>,
    pub redirect: Honoured,
    pub refund: Option<Honoured>,
    pub void: Option<Honoured>,
}

impl Honoured {
    /// `CHECKOUT_ERR_INVALID_REQUEST` for the first `given` field not honoured:
    /// `"<field>: <provider> does not take it on <operation>: <why>"`.
    pub fn check(&self, provider: &str, operation: &str, given: &[&str]) -> Result<()> {
        let Some(field) = given.iter().find(|g| !self.fields.contains(g)) else {
            return Ok(());
        };
        let why = self
            .refused_because
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, why)| *why)
            .unwrap_or("it publishes no such field");
        Err(Error::invalid_request(format!("{field}: {provider} does not take it on {operation}: {why}")))
    }
}

/// [`Honoured::check`] for an operation that may be unsupported (then nothing is checked).
pub fn check(honoured: Option<&Honoured>, provider: &str, operation: &str, given: &[&str]) -> Result<()> {
    honoured.map_or(Ok(()), |h| h.check(provider, operation, given))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    #[test]
    fn fields_not_honoured_are_refused_with_the_reason_or_a_default() {
        let h = Honoured {
            fields: &["metadata", "line_items[].image_url"],
            refused_because: &[("line_items[].subscription", "checkouts are one-time payments")],
        };
        h.check("acme", "checkout_create", &["metadata", "line_items[].image_url"]).unwrap();
        let e = h.check("acme", "checkout_create", &["metadata", "line_items[].subscription"]).unwrap_err();
        assert_eq!(e.status, Status::InvalidRequest);
        assert_eq!(
            e.message,
            "line_items[].subscription: acme does not take it on checkout_create: checkouts are one-time payments"
        );
        let e = h.check("acme", "checkout_create", &["line_items[].product_id"]).unwrap_err();
        assert_eq!(
            e.message,
            "line_items[].product_id: acme does not take it on checkout_create: it publishes no such field"
        );
    }
}
