//! Timestamps in results are RFC 3339 UTC strings, whatever the provider sends
//! (docs/contract.md §2).

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

/// An RFC 3339 timestamp with any offset, rewritten in UTC (`2024-01-01T12:00:00Z`).
/// `None` when `s` is not RFC 3339.
pub fn rfc3339_utc(s: &str) -> Option<String> {
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    format(t)
}

/// A timestamp in any form providers send, in UTC: RFC 3339 / ISO 8601
/// (`2023-07-29T08:14:32.288761Z`; without an offset, as ReCharge writes them, it is taken
/// as UTC), Unix seconds with a fraction (`"1690532072.288761"`), or
/// Unix milliseconds (`"1703939166000"`, 13 or more digits). `None` for anything else.
pub fn any_utc(s: &str) -> Option<String> {
    if s.contains('T') {
        return rfc3339_utc(s).or_else(|| rfc3339_utc(&format!("{s}Z")));
    }
    let (whole, fraction) = match s.split_once('.') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (s, ""),
    };
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 9 {
        return None;
    }
    let whole: i128 = whole.parse().ok()?;
    let nanos = if fraction.is_empty() && s.len() >= 13 {
        whole.checked_mul(1_000_000)?
    } else {
        let frac: i128 = format!("{fraction:0<9}").parse().ok()?;
        whole.checked_mul(1_000_000_000)?.checked_add(frac)?
    };
    format(OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?)
}

/// `s` (RFC 3339) plus `seconds`, in UTC.
pub fn rfc3339_plus(s: &str, seconds: i64) -> Option<String> {
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    format(t.checked_add(Duration::seconds(seconds))?)
}

/// Now plus `seconds`, in UTC, whole seconds.
pub fn now_plus(seconds: i64) -> Option<String> {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).ok()?;
    format(now.checked_add(Duration::seconds(seconds))?)
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
    }

    #[test]
    fn reads_every_documented_payfect_form() {
        assert_eq!(any_utc("1690532072.288761").unwrap(), "2023-07-28T08:14:32.288761Z");
        assert_eq!(any_utc("1703939166000").unwrap(), "2023-12-30T12:26:06Z");
        assert_eq!(any_utc("1690532072").unwrap(), "2023-07-28T08:14:32Z");
        assert_eq!(any_utc("2023-07-29T08:14:32.288761Z").unwrap(), "2023-07-29T08:14:32.288761Z");
        assert_eq!(any_utc("2021-01-20T12:00:00").unwrap(), "2021-01-20T12:00:00Z");
        for bad in ["", "abc", "12.3.4", "-5", "1.", "99999999999999999999999999"] {
            assert_eq!(any_utc(bad), None, "{bad}");
        }
        assert_eq!(rfc3339_plus("2024-01-01T12:00:00Z", 7 * 86_400).unwrap(), "2024-01-08T12:00:00Z");
    }
}
