//! Helpers shared by the golden tests: fixture loading and configurations.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::path::PathBuf;

use serde_json::{Value, json};
use tern_plugin_api::{CallbackRequest, Config, Header, HttpRequest, HttpResponse};
use tern_plugin_twilio::signature;

/// The auth token the callback fixtures are signed with (not a real credential).
pub const TOKEN: &str = "f1e2d3c4b5a697887766554433221100";
/// The account of every fixture, in the form of the spec's examples.
pub const ACCOUNT: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// A Messaging Service SID.
pub const SERVICE: &str = "MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// The outbound message the status and click fixtures are about.
pub const MESSAGE_SID: &str = "SMbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// The text of `tests/fixtures/<relative>`.
pub fn fixture(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fixture parsed as JSON.
pub fn json_fixture(relative: &str) -> Value {
    serde_json::from_str(&fixture(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// A JSON object as a plugin configuration.
pub fn config(value: Value) -> Config {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// A complete, valid configuration with a sender number.
pub fn valid_config() -> Config {
    config(json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "from": "+14155552345"}))
}

/// The callback request in `tests/fixtures/callbacks/<name>.json`, for a provider with the
/// fixtures' auth token.
pub fn callback(name: &str) -> CallbackRequest {
    let request: HttpRequest =
        serde_json::from_value(json_fixture(&format!("callbacks/{name}.json")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    CallbackRequest {
        config: valid_config(),
        request,
    }
}

/// The empty TwiML Twilio expects from a messaging webhook.
pub const TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#;

/// Asserts the reply is 200 with empty TwiML.
pub fn assert_twiml(reply: &HttpResponse) {
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/xml"));
    assert_eq!(reply.body, TWIML);
}

/// A form POST with `body`, signed the way Twilio would, so tests can reach the parser past
/// the signature with any body.
pub fn signed_form(body: &str) -> CallbackRequest {
    let url = "https://sms.example.com/callbacks/prv_7f3c2a/tok".to_owned();
    let params: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut request = CallbackRequest {
        config: valid_config(),
        request: HttpRequest {
            method: "POST".into(),
            url: url.clone(),
            headers: vec![],
            body: body.into(),
        },
    };
    set_signature(&mut request, &signature::sign(TOKEN, &url, &params));
    request
}

/// Replaces the request's X-Twilio-Signature with `value`.
pub fn set_signature(request: &mut CallbackRequest, value: &str) {
    request
        .request
        .headers
        .retain(|h| !h.name.eq_ignore_ascii_case(signature::HEADER));
    request
        .request
        .headers
        .push(Header::new(signature::HEADER, value));
}
