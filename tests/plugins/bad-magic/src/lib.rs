//! Exports a table whose magic is not Tern's.
#![deny(unsafe_code)]
use tern_plugin_api::abi::{FLAG_UNWIND, PluginV1};
tern_testplugin_common::test_provider!(BadMagic, "bad-magic");

static TABLE: PluginV1 = PluginV1 {
    magic: u64::from_le_bytes(*b"NOTTERN!"),
    ..tern_plugin_api::sdk::table::<BadMagic>(FLAG_UNWIND)
};

/// The entry point, returning the forged table.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn tern_plugin_entry_v1() -> *const PluginV1 {
    &TABLE
}

impl tern_plugin_api::sdk::Exported for BadMagic {
    fn instance() -> &'static Self {
        &BadMagic
    }
}
