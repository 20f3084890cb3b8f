//! Responses, and the one error shape every 4xx and 5xx uses:
//! `{"error":{"code":"…","message":"…"}}`, with optional extra fields beside `code`.

use super::Body;
use hyper::StatusCode;
use hyper::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use serde::Serialize;
use serde_json::{Map, Value};

/// Every response the daemon sends.
pub type Response = hyper::Response<Body>;

/// A JSON answer with `status`.
pub fn json(status: StatusCode, body: &impl Serialize) -> Response {
    // Serialising our own response types cannot fail; fall back to an empty object if it did.
    json_bytes(
        status,
        serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec()),
    )
}

/// A JSON answer with `status` from a document already serialised, for answers written
/// without serde on a hot path.
pub fn json_bytes(status: StatusCode, bytes: Vec<u8>) -> Response {
    let mut response = hyper::Response::new(Body::full(bytes));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// An error answer: the status, a stable machine-readable code, and a message for a person.
///
/// Codes are part of the API contract; messages may be reworded. `extra` carries structured
/// detail (per-field config errors, `retryable`) next to `code` and `message`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code, such as `not_found`.
    pub code: &'static str,
    /// What went wrong and, where possible, what to do.
    pub message: String,
    /// Extra members of the `error` object.
    pub extra: Map<String, Value>,
}

impl ApiError {
    /// An error with no extra fields.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            extra: Map::new(),
        }
    }

    /// Adds a member to the `error` object.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    /// 400 `bad_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 409 `conflict`-family errors carry their own code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 422 with a specific code.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 500 `internal`: the message is logged, the client gets a generic one.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {err}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the daemon failed to handle the request; its log says why",
        )
    }

    /// The response. A 405 also carries the `Allow` header, from the `allow` member.
    pub fn into_response(self) -> Response {
        let allow = self
            .extra
            .get("allow")
            .and_then(Value::as_str)
            .and_then(|a| HeaderValue::from_str(a).ok());
        let mut error = Map::new();
        error.insert("code".into(), Value::from(self.code));
        error.insert("message".into(), Value::from(self.message));
        error.extend(self.extra);
        let mut response = json(self.status, &serde_json::json!({ "error": error }));
        if let Some(allow) = allow.filter(|_| self.status == StatusCode::METHOD_NOT_ALLOWED) {
            response.headers_mut().insert(ALLOW, allow);
        }
        response
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}
