//! The admin API: JSON over HTTP on the admin listener, every `/v1` route behind the bearer
//! token. This module only translates between HTTP and the domain services; the rules live in
//! `providers` and `campaigns`.

mod auth;
mod backup;
mod campaigns;
mod messages;
mod providers;

use std::sync::Arc;

use hyper::{Method, StatusCode};
use serde_json::json;

pub use auth::{TOKEN_FILE, TokenError, TokenSource, load_or_create as load_or_create_token};

use crate::backup::Backups;
use crate::campaigns::Campaigns;
use crate::http::{ApiError, Handler, Request, Response};
use crate::messages::Messages;
use crate::plugins::PluginHost;
use crate::providers::Providers;
use crate::stats::StatsService;

/// The domain services the admin API translates to.
pub struct Services {
    /// Provider lifecycle.
    pub providers: Providers,
    /// Campaigns and journeys.
    pub campaigns: Campaigns,
    /// The send path.
    pub messages: Messages,
    /// Statistics.
    pub stats: StatsService,
    /// Snapshots of the store.
    pub backups: Backups,
}

/// The admin API handler.
pub struct AdminApi {
    token: String,
    plugins: Arc<PluginHost>,
    providers: Providers,
    campaigns: Campaigns,
    messages: Messages,
    stats: StatsService,
    backups: Backups,
}

impl AdminApi {
    /// The API over the daemon's services, accepting `token`.
    pub fn new(token: String, plugins: Arc<PluginHost>, services: Services) -> Self {
        AdminApi {
            token,
            plugins,
            providers: services.providers,
            campaigns: services.campaigns,
            messages: services.messages,
            stats: services.stats,
            backups: services.backups,
        }
    }

    async fn route(&self, req: &Request) -> Result<Response, ApiError> {
        let path = req.path().to_owned();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if segments == ["healthz"] {
            return only(req, &[Method::GET], || async {
                Ok(crate::http::json(StatusCode::OK, &json!({"status": "ok"})))
            })
            .await;
        }
        if segments.first() != Some(&"v1") {
            return Err(not_found_route(req));
        }
        if !auth::authorized(req.header("authorization"), &self.token) {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "missing or wrong admin token: send Authorization: Bearer <token>",
            ));
        }
        match &segments[1..] {
            ["plugins"] => only(req, &[Method::GET], || async { Ok(self.plugins_list()) }).await,
            ["backup"] => only(req, &[Method::GET], || self.backup()).await,
            ["providers", rest @ ..] => self.providers_route(req, rest).await,
            ["campaigns", rest @ ..] => self.campaigns_route(req, rest).await,
            ["messages", rest @ ..] => self.messages_route(req, rest).await,
            _ => Err(not_found_route(req)),
        }
    }

    fn plugins_list(&self) -> Response {
        let plugins: Vec<_> = self
            .plugins
            .plugins()
            .map(|p| {
                let mut manifest = serde_json::to_value(p.manifest()).unwrap_or_default();
                manifest["faults"] = json!(p.faults());
                manifest
            })
            .collect();
        crate::http::json(StatusCode::OK, &json!({ "plugins": plugins }))
    }
}

impl Handler for AdminApi {
    async fn handle(&self, request: Request) -> Response {
        match self.route(&request).await {
            Ok(response) => response,
            Err(err) => {
                if err.status.is_server_error() {
                    tracing::warn!("{err}");
                } else {
                    tracing::debug!("{err}");
                }
                err.into_response()
            }
        }
    }
}

/// Runs `handler` if the request's method is one of `allowed`, else answers 405 with `Allow`.
async fn only<F, Fut>(req: &Request, allowed: &[Method], handler: F) -> Result<Response, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Response, ApiError>>,
{
    if allowed.contains(&req.method) {
        handler().await
    } else {
        Err(method_not_allowed(req, allowed))
    }
}

fn method_not_allowed(req: &Request, allowed: &[Method]) -> ApiError {
    let list = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} is not allowed on {}; use {list}",
            req.method,
            req.path()
        ),
    )
    .with("allow", list)
}

fn not_found_route(req: &Request) -> ApiError {
    ApiError::not_found(format!("no route {} {}", req.method, req.path()))
}
