//! The plugin host against real libraries: the shipped adapters load, every refusal is
//! reported with its reason, a plugin that panics does not take the host down, and arbitrary
//! input documents are refused through the ABI.

use std::time::Duration;

use serde_json::{Value, json};
use tern_daemon::plugins::{PluginCallError, PluginHost};
use tern_plugin_api::host::CallError;
use tern_tests::{library_file, plugin_dir, ternd_output};

const ADAPTERS: &[&str] = &["tern_plugin_twilio", "tern_plugin_http"];

fn plugins_json(dir: &std::path::Path) -> Value {
    let out = ternd_output(&["plugins", "--json", "--plugin-dir", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("ternd plugins --json prints JSON")
}

fn refusal_of(report: &Value, crate_name: &str) -> String {
    let file = library_file(crate_name);
    report["refused"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["file"].as_str().unwrap().ends_with(&file))
        .unwrap_or_else(|| panic!("{file} is not refused: {report:#}"))["reason"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn shipped_adapters_load_with_their_manifests() {
    let dir = plugin_dir(ADAPTERS);
    let report = plugins_json(dir.path());
    let plugins = report["plugins"].as_array().unwrap();
    let names: Vec<&str> = plugins
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["http", "twilio"]);
    assert_eq!(report["refused"], json!([]));

    let twilio = &plugins[1];
    assert_eq!(twilio["abi"], json!({"major": 1, "minor": 0}));
    assert_eq!(
        twilio["callbacks"],
        json!({"delivery": true, "clicks": true, "replies": true})
    );
    let token = twilio["config"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "auth_token")
        .expect("twilio declares auth_token");
    assert_eq!(token["secret"], true);
    assert_eq!(token["required"], true);
}

#[test]
fn text_listing_marks_secrets_and_callbacks() {
    let dir = plugin_dir(ADAPTERS);
    let out = ternd_output(&["plugins", "--plugin-dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("loaded: 2"), "{text}");
    assert!(
        text.contains("config auth_token [required, secret]"),
        "{text}"
    );
    assert!(
        text.contains("callbacks: delivery, clicks, replies"),
        "{text}"
    );
    assert!(text.contains("refused: 0"), "{text}");
}

#[test]
fn each_bad_plugin_is_refused_with_its_reason_and_the_rest_load() {
    let dir = plugin_dir(&[
        "tern_plugin_twilio",
        "tern_plugin_http",
        "tern_testplugin_bad_magic",
        "tern_testplugin_abi_major",
        "tern_testplugin_small_table",
        "tern_testplugin_no_entry",
        "tern_testplugin_abort",
        "tern_testplugin_bad_manifest",
        "tern_testplugin_duplicate",
    ]);
    let report = plugins_json(dir.path());
    let names: Vec<&str> = report["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["http", "twilio"], "{report:#}");

    let cases = [
        ("tern_testplugin_bad_magic", "bad magic"),
        ("tern_testplugin_abi_major", "ABI major 2"),
        ("tern_testplugin_small_table", "smaller than the"),
        (
            "tern_testplugin_no_entry",
            "no `tern_plugin_entry_v1` symbol",
        ),
        ("tern_testplugin_abort", "panic = \"abort\""),
        ("tern_testplugin_bad_manifest", "invalid manifest"),
        (
            "tern_testplugin_duplicate",
            "named \"twilio\" is already loaded",
        ),
    ];
    for (crate_name, reason) in cases {
        let got = refusal_of(&report, crate_name);
        assert!(
            got.contains(reason),
            "{crate_name}: {got:?} lacks {reason:?}"
        );
    }
    assert_eq!(report["refused"].as_array().unwrap().len(), cases.len());
}

#[test]
fn a_library_that_is_not_a_shared_object_is_refused() {
    let dir = plugin_dir(&["tern_plugin_http"]);
    std::fs::write(dir.path().join(library_file("junk")), b"not an ELF file").unwrap();
    let report = plugins_json(dir.path());
    assert!(refusal_of(&report, "junk").contains("cannot be opened"));
    assert_eq!(report["plugins"].as_array().unwrap().len(), 1);
}

#[test]
fn each_refusal_is_one_log_line_naming_file_and_reason() {
    let dir = plugin_dir(&["tern_testplugin_bad_magic"]);
    let out = tern_tests::ternd_command()
        .args(["plugins", "--plugin-dir", dir.path().to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let log = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("refused plugin"))
        .collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert!(
        lines[0].contains(&library_file("tern_testplugin_bad_magic"))
            && lines[0].contains("bad magic")
    );
}

#[test]
fn a_missing_plugin_directory_is_a_clear_error() {
    let out = ternd_output(&["plugins", "--plugin-dir", "/nonexistent/tern-plugins"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("cannot read the plugin directory") && err.contains("--plugin-dir"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_plugin_gives_an_error_with_its_message_and_the_host_survives() {
    let dir = plugin_dir(&["tern_testplugin_panicky", "tern_plugin_http"]);
    let host = PluginHost::load_dir(dir.path(), Duration::from_secs(5)).unwrap();
    let panicky = host.get("panicky").expect("panicky loads").clone();
    for _ in 0..3 {
        let err = panicky
            .validate_config(Default::default())
            .await
            .expect_err("validate_config panics");
        match &err {
            PluginCallError::Call {
                source: CallError::Panicked(message),
                ..
            } => assert!(message.contains("panicked in validate_config"), "{message}"),
            other => panic!("expected a panic error, got {other:?}"),
        }
    }
    assert_eq!(panicky.faults(), 3);

    // The other plugin in the same process still works.
    let http = host.get("http").unwrap().clone();
    let report = http.validate_config(Default::default()).await.unwrap();
    assert!(
        !report.errors.is_empty(),
        "an empty config is not valid for http"
    );
    assert_eq!(http.faults(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_answers_a_plugin_panic_with_an_error_and_keeps_serving() {
    let setup = tern_tests::fixtures::Setup::new();
    let mut options = setup.options();
    options.plugin_dir = plugin_dir(&["tern_testplugin_panicky", "tern_plugin_twilio"]).keep();
    let daemon = tern_tests::daemon::Daemon::start(&options);
    let api = daemon.admin();
    for _ in 0..2 {
        let answer = api
            .post(
                "/v1/providers",
                json!({"name": "P", "plugin": "panicky", "config": {}}),
            )
            .await;
        assert_eq!(answer.status, 502, "{}", answer.text());
        let body = answer.json();
        assert_eq!(body["error"]["code"], "plugin_error");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("panicked in validate_config"),
            "{body}"
        );
    }
    let plugins = api.get("/v1/plugins").await.json();
    let panicky = plugins["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "panicky")
        .unwrap()
        .clone();
    assert_eq!(panicky["faults"], 2);
    assert_eq!(api.get("/healthz").await.status, 200);
    assert!(
        !daemon.log().contains("panicked at"),
        "the plugin's panic hook printed to stderr"
    );
    std::fs::remove_dir_all(&options.plugin_dir).unwrap();
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Arbitrary bytes as the input document of the real adapters' parsers, through the ABI:
    /// never a panic, always the bad-input status and a typed error.
    #[test]
    fn arbitrary_input_documents_give_bad_input_through_the_abi(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
    ) {
        use tern_plugin_api::abi::STATUS_BAD_INPUT;
        use tern_plugin_api::host::{Function, Library, decode_answer};
        use tern_plugin_api::{CallbackOutcome, SendOutcome};

        static LIBRARIES: std::sync::OnceLock<(tempfile::TempDir, Vec<Library>)> =
            std::sync::OnceLock::new();
        let (_, libraries) = LIBRARIES.get_or_init(|| {
            let dir = plugin_dir(ADAPTERS);
            let libraries = ADAPTERS
                .iter()
                .map(|name| Library::open(&dir.path().join(library_file(name))).unwrap())
                .collect();
            (dir, libraries)
        });
        // Noise that happens to be a valid (empty) document is decoded with defaults; skip it.
        proptest::prop_assume!(serde_json::from_slice::<Value>(&bytes).is_err());
        for library in libraries {
            let (status, output) = library.call_raw(Function::ParseCallback, &bytes);
            proptest::prop_assert_eq!(status, STATUS_BAD_INPUT);
            let err = decode_answer::<CallbackOutcome>(Function::ParseCallback, status, output)
                .unwrap_err();
            proptest::prop_assert!(matches!(err, CallError::BadInput(_)), "{err:?}");

            let (status, output) = library.call_raw(Function::ParseSendResponse, &bytes);
            proptest::prop_assert_eq!(status, STATUS_BAD_INPUT);
            let err = decode_answer::<SendOutcome>(Function::ParseSendResponse, status, output)
                .unwrap_err();
            proptest::prop_assert!(matches!(err, CallError::BadInput(_)), "{err:?}");
        }
    }
}
