//! The sending half of the configuration: URL, method, body, headers, auth and how to read the
//! gateway's answer.

use std::fmt;

use base64::Engine as _;
use tern_plugin_api::Header;

use super::Reader;
use crate::body::{self, Body, FormTemplate};
use crate::escape;
use crate::headers::{self, HeaderTemplate};
use crate::json::check_pointer;
use crate::manifest::field;
use crate::statuses::StatusSet;
use crate::url_template::UrlTemplate;

/// The HTTP method (`method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// No body; form pairs go in the query.
    Get,
    /// The body carries the message.
    Post,
}

impl Method {
    /// The method as it goes on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// How requests authenticate (`auth`). `Debug` never shows a credential.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// No credentials, or credentials the gateway takes in the URL or body.
    None,
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// The user.
        username: String,
        /// The password (secret).
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token (secret).
        token: String,
    },
    /// `<name>: <token>`, for gateways with an API-key header.
    Header {
        /// The header name.
        name: String,
        /// The key (secret).
        token: String,
    },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { username, .. } => write!(f, "Basic({username}, [redacted])"),
            Auth::Bearer { .. } => f.write_str("Bearer([redacted])"),
            Auth::Header { name, .. } => write!(f, "Header({name}, [redacted])"),
        }
    }
}

impl Auth {
    /// The header this auth adds to every request, if any.
    pub fn header(&self) -> Option<Header> {
        match self {
            Auth::None => None,
            Auth::Basic { username, password } => {
                let encoded = base64::engine::general_purpose::STANDARD
                    .encode(format!("{username}:{password}"));
                Some(Header::new("Authorization", format!("Basic {encoded}")))
            }
            Auth::Bearer { token } => Some(Header::new("Authorization", format!("Bearer {token}"))),
            Auth::Header { name, token } => Some(Header::new(name.clone(), token.clone())),
        }
    }

    /// The secret values, so text from the gateway can be scrubbed of them before it is
    /// stored or shown.
    pub fn secrets(&self) -> Vec<&str> {
        match self {
            Auth::None => Vec::new(),
            Auth::Basic { password, .. } => vec![password.as_str()],
            Auth::Bearer { token } | Auth::Header { token, .. } => vec![token.as_str()],
        }
    }
}

/// Everything `build_send` and `parse_send_response` need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendConfig {
    /// Where to send.
    pub url: UrlTemplate,
    /// How.
    pub method: Method,
    /// What body.
    pub body: Body,
    /// Extra headers, in order.
    pub headers: Vec<HeaderTemplate>,
    /// The value of `{{from}}`.
    pub from: String,
    /// Credentials.
    pub auth: Auth,
    /// Statuses meaning accepted.
    pub accepted: StatusSet,
    /// Where the gateway's message id is in its answer; `None` tracks by Tern's id.
    pub message_id_pointer: Option<String>,
}

/// Reads the sending fields, recording problems in `reader`.
pub(super) fn read(reader: &mut Reader<'_>) -> Option<SendConfig> {
    let url = reader
        .required(field::URL, "")
        .and_then(|text| reader.check(field::URL, UrlTemplate::parse(text.trim())));
    let method = reader.select(field::METHOD).map(|m| match m.as_str() {
        "GET" => Method::Get,
        _ => Method::Post,
    });
    let body = read_body(reader, method);
    let headers_text = reader.value(field::HEADERS);
    let headers = reader.check_lines(field::HEADERS, headers::parse(&headers_text));
    let from = reader.value(field::FROM).trim().to_owned();
    if has_controls(&from) {
        reader.fail(field::FROM, "must not contain control characters");
    }
    let auth = read_auth(reader);
    if let (Some(auth), Some(headers)) = (&auth, &headers) {
        if let Some(auth_header) = auth.header() {
            if headers
                .iter()
                .any(|h| h.name().eq_ignore_ascii_case(&auth_header.name))
            {
                reader.fail(
                    field::HEADERS,
                    format!(
                        "sets {}, which the chosen auth also sets; remove the line or set auth to none",
                        auth_header.name
                    ),
                );
            }
        }
    }
    let accepted_text = reader.value(field::ACCEPTED_STATUSES);
    let accepted = reader.check(field::ACCEPTED_STATUSES, StatusSet::parse(&accepted_text));
    let pointer = reader.value(field::MESSAGE_ID_POINTER).trim().to_owned();
    let pointer = if pointer.is_empty() {
        Some(None)
    } else {
        reader
            .check(field::MESSAGE_ID_POINTER, check_pointer(&pointer))
            .map(|()| Some(pointer))
    };
    match (url, method, body, headers, auth, accepted, pointer) {
        (
            Some(url),
            Some(method),
            Some(body),
            Some(headers),
            Some(auth),
            Some(accepted),
            Some(message_id_pointer),
        ) => Some(SendConfig {
            url,
            method,
            body,
            headers,
            from,
            auth,
            accepted,
            message_id_pointer,
        }),
        _ => None,
    }
}

fn read_body(reader: &mut Reader<'_>, method: Option<Method>) -> Option<Body> {
    let format = reader.select(field::BODY_FORMAT)?;
    let text = reader.value(field::BODY_TEMPLATE);
    let empty = text.trim().is_empty();
    match (format.as_str(), method) {
        ("none", _) if !empty => {
            reader.fail(
                field::BODY_TEMPLATE,
                "must be empty when body_format is none",
            );
            None
        }
        ("none", _) => Some(Body::None),
        ("json", Some(Method::Get)) => {
            reader.fail(
                field::BODY_FORMAT,
                "json needs method POST: GET requests carry no body",
            );
            None
        }
        ("json", _) => {
            let text = reader.required(field::BODY_TEMPLATE, " for json bodies")?;
            reader
                .check(field::BODY_TEMPLATE, body::parse_json(&text))
                .map(Body::Json)
        }
        (_, Some(Method::Get)) if empty => Some(Body::Form(FormTemplate::default())),
        _ => {
            let text = reader.required(field::BODY_TEMPLATE, " for form bodies sent with POST")?;
            reader
                .check_lines(field::BODY_TEMPLATE, FormTemplate::parse(&text))
                .map(Body::Form)
        }
    }
}

fn read_auth(reader: &mut Reader<'_>) -> Option<Auth> {
    match reader.select(field::AUTH)?.as_str() {
        "basic" => {
            let username = reader
                .required(field::USERNAME, " for basic auth")
                .and_then(|name| {
                    let valid = !name.contains(':') && !has_controls(&name);
                    if !valid {
                        reader.fail(
                            field::USERNAME,
                            "must not contain `:` or control characters",
                        );
                    }
                    valid.then_some(name)
                });
            let password = reader.secret(
                field::PASSWORD,
                " for basic auth",
                |v| !has_controls(v),
                "must not contain control characters",
            );
            Some(Auth::Basic {
                username: username?,
                password: password?,
            })
        }
        "bearer" => {
            let token = reader.secret(
                field::TOKEN,
                " for bearer auth",
                |v| !v.chars().any(char::is_whitespace) && !has_controls(v),
                "must not contain spaces or control characters",
            )?;
            Some(Auth::Bearer { token })
        }
        "header" => {
            let name = reader.value(field::AUTH_HEADER).trim().to_owned();
            let name_ok = escape::is_token(&name);
            if !name_ok {
                reader.fail(
                    field::AUTH_HEADER,
                    format!("{name:?} is not a valid header name"),
                );
            }
            let token = reader.secret(
                field::TOKEN,
                " for header auth",
                escape::is_header_safe,
                "must not contain line breaks or control characters",
            )?;
            name_ok.then_some(Auth::Header { name, token })
        }
        _ => Some(Auth::None),
    }
}

fn has_controls(value: &str) -> bool {
    value.chars().any(char::is_control)
}
