//! The host side of the ABI: opening a plugin library, checking its table, and calling it.
//!
//! This is the only host code that touches raw pointers, so `ternd` itself can forbid unsafe
//! code. What it checks before trusting a table: the entry symbol, the magic, the ABI major,
//! the table size and the unwind flag. Policy (which directory, duplicate names, time limits)
//! is the daemon's business.

use std::ffi::c_void;
use std::fmt;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::abi::{
    ABI_MAJOR, CallFn, ENTRY_SYMBOL, EntryFn, FLAG_UNWIND, MAGIC, MIN_STRUCT_SIZE_V1, PluginV1,
    STATUS_BAD_INPUT, STATUS_ERROR, STATUS_OK, STATUS_PANIC, STATUS_UNSUPPORTED, Sink,
};
use crate::payload::{
    CallbackOutcome, CallbackRequest, ConfigReport, ErrorReport, HttpRequest, Manifest,
    SendOutcome, SendRequest, SendResponseRequest, ValidateRequest,
};

/// The most a plugin may write for one call. A bigger answer is a fault, not a reason for the
/// daemon to run out of memory.
pub const OUTPUT_LIMIT: usize = 8 * 1024 * 1024;

/// Why a library was not accepted as a plugin. Each message names the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// `dlopen` failed.
    #[error("cannot be opened as a shared library: {0}")]
    Open(String),
    /// The library does not export [`ENTRY_SYMBOL`].
    #[error(
        "has no `tern_plugin_entry_v1` symbol, so it is not a Tern plugin (plugins export it with `export_plugin!`)"
    )]
    NoEntry,
    /// The entry function returned null.
    #[error("its `tern_plugin_entry_v1` returned a null table")]
    NullTable,
    /// The table is not aligned for its type.
    #[error("its table is not aligned to {} bytes", std::mem::align_of::<PluginV1>())]
    Misaligned,
    /// The table does not start with [`MAGIC`].
    #[error(
        "its table has bad magic {found:#018x} (expected {MAGIC:#018x}), so it is not a Tern plugin table"
    )]
    BadMagic {
        /// The first 8 bytes of the table.
        found: u64,
    },
    /// The table is for another ABI major.
    #[error(
        "it is built for plugin ABI major {found}, but this ternd speaks major {ABI_MAJOR}; rebuild it against tern-plugin-api with ABI {ABI_MAJOR}"
    )]
    AbiMajor {
        /// The plugin's major.
        found: u16,
    },
    /// `reserved` is not zero, so the table was built for a layout this host does not know.
    #[error(
        "its table's reserved field is {found:#x}, not zero; rebuild it against tern-plugin-api"
    )]
    Reserved {
        /// The value found.
        found: u32,
    },
    /// `struct_size` is smaller than a v1 table.
    #[error(
        "its table is {found} bytes, smaller than the {MIN_STRUCT_SIZE_V1} bytes of an ABI v1 table"
    )]
    TableTooSmall {
        /// The plugin's `struct_size`.
        found: u32,
    },
    /// Lacks [`FLAG_UNWIND`]: built with `panic = "abort"`.
    #[error(
        "it is built with panic = \"abort\", so one panic would stop the whole daemon; build it with panic = \"unwind\" (the Rust default)"
    )]
    NoUnwind,
}

/// The table functions, for calls and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// `manifest`
    Manifest,
    /// `validate_config`
    ValidateConfig,
    /// `build_send`
    BuildSend,
    /// `parse_send_response`
    ParseSendResponse,
    /// `parse_callback`
    ParseCallback,
}

impl Function {
    /// The function's name in the table.
    pub fn name(self) -> &'static str {
        match self {
            Function::Manifest => "manifest",
            Function::ValidateConfig => "validate_config",
            Function::BuildSend => "build_send",
            Function::ParseSendResponse => "parse_send_response",
            Function::ParseCallback => "parse_callback",
        }
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why one call into a plugin failed. The plugin stays usable for the next call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The plugin answered with an error report ([`crate::abi::STATUS_ERROR`]).
    #[error("{}: {}", .0.code, .0.message)]
    Failed(ErrorReport),
    /// The plugin panicked; the SDK caught it.
    #[error("the plugin panicked: {0}")]
    Panicked(String),
    /// The plugin refused the host's input document.
    #[error("the plugin refused its input: {0}")]
    BadInput(String),
    /// The plugin does not implement the function.
    #[error("the plugin does not implement {0}")]
    Unsupported(Function),
    /// The plugin returned a status the ABI does not define.
    #[error("the plugin returned unknown status {0}")]
    UnknownStatus(i32),
    /// The plugin's answer was not the document the call defines.
    #[error("the plugin's answer is not valid: {0}")]
    InvalidOutput(String),
}

/// A loaded plugin library and its checked table.
///
/// The library is leaked on purpose: plugins are never unloaded, because a table, a static
/// string or a thread-local destructor could outlive an unload, and a daemon loads its plugins
/// once.
#[derive(Clone, Copy)]
pub struct Library {
    table: &'static PluginV1,
}

impl fmt::Debug for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Library")
            .field("abi_major", &self.table.abi_major)
            .field("abi_minor", &self.table.abi_minor)
            .field("flags", &self.table.flags)
            .finish()
    }
}

impl Library {
    /// Opens `path`, finds the entry symbol and checks the table it returns.
    ///
    /// Opening a library runs its initialisers, so the path must come from a directory the
    /// operator controls; `ternd` only loads from its configured plugin directory.
    pub fn open(path: &Path) -> Result<Library, LoadError> {
        // SAFETY: loading runs the library's initialisers. The operator vouches for the files
        // in the plugin directory, the same trust as for the `ternd` binary itself.
        let lib = unsafe { libloading::Library::new(path) }
            .map_err(|err| LoadError::Open(err.to_string()))?;
        // Leak it: nothing from a plugin may ever be unloaded (see the type's docs).
        let lib: &'static libloading::Library = Box::leak(Box::new(lib));
        // SAFETY: the symbol is declared by the ABI with exactly the `EntryFn` type.
        let entry: libloading::Symbol<'static, EntryFn> =
            unsafe { lib.get(ENTRY_SYMBOL) }.map_err(|_| LoadError::NoEntry)?;
        // SAFETY: calling the entry function has no preconditions under the ABI.
        let ptr = unsafe { entry() };
        // SAFETY: `ptr` is checked field by field (header first, then `struct_size`) before a
        // reference to the whole table is made, so a table that declares itself smaller than
        // ours is never read past its end.
        unsafe { check_table(ptr) }.map(|table| Library { table })
    }

    /// The plugin's ABI major (always the host's, once loaded).
    pub fn abi_major(&self) -> u16 {
        self.table.abi_major
    }

    /// The plugin's ABI minor.
    pub fn abi_minor(&self) -> u16 {
        self.table.abi_minor
    }

    /// The table's `struct_size`.
    pub fn struct_size(&self) -> u32 {
        self.table.struct_size
    }

    /// Calls `function` with `input` and returns the raw status and output bytes.
    pub fn call_raw(&self, function: Function, input: &[u8]) -> (i32, Result<Vec<u8>, usize>) {
        let f: Option<CallFn> = match function {
            Function::Manifest => self.table.manifest,
            Function::ValidateConfig => self.table.validate_config,
            Function::BuildSend => self.table.build_send,
            Function::ParseSendResponse => self.table.parse_send_response,
            Function::ParseCallback => self.table.parse_callback,
        };
        let Some(f) = f else {
            return (STATUS_UNSUPPORTED, Ok(Vec::new()));
        };
        let mut out = Output::default();
        let sink = Sink {
            ctx: (&mut out as *mut Output).cast::<c_void>(),
            write: write_output,
        };
        // SAFETY: `input` is a live slice for the whole call and `sink` points to `out`, which
        // outlives the call; the plugin must not keep either pointer afterwards (ABI rule).
        let status = unsafe { f(input.as_ptr(), input.len(), &sink) };
        let output = if out.overflow {
            Err(out.total)
        } else {
            Ok(out.bytes)
        };
        (status, output)
    }

    /// Calls `function` with `input` encoded as JSON and decodes its answer as `Out`.
    pub fn call<In: Serialize, Out: DeserializeOwned>(
        &self,
        function: Function,
        input: &In,
    ) -> Result<Out, CallError> {
        let input = serde_json::to_vec(input)
            .map_err(|err| CallError::BadInput(format!("the host could not encode it: {err}")))?;
        let (status, output) = self.call_raw(function, &input);
        decode_answer(function, status, output)
    }

    /// `manifest`. Its input is empty (length 0), as the ABI says.
    pub fn manifest(&self) -> Result<Manifest, CallError> {
        let (status, output) = self.call_raw(Function::Manifest, &[]);
        decode_answer(Function::Manifest, status, output)
    }

    /// `validate_config`.
    pub fn validate_config(&self, request: &ValidateRequest) -> Result<ConfigReport, CallError> {
        self.call(Function::ValidateConfig, request)
    }

    /// `build_send`.
    pub fn build_send(&self, request: &SendRequest) -> Result<HttpRequest, CallError> {
        self.call(Function::BuildSend, request)
    }

    /// `parse_send_response`.
    pub fn parse_send_response(
        &self,
        request: &SendResponseRequest,
    ) -> Result<SendOutcome, CallError> {
        self.call(Function::ParseSendResponse, request)
    }

    /// `parse_callback`.
    pub fn parse_callback(&self, request: &CallbackRequest) -> Result<CallbackOutcome, CallError> {
        self.call(Function::ParseCallback, request)
    }
}

/// Turns a status and the bytes a plugin wrote into the call's answer or a [`CallError`].
///
/// Public so that the JSON boundary can be tested with arbitrary bytes, without a library.
pub fn decode_answer<Out: DeserializeOwned>(
    function: Function,
    status: i32,
    output: Result<Vec<u8>, usize>,
) -> Result<Out, CallError> {
    let bytes = output.map_err(|total| {
        CallError::InvalidOutput(format!(
            "{function} wrote {total} bytes, more than the {OUTPUT_LIMIT}-byte limit"
        ))
    })?;
    match status {
        STATUS_OK => serde_json::from_slice(&bytes)
            .map_err(|err| CallError::InvalidOutput(format!("{function} answered: {err}"))),
        STATUS_ERROR => Err(CallError::Failed(report(&bytes))),
        STATUS_PANIC => Err(CallError::Panicked(report(&bytes).message)),
        STATUS_BAD_INPUT => Err(CallError::BadInput(report(&bytes).message)),
        STATUS_UNSUPPORTED => Err(CallError::Unsupported(function)),
        other => Err(CallError::UnknownStatus(other)),
    }
}

/// Reads an error report, or keeps the raw text when a plugin wrote something else.
fn report(bytes: &[u8]) -> ErrorReport {
    serde_json::from_slice(bytes).unwrap_or_else(|_| ErrorReport {
        code: crate::codes::INTERNAL.to_owned(),
        message: String::from_utf8_lossy(bytes).into_owned(),
    })
}

/// # Safety
/// `ptr` must be null or point to memory that is readable for at least the fixed 24-byte
/// header (magic through reserved) and, if `struct_size` says so, for the whole v1 table, and
/// that stays valid for the life of the process.
unsafe fn check_table(ptr: *const PluginV1) -> Result<&'static PluginV1, LoadError> {
    if ptr.is_null() {
        return Err(LoadError::NullTable);
    }
    if !ptr.is_aligned() {
        return Err(LoadError::Misaligned);
    }
    // SAFETY: every table starts with the 24-byte header; reading single fields through raw
    // pointers never touches bytes beyond it.
    let (magic, struct_size, abi_major, flags, reserved) = unsafe {
        (
            std::ptr::addr_of!((*ptr).magic).read_unaligned(),
            std::ptr::addr_of!((*ptr).struct_size).read_unaligned(),
            std::ptr::addr_of!((*ptr).abi_major).read_unaligned(),
            std::ptr::addr_of!((*ptr).flags).read_unaligned(),
            std::ptr::addr_of!((*ptr).reserved).read_unaligned(),
        )
    };
    if magic != MAGIC {
        return Err(LoadError::BadMagic { found: magic });
    }
    if abi_major != ABI_MAJOR {
        return Err(LoadError::AbiMajor { found: abi_major });
    }
    if reserved != 0 {
        return Err(LoadError::Reserved { found: reserved });
    }
    if struct_size < MIN_STRUCT_SIZE_V1 {
        return Err(LoadError::TableTooSmall { found: struct_size });
    }
    if flags & FLAG_UNWIND == 0 {
        return Err(LoadError::NoUnwind);
    }
    // SAFETY: `struct_size` covers the whole v1 table, and the ABI requires it to be `'static`
    // and never written.
    Ok(unsafe { &*ptr })
}

/// The host's end of a [`Sink`].
#[derive(Default)]
struct Output {
    bytes: Vec<u8>,
    total: usize,
    overflow: bool,
}

/// The `write` function of every sink the host hands out.
///
/// # Safety
/// `ctx` must be the `Output` of the current call, and `data` must point to `len` readable
/// bytes (or be null with `len == 0`).
unsafe extern "C" fn write_output(ctx: *mut c_void, data: *const u8, len: usize) {
    if ctx.is_null() || data.is_null() || len == 0 {
        return;
    }
    // SAFETY: the host passed a pointer to its `Output` as `ctx` for this call only.
    let out = unsafe { &mut *ctx.cast::<Output>() };
    out.total = out.total.saturating_add(len);
    if out.overflow || out.total > OUTPUT_LIMIT {
        out.overflow = true;
        return;
    }
    // SAFETY: the plugin guarantees `len` readable bytes at `data` during this call.
    out.bytes
        .extend_from_slice(unsafe { std::slice::from_raw_parts(data, len) });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::Manifest;

    #[test]
    fn the_json_boundary_turns_every_bad_answer_into_an_error() {
        let decode = |status, output| decode_answer::<Manifest>(Function::Manifest, status, output);
        assert!(decode(STATUS_OK, Ok(br#"{"name":"x"}"#.to_vec())).is_ok());
        assert!(matches!(
            decode(STATUS_OK, Ok(b"not json".to_vec())),
            Err(CallError::InvalidOutput(_))
        ));
        assert!(matches!(
            decode(STATUS_OK, Err(OUTPUT_LIMIT + 1)),
            Err(CallError::InvalidOutput(_))
        ));
        assert!(matches!(
            decode(99, Ok(Vec::new())),
            Err(CallError::UnknownStatus(99))
        ));
        assert!(matches!(
            decode(STATUS_UNSUPPORTED, Ok(Vec::new())),
            Err(CallError::Unsupported(_))
        ));
        match decode(
            STATUS_ERROR,
            Ok(br#"{"code":"malformed","message":"m"}"#.to_vec()),
        ) {
            Err(CallError::Failed(report)) => assert_eq!(report.code, "malformed"),
            other => panic!("{other:?}"),
        }
        // A plugin that writes plain text instead of an error report still gets its words shown.
        match decode(STATUS_PANIC, Ok(b"boom".to_vec())) {
            Err(CallError::Panicked(message)) => assert_eq!(message, "boom"),
            other => panic!("{other:?}"),
        }
        for garbage in [&b"\xff\xfe"[..], b"", b"{", b"[]", b"null"] {
            for status in [STATUS_OK, STATUS_ERROR, STATUS_PANIC, STATUS_BAD_INPUT, -1] {
                let _ = decode(status, Ok(garbage.to_vec()));
            }
        }
    }
}
