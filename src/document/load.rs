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
mod foreign;
mod rules;

use super::Problem;
use super::layout::{
    AnchorDef, ApiLayout, ApiValue, EntryLayout, FieldLayout, Layout, Portability, Root,
    field_name, indent_of, line_start,
};
use super::read::{self, Refused};
use crate::model::{self, ApiKey, Field, PreviousHash, SecurityFile};
use crate::time::{OldTime, parse_timestamp_old};
use crate::token::TokenHash;
use crate::yaml::{self, Kind, Node, Tree};
use anchors::{anchored_copies, collect_aliases};
use jiff::Timestamp;
use rules::Rule;
use rustc_hash::FxHashMap;
use saphyr_parser::ScalarStyle;

/// Reads `tree` (of `text`) into the model and the layout of its keys, with every problem.
pub(crate) fn load(text: &str, tree: Tree<'_>) -> (SecurityFile, Layout, Vec<Problem>) {
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
struct What<'s> {
    key: Option<&'s str>,
    field: &'s str,
}

impl std::fmt::Display for What<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.key {
            Some(key) => write!(f, "key '{key}': {}", self.field),
            None => f.write_str(self.field),
        }
    }
}

impl What<'static> {
    fn top(field: &'static str) -> Self {
        What { key: None, field }
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
    fn empty_restriction(&self, node: &Node<'a>, what: What<'_>, field: Field) {
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
                Some("version" | "tokenPrefix" | "permissions" | "apiKeys")
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
            let ours = matches!(name, "version" | "tokenPrefix" | "permissions" | "apiKeys");
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
                    if let Some(p) = self.string(v, What::top("tokenPrefix")) {
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
                    if let Some(list) = self.list(v, What::top("permissions")) {
                        for (s, node) in &list {
                            if let Some(p) = model::scope_problem(s) {
                                self.problem(node, p);
                            }
                        }
                        catalog = Some(list.into_iter().map(|(s, _)| s).collect());
                    }
                }
                "apiKeys" => {
                    has_api = true;
                    let (mut api, list, of_key) = self.api_keys(k, v, &mut keys);
                    api.next_top_line = next_top_line;
                    layout.api = Some(api);
                    layout.entries = list;
                    layout.of_key = of_key;
                }
                _ => self.foreign(v),
            }
        }
        if !has_api && !*flow {
            self.note(
                layout.top_end,
                "the file has no apiKeys: tokenctl reads it as no keys, but servers expect the mapping; write `apiKeys: {}` (or run `tokenctl check --fix`)".into(),
                false,
            );
        }
        (SecurityFile::new(version, prefix, catalog, keys), layout)
    }

    /// Reads apiKeys, consuming each definition once read.
    fn api_keys(
        &mut self,
        k: &Node<'a>,
        v: &mut Node<'a>,
        keys: &mut Vec<ApiKey>,
    ) -> (ApiLayout, Vec<EntryLayout>, Vec<usize>) {
        let mut layouts = Vec::new();
        let mut of_key = Vec::new();
        self.tagged(v);
        let value = match &v.kind {
            _ if v.is_null() => {
                self.note(
                    k.start,
                    "apiKeys is null: tokenctl reads it as no keys, but every YAML library reads null, not the mapping servers expect; write `apiKeys: {}` (or run `tokenctl check --fix`)".into(),
                    false,
                );
                if v.start == v.end {
                    if let Some(colon) = super::layout::colon_after(self.text, k.end) {
                        self.fix(colon + 1, colon + 1, " {}".into());
                    }
                } else {
                    self.fix(v.start, v.end, "{}".into());
                }
                ApiValue::Null {
                    start: v.start,
                    end: v.end,
                }
            }
            Kind::Map { flow: true, .. } => ApiValue::Flow { end: v.end },
            Kind::Map { .. } => ApiValue::Block,
            _ => {
                self.problem(
                    v,
                    format!(
                        "apiKeys must be a mapping of key name to definition, not {}",
                        v.type_name()
                    ),
                );
                ApiValue::Null {
                    start: v.end,
                    end: v.end,
                }
            }
        };
        let api = ApiLayout {
            key_start: k.start,
            key_end: k.end,
            value,
            value_props: v.anchor != 0 || v.tag != 0,
            value_anchor: v.anchor,
            next_top_line: None,
        };
        if let Kind::Map { entries, .. } = &mut v.kind {
            layouts.reserve_exact(entries.len());
            keys.reserve_exact(entries.len());
            of_key.reserve_exact(entries.len());
            let mut names = Seen::new();
            for (name_node, def) in entries.iter_mut() {
                let name_node: &Node<'a> = name_node;
                // Taken out of the tree, and so freed once read.
                let def = std::mem::replace(def, Node::placeholder());
                if self.merge(name_node) {
                    self.problem(name_node, format!("apiKeys: {MERGE}"));
                    continue;
                }
                let Some(name) = name_node
                    .as_str()
                    .filter(|_| matches!(name_node.kind, Kind::Scalar { .. }))
                else {
                    self.problem(name_node, "a key name must be text");
                    continue;
                };
                self.tagged(name_node);
                self.explicit_key(name_node);
                if let Some(what) =
                    yaml::core_schema_non_text(name).filter(|_| name_node.is_plain())
                {
                    self.problem(
                        name_node,
                        format!("key name {name} is {what} to YAML parsers, not text; quote it ('{name}')"),
                    );
                } else if let Some(what) =
                    yaml::yaml11_non_text(name).filter(|_| name_node.is_plain())
                {
                    self.problem(
                        name_node,
                        format!("key name {name} is {what} to YAML 1.1 parsers such as PyYAML, not text; quote it ('{name}')"),
                    );
                } else if name_node.tag == 0 {
                    self.scalar_rules(
                        name_node,
                        What {
                            key: None,
                            field: "key name",
                        },
                        Rule::Text,
                    );
                }
                if let Some(p) = crate::names::problem(name) {
                    self.problem(name_node, format!("invalid key name {name:?}: {p}"));
                }
                if !names.first(name) {
                    self.problem(name_node, format!("duplicate key name '{name}'"));
                    continue;
                }
                let (entry, layout) = self.entry(name, name_node, &def);
                if let Some(entry) = entry {
                    keys.push(entry);
                    of_key.push(layouts.len());
                }
                layouts.push(layout);
            }
        }
        (api, layouts, of_key)
    }

    fn entry(
        &mut self,
        name: &str,
        name_node: &Node<'a>,
        def: &Node<'a>,
    ) -> (Option<ApiKey>, EntryLayout) {
        let mut layout = EntryLayout {
            key_start: name_node.start,
            key_end: name_node.end,
            value_start: def.start,
            content_start: yaml::content_start(self.text, def),
            value_end: def.end.max(name_node.end),
            flow: false,
            ends_in_block_scalar: ends_in_block_scalar(def),
            fields: Vec::new(),
        };
        let before = self.problems.borrow().len();
        self.tagged(def);
        self.anchored(def);
        self.flow_close(
            def,
            What {
                key: Some(name),
                field: "definition",
            },
            || None,
        );
        let Kind::Map { entries, flow } = &def.kind else {
            self.problem(
                def,
                format!(
                    "key '{name}' must be a mapping of fields (hash, permissions, ...), not {}",
                    def.type_name()
                ),
            );
            return (None, layout);
        };
        layout.flow = *flow;
        layout.fields.reserve_exact(entries.len());
        let mut key = ApiKey::new(name.to_string(), TokenHash([0; 32]));
        let mut has_hash = false;
        let mut seen = Seen::new();
        for (fk, fv) in entries {
            if self.merge(fk) {
                self.problem(fk, format!("key '{name}': {MERGE}"));
                continue;
            }
            let Some(field) = fk.as_str() else {
                self.problem(fk, "a field name must be text");
                continue;
            };
            let ours = field.parse::<Field>().ok();
            let known = ours.is_some();
            if known {
                self.explicit_key(fk);
                self.anchored(fv);
            }
            if !seen.first(field) {
                self.problem(fk, format!("key '{name}': duplicate field '{field}'"));
                continue;
            }
            let block_list_indent = match &fv.kind {
                Kind::Seq { flow: false, items } if !items.is_empty() => {
                    Some(indent_of(self.text, fv.start))
                }
                _ => None,
            };
            layout.fields.push(FieldLayout {
                name: field_name(field),
                key_start: fk.start,
                key_end: fk.end,
                value_start: fv.start,
                value_end: fv.end.max(fk.end),
                content_start: yaml::content_start(self.text, fv),
                anchor: fv.anchor,
                block_list_indent,
            });
            let what = What {
                key: Some(name),
                field,
            };
            if known && (self.tagged(fk) || self.tagged(fv)) {
                continue;
            }
            match ours {
                Some(Field::Description) => key.description = self.string(fv, what),
                Some(Field::Enabled) => match read::boolean(self.resolve(fv), what) {
                    Ok(b) => key.enabled = b,
                    Err(r) => self.refused(r),
                },
                Some(Field::Permissions) => {
                    if let Some(list) = self.list(fv, what) {
                        for (s, node) in &list {
                            if let Some(p) = model::scope_problem(s) {
                                self.problem(node, format!("key '{name}': {p}"));
                            }
                        }
                        key.permissions = list.into_iter().map(|(s, _)| s).collect();
                    }
                }
                Some(Field::Hash) => {
                    has_hash = true;
                    let parsed = self.str_of(fv, what).map(TokenHash::parse);
                    // A plain sha256:<hex> is portable as it is: the rules only for the rest.
                    let v = self.resolve_quiet(fv);
                    if !v.is_plain() || !matches!(parsed, Some(Some(_))) {
                        self.scalar_rules(v, what, Rule::Text);
                    }
                    match parsed {
                        Some(Some(h)) => key.hash = h,
                        Some(None) => self.problem(
                            fv,
                            format!("{what} must be sha256: followed by 64 lowercase hex digits"),
                        ),
                        None => {}
                    }
                }
                Some(Field::CreatedAt) => key.created_at = self.time(fv, what),
                Some(Field::ExpiresAt) => key.expires_at = self.time(fv, what),
                Some(Field::AllowedIps) => {
                    self.empty_restriction(fv, what, Field::AllowedIps);
                    if let Some(list) = self.list(fv, what) {
                        let mut nets = Vec::new();
                        for (s, node) in list {
                            match model::parse_cidr(&s) {
                                Ok(n) => nets.push(n),
                                Err(e) => self.problem(node, format!("key '{name}': {e}")),
                            }
                        }
                        key.allowed_ips = Some(nets);
                    }
                }
                Some(Field::PathPrefix) => {
                    key.path_prefix = self.string(fv, what);
                    if let Some(p) = &key.path_prefix {
                        if !model::valid_path_prefix(p) {
                            self.problem(fv, format!("{what} {}", model::PATH_PREFIX_RULE));
                        }
                    }
                }
                Some(Field::Resources) => {
                    key.resources = self
                        .list(fv, what)
                        .map(|l| l.into_iter().map(|(s, _)| s).collect());
                    self.empty_restriction(fv, what, Field::Resources);
                }
                Some(Field::PreviousHashes) => key.previous_hashes = self.previous(fv, what),
                // Field::Name is no field of a key's mapping: `parse` never gives it.
                Some(Field::Name) | None => self.foreign(fv),
            }
        }
        if !has_hash {
            self.problem(
                name_node,
                format!("key '{name}' has no hash; every key needs `hash: sha256:<64 hex>`"),
            );
        }
        // A key whose every problem `check --fix` rewrites away is read (for the rewrite's
        // proof); `Document::load` refuses the file all the same.
        let ok = {
            let problems = self.problems.borrow();
            let port = self.port.borrow();
            problems[before..]
                .iter()
                .all(|p| port.fixable.contains(&(p.line, p.col)))
        };
        (ok.then_some(key), layout)
    }

    fn string(&self, node: &Node<'a>, what: What<'_>) -> Option<String> {
        let s = self.str_of(node, what).map(String::from);
        let _suspended = matches!(node.kind, Kind::Alias(_)).then(|| Suspend::new(&self.no_fix));
        let rule = if what.field == "description" {
            Rule::Description
        } else {
            Rule::Text
        };
        self.scalar_rules(self.resolve_quiet(node), what, rule);
        s
    }

    /// As [`Loader::resolve`], without noting the alias again.
    fn resolve_quiet<'n>(&'n self, node: &'n Node<'a>) -> &'n Node<'a> {
        match node.kind {
            Kind::Alias(id) => self.anchors.get(&id).unwrap_or(node),
            _ => node,
        }
    }

    /// A scalar's text, borrowed from the tree. A null is a problem: the field must hold
    /// text, or be left out.
    fn str_of<'n>(&'n self, node: &'n Node<'a>, what: What<'_>) -> Option<&'n str> {
        let node = self.resolve(node);
        if self.tagged(node) {
            return None;
        }
        read::text(node, what).map_err(|r| self.refused(r)).ok()
    }

    fn time(&self, node: &Node<'a>, what: What<'_>) -> Option<Timestamp> {
        let s = self.str_of(node, what)?;
        let _suspended = matches!(node.kind, Kind::Alias(_)).then(|| Suspend::new(&self.no_fix));
        let node = self.resolve_quiet(node);
        // A plain time that reads is one line and no block scalar: the rules only for the rest.
        if !node.is_plain() {
            self.scalar_rules(node, what, Rule::Time);
        }
        match parse_timestamp_old(s) {
            Ok((t, old)) => {
                match old {
                    Some(OldTime::Lowercase) => {
                        self.deprecated(
                            node.start,
                            &format!("{what}: {}", OldTime::Lowercase.what()),
                        );
                        if node.anchor == 0 && node.tag == 0 {
                            let at = yaml::content_start(self.text, node);
                            let raw = &self.text[at..node.end];
                            self.fix(at, node.end, crate::time::portable_spelling(raw));
                        }
                    }
                    Some(OldTime::YearZero) => self
                        .deprecated(node.start, &format!("{what}: {}", OldTime::YearZero.what())),
                    None => {}
                }
                if t < crate::time::GREGORIAN {
                    self.note(
                        node.start,
                        format!("{what}: {s} is before 1583: tokenctl reads it as the past it is, but SnakeYAML, js-yaml 4 and npm `yaml` read such dates days off (other calendars)"),
                        false,
                    );
                }
                Some(t)
            }
            Err(e) => {
                self.problem(node, format!("{what}: {e}"));
                None
            }
        }
    }

    fn list<'n>(
        &'n self,
        node: &'n Node<'a>,
        what: What<'_>,
    ) -> Option<Vec<(String, &'n Node<'a>)>> {
        let via_alias = matches!(node.kind, Kind::Alias(_));
        let node = self.resolve(node);
        if self.tagged(node) {
            return None;
        }
        // What an alias stands for may lie in another tool's data: it is not rewritten.
        let _suspended = via_alias.then(|| Suspend::new(&self.no_fix));
        self.flow_close(node, what, || match &node.kind {
            Kind::Seq { items, .. } => items
                .iter()
                .map(|i| match i.kind {
                    Kind::Scalar { .. } if i.anchor == 0 && i.tag == 0 => {
                        self.portable_text(i, false)
                    }
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .map(|v| format!("[{}]", v.join(", "))),
            _ => None,
        });
        let items = read::list(node, what).map_err(|r| self.refused(r)).ok()?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let item = self.resolve(item);
            if self.tagged(item) {
                continue;
            }
            self.anchored(item);
            match read::item_text(item, what) {
                Ok(value) => {
                    self.scalar_rules(item, what, Rule::Text);
                    out.push((value.to_string(), item))
                }
                Err(r) => self.refused(r),
            }
        }
        Some(out)
    }

    fn previous(&self, node: &Node<'a>, what: What<'_>) -> Vec<PreviousHash> {
        if node.is_null() {
            self.problem(
                node,
                format!("{what} is null; write [] for none, or leave the field out"),
            );
            return Vec::new();
        }
        let Kind::Seq { items, .. } = &node.kind else {
            self.problem(
                node,
                format!("{what} must be a list of {{hash, expiresAt}}"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            if self.tagged(item) {
                continue;
            }
            let Kind::Map { entries, .. } = &item.kind else {
                self.problem(
                    item,
                    format!("{what}: each item must be a mapping with hash and expiresAt"),
                );
                continue;
            };
            let (mut hash, mut expires, mut has_expires) = (None, None, false);
            for (k, v) in entries {
                if self.merge(k) {
                    self.problem(k, format!("{what}: {MERGE}"));
                    continue;
                }
                match k.as_str() {
                    Some("hash") => match self.str_of(v, what).map(TokenHash::parse) {
                        Some(Some(h)) => hash = Some(h),
                        Some(None) => self.problem(
                            v,
                            format!(
                                "{what}: hash must be sha256: followed by 64 lowercase hex digits"
                            ),
                        ),
                        None => {}
                    },
                    Some("expiresAt") => {
                        has_expires = true;
                        expires = self.time(v, what);
                    }
                    _ => {}
                }
            }
            match (hash, expires) {
                (Some(hash), Some(expires_at)) => out.push(PreviousHash { hash, expires_at }),
                // A malformed expiresAt was reported where it stands.
                (Some(_), None) if has_expires => {}
                (Some(_), None) => {
                    self.problem(item, format!("{what}: every item needs an expiresAt"))
                }
                (None, _) => self.problem(item, format!("{what}: every item needs a hash")),
            }
        }
        out
    }
}

/// Does the last node of `def`, going down through last children, hold a block scalar?
fn ends_in_block_scalar(def: &Node<'_>) -> bool {
    let mut n = def;
    loop {
        match &n.kind {
            Kind::Map { entries, .. } => match entries.last() {
                Some((_, v)) => n = v,
                None => return false,
            },
            Kind::Seq { items, .. } => match items.last() {
                Some(v) => n = v,
                None => return false,
            },
            Kind::Scalar { style, .. } => {
                return matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
            }
            Kind::Alias(_) => return false,
        }
    }
}
