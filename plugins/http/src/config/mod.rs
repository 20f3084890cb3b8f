//! Reading a provider's configuration into typed settings, reporting every problem at once.
//!
//! Every call re-reads the configuration (plugins are stateless), and `validate_config` uses
//! the very same reader, so a config that validates is exactly a config the other calls
//! accept. An empty string means "not set": the manifest default applies.

mod callback;
mod send;

use tern_plugin_api::{Callbacks, Config, ConfigField, ConfigReport, FieldError};

pub use send::{Auth, Method, SendConfig};

use crate::callback::CallbackConfig;
use crate::error::Error;
use crate::manifest::{self, field};

/// A provider's whole configuration, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayConfig {
    /// How to send and how to read the answer.
    pub send: SendConfig,
    /// How to read callbacks.
    pub callback: CallbackConfig,
}

impl GatewayConfig {
    /// Reads and checks `config`; on failure, one [`FieldError`] per problem.
    pub fn read(config: &Config) -> Result<GatewayConfig, Vec<FieldError>> {
        let mut reader = Reader::new(config);
        let send = send::read(&mut reader);
        let callback = callback::read(&mut reader);
        match (send, callback) {
            (Some(send), Some(callback)) if reader.errors.is_empty() => {
                Ok(GatewayConfig { send, callback })
            }
            _ => Err(reader.errors),
        }
    }

    /// Every secret value in the configuration, so text that leaves the plugin (an excerpt of
    /// a gateway's answer) can be scrubbed of them.
    pub fn secrets(&self) -> Vec<&str> {
        let mut secrets = self.send.auth.secrets();
        secrets.extend(self.callback.signature.as_ref().map(|s| s.secret()));
        secrets
    }

    /// Like [`GatewayConfig::read`], for the calls that need a usable config: the problems
    /// become one `invalid_config` error.
    pub fn load(config: &Config) -> Result<GatewayConfig, Error> {
        GatewayConfig::read(config).map_err(|errors| {
            let text: Vec<String> = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            Error::InvalidConfig(text.join("; "))
        })
    }
}

/// The answer to `validate_config`. The callbacks reflect the chosen format even when other
/// fields have problems, so a form can show them while the admin fixes the rest.
pub fn report(config: &Config) -> ConfigReport {
    match GatewayConfig::read(config) {
        Ok(gateway) => ConfigReport {
            errors: Vec::new(),
            callbacks: gateway.callback.format.callbacks(),
        },
        Err(errors) => {
            let mapped = Reader::new(config)
                .value(field::CALLBACK_FORMAT)
                .trim()
                .eq_ignore_ascii_case("mapped");
            ConfigReport {
                errors,
                callbacks: Callbacks {
                    delivery: true,
                    clicks: !mapped,
                    replies: !mapped,
                },
            }
        }
    }
}

/// Reads fields from a [`Config`] and collects problems, so one pass reports all of them.
pub(crate) struct Reader<'a> {
    config: &'a Config,
    fields: &'static [ConfigField],
    errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    /// Starts reading, reporting unknown fields and values that are not strings up front.
    fn new(config: &'a Config) -> Reader<'a> {
        let fields = manifest::config_fields();
        let mut errors = Vec::new();
        for (name, value) in config {
            if !fields.iter().any(|f| f.name == *name) {
                errors.push(FieldError::new(name, "unknown field"));
            } else if !value.is_string() {
                errors.push(FieldError::new(name, "must be a string"));
            }
        }
        Reader {
            config,
            fields,
            errors,
        }
    }

    /// The field's text: the configured string if set and not empty, else the manifest
    /// default, else "". A non-string value was already reported and reads as not set.
    fn value(&self, name: &str) -> String {
        match self.config.get(name).and_then(|v| v.as_str()) {
            Some(text) if !text.is_empty() => text.to_owned(),
            _ => self
                .fields
                .iter()
                .find(|f| f.name == name)
                .and_then(|f| f.default.clone())
                .unwrap_or_default(),
        }
    }

    /// Reads a field that must be set. A value already reported as not a string is not
    /// reported again as missing.
    fn required(&mut self, name: &str, why: &str) -> Option<String> {
        let value = self.value(name);
        if !value.trim().is_empty() {
            return Some(value);
        }
        if !self.errors.iter().any(|e| e.field == name) {
            self.fail(name, format!("is required{why}"));
        }
        None
    }

    /// Records a problem with `name`.
    fn fail(&mut self, name: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(name, message));
    }

    /// Keeps an `Ok`, records an `Err` against `name`.
    fn check<T>(&mut self, name: &str, result: Result<T, String>) -> Option<T> {
        result.map_err(|message| self.fail(name, message)).ok()
    }

    /// Like [`Reader::check`] for line-based fields that report several problems.
    fn check_lines<T>(&mut self, name: &str, result: Result<T, Vec<String>>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problems) => {
                for problem in problems {
                    self.fail(name, problem);
                }
                None
            }
        }
    }

    /// Reads a select field: the value must be one of the manifest's options (any case).
    fn select(&mut self, name: &str) -> Option<String> {
        let value = self.value(name).trim().to_owned();
        let options = self
            .fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.options.clone())
            .unwrap_or_default();
        match options.iter().find(|o| o.eq_ignore_ascii_case(&value)) {
            Some(option) => Some(option.clone()),
            None => {
                self.fail(
                    name,
                    format!("must be one of {}, not {value:?}", options.join(", ")),
                );
                None
            }
        }
    }

    /// Reads a secret that must be set and pass `valid`; a failure states `rule` and never
    /// quotes the value.
    fn secret(
        &mut self,
        name: &str,
        why: &str,
        valid: fn(&str) -> bool,
        rule: &str,
    ) -> Option<String> {
        let value = self.required(name, why)?;
        if valid(&value) {
            Some(value)
        } else {
            self.fail(name, rule);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback::CallbackFormat;
    use serde_json::json;

    fn config(value: serde_json::Value) -> Config {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn minimal_config_uses_defaults() {
        let cfg =
            config(json!({"url": "https://gw.example.com/send", "body_template": "to={{to}}"}));
        let gateway = GatewayConfig::read(&cfg).unwrap();
        assert_eq!(gateway.callback.format, CallbackFormat::CleverTap);
        assert_eq!(gateway.send.auth, Auth::None);
        assert!(gateway.callback.signature.is_none());
        assert!(report(&cfg).callbacks.replies);
    }

    #[test]
    fn unknown_and_non_string_fields() {
        let cfg = config(json!({"url": 5, "colour": "blue", "body_template": "a=b"}));
        let errors = GatewayConfig::read(&cfg).unwrap_err();
        assert!(errors.contains(&FieldError::new("url", "must be a string")));
        assert!(errors.contains(&FieldError::new("colour", "unknown field")));
        assert_eq!(errors.iter().filter(|e| e.field == "url").count(), 1);
    }

    #[test]
    fn load_joins_problems() {
        let err = GatewayConfig::load(&Config::new()).unwrap_err();
        assert!(matches!(err, Error::InvalidConfig(m) if m.starts_with("url: ")));
    }
}
