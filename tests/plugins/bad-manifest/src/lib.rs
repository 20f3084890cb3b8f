//! A plugin whose manifest name breaks the naming rules.
#![deny(unsafe_code)]
tern_testplugin_common::test_provider!(BadManifest, "Not A Valid Name!");
tern_plugin_api::export_plugin!(BadManifest);
