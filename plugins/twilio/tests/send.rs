//! The send request: golden requests, and a check against Twilio's OpenAPI description of
//! `CreateMessage` (extracted into `tests/fixtures/openapi/`).

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::*;
use regex::Regex;
use serde_json::{Value, json};
use tern_plugin_api::{Config, HttpRequest, OutboundMessage, Provider, SendRequest, codes};
use tern_plugin_twilio::Twilio;

const GOLDEN: [&str; 3] = [
    "send/from_number.json",
    "send/messaging_service.json",
    "send/messaging_service_shorten_urls.json",
];

/// The input and expected output of a golden file.
fn golden(path: &str) -> (SendRequest, HttpRequest) {
    let case = json_fixture(path);
    let request = SendRequest {
        config: config(case["config"].clone()),
        message: serde_json::from_value(case["message"].clone()).unwrap(),
    };
    let expected = serde_json::from_value(case["expected"].clone()).unwrap();
    (request, expected)
}

fn form_fields(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn message() -> OutboundMessage {
    OutboundMessage {
        id: "msg_1".into(),
        to: "+14155550100".into(),
        body: "Hello! 👍".into(),
        callback_url: "https://sms.example.com/callbacks/prv_1/tok".into(),
    }
}

#[test]
fn builds_the_golden_requests() {
    for path in GOLDEN {
        let (request, expected) = golden(path);
        let built = Twilio.build_send(&request).unwrap();
        assert_eq!(built, expected, "{path}");
    }
}

#[test]
fn every_field_header_and_credential() {
    let request = SendRequest {
        config: valid_config(),
        message: message(),
    };
    let built = Twilio.build_send(&request).unwrap();
    assert_eq!(built.method, "POST");
    assert_eq!(
        built.url,
        format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
    );
    assert_eq!(
        form_fields(&built.body),
        [
            ("To", "+14155550100"),
            ("From", "+14155552345"),
            ("Body", "Hello! 👍"),
            (
                "StatusCallback",
                "https://sms.example.com/callbacks/prv_1/tok"
            ),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    assert_eq!(
        built.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(built.header("accept"), Some("application/json"));
    let auth = built.header("authorization").unwrap();
    let encoded = auth.strip_prefix("Basic ").unwrap();
    let decoded = String::from_utf8(BASE64.decode(encoded).unwrap()).unwrap();
    assert_eq!(decoded, format!("{ACCOUNT}:{TOKEN}"));
}

#[test]
fn messaging_service_replaces_from() {
    let mut config = valid_config();
    config.insert("messaging_service_sid".into(), SERVICE.into());
    let built = Twilio
        .build_send(&SendRequest {
            config,
            message: message(),
        })
        .unwrap();
    let fields = form_fields(&built.body);
    assert!(fields.contains(&("MessagingServiceSid".into(), SERVICE.into())));
    assert!(!fields.iter().any(|(k, _)| k == "From"), "{fields:?}");
}

#[test]
fn shorten_urls_is_sent_only_when_on() {
    let names = |config: Config| -> Vec<String> {
        let request = SendRequest {
            config,
            message: message(),
        };
        let built = Twilio.build_send(&request).unwrap();
        form_fields(&built.body)
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    };
    let service = |shorten: Value| {
        let mut config = config(json!({"account_sid": ACCOUNT, "auth_token": TOKEN,
                                       "messaging_service_sid": SERVICE}));
        if !shorten.is_null() {
            config.insert("shorten_urls".into(), shorten);
        }
        config
    };
    let without = ["To", "MessagingServiceSid", "Body", "StatusCallback"];
    for off in [
        Value::Null,
        json!("false"),
        json!("False"),
        json!(""),
        json!("  "),
    ] {
        assert_eq!(names(service(off.clone())), without, "{off}");
    }
    assert_eq!(
        names(valid_config()),
        ["To", "From", "Body", "StatusCallback"]
    );
    let with = [
        "To",
        "MessagingServiceSid",
        "Body",
        "ShortenUrls",
        "StatusCallback",
    ];
    for on in ["true", "TRUE", "True"] {
        assert_eq!(names(service(json!(on))), with, "{on}");
    }
}

#[test]
fn shorten_urls_without_a_service_is_refused() {
    let mut config = valid_config();
    config.insert("shorten_urls".into(), json!("true"));
    let err = Twilio
        .build_send(&SendRequest {
            config,
            message: message(),
        })
        .unwrap_err();
    assert_eq!(err.code, codes::INVALID_CONFIG);
    assert!(err.message.contains("shorten_urls"), "{}", err.message);
}

/// The built request satisfies `CreateMessage` as Twilio's OpenAPI description states it:
/// path and path parameter, content type, security scheme, and for the form body every name
/// declared, every required name present, and every pattern, length and format met.
#[test]
fn satisfies_the_create_message_schema() {
    let spec = json_fixture("openapi/create_message_request.json");
    assert_eq!(spec["operationId"], "CreateMessage");
    let server = spec["servers"][0]["url"].as_str().unwrap();
    let path = spec["path"].as_str().unwrap();
    let account_schema = &spec["pathParameters"]["AccountSid"];
    let body_schema = &spec["requestBody"];
    let properties = body_schema["properties"].as_object().unwrap();
    let required: Vec<&str> = body_schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        spec["securitySchemes"]["accountSid_authToken"]["scheme"],
        "basic"
    );

    assert_eq!(properties["ShortenUrls"]["type"], "boolean");
    let mut with_service = valid_config();
    with_service.insert("messaging_service_sid".into(), SERVICE.into());
    let mut shortening = with_service.clone();
    shortening.insert("shorten_urls".into(), json!("true"));
    for config in [valid_config(), with_service, shortening] {
        let built = Twilio
            .build_send(&SendRequest {
                config,
                message: message(),
            })
            .unwrap();

        assert!(
            spec["method"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case(&built.method)
        );
        let expected_url = format!("{server}{}", path.replace("{AccountSid}", ACCOUNT));
        assert_eq!(built.url, expected_url);
        check_value("AccountSid", ACCOUNT, account_schema);
        assert_eq!(
            built.header("content-type"),
            body_schema["contentType"].as_str()
        );
        assert!(built.header("authorization").unwrap().starts_with("Basic "));

        let fields = form_fields(&built.body);
        for name in &required {
            assert!(fields.iter().any(|(k, _)| k == name), "missing {name}");
        }
        for (name, value) in &fields {
            let schema = properties
                .get(name)
                .unwrap_or_else(|| panic!("{name} is not a CreateMessage parameter"));
            check_value(name, value, schema);
        }
    }
}

/// Checks one form value against an OpenAPI schema fragment: a boolean parameter must be
/// `true` or `false` (its form encoding); anything else must be a string parameter.
fn check_value(name: &str, value: &str, schema: &Value) {
    if schema["type"] == "boolean" {
        assert!(value == "true" || value == "false", "{name}: not a boolean");
        return;
    }
    assert_eq!(
        schema["type"], "string",
        "{name} must be a string or boolean parameter"
    );
    if let Some(pattern) = schema["pattern"].as_str() {
        assert!(
            Regex::new(pattern).unwrap().is_match(value),
            "{name}: {pattern}"
        );
    }
    let chars = value.chars().count() as u64;
    if let Some(min) = schema["minLength"].as_u64() {
        assert!(chars >= min, "{name}: shorter than {min}");
    }
    if let Some(max) = schema["maxLength"].as_u64() {
        assert!(chars <= max, "{name}: longer than {max}");
    }
    match schema["format"].as_str() {
        Some("phone-number") => {
            let e164 = Regex::new(r"^\+[1-9][0-9]{1,14}$").unwrap();
            assert!(e164.is_match(value), "{name}: not E.164");
        }
        Some("uri") => assert!(
            value.starts_with("https://") || value.starts_with("http://"),
            "{name}: not an absolute URI"
        ),
        _ => {}
    }
}

#[test]
fn invalid_config_is_refused_without_leaking_the_token() {
    let config = config(json!({"account_sid": "AC123", "auth_token": TOKEN}));
    let err = Twilio
        .build_send(&SendRequest {
            config,
            message: message(),
        })
        .unwrap_err();
    assert_eq!(err.code, codes::INVALID_CONFIG);
    assert!(err.message.contains("account_sid"), "{}", err.message);
    assert!(err.message.contains("from"), "{}", err.message);
    assert!(!err.message.contains(TOKEN), "{}", err.message);
}

#[test]
fn unknown_fields_do_not_stop_sending() {
    let mut config = valid_config();
    config.insert("legacy_option".into(), json!(true));
    assert!(
        Twilio
            .build_send(&SendRequest {
                config,
                message: message(),
            })
            .is_ok()
    );
}
