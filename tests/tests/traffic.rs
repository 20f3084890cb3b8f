//! The send path and the callback path through the real daemon: sends accepted, refused and
//! unreachable; Twilio callbacks signed as Twilio signs them, counted exactly once; replies
//! by number, clicks, and the generic HTTP gateway with CleverTap callbacks.

use serde_json::{Value, json};
use tern_tests::daemon::Daemon;
use tern_tests::fixtures::{
    ACCOUNT_SID, AUTH_TOKEN, REFUSED_NUMBER, Setup, mock_twilio, path_of, post_twilio_click,
    post_twilio_form, twilio_config, twilio_config_with_clicks,
};
use tern_tests::http::{Api, MockProvider};

async fn twilio_provider(api: &Api, base_url: &str) -> Value {
    let config = twilio_config_with_clicks(base_url);
    let p = api
        .post(
            "/v1/providers",
            json!({"name": "Twilio", "plugin": "twilio", "config": config}),
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.text());
    let p = p.json();
    api.post(
        &format!("/v1/providers/{}/default", p["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    p
}

async fn send(api: &Api, to: &str) -> tern_tests::http::Answer {
    api.post(
        "/v1/messages",
        json!({"to": to, "body": "Spring sale: 20% off"}),
    )
    .await
}

fn status(sid: &str, status: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AccountSid", ACCOUNT_SID.to_owned()),
        ("ApiVersion", "2010-04-01".to_owned()),
        ("From", "+14155552345".to_owned()),
        ("MessageSid", sid.to_owned()),
        ("MessageStatus", status.to_owned()),
        ("SmsSid", sid.to_owned()),
        ("SmsStatus", status.to_owned()),
        ("To", "+14155550100".to_owned()),
    ]
}

async fn post_status(d: &Daemon, url: &str, sid: &str, state: &str, error: Option<&str>) -> u16 {
    let mut params = status(sid, state);
    if let Some(code) = error {
        params.push(("ErrorCode", code.to_owned()));
    }
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = post_twilio_form(d, url, &params, AUTH_TOKEN).await;
    if answer.status == 200 {
        assert_eq!(answer.header("content-type"), Some("text/xml"));
        assert!(
            answer.text().contains("<Response></Response>"),
            "{}",
            answer.text()
        );
    }
    answer.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_are_routed_recorded_and_refused_as_the_contract_says() {
    let setup = Setup::new();
    let daemon = setup.start();
    let api = daemon.admin();
    let twilio = mock_twilio().await;
    let p = twilio_provider(&api, &twilio.url()).await;
    let pid = p["id"].as_str().unwrap();

    let sent = send(&api, "+14155550100").await;
    assert_eq!(sent.status, 201, "{}", sent.text());
    let sent = sent.json();
    assert_eq!(sent["provider_id"], pid);
    assert_eq!(sent["campaign_id"], Value::Null);
    assert_eq!(sent["state"], "sent");
    let sid = sent["provider_message_id"].as_str().unwrap();
    assert!(sid.starts_with("SM"));
    let request = twilio.requests().pop().unwrap();
    let form = request.form();
    assert!(form.contains(&(
        "StatusCallback".into(),
        p["callback_url"].as_str().unwrap().into()
    )));
    assert!(form.contains(&("Body".into(), "Spring sale: 20% off".into())));

    let message = api
        .get(&format!("/v1/messages/{}", sent["id"].as_str().unwrap()))
        .await;
    assert_eq!(message.status, 200);
    let message = message.json();
    assert_eq!(message["to"], "+14155550100");
    assert_eq!(message["state"], "sent");
    assert_eq!(message["clicked"], false);
    assert_eq!(message["events"], json!([]));
    assert!(message["sent_at"].as_str().unwrap().ends_with('Z'));

    // Through a campaign: the campaign's provider, and its id on the message.
    let c = api
        .post("/v1/campaigns", json!({"name": "C", "kind": "campaign"}))
        .await
        .json();
    let via = api
        .post(
            "/v1/messages",
            json!({"to": "+14155550101", "body": "hi", "campaign_id": c["id"]}),
        )
        .await
        .json();
    assert_eq!(via["campaign_id"], c["id"]);

    let refused = send(&api, REFUSED_NUMBER).await;
    assert_eq!(refused.status, 502, "{}", refused.text());
    let refused = refused.json();
    assert_eq!(refused["error"]["code"], "provider_rejected");
    assert_eq!(refused["error"]["retryable"], false);

    for (body, field) in [
        (json!({"to": "4155550100", "body": "x"}), "to"),
        (json!({"to": "+14155550100", "body": ""}), "body"),
        (
            json!({"to": "+14155550100", "body": "x".repeat(1601)}),
            "body",
        ),
    ] {
        let answer = api.post("/v1/messages", body).await;
        assert_eq!(answer.status, 422, "{}", answer.text());
        assert_eq!(answer.json()["error"]["field"], field);
    }
    let requests_before = twilio.requests().len();

    api.post(
        &format!("/v1/campaigns/{}/stop", c["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    let stopped = api
        .post(
            "/v1/messages",
            json!({"to": "+14155550101", "body": "hi", "campaign_id": c["id"]}),
        )
        .await;
    assert_eq!(stopped.status, 409);
    assert_eq!(stopped.json()["error"]["code"], "campaign_stopped");
    assert_eq!(twilio.requests().len(), requests_before, "nothing was sent");

    // An unreachable provider: 504, counted as a send error.
    let dead = api
        .post(
            "/v1/providers",
            json!({"name": "Dead", "plugin": "twilio", "config": twilio_config("http://127.0.0.1:9")}),
        )
        .await
        .json();
    let unreachable = api
        .post(
            "/v1/messages",
            json!({"to": "+14155550100", "body": "x", "provider_id": dead["id"]}),
        )
        .await;
    assert_eq!(unreachable.status, 504, "{}", unreachable.text());
    assert_eq!(unreachable.json()["error"]["code"], "provider_unavailable");
    let dead_stats = api
        .get(&format!(
            "/v1/providers/{}/stats",
            dead["id"].as_str().unwrap()
        ))
        .await
        .json();
    assert_eq!(dead_stats["totals"]["send_errors"], 1);

    api.post(&format!("/v1/providers/{pid}/archive"), json!({}))
        .await;
    let archived = api
        .post(
            "/v1/messages",
            json!({"to": "+14155550100", "body": "x", "provider_id": pid}),
        )
        .await;
    assert_eq!(archived.status, 409);
    assert_eq!(archived.json()["error"]["code"], "provider_archived");
    let no_default = send(&api, "+14155550100").await;
    assert_eq!(no_default.status, 422);
    assert_eq!(no_default.json()["error"]["code"], "no_default_provider");
    assert_eq!(api.get("/v1/messages/999999").await.status, 404);

    let stats = api.get(&format!("/v1/providers/{pid}/stats")).await.json();
    assert_eq!(stats["totals"]["sent"], 2);
    assert_eq!(stats["totals"]["send_errors"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_callbacks_count_exactly_once() {
    let setup = Setup::new();
    let daemon = setup.start();
    let api = daemon.admin();
    let twilio = mock_twilio().await;
    let p = twilio_provider(&api, &twilio.url()).await;
    let pid = p["id"].as_str().unwrap();
    let url = p["callback_url"].as_str().unwrap();

    let a = send(&api, "+14155550100").await.json();
    let b = send(&api, "+14155550111").await.json();
    let a_sid = a["provider_message_id"].as_str().unwrap();
    let b_sid = b["provider_message_id"].as_str().unwrap();

    assert_eq!(post_status(&daemon, url, a_sid, "sent", None).await, 200);
    assert_eq!(
        post_status(&daemon, url, a_sid, "delivered", None).await,
        200
    );
    assert_eq!(
        post_status(&daemon, url, a_sid, "delivered", None).await,
        200,
        "retry"
    );
    assert_eq!(
        post_status(&daemon, url, a_sid, "failed", Some("30003")).await,
        200,
        "contradiction"
    );
    assert_eq!(
        post_status(&daemon, url, b_sid, "undelivered", Some("30005")).await,
        200
    );
    assert_eq!(
        post_status(&daemon, url, b_sid, "delivered", None).await,
        200
    );
    assert_eq!(
        post_status(
            &daemon,
            url,
            "SMffffffffffffffffffffffffffffffff",
            "delivered",
            None
        )
        .await,
        200
    );

    // Forged, unsigned, wrong token, unknown provider, malformed.
    let params = status(a_sid, "delivered");
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        post_twilio_form(&daemon, url, &params, "not-the-token")
            .await
            .status,
        403
    );
    let unsigned = daemon
        .callbacks()
        .raw(
            "POST",
            path_of(url),
            &[("content-type", "application/x-www-form-urlencoded")],
            "MessageSid=x",
        )
        .await;
    assert_eq!(unsigned.status, 403);
    let wrong_token =
        url.rsplit_once('/').unwrap().0.to_owned() + "/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    assert_eq!(
        post_twilio_form(&daemon, &wrong_token, &params, AUTH_TOKEN)
            .await
            .status,
        404
    );
    let other_provider = url.replace(&format!("/callbacks/{pid}/"), "/callbacks/987654/");
    assert_eq!(
        post_twilio_form(&daemon, &other_provider, &params, AUTH_TOKEN)
            .await
            .status,
        404
    );
    // Signed correctly, but a status callback without a MessageSid is malformed.
    let no_sid = [("MessageStatus", "delivered"), ("AccountSid", ACCOUNT_SID)];
    assert_eq!(
        post_twilio_form(&daemon, url, &no_sid, AUTH_TOKEN)
            .await
            .status,
        400
    );
    assert_eq!(daemon.callbacks().get("/callbacks").await.status, 404);

    // Replies by number, and clicks.
    let inbound = [
        ("AccountSid", ACCOUNT_SID),
        ("Body", "STOP"),
        ("From", "+14155550111"),
        ("MessageSid", "SMbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
        ("SmsStatus", "received"),
        ("To", "+14155552345"),
    ];
    assert_eq!(
        post_twilio_form(&daemon, url, &inbound, AUTH_TOKEN)
            .await
            .status,
        200
    );
    assert_eq!(
        post_twilio_form(&daemon, url, &inbound, AUTH_TOKEN)
            .await
            .status,
        200
    );
    assert_eq!(
        post_twilio_click(&daemon, url, a_sid, AUTH_TOKEN)
            .await
            .status,
        200
    );
    assert_eq!(
        post_twilio_click(&daemon, url, a_sid, AUTH_TOKEN)
            .await
            .status,
        200
    );

    let a_now = api
        .get(&format!("/v1/messages/{}", a["id"].as_str().unwrap()))
        .await
        .json();
    assert_eq!(a_now["state"], "delivered");
    assert_eq!(a_now["clicked"], true);
    assert_eq!(a_now["replied"], false);
    let kinds: Vec<&str> = a_now["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["delivered", "clicked"]);
    let b_now = api
        .get(&format!("/v1/messages/{}", b["id"].as_str().unwrap()))
        .await
        .json();
    assert_eq!(b_now["state"], "failed");
    assert_eq!(b_now["replied"], true);
    assert_eq!(b_now["events"][0]["error_code"], "30005");

    let stats = api.get(&format!("/v1/providers/{pid}/stats")).await.json();
    let totals = &stats["totals"];
    assert_eq!(totals["sent"], 2, "{stats}");
    assert_eq!(totals["delivered"], 1);
    assert_eq!(totals["failed"], 1);
    assert_eq!(totals["errors"], 1);
    assert_eq!(totals["clicked"], 1);
    assert_eq!(totals["replied"], 1);
    assert_eq!(totals["unmatched"], 1);
    assert_eq!(stats["delivery_rate"], 50.0);
    assert_eq!(stats["ctr"], 100.0);

    // An archived provider still counts callbacks for what it sent; a deleted one refuses them.
    let c = send(&api, "+14155550122").await.json();
    api.post(&format!("/v1/providers/{pid}/archive"), json!({}))
        .await;
    let c_sid = c["provider_message_id"].as_str().unwrap();
    assert_eq!(
        post_status(&daemon, url, c_sid, "delivered", None).await,
        200
    );
    let stats = api.get(&format!("/v1/providers/{pid}/stats")).await.json();
    assert_eq!(stats["totals"]["delivered"], 2);
    api.delete(&format!("/v1/providers/{pid}")).await;
    assert_eq!(
        post_status(&daemon, url, c_sid, "delivered", None).await,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generic_gateway_sends_and_counts_clevertap_callbacks() {
    let setup = Setup::new();
    let daemon = setup.start();
    let api = daemon.admin();
    let gateway = MockProvider::start(|request| {
        let body: Value = serde_json::from_str(&request.body).unwrap_or_default();
        let id = format!("gw-{}", body["ref"].as_str().unwrap_or("?"));
        (
            202,
            "application/json",
            json!({"data": {"id": id}}).to_string(),
        )
    })
    .await;
    let config = json!({
        "url": format!("{}/sms", gateway.url()),
        "body_format": "json",
        "body_template": "{\"to\":\"{{to}}\",\"text\":\"{{body}}\",\"ref\":\"{{message_id}}\",\"callback\":\"{{callback_url}}\"}",
        "auth": "bearer",
        "token": "gw-secret-token-123456",
        "message_id_pointer": "/data/id",
        "callback_secret": "hmac-secret-abcdef",
        "callback_reply": "OK",
    });
    let p = api
        .post(
            "/v1/providers",
            json!({"name": "Gateway", "plugin": "http", "config": config}),
        )
        .await;
    assert_eq!(p.status, 201, "{}", p.text());
    let p = p.json();
    assert_eq!(p["secrets_set"], json!(["callback_secret", "token"]));
    let pid = p["id"].as_str().unwrap();
    let url = p["callback_url"].as_str().unwrap();

    let sent = api
        .post(
            "/v1/messages",
            json!({"to": "+14155550100", "body": "say \"hi\"", "provider_id": pid}),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.text());
    let sent = sent.json();
    let gw_id = format!("gw-{}", sent["id"].as_str().unwrap());
    assert_eq!(sent["provider_message_id"], json!(gw_id));
    let request = gateway.requests().pop().unwrap();
    assert_eq!(
        request.header("authorization"),
        Some("Bearer gw-secret-token-123456")
    );
    let body: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(body["text"], "say \"hi\"");
    assert_eq!(body["callback"], json!(url));

    let events = json!([
        {"event": "delivered", "data": [{"ts": 1772359200, "meta": gw_id}]},
        {"event": "clicked", "data": [{"ts": 1772359260, "meta": gw_id}]}
    ])
    .to_string();
    let signature = hmac_sha256_hex("hmac-secret-abcdef", &events);
    let post = |sig: String, body: String| {
        let api = daemon.callbacks();
        let path = path_of(url).to_owned();
        async move {
            api.raw(
                "POST",
                &path,
                &[("content-type", "application/json"), ("x-signature", &sig)],
                body,
            )
            .await
        }
    };
    let ok = post(signature.clone(), events.clone()).await;
    assert_eq!((ok.status, ok.text().as_str()), (200, "OK"));
    assert_eq!(
        post(signature, events.clone()).await.status,
        200,
        "a retry is acknowledged"
    );
    assert_eq!(post("00".repeat(32), events).await.status, 403, "forged");

    let message = api
        .get(&format!("/v1/messages/{}", sent["id"].as_str().unwrap()))
        .await
        .json();
    assert_eq!(message["state"], "delivered");
    assert_eq!(message["clicked"], true);
    assert_eq!(message["events"][0]["at"], "2026-03-01T10:00:00Z");
    let stats = api.get(&format!("/v1/providers/{pid}/stats")).await.json();
    assert_eq!(stats["totals"]["delivered"], 1);
    assert_eq!(stats["totals"]["clicked"], 1);
}

fn hmac_sha256_hex(key: &str, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_that_overtakes_its_send_waits_for_it_and_counts() {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};

    let setup = Setup::new();
    let daemon = setup.start();
    let api = daemon.admin();
    let log = daemon.log_handle();
    let callback_addr = daemon.callback_url.trim_start_matches("http://").to_owned();
    let answers = Arc::new(Mutex::new(Vec::new()));
    let seen = answers.clone();
    // A gateway that reports the delivery before it answers the send: it posts the callback,
    // waits until the daemon says it is holding it, and only then answers.
    let gateway = MockProvider::start(move |request| {
        let body: Value = serde_json::from_str(&request.body).unwrap();
        let callback = body["callback"].as_str().unwrap().to_owned();
        let events = json!([{"event": "delivered", "data": [{"ts": 1772359200, "meta": body["ref"]}]}]).to_string();
        let path = path_of(&callback).to_owned();
        let addr = callback_addr.clone();
        let seen = seen.clone();
        std::thread::spawn(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            write!(
                stream,
                "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{events}",
                events.len()
            )
            .unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).unwrap();
            seen.lock().unwrap().push(answer);
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !log.lock().unwrap().contains("wait for the sends in flight") {
            assert!(std::time::Instant::now() < deadline, "the daemon never held the callback");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        (200, "application/json", "{}".to_owned())
    })
    .await;
    let config = json!({
        "url": format!("{}/sms", gateway.url()),
        "body_format": "json",
        "body_template": "{\"to\":\"{{to}}\",\"text\":\"{{body}}\",\"ref\":\"{{message_id}}\",\"callback\":\"{{callback_url}}\"}",
    });
    let p = api
        .post(
            "/v1/providers",
            json!({"name": "Eager", "plugin": "http", "config": config}),
        )
        .await
        .json();
    let sent = api
        .post(
            "/v1/messages",
            json!({"to": "+14155550100", "body": "hi", "provider_id": p["id"]}),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.text());
    let sent = sent.json();

    let message_path = format!("/v1/messages/{}", sent["id"].as_str().unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while answers.lock().unwrap().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the callback was never answered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(
        answers.lock().unwrap()[0].starts_with("HTTP/1.1 200"),
        "{:?}",
        answers.lock().unwrap()
    );
    let message = api.get(&message_path).await.json();
    assert_eq!(message["state"], "delivered", "{message}");
    let stats = api
        .get(&format!(
            "/v1/providers/{}/stats",
            p["id"].as_str().unwrap()
        ))
        .await
        .json();
    assert_eq!(stats["totals"]["delivered"], 1);
    assert_eq!(stats["totals"]["unmatched"], 0);
}
