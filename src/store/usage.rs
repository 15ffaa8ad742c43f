//! Usage records in `security.usage.yml` (docs/FORMAT.md, "The usage file"): last use of each key,
//! kept apart from security.yml so recording use never churns a GitOps repo.

use super::atomic::{FileAttrs, Staged};
use super::lock::Lock;
use super::place::Place;
use crate::document::render::{Value, render_flow, render_scalar};
use crate::error::{Error, Result};
use crate::time::parse_timestamp;
use crate::yaml::{self, Kind};
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Last use of one key.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    pub last_used_at: Timestamp,
    pub last_used_from: Option<String>,
}

/// Reads the usage file; missing means no records. Entries of the wrong shape are skipped,
/// since a server's bad write must not stop the keys from being listed.
pub fn read(place: &Place) -> Result<BTreeMap<String, Usage>> {
    read_counting(place).map(|(records, _)| records)
}

/// The records, and how many entries were skipped for their shape. Read through the
/// folder's handle, never through a link: a link planted there would have tokenctl read,
/// and copy into the folder, a file it leads to.
fn read_counting(place: &Place) -> Result<(BTreeMap<String, Usage>, usize)> {
    let path = place.shown();
    let Some(file) = super::atomic::read_at(place)? else {
        return Ok((BTreeMap::new(), 0));
    };
    let text = super::atomic::into_text(path, file.bytes)?;
    parse(path, &text)
}

/// Servers write this file, so it is read with security.yml's limits (size, nesting,
/// aliases never expanded): the syntax layer's tree, not serde_yaml, which took 49 s on
/// 200 KB of nested brackets.
fn parse(path: &Path, text: &str) -> Result<(BTreeMap<String, Usage>, usize)> {
    let tree = yaml::parse(text).map_err(|e| Error::Syntax {
        path: path.to_path_buf(),
        line: e.line,
        column: e.col,
        message: e.message,
    })?;
    let Some(root) = tree.root.filter(|r| !r.is_null()) else {
        return Ok((BTreeMap::new(), 0));
    };
    let Kind::Map { entries, .. } = &root.kind else {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: "is not a mapping of key name to lastUsedAt/lastUsedFrom".into(),
        });
    };
    // Read loosely, entry by entry: one entry of the wrong shape is skipped, not fatal; of
    // a name given twice, the first counts.
    let mut records = BTreeMap::new();
    let mut skipped = 0;
    for (name, value) in entries {
        let (
            Some(name),
            Kind::Map {
                entries: fields, ..
            },
        ) = (name.as_str(), &value.kind)
        else {
            skipped += 1;
            continue;
        };
        let field = |wanted: &str| {
            fields
                .iter()
                .find(|(k, _)| k.as_str() == Some(wanted))
                .and_then(|(_, v)| v.as_str().filter(|_| !v.is_null()))
        };
        let Some(at) = field("lastUsedAt").and_then(|t| parse_timestamp(t).ok()) else {
            skipped += 1;
            continue;
        };
        records.entry(name.to_string()).or_insert(Usage {
            last_used_at: at,
            last_used_from: field("lastUsedFrom").map(str::to_string),
        });
    }
    Ok((records, skipped))
}

/// Reads the usage records for `list` and `show`. A broken usage file (a server's bad write)
/// must not hide the keys: it is handed to `warn` (a whole line, `warning: ...`) and the keys
/// are shown without usage.
pub fn read_or_warn(place: &Place, warn: fn(&str)) -> BTreeMap<String, Usage> {
    let path = place.shown();
    let warn = |what: String| warn(&format!("warning: {what}"));
    match read_counting(place) {
        Ok((records, 0)) => records,
        Ok((records, skipped)) => {
            warn(format!(
                "{}: ignoring {skipped} usage record{} without a name and an RFC 3339 lastUsedAt",
                path.display(),
                if skipped == 1 { "" } else { "s" }
            ));
            records
        }
        Err(e) => {
            warn(format!("ignoring usage records: {e}"));
            BTreeMap::new()
        }
    }
}

/// Moves the record of key `old` to `new` in the usage file beside `security`, under the
/// usage file's lock. A record already under `new` (left by a deleted key) goes: the renamed
/// key's use is its own. Nothing is written when neither name has a record.
pub(crate) fn rename(security: &Place, old: &str, new: &str, timeout: Duration) -> Result<()> {
    let place = security.usage()?;
    if super::atomic::read_at(&place)?.is_none() {
        return Ok(());
    }
    let _lock = Lock::acquire(&place, timeout)?;
    let mut records = read(&place)?;
    let moved = records.remove(old);
    let stale = records.remove(new);
    if moved.is_none() && stale.is_none() {
        return Ok(());
    }
    if let Some(u) = moved {
        records.insert(new.to_string(), u);
    }
    write(security, &place, &records)
}

/// Records the uses of keys (name, when and from where) in the usage file beside `security`
/// (through the same folder handle), in one write under the usage file's own lock, written atomically. A new usage file gets the
/// owner and group of `security` (the file whose keys it records).
pub(crate) fn record(
    security: &Place,
    uses: impl IntoIterator<Item = (String, Usage)>,
    timeout: Duration,
) -> Result<()> {
    let place = security.usage()?;
    let _lock = Lock::acquire(&place, timeout)?;
    let mut records = read(&place)?;
    super::place::test_pause();
    records.extend(uses);
    write(security, &place, &records)
}

/// The usage file's text, written as security.yml is (docs/FORMAT.md, "The usage file"):
/// a block mapping of key name to its `lastUsedAt` and, when known, `lastUsedFrom`; `{}`
/// when there is no record.
fn render(records: &BTreeMap<String, Usage>) -> String {
    if records.is_empty() {
        return "{}\n".to_string();
    }
    let mut text = String::with_capacity(records.len() * 64);
    for (name, u) in records {
        let at = render_flow(&Value::Time(u.last_used_at));
        text.push_str(&format!("{}:\n  lastUsedAt: {at}\n", render_scalar(name)));
        if let Some(from) = &u.last_used_from {
            text.push_str(&format!("  lastUsedFrom: {}\n", render_address(from)));
        }
    }
    text
}

/// A client's address as docs/FORMAT.md shows it: an IPv4 address plain (a dotted quad is
/// a string to every YAML reader, 1.1 or 1.2: no number, date or sexagesimal has three
/// dots), anything else as any scalar tokenctl writes (an IPv6 address of decimal groups
/// would be a YAML 1.1 sexagesimal integer, so it is quoted).
fn render_address(from: &str) -> String {
    if from.parse::<std::net::Ipv4Addr>().is_ok() {
        from.to_string()
    } else {
        render_scalar(from)
    }
}

/// Writes the usage records atomically (the caller holds the usage file's lock).
fn write(security: &Place, place: &Place, records: &BTreeMap<String, Usage>) -> Result<()> {
    let text = render(records);
    Staged::write(
        place,
        &[text.as_bytes()],
        &[security.name()],
        FileAttrs::default(),
    )?
    .commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        parse_timestamp(s).unwrap()
    }

    fn usage(when: &str, from: Option<&str>) -> Usage {
        Usage {
            last_used_at: at(when),
            last_used_from: from.map(str::to_string),
        }
    }

    /// The layout of docs/FORMAT.md's example, scalars as security.yml's (plain only where
    /// every reader agrees); libyaml reads the same records; hostile text reads back as it was.
    #[test]
    fn the_usage_file_is_written_as_security_yml_is_and_reads_back() {
        let mut records = BTreeMap::new();
        records.insert(
            "ci".into(),
            usage("2026-11-21T10:00:00Z", Some("2001:db8::1")),
        );
        records.insert(
            "web".into(),
            usage("2026-11-22T09:00:00Z", Some("203.0.113.7")),
        );
        records.insert(
            "db".into(),
            usage("2026-11-22T09:30:00Z", Some("1:2:3:4:5:6:7:8")),
        );
        records.insert("batch".into(), usage("2026-11-23T08:15:00Z", None));
        let text = render(&records);
        assert_eq!(
            text,
            "batch:\n  lastUsedAt: 2026-11-23T08:15:00Z\n\
             ci:\n  lastUsedAt: 2026-11-21T10:00:00Z\n  lastUsedFrom: \"2001:db8::1\"\n\
             db:\n  lastUsedAt: 2026-11-22T09:30:00Z\n  lastUsedFrom: \"1:2:3:4:5:6:7:8\"\n\
             web:\n  lastUsedAt: 2026-11-22T09:00:00Z\n  lastUsedFrom: 203.0.113.7\n"
        );
        let libyaml: BTreeMap<String, BTreeMap<String, String>> =
            serde_yaml::from_str(&text).unwrap();
        assert_eq!(libyaml["ci"]["lastUsedFrom"], "2001:db8::1");
        assert_eq!(libyaml["web"]["lastUsedFrom"], "203.0.113.7");
        assert_eq!(libyaml["batch"]["lastUsedAt"], "2026-11-23T08:15:00Z");
        assert_eq!(render(&BTreeMap::new()), "{}\n");

        records.insert(
            "x".into(),
            usage(
                "2026-11-24T00:00:00Z",
                Some("\u{1b}]52;c;aGVsbG8=\u{7}: #\n'\""),
            ),
        );
        let back = parse(Path::new("security.usage.yml"), &render(&records)).unwrap();
        assert_eq!(back, (records, 0));
    }
}
