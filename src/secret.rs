//! A masking wrapper for credentials, so that they cannot reach an error, a log line or a
//! `Debug` print (the Hyperswitch pattern, STYLE.md).

use std::fmt;

/// A client secret, API key, access token or webhook secret.
///
/// `Debug` prints `***`; there is no `Display`. The value is read only through
/// [`Secret::expose`], at the one place it goes on the wire.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret's value, for the header or body that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_the_value() {
        let s = Secret::new("sk_live_very_secret");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(***)");
        assert_eq!(s.expose(), "sk_live_very_secret");
    }
}
