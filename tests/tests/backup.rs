//! Backup and restore through the real binary: `GET /v1/backup` on a running daemon, then
//! `ternd restore` into fresh directories, with and without the installation's key file.

use serde_json::{Value, json};
use tern_tests::daemon::{Daemon, Options};
use tern_tests::fixtures::{
    ACCOUNT_SID, AUTH_TOKEN, Setup, basic_auth, mock_twilio, post_twilio_form, twilio_config,
};
use tern_tests::http::Api;
use tern_tests::ternd_output;

/// Everything an admin can read about the store, by what it is, to compare two daemons.
/// Callback URLs keep only their path: the listener's port differs between daemons.
async fn everything(api: &Api, providers: &[String], messages: &[String]) -> Vec<(String, Value)> {
    let mut listed = api.get("/v1/providers").await.json();
    for p in listed["providers"].as_array_mut().unwrap() {
        let url = p["callback_url"].as_str().unwrap();
        p["callback_url"] = json!(tern_tests::fixtures::path_of(url));
    }
    let mut view = vec![
        ("providers".to_owned(), listed),
        (
            "campaigns".to_owned(),
            api.get("/v1/campaigns").await.json(),
        ),
    ];
    for id in providers {
        let stats = api.get(&format!("/v1/providers/{id}/stats")).await;
        assert_eq!(stats.status, 200, "{}", stats.text());
        view.push((format!("stats {id}"), stats.json()));
    }
    for id in messages {
        let message = api.get(&format!("/v1/messages/{id}")).await.json();
        view.push((format!("message {id}"), message));
    }
    view
}

/// Asserts two views are equal, naming the part that differs instead of printing them whole.
fn assert_same(restored: &[(String, Value)], original: &[(String, Value)]) {
    assert_eq!(restored.len(), original.len());
    for ((name, got), (_, want)) in restored.iter().zip(original) {
        assert!(
            got == want,
            "{name} differs after the restore:\n{got}\nwas\n{want}"
        );
    }
}

fn options_for(setup: &Setup, data_dir: &std::path::Path) -> Options {
    Options {
        data_dir: data_dir.to_path_buf(),
        ..setup.options()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_restores_into_an_identical_store_whose_secrets_work_with_the_same_key() {
    let setup = Setup::new();
    let twilio = mock_twilio().await;
    let daemon = setup.start();
    let api = daemon.admin();

    // Two providers, a default, a campaign, sends and a counted delivery callback.
    let mut providers = Vec::new();
    for name in ["Twilio US", "Twilio EU"] {
        let p = api
            .post(
                "/v1/providers",
                json!({"name": name, "plugin": "twilio", "config": twilio_config(&twilio.url())}),
            )
            .await;
        assert_eq!(p.status, 201, "{}", p.text());
        providers.push(p.json());
    }
    let ids: Vec<String> = providers
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    let default = api
        .post(&format!("/v1/providers/{}/default", ids[0]), json!({}))
        .await;
    assert_eq!(default.status, 200, "{}", default.text());
    let campaign = api
        .post(
            "/v1/campaigns",
            json!({"name": "Spring sale", "kind": "campaign"}),
        )
        .await;
    assert_eq!(campaign.status, 201, "{}", campaign.text());
    let mut messages = Vec::new();
    for to in ["+14155550100", "+14155550101"] {
        let sent = api
            .post(
                "/v1/messages",
                json!({"to": to, "body": "Spring sale: 20% off"}),
            )
            .await;
        assert_eq!(sent.status, 201, "{}", sent.text());
        messages.push(sent.json());
    }
    let sid = messages[0]["provider_message_id"].as_str().unwrap();
    let params = [
        ("AccountSid", ACCOUNT_SID),
        ("MessageSid", sid),
        ("MessageStatus", "delivered"),
        ("To", "+14155550100"),
    ];
    let callback_url = providers[0]["callback_url"].as_str().unwrap();
    let counted = post_twilio_form(&daemon, callback_url, &params, AUTH_TOKEN).await;
    assert_eq!(counted.status, 200, "{}", counted.text());
    let message_ids: Vec<String> = messages
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    let before = everything(&api, &ids, &message_ids).await;
    let stats = &before
        .iter()
        .find(|(n, _)| *n == format!("stats {}", ids[0]))
        .unwrap()
        .1;
    assert_eq!(
        stats["totals"]["delivered"], 1,
        "the callback must be in the backup"
    );

    // The snapshot: authorized only, a download, and the same bytes for the same state.
    let refused = api.with_token(None).get("/v1/backup").await;
    assert_eq!(refused.status, 401);
    let backup = api.get("/v1/backup").await;
    assert_eq!(backup.status, 200, "{}", backup.text());
    assert_eq!(
        backup.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(
        backup.header("content-length"),
        Some(backup.body.len().to_string().as_str())
    );
    assert_eq!(api.get("/v1/backup").await.body, backup.body);
    assert!(
        !backup
            .body
            .windows(AUTH_TOKEN.len())
            .any(|w| w == AUTH_TOKEN.as_bytes()),
        "the snapshot must hold secrets sealed, never in plain text"
    );
    let wrong_method = api.post("/v1/backup", json!({})).await;
    assert_eq!(wrong_method.status, 405);
    let (status, _) = daemon.stop();
    assert!(status.success());

    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("tern.snapshot");
    std::fs::write(&file, &backup.body).unwrap();

    // A directory that is not empty is refused and left as it was.
    let occupied = ternd_output(&[
        "restore",
        "--in",
        file.to_str().unwrap(),
        "--data-dir",
        setup.data.path().to_str().unwrap(),
    ]);
    assert!(!occupied.status.success());
    let stderr = String::from_utf8_lossy(&occupied.stderr);
    assert!(stderr.contains("not empty"), "{stderr}");

    // A round trip with the same key file: identical records and stats, working secrets.
    let restored = work.path().join("restored");
    let output = ternd_output(&[
        "restore",
        "--in",
        file.to_str().unwrap(),
        "--data-dir",
        restored.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("secret.key"), "{stdout}");
    std::fs::copy(
        setup.data.path().join("secret.key"),
        restored.join("secret.key"),
    )
    .unwrap();
    let daemon = Daemon::start(&options_for(&setup, &restored));
    let api = daemon.admin();
    assert_same(&everything(&api, &ids, &message_ids).await, &before);
    let test = api
        .post(
            &format!("/v1/providers/{}/test", ids[1]),
            json!({"to": "+14155550199"}),
        )
        .await;
    assert_eq!(test.status, 200, "{}", test.text());
    let last = twilio
        .requests()
        .pop()
        .expect("the test SMS reached the mock");
    assert_eq!(
        last.header("authorization"),
        Some(basic_auth(AUTH_TOKEN).as_str())
    );
    let newer = api
        .post(
            "/v1/providers",
            json!({"name": "Twilio CA", "plugin": "twilio", "config": twilio_config(&twilio.url())}),
        )
        .await;
    assert_eq!(newer.status, 201, "{}", newer.text());
    let newer: u64 = newer.json()["id"].as_str().unwrap().parse().unwrap();
    let highest = message_ids
        .iter()
        .chain(&ids)
        .map(|id| id.parse::<u64>().unwrap())
        .max()
        .unwrap();
    assert!(
        newer > highest,
        "new ids must not collide with restored ones"
    );
    drop(daemon);

    // Without the key file, the first use of a secret says so instead of sending garbage.
    let keyless = work.path().join("keyless");
    let output = ternd_output(&[
        "restore",
        "--in",
        file.to_str().unwrap(),
        "--data-dir",
        keyless.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let daemon = Daemon::start(&options_for(&setup, &keyless));
    let requests = twilio.requests().len();
    let send = daemon
        .admin()
        .post(
            "/v1/messages",
            json!({"to": "+14155550102", "body": "hello"}),
        )
        .await;
    assert_eq!(send.status, 500, "{}", send.text());
    let body = send.json();
    assert_eq!(body["error"]["code"], "secret_key_mismatch", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("secret.key"),
        "{body}"
    );
    assert_eq!(twilio.requests().len(), requests, "nothing may be sent");

    // A callback with a wrong token is refused before any secret is opened: the same 404 as
    // for a provider that does not exist, not an error that would reveal the id.
    for id in [ids[0].as_str(), "999999"] {
        let probe = daemon
            .callbacks()
            .raw(
                "POST",
                &format!("/callbacks/{id}/not-the-token"),
                &[("content-type", "application/x-www-form-urlencoded")],
                "MessageSid=SM1&MessageStatus=delivered",
            )
            .await;
        assert_eq!(probe.status, 404, "{}", probe.text());
    }
}

#[test]
fn a_damaged_snapshot_is_refused_with_a_clear_error() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("broken.snapshot");
    std::fs::write(&file, b"TERNSNAP\x00\x01\x00\x00\x00\x01\x01\x00").unwrap();
    let target = work.path().join("data");
    let output = ternd_output(&[
        "restore",
        "--in",
        file.to_str().unwrap(),
        "--data-dir",
        target.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("truncated or damaged"), "{stderr}");
    assert!(!target.exists(), "a failed restore leaves nothing behind");
}
