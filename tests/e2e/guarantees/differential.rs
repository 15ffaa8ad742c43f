//! The differential test of every write (issue 10): generated files (tests/e2e/support/generator.rs),
//! each edited with every kind of edit every writing command makes, and each result either
//! refused or read by an independent YAML parser as exactly the old file with only the edit
//! applied (tests/e2e/oracle.rs: serde_yaml, that is libyaml, in-process; and, for a sample
//! driven through the real binary, PyYAML and ruamel.yaml through tests/e2e/support/oracle.py).
//! Whatever tokenctl writes, tokenctl must load again and be able to write again.
//!
//! Repeatable: a fixed seed. `TOKENCTL_DIFF_SEED=N` picks another, `TOKENCTL_DIFF_DOCS=N` sets
//! how many files (default 1000 in-process, and a tenth of that through the binary);
//! `TOKENCTL_DIFF_VERBOSE=1` prints each file and what was refused and why;
//! `TOKENCTL_DIFF_ONLY=N` runs file N alone (a failure names its number and seed).

use crate::support::generator::{Gen, SCOPES};
use crate::support::harness::{Rng, command, temp_files};
use crate::support::oracle::{self, Change};
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use tokenctl::model::{ApiKey, PreviousHash};
use tokenctl::store::{Document, Edit};
use tokenctl::token::TokenHash;

fn now() -> Timestamp {
    crate::support::env::NOW.parse().unwrap()
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn docs() -> u64 {
    env_number("TOKENCTL_DIFF_DOCS", 1000)
}

pub fn seed() -> u64 {
    env_number("TOKENCTL_DIFF_SEED", 20_261_201)
}

fn verbose() -> bool {
    std::env::var_os("TOKENCTL_DIFF_VERBOSE").is_some()
}

/// Descriptions no writer may mangle: everything YAML gives a meaning to, and every
/// character a YAML 1.1 parser breaks lines on or refuses raw.
pub const HOSTILE: [&str; 40] = [
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

fn hostile(rng: &mut Rng) -> String {
    let mut s = HOSTILE[rng.below(HOSTILE.len() as u64) as usize].to_string();
    if rng.below(3) == 0 {
        s.push_str(HOSTILE[rng.below(HOSTILE.len() as u64) as usize]);
    }
    s
}

fn scopes(rng: &mut Rng) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for _ in 0..rng.below(4) {
        let s = SCOPES[rng.below(SCOPES.len() as u64) as usize].to_string();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

fn at(second: i64) -> Timestamp {
    Timestamp::from_second(second).unwrap()
}

/// A new key as `create` makes it (created now, the given hash).
fn new_key(rng: &mut Rng, name: String, hash: TokenHash) -> ApiKey {
    let mut k = ApiKey::new(name, hash);
    k.created_at = Some(now());
    if rng.below(2) == 0 {
        k.description = Some(hostile(rng));
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
pub struct Update {
    pub enable: Option<bool>,
    pub replace: Option<Vec<String>>,
    pub add: Vec<String>,
    pub remove: Vec<String>,
    /// `Some("")` removes the description.
    pub description: Option<String>,
    /// `Some(None)`: `--expires never`.
    pub expires: Option<Option<Timestamp>>,
}

impl Update {
    fn random(rng: &mut Rng, single: bool) -> Update {
        let mut u = Update::default();
        let which = if single {
            1 << rng.below(7)
        } else {
            rng.below(128) | 1 << rng.below(7)
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
        u
    }

    /// The key after this update, as update.rs makes it: `None` when nothing changes.
    fn apply(&self, key: &ApiKey) -> Option<ApiKey> {
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
        if new == *key {
            return None;
        }
        new.previous_hashes.retain(|p| p.expires_at > now());
        Some(new)
    }

    fn args(&self, name: &str) -> Vec<String> {
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
        a
    }
}

/// `rotate`'s new definition of `key`: the new hash, and with a grace period the old one
/// among the live previous hashes.
fn rotated(key: &ApiKey, hash: TokenHash, grace: bool) -> ApiKey {
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
pub struct Case {
    pub what: &'static str,
    pub change: Change,
}

impl Case {
    pub fn edit(&self) -> Edit {
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

fn pick<'a>(rng: &mut Rng, keys: &'a [ApiKey]) -> &'a ApiKey {
    &keys[rng.below(keys.len() as u64) as usize]
}

/// Every kind of edit every writing command makes, on `keys` (the file's, in order).
pub fn cases(rng: &mut Rng, keys: &[ApiKey]) -> Vec<Case> {
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
pub fn expected_keys(keys: &[ApiKey], change: &Change) -> Vec<ApiKey> {
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
struct Stats {
    docs: usize,
    loaded: usize,
    plain: usize,
    /// Loaded by tokenctl, not by libyaml (then only tokenctl's own checks run).
    oracle_unreadable: Vec<String>,
    /// Per kind of edit: (accepted, refused).
    edits: BTreeMap<&'static str, (usize, usize)>,
    /// Why edits were refused: the first words of the message, counted.
    refusals: BTreeMap<String, usize>,
    local_applied: usize,
    /// Accepted edits whose old text libyaml read (and so the oracle judged).
    judged: usize,
}

fn short(message: &str) -> String {
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
fn judge_accepted(
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

fn fail(doc: &str, what: &str, new_text: Option<&str>, why: &str, index: u64) -> ! {
    panic!(
        "differential: {what} on document {index} (seed {}): {why}\n--- before\n{doc}\n--- after\n{}",
        seed(),
        new_text.unwrap_or("(none)")
    );
}

/// Runs the in-process differential on documents `from..to`, checking every assertion.
fn run_in_process(from: u64, to: u64) -> Stats {
    let mut stats = Stats::default();
    for index in from..to {
        let mut g = Gen::new(seed() ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let plain = index % 4 == 0;
        let gen_doc = g.doc(plain);
        stats.docs += 1;
        let text = gen_doc.text;
        if verbose() {
            eprintln!("document {index}: {text:?}");
        }
        let Ok(doc) = Document::load(Path::new("security.yml"), text.clone()) else {
            continue;
        };
        stats.loaded += 1;
        stats.plain += plain as usize;
        // Read as servers read: libyaml's keys are tokenctl's.
        let old_value = match oracle::read(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                stats.oracle_unreadable.push(format!("{e}: {text:?}"));
                None
            }
        };
        // (Where the oracle renamed anchors apart, a scalar's text may hold the new name.)
        if let Some(v) = old_value.as_ref().filter(|_| !oracle::renames(&text)) {
            match oracle::keys(v) {
                Ok(keys) if keys == doc.model.keys => {}
                Ok(keys) => fail(
                    &text,
                    "load",
                    None,
                    &format!(
                        "libyaml reads the keys as\n  {keys:?}\ntokenctl as\n  {:?}",
                        doc.model.keys
                    ),
                    index,
                ),
                Err(e) => fail(
                    &text,
                    "load",
                    None,
                    &format!("tokenctl loads what libyaml refuses: {e}"),
                    index,
                ),
            }
        }
        let mut rng = Rng::new(seed() ^ index);
        for case in cases(&mut rng, &doc.model.keys) {
            let counts = stats.edits.entry(case.what).or_default();
            let (local, full, new_text) = match doc.proofs(&case.edit()) {
                Ok(p) => p,
                Err(e) => {
                    counts.1 += 1;
                    *stats.refusals.entry(short(&e.to_string())).or_default() += 1;
                    if verbose() {
                        eprintln!("refused {} on document {index}: {e}", case.what);
                    }
                    continue;
                }
            };
            if verbose() {
                eprintln!("{} planned", case.what);
            }
            if let Some(l) = &local {
                stats.local_applied += 1;
                if l.is_ok() != full.is_ok() {
                    fail(
                        &text,
                        case.what,
                        Some(&new_text),
                        &format!("the local proof says {l:?}, the whole-document proof {full:?}"),
                        index,
                    );
                }
            }
            if let Err(e) = &full {
                counts.1 += 1;
                *stats.refusals.entry(short(&e.to_string())).or_default() += 1;
                if verbose() {
                    eprintln!("refused {} on document {index}: {e}", case.what);
                }
                continue;
            }
            counts.0 += 1;
            match judge_accepted(&doc, old_value.as_ref(), &case, &new_text, true) {
                Ok(judged) => stats.judged += judged as usize,
                Err(why) => fail(&text, case.what, Some(&new_text), &why, index),
            }
        }
    }
    stats
}

fn report(name: &str, stats: &Stats) {
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

/// The in-process run, in two halves so both cores work.
fn in_process_half(half: u64) {
    if let Some(only) = std::env::var("TOKENCTL_DIFF_ONLY")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        // One document, to look at what it does: `TOKENCTL_DIFF_ONLY=N`.
        if half == 0 {
            report("differential", &run_in_process(only, only + 1));
        }
        return;
    }
    let n = docs();
    let (from, to) = if half == 0 { (0, n / 2) } else { (n / 2, n) };
    let stats = run_in_process(from, to);
    report(&format!("differential (documents {from}..{to})"), &stats);
    // The generator must keep producing files tokenctl reads and edits it makes, or this
    // test would pass by testing nothing.
    assert!(
        stats.loaded * 3 >= stats.docs,
        "only {} of {} generated documents load",
        stats.loaded,
        stats.docs
    );
    for what in [
        "create",
        "delete",
        "update (one flag)",
        "rotate",
        "rotate --grace",
        "apply",
    ] {
        let (ok, _) = stats.edits.get(what).copied().unwrap_or_default();
        assert!(
            ok * 20 >= (to - from) as usize,
            "too few '{what}' edits written: {ok}"
        );
    }
    assert!(stats.judged * 2 >= stats.edits.values().map(|c| c.0).sum::<usize>());
}

#[test]
fn every_edit_reads_back_as_exactly_the_edit_first_half() {
    in_process_half(0);
}

#[test]
fn every_edit_reads_back_as_exactly_the_edit_second_half() {
    in_process_half(1);
}

// ---- Through the binary, with PyYAML and ruamel.yaml as further readers. ----

/// Works out a command's change from what it printed on stdout.
type ChangeFrom = Box<dyn Fn(&str) -> Result<Change, String>>;

/// A command line, its stdin, and how to work out the change from what it printed.
struct Run {
    what: &'static str,
    args: Vec<String>,
    stdin: String,
    /// Files the command reads besides security.yml (apply's desired state).
    files: Vec<(String, String)>,
    /// The change, given stdout (from which a generated secret's hash is taken).
    change: ChangeFrom,
}

fn token_hash_from(stdout: &str) -> Result<TokenHash, String> {
    let secret = stdout.trim_end_matches('\n');
    if secret.is_empty() || secret.contains('\n') {
        return Err(format!("stdout should be the secret alone: {stdout:?}"));
    }
    Ok(TokenHash::of(secret))
}

/// The command lines for one document: one command of each kind, cycling with `index`.
fn runs(rng: &mut Rng, keys: &[ApiKey], index: u64) -> Vec<Run> {
    let mut out = Vec::new();
    let kind = if keys.is_empty() { 0 } else { index % 5 };
    match kind {
        0 => {
            let secret = format!("imported-secret-{index}-{:016x}-padding", rng.next());
            let mut k = new_key(rng, "new-key".into(), TokenHash::of(&secret));
            let mut args = vec![
                "create".to_string(),
                "new-key".into(),
                "--secret-stdin".into(),
            ];
            if !k.enabled {
                args.push("--disabled".into());
            }
            for p in &k.permissions {
                args.extend(["--permission".into(), p.clone()]);
            }
            if let Some(d) = &k.description {
                // create drops an empty description.
                args.extend(["--description".into(), d.clone()]);
            }
            if let Some(t) = k.expires_at {
                args.extend(["--expires".into(), t.to_string()]);
            }
            for n in k.allowed_ips.iter().flatten() {
                args.extend(["--allow-ip".into(), n.to_string()]);
            }
            if let Some(p) = &k.path_prefix {
                args.extend(["--path-prefix".into(), p.clone()]);
            }
            for r in k.resources.iter().flatten() {
                args.extend(["--resource".into(), r.clone()]);
            }
            k.description = k.description.filter(|d| !d.is_empty());
            out.push(Run {
                what: "create",
                args,
                stdin: format!("{secret}\n"),
                files: vec![],
                change: Box::new(move |stdout| {
                    if stdout.trim_end() != secret {
                        return Err(format!(
                            "create printed {stdout:?}, not the imported secret"
                        ));
                    }
                    Ok(Change {
                        add: vec![k.clone()],
                        ..Change::default()
                    })
                }),
            });
        }
        1 => {
            let (args, remove) = if rng.below(3) == 0 {
                (
                    vec!["delete".to_string(), "--all".into(), "--yes".into()],
                    keys.iter().map(|k| k.name.clone()).collect(),
                )
            } else {
                let name = pick(rng, keys).name.clone();
                (
                    vec!["delete".to_string(), name.clone(), "--yes".into()],
                    vec![name],
                )
            };
            out.push(Run {
                what: "delete",
                args,
                stdin: String::new(),
                files: vec![],
                change: Box::new(move |_| {
                    Ok(Change {
                        remove: remove.clone(),
                        ..Change::default()
                    })
                }),
            });
        }
        2 => {
            let key = pick(rng, keys).clone();
            let single = rng.below(2) == 0;
            let u = Update::random(rng, single);
            let new = u.apply(&key);
            out.push(Run {
                what: "update",
                args: u.args(&key.name),
                stdin: String::new(),
                files: vec![],
                change: Box::new(move |_| {
                    Ok(Change {
                        put: new.iter().cloned().collect(),
                        ..Change::default()
                    })
                }),
            });
        }
        3 => {
            let key = pick(rng, keys).clone();
            let grace = rng.below(2) == 0;
            let mut args = vec!["rotate".to_string(), key.name.clone(), "--quiet".into()];
            if grace {
                args.extend(["--grace".into(), "24h".into()]);
            }
            out.push(Run {
                what: if grace { "rotate --grace" } else { "rotate" },
                args,
                stdin: String::new(),
                files: vec![],
                change: Box::new(move |stdout| {
                    Ok(Change {
                        put: vec![rotated(&key, token_hash_from(stdout)?, grace)],
                        ..Change::default()
                    })
                }),
            });
        }
        _ => {
            // apply: change one key, add one with a hash and one without, maybe prune.
            let key = pick(rng, keys).clone();
            let prune = rng.below(3) == 0;
            let description = hostile(rng);
            let disabled = rng.below(2) == 0;
            let mut desired = serde_json::Map::new();
            if prune {
                for k in keys {
                    if k.name != key.name && rng.below(2) == 0 {
                        desired.insert(k.name.clone(), serde_json::json!({}));
                    }
                }
            }
            desired.insert(
                key.name.clone(),
                serde_json::json!({
                    "description": description,
                    "enabled": !disabled,
                    "permissions": ["dns:read"],
                    "allowedIps": ["192.0.2.0/24"],
                }),
            );
            let given = TokenHash::of(&format!("given {index}"));
            desired.insert(
                "applied-a".into(),
                serde_json::json!({"hash": given.to_string(), "permissions": ["*"], "description": "given"}),
            );
            desired.insert(
                "applied-b".into(),
                serde_json::json!({"resources": ["x.example"]}),
            );
            let kept: Vec<String> = desired.keys().cloned().collect();
            let text =
                serde_json::to_string_pretty(&serde_json::json!({ "apiKeys": desired })).unwrap();
            let mut args = vec![
                "--format".to_string(),
                "json".into(),
                "apply".into(),
                "-f".into(),
                "desired.json".into(),
            ];
            if prune {
                args.extend(["--prune".into(), "--yes".into()]);
            }
            let keys = keys.to_vec();
            out.push(Run {
                what: "apply",
                args,
                stdin: String::new(),
                files: vec![("desired.json".into(), text)],
                change: Box::new(move |stdout| {
                    let report: serde_json::Value = serde_json::from_str(stdout)
                        .map_err(|e| format!("apply's report is not JSON ({e}): {stdout:?}"))?;
                    let token = report["secrets"]
                        .as_array()
                        .and_then(|s| s.iter().find(|s| s["name"] == "applied-b"))
                        .and_then(|s| s["token"].as_str())
                        .ok_or_else(|| format!("no secret for applied-b in {stdout}"))?;
                    let mut change = Change::default();
                    let mut new = key.clone();
                    new.description = Some(description.clone()).filter(|d| !d.is_empty());
                    new.enabled = !disabled;
                    new.permissions = vec!["dns:read".into()];
                    new.allowed_ips = Some(vec!["192.0.2.0/24".parse().unwrap()]);
                    if new != key {
                        new.previous_hashes.retain(|p| p.expires_at > now());
                        change.put.push(new);
                    }
                    let mut a = ApiKey::new("applied-a".into(), given);
                    a.permissions = vec!["*".into()];
                    a.description = Some("given".into());
                    a.created_at = Some(now());
                    let mut b = ApiKey::new("applied-b".into(), TokenHash::of(token));
                    b.resources = Some(vec!["x.example".into()]);
                    b.created_at = Some(now());
                    change.add = vec![a, b];
                    if prune {
                        change.remove = keys
                            .iter()
                            .filter(|k| !kept.contains(&k.name))
                            .map(|k| k.name.clone())
                            .collect();
                    }
                    Ok(change)
                }),
            });
        }
    }
    out
}

/// A token of tokenctl's form, or the start of one.
fn holds_token(text: &str) -> bool {
    let re = regex::Regex::new(r"[a-z0-9]{1,16}_[0-9a-f]{72}").unwrap();
    re.is_match(text) || text.contains("imported-secret-")
}

/// Python's readers: available, or the test is skipped (outside CI only).
fn python_readers() -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import yaml, ruamel.yaml"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let ci = crate::support::in_ci();
        assert!(
            !ci,
            "python3 lacks PyYAML or ruamel.yaml but CI is set: .ci/run must install them"
        );
        eprintln!("skipped the Python readers: python3 -m pip install pyyaml ruamel.yaml");
    }
    ok
}

fn typed_json(k: &ApiKey) -> serde_json::Value {
    serde_json::json!({
        "name": k.name,
        "description": k.description,
        "enabled": k.enabled,
        "permissions": k.permissions,
        "hash": k.hash.to_string(),
        "createdAt": k.created_at.map(|t| t.as_second()),
        "expiresAt": k.expires_at.map(|t| t.as_second()),
        "allowedIps": k.allowed_ips.as_ref().map(|l| l.iter().map(|n| n.to_string()).collect::<Vec<_>>()),
        "pathPrefix": k.path_prefix,
        "resources": k.resources,
        "previousHashes": k.previous_hashes.iter().map(|p| (p.hash.to_string(), p.expires_at.as_second())).collect::<Vec<_>>(),
    })
}

#[test]
fn every_command_through_the_binary_writes_what_three_parsers_read_as_the_edit() {
    let n = (docs() / 10).max(20);
    let work = tempfile::tempdir().unwrap();
    let cases_dir = work.path().join("cases");
    fs::create_dir(&cases_dir).unwrap();
    let mut written = 0;
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    let mut ran = 0;
    let mut index = 0u64;
    while ran < n {
        index += 1;
        let mut g = Gen::new(seed() ^ 0x5eed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let text = g.doc(index.is_multiple_of(3)).text;
        let Ok(doc) = Document::load(Path::new("security.yml"), text.clone()) else {
            continue;
        };
        ran += 1;
        let mut rng = Rng::new(seed() ^ 0xb1 ^ index);
        for run in runs(&mut rng, &doc.model.keys, index) {
            let dir = work.path().join(format!("d{index}"));
            fs::create_dir(&dir).unwrap();
            let file = dir.join("security.yml");
            fs::write(&file, &text).unwrap();
            for (name, content) in &run.files {
                fs::write(dir.join(name), content).unwrap();
            }
            let mut c = command(&file);
            c.current_dir(&dir).args(&run.args).stdin(Stdio::piped());
            let mut child = c.spawn().unwrap();
            // A command that fails before it reads stdin closes it: that is no failure here.
            let _ = child.stdin.take().unwrap().write_all(run.stdin.as_bytes());
            let out = child.wait_with_output().unwrap();
            let (stdout, stderr) = (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            );
            let after = fs::read(&file).unwrap();
            let context = || {
                format!(
                    "{} {:?} on document {index} (seed {}), exit {:?}\nstderr: {stderr}\n--- before\n{text}\n--- after\n{}",
                    run.what,
                    run.args,
                    seed(),
                    out.status.code(),
                    String::from_utf8_lossy(&after)
                )
            };
            assert_eq!(temp_files(&dir), Vec::<String>::new(), "{}", context());
            if !out.status.success() {
                assert_eq!(
                    after,
                    text.as_bytes(),
                    "refused, yet the file changed: {}",
                    context()
                );
                assert!(
                    !holds_token(&stdout),
                    "refused, yet a secret on stdout: {}",
                    context()
                );
                assert!(
                    !stderr.trim().is_empty(),
                    "refused without a word: {}",
                    context()
                );
                *refused
                    .entry(format!("{}: {}", run.what, short(&stderr)))
                    .or_default() += 1;
                continue;
            }
            let new_text = String::from_utf8(after.clone()).expect("the file stays UTF-8");
            let change = (run.change)(&stdout).unwrap_or_else(|e| panic!("{e}: {}", context()));
            let case = Case {
                what: run.what,
                change,
            };
            let old_value = oracle::read(&text).ok();
            if let Err(why) = judge_accepted(&doc, old_value.as_ref(), &case, &new_text, false) {
                panic!("{why}\n{}", context());
            }
            written += 1;
            let stem = cases_dir.join(format!("{index}"));
            fs::write(stem.with_extension("old"), &text).unwrap();
            fs::write(stem.with_extension("new"), &new_text).unwrap();
            let want = expected_keys(&doc.model.keys, &case.change);
            let meta = serde_json::json!({
                "what": run.what,
                "old_keys": doc.model.keys.iter().map(typed_json).collect::<Vec<_>>(),
                "keys": want.iter().map(typed_json).collect::<Vec<_>>(),
                "added": case.change.add.iter().map(|k| k.name.clone()).collect::<Vec<_>>(),
            });
            fs::write(stem.with_extension("json"), meta.to_string()).unwrap();
        }
    }
    eprintln!("through the binary: {ran} documents, {written} written");
    for (why, count) in &refused {
        eprintln!("  refused {count:>3}x: {why}");
    }
    assert!(
        written * 2 >= ran,
        "too few writes went through: {written} of {ran}"
    );
    if !python_readers() {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/support/oracle.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(&cases_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "oracle.py failed:\n{stdout}\n{stderr}"
    );
}
