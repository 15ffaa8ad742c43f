//! The one clock, and parsing of durations (`30d`) and expiry values (`2027-01-01`, `never`).

use crate::error::{Error, Result};
use jiff::{Timestamp, tz::TimeZone};

/// Where "now" comes from: the system clock, or in test builds env `TOKENCTL_NOW`, which
/// release builds never read (`commands::Context`).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    fixed: Option<Timestamp>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock { fixed: None }
    }

    /// A clock stopped at `at`.
    pub fn fixed(at: Timestamp) -> Self {
        Clock { fixed: Some(at) }
    }

    /// The current instant, truncated to whole seconds (what the file stores).
    pub fn now(&self) -> Timestamp {
        let t = self.fixed.unwrap_or_else(Timestamp::now);
        Timestamp::from_second(t.as_second()).unwrap_or(t)
    }
}

/// Parses a duration: a whole number and a unit: `ms`, `s`, `m`, `h`, `d`, `w`, `y` (365 days).
/// Combinations such as `1d12h` are accepted.
pub fn parse_duration(text: &str) -> Result<jiff::SignedDuration> {
    if let Some(ms) = text.strip_suffix("ms") {
        if !ms.is_empty() && ms.bytes().all(|b| b.is_ascii_digit()) && ms.len() < 12 {
            return Ok(jiff::SignedDuration::from_millis(ms.parse().unwrap_or(0)));
        }
    }
    let bad = || {
        Error::Usage(format!(
            "invalid duration {text:?}: use a number and a unit, like 90s, 30m, 24h, 7d, 2w or 1y"
        ))
    };
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut any = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().map_err(|_| bad())?;
        digits.clear();
        let unit: i64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            'y' => 365 * 86_400,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .filter(|v| *v <= 1000 * 365 * 86_400)
            .ok_or_else(bad)?;
        any = true;
    }
    if !digits.is_empty() || !any {
        return Err(bad());
    }
    Ok(jiff::SignedDuration::from_secs(total))
}

/// Parses `--expires`: a duration from now, a date (midnight UTC), an RFC 3339 time, or `never`.
pub fn parse_expiry(text: &str, now: Timestamp) -> Result<Option<Timestamp>> {
    if text == "never" {
        return Ok(None);
    }
    if let Ok(d) = parse_duration(text) {
        return Ok(Some(
            now.checked_add(d)
                .map_err(|e| Error::Usage(e.to_string()))?,
        ));
    }
    if let Ok(t) = parse_timestamp(text) {
        return Ok(Some(t));
    }
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        if text.len() == 10 {
            let t = date
                .to_zoned(TimeZone::UTC)
                .map_err(|e| Error::Usage(e.to_string()))?
                .timestamp();
            return Ok(Some(t));
        }
    }
    Err(Error::Usage(format!(
        "invalid expiry {text:?}: use a duration (7d, 30d, 90d, 1y), a date (2027-01-01), \
         an RFC 3339 time (2027-01-01T12:00:00Z) or never"
    )))
}

/// Parses an RFC 3339 timestamp with an offset (`Z` or `+01:00`).
pub fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    // jiff accepts RFC 9557 extras; insist on the plain RFC 3339 shape: a 'T' and an offset.
    if text.len() < 20 || !text.as_bytes()[10].eq_ignore_ascii_case(&b'T') {
        return Err(format!(
            "{text:?} is not an RFC 3339 time such as 2027-01-01T00:00:00Z"
        ));
    }
    text.parse::<Timestamp>()
        .map_err(|_| format!("{text:?} is not an RFC 3339 time such as 2027-01-01T00:00:00Z"))
}

/// Formats a timestamp as the file stores it: `2026-11-22T10:00:00Z`.
pub fn format_timestamp(t: Timestamp) -> String {
    let t = Timestamp::from_second(t.as_second()).unwrap_or(t);
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// "in 3 days", "2 hours ago": for show and list.
pub fn humanize(t: Timestamp, now: Timestamp) -> String {
    let secs = t.as_second() - now.as_second();
    if secs == 0 {
        return "just now".into();
    }
    let (abs, future) = (secs.unsigned_abs(), secs > 0);
    let text = if abs < 60 {
        format!("{abs} seconds")
    } else if abs < 3600 {
        plural(abs / 60, "minute")
    } else if abs < 86_400 {
        plural(abs / 3600, "hour")
    } else {
        plural(abs / 86_400, "day")
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d").unwrap().as_secs(), 30 * 86_400);
        assert_eq!(parse_duration("1d12h").unwrap().as_secs(), 36 * 3600);
        assert_eq!(parse_duration("1y").unwrap().as_secs(), 365 * 86_400);
        for bad in ["", "d", "30", "3x", "-1d", "1.5d", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn expiry() {
        let now: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        assert_eq!(parse_expiry("never", now).unwrap(), None);
        let t = parse_expiry("7d", now).unwrap().unwrap();
        assert_eq!(format_timestamp(t), "2026-11-29T10:00:00Z");
        let t = parse_expiry("2027-01-01", now).unwrap().unwrap();
        assert_eq!(format_timestamp(t), "2027-01-01T00:00:00Z");
        let t = parse_expiry("2027-01-01T12:30:00+01:00", now)
            .unwrap()
            .unwrap();
        assert_eq!(format_timestamp(t), "2027-01-01T11:30:00Z");
        assert!(parse_expiry("tomorrow", now).is_err());
    }
}
