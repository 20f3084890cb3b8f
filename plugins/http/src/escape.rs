//! Escaping a substituted value for the place it lands.
//!
//! The same message body may go into a URL query, a form body, a JSON string or a header. Each
//! has its own rules, and getting one wrong either corrupts the message (a `&` that splits a
//! form field) or lets a message rewrite the request (a `"` that ends a JSON string, a line
//! break that starts a new header). These functions are the only place those rules live.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986 "unreserved" characters is encoded, so a value cannot end its query
/// parameter (`&`, `=`, `#`) and a `+` in a phone number is not read back as a space.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a value for a URL query (`+1 555` becomes `%2B1%20555`).
pub fn query_value(value: &str) -> Cow<'_, str> {
    utf8_percent_encode(value, QUERY_VALUE).into()
}

/// Escapes a value for the inside of a JSON string, without the surrounding quotes: quotes,
/// backslashes and control characters are escaped, everything else (emoji included) stays
/// UTF-8. The result is valid wherever a JSON string's content may appear.
pub fn json_string_content(value: &str) -> Cow<'_, str> {
    let needs_escape = value
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control());
    if !needs_escape {
        return Cow::Borrowed(value);
    }
    // Serializing a `&str` cannot fail; the fallback keeps this total without a panic path.
    let quoted = serde_json::to_string(value).unwrap_or_else(|_| String::from("\"\""));
    let inner = quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or_default();
    Cow::Owned(inner.to_owned())
}

/// Whether `value` may appear in an HTTP header value: no line breaks (which would start a
/// new header or end the header block) and no other control characters except tab.
pub fn is_header_safe(value: &str) -> bool {
    !value.chars().any(|c| c.is_control() && c != '\t')
}

/// Whether `name` is an HTTP header name (an RFC 9110 token).
pub fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_fully_encoded() {
        assert_eq!(query_value("+1 555"), "%2B1%20555");
        assert_eq!(query_value("a&b=c#d"), "a%26b%3Dc%23d");
        assert_eq!(query_value("é😀"), "%C3%A9%F0%9F%98%80");
        assert_eq!(query_value("safe-._~"), "safe-._~");
    }

    #[test]
    fn json_content_round_trips() {
        let hostile = "He said \"hi\"\\\n\t{{to}} 😀 \u{1} </script>";
        let doc = format!("\"{}\"", json_string_content(hostile));
        let back: String = serde_json::from_str(&doc).unwrap();
        assert_eq!(back, hostile);
        assert!(matches!(json_string_content("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn header_safety() {
        assert!(is_header_safe("abc\tdef é"));
        assert!(!is_header_safe("a\r\nX-Evil: 1"));
        assert!(!is_header_safe("a\nb"));
        assert!(!is_header_safe("a\0b"));
        assert!(is_token("X-Api-Key"));
        assert!(!is_token("X Api"));
        assert!(!is_token("X:"));
        assert!(!is_token(""));
    }
}
