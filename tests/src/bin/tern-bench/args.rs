//! The command line.

use std::path::{Path, PathBuf};

/// What the command line chose.
pub struct Args {
    /// The ternd binary.
    pub ternd: PathBuf,
    /// The directory of the plugin libraries.
    pub plugin_dir: PathBuf,
    /// Message records in the store for the start-up figure.
    pub records: usize,
    /// Length of each timed load phase, in seconds.
    pub secs: u64,
}

/// Reads the command line; prints the usage and exits on a mistake.
pub fn parse_args() -> Args {
    let root = tern_tests::workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        root.join(target)
    };
    let mut ternd = target
        .join("release")
        .join(format!("ternd{}", std::env::consts::EXE_SUFFIX));
    let mut plugin_dir = None;
    let mut records = 1_000_000;
    let mut secs = 10;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--ternd" => ternd = PathBuf::from(value()),
            "--plugin-dir" => plugin_dir = Some(PathBuf::from(value())),
            "--records" => records = value().parse().unwrap_or_else(|_| usage("--records N")),
            "--secs" => secs = value().parse().unwrap_or_else(|_| usage("--secs S")),
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if !(1..=20).contains(&secs) {
        usage("--secs must be between 1 and 20");
    }
    let plugin_dir = plugin_dir.unwrap_or_else(|| {
        ternd
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    });
    if !ternd.is_file() {
        usage(&format!(
            "no ternd at {}; run `cargo build --release` first",
            ternd.display()
        ));
    }
    Args {
        ternd,
        plugin_dir,
        records,
        secs,
    }
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("tern-bench: {problem}");
    }
    eprintln!(
        "usage: tern-bench [--ternd PATH] [--plugin-dir DIR] [--records N] [--secs S]\n\
         build first: cargo build --release"
    );
    std::process::exit(if problem.is_empty() { 0 } else { 64 })
}
