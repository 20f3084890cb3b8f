//! A minimal, correct provider that each test plugin instantiates under its own name.
//!
//! The test plugins differ from a good plugin in exactly one way each (a forged table field, a
//! bad manifest, a panic), so the host's refusal or fault handling can be asserted one reason at
//! a time.

/// Declares a local provider type `$ty` named `$name`. With `panics`, every call but `manifest`
/// panics with a recognisable message.
#[macro_export]
macro_rules! test_provider {
    ($ty:ident, $name:expr) => {
        $crate::test_provider!($ty, $name, false);
    };
    ($ty:ident, $name:expr, $panics:expr) => {
        /// The test provider.
        #[derive(Default)]
        pub struct $ty;

        impl ::tern_plugin_api::Provider for $ty {
            fn manifest(&self) -> ::tern_plugin_api::Manifest {
                ::tern_plugin_api::Manifest {
                    name: $name.to_owned(),
                    version: "0.0.1".to_owned(),
                    description: "test plugin".to_owned(),
                    ..Default::default()
                }
            }

            fn validate_config(
                &self,
                _: &::tern_plugin_api::Config,
            ) -> ::tern_plugin_api::ConfigReport {
                if $panics {
                    panic!("test plugin panicked in validate_config");
                }
                Default::default()
            }

            fn build_send(
                &self,
                request: &::tern_plugin_api::SendRequest,
            ) -> Result<::tern_plugin_api::HttpRequest, ::tern_plugin_api::PluginError> {
                if $panics {
                    panic!("test plugin panicked in build_send");
                }
                Ok(::tern_plugin_api::HttpRequest {
                    method: "POST".to_owned(),
                    url: request.message.callback_url.clone(),
                    ..Default::default()
                })
            }

            fn parse_send_response(
                &self,
                request: &::tern_plugin_api::SendResponseRequest,
            ) -> Result<::tern_plugin_api::SendOutcome, ::tern_plugin_api::PluginError> {
                if $panics {
                    panic!("test plugin panicked in parse_send_response");
                }
                Ok(::tern_plugin_api::SendOutcome::Accepted {
                    provider_message_id: request.message.id.clone(),
                })
            }
        }
    };
}
