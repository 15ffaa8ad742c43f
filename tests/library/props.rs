//! Property tests of the lossless edits on generated files: hand-edited-looking YAML with
//! comments, blank lines, foreign sections and fields, odd indentation, quoting, flow and
//! block lists, CRLF and a BOM. For every generated file:
//! - creating a key and deleting it again gives back the same bytes;
//! - deleting a key removes exactly its lines;
//! - updating a key changes only that key's lines, and the result reads back as intended;
//! - every other key reads back the same.

use crate::support::harness::{Rng, fake_hash};
use proptest::prelude::*;
use std::path::Path;
use tokenctl::document::{Document, Edit};
use tokenctl::model::ApiKey;

/// A generated file: the text around each entry is known, so edits can be checked exactly.
#[derive(Debug)]
struct File {
    /// Everything before the first entry.
    head: String,
    /// Each entry's own lines (key line to last field line) and the gap after it
    /// (comments and blank lines before the next entry).
    entries: Vec<(String, String, String)>,
    /// Everything after the last entry's gap.
    tail: String,
    nl: &'static str,
}

impl File {
    fn text(&self) -> String {
        let mut s = self.head.clone();
        for (_, entry, gap) in &self.entries {
            s.push_str(entry);
            s.push_str(gap);
        }
        s.push_str(&self.tail);
        s
    }
}

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.below(items.len() as u64) as usize]
}

fn generate(seed: u64, entry_seeds: &[u64]) -> File {
    let mut rng = Rng::new(seed);
    let nl = if rng.below(4) == 0 { "\r\n" } else { "\n" };
    let key_indent = " ".repeat(1 + rng.below(4) as usize);
    let step = " ".repeat(1 + rng.below(4) as usize);
    let field_indent = format!("{key_indent}{step}");
    let mut head = String::new();
    if rng.below(6) == 0 {
        head.push('\u{feff}');
    }
    let foreign = [
        "# managed by hand\n",
        "version: 1  # the format\n",
        "tokenPrefix: acme\n",
        "helm:\n  release: tokens   # someone else's\n  values: {a: 1, b: [x, y]}\n",
        "note: |\n  a block scalar\n    kept as it is\n\n",
        "list:\n- a\n- 'b # not a comment'\n",
        "\n",
    ];
    // Each foreign section once, some before apiKeys and some after.
    let mut order: Vec<usize> = (0..foreign.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let (before, after) = (rng.below(4) as usize, rng.below(3) as usize);
    for &i in &order[..before] {
        head.push_str(foreign[i]);
    }
    head.push_str(pick(&mut rng, &["apiKeys:\n", "apiKeys:   # the keys\n"]));
    if rng.below(3) == 0 {
        head.push_str(&format!("{key_indent}# first comment\n"));
    }

    let mut entries = Vec::new();
    for (i, &s) in entry_seeds.iter().enumerate() {
        let mut r = Rng::new(s);
        let name = format!("{}{i}", pick(&mut r, &["k", "ci-deploy-", "a.b_", "Key"]));
        let key_line = match r.below(3) {
            0 => format!("{key_indent}{name}:\n"),
            1 => format!("{key_indent}{name}:   # about {name}\n"),
            _ => format!("{key_indent}\"{name}\":\n"),
        };
        let mut fields = vec![format!("{field_indent}hash: {}\n", fake_hash(i))];
        let dash = "  ".repeat(r.below(2) as usize);
        let optional = [
            format!(
                "{field_indent}description: {}\n",
                pick(
                    &mut r,
                    &[
                        "plain words",
                        "'single: quoted'",
                        "\"double # quoted\"",
                        "with comment  # c"
                    ]
                )
            ),
            format!(
                "{field_indent}enabled: {}\n",
                pick(&mut r, &["true", "false"])
            ),
            format!(
                "{field_indent}permissions: {}\n",
                pick(&mut r, &["[dns:read, 'zone:*']", "[]", "[a]"])
            ),
            format!(
                "{field_indent}permissions:\n{field_indent}{dash}- dns:read\n{field_indent}{dash}- \"x:y\"\n"
            ),
            format!("{field_indent}createdAt: 2026-01-01T00:00:00Z\n"),
            format!("{field_indent}expiresAt: \"2027-06-01T00:00:00Z\"\n"),
            format!("{field_indent}owner: team-{i}   # foreign\n"),
            format!("{field_indent}labels: {{tier: gold}}\n"),
            format!("{field_indent}# a comment among the fields\n"),
        ];
        let mut has_permissions = false;
        for _ in 0..r.below(5) {
            let f = optional[r.below(optional.len() as u64) as usize].clone();
            let field = f.trim_start().split(':').next().unwrap().to_string();
            if field == "permissions" {
                if has_permissions {
                    continue;
                }
                has_permissions = true;
            }
            if !field.starts_with('#')
                && fields
                    .iter()
                    .any(|e| e.trim_start().starts_with(&format!("{field}:")))
            {
                continue;
            }
            fields.insert(r.below(fields.len() as u64 + 1) as usize, f);
        }
        // A comment may sit among the fields, never last: trailing lines belong to the gap.
        while fields
            .last()
            .is_some_and(|f| f.trim_start().starts_with('#'))
        {
            let c = fields.pop().unwrap();
            fields.insert(0, c);
        }
        let mut entry = key_line;
        for f in fields {
            entry.push_str(&f);
        }
        let gap = match r.below(4) {
            0 => "\n".to_string(),
            1 => format!("{key_indent}# between entries\n"),
            _ => String::new(),
        };
        entries.push((name, entry, gap));
    }
    let mut tail = String::new();
    for &i in &order[before..before + after] {
        tail.push_str(foreign[i]);
    }
    tail.push_str(pick(&mut rng, &["", "# the end\n"]));
    let fix = |s: String| if nl == "\n" { s } else { s.replace('\n', nl) };
    File {
        head: fix(head),
        entries: entries
            .into_iter()
            .map(|(n, e, g)| (n, fix(e), fix(g)))
            .collect(),
        tail: fix(tail),
        nl,
    }
}

fn load(text: &str) -> Document {
    Document::load(Path::new("security.yml"), text.to_string())
        .unwrap_or_else(|e| panic!("does not load: {e}\n{text}"))
}

fn others(doc: &Document, name: &str) -> Vec<ApiKey> {
    doc.model
        .keys
        .iter()
        .filter(|k| k.name != name)
        .cloned()
        .collect()
}

fn no_bare_lf(text: &str, nl: &str) {
    if nl == "\r\n" {
        let b = text.as_bytes();
        let bare = (0..b.len())
            .filter(|&i| b[i] == b'\n' && (i == 0 || b[i - 1] != b'\r'))
            .count();
        assert_eq!(bare, 0, "an edit wrote LF into a CRLF file:\n{text:?}");
    }
}

fn new_key(name: &str, bits: u64) -> ApiKey {
    let t = |s| jiff::Timestamp::from_second(s).unwrap();
    ApiKey {
        name: name.to_string(),
        description: (bits & 1 != 0).then(|| "new: key # with odd text".to_string()),
        owner: None,
        enabled: bits & 2 == 0,
        permissions: if bits & 4 != 0 {
            vec!["dns:read".into(), "*".into()]
        } else {
            vec![]
        },
        hash: tokenctl::token::TokenHash::of("a new secret"),
        created_at: Some(t(1_790_000_000)),
        expires_at: (bits & 8 != 0).then(|| t(1_800_000_000)),
        allowed_ips: (bits & 16 != 0).then(|| vec!["10.0.0.0/8".parse().unwrap()]),
        path_prefix: (bits & 32 != 0).then(|| "/api".to_string()),
        resources: (bits & 64 != 0).then(|| vec!["example.com".into()]),
        previous_hashes: vec![],
    }
}

/// `text` (which starts with `file`'s head) as a write leaves it when its last key goes:
/// `apiKeys: {}`, never a null.
fn emptied(file: &File, text: &str) -> String {
    let head = file.head.replacen("apiKeys:", "apiKeys: {}", 1);
    format!("{head}{}", &text[file.head.len()..])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn generated_files_load_with_every_key(seed in any::<u64>(), entries in prop::collection::vec(any::<u64>(), 0..6)) {
        let file = generate(seed, &entries);
        let doc = load(&file.text());
        let names: Vec<&str> = doc.model.names().collect();
        let expected: Vec<&str> = file.entries.iter().map(|(n, _, _)| n.as_str()).collect();
        prop_assert_eq!(names, expected);
    }

    #[test]
    fn create_then_delete_gives_back_the_same_bytes(seed in any::<u64>(), entries in prop::collection::vec(any::<u64>(), 0..6), bits in any::<u64>()) {
        let file = generate(seed, &entries);
        let text = file.text();
        let doc = load(&text);
        let key = new_key("brand-new", bits);
        let created = doc.edited(&Edit::new().append(key.clone())).unwrap();
        no_bare_lf(&created, file.nl);
        let after = load(&created);
        prop_assert_eq!(after.model.get("brand-new"), Some(&key));
        prop_assert_eq!(others(&after, "brand-new"), doc.model.keys.clone());
        // The new key goes after the last one; nothing before it moves.
        if let Some((_, last, _)) = file.entries.last() {
            let end_of_last = text.find(last.as_str()).unwrap() + last.len();
            prop_assert_eq!(&created[..end_of_last], &text[..end_of_last]);
        }
        let deleted = after.edited(&Edit::new().remove("brand-new")).unwrap();
        let expected = if file.entries.is_empty() { emptied(&file, &text) } else { text };
        prop_assert_eq!(deleted, expected);
    }

    #[test]
    fn delete_removes_exactly_the_entry(seed in any::<u64>(), entries in prop::collection::vec(any::<u64>(), 1..6), pick in any::<usize>()) {
        let file = generate(seed, &entries);
        let text = file.text();
        let doc = load(&text);
        let i = pick % file.entries.len();
        let name = file.entries[i].0.clone();
        let out = doc.edited(&Edit::new().remove(name.clone())).unwrap();
        let mut expected = file.head.clone();
        for (j, (_, entry, gap)) in file.entries.iter().enumerate() {
            if j != i {
                expected.push_str(entry);
            }
            expected.push_str(gap);
        }
        expected.push_str(&file.tail);
        let expected = if file.entries.len() == 1 { emptied(&file, &expected) } else { expected };
        prop_assert_eq!(&out, &expected);
        let after = load(&out);
        prop_assert_eq!(others(&after, &name), others(&doc, &name));
    }

    #[test]
    fn update_changes_only_that_entry(seed in any::<u64>(), entries in prop::collection::vec(any::<u64>(), 1..6), pick in any::<usize>(), bits in any::<u8>()) {
        let file = generate(seed, &entries);
        let text = file.text();
        let doc = load(&text);
        let i = pick % file.entries.len();
        let name = file.entries[i].0.clone();
        let old = doc.model.get(&name).unwrap().clone();
        let mut new = old.clone();
        if bits & 1 != 0 {
            new.description = (bits & 2 == 0).then(|| "changed: yes # not a comment".to_string());
        }
        if bits & 4 != 0 {
            new.enabled = !old.enabled;
        }
        if bits & 8 != 0 {
            new.permissions = if bits & 16 != 0 { vec![] } else { vec!["zone:write".into(), "true".into()] };
        }
        if bits & 32 != 0 {
            new.expires_at = (bits & 64 == 0).then(|| jiff::Timestamp::from_second(1_900_000_000).unwrap());
        }
        let unchanged = new == old;
        let out = doc.edited(&Edit::new().put(new.clone())).unwrap();
        no_bare_lf(&out, file.nl);
        let after = load(&out);
        prop_assert_eq!(after.model.get(&name), Some(&new));
        prop_assert_eq!(others(&after, &name), others(&doc, &name));
        // Only the entry's own lines changed.
        let before_entry: String = file.head.clone()
            + &file.entries[..i].iter().map(|(_, e, g)| format!("{e}{g}")).collect::<String>();
        let after_entry: String = file.entries[i].2.clone()
            + &file.entries[i + 1..].iter().map(|(_, e, g)| format!("{e}{g}")).collect::<String>()
            + &file.tail;
        prop_assert!(out.starts_with(&before_entry), "bytes before the entry changed:\n{}", out);
        prop_assert!(out.ends_with(&after_entry), "bytes after the entry changed:\n{}", out);
        if unchanged {
            prop_assert_eq!(&out, &text);
        }
    }
}

/// Strings as hostile as text gets: arbitrary Unicode, weighted towards what YAML treats
/// specially (indicators, `: `, ` #`, quotes, escapes, line breaks of YAML 1.1 and 1.2, the
/// byte order mark, control characters, surrounding spaces, words 1.1 reads as booleans).
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<char>().prop_map(|c| c.to_string()),
        prop::sample::select(vec![
            ": ",
            " #",
            "#",
            "- ",
            "? ",
            "*",
            "&a",
            "!t",
            "|",
            ">",
            "'",
            "\"",
            "\\",
            "%",
            "@",
            "`",
            ",",
            "[",
            "]",
            "{",
            "}",
            "\n",
            "\r",
            "\r\n",
            "\t",
            " ",
            "  ",
            "\u{85}",
            "\u{2028}",
            "\u{2029}",
            "\u{feff}",
            "\u{0}",
            "\u{1b}",
            "\u{7f}",
            "\u{9b}",
            "\u{fffe}",
            "\u{ffff}",
            "\u{a0}",
            "é",
            "日本",
            "🔑",
            "yes",
            "No",
            "on",
            "~",
            "null",
            "true",
            "0x1f",
            "1e3",
            "12:30",
            "2027-01-01",
            ".inf",
            "<<",
            "=",
            "---",
            "...",
        ])
        .prop_map(String::from),
        "[a-z]{1,6}",
    ];
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Every string tokenctl writes into the file reads back as the same string, through
    /// tokenctl's own loader and through libyaml (serde_yaml), in a description (a block
    /// mapping value), a resource (a flow list item) and a path prefix.
    #[test]
    fn every_string_written_reads_back_the_same(text in hostile_text()) {
        let base = format!("apiKeys:\n  k:\n    hash: {}\n", fake_hash(1));
        let doc = load(&base);
        let mut key = doc.model.get("k").unwrap().clone();
        key.description = Some(text.clone()).filter(|t| !t.is_empty());
        key.resources = Some(vec![text.clone(), "x".into()]);
        key.path_prefix = Some(format!("/{text}"));
        let out = doc.edited(&Edit::new().put(key.clone())).unwrap();
        let again = load(&out);
        prop_assert_eq!(again.model.get("k"), Some(&key));
        let v: serde_yaml::Value = serde_yaml::from_str(&out).unwrap();
        let k = &v["apiKeys"]["k"];
        if !text.is_empty() {
            prop_assert_eq!(k["description"].as_str(), Some(text.as_str()), "{}", out);
        }
        prop_assert_eq!(k["resources"][0].as_str(), Some(text.as_str()), "{}", out);
        let prefix = format!("/{text}");
        prop_assert_eq!(k["pathPrefix"].as_str(), Some(prefix.as_str()), "{}", out);
        // And the result can be edited again (no write that cannot be read back).
        let mut second = key.clone();
        second.enabled = false;
        prop_assert!(again.edited(&Edit::new().put(second)).is_ok());
    }
}
