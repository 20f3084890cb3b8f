//! Small JSON helpers shared by send answers and callbacks: JSON pointer syntax and reading an
//! id or code as text.

use serde_json::Value;

/// Checks RFC 6901 syntax (`/data/id`, `/messages/0/id`, `/a~1b` for a key `a/b`), so a typo is
/// reported by `validate_config` instead of by every send.
pub fn check_pointer(pointer: &str) -> Result<(), String> {
    if !pointer.starts_with('/') {
        return Err(format!(
            "{pointer:?} is not a JSON pointer: it must start with `/`, as in /data/id"
        ));
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(format!(
                "{pointer:?} is not a JSON pointer: `~` must be followed by 0 (for ~) or 1 (for /)"
            ));
        }
    }
    Ok(())
}

/// Reads a scalar as text: a non-blank string (trimmed) or a number in its JSON form. Gateways
/// send ids and error codes as either, and Tern stores them as text.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointer_syntax() {
        for good in ["/id", "/data/id", "/messages/0/id", "/a~0b~1c", "/"] {
            assert!(check_pointer(good).is_ok(), "{good}");
        }
        for bad in ["id", "data/id", "/a~2", "/a~", ""] {
            assert!(check_pointer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(scalar_text(&json!(" abc ")), Some("abc".into()));
        assert_eq!(scalar_text(&json!(12345)), Some("12345".into()));
        assert_eq!(scalar_text(&json!(1.5)), Some("1.5".into()));
        assert_eq!(scalar_text(&json!("")), None);
        assert_eq!(scalar_text(&json!(null)), None);
        assert_eq!(scalar_text(&json!(true)), None);
        assert_eq!(scalar_text(&json!({"id": 1})), None);
    }
}
