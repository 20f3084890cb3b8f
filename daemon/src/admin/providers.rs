//! `/v1/providers` routes.

use hyper::header::{CONTENT_DISPOSITION, CONTENT_TYPE, HeaderValue};
use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;
use tern_plugin_api::payload::Config;

use super::{AdminApi, method_not_allowed, not_found_route};
use crate::http::{ApiError, Request, Response, json, json_bytes};
use crate::providers::{ProviderError, TestTarget};
use crate::secrets::SecretError;
use crate::stats::StatsError;
use crate::store::ProviderState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    plugin: String,
    #[serde(default)]
    config: Config,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    name: Option<String>,
    config: Option<Config>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestStoredBody {
    to: String,
    config: Option<Config>,
    body: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestCandidateBody {
    plugin: String,
    #[serde(default)]
    config: Config,
    to: String,
    body: Option<String>,
}

impl AdminApi {
    pub(super) async fn providers_route(
        &self,
        req: &Request,
        rest: &[&str],
    ) -> Result<Response, ApiError> {
        let p = &self.providers;
        let m = &req.method;
        match rest {
            [] | [""] => match *m {
                Method::GET => {
                    let state = state_filter(req.query())?;
                    let providers = p.list(state).map_err(api_error)?;
                    Ok(json(StatusCode::OK, &json!({ "providers": providers })))
                }
                Method::POST => {
                    let body: CreateBody = req.json()?;
                    let view = p
                        .create(&body.name, &body.plugin, body.config)
                        .await
                        .map_err(api_error)?;
                    Ok(json(StatusCode::CREATED, &view))
                }
                _ => Err(method_not_allowed(req, &[Method::GET, Method::POST])),
            },
            ["default"] => match *m {
                Method::GET => Ok(json(
                    StatusCode::OK,
                    &p.default_provider().map_err(api_error)?,
                )),
                _ => Err(method_not_allowed(req, &[Method::GET])),
            },
            ["test"] => match *m {
                Method::POST => {
                    let body: TestCandidateBody = req.json()?;
                    let target = TestTarget::Candidate {
                        plugin: body.plugin,
                        config: body.config,
                    };
                    let report = p
                        .test(target, &body.to, body.body.as_deref())
                        .await
                        .map_err(api_error)?;
                    Ok(json(StatusCode::OK, &report))
                }
                _ => Err(method_not_allowed(req, &[Method::POST])),
            },
            [id] => match *m {
                Method::GET => Ok(json(StatusCode::OK, &p.get(id).map_err(api_error)?)),
                Method::PATCH => {
                    let body: PatchBody = req.json()?;
                    let view = p
                        .update(id, body.name.as_deref(), body.config)
                        .await
                        .map_err(api_error)?;
                    Ok(json(StatusCode::OK, &view))
                }
                Method::DELETE => {
                    let stopped = p.delete(id).await.map_err(api_error)?;
                    Ok(json(
                        StatusCode::OK,
                        &json!({ "deleted": id, "stopped": stopped }),
                    ))
                }
                _ => Err(method_not_allowed(
                    req,
                    &[Method::GET, Method::PATCH, Method::DELETE],
                )),
            },
            [id, "stats"] => match *m {
                Method::GET => self.stats(req, id),
                _ => Err(method_not_allowed(req, &[Method::GET])),
            },
            [id, action] => {
                if *m != Method::POST {
                    return if matches!(*action, "test" | "default" | "archive") {
                        Err(method_not_allowed(req, &[Method::POST]))
                    } else {
                        Err(not_found_route(req))
                    };
                }
                match *action {
                    "test" => {
                        let body: TestStoredBody = req.json()?;
                        let target = TestTarget::Stored {
                            id: (*id).to_owned(),
                            candidate: body.config,
                        };
                        let report = p
                            .test(target, &body.to, body.body.as_deref())
                            .await
                            .map_err(api_error)?;
                        Ok(json(StatusCode::OK, &report))
                    }
                    "default" => Ok(json(
                        StatusCode::OK,
                        &p.set_default(id).await.map_err(api_error)?,
                    )),
                    "archive" => {
                        let (provider, stopped) = p.archive(id).await.map_err(api_error)?;
                        Ok(json(
                            StatusCode::OK,
                            &json!({ "provider": provider, "stopped": stopped }),
                        ))
                    }
                    _ => Err(not_found_route(req)),
                }
            }
            _ => Err(not_found_route(req)),
        }
    }
}

impl AdminApi {
    /// `GET /v1/providers/{id}/stats?from=&to=[&format=csv]`, or CSV for `Accept: text/csv`.
    fn stats(&self, req: &Request, id: &str) -> Result<Response, ApiError> {
        let (mut from, mut to, mut format) = (None, None, None);
        for (key, value) in form_urlencoded::parse(req.query().unwrap_or("").as_bytes()) {
            match &*key {
                "from" => from = Some(value.into_owned()),
                "to" => to = Some(value.into_owned()),
                "format" => match &*value {
                    "csv" => format = Some(true),
                    "json" => format = Some(false),
                    other => {
                        return Err(ApiError::unprocessable(
                            "invalid_request",
                            format!("format {other:?} is neither \"json\" nor \"csv\""),
                        )
                        .with("field", "format"));
                    }
                },
                other => {
                    return Err(ApiError::bad_request(format!(
                        "unknown query parameter {other:?}; this route takes from, to and format"
                    )));
                }
            }
        }
        // An explicit ?format wins over the Accept header.
        let csv = format.unwrap_or_else(|| {
            req.header("accept")
                .is_some_and(|accept| accept.contains("text/csv"))
        });
        let stats = self
            .stats
            .read(id, from.as_deref(), to.as_deref())
            .map_err(|err| match err {
                StatsError::Invalid { field, .. } => {
                    ApiError::unprocessable("invalid_request", err.to_string()).with("field", field)
                }
                StatsError::Provider(err) => api_error(err),
                StatsError::Store(err) => ApiError::internal(err),
            })?;
        if csv {
            let mut response =
                hyper::Response::new(crate::http::Body::full(crate::stats::csv(&stats)));
            let headers = response.headers_mut();
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            let disposition = format!(
                "attachment; filename=\"provider-{}-{}-{}.csv\"",
                stats.provider_id, stats.from, stats.to
            );
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(CONTENT_DISPOSITION, value);
            }
            return Ok(response);
        }
        Ok(json_bytes(StatusCode::OK, crate::stats::into_json(stats)))
    }
}

fn state_filter(query: Option<&str>) -> Result<Option<ProviderState>, ApiError> {
    let mut state = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match (&*key, &*value) {
            ("state", "active") => state = Some(ProviderState::Active),
            ("state", "archived") => state = Some(ProviderState::Archived),
            ("state", other) => {
                return Err(ApiError::unprocessable(
                    "invalid_request",
                    format!("state {other:?} is neither \"active\" nor \"archived\""),
                )
                .with("field", "state"));
            }
            (other, _) => {
                return Err(ApiError::bad_request(format!(
                    "unknown query parameter {other:?}; this route takes only state"
                )));
            }
        }
    }
    Ok(state)
}

/// The API answer for a lifecycle error.
pub(super) fn api_error(err: ProviderError) -> ApiError {
    let message = err.to_string();
    match err {
        ProviderError::NotFound(_) | ProviderError::NoDefault => ApiError::not_found(message),
        ProviderError::UnknownPlugin(_) => ApiError::unprocessable("unknown_plugin", message),
        ProviderError::InvalidConfig { fields, .. } => {
            ApiError::unprocessable("invalid_config", message)
                .with("fields", serde_json::to_value(fields).unwrap_or_default())
        }
        ProviderError::Invalid { field, .. } => {
            ApiError::unprocessable("invalid_request", message).with("field", field)
        }
        ProviderError::NameTaken(_) => ApiError::conflict("name_taken", message),
        ProviderError::Archived(_) => ApiError::conflict("provider_archived", message),
        ProviderError::AlreadyArchived(_) => ApiError::conflict("already_archived", message),
        ProviderError::Plugin(_) => ApiError::new(StatusCode::BAD_GATEWAY, "plugin_error", message),
        ProviderError::Secret(SecretError::WrongKey) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "secret_key_mismatch",
            message,
        ),
        ProviderError::Secret(_) | ProviderError::Store(_) => ApiError::internal(message),
    }
}
