//! Reading Twilio's answer to `CreateMessage`: the 201 examples from Twilio's OpenAPI
//! description, Twilio's error documents, and what proxies answer when things break.

mod common;

use common::*;
use tern_plugin_api::{
    Header, HttpResponse, OutboundMessage, PluginError, Provider, SendOutcome, SendResponseRequest,
    codes,
};
use tern_plugin_twilio::Twilio;

fn parse(status: u16, content_type: &str, body: &str) -> Result<SendOutcome, PluginError> {
    Twilio.parse_send_response(&SendResponseRequest {
        config: valid_config(),
        message: OutboundMessage::default(),
        response: HttpResponse {
            status,
            headers: vec![Header::new("Content-Type", content_type)],
            body: body.to_owned(),
        },
    })
}

fn rejected(code: &str, message: &str, retryable: bool) -> SendOutcome {
    SendOutcome::Rejected {
        code: code.to_owned(),
        message: message.to_owned(),
        retryable,
    }
}

#[test]
fn accepts_every_201_example_of_the_spec() {
    let examples = json_fixture("openapi/create_message_201_examples.json");
    let examples = examples["examples"].as_object().unwrap();
    assert!(
        examples.len() >= 7,
        "the fixture holds all the spec's examples"
    );
    for (name, example) in examples {
        let sid = example["sid"].as_str().unwrap();
        let body = serde_json::to_string(example).unwrap();
        assert_eq!(
            parse(201, "application/json; charset=utf-8", &body),
            Ok(SendOutcome::Accepted {
                provider_message_id: sid.to_owned()
            }),
            "{name}"
        );
    }
}

#[test]
fn any_2xx_with_a_sid_is_accepted() {
    assert_eq!(
        parse(
            200,
            "application/json",
            r#"{"sid":"SM1","status":"queued"}"#
        ),
        Ok(SendOutcome::Accepted {
            provider_message_id: "SM1".into()
        })
    );
}

#[test]
fn twilio_error_documents() {
    assert_eq!(
        parse(
            400,
            "application/json",
            &fixture("responses/error_400_invalid_to.json")
        ),
        Ok(rejected(
            "21211",
            "The 'To' number +1555 is not a valid phone number.",
            false
        ))
    );
    assert_eq!(
        parse(
            401,
            "application/json",
            &fixture("responses/error_401_auth.json")
        ),
        Ok(rejected("20003", "Authenticate", false))
    );
    assert_eq!(
        parse(
            429,
            "application/json",
            &fixture("responses/error_429_too_many.json")
        ),
        Ok(rejected("20429", "Too Many Requests", true))
    );
    assert_eq!(
        parse(
            503,
            "application/json",
            r#"{"code":20503,"message":"Service unavailable"}"#
        ),
        Ok(rejected("20503", "Service unavailable", true))
    );
}

#[test]
fn error_json_without_code_or_message() {
    assert_eq!(
        parse(404, "application/json", "{}"),
        Ok(rejected(
            "http_404",
            "Twilio answered HTTP 404 without a message",
            false
        ))
    );
}

#[test]
fn html_error_pages_are_refusals_that_name_the_status() {
    let Ok(SendOutcome::Rejected {
        code,
        message,
        retryable,
    }) = parse(500, "text/html", &fixture("responses/error_500.html"))
    else {
        panic!("not a refusal");
    };
    assert_eq!(code, "http_500");
    assert!(retryable);
    assert!(message.contains("HTTP 500"), "{message}");
    assert!(message.contains("text/html"), "{message}");
    assert!(message.contains("500 Internal Server Error"), "{message}");

    let Ok(SendOutcome::Rejected {
        code, retryable, ..
    }) = parse(502, "text/html", &fixture("responses/error_502.html"))
    else {
        panic!("not a refusal");
    };
    assert_eq!((code.as_str(), retryable), ("http_502", true));
}

#[test]
fn garbage_and_empty_bodies_never_panic() {
    for body in [
        fixture("responses/garbage.txt"),
        "\u{0}\u{1}{{{".to_owned(),
        String::new(),
        "[1,2".to_owned(),
        "\"just a string\"".to_owned(),
        "x".repeat(100_000),
    ] {
        for status in [0, 100, 301, 400, 429, 500, 599, 600] {
            match parse(status, "text/plain", &body) {
                Ok(SendOutcome::Rejected {
                    code,
                    message,
                    retryable,
                }) => {
                    assert_eq!(code, format!("http_{status}"));
                    assert!(message.contains(&format!("HTTP {status}")), "{message}");
                    assert!(message.chars().count() < 400, "bounded: {message}");
                    assert_eq!(retryable, status == 429 || (500..600).contains(&status));
                }
                other => panic!("{status}: {other:?}"),
            }
        }
        // A 2xx that cannot be read is not a refusal: Twilio may have taken the message.
        let err = parse(201, "text/plain", &body).unwrap_err();
        assert_eq!(err.code, codes::MALFORMED);
    }
}

#[test]
fn success_without_sid_is_malformed() {
    for body in [
        r#"{"status":"queued"}"#,
        r#"{"sid":null}"#,
        r#"{"sid":""}"#,
        r#"{"sid":42}"#,
        r#"{"code":21211,"message":"The 'To' number is not valid."}"#,
    ] {
        let err = parse(201, "application/json", body).unwrap_err();
        assert_eq!(err.code, codes::MALFORMED, "{body}");
        assert!(err.message.contains("201"), "{}", err.message);
    }
}
