//! Messages: what a valid recipient and body are.

/// The longest body accepted, in characters: ten concatenated SMS segments, the common
/// provider limit.
pub const MAX_BODY_CHARS: usize = 1600;

/// Whether `to` is an E.164 number: `+`, a non-zero digit, then up to 14 more digits.
pub fn is_e164(to: &str) -> bool {
    let Some(digits) = to.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164() {
        for good in ["+14155552671", "+447911123456", "+12"] {
            assert!(is_e164(good), "{good}");
        }
        for bad in [
            "14155552671",
            "+04155552671",
            "+1415555267a",
            "+",
            "+1",
            "+1234567890123456",
            " +1415",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
    }
}
