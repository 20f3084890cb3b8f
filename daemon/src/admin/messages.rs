//! `/v1/messages` routes: the send path for campaign code.

use hyper::{Method, StatusCode};
use serde::Deserialize;

use super::{AdminApi, method_not_allowed, not_found_route};
use crate::http::{ApiError, Request, Response, json};
use crate::messages::{SendError, SendInput};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    to: String,
    body: String,
    campaign_id: Option<String>,
    provider_id: Option<String>,
}

impl AdminApi {
    pub(super) async fn messages_route(
        &self,
        req: &Request,
        rest: &[&str],
    ) -> Result<Response, ApiError> {
        match (rest, &req.method) {
            ([] | [""], &Method::POST) => {
                let body: SendBody = req.json()?;
                let sent = self
                    .messages
                    .send(SendInput {
                        to: body.to,
                        body: body.body,
                        campaign_id: body.campaign_id,
                        provider_id: body.provider_id,
                    })
                    .await
                    .map_err(api_error)?;
                Ok(json(StatusCode::CREATED, &sent))
            }
            ([] | [""], _) => Err(method_not_allowed(req, &[Method::POST])),
            ([id], &Method::GET) => Ok(json(
                StatusCode::OK,
                &self.messages.get(id).map_err(api_error)?,
            )),
            ([_], _) => Err(method_not_allowed(req, &[Method::GET])),
            _ => Err(not_found_route(req)),
        }
    }
}

fn api_error(err: SendError) -> ApiError {
    let message = err.to_string();
    match err {
        SendError::Invalid { field, .. } => {
            ApiError::unprocessable("invalid_request", message).with("field", field)
        }
        SendError::NotFound(_) => ApiError::not_found(message),
        SendError::NoDefaultProvider => ApiError::unprocessable("no_default_provider", message),
        SendError::ProviderArchived(_) => ApiError::conflict("provider_archived", message),
        SendError::CampaignStopped(_) => ApiError::conflict("campaign_stopped", message),
        SendError::Rejected {
            code, retryable, ..
        } => ApiError::new(StatusCode::BAD_GATEWAY, "provider_rejected", message)
            .with("retryable", retryable)
            .with("provider_code", code),
        SendError::Unavailable(_) => {
            ApiError::new(StatusCode::GATEWAY_TIMEOUT, "provider_unavailable", message)
                .with("retryable", true)
        }
        SendError::Plugin(_) => {
            ApiError::new(StatusCode::BAD_GATEWAY, "plugin_error", message).with("retryable", false)
        }
        SendError::Provider(err) => super::providers::api_error(err),
        SendError::Ledger(_) | SendError::Store(_) => ApiError::internal(message),
    }
}
