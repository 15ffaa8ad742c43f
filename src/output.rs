//! Rendering data for stdout: tables for people, JSON and YAML for programs. Field names in
//! JSON/YAML are stable (README, "Output formats"); tables may change.

use crate::cli::Format;
use crate::error::{Error, Result};
use crate::model::ApiKey;
use crate::store::usage::Usage;
use crate::time::{format_timestamp, humanize};
use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use jiff::Timestamp;
use serde::Serialize;
use std::io::Write;

/// Keys expiring within this are marked "expiring" in lists.
pub const SOON_SECS: i64 = 7 * 86_400;

/// What `list` and `show` print for one key. Never a hash or a secret.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    pub name: String,
    pub fingerprint: String,
    pub description: Option<String>,
    pub enabled: bool,
    /// "active", "disabled", "expired" or "expiring" (within 7 days).
    pub status: &'static str,
    pub permissions: Vec<String>,
    pub created_at: Option<String>,
    pub expires_at: Option<String>,
    pub expired: bool,
    pub allowed_ips: Option<Vec<String>>,
    pub path_prefix: Option<String>,
    pub resources: Option<Vec<String>>,
    pub last_used_at: Option<String>,
    pub last_used_from: Option<String>,
    pub previous_secrets: Vec<PreviousView>,
    /// Other keys with one of this key's hashes (the first 10): that token is refused as
    /// ambiguous.
    pub shares_secret_with: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviousView {
    pub fingerprint: String,
    pub expires_at: String,
}

impl KeyView {
    pub fn new(key: &ApiKey, usage: Option<&Usage>, now: Timestamp) -> Self {
        let expired = key.is_expired(now);
        let soon = key
            .expires_at
            .is_some_and(|t| t.as_second() - now.as_second() <= SOON_SECS);
        KeyView {
            name: key.name.clone(),
            fingerprint: key.fingerprint(),
            description: key.description.clone(),
            enabled: key.enabled,
            status: if expired {
                "expired"
            } else if !key.enabled {
                "disabled"
            } else if soon {
                "expiring"
            } else {
                "active"
            },
            permissions: key.permissions.clone(),
            created_at: key.created_at.map(format_timestamp),
            expires_at: key.expires_at.map(format_timestamp),
            expired,
            allowed_ips: key
                .allowed_ips
                .as_ref()
                .map(|v| v.iter().map(|n| n.to_string()).collect()),
            path_prefix: key.path_prefix.clone(),
            resources: key.resources.clone(),
            last_used_at: usage.map(|u| format_timestamp(u.last_used_at)),
            last_used_from: usage.and_then(|u| u.last_used_from.clone()),
            previous_secrets: key
                .previous_hashes
                .iter()
                .filter(|p| p.expires_at > now)
                .map(|p| PreviousView {
                    fingerprint: p.hash.fingerprint(),
                    expires_at: format_timestamp(p.expires_at),
                })
                .collect(),
            shares_secret_with: Vec::new(),
        }
    }

    /// Sets [`KeyView::shares_secret_with`] from [`crate::verify::shared_secrets`].
    pub fn with_shared(mut self, shared: &std::collections::HashMap<&str, Vec<&str>>) -> Self {
        if let Some(others) = shared.get(self.name.as_str()) {
            self.shares_secret_with = others.iter().map(|s| s.to_string()).collect();
        }
        self
    }
}

/// The warning `list` and `show` print for keys that share a secret, or `None`. It names
/// at most [`crate::verify::MAX_NAMED`] keys.
pub fn shared_warning(views: &[KeyView]) -> Option<String> {
    let shared: Vec<&KeyView> = views
        .iter()
        .filter(|v| !v.shares_secret_with.is_empty())
        .collect();
    if shared.is_empty() {
        return None;
    }
    let mut keys: Vec<String> = shared
        .iter()
        .take(crate::verify::MAX_NAMED)
        .map(|v| {
            format!(
                "'{}' (with '{}')",
                v.name,
                v.shares_secret_with.join("', '")
            )
        })
        .collect();
    if shared.len() > crate::verify::MAX_NAMED {
        keys.push(format!("{} more", shared.len() - crate::verify::MAX_NAMED));
    }
    Some(format!(
        "warning: keys share a secret, so it is refused as ambiguous for all of them: {}; \
         rotate all but one of each group (without --grace)",
        keys.join(", ")
    ))
}

/// Writes `value` as JSON (pretty, newline-terminated) or YAML.
pub fn write_data<T: Serialize>(out: &mut dyn Write, format: Format, value: &T) -> Result<()> {
    // Streamed, not built as one string: `list` of 100,000 keys is tens of megabytes of JSON.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    match format {
        Format::Yaml => {
            serde_yaml::to_writer(&mut out, value).map_err(|e| Error::Other(e.to_string()))?
        }
        _ => {
            serde_json::to_writer_pretty(&mut out, value).map_err(|e| {
                if e.is_io() {
                    stdout_error(e.into())
                } else {
                    Error::Other(e.to_string())
                }
            })?;
            out.write_all(b"\n").map_err(stdout_error)?;
        }
    }
    out.flush().map_err(stdout_error)
}

pub fn stdout_error(e: std::io::Error) -> Error {
    Error::io("<stdout>", "writing", e)
}

/// A table in the style of kubectl and gh: no borders, colour only when asked for.
pub fn table(header: &[&str], color: bool) -> Table {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t.set_header(header.iter().map(|h| {
        let c = Cell::new(h);
        if color {
            c.add_attribute(comfy_table::Attribute::Bold)
        } else {
            c
        }
    }));
    if !color {
        t.force_no_tty();
    } else {
        t.enforce_styling();
    }
    t
}

/// The width to fit tables to: `COLUMNS` when set, else the terminal's; none (no
/// wrapping) when stdout is not a terminal, so that piped output keeps whole lines.
pub fn terminal_width() -> Option<u16> {
    if let Some(w) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|w| *w > 0)
    {
        return Some(w);
    }
    terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0)
}

/// Fits `t` into `width` columns: short columns keep their width, the `wrap` columns
/// (free text) share what is left, and when even that does not fit, the columns in
/// `hide` are dropped in that order (least useful first).
pub fn fit(t: &mut Table, width: Option<u16>, wrap: &[usize], hide: &[usize]) {
    use comfy_table::{ColumnConstraint, Width};
    let Some(width) = width else {
        t.set_content_arrangement(ContentArrangement::Disabled);
        return;
    };
    // Padding of one space on each side of a column.
    const PAD: usize = 2;
    const MIN_WRAP: usize = 10;
    let content: Vec<usize> = t
        .column_iter()
        .enumerate()
        .map(|(i, _)| {
            let cells = t.column_cells_with_header_iter(i);
            cells
                .flatten()
                .map(|c| {
                    c.content()
                        .lines()
                        .map(|l| l.chars().count())
                        .max()
                        .unwrap_or(0)
                })
                .max()
                .unwrap_or(0)
        })
        .collect();
    let need = |hidden: &[usize]| -> usize {
        content
            .iter()
            .enumerate()
            .filter(|(i, _)| !hidden.contains(i))
            .map(|(i, w)| {
                PAD + if wrap.contains(&i) {
                    (*w).min(MIN_WRAP)
                } else {
                    *w
                }
            })
            .sum()
    };
    let mut hidden: Vec<usize> = Vec::new();
    for h in hide {
        if need(&hidden) <= usize::from(width) {
            break;
        }
        hidden.push(*h);
    }
    for (i, w) in content.iter().enumerate() {
        let Some(col) = t.column_mut(i) else { continue };
        if hidden.contains(&i) {
            col.set_constraint(ColumnConstraint::Hidden);
        } else if !wrap.contains(&i) {
            col.set_constraint(ColumnConstraint::Absolute(Width::Fixed(
                (*w + PAD).min(usize::from(u16::MAX)) as u16,
            )));
        }
    }
    t.set_width(width);
}

/// The list table.
pub fn key_table(views: &[KeyView], now: Timestamp, color: bool) -> String {
    let mut t = table(
        &[
            "NAME",
            "FINGERPRINT",
            "ENABLED",
            "PERMISSIONS",
            "CREATED",
            "LAST USED",
            "EXPIRES",
        ],
        color,
    );
    for v in views {
        let expires = match (&v.expires_at, v.expired) {
            (_, true) => "expired".to_string(),
            (Some(e), false) => {
                let t = crate::time::parse_timestamp(e).unwrap_or(now);
                format!("{} ({})", &e[..10], humanize(t, now))
            }
            (None, _) => "never".to_string(),
        };
        let mut expires_cell = Cell::new(expires);
        if color {
            expires_cell = match v.status {
                "expired" => expires_cell.fg(Color::Red),
                "expiring" => expires_cell.fg(Color::Yellow),
                _ => expires_cell,
            };
        }
        let last_used = match &v.last_used_at {
            Some(l) => crate::time::parse_timestamp(l)
                .map(|t| humanize(t, now))
                .unwrap_or_else(|_| l.clone()),
            None => "never".to_string(),
        };
        let perms = if v.permissions.is_empty() {
            "-".to_string()
        } else {
            v.permissions.join(", ")
        };
        let name = if v.shares_secret_with.is_empty() {
            Cell::new(&v.name)
        } else {
            let cell = Cell::new(format!("{} (shared secret)", v.name));
            if color { cell.fg(Color::Red) } else { cell }
        };
        t.add_row(vec![
            name,
            Cell::new(&v.fingerprint),
            Cell::new(if v.enabled { "yes" } else { "no" }),
            Cell::new(perms),
            Cell::new(
                v.created_at
                    .as_deref()
                    .map_or("-", |c| &c[..c.len().min(10)]),
            ),
            Cell::new(last_used),
            expires_cell,
        ]);
    }
    // NAME and PERMISSIONS wrap; CREATED, FINGERPRINT, LAST USED and ENABLED give way in
    // that order when the terminal is narrow.
    fit(&mut t, terminal_width(), &[0, 3], &[4, 1, 5, 2]);
    let mut s = t.trim_fmt();
    s.push('\n');
    s
}
