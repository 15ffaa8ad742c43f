//! How a plain scalar resolves to a type other than text: YAML 1.2's core schema, which every
//! library follows, and YAML 1.1's wider rules, which many still do. The portable allow-list
//! of the document layer (`document::portable`) is built on these.

/// What a plain scalar is to YAML 1.2's core schema when it is not text: `2`, `0x1f`,
/// `1.5e3`, `.inf` are numbers, `true`/`False` booleans, `null`/`~` null. A key name written
/// so is not the name tokenctl would read (found by fuzz/edit's libyaml check: `2:` is the
/// integer 2 to libyaml).
pub(crate) fn core_schema_non_text(s: &str) -> Option<&'static str> {
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
