//! The public callback listener: `POST` (or `GET`) `/callbacks/{provider_id}/{token}` and
//! nothing else.
//!
//! It is a separate listener from the admin API so that it alone can face the internet
//! (behind TLS): no admin route is reachable through it. A request is answered only after its
//! events are on disk, so a provider that sees a 2xx may stop retrying without losing
//! anything; a retry of something already counted answers 2xx and changes nothing.

use hyper::StatusCode;
use std::sync::Arc;
use std::time::Duration;
use tern_plugin_api::codes;
use tern_plugin_api::host::CallError;

use tern_plugin_api::payload::{CallbackRequest, Event, HttpRequest, HttpResponse};

use crate::clock::{Calendar, now_ms};
use crate::http::{ApiError, Body, Handler, Request, Response, hyper_headers, payload_headers};
use crate::ledger::{Entry, EventOutcome, Ledger};
use crate::messages::Inflight;
use crate::plugins::PluginCallError;
use crate::providers::{ProviderError, Providers};
use crate::secrets::constant_time_eq;

/// The callback listener's handler.
pub struct CallbackApi {
    providers: Providers,
    ledger: Ledger,
    calendar: Calendar,
    public_url: String,
    inflight: Arc<Inflight>,
    /// How long a callback waits for in-flight sends it may be about.
    settle: Duration,
}

impl CallbackApi {
    /// The handler. `public_url` is the base providers call, which plugins need to check
    /// signatures over the full URL; `inflight` and `settle` let a callback that overtakes
    /// its own send wait for the send to be recorded.
    pub fn new(
        providers: Providers,
        ledger: Ledger,
        calendar: Calendar,
        public_url: &str,
        inflight: Arc<Inflight>,
        settle: Duration,
    ) -> Self {
        CallbackApi {
            providers,
            ledger,
            calendar,
            public_url: public_url.trim_end_matches('/').to_owned(),
            inflight,
            settle,
        }
    }

    async fn callback(&self, req: &Request, id: &str, token: &str) -> Result<Response, ApiError> {
        // One answer for "no such provider" and "wrong token", so the URL space reveals nothing.
        let unknown = || ApiError::not_found("no callback endpoint at this URL");
        // The token is checked before the provider's secrets are opened.
        let opened = self
            .providers
            .opened_if(id, |record| {
                constant_time_eq(token.as_bytes(), record.callback_token.as_bytes())
            })
            .map_err(|err| match err {
                ProviderError::NotFound(_) => unknown(),
                other => ApiError::internal(other),
            })?
            .ok_or_else(unknown)?;
        let record = &opened.record;
        let plugin = self.providers.plugin(&record.plugin).map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "plugin_unavailable",
                "the provider's plugin is not loaded; try again later",
            )
        })?;
        let request = CallbackRequest {
            config: opened.config.clone(),
            request: HttpRequest {
                method: req.method.to_string(),
                url: match req.query() {
                    Some(q) => format!("{}{}?{q}", self.public_url, req.path()),
                    None => format!("{}{}", self.public_url, req.path()),
                },
                headers: payload_headers(&req.headers),
                body: String::from_utf8_lossy(&req.body).into_owned(),
            },
        };
        let outcome = plugin.parse_callback(request).await.map_err(refusal)?;
        if !outcome.events.is_empty() {
            self.record(record.id, outcome.events).await?;
        }
        Ok(reply(outcome.reply))
    }
}

impl CallbackApi {
    /// Records a callback's events durably. Events about messages not known yet wait for
    /// the provider's sends in flight (one of them may be the message), then count as
    /// unmatched if still unknown.
    async fn record(&self, provider_id: u64, events: Vec<Event>) -> Result<(), ApiError> {
        let in_flight = self.inflight.snapshot(provider_id);
        // The events are kept for a second round only when some may be held.
        let retry = in_flight.map(|_| events.clone());
        let outcomes = self
            .submit(provider_id, events, in_flight.is_some())
            .await?;
        if let (Some(in_flight), Some(events)) = (in_flight, retry) {
            let held: Vec<Event> = events
                .into_iter()
                .zip(&outcomes)
                .filter(|(_, outcome)| **outcome == EventOutcome::Held)
                .map(|(event, _)| event)
                .collect();
            if !held.is_empty() {
                tracing::debug!(
                    provider = provider_id,
                    held = held.len(),
                    "events about unknown messages wait for the sends in flight"
                );
                self.inflight.settle(in_flight, self.settle).await;
                self.submit(provider_id, held, false).await?;
            }
        }
        let counted = outcomes
            .iter()
            .filter(|o| **o == EventOutcome::Counted)
            .count();
        tracing::debug!(provider = provider_id, counted, "callback recorded");
        Ok(())
    }

    async fn submit(
        &self,
        provider_id: u64,
        events: Vec<Event>,
        hold_unmatched: bool,
    ) -> Result<Vec<EventOutcome>, ApiError> {
        self.ledger
            .record(Entry::Events {
                provider_id,
                today: self.calendar.today(),
                now_ms: now_ms(),
                events,
                hold_unmatched,
            })
            .await
            .map_err(|err| {
                tracing::error!(provider = provider_id, "callback not recorded: {err}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not_recorded",
                    "the callback could not be recorded; retry it",
                )
            })
    }
}

/// `/callbacks/{id}/{token}` split into its id and token; the one parser both routing and
/// log redaction use, so they never disagree.
fn callback_route(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/callbacks/")?;
    let (id, token) = rest.split_once('/')?;
    (!id.is_empty() && !token.is_empty() && !token.contains('/')).then_some((id, token))
}

impl Handler for CallbackApi {
    /// `/callbacks/{id}/…`: the token is a credential and never reaches a log.
    fn log_path(&self, path: &str) -> String {
        match callback_route(path) {
            Some((id, _)) => format!("/callbacks/{id}/…"),
            None if path.contains("/callbacks/") => "/callbacks/…".to_owned(),
            None => path.to_owned(),
        }
    }

    async fn handle(&self, request: Request) -> Response {
        let result = match callback_route(request.path()) {
            Some((id, token)) => {
                if request.method == hyper::Method::POST || request.method == hyper::Method::GET {
                    self.callback(&request, id, token).await
                } else {
                    Err(ApiError::new(
                        StatusCode::METHOD_NOT_ALLOWED,
                        "method_not_allowed",
                        "callbacks are POST (or GET for gateways that call back with GET)",
                    )
                    .with("allow", "GET, POST"))
                }
            }
            None => Err(ApiError::not_found(
                "no such route: this listener serves only the providers' callback URLs",
            )),
        };
        result.unwrap_or_else(|err| {
            tracing::debug!("callback refused: {err}");
            err.into_response()
        })
    }
}

/// The answer for a callback the plugin refused: 400 and 403 only when the provider's
/// request is at fault, so that a provider retries whatever failed on our side.
fn refusal(err: PluginCallError) -> ApiError {
    if let PluginCallError::Call {
        source: CallError::Failed(report),
        ..
    } = &err
    {
        match report.code.as_str() {
            codes::SIGNATURE_INVALID => {
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    "signature_invalid",
                    "the callback's signature is missing or wrong",
                );
            }
            codes::MALFORMED => {
                return ApiError::bad_request(format!(
                    "the callback could not be read: {}",
                    report.message
                ));
            }
            _ => {}
        }
    }
    if let PluginCallError::Call {
        source: CallError::Unsupported(_),
        ..
    } = &err
    {
        // Permanent: retrying cannot help, so tell the provider there is nothing here.
        return ApiError::not_found("this provider's plugin takes no callbacks");
    }
    tracing::warn!("callback not processed: {err}");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "plugin_error",
        "the callback could not be processed; retry it",
    )
}

/// The plugin's reply as an HTTP response; a header the plugin got wrong is dropped.
fn reply(plugin_reply: HttpResponse) -> Response {
    let mut response = hyper::Response::new(Body::full(plugin_reply.body));
    *response.status_mut() = StatusCode::from_u16(plugin_reply.status)
        .ok()
        .filter(StatusCode::is_success)
        .unwrap_or(StatusCode::OK);
    match hyper_headers(&plugin_reply.headers) {
        Ok(headers) => {
            for (name, value) in headers {
                response.headers_mut().append(name, value);
            }
        }
        Err(problem) => tracing::warn!("the plugin's callback reply has a bad header: {problem}"),
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use tern_plugin_api::ErrorReport;

    fn failed(code: &str) -> PluginCallError {
        PluginCallError::Call {
            plugin: "p".into(),
            function: "parse_callback",
            source: CallError::Failed(ErrorReport {
                code: code.into(),
                message: "m".into(),
            }),
        }
    }

    #[test]
    fn only_the_providers_faults_are_4xx() {
        assert_eq!(
            refusal(failed(codes::SIGNATURE_INVALID)).status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            refusal(failed(codes::MALFORMED)).status,
            StatusCode::BAD_REQUEST
        );
        for code in [codes::INVALID_CONFIG, codes::INTERNAL, "made_up"] {
            assert_eq!(
                refusal(failed(code)).status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{code}"
            );
        }
        let panicked = PluginCallError::Call {
            plugin: "p".into(),
            function: "parse_callback",
            source: CallError::Panicked("boom".into()),
        };
        assert_eq!(refusal(panicked).status, StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn routing_and_redaction_share_one_parser() {
        assert_eq!(callback_route("/callbacks/7/tok"), Some(("7", "tok")));
        for bad in [
            "//callbacks/7/tok",
            "/callbacks/7",
            "/callbacks//tok",
            "/callbacks/7/tok/x",
            "/v1/providers",
        ] {
            assert_eq!(callback_route(bad), None, "{bad}");
        }
        let api_path = |p: &str| match callback_route(p) {
            Some((id, _)) => format!("/callbacks/{id}/…"),
            None => p.to_owned(),
        };
        assert_eq!(api_path("/callbacks/7/secret"), "/callbacks/7/…");
    }
}
