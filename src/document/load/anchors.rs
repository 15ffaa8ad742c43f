//! Anchors and aliases while loading: the copies an alias in tokenctl's data is read from,
//! where the aliases stand, the deprecation of anchors on tokenctl's data and the fix that
//! removes them, and anchor names that parsers read differently or that are defined twice.

use super::Loader;
use crate::document::Problem;
use crate::document::layout::AnchorDef;
use crate::yaml::{self, Kind, Node};
use rustc_hash::FxHashMap;

impl<'a> Loader<'a> {
    /// An anchor on tokenctl's data: deprecated.
    pub(super) fn anchored(&self, node: &Node<'_>) {
        if node.anchor != 0 {
            self.deprecated(
                node.start,
                "an anchor (&name) on tokenctl's data (Go's sigs.k8s.io/yaml and some servers' decoders treat anchors and aliases differently)",
            );
            self.our_anchors
                .borrow_mut()
                .push((node.anchor, node.start));
        }
    }

    /// Fixes removing the anchors on tokenctl's data that nothing outside it aliases (its
    /// own aliases are expanded by the same fix).
    pub(super) fn anchor_fixes(&self, aliases: &[(u32, usize)]) {
        let ours = self.our_aliases.borrow();
        for &(id, start) in self.our_anchors.borrow().iter() {
            if aliases.iter().any(|(a, at)| *a == id && !ours.contains(at)) {
                continue;
            }
            let b = self.text.as_bytes();
            let mut i = start;
            if b.get(i) == Some(&b'!') {
                continue;
            }
            if b.get(i) != Some(&b'&') {
                continue;
            }
            while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                i += 1;
            }
            if b.get(i) == Some(&b' ') {
                i += 1;
            }
            self.fix(start, i, String::new());
        }
    }

    /// Refuses an anchor whose name holds more than letters, digits, `-` and `_`: YAML 1.2
    /// allows more (`&a:b`, `&a.b`), but libyaml (PyYAML, Ruby, serde_yaml) and Go's yaml end
    /// the name at the first other character, so they read another document or none.
    /// `node_start` is where the anchored node's properties start.
    pub(super) fn anchor_name(&self, node_start: usize) {
        let b = self.text.as_bytes();
        let token_end = |mut i: usize| {
            while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                i += 1;
            }
            i
        };
        let mut i = node_start;
        // A tag may come first (`!t &a`).
        if b.get(i) == Some(&b'!') {
            i = token_end(i);
            while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                i += 1;
            }
        }
        if b.get(i) != Some(&b'&') {
            return;
        }
        // In flow context `,` `[` `]` `{` `}` end the name for every parser.
        let end = (i + 1..token_end(i))
            .find(|&j| matches!(b[j], b',' | b'[' | b']' | b'{' | b'}'))
            .unwrap_or_else(|| token_end(i));
        let name = &self.text[i + 1..end];
        if name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        {
            return;
        }
        let (line, col) = self.position(i);
        self.problems.borrow_mut().push(Problem {
            line,
            col,
            message: format!(
                "anchor name {name:?} holds more than letters, digits, - and _: YAML parsers disagree on where such a name ends (libyaml and Go's yaml stop at the first other character), so servers would read another document; rename it (and its aliases)"
            ),
        });
    }

    /// An anchor name defined twice: YAML allows it (the latest counts), PyYAML refuses the
    /// whole file. Warned about wherever it stands.
    pub(super) fn redefined_anchors(&self, defs: &[AnchorDef]) {
        let b = self.text.as_bytes();
        let mut seen = rustc_hash::FxHashSet::default();
        for d in defs {
            let Some(at) = memchr::memchr(b'&', &b[d.start..]).map(|i| i + d.start) else {
                continue;
            };
            let end = (at + 1..b.len())
                .find(|&j| {
                    matches!(
                        b[j],
                        b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}'
                    )
                })
                .unwrap_or(b.len());
            let name = &self.text[at + 1..end];
            if !seen.insert(name) {
                self.note(
                    at,
                    format!("the anchor name &{name} is defined a second time: YAML allows it, but PyYAML cannot load such a file"),
                    false,
                );
            }
        }
    }
}

/// Copies of the anchored scalars and lists of a tree, by anchor id, so that an alias in one
/// of tokenctl's fields can be read (one level: aliases are never expanded further, which
/// keeps alias bombs harmless). Copies, because the loader takes the tree apart as it goes.
pub(super) fn anchored_copies<'t>(root: &Node<'t>) -> FxHashMap<u32, Node<'t>> {
    yaml::anchors(root)
        .into_iter()
        .filter(|(_, n)| matches!(n.kind, Kind::Scalar { .. } | Kind::Seq { .. }))
        .map(|(id, n)| (id, n.clone()))
        .collect()
}

pub(super) fn collect_aliases(root: &Node<'_>, out: &mut Vec<(u32, usize)>) {
    let mut todo = vec![root];
    while let Some(n) = todo.pop() {
        match &n.kind {
            Kind::Alias(id) => out.push((*id, n.start)),
            Kind::Seq { items, .. } => todo.extend(items),
            Kind::Map { entries, .. } => todo.extend(entries.iter().flat_map(|(k, v)| [k, v])),
            Kind::Scalar { .. } => {}
        }
    }
    out.sort_by_key(|(_, at)| *at);
}
