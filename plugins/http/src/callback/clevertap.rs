//! CleverTap's generic SMS callback format, the default for this plugin because many gateways
//! already speak it:
//!
//! ```json
//! [{"event": "delivered", "data": [{"ts": 1654512921, "meta": "<message id>"}]},
//!  {"event": "failed",    "data": [{"ts": 1654512921, "meta": "<message id>", "code": "901",
//!                                   "description": "DND failure"}]},
//!  {"event": "clicked",   "data": [{"ts": 1654512921, "meta": "<message id>", "url": "…"}]},
//!  {"event": "replied",   "data": [{"ts": 1654512921, "meta": "<message id>",
//!                                   "toPhone": "+15551234567", "incomingText": "STOP"}]}]
//! ```
//!
//! `meta` is the message id the gateway was given when sending, so it is the provider message
//! id events refer to. Each item of `data` is one event.

use serde_json::{Map, Value};
use tern_plugin_api::{Event, EventKind};

use crate::error::Error;
use crate::json::scalar_text;

/// Reads a CleverTap callback body into events. Event names Tern does not count (anything but
/// delivered, failed, clicked and replied) are skipped; anything structurally wrong is
/// malformed, naming the entry and item so a gateway's developer can find it.
pub fn parse(body: &str) -> Result<Vec<Event>, Error> {
    if body.trim().is_empty() {
        return Err(Error::Malformed(
            "the callback body is empty; expected a JSON array of events".into(),
        ));
    }
    let doc: Value = serde_json::from_str(body)
        .map_err(|e| Error::Malformed(format!("the callback body is not JSON: {e}")))?;
    let entries: Vec<&Value> = match &doc {
        Value::Array(entries) => entries.iter().collect(),
        // A single entry without the surrounding array is read the same way.
        Value::Object(_) => vec![&doc],
        _ => {
            return Err(Error::Malformed(
                "the callback body is not a JSON array of events".into(),
            ));
        }
    };
    let mut events = Vec::new();
    for (index, entry) in entries.into_iter().enumerate() {
        read_entry(entry, &mut events)
            .map_err(|m| Error::Malformed(format!("entry {index}: {m}")))?;
    }
    Ok(events)
}

fn read_entry(entry: &Value, events: &mut Vec<Event>) -> Result<(), String> {
    let entry = entry.as_object().ok_or("not an object")?;
    let name = entry
        .get("event")
        .and_then(Value::as_str)
        .ok_or("no \"event\" name")?;
    let kind = match name.trim().to_ascii_lowercase().as_str() {
        "delivered" => EventKind::Delivered,
        "failed" => EventKind::Failed,
        "clicked" => EventKind::Clicked,
        "replied" => EventKind::Replied,
        _ => return Ok(()),
    };
    let items = match entry.get("data") {
        Some(Value::Array(items)) => items,
        _ => return Err(format!("({name}) \"data\" is not an array")),
    };
    for (index, item) in items.iter().enumerate() {
        let item = item
            .as_object()
            .ok_or_else(|| format!("({name}) item {index} is not an object"))?;
        let event = read_item(kind, item).map_err(|m| format!("({name}) item {index}: {m}"))?;
        events.push(event);
    }
    Ok(())
}

fn read_item(kind: EventKind, item: &Map<String, Value>) -> Result<Event, String> {
    let at = read_ts(item.get("ts"))?;
    let meta = item.get("meta").and_then(scalar_text);
    let mut event = Event {
        kind,
        at,
        ..Event::default()
    };
    match kind {
        EventKind::Replied => {
            // The phone in a reply item is the number the reply concerns; it becomes the
            // event's sender. `meta`, when present, still names the message replied to.
            event.from = item.get("toPhone").and_then(scalar_text);
            event.provider_message_id = meta;
            if event.from.is_none() && event.provider_message_id.is_none() {
                return Err("a reply needs \"toPhone\" or \"meta\"".into());
            }
        }
        _ => {
            event.provider_message_id = Some(meta.ok_or("no \"meta\" (the message id)")?);
            if kind == EventKind::Failed {
                event.error_code = item.get("code").and_then(scalar_text);
            }
        }
    }
    Ok(event)
}

/// `ts` is Unix seconds. Numbers with a fraction are truncated and digit strings are read,
/// since gateways serialise timestamps loosely; a missing `ts` leaves the time to the host.
fn read_ts(value: Option<&Value>) -> Result<Option<i64>, String> {
    const LIMIT: f64 = 9.0e18;
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && f.abs() < LIMIT)
                    .map(|f| f.trunc() as i64)
            })
            .map(Some)
            .ok_or_else(|| "\"ts\" is out of range".to_owned()),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| "\"ts\" is not a number of Unix seconds".to_owned()),
        Some(_) => Err("\"ts\" is not a number of Unix seconds".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_kind() {
        let body = r#"[
            {"event":"delivered","data":[{"ts":1700000000,"meta":"m1","description":"ok"}]},
            {"event":"failed","data":[{"ts":"1700000001","meta":"m2","code":901},
                                      {"ts":1700000002.7,"meta":"m3","code":"902"}]},
            {"event":"clicked","data":[{"ts":1700000003,"meta":"m4","url":"https://x"}]},
            {"event":"replied","data":[{"ts":1700000004,"meta":"m5","toPhone":"+15551234567","incomingText":"STOP"}]},
            {"event":"sent","data":"whatever"}
        ]"#;
        let events = parse(body).unwrap();
        assert_eq!(events.len(), 5);
        assert_eq!(events[1].error_code.as_deref(), Some("901"));
        assert_eq!(events[2].at, Some(1700000002));
        assert_eq!(events[4].from.as_deref(), Some("+15551234567"));
        assert_eq!(events[4].provider_message_id.as_deref(), Some("m5"));
    }

    #[test]
    fn single_object_is_accepted() {
        let events = parse(r#"{"event":"Delivered","data":[{"meta":"m1"}]}"#).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].at, None);
    }

    #[test]
    fn malformed_bodies() {
        for body in [
            "",
            "nope",
            "42",
            "[1]",
            r#"[{"data":[]}]"#,
            r#"[{"event":"delivered"}]"#,
            r#"[{"event":"delivered","data":[{"ts":1}]}]"#,
            r#"[{"event":"delivered","data":[{"meta":"m","ts":true}]}]"#,
            r#"[{"event":"delivered","data":[{"meta":"m","ts":1e300}]}]"#,
            r#"[{"event":"replied","data":[{"incomingText":"hi"}]}]"#,
            r#"[{"event":"failed","data":["m1"]}]"#,
        ] {
            assert!(
                matches!(parse(body), Err(Error::Malformed(_))),
                "{body:?} was accepted"
            );
        }
    }
}
