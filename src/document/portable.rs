//! Portable security.yml: the subset of YAML that every mainstream YAML library (Go's
//! yaml.v3, yaml.v2 and sigs.k8s.io/yaml, SnakeYAML, npm `yaml`, js-yaml, PyYAML, ruamel.yaml)
//! reads the same way. docs/FORMAT.md ("Portable security.yml") states the rules; this module
//! holds the ones about characters and scalars, as allow-lists: what is not allowed here is
//! refused in tokenctl's own data, whatever the reason a library would have to read it
//! differently.

use crate::yaml::{self, Lines, SyntaxError};

/// [`plain_problem`]'s common case, read fast: a printable ASCII word of more than five
/// characters that starts with a letter and does not end in `:` is no number, date, time,
/// null or boolean to any library, so it is text. `ascii_known`: the caller knows the whole
/// text is ASCII without tab (the one-pass loader's `plain_text_ascii`), and the bytes need
/// no look of their own. (The file holds no control character but tab and line breaks:
/// `check_characters`; and a plain scalar no line break.)
pub(crate) fn surely_text(s: &str, ascii_known: bool) -> bool {
    let b = s.as_bytes();
    b.len() > 5
        && b[0].is_ascii_alphabetic()
        && b[b.len() - 1] != b':'
        && (ascii_known || b.iter().fold(true, |ok, &c| ok & (c < 0x80) & (c != b'\t')))
}

/// Why a plain scalar of tokenctl's data is not portable text, or `None` when every library
/// reads it as the same string. The allow-list: a letter or digit (any script), `/`, `_`, or
/// `=` followed by more first; then no tab, no other blank than the space, no control
/// character, no final `:`; and the whole not spelling a null, boolean, number, date or time,
/// merge key or value key to YAML 1.1 or 1.2 (checked in [`non_text`]).
pub(crate) fn plain_problem(s: &str) -> Option<String> {
    if surely_text(s, false) {
        return None;
    }
    let first = s.chars().next()?;
    if first == ':' {
        return Some(format!(
            "the plain scalar {s} starts with ':', which Go's yaml, SnakeYAML and PyYAML cannot load"
        ));
    }
    let first_ok = first.is_alphanumeric() || first == '/' || first == '_' || s.starts_with("=/");
    if !first_ok && non_text(s).is_none() {
        return Some(format!(
            "the plain scalar {s} starts with {first:?}: portable security.yml writes a plain scalar only when it starts with a letter, a digit, '/' or '_' (YAML libraries disagree on scalars that start with an indicator or sign)"
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|&c| c.is_control() || (c.is_whitespace() && c != ' ') || c == '\u{feff}')
    {
        return Some(format!(
            "the plain scalar {s:?} holds the character U+{:04X}, which YAML libraries read differently in a plain scalar (a tab or another blank ends it for some)",
            c as u32
        ));
    }
    if s.ends_with(':') {
        return Some(format!(
            "the plain scalar {s} ends in ':', which some YAML libraries read as a mapping key"
        ));
    }
    non_text(s).map(|(what, who)| format!("the plain scalar {s} is {what} to {who}, not text"))
}

/// The libraries that read YAML 1.1's types.
const YAML11: &str = "YAML 1.1 libraries (PyYAML, ruamel.yaml's safe loader, SnakeYAML, Go's yaml.v2; sigs.k8s.io/yaml turns it into another string)";

/// What a plain scalar is to some library when it is not text, and to whom.
pub(crate) fn non_text(s: &str) -> Option<(&'static str, &'static str)> {
    if let Some(what) = yaml::core_schema_non_text(s) {
        return Some((what, "every YAML library"));
    }
    match s {
        "<<" => return Some(("a merge key", "SnakeYAML, PyYAML and ruamel.yaml")),
        "=" => return Some(("a value key", "SnakeYAML, PyYAML and ruamel.yaml")),
        _ => {}
    }
    if let Some(what) = yaml::yaml11_non_text(s) {
        return Some((what, YAML11));
    }
    if yaml::yaml11_sexagesimal(s) {
        return Some(("a base-60 number", YAML11));
    }
    if yaml::yaml11_timestamp(s) {
        return Some(("a timestamp", YAML11));
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Some(("a number", "every YAML library"));
    }
    None
}

/// The first character rule of the whole file that is not about scalars: a bare CR (a line
/// break to YAML 1.2 and libyaml, and within a comment to npm `yaml`: it hides the rest of
/// the line from one library and not from another), and a byte order mark after the start.
pub(crate) fn file_characters(text: &str) -> Result<(), SyntaxError> {
    let b = text.as_bytes();
    if let Some(at) = memchr::memchr_iter(b'\r', b).find(|&i| b.get(i + 1) != Some(&b'\n')) {
        let (line, col) = Lines::new(text).position(at);
        return Err(SyntaxError {
            line,
            col,
            message: "a carriage return (CR) that does not end a CRLF line end: YAML libraries disagree on it (npm `yaml` takes the rest of a comment's line for text, others take it for a line break), so servers would read other keys; portable security.yml uses LF or CRLF line ends only".into(),
        });
    }
    if let Some(at) = memchr::memmem::find(b, "\u{feff}".as_bytes()) {
        let (line, col) = Lines::new(text).position(at);
        return Err(SyntaxError {
            line,
            col,
            message: "a byte order mark (U+FEFF) after the start of the file: YAML libraries disagree about it; remove it (in a double-quoted string, write it as the escape \\ufeff)".into(),
        });
    }
    // Directives come before the document, after comments and blank lines only.
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_start_matches([' ', '\t']);
        let body = body.trim_end_matches(['\r', '\n']);
        if body.is_empty() || body.starts_with('#') {
            offset += line.len();
            continue;
        }
        if line.starts_with('%') {
            let (line, col) = Lines::new(text).position(offset);
            return Err(SyntaxError {
                line,
                col,
                message: "a directive (%YAML, %TAG): Go's YAML readers refuse %YAML 1.2, and %YAML 1.1 switches npm `yaml` to YAML 1.1's types; portable security.yml has no directives, remove it".into(),
            });
        }
        break;
    }
    Ok(())
}

/// Is the escape after a backslash in a double-quoted scalar one that YAML 1.1 and 1.2 both
/// have (`\/` is 1.2 only: PyYAML and SnakeYAML refuse it)?
pub(crate) fn portable_escapes(raw: &str) -> Option<char> {
    let b = raw.as_bytes();
    let mut i = 0;
    while let Some(j) = memchr::memchr(b'\\', &b[i..]).map(|j| j + i) {
        let c = *b.get(j + 1)?;
        if !matches!(
            c,
            b'0' | b'a'
                | b'b'
                | b't'
                | b'\t'
                | b'n'
                | b'v'
                | b'f'
                | b'r'
                | b'e'
                | b' '
                | b'"'
                | b'\\'
                | b'N'
                | b'_'
                | b'L'
                | b'P'
                | b'x'
                | b'u'
                | b'U'
                | b'\n'
                | b'\r'
        ) {
            return Some(c as char);
        }
        i = j + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_examples_are_portable_plain_text() {
        for s in [
            "dns:write",
            "dns:*",
            "/api/dns",
            "203.0.113.0/24",
            "2001:db8::/32",
            "10.0.0.1",
            "GitHub Actions deploy job",
            "example.com",
            "=/api/exact",
            "café",
            "Read-only dashboards, nightly (CI)",
            "sha256:d593ed019dc622a8a397c2bb01a21496a8bdc9af826f00699366f1e4a11fb164",
            "1password",
        ] {
            assert_eq!(plain_problem(s), None, "{s}");
        }
    }

    #[test]
    fn what_some_library_reads_otherwise_is_not() {
        for s in [
            "::1",
            "<<",
            "=",
            "true",
            "yes",
            "on",
            "Off",
            "y",
            "~",
            "null",
            "1",
            "012345",
            "0x1f",
            "0o17",
            "0b101",
            "1_000",
            ".inf",
            "-.inf",
            "1.5",
            "1e3",
            "12:30",
            "190:20:30.15",
            "2027-01-01",
            "2027-1-1",
            "2027-01-01T10:00:00Z",
            "2027-01-01 10:00",
            "-x",
            "*x",
            "!x",
            "a\u{a0}b",
            "a:",
            ".nan",
        ] {
            assert!(plain_problem(s).is_some(), "{s}");
        }
        assert!(plain_problem("::1").unwrap().contains("PyYAML"));
    }

    #[test]
    fn whole_file_rules() {
        assert!(file_characters("a: 1\n# c\rb: 2\n").is_err());
        assert!(file_characters("a: 1\r\nb: 2\r\n").is_ok());
        assert!(file_characters("# c\n%YAML 1.2\n---\na: 1\n").is_err());
        assert!(file_characters("a: |\n  %x\n").is_ok());
        assert!(file_characters("a: \"\u{feff}\"\n").is_err());
    }

    #[test]
    fn escapes() {
        assert_eq!(portable_escapes(r#"a\"b\\c\u00e9\n"#), None);
        assert_eq!(portable_escapes(r"a\/b"), Some('/'));
    }
}
