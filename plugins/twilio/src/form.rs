//! `application/x-www-form-urlencoded`: encoding the send request, strictly decoding callbacks.
//!
//! Encoding uses `form_urlencoded`, the WHATWG serializer. Decoding is hand-written because
//! the common decoders are lenient (they pass a stray `%` through and replace bytes that are
//! not UTF-8), and a callback that is not valid form encoding should be refused as malformed
//! rather than verified against text Twilio never sent.

/// Why a form body or query could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FormError {
    /// A `%` not followed by two hex digits.
    #[error("bad percent-escape at byte {offset} of the form data")]
    BadEscape {
        /// Where the `%` is, in bytes from the start of the name or value holding it.
        offset: usize,
    },
    /// The decoded bytes are not UTF-8.
    #[error("the form data decodes to bytes that are not UTF-8")]
    NotUtf8,
}

/// Encodes name/value pairs in order, as Twilio's API expects a POST body.
pub(crate) fn encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

/// Decodes form data into name/value pairs, in order and with repeats kept.
///
/// Empty segments (`a=1&&b=2`) are skipped and a segment without `=` is a name with an empty
/// value, as browsers and Twilio's libraries read them; `+` is a space.
pub(crate) fn decode(data: &str) -> Result<Vec<(String, String)>, FormError> {
    data.split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            Ok((unescape(name)?, unescape(value)?))
        })
        .collect()
}

/// The first value of `name` among decoded pairs. Callback fields are never repeated in
/// practice; taking the first keeps the choice deterministic if one is.
pub(crate) fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn unescape(text: &str) -> Result<String, FormError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|&h| hex_value(h));
                let lo = bytes.get(i + 2).and_then(|&l| hex_value(l));
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push((hi << 4) | lo),
                    _ => return Err(FormError::BadEscape { offset: i }),
                }
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| FormError::NotUtf8)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn decodes_like_twilio_encodes() {
        assert_eq!(
            decode("From=%2B14155552345&Body=Hi+there%21+%F0%9F%91%8D&&Flag&Empty=").unwrap(),
            pairs(&[
                ("From", "+14155552345"),
                ("Body", "Hi there! 👍"),
                ("Flag", ""),
                ("Empty", "")
            ])
        );
        assert_eq!(decode("").unwrap(), pairs(&[]));
        assert_eq!(decode("a=%3D%26").unwrap(), pairs(&[("a", "=&")]));
    }

    #[test]
    fn refuses_bad_escapes_and_bad_utf8() {
        assert_eq!(decode("a=%zz"), Err(FormError::BadEscape { offset: 0 }));
        assert_eq!(decode("a=1%"), Err(FormError::BadEscape { offset: 1 }));
        assert_eq!(decode("a=%4"), Err(FormError::BadEscape { offset: 0 }));
        assert_eq!(decode("a=%FF%FE"), Err(FormError::NotUtf8));
    }

    #[test]
    fn round_trips() {
        let body = encode([("To", "+1 (415)"), ("Body", "a&b=c é 👍")]);
        assert_eq!(
            decode(&body).unwrap(),
            pairs(&[("To", "+1 (415)"), ("Body", "a&b=c é 👍")])
        );
    }

    #[test]
    fn first_value_wins() {
        let p = pairs(&[("A", "1"), ("A", "2")]);
        assert_eq!(get(&p, "A"), Some("1"));
        assert_eq!(get(&p, "B"), None);
    }
}
