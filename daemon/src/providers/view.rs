//! How providers and test sends look in the API: never a secret value, only which secrets
//! are set.

use serde::Serialize;
use serde_json::{Map, Value};
use tern_plugin_api::payload::Callbacks;

use crate::messages::Failure;

/// A provider as the API shows it: never a secret value, only which secrets are set.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderView {
    /// Id.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Plugin name.
    pub plugin: String,
    /// `active` or `archived`.
    pub state: &'static str,
    /// Whether it is the default provider.
    pub default: bool,
    /// The non-secret config fields.
    pub config: Map<String, Value>,
    /// Names of the secret fields that hold a value.
    pub secrets_set: Vec<String>,
    /// Where the provider must send callbacks.
    pub callback_url: String,
    /// The callbacks this config enables, as the plugin reports them.
    pub callbacks: Callbacks,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// RFC 3339, or null while active.
    pub archived_at: Option<String>,
}

/// The result of a test send: always an answer, because a refused test is information.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    /// Whether the provider accepted the message.
    pub ok: bool,
    /// The provider's message id, when accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_message_id: Option<String>,
    /// The provider's HTTP status, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Round trip to the provider, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Why it was not accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<TestError>,
}

/// Why a test send was not accepted.
#[derive(Debug, Clone, Serialize)]
pub struct TestError {
    /// `provider_rejected`, `provider_unavailable` or `plugin_error`.
    pub code: &'static str,
    /// The provider's or plugin's words (never a secret).
    pub message: String,
    /// Whether trying again later may work.
    pub retryable: bool,
    /// The provider's own error code, when it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_code: Option<String>,
}

impl From<Failure> for TestError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Rejected {
                code,
                message,
                retryable,
            } => TestError {
                code: "provider_rejected",
                message,
                retryable,
                provider_code: Some(code),
            },
            Failure::Unavailable(message) => TestError {
                code: "provider_unavailable",
                message,
                retryable: true,
                provider_code: None,
            },
            Failure::Plugin(message) => TestError {
                code: "plugin_error",
                message,
                retryable: false,
                provider_code: None,
            },
        }
    }
}
