//! The few URL operations the adapter needs, done on the text as given.
//!
//! Twilio signs the exact URL it called, so the signature check must see the URL byte for byte:
//! a general URL parser would normalise it (drop a default port, re-encode the path, lowercase
//! the host) and break the signature. These helpers only split the text and never rewrite the
//! parts they do not touch.

/// An absolute URL cut into the pieces this crate looks at, each a slice of the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parts<'a> {
    /// Before `://`, as written.
    pub(crate) scheme: &'a str,
    /// Between `://` and the first `/`, `?` or `#`: user info, host and port.
    pub(crate) authority: &'a str,
    /// Everything after the authority: path, query and fragment.
    pub(crate) rest: &'a str,
}

/// Splits an absolute URL (`scheme://authority[rest]`). `None` when there is no `://` or the
/// scheme is not a valid URI scheme, so relative references are told apart from absolute URLs.
pub(crate) fn split(url: &str) -> Option<Parts<'_>> {
    let (scheme, after) = url.split_once("://")?;
    let valid_scheme = scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !valid_scheme {
        return None;
    }
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let (authority, rest) = after.split_at(end);
    Some(Parts {
        scheme,
        authority,
        rest,
    })
}

/// Splits an authority into host and port, skipping any user info. The port is `None` when
/// the authority has no `:` after the host, and `Some("")` for a bare trailing `:`.
pub(crate) fn host_and_port(authority: &str) -> (&str, Option<&str>) {
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host_port)| host_port);
    if host_port.starts_with('[') {
        // IPv6 literal: colons inside the brackets are not a port separator.
        return match host_port.find(']') {
            Some(close) => {
                let (host, after) = host_port.split_at(close + 1);
                (host, after.strip_prefix(':'))
            }
            None => (host_port, None),
        };
    }
    match host_port.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (host_port, None),
    }
}

/// The query of a URL: the text between the first `?` and the fragment, if there is a `?`.
pub(crate) fn query(url: &str) -> Option<&str> {
    let without_fragment = url.split_once('#').map_or(url, |(before, _)| before);
    without_fragment.split_once('?').map(|(_, query)| query)
}

/// The spellings of `url` Twilio may have signed: the URL as given first, then the same URL
/// with the scheme's default port added (when it has none) or removed (when it has exactly the
/// default one).
///
/// Twilio's own request validators try both, because the URL it signs does not always match
/// what reaches the application through proxies and load balancers. Only the default port is
/// toggled; a URL with any other port is tried as given only.
pub(crate) fn signing_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_owned()];
    let Some(parts) = split(url) else {
        return variants;
    };
    let default_port = if parts.scheme.eq_ignore_ascii_case("https") {
        "443"
    } else if parts.scheme.eq_ignore_ascii_case("http") {
        "80"
    } else {
        return variants;
    };
    match host_and_port(parts.authority) {
        (_, None) => variants.push(format!(
            "{}://{}:{default_port}{}",
            parts.scheme, parts.authority, parts.rest
        )),
        (_, Some(port)) if port == default_port => {
            let kept = parts.authority.len() - port.len() - 1;
            let authority = parts.authority.get(..kept).unwrap_or(parts.authority);
            variants.push(format!("{}://{authority}{}", parts.scheme, parts.rest));
        }
        _ => {}
    }
    variants
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_without_rewriting() {
        let p = split("HTTPS://User@Host.example:8443/a%2Fb?x=1#f").unwrap();
        assert_eq!(p.scheme, "HTTPS");
        assert_eq!(p.authority, "User@Host.example:8443");
        assert_eq!(p.rest, "/a%2Fb?x=1#f");
        assert_eq!(split("https://host?q").unwrap().rest, "?q");
        assert!(split("/relative").is_none());
        assert!(split("1http://x").is_none());
        assert!(split("://x").is_none());
    }

    #[test]
    fn hosts_and_ports() {
        assert_eq!(host_and_port("h:80"), ("h", Some("80")));
        assert_eq!(host_and_port("u:p@h"), ("h", None));
        assert_eq!(host_and_port("[::1]:8080"), ("[::1]", Some("8080")));
        assert_eq!(host_and_port("[::1]"), ("[::1]", None));
        assert_eq!(host_and_port("h:"), ("h", Some("")));
    }

    #[test]
    fn queries() {
        assert_eq!(query("https://h/p?a=1&b=2#frag"), Some("a=1&b=2"));
        assert_eq!(query("https://h/p"), None);
        assert_eq!(query("https://h/p#x?y"), None);
    }

    #[test]
    fn toggles_only_the_default_port() {
        assert_eq!(
            signing_variants("https://h.example/cb?x=1"),
            ["https://h.example/cb?x=1", "https://h.example:443/cb?x=1"]
        );
        assert_eq!(
            signing_variants("https://h.example:443/cb"),
            ["https://h.example:443/cb", "https://h.example/cb"]
        );
        assert_eq!(
            signing_variants("http://h.example:80"),
            ["http://h.example:80", "http://h.example"]
        );
        assert_eq!(
            signing_variants("http://[::1]/cb"),
            ["http://[::1]/cb", "http://[::1]:80/cb"]
        );
        assert_eq!(
            signing_variants("https://h.example:8443/cb"),
            ["https://h.example:8443/cb"]
        );
        assert_eq!(signing_variants("not a url"), ["not a url"]);
    }
}
