//! The gateway URL: an absolute http(s) URL whose query may hold placeholders.
//!
//! Placeholders are allowed only in the query, where each value is percent-encoded as a whole
//! query component. Allowing them in the host or path would let a message choose where it is
//! sent, and path segments need different escaping.

use url::Url;

use crate::error::Error;
use crate::escape;
use crate::template::{Part, Template, Values};

/// A checked URL template, ready to render for each message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTemplate {
    template: Template,
}

impl UrlTemplate {
    /// Checks `text` as `validate_config` reports it: an absolute http or https URL with a
    /// host, without credentials or fragment, with placeholders only after `?`.
    pub fn parse(text: &str) -> Result<UrlTemplate, String> {
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the URL must not contain spaces or control characters; write a space in the query as %20".into());
        }
        if text.contains('#') {
            return Err(
                "the URL must not contain a fragment (#…): it is never sent to the gateway".into(),
            );
        }
        // The URL parser follows browsers and repairs `https:/host` or `https:///host`;
        // an admin's typo should be reported, not silently reinterpreted.
        let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
        let after_scheme = ["http://", "https://"]
            .iter()
            .find(|scheme| lower.starts_with(**scheme))
            .map(|scheme| &text[scheme.len()..]);
        match after_scheme {
            None => return Err("must be an absolute URL starting with http:// or https://".into()),
            Some(rest) if rest.is_empty() || rest.starts_with(['/', '?', '\\']) => {
                return Err("the URL has no host".into());
            }
            Some(_) => {}
        }
        let template = Template::parse(text).map_err(|e| e.to_string())?;
        let mut in_query = false;
        for part in template.parts() {
            match part {
                Part::Literal(text) => in_query |= text.contains('?'),
                Part::Placeholder(p) if !in_query => {
                    return Err(format!(
                        "{{{{{}}}}} may only appear in the query, after `?`",
                        p.name()
                    ));
                }
                Part::Placeholder(_) => {}
            }
        }
        let sample = template.render(&Values::uniform("x"), escape::query_value);
        let url = Url::parse(&sample).map_err(|e| format!("not a valid absolute URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "the scheme must be http or https, not {}",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("the URL has no host".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(
                "the URL must not contain credentials; use auth basic so the password is stored encrypted"
                    .into(),
            );
        }
        Ok(UrlTemplate { template })
    }

    /// Renders the URL for one message, appending `extra_query` (already encoded pairs) when
    /// given. The result is normalised by the URL parser, so the daemon always receives a
    /// well-formed absolute URL.
    pub fn render(&self, values: &Values<'_>, extra_query: Option<&str>) -> Result<String, Error> {
        let mut text = self.template.render(values, escape::query_value);
        if let Some(extra) = extra_query.filter(|q| !q.is_empty()) {
            if !text.contains('?') {
                text.push('?');
            } else if !text.ends_with(['?', '&']) {
                text.push('&');
            }
            text.push_str(extra);
        }
        Url::parse(&text)
            .map(String::from)
            .map_err(|e| Error::InvalidConfig(format!("url: the rendered URL is not valid: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Values<'static> {
        Values {
            to: "+15551234567",
            body: "a&b=c d",
            ..Values::default()
        }
    }

    #[test]
    fn renders_query_placeholders_encoded() {
        let t = UrlTemplate::parse("https://gw.example.com/send?to={{to}}&text={{body}}").unwrap();
        assert_eq!(
            t.render(&values(), None).unwrap(),
            "https://gw.example.com/send?to=%2B15551234567&text=a%26b%3Dc%20d"
        );
    }

    #[test]
    fn appends_extra_query() {
        let t = UrlTemplate::parse("https://gw.example.com/send").unwrap();
        assert_eq!(
            t.render(&values(), Some("a=1")).unwrap(),
            "https://gw.example.com/send?a=1"
        );
        let t = UrlTemplate::parse("https://gw.example.com/send?k=v").unwrap();
        assert_eq!(
            t.render(&values(), Some("a=1")).unwrap(),
            "https://gw.example.com/send?k=v&a=1"
        );
        let t = UrlTemplate::parse("https://gw.example.com/send?").unwrap();
        assert_eq!(
            t.render(&values(), Some("a=1")).unwrap(),
            "https://gw.example.com/send?a=1"
        );
    }

    #[test]
    fn refuses_bad_urls() {
        for bad in [
            "",
            "gw.example.com/send",
            "ftp://gw.example.com/",
            "https://gw.example.com/{{to}}",
            "https://{{to}}.example.com/",
            "https://gw.example.com/send?to={{nope}}",
            "https://user:pw@gw.example.com/",
            "https://gw.example.com/a b",
            "https://gw.example.com/#frag",
            "https://gw.example.com:99999/",
            "https:///path",
            "https:/gw.example.com/",
            "https://",
            "HTTPS://?q",
        ] {
            assert!(UrlTemplate::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
