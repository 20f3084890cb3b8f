//! Provider lifecycle over the real admin API: create, read, edit, test, default, archive,
//! delete, each with its error cases, against a mock Twilio on loopback.

use serde_json::{Value, json};
use tern_tests::fixtures::{
    AUTH_TOKEN, REFUSED_NUMBER, Setup, basic_auth, mock_twilio, twilio_config,
};
use tern_tests::http::Api;

async fn create(api: &Api, name: &str, base_url: &str) -> Value {
    let answer = api
        .post(
            "/v1/providers",
            json!({"name": name, "plugin": "twilio", "config": twilio_config(base_url)}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text());
    answer.json()
}

fn assert_error(answer: &tern_tests::http::Answer, status: u16, code: &str) -> Value {
    assert_eq!(answer.status, status, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_read_and_list_providers() {
    let setup = Setup::new();
    let daemon = setup.start();
    let api = daemon.admin();
    let twilio = mock_twilio().await;

    let p = create(&api, "Twilio US", &twilio.url()).await;
    let id = p["id"].as_str().expect("ids are strings");
    assert_eq!(p["name"], "Twilio US");
    assert_eq!(p["plugin"], "twilio");
    assert_eq!(p["state"], "active");
    assert_eq!(p["default"], false);
    assert_eq!(p["secrets_set"], json!(["auth_token"]));
    assert!(p["config"].get("auth_token").is_none(), "{p}");
    assert_eq!(
        p["config"]["account_sid"],
        tern_tests::fixtures::ACCOUNT_SID
    );
    assert_eq!(p["callbacks"]["delivery"], true);
    assert_eq!(p["archived_at"], Value::Null);
    let callback_url = p["callback_url"].as_str().unwrap();
    let prefix = format!("{}/callbacks/{id}/", daemon.callback_url);
    assert!(callback_url.starts_with(&prefix), "{callback_url}");
    assert!(
        callback_url.len() - prefix.len() >= 22,
        "token of at least 128 bits: {callback_url}"
    );
    for ts in ["created_at", "updated_at"] {
        let text = p[ts].as_str().unwrap();
        assert!(
            text.len() >= 20 && text.ends_with('Z') && text.contains('T'),
            "{ts}: {text}"
        );
    }

    assert_eq!(api.get(&format!("/v1/providers/{id}")).await.json(), p);
    let list = api.get("/v1/providers").await.json();
    assert_eq!(list["providers"], json!([p.clone()]));
    assert_eq!(
        api.get("/v1/providers?state=active").await.json()["providers"],
        json!([p])
    );
    assert_eq!(
        api.get("/v1/providers?state=archived").await.json()["providers"],
        json!([])
    );
    assert_error(
        &api.get("/v1/providers?state=gone").await,
        422,
        "invalid_request",
    );
    assert_error(&api.get("/v1/providers/999999").await, 404, "not_found");
    assert_error(
        &api.get("/v1/providers/..%2F..%2Fetc").await,
        404,
        "not_found",
    );
    assert_error(&api.get("/v1/providers/default").await, 404, "not_found");

    let plugins = api.get("/v1/plugins").await.json();
    let names: Vec<&str> = plugins["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["http", "twilio"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_refuses_bad_input() {
    let setup = Setup::new();
    let daemon = setup.start();
    let api = daemon.admin();
    let twilio = mock_twilio().await;
    create(&api, "Primary", &twilio.url()).await;

    let unknown = api
        .post(
            "/v1/providers",
            json!({"name": "X", "plugin": "nope", "config": {}}),
        )
        .await;
    assert_error(&unknown, 422, "unknown_plugin");

    let mut config = twilio_config(&twilio.url());
    config.as_object_mut().unwrap().remove("from");
    config["account_sid"] = json!("not-a-sid");
    let invalid = api
        .post(
            "/v1/providers",
            json!({"name": "Y", "plugin": "twilio", "config": config}),
        )
        .await;
    let body = assert_error(&invalid, 422, "invalid_config");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(fields.iter().any(|f| f.contains("account_sid")), "{body}");
    assert!(fields.iter().any(|f| f.contains("from")), "{body}");

    let taken = api
        .post(
            "/v1/providers",
            json!({"name": "Primary", "plugin": "twilio", "config": twilio_config(&twilio.url())}),
        )
        .await;
    assert_error(&taken, 409, "name_taken");

    let empty_name = api
        .post(
            "/v1/providers",
            json!({"name": "  ", "plugin": "twilio", "config": twilio_config(&twilio.url())}),
        )
        .await;
    assert_error(&empty_name, 422, "invalid_request");

    let extra = api
        .post(
            "/v1/providers",
            json!({"name": "Z", "plugin": "twilio", "config": {}, "x": 1}),
        )
        .await;
    assert_error(&extra, 400, "bad_request");
    let not_json = api
        .raw(
            "POST",
            "/v1/providers",
            &[("content-type", "application/json")],
            "{oops",
        )
        .await;
    assert_error(&not_json, 400, "bad_request");
    let wrong_type = api
        .raw(
            "POST",
            "/v1/providers",
            &[("content-type", "text/plain")],
            "{}",
        )
        .await;
    assert_error(&wrong_type, 415, "unsupported_media_type");

    // Nothing of the refused requests was stored.
    assert_eq!(
        api.get("/v1/providers").await.json()["providers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_merges_config_and_keeps_omitted_secrets() {
    let setup = Setup::new();
    let daemon = setup.start();
    let api = daemon.admin();
    let twilio = mock_twilio().await;
    let p = create(&api, "Edit me", &twilio.url()).await;
    let path = format!("/v1/providers/{}", p["id"].as_str().unwrap());

    let edited = api
        .patch(
            &path,
            json!({"name": "Edited", "config": {"from": "+14155550199"}}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text());
    let edited = edited.json();
    assert_eq!(edited["name"], "Edited");
    assert_eq!(edited["config"]["from"], "+14155550199");
    assert_eq!(edited["secrets_set"], json!(["auth_token"]));
    assert_eq!(edited["created_at"], p["created_at"]);

    // The stored secret still works: a test send authenticates with it.
    let report = api
        .post(&format!("{path}/test"), json!({"to": "+14155550100"}))
        .await
        .json();
    assert_eq!(report["ok"], true, "{report}");
    let sent = twilio.requests().pop().unwrap();
    assert_eq!(
        sent.header("authorization"),
        Some(basic_auth(AUTH_TOKEN).as_str())
    );
    assert!(
        sent.form()
            .contains(&("From".into(), "+14155550199".into()))
    );

    // A merged config the plugin refuses changes nothing.
    let refused = api.patch(&path, json!({"config": {"from": null}})).await;
    assert_error(&refused, 422, "invalid_config");
    assert_eq!(
        api.get(&path).await.json()["config"]["from"],
        "+14155550199"
    );

    // A new secret replaces the old one.
    let rotated = api
        .patch(
            &path,
            json!({"config": {"auth_token": "rotated-token-123456"}}),
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    api.post(&format!("{path}/test"), json!({"to": "+14155550100"}))
        .await;
    let sent = twilio.requests().pop().unwrap();
    assert_eq!(
        sent.header("authorization"),
        Some(basic_auth("rotated-token-123456").as_str())
    );

    let other = create(&api, "Other", &twilio.url()).await;
    let taken = api.patch(&path, json!({"name": "Other"})).await;
    assert_error(&taken, 409, "name_taken");
    let _ = other;
    assert_error(
        &api.patch("/v1/providers/424242", json!({"name": "x"}))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &api.patch(&path, json!({"nmae": "typo"})).await,
        400,
        "bad_request",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_sends_report_the_provider_answer_and_save_nothing() {
    let setup = Setup::new();
    let daemon = setup.start();
    let api = daemon.admin();
    let twilio = mock_twilio().await;
    let p = create(&api, "Tested", &twilio.url()).await;
    let path = format!("/v1/providers/{}", p["id"].as_str().unwrap());

    let ok = api
        .post(&format!("{path}/test"), json!({"to": "+14155550100"}))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let ok = ok.json();
    assert_eq!(ok["ok"], true);
    assert!(
        ok["provider_message_id"]
            .as_str()
            .unwrap()
            .starts_with("SM"),
        "{ok}"
    );
    assert_eq!(ok["http_status"], 201);
    assert!(ok["latency_ms"].as_u64().is_some(), "{ok}");

    // Candidate values are used for the send but not saved.
    let candidate = api
        .post(
            &format!("{path}/test"),
            json!({"to": "+14155550100", "config": {"auth_token": "candidate-token-0000", "from": "+14155550777"}}),
        )
        .await
        .json();
    assert_eq!(candidate["ok"], true, "{candidate}");
    let sent = twilio.requests().pop().unwrap();
    assert_eq!(
        sent.header("authorization"),
        Some(basic_auth("candidate-token-0000").as_str())
    );
    assert!(
        sent.form()
            .contains(&("From".into(), "+14155550777".into()))
    );
    assert_eq!(api.get(&path).await.json(), p, "a test changes nothing");
    api.post(&format!("{path}/test"), json!({"to": "+14155550100"}))
        .await;
    let sent = twilio.requests().pop().unwrap();
    assert_eq!(
        sent.header("authorization"),
        Some(basic_auth(AUTH_TOKEN).as_str())
    );

    let refused = api
        .post(&format!("{path}/test"), json!({"to": REFUSED_NUMBER}))
        .await
        .json();
    assert_eq!(refused["ok"], false, "{refused}");
    assert_eq!(refused["error"]["code"], "provider_rejected");
    assert_eq!(refused["error"]["retryable"], false);
    assert_eq!(refused["http_status"], 400);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a valid phone number")
    );

    // Before a provider exists.
    let before = api
        .post(
            "/v1/providers/test",
            json!({"plugin": "twilio", "config": twilio_config(&twilio.url()), "to": "+14155550100"}),
        )
        .await
        .json();
    assert_eq!(before["ok"], true, "{before}");
    assert_eq!(
        api.get("/v1/providers").await.json()["providers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A provider that cannot be reached.
    let dead = api
        .post(
            "/v1/providers/test",
            json!({"plugin": "twilio", "config": twilio_config("http://127.0.0.1:9"), "to": "+14155550100"}),
        )
        .await
        .json();
    assert_eq!(dead["ok"], false, "{dead}");
    assert_eq!(dead["error"]["code"], "provider_unavailable");
    assert_eq!(dead["error"]["retryable"], true);

    assert_error(
        &api.post(&format!("{path}/test"), json!({"to": "0800 123"}))
            .await,
        422,
        "invalid_request",
    );
    assert_error(
        &api.post(
            "/v1/providers/test",
            json!({"plugin": "twilio", "config": {}, "to": "+14155550100"}),
        )
        .await,
        422,
        "invalid_config",
    );
    assert_error(
        &api.post("/v1/providers/777/test", json!({"to": "+14155550100"}))
            .await,
        404,
        "not_found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_default_and_archive_is_irreversible() {
    let setup = Setup::new();
    let daemon = setup.start();
    let api = daemon.admin();
    let twilio = mock_twilio().await;
    let a = create(&api, "A", &twilio.url()).await;
    let b = create(&api, "B", &twilio.url()).await;
    let a_path = format!("/v1/providers/{}", a["id"].as_str().unwrap());
    let b_path = format!("/v1/providers/{}", b["id"].as_str().unwrap());

    let made = api.post(&format!("{a_path}/default"), json!({})).await;
    assert_eq!(made.status, 200, "{}", made.text());
    assert_eq!(made.json()["default"], true);
    assert_eq!(api.get("/v1/providers/default").await.json()["id"], a["id"]);
    api.post(&format!("{b_path}/default"), json!({})).await;
    assert_eq!(api.get(&a_path).await.json()["default"], false);
    assert_eq!(api.get(&b_path).await.json()["default"], true);
    let defaults = api.get("/v1/providers").await.json()["providers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["default"] == true)
        .count();
    assert_eq!(defaults, 1);

    let campaign = api
        .post(
            "/v1/campaigns",
            json!({"name": "Spring", "kind": "campaign"}),
        )
        .await
        .json();
    let journey = api
        .post(
            "/v1/campaigns",
            json!({"name": "Welcome", "kind": "journey", "provider_id": b["id"]}),
        )
        .await
        .json();
    let other = api
        .post(
            "/v1/campaigns",
            json!({"name": "Elsewhere", "kind": "campaign", "provider_id": a["id"]}),
        )
        .await
        .json();
    assert_eq!(
        campaign["provider_id"], b["id"],
        "the default is pre-selected"
    );

    let archived = api.post(&format!("{b_path}/archive"), json!({})).await;
    assert_eq!(archived.status, 200, "{}", archived.text());
    let archived = archived.json();
    assert_eq!(archived["provider"]["state"], "archived");
    assert_eq!(archived["provider"]["default"], false);
    assert!(archived["provider"]["archived_at"].is_string());
    let mut stopped: Vec<&str> = archived["stopped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    stopped.sort();
    let mut expected = vec![
        campaign["id"].as_str().unwrap(),
        journey["id"].as_str().unwrap(),
    ];
    expected.sort();
    assert_eq!(stopped, expected);
    for c in [&campaign, &journey] {
        let now = api
            .get(&format!("/v1/campaigns/{}", c["id"].as_str().unwrap()))
            .await
            .json();
        assert_eq!(now["state"], "stopped");
        assert_eq!(now["stop_reason"], "provider_archived");
    }
    let untouched = api
        .get(&format!("/v1/campaigns/{}", other["id"].as_str().unwrap()))
        .await
        .json();
    assert_eq!(untouched["state"], "active");

    assert_error(&api.get("/v1/providers/default").await, 404, "not_found");
    assert_error(
        &api.post(&format!("{b_path}/archive"), json!({})).await,
        409,
        "already_archived",
    );
    assert_error(
        &api.post(&format!("{b_path}/default"), json!({})).await,
        409,
        "provider_archived",
    );
    assert_error(
        &api.patch(&b_path, json!({"name": "B2"})).await,
        409,
        "provider_archived",
    );
    assert_error(
        &api.post(&format!("{b_path}/test"), json!({"to": "+14155550100"}))
            .await,
        409,
        "provider_archived",
    );
    assert_error(
        &api.post(
            "/v1/campaigns",
            json!({"name": "Late", "kind": "campaign", "provider_id": b["id"]}),
        )
        .await,
        409,
        "provider_archived",
    );
    assert_error(
        &api.post(
            "/v1/campaigns",
            json!({"name": "No default", "kind": "campaign"}),
        )
        .await,
        422,
        "no_default_provider",
    );
    assert_eq!(
        api.get("/v1/providers?state=archived").await.json()["providers"][0]["id"],
        b["id"]
    );
    assert_error(
        &api.post("/v1/providers/31337/archive", json!({})).await,
        404,
        "not_found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_the_provider_and_stops_its_campaigns() {
    let setup = Setup::new();
    let daemon = setup.start();
    let api = daemon.admin();
    let twilio = mock_twilio().await;
    let p = create(&api, "Doomed", &twilio.url()).await;
    let id = p["id"].as_str().unwrap();
    let path = format!("/v1/providers/{id}");
    api.post(&format!("{path}/default"), json!({})).await;
    let c = api
        .post("/v1/campaigns", json!({"name": "C", "kind": "campaign"}))
        .await
        .json();

    let deleted = api.delete(&path).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(deleted.json(), json!({"deleted": id, "stopped": [c["id"]]}));
    let c_now = api
        .get(&format!("/v1/campaigns/{}", c["id"].as_str().unwrap()))
        .await
        .json();
    assert_eq!(c_now["stop_reason"], "provider_deleted");

    assert_error(&api.get(&path).await, 404, "not_found");
    assert_error(
        &api.patch(&path, json!({"name": "x"})).await,
        404,
        "not_found",
    );
    assert_error(&api.delete(&path).await, 404, "not_found");
    assert_error(
        &api.post(&format!("{path}/default"), json!({})).await,
        404,
        "not_found",
    );
    assert_error(
        &api.post(&format!("{path}/archive"), json!({})).await,
        404,
        "not_found",
    );
    assert_error(
        &api.post(&format!("{path}/test"), json!({"to": "+14155550100"}))
            .await,
        404,
        "not_found",
    );
    assert_error(&api.get("/v1/providers/default").await, 404, "not_found");
    assert_eq!(
        api.get("/v1/providers").await.json()["providers"],
        json!([])
    );
    // The name is free again.
    create(&api, "Doomed", &twilio.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaigns_can_be_listed_read_and_stopped() {
    let setup = Setup::new();
    let daemon = setup.start();
    let api = daemon.admin();
    let twilio = mock_twilio().await;
    let a = create(&api, "A", &twilio.url()).await;
    let b = create(&api, "B", &twilio.url()).await;
    let c1 = api
        .post(
            "/v1/campaigns",
            json!({"name": "One", "kind": "campaign", "provider_id": a["id"]}),
        )
        .await;
    assert_eq!(c1.status, 201, "{}", c1.text());
    let c1 = c1.json();
    assert_eq!(c1["state"], "active");
    assert_eq!(c1["stop_reason"], Value::Null);
    assert_eq!(c1["kind"], "campaign");
    assert!(c1["created_at"].is_string());
    let c2 = api
        .post(
            "/v1/campaigns",
            json!({"name": "Two", "kind": "journey", "provider_id": b["id"]}),
        )
        .await
        .json();

    assert_eq!(
        api.get("/v1/campaigns").await.json()["campaigns"],
        json!([c1, c2])
    );
    let only_a = api
        .get(&format!(
            "/v1/campaigns?provider_id={}",
            a["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(only_a.json()["campaigns"], json!([c1]));

    let stopped = api
        .post(
            &format!("/v1/campaigns/{}/stop", c1["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(stopped.status, 200);
    assert_eq!(stopped.json()["stop_reason"], "stopped_by_admin");
    assert_error(
        &api.post(
            &format!("/v1/campaigns/{}/stop", c1["id"].as_str().unwrap()),
            json!({}),
        )
        .await,
        409,
        "campaign_stopped",
    );
    assert_error(&api.get("/v1/campaigns/12345").await, 404, "not_found");
    assert_error(
        &api.post(
            "/v1/campaigns",
            json!({"name": "Bad", "kind": "blast", "provider_id": a["id"]}),
        )
        .await,
        422,
        "invalid_request",
    );
    assert_error(
        &api.post(
            "/v1/campaigns",
            json!({"name": "Ghost", "kind": "campaign", "provider_id": "999"}),
        )
        .await,
        404,
        "not_found",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_answer_401_404_405_and_413_in_the_error_shape() {
    let setup = Setup::new();
    let daemon = setup.start();
    let api = daemon.admin();

    let health = api.with_token(None).get("/healthz").await;
    assert_eq!(health.status, 200);
    assert_error(
        &api.with_token(None).get("/v1/providers").await,
        401,
        "unauthorized",
    );
    assert_error(
        &api.with_token(Some("wrong-token-wrong-token"))
            .get("/v1/providers")
            .await,
        401,
        "unauthorized",
    );
    assert_error(
        &api.with_token(None).get("/v1/plugins").await,
        401,
        "unauthorized",
    );
    assert_error(&api.get("/v1/nothing").await, 404, "not_found");
    assert_error(&api.get("/nothing").await, 404, "not_found");

    let wrong = api.call("PUT", "/v1/providers", Some(json!({}))).await;
    assert_error(&wrong, 405, "method_not_allowed");
    assert_eq!(wrong.header("allow"), Some("GET, POST"));
    assert_error(
        &api.get("/v1/providers/1/archive").await,
        405,
        "method_not_allowed",
    );
    assert_error(
        &api.call("DELETE", "/v1/campaigns/1", None).await,
        405,
        "method_not_allowed",
    );

    // The callback listener serves no admin route.
    let on_callbacks = daemon
        .callbacks()
        .with_token(Some(&daemon.token))
        .get("/v1/providers")
        .await;
    assert_error(&on_callbacks, 404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_get_413_and_change_nothing() {
    let setup = Setup::new();
    let mut options = setup.options();
    // A small limit, so the whole body fits in the socket buffers and the client reads the
    // answer instead of failing on a closed connection mid-upload.
    options.args = vec!["--max-body-bytes".into(), "2048".into()];
    let daemon = tern_tests::daemon::Daemon::start(&options);
    let api = daemon.admin();
    let name = "x".repeat(4096);
    let body = json!({"name": name, "plugin": "twilio", "config": {}}).to_string();
    let declared = api
        .raw(
            "POST",
            "/v1/providers",
            &[("content-type", "application/json")],
            body.clone(),
        )
        .await;
    assert_error(&declared, 413, "payload_too_large");
    let chunked = api
        .raw(
            "POST",
            "/v1/providers",
            &[
                ("content-type", "application/json"),
                ("transfer-encoding", "chunked"),
            ],
            body,
        )
        .await;
    assert_error(&chunked, 413, "payload_too_large");
    assert_eq!(
        api.get("/v1/providers").await.json()["providers"],
        json!([])
    );
}
