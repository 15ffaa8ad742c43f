//! Splices, the planner's unit of change: bytes of the text to replace, applied together, and
//! refused where they would change a node that an alias elsewhere refers to.

use super::Document;
use crate::document::edit::{NewText, internal};
use crate::document::layout::line_end;
use crate::error::{Error, Result};

/// Bytes `start..end` of the text to replace with `with`: an insertion when `start == end`,
/// a cut when `with` is empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Splice {
    pub start: usize,
    pub end: usize,
    pub with: String,
}

impl Splice {
    pub(super) fn new(start: usize, end: usize, with: impl Into<String>) -> Self {
        Splice {
            start,
            end,
            with: with.into(),
        }
    }

    /// Bytes `start..end` cut out.
    pub(super) fn cut(start: usize, end: usize) -> Self {
        Splice::new(start, end, String::new())
    }
}

/// `text` with `splices` made; they must not overlap, and equal starts keep their order.
pub(super) fn apply_splices(text: &str, splices: Vec<Splice>) -> Result<String> {
    Ok(splice_span(text, splices)?.whole(text))
}

/// `text` with `splices` made, as one span replaced ([`NewText`]: from the first splice's
/// start to the last one's end, the text between them kept); they must not overlap, and
/// equal starts keep their order.
pub(super) fn splice_span(text: &str, mut splices: Vec<Splice>) -> Result<NewText> {
    splices.sort_by_key(|s| s.start);
    let Some(first) = splices.first().map(|s| s.start) else {
        return Ok(NewText::default());
    };
    let mut with = String::with_capacity(splices.iter().map(|s| s.with.len()).sum::<usize>());
    let mut at = first;
    for Splice {
        start,
        end,
        with: new,
    } in splices
    {
        if start < at || end < start || end > text.len() {
            return Err(internal(format!(
                "overlapping edits at bytes {start}..{end}"
            )));
        }
        with.push_str(&text[at..start]);
        with.push_str(&new);
        at = end;
    }
    Ok(NewText {
        start: first,
        end: at,
        with,
    })
}

impl Document {
    /// Refuses splices that change an anchored node some alias refers to: the alias would
    /// then mean something else too (the new value, an earlier anchor of the same name) or
    /// nothing at all. A splice changes an anchored node when it cuts or replaces any of its
    /// text, or inserts inside it (for a block collection: up to the end of its last line).
    pub(super) fn check_aliases(&self, splices: &[Splice]) -> Result<()> {
        if self.layout.aliases.is_empty() {
            return Ok(());
        }
        for &Splice {
            start: s, end: e, ..
        } in splices
        {
            for d in &self.layout.anchor_defs {
                let reach = if d.block {
                    line_end(&self.text, d.end)
                } else {
                    d.end
                };
                let touches = if s == e {
                    s > d.start && s < reach.max(d.end) || (d.block && s == reach && s > d.start)
                } else {
                    s < reach && e > d.start
                };
                if !touches {
                    continue;
                }
                let outside = |pos: &usize| *pos < d.start || *pos >= d.end;
                if let Some((_, alias)) = self
                    .layout
                    .aliases
                    .iter()
                    .find(|(a, pos)| *a == d.id && outside(pos) && (*pos < s || *pos >= e))
                {
                    let name = anchor_name(&self.text, d.start);
                    return Err(Error::Unsafe {
                        path: self.path.clone(),
                        message: format!(
                            "the change would alter the value anchored as &{name} (line {}), which line {} aliases (*{name}), so that alias would change too; write the value out in full at line {} (or remove the alias), then retry",
                            self.line_of(d.start),
                            self.line_of(*alias),
                            self.line_of(*alias)
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

/// The name of the anchor whose `&` is at or after `at`.
pub(super) fn anchor_name(text: &str, at: usize) -> &str {
    let rest = &text[at..];
    let rest = rest.find('&').map_or(rest, |i| &rest[i + 1..]);
    let len = rest
        .find([' ', '\t', '\r', '\n', ',', ']', '}'])
        .unwrap_or(rest.len());
    &rest[..len]
}
