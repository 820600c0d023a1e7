//! The bound on how deeply a provider's body, or a webhook's, nests JSON arrays and objects,
//! and the scanner that checks it without parsing.

/// The deepest nesting of arrays and objects accepted in a provider's body. Requests are
/// bounded by serde_json's limit of 128 levels (127 nest; the 128th is refused); a result
/// wraps a provider's object at most 2 levels deeper than its answer did (a checkout
/// session's `provider_data.payment_intent`), so 125 keeps every result within the same
/// limit, for hosts that parse with serde_json as much as for Python's, PHP's and Node's.
pub(crate) const MAX_JSON_DEPTH: usize = 125;

/// Whether the JSON-ish `bytes` nest arrays and objects at most `max` deep (brackets inside
/// strings do not count). serde_json bounds the depth of what it parses into a tree, but not
/// of what it skips or keeps raw (`RawValue`), and a host language parsing the result again
/// would fail on it (Python's `RecursionError`): the bound holds for every body a provider
/// sends and every webhook body, as for every request.
pub fn json_depth_within(bytes: &[u8], max: usize) -> bool {
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // Skip the string: jump between quotes and backslashes (most of a JSON body).
                i += 1;
                loop {
                    match bytes.get(i..).and_then(|rest| memchr::memchr2(b'"', b'\\', rest)) {
                        Some(at) if bytes[i + at] == b'\\' => i += at + 2,
                        Some(at) => {
                            i += at;
                            break;
                        }
                        None => return true,
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_depth_counts_brackets_outside_strings_only() {
        assert!(json_depth_within(br#"{"a": [1, {"b": 2}]}"#, 3));
        assert!(!json_depth_within(br#"{"a": [1, {"b": 2}]}"#, 2));
        let nested = format!("{}{}", "[".repeat(126), "]".repeat(126));
        assert!(json_depth_within(&nested.as_bytes()[1..nested.len() - 1], MAX_JSON_DEPTH));
        assert!(!json_depth_within(nested.as_bytes(), MAX_JSON_DEPTH));
        // Brackets in strings, escaped quotes and backslashes do not count or end a string.
        assert!(json_depth_within(br#"{"a": "[[[{{{", "b": "x\"[[[\\", "c": "\\\"{{"}"#, 1));
        assert!(!json_depth_within(br#"{"a": "\\", "b": [[]]}"#, 2), "the string ends at the quote after \\\\");
        // Truncated bodies end the scan without a panic.
        for cut in [r#"{"a": "x\"#, r#"{"a": "x"#, r#"{"a": "\"#] {
            assert!(json_depth_within(cut.as_bytes(), 1), "{cut}");
        }
    }
}
