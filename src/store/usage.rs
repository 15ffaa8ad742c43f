//! Usage records in `security.usage.yml` (SPEC.md, "Usage records"): last use of each key,
//! kept apart from security.yml so recording use never churns a GitOps repo.

use super::{Lock, read_text, write_atomic};
use crate::error::{Error, Result};
use crate::time::{format_timestamp, parse_timestamp};
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

#[derive(serde::Serialize, serde::Deserialize)]
struct Raw {
    #[serde(rename = "lastUsedAt")]
    last_used_at: String,
    #[serde(
        rename = "lastUsedFrom",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    last_used_from: Option<String>,
}

/// Reads the usage file; missing means no records. Entries of the wrong shape are skipped,
/// since a server's bad write must not stop the keys from being listed.
pub fn read(path: &Path) -> Result<BTreeMap<String, Usage>> {
    let Some(text) = read_text(path)? else {
        return Ok(BTreeMap::new());
    };
    parse(path, &text)
}

fn parse(path: &Path, text: &str) -> Result<BTreeMap<String, Usage>> {
    if text.trim().is_empty() {
        return Ok(BTreeMap::new());
    }
    // Parsed loosely, entry by entry: one entry of the wrong shape is skipped, not fatal.
    let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| match e.location() {
        Some(l) => Error::Syntax {
            path: path.to_path_buf(),
            line: l.line(),
            column: l.column(),
            message: e.to_string(),
        },
        None => Error::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        },
    })?;
    let map = match value {
        serde_yaml::Value::Mapping(m) => m,
        serde_yaml::Value::Null => return Ok(BTreeMap::new()),
        _ => {
            return Err(Error::Invalid {
                path: path.to_path_buf(),
                message: "is not a mapping of key name to lastUsedAt/lastUsedFrom".into(),
            });
        }
    };
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| {
            let name = k.as_str()?.to_string();
            let raw: Raw = serde_yaml::from_value(v).ok()?;
            let t = parse_timestamp(&raw.last_used_at).ok()?;
            Some((
                name,
                Usage {
                    last_used_at: t,
                    last_used_from: raw.last_used_from,
                },
            ))
        })
        .collect())
}

/// Reads the usage records for `list` and `show`. A broken usage file (a server's bad write)
/// must not hide the keys: it is reported on stderr and the keys are shown without usage.
pub fn read_or_warn(path: &Path) -> BTreeMap<String, Usage> {
    read(path).unwrap_or_else(|e| {
        eprintln!("warning: ignoring usage records: {e}");
        BTreeMap::new()
    })
}

/// Records a use of `name`, under the usage file's own lock, written atomically.
pub fn record(path: &Path, name: &str, usage: Usage, timeout: Duration) -> Result<()> {
    let _lock = Lock::acquire(path, timeout)?;
    let mut records = read(path)?;
    records.insert(name.to_string(), usage);
    let raw: BTreeMap<&str, Raw> = records
        .iter()
        .map(|(k, u)| {
            (
                k.as_str(),
                Raw {
                    last_used_at: format_timestamp(u.last_used_at),
                    last_used_from: u.last_used_from.clone(),
                },
            )
        })
        .collect();
    let text = serde_yaml::to_string(&raw).map_err(|e| Error::Other(e.to_string()))?;
    write_atomic(path, text.as_bytes())
}
