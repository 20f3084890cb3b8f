//! Graceful shutdown under load: SIGTERM while sends are in flight to a provider that has not
//! answered yet. New connections are refused at once, the requests in flight finish and are
//! stored, and the process exits 0; requests that outlive the grace period are cut off.

use std::time::{Duration, Instant};

use serde_json::json;
use tern_tests::daemon::{Daemon, signal};
use tern_tests::fixtures::{Setup, twilio_config, twilio_reply};
use tern_tests::http::{Api, MockProvider};

/// Starts a daemon with `grace_secs` of shutdown grace and a default Twilio provider on a
/// gated mock.
async fn daemon_with_held_provider(
    setup: &Setup,
    grace_secs: u32,
) -> (Daemon, MockProvider, tern_tests::http::Gate) {
    let mut options = setup.options();
    options.args = vec![
        "--shutdown-grace-secs".into(),
        grace_secs.to_string(),
        // The provider is held for as long as the test likes: only the grace period may end it.
        "--provider-timeout-ms".into(),
        "600000".into(),
    ];
    let daemon = Daemon::start(&options);
    let (mock, gate) = MockProvider::start_gated(twilio_reply).await;
    let api = daemon.admin();
    let created = api
        .post(
            "/v1/providers",
            json!({"name": "Held", "plugin": "twilio", "config": twilio_config(&mock.url())}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_owned();
    api.post(&format!("/v1/providers/{id}/default"), json!({}))
        .await;
    (daemon, mock, gate)
}

/// Starts `n` sends and waits until the provider holds all of them.
async fn sends_in_flight(
    api: &Api,
    mock: &MockProvider,
    n: usize,
) -> Vec<tokio::task::JoinHandle<Result<tern_tests::http::Answer, String>>> {
    let sends: Vec<_> = (0..n)
        .map(|i| {
            let api = api.clone();
            tokio::spawn(async move {
                let body = json!({"to": format!("+1415555010{i}"), "body": "in flight"});
                api.try_raw(
                    "POST",
                    "/v1/messages",
                    &[("content-type", "application/json")],
                    body.to_string(),
                )
                .await
            })
        })
        .collect();
    wait_until("the provider holds every send", || {
        mock.requests().len() == n
    })
    .await;
    sends
}

/// Polls `condition` every 10 ms, failing after 60 s.
async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn refused(url: &str) -> bool {
    let addr = url.trim_start_matches("http://");
    matches!(
        std::net::TcpStream::connect(addr),
        Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_refuses_new_connections_finishes_requests_in_flight_and_flushes() {
    let setup = Setup::new();
    let (mut daemon, mock, gate) = daemon_with_held_provider(&setup, 600).await;
    let api = daemon.admin();
    let sends = sends_in_flight(&api, &mock, 3).await;

    signal(daemon.pid(), "TERM");
    let (admin, callback) = (daemon.admin_url.clone(), daemon.callback_url.clone());
    wait_until("both listeners refuse connections", || {
        refused(&admin) && refused(&callback)
    })
    .await;
    assert!(!daemon.has_exited(), "ternd exited with requests in flight");
    assert!(
        sends.iter().all(|s| !s.is_finished()),
        "a send in flight was answered before its provider answered"
    );

    gate.open();
    let mut ids = Vec::new();
    for send in sends {
        let answer = send.await.unwrap().expect("the send in flight is answered");
        assert_eq!(answer.status, 201, "{}", answer.text());
        ids.push(answer.json()["id"].as_str().unwrap().to_owned());
    }
    let (status, log) = daemon.wait();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("store flushed; stopped"), "{log}");
    assert!(!log.contains("cut off"), "{log}");

    // What the requests in flight wrote is on disk.
    let daemon = setup.start();
    let api = daemon.admin();
    for id in &ids {
        let message = api.get(&format!("/v1/messages/{id}")).await;
        assert_eq!(message.status, 200, "{}", message.text());
        assert_eq!(message.json()["state"], "sent");
    }
    let provider = api.get("/v1/providers/default").await.json();
    let stats = api
        .get(&format!(
            "/v1/providers/{}/stats",
            provider["id"].as_str().unwrap()
        ))
        .await
        .json();
    assert_eq!(stats["totals"]["sent"], 3, "{stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_outlive_the_grace_period_are_cut_off_and_ternd_still_exits_0() {
    let setup = Setup::new();
    let (daemon, mock, _gate) = daemon_with_held_provider(&setup, 1).await;
    let sends = sends_in_flight(&daemon.admin(), &mock, 1).await;

    // The gate is never opened: only the grace period can end the send.
    signal(daemon.pid(), "TERM");
    let (status, log) = daemon.wait();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(
        log.contains("requests still in flight after the 1s shutdown grace period were cut off"),
        "{log}"
    );
    assert!(log.contains("store flushed; stopped"), "{log}");
    for send in sends {
        assert!(
            send.await.unwrap().is_err(),
            "a send cut off at shutdown got an answer"
        );
    }
}
