//! The C ABI, version 1: the one exported symbol, the function table it returns, the output
//! sink the host hands to every call, and the status codes.
//!
//! Everything here is `#[repr(C)]` and checked at compile time for size and field offsets,
//! because these layouts are what third-party plugins are compiled against: a change here is a
//! new ABI major. New optional functions are only ever appended to [`PluginV1`], and the host
//! reads one only when the table's `struct_size` says the plugin has it.

use std::ffi::c_void;
use std::mem::{offset_of, size_of};

/// The name of the one symbol a plugin exports, NUL-terminated for `dlsym`.
///
/// Its type is [`EntryFn`]. The `_v1` suffix is part of the contract: a future ABI major that
/// cannot share the table layout gets a new symbol, so an old host never misreads a new plugin.
pub const ENTRY_SYMBOL: &[u8] = b"tern_plugin_entry_v1\0";

/// The first field of every table: `"TERNPLG1"` read as a little-endian `u64`.
///
/// It lets the host tell a Tern plugin from a library that merely happens to export a symbol
/// of the same name, before it trusts anything else in the table.
pub const MAGIC: u64 = u64::from_le_bytes(*b"TERNPLG1");

/// The ABI major this SDK speaks. A host refuses a plugin with any other major.
pub const ABI_MAJOR: u16 = 1;

/// The ABI minor this SDK speaks. Minors only add (trailing table entries, JSON fields with
/// defaults), so a host accepts any minor of its major.
pub const ABI_MINOR: u16 = 0;

/// `flags` bit 0: no panic, exception or `longjmp` ever escapes a call, and a panic inside one
/// does not abort the process.
///
/// The Rust SDK sets it when the plugin is built with `panic = "unwind"`: it then turns panics
/// into [`STATUS_PANIC`] with `catch_unwind`. Built with `panic = "abort"`, a plugin would take
/// the whole daemon down on its first panic, so the host refuses plugins without this bit. A C
/// plugin sets it (C does not unwind) and must never `longjmp` across the boundary.
pub const FLAG_UNWIND: u32 = 1 << 0;

/// The call succeeded; the output is the call's JSON answer.
pub const STATUS_OK: i32 = 0;
/// The call failed in an expected way (a malformed provider answer, a bad signature, …); the
/// output is an [`ErrorReport`](crate::ErrorReport) JSON document.
pub const STATUS_ERROR: i32 = 1;
/// The plugin panicked; the SDK caught it and the output is an
/// [`ErrorReport`](crate::ErrorReport) whose message is the panic message.
pub const STATUS_PANIC: i32 = 2;
/// The input document was not valid for this call (not UTF-8, not JSON, missing fields). This
/// points at a host/plugin mismatch, not at bad data from a provider; the output is an
/// [`ErrorReport`](crate::ErrorReport).
pub const STATUS_BAD_INPUT: i32 = 3;
/// The plugin does not implement this call (for example `parse_callback` in a send-only
/// adapter). The output may be empty.
pub const STATUS_UNSUPPORTED: i32 = 4;

/// Where a plugin writes its answer: the host's context pointer and the function that appends
/// bytes to the host's buffer.
///
/// `write` may be called any number of times during one call; the host concatenates the pieces.
/// The bytes are copied before `write` returns, so the plugin keeps ownership of its memory and
/// nothing is ever freed across the boundary. The sink is valid only until the call returns.
#[repr(C)]
pub struct Sink {
    /// Opaque host state, passed back unchanged as the first argument of `write`.
    pub ctx: *mut c_void,
    /// Appends `len` bytes starting at `data` to the answer. `data` may be null when `len` is 0.
    pub write: unsafe extern "C" fn(ctx: *mut c_void, data: *const u8, len: usize),
}

/// The shape shared by every call in the table.
///
/// `input`/`input_len` is a UTF-8 JSON document borrowed for the duration of the call (it may be
/// null with length 0 for `manifest`). The answer goes to `sink`; the return value is one of the
/// `STATUS_*` codes.
pub type CallFn =
    unsafe extern "C" fn(input: *const u8, input_len: usize, sink: *const Sink) -> i32;

/// The type of [`ENTRY_SYMBOL`]: returns a pointer to the plugin's `'static` table.
pub type EntryFn = unsafe extern "C" fn() -> *const PluginV1;

/// The table a plugin hands the host. It lives for as long as the library is loaded, which is
/// for the life of the process: the host never unloads a plugin.
///
/// A null function pointer means "not implemented" and is treated as [`STATUS_UNSUPPORTED`].
#[repr(C)]
pub struct PluginV1 {
    /// Must be [`MAGIC`].
    pub magic: u64,
    /// `size_of::<PluginV1>()` as the plugin was compiled. The host reads only the functions
    /// that fit inside it, which is how later minors append entries safely.
    pub struct_size: u32,
    /// Must equal the host's [`ABI_MAJOR`].
    pub abi_major: u16,
    /// The minor the plugin was built against.
    pub abi_minor: u16,
    /// Bit set of `FLAG_*` values.
    pub flags: u32,
    /// Zero (the host refuses anything else). Keeps the function pointers 8-byte aligned on
    /// every target and leaves room for a future field without a layout change.
    pub reserved: u32,
    /// Input: none. Output: a `Manifest`.
    pub manifest: Option<CallFn>,
    /// Input: a `ValidateRequest`. Output: a `ConfigReport`.
    pub validate_config: Option<CallFn>,
    /// Input: a `SendRequest`. Output: an `HttpRequest`.
    pub build_send: Option<CallFn>,
    /// Input: a `SendResponseRequest`. Output: a `SendOutcome`.
    pub parse_send_response: Option<CallFn>,
    /// Input: a `CallbackRequest`. Output: a `CallbackOutcome`.
    pub parse_callback: Option<CallFn>,
}

// The layouts below are the ABI. If one of these fails, the change is a new ABI major.
const PTR: usize = size_of::<usize>();
const _: () = {
    // The table is shared between threads as a `'static`. It is `Sync` because it holds only
    // integers and function pointers; a raw-pointer field would break this on purpose.
    const fn assert_sync<T: Sync>() {}
    assert_sync::<PluginV1>();
    assert!(size_of::<Option<CallFn>>() == PTR);
    assert!(size_of::<Sink>() == 2 * PTR);
    assert!(offset_of!(Sink, ctx) == 0);
    assert!(offset_of!(Sink, write) == PTR);

    assert!(offset_of!(PluginV1, magic) == 0);
    assert!(offset_of!(PluginV1, struct_size) == 8);
    assert!(offset_of!(PluginV1, abi_major) == 12);
    assert!(offset_of!(PluginV1, abi_minor) == 14);
    assert!(offset_of!(PluginV1, flags) == 16);
    assert!(offset_of!(PluginV1, reserved) == 20);
    assert!(offset_of!(PluginV1, manifest) == 24);
    assert!(offset_of!(PluginV1, validate_config) == 24 + PTR);
    assert!(offset_of!(PluginV1, build_send) == 24 + 2 * PTR);
    assert!(offset_of!(PluginV1, parse_send_response) == 24 + 3 * PTR);
    assert!(offset_of!(PluginV1, parse_callback) == 24 + 4 * PTR);
    assert!(size_of::<PluginV1>() == 24 + 5 * PTR);
};

/// The smallest table a v1 host accepts: everything up to and including `parse_callback`.
pub const MIN_STRUCT_SIZE_V1: u32 = size_of::<PluginV1>() as u32;
