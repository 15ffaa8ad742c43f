//! What the differential test (differential.rs) and fuzz/edit found, each a test of its
//! own through the binary: the input, the command, and what it used to break.

use crate::support::harness::{fake_hash, run, temp_file};
use std::fs;

#[test]
fn deleting_the_key_after_one_that_ends_in_a_block_scalar_does_not_hang() {
    // The cut also takes the blank lines after the entry (they would join the scalar); it
    // looked for the end of each line from that line's start, where it already was, and
    // looped for ever, holding the file's lock.
    for (header, value) in [("|", "text\n"), ("|+", "text\n\n"), (">-", "text")] {
        let text = format!(
            "apiKeys:\n  a:\n    hash: {}\n    description: {header}\n      text\n\n  b:\n    hash: {}\n\n  c:\n    hash: {}\n",
            fake_hash(1),
            fake_hash(2),
            fake_hash(3)
        );
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["delete", "b", "--yes"], "");
        out.success().stdout_empty();
        assert_eq!(out.stderr, "Deleted key 'b'; it no longer works.\n");
        let after = fs::read_to_string(&file).unwrap();
        let b = format!("  b:\n    hash: {}\n\n", fake_hash(2));
        assert_eq!(after, text.replace(&b, ""), "{header}");
        let read: serde_yaml::Value = serde_yaml::from_str(&after).unwrap();
        assert_eq!(read["apiKeys"]["a"]["description"].as_str(), Some(value));
        assert_eq!(run(&file, &["check"], "").code, 0, "{after}");
    }
}

#[test]
fn a_block_scalar_whose_last_line_is_kept_is_replaced_whole() {
    // A block scalar that keeps its trailing lines (`|+`) or ends in a line of spaces deeper
    // than its content (a content line) ends past that line's break; the new value took the
    // break's place, the next field joined its line, and `update --description` was refused
    // ("the new text would not read as YAML") on tokenctl's own `description: |+`.
    for old in [
        "|+\n      text\n\n",
        "|+\n      text\n",
        "|-\n      text\n\n        \n",
        ">\n      text\n       \n",
    ] {
        for nl in ["\n", "\r\n"] {
            let text = format!(
                "apiKeys:\n  k:\n    description: {old}    hash: {}\n  j:\n    hash: {}\n",
                fake_hash(1),
                fake_hash(2)
            )
            .replace('\n', nl);
            let (_dir, file) = temp_file(&text);
            let out = run(&file, &["update", "k", "--description", "new: text"], "");
            out.success().stdout_empty();
            // The old value it names is the one libyaml reads.
            let before: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
            let was = before["apiKeys"]["k"]["description"]
                .as_str()
                .unwrap()
                .to_string();
            assert_eq!(
                out.stderr,
                format!("Updated key 'k': description {was:?} -> \"new: text\".\n")
            );
            let after = fs::read_to_string(&file).unwrap();
            let want = format!(
                "apiKeys:\n  k:\n    description: \"new: text\"\n    hash: {}\n  j:\n    hash: {}\n",
                fake_hash(1),
                fake_hash(2)
            )
            .replace('\n', nl);
            assert_eq!(after, want, "{old:?}");
        }
    }
}

#[test]
fn the_only_key_of_a_flow_api_keys_with_a_trailing_comma_can_be_deleted() {
    // Deleting it left `{ , }`, which does not parse; the write was refused with a syntax
    // error at a line and column of a text the file never held.
    for (text, want) in [
        (
            "apiKeys: {\n  a: {hash: H1, permissions: [dns:read]},\n  }\n",
            "apiKeys: {}\n",
        ),
        ("apiKeys: {a: {hash: H1},}\n", "apiKeys: {}\n"),
        ("apiKeys: { a: {hash: H1} , }\n", "apiKeys: {}\n"),
        (
            "apiKeys: { # the keys\n  a: {hash: H1},\n  }\n",
            "apiKeys: { # the keys\n  \n  }\n",
        ),
    ] {
        let text = text.replace("H1", &fake_hash(1));
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["delete", "a", "--yes"], "");
        out.success().stdout_empty();
        assert_eq!(fs::read_to_string(&file).unwrap(), want, "{text:?}");
        assert_eq!(run(&file, &["check"], "").code, 0);
    }
    // delete --all takes the keys one by one: the last one left is the only one.
    let text = format!(
        "apiKeys: {{\n  a: {{hash: {}}},\n  b: {{hash: {}}},\n}}\n",
        fake_hash(1),
        fake_hash(2)
    );
    let (_dir, file) = temp_file(&text);
    run(&file, &["delete", "--all", "--yes"], "").success();
    assert_eq!(fs::read_to_string(&file).unwrap(), "apiKeys: {}\n");
}

#[test]
fn a_key_is_added_to_a_flow_api_keys_that_ends_in_a_trailing_comma() {
    // The new entry came with a comma of its own: `{a: {...}, , new: {...}}` does not parse,
    // and create was refused.
    for (text, want) in [
        (
            "apiKeys: {a: {hash: H1},}\n",
            "apiKeys: {a: {hash: H1}, new: {enabled: true, permissions: [], hash: H2, createdAt: 2026-11-22T10:00:00Z}}\n",
        ),
        (
            "apiKeys: {\n  a: {hash: H1},  # the first\n  }\n",
            "apiKeys: {\n  a: {hash: H1},  # the first\n   new: {enabled: true, permissions: [], hash: H2, createdAt: 2026-11-22T10:00:00Z}}\n",
        ),
        (
            "apiKeys: {a: {hash: H1}, # a trailing comma, and one here\n  }\n",
            "apiKeys: {a: {hash: H1}, # a trailing comma, and one here\n   new: {enabled: true, permissions: [], hash: H2, createdAt: 2026-11-22T10:00:00Z}}\n",
        ),
        (
            "apiKeys: {a: {hash: H1} # a comment, with a comma\n  }\n",
            "apiKeys: {a: {hash: H1} # a comment, with a comma\n  , new: {enabled: true, permissions: [], hash: H2, createdAt: 2026-11-22T10:00:00Z}}\n",
        ),
    ] {
        let secret = "an-imported-secret-of-at-least-32-characters";
        let h2 = {
            use sha2::Digest;
            format!("sha256:{}", hex::encode(sha2::Sha256::digest(secret)))
        };
        let text = text.replace("H1", &fake_hash(1));
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["create", "new", "--secret-stdin"], secret);
        out.success();
        assert_eq!(out.stdout, format!("{secret}\n"));
        let want = want.replace("H1", &fake_hash(1)).replace("H2", &h2);
        assert_eq!(fs::read_to_string(&file).unwrap(), want, "{text:?}");
        assert_eq!(run(&file, &["check"], "").code, 0);
    }
}

#[test]
fn the_last_key_of_a_tagged_or_anchored_api_keys_can_be_deleted() {
    // Deleting every key left `apiKeys: !!map` holding a tagged null. Tags are not portable
    // security.yml now (refused on read), and an anchor on tokenctl's data is deprecated:
    // `check --fix` removes it, and then the last key goes, leaving `apiKeys: {}`.
    let text = format!("apiKeys: !!map\n  a:\n    hash: {}\n", fake_hash(1));
    let (_dir, file) = temp_file(&text);
    run(&file, &["delete", "a", "--yes"], "")
        .code(1)
        .stderr_has("tags (!...) are not allowed");
    assert_eq!(fs::read_to_string(&file).unwrap(), text);
    for args in [&["delete", "a", "--yes"][..], &["delete", "--all", "--yes"]] {
        let mut text = format!("apiKeys: &keys  # ours\n  a:\n    hash: {}\n", fake_hash(1));
        if args[1] == "--all" {
            text.push_str(&format!("  b:\n    hash: {}\n", fake_hash(2)));
        }
        let (_dir, file) = temp_file(&text);
        run(&file, args, "").code(1).stderr_has("check --fix");
        assert_eq!(fs::read_to_string(&file).unwrap(), text);
        run(&file, &["check", "--fix"], "").success();
        run(&file, args, "").success();
        assert_eq!(fs::read_to_string(&file).unwrap(), "apiKeys: {}  # ours\n");
        assert_eq!(run(&file, &["check"], "").code, 0);
        run(&file, &["create", "c", "--quiet"], "").success();
        assert_eq!(run(&file, &["check"], "").code, 0);
    }
}

#[test]
fn anchor_names_that_parsers_split_differently_are_refused() {
    // Found by fuzz/edit's read check: YAML 1.2 lets an anchor's name hold `:`, `*`, `#`
    // and `.`, but libyaml (and with it PyYAML, Ruby, serde_yaml) and Go's yaml end it at
    // the first character that is not a letter, digit, `-` or `_`. `&q:*#ar` was a null
    // anchored `q:*#ar` to tokenctl and the string ":*#ar" anchored `q` to libyaml;
    // `&p.x [dns:read]` is a list to tokenctl and a syntax error to libyaml. (An alias names
    // an anchor, so checking the anchors is enough.)
    for (text, at) in [
        ("&q:*#ar\n", "1:1"),
        (
            "apiKeys:\n  k:\n    hash: H\n    permissions: &p.x [dns:read]\n",
            "4:18",
        ),
        (
            "x: &ok-1_A [a]\napiKeys:\n  k:\n    hash: H\n    permissions: *ok-1_A\n    owner: &a:b c\n",
            "6:12",
        ),
    ] {
        let text = text.replace('H', &fake_hash(1));
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["check"], "");
        out.code(7);
        assert!(
            out.stdout
                .contains(&format!("security.yml:{at}: anchor name"))
                && out.stdout.contains("letters, digits, - and _"),
            "{text:?}: {}",
            out.stdout
        );
        let out = run(&file, &["create", "new"], "");
        out.code(1).stdout_empty();
        assert_eq!(fs::read_to_string(&file).unwrap(), text);
    }
}

#[test]
fn a_block_scalar_at_the_end_of_a_file_without_a_final_line_break_reads_as_servers_read_it() {
    // Found by fuzz/edit's libyaml check: `note: |\n  mt` with no line break at the end is
    // "mt" to libyaml, PyYAML and ruamel (there is no final break to keep); saphyr gave
    // "mt\n". So `create` appended `apiKeys:` after it, which gives the scalar its line break,
    // changed another tool's value, and the proof (reading with saphyr) saw no change.
    for header in ["|", "|+", ">"] {
        let text = format!("note: {header}\n  mt");
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["create", "k"], "");
        out.code(1).stdout_empty();
        assert!(
            out.stderr
                .contains("the top-level key 'note' would read differently"),
            "{}",
            out.stderr
        );
        assert_eq!(fs::read_to_string(&file).unwrap(), text);
    }
    // tokenctl's own description reads as servers read it.
    let text = format!(
        "apiKeys:\n  k:\n    hash: {}\n    description: |\n      two\n      lines",
        fake_hash(1)
    );
    let (_dir, file) = temp_file(&text);
    let out = run(&file, &["--format", "json", "show", "k"], "");
    out.success();
    let shown: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(shown["description"], "two\nlines");
    let libyaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(libyaml["apiKeys"]["k"]["description"], "two\nlines");
}

#[test]
fn a_block_scalar_item_of_a_sequence_at_its_keys_indentation_is_read_whole() {
    // Found by fuzz/edit's libyaml check: saphyr starts a sequence written at its key's
    // indentation (`notes:\n- |`) at its first item's content, so its indentation was taken
    // as the `|`'s column, and the block scalar item, indented less than that, was cut off
    // after its header. Reading its value from saphyr as it was, the file's end without a line
    // break went unseen: `create` gave it one ("x  " became "x  \n" to libyaml) and
    // exited 0.
    let text = "notes:\n- |\n x  ";
    let (_dir, file) = temp_file(text);
    let out = run(&file, &["create", "k"], "");
    out.code(1).stdout_empty();
    assert!(
        out.stderr
            .contains("the top-level key 'notes' would read differently"),
        "{}",
        out.stderr
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), text);
    // With the line break there, the key goes after it and the item keeps its value.
    for text in ["notes:\n- |\n x\n", "notes:\n\n- >-\n x\n  y\n"] {
        let (_dir, file) = temp_file(text);
        run(&file, &["create", "k", "--quiet"], "").success();
        let after = fs::read_to_string(&file).unwrap();
        assert!(after.starts_with(text), "{after}");
        let before: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
        let now: serde_yaml::Value = serde_yaml::from_str(&after).unwrap();
        assert_eq!(before["notes"], now["notes"]);
    }
}

#[test]
fn a_block_scalar_at_the_end_of_a_file_ends_in_the_line_breaks_yaml_gives_it() {
    // Found by fuzz/edit's libyaml check: where the file ends without a line break, saphyr
    // miscounts a block scalar's final line breaks, so tokenctl read other values than
    // libyaml, PyYAML and ruamel do (and missed a write that changed one). The syntax layer
    // now counts them as YAML's chomping says.
    for (block, value) in [
        ("|\n      two\n      lines", "two\nlines"),
        ("|\n      two\n      ", "two\n"),
        ("|\n      two\n\n    ", "two\n"),
        ("|+\n      two\n     ", "two\n"),
        ("|+\n      two\n\n ", "two\n\n"),
        (">\n      two\n      lines\n      ", "two lines\n"),
        ("|-\n      two\n      ", "two"),
        ("|\n      two\n         ", "two\n   "),
    ] {
        let text = format!(
            "apiKeys:\n  k:\n    hash: {}\n    description: {block}",
            fake_hash(1)
        );
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["--format", "json", "show", "k"], "");
        out.success();
        let shown: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(shown["description"], value, "{block:?}");
        let libyaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(libyaml["apiKeys"]["k"]["description"], value, "{block:?}");
    }
    // The file fuzz/edit found: a kept block scalar in a list, ending in a line of spaces
    // deeper than its content and no line break. A new key would give it one: refused.
    let text = "issions:\n- |\n --x\n  -y   \n  ";
    let (_dir, file) = temp_file(text);
    let out = run(&file, &["create", "k"], "");
    out.code(1).stdout_empty();
    assert!(
        out.stderr.contains("'issions' would read differently"),
        "{}",
        out.stderr
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), text);
}

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

#[test]
fn no_write_puts_a_line_of_blanks_with_a_tab_after_its_text() {
    // Found by fuzz/edit's libyaml check: `a: 1\n  \t` (a last line of blanks holding a tab)
    // reads to libyaml; `create` put `apiKeys:` and the new key before that line, and
    // libyaml and PyYAML refuse a line of blanks with a tab after a plain value ("found a
    // tab character that violates indentation"), which saphyr accepts. Servers reading with
    // them could no longer read the file. Such a write is refused, saying what to do.
    for text in [
        "a: 1\n  \t",
        "a: 1\n\t\n",
        "apiKeys:\n  k:\n    hash: H\n  \t\n",
    ] {
        let text = text.replace('H', &fake_hash(1));
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["create", "new"], "");
        out.code(1).stdout_empty();
        // In tokenctl's own section a tab is refused on read already (portable security.yml).
        assert!(
            (out.stderr.contains("a line of only blanks holding a tab")
                && out.stderr.contains("remove the tab"))
                || out.stderr.contains("a tab in tokenctl's data"),
            "{text:?}: {}",
            out.stderr
        );
        assert_eq!(fs::read_to_string(&file).unwrap(), text);
    }
}

#[test]
fn a_key_name_that_yaml_reads_as_a_number_or_a_boolean_must_be_quoted() {
    // Found by fuzz/edit's libyaml check: a plain key name `2` is the integer 2 to every
    // YAML 1.2 parser (and `true` a boolean, `1e3` a float), not the name "2" tokenctl
    // read. Quoted, it is text everywhere, as tokenctl writes names it creates.
    for (name, what) in [
        ("2", "a number"),
        ("0x1f", "a number"),
        ("1.5e3", "a number"),
        (".inf", "a number"),
        ("true", "a boolean"),
        ("FALSE", "a boolean"),
        ("null", "null"),
    ] {
        let text = format!("apiKeys:\n  {name}:\n    hash: {}\n", fake_hash(1));
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["check"], "");
        out.code(7);
        assert!(
            out.stdout.contains(&format!(
                "security.yml:2:3: key name {name} is {what} to YAML parsers, not text; quote it ('{name}')"
            )),
            "{}",
            out.stdout
        );
        for quoted in [format!("'{name}'"), format!("\"{name}\"")] {
            let text = text.replace(&format!("  {name}:"), &format!("  {quoted}:"));
            let (_dir, file) = temp_file(&text);
            assert_eq!(run(&file, &["check"], "").code, 0, "{text}");
        }
    }
    // Names that only look numeric stay plain text.
    for name in ["2a", "1.2.3", "v1", "07-08", "1_000x"] {
        let text = format!("apiKeys:\n  {name}:\n    hash: {}\n", fake_hash(1));
        let (_dir, file) = temp_file(&text);
        assert_eq!(run(&file, &["check"], "").code, 0, "{text}");
        let libyaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        assert!(
            libyaml["apiKeys"].get(name).is_some(),
            "{name} is text to libyaml too"
        );
    }
}
