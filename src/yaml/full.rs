//! The reference parser: saphyr-parser's events, built into a [`Tree`] with byte spans.
//!
//! saphyr handles all of YAML; its spans need care: they count characters, they can run past
//! a closing quote into a comment, past a block scalar into the next line's indentation, and
//! an implicit null's span is the next token's. Each is corrected (the rules are in `spans`)
//! so that a node's span is exactly its text (see [`Node::end`]).

mod spans;

use super::{Budget, Kind, MAX_DEPTH, Node, SyntaxError, Tree, check_characters};
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span};
use spans::{
    block_scalar_end, block_scalar_start, closing_bracket_after, dash_before, opens_flow,
    scalar_end, with_final_breaks,
};
use std::borrow::Cow;

/// Converts saphyr's character-based markers into byte offsets.
///
/// Uses the marker's character index, which saphyr advances for every character it reads;
/// its line numbers count a bare CR as a line break too, so lines split on `\n` would not
/// match them (found by fuzzing: a panic, and wrong offsets).
struct Positions<'a> {
    text: &'a str,
    ascii: bool,
    /// Byte offset of every `STRIDE`th character, for non-ASCII text.
    checkpoints: Vec<usize>,
}

const STRIDE: usize = 64;

impl<'a> Positions<'a> {
    fn new(text: &'a str) -> Self {
        let ascii = text.is_ascii();
        let checkpoints = if ascii {
            Vec::new()
        } else {
            text.char_indices()
                .step_by(STRIDE)
                .map(|(i, _)| i)
                .collect()
        };
        Positions {
            text,
            ascii,
            checkpoints,
        }
    }

    fn byte(&self, m: &Marker) -> usize {
        let index = m.index();
        if self.ascii {
            return index.min(self.text.len());
        }
        let Some(&from) = self.checkpoints.get(index / STRIDE) else {
            return self.text.len();
        };
        self.text[from..]
            .char_indices()
            .nth(index % STRIDE)
            .map_or(self.text.len(), |(i, _)| from + i)
    }
}

/// An open collection.
struct Frame<'t> {
    node: Node<'t>,
    items: Vec<Node<'t>>,
    entries: Vec<(Node<'t>, Node<'t>)>,
    /// A mapping's key waiting for its value.
    key: Option<Node<'t>>,
    is_seq: bool,
    /// Column of a block collection's first key, `?` or `-`: its indentation.
    indent: isize,
}

impl Frame<'_> {
    /// Where the node that comes next would start if it had no text: just past the node
    /// before it in this collection (an implicit null is positioned there, not at the next
    /// token as saphyr's span says).
    /// Where to look for the indicator of a block scalar that is this collection's next
    /// value: as [`Frame::after_previous`], but a sequence's first item from the sequence's
    /// start, not one past it, which for a sequence saphyr starts at its first item's
    /// content (see `indent` above) is past the `|`. [`block_scalar_start`] steps over a `-`.
    fn scalar_from(&self) -> usize {
        match (&self.key, self.items.last()) {
            (None, None) if self.is_seq => self.node.start,
            _ => self.after_previous(),
        }
    }

    fn after_previous(&self) -> usize {
        match (&self.key, self.items.last(), self.entries.last()) {
            (Some(k), _, _) => k.end,
            (None, Some(item), _) if self.is_seq => item.end,
            (None, _, Some((_, v))) if !self.is_seq => v.end,
            _ => self.node.start + usize::from(self.is_seq),
        }
    }
}

/// Parses with saphyr-parser: all of YAML.
pub fn parse_full(text: &str) -> Result<Tree<'_>, SyntaxError> {
    check_characters(text)?;
    Budget::check_flow_items(text)?;
    let pos = Positions::new(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut tree = Tree::default();
    let budget = Budget::for_text(text);
    let mut documents = 0;
    let err = |m: &Marker, message: String| SyntaxError {
        line: m.line(),
        col: m.col() + 1,
        message,
    };

    for event in Parser::new_from_str(text) {
        let (event, span): (Event, Span) = event.map_err(|e| {
            let info = e.info();
            // saphyr's own cap on flow nesting, tighter than ours: say what it is.
            let message = if info == "recursion limit exceeded" {
                "flow collections ([...] and {...}) nested deeper than 255 levels".to_string()
            } else {
                info.to_string()
            };
            err(e.marker(), message)
        })?;
        let start = pos.byte(&span.start);
        let mut made: Option<Node> = None;
        match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(err(
                        &span.start,
                        "more than one YAML document; security.yml holds exactly one".into(),
                    ));
                }
            }
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag_index(&mut tree, tag.map(|t| format!("{}{}", t.handle, t.suffix)));
                let anchor = anchor as u32;
                let mut breaks = None;
                let (start, end) =
                    if value.is_empty() && style == ScalarStyle::Plain && tag == 0 && anchor == 0 {
                        // An implicit null has no text: it stands just past its key (or the item
                        // before it). saphyr's span is the next token's, which may be on a later
                        // line, in the next key (found: an edit landed in the next key).
                        let at = stack.last().map_or(start, Frame::after_previous).min(start);
                        (at, at)
                    } else if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                        let parent = stack.last().map_or(-1, |f| f.indent);
                        let from = stack.last().map_or(0, Frame::scalar_from).min(start);
                        match block_scalar_start(text, from) {
                            Some((node_start, header)) => {
                                let (end, n) = block_scalar_end(text, header, parent);
                                breaks = Some(n);
                                (node_start, end)
                            }
                            None => (start, scalar_end(text, start, pos.byte(&span.end), style)),
                        }
                    } else {
                        (start, scalar_end(text, start, pos.byte(&span.end), style))
                    };
                let value = match breaks {
                    Some(n) => with_final_breaks(value, n),
                    None => value,
                };
                // saphyr's strings keep the room they grew in (128 bytes for `a`): the tree
                // keeps only the text, and the budget charges what is kept.
                let value = match value {
                    Cow::Owned(mut s) => {
                        s.shrink_to_fit();
                        Cow::Owned(s)
                    }
                    borrowed => borrowed,
                };
                made = Some(Node {
                    kind: Kind::Scalar { value, style },
                    start,
                    end,
                    anchor,
                    tag,
                });
            }
            Event::Alias(id) => {
                made = Some(Node {
                    kind: Kind::Alias(id as u32),
                    start,
                    end: pos.byte(&span.end),
                    anchor: 0,
                    tag: 0,
                });
            }
            Event::SequenceStart(anchor, ref tag) | Event::MappingStart(anchor, ref tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(err(
                        &span.start,
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let tag = tag_index(
                    &mut tree,
                    tag.as_ref().map(|t| format!("{}{}", t.handle, t.suffix)),
                );
                let flow = text.get(start..pos.byte(&span.end)).is_some_and(opens_flow);
                let is_seq = matches!(event, Event::SequenceStart(..));
                // The span of a block collection's start runs over its anchor and tag up to
                // its first key, `?` or `-`: where it ends is its indentation. But saphyr
                // starts a block sequence that is a mapping's value at the mapping's own
                // indentation (`a:\n- x`) at its first item's content (the fast path builds
                // the same start): its indentation is its `-`'s (found by fuzz/edit: a block
                // scalar item deeper than the `-` but not than the `|` was cut short).
                let indent = match dash_before(text, start).filter(|_| is_seq && !flow) {
                    Some(dash) => {
                        text[super::line_start(text, dash)..dash].chars().count() as isize
                    }
                    None => span.end.col() as isize,
                };
                let kind = if is_seq {
                    Kind::Seq {
                        items: Vec::new(),
                        flow,
                    }
                } else {
                    Kind::Map {
                        entries: Vec::new(),
                        flow,
                    }
                };
                stack.push(Frame {
                    node: Node {
                        kind,
                        start,
                        end: start,
                        anchor: anchor as u32,
                        tag,
                    },
                    items: Vec::new(),
                    entries: Vec::new(),
                    key: None,
                    is_seq,
                    indent,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let end_byte = pos.byte(&span.end);
                let Some(frame) = stack.pop() else { continue };
                let Frame {
                    mut node,
                    mut items,
                    mut entries,
                    ..
                } = frame;
                match &mut node.kind {
                    Kind::Seq { items: slot, .. } => {
                        items.shrink_to_fit();
                        node.end = items.last().map_or(node.start, |n| n.end);
                        *slot = items;
                    }
                    Kind::Map { entries: slot, .. } => {
                        entries.shrink_to_fit();
                        node.end = entries.last().map_or(node.start, |(_, v)| v.end);
                        *slot = entries;
                    }
                    _ => {}
                }
                let flow = matches!(
                    node.kind,
                    Kind::Seq { flow: true, .. } | Kind::Map { flow: true, .. }
                );
                if flow {
                    // The span starts at the closing bracket but may run on over spaces and a
                    // trailing comment: end just past the bracket.
                    node.end = if text[start..].starts_with(['}', ']']) {
                        start + 1
                    } else if text[start..].starts_with(',') {
                        // After a trailing comma (`{a: 1,}`) the span is the comma's: end
                        // past the bracket that follows it, over spaces, breaks and comments.
                        closing_bracket_after(text, start + 1).unwrap_or(end_byte)
                    } else {
                        end_byte
                    };
                }
                made = Some(node);
            }
            _ => {}
        }
        if let Some(node) = made {
            if !budget.charge(&node) {
                return Err(Budget::spent(text, node.start));
            }
            match stack.last_mut() {
                Some(f) if f.is_seq => f.items.push(node),
                Some(f) => match f.key.take() {
                    None => f.key = Some(node),
                    Some(k) => f.entries.push((k, node)),
                },
                None => tree.root = Some(node),
            }
        }
    }
    Ok(tree)
}

fn tag_index(tree: &mut Tree<'_>, tag: Option<String>) -> u32 {
    match tag {
        None => 0,
        Some(t) => {
            tree.tags.push(t);
            tree.tags.len() as u32
        }
    }
}

#[cfg(test)]
mod tests;
