//! A fast path for the block-style YAML that security.yml files almost always are.
//!
//! saphyr-parser handles all of YAML, one character at a time; at 10,000 keys most of a
//! load's time went there. This scanner handles a strict subset byte by byte and builds the
//! very same tree, positions included: block mappings with simple plain keys, block
//! sequences, single-line plain and quoted scalars, single-line flow lists of scalars,
//! comments and blank lines. Whenever a file strays outside that subset, or holds anything
//! the scanner is not sure about (tabs, CR, anchors, tags, block scalars, multi-line scalars,
//! flow mappings, empty values, odd characters, documents markers), it gives up and returns
//! `None`, and the caller parses with saphyr. It never reports errors: a file with one always
//! goes to saphyr, so every message is saphyr's. Tests in yaml.rs compare both on many files.

use super::{Budget, Kind, Node};
use saphyr_parser::ScalarStyle;
use std::borrow::Cow;

/// Deepest nesting this path takes on; deeper files go to saphyr (which caps them).
const MAX_DEPTH: usize = 64;

/// Keys longer than this go to saphyr (YAML caps implicit keys at 1024 characters).
const MAX_KEY: usize = 512;

/// The tree of `text`, or `None` when `text` is outside the subset handled here.
pub fn parse(text: &str) -> Option<Option<Node<'_>>> {
    if !plain_text(text) {
        return None;
    }
    let mut s = Scanner {
        text,
        bytes: text.as_bytes(),
        stack: Vec::new(),
        root: None,
        map_pool: Vec::new(),
        seq_pool: Vec::new(),
        line_start: 0,
        scalar_owner: None,
        budget: Budget::for_text(text),
        over_budget: std::cell::Cell::new(false),
    };
    s.run()?;
    Some(s.root)
}

/// No tab, CR, control or other character whose handling differs between YAML versions or
/// parsers; those files go to saphyr.
pub(crate) fn plain_text(text: &str) -> bool {
    plain_text_ascii(text).is_some()
}

/// [`plain_text`], and then whether the text is all ASCII: `None` when it is not plain text.
pub(crate) fn plain_text_ascii(text: &str) -> Option<bool> {
    // Without an early exit the compiler vectorises this; a file takes one pass.
    let bad = text.bytes().fold(false, |bad, b| {
        bad | ((b < 0x20) & (b != b'\n')) | (b == 0x7f)
    });
    if bad {
        return None;
    }
    if text.is_ascii() {
        return Some(true);
    }
    (!text.chars().any(|c| {
        matches!(
            c,
            '\u{80}'..='\u{a0}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
    }))
    .then_some(false)
}

/// An open block collection.
struct Open<'a> {
    indent: usize,
    /// A block sequence at its parent key's indentation (`key:` then `- a` below it): saphyr
    /// starts such a sequence at its first item rather than at the dash.
    indentless: bool,
    node: Node<'a>,
    /// A mapping's key still waiting for its value (a nested block on the following lines).
    key: Option<Node<'a>>,
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    stack: Vec<Open<'a>>,
    root: Option<Node<'a>>,
    /// Emptied buffers of closed collections, reused by the next ones: a collection grows in
    /// a buffer and is then copied out at its exact size, so the tree wastes no capacity and
    /// costs one allocation per collection.
    map_pool: Vec<Vec<(Node<'a>, Node<'a>)>>,
    seq_pool: Vec<Vec<Node<'a>>>,
    line_start: usize,
    /// Indentation of the collection whose entry ended the last content line with a value; a
    /// comment line indented deeper than that goes to saphyr (plain-scalar continuation rules
    /// are where parsers disagree).
    scalar_owner: Option<usize>,
    /// Charged for every node made; once it is spent the scan gives up, and saphyr's parse
    /// refuses the file with the position.
    budget: Budget,
    over_budget: std::cell::Cell<bool>,
}

impl<'a> Scanner<'a> {
    fn run(&mut self) -> Option<()> {
        let len = self.bytes.len();
        let mut at = 0;
        while at < len {
            let end = memchr_newline(self.bytes, at).unwrap_or(len);
            self.line_start = at;
            self.line_content(at, end)?;
            if self.over_budget.get() {
                return None;
            }
            at = end + 1;
        }
        while !self.stack.is_empty() {
            self.close()?;
        }
        Some(())
    }

    fn line_content(&mut self, ls: usize, le: usize) -> Option<()> {
        let b = self.bytes;
        let mut p = ls;
        while p < le && b[p] == b' ' {
            p += 1;
        }
        if p == le {
            return Some(()); // blank
        }
        let indent = p - ls;
        if indent == 0 && (b[p..le].starts_with(b"---") || b[p..le].starts_with(b"...")) {
            return None; // document markers
        }
        if b[p] == b'#' {
            if self.scalar_owner.is_some_and(|o| indent > o) {
                return None;
            }
            return Some(());
        }
        let dash = is_dash(b, p, le);
        // A key waiting for its value: this line opens the nested block.
        if let Some(top) = self.stack.last() {
            if top.key.is_some() {
                let outer = top.indent;
                if dash && indent >= outer {
                    self.open_seq(p)?;
                } else if !dash && indent > outer {
                    self.open_map(p)?;
                } else {
                    return None; // an empty value
                }
                return self.entry(p, le);
            }
        }
        // Close what this line is outside of.
        while let Some(top) = self.stack.last() {
            let same_indent_seq = top.indent == indent
                && matches!(top.node.kind, Kind::Seq { .. })
                && !dash
                && self.stack.len() >= 2
                && self.stack[self.stack.len() - 2].indent == indent;
            if top.indent > indent || same_indent_seq {
                self.close()?;
            } else {
                break;
            }
        }
        match self.stack.last() {
            None if self.root.is_none() && !dash => self.open_map(p)?,
            None => return None,
            Some(top) if top.indent != indent => return None,
            Some(_) => {}
        }
        self.entry(p, le)
    }

    /// Reads the entry starting at `p` into the collection on top (which starts at `p`'s column).
    fn entry(&mut self, p: usize, le: usize) -> Option<()> {
        let b = self.bytes;
        let top = self.stack.last()?;
        if matches!(top.node.kind, Kind::Seq { .. }) {
            if !is_dash(b, p, le) {
                return None;
            }
            let mut q = p + 1;
            while q < le && b[q] == b' ' {
                q += 1;
            }
            if q == le || b[q] == b'#' {
                return None; // an empty item or a nested block: saphyr's job
            }
            if key_end(b, q, le).is_some() {
                self.open_map(q)?;
                return self.entry(q, le);
            }
            let owner = self.stack.last()?.indent;
            let item = self.inline_value(q, le)?;
            self.scalar_owner = Some(owner);
            return self.stack.last_mut()?.push_item(item);
        }
        let (key, after) = self.key(p, le)?;
        let mut v = after;
        while v < le && b[v] == b' ' {
            v += 1;
        }
        let top = self.stack.last_mut()?;
        if v == le || b[v] == b'#' {
            // `key:` alone: the value is the block on the next lines (or empty, which saphyr
            // handles).
            if v < le && v == after {
                return None;
            }
            top.key = Some(key);
            self.scalar_owner = None;
            return Some(());
        }
        let owner = top.indent;
        let value = self.inline_value(v, le)?;
        self.scalar_owner = Some(owner);
        match &mut self.stack.last_mut()?.node.kind {
            Kind::Map { entries, .. } => entries.push((key, value)),
            _ => return None,
        }
        Some(())
    }

    /// A plain key at `p` followed by `:`; returns it and the position after the colon.
    fn key(&self, p: usize, le: usize) -> Option<(Node<'a>, usize)> {
        let end = key_end(self.bytes, p, le)?;
        let node = self.scalar(
            p,
            end,
            Cow::Borrowed(&self.text[p..end]),
            ScalarStyle::Plain,
        );
        Some((node, end + 1))
    }

    /// One value that ends its line (up to a comment): a scalar or a flow list of scalars.
    fn inline_value(&self, v: usize, le: usize) -> Option<Node<'a>> {
        let b = self.bytes;
        let (node, end) = match b[v] {
            b'[' => self.flow_seq(v, le)?,
            _ => {
                let (node, end) = self.scalar_at(v, le, false)?;
                if node_is_plain(&node) {
                    // A plain scalar already stopped at the comment or the line's end.
                    return Some(node);
                }
                (node, end)
            }
        };
        rest_is_comment(b, end, le).then_some(node)
    }

    /// A scalar at `v`: quoted (single line) or plain. In flow context plain scalars stop at
    /// `,` and `]`. Returns the node and the position after it.
    fn scalar_at(&self, v: usize, le: usize, flow: bool) -> Option<(Node<'a>, usize)> {
        let b = self.bytes;
        match b[v] {
            b'"' => {
                let mut value = Cow::Borrowed("");
                let mut i = v + 1;
                let mut from = i;
                loop {
                    if i >= le {
                        return None; // multi-line
                    }
                    match b[i] {
                        b'"' => break,
                        b'\\' => {
                            value.to_mut().push_str(&self.text[from..i]);
                            let c = match *b.get(i + 1).filter(|_| i + 1 < le)? {
                                b'\\' => '\\',
                                b'"' => '"',
                                b'/' => '/',
                                b'n' => '\n',
                                b't' => '\t',
                                b'r' => '\r',
                                _ => return None,
                            };
                            value.to_mut().push(c);
                            i += 2;
                            from = i;
                        }
                        _ => i += 1,
                    }
                }
                append(&mut value, &self.text[from..i]);
                Some((
                    self.scalar(v, i + 1, value, ScalarStyle::DoubleQuoted),
                    i + 1,
                ))
            }
            b'\'' => {
                let mut value = Cow::Borrowed("");
                let mut i = v + 1;
                let mut from = i;
                loop {
                    if i >= le {
                        return None;
                    }
                    if b[i] == b'\'' {
                        if i + 1 < le && b[i + 1] == b'\'' {
                            value.to_mut().push_str(&self.text[from..=i]);
                            i += 2;
                            from = i;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                append(&mut value, &self.text[from..i]);
                Some((
                    self.scalar(v, i + 1, value, ScalarStyle::SingleQuoted),
                    i + 1,
                ))
            }
            _ => {
                let end = plain_end(b, v, le, flow)?;
                let node = self.scalar(
                    v,
                    end,
                    Cow::Borrowed(&self.text[v..end]),
                    ScalarStyle::Plain,
                );
                Some((node, end))
            }
        }
    }

    /// `[a, "b", c]` on one line.
    fn flow_seq(&self, open: usize, le: usize) -> Option<(Node<'a>, usize)> {
        let mut items = Vec::new();
        let end = flow_items(self.bytes, open, le, |i| {
            let (item, end) = self.scalar_at(i, le, true)?;
            items.push(item);
            (!self.over_budget.get()).then_some(end)
        })?;
        let mut node = self.scalar(open, end, Cow::Borrowed(""), ScalarStyle::Plain);
        node.kind = Kind::Seq { items, flow: true };
        Some((node, end))
    }

    fn scalar(
        &self,
        start: usize,
        end: usize,
        value: Cow<'a, str>,
        style: ScalarStyle,
    ) -> Node<'a> {
        let node = Node {
            kind: Kind::Scalar { value, style },
            start,
            end,
            anchor: 0,
            tag: 0,
        };
        if !self.budget.charge(&node) {
            self.over_budget.set(true);
        }
        node
    }

    fn open_map(&mut self, p: usize) -> Option<()> {
        let entries = self.map_pool.pop().unwrap_or_default();
        self.open(
            p,
            Kind::Map {
                entries,
                flow: false,
            },
        )
    }

    fn open_seq(&mut self, p: usize) -> Option<()> {
        let items = self.seq_pool.pop().unwrap_or_default();
        self.open(p, Kind::Seq { items, flow: false })
    }

    fn open(&mut self, p: usize, kind: Kind<'a>) -> Option<()> {
        if self.stack.len() >= MAX_DEPTH {
            return None;
        }
        let indent = p - self.line_start;
        let node = Node {
            kind,
            start: p,
            end: p,
            anchor: 0,
            tag: 0,
        };
        if !self.budget.charge(&node) {
            self.over_budget.set(true);
        }
        let indentless = matches!(node.kind, Kind::Seq { .. })
            && self
                .stack
                .last()
                .is_some_and(|parent| parent.indent == indent);
        self.stack.push(Open {
            indent,
            indentless,
            node,
            key: None,
        });
        Some(())
    }

    /// Ends the collection on top and hands it to its parent.
    fn close(&mut self) -> Option<()> {
        let Open { mut node, key, .. } = self.stack.pop()?;
        if key.is_some() {
            return None; // a key whose value is empty
        }
        node.end = match &mut node.kind {
            Kind::Map { entries, .. } => {
                let end = entries.last().map(|(_, v)| v.end)?;
                exact(entries, &mut self.map_pool);
                end
            }
            Kind::Seq { items, .. } => {
                let end = items.last().map(|v| v.end)?;
                exact(items, &mut self.seq_pool);
                end
            }
            _ => return None,
        };
        let Some(parent) = self.stack.last_mut() else {
            if self.root.is_some() {
                return None;
            }
            self.root = Some(node);
            return Some(());
        };
        match &mut parent.node.kind {
            Kind::Map { entries, .. } => entries.push((parent.key.take()?, node)),
            Kind::Seq { .. } => return parent.push_item(node),
            _ => return None,
        }
        Some(())
    }
}

impl<'a> Open<'a> {
    fn push_item(&mut self, item: Node<'a>) -> Option<()> {
        let Kind::Seq { items, .. } = &mut self.node.kind else {
            return None;
        };
        if self.indentless && items.is_empty() {
            self.node.start = item.start;
        }
        items.push(item);
        Some(())
    }
}

/// Leaves `buffer` holding its items at their exact size; the grown buffer goes back to the
/// pool. A large collection (apiKeys itself) is shrunk in place instead: copying it out
/// would briefly hold it twice.
fn exact<T>(buffer: &mut Vec<T>, pool: &mut Vec<Vec<T>>) {
    if buffer.len() > 64 {
        buffer.shrink_to_fit();
        return;
    }
    let mut items = Vec::with_capacity(buffer.len());
    items.append(buffer);
    pool.push(std::mem::replace(buffer, items));
}

/// Appends the last run of a quoted scalar: borrowed when it is the whole value.
fn append<'a>(value: &mut Cow<'a, str>, run: &'a str) {
    if value.is_empty() && matches!(value, Cow::Borrowed(_)) {
        *value = Cow::Borrowed(run);
    } else {
        value.to_mut().push_str(run);
    }
}

fn node_is_plain(node: &Node<'_>) -> bool {
    matches!(
        node.kind,
        Kind::Scalar {
            style: ScalarStyle::Plain,
            ..
        }
    )
}

fn memchr_newline(b: &[u8], from: usize) -> Option<usize> {
    memchr::memchr(b'\n', &b[from..]).map(|i| from + i)
}

/// `-` followed by a space or the line's end: a block sequence item.
pub(crate) fn is_dash(b: &[u8], p: usize, le: usize) -> bool {
    b[p] == b'-' && (p + 1 == le || b[p + 1] == b' ')
}

/// Where a simple plain key starting at `p` ends, when `p` starts `key:` followed by a space or
/// the line's end. Keys of other characters go to saphyr.
pub(crate) fn key_end(b: &[u8], p: usize, le: usize) -> Option<usize> {
    if !(b[p].is_ascii_alphanumeric() || matches!(b[p], b'_' | b'.' | b'/')) {
        return None;
    }
    let mut i = p + 1;
    while i < le && i - p <= MAX_KEY {
        let c = b[i];
        if c == b':' && (i + 1 == le || b[i + 1] == b' ') {
            return Some(i);
        }
        if !KEY_CHAR[c as usize] {
            return None;
        }
        i += 1;
    }
    None
}

/// The bytes a simple key may hold after its first.
static KEY_CHAR: [bool; 256] = crate::names::ascii_alphanumeric_and(b"_-./:");

/// The bytes [`plain_end`] looks at in block context (`BLOCK`) and in flow context (`FLOW`).
static SPECIAL: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b':' as usize] = BLOCK | FLOW;
    table[b'#' as usize] = BLOCK | FLOW;
    let mut i = 0;
    let flow = b" ,[]{}\"'";
    while i < flow.len() {
        table[flow[i] as usize] |= FLOW;
        i += 1;
    }
    table
};
const BLOCK: u8 = 1;
const FLOW: u8 = 2;

/// The end of a single-line plain scalar starting at `v` (trailing spaces and any comment
/// excluded), or `None` when it is not one this path is sure about.
pub(crate) fn plain_end(b: &[u8], v: usize, le: usize, flow: bool) -> Option<usize> {
    let next_is_blank = |i: usize| i + 1 >= le || b[i + 1] == b' ';
    match b[v] {
        b'-' | b'?' | b':' if next_is_blank(v) => return None,
        b'-' | b'?' | b':' if flow && matches!(b[v + 1], b',' | b']' | b'[' | b'{' | b'}') => {
            return None;
        }
        b'-' | b'?' | b':' => {}
        b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' => return None,
        _ => {}
    }
    if !flow {
        // Block context: only `: ` (or a final `:`) and ` #` matter; find them by search (a
        // byte at a time on a short value, for which a search's set-up costs more).
        let mut end = le;
        let stop = |at: usize| -> Option<bool> {
            match b[at] {
                b'#' if b[at - 1] == b' ' => Some(true),
                b':' if next_is_blank(at) => None,
                _ => Some(false),
            }
        };
        if le - v <= 48 {
            for at in v + 1..le {
                if SPECIAL[b[at] as usize] & BLOCK != 0 && stop(at)? {
                    end = at;
                    break;
                }
            }
        } else {
            for i in memchr::memchr2_iter(b':', b'#', &b[v..le]) {
                if stop(v + i)? {
                    end = v + i;
                    break;
                }
            }
        }
        while end > v && b[end - 1] == b' ' {
            end -= 1;
        }
        return (end > v).then_some(end);
    }
    let mut i = v;
    let mut end = v;
    while i < le {
        // Most bytes are none of those below, and only move the end.
        if SPECIAL[b[i] as usize] & FLOW == 0 {
            i += 1;
            end = i;
            continue;
        }
        match b[i] {
            b' ' => {
                if i + 1 < le && b[i + 1] == b'#' {
                    if flow {
                        return None;
                    }
                    break;
                }
            }
            b':' if next_is_blank(i) => return None,
            b':' if flow && matches!(b[i + 1], b',' | b']' | b'[' | b'{' | b'}') => return None,
            b',' | b']' if flow => break,
            b'[' | b'{' | b'}' | b'#' | b'"' | b'\'' if flow => return None,
            _ => end = i + 1,
        }
        i += 1;
    }
    (end > v).then_some(end)
}

/// A flow list on one line, `[a, "b", c]`, opening at `open`: `item` reads the item starting
/// at a position and says where it ends. `None` for what this path leaves to saphyr (a
/// trailing comma, anything but `,` or `]` after an item, the line's end before `]`); else
/// the position after `]`. (The one-pass loader reads its flow lists with it too.)
pub(crate) fn flow_items(
    b: &[u8],
    open: usize,
    le: usize,
    mut item: impl FnMut(usize) -> Option<usize>,
) -> Option<usize> {
    let mut i = open + 1;
    let mut any = false;
    loop {
        while i < le && b[i] == b' ' {
            i += 1;
        }
        if i >= le {
            return None;
        }
        if b[i] == b']' {
            if any {
                return None; // a trailing comma
            }
            break;
        }
        i = item(i)?;
        any = true;
        while i < le && b[i] == b' ' {
            i += 1;
        }
        match b.get(i).filter(|_| i < le)? {
            b',' => i += 1,
            b']' => break,
            _ => return None,
        }
    }
    Some(i + 1)
}

/// Only spaces, then nothing or a comment (which must follow a space), up to the line's end.
pub(crate) fn rest_is_comment(b: &[u8], mut i: usize, le: usize) -> bool {
    let from = i;
    while i < le && b[i] == b' ' {
        i += 1;
    }
    i == le || (b[i] == b'#' && i > from)
}

#[cfg(test)]
mod tests;
