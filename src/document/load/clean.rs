//! One pass from text to model and layout, with no YAML tree, for the files tokenctl and most
//! tools write: block style, tokenctl's own sections and fields only, every scalar on one line
//! and plain (or quoted without escapes), nothing `check` would report.
//!
//! It decides nothing of its own. On the first thing outside that shape, and on anything the
//! full path would report (a problem, a deprecation, a warning, a rewrite), it gives up with
//! `None`, and the caller takes the full path (`yaml::parse` and the [`Loader`](super::Loader)),
//! which then says what is wrong. Where it accepts, it must give the very model and layout the
//! full path gives with nothing to report: the shape it accepts is a subset of what
//! `yaml::fast` scans (the same helpers cut keys and plain scalars), and every value goes
//! through the rules the loader applies (`portable::plain_problem`, `names::problem`, the
//! scope, address, time and hash readers). `tests` below compares both paths on generated and
//! mutated files.
//!
//! Why: a write at 100,000 keys spent 96% of its time loading, half of it building the tree
//! and half walking it (BENCHMARKS.md); this reads each byte once and allocates only what the
//! model keeps.

use super::rules::explicit_key_at;
use crate::document::layout::{ApiLayout, ApiValue, EntryLayout, FieldLayout, Layout, Root};
use crate::document::portable::{plain_problem, surely_text};
use crate::model::{self, ApiKey, Field, SecurityFile};
use crate::time::{GREGORIAN, parse_timestamp_old};
use crate::token::TokenHash;
use crate::yaml::fast::{
    flow_items, is_dash, key_end, plain_end, plain_text_ascii, rest_is_comment,
};
use crate::yaml::{self, BUDGET_FLOOR, BUDGET_RATIO, Node};

/// A list longer than this goes to the full path (whose budget refuses a file of tiny
/// items): no list of a key holds so many, and the one pass holds a list's items while it
/// reads them.
const MAX_ITEMS: usize = 4096;

/// The model and layout of `text`, or `None` when the full path must read it.
pub(crate) fn load(text: &str) -> Option<(SecurityFile, Layout)> {
    read(text, true)
}

/// The model of `text` alone (no layout of its entries, which only an edit needs), or
/// `None` when the full path must read it.
pub(crate) fn load_keys(text: &str) -> Option<SecurityFile> {
    read(text, false).map(|(model, _)| model)
}

fn read(text: &str, layout: bool) -> Option<(SecurityFile, Layout)> {
    let ascii = plain_text_ascii(text)?;
    let mut c = Clean::at(text, 0, memchr::memchr(b'?', text.as_bytes()).is_some())?;
    c.ascii = ascii;
    c.layout = layout;
    let loaded = c.file()?;
    // The full path's tree would have been refused past its budget (yaml::Budget): so is this.
    let budget = text.len().saturating_mul(BUDGET_RATIO).max(BUDGET_FLOOR);
    (c.nodes.saturating_mul(size_of::<Node<'_>>()) <= budget).then_some(loaded)
}

/// The fields of the definition whose name starts at `key_start` in `text`, read again as
/// the load read them (for an edit of that entry; see `EntryLayout::fields`).
pub(crate) fn fields_at(text: &str, key_start: usize) -> Option<Vec<FieldLayout>> {
    let line_start = crate::yaml::line_start(text, key_start);
    let has_question = memchr::memchr(b'?', text.as_bytes()).is_some();
    let mut c = Clean::at(text, line_start, has_question)?;
    c.keep_fields = true;
    let line = c.line.filter(|l| l.p == key_start)?;
    let mut key = ApiKey::new(String::new(), TokenHash([0; 32]));
    let entry = c.entry(line, &mut key)?;
    Some(entry.into_fields())
}

/// A line with content: where it starts, its indentation, where its content starts and where
/// it ends (its newline, or the end of the text).
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    indent: usize,
    p: usize,
    end: usize,
}

struct Clean<'a> {
    text: &'a str,
    b: &'a [u8],
    /// The current content line; `None` past the last.
    line: Option<Line>,
    /// Where the line after the current one starts.
    next: usize,
    /// Indentation of the collection whose entry ended the last content line with a value: a
    /// comment line deeper than that is the full path's (as in `yaml::fast`).
    owner: Option<usize>,
    /// The nodes the full path's tree would hold (for its budget).
    nodes: usize,
    /// The items of the list read last (a buffer reused for every list).
    items: Vec<Scalar<'a>>,
    /// The fields of the definition being read (a buffer reused for every definition).
    fields: Vec<FieldLayout>,
    /// Keep each definition's layout (a load for an edit); a reader of the keys alone keeps
    /// none.
    layout: bool,
    /// Keep each definition's fields in its layout (when reading one again, [`fields_at`]);
    /// a load leaves them to be read again when an edit needs them.
    keep_fields: bool,
    has_question: bool,
    /// The whole text is ASCII (and, as `plain_text` found, holds no control character but
    /// the newline): a scalar's characters need no look of their own.
    ascii: bool,
}

/// A scalar on one line: its span and its text (plain, or quoted without escapes).
#[derive(Clone, Copy)]
struct Scalar<'a> {
    start: usize,
    end: usize,
    value: &'a str,
    plain: bool,
}

/// A field's value: a scalar, or a list whose items are in `Clean::items`.
enum Value<'a> {
    Scalar(Scalar<'a>),
    List {
        start: usize,
        end: usize,
        /// The indentation of a block list's `- ` (`None`: a flow list).
        block: Option<usize>,
    },
}

impl Value<'_> {
    fn span(&self) -> (usize, usize) {
        match self {
            Value::Scalar(s) => (s.start, s.end),
            Value::List { start, end, .. } => (*start, *end),
        }
    }
}

impl<'a> Clean<'a> {
    /// Moves to the next content line, past blank and comment lines. `None` for what the fast
    /// scanner leaves to the full parser: a comment line deeper than the last value's
    /// collection, a document marker.
    fn advance(&mut self) -> Option<()> {
        let b = self.b;
        loop {
            let ls = self.next;
            if ls >= b.len() {
                self.line = None;
                return Some(());
            }
            let mut p = ls;
            while p < b.len() && b[p] == b' ' {
                p += 1;
            }
            let le = line_end(b, p);
            self.next = le + 1;
            if p == le {
                continue;
            }
            let indent = p - ls;
            if indent == 0 && (b[p..le].starts_with(b"---") || b[p..le].starts_with(b"...")) {
                return None;
            }
            if b[p] == b'#' {
                if self.owner.is_some_and(|o| indent > o) {
                    return None;
                }
                continue;
            }
            self.line = Some(Line {
                start: ls,
                indent,
                p,
                end: le,
            });
            return Some(());
        }
    }

    /// The simple plain key that starts `line`, and where its colon is.
    fn key(&mut self, line: Line) -> Option<(&'a str, usize)> {
        let end = key_end(self.b, line.p, line.end)?;
        if self.has_question && explicit_key_at(self.b, line.p) {
            return None;
        }
        self.nodes += 1;
        Some((&self.text[line.p..end], end))
    }

    /// One of tokenctl's fields as the key of `line` (and where its colon is); `None` for
    /// anything else (previousHashes, another tool's field), which the full path reads. The
    /// same key `key_end` cuts: a name of key characters followed by `: ` or the line's end.
    fn field_key(&mut self, line: Line) -> Option<(Field, usize)> {
        let rest = &self.b[line.p..line.end];
        let field = match rest.first()? {
            b'd' => Field::Description,
            b'o' => Field::Owner,
            b'e' if rest.starts_with(b"en") => Field::Enabled,
            b'e' => Field::ExpiresAt,
            b'p' if rest.starts_with(b"pe") => Field::Permissions,
            b'p' => Field::PathPrefix,
            b'h' => Field::Hash,
            b'c' => Field::CreatedAt,
            b'a' => Field::AllowedIps,
            b'r' => Field::Resources,
            _ => return None,
        };
        let name = field.yaml_name().as_bytes();
        let n = name.len();
        if !(rest.starts_with(name)
            && rest.get(n) == Some(&b':')
            && rest.get(n + 1).is_none_or(|&c| c == b' '))
        {
            return None;
        }
        if self.has_question && explicit_key_at(self.b, line.p) {
            return None;
        }
        self.nodes += 1;
        Some((field, line.p + n))
    }

    /// A plain scalar of exactly `len` bytes after `key: ` whose shape `ok` accepts (a hash,
    /// a time), then nothing but an optional comment; moves past it. `Some(None)`, nothing
    /// moved, when the value is not one. The caller then reads the value strictly (a hash
    /// of `sha256:` and 64 hex digits, an RFC 3339 time), and such a value holds no blank,
    /// `#` or `: `: the end is the one `plain_end` would find.
    fn fixed(
        &mut self,
        colon: usize,
        line: Line,
        indent: usize,
        len: usize,
        ok: impl Fn(&str) -> bool,
    ) -> Option<Option<Scalar<'a>>> {
        let b = self.b;
        let mut v = colon + 1;
        while v < line.end && b[v] == b' ' {
            v += 1;
        }
        let end = v + len;
        if v == colon + 1 || end > line.end || !rest_is_comment(b, end, line.end) {
            return Some(None);
        }
        let Some(value) = self.text.get(v..end).filter(|t| ok(t)) else {
            return Some(None);
        };
        self.nodes += 1;
        self.owner = Some(indent);
        self.advance()?;
        Some(Some(Scalar {
            start: v,
            end,
            value,
            plain: true,
        }))
    }

    /// After `key:`: `Some(v)` where an inline value starts, `None` for a block value on the
    /// next lines; the outer `None` for what the fast scanner leaves alone (`key:#`).
    fn after_colon(&self, colon: usize, line: Line) -> Option<Option<usize>> {
        let b = self.b;
        let mut v = colon + 1;
        while v < line.end && b[v] == b' ' {
            v += 1;
        }
        if v == line.end || b[v] == b'#' {
            return (v == line.end || v > colon + 1).then_some(None);
        }
        Some(Some(v))
    }

    /// A scalar at `v`: quoted on one line without escapes, or plain (in flow context it
    /// stops at `,` and `]`).
    fn scalar(&mut self, v: usize, le: usize, flow: bool) -> Option<Scalar<'a>> {
        let b = self.b;
        // A quoted scalar ends at its closing quote; one with an escape (`\` or `''`) is the
        // full path's.
        let close = match b[v] {
            b'"' => {
                let i = v + 1 + memchr::memchr2(b'"', b'\\', &b[v + 1..le])?;
                (b[i] == b'"').then_some(i)?
            }
            b'\'' => {
                let i = v + 1 + memchr::memchr(b'\'', &b[v + 1..le])?;
                (i + 1 >= le || b[i + 1] != b'\'').then_some(i)?
            }
            _ => 0,
        };
        let s = match b[v] {
            b'"' | b'\'' => Scalar {
                start: v,
                end: close + 1,
                value: &self.text[v + 1..close],
                plain: false,
            },
            _ => {
                let end = plain_end(b, v, le, flow)?;
                Scalar {
                    start: v,
                    end,
                    value: &self.text[v..end],
                    plain: true,
                }
            }
        };
        self.nodes += 1;
        Some(s)
    }

    /// The value after `key:` on `line`, in a mapping at indentation `indent`: inline (a
    /// scalar or a flow list of scalars) or a block list of scalars on the next lines. Moves
    /// past it.
    fn value(&mut self, colon: usize, line: Line, indent: usize) -> Option<Value<'a>> {
        let b = self.b;
        let Some(v) = self.after_colon(colon, line)? else {
            self.owner = None;
            self.advance()?;
            return self.block_list(indent);
        };
        let value = if b[v] == b'[' {
            let end = self.flow_list(v, line.end)?;
            if !rest_is_comment(b, end, line.end) {
                return None;
            }
            Value::List {
                start: v,
                end,
                block: None,
            }
        } else {
            let s = self.scalar(v, line.end, false)?;
            if !s.plain && !rest_is_comment(b, s.end, line.end) {
                return None;
            }
            Value::Scalar(s)
        };
        self.owner = Some(indent);
        self.advance()?;
        Some(value)
    }

    /// `[a, "b", c]` on one line; returns where it ends.
    fn flow_list(&mut self, open: usize, le: usize) -> Option<usize> {
        self.items.clear();
        let end = flow_items(self.b, open, le, |i| {
            let s = self.scalar(i, le, true)?;
            if self.items.len() >= MAX_ITEMS {
                return None;
            }
            self.items.push(s);
            Some(s.end)
        })?;
        self.nodes += 1;
        Some(end)
    }

    /// A block list of scalars starting on the current line, under a key of a mapping at
    /// indentation `outer` (at that indentation too: an indentless list).
    fn block_list(&mut self, outer: usize) -> Option<Value<'a>> {
        let b = self.b;
        let first = self.line?;
        if first.indent < outer || !is_dash(b, first.p, first.end) {
            return None; // an empty value, or a mapping: not a list of ours
        }
        let indent = first.indent;
        let indentless = indent == outer;
        self.nodes += 1;
        self.items.clear();
        let mut start = first.p;
        let mut end = first.p;
        while let Some(l) = self.line {
            if l.indent > indent || (l.indent == indent && !is_dash(b, l.p, l.end)) {
                if l.indent == indent && indentless {
                    break;
                }
                return None;
            }
            if l.indent < indent {
                break;
            }
            let mut q = l.p + 1;
            while q < l.end && b[q] == b' ' {
                q += 1;
            }
            // An empty item, a nested block, a mapping or a list: not a list of text.
            if q == l.end || matches!(b[q], b'#' | b'[') || key_end(b, q, l.end).is_some() {
                return None;
            }
            let s = self.scalar(q, l.end, false)?;
            if !s.plain && !rest_is_comment(b, s.end, l.end) {
                return None;
            }
            if indentless && self.items.is_empty() {
                start = s.start;
            }
            if self.items.len() >= MAX_ITEMS {
                return None;
            }
            end = s.end;
            self.items.push(s);
            self.owner = Some(indent);
            self.advance()?;
        }
        Some(Value::List {
            start,
            end,
            block: Some(indent),
        })
    }

    /// Text the loader reads with nothing to report: not null, and plain only as the
    /// allow-list says (a quoted scalar on one line without escapes is portable as it is).
    fn is_text(&self, s: &Scalar<'_>) -> bool {
        !s.plain
            || surely_text(s.value, self.ascii)
            || (!matches!(s.value, "~" | "null" | "Null" | "NULL")
                && plain_problem(s.value).is_none())
    }

    /// The items of the list just read, as text the loader reads with nothing to report, each
    /// also passing `ok`.
    fn texts(&self, ok: impl Fn(&str) -> bool) -> Option<Vec<String>> {
        let mut texts = Vec::with_capacity(self.items.len());
        for s in &self.items {
            if !(self.is_text(s) && ok(s.value)) {
                return None;
            }
            texts.push(s.value.to_string());
        }
        Some(texts)
    }

    fn file(&mut self) -> Option<(SecurityFile, Layout)> {
        self.nodes += 1; // the top-level mapping
        let mut layout = Layout {
            root: Root::Block,
            ..Layout::default()
        };
        let (mut version, mut prefix, mut catalog, mut policy) = (None, None, None, None);
        let mut keys = Vec::new();
        let mut seen = [false; 5];
        let mut top_end = 0;
        while let Some(line) = self.line {
            if line.indent != 0 {
                return None;
            }
            let (name, colon) = self.key(line)?;
            let slot = match name {
                "version" => 0,
                "tokenPrefix" => 1,
                "permissions" => 2,
                "apiKeys" => 3,
                "policy" => 4,
                _ => return None, // another tool's data: the full path judges it
            };
            if std::mem::replace(&mut seen[slot], true) {
                return None;
            }
            if slot == 4 {
                let (read, end) = self.policy(line, colon)?;
                policy = Some(read);
                top_end = end;
                continue;
            }
            if slot == 3 {
                let (api, entries, of_key, end) = self.api_keys(line, colon, &mut keys)?;
                layout.api = Some(api);
                layout.entries = entries;
                layout.of_key = of_key;
                top_end = end;
                continue;
            }
            let value = self.value(colon, line, 0)?;
            top_end = value.span().1;
            match (slot, value) {
                (0, Value::Scalar(s)) if s.plain => {
                    let digits = s.value.bytes().all(|c| c.is_ascii_digit());
                    let n = s.value.parse::<u64>().ok();
                    version = Some(n.filter(|&n| n >= 1 && digits && !s.value.starts_with('0'))?);
                }
                (1, Value::Scalar(s))
                    if self.is_text(&s) && crate::token::valid_prefix(s.value) =>
                {
                    prefix = Some(s.value.to_string());
                }
                (2, Value::List { .. }) => {
                    catalog = Some(self.texts(|p| model::scope_problem(p).is_none())?);
                }
                _ => return None,
            }
        }
        if !seen[3] {
            return None; // no apiKeys: `check` warns
        }
        layout.top_end = top_end;
        let mut model = SecurityFile::new(version, prefix, catalog, keys);
        model.policy = policy;
        // Two definitions of one name: the full path reports the second.
        model.names_unique().then_some((model, layout))
    }

    /// `policy:` on `line` and its block mapping of rules (docs/FORMAT.md, "Policy"), each
    /// value as the full path's reader accepts it with nothing to report
    /// (`load/policy.rs`); the policy and where the section ends. Anything else (a flow
    /// mapping, an unknown or repeated rule, a value the reader would refuse) is the full
    /// path's, which says what is wrong.
    fn policy(&mut self, line: Line, colon: usize) -> Option<(model::Policy, usize)> {
        use model::{Enforcement, Length, Policy};
        if self.after_colon(colon, line)?.is_some() {
            return None;
        }
        self.nodes += 1; // the mapping
        self.owner = None;
        self.advance()?;
        let indent = self.line?.indent;
        if indent == 0 {
            return None; // `policy:` with nothing under it: null, which the full path refuses
        }
        let mut policy = Policy::default();
        let mut seen = [false; Policy::RULES.len()];
        let mut end = 0;
        while let Some(l) = self.line.filter(|l| l.indent > 0) {
            if l.indent != indent {
                return None;
            }
            let (name, colon) = self.key(l)?;
            let slot = Policy::RULES.iter().position(|r| *r == name)?;
            if std::mem::replace(&mut seen[slot], true) {
                return None;
            }
            let value = self.value(colon, l, indent)?;
            end = value.span().1;
            match (name, value) {
                ("enforcement", Value::Scalar(s)) if self.is_text(&s) => {
                    policy.enforcement = Some(match s.value {
                        "enforce" => Enforcement::Enforce,
                        "warn" => Enforcement::Warn,
                        _ => return None,
                    });
                }
                ("maxLifetime" | "maxGrace", Value::Scalar(s)) if self.is_text(&s) => {
                    let span = crate::time::parse_duration(name, s.value).ok()?;
                    if span.is_zero() {
                        return None;
                    }
                    let length = Some(Length {
                        text: s.value.to_string(),
                        span,
                    });
                    if name == "maxLifetime" {
                        policy.max_lifetime = length;
                    } else {
                        policy.max_grace = length;
                    }
                }
                ("forbiddenPermissions" | "requireAllowedIpsFor", Value::List { .. }) => {
                    let scopes = self.texts(|p| model::scope_problem(p).is_none())?;
                    if name == "forbiddenPermissions" {
                        policy.forbidden_permissions = scopes;
                    } else {
                        policy.require_allowed_ips_for = scopes;
                    }
                }
                ("requireDescription" | "requireOwner", Value::Scalar(s)) if s.plain => {
                    let yes = match s.value {
                        "true" | "True" | "TRUE" => true,
                        "false" | "False" | "FALSE" => false,
                        _ => return None,
                    };
                    if name == "requireDescription" {
                        policy.require_description = yes;
                    } else {
                        policy.require_owner = yes;
                    }
                }
                _ => return None,
            }
        }
        Some((policy, end))
    }

    /// `apiKeys:` on `line` and its block mapping of definitions: its layout, the entries'
    /// layouts, the index of each key's entry, and where the mapping ends.
    fn api_keys(
        &mut self,
        line: Line,
        colon: usize,
        keys: &mut Vec<ApiKey>,
    ) -> Option<(ApiLayout, Vec<EntryLayout>, Vec<u32>, usize)> {
        if self.after_colon(colon, line)?.is_some() {
            return None; // `apiKeys: {}` and the like: the full path
        }
        self.owner = None;
        self.advance()?;
        let first = self.line?;
        if first.indent == 0 || is_dash(self.b, first.p, first.end) {
            return None; // null, or a list
        }
        let indent = first.indent;
        self.nodes += 1;
        // An estimate of the entries, so that no list is copied as it grows (one that does
        // grows as a list does): each has one `hash:`, counted in the first 64 KiB and
        // scaled to the rest, a quarter more; at most one an 80 bytes (the shortest entry, a
        // name and a hash). Counting them all would cost a pass over the file.
        let rest = self.b.len() - first.start;
        let sample = &self.b[first.start..][..rest.min(64 << 10)];
        let seen = memchr::memmem::find_iter(sample, b"hash:").count();
        let most = (seen.saturating_mul(rest) / sample.len() * 5 / 4).min(rest / 80) + 1;
        keys.reserve_exact(most);
        let mut entries = Vec::with_capacity(most);
        // A large mapping is read in chunks by two readers at once, each chunk from a
        // definition's name line: each definition is read the same whoever reads it (a name
        // line resets all its reading depends on), and each chunk must end exactly where the
        // next begins. This reader takes the even chunks and appends each odd one as it
        // comes, so no more than a chunk or two is ever held twice.
        let splits = self.split_points(first, indent);
        let end = if splits.is_empty() {
            self.entries(indent, None, keys, &mut entries)?.unwrap_or(0)
        } else {
            self.chunks(indent, &splits, most, keys, &mut entries)?
        };
        // Every definition read is a key (the full path leaves out only those it reports).
        let of_key = (0..u32::try_from(entries.len()).ok()?).collect();
        if self.line.is_some_and(|l| l.indent != 0) {
            return None;
        }
        let api = ApiLayout {
            key_start: line.p,
            key_end: colon,
            value: ApiValue::Block,
            value_props: false,
            value_anchor: 0,
            next_top_line: self.line.map(|l| l.start),
        };
        Some((api, entries, of_key, end))
    }

    /// The definitions at `indent` from the current line on, up to the line starting at
    /// `stop`; where the last one ends (`None`: there was none).
    fn entries(
        &mut self,
        indent: usize,
        stop: Option<usize>,
        keys: &mut Vec<ApiKey>,
        entries: &mut Vec<EntryLayout>,
    ) -> Option<Option<usize>> {
        let mut end = None;
        while let Some(l) = self
            .line
            .filter(|l| l.indent == indent && Some(l.start) != stop)
        {
            // Each key is read into its place in the list (an `ApiKey` is some 270 bytes,
            // which a return would copy twice).
            keys.push(ApiKey::new(String::new(), TokenHash([0; 32])));
            let key = keys.last_mut().expect("just pushed");
            let entry = self.entry(l, key)?;
            end = Some(entry.value_end());
            if self.layout {
                entries.push(entry);
            }
        }
        Some(end)
    }

    /// Where readers may start on a large mapping of definitions at `indent` (none for a
    /// small one): line starts spread evenly over it, each holding just that indentation
    /// and then a key's first character (a definition's name, in a file this reader
    /// accepts).
    fn split_points(&self, first: Line, indent: usize) -> Vec<usize> {
        const SPLIT_FROM: usize = 256 << 10;
        const CHUNKS: usize = 16;
        let b = self.b;
        let len = b.len() - first.start;
        if len < SPLIT_FROM {
            return Vec::new();
        }
        let mut points: Vec<usize> = Vec::with_capacity(CHUNKS);
        for k in 1..CHUNKS {
            let from = first.start + len * k / CHUNKS;
            let window = &b[from..b.len().min(from + (64 << 10))];
            let found = memchr::memchr_iter(b'\n', window).find_map(|i| {
                let ls = from + i + 1;
                let head = b.get(ls..=ls + indent)?;
                (head[..indent].iter().all(|&c| c == b' ')
                    && (head[indent].is_ascii_alphanumeric()
                        || matches!(head[indent], b'_' | b'.' | b'/')))
                .then_some(ls)
            });
            if let Some(at) = found.filter(|&at| points.last().is_none_or(|&l| at > l)) {
                points.push(at);
            }
        }
        points
    }

    /// Reads the definitions at `indent` in the chunks `splits` cut (from the current line
    /// to the first split, from each split to the next, from the last to the mapping's
    /// end), the odd ones on a second thread; where the last definition ends.
    fn chunks(
        &mut self,
        indent: usize,
        splits: &[usize],
        most: usize,
        keys: &mut Vec<ApiKey>,
        entries: &mut Vec<EntryLayout>,
    ) -> Option<usize> {
        let (text, has_question, layout, ascii) =
            (self.text, self.has_question, self.layout, self.ascii);
        let per_chunk = most / (splits.len() + 1) + 1;
        std::thread::scope(|scope| {
            // One chunk ahead at most: what waits here is held twice.
            let (tx, rx) = std::sync::mpsc::sync_channel(1);
            scope.spawn(move || {
                for i in (1..=splits.len()).step_by(2) {
                    let read = (|| {
                        let mut c = Clean::at(text, splits[i - 1], has_question)?;
                        c.layout = layout;
                        c.ascii = ascii;
                        let chunk = Chunk::read(&mut c, indent, splits.get(i).copied(), per_chunk)?;
                        Some((c, chunk))
                    })();
                    let failed = read.is_none();
                    // A send fails once the first reader gave up (and dropped `rx`).
                    if tx.send(read).is_err() || failed {
                        break;
                    }
                }
            });
            let mut end = 0;
            for i in 0..=splits.len() {
                let stop = splits.get(i).copied();
                if i % 2 == 0 {
                    end = self.entries(indent, stop, keys, entries)?.unwrap_or(end);
                } else {
                    let (c, mut chunk) = rx.recv().ok()??;
                    keys.append(&mut chunk.keys);
                    entries.append(&mut chunk.entries);
                    end = chunk.end.unwrap_or(end);
                    self.nodes += c.nodes;
                    self.line = c.line;
                    self.next = c.next;
                    self.owner = c.owner;
                }
                // Each chunk but the last ends exactly where the next begins.
                if stop.is_some() && self.line.map(|l| l.start) != stop {
                    return None;
                }
            }
            Some(end)
        })
    }

    /// A reader of `text` from the line starting at `at`, on its first content line.
    fn at(text: &'a str, at: usize, has_question: bool) -> Option<Self> {
        let mut c = Clean {
            text,
            b: text.as_bytes(),
            line: None,
            next: at,
            owner: None,
            nodes: 0,
            items: Vec::new(),
            fields: Vec::new(),
            layout: true,
            keep_fields: false,
            has_question,
            ascii: false,
        };
        c.advance()?;
        Some(c)
    }

    /// One definition: `name:` on `line`, then its fields one level deeper, read into `key`
    /// (a new key, with no name yet); its layout.
    fn entry(&mut self, line: Line, key: &mut ApiKey) -> Option<EntryLayout> {
        let b = self.b;
        let (name, colon) = self.key(line)?;
        if self.after_colon(colon, line)?.is_some() {
            return None; // not a mapping
        }
        if yaml::core_schema_non_text(name).is_some()
            || yaml::yaml11_non_text(name).is_some()
            || plain_problem(name).is_some()
            || crate::names::problem(name).is_some()
        {
            return None;
        }
        self.owner = None;
        self.advance()?;
        let first = self.line?;
        if first.indent <= line.indent || is_dash(b, first.p, first.end) {
            return None;
        }
        let indent = first.indent;
        self.nodes += 1;
        key.name = name.to_string();
        // Gathered in a buffer and copied out at their exact number (some 100 bytes each).
        let mut fields = std::mem::take(&mut self.fields);
        fields.clear();
        let mut seen = 0u16;
        let mut has_hash = false;
        let mut end = first.p;
        while let Some(l) = self.line.filter(|l| l.indent == indent) {
            let (field, colon) = self.field_key(l)?;
            let bit = 1u16 << field as u16;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            // A hash and a time as tokenctl writes them are read without a search.
            let fixed = match field {
                Field::Hash => self.fixed(colon, l, indent, 71, |t| t.starts_with("sha256:"))?,
                Field::CreatedAt | Field::ExpiresAt => self.fixed(colon, l, indent, 20, |t| {
                    t.as_bytes()[10] == b'T' && t.as_bytes()[19] == b'Z'
                })?,
                _ => None,
            };
            let value = match fixed {
                Some(s) => Value::Scalar(s),
                None => self.value(colon, l, indent)?,
            };
            let (start, value_end) = value.span();
            let block = match value {
                Value::List { block, .. } => block,
                Value::Scalar(_) => None,
            };
            match (field, value) {
                (Field::Description, Value::Scalar(s)) if self.is_text(&s) => {
                    key.description = Some(s.value.to_string());
                }
                (Field::Owner, Value::Scalar(s))
                    if self.is_text(&s) && model::owner_problem(s.value).is_none() =>
                {
                    key.owner = Some(s.value.to_string());
                }
                (Field::Enabled, Value::Scalar(s)) if s.plain => {
                    key.enabled = match s.value {
                        "true" | "True" | "TRUE" => true,
                        "false" | "False" | "FALSE" => false,
                        _ => return None,
                    };
                }
                (Field::Permissions, Value::List { .. }) => {
                    key.permissions = self.texts(|p| model::scope_problem(p).is_none())?;
                }
                (Field::Hash, Value::Scalar(s)) if s.plain => {
                    key.hash = TokenHash::parse(s.value)?;
                    has_hash = true;
                }
                (Field::CreatedAt | Field::ExpiresAt, Value::Scalar(s)) if s.plain => {
                    let t = match parse_timestamp_old(s.value) {
                        Ok((t, None)) if t >= GREGORIAN => t,
                        _ => return None,
                    };
                    if field == Field::CreatedAt {
                        key.created_at = Some(t);
                    } else {
                        key.expires_at = Some(t);
                    }
                }
                (Field::AllowedIps, Value::List { .. }) if !self.items.is_empty() => {
                    let mut nets = Vec::with_capacity(self.items.len());
                    for s in &self.items {
                        if !self.is_text(s) {
                            return None;
                        }
                        nets.push(model::parse_cidr(s.value).ok()?);
                    }
                    key.allowed_ips = Some(nets);
                }
                (Field::PathPrefix, Value::Scalar(s))
                    if self.is_text(&s) && model::valid_path_prefix(s.value) =>
                {
                    key.path_prefix = Some(s.value.to_string());
                }
                (Field::Resources, Value::List { .. }) if !self.items.is_empty() => {
                    key.resources = Some(self.texts(|_| true)?);
                }
                _ => return None,
            }
            if self.keep_fields {
                fields.push(FieldLayout::new(
                    Some(field),
                    l.p..colon,
                    start..value_end.max(colon),
                    start,
                    0,
                    block,
                ));
            }
            end = value_end;
        }
        // A line between the definition's indentation and its name's, or deeper than its
        // fields without being a list of theirs: the full path's.
        if !has_hash || self.line.is_some_and(|l| l.indent > line.indent) {
            return None;
        }
        let mut layout = EntryLayout::lazy(line.p..colon, first.p..end.max(colon), first.p);
        if self.keep_fields {
            layout.set_fields(false, fields.as_slice().to_vec());
        }
        self.fields = fields;
        Some(layout)
    }
}

/// Where the line that goes on at `from` ends: its newline, or the end of the text. Eight
/// bytes at a time: lines here are some 30 bytes, too short for a search to pay for its
/// set-up.
fn line_end(b: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(eight) = b.get(i..i + 8) {
        let word = u64::from_le_bytes(eight.try_into().expect("8 bytes"));
        let found = newline_bytes(word);
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    memchr::memchr(b'\n', &b[i.min(b.len())..]).map_or(b.len(), |j| i + j)
}

/// The high bit of each byte of `word` that is a newline, and no other bit: the bytes equal
/// to `\n` become zero, and a zero byte's high bit is found exactly (no carry crosses bytes).
fn newline_bytes(word: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = word ^ 0x0a0a_0a0a_0a0a_0a0a;
    let nonzero = ((x & LOW7) + LOW7) | x;
    !nonzero & !LOW7
}

/// A chunk of a mapping of definitions, read by the second reader.
struct Chunk {
    keys: Vec<ApiKey>,
    entries: Vec<EntryLayout>,
    /// Where its last definition ends (`None`: it read none).
    end: Option<usize>,
}

impl Chunk {
    /// The definitions at `indent` from `c`'s line up to the line starting at `stop`.
    fn read(c: &mut Clean<'_>, indent: usize, stop: Option<usize>, most: usize) -> Option<Chunk> {
        let mut keys = Vec::with_capacity(most);
        let mut entries = Vec::with_capacity(most);
        let end = c.entries(indent, stop, &mut keys, &mut entries)?;
        Some(Chunk { keys, entries, end })
    }
}

#[cfg(test)]
mod tests;
