//! Timestamps in results are RFC 3339 UTC strings, whatever the provider sends
//! (CONTRACT.md §2).

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

/// An RFC 3339 timestamp with any offset, rewritten in UTC (`2024-01-01T12:00:00Z`).
/// `None` when `s` is not RFC 3339.
pub fn rfc3339_utc(s: &str) -> Option<String> {
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    format(t)
}

/// `s` (RFC 3339) plus `seconds`, in UTC.
pub fn rfc3339_plus(s: &str, seconds: i64) -> Option<String> {
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    format(t.checked_add(Duration::seconds(seconds))?)
}

/// Now plus `seconds`, in UTC.
pub fn now_plus(seconds: i64) -> Option<String> {
    format(OffsetDateTime::now_utc().checked_add(Duration::seconds(seconds))?)
}

fn format(t: OffsetDateTime) -> Option<String> {
    t.to_offset(UtcOffset::UTC).format(&Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_to_utc() {
        assert_eq!(rfc3339_utc("2024-01-01T12:00:00Z").unwrap(), "2024-01-01T12:00:00Z");
        assert_eq!(rfc3339_utc("2024-01-01T14:30:00+02:00").unwrap(), "2024-01-01T12:30:00Z");
        assert_eq!(rfc3339_utc("2024-01-01T12:00:00.250Z").unwrap(), "2024-01-01T12:00:00.25Z");
        assert_eq!(rfc3339_utc("yesterday"), None);
        assert_eq!(rfc3339_plus("2024-01-01T12:00:00Z", 7 * 86_400).unwrap(), "2024-01-08T12:00:00Z");
    }
}
