//! Whether two nodes, of the same tree or of two trees, hold the same data as a YAML parser
//! gives it to a program: aliases followed to what they stand for, anchors' names and the
//! layout (block or flow, spacing, comments) ignored.
//!
//! Scalars are the same when their values are, both or neither are plain (a plain `true` is a
//! boolean, a quoted one a string), and their tags are. Mappings compare entry by entry in
//! order. The comparison walks pairs of nodes with a stack of its own and visits each pair
//! reached through an alias once, so an alias bomb or a deep file costs linear time and no
//! recursion.

use super::{Kind, Node, Tree};
use rustc_hash::{FxHashMap, FxHashSet};

/// Follows the aliases and reads the tags of one tree.
pub struct Resolver<'a, 't> {
    anchors: FxHashMap<u32, &'a Node<'t>>,
    tags: &'a [String],
}

impl<'a, 't> Resolver<'a, 't> {
    pub fn new(tree: &'a Tree<'t>) -> Self {
        Resolver {
            anchors: tree.root.as_ref().map(super::anchors).unwrap_or_default(),
            tags: &tree.tags,
        }
    }

    /// The node an alias stands for (itself when it is no alias); `None` for an alias whose
    /// anchor is not in the tree.
    pub fn follow(&self, node: &'a Node<'t>) -> Option<&'a Node<'t>> {
        match node.kind {
            Kind::Alias(id) => self.anchors.get(&id).copied(),
            _ => Some(node),
        }
    }

    fn tag(&self, node: &Node<'_>) -> Option<&str> {
        (node.tag != 0).then(|| {
            self.tags
                .get(node.tag as usize - 1)
                .map_or("?", String::as_str)
        })
    }
}

/// Do `a` (read with `ra`) and `b` (read with `rb`) hold the same data?
pub fn same<'a, 'b, 't, 'u>(
    a: &'a Node<'t>,
    ra: &Resolver<'a, 't>,
    b: &'b Node<'u>,
    rb: &Resolver<'b, 'u>,
) -> bool {
    let mut todo: Vec<(&'a Node<'t>, &'b Node<'u>)> = vec![(a, b)];
    let mut seen: FxHashSet<(usize, usize)> = FxHashSet::default();
    while let Some((a, b)) = todo.pop() {
        let via_alias = matches!(a.kind, Kind::Alias(_)) || matches!(b.kind, Kind::Alias(_));
        let (Some(a), Some(b)) = (ra.follow(a), rb.follow(b)) else {
            return false;
        };
        if via_alias && !seen.insert((a as *const _ as usize, b as *const _ as usize)) {
            continue;
        }
        if ra.tag(a) != rb.tag(b) {
            return false;
        }
        match (&a.kind, &b.kind) {
            (Kind::Scalar { value: va, .. }, Kind::Scalar { value: vb, .. }) => {
                if va != vb || a.is_plain() != b.is_plain() {
                    return false;
                }
            }
            (Kind::Seq { items: ia, .. }, Kind::Seq { items: ib, .. }) => {
                if ia.len() != ib.len() {
                    return false;
                }
                todo.extend(ia.iter().zip(ib));
            }
            (Kind::Map { entries: ea, .. }, Kind::Map { entries: eb, .. }) => {
                if ea.len() != eb.len() {
                    return false;
                }
                for ((ka, va), (kb, vb)) in ea.iter().zip(eb) {
                    todo.push((ka, kb));
                    todo.push((va, vb));
                }
            }
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::parse_full;
    use super::*;

    fn entry<'a, 't>(tree: &'a Tree<'t>, i: usize) -> &'a Node<'t> {
        match &tree.root.as_ref().unwrap().kind {
            Kind::Map { entries, .. } => &entries[i].1,
            _ => unreachable!(),
        }
    }

    /// Compares the value of entry `i` of `x`'s top-level mapping with entry `j` of `y`'s.
    fn same_entry(x: &str, i: usize, y: &str, j: usize) -> bool {
        let (tx, ty) = (parse_full(x).unwrap(), parse_full(y).unwrap());
        let (rx, ry) = (Resolver::new(&tx), Resolver::new(&ty));
        same(entry(&tx, i), &rx, entry(&ty, j), &ry)
    }

    #[test]
    fn layout_and_anchor_names_do_not_matter() {
        let x = "a: &p [dns:read, '*']\nb: *p\n";
        let y = "a:\n  - dns:read\n  - \"*\"\nb: &q {k: [x]}\n";
        assert!(same_entry(x, 0, y, 0));
        assert!(same_entry(x, 1, x, 0), "an alias is what it stands for");
        assert!(!same_entry(x, 1, y, 1));
    }

    #[test]
    fn a_redefined_anchor_is_read_where_the_alias_stands() {
        let x = "x: &p ['*']\na: &p [dns:read]\nb: *p\n";
        let y = "x: &p ['*']\na: [dns:write]\nb: *p\n";
        assert!(!same_entry(x, 1, y, 1));
        assert!(
            !same_entry(x, 2, y, 2),
            "b is [dns:read] before and ['*'] after"
        );
        assert!(same_entry(x, 2, x, 1));
    }

    #[test]
    fn plain_quoted_and_tagged_scalars_differ() {
        let x = "a: true\nb: 'true'\nc: !!str true\nd: \"true\"\n";
        assert!(!same_entry(x, 0, x, 1));
        assert!(!same_entry(x, 0, x, 2));
        assert!(!same_entry(x, 1, x, 2));
        assert!(
            same_entry(x, 1, x, 3),
            "single and double quotes give the same string"
        );
    }

    #[test]
    fn an_alias_bomb_compares_in_linear_time() {
        let mut text = String::from("a0: &a0 [x, x]\n");
        for i in 1..60 {
            text.push_str(&format!("a{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
        }
        let last = 59;
        assert!(same_entry(&text, last, &text, last));
        assert!(!same_entry(&text, last, &text, last - 1));
    }
}
