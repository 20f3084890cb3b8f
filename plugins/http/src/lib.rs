//! Tern provider adapter for generic HTTP SMS gateways.
//!
//! Most SMS gateways take a message as one HTTP request (a form or JSON POST, or a GET with
//! query parameters) and report deliveries with callbacks. Rather than one adapter per
//! gateway, this plugin is configured with templates: the URL, body and headers hold
//! placeholders (`{{to}}`, `{{from}}`, `{{body}}`, `{{message_id}}`, `{{callback_url}}`), each
//! escaped for where it lands. Callbacks are read in CleverTap's generic format, or through a
//! field mapping for other gateways, optionally verified with an HMAC-SHA256 signature.
//!
//! Like every Tern plugin it is sans-IO: each call is a pure function from the request the host
//! passes to the answer, with no network, threads or state.
//!
//! Modules, by concern:
//! - [`manifest`]: the plugin's fields and their help;
//! - [`config`]: reading and validating a provider's configuration;
//! - [`template`], [`escape`], [`url_template`], [`body`], [`headers`]: placeholders and how
//!   each place escapes them;
//! - [`send`], [`response`], [`statuses`], [`json`]: building the request and reading the answer;
//! - [`callback`], [`signature`]: reading and verifying callbacks.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod body;
pub mod callback;
pub mod config;
pub mod error;
pub mod escape;
pub mod headers;
pub mod json;
pub mod manifest;
pub mod response;
pub mod send;
pub mod signature;
pub mod statuses;
pub mod template;
pub mod url_template;

use tern_plugin_api::{
    CallbackOutcome, CallbackRequest, Config, ConfigReport, HttpRequest, Manifest, PluginError,
    Provider, SendOutcome, SendRequest, SendResponseRequest,
};

use config::GatewayConfig;

/// The generic HTTP gateway provider. It holds no state: the host passes each provider's
/// configuration with every call, so one instance serves them all.
#[derive(Debug, Default, Clone, Copy)]
pub struct HttpGateway;

impl Provider for HttpGateway {
    fn manifest(&self) -> Manifest {
        manifest::manifest()
    }

    fn validate_config(&self, config: &Config) -> ConfigReport {
        config::report(config)
    }

    fn build_send(&self, request: &SendRequest) -> Result<HttpRequest, PluginError> {
        let gateway = GatewayConfig::load(&request.config)?;
        Ok(send::build(&gateway.send, &request.message)?)
    }

    fn parse_send_response(
        &self,
        request: &SendResponseRequest,
    ) -> Result<SendOutcome, PluginError> {
        let gateway = GatewayConfig::load(&request.config)?;
        Ok(response::parse(
            &gateway.send,
            &gateway.secrets(),
            &request.message,
            &request.response,
        )?)
    }

    fn parse_callback(&self, request: &CallbackRequest) -> Result<CallbackOutcome, PluginError> {
        let gateway = GatewayConfig::load(&request.config)?;
        Ok(callback::parse(&gateway.callback, &request.request)?)
    }
}

tern_plugin_api::export_plugin!(HttpGateway);
