//! Format rules for configuration values, as Twilio states them.
//!
//! Each rule answers with a message that says what is expected, never what was given, because
//! the caller must not echo configuration values into errors.

use crate::url;

/// Whether `value` is a Twilio SID of the given kind: the two-letter `prefix` and 32 hex
/// digits, which is the pattern Twilio's OpenAPI description gives (`^AC[0-9a-fA-F]{32}$`,
/// `^MG[0-9a-fA-F]{32}$`). Checking it here catches a pasted auth token or a truncated SID
/// before Twilio answers with a less helpful 404.
pub(crate) fn is_sid(value: &str, prefix: &str) -> bool {
    value.len() == prefix.len() + 32
        && value.starts_with(prefix)
        && value[prefix.len()..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks a `From` value. Twilio accepts three kinds of SMS sender, and so does this:
///
/// - an E.164 number: `+`, a non-zero digit, then up to 14 more digits;
/// - a short code: 3 to 8 digits and nothing else;
/// - an alphanumeric sender ID: 1 to 11 ASCII letters, digits and spaces, with at least one
///   letter and no space at either end.
///
/// A national number without `+` (10 digits, say) is refused with a hint, since Twilio would
/// refuse it too. Channel addresses (`whatsapp:…`) are refused: this plugin sends SMS.
pub(crate) fn sender(value: &str) -> Result<(), &'static str> {
    if let Some(digits) = value.strip_prefix('+') {
        return if is_e164_digits(digits) {
            Ok(())
        } else {
            Err(
                "an E.164 number is + followed by the country code and number, 2 to 15 \
                 digits in all with no spaces, e.g. +14155552345",
            )
        };
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return if (3..=8).contains(&value.len()) {
            Ok(())
        } else {
            Err(
                "write a phone number in E.164 form, with + and the country code (e.g. \
                 +14155552345); only short codes (3 to 8 digits) go without +",
            )
        };
    }
    if is_alphanumeric_sender_id(value) {
        Ok(())
    } else {
        Err(
            "must be an E.164 number (e.g. +14155552345), a short code, or an alphanumeric \
             sender ID of up to 11 letters, digits and spaces with at least one letter",
        )
    }
}

fn is_e164_digits(digits: &str) -> bool {
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

fn is_alphanumeric_sender_id(value: &str) -> bool {
    (1..=11).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b' ')
        && value.bytes().any(|b| b.is_ascii_alphabetic())
        && !value.starts_with(' ')
        && !value.ends_with(' ')
}

/// Checks `base_url`: an absolute `http` or `https` URL with a host, an optional port and an
/// optional path, and nothing the request URL could not be built on (a query, a fragment) or
/// should not carry (credentials, which belong in the Authorization header and would otherwise
/// show wherever the URL is logged).
pub(crate) fn base_url(value: &str) -> Result<(), &'static str> {
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters");
    }
    if !value.is_ascii() {
        return Err(
            "must be ASCII: write an international domain in its xn-- form and \
                    percent-encode the path",
        );
    }
    let Some(parts) = url::split(value) else {
        return Err("must be an absolute URL such as https://api.twilio.com");
    };
    if !parts.scheme.eq_ignore_ascii_case("http") && !parts.scheme.eq_ignore_ascii_case("https") {
        return Err("must start with http:// or https://");
    }
    if parts.rest.contains(['?', '#']) {
        return Err("must not have a query (?) or fragment (#)");
    }
    if parts.authority.contains('@') {
        return Err(
            "must not contain credentials; the account SID and auth token are sent \
                    in the Authorization header",
        );
    }
    let (host, port) = url::host_and_port(parts.authority);
    if !is_host(host) {
        return Err("must name a host, e.g. https://api.twilio.com or http://127.0.0.1:8080");
    }
    match port {
        None => Ok(()),
        Some(port) if port.parse::<u16>().is_ok_and(|p| p > 0) => Ok(()),
        Some(_) => Err("the port must be a number from 1 to 65535"),
    }
}

/// A registered name or IPv4 address (letters, digits, `-`, `.`, `_`, `~`), or an IPv6
/// address in brackets.
fn is_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    }
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids() {
        assert!(is_sid("AC0123456789abcdefABCDEF0123456789", "AC"));
        assert!(!is_sid("AC0123456789abcdefABCDEF012345678", "AC"));
        assert!(!is_sid("MG0123456789abcdefABCDEF0123456789", "AC"));
        assert!(!is_sid("AC0123456789abcdefABCDEF012345678g", "AC"));
        assert!(!is_sid("ACé123456789abcdefABCDEF012345678", "AC"));
    }

    #[test]
    fn senders() {
        for ok in [
            "+14155552345",
            "+447911123456",
            "12345",
            "Tern",
            "ACME Shop",
            "Shop24",
        ] {
            assert_eq!(sender(ok), Ok(()), "{ok}");
        }
        for bad in [
            "+",
            "+0123456",
            "+1 415 555 2345",
            "4155552345",
            "12",
            "TwelveChars1",
            " Tern",
            "123 456",
            "whatsapp:+14155552345",
            "",
        ] {
            assert!(sender(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn base_urls() {
        for ok in [
            "https://api.twilio.com",
            "https://api.twilio.com/",
            "http://127.0.0.1:8080",
            "http://[::1]:9000/twilio",
            "HTTPS://gateway.example.com/sms/v1",
        ] {
            assert_eq!(base_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "api.twilio.com",
            "ftp://api.twilio.com",
            "https://",
            "https://:443",
            "https://api.twilio.com?x=1",
            "https://api.twilio.com#x",
            "https://user:pass@api.twilio.com",
            "https://api.twilio.com:0",
            "https://api.twilio.com:99999",
            "https://api.twilio.com:",
            "https://api twilio.com",
            "https://bücher.example",
            "/relative/path",
        ] {
            assert!(base_url(bad).is_err(), "{bad}");
        }
    }
}
