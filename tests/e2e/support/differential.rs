//! The differential test's model, shared by its two halves: the kinds of edit every writing
//! command makes (`cases`), what the keys must read as afterwards (`expected_keys`), and the
//! judge of an accepted write (`judge_accepted`: tokenctl reads it back as intended, and the
//! independent reader in oracle.rs reads exactly the old file with only the edit applied).
//! The in-process half is tests/library/differential.rs; the half through the real binary,
//! with PyYAML and ruamel.yaml as further readers, is tests/e2e/guarantees/differential.rs.
//!
//! Repeatable: a fixed seed. `TOKENCTL_DIFF_SEED=N` picks another, `TOKENCTL_DIFF_DOCS=N` sets
//! how many files (default 1000 in-process, and a tenth of that through the binary);
//! `TOKENCTL_DIFF_VERBOSE=1` prints each file and what was refused and why;
//! `TOKENCTL_DIFF_ONLY=N` runs file N alone (a failure names its number and seed).

// Each half uses part of the model.
#![allow(dead_code)]

use crate::support::generator::SCOPES;
use crate::support::harness::Rng;
use crate::support::oracle::{self, Change};
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::path::Path;
use tokenctl::document::{Document, Edit};
use tokenctl::model::{ApiKey, PreviousHash};
use tokenctl::token::TokenHash;

pub(crate) fn now() -> Timestamp {
    crate::support::env::NOW.parse().unwrap()
}

pub(crate) fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub(crate) fn docs() -> u64 {
    env_number("TOKENCTL_DIFF_DOCS", 1000)
}

pub(crate) fn seed() -> u64 {
    env_number("TOKENCTL_DIFF_SEED", 20_261_201)
}

pub(crate) fn verbose() -> bool {
    std::env::var_os("TOKENCTL_DIFF_VERBOSE").is_some()
}

/// Descriptions no writer may mangle: everything YAML gives a meaning to, and every
/// character a YAML 1.1 parser breaks lines on or refuses raw.
pub(crate) const HOSTILE: [&str; 40] = [
    "\u{feff}hi",
    "a: b",
    "x #y",
    "- dash",
    "? q",
    "[flow",
    "{m: 1}",
    "&a",
    "*a",
    "!tag",
    "|",
    ">-",
    "'quote",
    "\"dq\"",
    "%YAML",
    "@at",
    "`tick",
    "trailing ",
    " leading",
    "line\nbreak\n",
    "tab\there",
    "cr\rhere",
    "nel\u{85}x",
    "ls\u{2028}x ps\u{2029}",
    "ctl\u{1}\u{1b}[31m",
    "del\u{7f} c1\u{9b}",
    "---",
    "...",
    "yes",
    "null",
    "~",
    "0x1f",
    "2027-01-01",
    "<<",
    "=",
    "日本語 ✓",
    "nonchar \u{fffe}\u{ffff}",
    "back\\slash \\n",
    "# comment",
    "plain words",
];

pub(crate) fn hostile(rng: &mut Rng) -> String {
    let mut s = HOSTILE[rng.below(HOSTILE.len() as u64) as usize].to_string();
    if rng.below(3) == 0 {
        s.push_str(HOSTILE[rng.below(HOSTILE.len() as u64) as usize]);
    }
    s
}

/// A hostile text that is a valid owner (one line, no control character, not empty).
pub(crate) fn owner(rng: &mut Rng) -> String {
    loop {
        let s = hostile(rng);
        if tokenctl::model::owner_problem(&s).is_none() {
            return s;
        }
    }
}

pub(crate) fn scopes(rng: &mut Rng) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for _ in 0..rng.below(4) {
        let s = SCOPES[rng.below(SCOPES.len() as u64) as usize].to_string();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

pub(crate) fn at(second: i64) -> Timestamp {
    Timestamp::from_second(second).unwrap()
}

/// A new key as `create` makes it (created now, the given hash).
pub(crate) fn new_key(rng: &mut Rng, name: String, hash: TokenHash) -> ApiKey {
    let mut k = ApiKey::new(name, hash);
    k.created_at = Some(now());
    if rng.below(2) == 0 {
        k.description = Some(hostile(rng));
    }
    if rng.below(3) == 0 {
        k.owner = Some(owner(rng));
    }
    k.enabled = rng.below(4) != 0;
    k.permissions = scopes(rng);
    if rng.below(3) == 0 {
        k.expires_at = Some(at(now().as_second() + 86_400 * (1 + rng.below(90) as i64)));
    }
    if rng.below(4) == 0 {
        k.allowed_ips = Some(vec![
            "10.0.0.0/8".parse().unwrap(),
            "2001:db8::/32".parse().unwrap(),
        ]);
    }
    if rng.below(5) == 0 {
        k.path_prefix = Some(["/api", "=/exact", "/x y"][rng.below(3) as usize].into());
    }
    if rng.below(5) == 0 {
        k.resources = Some(vec!["example.com".into(), "true".into()]);
    }
    k
}

/// What `update` is asked to do.
#[derive(Debug, Clone, Default)]
pub(crate) struct Update {
    pub enable: Option<bool>,
    pub replace: Option<Vec<String>>,
    pub add: Vec<String>,
    pub remove: Vec<String>,
    /// `Some("")` removes the description.
    pub description: Option<String>,
    /// `Some(None)`: `--expires never`.
    pub expires: Option<Option<Timestamp>>,
    /// `Some(None)`: `--clear-owner`.
    pub owner: Option<Option<String>>,
}

impl Update {
    pub(crate) fn random(rng: &mut Rng, single: bool) -> Update {
        let mut u = Update::default();
        let which = if single {
            1 << rng.below(8)
        } else {
            rng.below(256) | 1 << rng.below(8)
        };
        if which & 1 != 0 {
            u.enable = Some(rng.below(2) == 0);
        }
        if which & 2 != 0 {
            u.replace = Some(scopes(rng));
        } else {
            if which & 4 != 0 {
                u.add = scopes(rng);
            }
            if which & 8 != 0 {
                u.remove = scopes(rng);
            }
        }
        if which & 16 != 0 {
            u.description = Some(hostile(rng));
        }
        if which & 32 != 0 {
            u.description = Some(String::new());
        }
        if which & 64 != 0 {
            u.expires = Some((rng.below(2) == 0).then(|| at(now().as_second() + 3600)));
        }
        if which & 128 != 0 {
            u.owner = Some((rng.below(3) != 0).then(|| owner(rng)));
        }
        u
    }

    /// The key after this update, as update.rs makes it: `None` when nothing changes.
    pub(crate) fn apply(&self, key: &ApiKey) -> Option<ApiKey> {
        let mut new = key.clone();
        if let Some(e) = self.enable {
            new.enabled = e;
        }
        if let Some(r) = &self.replace {
            new.permissions = r.clone();
        }
        for p in &self.add {
            if !new.permissions.contains(p) {
                new.permissions.push(p.clone());
            }
        }
        new.permissions.retain(|p| !self.remove.contains(p));
        if let Some(d) = &self.description {
            new.description = Some(d.clone()).filter(|d| !d.is_empty());
        }
        if let Some(e) = self.expires {
            new.expires_at = e;
        }
        if let Some(o) = &self.owner {
            new.owner = o.clone();
        }
        if new == *key {
            return None;
        }
        new.previous_hashes.retain(|p| p.expires_at > now());
        Some(new)
    }

    pub(crate) fn args(&self, name: &str) -> Vec<String> {
        let mut a = vec!["update".to_string(), name.to_string()];
        match self.enable {
            Some(true) => a.push("--enable".into()),
            Some(false) => a.push("--disable".into()),
            None => {}
        }
        match &self.replace {
            Some(r) if r.is_empty() => a.push("--clear-permissions".into()),
            Some(r) => r
                .iter()
                .for_each(|p| a.extend(["--permission".into(), p.clone()])),
            None => {}
        }
        for p in &self.add {
            a.extend(["--add-permission".into(), p.clone()]);
        }
        for p in &self.remove {
            a.extend(["--remove-permission".into(), p.clone()]);
        }
        if let Some(d) = &self.description {
            a.extend(["--description".into(), d.clone()]);
        }
        match self.expires {
            Some(Some(t)) => a.extend(["--expires".into(), t.to_string()]),
            Some(None) => a.extend(["--expires".into(), "never".into()]),
            None => {}
        }
        match &self.owner {
            Some(Some(o)) => a.extend(["--owner".into(), o.clone()]),
            Some(None) => a.push("--clear-owner".into()),
            None => {}
        }
        a
    }
}

/// `rotate`'s new definition of `key`: the new hash, and with a grace period the old one
/// among the live previous hashes.
pub(crate) fn rotated(key: &ApiKey, hash: TokenHash, grace: bool) -> ApiKey {
    let mut new = key.clone();
    new.hash = hash;
    new.previous_hashes = if grace {
        let mut live: Vec<PreviousHash> = key
            .previous_hashes
            .iter()
            .filter(|p| p.expires_at > now())
            .cloned()
            .collect();
        live.push(PreviousHash {
            hash: key.hash,
            expires_at: at(now().as_second() + 86_400),
        });
        live
    } else {
        Vec::new()
    };
    new
}

/// One edit as a command makes it: its name (for messages and statistics) and the change.
pub(crate) struct Case {
    pub what: &'static str,
    pub change: Change,
}

impl Case {
    pub(crate) fn edit(&self) -> Edit {
        let mut e = Edit::new();
        for k in &self.change.put {
            e = e.put(k.clone());
        }
        for n in &self.change.remove {
            e = e.remove(n.clone());
        }
        for k in &self.change.add {
            e = e.append(k.clone());
        }
        e
    }
}

pub(crate) fn pick<'a>(rng: &mut Rng, keys: &'a [ApiKey]) -> &'a ApiKey {
    &keys[rng.below(keys.len() as u64) as usize]
}

/// Every kind of edit every writing command makes, on `keys` (the file's, in order).
pub(crate) fn cases(rng: &mut Rng, keys: &[ApiKey]) -> Vec<Case> {
    let mut out = Vec::new();
    let fresh = |rng: &mut Rng, i: usize| {
        let hash = TokenHash::of(&format!("new secret {i} {}", rng.next()));
        new_key(rng, format!("new-{i}"), hash)
    };
    let k = fresh(rng, 0);
    out.push(Case {
        what: "create",
        change: Change {
            add: vec![k],
            ..Change::default()
        },
    });
    let n = 2 + rng.below(2) as usize;
    out.push(Case {
        what: "create several (apply)",
        change: Change {
            add: (0..n).map(|i| fresh(rng, i)).collect(),
            ..Change::default()
        },
    });
    if keys.is_empty() {
        return out;
    }
    let name = pick(rng, keys).name.clone();
    out.push(Case {
        what: "delete",
        change: Change {
            remove: vec![name],
            ..Change::default()
        },
    });
    if keys.len() > 1 {
        let mut names: Vec<String> = keys
            .iter()
            .filter(|_| rng.below(2) == 0)
            .map(|k| k.name.clone())
            .collect();
        if names.len() < 2 {
            names = keys[..2].iter().map(|k| k.name.clone()).collect();
        }
        out.push(Case {
            what: "delete several",
            change: Change {
                remove: names,
                ..Change::default()
            },
        });
    }
    out.push(Case {
        what: "delete --all",
        change: Change {
            remove: keys.iter().map(|k| k.name.clone()).collect(),
            ..Change::default()
        },
    });
    for single in [true, true, true, false, false] {
        let key = pick(rng, keys);
        if let Some(new) = Update::random(rng, single).apply(key) {
            out.push(Case {
                what: if single {
                    "update (one flag)"
                } else {
                    "update (several flags)"
                },
                change: Change {
                    put: vec![new],
                    ..Change::default()
                },
            });
        }
    }
    for grace in [false, true] {
        let key = pick(rng, keys);
        let hash = TokenHash::of(&format!("rotated {}", rng.next()));
        out.push(Case {
            what: if grace { "rotate --grace" } else { "rotate" },
            change: Change {
                put: vec![rotated(key, hash, grace)],
                ..Change::default()
            },
        });
    }
    // apply: several keys changed, one maybe pruned, some added, in one write.
    let mut change = Change::default();
    let mut taken: Vec<String> = Vec::new();
    for _ in 0..1 + rng.below(2) {
        let key = pick(rng, keys);
        if taken.contains(&key.name) {
            continue;
        }
        let mut new = Update::random(rng, false)
            .apply(key)
            .unwrap_or_else(|| key.clone());
        match rng.below(4) {
            0 => new.allowed_ips = Some(vec!["192.0.2.0/24".parse().unwrap()]),
            1 => new.path_prefix = (rng.below(2) == 0).then(|| "/v2".to_string()),
            2 => new.resources = Some(vec!["a.example".into()]),
            _ => {}
        }
        if new != *key {
            taken.push(key.name.clone());
            change.put.push(new);
        }
    }
    if rng.below(2) == 0 {
        if let Some(k) = keys.iter().find(|k| !taken.contains(&k.name)) {
            change.remove.push(k.name.clone());
        }
    }
    for i in 0..rng.below(3) as usize {
        change.add.push(fresh(rng, 10 + i));
    }
    if !change.put.is_empty() || !change.remove.is_empty() || !change.add.is_empty() {
        out.push(Case {
            what: "apply",
            change,
        });
    }
    out
}

/// The keys `change` should leave, in order.
pub(crate) fn expected_keys(keys: &[ApiKey], change: &Change) -> Vec<ApiKey> {
    let mut out: Vec<ApiKey> = keys
        .iter()
        .filter(|k| !change.remove.contains(&k.name))
        .map(|k| {
            change
                .put
                .iter()
                .find(|p| p.name == k.name)
                .cloned()
                .unwrap_or_else(|| k.clone())
        })
        .collect();
    out.extend(change.add.iter().cloned());
    out
}

/// What one run found, for the summary and the assertions on coverage.
#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) docs: usize,
    pub(crate) loaded: usize,
    pub(crate) plain: usize,
    /// Loaded by tokenctl, not by libyaml (then only tokenctl's own checks run).
    pub(crate) oracle_unreadable: Vec<String>,
    /// Per kind of edit: (accepted, refused).
    pub(crate) edits: BTreeMap<&'static str, (usize, usize)>,
    /// Why edits were refused: the first words of the message, counted.
    pub(crate) refusals: BTreeMap<String, usize>,
    pub(crate) local_applied: usize,
    /// Accepted edits whose old text libyaml read (and so the oracle judged).
    pub(crate) judged: usize,
}

pub(crate) fn short(message: &str) -> String {
    let m = message
        .split_once("nothing was written: ")
        .map_or(message, |(_, r)| r);
    m.split(['(', ';', '\n'])
        .next()
        .unwrap_or(m)
        .chars()
        .take(70)
        .collect()
}

/// Everything asserted about one accepted write `new_text` of `doc` (old text `old_text`,
/// read by libyaml as `old_value` when it could be).
pub(crate) fn judge_accepted(
    doc: &Document,
    old_value: Option<&serde_yaml::Value>,
    case: &Case,
    new_text: &str,
    probe: bool,
) -> Result<bool, String> {
    let want = expected_keys(&doc.model.keys, &case.change);
    // tokenctl reads its own write back, as intended.
    let reread = Document::load(Path::new("security.yml"), new_text.to_string())
        .map_err(|e| format!("tokenctl cannot load what it wrote: {e}"))?;
    if reread.model.keys != want {
        return Err(format!(
            "tokenctl reads back\n  {:?}\nexpected\n  {want:?}",
            reread.model.keys
        ));
    }
    // ...and can write it again (a write that blocks later writes loses the next revocation):
    // the file as a whole stays writable, a key tokenctl added can be changed and deleted
    // again, and a key it changed can be changed again wherever it could be before.
    reread
        .check_writable()
        .map_err(|e| format!("after this write, tokenctl refuses to write the file: {e}"))?;
    if probe {
        let toggled = |d: &Document, name: &str| {
            let mut k = d.model.get(name).expect("the key is there").clone();
            k.enabled = !k.enabled;
            d.edited(&Edit::new().put(k))
        };
        for k in &case.change.add {
            toggled(&reread, &k.name).map_err(|e| {
                format!("after this write, key '{}' cannot be updated: {e}", k.name)
            })?;
            reread
                .edited(&Edit::new().remove(k.name.clone()))
                .map_err(|e| {
                    format!("after this write, key '{}' cannot be deleted: {e}", k.name)
                })?;
        }
        for k in &case.change.put {
            if toggled(doc, &k.name).is_ok() {
                toggled(&reread, &k.name).map_err(|e| {
                    format!(
                        "after this write, key '{}' cannot be updated again: {e}",
                        k.name
                    )
                })?;
            }
        }
    }
    // The independent reader: exactly the old data with only the edit applied.
    let Some(old_value) = old_value else {
        return Ok(false);
    };
    let expected = oracle::expected(&doc.text, old_value, &case.change)?;
    let got =
        oracle::read(new_text).map_err(|e| format!("libyaml cannot read the new text: {e}"))?;
    oracle::compare(&expected, &got)?;
    let keys = oracle::keys(&got)?;
    if keys != want && !oracle::renames(new_text) {
        return Err(format!(
            "libyaml reads the keys as\n  {keys:?}\nexpected\n  {want:?}"
        ));
    }
    Ok(true)
}

pub(crate) fn fail(doc: &str, what: &str, new_text: Option<&str>, why: &str, index: u64) -> ! {
    panic!(
        "differential: {what} on document {index} (seed {}): {why}\n--- before\n{doc}\n--- after\n{}",
        seed(),
        new_text.unwrap_or("(none)")
    );
}

pub(crate) fn report(name: &str, stats: &Stats) {
    eprintln!(
        "{name}: {} documents, {} loaded ({} plain), {} not readable by libyaml; {} edits judged by libyaml, {} proven locally",
        stats.docs,
        stats.loaded,
        stats.plain,
        stats.oracle_unreadable.len(),
        stats.judged,
        stats.local_applied
    );
    for (what, (ok, refused)) in &stats.edits {
        eprintln!("  {what:<24} {ok:>5} written, {refused:>5} refused");
    }
    if verbose() {
        for (why, n) in &stats.refusals {
            eprintln!("  refused {n:>5}x: {why}");
        }
        for u in stats.oracle_unreadable.iter().take(20) {
            eprintln!("  unreadable by libyaml: {u}");
        }
    }
}
