//! Callback parsing past the happy path: every status Twilio may send, and signed or unsigned
//! nonsense, which must give an error (or an acknowledgement) and never a panic.

mod common;

use common::*;
use tern_plugin_api::{CallbackRequest, Header, HttpRequest, Provider, codes};
use tern_plugin_twilio::Twilio;

#[test]
fn other_statuses_give_no_event() {
    for status in [
        "queued",
        "sending",
        "sent",
        "accepted",
        "scheduled",
        "read",
        "canceled",
        "partially_delivered",
        "something_new",
    ] {
        let body = format!("MessageSid={MESSAGE_SID}&MessageStatus={status}");
        let outcome = Twilio.parse_callback(&signed_form(&body)).unwrap();
        assert_eq!(outcome.events, [], "{status}");
        assert_twiml(&outcome.reply);
    }
}

#[test]
fn signed_nonsense_never_panics() {
    for body in [
        "",
        "&&&",
        "=",
        "MessageStatus=delivered",
        "Body=hi",
        "SmsStatus=received",
        "MessageSid=&MessageStatus=delivered",
        "From=%2B1&Body=",
        "MessageSid=SM1&MessageStatus=",
        "\u{0}=\u{0}",
        "%F0%9F%91%8D=%F0%9F%91%8D",
    ] {
        match Twilio.parse_callback(&signed_form(body)) {
            Ok(outcome) => assert_twiml(&outcome.reply),
            Err(err) => assert_eq!(err.code, codes::MALFORMED, "{body:?}: {}", err.message),
        }
    }
}

#[test]
fn garbage_requests_never_panic() {
    let urls = [
        "",
        "not a url",
        "https://",
        "https://h:443",
        "https://[::1",
        "?bodySHA256=",
    ];
    let bodies = [
        "",
        "%",
        "%%%",
        "{",
        "a=%ff",
        "\u{fffd}",
        "{\"event_type\":\"click\"}",
    ];
    let types = [
        "",
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
    ];
    for url in urls {
        for body in bodies {
            for content_type in types {
                for method in ["POST", "GET", ""] {
                    let mut request = CallbackRequest {
                        config: valid_config(),
                        request: HttpRequest {
                            method: method.into(),
                            url: url.into(),
                            headers: vec![Header::new("Content-Type", content_type)],
                            body: body.into(),
                        },
                    };
                    set_signature(&mut request, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
                    let err = Twilio.parse_callback(&request).unwrap_err();
                    assert!(
                        [codes::SIGNATURE_INVALID, codes::MALFORMED].contains(&err.code.as_str()),
                        "{err}"
                    );
                }
            }
        }
    }
}
