//! Reading what an admin sends: ids, names and config patches.

use tern_plugin_api::payload::Config;

use super::ProviderError;

/// An API id: the decimal form of a store id, exactly as the API writes it. Anything else
/// names nothing, including other spellings of a real id (`01` for `1`), so one resource has
/// one URL.
pub fn parse_id(id: &str) -> Option<u64> {
    if id.is_empty()
        || id.len() > 20
        || !id.bytes().all(|b| b.is_ascii_digit())
        || (id.len() > 1 && id.starts_with('0'))
    {
        return None;
    }
    id.parse().ok()
}

pub(super) fn ids(ids: &[u64]) -> Vec<String> {
    ids.iter().map(u64::to_string).collect()
}

/// Merges `patch` over `config`: a null value removes the field.
pub(super) fn merge(mut config: Config, patch: Config) -> Config {
    for (field, value) in patch {
        if value.is_null() {
            config.remove(&field);
        } else {
            config.insert(field, value);
        }
    }
    config
}

/// A provider name: trimmed, 1 to 100 characters, no control characters.
pub(super) fn check_name(name: &str) -> Result<String, ProviderError> {
    let name = name.trim();
    let invalid = |message: &str| ProviderError::Invalid {
        field: "name",
        message: message.to_owned(),
    };
    if name.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if name.chars().count() > 100 {
        return Err(invalid("must be at most 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("must not contain control characters"));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_decimals() {
        assert_eq!(parse_id("42"), Some(42));
        assert_eq!(parse_id("0"), Some(0));
        for bad in [
            "",
            "01",
            "00",
            "-1",
            "+1",
            "1.0",
            "../1",
            "1/2",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn merge_sets_keeps_and_removes() {
        let base: Config = serde_json::from_str(r#"{"a":"1","b":"2","c":"3"}"#).unwrap();
        let patch: Config = serde_json::from_str(r#"{"a":"9","c":null}"#).unwrap();
        let merged = merge(base, patch);
        assert_eq!(
            serde_json::Value::Object(merged),
            serde_json::json!({"a":"9","b":"2"})
        );
    }
}
