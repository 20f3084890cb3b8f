//! The public callback listener: `POST` (or `GET`) `/callbacks/{provider_id}/{token}` and
//! nothing else.
//!
//! It is a separate listener from the admin API so that it alone can face the internet
//! (behind TLS): no admin route is reachable through it. A request is answered only after its
//! events are on disk, so a provider that sees a 2xx may stop retrying without losing
//! anything; a retry of something already counted answers 2xx and changes nothing.

use bytes::Bytes;
use http_body_util::Full;
use hyper::StatusCode;
use hyper::header::{HeaderName, HeaderValue};
use tern_plugin_api::codes;
use tern_plugin_api::host::CallError;
use tern_plugin_api::payload::{CallbackRequest, Header, HttpRequest, HttpResponse};

use crate::clock::{Calendar, now_ms};
use crate::http::{ApiError, Handler, Request, Response};
use crate::ledger::{Entry, EventOutcome, Ledger};
use crate::plugins::PluginCallError;
use crate::providers::Providers;
use crate::secrets::constant_time_eq;

/// The callback listener's handler.
pub struct CallbackApi {
    providers: Providers,
    ledger: Ledger,
    calendar: Calendar,
    public_url: String,
}

impl CallbackApi {
    /// The handler. `public_url` is the base providers call, which plugins need to check
    /// signatures over the full URL.
    pub fn new(providers: Providers, ledger: Ledger, calendar: Calendar, public_url: &str) -> Self {
        CallbackApi {
            providers,
            ledger,
            calendar,
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }

    async fn callback(&self, req: &Request, id: &str, token: &str) -> Result<Response, ApiError> {
        // One answer for "no such provider" and "wrong token", so the URL space reveals nothing.
        let unknown = || ApiError::not_found("no callback endpoint at this URL");
        let record = self.providers.record(id).map_err(|_| unknown())?;
        if !constant_time_eq(token.as_bytes(), record.callback_token.as_bytes()) {
            return Err(unknown());
        }
        let plugin = self.providers.plugin(&record.plugin).map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "plugin_unavailable",
                "the provider's plugin is not loaded; try again later",
            )
        })?;
        let config = self
            .providers
            .open_config(&record)
            .map_err(ApiError::internal)?;
        let request = CallbackRequest {
            config,
            request: HttpRequest {
                method: req.method.to_string(),
                url: match req.query() {
                    Some(q) => format!("{}{}?{q}", self.public_url, req.path()),
                    None => format!("{}{}", self.public_url, req.path()),
                },
                headers: req
                    .headers
                    .iter()
                    .map(|(n, v)| Header::new(n.as_str(), String::from_utf8_lossy(v.as_bytes())))
                    .collect(),
                body: String::from_utf8_lossy(&req.body).into_owned(),
            },
        };
        let outcome = plugin.parse_callback(request).await.map_err(refusal)?;
        let events = outcome.events.len();
        let outcomes = self
            .ledger
            .record(Entry::Events {
                provider_id: record.id,
                today: self.calendar.today(),
                now_ms: now_ms(),
                events: outcome.events,
            })
            .await
            .map_err(|err| {
                tracing::error!(provider = record.id, "callback not recorded: {err}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not_recorded",
                    "the callback could not be recorded; retry it",
                )
            })?;
        let counted = outcomes
            .iter()
            .filter(|o| **o == EventOutcome::Counted)
            .count();
        tracing::debug!(provider = record.id, events, counted, "callback recorded");
        Ok(reply(outcome.reply))
    }
}

impl Handler for CallbackApi {
    /// `/callbacks/{id}/…`: the token is a credential and never reaches a log.
    fn log_path(&self, path: &str) -> String {
        let mut segments = path.splitn(4, '/');
        match (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) {
            (Some(""), Some("callbacks"), Some(id), Some(_)) => format!("/callbacks/{id}/…"),
            _ => path.to_owned(),
        }
    }

    async fn handle(&self, request: Request) -> Response {
        let path = request.path().to_owned();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let result = match segments.as_slice() {
            ["callbacks", id, token] => {
                if request.method == hyper::Method::POST || request.method == hyper::Method::GET {
                    self.callback(&request, id, token).await
                } else {
                    Err(ApiError::new(
                        StatusCode::METHOD_NOT_ALLOWED,
                        "method_not_allowed",
                        "callbacks are POST (or GET for gateways that call back with GET)",
                    ))
                }
            }
            _ => Err(ApiError::not_found(format!(
                "no route {} {}",
                request.method,
                request.path()
            ))),
        };
        result.unwrap_or_else(|err| {
            tracing::debug!("callback refused: {err}");
            err.into_response()
        })
    }
}

/// The answer for a callback the plugin refused.
fn refusal(err: PluginCallError) -> ApiError {
    match &err {
        PluginCallError::Call {
            source: CallError::Failed(report),
            ..
        } => match report.code.as_str() {
            codes::SIGNATURE_INVALID => ApiError::new(
                StatusCode::FORBIDDEN,
                "signature_invalid",
                "the callback's signature is missing or wrong",
            ),
            _ => ApiError::bad_request(format!(
                "the callback could not be read: {}",
                report.message
            )),
        },
        PluginCallError::Call {
            source: CallError::Unsupported(_),
            ..
        } => ApiError::not_found("this provider's plugin takes no callbacks"),
        // A plugin fault is ours, not the provider's: answer 5xx so it retries later.
        _ => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "plugin_error",
            "the callback could not be processed; retry it",
        ),
    }
}

/// The plugin's reply as an HTTP response; a header the plugin got wrong is dropped.
fn reply(plugin_reply: HttpResponse) -> Response {
    let mut response = hyper::Response::new(Full::new(Bytes::from(plugin_reply.body)));
    *response.status_mut() = StatusCode::from_u16(plugin_reply.status)
        .ok()
        .filter(StatusCode::is_success)
        .unwrap_or(StatusCode::OK);
    for header in plugin_reply.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(header.name.as_bytes()),
            HeaderValue::from_str(&header.value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}
