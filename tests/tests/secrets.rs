//! No secret value leaks: not into an answer (successes, refusals, provider rejections that
//! echo the credential back, backups), not into any log line at any level, not into an error
//! message, and not into the data directory's files as plain text.
//!
//! The secrets: the Twilio auth token, the HTTP adapter's bearer token, basic-auth password
//! and callback signing secret, the admin token, and each provider's callback URL token
//! (which the admin API shows on purpose, but no log may).

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use tern_tests::daemon::Daemon;
use tern_tests::fixtures::{
    AUTH_TOKEN, REFUSED_NUMBER, Setup, mock_twilio, path_of, post_twilio_form, twilio_config,
};
use tern_tests::http::{Answer, MockProvider};

const BEARER: &str = "bearer-secret-5c1d9e0b7a3f";
const PASSWORD: &str = "password-secret-8e2f4a6c0d1b";
const CALLBACK_SECRET: &str = "whsec-secret-3b7d1f5a9c2e";

/// Whether `needle` occurs in `haystack`, byte for byte.
fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn assert_free_of(secrets: &[String], haystack: &[u8], what: &str) {
    for secret in secrets {
        assert!(
            !contains(haystack, secret),
            "{secret:?} leaked into {what}:\n{}",
            String::from_utf8_lossy(haystack)
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

async fn create(daemon: &Daemon, name: &str, plugin: &str, config: Value) -> Answer {
    let answer = daemon
        .admin()
        .post(
            "/v1/providers",
            json!({"name": name, "plugin": plugin, "config": config}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text());
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_answers_logs_errors_or_data_files() {
    let setup = Setup::new();
    let twilio = mock_twilio().await;
    // A gateway that refuses everything and echoes the whole request back, credentials
    // included, as some gateways do in their error pages.
    let echo = MockProvider::start(|request| {
        let text = format!("refused {:?} {}", request.headers, request.body);
        (400, "text/plain", text)
    })
    .await;
    let mut options = setup.options();
    options.env.push(("RUST_LOG".into(), "trace".into()));
    let daemon = Daemon::start(&options);
    let api = daemon.admin();
    let mut answers: Vec<(String, Answer)> = Vec::new();

    let twilio_p = create(&daemon, "Twilio", "twilio", twilio_config(&twilio.url())).await;
    let gateway = json!({
        "url": echo.url(),
        "body_template": "to={{to}}\nmsg={{body}}",
        "auth": "bearer",
        "token": BEARER,
        "callback_secret": CALLBACK_SECRET,
    });
    let bearer_p = create(&daemon, "Bearer", "http", gateway.clone()).await;
    let basic = json!({
        "url": echo.url(),
        "body_template": "to={{to}}",
        "auth": "basic",
        "username": "tern",
        "password": PASSWORD,
    });
    let basic_p = create(&daemon, "Basic", "http", basic.clone()).await;
    let mut callback_tokens = Vec::new();
    for created in [&twilio_p, &bearer_p, &basic_p] {
        let url = created.json()["callback_url"].as_str().unwrap().to_owned();
        callback_tokens.push(url.rsplit('/').next().unwrap().to_owned());
        answers.push(("create".into(), created.clone()));
    }
    let id = |p: &Answer| p.json()["id"].as_str().unwrap().to_owned();
    let (twilio_id, bearer_id, basic_id) = (id(&twilio_p), id(&bearer_p), id(&basic_p));

    let mut requests: Vec<(&str, String, Option<Value>)> = Vec::new();
    for pid in [&twilio_id, &bearer_id, &basic_id] {
        let path = format!("/v1/providers/{pid}");
        requests.extend([
            ("GET", path.clone(), None),
            (
                "POST",
                format!("{path}/test"),
                Some(json!({"to": "+14155550100"})),
            ),
            (
                "POST",
                format!("{path}/test"),
                Some(json!({"to": REFUSED_NUMBER})),
            ),
            (
                "POST",
                "/v1/messages".into(),
                Some(json!({"to": "+14155550100", "body": "hi", "provider_id": pid})),
            ),
            ("GET", format!("{path}/stats"), None),
        ]);
    }
    let twilio_path = format!("/v1/providers/{twilio_id}");
    let bearer_path = format!("/v1/providers/{bearer_id}");
    requests.extend([
        ("GET", "/v1/providers".into(), None),
        ("PATCH", twilio_path.clone(), Some(json!({"config": {"from": "+14155550123"}}))),
        ("PATCH", twilio_path.clone(), Some(json!({"config": {"from": null}}))),
        // Refused configs: the secret is in the request, and must not be in the refusal.
        (
            "PATCH",
            twilio_path.clone(),
            Some(json!({"config": {"account_sid": AUTH_TOKEN, "auth_token": AUTH_TOKEN}})),
        ),
        ("PATCH", bearer_path.clone(), Some(json!({"config": {"url": BEARER, "token": BEARER}}))),
        ("PATCH", bearer_path.clone(), Some(json!({"config": {"token": [BEARER]}}))),
        (
            "POST",
            "/v1/providers".into(),
            Some(json!({"name": PASSWORD, "plugin": "http", "config": {"password": PASSWORD, "auth": PASSWORD}})),
        ),
        (
            "POST",
            "/v1/providers/test".into(),
            Some(json!({"plugin": "twilio", "config": {"auth_token": AUTH_TOKEN}, "to": "+14155550100"})),
        ),
        (
            "POST",
            "/v1/providers/test".into(),
            Some(json!({"plugin": "http", "config": gateway, "to": "+14155550100"})),
        ),
        (
            "POST",
            "/v1/providers/test".into(),
            Some(json!({"plugin": "http", "config": basic, "to": "+14155550100"})),
        ),
        ("POST", format!("{twilio_path}/default"), Some(json!({}))),
        ("GET", "/v1/backup".into(), None),
        ("POST", format!("{twilio_path}/archive"), Some(json!({}))),
        ("DELETE", format!("/v1/providers/{basic_id}"), None),
    ]);
    for (method, path, body) in requests {
        let answer = api.call(method, &path, body).await;
        answers.push((format!("{method} {path}"), answer));
    }

    // Callbacks: signed with a wrong secret, unsigned, and signed but unreadable.
    let bearer_url = bearer_p.json()["callback_url"].as_str().unwrap().to_owned();
    let sign = |key: &str, body: &str| {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(body.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    for (signature, body) in [
        (sign("guessed", "[]"), "[]".to_owned()),
        (String::new(), "[]".to_owned()),
        (sign(CALLBACK_SECRET, "{broken"), "{broken".to_owned()),
        (CALLBACK_SECRET.to_owned(), CALLBACK_SECRET.to_owned()),
    ] {
        let answer = daemon
            .callbacks()
            .raw(
                "POST",
                path_of(&bearer_url),
                &[
                    ("content-type", "application/json"),
                    ("x-signature", &signature),
                ],
                body,
            )
            .await;
        assert!((400..500).contains(&answer.status), "{}", answer.text());
        answers.push(("HTTP callback".into(), answer));
    }
    let twilio_url = twilio_p.json()["callback_url"].as_str().unwrap().to_owned();
    for token in [AUTH_TOKEN, "not-the-token"] {
        let answer = post_twilio_form(
            &daemon,
            &twilio_url,
            &[("MessageSid", AUTH_TOKEN), ("MessageStatus", AUTH_TOKEN)],
            token,
        )
        .await;
        answers.push(("Twilio callback".into(), answer));
    }

    let admin_token = daemon.token.clone();
    let provider_secrets: Vec<String> = [AUTH_TOKEN, BEARER, PASSWORD, CALLBACK_SECRET]
        .map(str::to_owned)
        .to_vec();
    let mut everything = provider_secrets.clone();
    everything.push(admin_token.clone());
    for (what, answer) in &answers {
        // The one place a callback token belongs is the callback_url the admin API shows.
        assert_free_of(&everything, &answer.body, &format!("the answer to {what}"));
        for header in &answer.headers {
            assert_free_of(
                &everything,
                header.1.as_bytes(),
                &format!("a header of {what}"),
            );
        }
    }
    // The echoing gateway's refusal was seen, with the credential scrubbed.
    assert!(
        answers.iter().any(|(_, a)| a.text().contains("[redacted]")),
        "no refusal quoted the echoing gateway"
    );

    let (status, log) = daemon.stop();
    assert_eq!(status.code(), Some(0), "{log}");
    assert!(
        log.contains("DEBUG") && log.contains("TRACE"),
        "the log was captured at trace level"
    );
    everything.extend(callback_tokens);
    assert_free_of(&everything, log.as_bytes(), "the log");

    // On disk, secrets are sealed. The admin token lives in its own 0600 file, by design.
    for file in walk(setup.data.path()) {
        let bytes = std::fs::read(&file).unwrap();
        let what = file.display().to_string();
        assert_free_of(&provider_secrets, &bytes, &what);
        if !file.ends_with("admin.token") {
            assert_free_of(std::slice::from_ref(&admin_token), &bytes, &what);
        }
    }
}
