//! `validate_config` and the manifest: one field error per problem, never a secret in a
//! message, and the callbacks each format enables.

mod common;

use common::{Gateway, config};
use serde_json::{Value, json};
use tern_plugin_api::{Callbacks, ConfigReport, FieldKind, Provider};

fn validate(value: Value) -> ConfigReport {
    Gateway.validate_config(&config(value))
}

/// The errors as (field, message) pairs, for compact assertions.
fn errors(value: Value) -> Vec<(String, String)> {
    validate(value)
        .errors
        .into_iter()
        .map(|e| (e.field, e.message))
        .collect()
}

fn fields(value: Value) -> Vec<String> {
    errors(value).into_iter().map(|(f, _)| f).collect()
}

fn valid() -> Value {
    json!({
        "url": "https://gw.example.com/send",
        "body_template": "to={{to}}\ntext={{body}}",
    })
}

fn with(changes: Value) -> Value {
    let mut cfg = valid();
    for (k, v) in changes.as_object().unwrap() {
        cfg[k] = v.clone();
    }
    cfg
}

#[test]
fn the_manifest() {
    let manifest = Gateway.manifest();
    assert_eq!(manifest.name, "http");
    assert_eq!(manifest.version, env!("CARGO_PKG_VERSION"));
    assert!(!manifest.description.is_empty());
    assert_eq!(
        manifest.callbacks,
        Callbacks {
            delivery: true,
            clicks: true,
            replies: true
        }
    );
    let names: Vec<&str> = manifest.config.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "url",
            "method",
            "body_format",
            "body_template",
            "headers",
            "from",
            "auth",
            "username",
            "password",
            "token",
            "auth_header",
            "accepted_statuses",
            "message_id_pointer",
            "callback_format",
            "callback_id_field",
            "callback_status_field",
            "callback_delivered_values",
            "callback_failed_values",
            "callback_error_field",
            "callback_secret",
            "callback_signature_header",
            "callback_signature_encoding",
            "callback_reply",
        ]
    );
    let url = &manifest.config[0];
    assert!(url.required && url.kind == FieldKind::Url);
    let method = &manifest.config[1];
    assert_eq!(method.options, ["POST", "GET"]);
    assert_eq!(method.default.as_deref(), Some("POST"));
}

#[test]
fn a_valid_config_has_no_errors() {
    let report = validate(valid());
    assert_eq!(report.errors, vec![]);
    // Pasted values often carry stray spaces or a newline.
    assert_eq!(
        validate(with(json!({"url": " https://gw.example.com/send\n"}))).errors,
        vec![]
    );
    assert_eq!(
        report.callbacks,
        Callbacks {
            delivery: true,
            clicks: true,
            replies: true
        }
    );
}

#[test]
fn mapped_format_enables_delivery_only() {
    let report = validate(with(json!({
        "callback_format": "mapped",
        "callback_id_field": "id",
        "callback_status_field": "/status",
    })));
    assert_eq!(report.errors, vec![]);
    assert_eq!(
        report.callbacks,
        Callbacks {
            delivery: true,
            clicks: false,
            replies: false
        }
    );
}

#[test]
fn url_problems() {
    assert_eq!(
        errors(json!({"body_template": "a=b"})),
        [("url".into(), "is required".into())]
    );
    for url in [
        "gw.example.com/send",
        "ftp://gw.example.com",
        "https://gw.example.com/{{to}}",
        "https://gw.example.com/send?to={{recipient}}",
        "https://gw.example.com/send?to={{to",
        "https://admin:pw@gw.example.com/send",
    ] {
        assert_eq!(fields(with(json!({"url": url}))), ["url"], "{url}");
    }
}

#[test]
fn selects_are_checked() {
    let errs = errors(with(
        json!({"method": "PUT", "body_format": "xml", "auth": "oauth"}),
    ));
    assert_eq!(
        errs,
        [
            (
                "method".into(),
                "must be one of POST, GET, not \"PUT\"".into()
            ),
            (
                "body_format".into(),
                "must be one of form, json, none, not \"xml\"".into()
            ),
            (
                "auth".into(),
                "must be one of none, basic, bearer, header, not \"oauth\"".into()
            ),
        ]
    );
}

#[test]
fn body_problems() {
    let errs = errors(with(json!({
        "body_format": "json",
        "body_template": "{\"to\": {{to}}, \"text\": \"{{body}}\"}",
    })));
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].0, "body_template");
    assert!(errs[0].1.contains("not valid JSON"));

    assert_eq!(
        fields(with(
            json!({"body_format": "json", "body_template": "{\"a\": \"{{bdy}}\"}"})
        )),
        ["body_template"]
    );
    assert_eq!(
        fields(with(json!({"body_format": "json", "method": "GET"}))),
        ["body_format"]
    );
    assert_eq!(
        fields(with(json!({"body_format": "none"}))),
        ["body_template"]
    );
    assert_eq!(
        fields(with(json!({"body_template": ""}))),
        ["body_template"]
    );
    assert_eq!(
        fields(with(json!({"body_template": "to={{to}}&text={{body}}"}))),
        ["body_template"]
    );
    assert!(fields(with(json!({"method": "GET", "body_template": ""}))).is_empty());
}

#[test]
fn header_problems() {
    let errs = errors(with(json!({
        "headers": "X-Ok: 1\nBad Header: x\nno colon\nHost: evil.example\nX-Ref: {{ref}}",
    })));
    let lines: Vec<&str> = errs.iter().map(|(_, m)| &m[..7]).collect();
    assert_eq!(lines, ["line 2:", "line 3:", "line 4:", "line 5:"]);
    assert!(errs.iter().all(|(f, _)| f == "headers"));
}

#[test]
fn auth_fields_missing() {
    assert_eq!(
        errors(with(json!({"auth": "basic"}))),
        [
            ("username".into(), "is required for basic auth".into()),
            ("password".into(), "is required for basic auth".into()),
        ]
    );
    assert_eq!(
        errors(with(json!({"auth": "bearer"}))),
        [("token".into(), "is required for bearer auth".into())]
    );
    assert_eq!(
        errors(with(json!({"auth": "header", "auth_header": "X Key"}))),
        [
            (
                "auth_header".into(),
                "\"X Key\" is not a valid header name".into()
            ),
            ("token".into(), "is required for header auth".into()),
        ]
    );
    // Unused auth fields are ignored, so switching auth off keeps stored secrets harmless.
    assert!(fields(with(json!({"token": "t", "password": "p"}))).is_empty());
}

#[test]
fn auth_conflicts_with_a_configured_header() {
    assert_eq!(
        fields(with(
            json!({"auth": "bearer", "token": "t", "headers": "authorization: Bearer x"})
        )),
        ["headers"]
    );
}

#[test]
fn secrets_never_appear_in_messages() {
    let secret = "p@ss\nword";
    let report = validate(with(json!({
        "auth": "basic",
        "username": "user:name",
        "password": secret,
        "callback_secret": secret,
    })));
    assert_eq!(report.errors.len(), 2);
    for error in &report.errors {
        assert!(!error.message.contains("p@ss"), "{error:?}");
    }
    let report = validate(with(json!({"auth": "bearer", "token": "has space"})));
    assert_eq!(
        report.errors[0].message,
        "must not contain spaces or control characters"
    );
}

#[test]
fn statuses_and_pointers() {
    assert_eq!(
        fields(with(
            json!({"accepted_statuses": "2xx", "message_id_pointer": "data.id"})
        )),
        ["accepted_statuses", "message_id_pointer"]
    );
    assert!(
        fields(with(
            json!({"accepted_statuses": "200,201, 202", "message_id_pointer": "/messages/0/id"})
        ))
        .is_empty()
    );
    assert_eq!(
        fields(with(json!({"message_id_pointer": "/a~2"}))),
        ["message_id_pointer"]
    );
}

#[test]
fn callback_mapping_problems() {
    assert_eq!(
        errors(with(json!({"callback_format": "mapped"}))),
        [
            (
                "callback_id_field".into(),
                "is required for the mapped callback format".into()
            ),
            (
                "callback_status_field".into(),
                "is required for the mapped callback format".into()
            ),
        ]
    );
    assert_eq!(
        fields(with(json!({
            "callback_format": "mapped",
            "callback_id_field": "/a~",
            "callback_status_field": "status",
            "callback_delivered_values": "ok, DONE",
            "callback_failed_values": "done",
            "callback_error_field": "/e~9",
        }))),
        [
            "callback_id_field",
            "callback_error_field",
            "callback_failed_values"
        ]
    );
    assert_eq!(
        fields(with(
            json!({"callback_signature_header": "X Sig", "callback_signature_encoding": "b32"})
        )),
        ["callback_signature_header", "callback_signature_encoding"]
    );
}

#[test]
fn non_strings_and_unknown_fields() {
    let errs = errors(with(
        json!({"method": 1, "headers": ["a"], "from": null, "colour": "blue"}),
    ));
    assert_eq!(errs.len(), 4);
    assert!(errs.contains(&("method".into(), "must be a string".into())));
    assert!(errs.contains(&("headers".into(), "must be a string".into())));
    assert!(errs.contains(&("from".into(), "must be a string".into())));
    assert!(errs.contains(&("colour".into(), "unknown field".into())));
}

#[test]
fn every_placeholder_is_known_everywhere() {
    let all = "{{to}}{{from}}{{body}}{{message_id}}{{callback_url}}";
    let report = validate(json!({
        "url": format!("https://gw.example.com/send?x={all}"),
        "body_template": format!("text={all}"),
        "headers": format!("X-All: {all}"),
    }));
    assert_eq!(report.errors, vec![]);
    let report = validate(json!({
        "url": "https://gw.example.com/send",
        "body_format": "json",
        "body_template": format!("{{\"t\":\"{all}\"}}"),
    }));
    assert_eq!(report.errors, vec![]);
}
