use super::super::{Kind, MAX_DEPTH, parse};

#[test]
fn a_flow_mapping_with_a_trailing_comma_ends_at_its_bracket() {
    let text = "a: {b: {c: x,}, d: [1, 2 , ]}\n";
    let root = parse(text).unwrap().root.unwrap();
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
fn an_empty_block_scalar_ends_on_its_header_line() {
    let text = "a:\n  d: |\n  h: x\nz: >-\n";
    let root = parse(text).unwrap().root.unwrap();
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
    let root = parse(text).unwrap().root.unwrap();
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
    let root = parse(text).unwrap().root.unwrap();
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
    let root = parse(text).unwrap().root.unwrap();
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
    let root = parse(text).unwrap().root.unwrap();
    let Kind::Map { entries, .. } = &root.kind else {
        panic!()
    };
    let slices: Vec<&str> = entries.iter().map(|(_, v)| &text[v.start..v.end]).collect();
    assert_eq!(slices, ["é", "[x]", "\"ü\""]);
}

#[test]
fn implicit_nulls_in_flow_collections_have_no_text() {
    let text = "{p, q: 1, r}\n";
    let root = parse(text).unwrap().root.unwrap();
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
        let root = parse(text).unwrap().root.unwrap();
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
    let root = parse(&text).unwrap().root.unwrap();
    assert!(matches!(root.kind, Kind::Map { .. }));
}

/// Where block scalars start and end, and the line breaks their values end with.
mod block_scalars {
    use crate::yaml::{Kind, Node, parse_full};

    /// The value of each top-level key's last field, and the text its span covers.
    fn spans(text: &str) -> Vec<(String, String)> {
        let tree = parse_full(text).unwrap();
        let mut out = Vec::new();
        let mut todo: Vec<&Node> = vec![tree.root.as_ref().unwrap()];
        while let Some(n) = todo.pop() {
            match &n.kind {
                Kind::Map { entries, .. } => {
                    for (_, v) in entries.iter().rev() {
                        todo.push(v);
                    }
                }
                Kind::Scalar { value, .. } => {
                    out.push((value.to_string(), text[n.start..n.end].to_string()))
                }
                _ => {}
            }
        }
        out
    }

    #[test]
    fn a_block_scalar_spans_the_lines_its_value_needs() {
        let text = "a:\n  d: |+\n    hi\n\n\n  e: |\n    x\n\n  f: >-\n    y\n  g: |\n    z\n      \n\n  h: |2\n     w\n\nz: 1\n";
        let got = spans(text);
        assert_eq!(got[0], ("hi\n\n\n".into(), "|+\n    hi\n\n\n".into()));
        assert_eq!(got[1], ("x\n".into(), "|\n    x".into()));
        assert_eq!(got[2], ("y".into(), ">-\n    y".into()));
        // A line of spaces deeper than the content is content, kept even by clip.
        assert_eq!(got[3], ("z\n  \n".into(), "|\n    z\n      \n".into()));
        assert_eq!(got[4], (" w\n".into(), "|2\n     w".into()));
    }

    #[test]
    fn an_implicit_null_stands_just_past_its_key() {
        let text = "a:\n  x:\n    ? q\n  y: 1\nb:\n";
        let tree = parse_full(text).unwrap();
        let Kind::Map { entries, .. } = &tree.root.as_ref().unwrap().kind else {
            panic!()
        };
        let Kind::Map { entries: inner, .. } = &entries[0].1.kind else {
            panic!()
        };
        let Kind::Map { entries: x, .. } = &inner[0].1.kind else {
            panic!()
        };
        assert_eq!(x[0].1.start, text.find("q").unwrap() + 1);
        assert_eq!(entries[1].1.start, text.len() - 2, "just past `b`");
    }
}
