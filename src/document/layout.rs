//! Where things are in a loaded security.yml: byte spans of apiKeys, each entry and each of
//! its fields, recorded by the loader and used by the planner (to splice) and the prover (to
//! cut the text into entries). Plus the line arithmetic both share.

use std::borrow::Cow;

#[derive(Debug, Clone, Default)]
pub(crate) struct Layout {
    pub root: Root,
    /// The top-level mapping carries an anchor or a tag.
    pub root_props: bool,
    /// Indentation of top-level keys (usually 0).
    pub top_indent: usize,
    /// Just past the top-level mapping's last value: where a new top-level key goes.
    pub top_end: usize,
    pub api: Option<ApiLayout>,
    /// Every entry of apiKeys, in file order.
    pub entries: Vec<EntryLayout>,
    /// For each key of the model, in the same order, its index in `entries`. (Indexes, not a
    /// map by name: the model already has one, and 100,000 names are worth not copying.)
    pub of_key: Vec<usize>,
    pub newline: &'static str,
    /// Every alias of the file (its anchor id and where it stands), in file order.
    pub aliases: Vec<(u32, usize)>,
    /// Every anchor of the file, in file order.
    pub anchor_defs: Vec<AnchorDef>,
    /// What is read but lies outside portable security.yml, and how to rewrite it.
    pub portability: Portability,
}

/// What the loader read that portable security.yml leaves out (docs/FORMAT.md), beyond the
/// problems that refuse the file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Portability {
    /// Deprecated constructs in tokenctl's data, read for one more release: `!!str`, anchors
    /// and aliases, a lowercase `t`/`z`, year 0000. Writers refuse a file holding one.
    pub deprecated: Vec<super::Problem>,
    /// What `check` warns about and no command refuses: foreign data that some library cannot
    /// load, a null or missing apiKeys, times before 1583.
    pub warnings: Vec<super::Problem>,
    /// Byte splices that rewrite what can be rewritten losslessly (`check --fix`), in any
    /// order, never overlapping.
    pub fixes: Vec<(usize, usize, String)>,
    /// Where the problems stand that `fixes` rewrite away (line, column).
    pub fixable: Vec<(usize, usize)>,
}

/// An anchored node: its anchor id and its span.
#[derive(Debug, Clone)]
pub(crate) struct AnchorDef {
    pub id: u32,
    pub start: usize,
    pub end: usize,
    /// A block collection: text inserted after its last line, deeper than its parent, joins it.
    pub block: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Root {
    #[default]
    Empty,
    /// A document that is only a null value (`~`, `null`): nothing can be appended to it.
    Null,
    Block,
    Flow,
}

#[derive(Debug, Clone)]
pub(crate) struct ApiLayout {
    pub key_start: usize,
    pub key_end: usize,
    pub value: ApiValue,
    /// The value carries an anchor or a tag (another node may alias the whole of it).
    pub value_props: bool,
    /// The value's anchor id (0: none).
    pub value_anchor: u32,
    /// Where the top-level key after apiKeys starts its line (`None`: apiKeys is the last).
    pub next_top_line: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) enum ApiValue {
    Null { start: usize, end: usize },
    Block,
    Flow { end: usize },
}

#[derive(Debug, Clone)]
pub(crate) struct EntryLayout {
    pub key_start: usize,
    pub key_end: usize,
    pub value_start: usize,
    /// Where the definition's content starts, past its anchor.
    pub content_start: usize,
    pub value_end: usize,
    pub flow: bool,
    /// The definition's last node is a block scalar (text after it may join it).
    pub ends_in_block_scalar: bool,
    pub fields: Vec<FieldLayout>,
}

#[derive(Debug, Clone)]
pub(crate) struct FieldLayout {
    pub name: Cow<'static, str>,
    pub key_start: usize,
    pub key_end: usize,
    pub value_start: usize,
    pub value_end: usize,
    /// Where the value's content starts, past its anchor (which an edit keeps).
    pub content_start: usize,
    /// The value's anchor id (0: none).
    pub anchor: u32,
    /// Indentation of the first `- ` when the value is a block list of scalars.
    pub block_list_indent: Option<usize>,
}

impl Layout {
    /// Moves every position by `by` bytes (for a text read after a BOM).
    pub(super) fn shift(&mut self, by: usize) {
        self.top_end += by;
        for (start, end, _) in &mut self.portability.fixes {
            *start += by;
            *end += by;
        }
        for (_, at) in &mut self.aliases {
            *at += by;
        }
        for d in &mut self.anchor_defs {
            d.start += by;
            d.end += by;
        }
        if let Some(api) = &mut self.api {
            api.key_start += by;
            api.key_end += by;
            if let Some(n) = &mut api.next_top_line {
                *n += by;
            }
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
            e.key_end += by;
            e.value_start += by;
            e.content_start += by;
            e.value_end += by;
            for f in &mut e.fields {
                f.key_start += by;
                f.key_end += by;
                f.value_start += by;
                f.value_end += by;
                f.content_start += by;
            }
        }
    }
}

pub(crate) use crate::yaml::line_start;

/// Just past the newline ending the line that holds `pos` (or the end of the text).
pub(crate) fn line_end(text: &str, pos: usize) -> usize {
    let pos = pos.min(text.len());
    // `pos` may point just past a value: the line is the one holding the byte before it.
    if pos > 0 && text.as_bytes()[pos - 1] == b'\n' {
        return pos;
    }
    memchr::memchr(b'\n', &text.as_bytes()[pos..]).map_or(text.len(), |i| pos + i + 1)
}

/// How many spaces start the line holding `pos`, up to `pos`.
pub(crate) fn indent_of(text: &str, pos: usize) -> usize {
    let ls = line_start(text, pos);
    text[ls..pos].bytes().take_while(|c| *c == b' ').count()
}

/// Is `pos` the first non-space character of its line?
pub(crate) fn starts_line(text: &str, pos: usize) -> bool {
    text[line_start(text, pos)..pos].bytes().all(|c| c == b' ')
}

/// The `:` after a key that ends at `key_end`, if only blanks stand between them.
pub(crate) fn colon_after(text: &str, key_end: usize) -> Option<usize> {
    let rest = &text[key_end..];
    let skipped = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    rest[skipped..]
        .starts_with(':')
        .then_some(key_end + skipped)
}

/// Is the key spanning `start..end` written `name: ` at the start of its line (plain or
/// quoted: no anchor, tag, alias or `?`), the form the planner cuts and splices by whole
/// lines? Worked out from the text when an edit needs it, not for every key at load.
pub(crate) fn simple_key(text: &str, start: usize, end: usize) -> bool {
    !text[start..].starts_with(['&', '!', '*', '?', '[', '{'])
        && starts_line(text, start)
        && colon_after(text, end).is_some()
}

impl EntryLayout {
    pub(super) fn key_simple(&self, text: &str) -> bool {
        simple_key(text, self.key_start, self.key_end)
    }
}

impl FieldLayout {
    pub(super) fn key_simple(&self, text: &str) -> bool {
        simple_key(text, self.key_start, self.key_end)
    }
}

/// A field name as the layout keeps it: tokenctl's own names without an allocation.
pub(crate) fn field_name(field: &str) -> Cow<'static, str> {
    match field.parse::<crate::model::Field>() {
        Ok(f) => Cow::Borrowed(f.yaml_name()),
        Err(_) => Cow::Owned(field.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_of_ours_is_named_without_an_allocation() {
        for f in crate::model::Field::ALL.map(crate::model::Field::yaml_name) {
            assert!(matches!(field_name(f), Cow::Borrowed(b) if b == f), "{f}");
        }
        assert!(matches!(field_name("x-other"), Cow::Owned(_)));
    }

    #[test]
    fn line_arithmetic() {
        let text = "ab\n  cd: 1\nef";
        assert_eq!(line_start(text, 7), 3);
        assert_eq!(line_end(text, 7), 11);
        assert_eq!(line_end(text, 11), 11);
        assert_eq!(line_end(text, 12), 13);
        assert_eq!(indent_of(text, 5), 2);
        assert!(starts_line(text, 5));
        assert!(!starts_line(text, 6));
        assert_eq!(colon_after(text, 7), Some(7));
        assert_eq!(colon_after("a : 1", 1), Some(2));
        assert_eq!(colon_after("a x: 1", 1), None);
    }
}
