//! A YAML tree with byte positions, built from saphyr-parser's events.
//!
//! Only what lossless editing needs: every node knows where its text starts and ends in the
//! source, so an edit can splice bytes and leave everything else as it was. Aliases are kept
//! as references and never expanded, so an alias bomb costs nothing; nesting is capped.

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span};
use std::borrow::Cow;

/// Deepest nesting accepted; deeper files are refused rather than risking the stack.
pub const MAX_DEPTH: usize = 512;

/// A node and where it is. Scalar values borrow the text where they can.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'t> {
    pub kind: Kind<'t>,
    /// Byte offset of the node's first character (its anchor or tag, if any).
    pub start: usize,
    /// Byte offset just past the node's last character (for block collections: of the last child).
    /// (Line and column are worked out from `start` only when a message needs them: a node
    /// per scalar adds up at 100,000 keys.)
    pub end: usize,
    /// Anchor id (0 = none), as saphyr numbers them.
    pub anchor: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind<'t> {
    Scalar {
        value: Cow<'t, str>,
        style: ScalarStyle,
        tagged: bool,
    },
    Seq {
        items: Vec<Node<'t>>,
        flow: bool,
    },
    Map {
        entries: Vec<(Node<'t>, Node<'t>)>,
        flow: bool,
    },
    Alias(usize),
}

impl Node<'_> {
    /// A node that stands in for one taken out of a tree.
    pub fn placeholder() -> Self {
        Node {
            kind: Kind::Alias(0),
            start: 0,
            end: 0,
            anchor: 0,
        }
    }

    /// The scalar's value when it is a plain, single- or double-quoted scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Is this a plain `null`, `~` or empty scalar?
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { value, style: ScalarStyle::Plain, tagged: false }
            if matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A short name of the node's type for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Scalar { .. } if self.is_null() => "null",
            Kind::Scalar { .. } => "a scalar",
            Kind::Seq { .. } => "a list",
            Kind::Map { .. } => "a mapping",
            Kind::Alias(_) => "an alias",
        }
    }
}

/// Where the lines of a text start: turns a node's byte offset into the 1-based line and
/// column (in characters, as saphyr counts) that messages show. Line breaks are LF, CRLF or
/// a lone CR, as in YAML.
pub struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    pub fn new(text: &'t str) -> Self {
        let b = text.as_bytes();
        let mut starts = vec![0];
        for (i, &c) in b.iter().enumerate() {
            if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            }
        }
        Lines { text, starts }
    }

    /// 1-based line and column of byte offset `at`.
    pub fn position(&self, at: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= at);
        let start = self.starts[line - 1];
        (line, self.text[start..at].chars().count() + 1)
    }
}

/// A syntax error with its position.
#[derive(Debug)]
pub struct SyntaxError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

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

enum Frame<'t> {
    Seq {
        node: Node<'t>,
        items: Vec<Node<'t>>,
    },
    Map {
        node: Node<'t>,
        entries: Vec<(Node<'t>, Node<'t>)>,
        key: Option<Node<'t>>,
    },
}

/// Parses one YAML document into a tree. `Ok(None)` for an empty document (only comments).
pub fn parse(text: &str) -> Result<Option<Node<'_>>, SyntaxError> {
    // YAML allows no control characters but tab and line breaks; saphyr lets some through
    // (found by fuzz/edit: one in an anchor name threw an edit's positions off).
    if let Some(at) = text
        .bytes()
        .position(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f)
    {
        let (line, col) = Lines::new(text).position(at);
        return Err(SyntaxError {
            line,
            col,
            message: format!(
                "control character U+{:04X} is not allowed in YAML",
                text.as_bytes()[at]
            ),
        });
    }
    // The common block-style files take a byte scanner that builds the same tree; anything
    // else, and every error, is saphyr's.
    if let Some(tree) = super::fast::parse(text) {
        return Ok(tree);
    }
    parse_full(text)
}

/// Parses with saphyr-parser: all of YAML.
pub(super) fn parse_full(text: &str) -> Result<Option<Node<'_>>, SyntaxError> {
    let pos = Positions::new(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0;
    let err = |m: &Marker, message: String| SyntaxError {
        line: m.line(),
        col: m.col() + 1,
        message,
    };

    for event in Parser::new_from_str(text) {
        let (event, span): (Event, Span) =
            event.map_err(|e| err(e.marker(), e.info().to_string()))?;
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
                // An implicit null in a flow collection (`{p}`, `{p, q: 1}`) has a span that
                // covers the `}` or `, ` after it (found by fuzz/edit): it has no text at all.
                // With a tag or anchor (`{!t}`) it has text: theirs.
                let end = if value.is_empty()
                    && style == ScalarStyle::Plain
                    && tag.is_none()
                    && anchor == 0
                {
                    start
                } else {
                    scalar_end(text, start, pos.byte(&span.end), style)
                };
                // An empty block scalar (`description: |` and no lines) has a span at the next
                // token, past the line break (found by fuzz/edit): its text is its header, so
                // it ends where the header line's text does.
                let (start, end) = if end == start
                    && matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                {
                    let header_end = text[..start].trim_end().len();
                    (header_end, header_end)
                } else {
                    (start, end)
                };
                made = Some(Node {
                    kind: Kind::Scalar {
                        value,
                        style,
                        tagged: tag.is_some(),
                    },
                    start,
                    end,
                    anchor,
                });
            }
            Event::Alias(id) => {
                made = Some(Node {
                    kind: Kind::Alias(id),
                    start,
                    end: pos.byte(&span.end),
                    anchor: 0,
                });
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(err(
                        &span.start,
                        format!("nesting deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let flow = text.get(start..pos.byte(&span.end)).is_some_and(opens_flow);
                let is_seq = matches!(event, Event::SequenceStart(..));
                let node = Node {
                    kind: if is_seq {
                        Kind::Seq {
                            items: Vec::new(),
                            flow,
                        }
                    } else {
                        Kind::Map {
                            entries: Vec::new(),
                            flow,
                        }
                    },
                    start,
                    end: start,
                    anchor,
                };
                stack.push(if is_seq {
                    Frame::Seq {
                        node,
                        items: Vec::new(),
                    }
                } else {
                    Frame::Map {
                        node,
                        entries: Vec::new(),
                        key: None,
                    }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let end_byte = pos.byte(&span.end);
                let mut node = match stack.pop() {
                    Some(Frame::Seq {
                        mut node,
                        mut items,
                    }) => {
                        items.shrink_to_fit();
                        if let Kind::Seq { items: slot, .. } = &mut node.kind {
                            node.end = items.last().map_or(node.start, |n| n.end);
                            *slot = items;
                        }
                        node
                    }
                    Some(Frame::Map {
                        mut node,
                        mut entries,
                        ..
                    }) => {
                        entries.shrink_to_fit();
                        if let Kind::Map { entries: slot, .. } = &mut node.kind {
                            node.end = entries.last().map_or(node.start, |(_, v)| v.end);
                            *slot = entries;
                        }
                        node
                    }
                    None => continue,
                };
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
            match stack.last_mut() {
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map { entries, key, .. }) => match key.take() {
                    None => *key = Some(node),
                    Some(k) => entries.push((k, node)),
                },
                None => root = Some(node),
            }
        }
    }
    Ok(root)
}

/// Does the text of a collection's start event open a flow collection? The span runs on
/// over blanks and a comment after the bracket (`{ # note`), so those are cut off first.
fn opens_flow(span_text: &str) -> bool {
    let b = span_text.as_bytes();
    let comment =
        (0..b.len()).find(|&i| b[i] == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()));
    span_text[..comment.unwrap_or(b.len())]
        .trim_end()
        .ends_with(['[', '{'])
}

/// The anchored scalars and lists of a tree, by anchor id, so that an alias to one can be
/// read (one level: aliases are never expanded further, which keeps alias bombs harmless).
pub fn anchored<'t>(root: &Node<'t>) -> std::collections::HashMap<usize, Node<'t>> {
    let mut anchors = std::collections::HashMap::new();
    let mut todo = vec![root];
    while let Some(n) = todo.pop() {
        if n.anchor != 0 && matches!(n.kind, Kind::Scalar { .. } | Kind::Seq { .. }) {
            anchors.insert(n.anchor, n.clone());
        }
        match &n.kind {
            Kind::Seq { items, .. } => todo.extend(items.iter()),
            Kind::Map { entries, .. } => todo.extend(entries.iter().flat_map(|(k, v)| [k, v])),
            _ => {}
        }
    }
    anchors
}

/// Just past the first `}` or `]` at or after `from`, if only blanks and comments come first.
fn closing_bracket_after(text: &str, from: usize) -> Option<usize> {
    let mut rest = &text[from..];
    loop {
        rest = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        if rest.starts_with('#') {
            rest = &rest[rest.find('\n')?..];
            continue;
        }
        return rest
            .starts_with(['}', ']'])
            .then(|| text.len() - rest.len() + 1);
    }
}

/// Where a scalar's text really ends: saphyr's spans can run past a closing quote into a
/// trailing comment, and past a block scalar into the blank lines after it.
fn scalar_end(text: &str, start: usize, span_end: usize, style: ScalarStyle) -> usize {
    let bytes = text.as_bytes();
    match style {
        ScalarStyle::DoubleQuoted => {
            let Some(open) = text[start..].find('"').map(|i| start + i) else {
                return span_end;
            };
            let mut i = open + 1;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' => i += 2,
                    b'"' => return i + 1,
                    _ => i += 1,
                }
            }
            span_end
        }
        ScalarStyle::SingleQuoted => {
            let Some(open) = text[start..].find('\'').map(|i| start + i) else {
                return span_end;
            };
            let mut i = open + 1;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return i + 1;
                }
                i += 1;
            }
            span_end
        }
        _ => {
            let mut end = span_end.min(bytes.len());
            while end > start && bytes[end - 1].is_ascii_whitespace() {
                end -= 1;
            }
            end
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_mapping_with_a_trailing_comma_ends_at_its_bracket() {
        let text = "a: {b: {c: x,}, d: [1, 2 , ]}\n";
        let root = parse(text).unwrap().unwrap();
        let Kind::Map { entries, .. } = &root.kind else {
            panic!()
        };
        assert_eq!(
            &text[entries[0].1.start..entries[0].1.end],
            "{b: {c: x,}, d: [1, 2 , ]}"
        );
        let Kind::Map { entries: inner, .. } = &entries[0].1.kind else {
            panic!()
        };
        assert_eq!(&text[inner[0].1.start..inner[0].1.end], "{c: x,}");
        assert_eq!(&text[inner[1].1.start..inner[1].1.end], "[1, 2 , ]");
    }

    #[test]
    fn control_characters_are_refused_with_their_position() {
        let e = parse("a: 1\nb: x\u{17}y\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 5));
        assert!(e.message.contains("U+0017"));
        assert!(parse("a: \"tab\there\"\r\n").is_ok());
    }

    #[test]
    fn an_empty_block_scalar_ends_on_its_header_line() {
        let text = "a:\n  d: |\n  h: x\nz: >-\n";
        let root = parse(text).unwrap().unwrap();
        let Kind::Map { entries, .. } = &root.kind else {
            panic!()
        };
        let Kind::Map { entries: inner, .. } = &entries[0].1.kind else {
            panic!()
        };
        assert_eq!(inner[0].1.end, "a:\n  d: |".len());
        assert_eq!(entries[1].1.end, text.trim_end().len());
    }

    #[test]
    fn positions_cover_quotes_and_not_comments() {
        let text = "a: \"x y\"  # c\nb: 'it''s' # d\nc: plain # e\n";
        let root = parse(text).unwrap().unwrap();
        let Kind::Map {
            entries,
            flow: false,
        } = &root.kind
        else {
            panic!()
        };
        let slices: Vec<&str> = entries.iter().map(|(_, v)| &text[v.start..v.end]).collect();
        assert_eq!(slices, ["\"x y\"", "'it''s'", "plain"]);
    }

    #[test]
    fn flow_collections_end_at_their_bracket() {
        let text = "a: {b: [1, 2]  # c\n  }  # d\n";
        let root = parse(text).unwrap().unwrap();
        let Kind::Map { entries, .. } = &root.kind else {
            panic!()
        };
        let map = &entries[0].1;
        assert_eq!(&text[map.start..map.end], "{b: [1, 2]  # c\n  }");
        let Kind::Map { entries, .. } = &map.kind else {
            panic!()
        };
        assert_eq!(&text[entries[0].1.start..entries[0].1.end], "[1, 2]");
    }

    #[test]
    fn non_ascii_positions_are_bytes() {
        let text = "d: \"café\"\ne: ünï\n";
        let root = parse(text).unwrap().unwrap();
        let Kind::Map { entries, .. } = &root.kind else {
            panic!()
        };
        assert_eq!(&text[entries[1].1.start..entries[1].1.end], "ünï");
    }

    /// Fuzzing found this (fuzz/artifacts/load): bare CRs with non-ASCII text made line-based
    /// offsets run backwards and a slice panic.
    #[test]
    fn bare_cr_line_breaks_with_non_ascii_text_do_not_panic() {
        let input = "#versix: &perm\rsix: &erm\r\n-\n   \n\n -   ag comment s an  api416:a1a1a1a1\u{feff}1a1a1a1a\u{fefa}a1a1, {hash:ag s: &peha416:a1a1a1ai1\u{feff}1a1a1a1a\u{fefa}a1a1, permission s: [x{}] permissionionsapiKeys:\n# n y\r\t\t\t\tt\nfoo:i";
        let _ = parse(input);
    }

    #[test]
    fn bare_cr_positions_are_bytes() {
        let text = "a: é\rb: [x]\rc: \"ü\"\r";
        let root = parse(text).unwrap().unwrap();
        let Kind::Map { entries, .. } = &root.kind else {
            panic!()
        };
        let slices: Vec<&str> = entries.iter().map(|(_, v)| &text[v.start..v.end]).collect();
        assert_eq!(slices, ["é", "[x]", "\"ü\""]);
    }

    #[test]
    fn implicit_nulls_in_flow_collections_have_no_text() {
        let text = "{p, q: 1, r}\n";
        let root = parse(text).unwrap().unwrap();
        let Kind::Map { entries, .. } = &root.kind else {
            panic!()
        };
        let slices: Vec<&str> = entries.iter().map(|(_, v)| &text[v.start..v.end]).collect();
        assert_eq!(slices, ["", "1", ""]);
    }

    /// Fuzzing found `{ #: }` taken for a block mapping; `apiKeys: { }` then panicked.
    #[test]
    fn flow_collections_with_blanks_or_comments_after_the_bracket_are_flow() {
        for text in [
            "a: { }\n",
            "a: {  # c\n  }\n",
            "a: [ ]\n",
            "a: &x [ # c\n  ]\n",
            "{ #: \n}\n",
        ] {
            let root = parse(text).unwrap().unwrap();
            let node = match &root.kind {
                Kind::Map { entries, .. } if !entries.is_empty() => &entries[0].1,
                _ => &root,
            };
            assert!(
                matches!(
                    node.kind,
                    Kind::Map { flow: true, .. } | Kind::Seq { flow: true, .. }
                ),
                "{text:?}: {node:?}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(MAX_DEPTH + 10);
        assert!(parse(&text).is_err());
    }

    #[test]
    fn aliases_are_not_expanded() {
        let mut text = String::from("a: &a [x, x]\n");
        for i in 0..20 {
            text.push_str(&format!(
                "b{i}: &b{i} [*{}, *{}]\n",
                if i == 0 {
                    "a".into()
                } else {
                    format!("b{}", i - 1)
                },
                if i == 0 {
                    "a".into()
                } else {
                    format!("b{}", i - 1)
                }
            ));
        }
        let root = parse(&text).unwrap().unwrap();
        assert!(matches!(root.kind, Kind::Map { .. }));
    }
}
