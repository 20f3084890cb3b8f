//! Golden tests for `build_send`: the exact request for each kind of config, and escaping of
//! hostile message bodies in every place a placeholder can land.

mod common;

use common::{Gateway, HOSTILE, config, hostile_message, message};
use serde_json::{Value, json};
use tern_plugin_api::{Config, Header, HttpRequest, OutboundMessage, Provider, SendRequest};

fn build(config: Config, message: OutboundMessage) -> HttpRequest {
    Gateway
        .build_send(&SendRequest { config, message })
        .expect("build_send")
}

fn form_config() -> Value {
    json!({
        "url": "https://sms.example.net/api/v2/send",
        "body_template": "to={{to}}\nfrom={{from}}\ntext={{body}}\nreference={{message_id}}\nnotify_url={{callback_url}}",
        "from": "ACME",
        "auth": "basic",
        "username": "acme",
        "password": "s3cr3t"
    })
}

#[test]
fn form_post_with_basic_auth() {
    let request = build(config(form_config()), message());
    assert_eq!(
        request,
        HttpRequest {
            method: "POST".into(),
            url: "https://sms.example.net/api/v2/send".into(),
            headers: vec![
                Header::new("Content-Type", "application/x-www-form-urlencoded"),
                Header::new("Authorization", "Basic YWNtZTpzM2NyM3Q="),
            ],
            body: "to=%2B4915112345678&from=ACME&text=Your+code+is+123456&reference=msg_01HZX3\
                   &notify_url=https%3A%2F%2Ftern.example.org%2Fcallbacks%2Fprov_7%2F3f9a"
                .into(),
        }
    );
}

fn json_config() -> Value {
    json!({
        "url": "https://api.example.com/v1/messages",
        "body_format": "json",
        "body_template": "{\n  \"messages\": [{\"to\": \"{{to}}\", \"from\": \"{{from}}\", \"text\": \"{{body}}\",\n    \"client_ref\": \"{{message_id}}\", \"callback\": \"{{callback_url}}\"}]\n}",
        "from": "+4930123456",
        "headers": "Accept: application/json\r\nX-Request-Id: {{message_id}}\r\n",
        "auth": "bearer",
        "token": "tok_live_9f8e7d",
        "message_id_pointer": "/messages/0/id"
    })
}

#[test]
fn json_post_with_bearer_auth_and_headers() {
    let request = build(config(json_config()), message());
    assert_eq!(
        request,
        HttpRequest {
            method: "POST".into(),
            url: "https://api.example.com/v1/messages".into(),
            headers: vec![
                Header::new("Content-Type", "application/json"),
                Header::new("Authorization", "Bearer tok_live_9f8e7d"),
                Header::new("Accept", "application/json"),
                Header::new("X-Request-Id", "msg_01HZX3"),
            ],
            body: "{\n  \"messages\": [{\"to\": \"+4915112345678\", \"from\": \"+4930123456\", \
                   \"text\": \"Your code is 123456\",\n    \"client_ref\": \"msg_01HZX3\", \
                   \"callback\": \"https://tern.example.org/callbacks/prov_7/3f9a\"}]\n}"
                .into(),
        }
    );
}

fn get_config() -> Value {
    json!({
        "url": "https://gw.example.com/http/send?user=acme&to={{to}}&sender={{from}}&msg={{body}}&dlr_url={{callback_url}}",
        "method": "GET",
        "body_format": "none",
        "from": "ACME",
        "auth": "header",
        "auth_header": "X-Api-Key",
        "token": "k_123"
    })
}

#[test]
fn get_with_query_placeholders_and_key_header() {
    let request = build(config(get_config()), message());
    assert_eq!(
        request,
        HttpRequest {
            method: "GET".into(),
            url: "https://gw.example.com/http/send?user=acme&to=%2B4915112345678&sender=ACME\
                  &msg=Your%20code%20is%20123456\
                  &dlr_url=https%3A%2F%2Ftern.example.org%2Fcallbacks%2Fprov_7%2F3f9a"
                .into(),
            headers: vec![Header::new("X-Api-Key", "k_123")],
            body: String::new(),
        }
    );
}

#[test]
fn get_with_form_template_appends_to_the_query() {
    let request = build(
        config(json!({
            "url": "https://gw.example.com/send?account=42",
            "method": "get",
            "body_template": "to={{to}}\ntext={{body}}",
        })),
        message(),
    );
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.url,
        "https://gw.example.com/send?account=42&to=%2B4915112345678&text=Your+code+is+123456"
    );
    assert!(request.headers.is_empty());
    assert_eq!(request.body, "");
}

#[test]
fn hostile_body_in_the_query() {
    let request = build(config(get_config()), hostile_message());
    assert!(request.url.contains(
        "&msg=Tom%20%26%20Jerry%20said%20%22hi%22%20%3D%20%7B%7Bto%7D%7D%0A50%25%20off%20%F0%9F%98%80%20%231&"
    ));
    let url = url::Url::parse(&request.url).unwrap();
    let msg = url.query_pairs().find(|(k, _)| k == "msg").unwrap().1;
    assert_eq!(msg, HOSTILE);
    assert_eq!(
        url.query_pairs().count(),
        5,
        "the body must not add parameters"
    );
}

#[test]
fn hostile_body_in_a_form() {
    let request = build(config(form_config()), hostile_message());
    assert!(request.body.contains(
        "&text=Tom+%26+Jerry+said+%22hi%22+%3D+%7B%7Bto%7D%7D%0A50%25+off+%F0%9F%98%80+%231&"
    ));
    let pairs: Vec<(String, String)> = form_urlencoded::parse(request.body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(pairs.len(), 5, "the body must not add fields");
    assert_eq!(pairs[2], ("text".to_owned(), HOSTILE.to_owned()));
}

#[test]
fn hostile_body_in_json() {
    let request = build(config(json_config()), hostile_message());
    assert!(
        request
            .body
            .contains(r#""text": "Tom & Jerry said \"hi\" = {{to}}\n50% off 😀 #1""#)
    );
    let doc: Value = serde_json::from_str(&request.body).expect("valid JSON");
    assert_eq!(doc["messages"][0]["text"], HOSTILE);
    assert_eq!(doc["messages"][0]["to"], "+4915112345678");
}

#[test]
fn hostile_values_in_headers() {
    let mut cfg = config(json_config());
    cfg.insert("headers".into(), json!("X-Text: {{body}}"));
    // Quotes, `&`, `=`, braces and emoji are fine in a header value and sent as they are...
    let calm = OutboundMessage {
        body: "Tom & \"Jerry\" = {{to}} 😀".into(),
        ..message()
    };
    let request = build(cfg.clone(), calm);
    assert_eq!(
        request.header("x-text"),
        Some("Tom & \"Jerry\" = {{to}} 😀")
    );
    // ...but a line break would start a new header: refused.
    for body in [HOSTILE, "a\rb", "a\r\nX-Injected: 1"] {
        let err = Gateway
            .build_send(&SendRequest {
                config: cfg.clone(),
                message: OutboundMessage {
                    body: body.into(),
                    ..message()
                },
            })
            .unwrap_err();
        assert_eq!(err.code, "invalid_message");
        assert!(err.message.contains("{{body}}") && err.message.contains("X-Text"));
    }
}

#[test]
fn a_configured_content_type_wins() {
    let mut cfg = config(json_config());
    cfg.insert(
        "headers".into(),
        json!("content-type: application/vnd.gw+json; charset=utf-8"),
    );
    let request = build(cfg, message());
    let types: Vec<&Header> = request
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("content-type"))
        .collect();
    assert_eq!(types.len(), 1);
    assert_eq!(types[0].value, "application/vnd.gw+json; charset=utf-8");
}

#[test]
fn an_invalid_config_is_refused_without_secrets() {
    let mut cfg = config(form_config());
    cfg.insert("url".into(), json!("not a url"));
    let err = Gateway
        .build_send(&SendRequest {
            config: cfg,
            message: message(),
        })
        .unwrap_err();
    assert_eq!(err.code, "invalid_config");
    assert!(err.message.contains("url:"));
    assert!(!err.message.contains("s3cr3t"));
}
