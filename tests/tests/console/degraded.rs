//! The console when ternd has lost its secret key, and when it has no plugin: what still works,
//! and what the page says about the rest.

use std::time::Duration;

use serde_json::json;
use tern_tests::daemon::{Daemon, Options};
use tern_tests::fixtures::{Setup, mock_twilio, twilio_config};

use super::browser::Browser;
use super::{menu, row};

/// Opens the console of `daemon` and logs in with its token.
async fn log_in(b: &Browser, daemon: &Daemon) {
    b.goto(&format!("{}/", daemon.admin_url)).await;
    b.fill("#token", &daemon.token).await;
    b.click_button("#login-form", "Log in").await;
    b.find("#view-providers[aria-busy=false]").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_without_the_key_or_the_plugins() {
    tokio::time::timeout(Duration::from_secs(180), degraded())
        .await
        .expect("the degraded walkthrough finished within 3 minutes");
}

async fn degraded() {
    let setup = Setup::new();
    let twilio = mock_twilio().await;
    let daemon = setup.start();
    let created = daemon
        .admin()
        .post(
            "/v1/providers",
            json!({"name": "Keyless", "plugin": "twilio", "config": twilio_config(&twilio.url())}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/providers/{id}");
    daemon.stop();
    std::fs::remove_file(setup.data.path().join("secret.key")).unwrap();

    // Without the key the stored secrets cannot be opened, yet a new name alone saves: the
    // console sends no `config` when no setting changed.
    let daemon = setup.start();
    let api = daemon.admin();
    let b = Browser::start(1280, 900).await;
    log_in(&b, &daemon).await;
    menu(&b, &id, "Edit settings").await;
    b.fill("dialog[open] input[name=name]", "  Renamed  ").await;
    b.click_button("dialog[open]", "Save").await;
    b.wait_gone("dialog[open]").await;
    b.wait_text("#notice", "Saved Renamed.").await;
    b.wait_text(&row(&id), "Renamed").await;
    let saved = api.get(&path).await.json();
    assert_eq!(saved["name"], "Renamed", "the name is sent trimmed");
    assert_eq!(saved["secrets_set"], json!(["auth_token"]));
    let test = api
        .post(&format!("{path}/test"), json!({"to": "+14155550100"}))
        .await;
    assert_eq!(
        test.json()["error"]["code"],
        "secret_key_mismatch",
        "the stored secret was left as it was"
    );
    daemon.stop();

    // With no plugin loaded, "Add provider" stays disabled and says why; the provider's name
    // can still be edited.
    let empty = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&Options {
        plugin_dir: empty.path().to_path_buf(),
        ..setup.options()
    });
    log_in(&b, &daemon).await;
    let add = b.button("#view-providers", "Add provider").await;
    assert!(!add.is_enabled().await.unwrap());
    let title = add.attr("title").await.unwrap().unwrap_or_default();
    assert!(title.contains("No plugin is loaded"), "{title}");
    menu(&b, &id, "Edit settings").await;
    b.wait_text(
        "dialog[open]",
        "The plugin twilio is not loaded, so only the name can be edited.",
    )
    .await;
    b.close().await;
    daemon.stop();
}
