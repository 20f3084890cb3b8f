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
    let shorten = field("shorten_urls");
    assert_eq!(shorten.kind, FieldKind::Select);
    assert_eq!(shorten.options, ["false", "true"]);
    assert_eq!(shorten.default.as_deref(), Some("false"));
    assert!(!shorten.required && !shorten.secret);
    assert_eq!(shorten.label, "Shorten links (click tracking)");
    assert!(shorten.help.contains("Link Shortening"), "{}", shorten.help);
    let names: Vec<_> = m.config.iter().map(|f| f.name.as_str()).collect();
    let position = |name| names.iter().position(|n| *n == name).unwrap();
    assert_eq!(
        position("shorten_urls"),
        position("messaging_service_sid") + 1
    );
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
        json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "messaging_service_sid": SERVICE,
               "shorten_urls": "true"}),
        json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "messaging_service_sid": SERVICE,
               "shorten_urls": "TRUE"}),
        json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "from": "+14155552345",
               "shorten_urls": "False"}),
        json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "from": "+14155552345",
               "shorten_urls": null}),
        json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "from": "+14155552345",
               "shorten_urls": " "}),
    ] {
        assert_eq!(errors(value.clone()), [], "{value}");
    }
}

/// The callbacks `validate_config` reports for `value`.
fn callbacks(value: Value) -> Callbacks {
    Twilio.validate_config(&config(value)).callbacks
}

#[test]
fn clicks_need_shortening_and_a_messaging_service() {
    let all = Callbacks {
        delivery: true,
        clicks: true,
        replies: true,
    };
    let no_clicks = Callbacks {
        clicks: false,
        ..all
    };
    for shorten in ["true", "True", "TRUE"] {
        assert_eq!(
            callbacks(json!({"account_sid": ACCOUNT, "auth_token": TOKEN,
                             "messaging_service_sid": SERVICE, "shorten_urls": shorten})),
            all,
            "{shorten}"
        );
    }
    for shorten in [
        json!(null),
        json!(""),
        json!("false"),
        json!("yes"),
        json!(true),
    ] {
        assert_eq!(
            callbacks(json!({"account_sid": ACCOUNT, "auth_token": TOKEN,
                             "messaging_service_sid": SERVICE, "shorten_urls": shorten})),
            no_clicks,
            "{shorten}"
        );
    }
    // A Messaging Service alone: Twilio shortens nothing unless the send asks for it.
    assert_eq!(
        callbacks(json!({"account_sid": ACCOUNT, "auth_token": TOKEN,
                         "messaging_service_sid": SERVICE})),
        no_clicks
    );
    for service in [json!("MG1"), json!(""), json!(null), json!(7)] {
        assert_eq!(
            callbacks(
                json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "from": "+14155552345",
                             "messaging_service_sid": service, "shorten_urls": "true"})
            ),
            no_clicks,
            "{service}"
        );
    }
    assert_eq!(
        callbacks(serde_json::to_value(valid_config()).unwrap()),
        no_clicks
    );
}

#[test]
fn shorten_urls_values() {
    let with = |shorten: Value| {
        json!({"account_sid": ACCOUNT, "auth_token": TOKEN,
               "messaging_service_sid": SERVICE, "shorten_urls": shorten})
    };
    for bad in ["yes", "1", "on", "tru", " true", "false "] {
        let reported = errors(with(json!(bad)));
        assert_eq!(reported.len(), 1, "{bad}: {reported:?}");
        assert_eq!(reported[0].field, "shorten_urls");
        assert!(reported[0].message.contains("\"true\" or \"false\""));
    }
    let reported = errors(with(json!(true)));
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].field, "shorten_urls");
    assert!(reported[0].message.contains("must be a string"));
}

#[test]
fn shorten_urls_needs_a_valid_messaging_service() {
    let mut value = valid_config();
    value.insert("shorten_urls".into(), json!("true"));
    let reported = Twilio.validate_config(&value).errors;
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert_eq!(reported[0].field, "shorten_urls");
    assert!(
        reported[0].message.contains("Messaging Service SID"),
        "{}",
        reported[0].message
    );
    assert_eq!(
        fields(
            json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "from": "+14155552345",
                      "messaging_service_sid": "MG1", "shorten_urls": "true"})
        ),
        ["messaging_service_sid", "shorten_urls"]
    );
    assert_eq!(
        fields(
            json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "from": "+14155552345",
                      "messaging_service_sid": "  ", "shorten_urls": "TRUE"})
        ),
        ["shorten_urls"]
    );
    // Turned off, it needs nothing.
    assert_eq!(
        fields(
            json!({"account_sid": ACCOUNT, "auth_token": TOKEN, "from": "+14155552345",
                      "shorten_urls": "false"})
        ),
        Vec::<String>::new()
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
                                 "messaging_service_sid": {}, "shorten_urls": false,
                                 "base_url": 1.5}));
    let names: Vec<_> = reported.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        names,
        [
            "account_sid",
            "auth_token",
            "from",
            "messaging_service_sid",
            "shorten_urls",
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
                       "shorten_urls": "maybe-secretish", "base_url": "gopher://secretish",
                       "extra": "secretish"});
    for e in errors(value) {
        for leaked in ["secretish", "hunter2", "bad sender", "MGnope", "maybe"] {
            assert!(!e.message.contains(leaked), "{}: {}", e.field, e.message);
        }
    }
}
