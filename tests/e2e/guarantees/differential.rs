//! The differential test of every write (issue 10), through the real binary: a sample of the
//! generated files (a tenth of `TOKENCTL_DIFF_DOCS`), each edited by every writing command,
//! and each result read by libyaml (tests/e2e/support/oracle.rs) and by PyYAML and
//! ruamel.yaml (tests/e2e/support/oracle.py) as exactly the old file with only the edit
//! applied. The model it shares with the in-process half (tests/library/differential.rs) is
//! tests/e2e/support/differential.rs, which says how to pick the seed and the number of files.

use crate::support::differential::*;
use crate::support::generator::Gen;
use crate::support::harness::{Rng, command, temp_files};
use crate::support::oracle::{self, Change};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use tokenctl::document::Document;
use tokenctl::model::ApiKey;
use tokenctl::token::TokenHash;

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
            if let Some(o) = &k.owner {
                args.extend(["--owner".into(), o.clone()]);
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

/// Python's readers: available, or the test fails saying what to install.
fn python_readers() {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import yaml, ruamel.yaml"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "python3 lacks PyYAML or ruamel.yaml: python3 -m pip install pyyaml ruamel.yaml \
         (scripts/test installs them)"
    );
}

fn typed_json(k: &ApiKey) -> serde_json::Value {
    serde_json::json!({
        "name": k.name,
        "description": k.description,
        "owner": k.owner,
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
#[ignore = "needs python3 with PyYAML and ruamel.yaml; scripts/test installs them"]
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
    python_readers();
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
