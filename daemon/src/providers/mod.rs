//! Provider lifecycle: create, edit, test, mark as default, archive and delete.
//!
//! The rules live here, between the admin API (which only translates HTTP) and the store
//! (which only keeps records): the plugin validates every config before it is stored, secret
//! fields are sealed before they reach the store and never leave this module in a view, and
//! every change is flushed to disk before the caller answers.

mod input;
mod opened;
mod view;

use std::sync::Arc;

use serde_json::{Map, Value};
use tern_plugin_api::payload::{Callbacks, Config, FieldError, OutboundMessage};

pub use input::parse_id;
pub use opened::Opened;
pub use view::{ProviderView, TestError, TestReport};

use input::{check_name, ids, merge};

use crate::clock::{now_ms, rfc3339};
use crate::http::HttpClient;
use crate::plugins::{Plugin, PluginCallError, PluginHost};
use crate::secrets::{self, SecretError, SecretKey};
use crate::store::{CallbackKinds, ProviderRecord, ProviderState, Store, StoreError};

impl From<Callbacks> for CallbackKinds {
    fn from(c: Callbacks) -> Self {
        CallbackKinds {
            delivery: c.delivery,
            clicks: c.clicks,
            replies: c.replies,
        }
    }
}

impl From<CallbackKinds> for Callbacks {
    fn from(c: CallbackKinds) -> Self {
        Callbacks {
            delivery: c.delivery,
            clicks: c.clicks,
            replies: c.replies,
        }
    }
}

/// Why a lifecycle operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// No provider has this id (or it was deleted).
    #[error("provider {0} does not exist")]
    NotFound(String),
    /// There is no default provider.
    #[error("no provider is marked as the default")]
    NoDefault,
    /// The named plugin is not loaded.
    #[error("no plugin named {0:?} is loaded; GET /v1/plugins lists the loaded plugins")]
    UnknownPlugin(String),
    /// The plugin refused the configuration.
    #[error("the configuration is not valid for plugin {plugin}; see `fields`")]
    InvalidConfig {
        /// The plugin that refused it.
        plugin: String,
        /// One entry per problem.
        fields: Vec<FieldError>,
    },
    /// The request itself is malformed (a name, a phone number).
    #[error("{field}: {message}")]
    Invalid {
        /// The request field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Another provider has this name.
    #[error("a provider named {0:?} already exists; choose another name")]
    NameTaken(String),
    /// The provider is archived, so it cannot be changed or used.
    #[error(
        "provider {0} is archived; archived providers cannot be edited, tested, used or made the default"
    )]
    Archived(String),
    /// The provider is archived already; archiving cannot be undone.
    #[error("provider {0} is already archived")]
    AlreadyArchived(String),
    /// A plugin call failed.
    #[error(transparent)]
    Plugin(#[from] PluginCallError),
    /// A stored secret cannot be opened.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl ProviderError {
    fn from_store(id: u64, err: StoreError) -> Self {
        match err {
            StoreError::NotFound { .. } => ProviderError::NotFound(id.to_string()),
            StoreError::Archived { .. } => ProviderError::Archived(id.to_string()),
            StoreError::AlreadyArchived { .. } => ProviderError::AlreadyArchived(id.to_string()),
            StoreError::NameTaken { name } => ProviderError::NameTaken(name),
            other => ProviderError::Store(other),
        }
    }
}

/// What a test send uses: a stored provider (optionally with unsaved changes) or a
/// configuration for a provider that does not exist yet.
///
/// No `Debug`: it carries candidate credentials in the clear.
pub enum TestTarget {
    /// A stored provider, with candidate fields merged over its config. Nothing is saved.
    Stored {
        /// Provider id.
        id: String,
        /// Unsaved changes, merged like a PATCH.
        candidate: Option<Config>,
    },
    /// No provider yet.
    Candidate {
        /// Plugin name.
        plugin: String,
        /// The whole config.
        config: Config,
    },
}

/// The text of a test message when the admin gives none.
pub const DEFAULT_TEST_BODY: &str = "This is a test message from Tern.";

/// The lifecycle service. Cheap to clone.
#[derive(Clone)]
pub struct Providers {
    store: Store,
    plugins: Arc<PluginHost>,
    key: Arc<SecretKey>,
    client: HttpClient,
    public_url: Arc<str>,
    opened: Arc<opened::OpenedCache>,
}

impl Providers {
    /// The service over the daemon's store, plugins, key and client. `public_url` is the base
    /// of callback URLs.
    pub fn new(
        store: Store,
        plugins: Arc<PluginHost>,
        key: Arc<SecretKey>,
        client: HttpClient,
        public_url: &str,
    ) -> Self {
        Providers {
            store,
            plugins,
            key,
            client,
            public_url: public_url.into(),
            opened: Arc::default(),
        }
    }

    /// Registers a provider after its plugin accepts the config.
    pub async fn create(
        &self,
        name: &str,
        plugin: &str,
        config: Config,
    ) -> Result<ProviderView, ProviderError> {
        let name = check_name(name)?;
        let plugin = self.plugin(plugin)?;
        // As in an edit, a null field is an absent one.
        let config = merge(Config::new(), config);
        let callbacks = self.validate(&plugin, &config).await?;
        let id = self.store.next_id().map_err(ProviderError::Store)?;
        let now = now_ms();
        let (plain, sealed) = self.split(&plugin, config);
        let record = ProviderRecord {
            id,
            name,
            plugin: plugin.manifest().name.clone(),
            config: plain,
            secrets: sealed,
            callbacks: callbacks.into(),
            state: ProviderState::Active,
            callback_token: secrets::generate_token(),
            created_at: now,
            updated_at: now,
            archived_at: None,
        };
        self.store
            .insert_provider(&record)
            .map_err(|err| ProviderError::from_store(id, err))?;
        self.flush().await?;
        tracing::info!(provider = id, plugin = %record.plugin, "provider created");
        self.view(&record)
    }

    /// Every provider, optionally only those in `state`, in id order.
    pub fn list(&self, state: Option<ProviderState>) -> Result<Vec<ProviderView>, ProviderError> {
        let default = self
            .store
            .default_provider()
            .map_err(ProviderError::Store)?;
        self.store
            .providers()
            .map_err(ProviderError::Store)?
            .iter()
            .filter(|r| state.is_none_or(|s| r.state == s))
            .map(|r| Ok(self.view_with(r, default)))
            .collect()
    }

    /// One provider.
    pub fn get(&self, id: &str) -> Result<ProviderView, ProviderError> {
        self.view(&self.record(id)?)
    }

    /// The default provider.
    pub fn default_provider(&self) -> Result<ProviderView, ProviderError> {
        let id = self
            .store
            .default_provider()
            .map_err(ProviderError::Store)?
            .ok_or(ProviderError::NoDefault)?;
        self.get(&id.to_string())
    }

    /// Edits a provider: a new name and/or config fields merged over the stored ones (a
    /// field set to null is removed; an omitted secret keeps its stored value). The plugin
    /// validates the merged config before anything is stored.
    pub async fn update(
        &self,
        id: &str,
        name: Option<&str>,
        patch: Option<Config>,
    ) -> Result<ProviderView, ProviderError> {
        let mut record = self.record(id)?;
        if record.state == ProviderState::Archived {
            return Err(ProviderError::Archived(id.to_owned()));
        }
        if let Some(name) = name {
            record.name = check_name(name)?;
        }
        if let Some(patch) = patch {
            let plugin = self.plugin(&record.plugin)?;
            let config = merge(self.open_config_except(&record, &patch)?, patch);
            record.callbacks = self.validate(&plugin, &config).await?.into();
            (record.config, record.secrets) = self.split(&plugin, config);
        }
        record.updated_at = now_ms();
        self.store
            .update_provider(&record)
            .map_err(|err| ProviderError::from_store(record.id, err))?;
        self.opened.forget(record.id);
        self.flush().await?;
        tracing::info!(provider = record.id, "provider updated");
        self.view(&record)
    }

    /// Sends one test message to `to` and reports what the provider said. Nothing is saved
    /// and nothing is counted.
    pub async fn test(
        &self,
        target: TestTarget,
        to: &str,
        body: Option<&str>,
    ) -> Result<TestReport, ProviderError> {
        if !crate::messages::is_e164(to) {
            return Err(ProviderError::Invalid {
                field: "to",
                message: format!("{to:?} is not an E.164 number such as +14155550100"),
            });
        }
        if let Some(problem) = body.and_then(crate::messages::body_problem) {
            return Err(ProviderError::Invalid {
                field: "body",
                message: problem,
            });
        }
        let (plugin, config) = match target {
            TestTarget::Stored { id, candidate } => {
                let record = self.record(&id)?;
                if record.state == ProviderState::Archived {
                    return Err(ProviderError::Archived(id));
                }
                let config = match candidate {
                    Some(patch) => merge(self.open_config_except(&record, &patch)?, patch),
                    None => self.open_config(&record)?,
                };
                (self.plugin(&record.plugin)?, config)
            }
            TestTarget::Candidate { plugin, config } => (self.plugin(&plugin)?, config),
        };
        self.validate(&plugin, &config).await?;
        let message = OutboundMessage {
            id: format!("test-{}", &secrets::generate_token()[..16]),
            to: to.to_owned(),
            body: body.unwrap_or(DEFAULT_TEST_BODY).to_owned(),
            // No status callbacks for test messages: they are never counted.
            callback_url: String::new(),
        };
        Ok(self.send_test(&plugin, config, message).await)
    }

    async fn send_test(
        &self,
        plugin: &Arc<Plugin>,
        config: Config,
        message: OutboundMessage,
    ) -> TestReport {
        let exchange = crate::messages::exchange(&self.client, plugin, config, message).await;
        let (ok, provider_message_id, error) = match exchange.outcome {
            Ok(id) => (true, Some(id), None),
            Err(failure) => (false, None, Some(TestError::from(failure))),
        };
        TestReport {
            ok,
            provider_message_id,
            http_status: exchange.http_status,
            latency_ms: exchange.latency.map(|l| l.as_millis() as u64),
            error,
        }
    }

    /// Makes `id` the default provider; the previous default loses it in the same write.
    pub async fn set_default(&self, id: &str) -> Result<ProviderView, ProviderError> {
        let record = self.record(id)?;
        self.store
            .set_default(record.id)
            .map_err(|err| ProviderError::from_store(record.id, err))?;
        self.flush().await?;
        tracing::info!(provider = record.id, "provider marked as default");
        self.get(id)
    }

    /// Archives `id` for good: stops its active campaigns and journeys, clears the default if
    /// it was, keeps its stats. Returns the provider and the stopped campaign ids.
    pub async fn archive(&self, id: &str) -> Result<(ProviderView, Vec<String>), ProviderError> {
        let numeric = parse_id(id).ok_or_else(|| ProviderError::NotFound(id.to_owned()))?;
        let (record, stopped) = self
            .store
            .archive_provider(numeric, now_ms())
            .map_err(|err| ProviderError::from_store(numeric, err))?;
        self.opened.forget(numeric);
        self.flush().await?;
        tracing::info!(
            provider = numeric,
            stopped = stopped.len(),
            "provider archived"
        );
        Ok((self.view(&record)?, ids(&stopped)))
    }

    /// Deletes `id` and all its data: stops its campaigns and journeys now; its counters and
    /// message records are purged in the background. Returns the stopped campaign ids.
    pub async fn delete(&self, id: &str) -> Result<Vec<String>, ProviderError> {
        let numeric = parse_id(id).ok_or_else(|| ProviderError::NotFound(id.to_owned()))?;
        let stopped = self
            .store
            .delete_provider(numeric)
            .map_err(|err| ProviderError::from_store(numeric, err))?;
        self.opened.forget(numeric);
        self.flush().await?;
        tracing::info!(
            provider = numeric,
            stopped = stopped.len(),
            "provider deleted"
        );
        Ok(ids(&stopped))
    }

    /// The stored record for an API id.
    pub fn record(&self, id: &str) -> Result<ProviderRecord, ProviderError> {
        let not_found = || ProviderError::NotFound(id.to_owned());
        let numeric = parse_id(id).ok_or_else(not_found)?;
        self.store
            .provider(numeric)
            .map_err(ProviderError::Store)?
            .ok_or_else(not_found)
    }

    /// The full config of a record, secrets opened: what plugins are given.
    pub fn open_config(&self, record: &ProviderRecord) -> Result<Config, ProviderError> {
        self.open_config_except(record, &Config::new())
    }

    /// The config of a record with its secrets opened, except those `patch` replaces: an
    /// admin who lost the key file can still re-enter the credentials, since a secret about to
    /// be overwritten is never decrypted.
    fn open_config_except(
        &self,
        record: &ProviderRecord,
        patch: &Config,
    ) -> Result<Config, ProviderError> {
        let mut config = record.config.clone();
        for (field, sealed) in &record.secrets {
            if patch.contains_key(field) {
                continue;
            }
            let plain = self.key.open(field, sealed)?;
            config.insert(field.clone(), Value::String(plain));
        }
        Ok(config)
    }

    /// The callback URL of a record.
    pub fn callback_url(&self, record: &ProviderRecord) -> String {
        format!(
            "{}/callbacks/{}/{}",
            self.public_url, record.id, record.callback_token
        )
    }

    /// The loaded plugin named `name`.
    pub fn plugin(&self, name: &str) -> Result<Arc<Plugin>, ProviderError> {
        self.plugins
            .get(name)
            .cloned()
            .ok_or_else(|| ProviderError::UnknownPlugin(name.to_owned()))
    }

    async fn validate(
        &self,
        plugin: &Arc<Plugin>,
        config: &Config,
    ) -> Result<Callbacks, ProviderError> {
        let report = plugin.validate_config(config.clone()).await?;
        if report.errors.is_empty() {
            Ok(report.callbacks)
        } else {
            Err(ProviderError::InvalidConfig {
                plugin: plugin.manifest().name.clone(),
                fields: report.errors,
            })
        }
    }

    /// Splits a config into its plain fields and its sealed secret fields.
    fn split(
        &self,
        plugin: &Plugin,
        config: Config,
    ) -> (
        Map<String, Value>,
        std::collections::BTreeMap<String, Vec<u8>>,
    ) {
        let mut plain = Map::new();
        let mut sealed = std::collections::BTreeMap::new();
        for (field, value) in config {
            if plugin.is_secret(&field) {
                let text = match &value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                // An empty secret is an unset one: `secrets_set` must not claim a credential.
                if !text.is_empty() {
                    sealed.insert(field.clone(), self.key.seal(&field, &text));
                }
            } else {
                plain.insert(field, value);
            }
        }
        (plain, sealed)
    }

    fn view(&self, record: &ProviderRecord) -> Result<ProviderView, ProviderError> {
        let default = self
            .store
            .default_provider()
            .map_err(ProviderError::Store)?;
        Ok(self.view_with(record, default))
    }

    fn view_with(&self, record: &ProviderRecord, default: Option<u64>) -> ProviderView {
        ProviderView {
            id: record.id.to_string(),
            name: record.name.clone(),
            plugin: record.plugin.clone(),
            state: match record.state {
                ProviderState::Active => "active",
                ProviderState::Archived => "archived",
            },
            default: default == Some(record.id),
            config: record.config.clone(),
            secrets_set: record.secrets.keys().cloned().collect(),
            callback_url: self.callback_url(record),
            callbacks: record.callbacks.into(),
            created_at: rfc3339(record.created_at),
            updated_at: rfc3339(record.updated_at),
            archived_at: record.archived_at.map(rfc3339),
        }
    }

    async fn flush(&self) -> Result<(), ProviderError> {
        self.store.flush().await.map_err(ProviderError::Store)
    }
}
