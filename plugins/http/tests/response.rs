//! Golden tests for `parse_send_response` on realistic gateway answers.

mod common;

use common::{Gateway, config, fixture, message};
use serde_json::{Value, json};
use tern_plugin_api::{
    Header, HttpResponse, PluginError, Provider, SendOutcome, SendResponseRequest,
};

fn answer(cfg: Value, status: u16, body: &str) -> Result<SendOutcome, PluginError> {
    Gateway.parse_send_response(&SendResponseRequest {
        config: config(cfg),
        message: message(),
        response: HttpResponse {
            status,
            headers: vec![Header::new("Content-Type", "application/json")],
            body: body.into(),
        },
    })
}

fn with_pointer(pointer: &str) -> Value {
    json!({
        "url": "https://api.example.com/v1/messages",
        "body_format": "json",
        "body_template": "{\"to\":\"{{to}}\",\"text\":\"{{body}}\"}",
        "auth": "bearer",
        "token": "tok_live_9f8e7d",
        "message_id_pointer": pointer,
    })
}

fn without_pointer() -> Value {
    json!({"url": "https://gw.example.com/send", "body_template": "to={{to}}\nmsg={{body}}\nref={{message_id}}"})
}

fn accepted(id: &str) -> SendOutcome {
    SendOutcome::Accepted {
        provider_message_id: id.into(),
    }
}

#[test]
fn success_with_a_pointer() {
    assert_eq!(
        answer(
            with_pointer("/messages/0/id"),
            201,
            &fixture("answer_accepted.json")
        ),
        Ok(accepted("5f2c1e7a-9b1d-4e0e-8f3a-2d6b7c8e9f01"))
    );
}

#[test]
fn numeric_ids_become_text() {
    assert_eq!(
        answer(
            with_pointer("/data/id"),
            200,
            &fixture("answer_numeric_id.json")
        ),
        Ok(accepted("731902245"))
    );
}

#[test]
fn success_without_a_pointer_tracks_our_id() {
    assert_eq!(
        answer(without_pointer(), 200, "OK: queued"),
        Ok(accepted("msg_01HZX3"))
    );
    assert_eq!(
        answer(without_pointer(), 204, ""),
        Ok(accepted("msg_01HZX3"))
    );
}

#[test]
fn accepted_status_without_the_id_is_malformed() {
    for body in [
        "",
        "OK",
        "<html>queued</html>",
        r#"{"messages":[]}"#,
        r#"{"messages":[{"id":null}]}"#,
        r#"{"messages":[{"id":""}]}"#,
        r#"{"messages":[{"id":{"v":1}}]}"#,
    ] {
        let err = answer(with_pointer("/messages/0/id"), 200, body).unwrap_err();
        assert_eq!(err.code, "malformed", "{body:?}");
    }
}

#[test]
fn a_400_is_rejected_with_an_excerpt() {
    let outcome = answer(
        with_pointer("/messages/0/id"),
        400,
        &fixture("answer_400.json"),
    )
    .unwrap();
    let SendOutcome::Rejected {
        code,
        message,
        retryable,
    } = outcome
    else {
        panic!("expected a rejection, got {outcome:?}");
    };
    assert_eq!(code, "http_400");
    assert!(!retryable);
    assert!(
        message.starts_with(
            r#"{ "error": { "code": "invalid_destination", "message": "The destination"#
        )
    );
    assert_eq!(message.chars().count(), 201);
    assert!(message.ends_with('…'));
}

#[test]
fn a_429_is_retryable() {
    assert_eq!(
        answer(with_pointer("/messages/0/id"), 429, &fixture("answer_429.json")),
        Ok(SendOutcome::Rejected {
            code: "http_429".into(),
            message: r#"{"error":"rate_limited","message":"Too many requests: limit is 30 per second","retry_after":2}"#.into(),
            retryable: true,
        })
    );
}

#[test]
fn a_503_html_page_is_retryable() {
    assert_eq!(
        answer(with_pointer("/messages/0/id"), 503, &fixture("answer_503.html")),
        Ok(SendOutcome::Rejected {
            code: "http_503".into(),
            message: "<html> <head><title>503 Service Temporarily Unavailable</title></head> <body> \
                      <center><h1>503 Service Temporarily Unavailable</h1></center> <hr><center>nginx</center> \
                      </body> </html>"
                .into(),
            retryable: true,
        })
    );
}

#[test]
fn an_empty_error_body_says_so() {
    assert_eq!(
        answer(without_pointer(), 502, ""),
        Ok(SendOutcome::Rejected {
            code: "http_502".into(),
            message: "the gateway answered HTTP 502 with an empty body".into(),
            retryable: true,
        })
    );
}

#[test]
fn accepted_statuses_are_configurable() {
    let mut cfg = without_pointer();
    cfg["accepted_statuses"] = json!("200, 202");
    assert_eq!(answer(cfg.clone(), 202, ""), Ok(accepted("msg_01HZX3")));
    let outcome = answer(cfg, 201, "created").unwrap();
    assert!(
        matches!(outcome, SendOutcome::Rejected { ref code, retryable: false, .. } if code == "http_201")
    );
}

#[test]
fn echoed_credentials_are_scrubbed() {
    let outcome = answer(
        with_pointer("/id"),
        401,
        r#"{"error":"token tok_live_9f8e7d is revoked"}"#,
    )
    .unwrap();
    let SendOutcome::Rejected { message, .. } = outcome else {
        panic!("expected a rejection");
    };
    assert_eq!(message, r#"{"error":"token [redacted] is revoked"}"#);
    let err = answer(with_pointer("/id"), 200, "tok_live_9f8e7d").unwrap_err();
    assert!(!err.message.contains("tok_live_9f8e7d"));
}
