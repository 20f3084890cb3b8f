//! Delivery callbacks of gateways with their own format, read through a field mapping.
//!
//! The admin names where the message id, the status and (optionally) an error code are, and
//! which status values mean delivered or failed. A field is a bare name (`MessageSid`) or a
//! JSON pointer (`/data/id`). Form bodies and query strings are looked up by name; JSON bodies
//! by pointer, a bare name meaning a top-level member. A JSON array body is a batch: each
//! element is read as one callback.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;
use tern_plugin_api::{Event, EventKind, HttpRequest};

use crate::error::Error;
use crate::json::{check_pointer, scalar_text};

/// Where one value sits in a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldRef {
    /// A form/query key, or a top-level JSON member.
    Key(String),
    /// An RFC 6901 pointer into a JSON body.
    Pointer(String),
}

impl FieldRef {
    /// Reads a mapping field: a leading `/` makes it a JSON pointer, anything else a name.
    pub fn parse(text: &str) -> Result<FieldRef, String> {
        let text = text.trim();
        if text.starts_with('/') {
            check_pointer(text)?;
            Ok(FieldRef::Pointer(text.to_owned()))
        } else {
            Ok(FieldRef::Key(text.to_owned()))
        }
    }

    fn in_json<'a>(&self, record: &'a Value) -> Option<&'a Value> {
        match self {
            FieldRef::Key(key) => record.get(key),
            FieldRef::Pointer(pointer) => record.pointer(pointer),
        }
    }

    /// The form key this field means: the name itself, or the one segment of a pointer such
    /// as `/status`. Deeper pointers cannot match a flat form.
    fn form_key(&self) -> Option<Cow<'_, str>> {
        match self {
            FieldRef::Key(key) => Some(Cow::Borrowed(key)),
            FieldRef::Pointer(pointer) => {
                let segment = pointer.strip_prefix('/')?;
                (!segment.contains('/'))
                    .then(|| Cow::Owned(segment.replace("~1", "/").replace("~0", "~")))
            }
        }
    }
}

impl fmt::Display for FieldRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldRef::Key(text) | FieldRef::Pointer(text) => f.write_str(text),
        }
    }
}

/// Splits a comma-separated list of status values. Matching ignores case and surrounding
/// spaces, so values are stored lower-cased.
pub fn parse_values(text: &str) -> Vec<String> {
    text.split(',')
        .map(|v| v.trim().to_lowercase())
        .filter(|v| !v.is_empty())
        .collect()
}

/// A complete mapping, built by the config reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// Where the provider message id is.
    pub id: FieldRef,
    /// Where the status is.
    pub status: FieldRef,
    /// Where the error code of a failed delivery is, if the gateway sends one.
    pub error: Option<FieldRef>,
    /// Status values meaning delivered, lower-cased.
    pub delivered: Vec<String>,
    /// Status values meaning failed, lower-cased.
    pub failed: Vec<String>,
}

/// One callback's worth of fields.
enum Record<'a> {
    Json(&'a Value),
    Form(&'a [(String, String)]),
}

impl Record<'_> {
    fn get(&self, field: &FieldRef) -> Option<String> {
        match self {
            Record::Json(value) => field.in_json(value).and_then(scalar_text),
            Record::Form(pairs) => {
                let key = field.form_key()?;
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
            }
        }
    }
}

impl Mapping {
    /// Reads `request` into events. The body is JSON when its Content-Type says so (or, with
    /// no usable Content-Type, when it starts with `{` or `[`); otherwise the form body and
    /// then the URL's query string are searched, which covers GET callbacks.
    pub fn parse(&self, request: &HttpRequest) -> Result<Vec<Event>, Error> {
        let body = request.body.trim();
        let is_json = match media_type(request).as_deref() {
            Some(t) if t.ends_with("json") => true,
            Some("application/x-www-form-urlencoded") => false,
            Some(t) if t.starts_with("multipart/") => {
                return Err(Error::Malformed(
                    "multipart callback bodies are not supported; send form or JSON".into(),
                ));
            }
            _ => body.starts_with(['{', '[']),
        };
        if is_json {
            self.parse_json(body)
        } else {
            self.parse_form(request)
        }
    }

    fn parse_json(&self, body: &str) -> Result<Vec<Event>, Error> {
        let doc: Value = serde_json::from_str(body)
            .map_err(|e| Error::Malformed(format!("the callback body is not JSON: {e}")))?;
        let records: Vec<&Value> = match &doc {
            Value::Array(items) => items.iter().collect(),
            _ => vec![&doc],
        };
        let mut events = Vec::new();
        for (index, record) in records.into_iter().enumerate() {
            let event = self.event(&Record::Json(record)).map_err(|m| {
                Error::Malformed(match &doc {
                    Value::Array(_) => format!("item {index}: {m}"),
                    _ => m,
                })
            })?;
            events.extend(event);
        }
        Ok(events)
    }

    fn parse_form(&self, request: &HttpRequest) -> Result<Vec<Event>, Error> {
        let query = request
            .url
            .split_once('?')
            .map(|(_, q)| q.split('#').next().unwrap_or_default())
            .unwrap_or_default();
        let pairs: Vec<(String, String)> = form_urlencoded::parse(request.body.trim().as_bytes())
            .chain(form_urlencoded::parse(query.as_bytes()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if pairs.is_empty() {
            return Err(Error::Malformed(
                "the callback carries no fields in its body or query string".into(),
            ));
        }
        Ok(self
            .event(&Record::Form(&pairs))
            .map_err(Error::Malformed)?
            .into_iter()
            .collect())
    }

    /// The event in one record, or none when its status is in neither list.
    fn event(&self, record: &Record<'_>) -> Result<Option<Event>, String> {
        let status = record
            .get(&self.status)
            .ok_or_else(|| format!("no status at {}", self.status))?
            .to_lowercase();
        let kind = if self.delivered.contains(&status) {
            EventKind::Delivered
        } else if self.failed.contains(&status) {
            EventKind::Failed
        } else {
            return Ok(None);
        };
        let id = record
            .get(&self.id)
            .ok_or_else(|| format!("no message id at {}", self.id))?;
        let error_code = match (&self.error, kind) {
            (Some(field), EventKind::Failed) => record.get(field),
            _ => None,
        };
        Ok(Some(Event {
            kind,
            provider_message_id: Some(id),
            error_code,
            ..Event::default()
        }))
    }
}

/// The Content-Type without parameters, lower-cased.
fn media_type(request: &HttpRequest) -> Option<String> {
    let value = request.header("content-type")?;
    let media = value.split(';').next().unwrap_or_default().trim();
    (!media.is_empty()).then(|| media.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tern_plugin_api::Header;

    fn mapping(id: &str, status: &str, error: Option<&str>) -> Mapping {
        Mapping {
            id: FieldRef::parse(id).unwrap(),
            status: FieldRef::parse(status).unwrap(),
            error: error.map(|e| FieldRef::parse(e).unwrap()),
            delivered: parse_values("Delivered, DELIVRD"),
            failed: parse_values("failed,undeliv"),
        }
    }

    fn request(content_type: Option<&str>, url: &str, body: &str) -> HttpRequest {
        HttpRequest {
            method: "POST".into(),
            url: url.into(),
            headers: content_type
                .map(|t| vec![Header::new("Content-Type", t)])
                .unwrap_or_default(),
            body: body.into(),
        }
    }

    #[test]
    fn form_body_then_query() {
        let m = mapping("id", "/stat", Some("err"));
        let req = request(
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            "https://t.example/cb?id=q1&err=7",
            "stat=UNDELIV",
        );
        let events = m.parse(&req).unwrap();
        assert_eq!(events[0].kind, EventKind::Failed);
        assert_eq!(events[0].provider_message_id.as_deref(), Some("q1"));
        assert_eq!(events[0].error_code.as_deref(), Some("7"));
    }

    #[test]
    fn json_batch_and_sniffing() {
        let m = mapping("/msg/id", "status", None);
        let body = r#"[{"msg":{"id":1},"status":"delivrd"},{"msg":{"id":"b"},"status":"queued"}]"#;
        let events = m
            .parse(&request(None, "https://t.example/cb", body))
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].provider_message_id.as_deref(), Some("1"));
    }

    #[test]
    fn malformed_requests() {
        let m = mapping("id", "status", None);
        for req in [
            request(Some("application/json"), "https://t/cb", "{"),
            request(Some("application/json"), "https://t/cb", r#"{"id":"x"}"#),
            request(
                Some("application/json"),
                "https://t/cb",
                r#"{"status":"delivered"}"#,
            ),
            request(None, "https://t/cb", ""),
            request(
                Some("multipart/form-data; boundary=x"),
                "https://t/cb",
                "--x",
            ),
            request(None, "https://t/cb?status=failed", ""),
        ] {
            assert!(matches!(m.parse(&req), Err(Error::Malformed(_))), "{req:?}");
        }
    }
}
