//! `ternd`, the Tern SMS-provider daemon, as a library: `main.rs` only wires these modules
//! together, so each concern can be read and tested on its own.
//!
//! Dependencies point one way: the HTTP-facing modules (`admin`, `callbacks`) call the domain
//! modules (`providers`, `campaigns`, `messages`), which call `store` and `plugins`. The domain
//! modules know nothing of HTTP, and `store` knows nothing of plugins.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod backup;
pub mod callbacks;
pub mod campaigns;
pub mod clock;
pub mod config;
pub mod http;
pub mod ledger;
pub mod messages;
pub mod plugins;
pub mod providers;
pub mod secrets;
pub mod server;
pub mod stats;
pub mod store;
