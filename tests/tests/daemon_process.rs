//! The daemon as a process: start-up, configuration errors, the admin token, one daemon per
//! data directory, restarts that keep everything, and graceful shutdown.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use serde_json::json;
use tern_tests::daemon::Daemon;
use tern_tests::fixtures::{AUTH_TOKEN, Setup, basic_auth, mock_twilio, twilio_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_everything_and_stored_secrets_still_work() {
    let setup = Setup::new();
    let twilio = mock_twilio().await;
    // A fixed public URL: the callback port itself changes between runs.
    let mut options = setup.options();
    options.args = vec!["--public-url".into(), "https://sms.example.com".into()];
    let daemon = Daemon::start(&options);
    let api = daemon.admin();
    let p = api
        .post(
            "/v1/providers",
            json!({"name": "Durable", "plugin": "twilio", "config": twilio_config(&twilio.url())}),
        )
        .await
        .json();
    let id = p["id"].as_str().unwrap().to_owned();
    api.post(&format!("/v1/providers/{id}/default"), json!({}))
        .await;
    let c = api
        .post("/v1/campaigns", json!({"name": "C", "kind": "journey"}))
        .await
        .json();
    let providers_before = api.get("/v1/providers").await.json();
    let campaigns_before = api.get("/v1/campaigns").await.json();
    let token = daemon.token.clone();
    let (status, _) = daemon.stop();
    assert!(status.success(), "{status}");

    let daemon = Daemon::start(&options);
    assert_eq!(daemon.token, token, "the generated token is kept");
    let api = daemon.admin();
    assert_eq!(api.get("/v1/providers").await.json(), providers_before);
    assert_eq!(api.get("/v1/campaigns").await.json(), campaigns_before);
    assert_eq!(
        api.get("/v1/providers/default").await.json()["id"],
        json!(id)
    );
    assert_eq!(c["provider_id"], json!(id));

    let report = api
        .post(
            &format!("/v1/providers/{id}/test"),
            json!({"to": "+14155550100"}),
        )
        .await
        .json();
    assert_eq!(report["ok"], true, "{report}");
    let sent = twilio.requests().pop().unwrap();
    assert_eq!(
        sent.header("authorization"),
        Some(basic_auth(AUTH_TOKEN).as_str())
    );
}

#[test]
fn token_and_key_are_created_0600_and_the_token_path_is_printed() {
    let setup = Setup::new();
    let daemon = setup.start();
    let log = daemon.log();
    let token_file = setup.data.path().join("admin.token");
    assert!(
        log.contains(&format!(
            "admin token generated into {}",
            token_file.display()
        )),
        "{log}"
    );
    for file in ["admin.token", "secret.key"] {
        let mode = std::fs::metadata(setup.data.path().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    drop(daemon);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_token_is_used_instead_of_the_file() {
    let setup = Setup::new();
    let mut options = setup.options();
    options.env.push((
        "TERN_ADMIN_TOKEN".into(),
        "configured-token-1234567890".into(),
    ));
    let daemon = Daemon::start(&options);
    assert!(!setup.data.path().join("admin.token").exists());
    let api = daemon.admin();
    assert_eq!(api.get("/v1/providers").await.status, 200);
    assert_eq!(
        api.with_token(Some("another-token-1234567890"))
            .get("/v1/providers")
            .await
            .status,
        401
    );
}

#[test]
fn a_second_daemon_on_the_same_data_directory_exits_with_a_clear_error() {
    let setup = Setup::new();
    let _first = setup.start();
    let out = Command::new(tern_tests::ternd())
        .args([
            "serve",
            "--admin-listen",
            "127.0.0.1:0",
            "--callback-listen",
            "127.0.0.1:0",
        ])
        .arg("--data-dir")
        .arg(setup.data.path())
        .arg("--plugin-dir")
        .arg(setup.plugins.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another ternd is probably running"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn invalid_configuration_exits_64_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    // (flags, environment, what the message must name)
    type Case = (
        &'static [&'static str],
        &'static [(&'static str, &'static str)],
        &'static str,
    );
    let cases: [Case; 5] = [
        (&["--admin-listen", "nowhere"], &[], "admin_listen"),
        (
            &[],
            &[("TERN_CALLBACK_LISTEN", "1.2.3.4")],
            "callback_listen",
        ),
        (&["--public-url", "ftp://x"], &[], "public_url"),
        (&[], &[("TERN_RETENTION_DAYS", "-3")], "retention_days"),
        (&["--no-such-flag"], &[], "--no-such-flag"),
    ];
    for (args, env, setting) in cases {
        let mut cmd = Command::new(tern_tests::ternd());
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(dir.path())
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{args:?} {env:?}: {err}");
        assert!(err.contains(setting), "{args:?} {env:?}: {err}");
    }

    let file = dir.path().join("tern.toml");
    std::fs::write(
        &file,
        "admin_listen = \"127.0.0.1:1\"\nadmin_lisen = \"x\"\n",
    )
    .unwrap();
    let out = Command::new(tern_tests::ternd())
        .args(["serve", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("admin_lisen"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_win_over_environment_which_wins_over_the_file() {
    let setup = Setup::new();
    let file = setup.data.path().join("tern.toml");
    std::fs::write(
        &file,
        "public_url = \"https://from-file.example\"\nretention_days = 5\n",
    )
    .unwrap();
    let mut options = setup.options();
    options.args = vec!["--config".into(), file.display().to_string()];
    options
        .env
        .push(("TERN_PUBLIC_URL".into(), "https://from-env.example".into()));
    let daemon = Daemon::start(&options);
    assert!(
        daemon.log().contains("public URL https://from-env.example"),
        "{}",
        daemon.log()
    );
    drop(daemon);

    options
        .args
        .extend(["--public-url".into(), "https://from-flag.example/".into()]);
    let daemon = Daemon::start(&options);
    assert!(
        daemon
            .log()
            .contains("public URL https://from-flag.example"),
        "{}",
        daemon.log()
    );
    let twilio = mock_twilio().await;
    let p = daemon
        .admin()
        .post(
            "/v1/providers",
            json!({"name": "P", "plugin": "twilio", "config": twilio_config(&twilio.url())}),
        )
        .await
        .json();
    assert!(
        p["callback_url"]
            .as_str()
            .unwrap()
            .starts_with("https://from-flag.example/callbacks/")
    );
}

#[test]
fn sigterm_stops_the_daemon_cleanly() {
    let setup = Setup::new();
    let daemon = setup.start();
    let (status, log) = daemon.stop();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(log.contains("store flushed; stopped"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_losing_the_key_file_credentials_can_be_entered_again() {
    let setup = Setup::new();
    let twilio = mock_twilio().await;
    let daemon = setup.start();
    let api = daemon.admin();
    let p = api
        .post(
            "/v1/providers",
            json!({"name": "Keyless", "plugin": "twilio", "config": twilio_config(&twilio.url())}),
        )
        .await
        .json();
    let path = format!("/v1/providers/{}", p["id"].as_str().unwrap());
    daemon.stop();
    std::fs::remove_file(setup.data.path().join("secret.key")).unwrap();

    let daemon = setup.start();
    let api = daemon.admin();
    assert_eq!(api.get(&path).await.status, 200, "reading needs no secret");
    let test = api
        .post(&format!("{path}/test"), json!({"to": "+14155550100"}))
        .await;
    assert_eq!(test.status, 500, "{}", test.text());
    let body = test.json();
    assert_eq!(body["error"]["code"], "secret_key_mismatch");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("secret.key"),
        "{body}"
    );

    let fixed = api
        .patch(
            &path,
            json!({"config": {"auth_token": "re-entered-token-123456"}}),
        )
        .await;
    assert_eq!(fixed.status, 200, "{}", fixed.text());
    let test = api
        .post(&format!("{path}/test"), json!({"to": "+14155550100"}))
        .await
        .json();
    assert_eq!(test["ok"], true, "{test}");
    let sent = twilio.requests().pop().unwrap();
    assert_eq!(
        sent.header("authorization"),
        Some(basic_auth("re-entered-token-123456").as_str())
    );
}
