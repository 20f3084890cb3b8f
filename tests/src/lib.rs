//! The harness shared by the end-to-end tests: it builds the real `ternd` binary and the real
//! plugin libraries from the current source, and lays out plugin directories for a test.
//!
//! `cargo test` builds no `cdylib` artifacts, so without this step a test could load a stale
//! `.so` from an earlier build. Every test binary therefore runs one `cargo build` of exactly
//! what it loads (cheap when nothing changed) before its first test uses an artifact.

pub mod daemon;
pub mod fixtures;
pub mod http;
pub mod rng;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives one level below the workspace root")
}

/// Where cargo puts this profile's artifacts (`target/debug`, or under `CARGO_TARGET_DIR`).
pub fn artifact_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        workspace_root().join(target)
    };
    target.join("debug")
}

/// The shipped adapters and the test plugins, by package name.
const PACKAGES: &[&str] = &[
    "tern-daemon",
    "tern-plugin-twilio",
    "tern-plugin-http",
    "tern-testplugin-bad-magic",
    "tern-testplugin-abi-major",
    "tern-testplugin-small-table",
    "tern-testplugin-no-entry",
    "tern-testplugin-bad-manifest",
    "tern-testplugin-duplicate",
    "tern-testplugin-panicky",
    "tern-testplugin-faulty",
];

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(workspace_root());
    cmd
}

fn run(mut cmd: Command) {
    let status = cmd.status().expect("cargo runs");
    assert!(status.success(), "{cmd:?} failed with {status}");
}

/// Builds `ternd`, both adapters and every test plugin from the current source, once per test
/// binary. The `abort` test plugin is built with `-C panic=abort`, which is what it is for.
pub fn build() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut cmd = cargo();
        cmd.arg("build");
        for p in PACKAGES {
            cmd.args(["-p", p]);
        }
        run(cmd);
        let mut cmd = cargo();
        cmd.args([
            "rustc",
            "-p",
            "tern-testplugin-abort",
            "--lib",
            "--",
            "-C",
            "panic=abort",
        ]);
        run(cmd);
    });
}

/// The freshly built `ternd` binary.
pub fn ternd() -> PathBuf {
    build();
    artifact_dir().join(format!("ternd{}", std::env::consts::EXE_SUFFIX))
}

/// The file name cargo gives the library of `crate_name` (`tern_plugin_twilio` ->
/// `libtern_plugin_twilio.so` on Linux).
pub fn library_file(crate_name: &str) -> String {
    format!(
        "{}{crate_name}{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    )
}

/// A temporary plugin directory holding copies of the named libraries (crate names, such as
/// `tern_plugin_twilio`), freshly built. Copies, so that a later build cannot change what a
/// running test loads.
pub fn plugin_dir(crates: &[&str]) -> tempfile::TempDir {
    build();
    let dir = tempfile::tempdir().expect("temporary directory");
    for name in crates {
        let file = library_file(name);
        std::fs::copy(artifact_dir().join(&file), dir.path().join(&file))
            .unwrap_or_else(|err| panic!("copy {file}: {err}"));
    }
    dir
}

/// Runs `ternd ARGS` to completion and returns its output.
pub fn ternd_output(args: &[&str]) -> std::process::Output {
    ternd_command().args(args).output().expect("ternd runs")
}

/// A `Command` for the freshly built `ternd`, for tests that set their own environment.
pub fn ternd_command() -> Command {
    let mut cmd = Command::new(ternd());
    cmd.env_remove("RUST_LOG");
    cmd
}
