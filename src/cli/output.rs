//! Rendering data for stdout: tables for people, JSON and YAML for programs. Field names in
//! JSON/YAML are stable (README, "Output formats"); tables may change.

use crate::error::stdout_error;
use crate::error::{Error, Result};
use crate::time::humanize;
use crate::view::KeyView;
use comfy_table::{Cell, Color, ContentArrangement, Table, presets};
use jiff::Timestamp;
use serde::Serialize;
use std::io::Write;

/// `--format`: how data is printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table fitted to the terminal (list drops or wraps columns when narrow).
    Table,
    /// A table with every column, never narrowed.
    Wide,
    Json,
    Yaml,
    /// Markdown, for a pull-request comment (`diff` only).
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
/// `--color`.
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// A command's data with what the policy warned of (under `enforcement: warn`), as a
/// `warnings` array of lines beside the data's own fields (left out when there are none).
#[derive(Serialize)]
pub(crate) struct Warned<T: Serialize> {
    #[serde(flatten)]
    pub view: T,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "violation_lines"
    )]
    pub warnings: Vec<crate::model::PolicyViolation>,
}

fn violation_lines<S: serde::Serializer>(
    warnings: &[crate::model::PolicyViolation],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(warnings.iter().map(crate::model::PolicyViolation::message))
}

/// Writes `value` as JSON (pretty, newline-terminated) or YAML.
pub(crate) fn write_data<T: Serialize>(
    out: &mut dyn Write,
    format: Format,
    value: &T,
) -> Result<()> {
    // Streamed, not built as one string: `list` of 100,000 keys is tens of megabytes of JSON.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    match format {
        Format::Yaml => {
            yaml_serde::to_writer(&mut out, value).map_err(|e| Error::Other(e.to_string()))?
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

/// Standard output for a read-only command's data. A reader that stops reading (`list |
/// head`, `-o json | head -c100`) ends the output quietly, as ripgrep's does, instead of an
/// error and exit 1 that fail a `bash -eo pipefail` step; the command still runs to its
/// verdict (check's 7, verify's 4, scan's 10). Never for a new secret: its delivery must fail
/// loudly, before the file is replaced.
pub(crate) fn data_out() -> DataOut {
    DataOut {
        inner: std::io::stdout().lock(),
        gone: false,
    }
}

/// See [`data_out`].
pub(crate) struct DataOut {
    inner: std::io::StdoutLock<'static>,
    /// The reader has gone (EPIPE): the rest is dropped.
    gone: bool,
}

impl DataOut {
    fn quiet_on_pipe<T>(&mut self, r: std::io::Result<T>, gone: T) -> std::io::Result<T> {
        match r {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.gone = true;
                Ok(gone)
            }
            r => r,
        }
    }
}

impl Write for DataOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.gone {
            return Ok(buf.len());
        }
        let r = self.inner.write(buf);
        self.quiet_on_pipe(r, buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.gone {
            return Ok(());
        }
        let r = self.inner.flush();
        self.quiet_on_pipe(r, ())
    }
}

/// A table in the style of kubectl and gh: no borders, colour only when asked for.
pub(crate) fn table(header: &[&str], color: bool) -> Table {
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
pub(crate) fn terminal_width() -> Option<u16> {
    if let Some(w) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|w| *w > 0)
    {
        return Some(w);
    }
    terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0)
}

/// How a column of a table gives way when the terminal is narrow: at which step, counting
/// from 1, it is dropped or starts to wrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Narrowing {
    /// Keeps its width whatever happens.
    Keep,
    /// Dropped at this step.
    Drop(u8),
    /// Wraps from this step on, into whatever width the others leave (never below 8
    /// columns or its header's width).
    Wrap(u8),
    /// Wraps from this step on, and is dropped only when nothing else makes the table fit
    /// (a terminal too narrow for even the wrapped columns' headers).
    WrapOrDrop(u8),
}

/// Fits `t` into `width` columns. When the whole table fits, nothing changes; otherwise the
/// steps of `narrowing` are taken in order, dropping or wrapping columns, until it fits, and the
/// wrapping columns then share all the width the others leave (wrapping no more than they
/// must). A column wraps only between words (`dns:read, domains:read` after the comma),
/// never inside one. Without a width (stdout not a terminal, `-o wide`), lines are never
/// wrapped. Returns the columns dropped, by index, for the note that says so.
pub(crate) fn fit(t: &mut Table, width: Option<u16>, narrowing: &[Narrowing]) -> Vec<usize> {
    use comfy_table::{ColumnConstraint, Width};
    let Some(width) = width else {
        t.set_content_arrangement(ContentArrangement::Disabled);
        return Vec::new();
    };
    let width = usize::from(width);
    // Padding of one space on each side of a column.
    const PAD: usize = 2;
    const MIN_WRAP: usize = 8;
    let widest = |i: usize| -> usize {
        t.column_cells_with_header_iter(i)
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
    };
    // The longest word of a column: it wraps between words only.
    let longest_word = |i: usize| -> usize {
        t.column_cells_with_header_iter(i)
            .flatten()
            .flat_map(|c| {
                c.content()
                    .split_whitespace()
                    .map(|w| w.chars().count())
                    .collect::<Vec<_>>()
            })
            .max()
            .unwrap_or(0)
    };
    let natural: Vec<usize> = (0..narrowing.len()).map(|i| PAD + widest(i)).collect();
    // A wrapping column is at least as wide as its longest word (it wraps between words) and
    // its header. Where nothing else makes the table fit, words break after all, in the
    // column with the longest first (a long NAME before a scope), then headers too.
    let header_width = |i: usize| {
        t.header()
            .and_then(|h| h.cell_iter().nth(i))
            .map_or(0, |c| c.content().chars().count())
    };
    let words: Vec<usize> = (0..narrowing.len()).map(longest_word).collect();
    let narrowest_for = |whole_words: &[bool], headers: bool| -> Vec<usize> {
        (0..narrowing.len())
            .map(|i| {
                let header = if headers { header_width(i) } else { 0 };
                let word = if whole_words[i] { words[i] } else { 0 };
                natural[i].min(MIN_WRAP.max(header).max(word) + PAD)
            })
            .collect()
    };
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Whole,
        Wrapping,
        Hidden,
    }
    let total = |state: &[State], narrowest: &[usize]| -> usize {
        (0..narrowing.len())
            .map(|i| match state[i] {
                State::Whole => natural[i],
                State::Wrapping => narrowest[i],
                State::Hidden => 0,
            })
            .sum()
    };
    let last = narrowing
        .iter()
        .filter_map(|g| match g {
            Narrowing::Drop(n) | Narrowing::Wrap(n) | Narrowing::WrapOrDrop(n) => Some(*n),
            Narrowing::Keep => None,
        })
        .max()
        .unwrap_or(0);
    let steps = |narrowest: &[usize]| -> Vec<State> {
        let mut state = vec![State::Whole; narrowing.len()];
        for step in 1..=last {
            if total(&state, narrowest) <= width {
                break;
            }
            for (i, g) in narrowing.iter().enumerate() {
                match g {
                    Narrowing::Drop(n) if *n == step => state[i] = State::Hidden,
                    Narrowing::Wrap(n) | Narrowing::WrapOrDrop(n) if *n == step => {
                        state[i] = State::Wrapping
                    }
                    _ => {}
                }
            }
        }
        state
    };
    let mut whole_words = vec![true; narrowing.len()];
    let mut by_word: Vec<usize> = (0..narrowing.len()).collect();
    by_word.sort_by_key(|&i| std::cmp::Reverse(words[i]));
    let mut narrowest = narrowest_for(&whole_words, true);
    let mut state = steps(&narrowest);
    for &i in &by_word {
        if total(&state, &narrowest) <= width {
            break;
        }
        whole_words[i] = false;
        narrowest = narrowest_for(&whole_words, true);
        state = steps(&narrowest);
    }
    if total(&state, &narrowest) > width {
        for (i, g) in narrowing.iter().enumerate() {
            if matches!(g, Narrowing::WrapOrDrop(_)) {
                state[i] = State::Hidden;
            }
        }
    }
    if total(&state, &narrowest) > width {
        // Headers break too: the last resort.
        narrowest = narrowest_for(&whole_words, false);
    }
    // What the wrapping columns share: everything the others leave. The narrowest takes its
    // whole width when it can, and each hands what it leaves evenly to the rest.
    let wrapping: Vec<usize> = (0..narrowing.len())
        .filter(|&i| state[i] == State::Wrapping)
        .collect();
    let mut room = width.saturating_sub(
        (0..narrowing.len())
            .filter(|&i| state[i] == State::Whole)
            .map(|i| natural[i])
            .sum(),
    );
    // Each wrapping column has its narrowest width first; what is left over goes to those
    // that want more, the least hungry first, evenly.
    let mut share: Vec<usize> = narrowest.clone();
    room = room.saturating_sub(wrapping.iter().map(|&i| narrowest[i]).sum());
    let mut by_want = wrapping.clone();
    by_want.sort_by_key(|&i| natural[i] - narrowest[i]);
    for (n, &i) in by_want.iter().enumerate() {
        // Rounded up: a column or two left over must not be lost to integer division.
        let even = room.div_ceil(by_want.len() - n);
        let more = (natural[i] - narrowest[i]).min(even);
        share[i] += more;
        room -= more;
    }
    for i in 0..narrowing.len() {
        let Some(col) = t.column_mut(i) else { continue };
        let w = match state[i] {
            State::Hidden => {
                col.set_constraint(ColumnConstraint::Hidden);
                continue;
            }
            State::Wrapping => share[i],
            State::Whole => natural[i],
        };
        col.set_constraint(ColumnConstraint::Absolute(Width::Fixed(
            w.min(usize::from(u16::MAX)) as u16,
        )));
    }
    t.set_width(width.min(usize::from(u16::MAX)) as u16);
    (0..narrowing.len())
        .filter(|&i| state[i] == State::Hidden)
        .collect()
}

/// What restricts a key beyond its permissions, in a word each: so that `*` on a key
/// limited to one address range does not read as unrestricted.
pub(crate) fn limits(ip: bool, path: bool, resources: bool) -> &'static str {
    match (ip, path, resources) {
        (false, false, false) => "-",
        (true, false, false) => "ip",
        (false, true, false) => "path",
        (false, false, true) => "resources",
        (true, true, false) => "ip, path",
        (true, false, true) => "ip, resources",
        (false, true, true) => "path, resources",
        (true, true, true) => "ip, path, resources",
    }
}

/// When a key expires, relative to now, as `list` and `show` both say it: "in 90 days",
/// "expired 2 days ago", "never".
pub(crate) fn relative_expiry(expires_at: Option<Timestamp>, now: Timestamp) -> String {
    match expires_at {
        None => "never".into(),
        Some(t) if t <= now => format!("expired {}", humanize(t, now)),
        Some(t) => humanize(t, now),
    }
}

/// The headers of the list table, TENANT first with `--all-tenants`.
pub(crate) fn key_header(tenants: bool) -> Vec<&'static str> {
    let mut header = vec![
        "NAME",
        "STATUS",
        "PERMISSIONS",
        "LIMITS",
        "EXPIRES",
        "LAST USED",
        "CREATED",
        "FINGERPRINT",
    ];
    if tenants {
        header.insert(0, "TENANT");
    }
    header
}

/// What one row of the list table says of a key, borrowed from a key or a [`KeyView`].
pub(crate) struct KeyRow<'a> {
    pub name: &'a str,
    pub shared: bool,
    pub status: &'static str,
    pub permissions: &'a [String],
    /// allowedIps, pathPrefix, resources: whether each is set.
    pub limits: (bool, bool, bool),
    pub expires_at: Option<Timestamp>,
    /// The last use: its time, or the text of one that does not read as a time.
    pub last_used: Option<std::result::Result<Timestamp, &'a str>>,
    /// The creation time as the file writes it.
    pub created_at: Option<&'a str>,
    pub fingerprint: &'a str,
}

impl<'a> KeyRow<'a> {
    /// The row of a [`KeyView`] (`list --all-tenants`).
    pub(crate) fn of_view(v: &'a KeyView) -> Self {
        KeyRow {
            name: &v.name,
            shared: !v.shares_secret_with.is_empty(),
            status: v.status,
            permissions: &v.permissions,
            limits: (
                v.allowed_ips.is_some(),
                v.path_prefix.is_some(),
                v.resources.is_some(),
            ),
            expires_at: v
                .expires_at
                .as_deref()
                .and_then(|e| crate::time::parse_timestamp(e).ok()),
            last_used: v
                .last_used_at
                .as_deref()
                .map(|l| crate::time::parse_timestamp(l).map_err(|_| l)),
            created_at: v.created_at.as_deref(),
            fingerprint: &v.fingerprint,
        }
    }
}

/// The cells of a table, kept as one text with the end of each cell: the 100,000 rows of
/// `list` cost a few bytes each beyond their text, not eight `String`s. Cells are single-line
/// (names, scopes, dates) and shown through [`crate::text::visible`].
pub(crate) struct Rows {
    header: Vec<&'static str>,
    text: String,
    ends: Vec<u32>,
    /// The widest cell of each column (the header's included), in characters.
    widths: Vec<usize>,
    /// Each row's status and whether its name is marked as sharing a secret, for colour.
    styles: Vec<(&'static str, bool)>,
}

impl Rows {
    pub(crate) fn new(header: Vec<&'static str>) -> Self {
        Rows {
            widths: header.iter().map(|h| h.chars().count()).collect(),
            header,
            text: String::new(),
            ends: Vec::new(),
            styles: Vec::new(),
        }
    }

    fn cols(&self) -> usize {
        self.header.len()
    }

    fn cell(&self, row: usize, col: usize) -> &str {
        let n = row * self.cols() + col;
        let start = if n == 0 { 0 } else { self.ends[n - 1] as usize };
        &self.text[start..self.ends[n] as usize]
    }

    /// Room for `rows` more rows of about `bytes` bytes each.
    pub(crate) fn reserve(&mut self, rows: usize, bytes: usize) {
        self.text.reserve(rows * bytes);
        self.ends.reserve(rows * self.cols());
        self.styles.reserve(rows);
    }

    fn push_cell(&mut self, text: &str) {
        let col = self.ends.len() % self.cols();
        let text = crate::text::visible(text);
        self.widths[col] = self.widths[col].max(width(&text));
        self.text.push_str(&text);
        self.ends
            .push(u32::try_from(self.text.len()).expect("a table under 4 GiB"));
    }

    /// A row of cells as they are (tests, and tables other than the list's).
    #[cfg(test)]
    fn push(&mut self, cells: &[&str]) {
        self.push_row(cells.iter().copied());
        self.styles.push(("active", false));
    }

    /// A key's row: the tenant (with --all-tenants), then the key's columns. `scratch` is
    /// any two Strings, reused from row to row.
    pub(crate) fn push_key(
        &mut self,
        k: &KeyRow,
        tenant: Option<&str>,
        now: Timestamp,
        scratch: &mut [String; 2],
    ) {
        let [name, perms] = scratch;
        // A secret shared with another key is rejected as ambiguous: the name says so.
        let name = if k.shared {
            name.clear();
            name.push_str(k.name);
            name.push_str(" (shared secret)");
            name.as_str()
        } else {
            k.name
        };
        let perms = if k.permissions.is_empty() {
            "-"
        } else {
            perms.clear();
            for (i, p) in k.permissions.iter().enumerate() {
                if i > 0 {
                    perms.push_str(", ");
                }
                perms.push_str(p);
            }
            perms.as_str()
        };
        let expires = relative_expiry(k.expires_at, now);
        let last_used = match k.last_used {
            Some(Ok(t)) => std::borrow::Cow::Owned(humanize(t, now)),
            Some(Err(text)) => text.into(),
            None => "never".into(),
        };
        let cells = [
            name,
            k.status,
            perms,
            limits(k.limits.0, k.limits.1, k.limits.2),
            &expires,
            &last_used,
            k.created_at.map_or("-", |c| &c[..c.len().min(10)]),
            k.fingerprint,
        ];
        self.push_row(tenant.into_iter().chain(cells));
        self.styles.push((k.status, k.shared));
    }

    /// A row's cells. A row of printable ASCII, the usual one, is checked once as a whole
    /// and its cells' widths are their lengths; any other goes cell by cell through
    /// [`Rows::push_cell`].
    fn push_row<'c>(&mut self, cells: impl Iterator<Item = &'c str> + Clone) {
        let (start, first) = (self.text.len(), self.ends.len());
        for c in cells.clone() {
            self.text.push_str(c);
            self.ends
                .push(u32::try_from(self.text.len()).expect("a table under 4 GiB"));
        }
        let printable = self.text.as_bytes()[start..]
            .iter()
            .fold(true, |ok, b| ok & (0x20..0x7f).contains(b));
        if printable {
            let mut from = start;
            for (w, &end) in self.widths.iter_mut().zip(&self.ends[first..]) {
                *w = (*w).max(end as usize - from);
                from = end as usize;
            }
        } else {
            self.text.truncate(start);
            self.ends.truncate(first);
            for c in cells {
                self.push_cell(c);
            }
        }
    }

    /// The same text as [`table`] without colour, unfitted, then `trim_fmt` (one space either
    /// side of each left-aligned cell, trailing spaces trimmed), written directly: comfy-table
    /// takes seconds and hundreds of megabytes for 100,000 rows in a pipe.
    fn write_plain(&self, out: &mut dyn Write) -> std::io::Result<()> {
        const SPACES: &[u8] = &[b' '; 256];
        let mut buf = Vec::with_capacity(72 * 1024);
        let mut push_line =
            |cells: &mut dyn Iterator<Item = &str>, buf: &mut Vec<u8>| -> std::io::Result<()> {
                for (cell, w) in cells.zip(&self.widths) {
                    buf.push(b' ');
                    buf.extend_from_slice(cell.as_bytes());
                    let mut pad = w + 1 - width(cell);
                    while pad > 0 {
                        let n = pad.min(SPACES.len());
                        buf.extend_from_slice(&SPACES[..n]);
                        pad -= n;
                    }
                }
                let end = buf.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
                buf.truncate(end);
                buf.push(b'\n');
                if buf.len() >= 64 * 1024 {
                    out.write_all(buf)?;
                    buf.clear();
                }
                Ok(())
            };
        push_line(&mut self.header.iter().copied(), &mut buf)?;
        let mut from = 0;
        for row in self.ends.chunks(self.cols()) {
            push_line(
                &mut row.iter().map(|&end| {
                    let cell = &self.text[from..end as usize];
                    from = end as usize;
                    cell
                }),
                &mut buf,
            )?;
        }
        out.write_all(&buf)
    }
}

/// The width of a single-line cell: its count of characters.
fn width(cell: &str) -> usize {
    if cell.is_ascii() {
        cell.len()
    } else {
        cell.chars().count()
    }
}

/// Writes the list table to `out`: the most useful columns first; styled rows for disabled
/// (dim) and expired (red) keys when colour is on, and the same facts in words in STATUS
/// when not. `tenants`: the rows start with a TENANT column (`list --all-tenants`). `wide`
/// (`-o wide`): every column, whatever the width. Returns the headers of the columns a
/// narrow terminal left out (for a note on stderr).
pub(crate) fn key_table(
    rows: &Rows,
    tenants: bool,
    color: bool,
    wide: bool,
    out: &mut dyn Write,
) -> Result<Vec<&'static str>> {
    let width = if wide { None } else { terminal_width() };
    if width.is_none() && !color {
        rows.write_plain(out).map_err(stdout_error)?;
        return Ok(Vec::new());
    }
    let mut t = table(&rows.header, color);
    let name_col = usize::from(tenants);
    for (r, &(status, shared)) in rows.styles.iter().enumerate() {
        let cells: Vec<Cell> = (0..rows.cols())
            .map(|i| {
                let cell = Cell::new(rows.cell(r, i));
                // The tenant is not styled; i counts the key's own columns from NAME.
                let Some(i) = i.checked_sub(name_col).filter(|_| color) else {
                    return cell;
                };
                match (status, i) {
                    ("expired", _) => cell.fg(Color::Red),
                    ("disabled", _) => cell.add_attribute(comfy_table::Attribute::Dim),
                    (_, 0) if shared => cell.fg(Color::Red),
                    ("expiring", 1 | 4) => cell.fg(Color::Yellow),
                    _ => cell,
                }
            })
            .collect();
        t.add_row(cells);
    }
    // Narrower terminals: FINGERPRINT, then CREATED, go; PERMISSIONS wraps; LAST USED (the
    // order of the rows, dropped only where even the headers would not fit, under about 45
    // columns) and EXPIRES wrap; then NAME (a name is best copied whole); LIMITS and STATUS
    // go last. TENANT, when there, stays.
    let narrowing = [
        Narrowing::Wrap(6),
        Narrowing::Drop(8),
        Narrowing::Wrap(3),
        Narrowing::Drop(7),
        Narrowing::Wrap(5),
        Narrowing::WrapOrDrop(4),
        Narrowing::Drop(2),
        Narrowing::Drop(1),
    ];
    let narrowing: Vec<Narrowing> = tenants
        .then_some(Narrowing::Keep)
        .into_iter()
        .chain(narrowing)
        .collect();
    let hidden = fit(&mut t, width, &narrowing)
        .into_iter()
        .map(|i| rows.header[i])
        .collect();
    let mut s = t.trim_fmt();
    s.push('\n');
    out.write_all(s.as_bytes()).map_err(stdout_error)?;
    Ok(hidden)
}

/// The note under a table that a narrow terminal left columns out of.
pub(crate) fn hidden_note(hidden: &[&str]) -> Option<String> {
    match hidden {
        [] => None,
        [one] => Some(format!(
            "1 column hidden ({one}) to fit the terminal; -o wide or -o json shows every column"
        )),
        many => Some(format!(
            "{} columns hidden ({}) to fit the terminal; -o wide or -o json shows every column",
            many.len(),
            many.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_table_is_what_comfy_table_prints_unfitted() {
        let header = vec!["TENANT", "NAME", "PERMISSIONS", "EXPIRES"];
        let rows = [
            ["acme", "ci-deploy", "dns:write, domains:read", "never"],
            ["a-much-longer-tenant", "x", "-", "in 3 months"],
            [
                "b",
                "a.name_with-all.chars (shared secret) \u{e9}",
                "*",
                "expired 2 days ago",
            ],
            ["c", "evil\u{1b}[2Jname", "dns:\u{202e}read", "\t"],
        ];
        let mut t = table(&header, false);
        let mut ours = Rows::new(header.clone());
        for r in &rows {
            // Control characters are shown as escapes, and measured so.
            t.add_row(r.map(|c| crate::text::visible(c).into_owned()));
            ours.push(r);
        }
        t.set_content_arrangement(ContentArrangement::Disabled);
        let mut written = Vec::new();
        ours.write_plain(&mut written).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), t.trim_fmt() + "\n");
        let mut empty = table(&header, false);
        empty.set_content_arrangement(ContentArrangement::Disabled);
        let mut written = Vec::new();
        Rows::new(header).write_plain(&mut written).unwrap();
        assert_eq!(String::from_utf8(written).unwrap(), empty.trim_fmt() + "\n");
    }

    #[test]
    fn limits_name_each_restriction() {
        for (ip, path, res) in (0..8).map(|n| (n & 1 != 0, n & 2 != 0, n & 4 != 0)) {
            let mut words = Vec::new();
            if ip {
                words.push("ip");
            }
            if path {
                words.push("path");
            }
            if res {
                words.push("resources");
            }
            let want = if words.is_empty() {
                "-".to_string()
            } else {
                words.join(", ")
            };
            assert_eq!(limits(ip, path, res), want);
        }
    }
}
