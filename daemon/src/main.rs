//! The `ternd` binary: parses the command line, sets up logging and runs the subcommand.
//! Wiring only; the work is in the library modules.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use std::net::SocketAddr;

use anyhow::Context;
use clap::Parser;
use tern_daemon::config::{Cli, Command, Config, EXIT_CONFIG};
use tern_daemon::plugins::PluginHost;
use tern_daemon::server::{self, Listeners};
use tokio::net::TcpListener;

/// mimalloc instead of glibc's malloc: allocation and freeing were a tenth to a fifth of
/// ternd's CPU on the send and callback paths (request buffers, JSON, sled's copy-on-write
/// nodes), and mimalloc cut the CPU per callback by about a seventh in interleaved runs
/// (`docs/benchmarks.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Before the daemon allocates much: 2 MiB pages under mimalloc's arenas would multiply
    // idle memory on hosts where transparent huge pages are "always". Only an optimisation,
    // so a kernel that refuses is ignored.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let usage = err.use_stderr();
            let _ = err.print();
            return if usage {
                ExitCode::from(EXIT_CONFIG)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let command = cli.command.clone().unwrap_or(Command::Serve);
    // `ternd plugins` prints every refusal in its report, so it logs only errors.
    init_logging(match command {
        Command::Plugins { .. } => "error",
        Command::Serve | Command::Restore { .. } => "info",
    });
    let config = match Config::resolve(&cli.settings) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("ternd: {err}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let result = match command {
        Command::Plugins { json } => list_plugins(&config, json),
        Command::Serve => serve(config),
        Command::Restore { input } => restore(&config, &input),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("ternd: {}", describe(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, skipping a cause whose text the message already includes (our
/// typed errors spell out their cause so that they read well on their own).
fn describe(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

/// Logs go to stderr, filtered by `RUST_LOG` (default `default_level`), so stdout stays clean
/// for `ternd plugins --json`.
fn init_logging(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// `ternd plugins [--json]`.
fn list_plugins(config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let host = PluginHost::load_dir(&config.plugin_dir, config.plugin_timeout)?;
    let report = host.report();
    let text = if json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        report.to_string()
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        // A reader that stops early (`ternd plugins | head`) is not an error.
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

/// `ternd restore --in FILE`.
fn restore(config: &Config, input: &Path) -> anyhow::Result<ExitCode> {
    let reader: Box<dyn Read> = if input == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        let file = File::open(input)
            .with_context(|| format!("cannot open the snapshot {}", input.display()))?;
        Box::new(file)
    };
    let dir = &config.data_dir;
    let summary = tern_daemon::store::restore(dir, BufReader::new(reader))?;
    println!(
        "restored {} entries ({} bytes) into {}",
        summary.entries,
        summary.bytes,
        dir.display()
    );
    // The directory was empty, so it has no key yet: say what the snapshot cannot carry.
    println!(
        "next: copy secret.key from the installation the snapshot came from into {} (mode \
         0600) before starting ternd; without it the stored credentials cannot be decrypted",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `ternd serve`: binds both listeners, then runs the daemon until SIGTERM or SIGINT.
fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(async move {
        let admin = bind(config.admin_listen, "--admin-listen").await?;
        let callback = bind(config.callback_listen, "--callback-listen").await?;
        server::run(config, Listeners { admin, callback }, shutdown_signal()).await?;
        Ok(ExitCode::SUCCESS)
    });
    // A backup copy or a purge step may still hold a blocking thread (plugin calls run on
    // their own threads, which the process exit ends); the store is flushed, so do not wait
    // long for them.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    result
}

async fn bind(addr: SocketAddr, flag: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} ({flag}); is another process using it?"))
}

/// Completes on the first SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(err) => {
            tracing::error!("cannot watch for SIGTERM ({err}); stop ternd with SIGINT");
            std::future::pending::<()>().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
