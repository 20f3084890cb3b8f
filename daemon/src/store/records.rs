//! The records kept on disk, as plain structs with public fields.
//!
//! The field order of every type deriving `Encode`/`Decode` is its on-disk layout: add new
//! fields only together with a new format version in [`super::codec`], never reorder.

use std::collections::BTreeMap;
use std::fmt;

use bincode::{Decode, Encode};

/// Whether a provider may still send. Archiving is one-way, so there is no way back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum ProviderState {
    /// Usable for sends, campaigns and as the default.
    Active,
    /// Kept for its statistics and late callbacks only.
    Archived,
}

/// A registered SMS provider: which plugin drives it and with what configuration.
#[derive(Clone, PartialEq)]
pub struct ProviderRecord {
    /// Our id, from [`super::Store::next_id`].
    pub id: u64,
    /// Unique admin-facing name.
    pub name: String,
    /// Name of the plugin that talks to this provider.
    pub plugin: String,
    /// The non-secret configuration fields, as the plugin's manifest describes them.
    pub config: serde_json::Map<String, serde_json::Value>,
    /// Secret configuration fields: field name -> ciphertext sealed by `secrets::SecretKey`,
    /// so credentials never sit on disk in the clear.
    pub secrets: BTreeMap<String, Vec<u8>>,
    /// The callbacks the plugin said this config enables, kept so stats know whether delivery
    /// rates mean anything without asking the plugin on every read.
    pub callbacks: CallbackKinds,
    /// Active or archived.
    pub state: ProviderState,
    /// The unguessable token in this provider's callback URL.
    pub callback_token: String,
    /// Creation time, Unix milliseconds.
    pub created_at: i64,
    /// Last change, Unix milliseconds.
    pub updated_at: i64,
    /// When it was archived, Unix milliseconds; `None` while active.
    pub archived_at: Option<i64>,
}

/// Hand-written so that logging a record never prints the callback token or ciphertext.
impl fmt::Debug for ProviderRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("plugin", &self.plugin)
            .field("config", &self.config)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("callbacks", &self.callbacks)
            .field("state", &self.state)
            .field("callback_token", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("archived_at", &self.archived_at)
            .finish()
    }
}

/// Which callback kinds a provider's configuration enables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Encode, Decode)]
pub struct CallbackKinds {
    /// Delivered / failed status callbacks.
    pub delivery: bool,
    /// Link clicks.
    pub clicks: bool,
    /// Inbound replies.
    pub replies: bool,
}

/// Whether a campaign is a one-off campaign or a multi-step journey; both send through one
/// provider and are stopped the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum CampaignKind {
    /// A one-off campaign.
    Campaign,
    /// A multi-step journey.
    Journey,
}

/// Whether a campaign may still send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum CampaignState {
    /// Sending.
    Active,
    /// Stopped for good; `stop_reason` says why.
    Stopped,
}

/// A campaign or journey and the provider it sends through.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct CampaignRecord {
    /// Our id, from [`super::Store::next_id`].
    pub id: u64,
    /// Admin-facing name (not unique).
    pub name: String,
    /// Campaign or journey.
    pub kind: CampaignKind,
    /// The provider it sends through.
    pub provider_id: u64,
    /// Active or stopped.
    pub state: CampaignState,
    /// Why it stopped, e.g. `provider_archived`; `None` while active.
    pub stop_reason: Option<String>,
    /// Creation time, Unix milliseconds.
    pub created_at: i64,
}

/// One provider's counts for one day. Events about a message count on the day it was sent,
/// so rates over any range stay within 0-100%; `unmatched` counts on the day it arrives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Encode, Decode)]
pub struct DayCounters {
    /// Messages accepted by the provider.
    pub sent: u64,
    /// Sends the provider refused or that failed on the way.
    pub send_errors: u64,
    /// Delivery confirmations.
    pub delivered: u64,
    /// Delivery failures reported after acceptance.
    pub failed: u64,
    /// Link clicks.
    pub clicked: u64,
    /// Replies.
    pub replied: u64,
    /// Callbacks about messages we do not know (sent elsewhere, or pruned).
    pub unmatched: u64,
}

impl DayCounters {
    /// Adds `other` field by field, saturating, so merging increments never wraps around.
    pub fn add(&mut self, other: &DayCounters) {
        self.sent = self.sent.saturating_add(other.sent);
        self.send_errors = self.send_errors.saturating_add(other.send_errors);
        self.delivered = self.delivered.saturating_add(other.delivered);
        self.failed = self.failed.saturating_add(other.failed);
        self.clicked = self.clicked.saturating_add(other.clicked);
        self.replied = self.replied.saturating_add(other.replied);
        self.unmatched = self.unmatched.saturating_add(other.unmatched);
    }

    /// Whether every count is zero, so callers can skip writing empty days.
    pub fn is_zero(&self) -> bool {
        *self == DayCounters::default()
    }
}

/// What a provider told us about a message; each kind counts at most once per message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum EventKind {
    /// The message reached the handset.
    Delivered,
    /// The provider gave up delivering it.
    Failed,
    /// The recipient clicked a link in it.
    Clicked,
    /// The recipient replied to it.
    Replied,
}

impl EventKind {
    /// The bit in [`MessageRecord::flags`] that records this kind as already counted.
    pub fn flag(self) -> u8 {
        match self {
            EventKind::Delivered => 1 << 0,
            EventKind::Failed => 1 << 1,
            EventKind::Clicked => 1 << 2,
            EventKind::Replied => 1 << 3,
        }
    }
}

/// One event received for a message, kept for the message's history.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct MessageEvent {
    /// What happened.
    pub kind: EventKind,
    /// When, Unix milliseconds (the provider's time if it gave one).
    pub at: i64,
    /// The provider's error code, for failures.
    pub error_code: Option<String>,
}

/// A message we sent, keyed by provider and the provider's message id: the dedup record
/// that makes each callback kind count once.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct MessageRecord {
    /// Our id, from [`super::Store::next_id`]; ids grow, so a larger id is a later message.
    pub id: u64,
    /// The provider it was sent through.
    pub provider_id: u64,
    /// The campaign it belongs to, if any.
    pub campaign_id: Option<u64>,
    /// Recipient phone number.
    pub to: String,
    /// The provider's id for it, which callbacks quote.
    pub provider_message_id: String,
    /// When it was accepted, Unix milliseconds.
    pub sent_at: i64,
    /// The day its events count on (days since the Unix epoch in the configured zone).
    pub day: i32,
    /// Kinds already counted, one [`EventKind::flag`] bit each.
    pub flags: u8,
    /// Events received, oldest first.
    pub events: Vec<MessageEvent>,
}

impl MessageRecord {
    /// Whether an event of `kind` was already counted for this message.
    pub fn has(&self, kind: EventKind) -> bool {
        self.flags & kind.flag() != 0
    }
}
