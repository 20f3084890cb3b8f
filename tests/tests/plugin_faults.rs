//! Plugin faults at run time, through the real daemon: a plugin function that panics, runs past
//! `plugin_timeout_ms` or answers with bytes that are not JSON fails that one call with a clear
//! error; the provider keeps working for the calls that follow, and every fault is counted in
//! `GET /v1/plugins`.

use serde_json::{Value, json};
use tern_tests::daemon::Daemon;
use tern_tests::fixtures::{Setup, path_of};
use tern_tests::http::{Answer, MockProvider};

/// What the daemon's error says for each way of misbehaving.
const MODES: [(&str, &str); 3] = [
    ("panic", "panicked in"),
    ("stall", "did not answer within"),
    ("garble", "answer is not valid"),
];

fn assert_plugin_error(answer: &Answer, status: u16, words: &str) {
    assert_eq!(answer.status, status, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["error"]["code"], "plugin_error", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(words), "{words:?} not in {message:?}");
}

async fn faults(daemon: &Daemon) -> u64 {
    let plugins = daemon.admin().get("/v1/plugins").await.json();
    plugins["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "faulty")
        .expect("faulty is loaded")["faults"]
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fault_costs_only_its_own_call_and_is_counted() {
    let setup = Setup {
        data: tempfile::tempdir().unwrap(),
        plugins: tern_tests::plugin_dir(&["tern_testplugin_faulty"]),
    };
    let mut options = setup.options();
    options.args = vec!["--plugin-timeout-ms".into(), "1000".into()];
    let daemon = Daemon::start(&options);
    let api = daemon.admin();
    // The mock answers with the body it was sent, so a marker in the message reaches
    // parse_send_response too.
    let mock = MockProvider::start(|request| (200, "text/plain", request.body.clone())).await;
    let created = api
        .post(
            "/v1/providers",
            json!({"name": "Faulty", "plugin": "faulty", "config": {"url": mock.url()}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let provider = created.json();
    let id = provider["id"].as_str().unwrap().to_owned();
    let send = |body: String| {
        let api = api.clone();
        let id = id.clone();
        async move {
            api.post(
                "/v1/messages",
                json!({"to": "+14155550100", "body": body, "provider_id": id}),
            )
            .await
        }
    };

    let mut expected_faults = 0;
    let mut last_sent: Option<Value> = None;
    for function in ["build_send", "parse_send_response"] {
        for (mode, words) in MODES {
            // The SDK cannot garble build_send's answer; only the answer readers are wrapped.
            if mode == "garble" && function == "build_send" {
                continue;
            }
            let marker = format!("{mode}:{function}");
            assert_plugin_error(&send(marker.clone()).await, 502, words);
            let test = api
                .post(
                    &format!("/v1/providers/{id}/test"),
                    json!({"to": "+14155550100", "body": marker}),
                )
                .await;
            assert_eq!(test.status, 200, "{}", test.text());
            let report = test.json();
            assert_eq!(report["ok"], false, "{report}");
            assert_eq!(report["error"]["code"], "plugin_error", "{report}");
            assert!(
                report["error"]["message"].as_str().unwrap().contains(words),
                "{report}"
            );
            expected_faults += 2;
            assert_eq!(faults(&daemon).await, expected_faults, "after {marker}");

            // The very next call on the same provider works.
            let sent = send("hello".into()).await;
            assert_eq!(sent.status, 201, "after {marker}: {}", sent.text());
            last_sent = Some(sent.json());
        }
    }

    // Callbacks: each fault is a 500 (so the provider retries), then a good one is counted.
    let callback_url = provider["callback_url"].as_str().unwrap();
    let post = |body: String| {
        let callbacks = daemon.callbacks();
        async move {
            callbacks
                .raw(
                    "POST",
                    path_of(callback_url),
                    &[("content-type", "text/plain")],
                    body,
                )
                .await
        }
    };
    for (mode, _) in MODES {
        let answer = post(format!("{mode}:parse_callback")).await;
        assert_eq!(answer.status, 500, "{mode}: {}", answer.text());
        assert_eq!(answer.json()["error"]["code"], "plugin_error");
        expected_faults += 1;
    }
    assert_eq!(faults(&daemon).await, expected_faults);
    let message_id = last_sent.unwrap()["id"].as_str().unwrap().to_owned();
    let answer = post(format!("delivered:{message_id}")).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let message = api.get(&format!("/v1/messages/{message_id}")).await.json();
    assert_eq!(message["state"], "delivered", "{message}");

    // An ordinary refusal is not a fault.
    assert_eq!(post("nonsense".into()).await.status, 400);
    assert_eq!(faults(&daemon).await, expected_faults);
    assert_eq!(api.get("/healthz").await.status, 200);
    assert!(
        !daemon.log().contains("panicked at"),
        "the plugin's panic hook printed to stderr"
    );
}
