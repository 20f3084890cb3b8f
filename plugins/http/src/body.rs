//! Request bodies: form (`name=value` pairs, one per line) and JSON (a document with
//! placeholders inside string values).
//!
//! Form templates are written unencoded (`sender=My Shop`), parsed into pairs once, and every
//! name and value is form-encoded at render time, so neither the admin's text nor a message
//! can produce a malformed body. JSON templates are checked to stay valid JSON whatever the
//! values are: placeholders must sit inside strings, and values are JSON-string-escaped.

use crate::escape;
use crate::template::{Template, Values};

/// How the message goes into the request, chosen by `body_format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// No body (GET requests, or gateways that take everything in the URL).
    None,
    /// `application/x-www-form-urlencoded` pairs; in the query string for GET requests.
    Form(FormTemplate),
    /// `application/json`.
    Json(Template),
}

/// Form pairs whose values may hold placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormTemplate {
    pairs: Vec<(String, Template)>,
}

impl FormTemplate {
    /// Parses one `name=value` pair per line. Blank lines are skipped, spaces around names and
    /// values are trimmed, and the first `=` separates name from value. Returns one message
    /// per bad line.
    pub fn parse(text: &str) -> Result<FormTemplate, Vec<String>> {
        let mut pairs = Vec::new();
        let mut problems = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            match parse_pair(line) {
                Ok(pair) => pairs.push(pair),
                Err(problem) => problems.push(format!("line {}: {problem}", index + 1)),
            }
        }
        if problems.is_empty() {
            Ok(FormTemplate { pairs })
        } else {
            Err(problems)
        }
    }

    /// Whether the template has no pairs at all.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The encoded pairs, `a=1&b=2`, with spaces as `+` as forms send them.
    pub fn render(&self, values: &Values<'_>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.pairs {
            out.append_pair(name, &value.render(values, std::borrow::Cow::Borrowed));
        }
        out.finish()
    }
}

fn parse_pair(line: &str) -> Result<(String, Template), String> {
    let Some((name, value)) = line.split_once('=') else {
        return Err("expected name=value".into());
    };
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() {
        return Err("the name before `=` is empty".into());
    }
    if name.contains("{{") {
        return Err("placeholders are allowed in values only, not in names".into());
    }
    if joins_pairs(value) {
        return Err(format!(
            "the value of {name} looks like several pairs joined with `&`; put one name=value pair per line"
        ));
    }
    let template = Template::parse(value).map_err(|e| e.to_string())?;
    Ok((name.to_owned(), template))
}

/// Spots `a={{to}}&b={{body}}` written on one line: an `&` followed by a name and `=`. Every
/// `&` in a value is sent encoded as data, so such a line would silently become one field.
fn joins_pairs(value: &str) -> bool {
    value.match_indices('&').any(|(at, _)| {
        let rest = &value[at + 1..];
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_-.[]".contains(c)))
            .unwrap_or(rest.len());
        name_len > 0 && rest[name_len..].starts_with('=')
    })
}

/// Parses a JSON body template and proves it stays valid JSON for any value: rendered with a
/// value that is never valid JSON outside a string (`x`), it must parse. Inside strings,
/// rendered values are escaped, so every message produces a valid document.
pub fn parse_json(text: &str) -> Result<Template, String> {
    let template = Template::parse(text).map_err(|e| e.to_string())?;
    let sample = template.render(&Values::uniform("x"), escape::json_string_content);
    match serde_json::from_str::<serde_json::Value>(&sample) {
        Ok(_) => Ok(template),
        Err(e) => Err(format!(
            "not valid JSON with placeholders inside string values (for example \"text\": \"{{{{body}}}}\"): {e}"
        )),
    }
}

/// Renders a JSON body template for one message.
pub fn render_json(template: &Template, values: &Values<'_>) -> String {
    template.render(values, escape::json_string_content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_pairs_are_encoded() {
        let t = FormTemplate::parse("to={{to}}\r\n\n  text = {{body}} \nsender=My Shop").unwrap();
        let values = Values {
            to: "+1555",
            body: "a&b=c\n{{to}} 😀",
            ..Values::default()
        };
        assert_eq!(
            t.render(&values),
            "to=%2B1555&text=a%26b%3Dc%0A%7B%7Bto%7D%7D+%F0%9F%98%80&sender=My+Shop"
        );
    }

    #[test]
    fn form_problems_name_their_line() {
        let err = FormTemplate::parse("to={{to}}\nnonsense\n={{body}}\n{{to}}=x\ntext={{bdy}}")
            .unwrap_err();
        assert_eq!(err.len(), 4);
        assert!(err[0].starts_with("line 2:"));
        assert!(err[1].starts_with("line 3:"));
        assert!(err[2].starts_with("line 4:"));
        assert!(err[3].contains("unknown placeholder {{bdy}}"));
    }

    #[test]
    fn form_spots_ampersand_joined_pairs() {
        assert!(FormTemplate::parse("to={{to}}&text={{body}}").is_err());
        assert!(FormTemplate::parse("company=Smith & Sons").is_ok());
        assert!(FormTemplate::parse("q=a&&b").is_ok());
    }

    #[test]
    fn json_template_must_keep_placeholders_in_strings() {
        assert!(parse_json(r#"{"to":"{{to}}","text":"{{body}}","n":1}"#).is_ok());
        assert!(parse_json(r#"{"to":{{to}}}"#).is_err());
        assert!(parse_json(r#"{"n":1{{to}}}"#).is_err());
        assert!(parse_json(r#"{"t":"\u00{{to}}"}"#).is_err());
        assert!(parse_json(r#"{"t":"{{to}}""#).is_err());
        assert!(parse_json(r#"{"t":"{{sender}}"}"#).is_err());
    }

    #[test]
    fn json_render_is_valid_for_hostile_values() {
        let t = parse_json(r#"{"text":"Hi: {{body}}","to":"{{to}}"}"#).unwrap();
        let body = "\"quoted\" back\\slash\nnew line {{to}} 😀 \u{7}";
        let values = Values {
            body,
            to: "+1555",
            ..Values::default()
        };
        let doc: serde_json::Value = serde_json::from_str(&render_json(&t, &values)).unwrap();
        assert_eq!(doc["text"], format!("Hi: {body}"));
        assert_eq!(doc["to"], "+1555");
    }
}
