//! Optional HMAC-SHA256 verification of callbacks.
//!
//! The callback URL already carries an unguessable token, but a signature also proves the body
//! was not altered and lets an operator rotate a shared secret without changing the URL. The
//! gateway signs the raw request body with the shared secret and sends the digest in a header,
//! hex (optionally prefixed `sha256=`, as several gateways write it) or base64.

use std::fmt;

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use tern_plugin_api::HttpRequest;

use crate::error::Error;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// How the digest is written in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Lower- or upper-case hex, 64 digits.
    Hex,
    /// Standard base64, with or without padding.
    Base64,
}

/// A configured signature check. `Debug` never shows the secret, so a config can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct SignatureCheck {
    secret: String,
    header: String,
    encoding: Encoding,
}

impl fmt::Debug for SignatureCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureCheck")
            .field("secret", &"[redacted]")
            .field("header", &self.header)
            .field("encoding", &self.encoding)
            .finish()
    }
}

impl SignatureCheck {
    /// A check of `header` against HMAC-SHA256(`secret`, body).
    pub fn new(secret: impl Into<String>, header: impl Into<String>, encoding: Encoding) -> Self {
        SignatureCheck {
            secret: secret.into(),
            header: header.into(),
            encoding,
        }
    }

    /// The shared secret, for scrubbing it from any text the plugin passes on.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Verifies `request`, comparing digests in constant time so response timing reveals
    /// nothing about the expected value.
    ///
    /// The signed bytes are the body exactly as received. Callbacks sent with GET have an
    /// empty body, so for them a signature proves only knowledge of the secret.
    pub fn verify(&self, request: &HttpRequest) -> Result<(), Error> {
        let Some(raw) = request
            .header(&self.header)
            .map(str::trim)
            .filter(|v| !v.is_empty())
        else {
            return Err(Error::Signature(format!(
                "the callback has no {} header",
                self.header
            )));
        };
        let digest = strip_prefix(raw);
        let provided = match self.encoding {
            Encoding::Hex => hex::decode(digest).ok(),
            Encoding::Base64 => decode_base64(digest),
        };
        let Some(provided) = provided else {
            return Err(Error::Signature(format!(
                "the {} header is not a {} digest",
                self.header,
                match self.encoding {
                    Encoding::Hex => "hex",
                    Encoding::Base64 => "base64",
                }
            )));
        };
        let mut mac = HmacSha256::new_from_slice(self.secret.as_bytes())
            .map_err(|_| Error::InvalidConfig("callback_secret cannot be used as a key".into()))?;
        mac.update(request.body.as_bytes());
        mac.verify_slice(&provided).map_err(|_| {
            Error::Signature(format!(
                "the {} header does not match the body",
                self.header
            ))
        })
    }
}

/// Removes a leading `sha256=` (any case), which GitHub-style gateways put before the digest.
fn strip_prefix(raw: &str) -> &str {
    match raw.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("sha256=") => raw[7..].trim(),
        _ => raw,
    }
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let standard = base64::engine::general_purpose::STANDARD;
    let unpadded = base64::engine::general_purpose::STANDARD_NO_PAD;
    standard
        .decode(text)
        .or_else(|_| unpadded.decode(text))
        .ok()
}

/// Computes the hex signature a gateway would send; used by tests and useful to operators
/// checking a gateway's setup by hand.
pub fn sign_hex(secret: &str, body: &str) -> String {
    match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tern_plugin_api::Header;

    fn request(header: Option<&str>, body: &str) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url: "https://tern.example.com/callbacks/p/t".into(),
            headers: header
                .map(|v| vec![Header::new("x-signature", v)])
                .unwrap_or_default(),
            body: body.into(),
        }
    }

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn accepts_hex_with_or_without_prefix() {
        let check = SignatureCheck::new("s3cret", "X-Signature", Encoding::Hex);
        let sig = sign_hex("s3cret", "{\"a\":1}");
        assert!(check.verify(&request(Some(&sig), "{\"a\":1}")).is_ok());
        let upper = format!("SHA256={}", sig.to_uppercase());
        assert!(check.verify(&request(Some(&upper), "{\"a\":1}")).is_ok());
    }

    #[test]
    fn accepts_base64() {
        let check = SignatureCheck::new("s3cret", "X-Signature", Encoding::Base64);
        let bytes = hex::decode(sign_hex("s3cret", "body")).unwrap();
        let sig = base64::engine::general_purpose::STANDARD.encode(bytes);
        assert!(check.verify(&request(Some(&sig), "body")).is_ok());
        assert!(
            check
                .verify(&request(Some(sig.trim_end_matches('=')), "body"))
                .is_ok()
        );
    }

    #[test]
    fn refuses_missing_garbled_and_forged() {
        let check = SignatureCheck::new("s3cret", "X-Signature", Encoding::Hex);
        let forged = sign_hex("guess", "body");
        for header in [
            None,
            Some(""),
            Some("zz"),
            Some("sha256="),
            Some(forged.as_str()),
        ] {
            let err = check.verify(&request(header, "body")).unwrap_err();
            assert!(matches!(err, Error::Signature(_)), "{header:?}");
            assert!(!err.to_string().contains("s3cret"));
        }
        let good = sign_hex("s3cret", "body");
        assert!(check.verify(&request(Some(&good), "body!")).is_err());
        assert!(check.verify(&request(Some(&good[..10]), "body")).is_err());
    }

    #[test]
    fn debug_hides_the_secret() {
        let check = SignatureCheck::new("s3cret", "X-Signature", Encoding::Hex);
        assert!(!format!("{check:?}").contains("s3cret"));
    }
}
