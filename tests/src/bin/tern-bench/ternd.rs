//! Starting and stopping the ternd under test, and working on its store while it is stopped.

use std::path::Path;
use std::time::{Duration, Instant};

use tern_daemon::store::Store;
use tern_tests::daemon::{Daemon, Options};

/// How ternd runs in every phase.
pub fn options(data: &Path, plugins: &Path) -> Options {
    Options {
        data_dir: data.to_path_buf(),
        plugin_dir: plugins.to_path_buf(),
        args: Vec::new(),
        // Warnings only, except the two lines that say where the listeners are.
        env: vec![("RUST_LOG".into(), "warn,tern_daemon::server=info".into())],
    }
}

/// Starts ternd and waits until `/healthz` answers; returns it and the time that took.
pub async fn start(ternd: &Path, options: &Options) -> (Daemon, Duration) {
    let began = Instant::now();
    let daemon = {
        let (ternd, options) = (ternd.to_path_buf(), options.clone());
        tokio::task::spawn_blocking(move || Daemon::start_binary(&ternd, &options))
            .await
            .expect("ternd starts")
    };
    let health = tern_tests::http::Api::new(&daemon.admin_url, None);
    loop {
        if health.get("/healthz").await.status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    (daemon, began.elapsed())
}

/// Stops ternd and checks that it stopped cleanly.
pub async fn stop(daemon: Daemon) {
    let (status, log) = tokio::task::spawn_blocking(move || daemon.stop())
        .await
        .unwrap();
    assert!(status.success(), "ternd stopped with {status}:\n{log}");
}

/// Runs `f` on the store of a stopped daemon, and flushes it.
pub async fn with_store<T: Send + 'static>(
    data: &Path,
    f: impl FnOnce(&Store) -> T + Send + 'static,
) -> T {
    let data = data.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let store = Store::open(&data).expect("store opens");
        let out = f(&store);
        store.flush_blocking().expect("store flushed");
        out
    })
    .await
    .unwrap()
}
