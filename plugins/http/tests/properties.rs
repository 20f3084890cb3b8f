//! Property tests: whatever bytes a gateway sends back or a caller posts to the callback URL,
//! `parse_send_response` and `parse_callback` never panic and answer with an error (or a
//! rejection), never with a made-up message.

mod common;

use common::{Gateway, config, message};
use proptest::prelude::*;
use serde_json::{Value, json};
use tern_plugin_api::{
    CallbackRequest, Header, HttpRequest, HttpResponse, Provider, SendOutcome, SendResponseRequest,
};
use tern_plugin_http::signature::sign_hex;

const SECRET: &str = "whsec_4f1c2b";

/// Arbitrary bytes as the text the host hands over (it decodes bodies lossily).
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<u8>(), 0..512)
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

fn callback(cfg: Value, headers: Vec<Header>, body: String) -> CallbackRequest {
    CallbackRequest {
        config: config(cfg),
        request: HttpRequest {
            method: "POST".into(),
            url: "https://tern.example.org/callbacks/prov_7/3f9a".into(),
            headers,
            body,
        },
    }
}

fn signed_config(format: &str) -> Value {
    json!({
        "url": "https://gw.example.com/send",
        "body_template": "to={{to}}",
        "callback_secret": SECRET,
        "callback_format": format,
        "callback_id_field": "id",
        "callback_status_field": "status",
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_answer_to_a_send_is_an_error_or_a_rejection(
        status in prop_oneof![200..300u16, any::<u16>()],
        content_type in text(),
        body in text(),
    ) {
        let outcome = Gateway.parse_send_response(&SendResponseRequest {
            config: config(json!({
                "url": "https://gw.example.com/send",
                "body_template": "to={{to}}",
                "message_id_pointer": "/data/message_id",
            })),
            message: message(),
            response: HttpResponse {
                status,
                headers: vec![Header::new("Content-Type", content_type)],
                body,
            },
        });
        prop_assert!(
            !matches!(outcome, Ok(SendOutcome::Accepted { .. })),
            "{outcome:?}"
        );
    }

    #[test]
    fn any_unsigned_or_forged_callback_is_refused(
        format in prop_oneof![Just("clevertap"), Just("mapped")],
        signature in proptest::option::of(text()),
        content_type in text(),
        body in text(),
    ) {
        let mut headers = vec![Header::new("Content-Type", content_type)];
        if let Some(signature) = signature {
            headers.push(Header::new("X-Signature", signature));
        }
        let err = Gateway
            .parse_callback(&callback(signed_config(format), headers, body))
            .expect_err("a callback without the right signature is refused");
        prop_assert_eq!(err.code, "signature_invalid");
        prop_assert!(!err.message.contains(SECRET));
    }

    #[test]
    fn any_signed_body_that_is_not_a_callback_is_refused(
        format in prop_oneof![Just("clevertap"), Just("mapped")],
        content_type in prop_oneof![
            Just("application/json"),
            Just("application/x-www-form-urlencoded"),
            Just(""),
        ],
        body in text(),
    ) {
        let headers = vec![
            Header::new("Content-Type", content_type),
            Header::new("X-Signature", sign_hex(SECRET, &body)),
        ];
        let outcome = Gateway.parse_callback(&callback(signed_config(format), headers, body.clone()));
        // Noise is never a callback. The rare noise that is valid JSON (`[]`, `1`) may be a
        // well-formed document with nothing in it.
        match outcome {
            Err(err) => prop_assert!(!err.message.contains(SECRET)),
            Ok(outcome) => {
                prop_assert!(serde_json::from_str::<Value>(&body).is_ok(), "{outcome:?}");
                prop_assert!(outcome.events.is_empty(), "{outcome:?}");
            }
        }
    }
}
