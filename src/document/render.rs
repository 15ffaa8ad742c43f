//! Text that tokenctl writes: scalars, field values and whole entries, in the style of
//! docs/FORMAT.md's example. Every scalar is written so that any YAML parser, 1.1 or 1.2, in block
//! or flow context, reads back the same string: plain only when that is certain, otherwise
//! double-quoted with every character that is not plainly printable escaped.

use crate::model::{ApiKey, Field, PreviousHash};
use crate::time::format_timestamp;
use jiff::Timestamp;

/// A new value for a field of a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
    List(Vec<String>),
    Time(Timestamp),
    Previous(Vec<PreviousHash>),
}

/// A scalar as YAML: plain when that reads back as the same string everywhere, otherwise
/// double-quoted.
pub fn render_scalar(s: &str) -> String {
    if plain_is_safe(s) {
        s.to_string()
    } else {
        double_quoted(s)
    }
}

/// `s` as a double-quoted YAML scalar. Escaped: `"` and `\`, every C0 and C1 control
/// character and DEL, the line and paragraph separators (U+2028, U+2029: line breaks to
/// YAML 1.1), NEL (U+0085, likewise), the byte order mark (U+FEFF, which no parser accepts
/// inside a document) and the non-characters U+FFFE and U+FFFF. Everything else is written
/// as itself, so descriptions stay readable.
pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{feff}'
            | '\u{fffe}'
            | '\u{ffff}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Is `s` safe to write plain, anywhere tokenctl writes a scalar (a mapping value, a flow
/// list item, a key)? Deliberately narrow: letters, digits, and `- _ . / : @ + = *` and
/// inner single spaces; a letter, digit or `/` first; nothing YAML 1.1 or 1.2 would read as
/// null, a boolean, a number, a timestamp or a merge/value key; no `: ` and no final `:`.
fn plain_is_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    // `=/x` (pathPrefix's exact form) is safe; `=` alone is YAML 1.1's value key.
    if !(first.is_alphanumeric() || first == '/' || s.starts_with("=/")) {
        return false;
    }
    if s.ends_with([' ', ':']) || s.contains("  ") || s.contains(": ") {
        return false;
    }
    let ok = |c: char| {
        c.is_alphanumeric()
            || matches!(c, '-' | '_' | '.' | '/' | ':' | '@' | '+' | '=' | '*' | ' ')
    };
    if !s.chars().all(ok) {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) {
        return false;
    }
    // Anything starting like a number (an integer, float, YAML 1.1 sexagesimal or octal, a
    // date) is quoted, unless a `/` rules every number and date out (a CIDR, 10.0.0.0/8).
    if first.is_ascii_digit() && !s.contains('/') {
        return false;
    }
    true
}

/// A value in flow style (one line).
pub(crate) fn render_flow(v: &Value) -> String {
    match v {
        Value::Str(s) => render_scalar(s),
        Value::Bool(b) => b.to_string(),
        Value::Time(t) => format_timestamp(*t),
        Value::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| render_scalar(i))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Previous(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|p| format!(
                    "{{hash: {}, expiresAt: {}}}",
                    p.hash,
                    format_timestamp(p.expires_at)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// What follows `name:` for a field at `indent`: ` value`, or a block for previousHashes.
pub(crate) fn render_field_suffix(v: &Value, indent: usize, nl: &str) -> String {
    match v {
        Value::Previous(items) if !items.is_empty() => {
            let pad = " ".repeat(indent + 2);
            items
                .iter()
                .map(|p| {
                    format!(
                        "{nl}{pad}- hash: {}{nl}{pad}  expiresAt: {}",
                        p.hash,
                        format_timestamp(p.expires_at)
                    )
                })
                .collect()
        }
        _ => format!(" {}", render_flow(v)),
    }
}

/// A list as a block sequence whose dashes stand at `dash` columns.
pub(crate) fn render_block_list(items: &[String], dash: usize, nl: &str) -> String {
    let pad = " ".repeat(dash);
    items
        .iter()
        .map(|i| format!("{nl}{pad}- {}", render_scalar(i)))
        .collect()
}

/// The fields of a key as (name, value), in the order a new entry is written.
pub fn key_fields(key: &ApiKey) -> Vec<(Field, Value)> {
    let mut out = Vec::new();
    if let Some(d) = &key.description {
        out.push((Field::Description, Value::Str(d.clone())));
    }
    if let Some(o) = &key.owner {
        out.push((Field::Owner, Value::Str(o.clone())));
    }
    out.push((Field::Enabled, Value::Bool(key.enabled)));
    out.push((Field::Permissions, Value::List(key.permissions.clone())));
    out.push((Field::Hash, Value::Str(key.hash.to_string())));
    if let Some(t) = key.created_at {
        out.push((Field::CreatedAt, Value::Time(t)));
    }
    if let Some(t) = key.expires_at {
        out.push((Field::ExpiresAt, Value::Time(t)));
    }
    if let Some(ips) = &key.allowed_ips {
        out.push((
            Field::AllowedIps,
            Value::List(ips.iter().map(|n| n.to_string()).collect()),
        ));
    }
    if let Some(p) = &key.path_prefix {
        out.push((Field::PathPrefix, Value::Str(p.clone())));
    }
    if let Some(r) = &key.resources {
        out.push((Field::Resources, Value::List(r.clone())));
    }
    if !key.previous_hashes.is_empty() {
        out.push((
            Field::PreviousHashes,
            Value::Previous(key.previous_hashes.clone()),
        ));
    }
    out
}

/// A whole block entry: `name:` at `key_indent`, its fields `field_indent` deeper.
pub(crate) fn render_entry(
    key: &ApiKey,
    key_indent: usize,
    field_indent: usize,
    nl: &str,
) -> String {
    let mut out = format!(
        "{}{}:{nl}",
        " ".repeat(key_indent),
        render_scalar(&key.name)
    );
    let indent = key_indent + field_indent;
    for (name, value) in key_fields(key) {
        out.push_str(&" ".repeat(indent));
        out.push_str(name.yaml_name());
        out.push(':');
        out.push_str(&render_field_suffix(&value, indent, nl));
        out.push_str(nl);
    }
    out
}

/// A whole entry's definition in flow style: `{enabled: true, ...}`.
pub(crate) fn render_flow_entry(key: &ApiKey) -> String {
    let items: Vec<String> = key_fields(key)
        .iter()
        .map(|(n, v)| format!("{n}: {}", render_flow(v)))
        .collect();
    format!("{{{}}}", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_render_safely() {
        for s in [
            "dns:read",
            "dns:*",
            "example.com",
            "/api/dns",
            "203.0.113.0/24",
            "2001:db8::/32",
            "GitHub Actions deploy job",
            "café",
            "=/api/exact",
        ] {
            assert_eq!(render_scalar(s), s, "{s} should stay plain");
        }
        for s in [
            "*",
            "",
            "true",
            "no",
            "Yes",
            "123",
            "1.5",
            "1e3",
            "0x1f",
            "12:30",
            "2027-01-01",
            "a: b",
            "x #y",
            "-",
            "-x",
            "[x]",
            "line\nbreak",
            " lead",
            "trail ",
            "null",
            "~",
            "=",
            "=x",
            "<<",
            ".inf",
            "a  b",
            "\u{feff}hi",
            "a\u{2028}b",
            "a\u{85}b",
            "é\u{a0}",
        ] {
            assert!(render_scalar(s).starts_with('"'), "{s:?} should be quoted");
        }
    }

    #[test]
    fn double_quotes_escape_what_parsers_would_not_read_back() {
        assert_eq!(double_quoted("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(
            double_quoted("\u{feff}x\u{7f}\u{85}\u{2029}"),
            r#""\ufeffx\u007f\u0085\u2029""#
        );
        assert_eq!(double_quoted("\u{1b}]0;t\u{7}"), r#""\u001b]0;t\u0007""#);
        assert_eq!(double_quoted("日本 ok"), "\"日本 ok\"");
    }
}
