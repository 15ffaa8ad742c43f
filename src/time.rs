//! The one clock; durations (`30d`, `3mo`, `1y`) in jiff's friendly format with calendar
//! arithmetic; expiry values (`2027-01-01`, `never`); and the relative dates `list` and `show`
//! print.

use crate::error::{Error, Result};
use crate::text::plural;
use jiff::fmt::friendly::SpanParser;
use jiff::{Span, Timestamp, tz::TimeZone};

/// The units every duration flag takes, for its help and its error messages.
pub(crate) const UNITS: &str = "units: y (calendar years), mo (months), w, d, h, min, s, ms; \
                         combined as 1y6mo or 1h30min";

/// Where "now" comes from: the system clock, or in test builds env `TOKENCTL_NOW`, which
/// release builds never read (`commands::Context`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    fixed: Option<Timestamp>,
}

impl Clock {
    /// The system clock.
    pub(crate) fn system() -> Self {
        Clock { fixed: None }
    }

    /// A clock stopped at `at`: tests only (a release build has no way to stop the clock).
    #[cfg(any(test, debug_assertions))]
    pub(crate) fn fixed(at: Timestamp) -> Self {
        Clock { fixed: Some(at) }
    }

    /// The current instant, truncated to whole seconds (what the file stores).
    pub(crate) fn now(&self) -> Timestamp {
        let t = self.fixed.unwrap_or_else(Timestamp::now);
        Timestamp::from_second(t.as_second()).unwrap_or(t)
    }
}

/// Parses a duration in jiff's friendly format: `90s`, `30min`, `24h`, `7d`, `2w`, `3mo`,
/// `1y`, or combinations (`1y6mo`, `1h 30min`). Years and months are calendar units: they are
/// added to a date ([`after`]), not counted as a fixed number of seconds. A bare `m` is
/// refused as ambiguous (an operator writing `--expires 3m` means months, jiff minutes), and
/// so are negative durations. `flag` names the option in the message.
pub(crate) fn parse_duration(flag: &str, text: &str) -> Result<Span> {
    let bad = |why: &str| {
        Error::Usage(format!(
            "invalid duration {text:?} for {flag}: {why} ({UNITS})"
        ))
    };
    if let Some(at) = bare_m(text) {
        let with = |unit: &str| format!("{}{unit}{}", &text[..at], &text[at + 1..]);
        return Err(Error::Usage(format!(
            "ambiguous duration {text:?} for {flag}: m could be months or minutes; \
             write {} for months or {} for minutes",
            with("mo"),
            with("min")
        )));
    }
    static PARSER: SpanParser = SpanParser::new();
    let span = PARSER
        .parse_span(text)
        .map_err(|_| bad("use a number and a unit, like 30d, 3mo or 1y"))?;
    if span.is_negative() {
        return Err(bad("it is negative"));
    }
    // Calendar units need a date to count from; any date will do to refuse the absurd.
    after(Timestamp::UNIX_EPOCH, span).map_err(|_| bad("it is too long"))?;
    Ok(span)
}

/// Where a bare `m` unit is in the text (`3m`, `1d3m`, `1h 3m`), if it has one.
fn bare_m(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphabetic() {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            if &text[start..i] == "m" {
                return Some(start);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// `at` plus `span`, counted on the UTC calendar: `1mo` from January 31 is the last day of
/// February, `1y` from a date is the same date a year later.
pub(crate) fn after(at: Timestamp, span: Span) -> Result<Timestamp> {
    at.to_zoned(TimeZone::UTC)
        .checked_add(span)
        .map(|z| z.timestamp())
        .map_err(|e| Error::Usage(format!("a duration leaves the calendar: {e}")))
}

/// `at` minus `span`, counted on the UTC calendar.
pub(crate) fn before(at: Timestamp, span: Span) -> Result<Timestamp> {
    at.to_zoned(TimeZone::UTC)
        .checked_sub(span)
        .map(|z| z.timestamp())
        .map_err(|e| Error::Usage(format!("a duration leaves the calendar: {e}")))
}

/// Parses `--lock-timeout`: a fixed length of time in jiff's friendly format (`500ms`, `10s`,
/// `2m`, `1h`). Here a bare `m` can only be minutes: a lock is never waited for in months.
pub(crate) fn parse_fixed_duration(flag: &str, text: &str) -> Result<std::time::Duration> {
    static PARSER: SpanParser = SpanParser::new();
    PARSER
        .parse_duration(text)
        .ok()
        .filter(|d| !d.is_negative())
        .map(|d| d.unsigned_abs())
        .ok_or_else(|| {
            Error::Usage(format!(
                "invalid duration {text:?} for {flag}: use a number and a unit, like 500ms, 10s or 2m (units ms, s, m or min, h)"
            ))
        })
}

/// Parses `--expires`: a duration from now, a date (midnight UTC), an RFC 3339 time, or `never`.
pub(crate) fn parse_expiry(text: &str, now: Timestamp) -> Result<Option<Timestamp>> {
    if text == "never" {
        return Ok(None);
    }
    match parse_duration("--expires", text) {
        Ok(span) => return after(now, span).map(Some),
        Err(e) if bare_m(text).is_some() => return Err(e),
        Err(_) => {}
    }
    if let Ok(t) = parse_timestamp(text) {
        return writable(t).map(Some);
    }
    if text.len() == 10 && text.parse::<jiff::civil::Date>().is_ok() {
        // Midnight UTC, read as the file would read it: 9999-12-31 too.
        if let Ok(t) = parse_timestamp(&format!("{text}T00:00:00Z")) {
            return writable(t).map(Some);
        }
        if text.starts_with("0000") {
            return Err(Error::Usage(format!(
                "the date {text} is before 1970: {WRITTEN_RANGE}"
            )));
        }
    }
    Err(Error::Usage(format!(
        "invalid expiry {text:?}: use a duration (7d, 30d, 3mo, 1y; {UNITS}), a date \
         (2027-01-01), an RFC 3339 time (2027-01-01T12:00:00Z) or never"
    )))
}

/// A time outside portable security.yml that is still read, for one release, with a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OldTime {
    /// A lowercase `t` or `z` (RFC 3339 allows them; every Go YAML reader refuses them).
    Lowercase,
    /// Year 0000 (PyYAML and ruamel.yaml cannot load it).
    YearZero,
}

impl OldTime {
    /// What the construct is, for warnings.
    pub(crate) fn what(self) -> &'static str {
        match self {
            OldTime::Lowercase => "a lowercase t or z in a time (every Go YAML reader refuses it)",
            OldTime::YearZero => "a time in year 0000 (PyYAML and ruamel.yaml cannot load it)",
        }
    }
}

/// Parses a time as security.yml holds it: RFC 3339 exactly,
/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, uppercase `T` and `Z`, offset hours
/// 00-23, seconds 00-59 (no leap second), years 0001 to 9999; to the whole second (a fraction
/// is dropped). A lowercase `t`/`z` or year 0000 is refused here; [`parse_timestamp_old`]
/// reads them too, for the release that still reads them.
pub(crate) fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    match parse_timestamp_old(text)? {
        (t, None) => Ok(t),
        (_, Some(old)) => Err(format!(
            "{text:?} is not an RFC 3339 time as security.yml holds it: {}; write it as {}",
            old.what(),
            portable_spelling(text)
        )),
    }
}

/// `text` with `t`/`z` in uppercase: the portable spelling of a time with lowercase ones.
pub(crate) fn portable_spelling(text: &str) -> String {
    text.to_ascii_uppercase()
}

/// As [`parse_timestamp`], but also reads the deprecated spellings, saying which it met.
pub(crate) fn parse_timestamp_old(text: &str) -> Result<(Timestamp, Option<OldTime>), String> {
    if let Some(t) = canonical(text) {
        if t.as_second() >= YEAR_1.as_second() {
            return Ok((t, None));
        }
    }
    let bad = |why: &str| {
        format!(
            "{text:?} is not an RFC 3339 time such as 2027-01-01T00:00:00Z \
             (YYYY-MM-DDTHH:MM:SS, an optional fraction, then Z, +HH:MM or -HH:MM){why}"
        )
    };
    let b = text.as_bytes();
    let digits = |from: usize, to: usize| -> Option<u32> {
        b.get(from..to)?.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let shape = b.len() >= 20
        && digits(0, 4).is_some()
        && b[4] == b'-'
        && digits(5, 7).is_some()
        && b[7] == b'-'
        && digits(8, 10).is_some()
        && matches!(b[10], b'T' | b't')
        && digits(11, 13).is_some()
        && b[13] == b':'
        && digits(14, 16).is_some()
        && b[16] == b':'
        && digits(17, 19).is_some();
    if !shape {
        return Err(bad(""));
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        let from = i + 1;
        i = from;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == from {
            return Err(bad(": a '.' needs digits after it"));
        }
        // SnakeYAML rounds to the millisecond and ruamel.yaml to the microsecond: past
        // .9995 with more digits, they read the next second (or day, or year).
        if i - from > 3 && &text[from..from + 4] >= "9995" {
            return Err(bad(
                ": a fraction of .9995 or more with more than 3 digits is read as the next second by SnakeYAML and ruamel.yaml (they round it); write at most 3 digits",
            ));
        }
    }
    let zone = &b[i..];
    let lowercase_z = zone == b"z";
    match zone {
        b"Z" | b"z" => {}
        [b'+' | b'-', _, _, b':', _, _] => {
            let (h, m) = (digits(i + 1, i + 3), digits(i + 4, i + 6));
            match (h, m) {
                (Some(h), Some(m)) if h <= 23 && m <= 59 => {}
                (Some(_), Some(_)) => return Err(bad(": the offset is out of range")),
                _ => return Err(bad("")),
            }
        }
        _ => return Err(bad("")),
    }
    if digits(17, 19).is_some_and(|s| s > 59) {
        return Err(bad(
            ": second 60 (a leap second) is refused, as Go and Python cannot load it",
        ));
    }
    let old = if b[10] == b't' || lowercase_z {
        Some(OldTime::Lowercase)
    } else if digits(0, 4) == Some(0) {
        Some(OldTime::YearZero)
    } else {
        None
    };
    let upper = text.to_ascii_uppercase();
    let t = match upper.parse::<Timestamp>() {
        // At the end's second, the nanoseconds would say how far past it: none here.
        Ok(t) => Timestamp::from_second(t.as_second()).map_err(|_| bad(""))?,
        Err(_) => past_the_end(&upper).ok_or_else(|| bad(""))?,
    };
    Ok((t, old))
}

/// 0001-01-01T00:00:00Z: earlier instants are year 0000 (or the day before in UTC).
const YEAR_1: Timestamp = Timestamp::constant(-62_135_596_800, 0);

/// The first instant tokenctl writes: 1970-01-01T00:00:00Z. Earlier times are read, back to
/// year 1, but never written: several libraries read dates before 1583 days off, and no one
/// means an expiry before 1970.
pub(crate) const FIRST_WRITTEN: Timestamp = Timestamp::UNIX_EPOCH;

/// 1583-01-01T00:00:00Z: times before it are read days off by SnakeYAML, js-yaml 4 and npm
/// `yaml` (Julian against proleptic Gregorian calendars); `check` reports them.
pub(crate) const GREGORIAN: Timestamp = Timestamp::constant(-12_212_553_600, 0);

const WRITTEN_RANGE: &str = "tokenctl writes times from 1970 to 9999 only (several YAML libraries read years before 1583 days off, and Python's cannot load year 0000)";

/// Refuses a time tokenctl would write outside years 1970 to 9999.
pub(crate) fn writable(t: Timestamp) -> Result<Timestamp> {
    if t < FIRST_WRITTEN {
        return Err(Error::Usage(format!(
            "the time {} is before 1970: {WRITTEN_RANGE}",
            format_timestamp(t)
        )));
    }
    Ok(t)
}

/// The form tokenctl writes, `YYYY-MM-DDTHH:MM:SSZ`, read without jiff's general parser (a
/// file of 10,000 keys holds 20,000 of them); anything else, or an out-of-range field, is
/// left to it.
fn canonical(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        b[from..to].iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    // A leap second (60) is left to jiff, as is anything else out of range.
    if !(1..=month_days).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Days since 1970 of the civil date (Howard Hinnant's `days_from_civil`): every load
    // reads a time or two for each key, and jiff's checked civil arithmetic was most of it.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Timestamp::from_second(days * 86_400 + hour * 3600 + minute * 60 + second).ok()
}

/// `t` to the whole second, as files hold times. A time past [`end`] is already whole: its
/// nanoseconds are the seconds past the end.
pub(crate) fn whole_second(t: Timestamp) -> Timestamp {
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
pub(crate) fn format_timestamp(t: Timestamp) -> String {
    let mut out = String::with_capacity(20);
    push_timestamp(&mut out, t);
    out
}

/// [`format_timestamp`] appended to `out`: `list` writes two for each of 100,000 keys, and
/// jiff's general `strftime` took a tenth of its time. Times from 1970 on, before [`end`],
/// are computed directly (the civil date of a day count, Howard Hinnant's
/// `civil_from_days`); any other goes through jiff as before.
pub(crate) fn push_timestamp(out: &mut String, t: Timestamp) {
    let secs = t.as_second();
    if (0..end().as_second()).contains(&secs) {
        let (days, rest) = (secs / 86_400, secs % 86_400);
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let mut b = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, width: usize, mut n: i64| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, month);
        put(8, 2, day);
        put(11, 2, rest / 3600);
        put(14, 2, rest / 60 % 60);
        put(17, 2, rest % 60);
        out.push_str(std::str::from_utf8(&b).expect("ASCII digits"));
        return;
    }
    if secs == end().as_second() && t.subsec_nanosecond() > 0 {
        out.push_str(&format_past_the_end(i64::from(t.subsec_nanosecond())));
        return;
    }
    use std::fmt::Write;
    write!(out, "{}", whole_second(t).strftime("%Y-%m-%dT%H:%M:%SZ")).expect("a String");
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

/// "in 3 days", "2 hours ago": the relative date `list`, `show` and `check` print. Rounded
/// to the nearest unit, as a person would say it: a 90-day key a second after its creation
/// expires "in 90 days", not 89.
pub(crate) fn humanize(t: Timestamp, now: Timestamp) -> String {
    let secs = t.as_second() - now.as_second();
    if secs == 0 {
        return "just now".into();
    }
    let (abs, future) = (secs.unsigned_abs(), secs > 0);
    let round = |unit: u64| (abs + unit / 2) / unit;
    let text = if abs < 60 {
        plural(abs, "second")
    } else if round(60) < 60 {
        plural(round(60), "minute")
    } else if round(3600) < 24 {
        plural(round(3600), "hour")
    } else if round(86_400) < 365 {
        plural(round(86_400), "day")
    } else {
        // A year or more, in calendar months as `--expires 1y6mo` counts them: "1 year",
        // "1 year 6 months"; beyond 10 years (sentinels such as 9999-12-31) whole years.
        let (from, to) = if future { (now, t) } else { (t, now) };
        let months = months_between(from, to).unwrap_or_else(|| round(2_629_800) as i64);
        let (years, rest) = (months / 12, months % 12);
        if rest == 0 || years >= 10 {
            plural((years + i64::from(rest >= 6)).unsigned_abs(), "year")
        } else {
            format!(
                "{} {}",
                plural(years.unsigned_abs(), "year"),
                plural(rest.unsigned_abs(), "month")
            )
        }
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// Whole calendar months from `from` to `to` (in UTC), rounded to the nearest.
fn months_between(from: Timestamp, to: Timestamp) -> Option<i64> {
    use jiff::{RoundMode, Unit, ZonedDifference, tz::TimeZone};
    let (from, to) = (from.to_zoned(TimeZone::UTC), to.to_zoned(TimeZone::UTC));
    let span = from
        .until(
            ZonedDifference::new(&to)
                .largest(Unit::Month)
                .smallest(Unit::Month)
                .mode(RoundMode::HalfExpand),
        )
        .ok()?;
    Some(i64::from(span.get_months()))
}

/// The expiry choices offered by `create`'s form and completion, with the `--expires` value each one stands for.
pub(crate) const EXPIRY_PRESETS: &[(&str, &str)] = &[
    ("7 days", "7d"),
    ("30 days", "30d"),
    ("60 days", "60d"),
    ("90 days", "90d"),
    ("1 year", "1y"),
    ("never", "never"),
    ("a date...", ""),
];

#[cfg(test)]
mod tests {
    /// The direct arithmetic of `canonical` reads every date as jiff's civil calendar does,
    /// and refuses what jiff refuses (a 30th of February, a 31st of April, a month 13).
    #[test]
    fn canonical_times_read_as_jiff_reads_them() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for i in 0..200_000 {
            let year = if i % 3 == 0 {
                1900 + next(300)
            } else {
                next(10_000)
            };
            let (month, day) = (next(14), next(33));
            let (hour, minute, second) = (next(25), next(61), next(61));
            let text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z");
            let jiff = jiff::civil::Date::new(year as i16, month as i8, day as i8)
                .ok()
                .zip(jiff::civil::Time::new(hour as i8, minute as i8, second as i8, 0).ok())
                .and_then(|(d, t)| jiff::tz::Offset::UTC.to_timestamp(d.to_datetime(t)).ok());
            assert_eq!(super::canonical(&text), jiff, "{text}");
        }
    }

    #[test]
    fn timestamps_are_formatted_as_jiff_formats_them() {
        let jiff = |t: Timestamp| {
            if t.as_second() == end().as_second() && t.subsec_nanosecond() > 0 {
                return format_past_the_end(i64::from(t.subsec_nanosecond()));
            }
            whole_second(t).strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
        };
        let mut seconds: Vec<i64> = vec![
            0,
            1,
            59,
            86_399,
            86_400,
            951_782_400, // 2000-02-29
            4_107_542_399,
            end().as_second() - 1,
            end().as_second(),
            -1,
            -86_401,
            YEAR_1.as_second(),
            Timestamp::MIN.as_second(),
        ];
        // Every day of 400 years (a whole Gregorian cycle) at a changing time of day, and
        // a spread over the rest of the range.
        seconds.extend((0..146_097_i64).map(|d| d * 86_400 + (d * 7919) % 86_400));
        let step = end().as_second() / 100_003;
        seconds.extend((0..100_003_i64).map(|i| i * step + i % 86_400));
        for s in seconds {
            for nanos in [0, 1, 999_999_999] {
                let Ok(t) = Timestamp::new(s, if s < 0 { -nanos } else { nanos }) else {
                    continue;
                };
                assert_eq!(format_timestamp(t), jiff(t), "{s}.{nanos}");
            }
        }
        let past = Timestamp::new(end().as_second(), 90_000).unwrap();
        assert_eq!(format_timestamp(past), jiff(past));
    }
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn durations_are_calendar_spans() {
        let now = at("2026-01-31T10:00:00Z");
        let add =
            |d: &str| format_timestamp(after(now, parse_duration("--x", d).unwrap()).unwrap());
        assert_eq!(add("30d"), "2026-03-02T10:00:00Z");
        assert_eq!(add("1mo"), "2026-02-28T10:00:00Z");
        assert_eq!(add("3mo"), "2026-04-30T10:00:00Z");
        assert_eq!(add("1y"), "2027-01-31T10:00:00Z");
        assert_eq!(add("1y6mo"), "2027-07-31T10:00:00Z");
        assert_eq!(add("1d12h"), "2026-02-01T22:00:00Z");
        assert_eq!(add("90min"), "2026-01-31T11:30:00Z");
        assert_eq!(add("1.5h"), "2026-01-31T11:30:00Z");
        let leap = at("2028-02-29T00:00:00Z");
        let span = parse_duration("--x", "1y").unwrap();
        assert_eq!(
            format_timestamp(after(leap, span).unwrap()),
            "2029-02-28T00:00:00Z"
        );
        for bad in ["", "d", "30", "3x", "-1d", "1d ago", "soon", "99999999y"] {
            assert!(parse_duration("--x", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_bare_m_is_ambiguous() {
        for (text, mo, min) in [
            ("3m", "3mo", "3min"),
            ("1h 3m", "1h 3mo", "1h 3min"),
            ("12m", "12mo", "12min"),
            ("1d1m", "1d1mo", "1d1min"),
        ] {
            let e = parse_duration("--expires", text).unwrap_err().to_string();
            assert!(
                e.contains(&format!("write {mo} for months or {min} for minutes")),
                "{e}"
            );
        }
        for fine in ["3mo", "3min", "3mins", "30ms", "3months", "3 minutes"] {
            parse_duration("--x", fine).unwrap();
        }
    }

    #[test]
    fn expiry() {
        let now = at("2026-11-22T10:00:00Z");
        assert_eq!(parse_expiry("never", now).unwrap(), None);
        let t = parse_expiry("7d", now).unwrap().unwrap();
        assert_eq!(format_timestamp(t), "2026-11-29T10:00:00Z");
        let t = parse_expiry("3mo", now).unwrap().unwrap();
        assert_eq!(format_timestamp(t), "2027-02-22T10:00:00Z");
        let t = parse_expiry("2027-01-01", now).unwrap().unwrap();
        assert_eq!(format_timestamp(t), "2027-01-01T00:00:00Z");
        let t = parse_expiry("2027-01-01T12:30:00+01:00", now)
            .unwrap()
            .unwrap();
        assert_eq!(format_timestamp(t), "2027-01-01T11:30:00Z");
        assert!(parse_expiry("tomorrow", now).is_err());
        let t = parse_expiry("9999-12-31", now).unwrap().unwrap();
        assert_eq!(format_timestamp(t), "9999-12-31T00:00:00Z");
        let e = parse_expiry("3m", now).unwrap_err().to_string();
        assert!(e.contains("3mo") && e.contains("3min"), "{e}");
    }

    #[test]
    fn times_up_to_the_end_of_year_9999_are_kept_exactly() {
        let round_trip = |text: &str| format_timestamp(parse_timestamp(text).unwrap());
        for text in [
            "9999-12-31T23:59:59Z",
            "9999-12-31T00:00:00Z",
            "9999-12-30T22:00:00Z",
            "9999-12-30T22:00:01Z",
            "0001-01-01T00:00:00Z",
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

    #[test]
    fn relative_dates_round_to_the_nearest_unit() {
        let now = at("2026-11-22T10:00:00Z");
        let h = |s: &str| humanize(at(s), now);
        assert_eq!(h("2027-02-20T09:59:59Z"), "in 90 days");
        assert_eq!(h("2027-02-20T10:00:00Z"), "in 90 days");
        assert_eq!(h("2026-11-23T09:59:00Z"), "in 1 day");
        assert_eq!(h("2026-11-22T10:59:40Z"), "in 1 hour");
        assert_eq!(h("2026-11-22T10:00:30Z"), "in 30 seconds");
        assert_eq!(h("2026-11-22T07:00:00Z"), "3 hours ago");
        assert_eq!(h("2026-11-22T10:00:00Z"), "just now");
        assert_eq!(h("2027-11-22T10:00:00Z"), "in 1 year");
        assert_eq!(h("2028-05-22T10:00:00Z"), "in 1 year 6 months");
        assert_eq!(h("2028-12-22T10:00:00Z"), "in 2 years 1 month");
        assert_eq!(h("2027-11-02T10:00:00Z"), "in 345 days");
        assert_eq!(h("2025-11-22T10:00:00Z"), "1 year ago");
        assert_eq!(h("2036-11-22T10:00:00Z"), "in 10 years");
        assert_eq!(h("9999-12-30T00:00:00Z"), "in 7973 years");
    }
}

#[cfg(test)]
mod rfc3339_tests {
    use super::*;

    #[test]
    fn times_are_rfc_3339_exactly() {
        for bad in [
            "2027-01-01T00:00:00+0100",
            "2027-01-01T00:00:00+25:00",
            "2027-01-01T00:00:00+01:60",
            "2027-01-01T00:00:00Z[UTC]",
            "2016-12-31T23:59:60Z",
            "2027-01-01 00:00:00Z",
            "2027-01-01T00:00:00",
            "2027-01-01T00:00:00.Z",
            "2027-01-01T00:00Z",
            "2027-1-01T00:00:00Z",
            "2027-01-01t00:00:00Z",
            "2027-01-01T00:00:00z",
            "0000-01-01T00:00:00Z",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
        for good in [
            "2027-01-01T00:00:00Z",
            "2027-01-01T00:00:00.123456Z",
            "2027-01-01T00:00:00+23:59",
            "2027-01-01T00:00:00-05:00",
            "0001-01-01T00:00:00Z",
        ] {
            assert!(parse_timestamp(good).is_ok(), "{good}");
        }
        assert_eq!(
            parse_timestamp_old("2027-01-01t00:00:00z").unwrap(),
            (at("2027-01-01T00:00:00Z"), Some(OldTime::Lowercase))
        );
        let (_, old) = parse_timestamp_old("0000-03-01T00:00:00Z").unwrap();
        assert_eq!(old, Some(OldTime::YearZero));
        assert!(parse_timestamp_old("2016-12-31t23:59:60Z").is_err());
        assert!(parse_timestamp("2027-01-01T10:00:00.999999999Z").is_err());
        assert!(parse_timestamp("2027-01-01T10:00:00.9995Z").is_err());
        assert!(parse_timestamp("2027-01-01T10:00:00.999Z").is_ok());
        assert!(parse_timestamp("2027-01-01T10:00:00.99949Z").is_ok());
    }

    #[test]
    fn expiries_before_1970_are_refused() {
        let now = at("2026-11-22T10:00:00Z");
        for bad in ["0000-01-01", "1969-12-31", "0001-01-01T00:00:00Z"] {
            let e = parse_expiry(bad, now).unwrap_err().to_string();
            assert!(e.contains("1970 to 9999"), "{bad}: {e}");
        }
        assert!(parse_expiry("1970-01-01", now).is_ok());
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }
}

#[cfg(test)]
mod canonical_tests {
    use super::*;

    /// The shortcut for tokenctl's own form gives what jiff gives, and leaves everything
    /// else (other offsets, fractions, out-of-range fields, leap seconds) to it.
    #[test]
    fn the_canonical_form_reads_as_jiff_reads_it() {
        for text in [
            "2026-11-22T10:00:00Z",
            "0001-01-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "9999-12-30T22:00:00Z",
        ] {
            let slow = text.parse::<Timestamp>().unwrap();
            assert_eq!(canonical(text), Some(slow), "{text}");
            assert_eq!(parse_timestamp(text), Ok(slow), "{text}");
        }
        for text in [
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-11-22T24:00:00Z",
            "2026-11-22T10:60:00Z",
            "2016-12-31T23:59:60Z",
            "2026-11-22t10:00:00Z",
            "2026-11-22T10:00:00+01:00",
            "2026-11-22T10:00:00.5Z",
            "+2026-11-22T10:00:00",
            "2026-1x-22T10:00:00Z",
            "9999-12-31T23:59:59Z",
        ] {
            assert_eq!(canonical(text), None, "{text}");
        }
        assert!(parse_timestamp("9999-12-31T23:59:59Z").is_ok());
        assert!(parse_timestamp("2023-02-29T00:00:00Z").is_err());
    }
}
