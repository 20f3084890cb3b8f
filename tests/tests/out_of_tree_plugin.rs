//! A third party can write a plugin: the complete example in `docs/writing-a-plugin.md` is
//! built out of tree, in a temporary directory, depending only on `tern-plugin-api` by path,
//! then loaded by the real `ternd` and called through the real host.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tern_daemon::plugins::PluginHost;
use tern_plugin_api::payload::{OutboundMessage, SendRequest};
use tern_tests::{library_file, ternd_output, workspace_root};

/// The fenced block that follows `<!-- file: NAME -->` in the guide.
fn block(guide: &str, name: &str) -> String {
    let marker = format!("<!-- file: {name} -->");
    let start = guide
        .find(&marker)
        .unwrap_or_else(|| panic!("the guide has no {marker}"));
    let rest = &guide[start + marker.len()..];
    let open = rest.find("```").expect("a fenced block follows the marker");
    let body_start = open + rest[open..].find('\n').unwrap() + 1;
    let close = rest[body_start..]
        .find("\n```")
        .expect("the block is closed");
    rest[body_start..body_start + close + 1].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guide_example_builds_out_of_tree_loads_and_works() {
    let root = workspace_root();
    let guide = std::fs::read_to_string(root.join("docs/writing-a-plugin.md")).unwrap();
    let crate_dir = tempfile::tempdir().unwrap();
    let api_path = root.join("plugin-api");
    let manifest =
        block(&guide, "Cargo.toml").replace("../tern/plugin-api", api_path.to_str().unwrap());
    assert!(
        manifest.contains(api_path.to_str().unwrap()),
        "the guide depends on tern-plugin-api by path"
    );
    std::fs::create_dir_all(crate_dir.path().join("src")).unwrap();
    std::fs::write(crate_dir.path().join("Cargo.toml"), manifest).unwrap();
    std::fs::write(
        crate_dir.path().join("src/lib.rs"),
        block(&guide, "src/lib.rs"),
    )
    .unwrap();
    // The workspace's lock file pins the same dependency versions, so the build needs no
    // registry access beyond what the workspace build already fetched.
    std::fs::copy(root.join("Cargo.lock"), crate_dir.path().join("Cargo.lock")).unwrap();

    // Its own target directory under the workspace's, so repeated runs are incremental.
    let target = tern_tests::artifact_dir()
        .parent()
        .unwrap()
        .join("out-of-tree");
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .arg("build")
        .arg("--offline")
        .current_dir(crate_dir.path())
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .unwrap();
    assert!(status.success(), "the guide's example does not build");

    let plugin_dir = tempfile::tempdir().unwrap();
    let file = library_file("hello_gateway");
    std::fs::copy(
        target.join("debug").join(&file),
        plugin_dir.path().join(&file),
    )
    .unwrap();

    let out = ternd_output(&[
        "plugins",
        "--json",
        "--plugin-dir",
        plugin_dir.path().to_str().unwrap(),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["refused"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["plugins"][0]["name"], "hello-gateway");

    call_it(plugin_dir.path()).await;
}

async fn call_it(dir: &Path) {
    let host = PluginHost::load_dir(dir, Duration::from_secs(5)).unwrap();
    let plugin = host.get("hello-gateway").unwrap().clone();
    let config: tern_plugin_api::Config = serde_json::from_value(serde_json::json!({
        "url": "https://gateway.example/v1/sms",
        "api_key": "k-123",
    }))
    .unwrap();
    assert!(
        plugin
            .validate_config(config.clone())
            .await
            .unwrap()
            .errors
            .is_empty()
    );
    let request = plugin
        .build_send(SendRequest {
            config,
            message: OutboundMessage {
                id: "42".into(),
                to: "+14155550100".into(),
                body: "say \"hi\"".into(),
                callback_url: String::new(),
            },
        })
        .await
        .unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, "https://gateway.example/v1/sms");
    assert_eq!(request.header("authorization"), Some("Bearer k-123"));
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(body["text"], "say \"hi\"");
    assert!(plugin.is_secret("api_key"));
}
