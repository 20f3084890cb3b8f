//! One provider exchange, the heart of every send: the plugin builds the request, the
//! daemon's client performs it, the plugin reads the answer.

use std::sync::Arc;
use std::time::Duration;

use tern_plugin_api::payload::{
    Config, OutboundMessage, SendOutcome, SendRequest, SendResponseRequest,
};

use crate::http::{ClientError, HttpClient};
use crate::plugins::Plugin;

/// Why one provider exchange did not end with an accepted message.
#[derive(Debug, Clone)]
pub enum Failure {
    /// The provider refused the message.
    Rejected {
        /// The provider's code.
        code: String,
        /// The provider's words, scrubbed of secrets.
        message: String,
        /// Whether a retry may succeed.
        retryable: bool,
    },
    /// The provider could not be reached or did not answer in time.
    Unavailable(String),
    /// The plugin failed to build the request or read the answer.
    Plugin(String),
}

/// One provider exchange: what came of it, and the provider's status and latency when it
/// answered.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The provider's message id, or why there is none.
    pub outcome: Result<String, Failure>,
    /// The provider's HTTP status, when it answered.
    pub http_status: Option<u16>,
    /// The round trip to the provider, when it answered.
    pub latency: Option<Duration>,
}

/// Builds, sends and reads one provider exchange: the plugin builds the request, the daemon's
/// client performs it, the plugin reads the answer. Shared by real and test sends, so a test
/// SMS goes exactly the way a campaign's would.
pub async fn exchange(
    client: &HttpClient,
    plugin: &Arc<Plugin>,
    config: Config,
    message: OutboundMessage,
) -> Exchange {
    let failed = |failure, http_status, latency| Exchange {
        outcome: Err(failure),
        http_status,
        latency,
    };
    let request = SendRequest {
        config: config.clone(),
        message: message.clone(),
    };
    let http_request = match plugin.build_send(request).await {
        Ok(r) => r,
        Err(err) => return failed(Failure::Plugin(err.to_string()), None, None),
    };
    let (response, latency) = match client.send(&http_request).await {
        Ok(answer) => answer,
        Err(err @ ClientError::Invalid(_)) => {
            return failed(Failure::Plugin(err.to_string()), None, None);
        }
        Err(err) => return failed(Failure::Unavailable(err.to_string()), None, None),
    };
    let status = Some(response.status);
    let request = SendResponseRequest {
        config,
        message,
        response,
    };
    let outcome = match plugin.parse_send_response(request).await {
        Ok(SendOutcome::Accepted {
            provider_message_id,
        }) if !provider_message_id.is_empty() => Ok(provider_message_id),
        Ok(SendOutcome::Accepted { .. }) => Err(Failure::Plugin(
            "the plugin accepted the message without a provider message id".into(),
        )),
        Ok(SendOutcome::Rejected {
            code,
            message,
            retryable,
        }) => Err(Failure::Rejected {
            code,
            message,
            retryable,
        }),
        Err(err) => Err(Failure::Plugin(err.to_string())),
    };
    Exchange {
        outcome,
        http_status: status,
        latency: Some(latency),
    }
}
