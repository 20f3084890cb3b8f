//! Campaigns and journeys: which provider each sends through, and whether it may still send.
//!
//! A campaign created without a provider gets the default one, which is what "mark as
//! default" is for. Archiving or deleting a provider stops its campaigns in the store's same
//! transaction; stopping by hand happens here.

use serde::Serialize;

use crate::clock::{now_ms, rfc3339};
use crate::providers::parse_id;
use crate::store::{CampaignKind, CampaignRecord, CampaignState, Store, StoreError};

/// The stop reason of a campaign stopped through the API.
pub const STOPPED_BY_ADMIN: &str = "stopped_by_admin";

/// Why a campaign operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// No campaign has this id.
    #[error("campaign {0} does not exist")]
    NotFound(String),
    /// The provider named does not exist.
    #[error("provider {0} does not exist")]
    ProviderNotFound(String),
    /// The provider is archived.
    #[error("provider {0} is archived; choose an active provider")]
    ProviderArchived(String),
    /// No provider was given and none is the default.
    #[error(
        "no provider_id was given and no provider is marked as the default; mark one with POST /v1/providers/{{id}}/default or pass provider_id"
    )]
    NoDefaultProvider,
    /// The campaign is stopped already.
    #[error("campaign {0} is already stopped")]
    AlreadyStopped(String),
    /// The request is malformed.
    #[error("{field}: {message}")]
    Invalid {
        /// The request field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

/// A campaign as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `campaign` or `journey`.
    pub kind: &'static str,
    /// The provider it sends through.
    pub provider_id: String,
    /// `active` or `stopped`.
    pub state: &'static str,
    /// Why it stopped: `provider_archived`, `provider_deleted` or `stopped_by_admin`.
    pub stop_reason: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

impl From<&CampaignRecord> for CampaignView {
    fn from(r: &CampaignRecord) -> Self {
        CampaignView {
            id: r.id.to_string(),
            name: r.name.clone(),
            kind: kind_name(r.kind),
            provider_id: r.provider_id.to_string(),
            state: match r.state {
                CampaignState::Active => "active",
                CampaignState::Stopped => "stopped",
            },
            stop_reason: r.stop_reason.clone(),
            created_at: rfc3339(r.created_at),
        }
    }
}

/// The API name of a kind.
pub fn kind_name(kind: CampaignKind) -> &'static str {
    match kind {
        CampaignKind::Campaign => "campaign",
        CampaignKind::Journey => "journey",
    }
}

/// Reads an API kind name.
pub fn parse_kind(kind: &str) -> Result<CampaignKind, CampaignError> {
    match kind {
        "campaign" => Ok(CampaignKind::Campaign),
        "journey" => Ok(CampaignKind::Journey),
        other => Err(CampaignError::Invalid {
            field: "kind",
            message: format!("{other:?} is neither \"campaign\" nor \"journey\""),
        }),
    }
}

/// The campaign service. Cheap to clone.
#[derive(Clone)]
pub struct Campaigns {
    store: Store,
}

impl Campaigns {
    /// The service over the daemon's store.
    pub fn new(store: Store) -> Self {
        Campaigns { store }
    }

    /// Creates an active campaign on `provider_id`, or on the default provider when `None`.
    pub async fn create(
        &self,
        name: &str,
        kind: CampaignKind,
        provider_id: Option<&str>,
    ) -> Result<CampaignView, CampaignError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(CampaignError::Invalid {
                field: "name",
                message: "must be 1 to 200 characters without control characters".into(),
            });
        }
        let provider = match provider_id {
            Some(id) => {
                parse_id(id).ok_or_else(|| CampaignError::ProviderNotFound(id.to_owned()))?
            }
            None => self
                .store
                .default_provider()
                .map_err(CampaignError::Store)?
                .ok_or(CampaignError::NoDefaultProvider)?,
        };
        let record = CampaignRecord {
            id: self.store.next_id().map_err(CampaignError::Store)?,
            name: name.to_owned(),
            kind,
            provider_id: provider,
            state: CampaignState::Active,
            stop_reason: None,
            created_at: now_ms(),
        };
        self.store
            .insert_campaign(&record)
            .map_err(|err| match err {
                StoreError::NotFound { .. } => {
                    CampaignError::ProviderNotFound(provider.to_string())
                }
                StoreError::Archived { .. } => {
                    CampaignError::ProviderArchived(provider.to_string())
                }
                other => CampaignError::Store(other),
            })?;
        self.store.flush().await.map_err(CampaignError::Store)?;
        Ok(CampaignView::from(&record))
    }

    /// Every campaign, or those of one provider, in id order.
    pub fn list(&self, provider_id: Option<&str>) -> Result<Vec<CampaignView>, CampaignError> {
        let filter = match provider_id {
            // An id that cannot exist matches nothing, like a deleted one.
            Some(id) => match parse_id(id) {
                Some(id) => Some(id),
                None => return Ok(Vec::new()),
            },
            None => None,
        };
        Ok(self
            .store
            .campaigns(filter)
            .map_err(CampaignError::Store)?
            .iter()
            .map(CampaignView::from)
            .collect())
    }

    /// One campaign.
    pub fn get(&self, id: &str) -> Result<CampaignView, CampaignError> {
        let not_found = || CampaignError::NotFound(id.to_owned());
        let numeric = parse_id(id).ok_or_else(not_found)?;
        self.store
            .campaign(numeric)
            .map_err(CampaignError::Store)?
            .map(|r| CampaignView::from(&r))
            .ok_or_else(not_found)
    }

    /// Stops a campaign by hand.
    pub async fn stop(&self, id: &str) -> Result<CampaignView, CampaignError> {
        let not_found = || CampaignError::NotFound(id.to_owned());
        let numeric = parse_id(id).ok_or_else(not_found)?;
        let record = self
            .store
            .stop_campaign(numeric, STOPPED_BY_ADMIN)
            .map_err(|err| match err {
                StoreError::NotFound { .. } => not_found(),
                StoreError::AlreadyStopped { .. } => CampaignError::AlreadyStopped(id.to_owned()),
                other => CampaignError::Store(other),
            })?;
        self.store.flush().await.map_err(CampaignError::Store)?;
        tracing::info!(campaign = numeric, "campaign stopped by admin");
        Ok(CampaignView::from(&record))
    }
}
