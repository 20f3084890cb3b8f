//! The plugin's typed errors and how each crosses the ABI.
//!
//! Internally every failure is a variant of [`Error`], so the code paths stay explicit; at the
//! boundary each maps to a [`PluginError`] with a well-known code where one fits, because the
//! host turns some codes into HTTP statuses (400 for malformed callbacks, 403 for bad
//! signatures).

use tern_plugin_api::{PluginError, codes};

/// The code for a message that cannot be put into the configured request, for example a value
/// with a line break bound for a header. The host treats it like any plugin error; the code
/// tells an operator the message, not the provider, is at fault.
pub const INVALID_MESSAGE: &str = "invalid_message";

/// Everything that can go wrong in a call. Messages never contain a secret value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The stored configuration does not pass validation (the host validates on save, so this
    /// points at a config written around the API).
    #[error("the configuration is invalid: {0}")]
    InvalidConfig(String),
    /// A placeholder value cannot be put into a header without changing the request's shape.
    #[error(
        "the value of {{{{{placeholder}}}}} cannot be sent in header {header}: it contains a line break or control character"
    )]
    UnsafeHeaderValue {
        /// The header the value was bound for.
        header: String,
        /// The placeholder's name.
        placeholder: &'static str,
    },
    /// The gateway's answer or callback could not be read.
    #[error("{0}")]
    Malformed(String),
    /// A callback's signature is missing or wrong.
    #[error("{0}")]
    Signature(String),
}

impl From<Error> for PluginError {
    fn from(err: Error) -> Self {
        let code = match &err {
            Error::InvalidConfig(_) => codes::INVALID_CONFIG,
            Error::UnsafeHeaderValue { .. } => INVALID_MESSAGE,
            Error::Malformed(_) => codes::MALFORMED,
            Error::Signature(_) => codes::SIGNATURE_INVALID,
        };
        PluginError::new(code, err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_api() {
        let e: PluginError = Error::Malformed("x".into()).into();
        assert_eq!(e.code, codes::MALFORMED);
        let e: PluginError = Error::Signature("x".into()).into();
        assert_eq!(e.code, codes::SIGNATURE_INVALID);
        let e: PluginError = Error::InvalidConfig("url: missing".into()).into();
        assert_eq!(e.code, codes::INVALID_CONFIG);
        let e: PluginError = Error::UnsafeHeaderValue {
            header: "X-Text".into(),
            placeholder: "body",
        }
        .into();
        assert_eq!(e.code, INVALID_MESSAGE);
        assert_eq!(
            e.message,
            "the value of {{body}} cannot be sent in header X-Text: it contains a line break or control character"
        );
    }
}
