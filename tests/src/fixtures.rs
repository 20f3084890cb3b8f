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

/// The `Authorization` header Twilio expects for `token`.
pub fn basic_auth(token: &str) -> String {
    use base64::Engine;
    let raw = format!("{ACCOUNT_SID}:{token}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}
