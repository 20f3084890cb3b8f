//! A shared library that exports a C function, but not `tern_plugin_entry_v1`.
#![deny(unsafe_code)]

/// Something a library might export.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn not_a_tern_plugin() -> i32 {
    42
}
