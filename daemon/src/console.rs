//! The admin web console: a static single-page client of the `/v1` API, served on the admin
//! listener so an admin needs nothing but `ternd` and a browser.
//!
//! The files under `daemon/console/` are compiled into the binary, so the console works
//! offline and always matches the API of the daemon that serves it. The pages carry no secret:
//! they are served without the token, and every call the page makes goes to `/v1` with the
//! token the admin pastes in. The headers forbid inline script, framing and content sniffing,
//! so an injected string in a provider or campaign name can never run as code.

use bytes::Bytes;
use hyper::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderName, HeaderValue, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use hyper::{Method, StatusCode};

use crate::http::{ApiError, Body, Request, Response};

/// Where the console's files are served from; `/` serves its page.
const ASSET_PREFIX: &str = "/console/";

/// Only files from this origin; no inline script or style, no frames, no form posts: the page
/// talks to the API with `fetch` only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// The console's files: `assets![(path under daemon/console/, content type), …]`.
macro_rules! assets {
    ($(($path:literal, $content_type:expr)),* $(,)?) => {
        &[$(($path, $content_type, include_str!(concat!("../console/", $path)))),*]
    };
}

/// Every file of the console: its path under [`ASSET_PREFIX`], content type and bytes.
const ASSETS: &[(&str, &str, &str)] = assets![
    ("console.css", CSS),
    ("icon.svg", SVG),
    ("js/app.js", JS),
    ("js/api.js", JS),
    ("js/dom.js", JS),
    ("js/menu.js", JS),
    ("js/dialogs.js", JS),
    ("js/config-form.js", JS),
    ("js/provider-dialog.js", JS),
    ("js/providers.js", JS),
    ("js/campaigns.js", JS),
    ("js/stats.js", JS),
    ("js/chart.js", JS),
];

const INDEX: &str = include_str!("../console/index.html");

/// The console's answer for `req`, or `None` when the path is not the console's (so the
/// caller answers it as an API route).
pub fn serve(req: &Request) -> Option<Result<Response, ApiError>> {
    let path = req.path();
    let (content_type, body) = if path == "/" {
        (HTML, INDEX)
    } else {
        let name = path.strip_prefix(ASSET_PREFIX)?;
        match ASSETS.iter().find(|(file, _, _)| *file == name) {
            Some((_, content_type, body)) => (*content_type, *body),
            None => {
                return Some(Err(ApiError::not_found(format!(
                    "the console has no file {path}"
                ))));
            }
        }
    };
    if req.method != Method::GET && req.method != Method::HEAD {
        return Some(Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{} is not allowed on {path}; use GET, HEAD", req.method),
        )
        .with("allow", "GET, HEAD")));
    }
    Some(Ok(file(content_type, body)))
}

fn file(content_type: &'static str, body: &'static str) -> Response {
    let mut response = hyper::Response::new(Body::full(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    let fixed: [(HeaderName, &'static str); 6] = [
        (CONTENT_TYPE, content_type),
        (CONTENT_SECURITY_POLICY, CSP),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (REFERRER_POLICY, "no-referrer"),
        // Small files on loopback: always revalidate, so an upgraded ternd never serves a
        // page that mixes old and new scripts.
        (CACHE_CONTROL, "no-cache"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_the_page_imports_is_served() {
        // Each `import … from "./x.js"` in a served script names a served file.
        for (_, _, body) in ASSETS.iter().filter(|(_, ct, _)| *ct == JS) {
            for line in body.lines().filter(|l| l.starts_with("import ")) {
                let target = line.rsplit('"').nth(1).expect("import path in quotes");
                let name = format!("js/{}", target.trim_start_matches("./"));
                assert!(
                    ASSETS.iter().any(|(file, _, _)| *file == name),
                    "{line} names {name}, which is not served"
                );
            }
        }
        assert!(INDEX.contains("/console/js/app.js"));
    }
}
