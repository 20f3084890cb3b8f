//! The manifest: the plugin's name and every configuration field, with the help an admin form
//! shows. It is also the single source of the fields' defaults and of which fields exist, so
//! the config reader and the form can never disagree.

use std::sync::OnceLock;

use tern_plugin_api::{AbiVersion, Callbacks, ConfigField, FieldKind, Manifest};

/// The plugin's name, the value of a provider's `plugin` field.
pub const NAME: &str = "http";

/// Field names, shared by the manifest and the config reader so a rename cannot miss one.
pub mod field {
    /// The gateway URL.
    pub const URL: &str = "url";
    /// GET or POST.
    pub const METHOD: &str = "method";
    /// form, json or none.
    pub const BODY_FORMAT: &str = "body_format";
    /// The body (or, for GET, query) template.
    pub const BODY_TEMPLATE: &str = "body_template";
    /// Extra headers.
    pub const HEADERS: &str = "headers";
    /// The sender.
    pub const FROM: &str = "from";
    /// none, basic, bearer or header.
    pub const AUTH: &str = "auth";
    /// Basic auth user.
    pub const USERNAME: &str = "username";
    /// Basic auth password (secret).
    pub const PASSWORD: &str = "password";
    /// Bearer or API-key header token (secret).
    pub const TOKEN: &str = "token";
    /// Header carrying the token for `auth = header`.
    pub const AUTH_HEADER: &str = "auth_header";
    /// Statuses meaning accepted.
    pub const ACCEPTED_STATUSES: &str = "accepted_statuses";
    /// Pointer to the gateway's message id in its answer.
    pub const MESSAGE_ID_POINTER: &str = "message_id_pointer";
    /// clevertap or mapped.
    pub const CALLBACK_FORMAT: &str = "callback_format";
    /// Mapped: where the message id is.
    pub const CALLBACK_ID_FIELD: &str = "callback_id_field";
    /// Mapped: where the status is.
    pub const CALLBACK_STATUS_FIELD: &str = "callback_status_field";
    /// Mapped: statuses meaning delivered.
    pub const CALLBACK_DELIVERED_VALUES: &str = "callback_delivered_values";
    /// Mapped: statuses meaning failed.
    pub const CALLBACK_FAILED_VALUES: &str = "callback_failed_values";
    /// Mapped: where the error code is.
    pub const CALLBACK_ERROR_FIELD: &str = "callback_error_field";
    /// HMAC secret (secret).
    pub const CALLBACK_SECRET: &str = "callback_secret";
    /// Header carrying the signature.
    pub const CALLBACK_SIGNATURE_HEADER: &str = "callback_signature_header";
    /// hex or base64.
    pub const CALLBACK_SIGNATURE_ENCODING: &str = "callback_signature_encoding";
    /// The acknowledgement body.
    pub const CALLBACK_REPLY: &str = "callback_reply";
}

const PLACEHOLDERS: &str =
    "Placeholders: {{to}}, {{from}}, {{body}}, {{message_id}}, {{callback_url}}.";

/// The whole manifest. `abi` is filled in by the SDK.
pub fn manifest() -> Manifest {
    Manifest {
        name: NAME.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        abi: AbiVersion::CURRENT,
        description: "Generic HTTP gateway: sends with a configurable GET/POST request (form or JSON body, \
                      templates, basic/bearer/header auth) and reads CleverTap-style or mapped callbacks"
            .to_owned(),
        config: config_fields().to_vec(),
        callbacks: Callbacks {
            delivery: true,
            clicks: true,
            replies: true,
        },
    }
}

/// The configuration fields, in form order: sending first, then callbacks. Built once: every
/// call reads its defaults and options from here.
pub fn config_fields() -> &'static [ConfigField] {
    static FIELDS: OnceLock<Vec<ConfigField>> = OnceLock::new();
    FIELDS.get_or_init(build_fields)
}

fn build_fields() -> Vec<ConfigField> {
    use FieldKind::{Select, String as Line, Text, Url};
    use field::*;
    vec![
        f(URL, "Gateway URL", Url).required().help(&format!(
            "Absolute http(s) URL the message is sent to. Placeholders may appear in the query only \
             (after ?) and are percent-encoded, e.g. https://gw.example.com/send?to={{{{to}}}}. {PLACEHOLDERS}"
        )),
        f(METHOD, "HTTP method", Select).options(&["POST", "GET"]).default_value("POST").help(
            "POST sends the body. GET sends none: with body_format form the pairs are appended to the \
             URL's query; json needs POST.",
        ),
        f(BODY_FORMAT, "Body format", Select).options(&["form", "json", "none"]).default_value("form").help(
            "form: application/x-www-form-urlencoded pairs (in the query for GET); json: application/json \
             (POST only); none: no body.",
        ),
        f(BODY_TEMPLATE, "Body template", Text).help(&format!(
            "For form: one name=value pair per line, written unencoded (e.g. text={{{{body}}}}); names and \
             values are form-encoded when sent, blank lines are skipped and spaces around names and \
             values are trimmed. For json: a JSON document with placeholders inside string \
             values (e.g. {{\"to\": \"{{{{to}}}}\", \"text\": \"{{{{body}}}}\"}}); values are JSON-escaped. \
             Required for json, and for form with POST. {PLACEHOLDERS}"
        )),
        f(HEADERS, "Extra headers", Text).help(&format!(
            "One `Name: value` per line. Values may hold placeholders; a value with a line break is refused \
             when sending. Content-Type defaults to the body format's and may be overridden here; \
             Content-Length, Transfer-Encoding, Host and Connection are set by the daemon. Put \
             credentials in the auth fields, which are stored encrypted, not here. {PLACEHOLDERS}"
        )),
        f(FROM, "Sender", Line).help("Sender id or number, the value of {{from}}. Empty if not set."),
        f(AUTH, "Authentication", Select).options(&["none", "basic", "bearer", "header"]).default_value("none").help(
            "basic: Authorization: Basic with username and password; bearer: Authorization: Bearer with \
             token; header: the token in the header named by auth_header.",
        ),
        f(USERNAME, "Username", Line).help("User for basic auth. Must not contain `:`."),
        f(PASSWORD, "Password", Line).secret().help("Password for basic auth."),
        f(TOKEN, "Token", Line).secret().help("Token for bearer or header auth."),
        f(AUTH_HEADER, "API key header", Line).default_value("X-API-Key").help(
            "The header that carries the token when auth is header.",
        ),
        f(ACCEPTED_STATUSES, "Accepted statuses", Line).default_value("200-299").help(
            "HTTP statuses that mean the gateway accepted the message: codes and ranges separated by commas, \
             e.g. 200-299 or 200,201,202. Any other status rejects the message (retryable for 429 and 5xx).",
        ),
        f(MESSAGE_ID_POINTER, "Message id pointer", Line).help(
            "JSON pointer to the gateway's message id in its answer, e.g. /data/id or /messages/0/id. Leave \
             empty to track messages by Tern's own id, which suits gateways that echo {{message_id}} back \
             in their callbacks (CleverTap's meta).",
        ),
        f(CALLBACK_FORMAT, "Callback format", Select).options(&["clevertap", "mapped"]).default_value("clevertap").help(
            "clevertap: CleverTap's generic JSON array of delivered/failed/clicked/replied events, with meta \
             as the message id. mapped: delivery callbacks read with the callback_* field mapping below.",
        ),
        f(CALLBACK_ID_FIELD, "Callback message id field", Line).help(
            "Mapped format (required): where the message id is: a form or query field name (id), or a JSON \
             pointer (/data/id). In JSON callbacks a bare name is a top-level member, and an array \
             body is read as a batch of callbacks.",
        ),
        f(CALLBACK_STATUS_FIELD, "Callback status field", Line).help(
            "Mapped format (required): where the delivery status is, written like the message id field.",
        ),
        f(CALLBACK_DELIVERED_VALUES, "Delivered statuses", Line).default_value("delivered").help(
            "Mapped format: comma-separated status values that mean delivered (case-insensitive).",
        ),
        f(CALLBACK_FAILED_VALUES, "Failed statuses", Line).default_value("failed,undelivered").help(
            "Mapped format: comma-separated status values that mean failed (case-insensitive). Statuses in \
             neither list are ignored.",
        ),
        f(CALLBACK_ERROR_FIELD, "Callback error code field", Line).help(
            "Mapped format, optional: where the error code of a failed delivery is, written like the message \
             id field.",
        ),
        f(CALLBACK_SECRET, "Callback signing secret", Line).secret().help(
            "If set, every callback must carry an HMAC-SHA256 of its raw body under this secret in the \
             signature header; unsigned or wrongly signed callbacks are refused. GET callbacks have an \
             empty body, so for them the signature proves only knowledge of the secret.",
        ),
        f(CALLBACK_SIGNATURE_HEADER, "Signature header", Line).default_value("X-Signature").help(
            "The header that carries the callback signature.",
        ),
        f(CALLBACK_SIGNATURE_ENCODING, "Signature encoding", Select).options(&["hex", "base64"]).default_value("hex").help(
            "How the signature is written: hex (an optional sha256= prefix is accepted) or base64.",
        ),
        f(CALLBACK_REPLY, "Callback reply", Line).help(
            "Body of the 200 answer to each accepted callback, e.g. OK; sent as JSON if it is a JSON \
             object or array, as plain text otherwise. Empty for an empty answer.",
        ),
    ]
}

/// A small builder so each field above reads as one statement.
fn f(name: &str, label: &str, kind: FieldKind) -> ConfigField {
    ConfigField {
        name: name.to_owned(),
        label: label.to_owned(),
        kind,
        ..ConfigField::default()
    }
}

trait FieldExt {
    fn required(self) -> Self;
    fn secret(self) -> Self;
    fn default_value(self, value: &str) -> Self;
    fn options(self, values: &[&str]) -> Self;
    fn help(self, text: &str) -> Self;
}

impl FieldExt for ConfigField {
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
    fn secret(mut self) -> Self {
        self.secret = true;
        self
    }
    fn default_value(mut self, value: &str) -> Self {
        self.default = Some(value.to_owned());
        self
    }
    fn options(mut self, values: &[&str]) -> Self {
        self.options = values.iter().map(|v| (*v).to_owned()).collect();
        self
    }
    fn help(mut self, text: &str) -> Self {
        self.help = text.split_whitespace().collect::<Vec<_>>().join(" ");
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_well_formed() {
        let fields = config_fields();
        let mut names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), fields.len(), "duplicate field names");
        for field in fields {
            assert!(
                !field.label.is_empty() && !field.help.is_empty(),
                "{}",
                field.name
            );
            assert_eq!(
                field.kind == FieldKind::Select,
                !field.options.is_empty(),
                "{}",
                field.name
            );
            if let (FieldKind::Select, Some(default)) = (field.kind, &field.default) {
                assert!(field.options.contains(default), "{}", field.name);
            }
        }
        let secrets: Vec<&str> = fields
            .iter()
            .filter(|f| f.secret)
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(secrets, ["password", "token", "callback_secret"]);
    }

    #[test]
    fn help_is_tidy() {
        let fields = config_fields();
        let url = fields.iter().find(|f| f.name == "url").unwrap();
        assert!(url.help.contains("?to={{to}}"));
        assert!(!url.help.contains("  "));
    }
}
