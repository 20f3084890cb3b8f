//! Hostile input against every admin and callback route: malformed JSON, wrong content
//! types, missing and extra fields, invalid UTF-8, bad dates and ranges, ids that name
//! nothing or look like path traversal, negative and overflowing numbers, oversized bodies,
//! and clients that send their headers or body too slowly.
//!
//! Every answer must be a 4xx in the error shape of admin-api.md, and the store must be
//! unchanged: a backup (`GET /v1/backup`, a deterministic snapshot) taken after each group of
//! requests is byte for byte the one taken before.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tern_tests::daemon::Daemon;
use tern_tests::fixtures::{
    AUTH_TOKEN, Setup, SignedCallback, mock_twilio, path_of, twilio_config,
};
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

const MALFORMED: &[&str] = &[
    "",
    "{",
    "{\"name\":",
    "[1,2",
    "nul",
    "{\"a\":1}}",
    "{'name': 'x'}",
    "{\"name\": \"x\",}",
    "\u{feff}{}",
    "{\"name\": \"x\", \"name\": \"y\"}",
    "null",
    "[]",
    "\"text\"",
    "42",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_are_refused_and_change_nothing() {
    let w = world(&[]).await;
    let api = w.daemon.admin();
    let before = backup(&api).await;
    let deep = "[".repeat(100_000);

    let mut malformed = Vec::new();
    let mut content_types = Vec::new();
    let mut fields = Vec::new();
    let mut utf8 = Vec::new();
    let mut numbers = Vec::new();
    for (method, path, good) in json_routes(&w) {
        let json = Some("application/json");
        for body in MALFORMED.iter().copied().chain([deep.as_str()]) {
            let what = format!("malformed {:?}", &body[..body.len().min(20)]);
            malformed.push(case(
                what,
                method,
                path.clone(),
                json,
                body.to_owned(),
                Some(400),
            ));
        }
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("application/jsonx"),
            Some("multipart/form-data; boundary=x"),
            Some("json"),
        ] {
            let what = format!("content type {content_type:?}");
            content_types.push(case(
                what,
                method,
                path.clone(),
                content_type,
                good.to_string(),
                Some(415),
            ));
        }
        let mut extra = good.clone();
        extra["extra"] = json!(1);
        fields.push(case(
            "an unknown member",
            method,
            path.clone(),
            json,
            extra.to_string(),
            Some(400),
        ));
        for (name, _) in good.as_object().unwrap() {
            let mut missing = good.clone();
            missing.as_object_mut().unwrap().remove(name);
            // PATCH takes any subset of its members; the others are required.
            if method != "PATCH" && name != "config" {
                fields.push(case(
                    format!("{name} missing"),
                    method,
                    path.clone(),
                    json,
                    missing.to_string(),
                    Some(400),
                ));
            }
            for wrong in [json!(5), json!(true), json!(["x"]), json!({"x": 1})] {
                let mut body = good.clone();
                body[name] = wrong.clone();
                if name == "config" && wrong.is_object() {
                    continue;
                }
                fields.push(case(
                    format!("{name} = {wrong}"),
                    method,
                    path.clone(),
                    json,
                    body.to_string(),
                    Some(400),
                ));
            }
        }
        let text = good.to_string();
        for bad in [
            &b"\xff\xfe"[..],
            b"\xc3\x28",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80",
        ] {
            let mut body = text.clone().into_bytes();
            let at = body.len() - 2;
            // Inside the last string value.
            let quote = body[..at].iter().rposition(|b| *b == b'"').unwrap();
            body.splice(quote..quote, bad.iter().copied());
            utf8.push(case(
                format!("invalid UTF-8 {bad:?}"),
                method,
                path.clone(),
                json,
                body,
                Some(400),
            ));
        }
        utf8.push(case(
            "an escaped lone surrogate",
            method,
            path.clone(),
            json,
            text.replacen("\":\"", "\":\"\\ud800", 1),
            None,
        ));
    }
    // Ids and numbers inside bodies.
    for value in [
        json!(-1),
        json!(1),
        json!(18446744073709551615u64),
        json!(1.5),
        json!("-1"),
        json!("18446744073709551616"),
        json!("99999999999999999999999999"),
        json!("../1"),
        json!("1/../1"),
        json!(""),
        json!("0"),
    ] {
        numbers.push(case(
            format!("provider_id {value}"),
            "POST",
            "/v1/messages",
            Some("application/json"),
            json!({"to": "+14155550100", "body": "hi", "provider_id": value}).to_string(),
            None,
        ));
        numbers.push(case(
            format!("campaign_id {value}"),
            "POST",
            "/v1/messages",
            Some("application/json"),
            json!({"to": "+14155550100", "body": "hi", "campaign_id": value}).to_string(),
            None,
        ));
        numbers.push(case(
            format!("campaign provider_id {value}"),
            "POST",
            "/v1/campaigns",
            Some("application/json"),
            json!({"name": "N", "kind": "campaign", "provider_id": value}).to_string(),
            None,
        ));
    }
    for raw in [
        "1e400",
        "-1e400",
        "18446744073709551616",
        "-9223372036854775809",
        "1",
    ] {
        numbers.push(case(
            format!("to = {raw}"),
            "POST",
            "/v1/messages",
            Some("application/json"),
            format!("{{\"to\": {raw}, \"body\": \"hi\"}}"),
            Some(400),
        ));
    }
    for to in [
        "",
        "+",
        "+0123",
        "14155550100",
        "+1415555010012345678",
        "+1 415",
        "+١٤١٥٥٥٥٠١٠٠",
    ] {
        numbers.push(case(
            format!("to = {to:?}"),
            "POST",
            "/v1/messages",
            Some("application/json"),
            json!({"to": to, "body": "hi"}).to_string(),
            Some(422),
        ));
    }
    for (name, cases) in [
        ("malformed JSON", malformed),
        ("content types", content_types),
        ("missing, extra and mistyped fields", fields),
        ("invalid UTF-8", utf8),
        ("ids and numbers", numbers),
    ] {
        println!("{name}: {} requests", cases.len());
        run(&api, &api, cases, &before).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_that_name_nothing_are_404_on_every_route() {
    let w = world(&[]).await;
    let api = w.daemon.admin();
    let before = backup(&api).await;
    let ids = [
        "999999",
        "0",
        "00",
        "-1",
        "+1",
        "1.0",
        "1e3",
        "0x1",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999999999999",
        "..",
        "%2e%2e",
        "..%2f..%2fetc%2fpasswd",
        "%2e%2e%2f1",
        "1%2f..%2f1",
        "%00",
        "1%00",
        "%20",
        "%ff",
        "%c3%a9",
        "%e2%80%ae1",
    ];
    // A real id with a leading zero is another spelling, not the same id.
    let padded = [
        format!("0{}", w.provider),
        format!("0{}", w.campaign),
        format!("0{}", w.message),
    ];
    let mut cases = Vec::new();
    let json = Some("application/json");
    for id in ids.iter().copied().chain(padded.iter().map(String::as_str)) {
        for (method, path, body) in [
            ("GET", format!("/v1/providers/{id}"), ""),
            ("PATCH", format!("/v1/providers/{id}"), "{\"name\":\"X\"}"),
            ("DELETE", format!("/v1/providers/{id}"), ""),
            (
                "POST",
                format!("/v1/providers/{id}/test"),
                "{\"to\":\"+14155550100\"}",
            ),
            ("POST", format!("/v1/providers/{id}/default"), "{}"),
            ("POST", format!("/v1/providers/{id}/archive"), "{}"),
            ("GET", format!("/v1/providers/{id}/stats"), ""),
            ("GET", format!("/v1/campaigns/{id}"), ""),
            ("POST", format!("/v1/campaigns/{id}/stop"), "{}"),
            ("GET", format!("/v1/messages/{id}"), ""),
        ] {
            cases.push(case(
                format!("id {id:?}"),
                method,
                path,
                json,
                body,
                Some(404),
            ));
        }
    }
    // Paths that are not routes at all, traversal-shaped or not.
    for path in [
        "/v1/../v1/providers/1",
        "/v1/providers/1/../../backup",
        "/v1/providers//default",
        "/v1/providers/1/stats/x",
        "/v1/providers/1/nothing",
        "/v1/campaigns/1/stop/now",
        "/v1/messages",
        "/v1/messages/1/events",
        "/v1/backup/1",
        "/v1/plugins/twilio",
        "/v1",
        "/v1/",
        "/v2/providers",
        "/%2e%2e/etc/passwd",
        "/callbacks/1/x",
    ] {
        let method = if path == "/v1/messages" {
            "GET"
        } else {
            "POST"
        };
        cases.push(case(
            format!("no route {path}"),
            method,
            path,
            json,
            "{}",
            None,
        ));
    }
    run(&api, &api, cases, &before).await;
    // The real ids still work: nothing above touched them.
    for path in [
        format!("/v1/providers/{}", w.provider),
        format!("/v1/campaigns/{}", w.campaign),
        format!("/v1/messages/{}", w.message),
    ] {
        assert_eq!(api.get(&path).await.status, 200, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_dates_and_ranges_are_refused() {
    let w = world(&[]).await;
    let api = w.daemon.admin();
    let before = backup(&api).await;
    let stats = format!("/v1/providers/{}/stats", w.provider);
    let mut cases = Vec::new();
    for query in [
        "from=2026-02-30",
        "from=2026-13-01",
        "from=2026-00-10",
        "from=26-01-01",
        "from=2026/01/01",
        "from=2026-01-01T00:00:00Z",
        "from=-2026-01-01",
        "from=99999-01-01",
        "from=0000-01-01",
        "from=%ff",
        "from=",
        "to=yesterday",
        "from=2026-03-02&to=2026-03-01",
        "from=1900-01-01&to=2026-01-01",
        "from=2026-01-01&from=x",
        "format=xml",
        "format=",
        "nope=1",
        "from=2026-01-01&extra=1",
    ] {
        cases.push(case(
            format!("stats ?{query}"),
            "GET",
            format!("{stats}?{query}"),
            None,
            "",
            None,
        ));
        cases.push(Case {
            headers: vec![("accept", "text/csv".to_owned())],
            ..case(
                format!("CSV stats ?{query}"),
                "GET",
                format!("{stats}?{query}"),
                None,
                "",
                None,
            )
        });
    }
    for query in ["state=deleted", "state=", "state=ACTIVE", "other=1"] {
        cases.push(case(
            format!("providers ?{query}"),
            "GET",
            format!("/v1/providers?{query}"),
            None,
            "",
            None,
        ));
    }
    for query in ["provider=1", "state=active"] {
        cases.push(case(
            format!("campaigns ?{query}"),
            "GET",
            format!("/v1/campaigns?{query}"),
            None,
            "",
            None,
        ));
    }
    run(&api, &api, cases, &before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_callbacks_are_refused_and_count_nothing() {
    let w = world(&[]).await;
    let api = w.daemon.admin();
    let callbacks = w.daemon.callbacks();
    let before = backup(&api).await;
    let path = path_of(&w.callback_url).to_owned();
    let (base, token) = path.rsplit_once('/').unwrap();
    let form = Some("application/x-www-form-urlencoded");
    let mut cases = Vec::new();
    // Well-formed but unsigned, forged, or signed for another URL.
    let params = [
        ("MessageSid", "SM00000000000000000000000000000001"),
        ("MessageStatus", "failed"),
    ];
    let mut forged = SignedCallback::form(&w.callback_url, &params, "not-the-token");
    let body = forged.body.clone();
    cases.push(case(
        "unsigned",
        "POST",
        path.clone(),
        form,
        body.clone(),
        Some(403),
    ));
    cases.push(Case {
        what: "forged".into(),
        method: "POST",
        path: forged.path.clone(),
        headers: std::mem::take(&mut forged.headers),
        body: body.clone().into(),
        status: Some(403),
    });
    for body in [
        &b"MessageSid=SM1&MessageStatus=delivered"[..],
        b"\xff\xfe\xfd",
        b"%ff%fe=%ff",
        b"{\"event_type\":",
        b"",
    ] {
        for content_type in [form, Some("application/json"), Some("text/plain"), None] {
            cases.push(case(
                format!("unsigned body {body:?} as {content_type:?}"),
                "POST",
                path.clone(),
                content_type,
                body.to_vec(),
                None,
            ));
        }
    }
    // Callback URLs that name nothing.
    for bad in [
        format!("{base}/wrong-token"),
        format!("{base}/{token}x"),
        format!("{base}/"),
        format!("{base}/{token}/extra"),
        format!("{base}/%2e%2e"),
        format!("/callbacks/999999/{token}"),
        format!("/callbacks/0{}/{token}", w.provider),
        format!("/callbacks/-1/{token}"),
        format!("/callbacks/18446744073709551616/{token}"),
        format!("/callbacks/..%2f1/{token}"),
        "/callbacks/../v1/providers".to_owned(),
        "/callbacks".to_owned(),
        "/callbacks/".to_owned(),
    ] {
        cases.push(case(
            format!("callback URL {bad}"),
            "POST",
            bad,
            form,
            body.clone(),
            None,
        ));
    }
    // The callback listener serves callbacks only.
    for admin in [
        "/v1/providers",
        "/v1/backup",
        "/v1/plugins",
        "/healthz",
        "/",
    ] {
        for method in ["GET", "POST"] {
            cases.push(case(
                format!("admin route {admin} here"),
                method,
                admin,
                None,
                "",
                Some(404),
            ));
        }
    }
    for method in ["PUT", "DELETE", "PATCH"] {
        cases.push(case(
            format!("{method} callback"),
            method,
            path.clone(),
            form,
            body.clone(),
            Some(405),
        ));
    }
    run(&callbacks, &api, cases, &before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_slow_requests_are_refused() {
    let w = world(&[
        "--max-body-bytes",
        "4096",
        "--header-timeout-secs",
        "1",
        "--body-timeout-secs",
        "1",
    ])
    .await;
    let api = w.daemon.admin();
    let before = backup(&api).await;
    let callback_path = path_of(&w.callback_url).to_owned();
    let big = format!(
        "{{\"name\": \"{}\", \"plugin\": \"twilio\"}}",
        "x".repeat(5000)
    );
    let mut cases = Vec::new();
    for (method, path, _) in json_routes(&w) {
        cases.push(case(
            "oversized",
            method,
            path,
            Some("application/json"),
            big.clone(),
            Some(413),
        ));
    }
    run(&api, &api, cases, &before).await;
    let cases = vec![case(
        "oversized callback",
        "POST",
        callback_path.clone(),
        Some("application/x-www-form-urlencoded"),
        big.clone(),
        Some(413),
    )];
    run(&w.daemon.callbacks(), &api, cases, &before).await;

    // A chunked body that only turns out too large while it is read.
    for (base, path) in [
        (&w.daemon.admin_url, "/v1/providers"),
        (&w.daemon.callback_url, callback_path.as_str()),
    ] {
        let answer = exchange(
            base,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
                w.daemon.token,
                big.len()
            ),
        );
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("\"payload_too_large\""), "{answer}");
    }

    // Slow headers: the connection is closed without an answer. Slow body: 408 in the error
    // shape, then the connection is closed.
    for base in [&w.daemon.admin_url, &w.daemon.callback_url] {
        let answer = exchange(base, "POST /v1/providers HTTP/1.1\r\nHost: x\r\n");
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
        let path = if base == &w.daemon.admin_url {
            "/v1/providers"
        } else {
            callback_path.as_str()
        };
        let answer = exchange(
            base,
            &format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\":",
                w.daemon.token
            ),
        );
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("\"request_timeout\""), "{answer}");
    }
    assert_eq!(backup(&api).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_v1_route_needs_the_token() {
    let w = world(&[]).await;
    let api = w.daemon.admin();
    let before = backup(&api).await;
    let mut cases = Vec::new();
    for (method, path) in every_v1_route(&w) {
        for (what, token) in [
            ("no token", None),
            ("wrong token", Some("Bearer wrong-token-0123456789")),
            (
                "token with a prefix",
                Some(&*format!("Bearer x{}", w.daemon.token)),
            ),
            ("basic scheme", Some(&*format!("Basic {}", w.daemon.token))),
            ("no scheme", Some(w.daemon.token.as_str())),
            ("empty bearer", Some("Bearer ")),
        ] {
            let mut c = case(
                what,
                method,
                path.clone(),
                Some("application/json"),
                "{}",
                Some(401),
            );
            if let Some(token) = token {
                c.headers.push(("authorization", token.to_owned()));
            }
            cases.push(c);
        }
    }
    run(&api.with_token(None), &api, cases, &before).await;
}

/// Every `/v1` route, with real ids.
fn every_v1_route(w: &World) -> Vec<(&'static str, String)> {
    let (p, c, m) = (&w.provider, &w.campaign, &w.message);
    vec![
        ("GET", "/v1/plugins".into()),
        ("GET", "/v1/providers".into()),
        ("POST", "/v1/providers".into()),
        ("GET", "/v1/providers/default".into()),
        ("POST", "/v1/providers/test".into()),
        ("GET", format!("/v1/providers/{p}")),
        ("PATCH", format!("/v1/providers/{p}")),
        ("DELETE", format!("/v1/providers/{p}")),
        ("POST", format!("/v1/providers/{p}/test")),
        ("POST", format!("/v1/providers/{p}/default")),
        ("POST", format!("/v1/providers/{p}/archive")),
        ("GET", format!("/v1/providers/{p}/stats")),
        ("GET", "/v1/campaigns".into()),
        ("POST", "/v1/campaigns".into()),
        ("GET", format!("/v1/campaigns/{c}")),
        ("POST", format!("/v1/campaigns/{c}/stop")),
        ("POST", "/v1/messages".into()),
        ("GET", format!("/v1/messages/{m}")),
        ("GET", "/v1/backup".into()),
        ("GET", "/v1/nothing".into()),
    ]
}

/// Writes `request` on a fresh connection to `base` and reads until the daemon closes it
/// (bounded by a 30 s read timeout, far longer than the 1 s limits under test).
fn exchange(base: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(err) => panic!("the daemon kept the connection open: {err}"),
    }
    String::from_utf8_lossy(&answer).into_owned()
}
