//! Which HTTP statuses mean "the gateway accepted the message" (`accepted_statuses`).
//!
//! Gateways disagree: most answer 2xx, some only 200 or 202, a few answer 200 to everything.
//! A list of codes and ranges covers all of them without code per gateway.

/// A set of HTTP status codes, written as comma-separated codes and inclusive ranges:
/// `200-299`, `200,201,202`, `200-204, 299`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet {
    ranges: Vec<(u16, u16)>,
}

impl StatusSet {
    /// Parses the field. Empty items (`200,,201`) are ignored; everything else must be a code
    /// or range between 100 and 599.
    pub fn parse(text: &str) -> Result<StatusSet, String> {
        let mut ranges = Vec::new();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let range = match item.split_once('-') {
                Some((lo, hi)) => (code(lo.trim(), item)?, code(hi.trim(), item)?),
                None => {
                    let c = code(item, item)?;
                    (c, c)
                }
            };
            if range.0 > range.1 {
                return Err(format!("{item:?}: the range runs backwards"));
            }
            ranges.push(range);
        }
        if ranges.is_empty() {
            return Err("list at least one status code or range, such as 200-299".into());
        }
        Ok(StatusSet { ranges })
    }

    /// Whether `status` is in the set.
    pub fn contains(&self, status: u16) -> bool {
        self.ranges
            .iter()
            .any(|&(lo, hi)| (lo..=hi).contains(&status))
    }
}

fn code(text: &str, item: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(c) if (100..=599).contains(&c) && text.len() == 3 => Ok(c),
        _ => Err(format!(
            "{item:?} is not a status code (100-599) or a range such as 200-299"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_ranges() {
        let set = StatusSet::parse("200-204, 299,,").unwrap();
        assert!(set.contains(200) && set.contains(204) && set.contains(299));
        assert!(!set.contains(205) && !set.contains(199));
        let set = StatusSet::parse("202").unwrap();
        assert!(set.contains(202) && !set.contains(200));
    }

    #[test]
    fn refuses_nonsense() {
        for bad in [
            "",
            " , ",
            "2xx",
            "299-200",
            "99",
            "600",
            "200-",
            "+200",
            "0200",
            "200-299-300",
        ] {
            assert!(StatusSet::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
