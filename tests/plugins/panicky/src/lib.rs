//! A plugin whose every function but `manifest` panics, to prove the host survives it.
#![deny(unsafe_code)]
tern_testplugin_common::test_provider!(Panicky, "panicky", true);
tern_plugin_api::export_plugin!(Panicky);
