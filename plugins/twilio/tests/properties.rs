//! Property tests: whatever bytes reach `parse_send_response` or `parse_callback`, the adapter
//! never panics and answers with an error (or a rejection), never with a made-up message.

mod common;

use common::*;
use proptest::prelude::*;
use tern_plugin_api::{
    CallbackRequest, Header, HttpRequest, HttpResponse, OutboundMessage, Provider, SendOutcome,
    SendResponseRequest,
};
use tern_plugin_twilio::Twilio;

/// Arbitrary bytes as the text the host hands over (it decodes bodies lossily).
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<u8>(), 0..512)
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

fn content_type() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("application/json".to_owned()),
        Just("application/x-www-form-urlencoded".to_owned()),
        text(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_answer_to_a_send_is_an_error_or_a_rejection(
        status in prop_oneof![200..300u16, any::<u16>()],
        content_type in content_type(),
        body in text(),
    ) {
        let outcome = Twilio.parse_send_response(&SendResponseRequest {
            config: valid_config(),
            message: OutboundMessage::default(),
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
        if let Err(err) = &outcome {
            prop_assert!(!err.message.contains(TOKEN));
        }
    }

    #[test]
    fn any_unsigned_or_forged_callback_is_refused(
        method in prop_oneof![Just("POST".to_owned()), Just("GET".to_owned()), text()],
        query in text(),
        signature in proptest::option::of(text()),
        content_type in content_type(),
        body in text(),
    ) {
        let mut headers = vec![Header::new("Content-Type", content_type)];
        if let Some(signature) = signature {
            headers.push(Header::new("X-Twilio-Signature", signature));
        }
        let err = Twilio
            .parse_callback(&CallbackRequest {
                config: valid_config(),
                request: HttpRequest {
                    method,
                    url: format!("https://sms.example.com/callbacks/prv_7f3c2a/tok?{query}"),
                    headers,
                    body,
                },
            })
            .expect_err("a callback without the right signature is refused");
        prop_assert!(!err.message.contains(TOKEN));
    }

    #[test]
    fn any_signed_form_that_is_not_a_callback_is_refused(body in text()) {
        // Signed as Twilio would sign it, so the parser itself sees the noise.
        let err = Twilio
            .parse_callback(&signed_form(&body))
            .expect_err("noise is not a status callback");
        prop_assert_eq!(err.code, "malformed", "{}", err.message);
        prop_assert!(!err.message.contains(TOKEN));
    }
}
