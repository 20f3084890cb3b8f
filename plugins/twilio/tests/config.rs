//! The manifest and `validate_config`.

mod common;

use common::*;
use serde_json::{Value, json};
use tern_plugin_api::{Callbacks, FieldError, FieldKind, Provider};
use tern_plugin_twilio::Twilio;

fn errors(value: Value) -> Vec<FieldError> {
    Twilio.validate_config(&config(value)).errors
}

/// The field names with an error, in order.
fn fields(value: Value) -> Vec<String> {
    errors(value).into_iter().map(|e| e.field).collect()
}

#[test]
fn manifest() {
    let m = Twilio.manifest();
    assert_eq!(m.name, "twilio");
    assert_eq!(m.version, env!("CARGO_PKG_VERSION"));
    assert!(!m.description.is_empty() && !m.description.contains('\n'));
    assert_eq!(
        m.callbacks,
        Callbacks {
            delivery: true,
            clicks: true,
            replies: true
        }
    );
    let field = |name: &str| m.config.iter().find(|f| f.name == name).unwrap();
    assert!(field("account_sid").required && !field("account_sid").secret);
    let token = field("auth_token");
    assert!(token.required && token.secret && token.kind == FieldKind::String);
    assert!(!field("from").required && !field("messaging_service_sid").required);
    let base = field("base_url");
    assert_eq!(base.kind, FieldKind::Url);
    assert_eq!(base.default.as_deref(), Some("https://api.twilio.com"));
    for f in &m.config {
        assert!(!f.label.is_empty() && !f.help.is_empty(), "{}", f.name);
    }
}

#[test]
fn valid_configurations() {
    for value in [
        json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "from": "+14155552345"}),
        json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "messaging_service_sid": SERVICE}),
        json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "from": "ACME",
               "messaging_service_sid": SERVICE, "base_url": "http://127.0.0.1:4010"}),
        json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "from": "24680",
               "base_url": "https://api.twilio.com/"}),
        json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "from": "+14155552345",
               "messaging_service_sid": "", "base_url": null}),
    ] {
        assert_eq!(errors(value.clone()), [], "{value}");
    }
}

#[test]
fn callbacks_follow_the_messaging_service() {
    let with_service = Twilio.validate_config(&config(
        json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "messaging_service_sid": SERVICE}),
    ));
    assert_eq!(
        with_service.callbacks,
        Callbacks {
            delivery: true,
            clicks: true,
            replies: true
        }
    );
    let malformed_service = Twilio.validate_config(&config(
        json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "messaging_service_sid": "MG1"}),
    ));
    assert!(!malformed_service.callbacks.clicks);
    let with_number = Twilio.validate_config(&valid_config());
    assert_eq!(
        with_number.callbacks,
        Callbacks {
            delivery: true,
            clicks: false,
            replies: true
        }
    );
}

#[test]
fn empty_configuration_reports_each_missing_field() {
    assert_eq!(
        fields(json!({})),
        ["account_sid", "auth_token", "from,messaging_service_sid"]
    );
}

#[test]
fn malformed_values() {
    assert_eq!(
        fields(json!({"account_sid": "AC123", "auth_token": TOKEN, "from": "+14155552345"})),
        ["account_sid"]
    );
    assert_eq!(
        fields(json!({"account_sid": SERVICE, "auth_token": TOKEN, "from": "+14155552345"})),
        ["account_sid"]
    );
    assert_eq!(
        fields(json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "from": "4155552345"})),
        ["from"]
    );
    assert_eq!(
        fields(json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "from": "+1 415 555 2345"})),
        ["from"]
    );
    assert_eq!(
        fields(json!({"account_sid": ACCOUNT, "auth_token": TOKEN,
                      "messaging_service_sid": ACCOUNT})),
        ["messaging_service_sid"]
    );
    for base_url in [
        "api.twilio.com",
        "ftp://api.twilio.com",
        "https://",
        "https://h/p?x=1",
    ] {
        assert_eq!(
            fields(json!({"account_sid": ACCOUNT, "auth_token": TOKEN,
                          "from": "+14155552345", "base_url": base_url})),
            ["base_url"],
            "{base_url}"
        );
    }
}

#[test]
fn non_string_values() {
    let reported = errors(json!({"account_sid": 42, "auth_token": ["x"], "from": true,
                                 "messaging_service_sid": {}, "base_url": 1.5}));
    let names: Vec<_> = reported.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        names,
        [
            "account_sid",
            "auth_token",
            "from",
            "messaging_service_sid",
            "base_url"
        ]
    );
    assert!(
        reported
            .iter()
            .all(|e| e.message.contains("must be a string"))
    );
}

#[test]
fn unknown_fields() {
    let mut value = json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "from": "+14155552345"});
    value["acount_sid"] = json!(ACCOUNT);
    let reported = errors(value);
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].field, "acount_sid");
    assert!(
        reported[0].message.contains("account_sid"),
        "{}",
        reported[0].message
    );
}

#[test]
fn token_spacing_is_reported_without_the_token() {
    let secret = format!(" {TOKEN}\n");
    let reported =
        errors(json!({"account_sid": ACCOUNT, "auth_token": secret, "from": "+14155552345"}));
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].field, "auth_token");
    assert!(!reported[0].message.contains(TOKEN));
}

#[test]
fn no_message_ever_holds_a_value() {
    let value = json!({"account_sid": "AC-secretish", "auth_token": " hunter2hunter2 ",
                       "from": "bad sender value!", "messaging_service_sid": "MGnope",
                       "base_url": "gopher://secretish", "extra": "secretish"});
    for e in errors(value) {
        for leaked in ["secretish", "hunter2", "bad sender", "MGnope"] {
            assert!(!e.message.contains(leaked), "{}: {}", e.field, e.message);
        }
    }
}
