//! Exports a table whose struct_size is smaller than a v1 table.
#![deny(unsafe_code)]
use tern_plugin_api::abi::{FLAG_UNWIND, PluginV1};
tern_testplugin_common::test_provider!(SmallTable, "small-table");

static TABLE: PluginV1 = PluginV1 {
    struct_size: 24,
    ..tern_plugin_api::sdk::table::<SmallTable>(FLAG_UNWIND)
};

/// The entry point, returning the forged table.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn tern_plugin_entry_v1() -> *const PluginV1 {
    &TABLE
}

impl tern_plugin_api::sdk::Exported for SmallTable {
    fn instance() -> &'static Self {
        &SmallTable
    }
}
