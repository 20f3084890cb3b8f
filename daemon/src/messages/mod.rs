//! The send path: choose the provider, let its plugin build the request, send it through the
//! daemon's client, let the plugin read the answer, and record the outcome durably before
//! answering.

use std::sync::Arc;

mod exchange;
mod inflight;

use serde::Serialize;
use tern_plugin_api::payload::OutboundMessage;

pub use exchange::{Exchange, Failure, exchange};
pub use inflight::Inflight;

use crate::clock::{Calendar, now_ms, rfc3339};
use crate::http::HttpClient;
use crate::ledger::{Entry, Ledger, LedgerError};
use crate::providers::{Opened, ProviderError, Providers, parse_id};
use crate::store::{CampaignState, EventKind, MessageRecord, ProviderState, Store, StoreError};

/// The longest body accepted, in characters: ten concatenated SMS segments, the common
/// provider limit.
pub const MAX_BODY_CHARS: usize = 1600;

/// Whether `to` is an E.164 number: `+`, a non-zero digit, then up to 14 more digits.
pub fn is_e164(to: &str) -> bool {
    let Some(digits) = to.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// What a caller asks to send.
#[derive(Debug, Clone)]
pub struct SendInput {
    /// Recipient, E.164.
    pub to: String,
    /// Text.
    pub body: String,
    /// The campaign it belongs to; its provider is used.
    pub campaign_id: Option<String>,
    /// The provider to use when there is no campaign; the default when neither is given.
    pub provider_id: Option<String>,
}

/// Why a message was not sent (or not recorded).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The request is malformed; nothing was sent or counted.
    #[error("{field}: {message}")]
    Invalid {
        /// The request field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The campaign or provider does not exist.
    #[error("{0} does not exist")]
    NotFound(String),
    /// No provider was named and none is the default.
    #[error("no campaign_id or provider_id was given and no provider is marked as the default")]
    NoDefaultProvider,
    /// The provider is archived; nothing was sent.
    #[error("provider {0} is archived and sends nothing")]
    ProviderArchived(String),
    /// The campaign is stopped; nothing was sent.
    #[error("campaign {0} is stopped and sends nothing")]
    CampaignStopped(String),
    /// The provider refused the message; counted as a send error.
    #[error("the provider refused the message: {message}")]
    Rejected {
        /// The provider's code.
        code: String,
        /// The provider's words.
        message: String,
        /// Whether a retry may succeed.
        retryable: bool,
    },
    /// The provider could not be reached or did not answer in time; counted as a send error.
    #[error("{0}")]
    Unavailable(String),
    /// The plugin failed to build the request or read the answer; counted as a send error.
    #[error("{0}")]
    Plugin(String),
    /// The provider's configuration could not be read.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The outcome could not be recorded durably.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The answer to a send.
#[derive(Debug, Clone, Serialize)]
pub struct SentView {
    /// Our message id.
    pub id: String,
    /// The provider used.
    pub provider_id: String,
    /// The campaign, if any.
    pub campaign_id: Option<String>,
    /// The provider's id for the message.
    pub provider_message_id: String,
    /// Always `sent`.
    pub state: &'static str,
}

/// A message as `GET /v1/messages/{id}` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    /// Our id.
    pub id: String,
    /// The provider.
    pub provider_id: String,
    /// The campaign, if any.
    pub campaign_id: Option<String>,
    /// Recipient.
    pub to: String,
    /// The provider's id.
    pub provider_message_id: String,
    /// `sent`, `delivered` or `failed`.
    pub state: &'static str,
    /// Whether a click was recorded.
    pub clicked: bool,
    /// Whether a reply was recorded.
    pub replied: bool,
    /// RFC 3339.
    pub sent_at: String,
    /// What the provider reported, in arrival order.
    pub events: Vec<EventView>,
}

/// One recorded event.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// `delivered`, `failed`, `clicked` or `replied`.
    pub kind: &'static str,
    /// RFC 3339.
    pub at: String,
    /// The provider's error code, for failures.
    pub error_code: Option<String>,
}

/// The send service. Cheap to clone.
#[derive(Clone)]
pub struct Messages {
    store: Store,
    providers: Providers,
    client: HttpClient,
    ledger: Ledger,
    calendar: Arc<Calendar>,
    inflight: Arc<Inflight>,
}

impl Messages {
    /// The service over the daemon's parts.
    pub fn new(
        store: Store,
        providers: Providers,
        client: HttpClient,
        ledger: Ledger,
        calendar: Calendar,
        inflight: Arc<Inflight>,
    ) -> Self {
        Messages {
            store,
            providers,
            client,
            ledger,
            calendar: Arc::new(calendar),
            inflight,
        }
    }

    /// Sends one message and records it (or the failure) before returning.
    pub async fn send(&self, input: SendInput) -> Result<SentView, SendError> {
        check(&input)?;
        let (opened, campaign_id) = self.route(&input)?;
        let record = &opened.record;
        let plugin = self.providers.plugin(&record.plugin)?;
        let config = opened.config.clone();
        let id = self.store.next_id()?;
        let message = OutboundMessage {
            id: id.to_string(),
            to: input.to.clone(),
            body: input.body,
            callback_url: self.providers.callback_url(record),
        };
        // Held until the outcome is recorded, so callbacks can wait for this send.
        let _inflight = self.inflight.start(record.id);
        let outcome = exchange(&self.client, &plugin, config, message)
            .await
            .outcome
            .map_err(SendError::from);
        let now = now_ms();
        let day = self.calendar.day_of(now);
        match outcome {
            Ok(provider_message_id) => {
                self.ledger
                    .record(Entry::Sent(MessageRecord {
                        id,
                        provider_id: record.id,
                        campaign_id,
                        to: input.to,
                        provider_message_id: provider_message_id.clone(),
                        sent_at: now,
                        day,
                        flags: 0,
                        events: Vec::new(),
                    }))
                    .await?;
                Ok(SentView {
                    id: id.to_string(),
                    provider_id: record.id.to_string(),
                    campaign_id: campaign_id.map(|c| c.to_string()),
                    provider_message_id,
                    state: "sent",
                })
            }
            Err(err) => {
                self.ledger
                    .record(Entry::SendFailed {
                        provider_id: record.id,
                        day,
                    })
                    .await?;
                tracing::info!(provider = record.id, "send failed: {err}");
                Err(err)
            }
        }
    }

    /// One message.
    pub fn get(&self, id: &str) -> Result<MessageView, SendError> {
        let not_found = || SendError::NotFound(format!("message {id}"));
        let numeric = parse_id(id).ok_or_else(not_found)?;
        let record = self.store.message(numeric)?.ok_or_else(not_found)?;
        Ok(view(&record))
    }

    /// The provider (and campaign) a send goes through: the campaign's, else the given one,
    /// else the default. Refuses archived providers and stopped campaigns.
    fn route(&self, input: &SendInput) -> Result<(Arc<Opened>, Option<u64>), SendError> {
        let (provider_id, campaign) = if let Some(c) = &input.campaign_id {
            let not_found = || SendError::NotFound(format!("campaign {c}"));
            let campaign = self
                .store
                .campaign(parse_id(c).ok_or_else(not_found)?)?
                .ok_or_else(not_found)?;
            if campaign.state == CampaignState::Stopped {
                return Err(SendError::CampaignStopped(c.clone()));
            }
            if let Some(p) = &input.provider_id {
                if parse_id(p) != Some(campaign.provider_id) {
                    return Err(SendError::Invalid {
                        field: "provider_id",
                        message: format!(
                            "campaign {c} sends through provider {}; leave provider_id out or give that one",
                            campaign.provider_id
                        ),
                    });
                }
            }
            (campaign.provider_id.to_string(), Some(campaign.id))
        } else if let Some(p) = &input.provider_id {
            (p.clone(), None)
        } else {
            let default = self
                .store
                .default_provider()?
                .ok_or(SendError::NoDefaultProvider)?;
            (default.to_string(), None)
        };
        let opened = self
            .providers
            .opened(&provider_id)
            .map_err(|err| match err {
                ProviderError::NotFound(id) => SendError::NotFound(format!("provider {id}")),
                other => SendError::Provider(other),
            })?;
        if opened.record.state == ProviderState::Archived {
            return Err(SendError::ProviderArchived(provider_id));
        }
        Ok((opened, campaign))
    }
}

impl From<Failure> for SendError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Rejected {
                code,
                message,
                retryable,
            } => SendError::Rejected {
                code,
                message,
                retryable,
            },
            Failure::Unavailable(message) => SendError::Unavailable(message),
            Failure::Plugin(message) => SendError::Plugin(message),
        }
    }
}

fn check(input: &SendInput) -> Result<(), SendError> {
    if !is_e164(&input.to) {
        return Err(SendError::Invalid {
            field: "to",
            message: format!("{:?} is not an E.164 number such as +14155550100", input.to),
        });
    }
    match body_problem(&input.body) {
        Some(message) => Err(SendError::Invalid {
            field: "body",
            message,
        }),
        None => Ok(()),
    }
}

/// What is wrong with a message body, if anything: empty, or over [`MAX_BODY_CHARS`].
pub fn body_problem(body: &str) -> Option<String> {
    if body.trim().is_empty() {
        return Some("must not be empty".into());
    }
    let chars = body.chars().count();
    (chars > MAX_BODY_CHARS)
        .then(|| format!("is {chars} characters; at most {MAX_BODY_CHARS} are accepted"))
}

fn view(record: &MessageRecord) -> MessageView {
    let has = |kind: EventKind| record.has(kind);
    MessageView {
        id: record.id.to_string(),
        provider_id: record.provider_id.to_string(),
        campaign_id: record.campaign_id.map(|c| c.to_string()),
        to: record.to.clone(),
        provider_message_id: record.provider_message_id.clone(),
        state: if has(EventKind::Delivered) {
            "delivered"
        } else if has(EventKind::Failed) {
            "failed"
        } else {
            "sent"
        },
        clicked: has(EventKind::Clicked),
        replied: has(EventKind::Replied),
        sent_at: rfc3339(record.sent_at),
        events: record
            .events
            .iter()
            .map(|e| EventView {
                kind: kind_name(e.kind),
                at: rfc3339(e.at),
                error_code: e.error_code.clone(),
            })
            .collect(),
    }
}

/// The API name of an event kind.
pub fn kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Delivered => "delivered",
        EventKind::Failed => "failed",
        EventKind::Clicked => "clicked",
        EventKind::Replied => "replied",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164() {
        for good in ["+14155552671", "+447911123456", "+12"] {
            assert!(is_e164(good), "{good}");
        }
        for bad in [
            "14155552671",
            "+04155552671",
            "+1415555267a",
            "+",
            "+1",
            "+1234567890123456",
            " +1415",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
    }

    #[test]
    fn bodies_are_bounded() {
        let input = |body: &str| SendInput {
            to: "+14155550100".into(),
            body: body.into(),
            campaign_id: None,
            provider_id: None,
        };
        assert!(check(&input("hi")).is_ok());
        assert!(check(&input(" ")).is_err());
        assert!(check(&input(&"é".repeat(MAX_BODY_CHARS))).is_ok());
        assert!(check(&input(&"é".repeat(MAX_BODY_CHARS + 1))).is_err());
    }
}
