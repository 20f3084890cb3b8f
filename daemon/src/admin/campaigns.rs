//! `/v1/campaigns` routes.

use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::{AdminApi, method_not_allowed, not_found_route};
use crate::campaigns::{CampaignError, parse_kind};
use crate::http::{ApiError, Request, Response, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    kind: String,
    provider_id: Option<String>,
}

impl AdminApi {
    pub(super) async fn campaigns_route(
        &self,
        req: &Request,
        rest: &[&str],
    ) -> Result<Response, ApiError> {
        let c = &self.campaigns;
        match (rest, &req.method) {
            ([] | [""], &Method::GET) => {
                let provider = provider_filter(req.query())?;
                let campaigns = c.list(provider.as_deref()).map_err(api_error)?;
                Ok(json(StatusCode::OK, &json!({ "campaigns": campaigns })))
            }
            ([] | [""], &Method::POST) => {
                let body: CreateBody = req.json()?;
                let kind = parse_kind(&body.kind).map_err(api_error)?;
                let view = c
                    .create(&body.name, kind, body.provider_id.as_deref())
                    .await
                    .map_err(api_error)?;
                Ok(json(StatusCode::CREATED, &view))
            }
            ([] | [""], _) => Err(method_not_allowed(req, &[Method::GET, Method::POST])),
            ([id], &Method::GET) => Ok(json(StatusCode::OK, &c.get(id).map_err(api_error)?)),
            ([_], _) => Err(method_not_allowed(req, &[Method::GET])),
            ([id, "stop"], &Method::POST) => {
                Ok(json(StatusCode::OK, &c.stop(id).await.map_err(api_error)?))
            }
            ([_, "stop"], _) => Err(method_not_allowed(req, &[Method::POST])),
            _ => Err(not_found_route(req)),
        }
    }
}

fn provider_filter(query: Option<&str>) -> Result<Option<String>, ApiError> {
    let mut provider = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match &*key {
            "provider_id" => provider = Some(value.into_owned()),
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter {other:?}; this route takes only provider_id"
                )));
            }
        }
    }
    Ok(provider)
}

fn api_error(err: CampaignError) -> ApiError {
    let message = err.to_string();
    match err {
        CampaignError::NotFound(_) | CampaignError::ProviderNotFound(_) => {
            ApiError::not_found(message)
        }
        CampaignError::ProviderArchived(_) => ApiError::conflict("provider_archived", message),
        CampaignError::NoDefaultProvider => ApiError::unprocessable("no_default_provider", message),
        CampaignError::AlreadyStopped(_) => ApiError::conflict("campaign_stopped", message),
        CampaignError::Invalid { field, .. } => {
            ApiError::unprocessable("invalid_request", message).with("field", field)
        }
        CampaignError::Store(_) => ApiError::internal(message),
    }
}
