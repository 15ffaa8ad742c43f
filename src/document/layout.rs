//! Where things are in a loaded security.yml: byte spans of apiKeys, each entry and each of
//! its fields, recorded by the loader and used by the planner (to splice) and the prover (to
//! cut the text into entries). Plus the line arithmetic both share.

use crate::model::Field;

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
    pub of_key: Vec<u32>,
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

/// Where one entry of apiKeys is. Positions are kept as `u32`, an entry's fields as a boxed
/// slice (100,000 of them are held at once): read them through the accessors, in `usize`.
#[derive(Debug, Clone)]
pub(crate) struct EntryLayout {
    key_start: u32,
    key_end: u32,
    value_start: u32,
    /// Where the definition's content starts, past its anchor.
    content_start: u32,
    value_end: u32,
    flow: bool,
    /// The definition's last node is a block scalar (text after it may join it).
    ends_in_block_scalar: bool,
    /// `None`: the fields are not kept; they are read again from the text when an edit needs
    /// them (the one-pass loader's block entries; see [`EntryLayout::fields`]). One word
    /// (a pointer to the slice) rather than a slice's two: 0.8 MB less at 100,000 entries.
    fields: Option<Box<Box<[FieldLayout]>>>,
}

/// Where one field of an entry is, kept as small as [`EntryLayout`] (see there).
#[derive(Debug, Clone)]
pub(crate) struct FieldLayout {
    key_start: u32,
    key_end: u32,
    value_start: u32,
    value_end: u32,
    /// Where the value's content starts, past its anchor (which an edit keeps).
    content_start: u32,
    /// The value's anchor id (0: none).
    anchor: u32,
    /// Indentation of the first `- ` when the value is a block list of scalars
    /// (`NO_INDENT`: it is not).
    block_list_indent: u32,
    /// Which of tokenctl's fields it is; `None`: another tool's (its name is the text of
    /// `key_start..key_end`).
    field: Option<Field>,
}

const NO_INDENT: u32 = u32::MAX;

/// A byte position as the layout keeps it. Texts are under 4 GiB: `Document::load_all`
/// refuses a larger one, and `load::load` reads none.
fn pos(at: usize) -> u32 {
    u32::try_from(at).expect("the layout of a text under 4 GiB")
}

/// The largest text a layout can describe (every position fits a `u32`).
pub(crate) const MAX_TEXT: usize = u32::MAX as usize;

impl EntryLayout {
    /// An entry whose name spans `key`, whose definition spans `value` (its content, past an
    /// anchor, from `content_start`); a block mapping with no fields until
    /// [`EntryLayout::set_fields`].
    pub(crate) fn new(
        key: std::ops::Range<usize>,
        value: std::ops::Range<usize>,
        content_start: usize,
        ends_in_block_scalar: bool,
    ) -> Self {
        EntryLayout {
            ends_in_block_scalar,
            fields: Some(Box::default()),
            ..Self::lazy(key, value, content_start)
        }
    }

    /// [`EntryLayout::new`] of a block mapping whose fields are read again from the text when
    /// an edit needs them (see [`EntryLayout::fields`]) rather than kept for every entry:
    /// some 130 bytes a key that an edit of one key never reads.
    pub(crate) fn lazy(
        key: std::ops::Range<usize>,
        value: std::ops::Range<usize>,
        content_start: usize,
    ) -> Self {
        EntryLayout {
            key_start: pos(key.start),
            key_end: pos(key.end),
            value_start: pos(value.start),
            content_start: pos(content_start),
            value_end: pos(value.end),
            flow: false,
            ends_in_block_scalar: false,
            fields: None,
        }
    }

    /// The definition is a mapping (`flow`: written `{...}`) of these fields, in file order.
    pub(crate) fn set_fields(&mut self, flow: bool, fields: Vec<FieldLayout>) {
        self.flow = flow;
        self.fields = Some(Box::new(fields.into_boxed_slice()));
    }

    pub(crate) fn key_start(&self) -> usize {
        self.key_start as usize
    }
    pub(crate) fn key_end(&self) -> usize {
        self.key_end as usize
    }
    #[allow(dead_code)]
    pub(crate) fn value_start(&self) -> usize {
        self.value_start as usize
    }
    /// Where the definition's content starts, past its anchor.
    pub(crate) fn content_start(&self) -> usize {
        self.content_start as usize
    }
    pub(crate) fn value_end(&self) -> usize {
        self.value_end as usize
    }
    /// The definition is a flow mapping (`{...}`).
    pub(crate) fn flow(&self) -> bool {
        self.flow
    }
    /// The definition's last node is a block scalar (text after it may join it).
    pub(crate) fn ends_in_block_scalar(&self) -> bool {
        self.ends_in_block_scalar
    }
    /// The definition's fields, in file order; `text` is the text the layout describes
    /// (where they are read again from when they were not kept).
    pub(crate) fn fields(&self, text: &str) -> Cow<'_, [FieldLayout]> {
        if let Some(fields) = &self.fields {
            return Cow::Borrowed(fields);
        }
        // The one-pass loader read this entry at load, from this text; it reads it the same
        // again. Should it not, the edit sees no fields and its proof refuses the write.
        let fields = super::load::clean::fields_at(text, self.key_start());
        debug_assert!(fields.is_some(), "an entry read once reads again");
        Cow::Owned(fields.unwrap_or_default())
    }

    /// The fields kept (none when they are read again from the text).
    pub(crate) fn into_fields(self) -> Vec<FieldLayout> {
        self.fields.map(|f| f.into_vec()).unwrap_or_default()
    }
}

impl FieldLayout {
    /// A field (`field`: which of tokenctl's, `None` for another tool's) whose name spans
    /// `key` and value `value`; its content (past an anchor) from `content_start`; `anchor`
    /// the value's anchor id (0: none); `block_list_indent` the indentation of the first `- `
    /// when the value is a block list.
    pub(crate) fn new(
        field: Option<Field>,
        key: std::ops::Range<usize>,
        value: std::ops::Range<usize>,
        content_start: usize,
        anchor: u32,
        block_list_indent: Option<usize>,
    ) -> Self {
        FieldLayout {
            key_start: pos(key.start),
            key_end: pos(key.end),
            value_start: pos(value.start),
            value_end: pos(value.end),
            content_start: pos(content_start),
            anchor,
            block_list_indent: block_list_indent.map_or(NO_INDENT, |i| pos(i).min(NO_INDENT - 1)),
            field,
        }
    }

    /// Which of tokenctl's fields this is (`None`: another tool's).
    #[allow(dead_code)]
    pub(crate) fn field(&self) -> Option<Field> {
        self.field
    }
    /// Is this tokenctl's field `f`?
    pub(crate) fn is(&self, f: Field) -> bool {
        self.field == Some(f)
    }
    pub(crate) fn key_start(&self) -> usize {
        self.key_start as usize
    }
    pub(crate) fn key_end(&self) -> usize {
        self.key_end as usize
    }
    pub(crate) fn value_start(&self) -> usize {
        self.value_start as usize
    }
    pub(crate) fn value_end(&self) -> usize {
        self.value_end as usize
    }
    /// Where the value's content starts, past its anchor (which an edit keeps).
    #[allow(dead_code)]
    pub(crate) fn content_start(&self) -> usize {
        self.content_start as usize
    }
    /// The value's anchor id (0: none).
    pub(crate) fn anchor(&self) -> u32 {
        self.anchor
    }
    /// Indentation of the first `- ` when the value is a block list of scalars.
    pub(crate) fn block_list_indent(&self) -> Option<usize> {
        (self.block_list_indent != NO_INDENT).then_some(self.block_list_indent as usize)
    }
}

impl Layout {
    /// Every entry's fields read and kept (tests compare the one-pass loader's layout, which
    /// leaves them to be read when needed, with the full path's, which keeps them).
    #[cfg(test)]
    pub(crate) fn with_fields_kept(mut self, text: &str) -> Layout {
        for e in &mut self.entries {
            let fields = e.fields(text).into_owned();
            e.fields = Some(Box::new(fields.into_boxed_slice()));
        }
        self
    }

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
        let by32 = pos(by);
        for e in &mut self.entries {
            e.key_start += by32;
            e.key_end += by32;
            e.value_start += by32;
            e.content_start += by32;
            e.value_end += by32;
            for f in e.fields.iter_mut().flat_map(|f| f.iter_mut()) {
                f.key_start += by32;
                f.key_end += by32;
                f.value_start += by32;
                f.value_end += by32;
                f.content_start += by32;
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
        simple_key(text, self.key_start(), self.key_end())
    }
}

impl FieldLayout {
    pub(super) fn key_simple(&self, text: &str) -> bool {
        simple_key(text, self.key_start(), self.key_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Held per key and per field of a file of 100,000 keys: kept small.
    #[test]
    fn the_layout_of_an_entry_is_small() {
        assert!(
            size_of::<FieldLayout>() <= 32,
            "{}",
            size_of::<FieldLayout>()
        );
        assert!(
            size_of::<EntryLayout>() <= 32,
            "{}",
            size_of::<EntryLayout>()
        );
        let f = FieldLayout::new(Some(Field::Hash), 1..5, 7..9, 8, 0, Some(3));
        assert_eq!(
            (f.key_start(), f.key_end(), f.value_start(), f.value_end()),
            (1, 5, 7, 9)
        );
        assert_eq!(
            (f.content_start(), f.block_list_indent(), f.field()),
            (8, Some(3), Some(Field::Hash))
        );
        assert!(f.is(Field::Hash) && !f.is(Field::Enabled));
        let g = FieldLayout::new(None, 0..1, 2..2, 2, 0, None);
        assert_eq!((g.field(), g.block_list_indent()), (None, None));
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
