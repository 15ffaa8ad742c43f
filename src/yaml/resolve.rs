//! How a plain scalar resolves to a type other than text: YAML 1.2's core schema, which every
//! library follows, and YAML 1.1's wider rules (booleans, numbers with `_`, octal and base 60,
//! dates and timestamps), which many still do. The portable allow-list of the document layer
//! (`document::portable`) is built on these.

/// What a plain scalar is to YAML 1.2's core schema when it is not text: `2`, `0x1f`,
/// `1.5e3`, `.inf` are numbers, `true`/`False` booleans, `null`/`~` null. A key name written
/// so is not the name tokenctl would read (found by fuzz/edit's libyaml check: `2:` is the
/// integer 2 to libyaml).
pub(crate) fn core_schema_non_text(s: &str) -> Option<&'static str> {
    // Read fast: what starts with another letter is text (every case below starts with a
    // digit, a sign, `.`, `~`, or the n, t, f of null, true, false).
    if s.as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() && !b"nNtTfF".contains(b))
    {
        return None;
    }
    let digits = |t: &str, radix: u32| !t.is_empty() && t.chars().all(|c| c.is_digit(radix));
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let float = {
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
            None => (unsigned, None),
        };
        let mantissa_ok = match mantissa.split_once('.') {
            Some((int, frac)) => {
                (int.is_empty() || digits(int, 10))
                    && (frac.is_empty() || digits(frac, 10))
                    && !(int.is_empty() && frac.is_empty())
            }
            None => digits(mantissa, 10),
        };
        let exponent_ok =
            exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
        mantissa_ok && exponent_ok
    };
    match s {
        "null" | "Null" | "NULL" | "~" | "" => Some("null"),
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => Some("a boolean"),
        ".nan" | ".NaN" | ".NAN" => Some("a number"),
        _ if matches!(unsigned, ".inf" | ".Inf" | ".INF") => Some("a number"),
        _ if s.strip_prefix("0o").is_some_and(|t| digits(t, 8))
            || s.strip_prefix("0x").is_some_and(|t| digits(t, 16))
            || float =>
        {
            Some("a number")
        }
        _ => None,
    }
}

/// What a plain scalar is to YAML 1.1's resolvers (PyYAML, ruamel.yaml's timestamps, Go's
/// yaml.v2) when YAML 1.2's core schema reads it as text, among what a key name can spell
/// (`A-Z a-z 0-9 - _ .`): `yes`/`on`/`n` booleans, `1_000`, `0b101`, `0755`, `1.5_0`
/// numbers, `2027-01-01` dates. A server reading such a plain name gets no string.
pub(crate) fn yaml11_non_text(s: &str) -> Option<&'static str> {
    // Read fast: the booleans start with y, n or o; numbers and dates with a digit, a sign or
    // `.`; what starts with another letter is text.
    if s.as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() && !b"yYnNoO".contains(b))
    {
        return None;
    }
    if matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    ) {
        return Some("a boolean");
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let all = |t: &str, f: fn(u8) -> bool| !t.is_empty() && t.bytes().all(f);
    let number = unsigned
        .strip_prefix("0b")
        .is_some_and(|t| all(t, |b| matches!(b, b'0' | b'1' | b'_')))
        || unsigned
            .strip_prefix("0x")
            .is_some_and(|t| all(t, |b| b.is_ascii_hexdigit() || b == b'_'))
        || (unsigned
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.')
            && unsigned.bytes().any(|b| b.is_ascii_digit())
            && all(unsigned, |b| b.is_ascii_digit() || b == b'_' || b == b'.')
            && unsigned.bytes().filter(|&b| b == b'.').count() <= 1);
    if number {
        return Some("a number");
    }
    let date = {
        let parts: Vec<&str> = s.split('-').collect();
        parts.len() == 3
            && parts[0].len() == 4
            && (1..=2).contains(&parts[1].len())
            && (1..=2).contains(&parts[2].len())
            && parts.iter().all(|p| all(p, |b| b.is_ascii_digit()))
    };
    date.then_some("a date")
}

/// YAML 1.1's base-60 numbers: `1:30`, `-1:30:00`, `190:20:30.15`.
pub(crate) fn yaml11_sexagesimal(s: &str) -> bool {
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let Some((head, _)) = unsigned.split_once(':') else {
        return false;
    };
    if !head.starts_with(|c: char| c.is_ascii_digit())
        || !head.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return false;
    }
    let rest: Vec<&str> = unsigned.split(':').skip(1).collect();
    let sixty = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    let (last, middle) = rest.split_last().expect("not empty");
    if !middle.iter().all(|p| sixty(p)) {
        return false;
    }
    match last.split_once('.') {
        Some((sec, frac)) => sixty(sec) && frac.bytes().all(|b| b.is_ascii_digit() || b == b'_'),
        None => sixty(last),
    }
}

/// A YAML 1.1 timestamp, or anything starting like one: `2027-01-01`, `2027-1-1 10:00`.
pub(crate) fn yaml11_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| {
        b.len() >= from + n && b[from..from + n].iter().all(u8::is_ascii_digit)
    };
    if !digits(0, 4) || b.get(4) != Some(&b'-') {
        return false;
    }
    let mut i = 5;
    for part in 0..2 {
        let from = i;
        while i < b.len() && b[i].is_ascii_digit() && i - from < 2 {
            i += 1;
        }
        if i == from {
            return false;
        }
        if part == 0 {
            if b.get(i) != Some(&b'-') {
                return false;
            }
            i += 1;
        }
    }
    i == b.len() || matches!(b[i], b'T' | b't' | b' ' | b'\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_schema_types() {
        for (s, what) in [
            ("2", "a number"),
            ("0x1f", "a number"),
            ("0o17", "a number"),
            ("1.5e3", "a number"),
            (".5", "a number"),
            ("-.inf", "a number"),
            (".NaN", "a number"),
            ("True", "a boolean"),
            ("~", "null"),
            ("", "null"),
        ] {
            assert_eq!(core_schema_non_text(s), Some(what), "{s:?}");
        }
        for s in [
            "yes",
            "1_000",
            "0x",
            ".",
            "1.2.3",
            "e3",
            "ci-deploy",
            "TRue",
        ] {
            assert_eq!(core_schema_non_text(s), None, "{s:?}");
        }
    }

    #[test]
    fn yaml11_types() {
        for (s, what) in [
            ("y", "a boolean"),
            ("OFF", "a boolean"),
            ("1_000", "a number"),
            ("0b101", "a number"),
            ("0755", "a number"),
            ("1.5_0", "a number"),
            ("2027-01-01", "a date"),
            ("2027-1-1", "a date"),
        ] {
            assert_eq!(yaml11_non_text(s), Some(what), "{s:?}");
        }
        for s in ["yes-no", "1.2.3", "2027-01", "v1", "ci_1"] {
            assert_eq!(yaml11_non_text(s), None, "{s:?}");
        }
        for s in ["1:30", "-1:30:00", "190:20:30.15"] {
            assert!(yaml11_sexagesimal(s), "{s:?}");
        }
        for s in ["1:60x", "a:30", "1:", "1:123"] {
            assert!(!yaml11_sexagesimal(s), "{s:?}");
        }
        for s in ["2027-01-01", "2027-1-1 10:00", "2027-01-01T10:00:00Z"] {
            assert!(yaml11_timestamp(s), "{s:?}");
        }
        for s in ["2027-01", "27-01-01", "2027-01-01x"] {
            assert!(!yaml11_timestamp(s), "{s:?}");
        }
    }
}
