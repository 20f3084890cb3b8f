//! Shared hyper plumbing: the server loop both listeners use, the outbound client every
//! provider request goes through, and the one JSON error shape.
//!
//! Nothing here knows a route; `admin` and `callbacks` bring their own handlers.

mod body;
mod client;
mod response;
mod server;

pub use body::Body;
pub use client::{ClientError, HttpClient};
pub use response::{ApiError, Response, json, json_bytes};
pub use server::{Handler, Request, ServerLimits, serve};

use hyper::HeaderMap;
use hyper::header::{HeaderName, HeaderValue};
use tern_plugin_api::payload::Header;

/// Headers as the plugin payloads carry them: in order, repeats kept, values as text.
pub fn payload_headers(headers: &HeaderMap) -> Vec<Header> {
    headers
        .iter()
        .map(|(name, value)| Header::new(name.as_str(), String::from_utf8_lossy(value.as_bytes())))
        .collect()
}

/// Plugin-given headers as hyper headers. Framing headers (`Content-Length`,
/// `Transfer-Encoding`, `Connection`, `Host`, …) are the daemon's business, not a plugin's,
/// so they are left out; a header that is not valid HTTP is an error naming it (never its
/// value, which may be a credential).
pub fn hyper_headers(headers: &[Header]) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    const FRAMING: [&str; 7] = [
        "content-length",
        "transfer-encoding",
        "connection",
        "host",
        "keep-alive",
        "upgrade",
        "te",
    ];
    let mut out = Vec::with_capacity(headers.len());
    for header in headers {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| format!("header name {:?} is not valid", header.name))?;
        if FRAMING.contains(&name.as_str()) {
            continue;
        }
        let value = HeaderValue::from_str(&header.value)
            .map_err(|_| format!("the value of header {name} is not valid"))?;
        out.push((name, value));
    }
    Ok(out)
}
