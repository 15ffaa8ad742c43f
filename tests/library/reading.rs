//! tokenctl's YAML reader (the library's `yaml::parse_full`) reads what libyaml reads: block
//! scalars of every shape, compared value by value.

/// The block scalar's value in a tree: the first scalar value, depth first.
fn first_value(n: &tokenctl::yaml::Node<'_>) -> Option<String> {
    use tokenctl::yaml::Kind;
    match &n.kind {
        Kind::Scalar { value, .. } => Some(value.to_string()),
        Kind::Map { entries, .. } => entries.first().and_then(|(_, v)| first_value(v)),
        Kind::Seq { items, .. } => items.first().and_then(first_value),
        Kind::Alias(_) => None,
    }
}

fn first_libyaml_value(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::Mapping(m) => m.values().next().and_then(first_libyaml_value),
        serde_yaml::Value::Sequence(s) => s.first().and_then(first_libyaml_value),
        serde_yaml::Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// Origin: found by the differential test or fuzz/edit (was tests/e2e/found.rs).
#[test]
fn block_scalars_of_every_shape_read_as_libyaml_reads_them() {
    // Every chomping and indentation indicator, with and without a header comment; content
    // ending in text, in spaces, in more-indented lines; trailing empty lines, lines of spaces
    // and none; at the end of the file with and without a line break, and before a key; as a
    // mapping value, nested, as a list item at the key's indentation and at the top; LF, CRLF.
    let heads = [
        "|", "|-", "|+", ">", ">-", ">+", "|2", "|+2", ">-1", "|1+", "| # c",
    ];
    let bodies = [
        "mt",
        "mt\n  x",
        "mt  ",
        "mt\n\n  x",
        "mt\n   y",
        "  deep",
        "",
        "\n  late",
    ];
    let tails = [
        "", "\n", "\n\n", "\n  ", "\n ", "\n   ", "\n\n  ", "\n    ", "\n \n  ",
    ];
    let wraps = [
        ("a: ", "  ", ""),
        ("a:\n  b: ", "    ", ""),
        ("a:\n- ", "  ", ""),
        ("- ", "  ", ""),
        ("a: ", "  ", "z: 1\n"),
    ];
    let (mut compared, mut differ) = (0, Vec::new());
    for (before, indent, after) in wraps {
        for head in heads {
            for body in bodies {
                for tail in tails {
                    for nl in ["\n", "\r\n"] {
                        let body = body.replace("\n  ", &format!("\n{indent}"));
                        let mut text = format!("{before}{head}\n{indent}{body}{tail}");
                        if !after.is_empty() {
                            if !text.ends_with('\n') {
                                text.push('\n');
                            }
                            text.push_str(after);
                        }
                        let text = text.replace('\n', nl);
                        // Where either parser refuses the text there is nothing to compare.
                        let (Ok(tree), Ok(v)) = (
                            tokenctl::yaml::parse_full(&text),
                            serde_yaml::from_str::<serde_yaml::Value>(&text),
                        ) else {
                            continue;
                        };
                        compared += 1;
                        let ours = tree.root.as_ref().and_then(first_value);
                        let theirs = first_libyaml_value(&v);
                        if ours != theirs {
                            differ.push(format!("{text:?}: tokenctl {ours:?}, libyaml {theirs:?}"));
                        }
                    }
                }
            }
        }
    }
    assert!(compared > 5000, "only {compared} texts compared");
    assert!(
        differ.is_empty(),
        "{} of {compared} differ:\n{}",
        differ.len(),
        differ[..differ.len().min(20)].join("\n")
    );
}
