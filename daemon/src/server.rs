//! The daemon as a whole: opens the data directory, loads the plugins, and serves the admin
//! API and the callback listener until the shutdown signal, then drains and flushes.
//!
//! It takes bound listeners and a shutdown future instead of reading addresses and signals
//! itself, so tests can run it on port 0 and stop it when they like; `main` supplies the real
//! ones. This is the one place shutdown is wired through.

use std::future::Future;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::admin::{AdminApi, Services, TokenError, TokenSource, load_or_create_token};
use crate::backup::Backups;
use crate::callbacks::CallbackApi;
use crate::campaigns::Campaigns;
use crate::config::Config;
use crate::http::{HttpClient, ServerLimits, serve};
use crate::ledger::Ledger;
use crate::messages::{Inflight, Messages};
use crate::plugins::{PluginDirError, PluginHost};
use crate::providers::Providers;
use crate::secrets::{SecretError, SecretKey};
use crate::stats::StatsService;
use crate::store::{Store, StoreError};

/// Most connections each listener serves at once.
const MAX_CONNECTIONS: usize = 1024;

/// Keys removed per purge step: small enough that a purge never holds up other writes.
const PURGE_STEP_KEYS: usize = 1000;

/// Why the daemon could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The data directory cannot be created.
    #[error(
        "cannot create the data directory {path}: {source}; create it or choose another with --data-dir"
    )]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The store cannot be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The secret key cannot be loaded.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The admin token cannot be set up.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The plugin directory cannot be read.
    #[error(transparent)]
    Plugins(#[from] PluginDirError),
    /// The writer thread cannot be started.
    #[error("cannot start the writer thread: {0}")]
    Writer(std::io::Error),
    /// The listeners' addresses cannot be read.
    #[error("cannot read a listener's address: {0}")]
    Listener(std::io::Error),
}

/// The two bound listeners.
pub struct Listeners {
    /// The admin API.
    pub admin: TcpListener,
    /// The callback listener.
    pub callback: TcpListener,
}

/// Runs the daemon until `shutdown` completes, then stops accepting, lets requests in flight
/// finish within the grace period, and flushes the store.
pub async fn run(
    config: Config,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), DaemonError> {
    create_data_dir(&config)?;
    let store = Store::open(&config.data_dir)?;
    let key = Arc::new(SecretKey::load_or_create(&config.data_dir)?);
    let (token, source) = load_or_create_token(config.admin_token.as_deref(), &config.data_dir)?;
    match &source {
        TokenSource::Configured => tracing::info!("admin token taken from the configuration"),
        TokenSource::File(path) => tracing::info!("admin token read from {}", path.display()),
        TokenSource::Generated(path) => {
            tracing::info!("admin token generated into {}", path.display())
        }
    }
    let plugins = Arc::new(PluginHost::load_dir(
        &config.plugin_dir,
        config.plugin_timeout,
    )?);
    tracing::info!(
        loaded = plugins.plugins().count(),
        refused = plugins.refused().len(),
        "plugins loaded from {}",
        plugins.dir().display()
    );

    let admin_addr = listeners
        .admin
        .local_addr()
        .map_err(DaemonError::Listener)?;
    let callback_addr = listeners
        .callback
        .local_addr()
        .map_err(DaemonError::Listener)?;
    let public_url = config.public_url.clone().unwrap_or_else(|| {
        if callback_addr.ip().is_unspecified() {
            tracing::warn!(
                "the callback listener is on {callback_addr} but no public URL is set, so \
                 providers are told to call http://{callback_addr}, which they cannot reach; \
                 set --public-url to the address providers use"
            );
        }
        format!("http://{callback_addr}")
    });

    let client = HttpClient::new(config.provider_timeout);
    let (ledger, writer) = Ledger::start(store.clone()).map_err(DaemonError::Writer)?;
    let providers = Providers::new(
        store.clone(),
        plugins.clone(),
        key,
        client.clone(),
        &public_url,
    );
    let inflight = Arc::new(Inflight::default());
    let services = Services {
        providers: providers.clone(),
        campaigns: Campaigns::new(store.clone()),
        messages: Messages::new(
            store.clone(),
            providers.clone(),
            client,
            ledger.clone(),
            config.calendar.clone(),
            inflight.clone(),
        ),
        stats: StatsService::new(store.clone(), providers.clone(), config.calendar.clone()),
        backups: Backups::new(store.clone(), config.data_dir.clone()),
    };
    let admin = Arc::new(AdminApi::new(token, plugins.clone(), services));
    // A send lasts at most two plugin calls and one provider request.
    let settle = config.provider_timeout + 2 * config.plugin_timeout;
    let callbacks = Arc::new(CallbackApi::new(
        providers,
        ledger,
        config.calendar.clone(),
        &public_url,
        inflight,
        settle,
    ));

    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: no new connections, finishing requests in flight");
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };

    let limits = ServerLimits {
        header_timeout: config.header_timeout,
        max_body_bytes: config.max_body_bytes,
        max_connections: MAX_CONNECTIONS,
        body_timeout: config.body_timeout,
        shutdown_grace: config.shutdown_grace,
    };
    tracing::info!("admin API listening on http://{admin_addr}");
    tracing::info!("callback listener on http://{callback_addr}, public URL {public_url}");
    let purge = tokio::spawn(purge_loop(store.clone(), stopped(stop_rx.clone())));
    let retention = Duration::from_secs(u64::from(config.retention_days) * 86_400);
    let prune = tokio::spawn(prune_loop(
        store.clone(),
        retention,
        stopped(stop_rx.clone()),
    ));
    tokio::join!(
        serve(listeners.admin, admin, limits, stopped(stop_rx.clone())),
        serve(
            listeners.callback,
            callbacks,
            limits,
            stopped(stop_rx.clone())
        ),
    );
    let _ = tokio::join!(purge, prune);
    // The writer is not joined: a connection cut off after the grace period may still hold a
    // handle to it. Everything it acknowledged is already flushed, and nothing it has not
    // acknowledged may be relied on, so exiting under it loses nothing.
    drop(writer);
    store.flush().await?;
    tracing::info!("store flushed; stopped");
    Ok(())
}

fn create_data_dir(config: &Config) -> Result<(), DaemonError> {
    let dir = &config.data_dir;
    let err = |source| DaemonError::DataDir {
        path: dir.clone(),
        source,
    };
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(err)?;
        // Only the daemon's user may look inside: it holds the key and the token.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(err)?;
    }
    Ok(())
}

/// Removes deleted providers' data in bounded steps, resuming what an earlier run left.
async fn purge_loop(store: Store, stop: impl Future<Output = ()>) {
    let mut stop = std::pin::pin!(stop);
    loop {
        let step = {
            let store = store.clone();
            tokio::task::spawn_blocking(move || store.purge_step(PURGE_STEP_KEYS)).await
        };
        let more = match step {
            Ok(Ok(more)) => more,
            Ok(Err(err)) => {
                tracing::warn!("purging deleted providers' data failed, will retry: {err}");
                false
            }
            Err(_) => return,
        };
        let pause = if more {
            Duration::from_millis(10)
        } else {
            Duration::from_secs(2)
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = &mut stop => return,
        }
    }
}

/// Messages scanned per prune step.
const PRUNE_STEP_MESSAGES: usize = 100;

/// Removes message records older than the retention period: a full pass every hour, in
/// bounded steps, so the dedup table stays bounded and no step holds up the writer for long.
async fn prune_loop(store: Store, retention: Duration, stop: impl Future<Output = ()>) {
    let mut stop = std::pin::pin!(stop);
    let mut cursor = None;
    let mut removed = 0;
    loop {
        let before = crate::clock::now_ms() - retention.as_millis() as i64;
        let step = {
            let store = store.clone();
            let from = cursor.take();
            tokio::task::spawn_blocking(move || {
                store.prune_messages(before, from, PRUNE_STEP_MESSAGES)
            })
            .await
        };
        let pause = match step {
            Ok(Ok((n, next))) => {
                removed += n;
                cursor = next;
                if cursor.is_some() {
                    Duration::from_millis(10)
                } else {
                    if removed > 0 {
                        tracing::info!(removed, "pruned message records past the retention period");
                    }
                    removed = 0;
                    Duration::from_secs(3600)
                }
            }
            Ok(Err(err)) => {
                tracing::warn!("pruning old message records failed, will retry: {err}");
                Duration::from_secs(60)
            }
            Err(_) => return,
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = &mut stop => return,
        }
    }
}
