//! The send request: Twilio's `CreateMessage` operation.
//!
//! `POST {base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json` with a form body and HTTP
//! basic auth (account SID as user, auth token as password), as Twilio's OpenAPI description
//! of the 2010-04-01 API specifies.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use tern_plugin_api::{Header, HttpRequest, PluginError, SendRequest, codes};

use crate::config::{self, ConfigError, Sender, Settings};
use crate::form;

/// Why no request could be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SendError {
    /// The provider's configuration cannot be used ([`codes::INVALID_CONFIG`]).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The host asked to send a message without a recipient. Twilio requires `To`, so this is
    /// a host bug rather than a provider refusal ([`codes::BAD_INPUT`]).
    #[error("the message has no recipient (`to` is empty)")]
    NoRecipient,
}

impl From<SendError> for PluginError {
    fn from(err: SendError) -> Self {
        match err {
            SendError::Config(err) => err.into(),
            SendError::NoRecipient => PluginError::new(codes::BAD_INPUT, err.to_string()),
        }
    }
}

/// Builds the HTTP request that creates the message on Twilio.
///
/// The form carries `To`, then `MessagingServiceSid` or `From` (the Messaging Service wins
/// when both are configured: Twilio then picks the sender from the service's pool, and link
/// shortening works), then `Body`, then `ShortenUrls=true` when the configuration turns link
/// shortening on (never otherwise: Twilio's default is off), then `StatusCallback` set to the
/// message's callback URL so that every message reports its delivery. `StatusCallback` is
/// left out only when the host gives no callback URL, since Twilio refuses an empty one.
pub(crate) fn build_send(request: &SendRequest) -> Result<HttpRequest, SendError> {
    let settings = config::settings(&request.config)?;
    let message = &request.message;
    if message.to.trim().is_empty() {
        return Err(SendError::NoRecipient);
    }

    let sender = match settings.sender {
        Sender::MessagingService(sid) => ("MessagingServiceSid", sid),
        Sender::From(from) => ("From", from),
    };
    let mut fields = vec![("To", message.to.as_str()), sender, ("Body", &message.body)];
    // `settings` allows shortening only with a Messaging Service; the check here keeps the
    // request within what Twilio accepts even if that rule ever moved.
    if settings.shorten_urls && matches!(settings.sender, Sender::MessagingService(_)) {
        fields.push(("ShortenUrls", "true"));
    }
    if !message.callback_url.is_empty() {
        fields.push(("StatusCallback", &message.callback_url));
    }

    Ok(HttpRequest {
        method: "POST".to_owned(),
        url: messages_url(&settings),
        headers: vec![
            Header::new("Authorization", basic_auth(&settings)),
            Header::new("Content-Type", "application/x-www-form-urlencoded"),
            Header::new("Accept", "application/json"),
        ],
        body: form::encode(fields),
    })
}

/// The Messages collection of the account. The SID is checked to be `AC` and hex digits, so
/// it needs no escaping in the path.
fn messages_url(settings: &Settings<'_>) -> String {
    format!(
        "{}/2010-04-01/Accounts/{}/Messages.json",
        settings.base_url, settings.account_sid
    )
}

/// `Basic base64(account_sid:auth_token)`, the scheme Twilio's API uses (RFC 7617).
fn basic_auth(settings: &Settings<'_>) -> String {
    let credentials = format!("{}:{}", settings.account_sid, settings.auth_token);
    format!("Basic {}", BASE64.encode(credentials))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tern_plugin_api::OutboundMessage;

    fn request(config: serde_json::Value, to: &str, callback_url: &str) -> SendRequest {
        SendRequest {
            config: config.as_object().cloned().unwrap_or_default(),
            message: OutboundMessage {
                id: "m1".into(),
                to: to.into(),
                body: "Hi".into(),
                callback_url: callback_url.into(),
            },
        }
    }

    const SID: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const MG: &str = "MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    #[test]
    fn omits_an_empty_status_callback() {
        let r = request(
            json!({"account_sid": SID, "auth_token": "t", "from": "+14155552345"}),
            "+14155550100",
            "",
        );
        let built = build_send(&r).unwrap();
        assert_eq!(built.body, "To=%2B14155550100&From=%2B14155552345&Body=Hi");
    }

    #[test]
    fn asks_for_shortening_only_when_on() {
        let mut config = json!({"account_sid": SID, "auth_token": "t",
                                "messaging_service_sid": MG, "shorten_urls": "false"});
        let off = build_send(&request(config.clone(), "+14155550100", "")).unwrap();
        assert_eq!(
            off.body,
            format!("To=%2B14155550100&MessagingServiceSid={MG}&Body=Hi")
        );
        config["shorten_urls"] = json!("TRUE");
        let on = build_send(&request(config, "+14155550100", "")).unwrap();
        assert_eq!(
            on.body,
            format!("To=%2B14155550100&MessagingServiceSid={MG}&Body=Hi&ShortenUrls=true")
        );
    }

    #[test]
    fn refuses_a_message_without_recipient() {
        let r = request(
            json!({"account_sid": SID, "auth_token": "t", "from": "+14155552345"}),
            " ",
            "https://cb.example/x",
        );
        let err = PluginError::from(build_send(&r).unwrap_err());
        assert_eq!(err.code, codes::BAD_INPUT);
    }
}
