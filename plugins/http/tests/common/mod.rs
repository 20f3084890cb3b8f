//! Shared helpers for the golden tests: realistic messages and configs, and fixture loading.
#![allow(dead_code)]

use serde_json::Value;
use tern_plugin_api::{Config, OutboundMessage};

/// The provider under test, called through the `Provider` trait as the SDK would.
pub use tern_plugin_http::HttpGateway as Gateway;

/// A config from a JSON object literal.
pub fn config(value: Value) -> Config {
    match value {
        Value::Object(map) => map,
        other => panic!("a config must be a JSON object, got {other}"),
    }
}

/// A realistic outbound message.
pub fn message() -> OutboundMessage {
    OutboundMessage {
        id: "msg_01HZX3".into(),
        to: "+4915112345678".into(),
        body: "Your code is 123456".into(),
        callback_url: "https://tern.example.org/callbacks/prov_7/3f9a".into(),
    }
}

/// A message body with every character that breaks a naive template.
pub const HOSTILE: &str = "Tom & Jerry said \"hi\" = {{to}}\n50% off 😀 #1";

/// The same message with [`HOSTILE`] as its body.
pub fn hostile_message() -> OutboundMessage {
    OutboundMessage {
        body: HOSTILE.into(),
        ..message()
    }
}

/// A fixture file's text.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}
