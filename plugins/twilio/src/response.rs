//! Reading Twilio's answer to `CreateMessage`.
//!
//! A 2xx answer is the Message resource (`api.v2010.account.message` in Twilio's OpenAPI
//! description), whose `sid` names the message in later callbacks. Anything else is a refusal,
//! normally Twilio's error document: `{"code": 21211, "message": "…", "more_info": "…",
//! "status": 400}`. Proxies and gateways in between may answer with HTML or nothing at all,
//! which is read as a refusal too, never a crash.

use serde_json::Value;
use tern_plugin_api::{Config, PluginError, SendOutcome, SendResponseRequest};

use crate::config::AUTH_TOKEN;

/// The longest piece of a non-JSON body quoted in a refusal message.
const SNIPPET_CHARS: usize = 160;

/// The longest provider error message passed on, so a huge body cannot flood the host's
/// records.
const MESSAGE_CHARS: usize = 1000;

/// Why a 2xx answer could not be read. A refusal is not an error (it is
/// [`SendOutcome::Rejected`]); these are answers that claim success but cannot be trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ResponseError {
    /// 2xx with a body that is not JSON: the message may or may not exist, and there is no id
    /// to match callbacks with.
    #[error("Twilio answered HTTP {status} with a body that is not JSON")]
    NotJson {
        /// The HTTP status.
        status: u16,
    },
    /// 2xx JSON without a usable `sid`.
    #[error("Twilio answered HTTP {status} without a message sid")]
    NoSid {
        /// The HTTP status.
        status: u16,
    },
}

impl From<ResponseError> for PluginError {
    fn from(err: ResponseError) -> Self {
        PluginError::malformed(err.to_string())
    }
}

/// Turns Twilio's answer into an outcome.
///
/// - 2xx with a JSON `sid`: accepted, whatever the message's status (`queued`, `accepted`,
///   `scheduled`, …); delivery is reported later by callbacks.
/// - Any other status: rejected. `code` is Twilio's error code as text, or `http_<status>`
///   when the body has none; `message` is Twilio's message, or a description of the body.
///   Retryable for 429 and 5xx, the statuses where the same request may succeed later.
/// - 2xx that cannot be read: `malformed`. It is not marked as a refusal because Twilio may
///   well have accepted the message, and retrying could send it twice.
pub(crate) fn parse_send_response(
    request: &SendResponseRequest,
) -> Result<SendOutcome, ResponseError> {
    let response = &request.response;
    let status = response.status;
    let json = serde_json::from_str::<Value>(&response.body).ok();

    if (200..300).contains(&status) {
        let document = json.ok_or(ResponseError::NotJson { status })?;
        let sid = document
            .get("sid")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|sid| !sid.is_empty())
            .ok_or(ResponseError::NoSid { status })?;
        return Ok(SendOutcome::Accepted {
            provider_message_id: sid.to_owned(),
        });
    }

    let retryable = status == 429 || (500..600).contains(&status);
    let (code, message) = match json.as_ref().and_then(Value::as_object) {
        Some(error) => (
            error_code(error.get("code")).unwrap_or_else(|| format!("http_{status}")),
            error
                .get("message")
                .and_then(Value::as_str)
                .filter(|m| !m.trim().is_empty())
                .map(|m| truncate(&redact(m, &request.config), MESSAGE_CHARS))
                .unwrap_or_else(|| format!("Twilio answered HTTP {status} without a message")),
        ),
        None => (
            format!("http_{status}"),
            describe_body(
                status,
                response.header("content-type"),
                &redact(&response.body, &request.config),
            ),
        ),
    };
    // Redacted before truncating, so a cut can never leave part of the token behind.
    Ok(SendOutcome::Rejected {
        code,
        message,
        retryable,
    })
}

/// Twilio's `code` as text: a number (its usual form) or a string.
fn error_code(code: Option<&Value>) -> Option<String> {
    match code? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// A message for a body that is not JSON: the status, the content type and the start of the
/// text with whitespace collapsed, which is usually enough to recognise a proxy's error page.
fn describe_body(status: u16, content_type: Option<&str>, body: &str) -> String {
    let text = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let kind = content_type.map_or(String::new(), |t| format!(" ({})", t.trim()));
    if text.is_empty() {
        format!("Twilio answered HTTP {status} with an empty body{kind}")
    } else {
        format!(
            "Twilio answered HTTP {status} with a body that is not a JSON error document{kind}: {}",
            truncate(&text, SNIPPET_CHARS)
        )
    }
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Removes the auth token from text that came from the other side. Twilio never echoes it,
/// but a misbehaving gateway or mock might, and the host stores and shows refusal messages.
/// Very short tokens are left alone: replacing every occurrence of a few characters would
/// mangle the message without protecting anything real.
fn redact(text: &str, config: &Config) -> String {
    match config.get(AUTH_TOKEN).and_then(Value::as_str) {
        Some(token) if token.len() >= 8 && text.contains(token) => {
            text.replace(token, "[redacted]")
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_character_boundaries() {
        assert_eq!(truncate("ééé", 2), "éé…");
        assert_eq!(truncate("ab", 2), "ab");
    }

    #[test]
    fn redacts_an_echoed_token() {
        let mut config = Config::new();
        config.insert(AUTH_TOKEN.into(), "0123456789abcdef".into());
        assert_eq!(
            redact("bad token 0123456789abcdef", &config),
            "bad token [redacted]"
        );
    }

    #[test]
    fn codes_as_text() {
        assert_eq!(error_code(Some(&Value::from(21211))), Some("21211".into()));
        assert_eq!(error_code(Some(&Value::from(" E1 "))), Some("E1".into()));
        assert_eq!(error_code(Some(&Value::Null)), None);
        assert_eq!(error_code(None), None);
    }
}
