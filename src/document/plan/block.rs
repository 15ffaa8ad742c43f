//! Splices for a block `apiKeys` mapping: set or remove fields of an entry, cut an entry,
//! and add keys after the last one (also the first keys of a null, empty or flow `apiKeys`).

use super::super::NEW_FILE;
use super::Document;
use super::splice::{Splice, anchor_name};
use crate::document::edit::Edit;
use crate::document::layout::{ApiValue, Root, colon_after, indent_of, line_end, line_start};
use crate::document::render::{
    Value, render_block_list, render_entry, render_field_suffix, render_flow_entry, render_scalar,
};
use crate::error::{Error, Result};
use crate::model::{ApiKey, Field};

impl Document {
    /// Splices that set or remove fields of a block entry.
    pub(super) fn field_splices(
        &self,
        name: &str,
        changes: &[(Field, Option<Value>)],
    ) -> Result<Vec<Splice>> {
        let entry = self.entry_of(name)?;
        let text = &self.text;
        let nl = self.layout.newline;
        if entry.flow() {
            return Ok(vec![self.flow_entry_splice(entry, changes)]);
        }
        let fields = entry.fields(text);
        let Some(first) = fields.first() else {
            return Err(self.cannot_edit(name, entry.key_start(), "has no fields"));
        };
        if !first.key_simple(text) {
            return Err(self.cannot_edit(
                name,
                first.key_start(),
                "starts with a field tokenctl cannot find the indentation of",
            ));
        }
        let field_indent = indent_of(text, first.key_start());
        let mut splices = Vec::new();
        let mut appended = String::new();
        for (n, v) in changes {
            let field = fields.iter().find(|f| f.is(*n));
            if let Some(f) = field.filter(|f| !f.key_simple(text)) {
                return Err(self.cannot_edit(
                    name,
                    f.key_start(),
                    &format!(
                        "writes field '{n}' in a form other than `{n}: value` on a line of its own"
                    ),
                ));
            }
            match (field, v) {
                (Some(f), None) => {
                    splices.push(Splice::cut(
                        line_start(text, f.key_start()),
                        line_end(text, f.value_end()),
                    ));
                }
                (Some(f), Some(v)) => {
                    let colon = colon_after(text, f.key_end()).expect("a simple key has its colon");
                    let anchor = if f.anchor() != 0 {
                        let token = &text[f.value_start()..];
                        let len = token.find([' ', '\t', '\r', '\n']).unwrap_or(token.len());
                        format!(" {}", &token[..len])
                    } else {
                        String::new()
                    };
                    let suffix = match (v, f.block_list_indent()) {
                        (Value::List(items), Some(dash)) if !items.is_empty() => {
                            render_block_list(items, dash, nl)
                        }
                        _ => render_field_suffix(v, field_indent, nl),
                    };
                    let end = f.value_end().max(colon + 1);
                    // A block scalar whose last line is kept (`|+`, or a line of spaces that
                    // is content) ends past that line's break: the new value ends its line.
                    let eol = if text.as_bytes()[end - 1] == b'\n' {
                        nl
                    } else {
                        ""
                    };
                    splices.push(Splice::new(colon + 1, end, anchor + &suffix + eol));
                }
                (None, Some(v)) => {
                    appended.push_str(&" ".repeat(field_indent));
                    appended.push_str(n.yaml_name());
                    appended.push(':');
                    appended.push_str(&render_field_suffix(v, field_indent, nl));
                    appended.push_str(nl);
                }
                (None, None) => {}
            }
        }
        if !appended.is_empty() {
            let at = line_end(text, entry.value_end());
            splices.push(Splice::new(
                at,
                at,
                newline_if_needed(text, at, nl) + &appended,
            ));
        }
        Ok(splices)
    }

    /// The whole lines of a block entry, to cut.
    pub(super) fn removal_splice(&self, name: &str) -> Result<Splice> {
        let text = &self.text;
        let i = self
            .model
            .index_of(name)
            .map(|k| self.layout.of_key[k] as usize);
        let entry = self.entry_of(name)?;
        if !entry.key_simple(text) {
            return Err(self.cannot_edit(
                name,
                entry.key_start(),
                "is not written as `name:` at the start of its line",
            ));
        }
        let start = line_start(text, entry.key_start());
        let mut end = line_end(text, entry.value_end());
        // Blank lines left after the cut would join a block scalar that ends the entry
        // before (with `|+` they are part of its value), and a comment indented like its
        // content would become content: cut those too.
        let previous = i
            .and_then(|i| i.checked_sub(1))
            .map(|p| &self.layout.entries[p]);
        if previous.is_some_and(|p| p.ends_in_block_scalar()) {
            let indent = indent_of(text, entry.key_start());
            while end < text.len() {
                // The line that starts at `end` (line_end would stop at `end` itself).
                let next = memchr::memchr(b'\n', &text.as_bytes()[end..])
                    .map_or(text.len(), |i| end + i + 1);
                let line = text[end..next].trim_end_matches(['\n', '\r']);
                let body = line.trim_start_matches(' ');
                let deeper_comment = body.starts_with('#') && line.len() - body.len() > indent;
                if body.is_empty() || deeper_comment {
                    end = next;
                } else {
                    break;
                }
            }
        }
        Ok(Splice::cut(start, end))
    }

    /// When an edit removes every key of a block apiKeys whose value carries a tag
    /// (`apiKeys: !!map`), the value left would be a tagged null, which the loader refuses:
    /// it becomes `{}` after the tag (`apiKeys: !!map {}`). Found by the differential
    /// test: the last key of such a file could not be deleted.
    pub(super) fn emptied_splice(&self, edit: &Edit) -> Option<Splice> {
        let api = self.layout.api.as_ref()?;
        let all_gone = !self.layout.entries.is_empty()
            && self.layout.entries.len() == self.model.keys.len()
            && self
                .model
                .names()
                .all(|n| edit.remove.iter().any(|r| r == n));
        if !matches!(api.value, ApiValue::Block) || !all_gone || !edit.add.is_empty() {
            return None;
        }
        // `apiKeys: {}`, never `apiKeys:` with nothing after it: that is a null to every YAML
        // library, not the empty mapping docs/FORMAT.md promises. After the anchor and tag
        // that follow the colon on the key's line, if any.
        let b = self.text.as_bytes();
        let colon = colon_after(&self.text, api.key_end)?;
        let mut i = colon + 1;
        let mut at = i;
        loop {
            while i < b.len() && matches!(b[i], b' ' | b'\t') {
                i += 1;
            }
            if i < b.len() && matches!(b[i], b'&' | b'!') {
                while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                    i += 1;
                }
                at = i;
            } else {
                break;
            }
        }
        Some(Splice::new(at, at, " {}"))
    }

    /// Splices that add `keys` after the last key.
    pub(super) fn new_keys_splices(&self, keys: &[ApiKey]) -> Result<Vec<Splice>> {
        let nl = self.layout.newline;
        let mut splices = Vec::new();
        if keys.is_empty() {
            return Ok(splices);
        }
        let entries = |indent: usize, field_indent: usize| -> String {
            keys.iter()
                .map(|k| render_entry(k, indent, field_indent, nl))
                .collect()
        };
        let text = &self.text;
        let Some(api) = &self.layout.api else {
            // No apiKeys yet: a new file is written in the style of docs/FORMAT.md's example; an
            // existing one gets `apiKeys:` after its last top-level value (so before a
            // document end marker `...` and the comments after it).
            let mut out = String::new();
            let at = match self.layout.root {
                Root::Empty if text.is_empty() => {
                    out.push_str(&NEW_FILE.replace('\n', nl));
                    0
                }
                Root::Empty => {
                    // Before a document end marker: after it, `apiKeys:` would start a second
                    // document, which no server's YAML library loads as this file.
                    let at = document_end(text).unwrap_or(text.len());
                    out.push_str(&newline_if_needed(text, at, nl));
                    out.push_str("apiKeys:");
                    out.push_str(nl);
                    at
                }
                _ => {
                    let at = line_end(text, self.layout.top_end);
                    out.push_str(&newline_if_needed(text, at, nl));
                    out.push_str(&" ".repeat(self.layout.top_indent));
                    out.push_str("apiKeys:");
                    out.push_str(nl);
                    at
                }
            };
            out.push_str(&entries(self.layout.top_indent + 2, 2));
            splices.push(Splice::new(at, at, out));
            return Ok(splices);
        };
        if let Some((_, alias)) = self
            .layout
            .aliases
            .iter()
            .find(|(id, _)| api.value_anchor != 0 && *id == api.value_anchor)
        {
            let name = anchor_name(text, api.key_end);
            return Err(Error::Unsafe {
                path: self.path.clone(),
                message: format!(
                    "apiKeys is anchored as &{name} and line {} aliases it (*{name}): a new key would appear there too; write that value out in full (or remove the alias), then retry",
                    self.line_of(*alias)
                ),
            });
        }
        match &api.value {
            ApiValue::Null { start, end } => {
                let colon = colon_after(text, api.key_end).unwrap_or(api.key_end);
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
                    splices.push(Splice::cut(colon + 1 + keep, *end));
                }
                let at = line_end(text, (*end).max(colon));
                let indent = self.layout.top_indent + 2;
                splices.push(Splice::new(
                    at,
                    at,
                    newline_if_needed(text, at, nl) + &entries(indent, 2),
                ));
            }
            ApiValue::Flow { end } if self.layout.entries.is_empty() => {
                let colon = colon_after(text, api.key_end).unwrap_or(api.key_end);
                // The `{}` goes; an anchor or tag before it stays (found by fuzz/edit).
                let brace = text[..*end].rfind('{').unwrap_or(colon + 1).max(colon + 1);
                let keep = text[colon + 1..brace].trim_end().len();
                splices.push(Splice::cut(colon + 1 + keep, *end));
                let at = line_end(text, *end);
                let indent = self.layout.top_indent + 2;
                splices.push(Splice::new(
                    at,
                    at,
                    newline_if_needed(text, at, nl) + &entries(indent, 2),
                ));
            }
            ApiValue::Flow { end } => {
                let mut added: String = keys
                    .iter()
                    .map(|k| format!(", {}: {}", render_scalar(&k.name), render_flow_entry(k)))
                    .collect();
                // After a trailing comma (`{a: 1,}`), the first new entry needs none of its
                // own. Only blanks, comments and that comma stand between the last entry and
                // the closing bracket.
                let last_end = self
                    .layout
                    .entries
                    .last()
                    .map_or(*end - 1, |e| e.value_end());
                let trailing_comma = text[last_end.min(end - 1)..end - 1]
                    .split('\n')
                    .any(|line| line.split('#').next().is_some_and(|l| l.contains(',')));
                if trailing_comma {
                    added.replace_range(..1, "");
                }
                splices.push(Splice::new(end - 1, end - 1, added));
            }
            ApiValue::Block => {
                let last = self
                    .layout
                    .entries
                    .last()
                    .expect("block mapping has entries");
                if !last.key_simple(text) {
                    return Err(Error::Unsafe {
                        path: self.path.clone(),
                        message: format!(
                            "the last key of apiKeys (line {}) is not written as `name:` at the start of its line, so tokenctl cannot tell where a new key goes; add it by hand",
                            self.line_of(last.key_start())
                        ),
                    });
                }
                let key_indent = indent_of(text, last.key_start());
                let field_indent = last
                    .fields(text)
                    .first()
                    .filter(|f| !last.flow() && f.key_simple(text))
                    .map_or(2, |f| {
                        indent_of(text, f.key_start())
                            .saturating_sub(key_indent)
                            .max(1)
                    });
                let at = line_end(text, last.value_end());
                splices.push(Splice::new(
                    at,
                    at,
                    newline_if_needed(text, at, nl) + &entries(key_indent, field_indent),
                ));
            }
        }
        Ok(splices)
    }
}

/// Where the first document end marker (`...` at the start of a line, then a blank, a
/// comment or the line's end) begins, if the text has one.
pub(super) fn document_end(text: &str) -> Option<usize> {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("...") {
            if rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n', '#']) {
                return Some(at);
            }
        }
        at += line.len();
    }
    None
}

pub(super) fn newline_if_needed(text: &str, at: usize, nl: &str) -> String {
    if at > 0 && at == text.len() && !text.ends_with('\n') {
        nl.to_string()
    } else {
        String::new()
    }
}
