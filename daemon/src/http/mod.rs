//! Shared hyper plumbing: the server loop both listeners use, the outbound client every
//! provider request goes through, and the one JSON error shape.
//!
//! Nothing here knows a route; `admin` and `callbacks` bring their own handlers.

mod client;
mod response;
mod server;

pub use client::{ClientError, HttpClient};
pub use response::{ApiError, Response, json, no_content};
pub use server::{Handler, Request, ServerLimits, serve};
