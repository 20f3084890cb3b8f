//! The JSON documents that cross the ABI, defined once for the host and every plugin.
//!
//! Every call takes one UTF-8 JSON document and answers with one. The rules that keep the
//! format evolvable without a new ABI major:
//!
//! - readers ignore fields they do not know;
//! - every field added after v1.0 has a default, so an older writer's document still reads;
//! - enums read unknown values as an `Other`/`Unknown` variant where a newer writer may add
//!   values, so an old host skips a new event kind instead of failing the whole callback.
//!
//! `docs/plugin-abi.md` shows each document with an example, for authors writing plugins in
//! other languages.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A provider's configuration: field name to value, as the admin entered it.
///
/// The host passes it to every call because plugins are stateless: one loaded plugin serves
/// every provider that uses it. Secret fields arrive decrypted; the plugin must never echo them
/// into an error message.
pub type Config = serde_json::Map<String, Value>;

/// Which ABI a manifest was built for. The SDK fills it in from its own constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct AbiVersion {
    /// ABI major; must match the host's.
    pub major: u16,
    /// ABI minor; informational.
    pub minor: u16,
}

impl AbiVersion {
    /// The version this crate implements.
    pub const CURRENT: AbiVersion = AbiVersion {
        major: crate::abi::ABI_MAJOR,
        minor: crate::abi::ABI_MINOR,
    };
}

impl std::fmt::Display for AbiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// What a plugin is and what it needs: the answer to `manifest`.
///
/// The host shows it to admins (`ternd plugins`, `GET /v1/plugins`), builds provider forms from
/// `config`, and learns from `secret` which fields to encrypt at rest and never return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Manifest {
    /// Unique plugin name, the value of a provider's `plugin` field: lowercase letters, digits,
    /// `-` and `_`, at most 64 characters.
    pub name: String,
    /// The plugin's own version, free-form (semver recommended).
    pub version: String,
    /// The ABI the plugin was built against.
    pub abi: AbiVersion,
    /// One line for humans.
    pub description: String,
    /// The configuration fields, in the order a form should show them.
    pub config: Vec<ConfigField>,
    /// The callback kinds this plugin can parse at all (a given config may enable fewer).
    pub callbacks: Callbacks,
}

/// One configuration field of a plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ConfigField {
    /// The key in [`Config`].
    pub name: String,
    /// The label a form shows.
    pub label: String,
    /// What kind of value it holds, so a form can pick the right input.
    pub kind: FieldKind,
    /// Whether a provider is invalid without it. Plugins still enforce this in
    /// `validate_config`; the flag is for forms.
    pub required: bool,
    /// A credential: encrypted at rest, never returned by the API or logged.
    pub secret: bool,
    /// The value used when the field is absent, if any.
    pub default: Option<String>,
    /// Allowed values, for [`FieldKind::Select`].
    pub options: Vec<String>,
    /// A sentence of help for the admin.
    pub help: String,
}

/// The kind of a configuration value. All shipped kinds hold JSON strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    /// A single-line string.
    #[default]
    String,
    /// A multi-line string (templates).
    Text,
    /// An absolute URL.
    Url,
    /// One of [`ConfigField::options`].
    Select,
    /// A kind added by a later minor; shown as a string.
    #[serde(other)]
    Other,
}

/// The callback kinds a plugin (or one provider's config) can turn into events.
///
/// This decides how stats are computed: without delivery callbacks the delivery rate is 0 and
/// CTR is taken over sent rather than delivered messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Callbacks {
    /// Delivered / failed status callbacks.
    pub delivery: bool,
    /// Link click callbacks.
    pub clicks: bool,
    /// Inbound replies.
    pub replies: bool,
}

/// Input of `validate_config`.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ValidateRequest {
    /// The candidate configuration, secrets included.
    pub config: Config,
}

/// Output of `validate_config`: empty `errors` means the config is valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ConfigReport {
    /// One entry per problem, naming the field so a form can show it in place.
    pub errors: Vec<FieldError>,
    /// The callbacks this configuration enables.
    pub callbacks: Callbacks,
}

/// A problem with one configuration field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct FieldError {
    /// The field's name (or a comma-separated list when several fields conflict).
    pub field: String,
    /// What is wrong and what would be right. Never contains a secret value.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A message the host wants sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct OutboundMessage {
    /// Tern's own id for the message. Plugins whose provider has no message ids of its own can
    /// hand it to the provider (for example as a reference field) and return it as the provider
    /// message id.
    pub id: String,
    /// Recipient, E.164 (`+` and digits).
    pub to: String,
    /// Message text, UTF-8.
    pub body: String,
    /// The URL the provider should call back with status updates for this provider.
    pub callback_url: String,
}

/// Input of `build_send`.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SendRequest {
    /// The provider's configuration.
    pub config: Config,
    /// The message to send.
    pub message: OutboundMessage,
}

/// An HTTP header. A list of these keeps order and allows repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Header {
    /// Header name, any case.
    pub name: String,
    /// Header value.
    pub value: String,
}

impl Header {
    /// A header.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Header {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// An HTTP request: built by `build_send` for the host to perform, and handed to
/// `parse_callback` as what the provider sent.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct HttpRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The absolute URL. For callbacks, the full public URL the provider called, query included,
    /// which is what providers sign.
    pub url: String,
    /// Request headers.
    pub headers: Vec<Header>,
    /// Request body as text (form, JSON or empty). Bytes that are not UTF-8 reach plugins
    /// replaced with U+FFFD.
    pub body: String,
}

impl HttpRequest {
    /// The first header named `name`, compared without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// An HTTP response: the provider's answer handed to `parse_send_response`, and the reply a
/// plugin asks the host to give a provider in [`CallbackOutcome`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: Vec<Header>,
    /// Body as text.
    pub body: String,
}

impl Default for HttpResponse {
    fn default() -> Self {
        HttpResponse {
            status: 200,
            headers: Vec::new(),
            body: String::new(),
        }
    }
}

impl HttpResponse {
    /// The first header named `name`, compared without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

fn find_header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// Input of `parse_send_response`.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SendResponseRequest {
    /// The provider's configuration.
    pub config: Config,
    /// The message that was sent.
    pub message: OutboundMessage,
    /// What the provider answered.
    pub response: HttpResponse,
}

/// Output of `parse_send_response`: did the provider take the message?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SendOutcome {
    /// The provider accepted the message; callbacks will name it by `provider_message_id`.
    Accepted {
        /// The provider's id for the message.
        provider_message_id: String,
    },
    /// The provider refused the message.
    Rejected {
        /// The provider's error code, as text.
        code: String,
        /// The provider's error message. Never contains a secret value.
        message: String,
        /// Whether the same request may succeed later (rate limits, provider outages).
        retryable: bool,
    },
}

/// Input of `parse_callback`.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct CallbackRequest {
    /// The configuration of the provider the callback URL belongs to.
    pub config: Config,
    /// The request exactly as the provider sent it, with the full public URL.
    pub request: HttpRequest,
}

/// Output of `parse_callback`: the events in the request and the reply to give the provider.
///
/// The host records the events durably before it sends `reply`, so a provider that gets the
/// reply may stop retrying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct CallbackOutcome {
    /// Zero or more events. A status the host does not count (queued, sent, …) gives none.
    pub events: Vec<Event>,
    /// What to answer the provider (for example empty TwiML for Twilio).
    pub reply: HttpResponse,
}

/// One thing that happened to a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The provider's id of the message the event is about (delivery and click events).
    pub provider_message_id: Option<String>,
    /// The sender's number, E.164 (reply events, which name no message).
    pub from: Option<String>,
    /// When it happened, in Unix seconds, if the provider says.
    pub at: Option<i64>,
    /// The provider's error code for failed deliveries.
    pub error_code: Option<String>,
}

/// The kinds of event the host counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The message reached the handset.
    Delivered,
    /// The message will not be delivered.
    Failed,
    /// The recipient clicked a link in the message.
    Clicked,
    /// The recipient answered.
    Replied,
    /// A kind added by a later minor, or none given; hosts skip such events, so a missing
    /// `kind` never counts as something that did not happen.
    #[default]
    #[serde(other)]
    Other,
}

/// The output of any call that does not return [`crate::abi::STATUS_OK`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ErrorReport {
    /// A machine-readable code; see [`crate::codes`].
    pub code: String,
    /// What went wrong, for an operator. Never contains a secret value.
    pub message: String,
}

// Hand-written `Debug` for the documents that carry credentials: decrypted configs, request
// headers (`Authorization`) and bodies. They show field and header names, never values, so a
// stray `{:?}` in a host or a plugin cannot leak a secret into a log.

/// The names of a config's fields.
struct FieldNames<'a>(&'a Config);

impl std::fmt::Debug for FieldNames<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// The names of a list of headers.
struct HeaderNames<'a>(&'a [Header]);

impl std::fmt::Debug for HeaderNames<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|h| &h.name))
            .finish()
    }
}

impl std::fmt::Debug for ValidateRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidateRequest")
            .field("config", &FieldNames(&self.config))
            .finish()
    }
}

impl std::fmt::Debug for SendRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendRequest")
            .field("config", &FieldNames(&self.config))
            .field("message", &self.message)
            .finish()
    }
}

impl std::fmt::Debug for SendResponseRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendResponseRequest")
            .field("config", &FieldNames(&self.config))
            .field("message", &self.message)
            .field("response", &self.response)
            .finish()
    }
}

impl std::fmt::Debug for CallbackRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackRequest")
            .field("config", &FieldNames(&self.config))
            .field("request", &self.request)
            .finish()
    }
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &HeaderNames(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &HeaderNames(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_values_that_may_be_secret() {
        let mut config = Config::new();
        config.insert("auth_token".into(), "s3cret-value".into());
        let request = SendRequest {
            config: config.clone(),
            message: OutboundMessage::default(),
        };
        let http = HttpRequest {
            method: "POST".into(),
            url: "https://api.example.com".into(),
            headers: vec![Header::new("Authorization", "Bearer s3cret-value")],
            body: "token=s3cret-value".into(),
        };
        let callback = CallbackRequest {
            config,
            request: http.clone(),
        };
        for text in [
            format!("{request:?}"),
            format!("{http:?}"),
            format!("{callback:?}"),
        ] {
            assert!(!text.contains("s3cret"), "{text}");
        }
        assert!(format!("{request:?}").contains("auth_token"));
    }

    #[test]
    fn unknown_fields_are_ignored_and_missing_ones_default() {
        let event: Event = serde_json::from_str(r#"{"kind":"teleported","extra":1}"#).unwrap();
        assert_eq!(event.kind, EventKind::Other);
        let event: Event = serde_json::from_str("{}").unwrap();
        assert_eq!(
            event.kind,
            EventKind::Other,
            "a missing kind never counts as delivered"
        );
        let manifest: Manifest = serde_json::from_str(r#"{"name":"x","abi":{"major":1}}"#).unwrap();
        assert_eq!(manifest.abi, AbiVersion { major: 1, minor: 0 });
    }
}
