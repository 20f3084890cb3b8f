//! A correct plugin; the tests build it with `-C panic=abort`.
#![deny(unsafe_code)]
tern_testplugin_common::test_provider!(Abort, "abort");
tern_plugin_api::export_plugin!(Abort);
