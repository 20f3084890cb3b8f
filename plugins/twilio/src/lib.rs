#![deny(unsafe_code)]
//! Tern provider adapter for Twilio's Programmable Messaging API (`2010-04-01`).
//!
//! The adapter is *sans-IO*, like every Tern plugin: it turns a message into the HTTP request
//! that creates it on Twilio, reads Twilio's answer, and verifies and reads the callbacks Twilio
//! posts back. The daemon performs every network exchange, so each function here is a
//! deterministic function over text that is easy to test.
//!
//! - `manifest`: what the plugin is and which configuration it takes.
//! - `config` and `checks`: a provider's configuration and the format rules it must meet.
//! - `send` and `response`: the `CreateMessage` request and its answer.
//! - [`signature`]: `X-Twilio-Signature` and `bodySHA256` verification.
//! - `callback` and `events`: status, inbound-message and link-click callbacks.
//! - `form` and `url`: the small parsers the above share.
//!
//! Only [`Twilio`] and [`signature`] are public: the first is the plugin, the second lets tests
//! and tools sign callbacks the way Twilio does, so they need not reimplement the scheme.

mod callback;
mod checks;
mod config;
mod events;
mod form;
mod manifest;
mod response;
mod send;
pub mod signature;
mod url;

use tern_plugin_api::{
    CallbackOutcome, CallbackRequest, Config, ConfigReport, HttpRequest, Manifest, PluginError,
    Provider, SendOutcome, SendRequest, SendResponseRequest,
};

/// The Twilio provider adapter.
///
/// It holds no state: one instance serves every provider configured with the `twilio` plugin,
/// because each call carries that provider's configuration. That is why it is a unit struct
/// that the SDK can create with [`Default`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Twilio;

impl Provider for Twilio {
    fn manifest(&self) -> Manifest {
        manifest::manifest()
    }

    fn validate_config(&self, config: &Config) -> ConfigReport {
        config::report(config)
    }

    fn build_send(&self, request: &SendRequest) -> Result<HttpRequest, PluginError> {
        send::build_send(request).map_err(PluginError::from)
    }

    fn parse_send_response(
        &self,
        request: &SendResponseRequest,
    ) -> Result<SendOutcome, PluginError> {
        response::parse_send_response(request).map_err(PluginError::from)
    }

    fn parse_callback(&self, request: &CallbackRequest) -> Result<CallbackOutcome, PluginError> {
        callback::parse_callback(request).map_err(PluginError::from)
    }
}

tern_plugin_api::export_plugin!(Twilio);
