//! Money: amounts in minor units (integers) ↔ a provider's decimal strings, exactly.
//!
//! Decimal places come from ISO 4217 (the `iso_currency` table: JPY 0, USD 2, KWD 3). The
//! stablecoins `usdt` and `usdc` have 2, as Payfect's amounts show (`"amountTotal": "20.00"`,
//! seed 004). Arithmetic is `rust_decimal`'s: never floating point, never rounded: a value
//! with more places than its currency allows is refused.

use iso_currency::Currency;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Crypto codes (lowercase) and their decimal places.
const CRYPTO: [(&str, u32); 2] = [("usdt", 2), ("usdc", 2)];

/// The decimal places of `currency` (any case), or why it has none.
pub fn exponent(currency: &str) -> Result<u32, String> {
    let lower = currency.to_ascii_lowercase();
    if let Some((_, places)) = CRYPTO.iter().find(|(code, _)| *code == lower) {
        return Ok(*places);
    }
    Currency::from_code(&currency.to_ascii_uppercase())
        .and_then(|c| c.exponent())
        .map(u32::from)
        .ok_or_else(|| format!("{currency} is not an ISO 4217 currency with minor units, nor usdt or usdc"))
}

/// `minor` units as a decimal string with exactly the currency's places:
/// 2050 usd → `"20.50"`, 1799 jpy → `"1799"`, 1234 kwd → `"1.234"`.
pub fn to_decimal(minor: u64, currency: &str) -> Result<String, String> {
    let places = exponent(currency)?;
    Ok(Decimal::from_i128_with_scale(i128::from(minor), places).to_string())
}

/// A decimal string (`"20.5"`, `"20.50"`, `"20"`) → minor units of `currency`. Refused: not a
/// plain decimal, negative, more places than the currency has, or beyond 2^64 minor units.
pub fn to_minor(decimal: &str, currency: &str) -> Result<u64, String> {
    let places = exponent(currency)?;
    let text = decimal.trim();
    if !text.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-') {
        return Err(format!("{decimal:?} is not a decimal amount"));
    }
    // Trailing zeros after the point are not precision ("20.500" is 20.50); anything else
    // must parse exactly: `from_str` rounds past 28 significant digits, `from_str_exact`
    // refuses instead.
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { text };
    let value = Decimal::from_str_exact(text).map_err(|_| {
        format!("{decimal:?} is not a decimal amount that {currency} can hold exactly ({places} decimal places)")
    })?;
    if value.is_sign_negative() {
        return Err(format!("{decimal:?} is negative"));
    }
    if value.normalize().scale() > places {
        return Err(format!("{decimal:?} has more than {places} decimal places, the most {currency} allows"));
    }
    value
        .checked_mul(Decimal::from(10u64.pow(places)))
        .and_then(|m| m.to_u64())
        .ok_or_else(|| format!("{decimal:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_come_from_iso_4217_and_the_crypto_table() {
        assert_eq!(exponent("usd"), Ok(2));
        assert_eq!(exponent("JPY"), Ok(0));
        assert_eq!(exponent("kwd"), Ok(3));
        assert_eq!(exponent("usdt"), Ok(2));
        assert_eq!(exponent("USDC"), Ok(2));
        assert!(exponent("xau").is_err(), "gold has no minor units");
        assert!(exponent("doge").is_err());
    }

    #[test]
    fn round_trips_for_zero_two_and_three_places() {
        for (minor, currency, text) in [
            (1799, "jpy", "1799"),
            (2050, "usd", "20.50"),
            (1234, "kwd", "1.234"),
            (5, "usdt", "0.05"),
            (0, "usd", "0.00"),
        ] {
            assert_eq!(to_decimal(minor, currency).unwrap(), text);
            assert_eq!(to_minor(text, currency).unwrap(), minor);
        }
        assert_eq!(to_minor("20.5", "usdt"), Ok(2050));
        assert_eq!(to_minor("20", "usd"), Ok(2000));
        assert_eq!(to_minor("1.2", "kwd"), Ok(1200));
        assert_eq!(to_decimal(u64::MAX, "kwd").unwrap(), "18446744073709551.615");
    }

    #[test]
    fn more_precision_than_the_currency_is_refused_not_rounded() {
        assert!(to_minor("20.505", "usd").unwrap_err().contains("more than 2 decimal places"));
        assert!(to_minor("1.5", "jpy").unwrap_err().contains("more than 0 decimal places"));
        assert!(to_minor("0.0001", "kwd").is_err());
        assert_eq!(to_minor("20.500", "usd"), Ok(2050), "trailing zeros are not precision");
        for bad in ["-1.00", "1e3", "abc", "", "1,00", "NaN"] {
            assert!(to_minor(bad, "usd").is_err(), "{bad}");
        }
        assert!(to_minor("184467440737095516.16", "usd").is_err());
        for beyond_28_places in ["0.999999999999999999999999999999", "0.000000000000000000000000000001"] {
            assert!(to_minor(beyond_28_places, "usd").is_err(), "{beyond_28_places} must not round");
        }
        assert_eq!(to_minor("20.50000000000000000000000000000000000", "usd"), Ok(2050));
    }
}
