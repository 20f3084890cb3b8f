//! The plugin's manifest: its name, what it does and the configuration form an admin fills in.

use tern_plugin_api::{Callbacks, ConfigField, FieldKind, Manifest};

use crate::config::{
    ACCOUNT_SID, AUTH_TOKEN, BASE_URL, DEFAULT_BASE_URL, FROM, MESSAGING_SERVICE_SID, SHORTEN_URLS,
};

/// The plugin's name: the value of a provider's `plugin` field.
pub(crate) const NAME: &str = "twilio";

/// Describes the plugin to the host.
///
/// The host builds the provider form from `config` and learns from `secret` that `auth_token`
/// must be encrypted at rest and never returned. `from` and `messaging_service_sid` are both
/// optional here because either one will do; `validate_config` enforces that one is set.
/// Every callback kind is declared because the plugin can parse all three; a given provider
/// gets clicks only when `shorten_urls` is on and a Messaging Service SID is set, because
/// Twilio shortens links (and reports clicks on them) only when a send asks for it through a
/// Messaging Service with Link Shortening configured (see `validate_config`).
pub(crate) fn manifest() -> Manifest {
    Manifest {
        name: NAME.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        description: "Sends SMS through Twilio's Messages API and reads its delivery, reply and \
                      link-click callbacks."
            .to_owned(),
        config: fields(),
        callbacks: Callbacks {
            delivery: true,
            clicks: true,
            replies: true,
        },
        ..Manifest::default()
    }
}

/// The configuration fields, in the order a form should show them.
fn fields() -> Vec<ConfigField> {
    vec![
        field(
            ACCOUNT_SID,
            "Account SID",
            FieldKind::String,
            true,
            false,
            None,
            "Your Twilio account's SID, shown on the Console dashboard: AC followed by 32 \
             hexadecimal characters.",
        ),
        field(
            AUTH_TOKEN,
            "Auth token",
            FieldKind::String,
            true,
            true,
            None,
            "The account's auth token, shown next to the Account SID. Tern uses it to \
             authenticate to Twilio and to verify the X-Twilio-Signature of callbacks.",
        ),
        field(
            FROM,
            "Sender (From)",
            FieldKind::String,
            false,
            false,
            None,
            "A Twilio phone number in E.164 form (+14155552345), a short code, or an \
             alphanumeric sender ID. Set this or a Messaging Service SID; when both are set \
             the Messaging Service is used.",
        ),
        field(
            MESSAGING_SERVICE_SID,
            "Messaging Service SID",
            FieldKind::String,
            false,
            false,
            None,
            "MG followed by 32 hexadecimal characters. Twilio picks the sender from the \
             service's pool. Needed for link shortening and click tracking, which are turned \
             on with \"Shorten links\".",
        ),
        ConfigField {
            options: vec!["false".to_owned(), "true".to_owned()],
            ..field(
                SHORTEN_URLS,
                "Shorten links (click tracking)",
                FieldKind::Select,
                false,
                false,
                Some("false"),
                "When true, Twilio shortens the links in each message and sends a click \
                 event when a recipient opens one, which turns on click tracking. Needs a \
                 Messaging Service SID whose service has Link Shortening configured in the \
                 Twilio Console (a shortening domain you own, and the click callback URL).",
            )
        },
        field(
            BASE_URL,
            "API base URL",
            FieldKind::Url,
            false,
            false,
            Some(DEFAULT_BASE_URL),
            "Where Twilio's REST API lives. Change it only for a Twilio-compatible gateway or \
             a local mock.",
        ),
    ]
}

/// One field without options; positional because every field sets every attribute. A select
/// field sets `options` on the result.
fn field(
    name: &str,
    label: &str,
    kind: FieldKind,
    required: bool,
    secret: bool,
    default: Option<&str>,
    help: &str,
) -> ConfigField {
    ConfigField {
        name: name.to_owned(),
        label: label.to_owned(),
        kind,
        required,
        secret,
        default: default.map(str::to_owned),
        options: Vec::new(),
        help: help.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_plugin_and_marks_the_token_secret() {
        let m = manifest();
        assert_eq!(m.name, "twilio");
        assert_eq!(m.version, env!("CARGO_PKG_VERSION"));
        let names: Vec<_> = m.config.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "account_sid",
                "auth_token",
                "from",
                "messaging_service_sid",
                "shorten_urls",
                "base_url"
            ]
        );
        let shorten = m.config.iter().find(|f| f.name == "shorten_urls").unwrap();
        assert_eq!(shorten.kind, FieldKind::Select);
        assert_eq!(shorten.options, ["false", "true"]);
        assert_eq!(shorten.default.as_deref(), Some("false"));
        assert!(!shorten.required && !shorten.secret);
        let secret: Vec<_> = m
            .config
            .iter()
            .filter(|f| f.secret)
            .map(|f| &f.name)
            .collect();
        assert_eq!(secret, ["auth_token"]);
    }
}
