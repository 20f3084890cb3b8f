//! Reading and checking a provider's configuration.
//!
//! One reader serves `validate_config` (which reports every problem, for a form) and the other
//! calls (which refuse a configuration they cannot use), so an admin never saves a
//! configuration that later fails at send time for a reason the form did not show.
//!
//! Rules shared by every field: values are JSON strings; `null`, an empty string or one made
//! of spaces means "not set", which is what a form sends for a field left blank. Error
//! messages name fields and rules, never values, so a secret cannot leak through them.

use serde_json::Value;
use tern_plugin_api::{Callbacks, Config, ConfigReport, FieldError, PluginError};

use crate::checks;

/// Config key: the account SID (`AC…`), the user name of HTTP basic auth and part of the URL.
pub(crate) const ACCOUNT_SID: &str = "account_sid";
/// Config key: the auth token, the password of HTTP basic auth and the callback signing key.
pub(crate) const AUTH_TOKEN: &str = "auth_token";
/// Config key: the sender number, short code or alphanumeric sender ID.
pub(crate) const FROM: &str = "from";
/// Config key: the Messaging Service SID (`MG…`), an alternative to `from`.
pub(crate) const MESSAGING_SERVICE_SID: &str = "messaging_service_sid";
/// Config key: `"true"` to have Twilio shorten links (and so report clicks); needs a
/// Messaging Service with Link Shortening configured.
pub(crate) const SHORTEN_URLS: &str = "shorten_urls";
/// Config key: the REST API's base URL, so compatible gateways and mocks can stand in.
pub(crate) const BASE_URL: &str = "base_url";
/// Twilio's own REST API, used when `base_url` is not set.
pub(crate) const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// Every key this plugin reads; anything else in a configuration is reported as unknown.
const KNOWN_FIELDS: [&str; 6] = [
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM,
    MESSAGING_SERVICE_SID,
    SHORTEN_URLS,
    BASE_URL,
];

/// Who a message is sent from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sender<'a> {
    /// A Messaging Service: Twilio picks the number from the service's sender pool. Preferred
    /// when both are configured, because link shortening and click tracking need it.
    MessagingService(&'a str),
    /// One phone number, short code or alphanumeric sender ID.
    From(&'a str),
}

/// A configuration that every call can use: all required fields present and well formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settings<'a> {
    /// `AC` and 32 hex digits.
    pub(crate) account_sid: &'a str,
    /// Non-empty; never shown.
    pub(crate) auth_token: &'a str,
    /// The sender to put in the request.
    pub(crate) sender: Sender<'a>,
    /// Whether to ask Twilio to shorten links (`ShortenUrls=true`). Only ever true when the
    /// sender is a Messaging Service, as Twilio requires.
    pub(crate) shorten_urls: bool,
    /// An absolute http(s) URL without a trailing slash.
    pub(crate) base_url: &'a str,
}

/// Why a configuration cannot be used: one [`FieldError`] per problem.
///
/// Typed (rather than a string) so `validate_config` can hand the list to a form as is, while
/// the other calls turn it into one `invalid_config` error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(.0))]
pub(crate) struct ConfigError(pub(crate) Vec<FieldError>);

fn describe(errors: &[FieldError]) -> String {
    let parts: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    format!(
        "the provider configuration is not usable: {}",
        parts.join("; ")
    )
}

impl From<ConfigError> for PluginError {
    fn from(err: ConfigError) -> Self {
        PluginError::invalid_config(err.to_string())
    }
}

/// The answer to `validate_config`: every problem, unknown fields included, and the callbacks
/// this configuration enables.
///
/// Delivery callbacks are always on because every send sets `StatusCallback`. Replies are on
/// because Twilio posts inbound messages to whatever URL the number is pointed at. Clicks
/// exist only for links Twilio shortened, and Twilio shortens links only when the send asks
/// for it (`ShortenUrls=true`) through a Messaging Service with Link Shortening configured, so
/// they are on only when `shorten_urls` is `"true"` and a well-formed Messaging Service SID is
/// set. Whether the service has Link Shortening configured cannot be seen from here.
pub(crate) fn report(config: &Config) -> ConfigReport {
    let mut errors = match settings(config) {
        Ok(_) => Vec::new(),
        Err(ConfigError(errors)) => errors,
    };
    errors.extend(unknown_fields(config));
    let clicks = matches!(shorten_urls(config), Ok(true)) && has_service(config);
    ConfigReport {
        errors,
        callbacks: Callbacks {
            delivery: true,
            clicks,
            replies: true,
        },
    }
}

/// Reads a configuration for sending. Unknown fields are ignored here (they cannot make a
/// request wrong, and refusing them would stop a provider whose stored configuration came
/// from another version of the plugin); `validate_config` still reports them.
pub(crate) fn settings(config: &Config) -> Result<Settings<'_>, ConfigError> {
    let mut errors = Vec::new();

    let account_sid = required(config, ACCOUNT_SID, "Account SID", &mut errors);
    if account_sid.is_some_and(|sid| !checks::is_sid(sid, "AC")) {
        errors.push(FieldError::new(
            ACCOUNT_SID,
            "must be AC followed by 32 hexadecimal characters, as shown on the Twilio Console",
        ));
    }

    let auth_token = auth_token_field(config, &mut errors);

    let from = optional(config, FROM, &mut errors);
    if let Some(Err(problem)) = from.map(checks::sender) {
        errors.push(FieldError::new(FROM, problem));
    }

    let service = optional(config, MESSAGING_SERVICE_SID, &mut errors);
    if service.is_some_and(|sid| !checks::is_sid(sid, "MG")) {
        errors.push(FieldError::new(
            MESSAGING_SERVICE_SID,
            "must be MG followed by 32 hexadecimal characters",
        ));
    }

    let from_present = !matches!(read(config, FROM), Ok(None));
    let service_present = !matches!(read(config, MESSAGING_SERVICE_SID), Ok(None));
    if !from_present && !service_present {
        errors.push(FieldError::new(
            format!("{FROM},{MESSAGING_SERVICE_SID}"),
            "set a sender (from) or a Messaging Service SID (messaging_service_sid)",
        ));
    }

    let shorten_urls = shorten_urls(config).unwrap_or_else(|err| {
        errors.push(err);
        false
    });
    if shorten_urls && !has_service(config) {
        errors.push(FieldError::new(
            SHORTEN_URLS,
            "a Messaging Service SID (messaging_service_sid) is required to shorten links; \
             set one or turn link shortening off",
        ));
    }

    let base_url = optional(config, BASE_URL, &mut errors).unwrap_or(DEFAULT_BASE_URL);
    if let Err(problem) = checks::base_url(base_url) {
        errors.push(FieldError::new(BASE_URL, problem));
    }

    let sender = match (service, from) {
        (Some(sid), _) => Some(Sender::MessagingService(sid)),
        (None, Some(from)) => Some(Sender::From(from)),
        (None, None) => None,
    };
    match (account_sid, auth_token, sender) {
        (Some(account_sid), Some(auth_token), Some(sender)) if errors.is_empty() => Ok(Settings {
            account_sid,
            auth_token,
            sender,
            shorten_urls,
            base_url: base_url.trim_end_matches('/'),
        }),
        _ => Err(ConfigError(errors)),
    }
}

/// Reads only the auth token, which is all callback verification needs: a provider whose
/// sender is misconfigured must still have its callbacks for earlier messages verified.
pub(crate) fn auth_token(config: &Config) -> Result<&str, ConfigError> {
    let mut errors = Vec::new();
    match auth_token_field(config, &mut errors) {
        Some(token) if errors.is_empty() => Ok(token),
        _ => Err(ConfigError(errors)),
    }
}

/// The auth token, checked for presence and for the stray spaces a copy and paste leaves,
/// which would otherwise surface as an obscure authentication failure.
fn auth_token_field<'a>(config: &'a Config, errors: &mut Vec<FieldError>) -> Option<&'a str> {
    let token = required(config, AUTH_TOKEN, "Auth token", errors)?;
    if token.trim() != token {
        errors.push(FieldError::new(
            AUTH_TOKEN,
            "has leading or trailing spaces; paste the token again",
        ));
        return None;
    }
    Some(token)
}

/// The `shorten_urls` switch: `"true"` or `"false"` in any case; not set means `false`.
fn shorten_urls(config: &Config) -> Result<bool, FieldError> {
    match read(config, SHORTEN_URLS)? {
        None => Ok(false),
        Some(value) if value.eq_ignore_ascii_case("true") => Ok(true),
        Some(value) if value.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(FieldError::new(
            SHORTEN_URLS,
            "must be \"true\" or \"false\"",
        )),
    }
}

/// Whether a well-formed Messaging Service SID is set, which link shortening needs.
fn has_service(config: &Config) -> bool {
    matches!(
        read(config, MESSAGING_SERVICE_SID),
        Ok(Some(sid)) if checks::is_sid(sid, "MG")
    )
}

/// A field that must be set; records an error and gives `None` when it is not.
fn required<'a>(
    config: &'a Config,
    name: &str,
    label: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a str> {
    match read(config, name) {
        Ok(Some(value)) => Some(value),
        Ok(None) => {
            errors.push(FieldError::new(name, format!("{label} is required")));
            None
        }
        Err(err) => {
            errors.push(err);
            None
        }
    }
}

/// A field that may be absent; records an error when it holds something other than a string.
fn optional<'a>(config: &'a Config, name: &str, errors: &mut Vec<FieldError>) -> Option<&'a str> {
    read(config, name).unwrap_or_else(|err| {
        errors.push(err);
        None
    })
}

/// The value of `name`: `None` when absent, null or blank, an error when not a string.
fn read<'a>(config: &'a Config, name: &str) -> Result<Option<&'a str>, FieldError> {
    match config.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(FieldError::new(
            name,
            format!("must be a string, not {}", json_kind(other)),
        )),
    }
}

/// One error per key this plugin does not know, so a typo such as `acount_sid` is caught
/// instead of silently ignored.
fn unknown_fields(config: &Config) -> Vec<FieldError> {
    config
        .keys()
        .filter(|key| !KNOWN_FIELDS.contains(&key.as_str()))
        .map(|key| {
            FieldError::new(
                key.as_str(),
                format!(
                    "unknown field; the twilio plugin takes {}",
                    KNOWN_FIELDS.join(", ")
                ),
            )
        })
        .collect()
}

/// The JSON type of a value, for messages that must not show the value itself.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SID: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const MG: &str = "MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn config(value: serde_json::Value) -> Config {
        match value {
            Value::Object(map) => map,
            _ => Config::new(),
        }
    }

    #[test]
    fn prefers_the_messaging_service_and_trims_the_base_url() {
        let c = config(json!({
            "account_sid": SID, "auth_token": "t", "from": "+14155552345",
            "messaging_service_sid": MG, "base_url": "http://127.0.0.1:8080/"
        }));
        let s = settings(&c).unwrap();
        assert_eq!(s.sender, Sender::MessagingService(MG));
        assert_eq!(s.base_url, "http://127.0.0.1:8080");
        assert!(!s.shorten_urls);
    }

    #[test]
    fn shortening_needs_a_well_formed_service() {
        let base = json!({"account_sid": SID, "auth_token": "t", "shorten_urls": "True"});
        let mut with_service = base.clone();
        with_service["messaging_service_sid"] = json!(MG);
        let with_service = config(with_service);
        assert!(settings(&with_service).unwrap().shorten_urls);
        assert!(report(&with_service).callbacks.clicks);

        let mut malformed = base.clone();
        malformed["messaging_service_sid"] = json!("MG1");
        let fields: Vec<_> = settings(&config(malformed))
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, [MESSAGING_SERVICE_SID, SHORTEN_URLS]);
    }

    #[test]
    fn blank_and_null_mean_not_set() {
        let c = config(json!({
            "account_sid": SID, "auth_token": "t", "from": "+14155552345",
            "messaging_service_sid": "  ", "base_url": null
        }));
        let s = settings(&c).unwrap();
        assert_eq!(s.sender, Sender::From("+14155552345"));
        assert_eq!(s.base_url, DEFAULT_BASE_URL);
        assert!(!report(&c).callbacks.clicks);
    }

    #[test]
    fn error_text_never_holds_the_token() {
        let c = config(json!({"auth_token": " s3cr3t-value "}));
        let err = settings(&c).unwrap_err();
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
        assert!(err.0.iter().any(|e| e.field == AUTH_TOKEN));
    }
}
