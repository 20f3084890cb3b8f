//! `build_send`: turns one message and the configuration into the HTTP request the daemon
//! performs.

use tern_plugin_api::{Header, HttpRequest, OutboundMessage};

use crate::body::{self, Body};
use crate::config::{Method, SendConfig};
use crate::error::Error;
use crate::template::Values;

/// Content types the plugin sets for its body formats, unless the admin's headers name one.
const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// Builds the request. Headers come in a fixed order (Content-Type, the auth header, then the
/// configured headers) so requests are reproducible and golden-testable.
pub fn build(config: &SendConfig, message: &OutboundMessage) -> Result<HttpRequest, Error> {
    let values = Values {
        to: &message.to,
        from: &config.from,
        body: &message.body,
        message_id: &message.id,
        callback_url: &message.callback_url,
    };
    let (body, content_type, query) = match (&config.body, config.method) {
        (Body::None, _) => (String::new(), None, None),
        (Body::Form(form), Method::Get) => (String::new(), None, Some(form.render(&values))),
        (Body::Form(form), Method::Post) => (form.render(&values), Some(FORM), None),
        (Body::Json(template), _) => (body::render_json(template, &values), Some(JSON), None),
    };
    let url = config.url.render(&values, query.as_deref())?;
    let custom = config
        .headers
        .iter()
        .map(|h| h.render(&values))
        .collect::<Result<Vec<_>, _>>()?;
    let mut headers = Vec::with_capacity(custom.len() + 2);
    if let Some(content_type) = content_type {
        if !custom
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("content-type"))
        {
            headers.push(Header::new("Content-Type", content_type));
        }
    }
    headers.extend(config.auth.header());
    headers.extend(custom);
    Ok(HttpRequest {
        method: config.method.as_str().to_owned(),
        url,
        headers,
        body,
    })
}
