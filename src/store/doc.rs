//! security.yml as text plus typed model plus the byte layout that lossless edits need.
//!
//! Loading reads the YAML tree (yaml.rs) into [`SecurityFile`] and records where each key and
//! field sits. Edits are splices at those positions: everything they are not about stays byte
//! for byte. Every edit is checked by loading the result again before it is written.

use super::yaml::{self, Kind, Node};
use crate::error::{Error, Result};
use crate::model::{self, ApiKey, PreviousHash, SecurityFile};
use crate::time::{format_timestamp, parse_timestamp};
use crate::token::TokenHash;
use jiff::Timestamp;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A problem found while loading, with its position when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// A loaded security.yml.
#[derive(Debug, Clone)]
pub struct Document {
    pub path: PathBuf,
    pub text: String,
    pub model: SecurityFile,
    layout: Layout,
}

#[derive(Debug, Clone, Default)]
struct Layout {
    root: Root,
    api: Option<ApiLayout>,
    /// Every entry of apiKeys, in file order.
    entries: Vec<EntryLayout>,
    /// For each key of the model, in the same order, its index in `entries`. (Indexes, not a
    /// map by name: the model already has one, and 100,000 names are worth not copying.)
    of_key: Vec<usize>,
    newline: &'static str,
    /// Indentation of top-level keys (usually 0).
    top_indent: usize,
    /// The top level's indentation cannot be told (it starts with `? key`).
    top_indent_unknown: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
enum Root {
    #[default]
    Empty,
    /// A document that is only a null value (`~`, `null`): nothing can be appended to it.
    Null,
    Block,
    Flow,
}

#[derive(Debug, Clone)]
struct ApiLayout {
    key_end: usize,
    value: ApiValue,
}

#[derive(Debug, Clone)]
enum ApiValue {
    Null { start: usize, end: usize },
    Block,
    Flow { end: usize },
}

#[derive(Debug, Clone)]
struct EntryLayout {
    key_start: usize,
    value_start: usize,
    value_end: usize,
    flow: bool,
    fields: Vec<FieldLayout>,
}

#[derive(Debug, Clone)]
struct FieldLayout {
    name: Cow<'static, str>,
    key_start: usize,
    key_end: usize,
    value_start: usize,
    value_end: usize,
    /// Indentation of the first `- ` when the value is a block list of scalars.
    block_list_indent: Option<usize>,
}

/// A new value for a field of a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
    List(Vec<String>),
    Time(Timestamp),
    Previous(Vec<PreviousHash>),
}

/// Fields of one key to set (`Some`) or remove (`None`).
pub type FieldChanges<'a> = Vec<(&'a str, Option<Value>)>;

/// The fields tokenctl owns, in the order a new entry is written.
pub const FIELDS: [&str; 10] = [
    "description",
    "enabled",
    "permissions",
    "hash",
    "createdAt",
    "expiresAt",
    "allowedIps",
    "pathPrefix",
    "resources",
    "previousHashes",
];

/// What a new file starts as.
pub const NEW_FILE: &str = "version: 1\napiKeys:\n";

impl Document {
    /// An empty document for a file that does not exist yet.
    pub fn empty(path: &Path) -> Self {
        Document {
            path: path.to_path_buf(),
            text: String::new(),
            model: SecurityFile::default(),
            layout: Layout {
                newline: "\n",
                ..Layout::default()
            },
        }
    }

    /// Loads text, failing on the first problem.
    pub fn load(path: &Path, text: String) -> Result<Self> {
        let (doc, problems) = Self::load_all(path, text)?;
        first_problem(path, problems)?;
        Ok(doc)
    }

    /// Loads text, collecting every problem (for `check`). Fails only on YAML syntax errors.
    pub fn load_all(path: &Path, text: String) -> Result<(Self, Vec<Problem>)> {
        let (model, layout, problems) = analyze(path, &text)?;
        Ok((
            Document {
                path: path.to_path_buf(),
                text,
                model,
                layout,
            },
            problems,
        ))
    }

    /// Reads `text` as [`Document::load`] does, failing on the first problem, without taking
    /// it: for a caller that still needs the text meanwhile. [`Loaded::into_document`] joins
    /// them.
    pub fn analyze(path: &Path, text: &str) -> Result<Loaded> {
        let (model, layout, problems) = analyze(path, text)?;
        first_problem(path, problems)?;
        Ok(Loaded { model, layout })
    }

    /// Checks that `new_text`, an edit of this document, reads back, by re-reading only the
    /// block-style apiKeys entries the edit touched: `None` when the edit is not of that shape
    /// (the caller then loads the whole new text). Reading one entry instead of the whole file
    /// is what makes a write on a large file cost one load, not two.
    ///
    /// Why a window is enough: everything before the window's first line and after its last
    /// line is byte for byte what loaded before; the window starts and ends on the line
    /// boundaries of whole entries, at the entries' indentation, so it cannot change how the
    /// text around it is read. The window itself is read as `apiKeys:` plus its lines.
    pub fn verify_local_edit(&self, new_text: &str) -> Option<Result<()>> {
        if !matches!(self.layout.api.as_ref()?.value, ApiValue::Block)
            || self.layout.entries.is_empty()
        {
            return None;
        }
        let (old, new) = (self.text.as_bytes(), new_text.as_bytes());
        let p = old.iter().zip(new).take_while(|(a, b)| a == b).count();
        let max_s = old.len().min(new.len()) - p;
        let s = old
            .iter()
            .rev()
            .zip(new.iter().rev())
            .take(max_s)
            .take_while(|(a, b)| a == b)
            .count();
        let (change_start, change_end) = (p, old.len() - s);
        let text = &self.text;
        let extent = |e: &EntryLayout| (line_start(text, e.key_start), line_end(text, e.value_end));
        // Entries in file order; the window is the run of those the change touches.
        let first = self
            .layout
            .entries
            .iter()
            .position(|e| extent(e).1 >= change_start)?;
        let last = self
            .layout
            .entries
            .iter()
            .rposition(|e| extent(e).0 <= change_end)?;
        if last < first {
            return None;
        }
        let (win_start, _) = extent(&self.layout.entries[first]);
        let (_, win_end) = extent(&self.layout.entries[last]);
        if win_start > change_start || win_end < change_end {
            return None;
        }
        let new_end = win_end + new.len() - old.len();
        let window = new_text.get(win_start..new_end)?;
        let indent = indent_of(text, self.layout.entries[first].key_start);
        // Every line of the window belongs to an entry: nothing at a lesser indentation.
        for line in window.split('\n') {
            let body = line.trim_start_matches(' ');
            if !body.trim().is_empty() && !body.starts_with('#') && line.len() - body.len() < indent
            {
                return None;
            }
        }
        if window.trim().is_empty() {
            return Some(Ok(()));
        }
        let nl = self.layout.newline;
        let standalone = format!("apiKeys:{nl}{window}");
        let Ok(doc) = Document::load(&self.path, standalone) else {
            // Anchors defined outside the window, say: let the whole text decide.
            return None;
        };
        if doc
            .layout
            .entries
            .iter()
            .any(|e| indent_of(&doc.text, e.key_start) != indent)
        {
            return None;
        }
        // A name in the window must not also be outside it.
        let inside: std::collections::HashSet<&str> = doc.model.names().collect();
        for (k, &entry) in self.model.keys.iter().zip(&self.layout.of_key) {
            if (entry < first || entry > last) && inside.contains(k.name.as_str()) {
                return Some(Err(Error::Other(format!(
                    "internal error: the edit would duplicate key '{}'",
                    k.name
                ))));
            }
        }
        Some(Ok(()))
    }

    /// Refuses to write a file of a newer version than this build knows.
    pub fn check_writable(&self) -> Result<()> {
        // Edits find lines by LF; in a file whose lines end in a bare CR (old Mac style) a
        // deletion would reach from the start of the file to its end.
        let bytes = self.text.as_bytes();
        if let Some(at) = bytes
            .iter()
            .enumerate()
            .position(|(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
        {
            let line = bytes[..at]
                .iter()
                .filter(|&&b| b == b'\n' || b == b'\r')
                .count()
                + 1;
            return Err(Error::Invalid {
                path: self.path.clone(),
                message: format!(
                    "line {line} ends in a bare CR (old Mac line endings); tokenctl changes only files with LF or CRLF line endings: convert it first"
                ),
            });
        }
        if let Some(v) = self.model.version {
            if v > model::VERSION {
                return Err(Error::Invalid {
                    path: self.path.clone(),
                    message: format!(
                        "version {v} is newer than this tokenctl understands (1); upgrade tokenctl to change this file"
                    ),
                });
            }
        }
        // A BOM is kept at the start; one further on is accepted by YAML only where no content
        // follows it, so appending a key after it would break the file.
        if let Some(at) = self
            .text
            .char_indices()
            .skip(1)
            .find(|&(_, c)| c == '\u{feff}')
            .map(|(i, _)| i)
        {
            let line = self.text[..at].matches('\n').count() + 1;
            return Err(Error::Invalid {
                path: self.path.clone(),
                message: format!(
                    "line {line} holds a byte order mark (U+FEFF) after the start of the file; remove it by hand first"
                ),
            });
        }
        if self.layout.root == Root::Null {
            return Err(Error::Invalid {
                path: self.path.clone(),
                message: "the file holds only a null value (~ or null); replace it with `apiKeys:` by hand first".into(),
            });
        }
        if self.layout.root == Root::Flow && self.layout.api.is_none() {
            return Err(Error::Invalid {
                path: self.path.clone(),
                message: "the top level is a flow mapping ({...}) without apiKeys; add `apiKeys: {}` to it by hand first".into(),
            });
        }
        Ok(())
    }

    /// Returns the text with `key` appended after the last key.
    pub fn with_new_key(&self, key: &ApiKey) -> Result<String> {
        self.with_new_keys(std::slice::from_ref(key))
    }

    /// Returns the text with `keys` appended, in order, after the last key.
    pub fn with_new_keys(&self, keys: &[ApiKey]) -> Result<String> {
        self.check_writable()?;
        self.check_can_add()?;
        Ok(apply_splices(&self.text, self.new_keys_splices(keys)))
    }

    /// Refuses to add `apiKeys:` to a top level whose indentation cannot be told.
    fn check_can_add(&self) -> Result<()> {
        // `apiKeys:` is appended at the end, which after a document end marker would start a
        // second document (found by fuzz/edit).
        let ends_document = |l: &str| {
            l.strip_prefix("...")
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r']))
        };
        if self.layout.api.is_none() && self.text.lines().any(ends_document) {
            return Err(Error::Invalid {
                path: self.path.clone(),
                message: "the file ends its YAML document with `...`; add `apiKeys:` above that line by hand first".into(),
            });
        }
        if self.layout.api.is_none() && self.layout.top_indent_unknown {
            return Err(Error::Invalid {
                path: self.path.clone(),
                message: "the top-level mapping starts with an explicit key (`? ...`), so tokenctl cannot tell its indentation; add `apiKeys:` to it by hand first".into(),
            });
        }
        Ok(())
    }

    fn new_keys_splices(&self, keys: &[ApiKey]) -> Vec<Splice> {
        let nl = self.layout.newline;
        let mut splices = Vec::new();
        if keys.is_empty() {
            return splices;
        }
        let entries = |indent: usize, field_indent: usize| -> String {
            keys.iter()
                .map(|k| render_entry(k, indent, field_indent, nl))
                .collect()
        };
        let text = &self.text;
        match &self.layout.api {
            None => {
                let mut out = String::new();
                if self.text.trim().is_empty() && self.text.is_empty() {
                    out.push_str(&NEW_FILE.replace('\n', nl));
                } else {
                    if !text.is_empty() && !text.ends_with('\n') {
                        out.push_str(nl);
                    }
                    out.push_str(&" ".repeat(self.layout.top_indent));
                    out.push_str("apiKeys:");
                    out.push_str(nl);
                }
                out.push_str(&entries(self.layout.top_indent + 2, 2));
                splices.push((text.len(), text.len(), out));
            }
            Some(api) => match &api.value {
                ApiValue::Null { start, end } => {
                    let colon = colon_after(text, api.key_end);
                    if end > start {
                        // The null itself goes; an anchor or tag before it stays.
                        let value = &text[colon + 1..*end];
                        let word = value
                            .trim_end()
                            .rfind(char::is_whitespace)
                            .map_or(0, |i| i + 1);
                        // A value that is only an anchor or tag (`&a`) keeps all of it.
                        let keep = if value.trim_end()[word..].starts_with(['&', '!']) {
                            value.trim_end().len()
                        } else {
                            value[..word].trim_end().len()
                        };
                        splices.push((colon + 1 + keep, *end, String::new()));
                    }
                    let at = line_end(text, *end.max(&colon));
                    let indent = self.layout.top_indent + 2;
                    splices.push((
                        at,
                        at,
                        newline_if_needed(text, at, nl) + &entries(indent, 2),
                    ));
                }
                ApiValue::Flow { end } if self.layout.entries.is_empty() => {
                    let colon = colon_after(text, api.key_end);
                    // The `{}` goes; an anchor or tag before it stays (found by fuzz/edit).
                    let brace = text[..*end].rfind('{').unwrap_or(colon + 1).max(colon + 1);
                    let keep = text[colon + 1..brace].trim_end().len();
                    splices.push((colon + 1 + keep, *end, String::new()));
                    let at = line_end(text, *end);
                    let indent = self.layout.top_indent + 2;
                    splices.push((
                        at,
                        at,
                        newline_if_needed(text, at, nl) + &entries(indent, 2),
                    ));
                }
                ApiValue::Flow { end } => {
                    let added: String = keys
                        .iter()
                        .map(|k| format!(", {}: {}", render_scalar(&k.name), render_flow_entry(k)))
                        .collect();
                    splices.push((end - 1, end - 1, added));
                }
                ApiValue::Block => {
                    let last = self
                        .layout
                        .entries
                        .last()
                        .expect("block mapping has entries");
                    let key_indent = indent_of(text, last.key_start);
                    let field_indent = last.fields.first().filter(|_| !last.flow).map_or(2, |f| {
                        indent_of(text, f.key_start)
                            .saturating_sub(key_indent)
                            .max(1)
                    });
                    let at = line_end(text, last.value_end);
                    splices.push((
                        at,
                        at,
                        newline_if_needed(text, at, nl) + &entries(key_indent, field_indent),
                    ));
                }
            },
        }
        splices
    }

    /// Returns the text without the named keys (which must exist).
    pub fn without_keys(&self, names: &[String]) -> Result<String> {
        self.check_writable()?;
        let Some(api) = &self.layout.api else {
            return Err(Error::NoSuchKey {
                name: names.first().cloned().unwrap_or_default(),
                suggestion: None,
            });
        };
        if let ApiValue::Flow { .. } = api.value {
            // Commas make flow deletions depend on each other: one at a time.
            let mut doc = self.clone();
            for name in names {
                let text = doc.without_flow_key(name)?;
                doc = Document::load(&self.path, text)?;
            }
            return Ok(doc.text);
        }
        Ok(apply_splices(&self.text, self.removal_splices(names)?))
    }

    /// Whole lines of each named block entry, to cut.
    fn removal_splices(&self, names: &[String]) -> Result<Vec<Splice>> {
        let text = &self.text;
        let mut splices = Vec::with_capacity(names.len());
        for name in names {
            let (_, entry) = self.entry(name)?;
            splices.push((
                line_start(text, entry.key_start),
                line_end(text, entry.value_end),
                String::new(),
            ));
        }
        Ok(splices)
    }

    fn without_flow_key(&self, name: &str) -> Result<String> {
        let i = self.entry_index(name)?;
        let entry = &self.layout.entries[i];
        let splice = if let Some(next) = self.layout.entries.get(i + 1) {
            (entry.key_start, next.key_start, String::new())
        } else if i > 0 {
            let prev = &self.layout.entries[i - 1];
            (prev.value_end, entry.value_end, String::new())
        } else {
            (entry.key_start, entry.value_end, String::new())
        };
        Ok(apply_splices(&self.text, vec![splice]))
    }

    /// Returns the text with fields of key `name` set (Some) or removed (None).
    pub fn with_fields(&self, name: &str, changes: &[(&str, Option<Value>)]) -> Result<String> {
        self.check_writable()?;
        Ok(apply_splices(
            &self.text,
            self.field_splices(name, changes)?,
        ))
    }

    fn field_splices(&self, name: &str, changes: &[(&str, Option<Value>)]) -> Result<Vec<Splice>> {
        let (_, entry) = self.entry(name)?;
        let text = &self.text;
        let nl = self.layout.newline;
        if entry.flow {
            let mut items: Vec<String> = Vec::new();
            for f in &entry.fields {
                match changes.iter().find(|(n, _)| *n == f.name) {
                    Some((_, None)) => {}
                    Some((_, Some(v))) => items.push(format!(
                        "{}: {}",
                        &text[f.key_start..f.key_end],
                        render_flow(v)
                    )),
                    // A key without a value (`{p}`) stays without one.
                    None if f.value_start >= f.value_end => {
                        items.push(text[f.key_start..f.key_end].to_string())
                    }
                    None => items.push(format!(
                        "{}: {}",
                        &text[f.key_start..f.key_end],
                        &text[f.value_start..f.value_end]
                    )),
                }
            }
            for (n, v) in changes {
                if let Some(v) = v {
                    if !entry.fields.iter().any(|f| f.name == *n) {
                        items.push(format!("{n}: {}", render_flow(v)));
                    }
                }
            }
            let new = format!("{{{}}}", items.join(", "));
            return Ok(vec![(entry.value_start, entry.value_end, new)]);
        }
        let key_indent = indent_of(text, entry.key_start);
        let field_indent = entry
            .fields
            .first()
            .map_or(key_indent + 2, |f| indent_of(text, f.key_start));
        let mut splices = Vec::new();
        let mut appended = String::new();
        for (n, v) in changes {
            match (entry.fields.iter().find(|f| f.name == *n), v) {
                (Some(f), None) => {
                    splices.push((
                        line_start(text, f.key_start),
                        line_end(text, f.value_end),
                        String::new(),
                    ));
                }
                (Some(f), Some(v)) => {
                    let colon = colon_after(text, f.key_end);
                    let suffix = match (v, f.block_list_indent) {
                        (Value::List(items), Some(dash)) if !items.is_empty() => {
                            let pad = " ".repeat(dash);
                            items
                                .iter()
                                .map(|i| format!("{nl}{pad}- {}", render_scalar(i)))
                                .collect()
                        }
                        _ => render_field_suffix(v, field_indent, nl),
                    };
                    splices.push((colon + 1, f.value_end, suffix));
                }
                (None, Some(v)) => {
                    appended.push_str(&" ".repeat(field_indent));
                    appended.push_str(n);
                    appended.push(':');
                    appended.push_str(&render_field_suffix(v, field_indent, nl));
                    appended.push_str(nl);
                }
                (None, None) => {}
            }
        }
        if !appended.is_empty() {
            let at = line_end(text, entry.value_end);
            splices.push((at, at, newline_if_needed(text, at, nl) + &appended));
        }
        Ok(splices)
    }

    /// Returns the text with several keys changed at once: fields set or removed per key
    /// (as [`Document::with_fields`]), keys removed, then keys appended. One text, so a caller
    /// can write all of it in one atomic replace. Keys named in `set` and `remove` must exist.
    pub fn with_edits(
        &self,
        set: &[(String, FieldChanges)],
        remove: &[String],
        add: &[ApiKey],
    ) -> Result<String> {
        self.check_writable()?;
        if let Some(ApiLayout {
            value: ApiValue::Flow { .. },
            ..
        }) = &self.layout.api
        {
            // Commas tie the entries of a flow mapping together: one edit at a time,
            // re-reading the text between them.
            let mut doc = self.clone();
            for (name, changes) in set {
                doc = Document::load(&self.path, doc.with_fields(name, changes)?)?;
            }
            if !remove.is_empty() {
                doc = Document::load(&self.path, doc.without_keys(remove)?)?;
            }
            if !add.is_empty() {
                doc = Document::load(&self.path, doc.with_new_keys(add)?)?;
            }
            return Ok(doc.text);
        }
        // Block entries own whole lines, so the splices of different keys never overlap.
        // Fields appended to the last entry and new keys land at the same offset: the fields
        // are pushed first and the sort in apply_splices is stable, so they stay first.
        let mut splices = Vec::new();
        for (name, changes) in set {
            splices.extend(self.field_splices(name, changes)?);
        }
        splices.extend(self.removal_splices(remove)?);
        if !add.is_empty() {
            self.check_can_add()?;
        }
        splices.extend(self.new_keys_splices(add));
        Ok(apply_splices(&self.text, splices))
    }

    /// 1-based line and column where key `name` is defined.
    pub fn key_position(&self, name: &str) -> Option<(usize, usize)> {
        let at = self.entry(name).ok()?.1.key_start;
        let line = self.text[..at].matches('\n').count() + 1;
        let col = self.text[line_start(&self.text, at)..at].chars().count() + 1;
        Some((line, col))
    }

    fn entry(&self, name: &str) -> Result<(&ApiLayout, &EntryLayout)> {
        let i = self.entry_index(name)?;
        let api = self.layout.api.as_ref().expect("entries are under apiKeys");
        Ok((api, &self.layout.entries[i]))
    }

    /// Where key `name` is in the layout. Only keys of the model are found: a document with
    /// a problem is never edited, so every entry of an edited one is a key.
    fn entry_index(&self, name: &str) -> Result<usize> {
        self.model
            .index_of(name)
            .and_then(|k| self.layout.of_key.get(k).copied())
            .ok_or_else(|| Error::NoSuchKey {
                name: name.to_string(),
                suggestion: None,
            })
    }
}

/// A document read from a text it does not own yet (see [`Document::analyze`]).
pub struct Loaded {
    model: SecurityFile,
    layout: Layout,
}

impl Loaded {
    /// The document of `text`, which must be the text this was read from.
    pub fn into_document(self, path: &Path, text: String) -> Document {
        Document {
            path: path.to_path_buf(),
            text,
            model: self.model,
            layout: self.layout,
        }
    }
}

/// Reads text into the typed model and the layout of its keys, with every problem found.
fn analyze(path: &Path, text: &str) -> Result<(SecurityFile, Layout, Vec<Problem>)> {
    let body_offset = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let root = yaml::parse(&text[body_offset..]).map_err(|e| Error::Syntax {
        path: path.to_path_buf(),
        line: e.line,
        column: e.col,
        message: e.message,
    })?;
    let mut loader = Loader {
        problems: Default::default(),
        anchors: HashMap::new(),
        text: &text[body_offset..],
        lines: Default::default(),
    };
    if text.contains('&') {
        if let Some(root) = &root {
            loader.anchors = yaml::anchored(root);
        }
    }
    let (model, mut layout) = loader.file(root);
    layout.newline = if text
        .find('\n')
        .is_some_and(|i| i > 0 && text.as_bytes()[i - 1] == b'\r')
    {
        "\r\n"
    } else {
        "\n"
    };
    let mut problems = loader.problems.into_inner();
    if body_offset > 0 {
        layout.shift(body_offset);
    }
    problems.sort_by_key(|p| (p.line, p.col));
    Ok((model, layout, problems))
}

/// The first problem as an error, for callers that stop at one.
fn first_problem(path: &Path, problems: Vec<Problem>) -> Result<()> {
    match problems.into_iter().next() {
        Some(p) => Err(Error::Syntax {
            path: path.to_path_buf(),
            line: p.line,
            column: p.col,
            message: p.message,
        }),
        None => Ok(()),
    }
}

impl Layout {
    fn shift(&mut self, by: usize) {
        if let Some(api) = &mut self.api {
            api.key_end += by;
            match &mut api.value {
                ApiValue::Null { start, end } => {
                    *start += by;
                    *end += by;
                }
                ApiValue::Flow { end } => *end += by,
                ApiValue::Block => {}
            }
        }
        for e in &mut self.entries {
            e.key_start += by;
            e.value_start += by;
            e.value_end += by;
            for f in &mut e.fields {
                f.key_start += by;
                f.key_end += by;
                f.value_start += by;
                f.value_end += by;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Loading

/// Walks the tree of `text` into the model and the layout. It consumes the tree as it goes,
/// so the tree and the model are never both whole in memory.
struct Loader<'a> {
    problems: std::cell::RefCell<Vec<Problem>>,
    /// Anchored scalars and lists, copied: aliases resolve to them one level deep.
    anchors: HashMap<usize, Node<'a>>,
    text: &'a str,
    /// Where each line starts, worked out at the first message that needs a position.
    lines: std::cell::OnceCell<yaml::Lines<'a>>,
}

/// Names a field in messages (`key 'ci': permissions`, or `permissions` at the top level);
/// formatted only when there is a problem to report.
#[derive(Clone, Copy)]
struct What<'s> {
    key: Option<&'s str>,
    field: &'s str,
}

impl std::fmt::Display for What<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.key {
            Some(key) => write!(f, "key '{key}': {}", self.field),
            None => f.write_str(self.field),
        }
    }
}

impl What<'static> {
    fn top(field: &'static str) -> Self {
        What { key: None, field }
    }
}

/// Names already seen in one mapping: a short list (entries hold a handful of fields), a set
/// once it grows, so a hostile file with a huge mapping costs no more than linear time.
struct Seen<'s> {
    few: [&'s str; 16],
    count: usize,
    many: rustc_hash::FxHashSet<&'s str>,
}

impl<'s> Seen<'s> {
    fn new() -> Self {
        Seen {
            few: [""; 16],
            count: 0,
            many: Default::default(),
        }
    }

    /// True the first time `name` is offered.
    fn first(&mut self, name: &'s str) -> bool {
        if self.count < self.few.len() {
            if self.few[..self.count].contains(&name) {
                return false;
            }
            self.few[self.count] = name;
            self.count += 1;
            if self.count == self.few.len() {
                self.many.extend(self.few);
            }
            return true;
        }
        self.many.insert(name)
    }
}

/// A field name as the layout keeps it: tokenctl's own names without an allocation.
fn field_name(field: &str) -> Cow<'static, str> {
    match field {
        "description" => Cow::Borrowed("description"),
        "enabled" => Cow::Borrowed("enabled"),
        "permissions" => Cow::Borrowed("permissions"),
        "hash" => Cow::Borrowed("hash"),
        "createdAt" => Cow::Borrowed("createdAt"),
        "expiresAt" => Cow::Borrowed("expiresAt"),
        "allowedIps" => Cow::Borrowed("allowedIps"),
        "pathPrefix" => Cow::Borrowed("pathPrefix"),
        "resources" => Cow::Borrowed("resources"),
        "previousHashes" => Cow::Borrowed("previousHashes"),
        _ => Cow::Owned(field.to_string()),
    }
}

impl<'a> Loader<'a> {
    fn problem(&self, node: &Node<'_>, message: impl Into<String>) {
        let (line, col) = self.position(node.start);
        self.problems.borrow_mut().push(Problem {
            line,
            col,
            message: message.into(),
        });
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn position(&self, at: usize) -> (usize, usize) {
        self.lines
            .get_or_init(|| yaml::Lines::new(self.text))
            .position(at)
    }

    /// Follows an alias to its anchored scalar or list (one level; never expands further).
    fn resolve<'n>(&'n self, node: &'n Node<'a>) -> &'n Node<'a> {
        match node.kind {
            Kind::Alias(id) => self.anchors.get(&id).unwrap_or(node),
            _ => node,
        }
    }

    fn file(&mut self, root: Option<Node<'a>>) -> (SecurityFile, Layout) {
        let mut layout = Layout::default();
        let null_text = root
            .as_ref()
            .is_some_and(|r| r.is_null() && r.end > r.start);
        let Some(mut root) = root.filter(|r| !r.is_null()) else {
            if null_text {
                layout.root = Root::Null;
            }
            return (SecurityFile::default(), layout);
        };
        let type_name = root.type_name();
        let Kind::Map { entries, flow } = &mut root.kind else {
            self.problem(
                &root,
                format!("the top level must be a mapping with apiKeys, not {type_name}"),
            );
            return (SecurityFile::default(), layout);
        };
        layout.root = if *flow { Root::Flow } else { Root::Block };
        // New top-level keys go at the first key's column (saphyr counts a tab as one), not
        // the root's: a tag or anchor may stand before the mapping. When the first key does
        // not start its line (`? key`, and odder forms fuzzing found), that column is not the
        // mapping's indentation, and adding `apiKeys:` is left to a person.
        if let Some((k, _)) = entries.first().filter(|_| !*flow) {
            let line = &self.text[line_start(self.text, k.start)..k.start];
            let explicit = self.text[..k.start].trim_end().ends_with('?')
                || self
                    .text
                    .get(root.start..)
                    .is_some_and(|t| t.starts_with('?'));
            if !explicit && line.chars().all(|c| matches!(c, ' ' | '\t')) {
                layout.top_indent = line.chars().count();
            } else {
                layout.top_indent_unknown = true;
            }
        }
        let (mut version, mut prefix, mut catalog, mut keys) = (None, None, None, Vec::new());
        let mut seen = Seen::new();
        for (k, v) in entries.iter_mut() {
            let k: &Node<'a> = k;
            let Some(name) = k.as_str() else { continue };
            if !seen.first(name) {
                self.problem(k, format!("duplicate top-level key '{name}'"));
                continue;
            }
            match name {
                "version" => {
                    let v = self.resolve(v);
                    match v
                        .as_str()
                        .and_then(|s| s.parse::<u64>().ok())
                        .filter(|_| is_plain(v))
                    {
                        Some(n) if n >= 1 => version = Some(n),
                        _ => self.problem(v, "version must be a whole number such as 1"),
                    }
                }
                "tokenPrefix" => {
                    if let Some(p) = self.string(v, What::top("tokenPrefix")) {
                        if crate::token::valid_prefix(&p) {
                            prefix = Some(p);
                        } else {
                            self.problem(
                                v,
                                format!("tokenPrefix {p:?} must be 1 to 16 of a-z 0-9"),
                            );
                        }
                    }
                }
                "permissions" => {
                    if let Some(list) = self.list(v, What::top("permissions")) {
                        for (s, node) in &list {
                            if let Some(p) = model::scope_problem(s) {
                                self.problem(node, p);
                            }
                        }
                        catalog = Some(list.into_iter().map(|(s, _)| s).collect());
                    }
                }
                "apiKeys" => {
                    let (api, entries, of_key) = self.api_keys(k, v, &mut keys);
                    layout.api = Some(api);
                    layout.entries = entries;
                    layout.of_key = of_key;
                }
                _ => {}
            }
        }
        (SecurityFile::new(version, prefix, catalog, keys), layout)
    }

    /// Reads apiKeys, consuming each definition once read.
    fn api_keys(
        &mut self,
        k: &Node<'a>,
        v: &mut Node<'a>,
        keys: &mut Vec<ApiKey>,
    ) -> (ApiLayout, Vec<EntryLayout>, Vec<usize>) {
        let mut layouts = Vec::new();
        let mut of_key = Vec::new();
        let value = match &v.kind {
            _ if v.is_null() => ApiValue::Null {
                start: v.start,
                end: v.end,
            },
            Kind::Map { flow: true, .. } => ApiValue::Flow { end: v.end },
            Kind::Map { .. } => ApiValue::Block,
            _ => {
                self.problem(
                    v,
                    format!(
                        "apiKeys must be a mapping of key name to definition, not {}",
                        v.type_name()
                    ),
                );
                ApiValue::Null {
                    start: v.end,
                    end: v.end,
                }
            }
        };
        if let Kind::Map { entries, .. } = &mut v.kind {
            layouts.reserve_exact(entries.len());
            keys.reserve_exact(entries.len());
            of_key.reserve_exact(entries.len());
            let mut names = Seen::new();
            for (name_node, def) in entries.iter_mut() {
                let name_node: &Node<'a> = name_node;
                // Taken out of the tree, and so freed once read.
                let def = std::mem::replace(def, Node::placeholder());
                let Some(name) = name_node
                    .as_str()
                    .filter(|_| matches!(name_node.kind, Kind::Scalar { .. }))
                else {
                    self.problem(name_node, "a key name must be text");
                    continue;
                };
                if let Some(p) = crate::names::problem(name) {
                    self.problem(name_node, format!("invalid key name {name:?}: {p}"));
                }
                if !names.first(name) {
                    self.problem(name_node, format!("duplicate key name '{name}'"));
                    continue;
                }
                let (entry, layout) = self.entry(name, name_node, &def);
                if let Some(entry) = entry {
                    keys.push(entry);
                    of_key.push(layouts.len());
                }
                layouts.push(layout);
            }
        }
        let api = ApiLayout {
            key_end: k.end,
            value,
        };
        (api, layouts, of_key)
    }

    fn entry(
        &mut self,
        name: &str,
        name_node: &Node<'a>,
        def: &Node<'a>,
    ) -> (Option<ApiKey>, EntryLayout) {
        let mut layout = EntryLayout {
            key_start: name_node.start,
            value_start: def.start,
            value_end: def.end.max(name_node.end),
            flow: false,
            fields: Vec::new(),
        };
        let Kind::Map { entries, flow } = &def.kind else {
            self.problem(
                def,
                format!(
                    "key '{name}' must be a mapping of fields (hash, permissions, ...), not {}",
                    def.type_name()
                ),
            );
            return (None, layout);
        };
        layout.flow = *flow;
        layout.fields.reserve_exact(entries.len());
        let mut key = ApiKey {
            name: name.to_string(),
            description: None,
            enabled: true,
            permissions: Vec::new(),
            hash: TokenHash([0; 32]),
            created_at: None,
            expires_at: None,
            allowed_ips: None,
            path_prefix: None,
            resources: None,
            previous_hashes: Vec::new(),
        };
        let before = self.problems.borrow().len();
        let mut has_hash = false;
        let mut seen = Seen::new();
        for (fk, fv) in entries {
            let Some(field) = fk.as_str() else {
                self.problem(fk, "a field name must be text");
                continue;
            };
            if !seen.first(field) {
                self.problem(fk, format!("key '{name}': duplicate field '{field}'"));
                continue;
            }
            let block_list_indent = match &fv.kind {
                Kind::Seq { flow: false, items } if !items.is_empty() => {
                    Some(indent_of(self.text, fv.start))
                }
                _ => None,
            };
            layout.fields.push(FieldLayout {
                name: field_name(field),
                key_start: fk.start,
                key_end: fk.end,
                value_start: fv.start,
                value_end: fv.end.max(fk.end),
                block_list_indent,
            });
            let what = What {
                key: Some(name),
                field,
            };
            match field {
                "description" => key.description = self.string(fv, what),
                "enabled" => {
                    let v = self.resolve(fv);
                    match v.as_str().filter(|_| is_plain(v)) {
                        Some("true" | "True" | "TRUE") => key.enabled = true,
                        Some("false" | "False" | "FALSE") => key.enabled = false,
                        _ if v.is_null() => {}
                        _ => self.problem(v, format!("{what} must be true or false")),
                    }
                }
                "permissions" => {
                    if let Some(list) = self.list(fv, what) {
                        for (s, node) in &list {
                            if let Some(p) = model::scope_problem(s) {
                                self.problem(node, format!("key '{name}': {p}"));
                            }
                        }
                        key.permissions = list.into_iter().map(|(s, _)| s).collect();
                    }
                }
                "hash" => {
                    has_hash = true;
                    if let Some(s) = self.str_of(fv, what) {
                        match TokenHash::parse(s) {
                            Some(h) => key.hash = h,
                            None => self.problem(
                                fv,
                                format!(
                                    "{what} must be sha256: followed by 64 lowercase hex digits"
                                ),
                            ),
                        }
                    } else {
                        self.problem(
                            fv,
                            format!("{what} must be sha256: followed by 64 lowercase hex digits"),
                        );
                    }
                }
                "createdAt" => key.created_at = self.time(fv, what),
                "expiresAt" => key.expires_at = self.time(fv, what),
                "allowedIps" => {
                    if let Some(list) = self.list(fv, what) {
                        let mut nets = Vec::new();
                        for (s, node) in list {
                            match model::parse_cidr(&s) {
                                Ok(n) => nets.push(n),
                                Err(e) => self.problem(node, format!("key '{name}': {e}")),
                            }
                        }
                        key.allowed_ips = Some(nets);
                    }
                }
                "pathPrefix" => {
                    key.path_prefix = self.string(fv, what);
                    if let Some(p) = &key.path_prefix {
                        if !model::valid_path_prefix(p) {
                            self.problem(fv, format!("{what} {}", model::PATH_PREFIX_RULE));
                        }
                    }
                }
                "resources" => {
                    key.resources = self
                        .list(fv, what)
                        .map(|l| l.into_iter().map(|(s, _)| s).collect())
                }
                "previousHashes" => key.previous_hashes = self.previous(fv, what),
                _ => {}
            }
        }
        if !has_hash {
            self.problem(
                name_node,
                format!("key '{name}' has no hash; every key needs `hash: sha256:<64 hex>`"),
            );
        }
        let ok = self.problems.borrow().len() == before;
        (ok.then_some(key), layout)
    }

    fn string(&self, node: &Node<'a>, what: What<'_>) -> Option<String> {
        self.str_of(node, what).map(String::from)
    }

    /// A scalar's text, borrowed from the tree.
    fn str_of<'n>(&'n self, node: &'n Node<'a>, what: What<'_>) -> Option<&'n str> {
        let node = self.resolve(node);
        if node.is_null() {
            return None;
        }
        match &node.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => {
                self.problem(
                    node,
                    format!("{what} must be text, not {}", node.type_name()),
                );
                None
            }
        }
    }

    fn time(&self, node: &Node<'a>, what: What<'_>) -> Option<Timestamp> {
        let s = self.str_of(node, what)?;
        match parse_timestamp(s) {
            Ok(t) => Some(t),
            Err(e) => {
                self.problem(node, format!("{what}: {e}"));
                None
            }
        }
    }

    fn list<'n>(
        &'n self,
        node: &'n Node<'a>,
        what: What<'_>,
    ) -> Option<Vec<(String, &'n Node<'a>)>> {
        let node = self.resolve(node);
        if node.is_null() {
            return None;
        }
        let Kind::Seq { items, .. } = &node.kind else {
            self.problem(
                node,
                format!(
                    "{what} must be a list, like [a, b], not {}",
                    node.type_name()
                ),
            );
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let item = self.resolve(item);
            match &item.kind {
                Kind::Scalar { value, .. } if !item.is_null() => {
                    out.push((value.to_string(), item))
                }
                _ => self.problem(
                    item,
                    format!("{what}: each item must be text, not {}", item.type_name()),
                ),
            }
        }
        Some(out)
    }

    fn previous(&self, node: &Node<'a>, what: What<'_>) -> Vec<PreviousHash> {
        if node.is_null() {
            return Vec::new();
        }
        let Kind::Seq { items, .. } = &node.kind else {
            self.problem(
                node,
                format!("{what} must be a list of {{hash, expiresAt}}"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let Kind::Map { entries, .. } = &item.kind else {
                self.problem(
                    item,
                    format!("{what}: each item must be a mapping with hash and expiresAt"),
                );
                continue;
            };
            let (mut hash, mut expires) = (None, None);
            for (k, v) in entries {
                match k.as_str() {
                    Some("hash") => match self.str_of(v, what).and_then(TokenHash::parse) {
                        Some(h) => hash = Some(h),
                        None => self.problem(
                            v,
                            format!(
                                "{what}: hash must be sha256: followed by 64 lowercase hex digits"
                            ),
                        ),
                    },
                    Some("expiresAt") => expires = self.time(v, what),
                    _ => {}
                }
            }
            match (hash, expires) {
                (Some(hash), Some(expires_at)) => out.push(PreviousHash { hash, expires_at }),
                (Some(_), None) => {
                    self.problem(item, format!("{what}: every item needs an expiresAt"))
                }
                _ => {}
            }
        }
        out
    }
}

fn is_plain(node: &Node<'_>) -> bool {
    matches!(
        node.kind,
        Kind::Scalar {
            style: saphyr_parser::ScalarStyle::Plain,
            ..
        }
    )
}

// ---------------------------------------------------------------------------------------------
// Rendering and splicing

/// Bytes `start..end` of the text to replace with the string.
type Splice = (usize, usize, String);

/// Applies non-overlapping splices (start, end, replacement); equal starts keep their order.
fn apply_splices(text: &str, mut splices: Vec<Splice>) -> String {
    splices.sort_by_key(|s| s.0);
    let mut out =
        String::with_capacity(text.len() + splices.iter().map(|s| s.2.len()).sum::<usize>());
    let mut at = 0;
    for (start, end, new) in splices {
        let start = start.max(at);
        out.push_str(&text[at..start]);
        out.push_str(&new);
        at = end.max(start);
    }
    out.push_str(&text[at..]);
    out
}

fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// Just past the newline ending the line that holds `pos` (or the end of the text).
fn line_end(text: &str, pos: usize) -> usize {
    let pos = pos.min(text.len());
    // `pos` may point just past a value: the line is the one holding the byte before it.
    if pos > 0 && text.as_bytes()[pos - 1] == b'\n' {
        return pos;
    }
    text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1)
}

fn newline_if_needed(text: &str, at: usize, nl: &str) -> String {
    if at > 0 && at == text.len() && !text.ends_with('\n') {
        nl.to_string()
    } else {
        String::new()
    }
}

fn indent_of(text: &str, pos: usize) -> usize {
    let ls = line_start(text, pos);
    text[ls..pos].chars().take_while(|c| *c == ' ').count()
}

fn colon_after(text: &str, key_end: usize) -> usize {
    text[key_end..].find(':').map_or(key_end, |i| key_end + i)
}

/// A scalar as YAML: plain when that reads back as the same string, otherwise double-quoted.
pub fn render_scalar(s: &str) -> String {
    if plain_is_safe(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).expect("strings serialize")
    }
}

fn plain_is_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if "-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !(first == '-' && s.len() > 1 && !s[1..].starts_with(' ') && s.as_bytes()[1] != b'-')
    {
        return false;
    }
    if s.starts_with(' ') || s.ends_with(' ') || s.ends_with(':') {
        return false;
    }
    if s.contains(": ")
        || s.contains(" #")
        || s.contains(['\n', '\r', '\t', ',', '[', ']', '{', '}', '"', '\\'])
    {
        return false;
    }
    if s.chars().any(|c| c.is_control() || c == '\u{feff}') {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "~" | "null"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "y"
            | "n"
            | ".nan"
            | ".inf"
            | "-.inf"
            | "+.inf"
    ) {
        return false;
    }
    // Anything that might read as a number (or a YAML 1.1 sexagesimal/octal) is quoted.
    let looks_numeric = s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'_' | b':' | b'e' | b'E' | b'x' | b'o' | b'b' | b'a'..=b'f' | b'A'..=b'F'))
        && s.bytes().next().is_some_and(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'));
    !looks_numeric || s.parse::<Timestamp>().is_ok() || s.contains('/')
}

/// A value in flow style (one line).
fn render_flow(v: &Value) -> String {
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
fn render_field_suffix(v: &Value, indent: usize, nl: &str) -> String {
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

/// The fields of a key as (name, value), in the order a new entry is written.
pub fn key_fields(key: &ApiKey) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    if let Some(d) = &key.description {
        out.push(("description", Value::Str(d.clone())));
    }
    out.push(("enabled", Value::Bool(key.enabled)));
    out.push(("permissions", Value::List(key.permissions.clone())));
    out.push(("hash", Value::Str(key.hash.to_string())));
    if let Some(t) = key.created_at {
        out.push(("createdAt", Value::Time(t)));
    }
    if let Some(t) = key.expires_at {
        out.push(("expiresAt", Value::Time(t)));
    }
    if let Some(ips) = &key.allowed_ips {
        out.push((
            "allowedIps",
            Value::List(ips.iter().map(|n| n.to_string()).collect()),
        ));
    }
    if let Some(p) = &key.path_prefix {
        out.push(("pathPrefix", Value::Str(p.clone())));
    }
    if let Some(r) = &key.resources {
        out.push(("resources", Value::List(r.clone())));
    }
    if !key.previous_hashes.is_empty() {
        out.push((
            "previousHashes",
            Value::Previous(key.previous_hashes.clone()),
        ));
    }
    out
}

fn render_entry(key: &ApiKey, key_indent: usize, field_indent: usize, nl: &str) -> String {
    let mut out = format!(
        "{}{}:{nl}",
        " ".repeat(key_indent),
        render_scalar(&key.name)
    );
    let indent = key_indent + field_indent;
    for (name, value) in key_fields(key) {
        out.push_str(&" ".repeat(indent));
        out.push_str(name);
        out.push(':');
        out.push_str(&render_field_suffix(&value, indent, nl));
        out.push_str(nl);
    }
    out
}

fn render_flow_entry(key: &ApiKey) -> String {
    let items: Vec<String> = key_fields(key)
        .iter()
        .map(|(n, v)| format!("{n}: {}", render_flow(v)))
        .collect();
    format!("{{{}}}", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, byte: u8) -> ApiKey {
        ApiKey {
            name: name.into(),
            description: None,
            enabled: true,
            permissions: vec!["dns:read".into()],
            hash: TokenHash([byte; 32]),
            created_at: None,
            expires_at: None,
            allowed_ips: None,
            path_prefix: None,
            resources: None,
            previous_hashes: Vec::new(),
        }
    }

    fn hash(byte: u8) -> String {
        TokenHash([byte; 32]).to_string()
    }

    #[test]
    fn local_verification_reads_only_the_touched_entries_and_agrees_with_a_full_load() {
        let fixture = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/hand-edited.yml"
        ))
        .unwrap();
        let doc = Document::load(Path::new("s.yml"), fixture.clone()).unwrap();
        let mut edits = vec![doc.with_new_key(&key("new", 9)).unwrap()];
        for name in ["ci-deploy", "grafana", "billing-export"] {
            edits.push(
                doc.with_fields(name, &[("enabled", Some(Value::Bool(false)))])
                    .unwrap(),
            );
            edits.push(
                doc.with_fields(
                    name,
                    &[(
                        "permissions",
                        Some(Value::List(vec!["a:b".into(), "c:d".into()])),
                    )],
                )
                .unwrap(),
            );
            edits.push(doc.with_fields(name, &[("description", None)]).unwrap());
            edits.push(doc.without_keys(&[name.to_string()]).unwrap());
        }
        edits.push(
            doc.without_keys(&["ci-deploy".into(), "billing-export".into()])
                .unwrap(),
        );
        for new in &edits {
            assert!(Document::load(Path::new("s.yml"), new.clone()).is_ok());
            if let Some(result) = doc.verify_local_edit(new) {
                assert!(result.is_ok(), "{new}");
            }
        }
        // A plain block entry is verified locally; grafana's alias to an anchor outside it
        // needs the whole file.
        let plain = doc
            .with_fields("ci-deploy", &[("enabled", Some(Value::Bool(false)))])
            .unwrap();
        assert!(matches!(doc.verify_local_edit(&plain), Some(Ok(()))));
        let aliased = doc
            .with_fields("grafana", &[("enabled", Some(Value::Bool(false)))])
            .unwrap();
        assert!(doc.verify_local_edit(&aliased).is_none());
        // Edits that break the file are caught, locally or by falling back.
        let dup = fixture.replace("  billing-export:\n", "  ci-deploy:\n");
        assert!(!matches!(doc.verify_local_edit(&dup), Some(Ok(()))));
        let broken = fixture.replace(
            "    enabled: true\n    permissions: [dns:write",
            "    enabled: [true\n    permissions: [dns:write",
        );
        assert!(!matches!(doc.verify_local_edit(&broken), Some(Ok(()))));
        let outdented = fixture.replace("    owner: platform-team", "owner: platform-team");
        assert!(!matches!(doc.verify_local_edit(&outdented), Some(Ok(()))));
        // Flow apiKeys always use the full load.
        let flow = Document::load(
            Path::new("s.yml"),
            format!("apiKeys: {{a: {{hash: {}}}}}\n", hash(1)),
        )
        .unwrap();
        assert!(
            flow.verify_local_edit(&flow.with_new_key(&key("b", 2)).unwrap())
                .is_none()
        );
    }

    /// Soundness of local verification: whenever it says an edited text reads back, the whole
    /// text must load, and must hold each key once. Edits here are random byte changes inside
    /// and around entries of a file with comments, flow and block style, quotes and anchors.
    #[test]
    fn local_verification_never_accepts_what_a_full_load_refuses() {
        let fixture = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/hand-edited.yml"
        ))
        .unwrap();
        let doc = Document::load(Path::new("s.yml"), fixture.clone()).unwrap();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let pieces = [
            ":",
            " ",
            "\n",
            "\n  x:\n",
            "-",
            "[",
            "]",
            "{",
            "}",
            "#",
            "'",
            "\"",
            "&a ",
            "*a",
            "    ",
            "  ",
            "a",
            "\n    hash: x\n",
            "?",
            "|",
            "\t",
        ];
        let (mut local_ok, mut checked) = (0, 0);
        for _ in 0..20_000 {
            let mut text = fixture.clone().into_bytes();
            for _ in 0..(1 + next() % 3) {
                let at = (next() as usize) % (text.len() + 1);
                match next() % 3 {
                    0 if at < text.len() => {
                        text.remove(at);
                    }
                    1 => {
                        let piece = pieces[(next() as usize) % pieces.len()];
                        text.splice(at..at, piece.bytes());
                    }
                    _ => {
                        let end = (at + (next() as usize) % 40).min(text.len());
                        text.drain(at..end);
                    }
                }
            }
            let Ok(text) = String::from_utf8(text) else {
                continue;
            };
            checked += 1;
            if let Some(Ok(())) = doc.verify_local_edit(&text) {
                local_ok += 1;
                let full = Document::load(Path::new("s.yml"), text.clone());
                assert!(
                    full.is_ok(),
                    "local check accepted a file that does not load:\n{text}\n{:?}",
                    full.err()
                );
            }
        }
        assert!(
            checked > 10_000 && local_ok > 100,
            "{checked} checked, {local_ok} accepted locally"
        );
    }

    #[test]
    fn batch_edits_touch_only_their_lines() {
        let text = format!(
            "# top\nversion: 1\napiKeys:\n  a:   # keep me\n    hash: {}\n    enabled: true\n  # about b\n  b:\n    hash: {}\n  c: {{hash: {}}}\nother: x\n",
            hash(1),
            hash(2),
            hash(3)
        );
        let doc = Document::load(Path::new("s.yml"), text.clone()).unwrap();
        let set = vec![
            ("a".to_string(), vec![("enabled", Some(Value::Bool(false)))]),
            (
                "c".to_string(),
                vec![("permissions", Some(Value::List(vec!["x".into()])))],
            ),
        ];
        let out = doc
            .with_edits(&set, &["b".to_string()], &[key("d", 4), key("e", 5)])
            .unwrap();
        let expected = format!(
            "# top\nversion: 1\napiKeys:\n  a:   # keep me\n    hash: {}\n    enabled: false\n  # about b\n  c: {{hash: {}, permissions: [x]}}\n  d:\n    enabled: true\n    permissions: [dns:read]\n    hash: {}\n  e:\n    enabled: true\n    permissions: [dns:read]\n    hash: {}\nother: x\n",
            hash(1),
            hash(3),
            hash(4),
            hash(5)
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn batch_edits_of_a_flow_mapping_go_one_by_one() {
        let text = format!(
            "apiKeys: {{a: {{hash: {}}}, b: {{hash: {}}}}}  # flow\n",
            hash(1),
            hash(2)
        );
        let doc = Document::load(Path::new("s.yml"), text).unwrap();
        let set = vec![("b".to_string(), vec![("enabled", Some(Value::Bool(false)))])];
        let out = doc
            .with_edits(&set, &["a".to_string()], &[key("c", 3)])
            .unwrap();
        let after = Document::load(Path::new("s.yml"), out.clone()).unwrap();
        let names: Vec<&str> = after.model.names().collect();
        assert_eq!(names, ["b", "c"], "{out}");
        assert!(!after.model.get("b").unwrap().enabled);
        assert!(out.ends_with("}  # flow\n"), "{out}");
    }

    #[test]
    fn every_field_of_ours_is_named_without_an_allocation() {
        for f in FIELDS {
            assert!(matches!(field_name(f), Cow::Borrowed(b) if b == f), "{f}");
        }
        assert!(matches!(field_name("x-other"), Cow::Owned(_)));
    }

    #[test]
    fn problem_positions_are_the_same_on_both_parser_paths() {
        let body =
            "apiKeys:\n  a:\n    enabled: maybe\n    allowedIps: [é, \"ü\", x]\n    hash: x\n";
        // A trailing anchor sends a file to saphyr without moving anything before it.
        let saphyr_tail = "other: &anchor 1\n";
        for (prefix, nl) in [("", "\n"), ("\u{feff}", "\n"), ("", "\r\n")] {
            let fast_text = format!("{prefix}{body}").replace('\n', nl);
            let full_text = format!("{prefix}{body}{saphyr_tail}").replace('\n', nl);
            assert!(
                super::super::fast::parse(fast_text.trim_start_matches('\u{feff}')).is_some()
                    || nl == "\r\n"
            );
            let (_, fast) = Document::load_all(Path::new("s.yml"), fast_text).unwrap();
            let (_, full) = Document::load_all(Path::new("s.yml"), full_text).unwrap();
            assert_eq!(fast, full);
            let at: Vec<(usize, usize)> = fast.iter().map(|p| (p.line, p.col)).collect();
            assert_eq!(
                at,
                [(3, 14), (4, 18), (4, 21), (4, 26), (5, 11)],
                "{fast:?}"
            );
        }
    }

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
        ] {
            assert_eq!(render_scalar(s), s, "{s} should stay plain");
        }
        for s in [
            "*",
            "",
            "true",
            "no",
            "123",
            "1.5",
            "a: b",
            "x #y",
            "-",
            "[x]",
            "line\nbreak",
            " lead",
            "null",
        ] {
            assert!(render_scalar(s).starts_with('"'), "{s:?} should be quoted");
        }
    }
}
