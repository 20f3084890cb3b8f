//! A plugin that claims the name of the shipped Twilio adapter.
#![deny(unsafe_code)]
tern_testplugin_common::test_provider!(Duplicate, "twilio");
tern_plugin_api::export_plugin!(Duplicate);
