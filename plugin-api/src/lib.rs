//! Tern's plugin ABI, version 1, and the SDK for writing provider adapters in Rust.
//!
//! A plugin is a shared library exporting one function, `tern_plugin_entry_v1`, that returns a
//! `'static` table of C functions ([`abi::PluginV1`]). Each function takes a borrowed UTF-8 JSON
//! document, writes a JSON answer through a host-provided [`abi::Sink`] and returns an `i32`
//! status. Plugins are *sans-IO*: they never open sockets or spawn threads. The daemon performs
//! every network exchange, which keeps TLS, timeouts, retries and secret handling in one place
//! and makes plugins deterministic functions over bytes.
//!
//! - [`abi`]: the C layout, checked at compile time. This is what third parties compile
//!   against; it only ever grows by appending.
//! - [`payload`]: the JSON documents, shared by host and plugins.
//! - [`sdk`]: the safe [`Provider`] trait and [`export_plugin!`], which hold all the unsafe
//!   code a plugin needs.
//! - `host` (feature `host`): loading a library and calling its table, used by `ternd`.
//!
//! `docs/plugin-abi.md` in the repository describes the ABI for authors in other languages;
//! `docs/writing-a-plugin.md` walks through a complete Rust plugin.

pub mod abi;
#[cfg(feature = "host")]
pub mod host;
pub mod payload;
pub mod sdk;

pub use payload::*;
pub use sdk::Provider;

/// Well-known [`ErrorReport::code`] values. The host maps some of them to HTTP statuses, so a
/// plugin should use these where they fit and its own codes elsewhere.
pub mod codes {
    /// The provider's data (an answer or a callback) could not be read. Callbacks: HTTP 400.
    pub const MALFORMED: &str = "malformed";
    /// A callback's signature is missing or wrong. Callbacks: HTTP 403.
    pub const SIGNATURE_INVALID: &str = "signature_invalid";
    /// The provider's configuration cannot be used for this call.
    pub const INVALID_CONFIG: &str = "invalid_config";
    /// The input document did not match the call (status `STATUS_BAD_INPUT`).
    pub const BAD_INPUT: &str = "bad_input";
    /// The call is not implemented (status `STATUS_UNSUPPORTED`).
    pub const UNSUPPORTED: &str = "unsupported";
    /// The plugin panicked (status `STATUS_PANIC`).
    pub const PANIC: &str = "panic";
    /// Anything else that went wrong inside the plugin.
    pub const INTERNAL: &str = "internal";
}

/// The error a [`Provider`] method returns; it crosses the ABI as an [`ErrorReport`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct PluginError {
    /// One of [`codes`], or the plugin's own.
    pub code: String,
    /// What went wrong. Never contains a secret value.
    pub message: String,
}

impl PluginError {
    /// An error with any code.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        PluginError {
            code: code.into(),
            message: message.into(),
        }
    }

    /// The provider's data could not be read ([`codes::MALFORMED`]).
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(codes::MALFORMED, message)
    }

    /// A callback's signature is missing or wrong ([`codes::SIGNATURE_INVALID`]).
    pub fn signature(message: impl Into<String>) -> Self {
        Self::new(codes::SIGNATURE_INVALID, message)
    }

    /// The configuration cannot be used ([`codes::INVALID_CONFIG`]).
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::new(codes::INVALID_CONFIG, message)
    }

    /// The call is not implemented ([`codes::UNSUPPORTED`]).
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(codes::UNSUPPORTED, message)
    }

    /// The report that crosses the ABI.
    pub fn into_report(self) -> ErrorReport {
        ErrorReport {
            code: self.code,
            message: self.message,
        }
    }
}

impl From<ErrorReport> for PluginError {
    fn from(report: ErrorReport) -> Self {
        PluginError::new(report.code, report.message)
    }
}
