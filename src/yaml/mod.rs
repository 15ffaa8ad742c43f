//! The syntax layer: one YAML document as a tree of nodes with byte spans.
//!
//! Every node knows where its text starts and ends in the source, so the document layer can
//! splice bytes and leave everything else as it was. Aliases are kept as references and never
//! expanded, so an alias bomb costs nothing; nesting is capped. Two parsers build the same
//! tree behind [`parse`]: a byte scanner for the plain block style security.yml files almost
//! always are ([`fast`]), and saphyr-parser for all of YAML ([`full`], the reference: every
//! error message is its, and the write postcondition reads with it alone).

pub mod fast;
pub mod full;
mod resolve;
mod same;

pub use full::parse_full;
pub(crate) use resolve::{
    core_schema_non_text, yaml11_non_text, yaml11_sexagesimal, yaml11_timestamp,
};
pub use same::{Resolver, same};

use saphyr_parser::ScalarStyle;
use std::borrow::Cow;

/// Deepest nesting accepted; deeper files are refused rather than risking the stack.
pub const MAX_DEPTH: usize = 512;

/// The memory a file's tree may take, as a multiple of the file's size (see [`Budget`]).
pub const BUDGET_RATIO: usize = 8;

/// ...and at least this much, so that no small file is ever refused for it.
pub const BUDGET_FLOOR: usize = 1 << 20;

/// What building a tree may still spend, counted as its nodes are made: each node's own size
/// and the text it owns (an unescaped quoted scalar). A file of many tiny nodes (a flow list
/// `[a,a,a,...]` is two bytes a node, and a node is some 60) would otherwise take a hundred
/// times its size; security.yml files take two to five. Past the budget the parsers stop, and
/// the file is refused with the position where it ran out.
pub struct Budget {
    left: std::cell::Cell<usize>,
}

impl Budget {
    /// [`BUDGET_RATIO`] times the text's size, at least [`BUDGET_FLOOR`].
    pub fn for_text(text: &str) -> Self {
        Budget {
            left: std::cell::Cell::new(text.len().saturating_mul(BUDGET_RATIO).max(BUDGET_FLOOR)),
        }
    }

    /// Charges one node; `false` once the budget is spent.
    pub fn charge(&self, node: &Node<'_>) -> bool {
        let owned = match &node.kind {
            Kind::Scalar {
                value: Cow::Owned(s),
                ..
            } => s.capacity(),
            _ => 0,
        };
        let cost = std::mem::size_of::<Node<'_>>() + owned;
        match self.left.get().checked_sub(cost) {
            Some(left) => {
                self.left.set(left);
                true
            }
            None => {
                self.left.set(0);
                false
            }
        }
    }

    /// Refuses, before saphyr sees it, a text whose flow items alone could take more than the
    /// budget. saphyr holds every token of a flow collection that might still turn out to be
    /// a key (one that starts the document or a line, after indentation and `- ` only) until
    /// it ends, some 400 bytes an item, before it hands over a single event the budget could
    /// stop: a 4 MB `[a,a,...]` took 775 MB. Each `,` in such a collection counts as an item;
    /// a flow list that is a value (`permissions: [a, b]`) is streamed and not counted.
    pub fn check_flow_items(text: &str) -> Result<(), SyntaxError> {
        const SAPHYR_ITEM: usize = 400;
        let most = Budget::for_text(text).left.get() / SAPHYR_ITEM;
        let b = text.as_bytes();
        let mut items = 0usize;
        let mut from = 0;
        // The line of the last bracket looked at, and where on it the first character other
        // than a blank or `-` is: worked out once a line, never again for each bracket on it
        // (a long line of brackets, `x: [[],[],...]`, made this quadratic).
        let (mut scanned, mut line_start, mut first_other) = (0usize, 0usize, None);
        // From one opening bracket to the next: most files have a few, as values.
        while let Some(found) = memchr::memchr2(b'[', b'{', &b[from..]) {
            let open = from + found;
            if let Some(n) = memchr::memrchr(b'\n', &b[scanned..open]) {
                line_start = scanned + n + 1;
                first_other = None;
            }
            scanned = open;
            let other = *first_other.get_or_insert_with(|| {
                b[line_start..]
                    .iter()
                    .position(|&c| c != b' ' && c != b'-')
                    .map_or(b.len(), |p| line_start + p)
            });
            if other < open {
                from = open + 1;
                continue;
            }
            // A collection that may be a key: count its items to its end, skipping quoted
            // scalars and comments, which may hold brackets and commas of their own.
            let (mut depth, mut i) = (0usize, open);
            while i < b.len() {
                match b[i] {
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    b',' => {
                        items += 1;
                        if items > most {
                            return Err(Budget::spent(text, i));
                        }
                    }
                    quote @ (b'"' | b'\'') => {
                        i += 1;
                        while i < b.len() && b[i] != quote {
                            if quote == b'"' && b[i] == b'\\' {
                                i += 1;
                            }
                            i += 1;
                        }
                    }
                    b'#' if matches!(b[i - 1], b' ' | b'\t' | b'\n') => {
                        i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                    }
                    _ => {}
                }
                i += 1;
            }
            from = i.min(b.len());
        }
        Ok(())
    }

    /// The refusal, for the node where the budget ran out.
    pub fn spent(text: &str, at: usize) -> SyntaxError {
        let (line, col) = Lines::new(text).position(at);
        SyntaxError {
            line,
            col,
            message: format!(
                "the file's structure would take more than {BUDGET_RATIO} times its size in memory \
                 (a very long list of tiny items, such as [a,a,a,...]?); no security.yml needs that \
                 many nodes"
            ),
        }
    }
}

/// A parsed document: its root node (`None` for a document of only comments) and the text of
/// the tags its nodes carry (tags are rare, so nodes hold an index instead of the text).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tree<'t> {
    pub root: Option<Node<'t>>,
    /// Tag texts, resolved (`tag:yaml.org,2002:str` for `!!str`); node `tag` n is `tags[n-1]`.
    pub tags: Vec<String>,
}

/// A node and where it is. Scalar values borrow the text where they can.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'t> {
    pub kind: Kind<'t>,
    /// Byte offset of the node's first character (its anchor or tag, if any).
    pub start: usize,
    /// Byte offset just past the node's last character (for block collections: of the last
    /// child; for a block scalar: of its last line that belongs to it, see [`full`]; for an
    /// implicit null: where it would be, just past its key, so it has no text at all).
    /// (Line and column are worked out only when a message needs them.)
    pub end: usize,
    /// Anchor id (0 = none), as saphyr numbers them: every definition gets a new id, and an
    /// alias refers to the definition in force where it stands.
    pub anchor: u32,
    /// Tag (0 = none): an index into [`Tree::tags`], plus one.
    pub tag: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind<'t> {
    Scalar {
        value: Cow<'t, str>,
        style: ScalarStyle,
    },
    Seq {
        items: Vec<Node<'t>>,
        flow: bool,
    },
    Map {
        entries: Vec<(Node<'t>, Node<'t>)>,
        flow: bool,
    },
    Alias(u32),
}

impl Node<'_> {
    /// A node that stands in for one taken out of a tree.
    pub fn placeholder() -> Self {
        Node {
            kind: Kind::Alias(0),
            start: 0,
            end: 0,
            anchor: 0,
            tag: 0,
        }
    }

    /// The scalar's value, whatever its style.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Is this a plain, untagged `null`, `~` or empty scalar (what YAML 1.2's core schema and
    /// YAML 1.1 read as null)?
    pub fn is_null(&self) -> bool {
        self.tag == 0
            && matches!(&self.kind, Kind::Scalar { value, style: ScalarStyle::Plain }
                if matches!(value.as_ref(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// Is this a plain scalar (not quoted, not a block scalar)?
    pub fn is_plain(&self) -> bool {
        matches!(
            self.kind,
            Kind::Scalar {
                style: ScalarStyle::Plain,
                ..
            }
        )
    }

    /// Is this the plain, untagged key `<<`, which YAML 1.1 parsers (PyYAML, Go's yaml,
    /// ruamel) take as a merge key and YAML 1.2 parsers as a plain string?
    pub fn is_merge_key(&self) -> bool {
        self.tag == 0 && self.is_plain() && self.as_str() == Some("<<")
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

    /// Does this node, or anything under it, carry an anchor, an alias or a tag? Such a
    /// region cannot be read on its own (see the document layer's local proof).
    pub fn has_properties(&self) -> bool {
        let mut todo = vec![self];
        while let Some(n) = todo.pop() {
            if n.anchor != 0 || n.tag != 0 {
                return true;
            }
            match &n.kind {
                Kind::Alias(_) => return true,
                Kind::Seq { items, .. } => todo.extend(items),
                Kind::Map { entries, .. } => todo.extend(entries.iter().flat_map(|(k, v)| [k, v])),
                Kind::Scalar { .. } => {}
            }
        }
        false
    }
}

/// Texts larger than this are parsed one at a time in a process (see [`parse`]).
pub const LARGE_TEXT: usize = 4 << 20;

/// Held while a large text is parsed.
static LARGE_PARSE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Parses one YAML document into a tree. A text over [`LARGE_TEXT`] waits until no other
/// large one is being parsed, so that `serve` (one request per tenant at once) or
/// `--all-tenants` (a thread per core) never holds several large trees' budgets at once.
pub fn parse(text: &str) -> Result<Tree<'_>, SyntaxError> {
    check_characters(text)?;
    Budget::check_flow_items(text)?;
    let _one = (text.len() > LARGE_TEXT).then(|| {
        LARGE_PARSE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    });
    // The common block-style files take a byte scanner that builds the same tree; anything
    // else, and every error, is saphyr's.
    if let Some(root) = fast::parse(text) {
        return Ok(Tree {
            root,
            tags: Vec::new(),
        });
    }
    parse_full(text)
}

/// YAML allows no control characters but tab and line breaks; saphyr lets some through
/// (found by fuzz/edit: one in an anchor name threw an edit's positions off). And no byte
/// order mark at the start of a line but the first: saphyr takes one there as a document's
/// start and skips it, as libyaml does, while PyYAML and ruamel.yaml read it as part of a key
/// or refuse the file (found by fuzz/edit's libyaml check). (Inside a line saphyr refuses
/// one itself, but in a quoted string, where every parser reads it as text.)
pub fn check_characters(text: &str) -> Result<(), SyntaxError> {
    let b = text.as_bytes();
    if let Some(at) = memchr::memmem::find_iter(b, "\u{feff}".as_bytes())
        .find(|&i| i > 0 && matches!(b[i - 1], b'\n' | b'\r'))
    {
        return Err(bom_at(text, at));
    }
    if let Some((at, c)) = unicode_break(b) {
        let (line, col) = Lines::new(text).position(at);
        return Err(SyntaxError {
            line,
            col,
            message: format!(
                "the character U+{c:04X} ({}) is a line break to YAML 1.1 parsers (PyYAML, libyaml) and not to YAML 1.2 ones: in a comment or a scalar it would hide or change keys for some servers; remove it (in a double-quoted string, write it as the escape \\{})",
                match c {
                    0x85 => "next line",
                    0x2028 => "line separator",
                    _ => "paragraph separator",
                },
                match c {
                    0x85 => 'N',
                    0x2028 => 'L',
                    _ => 'P',
                }
            ),
        });
    }
    let bad = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f;
    // One vectorised pass over the bytes; the position is looked for only when there is one.
    if !text.bytes().fold(false, |seen, b| seen | bad(b)) {
        return Ok(());
    }
    let at = text.bytes().position(bad).expect("a bad byte was seen");
    let (line, col) = Lines::new(text).position(at);
    Err(SyntaxError {
        line,
        col,
        message: format!(
            "control character U+{:04X} is not allowed in YAML",
            text.as_bytes()[at]
        ),
    })
}

/// The first NEL (U+0085), LS (U+2028) or PS (U+2029), raw in the text: YAML 1.1 and
/// libyaml take them for line breaks, YAML 1.2 for ordinary characters, so a comment ending
/// in one could hide a key from tokenctl that a PyYAML server reads (found by an independent
/// differential test).
fn unicode_break(b: &[u8]) -> Option<(usize, u32)> {
    let mut from = 0;
    while let Some(i) = memchr::memchr2(0xC2, 0xE2, &b[from..]).map(|i| i + from) {
        match b[i..] {
            [0xC2, 0x85, ..] => return Some((i, 0x85)),
            [0xE2, 0x80, 0xA8, ..] => return Some((i, 0x2028)),
            [0xE2, 0x80, 0xA9, ..] => return Some((i, 0x2029)),
            _ => from = i + 1,
        }
    }
    None
}

/// A byte order mark at `at` that parsers read differently.
pub fn bom_at(text: &str, at: usize) -> SyntaxError {
    let (line, col) = Lines::new(text).position(at);
    SyntaxError {
        line,
        col,
        message: "a byte order mark (U+FEFF) after the start of the file, at the start of a line: YAML parsers disagree about it (saphyr and libyaml skip it, PyYAML and ruamel.yaml read it as part of a key or refuse the file); remove it".into(),
    }
}

/// A syntax error with its position.
#[derive(Debug)]
pub struct SyntaxError {
    pub line: usize,
    pub col: usize,
    pub message: String,
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
        for i in memchr::memchr2_iter(b'\n', b'\r', b) {
            if b[i] == b'\n' || b.get(i + 1) != Some(&b'\n') {
                starts.push(i + 1);
            }
        }
        Lines { text, starts }
    }

    /// 1-based line and column of byte offset `at`.
    pub fn position(&self, at: usize) -> (usize, usize) {
        let at = at.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= at);
        let start = self.starts[line - 1];
        (line, self.text[start..at].chars().count() + 1)
    }
}

/// The start of the line holding `pos` (found by LF: the line of a CRLF file too).
pub(crate) fn line_start(text: &str, pos: usize) -> usize {
    memchr::memrchr(b'\n', &text.as_bytes()[..pos.min(text.len())]).map_or(0, |i| i + 1)
}

/// Every anchored node of a tree, by anchor id, so that an alias can be followed.
pub fn anchors<'a, 't>(root: &'a Node<'t>) -> rustc_hash::FxHashMap<u32, &'a Node<'t>> {
    let mut anchors = rustc_hash::FxHashMap::default();
    let mut todo = vec![root];
    while let Some(n) = todo.pop() {
        if n.anchor != 0 {
            anchors.insert(n.anchor, n);
        }
        match &n.kind {
            Kind::Seq { items, .. } => todo.extend(items.iter()),
            Kind::Map { entries, .. } => todo.extend(entries.iter().flat_map(|(k, v)| [k, v])),
            _ => {}
        }
    }
    anchors
}

/// Where the text of a node's content starts: past its anchor and tag, and the blanks,
/// line breaks and comments after them.
pub fn content_start(text: &str, node: &Node<'_>) -> usize {
    let b = text.as_bytes();
    let mut i = node.start;
    if node.anchor == 0 && node.tag == 0 {
        return i;
    }
    loop {
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        match b.get(i) {
            Some(b'&' | b'!') => {
                while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                    i += 1;
                }
            }
            Some(b'#') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            _ => return i.min(node.end.max(node.start)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_with_their_position() {
        let e = parse("a: 1\nb: x\u{17}y\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 5));
        assert!(e.message.contains("U+0017"));
        assert!(parse("a: \"tab\there\"\r\n").is_ok());
    }

    #[test]
    fn lines_count_lf_crlf_and_bare_cr() {
        let text = "a\r\nb\rc\nd";
        let lines = Lines::new(text);
        assert_eq!(lines.position(0), (1, 1));
        assert_eq!(lines.position(3), (2, 1));
        assert_eq!(lines.position(5), (3, 1));
        assert_eq!(lines.position(7), (4, 1));
    }

    #[test]
    fn the_content_of_an_anchored_or_tagged_node_starts_after_its_properties() {
        let text = "a: &x !t # c\n  [1]\nb: &y\n  c: 1\n";
        let tree = parse(text).unwrap();
        let Kind::Map { entries, .. } = &tree.root.unwrap().kind else {
            panic!()
        };
        assert_eq!(&text[content_start(text, &entries[0].1)..][..3], "[1]");
        assert_eq!(&text[content_start(text, &entries[1].1)..][..4], "c: 1");
    }
}
