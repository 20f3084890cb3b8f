//! The safe side of the ABI for plugin authors: implement [`Provider`], then call
//! [`export_plugin!`](crate::export_plugin).
//!
//! All the unsafe code a plugin needs lives here and in the macro: decoding the borrowed input,
//! writing to the host's sink, and catching panics so that none ever unwinds into the host. A
//! plugin crate can therefore use `#![deny(unsafe_code)]`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::abi::{
    self, CallFn, PluginV1, STATUS_BAD_INPUT, STATUS_ERROR, STATUS_OK, STATUS_PANIC,
    STATUS_UNSUPPORTED, Sink,
};
use crate::payload::{
    AbiVersion, CallbackOutcome, CallbackRequest, Config, ConfigReport, ErrorReport, HttpRequest,
    Manifest, SendOutcome, SendRequest, SendResponseRequest, ValidateRequest,
};
use crate::{PluginError, codes};

/// A provider adapter: pure functions from JSON documents to JSON documents.
///
/// One instance serves every provider configured with the plugin, from many threads at once,
/// so implementations keep no per-provider state: everything arrives in the request. They must
/// not do I/O either; the host performs the HTTP exchange that `build_send` describes and hands
/// the answer to `parse_send_response`.
pub trait Provider: Send + Sync + 'static {
    /// Describes the plugin. Called once at load time; `abi` is filled in by the SDK.
    fn manifest(&self) -> Manifest;

    /// Checks a candidate configuration and says which callbacks it enables.
    fn validate_config(&self, config: &Config) -> ConfigReport;

    /// Builds the HTTP request that sends `request.message`.
    fn build_send(&self, request: &SendRequest) -> Result<HttpRequest, PluginError>;

    /// Reads the provider's answer to the request `build_send` built.
    fn parse_send_response(
        &self,
        request: &SendResponseRequest,
    ) -> Result<SendOutcome, PluginError>;

    /// Verifies and reads a callback from the provider. The default says the plugin takes no
    /// callbacks.
    fn parse_callback(&self, request: &CallbackRequest) -> Result<CallbackOutcome, PluginError> {
        let _ = request;
        Err(PluginError::unsupported(
            "this plugin does not parse callbacks",
        ))
    }
}

/// Links a [`Provider`] type to the one instance the exported functions use.
///
/// [`export_plugin!`](crate::export_plugin) implements it; plugin code never does.
#[doc(hidden)]
pub trait Exported: Provider + Sized {
    fn instance() -> &'static Self;
}

/// Builds the table for `P`. `flags` comes from the macro because only the plugin crate itself
/// knows whether it is compiled with `panic = "unwind"`.
#[doc(hidden)]
pub const fn table<P: Exported>(flags: u32) -> PluginV1 {
    PluginV1 {
        magic: abi::MAGIC,
        struct_size: abi::MIN_STRUCT_SIZE_V1,
        abi_major: abi::ABI_MAJOR,
        abi_minor: abi::ABI_MINOR,
        flags,
        reserved: 0,
        manifest: Some(manifest::<P> as CallFn),
        validate_config: Some(validate_config::<P> as CallFn),
        build_send: Some(build_send::<P> as CallFn),
        parse_send_response: Some(parse_send_response::<P> as CallFn),
        parse_callback: Some(parse_callback::<P> as CallFn),
    }
}

unsafe extern "C" fn manifest<P: Exported>(_: *const u8, _: usize, sink: *const Sink) -> i32 {
    // SAFETY: the host passes a sink that is valid for the duration of the call.
    unsafe {
        answer(sink, || {
            let mut manifest = P::instance().manifest();
            manifest.abi = AbiVersion::CURRENT;
            Ok(manifest)
        })
    }
}

unsafe extern "C" fn validate_config<P: Exported>(
    input: *const u8,
    len: usize,
    sink: *const Sink,
) -> i32 {
    // SAFETY: the host passes `len` readable bytes at `input` and a valid sink, both for the
    // duration of the call.
    unsafe {
        call(input, len, sink, |request: ValidateRequest| {
            Ok(P::instance().validate_config(&request.config))
        })
    }
}

unsafe extern "C" fn build_send<P: Exported>(
    input: *const u8,
    len: usize,
    sink: *const Sink,
) -> i32 {
    // SAFETY: as in `validate_config`.
    unsafe {
        call(input, len, sink, |request: SendRequest| {
            P::instance().build_send(&request)
        })
    }
}

unsafe extern "C" fn parse_send_response<P: Exported>(
    input: *const u8,
    len: usize,
    sink: *const Sink,
) -> i32 {
    // SAFETY: as in `validate_config`.
    unsafe {
        call(input, len, sink, |request: SendResponseRequest| {
            P::instance().parse_send_response(&request)
        })
    }
}

unsafe extern "C" fn parse_callback<P: Exported>(
    input: *const u8,
    len: usize,
    sink: *const Sink,
) -> i32 {
    // SAFETY: as in `validate_config`.
    unsafe {
        call(input, len, sink, |request: CallbackRequest| {
            P::instance().parse_callback(&request)
        })
    }
}

/// Decodes the input document, runs `f` and writes its answer.
///
/// # Safety
/// `input` must point to `len` readable bytes (or be null with `len == 0`) and `sink` must be
/// null or valid, both for the duration of the call.
unsafe fn call<In, Out>(
    input: *const u8,
    len: usize,
    sink: *const Sink,
    f: impl FnOnce(In) -> Result<Out, PluginError>,
) -> i32
where
    In: DeserializeOwned,
    Out: Serialize,
{
    let bytes: &[u8] = if input.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: the caller guarantees `len` readable bytes at `input` for this call.
        unsafe { std::slice::from_raw_parts(input, len) }
    };
    // SAFETY: forwarded from the caller.
    unsafe {
        answer(sink, || match serde_json::from_slice::<In>(bytes) {
            Ok(request) => f(request),
            Err(err) => Err(PluginError::new(
                codes::BAD_INPUT,
                format!("the input document is not valid for this call: {err}"),
            )),
        })
    }
}

/// Runs `f` with panics caught, and writes its answer or error to the sink.
///
/// # Safety
/// `sink` must be null or point to a valid [`Sink`] for the duration of the call.
unsafe fn answer<Out: Serialize>(
    sink: *const Sink,
    f: impl FnOnce() -> Result<Out, PluginError>,
) -> i32 {
    if sink.is_null() {
        return STATUS_BAD_INPUT;
    }
    silence_panic_output();
    // SAFETY: non-null, and valid for this call per the caller's contract.
    let sink = unsafe { &*sink };
    let (status, document) = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(out)) => match serde_json::to_vec(&out) {
            Ok(doc) => (STATUS_OK, doc),
            Err(err) => error_document(PluginError::new(
                codes::INTERNAL,
                format!("the plugin's answer could not be encoded: {err}"),
            )),
        },
        Ok(Err(err)) => error_document(err),
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            let report = ErrorReport {
                code: codes::PANIC.to_owned(),
                message,
            };
            (STATUS_PANIC, encode_report(&report))
        }
    };
    // SAFETY: the host's `write` copies `document.len()` bytes from a live buffer.
    unsafe { (sink.write)(sink.ctx, document.as_ptr(), document.len()) };
    status
}

/// Replaces the default panic hook of the plugin's own copy of std, once, with one that prints
/// nothing: the panic message reaches the host as [`STATUS_PANIC`], where the daemon logs it
/// through its own logger with the provider's secrets scrubbed, instead of going raw to the
/// daemon's stderr.
fn silence_panic_output() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}

fn error_document(err: PluginError) -> (i32, Vec<u8>) {
    let status = match err.code.as_str() {
        codes::UNSUPPORTED => STATUS_UNSUPPORTED,
        codes::BAD_INPUT => STATUS_BAD_INPUT,
        _ => STATUS_ERROR,
    };
    (status, encode_report(&err.into_report()))
}

fn encode_report(report: &ErrorReport) -> Vec<u8> {
    // An ErrorReport is two strings: encoding cannot fail.
    serde_json::to_vec(report).unwrap_or_default()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "the plugin panicked with a non-string payload".to_owned()
    }
}

/// Exports a [`Provider`] as a Tern plugin: emits the `tern_plugin_entry_v1` symbol and its
/// `'static` table.
///
/// The type must implement [`Default`]; the SDK creates one instance on first use and shares it
/// across threads. Use it once per crate, in a crate built as a `cdylib`:
///
/// ```ignore
/// #![deny(unsafe_code)]
/// #[derive(Default)]
/// struct MyProvider;
/// impl tern_plugin_api::Provider for MyProvider { /* … */ }
/// tern_plugin_api::export_plugin!(MyProvider);
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($provider:ty) => {
        impl $crate::sdk::Exported for $provider {
            fn instance() -> &'static Self {
                static INSTANCE: ::std::sync::OnceLock<$provider> = ::std::sync::OnceLock::new();
                INSTANCE.get_or_init(<$provider as ::core::default::Default>::default)
            }
        }

        static __TERN_PLUGIN_TABLE: $crate::abi::PluginV1 =
            $crate::sdk::table::<$provider>(if cfg!(panic = "unwind") {
                $crate::abi::FLAG_UNWIND
            } else {
                0
            });

        /// The plugin's entry point: returns its `'static` function table.
        #[allow(unsafe_code)]
        #[unsafe(no_mangle)]
        pub extern "C" fn tern_plugin_entry_v1() -> *const $crate::abi::PluginV1 {
            &__TERN_PLUGIN_TABLE
        }
    };
}
