//! The postcondition of every write: the new text, read by the reference parser, gives
//! exactly the intended data, or nothing is written.
//!
//! "Exactly" means: every key reads as the intended model says (typed, field by field, in
//! order), and every other value of the document (foreign fields of kept keys, every field
//! the edit is not about, other tools' top-level sections), with anchors and aliases
//! followed, reads the same as before the edit. Layout (comments, quoting, spacing) is not
//! compared: the planner keeps it, and it does not change what a server reads.
//!
//! Two ways to check it, with the same answer:
//! - [`full`]: parse the old and the new text with saphyr ([`yaml::parse_full`]) and compare
//!   the whole documents. Always right; costs two full parses.
//! - [`local`]: when the edit stays inside whole block entries of apiKeys that hold no anchor,
//!   alias or tag, parse only those entries, before and after, standalone. Why that is
//!   enough: the text before the window and after it is byte for byte the same; the window
//!   starts at a line holding an entry's key at the entries' indentation and ends before a
//!   line with text no deeper than that (the next key, the next top-level key) or at the end,
//!   so whatever the window holds is closed when the text after it starts, in the document
//!   as in the standalone text; with no anchor, alias or tag in it, nothing it holds refers
//!   to anything outside it or is referred to from outside. So each entry in the window
//!   reads the same standalone as in the whole document, and nothing outside the window
//!   reads differently. The property test in tests/library/prove.rs runs both on generated
//!   documents and edits and checks that they agree.
//!
//! The store takes `local`'s yes, and on anything else asks `full`, whose answer stands.

use super::Document;
use super::edit::{NewText, Planned};
use super::layout::{ApiValue, Root, line_end, line_start};
use crate::error::{Error, Result};
use crate::model::Field;
use crate::yaml::{self, Kind, Node, Resolver, Tree, same};

/// Proves `planned` against `old`: `Ok` when the new text reads as intended.
pub(crate) fn prove(old: &Document, planned: &Planned) -> Result<()> {
    if let Some(Ok(())) = local(old, planned) {
        return Ok(());
    }
    full(old, planned)
}

/// Why a new text is refused.
fn refuse(old: &Document, what: String) -> Error {
    let hint = constructs(&old.text);
    Error::Unsafe {
        path: old.path.clone(),
        message: format!(
            "tokenctl could not make this change safely, so nothing was written: {what}{hint}; make the change by hand"
        ),
    }
}

/// Names the YAML constructs of a text that tokenctl edits least well, for messages.
fn constructs(text: &str) -> String {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let body = line.trim_start();
        let what = if body.starts_with("? ") || body == "?" {
            "an explicit key (`?`)"
        } else if body.contains(": |") || body.contains(": >") || body.starts_with("- |") {
            "a block scalar (`|` or `>`)"
        } else if body.contains(" &") || body.contains(" *") || body.starts_with('&') {
            "an anchor or alias (`&`, `*`)"
        } else if body.contains(" !") {
            "a tag (`!`)"
        } else {
            continue;
        };
        if !found.iter().any(|(w, _)| *w == what) {
            found.push((what, i + 1));
        }
        if found.len() == 3 {
            break;
        }
    }
    if found.is_empty() {
        return String::new();
    }
    let list: Vec<String> = found
        .iter()
        .map(|(w, line)| format!("{w} at line {line}"))
        .collect();
    format!(" (the file holds {})", list.join(", "))
}

/// The whole-document check, with the reference parser.
pub(crate) fn full(old: &Document, planned: &Planned) -> Result<()> {
    let whole = planned.new.whole(&old.text);
    let text = whole.as_str();
    let (a, _, b_new) = diff_range(&old.text, text);
    changed_characters(old, &text[a..b_new])?;
    tab_blank_lines(old, text, 0, (a, b_new))?;
    let strip = |t: &str| -> usize { if t.starts_with('\u{feff}') { 3 } else { 0 } };
    let (ob, nb) = (strip(&old.text), strip(text));
    let old_tree = yaml::parse_full(&old.text[ob..])
        .map_err(|e| refuse(old, format!("the file no longer reads ({})", e.message)))?;
    let new_tree = yaml::parse_full(&text[nb..]).map_err(|e| {
        refuse(
            old,
            format!(
                "the new text would not read as YAML (line {}: {})",
                e.line, e.message
            ),
        )
    })?;
    compare_documents(old, planned, &old_tree, &new_tree)?;
    let (model, layout, problems) = super::load::load(&text[nb..], new_tree);
    // Nothing outside portable security.yml is written (a rewrite to it may leave what it
    // cannot rewrite, never add).
    let problems = if layout.portability.deprecated.len() > old.deprecated().len() {
        layout.portability.deprecated
    } else {
        problems
    };
    if let Some(p) = problems.first() {
        return Err(refuse(
            old,
            format!(
                "the new text would have a problem at line {}: {}",
                p.line, p.message
            ),
        ));
    }
    same_model(old, &model.keys, planned.intended_keys(&old.model))?;
    if model.version != planned.version
        || model.token_prefix != old.model.token_prefix
        || model.catalog != old.model.catalog
    {
        return Err(refuse(
            old,
            "the file's version, tokenPrefix or permissions catalog would change".into(),
        ));
    }
    Ok(())
}

/// No line of only blanks holding a tab may stand in the changed lines or right after them:
/// libyaml and PyYAML refuse one after a plain value ("a tab character that violates
/// indentation"), which saphyr accepts, so the new text would not read to servers using
/// them (found by fuzz/edit: `a: 1\n  \t` reads, but with a new key before its last line it
/// does not). Checked on the whole texts by both proofs, so they agree: `after` is the new
/// text from byte `base` on (a line start, at or before `a`), far enough to hold the line
/// after the change's last.
fn tab_blank_lines(
    old: &Document,
    after: &str,
    base: usize,
    (a, b_new): (usize, usize),
) -> Result<()> {
    let (a, b_new) = (a - base, b_new - base);
    let b = after.as_bytes();
    // From the line where the change starts to the end of the line after it ends.
    // (At least the one line holding `a`. The bound is taken once: written as
    // `at < stop.max(at + 1)` in the loop's condition it was always true, and the loop ran
    // on to the end of the file, a pass over everything after the change.)
    let mut at = line_start(after, a);
    let stop = line_end(after, line_end(after, b_new)).max(at + 1);
    while at < stop && at < b.len() {
        let end = memchr::memchr(b'\n', &b[at..]).map_or(b.len(), |i| at + i);
        let line = &b[at..end];
        if line.contains(&b'\t') && line.iter().all(|c| matches!(c, b' ' | b'\t' | b'\r')) {
            let (n, _) = yaml::Lines::new(after).position(at);
            // The lines before `base`, the same in both texts.
            let n = n + memchr::memchr_iter(b'\n', &old.text.as_bytes()[..base]).count();
            return Err(refuse(
                old,
                format!(
                    "a line of only blanks holding a tab would stand at line {n}, next to what tokenctl writes, where libyaml and PyYAML refuse one; remove the tab (or the line) and retry"
                ),
            ));
        }
        at = end + 1;
    }
    Ok(())
}

/// The new text may hold only characters tokenctl can read back in the part it changed: no
/// byte order mark, NEL or line separator (which YAML 1.1 parsers break lines on), no bare CR.
fn new_characters(old: &Document, before: &str, after: &str) -> Result<()> {
    let (a, _, b_new) = diff_range(before, after);
    changed_characters(old, &after[a..b_new])
}

/// [`new_characters`] of the changed part itself.
fn changed_characters(old: &Document, changed: &str) -> Result<()> {
    if let Some(c) = changed.chars().find(|c| {
        matches!(c, '\u{feff}' | '\u{85}' | '\u{2028}' | '\u{2029}')
            || (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    }) {
        return Err(refuse(
            old,
            format!(
                "the new text would hold the character U+{:04X} raw",
                c as u32
            ),
        ));
    }
    let b = changed.as_bytes();
    if memchr::memchr_iter(b'\r', b).any(|i| b.get(i + 1) != Some(&b'\n')) {
        return Err(refuse(old, "the new text would hold a bare CR".into()));
    }
    yaml::check_characters(changed)
        .map_err(|e| refuse(old, format!("the new text would hold {}", e.message)))
}

/// The common prefix and suffix of two texts: the change is `before[a..b_old]` becoming
/// `after[a..b_new]`. Cut on character boundaries. (Compared a block at a time: slices
/// compare with memcmp, a byte-at-a-time loop over a large file does not.)
pub(super) fn diff_range(before: &str, after: &str) -> (usize, usize, usize) {
    let (x, y) = (before.as_bytes(), after.as_bytes());
    let mut p = common_prefix(x, y);
    while !before.is_char_boundary(p) || !after.is_char_boundary(p) {
        p -= 1;
    }
    let mut s = common_suffix(&x[p..], &y[p..]);
    while !before.is_char_boundary(x.len() - s) || !after.is_char_boundary(y.len() - s) {
        s -= 1;
    }
    (p, x.len() - s, y.len() - s)
}

/// How many bytes `x` and `y` start with alike, a block at a time: slices compare with
/// memcmp, a byte-at-a-time loop over a large file does not.
fn common_prefix(x: &[u8], y: &[u8]) -> usize {
    const BLOCK: usize = 256;
    let shortest = x.len().min(y.len());
    let mut p = 0;
    while p + BLOCK <= shortest && x[p..p + BLOCK] == y[p..p + BLOCK] {
        p += BLOCK;
    }
    while p < shortest && x[p] == y[p] {
        p += 1;
    }
    p
}

/// How many bytes `x` and `y` end with alike.
fn common_suffix(x: &[u8], y: &[u8]) -> usize {
    const BLOCK: usize = 256;
    let shortest = x.len().min(y.len());
    let (xl, yl) = (x.len(), y.len());
    let mut s = 0;
    while s + BLOCK <= shortest && x[xl - s - BLOCK..xl - s] == y[yl - s - BLOCK..yl - s] {
        s += BLOCK;
    }
    while s < shortest && x[xl - 1 - s] == y[yl - 1 - s] {
        s += 1;
    }
    s
}

/// [`diff_range`] of `old` and the new text `new` says against it, without building the new
/// text: the same three positions.
fn spliced_diff_range(old: &str, new: &NewText) -> (usize, usize, usize) {
    let (x, w) = (old.as_bytes(), new.with.as_bytes());
    let (start, end) = (new.start, new.end);
    let new_len = new.len(old);
    // The new text's byte `i`, from its three pieces.
    let byte = |i: usize| {
        if i < start {
            x[i]
        } else if i < start + w.len() {
            w[i - start]
        } else {
            x[i - start - w.len() + end]
        }
    };
    let new_boundary =
        |i: usize| i == 0 || i == new_len || (i < new_len && (byte(i) as i8) >= -0x40);
    let shortest = x.len().min(new_len);
    // Alike up to `start`; then `with` against the old text there; then, past `with`, the
    // old text after the span against the old text after `start + with`.
    let k = common_prefix(w, &x[start..]);
    let mut p = start + k;
    if k == w.len() {
        p += common_prefix(&x[end..], &x[start + w.len()..]);
    }
    let mut p = p.min(shortest);
    while !old.is_char_boundary(p) || !new_boundary(p) {
        p -= 1;
    }
    let max_s = shortest - p;
    // Alike from `end` on; then `with` against the old text before `end`; then the old text
    // before `start` against the old text before `end - with`.
    let mut s = x.len() - end;
    if s < max_s {
        let k = common_suffix(w, &x[..end]);
        s += k;
        if k == w.len() {
            s += common_suffix(&x[..start], &x[..end - w.len()]);
        }
    }
    let mut s = s.min(max_s);
    while !old.is_char_boundary(x.len() - s) || !new_boundary(new_len - s) {
        s -= 1;
    }
    (p, x.len() - s, new_len - s)
}

/// The entries of a tree's apiKeys mapping, by name.
fn api_entries<'a, 't>(tree: &'a Tree<'t>) -> Option<Vec<(&'a str, &'a Node<'t>)>> {
    let root = tree.root.as_ref()?;
    let Kind::Map { entries, .. } = &root.kind else {
        return None;
    };
    let (_, api) = entries
        .iter()
        .find(|(k, _)| k.as_str() == Some("apiKeys"))?;
    match &api.kind {
        Kind::Map { entries, .. } => Some(
            entries
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?, v)))
                .collect(),
        ),
        _ => Some(Vec::new()),
    }
}

/// Compares two whole documents: top-level keys other than apiKeys the same, in the same
/// order (a new file may gain `version`; a file without apiKeys gains it last), and apiKeys'
/// entries as [`same_entries`] says.
fn compare_documents(
    old: &Document,
    planned: &Planned,
    old_tree: &Tree<'_>,
    new_tree: &Tree<'_>,
) -> Result<()> {
    let (ro, rn) = (Resolver::new(old_tree), Resolver::new(new_tree));
    let empty = Vec::new();
    let old_top = match old_tree.root.as_ref().map(|r| &r.kind) {
        Some(Kind::Map { entries, .. }) => entries,
        _ => &empty,
    };
    let Some(Kind::Map {
        entries: new_top, ..
    }) = new_tree.root.as_ref().map(|r| &r.kind)
    else {
        return Err(refuse(old, "the new text would not be a mapping".into()));
    };
    // Top-level keys, apiKeys aside, pairwise.
    let is_api = |k: &Node<'_>| k.as_str() == Some("apiKeys");
    let old_rest: Vec<_> = old_top.iter().filter(|(k, _)| !is_api(k)).collect();
    let mut new_rest: Vec<_> = new_top.iter().filter(|(k, _)| !is_api(k)).collect();
    if old.layout.root == Root::Empty && old_rest.is_empty() {
        // A new file starts `version: 1`.
        new_rest.retain(|(k, v)| !(k.as_str() == Some("version") && v.as_str() == Some("1")));
    }
    if old_rest.len() != new_rest.len() {
        return Err(refuse(old, "the top level would gain or lose a key".into()));
    }
    for ((ko, vo), (kn, vn)) in old_rest.iter().zip(&new_rest) {
        let ours = planned.portable
            && matches!(ko.as_str(), Some("version" | "tokenPrefix" | "permissions"))
            && ko.as_str() == kn.as_str();
        if !ours && (!same(ko, &ro, kn, &rn) || !same(vo, &ro, vn, &rn)) {
            return Err(refuse(
                old,
                format!(
                    "the top-level key '{}' would read differently",
                    ko.as_str().unwrap_or("?")
                ),
            ));
        }
    }
    let position = |top: &[(Node<'_>, Node<'_>)]| top.iter().position(|(k, _)| is_api(k));
    match (position(old_top), position(new_top)) {
        (Some(a), Some(b)) if a == b => {}
        (None, Some(b)) if b + 1 == new_top.len() => {}
        (None, None) if planned.intended_keys(&old.model).next().is_none() => {}
        _ => return Err(refuse(old, "apiKeys would move or go".into())),
    }
    let old_entries = api_entries(old_tree).unwrap_or_default();
    let new_entries = api_entries(new_tree).unwrap_or_default();
    same_entries(old, planned, &old_entries, &ro, &new_entries, &rn, true)
}

/// Compares entries of apiKeys before and after: the names must be the intended ones in
/// order (of the whole file, or of a window when `whole` is false: then the old entries are
/// the window's, and keys added are expected only when the window is the last); a kept key's
/// fields other than the ones the edit changes must be the same, in the same order; an
/// added key holds only tokenctl's fields.
fn same_entries(
    old: &Document,
    planned: &Planned,
    before: &[(&str, &Node<'_>)],
    ro: &Resolver<'_, '_>,
    after: &[(&str, &Node<'_>)],
    rn: &Resolver<'_, '_>,
    whole_or_last: bool,
) -> Result<()> {
    let mut expected: Vec<&str> = before
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !planned.removed.contains(*n))
        .collect();
    if whole_or_last {
        expected.extend(planned.added.iter().map(String::as_str));
    }
    let names: Vec<&str> = after.iter().map(|(n, _)| *n).collect();
    if names != expected {
        let missing = expected.iter().find(|n| !names.contains(n));
        let extra = names.iter().find(|n| !expected.contains(n));
        let what = match (missing, extra) {
            (Some(m), _) => format!("key '{m}' would be lost"),
            (_, Some(e)) => format!("a key '{e}' would appear"),
            _ => "the keys would change order".into(),
        };
        return Err(refuse(old, what));
    }
    for (name, new_def) in after {
        let changed = planned.changed.get(*name);
        let kept = |k: &Node<'_>| {
            !k.as_str()
                .is_some_and(|f| changed.is_some_and(|c| c.iter().any(|c| c.yaml_name() == f)))
        };
        let new_def = rn.follow(new_def);
        let new_fields = match new_def.map(|d| &d.kind) {
            Some(Kind::Map { entries, .. }) => entries,
            _ => return Err(refuse(old, format!("key '{name}' would not be a mapping"))),
        };
        let Some((_, old_def)) = before.iter().find(|(n, _)| n == name) else {
            // Added: only tokenctl's own fields.
            if let Some((k, _)) = new_fields
                .iter()
                .find(|(k, _)| k.as_str().is_none_or(|f| f.parse::<Field>().is_err()))
            {
                return Err(refuse(
                    old,
                    format!(
                        "new key '{name}' would hold a field '{}' tokenctl did not write",
                        k.as_str().unwrap_or("?")
                    ),
                ));
            }
            continue;
        };
        let old_fields = match ro.follow(old_def).map(|d| &d.kind) {
            Some(Kind::Map { entries, .. }) => entries,
            _ => return Err(refuse(old, format!("key '{name}' was not a mapping"))),
        };
        let a: Vec<_> = old_fields.iter().filter(|(k, _)| kept(k)).collect();
        let b: Vec<_> = new_fields.iter().filter(|(k, _)| kept(k)).collect();
        let differs = a.len() != b.len()
            || a.iter()
                .zip(&b)
                .find(|((ka, va), (kb, vb))| !same(ka, ro, kb, rn) || !same(va, ro, vb, rn))
                .is_some();
        if differs {
            let field = a
                .iter()
                .zip(&b)
                .find(|((ka, va), (kb, vb))| !same(ka, ro, kb, rn) || !same(va, ro, vb, rn))
                .and_then(|((k, _), _)| k.as_str())
                .or_else(|| a.get(b.len()).and_then(|(k, _)| k.as_str()))
                .or_else(|| b.get(a.len()).and_then(|(k, _)| k.as_str()))
                .unwrap_or("?");
            return Err(refuse(
                old,
                format!(
                    "key '{name}' would change where the edit is not about it (field '{field}')"
                ),
            ));
        }
    }
    Ok(())
}

/// The keys read from the new text must be the intended ones, field for field.
fn same_model<'a>(
    old: &Document,
    got: &[crate::model::ApiKey],
    want: impl Iterator<Item = &'a crate::model::ApiKey>,
) -> Result<()> {
    let mut got = got.iter();
    for w in want {
        let Some(g) = got.next() else {
            return Err(refuse(old, format!("key '{}' would be lost", w.name)));
        };
        if g != w {
            let field = crate::document::edit::field_changes(w, g)
                .first()
                .map_or("name", |(f, _)| f.yaml_name());
            return Err(refuse(
                old,
                format!(
                    "key '{}' would not read as intended (field {field})",
                    w.name
                ),
            ));
        }
    }
    if let Some(extra) = got.next() {
        return Err(refuse(old, format!("a key '{}' would appear", extra.name)));
    }
    Ok(())
}

/// The check confined to the block entries the edit touches, or `None` when the edit is not
/// of that shape (see the module's documentation for why it is enough).
pub(crate) fn local(old: &Document, planned: &Planned) -> Option<Result<()>> {
    let api = old.layout.api.as_ref()?;
    if !matches!(api.value, ApiValue::Block) || api.value_props || old.layout.root_props {
        return None;
    }
    let entries = &old.layout.entries;
    if entries.is_empty() || old.layout.of_key.len() != entries.len() {
        return None;
    }
    let (text, new) = (old.text.as_str(), &planned.new);
    let (a, b_old, b_new) = spliced_diff_range(text, new);
    let region_start = |i: usize| line_start(text, entries[i].key_start());
    let region_end = |i: usize| {
        if i + 1 < entries.len() {
            region_start(i + 1)
        } else {
            api.next_top_line.unwrap_or(text.len())
        }
    };
    if a < region_start(0) || b_old > region_end(entries.len() - 1) {
        return None;
    }
    // The run of whole regions that holds the change.
    let mut first = entries
        .partition_point(|e| line_start(text, e.key_start()) <= a)
        .saturating_sub(1);
    let mut last = first;
    while last + 1 < entries.len() && region_end(last) < b_old {
        last += 1;
    }
    let grow = new.len(text) as isize - text.len() as isize;
    let new_window = |first: usize, last: usize| -> Option<std::borrow::Cow<'_, str>> {
        let end = region_end(last) as isize + grow;
        new.get(text, region_start(first), usize::try_from(end).ok()?)
    };
    let indent = super::layout::indent_of(text, entries[first].key_start());
    // The window after the edit must start with a key at the entries' indentation (or be
    // empty), so that what ends the entry before it ends it as before.
    loop {
        let w = new_window(first, last)?;
        let starts_with_key = w.is_empty() || {
            let body = w.trim_start_matches(' ');
            w.len() - body.len() == indent && !body.starts_with(['#', '\n', '\r'])
        };
        if starts_with_key || first == 0 {
            break;
        }
        first -= 1;
    }
    for e in &entries[first..=last] {
        if !e.key_simple(text) || super::layout::indent_of(text, e.key_start()) != indent {
            return None;
        }
    }
    let (ws, we) = (region_start(first), region_end(last));
    let w_old = &text[ws..we];
    let w_new = new_window(first, last)?;
    let w_new = w_new.as_ref();
    if !(w_new.is_empty() || w_new.ends_with('\n') || we == text.len()) {
        return None;
    }
    let marker = |w: &str| {
        w.lines()
            .any(|l| l.starts_with("---") || l.starts_with("...") || l.starts_with('%'))
    };
    if marker(w_old) || marker(w_new) {
        return None;
    }
    if let Err(e) = new_characters(old, w_old, w_new) {
        return Some(Err(e));
    }
    // The new text from the window's start to the end of the second line after the window
    // (the window holds the change; past it the new text is the old one): where
    // `tab_blank_lines` looks.
    let line_after = |at: usize| {
        memchr::memchr(b'\n', &text.as_bytes()[at..]).map_or(text.len(), |i| at + i + 1)
    };
    let excerpt_end = line_after(line_after(we));
    let excerpt = new.get(text, ws, usize::try_from(excerpt_end as isize + grow).ok()?)?;
    if let Err(e) = tab_blank_lines(old, &excerpt, ws, (a, b_new)) {
        return Some(Err(e));
    }
    // Every key the edit is about must be in the window.
    let in_window: rustc_hash::FxHashSet<&str> = (first..=last)
        .map(|i| old.model.keys[i].name.as_str())
        .collect();
    let is_last = last + 1 == entries.len();
    if planned
        .changed
        .keys()
        .any(|n| !in_window.contains(n.as_str()))
        || planned
            .removed
            .iter()
            .any(|n| !in_window.contains(n.as_str()))
        || (!planned.added.is_empty() && !is_last)
    {
        return None;
    }
    let nl = old.layout.newline;
    let old_text = format!("apiKeys:{nl}{w_old}");
    let new_text = format!("apiKeys:{nl}{w_new}");
    let (Ok(old_tree), Ok(new_tree)) = (yaml::parse_full(&old_text), yaml::parse_full(&new_text))
    else {
        return None;
    };
    for t in [&old_tree, &new_tree] {
        if t.root.as_ref().is_some_and(Node::has_properties) {
            return None;
        }
    }
    let (ro, rn) = (Resolver::new(&old_tree), Resolver::new(&new_tree));
    let before = api_entries(&old_tree)?;
    let after = api_entries(&new_tree)?;
    if before.len() != last - first + 1 {
        return None;
    }
    if let Err(e) = same_entries(old, planned, &before, &ro, &after, &rn, is_last) {
        return Some(Err(e));
    }
    // Each entry's key at the entries' indentation, and a key added in the window must not
    // also be outside it.
    let (model, layout, problems) = super::load::load(&new_text, new_tree);
    if !problems.is_empty() {
        return Some(Err(refuse(
            old,
            format!("the new text would have a problem: {}", problems[0].message),
        )));
    }
    if layout
        .entries
        .iter()
        .any(|e| super::layout::indent_of(&new_text, e.key_start()) != indent)
    {
        return None;
    }
    for name in model.names() {
        if !in_window.contains(name) && old.model.get(name).is_some() {
            return Some(Err(refuse(
                old,
                format!("key '{name}' would be there twice"),
            )));
        }
    }
    // The keys of the window, as intended: the kept ones of the window in order, then the
    // added ones.
    let want = (first..=last)
        .map(|i| &old.model.keys[i])
        .filter(|k| !planned.removed.contains(&k.name))
        .map(|k| planned.put.get(&k.name).unwrap_or(k))
        .chain(planned.added_keys.iter().filter(|_| is_last));
    if let Err(e) = same_model(old, &model.keys, want) {
        return Some(Err(e));
    }
    Some(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text of up to `n` characters from a small alphabet (multi-byte ones included).
    fn texts(n: usize) -> Vec<String> {
        let alphabet = ["a", "b", "é", "\n"];
        let mut out = vec![String::new()];
        let mut level = vec![String::new()];
        for _ in 0..n {
            level = level
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            out.extend(level.iter().cloned());
        }
        out
    }

    /// The new text said as a span gives the same three positions as the two texts whole,
    /// and its pieces are the new text.
    #[test]
    fn the_spliced_diff_range_is_the_diff_range() {
        let olds = texts(4);
        let withs = texts(2);
        for old in &olds {
            let bounds: Vec<usize> = (0..=old.len())
                .filter(|&i| old.is_char_boundary(i))
                .collect();
            for (i, &start) in bounds.iter().enumerate() {
                for &end in &bounds[i..] {
                    for with in &withs {
                        let new = NewText {
                            start,
                            end,
                            with: with.clone(),
                        };
                        let whole = format!("{}{with}{}", &old[..start], &old[end..]);
                        assert_eq!(new.whole(old), whole);
                        assert_eq!(new.len(old), whole.len());
                        assert_eq!(new.is_unchanged(old), whole == *old);
                        assert_eq!(
                            spliced_diff_range(old, &new),
                            diff_range(old, &whole),
                            "{old:?} [{start}..{end}] <- {with:?}"
                        );
                        // Slicing, on the shorter texts (enough for every case of it).
                        if old.chars().count() > 3 {
                            continue;
                        }
                        for from in 0..=whole.len() {
                            for to in from..=whole.len() {
                                let got = new.get(old, from, to);
                                let want = whole.get(from..to);
                                if from < to || want.is_none() {
                                    assert_eq!(got.as_deref(), want, "{whole:?} {from}..{to}");
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
