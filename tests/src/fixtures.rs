//! Shared set-ups: a daemon with both adapters loaded, and a mock Twilio that accepts or
//! refuses messages the way the real API does.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::daemon::{Daemon, Options};
use crate::http::{MockProvider, Recorded, Reply};

/// The account SID every test provider uses.
pub const ACCOUNT_SID: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
/// The auth token every test provider starts with. Tests assert it never leaks.
pub const AUTH_TOKEN: &str = "s3cret-auth-token-0f9e8d7c6b5a";
/// A number the mock Twilio refuses, as Twilio refuses invalid numbers.
pub const REFUSED_NUMBER: &str = "+15005550001";

/// A temporary data directory and plugin directory with both shipped adapters.
pub struct Setup {
    /// The data directory (kept across restarts).
    pub data: tempfile::TempDir,
    /// The plugin directory.
    pub plugins: tempfile::TempDir,
}

impl Setup {
    /// Fresh directories.
    pub fn new() -> Setup {
        Setup {
            data: tempfile::tempdir().unwrap(),
            plugins: crate::plugin_dir(&["tern_plugin_twilio", "tern_plugin_http"]),
        }
    }

    /// Options for a daemon on these directories.
    pub fn options(&self) -> Options {
        Options {
            data_dir: self.data.path().to_path_buf(),
            plugin_dir: self.plugins.path().to_path_buf(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// Starts a daemon on these directories.
    pub fn start(&self) -> Daemon {
        Daemon::start(&self.options())
    }
}

impl Default for Setup {
    fn default() -> Self {
        Self::new()
    }
}

/// What the mock Twilio answers: 201 with a fresh SID, or Twilio's 400 for [`REFUSED_NUMBER`].
pub fn twilio_reply(request: &Recorded) -> Reply {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let to = request
        .form()
        .into_iter()
        .find(|(k, _)| k == "To")
        .map(|(_, v)| v)
        .unwrap_or_default();
    if to == REFUSED_NUMBER {
        let body = json!({
            "code": 21211,
            "message": "The 'To' number +15005550001 is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400
        });
        return (400, "application/json", body.to_string());
    }
    let sid = format!("SM{:032x}", NEXT.fetch_add(1, Ordering::Relaxed));
    let body = json!({
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": "",
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": "+14155552345",
        "num_segments": "1",
        "sid": sid,
        "status": "queued",
        "to": to,
        "uri": format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json")
    });
    (201, "application/json", body.to_string())
}

/// A mock Twilio on loopback.
pub async fn mock_twilio() -> MockProvider {
    MockProvider::start(twilio_reply).await
}

/// A valid Twilio config pointing at `base_url`.
pub fn twilio_config(base_url: &str) -> Value {
    json!({
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from": "+14155552345",
        "base_url": base_url,
    })
}

/// A valid Twilio config pointing at `base_url` that sends through a Messaging Service with
/// link shortening, so the provider takes click events too.
pub fn twilio_config_with_clicks(base_url: &str) -> Value {
    let mut config = twilio_config(base_url);
    config["messaging_service_sid"] = json!("MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    config["shorten_urls"] = json!("true");
    config
}

/// The `Authorization` header Twilio expects for `token`.
pub fn basic_auth(token: &str) -> String {
    use base64::Engine;
    let raw = format!("{ACCOUNT_SID}:{token}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// `X-Twilio-Signature` for a request to `url` with form `params`, computed independently of
/// the adapter: base64(HMAC-SHA1(token, url + each parameter name and value, sorted by name)).
pub fn twilio_signature(token: &str, url: &str, params: &[(&str, &str)]) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut data = url.to_owned();
    for (name, value) in sorted {
        data.push_str(name);
        data.push_str(value);
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The lowercase hex SHA-256 of `body`, for Twilio's `bodySHA256`.
pub fn sha256_hex(body: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The path and query of an absolute URL (what to request from a listener).
pub fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/", |i| &rest[i..])
}

/// A callback signed as Twilio signs it, ready to post (and to post again) to a callback
/// listener.
#[derive(Debug, Clone)]
pub struct SignedCallback {
    /// Path and query on the callback listener.
    pub path: String,
    /// `Content-Type` and `X-Twilio-Signature`.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: String,
}

impl SignedCallback {
    /// A form callback to `callback_url` with `params`, signed with `token`.
    pub fn form(callback_url: &str, params: &[(&str, &str)], token: &str) -> Self {
        let signature = twilio_signature(token, callback_url, params);
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        SignedCallback {
            path: path_of(callback_url).to_owned(),
            headers: vec![
                (
                    "content-type",
                    "application/x-www-form-urlencoded".to_owned(),
                ),
                ("x-twilio-signature", signature),
            ],
            body,
        }
    }

    /// A link-shortening click event for `sms_sid`, signed with `token`.
    pub fn click(callback_url: &str, sms_sid: &str, token: &str) -> Self {
        let body = json!({
            "event_type": "click",
            "sms_sid": sms_sid,
            "to": "+14155550100",
            "from": "+14155552345",
            "link": "https://example.com/offer",
            "click_time": "2026-03-01T10:00:00.000Z",
            "messaging_service_sid": "MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "account_sid": ACCOUNT_SID,
            "user_agent": "Mozilla/5.0"
        })
        .to_string();
        let url = format!("{callback_url}?bodySHA256={}", sha256_hex(&body));
        let signature = twilio_signature(token, &url, &[]);
        SignedCallback {
            path: path_of(&url).to_owned(),
            headers: vec![
                ("content-type", "application/json".to_owned()),
                ("x-twilio-signature", signature),
            ],
            body,
        }
    }

    /// Posts it through `callbacks` (a client of the callback listener); an error when no
    /// answer came.
    pub async fn post(&self, callbacks: &crate::http::Api) -> Result<crate::http::Answer, String> {
        let headers: Vec<(&str, &str)> =
            self.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        callbacks
            .try_raw("POST", &self.path, &headers, self.body.clone())
            .await
    }
}

/// Posts a signed Twilio form callback to `callback_url`; returns the answer.
pub async fn post_twilio_form(
    daemon: &Daemon,
    callback_url: &str,
    params: &[(&str, &str)],
    token: &str,
) -> crate::http::Answer {
    SignedCallback::form(callback_url, params, token)
        .post(&daemon.callbacks())
        .await
        .expect("the callback listener answers")
}

/// Posts a signed Twilio link-shortening click event for `sms_sid`.
pub async fn post_twilio_click(
    daemon: &Daemon,
    callback_url: &str,
    sms_sid: &str,
    token: &str,
) -> crate::http::Answer {
    SignedCallback::click(callback_url, sms_sid, token)
        .post(&daemon.callbacks())
        .await
        .expect("the callback listener answers")
}
