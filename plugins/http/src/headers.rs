//! Extra request headers: one `Name: value` per line, placeholders allowed in values.
//!
//! Values are not encoded (headers have no escaping), so a substituted value with a line break
//! is refused at send time instead of being allowed to start a new header.

use tern_plugin_api::Header;

use crate::error::Error;
use crate::escape;
use crate::template::{Template, Values};

/// Headers the daemon's HTTP client sets itself from the request it sends; setting them by
/// hand would contradict the real body or connection.
const RESERVED: [&str; 4] = ["content-length", "transfer-encoding", "host", "connection"];

/// One configured header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderTemplate {
    name: String,
    value: Template,
}

impl HeaderTemplate {
    /// The header name as written, for conflict checks against auth headers.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renders the header for one message, refusing any substituted value that contains a
    /// line break or another control character. Surrounding spaces are trimmed.
    pub fn render(&self, values: &Values<'_>) -> Result<Header, Error> {
        let value = self.value.try_render(values, |placeholder, value| {
            if escape::is_header_safe(value) {
                Ok(value)
            } else {
                Err(Error::UnsafeHeaderValue {
                    header: self.name.clone(),
                    placeholder: placeholder.name(),
                })
            }
        })?;
        Ok(Header::new(self.name.clone(), value.trim()))
    }
}

/// Parses the `headers` field. Blank lines are skipped; every bad line gives one message that
/// names the line but never quotes its value, which may hold a key.
pub fn parse(text: &str) -> Result<Vec<HeaderTemplate>, Vec<String>> {
    let mut headers = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line) {
            Ok(header) => headers.push(header),
            Err(problem) => problems.push(format!("line {}: {problem}", index + 1)),
        }
    }
    if problems.is_empty() {
        Ok(headers)
    } else {
        Err(problems)
    }
}

fn parse_line(line: &str) -> Result<HeaderTemplate, String> {
    let Some((name, value)) = line.split_once(':') else {
        return Err("expected `Name: value`".into());
    };
    let name = name.trim();
    if !escape::is_token(name) {
        return Err(format!("{name:?} is not a valid header name"));
    }
    if RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(format!(
            "{name} is set by the daemon and cannot be configured"
        ));
    }
    if !escape::is_header_safe(value) {
        return Err(format!("the value of {name} contains a control character"));
    }
    let value = Template::parse(value.trim()).map_err(|e| format!("{name}: {e}"))?;
    Ok(HeaderTemplate {
        name: name.to_owned(),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders() {
        let headers = parse("X-Api-Version: 2\r\n\r\nX-Ref:  msg-{{message_id}} \n").unwrap();
        let values = Values {
            message_id: "m1",
            ..Values::default()
        };
        let rendered: Vec<Header> = headers.iter().map(|h| h.render(&values).unwrap()).collect();
        assert_eq!(
            rendered,
            vec![
                Header::new("X-Api-Version", "2"),
                Header::new("X-Ref", "msg-m1")
            ]
        );
    }

    #[test]
    fn refuses_line_breaks_in_values() {
        let headers = parse("X-Text: {{body}}").unwrap();
        let values = Values {
            body: "hi\r\nX-Evil: 1",
            ..Values::default()
        };
        assert_eq!(
            headers[0].render(&values),
            Err(Error::UnsafeHeaderValue {
                header: "X-Text".into(),
                placeholder: "body"
            })
        );
    }

    #[test]
    fn bad_lines_are_reported_without_values() {
        let problems =
            parse("no colon here\nBad Name: x\nContent-Length: 3\nX-Key: {{secret}}").unwrap_err();
        assert_eq!(problems.len(), 4);
        assert!(problems[0].starts_with("line 1:"));
        assert!(problems[1].contains("not a valid header name"));
        assert!(problems[2].contains("set by the daemon"));
        assert!(problems[3].contains("unknown placeholder"));
    }
}
