//! Twilio's published signature example: auth token `12345`, a voice webhook with five
//! parameters, signature `0/KCTR6DLpKmkAf8muzZqo1nDgQ=`.

mod common;

use common::*;
use serde_json::json;
use tern_plugin_api::{CallbackRequest, Header, HttpRequest, Provider, codes};
use tern_plugin_twilio::{Twilio, signature};

const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
const BODY: &str = "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234\
                    &From=%2B12349013030&To=%2B18005551212";
const SIGNATURE: &str = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

fn params() -> [(&'static str, &'static str); 5] {
    [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]
}

#[test]
fn signs_and_verifies() {
    assert_eq!(signature::sign("12345", URL, &params()), SIGNATURE);
    assert_eq!(
        signature::verify("12345", URL, &params(), SIGNATURE),
        Ok(())
    );
}

#[test]
fn passes_the_signature_check_of_parse_callback() {
    let request = |url: &str, token: &str| CallbackRequest {
        config: config(json!({ "auth_token": token })),
        request: HttpRequest {
            method: "POST".into(),
            url: url.into(),
            headers: vec![
                Header::new("Content-Type", "application/x-www-form-urlencoded"),
                Header::new("X-Twilio-Signature", SIGNATURE),
            ],
            body: BODY.into(),
        },
    };
    // Verified, then refused as malformed only because a voice webhook is no message
    // callback.
    for url in [URL, "https://mycompany.com:443/myapp.php?foo=1&bar=2"] {
        let err = Twilio.parse_callback(&request(url, "12345")).unwrap_err();
        assert_eq!(err.code, codes::MALFORMED, "{url}: {}", err.message);
    }
    let err = Twilio.parse_callback(&request(URL, "54321")).unwrap_err();
    assert_eq!(err.code, codes::SIGNATURE_INVALID);
}
