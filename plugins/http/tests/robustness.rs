//! No input makes the plugin panic: a deterministic sweep of hostile configs, messages, answers
//! and callbacks through every call. A panic here fails the test; in the daemon it would be a
//! caught but noisy plugin fault.

mod common;

use common::{Gateway, config};
use serde_json::{Map, Value, json};
use tern_plugin_api::{
    CallbackRequest, Header, HttpRequest, HttpResponse, OutboundMessage, Provider, SendRequest,
    SendResponseRequest,
};

/// Pieces of text that have broken parsers before: braces, escapes, pointers, encodings,
/// multi-byte characters at cut points, control characters.
const PIECES: &[&str] = &[
    "",
    " ",
    "{{",
    "}}",
    "{{to}}",
    "{{ body }}",
    "{{nope}}",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "\\",
    "\n",
    "\r\n",
    "\0",
    "\u{7f}",
    "é",
    "😀",
    "%",
    "%zz",
    "&",
    "=",
    "?",
    "#",
    "/",
    "~",
    "~1",
    ":",
    ",",
    "-",
    "200",
    "599",
    "1000",
    "https://",
    "http://h",
    "gw.example.com",
    "/a/0/b",
    "null",
    "true",
    "1e999",
    "sha256=",
    "GET",
    "POST",
    "json",
    "form",
    "none",
    "mapped",
    "basic",
    "bearer",
    "header",
    "to=",
    "a=b",
    "X-Key: v",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn text(&mut self) -> String {
        (0..self.below(6))
            .map(|_| PIECES[self.below(PIECES.len())])
            .collect()
    }
}

fn field_names() -> Vec<String> {
    Gateway
        .manifest()
        .config
        .into_iter()
        .map(|f| f.name)
        .collect()
}

fn random_config(rng: &mut Rng, names: &[String]) -> Map<String, Value> {
    let mut cfg = config(json!({
        "url": "https://gw.example.com/send?to={{to}}",
        "body_template": "text={{body}}",
    }));
    for _ in 0..rng.below(5) {
        let name = names[rng.below(names.len())].clone();
        let value = match rng.below(10) {
            0 => json!(rng.below(1000)),
            1 => Value::Null,
            _ => Value::String(rng.text()),
        };
        cfg.insert(name, value);
    }
    cfg
}

#[test]
fn no_input_panics() {
    let names = field_names();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut valid = 0;
    for _ in 0..4000 {
        let cfg = random_config(&mut rng, &names);
        let report = Gateway.validate_config(&cfg);
        valid += usize::from(report.errors.is_empty());
        let message = OutboundMessage {
            id: rng.text(),
            to: rng.text(),
            body: rng.text(),
            callback_url: rng.text(),
        };
        let built = Gateway.build_send(&SendRequest {
            config: cfg.clone(),
            message: message.clone(),
        });
        // A config that validates always builds, unless a value is refused for a header.
        if report.errors.is_empty() {
            if let Err(err) = &built {
                assert_eq!(err.code, "invalid_message", "{cfg:?}: {err:?}");
            }
        }
        let _ = Gateway.parse_send_response(&SendResponseRequest {
            config: cfg.clone(),
            message,
            response: HttpResponse {
                status: [0, 100, 200, 201, 302, 400, 429, 500, 503, 999][rng.below(10)],
                headers: vec![],
                body: rng.text(),
            },
        });
        let _ = Gateway.parse_callback(&CallbackRequest {
            config: cfg,
            request: HttpRequest {
                method: "POST".into(),
                url: format!("https://tern.example.org/cb?{}", rng.text()),
                headers: vec![
                    Header::new("Content-Type", rng.text()),
                    Header::new("X-Signature", rng.text()),
                ],
                body: rng.text(),
            },
        });
    }
    assert!(
        valid > 100,
        "the sweep should reach the send path often ({valid})"
    );
}

#[test]
fn hostile_callback_bodies_do_not_panic() {
    let cfgs = [
        config(json!({"url": "https://gw.example.com/send", "body_template": "a=b"})),
        config(json!({
            "url": "https://gw.example.com/send", "body_template": "a=b",
            "callback_format": "mapped", "callback_id_field": "/a/0",
            "callback_status_field": "s", "callback_error_field": "/e~1f",
        })),
    ];
    let bodies = [
        "[".repeat(10_000),
        format!(
            "[{{\"event\":\"delivered\",\"data\":[{}]}}]",
            "{\"meta\":1},".repeat(500) + "{}"
        ),
        r#"[{"event":"replied","data":[{"toPhone":{"x":1}}]}]"#.to_owned(),
        r#"{"a":[{"x":1}],"s":"delivered"}"#.to_owned(),
        "s=delivered&a=%FF%FE".to_owned(),
        "\u{FFFD}\u{FFFD}".to_owned(),
    ];
    for cfg in &cfgs {
        for body in &bodies {
            for content_type in ["application/json", "application/x-www-form-urlencoded", ""] {
                let _ = Gateway.parse_callback(&CallbackRequest {
                    config: cfg.clone(),
                    request: HttpRequest {
                        method: "POST".into(),
                        url: "https://tern.example.org/cb".into(),
                        headers: vec![Header::new("Content-Type", content_type)],
                        body: body.clone(),
                    },
                });
            }
        }
    }
}
