//! `parse_callback`: verify the signature if one is configured, read the events in the chosen
//! format, and tell the host what to answer the gateway.

pub mod clevertap;
pub mod mapped;

use tern_plugin_api::{CallbackOutcome, Callbacks, Header, HttpRequest, HttpResponse};

use crate::error::Error;
use crate::signature::SignatureCheck;
use mapped::Mapping;

/// How callbacks are read (`callback_format`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackFormat {
    /// CleverTap's generic JSON event array: delivery, click and reply events.
    CleverTap,
    /// A gateway-specific format read through a field mapping: delivery events only.
    Mapped(Mapping),
}

impl CallbackFormat {
    /// The callback kinds this format can produce; the host computes delivery rate and CTR
    /// differently when a provider has no delivery callbacks.
    pub fn callbacks(&self) -> Callbacks {
        match self {
            CallbackFormat::CleverTap => Callbacks {
                delivery: true,
                clicks: true,
                replies: true,
            },
            CallbackFormat::Mapped(_) => Callbacks {
                delivery: true,
                clicks: false,
                replies: false,
            },
        }
    }
}

/// Everything `parse_callback` needs from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackConfig {
    /// How to read the events.
    pub format: CallbackFormat,
    /// The signature to require, if a secret is configured.
    pub signature: Option<SignatureCheck>,
    /// The body of the acknowledgement; empty for none.
    pub reply: String,
}

/// Verifies and reads one callback. The signature is checked before the body is looked at,
/// so unauthenticated input is never parsed.
pub fn parse(config: &CallbackConfig, request: &HttpRequest) -> Result<CallbackOutcome, Error> {
    if let Some(check) = &config.signature {
        check.verify(request)?;
    }
    let events = match &config.format {
        CallbackFormat::CleverTap => clevertap::parse(&request.body)?,
        CallbackFormat::Mapped(mapping) => mapping.parse(request)?,
    };
    Ok(CallbackOutcome {
        events,
        reply: reply(&config.reply),
    })
}

/// The acknowledgement: status 200 with the configured text. It is labelled JSON when it is a
/// JSON object or array (some gateways want `{"status":"ok"}`), plain text otherwise, and
/// carries no Content-Type when empty.
pub fn reply(text: &str) -> HttpResponse {
    let headers = if text.is_empty() {
        Vec::new()
    } else if serde_json::from_str::<serde_json::Value>(text)
        .is_ok_and(|v| v.is_object() || v.is_array())
    {
        vec![Header::new("Content-Type", "application/json")]
    } else {
        vec![Header::new("Content-Type", "text/plain; charset=utf-8")]
    };
    HttpResponse {
        status: 200,
        headers,
        body: text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies() {
        assert_eq!(reply(""), HttpResponse::default());
        assert_eq!(
            reply("OK").header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(
            reply(r#"{"status":"ok"}"#).header("content-type"),
            Some("application/json")
        );
        assert_eq!(
            reply("42").header("content-type"),
            Some("text/plain; charset=utf-8")
        );
    }
}
