//! Twilio's request signing: `X-Twilio-Signature` and, for JSON bodies, `bodySHA256`.
//!
//! Twilio signs every webhook it sends with the account's auth token:
//!
//! 1. take the full URL it called, query included;
//! 2. for a form POST, append each form parameter's name and then its value, with no
//!    separators, sorted by name (and by value for a repeated name);
//! 3. HMAC-SHA1 that text with the auth token as key and send it base64-encoded in the
//!    `X-Twilio-Signature` header.
//!
//! A JSON body is not appended. Twilio adds `bodySHA256` (the hex SHA-256 of the raw body) to
//! the URL's query instead, so the signed URL covers the body through its hash.
//!
//! This module is public so tests and tools can produce the signature Twilio would send.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::url;

/// The header that carries the signature.
pub const HEADER: &str = "X-Twilio-Signature";

/// The query parameter that carries the hex SHA-256 of a JSON body.
pub const BODY_HASH_PARAM: &str = "bodySHA256";

type HmacSha1 = Hmac<Sha1>;

/// Why a callback was refused as not coming from Twilio.
///
/// Every variant becomes the host's `signature_invalid` error (HTTP 403 to the caller), so an
/// attacker learns nothing from which check failed; the text is for the operator's log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No `X-Twilio-Signature` header, or an empty one.
    #[error("the request carries no X-Twilio-Signature header")]
    Missing,
    /// The header is not base64 of an HMAC-SHA1 value.
    #[error("the X-Twilio-Signature header is not a base64 HMAC-SHA1 value")]
    NotBase64,
    /// The signature does not match the URL and parameters under this auth token.
    #[error(
        "the X-Twilio-Signature header does not match the request: check the auth token, and \
         that the callback URL Tern sees is the public URL Twilio called"
    )]
    Mismatch,
    /// A JSON callback whose URL has no `bodySHA256`, so its body is not covered.
    #[error("a JSON callback must carry bodySHA256 in its URL; without it the body is unsigned")]
    NoBodyHash,
    /// The body's SHA-256 differs from the signed `bodySHA256`.
    #[error("the body does not match the bodySHA256 in the signed URL")]
    BodyHashMismatch,
}

/// The `X-Twilio-Signature` Twilio sends for a request to `url` with form `params` (pass no
/// parameters for JSON bodies and GET requests, whose parameters are in the URL).
pub fn sign<N: AsRef<str>, V: AsRef<str>>(
    auth_token: &str,
    url: &str,
    params: &[(N, V)],
) -> String {
    match keyed(auth_token, url, params) {
        Some(mac) => BASE64.encode(mac.finalize().into_bytes()),
        // Unreachable: HMAC takes keys of any length. An empty signature never verifies.
        None => String::new(),
    }
}

/// Checks `signature` (the header's value) against the request, trying each spelling of the
/// URL Twilio may have signed (see [`url_variants`]). The comparison is constant-time.
pub fn verify<N: AsRef<str>, V: AsRef<str>>(
    auth_token: &str,
    url: &str,
    params: &[(N, V)],
    signature: &str,
) -> Result<(), SignatureError> {
    let signature = signature.trim();
    if signature.is_empty() {
        return Err(SignatureError::Missing);
    }
    let provided = BASE64
        .decode(signature)
        .map_err(|_| SignatureError::NotBase64)?;
    let mut matched = false;
    for candidate in url_variants(url) {
        if let Some(mac) = keyed(auth_token, &candidate, params) {
            // Evaluate every variant: which one matched is not secret, but a uniform amount of
            // work is simpler to reason about.
            matched |= mac.verify_slice(&provided).is_ok();
        }
    }
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The spellings of `url` to try: as given, then with the scheme's default port added or
/// removed. Twilio may sign `https://host/path` or `https://host:443/path` for the same
/// endpoint depending on how the URL was configured, and a proxy in front of the daemon may
/// add or drop the port, so Twilio's own validators accept both.
pub fn url_variants(url: &str) -> Vec<String> {
    url::signing_variants(url)
}

/// The lowercase hex SHA-256 of `body`, as Twilio puts it in `bodySHA256`.
pub fn body_sha256(body: &str) -> String {
    Sha256::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks that `body` hashes to `expected` (the `bodySHA256` from the signed URL), without
/// regard to hex case and in constant time.
pub fn verify_body_hash(body: &str, expected: &str) -> Result<(), SignatureError> {
    let actual = body_sha256(body);
    let expected = expected.trim().to_ascii_lowercase();
    if bool::from(actual.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(SignatureError::BodyHashMismatch)
    }
}

/// An HMAC over the signed text: the URL, then each parameter's name and value in sorted
/// order. Sorting by value as well as name makes repeated names deterministic.
fn keyed<N: AsRef<str>, V: AsRef<str>>(
    auth_token: &str,
    url: &str,
    params: &[(N, V)],
) -> Option<HmacSha1> {
    let mut mac = <HmacSha1 as KeyInit>::new_from_slice(auth_token.as_bytes()).ok()?;
    mac.update(url.as_bytes());
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(n, v)| (n.as_ref(), v.as_ref()))
        .collect();
    sorted.sort_unstable();
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    Some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "12345";
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const PARAMS: [(&str, &str); 5] = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ];
    const KNOWN: &str = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

    #[test]
    fn twilio_documented_vector() {
        assert_eq!(sign(TOKEN, URL, &PARAMS), KNOWN);
        assert_eq!(verify(TOKEN, URL, &PARAMS, KNOWN), Ok(()));
    }

    #[test]
    fn parameter_order_does_not_matter() {
        let mut reversed = PARAMS;
        reversed.reverse();
        assert_eq!(verify(TOKEN, URL, &reversed, KNOWN), Ok(()));
    }

    #[test]
    fn any_change_is_refused() {
        let mut changed = PARAMS;
        changed[2].1 = "1235";
        assert_eq!(
            verify(TOKEN, URL, &changed, KNOWN),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("12346", URL, &PARAMS, KNOWN),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                TOKEN,
                "https://mycompany.com/myapp.php?foo=1&bar=3",
                &PARAMS,
                KNOWN
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(TOKEN, URL, &PARAMS, "not base64!"),
            Err(SignatureError::NotBase64)
        );
        assert_eq!(
            verify(TOKEN, URL, &PARAMS, " "),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(TOKEN, URL, &PARAMS, "AAAA"),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn default_port_either_way() {
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        assert_eq!(verify(TOKEN, with_port, &PARAMS, KNOWN), Ok(()));
        let signed_with_port = sign(TOKEN, with_port, &PARAMS);
        assert_eq!(verify(TOKEN, URL, &PARAMS, &signed_with_port), Ok(()));
        let other_port = "https://mycompany.com:8443/myapp.php?foo=1&bar=2";
        assert_eq!(
            verify(TOKEN, other_port, &PARAMS, KNOWN),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn body_hash() {
        // SHA-256 of the empty string, a well-known value.
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(body_sha256(""), empty);
        assert_eq!(verify_body_hash("", &empty.to_uppercase()), Ok(()));
        assert_eq!(
            verify_body_hash("x", empty),
            Err(SignatureError::BodyHashMismatch)
        );
        assert_eq!(
            verify_body_hash("", "e3b0"),
            Err(SignatureError::BodyHashMismatch)
        );
    }
}
