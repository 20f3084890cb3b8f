//! Golden tests for `parse_callback`: CleverTap events, mapped form/JSON/GET callbacks, HMAC
//! signatures and replies.

mod common;

use common::{Gateway, config, fixture};
use serde_json::{Value, json};
use tern_plugin_api::{
    CallbackOutcome, CallbackRequest, Event, EventKind, Header, HttpRequest, HttpResponse,
    PluginError, Provider,
};
use tern_plugin_http::signature::sign_hex;

const CALLBACK_URL: &str = "https://tern.example.org/callbacks/prov_7/3f9a";

fn base() -> Value {
    json!({"url": "https://gw.example.com/send", "body_template": "to={{to}}\nmsg={{body}}\nref={{message_id}}"})
}

fn post(content_type: Option<&str>, body: &str) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        url: CALLBACK_URL.into(),
        headers: content_type
            .map(|t| vec![Header::new("Content-Type", t)])
            .unwrap_or_default(),
        body: body.into(),
    }
}

fn callback(cfg: Value, request: HttpRequest) -> Result<CallbackOutcome, PluginError> {
    Gateway.parse_callback(&CallbackRequest {
        config: config(cfg),
        request,
    })
}

fn event(kind: EventKind, id: &str, at: i64) -> Event {
    Event {
        kind,
        provider_message_id: Some(id.into()),
        at: Some(at),
        ..Event::default()
    }
}

#[test]
fn clevertap_every_kind() {
    let outcome = callback(
        base(),
        post(
            Some("application/json"),
            &fixture("clevertap_all_kinds.json"),
        ),
    )
    .unwrap();
    assert_eq!(
        outcome.events,
        vec![
            Event {
                error_code: Some("901".into()),
                ..event(EventKind::Failed, "msg_01HZX3", 1717430400)
            },
            Event {
                error_code: Some("902".into()),
                ..event(EventKind::Failed, "msg_01HZX4", 1717430401)
            },
            Event {
                from: Some("+4915112345678".into()),
                ..event(EventKind::Replied, "msg_01HZX5", 1717430460)
            },
            event(EventKind::Delivered, "msg_01HZX6", 1717430402),
            event(EventKind::Clicked, "msg_01HZX6", 1717430999),
        ]
    );
    assert_eq!(outcome.reply, HttpResponse::default());
}

#[test]
fn clevertap_one_kind_at_a_time() {
    let cases = [
        (
            r#"[{"event":"delivered","data":[{"ts":1,"meta":"a"}]}]"#,
            EventKind::Delivered,
        ),
        (
            r#"[{"event":"failed","data":[{"ts":1,"meta":"a","code":900,"description":"x"}]}]"#,
            EventKind::Failed,
        ),
        (
            r#"[{"event":"clicked","data":[{"ts":1,"meta":"a","url":"https://x"}]}]"#,
            EventKind::Clicked,
        ),
        (
            r#"[{"event":"replied","data":[{"ts":1,"meta":"a","toPhone":"+15550001","incomingText":"YES"}]}]"#,
            EventKind::Replied,
        ),
    ];
    for (body, kind) in cases {
        let events = callback(base(), post(Some("application/json"), body))
            .unwrap()
            .events;
        assert_eq!(events.len(), 1, "{body}");
        assert_eq!(events[0].kind, kind);
        assert_eq!(events[0].at, Some(1));
        assert_eq!(events[0].error_code.is_some(), kind == EventKind::Failed);
        assert_eq!(events[0].from.is_some(), kind == EventKind::Replied);
    }
}

#[test]
fn clevertap_uncounted_events_give_nothing() {
    let body = r#"[{"event":"sent","data":[{"ts":1,"meta":"a"}]}]"#;
    assert_eq!(callback(base(), post(None, body)).unwrap().events, vec![]);
    assert_eq!(callback(base(), post(None, "[]")).unwrap().events, vec![]);
}

fn mapped(extra: Value) -> Value {
    let mut cfg = base();
    cfg["callback_format"] = json!("mapped");
    for (k, v) in extra.as_object().unwrap() {
        cfg[k] = v.clone();
    }
    cfg
}

#[test]
fn mapped_form_callback() {
    let cfg = mapped(json!({
        "callback_id_field": "message_id",
        "callback_status_field": "status",
        "callback_delivered_values": "DELIVRD",
        "callback_failed_values": "UNDELIV, REJECTD, EXPIRED",
        "callback_error_field": "err",
        "callback_reply": "OK",
    }));
    let outcome = callback(
        cfg,
        post(
            Some("application/x-www-form-urlencoded"),
            &fixture("mapped_form_failed.txt"),
        ),
    )
    .unwrap();
    assert_eq!(
        outcome,
        CallbackOutcome {
            events: vec![Event {
                kind: EventKind::Failed,
                provider_message_id: Some("gw-7781".into()),
                error_code: Some("DND blocked".into()),
                ..Event::default()
            }],
            reply: HttpResponse {
                status: 200,
                headers: vec![Header::new("Content-Type", "text/plain; charset=utf-8")],
                body: "OK".into(),
            },
        }
    );
}

#[test]
fn mapped_json_callback() {
    let cfg = mapped(json!({
        "callback_id_field": "/delivery/message/id",
        "callback_status_field": "/delivery/status/name",
        "callback_delivered_values": "DELIVERED_TO_HANDSET",
        "callback_failed_values": "UNDELIVERABLE,EXPIRED",
        "callback_reply": "{\"received\":true}",
    }));
    let outcome = callback(
        cfg,
        post(
            Some("application/json; charset=utf-8"),
            &fixture("mapped_json_delivered.json"),
        ),
    )
    .unwrap();
    assert_eq!(
        outcome.events,
        vec![Event {
            kind: EventKind::Delivered,
            provider_message_id: Some("884412".into()),
            ..Event::default()
        }]
    );
    assert_eq!(
        outcome.reply.header("content-type"),
        Some("application/json")
    );
    assert_eq!(outcome.reply.body, "{\"received\":true}");
}

#[test]
fn mapped_json_batch_and_ignored_statuses() {
    let cfg = mapped(json!({"callback_id_field": "id", "callback_status_field": "status"}));
    let body = r#"[{"id":"a","status":"Delivered"},{"id":"b","status":"sent"},{"id":"c","status":"undelivered"}]"#;
    let events = callback(cfg, post(Some("application/json"), body))
        .unwrap()
        .events;
    let summary: Vec<(EventKind, Option<String>)> = events
        .into_iter()
        .map(|e| (e.kind, e.provider_message_id))
        .collect();
    assert_eq!(
        summary,
        vec![
            (EventKind::Delivered, Some("a".into())),
            (EventKind::Failed, Some("c".into()))
        ]
    );
}

#[test]
fn mapped_get_callback_reads_the_query() {
    let cfg = mapped(json!({"callback_id_field": "smsid", "callback_status_field": "dlr"}));
    let request = HttpRequest {
        method: "GET".into(),
        url: format!("{CALLBACK_URL}?smsid=gw%2D1&dlr=delivered&to=%2B4915112345678"),
        headers: vec![],
        body: String::new(),
    };
    let events = callback(cfg, request).unwrap().events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].provider_message_id.as_deref(), Some("gw-1"));
}

fn signed(extra: Value) -> Value {
    let mut cfg = base();
    cfg["callback_secret"] = json!("whsec_4f1c2b");
    for (k, v) in extra.as_object().unwrap() {
        cfg[k] = v.clone();
    }
    cfg
}

#[test]
fn hmac_verified() {
    let body = fixture("clevertap_all_kinds.json");
    let mut request = post(Some("application/json"), &body);
    request
        .headers
        .push(Header::new("X-Signature", sign_hex("whsec_4f1c2b", &body)));
    assert_eq!(
        callback(signed(json!({})), request).unwrap().events.len(),
        5
    );

    let mut request = post(Some("application/json"), &body);
    request.headers.push(Header::new(
        "X-Hub-Signature-256",
        format!("sha256={}", sign_hex("whsec_4f1c2b", &body)),
    ));
    let cfg = signed(json!({"callback_signature_header": "X-Hub-Signature-256"}));
    assert_eq!(callback(cfg, request).unwrap().events.len(), 5);
}

#[test]
fn hmac_forged_or_missing_is_refused() {
    let body = fixture("clevertap_all_kinds.json");
    let forged = sign_hex("guessed", &body);
    let tampered = sign_hex("whsec_4f1c2b", &body.replace("delivered", "failed"));
    for header in [
        None,
        Some(forged.as_str()),
        Some(tampered.as_str()),
        Some("not hex"),
    ] {
        let mut request = post(Some("application/json"), &body);
        if let Some(value) = header {
            request.headers.push(Header::new("X-Signature", value));
        }
        let err = callback(signed(json!({})), request).unwrap_err();
        assert_eq!(err.code, "signature_invalid", "{header:?}");
        assert!(!err.message.contains("whsec_4f1c2b"));
    }
}

#[test]
fn signature_is_checked_before_the_body_is_read() {
    let err = callback(signed(json!({})), post(None, "{not json")).unwrap_err();
    assert_eq!(err.code, "signature_invalid");
}

#[test]
fn malformed_callbacks_are_refused() {
    let mapped_cfg = mapped(json!({"callback_id_field": "id", "callback_status_field": "status"}));
    let cases = [
        (base(), post(None, "")),
        (base(), post(Some("application/json"), "{\"event\":")),
        (base(), post(Some("application/json"), "\"delivered\"")),
        (
            base(),
            post(
                None,
                r#"[{"event":"delivered","data":[{"ts":"yesterday","meta":"a"}]}]"#,
            ),
        ),
        (base(), post(None, "status=delivered&id=1")),
        (mapped_cfg.clone(), post(Some("application/json"), "[1,2")),
        (
            mapped_cfg.clone(),
            post(Some("application/x-www-form-urlencoded"), "id=1"),
        ),
        (
            mapped_cfg.clone(),
            post(
                Some("application/x-www-form-urlencoded"),
                "status=delivered",
            ),
        ),
        (mapped_cfg, post(Some("text/plain"), "")),
    ];
    for (cfg, request) in cases {
        let err = callback(cfg, request.clone()).unwrap_err();
        assert_eq!(err.code, "malformed", "{request:?}");
    }
}
