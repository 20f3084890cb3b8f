//! `parse_send_response`: did the gateway take the message, and under which id?

use serde_json::Value;
use tern_plugin_api::{HttpResponse, OutboundMessage, SendOutcome};

use crate::config::SendConfig;
use crate::error::Error;
use crate::json::scalar_text;

/// How much of a gateway's answer goes into a rejection or error message: enough to read the
/// gateway's own explanation, short enough for a log line and the message record.
pub const EXCERPT_CHARS: usize = 200;

/// Reads the gateway's answer.
///
/// - A status outside `accepted_statuses` rejects the message with code `http_<status>` and
///   an excerpt of the body; 429 and 5xx are retryable.
/// - An accepted status without `message_id_pointer` accepts the message under Tern's own id.
/// - An accepted status with a pointer needs a JSON body with a string or number there;
///   anything else is malformed, since the message may have been sent but cannot be tracked.
///
/// `secrets` are scrubbed from any excerpt, in case a gateway echoes a credential back.
pub fn parse(
    config: &SendConfig,
    secrets: &[&str],
    message: &OutboundMessage,
    response: &HttpResponse,
) -> Result<SendOutcome, Error> {
    let status = response.status;
    if !config.accepted.contains(status) {
        let text = excerpt(&response.body, secrets);
        return Ok(SendOutcome::Rejected {
            code: format!("http_{status}"),
            message: if text.is_empty() {
                format!("the gateway answered HTTP {status} with an empty body")
            } else {
                text
            },
            retryable: status == 429 || (500..=599).contains(&status),
        });
    }
    let Some(pointer) = &config.message_id_pointer else {
        return Ok(SendOutcome::Accepted {
            provider_message_id: message.id.clone(),
        });
    };
    let doc: Value = serde_json::from_str(&response.body).map_err(|_| {
        Error::Malformed(format!(
            "the gateway answered HTTP {status} but its body is not JSON: {}",
            excerpt(&response.body, secrets)
        ))
    })?;
    match doc.pointer(pointer).and_then(scalar_text) {
        Some(id) => Ok(SendOutcome::Accepted {
            provider_message_id: id,
        }),
        None => Err(Error::Malformed(format!(
            "the gateway's answer has no message id at {pointer}: {}",
            excerpt(&response.body, secrets)
        ))),
    }
}

/// A one-line excerpt: secrets replaced, control characters and runs of whitespace turned
/// into single spaces, cut to [`EXCERPT_CHARS`] characters (never inside a character) with
/// `…` when cut. Secrets are replaced before cutting so no part of one can survive.
pub fn excerpt(body: &str, secrets: &[&str]) -> String {
    let mut text = body.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        text = text.replace(secret, "[redacted]");
    }
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts() {
        assert_eq!(excerpt("  a\n\n b\t\u{1}c ", &[]), "a b c");
        assert_eq!(
            excerpt("bad key abc123!", &["abc123", ""]),
            "bad key [redacted]!"
        );
        let long = "é".repeat(300);
        let cut = excerpt(&long, &[]);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(
            excerpt(&"x".repeat(EXCERPT_CHARS), &[]).len(),
            EXCERPT_CHARS
        );
    }
}
