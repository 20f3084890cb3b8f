//! Hostile input against every admin and callback route: malformed JSON, wrong content
//! types, missing and extra fields, invalid UTF-8, bad dates and ranges, ids that name
//! nothing or look like path traversal, negative and overflowing numbers, oversized bodies,
//! and clients that send their headers or body too slowly.
//!
//! Every answer must be a 4xx in the error shape of admin-api.md, and the store must be
//! unchanged: a backup (`GET /v1/backup`, a deterministic snapshot) taken after each group of
//! requests is byte for byte the one taken before.

mod bodies;
mod callbacks;
mod limits;
mod routes;

use bytes::Bytes;
use serde_json::{Value, json};
use tern_tests::daemon::Daemon;
use tern_tests::fixtures::{AUTH_TOKEN, Setup, SignedCallback, mock_twilio, twilio_config};
use tern_tests::http::{Answer, Api};

/// One hostile request and the status it must get (any 4xx when `None`).
struct Case {
    what: String,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
    status: Option<u16>,
}

fn case(
    what: impl Into<String>,
    method: &'static str,
    path: impl Into<String>,
    content_type: Option<&str>,
    body: impl Into<Bytes>,
    status: Option<u16>,
) -> Case {
    Case {
        what: what.into(),
        method,
        path: path.into(),
        headers: content_type
            .map(|t| vec![("content-type", t.to_owned())])
            .unwrap_or_default(),
        body: body.into(),
        status,
    }
}

/// A daemon holding one of everything: a default Twilio provider, a campaign and a message
/// with a delivery recorded.
struct World {
    daemon: Daemon,
    provider: String,
    campaign: String,
    message: String,
    callback_url: String,
    _setup: Setup,
    _twilio: tern_tests::http::MockProvider,
}

async fn world(args: &[&str]) -> World {
    let setup = Setup::new();
    let twilio = mock_twilio().await;
    let mut options = setup.options();
    options.args = args.iter().map(|a| (*a).to_owned()).collect();
    let daemon = Daemon::start(&options);
    let api = daemon.admin();
    let created = api
        .post(
            "/v1/providers",
            json!({"name": "Twilio", "plugin": "twilio", "config": twilio_config(&twilio.url())}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let provider = created.json();
    let id = provider["id"].as_str().unwrap().to_owned();
    api.post(&format!("/v1/providers/{id}/default"), json!({}))
        .await;
    let campaign = api
        .post("/v1/campaigns", json!({"name": "C", "kind": "campaign"}))
        .await
        .json();
    let sent = api
        .post(
            "/v1/messages",
            json!({"to": "+14155550100", "body": "hi", "campaign_id": campaign["id"]}),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.text());
    let sent = sent.json();
    let callback_url = provider["callback_url"].as_str().unwrap().to_owned();
    let delivered = SignedCallback::form(
        &callback_url,
        &[
            ("MessageSid", sent["provider_message_id"].as_str().unwrap()),
            ("MessageStatus", "delivered"),
        ],
        AUTH_TOKEN,
    )
    .post(&daemon.callbacks())
    .await
    .unwrap();
    assert_eq!(delivered.status, 200, "{}", delivered.text());
    World {
        provider: id,
        campaign: campaign["id"].as_str().unwrap().to_owned(),
        message: sent["id"].as_str().unwrap().to_owned(),
        callback_url,
        daemon,
        _setup: setup,
        _twilio: twilio,
    }
}

async fn backup(api: &Api) -> Bytes {
    let answer = api.get("/v1/backup").await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(!answer.body.is_empty());
    answer.body
}

/// Asserts `answer` is a 4xx in the API's error shape.
fn assert_error_shape(answer: &Answer, what: &str) {
    assert!(
        (400..500).contains(&answer.status),
        "{what}: {} {}",
        answer.status,
        answer.text()
    );
    assert_eq!(
        answer.header("content-type"),
        Some("application/json"),
        "{what}: {}",
        answer.text()
    );
    let body: Value = serde_json::from_slice(&answer.body)
        .unwrap_or_else(|err| panic!("{what}: not JSON ({err}): {}", answer.text()));
    let error = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("{what}: {body}"));
    for member in ["code", "message"] {
        assert!(
            error
                .get(member)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty()),
            "{what}: {body}"
        );
    }
}

/// Runs every case against `target`, then checks with `admin` that the store is unchanged.
async fn run(target: &Api, admin: &Api, cases: Vec<Case>, before: &Bytes) {
    assert!(!cases.is_empty());
    for case in &cases {
        let headers: Vec<(&str, &str)> =
            case.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = target
            .raw(case.method, &case.path, &headers, case.body.clone())
            .await;
        let what = format!("{} {} ({})", case.method, case.path, case.what);
        assert_error_shape(&answer, &what);
        if let Some(status) = case.status {
            assert_eq!(answer.status, status, "{what}: {}", answer.text());
        }
    }
    let after = backup(admin).await;
    assert!(
        after == *before,
        "the store changed after: {}",
        cases
            .iter()
            .map(|c| c.what.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    );
}

/// The admin routes that read a JSON body, with a body each route would accept.
fn json_routes(w: &World) -> Vec<(&'static str, String, Value)> {
    let p = &w.provider;
    vec![
        (
            "POST",
            "/v1/providers".into(),
            json!({"name": "New", "plugin": "twilio", "config": {}}),
        ),
        (
            "PATCH",
            format!("/v1/providers/{p}"),
            json!({"name": "Renamed"}),
        ),
        (
            "POST",
            "/v1/providers/test".into(),
            json!({"plugin": "twilio", "config": {}, "to": "+14155550100"}),
        ),
        (
            "POST",
            format!("/v1/providers/{p}/test"),
            json!({"to": "+14155550100"}),
        ),
        (
            "POST",
            "/v1/campaigns".into(),
            json!({"name": "New", "kind": "journey"}),
        ),
        (
            "POST",
            "/v1/messages".into(),
            json!({"to": "+14155550100", "body": "hi"}),
        ),
    ]
}
