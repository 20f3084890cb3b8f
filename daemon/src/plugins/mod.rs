//! The plugin host: finds the provider adapters in the plugin directory, refuses the ones it
//! cannot trust, and calls the rest off the async workers under a time limit.
//!
//! The raw ABI (opening a library, checking its table, moving bytes through the sink) lives in
//! `tern_plugin_api::host`, so this module holds policy only: which files, which names, how
//! long a call may take, and how faults are counted.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

mod pool;
mod report;

use pool::{CallPool, PoolError};
pub use report::{HostReport, LoadedReport};
use tern_plugin_api::abi::ABI_MAJOR;
use tern_plugin_api::host::{CallError, Library};
use tern_plugin_api::payload::{
    CallbackOutcome, CallbackRequest, Config, ConfigReport, FieldKind, HttpRequest, Manifest,
    SendOutcome, SendRequest, SendResponseRequest, ValidateRequest,
};

/// Why the plugin directory itself could not be used. Refusing a single plugin is not an
/// error: it is logged and recorded in [`PluginHost::refused`].
#[derive(Debug, thiserror::Error)]
pub enum PluginDirError {
    /// The directory cannot be listed.
    #[error(
        "cannot read the plugin directory {path}: {source}; set --plugin-dir to the directory that holds the plugin .so files"
    )]
    Read {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// Why one call into a plugin failed. The plugin stays loaded and usable.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PluginCallError {
    /// The plugin answered with an error, panicked or broke the ABI for this call.
    #[error("plugin {plugin}: {function}: {source}")]
    Call {
        /// Plugin name.
        plugin: String,
        /// The table function.
        function: &'static str,
        /// What went wrong.
        source: CallError,
    },
    /// The call ran past the time limit and was abandoned.
    #[error("plugin {plugin}: {function} did not answer within {limit:?}")]
    TimedOut {
        /// Plugin name.
        plugin: String,
        /// The table function.
        function: &'static str,
        /// The limit.
        limit: Duration,
    },
    /// No plugin thread took the call within the time limit (all were busy, the host is
    /// stopping, or stuck calls hold every thread the host allows). Not this plugin's fault.
    #[error("plugin {plugin}: {function} could not run: {reason}")]
    Unavailable {
        /// Plugin name.
        plugin: String,
        /// The table function.
        function: &'static str,
        /// Why.
        reason: String,
    },
}

/// A plugin that passed every load check.
pub struct Plugin {
    manifest: Manifest,
    file: PathBuf,
    library: Library,
    call_timeout: Duration,
    faults: AtomicU64,
    /// The threads every call runs on, shared by all plugins of the host.
    pool: Arc<CallPool>,
}

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.manifest.name)
            .field("file", &self.file)
            .finish()
    }
}

/// A library the host refused, with the reason it logged.
#[derive(Debug, Clone, Serialize)]
pub struct Refusal {
    /// The library file.
    pub file: PathBuf,
    /// Why, in words that say what to fix.
    pub reason: String,
}

/// Every plugin found at start-up, loaded or refused. Built once; plugins are never unloaded.
#[derive(Debug)]
pub struct PluginHost {
    dir: PathBuf,
    pool: Arc<CallPool>,
    loaded: BTreeMap<String, Arc<Plugin>>,
    refused: Vec<Refusal>,
}

impl PluginHost {
    /// Loads every shared library in `dir`, in file-name order, so that which of two plugins
    /// with the same name wins does not depend on the file system.
    ///
    /// Each refusal is logged once, as a warning naming the file and the reason, and loading
    /// goes on with the next file. `call_timeout` bounds every later call into a plugin.
    pub fn load_dir(dir: &Path, call_timeout: Duration) -> Result<PluginHost, PluginDirError> {
        let read_err = |source| PluginDirError::Read {
            path: dir.to_path_buf(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read_err)? {
            let path = entry.map_err(read_err)?.path();
            if path.extension() == Some(OsStr::new(std::env::consts::DLL_EXTENSION))
                && path.is_file()
            {
                files.push(path);
            }
        }
        files.sort();

        let mut host = PluginHost {
            dir: dir.to_path_buf(),
            pool: Arc::new(CallPool::per_core()),
            loaded: BTreeMap::new(),
            refused: Vec::new(),
        };
        for file in files {
            match host.load_one(&file, call_timeout) {
                Ok(plugin) => {
                    tracing::info!(
                        plugin = %plugin.manifest.name,
                        version = %plugin.manifest.version,
                        file = %file.display(),
                        "loaded plugin"
                    );
                    host.loaded
                        .insert(plugin.manifest.name.clone(), Arc::new(plugin));
                }
                Err(reason) => {
                    tracing::warn!("refused plugin {}: {reason}", file.display());
                    host.refused.push(Refusal { file, reason });
                }
            }
        }
        Ok(host)
    }

    fn load_one(&self, file: &Path, call_timeout: Duration) -> Result<Plugin, String> {
        let library = Library::open(file).map_err(|err| err.to_string())?;
        let manifest = call_with_deadline(call_timeout, move || library.manifest())
            .ok_or_else(|| format!("its manifest call did not answer within {call_timeout:?}"))?
            .map_err(|err| format!("its manifest call failed: {err}"))?;
        check_manifest(&manifest, library.abi_major())
            .map_err(|problem| format!("invalid manifest: {problem}"))?;
        if let Some(existing) = self.loaded.get(&manifest.name) {
            return Err(format!(
                "a plugin named {:?} is already loaded from {}; plugin names must be unique",
                manifest.name,
                existing.file.display()
            ));
        }
        Ok(Plugin {
            manifest,
            file: file.to_path_buf(),
            library,
            call_timeout,
            faults: AtomicU64::new(0),
            pool: self.pool.clone(),
        })
    }

    /// The directory the plugins were loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The plugin named `name`, if it is loaded.
    pub fn get(&self, name: &str) -> Option<&Arc<Plugin>> {
        self.loaded.get(name)
    }

    /// The loaded plugins, in name order.
    pub fn plugins(&self) -> impl Iterator<Item = &Arc<Plugin>> {
        self.loaded.values()
    }

    /// The libraries that were refused, in file order.
    pub fn refused(&self) -> &[Refusal] {
        &self.refused
    }
}

impl Plugin {
    /// The manifest the plugin gave at load time.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The library file it was loaded from.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// How many calls have failed by panicking, timing out or breaking the ABI since start-up.
    /// Ordinary error answers (a malformed callback, a refused config) are not faults.
    pub fn faults(&self) -> u64 {
        self.faults.load(Ordering::Relaxed)
    }

    /// Whether `field` is a secret of this plugin's config (encrypted at rest, never shown).
    pub fn is_secret(&self, field: &str) -> bool {
        self.manifest
            .config
            .iter()
            .any(|f| f.secret && f.name == field)
    }

    /// Checks a configuration.
    pub async fn validate_config(
        self: &Arc<Self>,
        config: Config,
    ) -> Result<ConfigReport, PluginCallError> {
        let secrets = self.secret_values(&config);
        let request = ValidateRequest { config };
        let mut report = self
            .run("validate_config", &secrets, move |lib| {
                lib.validate_config(&request)
            })
            .await?;
        for error in &mut report.errors {
            scrub(&mut error.message, &secrets);
        }
        Ok(report)
    }

    /// Builds the HTTP request that sends a message.
    pub async fn build_send(
        self: &Arc<Self>,
        request: SendRequest,
    ) -> Result<HttpRequest, PluginCallError> {
        let secrets = self.secret_values(&request.config);
        self.run("build_send", &secrets, move |lib| lib.build_send(&request))
            .await
    }

    /// Reads a provider's answer to a send. A refusal's message is scrubbed of the config's
    /// secrets, since it is shown to admins and callers.
    pub async fn parse_send_response(
        self: &Arc<Self>,
        request: SendResponseRequest,
    ) -> Result<SendOutcome, PluginCallError> {
        let secrets = self.secret_values(&request.config);
        let mut outcome = self
            .run("parse_send_response", &secrets, move |lib| {
                lib.parse_send_response(&request)
            })
            .await?;
        if let SendOutcome::Rejected { message, .. } = &mut outcome {
            scrub(message, &secrets);
        }
        Ok(outcome)
    }

    /// Verifies and reads a provider's callback.
    pub async fn parse_callback(
        self: &Arc<Self>,
        request: CallbackRequest,
    ) -> Result<CallbackOutcome, PluginCallError> {
        let secrets = self.secret_values(&request.config);
        self.run("parse_callback", &secrets, move |lib| {
            lib.parse_callback(&request)
        })
        .await
    }

    /// The values of the secret fields in `config`, to scrub from whatever text the plugin
    /// produces: plugins are third-party code, and their words reach answers and logs.
    fn secret_values(&self, config: &Config) -> Vec<String> {
        self.manifest
            .config
            .iter()
            .filter(|field| field.secret)
            .filter_map(|field| config.get(&field.name)?.as_str())
            // Very short values would mangle every message without protecting anything.
            .filter(|value| value.len() >= 4)
            .map(str::to_owned)
            .collect()
    }

    /// Runs one call on the plugin threads under the time limit, so a slow or stuck plugin
    /// never holds an async worker. A call that times out keeps its thread until it returns
    /// (the pool starts another in its place); the caller gets its error at once.
    async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        function: &'static str,
        secrets: &[String],
        call: impl FnOnce(Library) -> Result<T, CallError> + Send + 'static,
    ) -> Result<T, PluginCallError> {
        let library = self.library;
        let plugin = || self.manifest.name.clone();
        let result = match self
            .pool
            .run(self.call_timeout, move || call(library))
            .await
        {
            Ok(result) => result.map_err(|mut source| {
                scrub_error(&mut source, secrets);
                PluginCallError::Call {
                    plugin: plugin(),
                    function,
                    source,
                }
            }),
            // The closure itself cannot panic: the SDK catches plugin panics and the host
            // side only decodes JSON. Reported as the plugin's all the same.
            Err(PoolError::Panicked(text)) => Err(PluginCallError::Call {
                plugin: plugin(),
                function,
                source: CallError::Panicked(text),
            }),
            Err(PoolError::TimedOut(limit)) => Err(PluginCallError::TimedOut {
                plugin: plugin(),
                function,
                limit,
            }),
            Err(err @ (PoolError::Busy { .. } | PoolError::Unavailable(_))) => {
                Err(PluginCallError::Unavailable {
                    plugin: plugin(),
                    function,
                    reason: err.to_string(),
                })
            }
        };
        if let Err(err) = &result {
            if is_fault(err) {
                self.faults.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("{err}");
            }
        }
        result
    }
}

/// Replaces every secret value in `text` with `[redacted]`.
fn scrub(text: &mut String, secrets: &[String]) {
    for secret in secrets {
        if text.contains(secret.as_str()) {
            *text = text.replace(secret.as_str(), "[redacted]");
        }
    }
}

/// Scrubs the plugin-written text of a call error.
fn scrub_error(err: &mut CallError, secrets: &[String]) {
    match err {
        CallError::Failed(report) => scrub(&mut report.message, secrets),
        CallError::Panicked(text) | CallError::BadInput(text) | CallError::InvalidOutput(text) => {
            scrub(text, secrets)
        }
        CallError::Unsupported(_) | CallError::UnknownStatus(_) => {}
    }
}

/// A fault is the plugin misbehaving, as opposed to answering "no" on purpose.
fn is_fault(err: &PluginCallError) -> bool {
    match err {
        PluginCallError::TimedOut { .. } => true,
        PluginCallError::Call { source, .. } => {
            !matches!(source, CallError::Failed(_) | CallError::Unsupported(_))
        }
        PluginCallError::Unavailable { .. } => false,
    }
}

/// Runs `f` on its own thread and waits at most `limit` for it. Used at load time, before a
/// runtime exists; a plugin that hangs in `manifest` is refused and its thread left behind.
fn call_with_deadline<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("plugin-load".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .ok()?;
    rx.recv_timeout(limit).ok()
}

/// The rules a manifest must follow before its plugin is accepted.
pub fn check_manifest(manifest: &Manifest, table_major: u16) -> Result<(), String> {
    let name = &manifest.name;
    let name_ok = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !name_ok {
        return Err(format!(
            "name {name:?} must be 1 to 64 characters of lowercase letters, digits, '-' and '_', starting with a letter"
        ));
    }
    if manifest.version.trim().is_empty() {
        return Err("version is empty".into());
    }
    if manifest.abi.major != table_major || manifest.abi.major != ABI_MAJOR {
        return Err(format!(
            "it declares ABI {} but its table says major {table_major}",
            manifest.abi
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for field in &manifest.config {
        if field.name.trim().is_empty() {
            return Err("a config field has an empty name".into());
        }
        if !seen.insert(field.name.as_str()) {
            return Err(format!("config field {:?} is declared twice", field.name));
        }
        if field.kind == FieldKind::Select && field.options.is_empty() {
            return Err(format!("select field {:?} lists no options", field.name));
        }
    }
    Ok(())
}
