//! A working provider that misbehaves for one call at a time, on request, so tests can show
//! that a fault costs only the call it happens in.
//!
//! Sends go to the `url` in the config with the message body as the request body, and the
//! test's mock answers with that same body. Each function looks for a marker in the text it
//! is given (the message body in `build_send`, the provider's answer in
//! `parse_send_response`, the callback body in `parse_callback`):
//!
//! - `panic:<function>`: it panics;
//! - `stall:<function>`: it sleeps for [`STALL`], far past the time limit the tests set;
//! - `garble:<function>`: it answers with bytes that are not JSON.
//!
//! Anything else works: a send is accepted under the message's own id, and a callback body
//! `delivered:<id>` reports that message delivered.
//!
//! Answering with bytes that are not JSON is impossible through the SDK, which always encodes
//! its answers, so this plugin puts its own function in front of the SDK's for the two calls
//! that can garble. That is the only unsafe code of the test plugins beyond their entry
//! points.
#![deny(unsafe_code)]

use std::time::Duration;

use tern_plugin_api::abi::{CallFn, FLAG_UNWIND, PluginV1, STATUS_OK, Sink};
use tern_plugin_api::{
    CallbackOutcome, CallbackRequest, Callbacks, Config, ConfigField, ConfigReport, Event,
    EventKind, FieldKind, HttpRequest, HttpResponse, Manifest, PluginError, Provider, SendOutcome,
    SendRequest, SendResponseRequest,
};

/// How long a stalled call sleeps.
pub const STALL: Duration = Duration::from_secs(3);

/// The provider.
#[derive(Default)]
pub struct Faulty;

/// Panics or stalls when `text` asks `function` to.
fn misbehave(function: &str, text: &str) {
    if text.contains(&format!("panic:{function}")) {
        panic!("faulty plugin panicked in {function} as asked");
    }
    if text.contains(&format!("stall:{function}")) {
        std::thread::sleep(STALL);
    }
}

impl Provider for Faulty {
    fn manifest(&self) -> Manifest {
        Manifest {
            name: "faulty".to_owned(),
            version: "0.0.1".to_owned(),
            description: "test plugin that misbehaves on request".to_owned(),
            config: vec![ConfigField {
                name: "url".to_owned(),
                label: "URL".to_owned(),
                kind: FieldKind::Url,
                required: true,
                ..Default::default()
            }],
            callbacks: Callbacks {
                delivery: true,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn validate_config(&self, _: &Config) -> ConfigReport {
        ConfigReport {
            callbacks: Callbacks {
                delivery: true,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn build_send(&self, request: &SendRequest) -> Result<HttpRequest, PluginError> {
        misbehave("build_send", &request.message.body);
        Ok(HttpRequest {
            method: "POST".to_owned(),
            url: request.config["url"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            headers: Vec::new(),
            body: request.message.body.clone(),
        })
    }

    fn parse_send_response(
        &self,
        request: &SendResponseRequest,
    ) -> Result<SendOutcome, PluginError> {
        misbehave("parse_send_response", &request.response.body);
        Ok(SendOutcome::Accepted {
            provider_message_id: request.message.id.clone(),
        })
    }

    fn parse_callback(&self, request: &CallbackRequest) -> Result<CallbackOutcome, PluginError> {
        let body = &request.request.body;
        misbehave("parse_callback", body);
        let id = body
            .strip_prefix("delivered:")
            .ok_or_else(|| PluginError::new("malformed", "expected delivered:<id>"))?;
        Ok(CallbackOutcome {
            events: vec![Event {
                kind: EventKind::Delivered,
                provider_message_id: Some(id.to_owned()),
                ..Default::default()
            }],
            reply: HttpResponse {
                status: 200,
                ..Default::default()
            },
        })
    }
}

impl tern_plugin_api::sdk::Exported for Faulty {
    fn instance() -> &'static Self {
        &Faulty
    }
}

/// The SDK's table for [`Faulty`], whose functions the garbling ones fall back to.
const SDK: PluginV1 = tern_plugin_api::sdk::table::<Faulty>(FLAG_UNWIND);

static TABLE: PluginV1 = PluginV1 {
    parse_send_response: Some(garble_parse_send_response),
    parse_callback: Some(garble_parse_callback),
    ..SDK
};

/// The entry point, returning the table with the garbling functions in front.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn tern_plugin_entry_v1() -> *const PluginV1 {
    &TABLE
}

/// `parse_send_response`, garbling on request.
#[allow(unsafe_code)]
unsafe extern "C" fn garble_parse_send_response(
    input: *const u8,
    len: usize,
    sink: *const Sink,
) -> i32 {
    // SAFETY: the host's arguments, passed on unchanged under the same ABI contract.
    unsafe {
        garble_or(
            SDK.parse_send_response,
            b"garble:parse_send_response",
            input,
            len,
            sink,
        )
    }
}

/// `parse_callback`, garbling on request.
#[allow(unsafe_code)]
unsafe extern "C" fn garble_parse_callback(input: *const u8, len: usize, sink: *const Sink) -> i32 {
    // SAFETY: the host's arguments, passed on unchanged under the same ABI contract.
    unsafe {
        garble_or(
            SDK.parse_callback,
            b"garble:parse_callback",
            input,
            len,
            sink,
        )
    }
}

/// Writes bytes that are not JSON with [`STATUS_OK`] when the input holds `marker`, else calls
/// the SDK's function.
///
/// # Safety
/// The ABI's contract for a call: `input` is null or points to `len` readable bytes, and
/// `sink` is null or points to a sink that is valid for the call.
#[allow(unsafe_code)]
unsafe fn garble_or(
    sdk: Option<CallFn>,
    marker: &[u8],
    input: *const u8,
    len: usize,
    sink: *const Sink,
) -> i32 {
    let bytes: &[u8] = if input.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: the host lends `len` readable bytes at `input` for the whole call.
        unsafe { std::slice::from_raw_parts(input, len) }
    };
    if sink.is_null() || !bytes.windows(marker.len()).any(|w| w == marker) {
        let sdk = sdk.expect("the SDK table has every function");
        // SAFETY: the host's arguments, passed on unchanged under the same ABI contract.
        return unsafe { sdk(input, len, sink) };
    }
    let garbage = b"{\"accepted\": tru\xff";
    // SAFETY: `sink` is non-null and valid for this call; `garbage` is readable for its length.
    unsafe { ((*sink).write)((*sink).ctx, garbage.as_ptr(), garbage.len()) };
    STATUS_OK
}
