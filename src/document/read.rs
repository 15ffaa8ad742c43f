//! Typed values from YAML nodes, one rule each, for the two readers of keys: the loader of
//! security.yml (`load.rs`, which collects every problem) and the desired state of `apply`
//! (`desired.rs`, which stops at the first). Each function takes a node whose alias the
//! caller has followed and gives its value or a [`Refused`] at the node's byte offset; the
//! caller turns that into its own positioned problem.

use crate::yaml::{Kind, Node};
use std::fmt::Display;

/// A value refused: where (a byte offset of the text) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refused {
    pub at: usize,
    pub message: String,
}

fn refuse<T>(node: &Node<'_>, message: String) -> Result<T, Refused> {
    Err(Refused {
        at: node.start,
        message,
    })
}

/// A boolean: the plain, untagged `true` or `false` (also `True`, `TRUE`, `False`, `FALSE`,
/// which every YAML 1.2 and 1.1 library reads as the same boolean). A null says to leave the
/// field out, which means true.
pub(super) fn boolean(node: &Node<'_>, what: impl Display) -> Result<bool, Refused> {
    match node.as_str().filter(|_| node.is_plain() && node.tag == 0) {
        Some("true" | "True" | "TRUE") => Ok(true),
        Some("false" | "False" | "FALSE") => Ok(false),
        _ if node.is_null() => refuse(
            node,
            format!("{what} is null; write true or false, or leave the field out (it means true)"),
        ),
        _ => refuse(node, format!("{what} must be true or false")),
    }
}

/// Text: a scalar that is not null.
pub(super) fn text<'n>(node: &'n Node<'_>, what: impl Display) -> Result<&'n str, Refused> {
    if node.is_null() {
        return refuse(
            node,
            format!("{what} is null; give it a value, or leave the field out"),
        );
    }
    match &node.kind {
        Kind::Scalar { value, .. } => Ok(value),
        _ => refuse(
            node,
            format!("{what} must be text, not {}", node.type_name()),
        ),
    }
}

/// The items of a list (each to be read with [`item_text`]); a null says to write `[]`.
pub(super) fn list<'n, 't>(
    node: &'n Node<'t>,
    what: impl Display,
) -> Result<&'n [Node<'t>], Refused> {
    if node.is_null() {
        return refuse(
            node,
            format!("{what} is null; write [] for none, or leave the field out"),
        );
    }
    match &node.kind {
        Kind::Seq { items, .. } => Ok(items),
        _ => refuse(
            node,
            format!(
                "{what} must be a list, like [a, b], not {}",
                node.type_name()
            ),
        ),
    }
}

/// One item of a list of text.
pub(super) fn item_text<'n>(item: &'n Node<'_>, what: impl Display) -> Result<&'n str, Refused> {
    match &item.kind {
        Kind::Scalar { value, .. } if !item.is_null() => Ok(value),
        _ => refuse(
            item,
            format!("{what}: each item must be text, not {}", item.type_name()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    /// The value of `v:` in `text`, read by `f`.
    fn read<T>(text: &str, f: impl Fn(&Node<'_>) -> Result<T, Refused>) -> Result<T, Refused> {
        let tree = yaml::parse(text).unwrap();
        let root = tree.root.unwrap();
        let Kind::Map { entries, .. } = &root.kind else {
            panic!("{text}")
        };
        f(&entries[0].1)
    }

    #[test]
    fn the_boolean_rule() {
        for (text, want) in [
            ("v: true", Some(true)),
            ("v: TRUE", Some(true)),
            ("v: False", Some(false)),
            ("v: \"true\"", None),
            ("v: yes", None),
            ("v: on", None),
            ("v: ~", None),
        ] {
            let got = read(text, |n| boolean(n, "enabled")).ok();
            assert_eq!(got, want, "{text}");
        }
        let e = read("v: ~", |n| boolean(n, "enabled")).unwrap_err();
        assert!(e.message.contains("leave the field out"), "{e:?}");
        assert_eq!(e.at, 3);
    }

    #[test]
    fn text_and_lists() {
        assert_eq!(
            read("v: a b", |n| text(n, "d").map(String::from)),
            Ok("a b".into())
        );
        assert!(
            read("v: [a]", |n| text(n, "d").map(String::from))
                .unwrap_err()
                .message
                .contains("must be text")
        );
        assert!(
            read("v: ~", |n| list(n, "p").map(<[_]>::len))
                .unwrap_err()
                .message
                .contains("write []")
        );
        assert!(
            read("v: x", |n| list(n, "p").map(<[_]>::len))
                .unwrap_err()
                .message
                .contains("must be a list")
        );
        assert_eq!(read("v: []", |n| list(n, "p").map(<[_]>::len)), Ok(0));
        let e = read("v: [a, [b]]", |n| {
            list(n, "p")?
                .iter()
                .map(|i| item_text(i, "p").map(String::from))
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap_err();
        assert_eq!(e.at, 7);
        assert!(e.message.starts_with("p: each item must be text"), "{e:?}");
    }
}
