//! Placeholder templates: `{{to}}`, `{{from}}`, `{{body}}`, `{{message_id}}` and
//! `{{callback_url}}` inside admin-written text.
//!
//! A template is parsed once into literal text and placeholders, and rendered in a single pass.
//! Substituted values are never scanned again, so a message body that itself contains `{{to}}`
//! is sent as those characters and cannot pull other values into the request. Escaping is not
//! decided here: each caller passes the escaper for the place the text lands (URL query, form
//! body, JSON string, header value).

use std::borrow::Cow;

/// A value the daemon supplies for each message. The set is closed so that a typo in a
/// template is caught by `validate_config` rather than sent to the gateway verbatim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// The recipient, E.164.
    To,
    /// The configured sender (`from` field); empty when not set.
    From,
    /// The message text.
    Body,
    /// Tern's own id for the message, for gateways that echo a reference back in callbacks.
    MessageId,
    /// The URL the gateway should call back for this provider.
    CallbackUrl,
}

impl Placeholder {
    /// Every placeholder, in the order the documentation lists them.
    pub const ALL: [Placeholder; 5] = [
        Placeholder::To,
        Placeholder::From,
        Placeholder::Body,
        Placeholder::MessageId,
        Placeholder::CallbackUrl,
    ];

    /// The name written between the braces, so messages can quote it back to the admin.
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::To => "to",
            Placeholder::From => "from",
            Placeholder::Body => "body",
            Placeholder::MessageId => "message_id",
            Placeholder::CallbackUrl => "callback_url",
        }
    }

    fn from_name(name: &str) -> Option<Placeholder> {
        Placeholder::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// The values substituted for one message. Borrowed, because rendering only reads them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Values<'a> {
    /// Value of `{{to}}`.
    pub to: &'a str,
    /// Value of `{{from}}`.
    pub from: &'a str,
    /// Value of `{{body}}`.
    pub body: &'a str,
    /// Value of `{{message_id}}`.
    pub message_id: &'a str,
    /// Value of `{{callback_url}}`.
    pub callback_url: &'a str,
}

impl<'a> Values<'a> {
    /// The value of one placeholder.
    pub fn get(&self, placeholder: Placeholder) -> &'a str {
        match placeholder {
            Placeholder::To => self.to,
            Placeholder::From => self.from,
            Placeholder::Body => self.body,
            Placeholder::MessageId => self.message_id,
            Placeholder::CallbackUrl => self.callback_url,
        }
    }

    /// The same value for every placeholder: used by validation to try a template out
    /// before any real message exists.
    pub fn uniform(value: &'a str) -> Values<'a> {
        Values {
            to: value,
            from: value,
            body: value,
            message_id: value,
            callback_url: value,
        }
    }
}

/// Why a template could not be read. The messages quote only the template's own text, which
/// never comes from a secret field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `{{` without a matching `}}`.
    #[error("`{{{{` at character {0} has no closing `}}}}`")]
    Unclosed(usize),
    /// A name that is not one of [`Placeholder::ALL`].
    #[error(
        "unknown placeholder {{{{{0}}}}}; known placeholders are {{{{to}}}}, {{{{from}}}}, {{{{body}}}}, {{{{message_id}}}} and {{{{callback_url}}}}"
    )]
    Unknown(String),
}

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text copied as it is.
    Literal(String),
    /// A value substituted at render time.
    Placeholder(Placeholder),
}

/// Admin-written text with placeholders, parsed so it can be rendered many times without
/// re-reading (and so without ever re-expanding substituted values).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `text`. `{{` always opens a placeholder; spaces inside the braces are allowed
    /// (`{{ to }}`). A lone `}}` is ordinary text, which JSON templates need.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                let offset = text.len() - rest.len() + open;
                return Err(TemplateError::Unclosed(text[..offset].chars().count() + 1));
            };
            let name = after[..close].trim();
            let placeholder =
                Placeholder::from_name(name).ok_or_else(|| TemplateError::Unknown(name.into()))?;
            parts.push(Part::Placeholder(placeholder));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        Ok(Template { parts })
    }

    /// The pieces, for callers that check where placeholders sit (the URL allows them only in
    /// its query).
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Whether any placeholder appears.
    pub fn has_placeholders(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Placeholder(_)))
    }

    /// Renders with every value passed through `escape`; literal text is copied unchanged.
    pub fn render<'v>(
        &self,
        values: &Values<'v>,
        escape: impl Fn(&'v str) -> Cow<'v, str>,
    ) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Placeholder(p) => out.push_str(&escape(values.get(*p))),
            }
        }
        out
    }

    /// Renders like [`Template::render`], but lets `check` refuse a value (header values
    /// refuse line breaks). The first refusal is returned.
    pub fn try_render<'v, E>(
        &self,
        values: &Values<'v>,
        check: impl Fn(Placeholder, &'v str) -> Result<&'v str, E>,
    ) -> Result<String, E> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Placeholder(p) => out.push_str(check(*p, values.get(*p))?),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(v: &str) -> Cow<'_, str> {
        Cow::Borrowed(v)
    }

    #[test]
    fn parses_literals_and_placeholders() {
        let t = Template::parse("a{{to}}b{{ body }}").unwrap();
        assert_eq!(
            t.parts(),
            &[
                Part::Literal("a".into()),
                Part::Placeholder(Placeholder::To),
                Part::Literal("b".into()),
                Part::Placeholder(Placeholder::Body),
            ]
        );
    }

    #[test]
    fn lone_closing_braces_are_text() {
        let t = Template::parse(r#"{"a":{"b":"{{to}}"}}"#).unwrap();
        let values = Values::uniform("X");
        assert_eq!(t.render(&values, plain), r#"{"a":{"b":"X"}}"#);
    }

    #[test]
    fn substituted_values_are_not_expanded_again() {
        let t = Template::parse("{{body}}").unwrap();
        let values = Values {
            body: "{{to}}",
            to: "+1555",
            ..Values::default()
        };
        assert_eq!(t.render(&values, plain), "{{to}}");
    }

    #[test]
    fn unknown_and_unclosed_are_errors() {
        assert_eq!(
            Template::parse("x{{sender}}"),
            Err(TemplateError::Unknown("sender".into()))
        );
        assert_eq!(Template::parse("ab{{to"), Err(TemplateError::Unclosed(3)));
        assert_eq!(
            Template::parse("{{}}"),
            Err(TemplateError::Unknown(String::new()))
        );
    }

    #[test]
    fn non_ascii_text_is_kept() {
        let t = Template::parse("é{{to}}ü").unwrap();
        assert_eq!(t.render(&Values::uniform("😀"), plain), "é😀ü");
        assert_eq!(Template::parse("é{{x"), Err(TemplateError::Unclosed(2)));
    }
}
