//! Exports a table for ABI major 2.
#![deny(unsafe_code)]
use tern_plugin_api::abi::{FLAG_UNWIND, PluginV1};
tern_testplugin_common::test_provider!(AbiMajor, "abi-major");

static TABLE: PluginV1 = PluginV1 {
    abi_major: 2,
    ..tern_plugin_api::sdk::table::<AbiMajor>(FLAG_UNWIND)
};

/// The entry point, returning the forged table.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn tern_plugin_entry_v1() -> *const PluginV1 {
    &TABLE
}

impl tern_plugin_api::sdk::Exported for AbiMajor {
    fn instance() -> &'static Self {
        &AbiMajor
    }
}
