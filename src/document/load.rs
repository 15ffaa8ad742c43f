//! Reading the syntax tree into the typed model and the layout, with every problem found.
//!
//! The file is read as any YAML 1.2 parser would read it, and tokenctl's own data must be
//! portable security.yml (docs/FORMAT.md; the scalar rules are in [`super::portable`]): what
//! lies outside is a problem here, each with its line and column, and with the lossless
//! rewrite `check --fix` makes where there is one. The deprecated constructs (`!!str`,
//! anchors and aliases in tokenctl's data, a lowercase `t`/`z`, year 0000) are read and
//! noted; other tools' data is not judged, but what some library cannot load is noted for
//! `check`.

mod anchors;
pub(crate) mod clean;
mod entries;
mod foreign;
mod policy;
mod rules;
mod values;

use super::Problem;
use super::layout::{AnchorDef, Layout, Portability, Root, line_start};
use super::read::Refused;
use crate::model::{self, Field, SecurityFile};
use crate::time::parse_timestamp_old;
use crate::yaml::{self, Kind, Node, Tree};
use anchors::{anchored_copies, collect_aliases};
use rustc_hash::FxHashMap;

/// Reads `tree` (of `text`) into the model and the layout of its keys, with every problem.
pub(crate) fn load(text: &str, tree: Tree<'_>) -> (SecurityFile, Layout, Vec<Problem>) {
    // The layout keeps positions as u32 (a write's new text, which the prover loads, may
    // have grown past what Document::load_all accepts).
    if text.len() > super::layout::MAX_TEXT {
        let problem = Problem {
            line: 1,
            col: 1,
            message: "the text is 4 GiB or larger".into(),
        };
        return (SecurityFile::default(), Layout::default(), vec![problem]);
    }
    let mut loader = Loader {
        problems: Default::default(),
        anchors: FxHashMap::default(),
        text,
        tags: tree.tags,
        lines: Default::default(),
        port: Default::default(),
        our_aliases: Default::default(),
        our_anchors: Default::default(),
        exempt: Default::default(),
        ours: Default::default(),
        no_fix: Default::default(),
        has_tab: memchr::memchr(b'\t', text.as_bytes()).is_some(),
        has_question: memchr::memchr(b'?', text.as_bytes()).is_some(),
    };
    let mut aliases = Vec::new();
    let mut anchor_defs = Vec::new();
    if let Some(root) = &tree.root {
        if memchr::memchr(b'&', text.as_bytes()).is_some() {
            loader.anchors = anchored_copies(root);
            anchor_defs = yaml::anchors(root)
                .into_iter()
                .map(|(id, n)| AnchorDef {
                    id,
                    start: n.start,
                    end: n.end,
                    block: matches!(
                        n.kind,
                        Kind::Map { flow: false, .. } | Kind::Seq { flow: false, .. }
                    ),
                })
                .collect();
            anchor_defs.sort_by_key(|d| d.start);
            for d in &anchor_defs {
                loader.anchor_name(d.start);
            }
            loader.redefined_anchors(&anchor_defs);
        }
        if memchr::memchr(b'*', text.as_bytes()).is_some() {
            collect_aliases(root, &mut aliases);
        }
    }
    let (model, mut layout) = loader.file(tree.root);
    loader.tabs();
    loader.anchor_fixes(&aliases);
    let mut port = loader.port.take();
    port.deprecated.sort_by_key(|p| (p.line, p.col));
    port.deprecated.dedup();
    port.warnings.sort_by_key(|p| (p.line, p.col));
    port.warnings.dedup();
    port.fixes.sort_by_key(|f| f.0);
    port.fixes.dedup_by_key(|f| f.0);
    layout.portability = port;
    layout.aliases = aliases;
    layout.anchor_defs = anchor_defs;
    let mut problems = loader.problems.into_inner();
    problems.dedup();
    problems.sort_by_key(|p| (p.line, p.col));
    (model, layout, problems)
}

/// Walks the tree of `text` into the model and the layout. It consumes the tree as it goes,
/// so the tree and the model are never both whole in memory.
struct Loader<'a> {
    problems: std::cell::RefCell<Vec<Problem>>,
    anchors: FxHashMap<u32, Node<'a>>,
    text: &'a str,
    /// The tree's tag texts.
    tags: Vec<String>,
    /// Where each line starts, worked out at the first message that needs a position.
    lines: std::cell::OnceCell<yaml::Lines<'a>>,
    port: std::cell::RefCell<Portability>,
    /// Where the aliases in tokenctl's data stand (they are expanded by `check --fix`).
    our_aliases: std::cell::RefCell<Vec<usize>>,
    /// Anchors on tokenctl's data: id and where the node starts.
    our_anchors: std::cell::RefCell<Vec<(u32, usize)>>,
    /// Spans in tokenctl's data where a tab is text (quoted and block scalars).
    exempt: std::cell::RefCell<Vec<(usize, usize)>>,
    /// Spans of tokenctl's top-level sections, from the key's line to the next top-level key.
    ours: Vec<(usize, usize)>,
    /// Above zero while reading what an alias stands for: no rewrite is offered there.
    no_fix: std::cell::Cell<u32>,
    /// The text holds a tab (the spans in `exempt` are wanted only then).
    has_tab: bool,
    /// The text holds a `?` (without one there is no explicit key).
    has_question: bool,
}

/// Suspends rewrites while alive.
struct Suspend<'c>(&'c std::cell::Cell<u32>);

impl<'c> Suspend<'c> {
    fn new(c: &'c std::cell::Cell<u32>) -> Self {
        c.set(c.get() + 1);
        Suspend(c)
    }
}

impl Drop for Suspend<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

const FIX: &str = "run `tokenctl check --fix` to rewrite it";

/// Names a field in messages (`key 'ci': permissions`, or `permissions` at the top level);
/// formatted only when there is a problem to report.
#[derive(Clone, Copy)]
struct FieldLabel<'s> {
    key: Option<&'s str>,
    field: &'s str,
}

impl std::fmt::Display for FieldLabel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.key {
            Some(key) => write!(f, "key '{key}': {}", self.field),
            None => f.write_str(self.field),
        }
    }
}

impl FieldLabel<'static> {
    fn top(field: &'static str) -> Self {
        FieldLabel { key: None, field }
    }
}

/// Names already seen in one mapping: a short list (entries hold a handful of fields), a set
/// once it grows, so a hostile file with a huge mapping costs no more than linear time.
struct Seen<'s> {
    few: [&'s str; 16],
    count: usize,
    many: rustc_hash::FxHashSet<&'s str>,
}

impl<'s> Seen<'s> {
    fn new() -> Self {
        Seen {
            few: [""; 16],
            count: 0,
            many: Default::default(),
        }
    }

    /// True the first time `name` is offered.
    fn first(&mut self, name: &'s str) -> bool {
        if self.count < self.few.len() {
            if self.few[..self.count].contains(&name) {
                return false;
            }
            self.few[self.count] = name;
            self.count += 1;
            if self.count == self.few.len() {
                self.many.extend(self.few);
            }
            return true;
        }
        self.many.insert(name)
    }
}

const MERGE: &str = "merge keys (<<, or a key tagged !!merge) are not allowed here: YAML parsers disagree on them (YAML 1.1 parsers merge the mapping in, YAML 1.2 parsers read a key named \"<<\"), so servers would not all see the same keys; write the fields out";

impl<'a> Loader<'a> {
    fn problem(&self, node: &Node<'_>, message: impl Into<String>) {
        let (line, col) = self.position(node.start);
        self.problems.borrow_mut().push(Problem {
            line,
            col,
            message: message.into(),
        });
    }

    /// A present but empty `allowedIps` or `resources`: the file is read as it is (verify
    /// lets no request use the key), but no writer makes such a key (keys::definition), so
    /// `check` warns that it is almost certainly not what was meant.
    fn empty_restriction(&self, node: &Node<'a>, what: FieldLabel<'_>, field: Field) {
        let node = self.resolve_quiet(node);
        if matches!(&node.kind, Kind::Seq { items, .. } if items.is_empty()) {
            self.note(
                node.start,
                format!(
                    "{what} is an empty list, so no request can use this key; leave the field out for {}",
                    if field == Field::AllowedIps { "any address" } else { "the whole tenant" }
                ),
                false,
            );
        }
    }

    /// A value the shared reader (`read.rs`) refused, as a problem at its position.
    fn refused(&self, r: Refused) {
        let (line, col) = self.position(r.at);
        self.problems.borrow_mut().push(Problem {
            line,
            col,
            message: r.message,
        });
    }

    fn note(&self, at: usize, message: String, deprecated: bool) {
        let (line, col) = self.position(at);
        let p = Problem { line, col, message };
        let mut port = self.port.borrow_mut();
        if deprecated {
            port.deprecated.push(p);
        } else {
            port.warnings.push(p);
        }
    }

    /// A deprecated construct in tokenctl's data: read this release, with a warning.
    fn deprecated(&self, at: usize, what: &str) {
        self.note(
            at,
            format!("{what} is deprecated in tokenctl's data and will not be read by the next release; {FIX}"),
            true,
        );
    }

    fn fix(&self, start: usize, end: usize, with: String) {
        if self.no_fix.get() == 0 {
            self.port.borrow_mut().fixes.push((start, end, with));
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn position(&self, at: usize) -> (usize, usize) {
        self.lines
            .get_or_init(|| yaml::Lines::new(self.text))
            .position(at)
    }

    /// Follows an alias to its anchored scalar or list (one level; never expands further).
    fn resolve<'n>(&'n self, node: &'n Node<'a>) -> &'n Node<'a> {
        match node.kind {
            Kind::Alias(id) => {
                let Some(target) = self.anchors.get(&id) else {
                    return node;
                };
                self.deprecated(
                    node.start,
                    "an alias (*name) in tokenctl's data (ruamel.yaml's round-trip loader and some servers' decoders do not read it as a copy)",
                );
                self.our_aliases.borrow_mut().push(node.start);
                let expanded = match &target.kind {
                    Kind::Scalar { .. } => self.portable_text(
                        target,
                        parse_timestamp_old(target.as_str().unwrap_or("")).is_ok(),
                    ),
                    Kind::Seq { items, .. } => items
                        .iter()
                        .map(|i| match i.kind {
                            Kind::Scalar { .. } => self.portable_text(i, false),
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>()
                        .map(|v| format!("[{}]", v.join(", "))),
                    _ => None,
                };
                if let Some(t) = expanded {
                    self.fix(node.start, node.end, t);
                }
                target
            }
            _ => node,
        }
    }

    fn file(&mut self, root: Option<Node<'a>>) -> (SecurityFile, Layout) {
        let mut layout = Layout::default();
        let null_text = root
            .as_ref()
            .is_some_and(|r| r.is_null() && r.end > r.start);
        let Some(mut root) = root.filter(|r| !r.is_null()) else {
            if null_text {
                layout.root = Root::Null;
            } else {
                self.note(
                    self.text.len(),
                    "the file holds no data: tokenctl reads it as no keys, but to every YAML library it is a null document, not a mapping; write `apiKeys: {}` (or run `tokenctl check --fix`)".into(),
                    false,
                );
                let nl = if self.text.is_empty() || self.text.ends_with('\n') {
                    ""
                } else {
                    "\n"
                };
                self.fix(
                    self.text.len(),
                    self.text.len(),
                    format!("{nl}apiKeys: {{}}\n"),
                );
            }
            return (SecurityFile::default(), layout);
        };
        let type_name = root.type_name();
        self.tagged(&root);
        layout.root_props = root.anchor != 0 || root.tag != 0;
        layout.top_end = root.end;
        let content = yaml::content_start(self.text, &root);
        let Kind::Map { entries, flow } = &mut root.kind else {
            self.problem(
                &root,
                format!("the top level must be a mapping with apiKeys, not {type_name}"),
            );
            return (SecurityFile::default(), layout);
        };
        layout.root = if *flow { Root::Flow } else { Root::Block };
        // New top-level keys go at the mapping's indentation: the column where its content
        // starts (its first key, or the `?` of an explicit one), past any anchor or tag.
        if !*flow {
            layout.top_indent = self.text[line_start(self.text, content)..content]
                .chars()
                .count();
        }
        let (mut version, mut prefix, mut catalog, mut keys) = (None, None, None, Vec::new());
        let mut policy = None;
        let mut seen = Seen::new();
        // Where the top-level key after apiKeys starts its line: the end of apiKeys' text.
        let next_top_line = entries
            .iter()
            .position(|(k, _)| k.as_str() == Some("apiKeys"))
            .and_then(|i| entries.get(i + 1))
            .map(|(k, _)| line_start(self.text, k.start));
        let starts: Vec<usize> = entries
            .iter()
            .map(|(k, _)| line_start(self.text, k.start))
            .collect();
        let mut has_api = false;
        for (i, (k, v)) in entries.iter_mut().enumerate() {
            let k: &Node<'a> = k;
            if self.merge(k) {
                self.problem(k, format!("top level: {MERGE}"));
                continue;
            }
            let section_end = if *flow {
                v.end.max(k.end)
            } else {
                starts.get(i + 1).copied().unwrap_or(self.text.len())
            };
            if matches!(
                k.as_str(),
                Some("version" | "tokenPrefix" | "permissions" | "apiKeys" | "policy")
            ) {
                self.ours.push((starts[i], section_end));
                self.explicit_key(k);
                self.anchored(v);
            }
            let Some(name) = k.as_str() else {
                self.foreign(&Node {
                    kind: Kind::Map {
                        entries: vec![(k.clone(), Node::placeholder())],
                        flow: false,
                    },
                    start: k.start,
                    end: k.end,
                    anchor: 0,
                    tag: 0,
                });
                self.foreign(v);
                continue;
            };
            if !seen.first(name) {
                self.problem(k, format!("duplicate top-level key '{name}'"));
                continue;
            }
            let ours = matches!(
                name,
                "version" | "tokenPrefix" | "permissions" | "apiKeys" | "policy"
            );
            if ours && self.tagged(k) {
                continue;
            }
            match name {
                "version" => {
                    let v = self.resolve(v);
                    if self.tagged(v) {
                        continue;
                    }
                    // Digits without a leading zero: `010` is 8 to YAML 1.1 (octal), 10 to 1.2.
                    match v
                        .as_str()
                        .filter(|s| !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()))
                        .and_then(|s| s.parse::<u64>().ok())
                        .filter(|_| v.is_plain() && v.tag == 0)
                    {
                        Some(n) if n >= 1 => version = Some(n),
                        _ => self.problem(v, "version must be a whole number such as 1"),
                    }
                }
                "tokenPrefix" => {
                    if let Some(p) = self.string(v, FieldLabel::top("tokenPrefix")) {
                        if crate::token::valid_prefix(&p) {
                            prefix = Some(p);
                        } else {
                            self.problem(
                                v,
                                format!("tokenPrefix {p:?} must be 1 to 16 of a-z 0-9"),
                            );
                        }
                    }
                }
                "permissions" => {
                    if let Some(list) = self.list(v, FieldLabel::top("permissions")) {
                        for (s, node) in &list {
                            if let Some(p) = model::scope_problem(s) {
                                self.problem(node, p);
                            }
                        }
                        catalog = Some(list.into_iter().map(|(s, _)| s).collect());
                    }
                }
                "policy" => policy = self.policy(v),
                "apiKeys" => {
                    has_api = true;
                    let (mut api, list, of_key) = self.api_keys(k, v, &mut keys);
                    api.next_top_line = next_top_line;
                    layout.api = Some(api);
                    layout.entries = list;
                    layout.of_key = of_key;
                }
                _ => {
                    if let Some(ours) = crate::names::misspelled_ours(name) {
                        self.note(
                            k.start,
                            format!("top-level key '{name}' looks like '{ours}' misspelled: tokenctl keeps it as another tool's data; correct the spelling, or rename it with an x- prefix if it is another tool's"),
                            false,
                        );
                    }
                    self.foreign(v)
                }
            }
        }
        if !has_api && !*flow {
            self.note(
                layout.top_end,
                "the file has no apiKeys: tokenctl reads it as no keys, but servers expect the mapping; write `apiKeys: {}` (or run `tokenctl check --fix`)".into(),
                false,
            );
        }
        let mut file = SecurityFile::new(version, prefix, catalog, keys);
        file.policy = policy;
        (file, layout)
    }
}
