//! Callbacks: every kind Twilio sends for messages, verified against signatures computed
//! independently (see `tests/fixtures/callbacks/generate.py`), and every way to get it wrong.

mod common;

use common::*;
use serde_json::json;
use tern_plugin_api::{CallbackOutcome, Event, EventKind, PluginError, Provider, codes};
use tern_plugin_twilio::{Twilio, signature};

fn parse(name: &str) -> Result<CallbackOutcome, PluginError> {
    Twilio.parse_callback(&callback(name))
}

fn events(name: &str) -> Vec<Event> {
    let outcome = parse(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_twiml(&outcome.reply);
    outcome.events
}

fn refused(name: &str, code: &str) -> PluginError {
    let err = parse(name).expect_err(name);
    assert_eq!(err.code, code, "{name}: {}", err.message);
    assert!(!err.message.contains(TOKEN), "{name}: {}", err.message);
    err
}

#[test]
fn delivered() {
    assert_eq!(
        events("status_delivered"),
        [Event {
            kind: EventKind::Delivered,
            provider_message_id: Some(MESSAGE_SID.into()),
            ..Event::default()
        }]
    );
}

#[test]
fn undelivered_with_error_code() {
    assert_eq!(
        events("status_undelivered"),
        [Event {
            kind: EventKind::Failed,
            provider_message_id: Some(MESSAGE_SID.into()),
            error_code: Some("30007".into()),
            ..Event::default()
        }]
    );
}

#[test]
fn failed_with_error_code() {
    assert_eq!(
        events("status_failed"),
        [Event {
            kind: EventKind::Failed,
            provider_message_id: Some(MESSAGE_SID.into()),
            error_code: Some("30005".into()),
            ..Event::default()
        }]
    );
}

#[test]
fn intermediate_status_gives_no_event_but_is_acknowledged() {
    assert_eq!(events("status_sent"), []);
}

#[test]
fn inbound_reply() {
    assert_eq!(
        events("inbound_reply"),
        [Event {
            kind: EventKind::Replied,
            from: Some("+14155550100".into()),
            ..Event::default()
        }]
    );
}

#[test]
fn inbound_reply_by_get() {
    assert_eq!(
        events("inbound_get"),
        [Event {
            kind: EventKind::Replied,
            from: Some("+14155550100".into()),
            ..Event::default()
        }]
    );
}

#[test]
fn click_with_body_hash() {
    let outcome = parse("click").unwrap();
    assert_eq!(
        outcome.events,
        [Event {
            kind: EventKind::Clicked,
            provider_message_id: Some(MESSAGE_SID.into()),
            at: Some(1_705_602_683), // 2024-01-18T18:31:23.549Z
            ..Event::default()
        }]
    );
    assert_eq!(outcome.reply.status, 200);
    assert_eq!(outcome.reply.body, "");
}

#[test]
fn explicit_default_port_either_way() {
    assert_eq!(events("status_port_443")[0].kind, EventKind::Delivered);
    assert_eq!(
        events("status_signed_with_port")[0].kind,
        EventKind::Delivered
    );
}

#[test]
fn forged_tampered_and_unsigned_are_refused() {
    refused("forged", codes::SIGNATURE_INVALID);
    refused("tampered", codes::SIGNATURE_INVALID);
    let err = refused("unsigned", codes::SIGNATURE_INVALID);
    assert!(
        err.message.contains("X-Twilio-Signature"),
        "{}",
        err.message
    );
}

#[test]
fn json_body_whose_hash_does_not_match_is_refused() {
    let err = refused("click_hash_mismatch", codes::SIGNATURE_INVALID);
    assert!(err.message.contains("bodySHA256"), "{}", err.message);
}

#[test]
fn json_without_body_hash_is_refused() {
    let mut request = callback("click");
    let url = request.request.url.split('?').next().unwrap().to_owned();
    let signed = signature::sign(TOKEN, &url, &[] as &[(&str, &str)]);
    request.request.url = url;
    set_signature(&mut request, &signed);
    let err = Twilio.parse_callback(&request).unwrap_err();
    assert_eq!(err.code, codes::SIGNATURE_INVALID);
}

#[test]
fn wrong_auth_token_is_refused() {
    let mut request = callback("status_delivered");
    request.config.insert(
        "auth_token".into(),
        json!("00000000000000000000000000000000"),
    );
    let err = Twilio.parse_callback(&request).unwrap_err();
    assert_eq!(err.code, codes::SIGNATURE_INVALID);
}

#[test]
fn malformed_input_is_refused() {
    refused("missing_message_sid", codes::MALFORMED);
    refused("bad_form_encoding", codes::MALFORMED);
    refused("invalid_json", codes::MALFORMED);
    refused("unknown_content", codes::MALFORMED);
}

#[test]
fn unsigned_beats_malformed() {
    // Nothing about an unsigned request is looked at, not even whether it parses.
    let mut request = callback("bad_form_encoding");
    request
        .request
        .headers
        .retain(|h| !h.name.eq_ignore_ascii_case(signature::HEADER));
    let err = Twilio.parse_callback(&request).unwrap_err();
    assert_eq!(err.code, codes::SIGNATURE_INVALID);
}

#[test]
fn missing_auth_token_is_a_config_error() {
    let mut request = callback("status_delivered");
    request.config.remove("auth_token");
    let err = Twilio.parse_callback(&request).unwrap_err();
    assert_eq!(err.code, codes::INVALID_CONFIG);
}

#[test]
fn header_names_are_case_insensitive() {
    let mut request = callback("status_delivered");
    for header in &mut request.request.headers {
        header.name = header.name.to_ascii_lowercase();
    }
    assert!(Twilio.parse_callback(&request).is_ok());
}
