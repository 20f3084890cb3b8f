//! What a verified callback means: Tern events from Twilio's status callbacks, inbound
//! messages and link-click events.
//!
//! Only the outcomes the host counts become events. Intermediate statuses (`queued`,
//! `sending`, `sent`, …) and link previews give none, but are still acknowledged, so Twilio
//! does not retry them.

use serde_json::Value;
use tern_plugin_api::{Event, EventKind};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::form;

/// Why a verified callback could not be read. Each becomes the host's `malformed` error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum EventError {
    /// A status callback must name its message, or the status cannot be matched to it.
    #[error("the status callback has no MessageSid")]
    NoMessageSid,
    /// An inbound message must name its sender, or the reply cannot be attributed.
    #[error("the inbound message has no From")]
    NoSender,
    /// The form is neither kind of callback Twilio sends for messages.
    #[error(
        "the form is neither a status callback (MessageStatus) nor an inbound message \
         (From and Body)"
    )]
    Unrecognised,
    /// The JSON body does not parse.
    #[error("the JSON body is not valid JSON: {0}")]
    NotJson(String),
    /// The JSON body parses but is not an object.
    #[error("the JSON body is not an object")]
    NotObject,
    /// A JSON callback without `event_type` is no link-shortening event.
    #[error("the JSON body has no event_type")]
    NoEventType,
    /// A click must name the message whose link was clicked.
    #[error("the click event has no sms_sid")]
    NoSmsSid,
}

/// Reads the fields of a form (or GET query) callback.
///
/// The status is `MessageStatus`, or the older `SmsStatus` when that is all there is.
/// `received` marks an inbound message, as does a form with `From` and `Body` and no status.
pub(crate) fn from_fields(fields: &[(String, String)]) -> Result<Vec<Event>, EventError> {
    let field = |name: &str| {
        form::get(fields, name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let status = field("MessageStatus")
        .or_else(|| field("SmsStatus"))
        .map(str::to_ascii_lowercase);

    match status.as_deref() {
        Some("received") => inbound(field("From")),
        Some(status) => {
            let sid = field("MessageSid")
                .or_else(|| field("SmsSid"))
                .ok_or(EventError::NoMessageSid)?;
            Ok(status_event(status, sid, field("ErrorCode"))
                .into_iter()
                .collect())
        }
        None if form::get(fields, "Body").is_some() => inbound(field("From")),
        None => Err(EventError::Unrecognised),
    }
}

/// A reply from `from`. The inbound message's own sid is not passed on: it names the reply,
/// not a message Tern sent, and the host attributes replies by the sender's number.
fn inbound(from: Option<&str>) -> Result<Vec<Event>, EventError> {
    let from = from.ok_or(EventError::NoSender)?;
    Ok(vec![Event {
        kind: EventKind::Replied,
        from: Some(from.to_owned()),
        ..Event::default()
    }])
}

/// The event for a message status, if the host counts it: `delivered` is a delivery,
/// `undelivered` and `failed` are failures (with Twilio's error code, e.g. `30003`).
fn status_event(status: &str, sid: &str, error_code: Option<&str>) -> Option<Event> {
    let kind = match status {
        "delivered" => EventKind::Delivered,
        "undelivered" | "failed" => EventKind::Failed,
        _ => return None,
    };
    Some(Event {
        kind,
        provider_message_id: Some(sid.to_owned()),
        error_code: match kind {
            EventKind::Failed => error_code.map(str::to_owned),
            _ => None,
        },
        ..Event::default()
    })
}

/// Reads a link-shortening event: `{"event_type": "click", "sms_sid": "SM…",
/// "click_time": "2024-01-18T18:31:23.549Z", …}`.
///
/// A `click` becomes a click on `sms_sid`, timed by `click_time` when that is RFC 3339.
/// Other event types (Twilio also reports `preview`, when a device fetches the link to show a
/// preview, which is no human click) give no event; they are acknowledged so Twilio does not
/// retry them.
pub(crate) fn from_json(body: &str) -> Result<Vec<Event>, EventError> {
    let document: Value =
        serde_json::from_str(body).map_err(|err| EventError::NotJson(err.to_string()))?;
    let object = document.as_object().ok_or(EventError::NotObject)?;
    let text = |name: &str| {
        object
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let event_type = text("event_type").ok_or(EventError::NoEventType)?;
    if !event_type.eq_ignore_ascii_case("click") {
        return Ok(Vec::new());
    }
    let sid = text("sms_sid").ok_or(EventError::NoSmsSid)?;
    Ok(vec![Event {
        kind: EventKind::Clicked,
        provider_message_id: Some(sid.to_owned()),
        at: text("click_time").and_then(unix_seconds),
        ..Event::default()
    }])
}

/// Unix seconds of an RFC 3339 timestamp; `None` for anything else, since a click without a
/// readable time is still a click.
fn unix_seconds(timestamp: &str) -> Option<i64> {
    OffsetDateTime::parse(timestamp, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn sms_status_is_a_fallback() {
        let events =
            from_fields(&fields(&[("SmsSid", "SM1"), ("SmsStatus", "delivered")])).unwrap();
        assert_eq!(events[0].kind, EventKind::Delivered);
        assert_eq!(events[0].provider_message_id.as_deref(), Some("SM1"));
    }

    #[test]
    fn failed_without_error_code() {
        let events = from_fields(&fields(&[
            ("MessageSid", "SM1"),
            ("MessageStatus", "failed"),
        ]))
        .unwrap();
        assert_eq!(events[0].kind, EventKind::Failed);
        assert_eq!(events[0].error_code, None);
    }

    #[test]
    fn delivered_ignores_an_error_code() {
        let events = from_fields(&fields(&[
            ("MessageSid", "SM1"),
            ("MessageStatus", "delivered"),
            ("ErrorCode", "0"),
        ]))
        .unwrap();
        assert_eq!(events[0].error_code, None);
    }

    #[test]
    fn received_without_sender_is_refused() {
        assert_eq!(
            from_fields(&fields(&[("SmsStatus", "received"), ("Body", "hi")])),
            Err(EventError::NoSender)
        );
        assert_eq!(
            from_fields(&fields(&[("Foo", "bar")])),
            Err(EventError::Unrecognised)
        );
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            unix_seconds("2024-01-18T18:31:23.549Z"),
            Some(1_705_602_683)
        );
        assert_eq!(
            unix_seconds("2024-01-18T19:31:23+01:00"),
            Some(1_705_602_683)
        );
        assert_eq!(unix_seconds("Thu, 18 Jan 2024 18:31:23 +0000"), None);
    }

    #[test]
    fn previews_and_unknown_json_events_give_nothing() {
        assert_eq!(
            from_json(r#"{"event_type":"preview","sms_sid":"SM1"}"#),
            Ok(vec![])
        );
        assert_eq!(from_json("[1]"), Err(EventError::NotObject));
        assert_eq!(from_json("{}"), Err(EventError::NoEventType));
        assert_eq!(
            from_json(r#"{"event_type":"click"}"#),
            Err(EventError::NoSmsSid)
        );
    }
}
