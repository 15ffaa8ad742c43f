//! Each lossless edit on any file that loads: the write postcondition's two proofs agree
//! (the local one never accepts what the whole-document one refuses), and whatever they
//! accept loads, every other key and the file-level settings read back the same, the edited
//! key reads back as intended, and the bytes outside the edited entry are identical. And
//! the differential test's postcondition (tests/e2e/support/oracle.rs, shared): serde_yaml (libyaml)
//! reads the keys of a file tokenctl loads as tokenctl does, and reads every accepted write
//! as exactly the old file with only the edit applied.
//!
//! Input: byte 0 picks the edit, byte 1 the key, byte 2 the field changes; the rest is the file.
#![no_main]

#[path = "../../tests/e2e/support/oracle.rs"]
mod oracle;

use libfuzzer_sys::fuzz_target;
use oracle::Change;
use std::path::Path;
use tokenctl::model::{ApiKey, PreviousHash};
use tokenctl::document::{Document, Edit};
use tokenctl::token::TokenHash;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (op, pick, bits) = (data[0], data[1], data[2]);
    let Ok(text) = std::str::from_utf8(&data[3..]) else {
        return;
    };
    let path = Path::new("security.yml");
    let Ok(doc) = Document::load(path, text.to_string()) else {
        return;
    };
    let keys = &doc.model.keys;
    // Read as a server reads: libyaml's keys are tokenctl's (where libyaml reads the file).
    // (Where the oracle renames anchors apart, a scalar's text may show the new name.)
    if let Some(value) = oracle::read(text).ok().filter(|_| !oracle::renames(text)) {
        match oracle::keys(&value) {
            Ok(k) if k == *keys => {}
            other => panic!(
                "libyaml reads the keys as {other:?}, tokenctl as {keys:?}\n--- file\n{text}"
            ),
        }
    }
    match op % 3 {
        0 => {
            let mut name = format!("new-{pick}");
            while doc.model.get(&name).is_some() {
                name.push('x');
            }
            let key = new_key(&name, bits);
            let change = Change {
                add: vec![key.clone()],
                ..Change::default()
            };
            let Some(out) = edited(&doc, &Edit::new().append(key.clone()), &change, text) else {
                return;
            };
            let after = reload(&doc, &out, text);
            assert_eq!(after.model.get(&name), Some(&key), "the new key reads back");
            assert_eq!(after.model.keys.len(), keys.len() + 1);
            same_except(&doc, &after, &name);
            // Only an insertion, apart from an empty `apiKeys:` value (`{}`, `~`, `null`) it
            // replaces; `{` and `}` may stand on different lines.
            let (start, old_end, _) = diff(text, &out);
            let replaced = &text[start..old_end];
            // A comment after that value, at the end of a file without a final line break,
            // falls inside the changed run (the new entries follow it): it must reappear.
            let (value, comment) = replaced.split_once('#').unwrap_or((replaced, ""));
            assert!(
                value.chars().all(|c| "{}~nul \t\r\n".contains(c)),
                "adding a key replaced {replaced:?}"
            );
            assert!(
                out[start..].contains(comment),
                "adding a key lost the comment {comment:?}"
            );
        }
        1 if !keys.is_empty() => {
            let name = keys[pick as usize % keys.len()].name.clone();
            let change = Change {
                remove: vec![name.clone()],
                ..Change::default()
            };
            let Some(out) = edited(&doc, &Edit::new().remove(name.clone()), &change, text) else {
                return;
            };
            let after = reload(&doc, &out, text);
            assert!(after.model.get(&name).is_none(), "the key is gone");
            assert_eq!(after.model.keys.len(), keys.len() - 1);
            same_except(&doc, &after, &name);
            let (start, old_end, new_end) = diff(text, &out);
            let at = offset(
                text,
                doc.key_position(&name).expect("the key has a position"),
            );
            if !is_flow(&doc, &name, text) && keys.len() == 1 {
                // The last key: `apiKeys:` is left an empty mapping, `{}`, never a null that
                // most YAML libraries read as None (docs/FORMAT.md, portable security.yml);
                // the `{}` may take the place of blanks before a comment, so the bytes are
                // checked by what they read as (above) and by their size.
                assert!(
                    out.contains("{}"),
                    "apiKeys is written as an empty mapping: {out:?}"
                );
                assert!(out.len() < text.len(), "the key's entry is gone: {out:?}");
            } else if !is_flow(&doc, &name, text) {
                assert_eq!(start, new_end, "a deletion only removes bytes");
                // The removed run is found by common prefix and suffix, so it may sit shifted
                // right where the bytes around it repeat (`  k1:...` before `  k2:`): slide it
                // left as far as it reads the same before asking whether it holds the key.
                let bytes = text.as_bytes();
                let (mut from, mut to) = (start, old_end);
                while from > 0 && bytes[from - 1] == bytes[to - 1] {
                    from -= 1;
                    to -= 1;
                }
                assert!(from <= at && at < old_end, "the removed bytes hold the key");
            }
        }
        2 if !keys.is_empty() => {
            let old = keys[pick as usize % keys.len()].clone();
            let expected = changed_key(&old, bits);
            let change = Change {
                put: vec![expected.clone()],
                ..Change::default()
            };
            let Some(out) = edited(&doc, &Edit::new().put(expected.clone()), &change, text) else {
                return;
            };
            let after = reload(&doc, &out, text);
            assert_eq!(
                after.model.get(&old.name),
                Some(&expected),
                "the key reads back as changed"
            );
            same_except(&doc, &after, &old.name);
            // The changed bytes lie within the entry: after its name, before the next key.
            let (start, old_end, new_end) = diff(text, &out);
            let at = offset(
                text,
                doc.key_position(&old.name).expect("the key has a position"),
            );
            // Common prefix and suffix place the change as far right as the bytes around it
            // allow; it may equally sit up to `slack` bytes further left.
            let slack = left_slack(text, &out, start, old_end, new_end);
            assert!(
                start >= at || start == old_end,
                "an update changed bytes before its key"
            );
            let i = keys.iter().position(|k| k.name == old.name).unwrap();
            if let Some(next) = keys.get(i + 1) {
                let next_at = offset(text, doc.key_position(&next.name).unwrap());
                let need = old_end.saturating_sub(next_at);
                assert!(
                    need <= slack.min(start.saturating_sub(at)),
                    "an update changed bytes of the next key"
                );
            }
        }
        _ => {}
    }
});

/// The edit's text when the postcondition accepts it. Its two proofs must agree: a local
/// yes with a whole-document no would let a wrong write through.
fn edited(doc: &Document, edit: &Edit, change: &Change, before: &str) -> Option<String> {
    let (local, full, out) = doc.proofs(edit).ok()?;
    match (&local, &full) {
        (Some(Ok(())), Err(e)) => panic!(
            "the local proof accepted what the whole-document proof refuses ({e})\n--- before\n{before}\n--- after\n{out}"
        ),
        (Some(Err(l)), Ok(())) => panic!(
            "the local proof refused ({l}) what the whole-document proof accepts\n--- before\n{before}\n--- after\n{out}"
        ),
        _ => {}
    }
    full.ok()?;
    if let Err(why) = oracle::check(before, &out, change) {
        panic!(
            "libyaml does not read the write as the edit: {why}\n--- before\n{before}\n--- after\n{out}"
        );
    }
    Some(out)
}

fn reload(_doc: &Document, out: &str, before: &str) -> Document {
    match Document::load(Path::new("security.yml"), out.to_string()) {
        Ok(d) => d,
        Err(e) => {
            panic!("the edited file does not load: {e}\n--- before\n{before}\n--- after\n{out}")
        }
    }
}

/// Everything but key `name` reads back the same, in the same order.
fn same_except(before: &Document, after: &Document, name: &str) {
    // A file created from nothing starts with `version: 1`.
    if !before.text.is_empty() {
        assert_eq!(before.model.version, after.model.version);
    }
    assert_eq!(before.model.token_prefix, after.model.token_prefix);
    assert_eq!(before.model.catalog, after.model.catalog);
    let others = |d: &Document| -> Vec<ApiKey> {
        d.model
            .keys
            .iter()
            .filter(|k| k.name != name)
            .cloned()
            .collect()
    };
    assert_eq!(others(before), others(after), "other keys changed");
}

/// The changed region: (start, end in old, end in new), from the common prefix and suffix.
fn diff(old: &str, new: &str) -> (usize, usize, usize) {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let max_suffix = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    (prefix, a.len() - suffix, b.len() - suffix)
}

/// How far left the change `old[start..old_end]` -> `new[start..new_end]` can slide and
/// still describe the same edit.
fn left_slack(old: &str, new: &str, start: usize, old_end: usize, new_end: usize) -> usize {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut k = 0;
    while k < start
        && a[start - 1 - k] == a[old_end - 1 - k]
        && b[start - 1 - k] == b[new_end - 1 - k]
    {
        k += 1;
    }
    k
}

/// Byte offset of a 1-based (line, column in characters) position.
fn offset(text: &str, (line, col): (usize, usize)) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    text[line_start..]
        .char_indices()
        .nth(col - 1)
        .map_or(text.len(), |(i, _)| line_start + i)
}

/// Flow mappings (`{a: ..., b: ...}`) lose a neighbouring comma on deletion, so the removed
/// bytes need not hold the key's name alone; the model checks still apply.
fn is_flow(doc: &Document, name: &str, text: &str) -> bool {
    let at = offset(text, doc.key_position(name).unwrap());
    text[..at].trim_end().ends_with(['{', ','])
}

fn hash(n: u8) -> TokenHash {
    TokenHash::of(&format!("fuzz-secret-{n}"))
}

fn time(s: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(s).unwrap()
}

fn new_key(name: &str, bits: u8) -> ApiKey {
    ApiKey {
        name: name.to_string(),
        description: (bits & 1 != 0).then(|| "made by: the fuzzer # not a comment".to_string()),
        owner: (bits & 3 == 3).then(|| "team: fuzz <f@example.com>".to_string()),
        enabled: bits & 2 == 0,
        permissions: if bits & 4 != 0 {
            vec!["dns:read".into(), "*".into()]
        } else {
            vec![]
        },
        hash: hash(bits),
        created_at: Some(time(1_790_000_000)),
        expires_at: (bits & 8 != 0).then(|| time(1_800_000_000)),
        allowed_ips: (bits & 16 != 0).then(|| vec!["10.0.0.0/8".parse().unwrap()]),
        path_prefix: (bits & 32 != 0).then(|| "=/x y".to_string()),
        resources: (bits & 64 != 0).then(|| vec!["example.com".into(), "true".into()]),
        previous_hashes: if bits & 128 != 0 {
            vec![PreviousHash {
                hash: hash(255),
                expires_at: time(1_800_000_000),
            }]
        } else {
            vec![]
        },
    }
}

/// The key changed as `bits` says.
fn changed_key(old: &ApiKey, bits: u8) -> ApiKey {
    let mut new = old.clone();
    if bits & 1 != 0 {
        new.description = (bits & 2 == 0).then(|| "changed: yes".to_string());
        new.owner = (bits & 2 != 0).then(|| "- ops".to_string());
    }
    if bits & 4 != 0 {
        new.enabled = !old.enabled;
    }
    if bits & 8 != 0 {
        new.permissions = if bits & 16 != 0 {
            vec![]
        } else {
            vec!["zone:write".into(), "a".into()]
        };
    }
    if bits & 32 != 0 {
        new.expires_at = (bits & 2 == 0).then(|| time(1_900_000_000));
    }
    if bits & 64 != 0 {
        new.previous_hashes = if bits & 128 != 0 {
            vec![]
        } else {
            vec![PreviousHash {
                hash: hash(7),
                expires_at: time(1_800_000_000),
            }]
        };
    }
    if bits & 128 != 0 && bits & 64 == 0 {
        new.hash = hash(9);
    }
    new
}
