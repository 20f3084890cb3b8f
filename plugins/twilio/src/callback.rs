//! Callbacks from Twilio: verified first, then read.
//!
//! Nothing in a callback is trusted before its `X-Twilio-Signature` checks out, because the
//! callback URL is public and anyone can post to it. The order is: the header must be there;
//! the body is decoded only as far as the signature needs; the signature (and, for JSON, the
//! body hash) is verified; only then are the fields read as events.

use tern_plugin_api::{CallbackOutcome, CallbackRequest, Header, HttpRequest, HttpResponse};
use tern_plugin_api::{Event, PluginError};

use crate::config::{self, ConfigError};
use crate::events::{self, EventError};
use crate::form::{self, FormError};
use crate::signature::{self, BODY_HASH_PARAM, SignatureError};
use crate::url;

/// The empty TwiML document: "do nothing more". Twilio expects TwiML from messaging webhooks
/// and would otherwise log a warning (or, for inbound messages, try to act on the body).
pub(crate) const EMPTY_TWIML: &str =
    r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#;

/// The parameters signed for JSON bodies and GET requests: none.
const NO_PARAMS: &[(&str, &str)] = &[];

/// Why a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CallbackError {
    /// Not provably from Twilio ([`tern_plugin_api::codes::SIGNATURE_INVALID`]).
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The provider has no usable auth token, so nothing can be verified
    /// ([`tern_plugin_api::codes::INVALID_CONFIG`]).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The form data in the body or URL cannot be decoded
    /// ([`tern_plugin_api::codes::MALFORMED`]).
    #[error("the callback's {place} is not valid form data: {error}")]
    Form {
        /// `body` or `URL query`.
        place: &'static str,
        /// What is wrong with it.
        error: FormError,
    },
    /// A content type Twilio does not send ([`tern_plugin_api::codes::MALFORMED`]).
    #[error("the callback's content type {0:?} is neither form data nor JSON")]
    ContentType(String),
    /// Verified, but not a callback this plugin understands
    /// ([`tern_plugin_api::codes::MALFORMED`]).
    #[error(transparent)]
    Event(#[from] EventError),
}

impl From<CallbackError> for PluginError {
    fn from(err: CallbackError) -> Self {
        match err {
            CallbackError::Signature(_) => PluginError::signature(err.to_string()),
            CallbackError::Config(err) => err.into(),
            CallbackError::Form { .. }
            | CallbackError::ContentType(_)
            | CallbackError::Event(_) => PluginError::malformed(err.to_string()),
        }
    }
}

/// How the callback carries its fields, which decides what Twilio signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    /// A form POST: the form parameters are signed after the URL.
    Form,
    /// A JSON POST: the URL alone is signed and carries `bodySHA256`.
    Json,
    /// A GET: the parameters are in the (signed) URL.
    Query,
}

/// Verifies a callback and turns it into events and the reply Twilio expects.
///
/// Form callbacks (status updates and inbound messages) are answered with empty TwiML; JSON
/// callbacks (link clicks) with an empty 200. A request without a content type is read as a
/// form, which is what Twilio sends for every messaging webhook.
pub(crate) fn parse_callback(request: &CallbackRequest) -> Result<CallbackOutcome, CallbackError> {
    let http = &request.request;
    let provided = http
        .header(signature::HEADER)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::Missing)?;
    let token = config::auth_token(&request.config)?;

    match content(http)? {
        Content::Form => {
            let fields = form::decode(&http.body).map_err(|error| CallbackError::Form {
                place: "body",
                error,
            })?;
            signature::verify(token, &http.url, &fields, provided)?;
            Ok(outcome(events::from_fields(&fields)?, twiml_reply()))
        }
        Content::Query => {
            signature::verify(token, &http.url, NO_PARAMS, provided)?;
            let fields = query_fields(&http.url)?;
            Ok(outcome(events::from_fields(&fields)?, twiml_reply()))
        }
        Content::Json => {
            let query = query_fields(&http.url)?;
            let hash = form::get(&query, BODY_HASH_PARAM).ok_or(SignatureError::NoBodyHash)?;
            signature::verify(token, &http.url, NO_PARAMS, provided)?;
            signature::verify_body_hash(&http.body, hash)?;
            Ok(outcome(
                events::from_json(&http.body)?,
                HttpResponse::default(),
            ))
        }
    }
}

/// Decides how the request carries its fields, from its method and `Content-Type`.
fn content(http: &HttpRequest) -> Result<Content, CallbackError> {
    if http.method.trim().eq_ignore_ascii_case("GET") {
        return Ok(Content::Query);
    }
    let media_type = http
        .header("content-type")
        .and_then(|value| value.split(';').next())
        .map(|media| media.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media_type.as_str() {
        "" | "application/x-www-form-urlencoded" => Ok(Content::Form),
        "application/json" => Ok(Content::Json),
        other if other.ends_with("+json") => Ok(Content::Json),
        other => Err(CallbackError::ContentType(other.to_owned())),
    }
}

/// The decoded query of the request URL (none when the URL has no `?`).
fn query_fields(url: &str) -> Result<Vec<(String, String)>, CallbackError> {
    url::query(url)
        .map(form::decode)
        .transpose()
        .map(Option::unwrap_or_default)
        .map_err(|error| CallbackError::Form {
            place: "URL query",
            error,
        })
}

fn outcome(events: Vec<Event>, reply: HttpResponse) -> CallbackOutcome {
    CallbackOutcome { events, reply }
}

/// 200 with empty TwiML, the reply Twilio expects from a messaging webhook.
fn twiml_reply() -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: vec![Header::new("Content-Type", "text/xml")],
        body: EMPTY_TWIML.to_owned(),
    }
}
