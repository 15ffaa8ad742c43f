//! The one clock, and parsing of durations (`30d`) and expiry values (`2027-01-01`, `never`).

use crate::error::{Error, Result};
use jiff::Timestamp;

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
    if text.len() == 10 && text.parse::<jiff::civil::Date>().is_ok() {
        // Midnight UTC, read as the file would read it: 9999-12-31 too.
        if let Ok(t) = parse_timestamp(&format!("{text}T00:00:00Z")) {
            return Ok(Some(t));
        }
    }
    Err(Error::Usage(format!(
        "invalid expiry {text:?}: use a duration (7d, 30d, 90d, 1y), a date (2027-01-01), \
         an RFC 3339 time (2027-01-01T12:00:00Z) or never"
    )))
}

/// Parses an RFC 3339 timestamp with an offset (`Z` or `+01:00`), any from year 0000 to 9999,
/// to the whole second, as files hold them (a fraction is dropped).
pub fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    let bad = || format!("{text:?} is not an RFC 3339 time such as 2027-01-01T00:00:00Z");
    // jiff accepts RFC 9557 extras; insist on the plain RFC 3339 shape: a 'T' and an offset.
    if text.len() < 20 || !text.as_bytes()[10].eq_ignore_ascii_case(&b'T') {
        return Err(bad());
    }
    match text.parse::<Timestamp>() {
        // At the end's second, the nanoseconds would say how far past it: none here.
        Ok(t) => Timestamp::from_second(t.as_second()).map_err(|_| bad()),
        Err(_) => past_the_end(text).ok_or_else(bad),
    }
}

/// `t` to the whole second, as files hold times. A time past [`end`] is already whole: its
/// nanoseconds are the seconds past the end.
pub fn whole_second(t: Timestamp) -> Timestamp {
    if t.as_second() == end().as_second() {
        return t;
    }
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

/// The last whole second of jiff's [`Timestamp`], 9999-12-30T22:00:00Z: its range stops 26
/// hours short of RFC 3339's (so that any offset can be applied to any timestamp), yet
/// `9999-12-31T23:59:59Z` is a common way to write "never".
///
/// Such later instants are kept as this second with the number of seconds past it in the
/// nanoseconds: every other time is read to the whole second, as files hold them.
/// Order is kept (later is larger), so expiry checks need nothing special; only
/// [`parse_timestamp`], [`format_timestamp`] and [`whole_second`] know, and they give back
/// the same instant.
fn end() -> Timestamp {
    Timestamp::from_second(Timestamp::MAX.as_second()).expect("in range")
}

/// `end()` as a UTC date and time.
fn end_civil() -> jiff::civil::DateTime {
    jiff::tz::Offset::UTC.to_datetime(end())
}

/// An RFC 3339 time after [`end`], which jiff's Timestamp cannot hold, as the end's second
/// plus the seconds past it in nanoseconds.
fn past_the_end(text: &str) -> Option<Timestamp> {
    let pieces = jiff::fmt::temporal::Pieces::parse(text).ok()?;
    if pieces.time_zone_annotation().is_some() {
        return None;
    }
    let offset = pieces.to_numeric_offset()?;
    let local = pieces.date().to_datetime(pieces.time()?);
    let past = local.duration_since(end_civil()).as_secs() - i64::from(offset.seconds());
    let nanos = i32::try_from(past).ok().filter(|n| *n > 0)?;
    Timestamp::new(end().as_second(), nanos).ok()
}

/// Formats a timestamp as the file stores it: `2026-11-22T10:00:00Z`.
pub fn format_timestamp(t: Timestamp) -> String {
    if t.as_second() == end().as_second() && t.subsec_nanosecond() > 0 {
        return format_past_the_end(i64::from(t.subsec_nanosecond()));
    }
    whole_second(t).strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// An instant `past` seconds after [`end`]: in UTC up to 9999-12-31T23:59:59Z; a later one
/// (a year-9999 time with a negative offset) with the offset that keeps it in year 9999.
fn format_past_the_end(past: i64) -> String {
    let last_utc = jiff::civil::date(9999, 12, 31)
        .at(23, 59, 59, 0)
        .duration_since(end_civil())
        .as_secs();
    let minutes_behind = ((past - last_utc).max(0) + 59) / 60;
    let local = end_civil()
        .checked_add(jiff::SignedDuration::from_secs(past - minutes_behind * 60))
        .expect("within year 9999");
    let text = local.strftime("%Y-%m-%dT%H:%M:%S");
    if minutes_behind == 0 {
        format!("{text}Z")
    } else {
        format!(
            "{text}-{:02}:{:02}",
            minutes_behind / 60,
            minutes_behind % 60
        )
    }
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
        let t = parse_expiry("9999-12-31", now).unwrap().unwrap();
        assert_eq!(format_timestamp(t), "9999-12-31T00:00:00Z");
    }

    #[test]
    fn times_up_to_the_end_of_year_9999_are_kept_exactly() {
        let round_trip = |text: &str| format_timestamp(parse_timestamp(text).unwrap());
        for text in [
            "9999-12-31T23:59:59Z",
            "9999-12-31T00:00:00Z",
            "9999-12-30T22:00:00Z",
            "9999-12-30T22:00:01Z",
            "0000-01-01T00:00:00Z",
        ] {
            assert_eq!(round_trip(text), text);
        }
        assert_eq!(
            round_trip("9999-12-31T23:59:59+01:00"),
            "9999-12-31T22:59:59Z"
        );
        assert_eq!(
            round_trip("9999-12-31T23:59:59.75Z"),
            "9999-12-31T23:59:59Z"
        );
        assert_eq!(round_trip("9999-12-30T22:00:00.5Z"), "9999-12-30T22:00:00Z");
        // In year 10000 in UTC: the same instant, with an offset that keeps it in 9999.
        let behind = round_trip("9999-12-31T23:59:59-05:00");
        assert_eq!(behind, "9999-12-31T23:59:59-05:00");
        assert_eq!(
            round_trip("9999-12-31T23:59:59-23:59"),
            "9999-12-31T23:59:59-23:59"
        );
        assert_eq!(
            round_trip("9999-12-31T20:00:30-04:01"),
            "9999-12-31T23:59:30-00:02"
        );
        // Order is kept, so expiry comparisons need nothing special.
        let times: Vec<Timestamp> = [
            "9999-12-30T21:59:59Z",
            "9999-12-30T22:00:00Z",
            "9999-12-30T22:00:01Z",
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59-23:59",
        ]
        .iter()
        .map(|t| parse_timestamp(t).unwrap())
        .collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
        for bad in [
            "10000-01-01T00:00:00Z",
            "9999-12-31T23:59:59",
            "9999-12-32T00:00:00Z",
            "9999-12-31T23:59:59Z[UTC]",
            "+10000-01-01T00:00:00Z",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
    }
}
