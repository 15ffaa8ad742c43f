//! `scan`: a git work tree holding a live token, a disabled key's, an in-grace and a
//! rotated-out old secret, an expired key's, a deleted key's, a token with wrong check
//! digits, look-alike hex, a .gitignored file, a binary file, CRLF and non-UTF-8 text;
//! scanned from paths and from stdin, as text and JSON, with every exit code.

use crate::support::env::*;
use std::fs;
use std::path::Path;
use std::process::Command;

/// Two hours after NOW: the 1-hour grace and the 1-hour expiry have passed, the 24-hour one
/// has not.
const LATER: &str = "2026-11-22T12:00:00Z";

struct Secrets {
    live: String,
    off: String,
    old_in_grace: String,
    old_gone: String,
    expired: String,
    deleted: String,
}

/// Keys in every state, made through the CLI at NOW.
fn keys(env: &TestEnv) -> Secrets {
    let live = env.create("ci-deploy", &["--permission", "dns:write", "-q"]);
    let off = env.create("old-ci", &["--disabled", "-q"]);
    let old_in_grace = env.create("grafana", &["-q"]);
    env.run(&["rotate", "grafana", "--grace", "24h", "-q"])
        .success();
    let old_gone = env.create("backup", &["-q"]);
    env.run(&["rotate", "backup", "--grace", "1h", "-q"])
        .success();
    let expired = env.create("temp", &["--expires", "1h", "-q"]);
    let deleted = env.create("gone", &["-q"]);
    env.run(&["delete", "gone", "--yes"]).success();
    Secrets {
        live,
        off,
        old_in_grace,
        old_gone,
        expired,
        deleted,
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

fn write(dir: &Path, rel: &str, bytes: impl AsRef<[u8]>) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// `line:col` of the first `needle` in `hay`, counted as scan counts (bytes, from 1).
fn pos(hay: &[u8], needle: &str) -> String {
    let at = hay
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .expect("needle is there");
    let line = hay[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let start = hay[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    format!("{line}:{}", at - start + 1)
}

/// A token of tokenctl's form whose last check digit is wrong.
fn wrong_check(t: &str) -> String {
    let mut w = t.to_string();
    let last = w.pop().unwrap();
    w.push(if last == '0' { '1' } else { '0' });
    w
}

/// The repository: what each file holds is in its name.
fn tree(env: &TestEnv, s: &Secrets) -> std::path::PathBuf {
    let repo = env.dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    write(&repo, ".gitignore", "*.log\n");
    write(
        &repo,
        "config/app.env",
        format!(
            "# CRLF lines\r\nAPI_URL=https://x\r\nAPI_TOKEN={}\r\n",
            s.live
        ),
    );
    write(
        &repo,
        "deploy/values.yml",
        format!(
            "grafana:\n  token: \"{}\"\nbackup: {{token: {}}}\n",
            s.old_in_grace, s.old_gone
        ),
    );
    // Not UTF-8 (Latin-1 é), then the disabled key's secret glued to text before it.
    let mut latin1 = b"caf\xe9 = ".to_vec();
    latin1.extend_from_slice(format!("X{}\n", s.off).as_bytes());
    write(&repo, "notes/latin1.txt", latin1);
    write(
        &repo,
        "notes/old.md",
        format!("expired: {}\nrevoked: {}\n", s.expired, s.deleted),
    );
    // Nothing to find: wrong check digits, hex digests after an underscore, a cut-short token.
    write(
        &repo,
        "noise.txt",
        format!(
            "typo {}\nsha256_{}\nchecksum_{}\ncut {}\n",
            wrong_check(&s.live),
            "ab".repeat(36),
            "0123456789abcdef".repeat(5),
            &s.live[..s.live.len() - 1],
        ),
    );
    write(&repo, "debug.log", format!("{}\n", s.live));
    let mut binary = b"\x7fELF\0\0\0".to_vec();
    binary.extend_from_slice(s.live.as_bytes());
    write(&repo, "bin/tool", binary);
    repo
}

fn scan_at(env: &TestEnv, args: &[&str], stdin: &str) -> Output {
    let mut cmd = env.cmd();
    cmd.env("TOKENCTL_NOW", LATER).arg("scan").args(args);
    let out = cmd.write_stdin(stdin).output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[track_caller]
fn no_secret_in(out: &Output, s: &Secrets) {
    for t in [
        &s.live,
        &s.off,
        &s.old_in_grace,
        &s.old_gone,
        &s.expired,
        &s.deleted,
    ] {
        // Not the secret, nor its random part.
        let body = &t[t.len() - 72..t.len() - 8];
        assert!(
            !out.stdout.contains(body) && !out.stderr.contains(body),
            "a secret was printed:\n{}\n{}",
            out.stdout,
            out.stderr
        );
    }
}

fn fingerprint(token: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(token.as_bytes())[..4])
}

#[test]
fn scan_names_each_secret_s_key_and_state_and_fails_on_the_live_ones() {
    let env = TestEnv::new();
    let s = keys(&env);
    let repo = tree(&env, &s);
    let read = |rel: &str| std::fs::read(repo.join(rel)).unwrap();
    let out = scan_at(&env, &["repo"], "");
    out.code(10);
    no_secret_in(&out, &s);
    let fp = fingerprint;
    let expected = [
        format!(
            "repo/config/app.env:{}: live secret of key 'ci-deploy' (tenant acme, fingerprint {})",
            pos(&read("config/app.env"), &s.live),
            fp(&s.live)
        ),
        format!(
            "repo/deploy/values.yml:{}: rotated secret of key 'grafana' (valid until 2026-11-23T10:00:00Z; tenant acme, fingerprint {})",
            pos(&read("deploy/values.yml"), &s.old_in_grace),
            fp(&s.old_in_grace)
        ),
        format!(
            "repo/deploy/values.yml:{}: old secret (rotated out) of key 'backup' (stopped 2026-11-22T11:00:00Z; tenant acme, fingerprint {})",
            pos(&read("deploy/values.yml"), &s.old_gone),
            fp(&s.old_gone)
        ),
        format!(
            "repo/notes/latin1.txt:{}: disabled secret of key 'old-ci' (tenant acme, fingerprint {})",
            pos(&read("notes/latin1.txt"), &s.off),
            fp(&s.off)
        ),
        format!(
            "repo/notes/old.md:{}: expired secret of key 'temp' (expired 2026-11-22T11:00:00Z; tenant acme, fingerprint {})",
            pos(&read("notes/old.md"), &s.expired),
            fp(&s.expired)
        ),
        format!(
            "repo/notes/old.md:{}: unknown secret with prefix 'tk' (fingerprint {}): no key of tenant acme has it (revoked, or another file's)",
            pos(&read("notes/old.md"), &s.deleted),
            fp(&s.deleted)
        ),
    ];
    assert_eq!(out.stdout, expected.join("\n") + "\n");
    // Positions as a person counts them: after the CRLF lines; after 5 bytes of Latin-1 and X.
    assert!(out.stdout.starts_with("repo/config/app.env:3:11: "));
    assert!(out.stdout.contains("repo/notes/latin1.txt:1:9: "));
    // What to do, for the live key and the old secret that still works, and nothing else.
    out.stderr_has(
        "The secret of key 'ci-deploy' (tenant acme) is live and is in repo/config/app.env:3:11:\n  rotate it: tokenctl --root ",
    )
    .stderr_has(" --tenant acme rotate ci-deploy")
    .stderr_has(" --tenant acme delete ci-deploy --yes")
    .stderr_has("An old secret of key 'grafana' (tenant acme) works until 2026-11-23T10:00:00Z")
    .stderr_has(" --tenant acme rotate grafana")
    .stderr_has("scanned 5 files (")
    .stderr_has(
        " and skipped 1 binary file: 1 live, 1 rotated, 1 disabled, 1 expired, 1 rotated-out, 1 unknown",
    );
    assert!(!out.stderr.contains("old-ci") && !out.stderr.contains("'temp'"));
    // The suggested command works as printed.
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("rotate it: ") && l.contains("ci-deploy"))
        .unwrap();
    let cmd = line
        .split("rotate it: ")
        .nth(1)
        .unwrap()
        .split("   (")
        .next()
        .unwrap();
    let words: Vec<&str> = cmd.split(' ').skip(1).collect();
    env.run(&words).success();
    let out = scan_at(&env, &["repo/config"], "");
    out.code(0);
    assert!(out.stdout.contains("unknown secret"), "{}", out.stdout);
}

#[test]
fn scan_json_has_the_documented_fields() {
    let env = TestEnv::new();
    let s = keys(&env);
    tree(&env, &s);
    let out = scan_at(&env, &["--format", "json", "repo"], "");
    out.code(10);
    no_secret_in(&out, &s);
    let json = out.json();
    let all = json.as_array().unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(
        all[0],
        serde_json::json!({
            "path": "repo/config/app.env", "line": 3, "column": 11, "status": "live",
            "tenant": "acme", "key": "ci-deploy", "fingerprint": fingerprint(&s.live),
            "prefix": "tk", "expiresAt": null,
        })
    );
    let statuses: Vec<&str> = all.iter().map(|f| f["status"].as_str().unwrap()).collect();
    assert_eq!(
        statuses,
        [
            "live",
            "rotated",
            "rotated-out",
            "disabled",
            "expired",
            "unknown"
        ]
    );
    assert_eq!(all[1]["expiresAt"], "2026-11-23T10:00:00Z");
    assert_eq!(all[5]["key"], serde_json::Value::Null);
    assert_eq!(all[5]["tenant"], serde_json::Value::Null);
}

#[test]
fn scan_reads_stdin_and_honours_ignore_rules_as_ripgrep_does() {
    let env = TestEnv::new();
    let s = keys(&env);
    let repo = tree(&env, &s);
    let diff = format!(
        "+++ b/config/app.env\n+API_TOKEN={}\n+OTHER={}\n",
        s.live, s.off
    );
    let out = scan_at(&env, &["-"], &diff);
    out.code(10);
    no_secret_in(&out, &s);
    assert_eq!(
        out.stdout,
        format!(
            "<stdin>:2:12: live secret of key 'ci-deploy' (tenant acme, fingerprint {})\n\
             <stdin>:3:8: disabled secret of key 'old-ci' (tenant acme, fingerprint {})\n",
            fingerprint(&s.live),
            fingerprint(&s.off)
        )
    );
    out.stderr_has("scanned 1 file (");
    // Without the live token, a disabled key's secret does not fail the scan...
    let out = scan_at(&env, &["-"], &format!("{}\n", s.off));
    out.code(0).stderr_has(": 1 disabled");
    // ...unless --fail-on any; an unknown one fails with --fail-on unknown.
    scan_at(&env, &["--fail-on", "any", "-"], &format!("{}\n", s.off)).code(10);
    scan_at(&env, &["-"], &format!("{}\n", s.deleted)).code(0);
    scan_at(
        &env,
        &["--fail-on", "unknown", "-"],
        &format!("{}\n", s.deleted),
    )
    .code(10);
    scan_at(
        &env,
        &["--fail-on", "unknown", "-"],
        &format!("{}\n", s.off),
    )
    .code(0);
    // Nothing at all.
    let out = scan_at(&env, &["-"], "nothing to see\n");
    out.code(0)
        .stdout_empty()
        .stderr_has("no tokenctl secret found");
    let out = scan_at(&env, &["--format", "json", "-"], "");
    out.code(0);
    assert_eq!(out.json(), serde_json::json!([]));

    // The .gitignored log: found with --no-ignore, or when named.
    let live_in_log = |out: &Output| out.stdout.contains("repo/debug.log:1:1: live secret");
    assert!(!live_in_log(&scan_at(&env, &["repo"], "")));
    let out = scan_at(&env, &["--no-ignore", "repo"], "");
    assert!(live_in_log(&out), "{}", out.stdout);
    let out = scan_at(&env, &["repo/debug.log"], "");
    assert!(live_in_log(&out), "{}", out.stdout);
    // A binary file named on the command line is scanned (pre-commit names files).
    let out = scan_at(&env, &["repo/bin/tool"], "");
    out.code(10).stdout_has("repo/bin/tool:1:8: live secret");
    // Hidden files only with --hidden.
    write(&repo, ".secrets/token", format!("{}\n", s.live));
    let hidden = |out: &Output| out.stdout.contains("repo/.secrets/token:1:1: live");
    assert!(!hidden(&scan_at(&env, &["repo"], "")));
    assert!(hidden(&scan_at(&env, &["--hidden", "repo"], "")));
    // No path: the current folder, printed without ./
    let out = env
        .cmd()
        .current_dir(&repo)
        .env("TOKENCTL_NOW", LATER)
        .env("TOKENCTL_ROOT", env.root())
        .arg("scan")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(10));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("config/app.env:3:11: live secret"),
        "{stdout}"
    );
}

#[test]
fn scan_reports_unreadable_paths_and_a_missing_security_file() {
    let env = TestEnv::new();
    let s = keys(&env);
    tree(&env, &s);
    // A missing path is an I/O error (exit 1); the others are still scanned.
    let out = scan_at(&env, &["nowhere.txt", "repo/notes"], "");
    out.code(1)
        .stderr_has("nowhere.txt")
        .stderr_has("1 path could not be read")
        .stdout_has("repo/notes/old.md:1:10: expired secret");
    // A live secret outranks the error: exit 10.
    scan_at(&env, &["nowhere.txt", "repo/config"], "").code(10);
    // The security file must exist: a scan against nothing would call every token unknown.
    let out = env
        .cmd()
        .args(["--tenant", "nobody", "scan", "repo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nobody/security.yml: no such file") && stderr.contains("--all-tenants"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    // With --file, the key's file is named and the command suggested uses it.
    let file = env.file();
    let out = env
        .cmd()
        .env_remove("TOKENCTL_TENANT")
        .args(["--file", file.to_str().unwrap(), "scan", "repo/config"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(10));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("(file {}, fingerprint", file.display())),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "tokenctl --file {} rotate ci-deploy",
            file.display()
        )),
        "{stderr}"
    );
}

#[test]
fn scan_all_tenants_names_the_tenant_and_reports_a_broken_one() {
    let env = TestEnv::new();
    let acme = env.create("ci", &["-q"]);
    let beta = env
        .run(&["--tenant", "beta", "create", "deploy", "-q", "--new-tenant"])
        .success()
        .secret();
    let zeta = env
        .run(&[
            "--tenant",
            "zeta",
            "create",
            "off",
            "--disabled",
            "-q",
            "--new-tenant",
        ])
        .success()
        .secret();
    // One token imported into a second tenant: both are named.
    let shared = env.create("shared", &["-q"]);
    env.run_with(
        &["--tenant", "zeta", "create", "copy", "--secret-stdin"],
        &shared,
    )
    .success();
    let broken = env.root().join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("security.yml"), "apiKeys: [\n").unwrap();
    // Not tenants: a folder without a security.yml, a file.
    std::fs::create_dir_all(env.root().join("empty")).unwrap();
    std::fs::write(env.root().join("README"), "").unwrap();
    let text = format!("{acme}\n{beta}\n{zeta}\n");
    let out = env.run_with(&["scan", "--all-tenants", "-"], &text);
    out.code(10);
    assert_eq!(
        out.stdout,
        format!(
            "<stdin>:1:1: live secret of key 'ci' (tenant acme, fingerprint {})\n\
             <stdin>:2:1: live secret of key 'deploy' (tenant beta, fingerprint {})\n\
             <stdin>:3:1: disabled secret of key 'off' (tenant zeta, fingerprint {})\n",
            fingerprint(&acme),
            fingerprint(&beta),
            fingerprint(&zeta)
        )
    );
    out.stderr_has("error: tenant 'broken': ")
        .stderr_has("broken/security.yml:2:1: ")
        .stderr_has("tokenctl --root ")
        .stderr_has(" --tenant beta rotate deploy");
    // Without a live one, the broken tenant makes it exit 1; the unknown token says so.
    let out = env.run_with(
        &["scan", "--all-tenants", "-"],
        &format!("{}\n", wrong_check(&acme)),
    );
    out.code(1)
        .stdout_empty()
        .stderr_has("1 tenant did not load");
    let unknown = {
        let t = env.create("tmp", &["-q"]);
        env.run(&["delete", "tmp", "--yes"]).success();
        t
    };
    let out = env.run_with(&["scan", "--all-tenants", "-"], &format!("{unknown}\n"));
    out.code(1)
        .stdout_has("no key in the 3 tenants under ")
        .stdout_has("has it (1 more did not load) (revoked, or another file's)");
    // The shared secret: one finding for each tenant that has it.
    let out = env.run_with(
        &["--format", "json", "scan", "--all-tenants", "-"],
        &format!("x {shared}"),
    );
    out.code(10);
    let found: Vec<(String, String)> = out
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["column"], 3);
            (
                f["tenant"].as_str().unwrap().to_string(),
                f["key"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("acme".into(), "shared".into()),
            ("zeta".into(), "copy".into())
        ]
    );
}

#[test]
fn a_hostile_file_name_is_printed_escaped() {
    let env = TestEnv::new();
    let live = env.create("ci", &["-q"]);
    let dir = env.dir.path().join("in");
    write(&dir, "evil\x1b[2J\x07.txt", format!("{live}\n"));
    let out = env.run(&["scan", "in"]);
    out.code(10);
    assert!(
        out.stdout
            .starts_with("in/evil\\u{1b}[2J\\u{7}.txt:1:1: live secret of key 'ci'"),
        "{:?}",
        out.stdout
    );
    assert!(!out.stdout.contains('\x1b') && !out.stderr.contains('\x1b'));
    // JSON carries the name as it is (JSON escapes it).
    let out = env.run(&["--format", "json", "scan", "in"]);
    assert_eq!(out.json()[0]["path"], "in/evil\x1b[2J\x07.txt");
}

#[test]
fn a_secret_two_keys_share_is_reported_for_both_and_does_not_work() {
    let env = TestEnv::new();
    let token = env.create("a", &["-q"]);
    // tokenctl refuses to give two keys one secret; a hand edit can.
    let hash = env
        .read()
        .lines()
        .find_map(|l| l.trim().strip_prefix("hash: ").map(str::to_string))
        .unwrap();
    let mut text = env.read();
    text.push_str(&format!("  b:\n    hash: {hash}\n"));
    env.write(text);
    let out = env.run_with(&["scan", "-"], &format!("{token}\n"));
    out.code(0);
    let fp = fingerprint(&token);
    assert_eq!(
        out.stdout,
        format!(
            "<stdin>:1:1: ambiguous secret of key 'a' (other keys have it too, so servers refuse it; tenant acme, fingerprint {fp})\n\
             <stdin>:1:1: ambiguous secret of key 'b' (other keys have it too, so servers refuse it; tenant acme, fingerprint {fp})\n"
        )
    );
    out.stderr_has(": 2 ambiguous");
    env.run_with(&["scan", "--fail-on", "any", "-"], &token)
        .code(10);
}

/// Origin: the independent review of the CLI written against the README (was review.rs).
#[test]
fn scan_never_prints_a_secret_that_is_part_of_a_path() {
    let env = TestEnv::new();
    let live = env.create("ci", &["-p", "dns:read"]);
    let dir = env.dir.path().join("leak").join(&live);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("f.txt"), format!("token={live}\n")).unwrap();
    for format in ["table", "json"] {
        let out = env.run(&[
            "scan",
            "--format",
            format,
            env.dir.path().join("leak").to_str().unwrap(),
        ]);
        out.code(10);
        assert!(!out.stdout.contains(&live[5..]), "{}", out.stdout);
        assert!(!out.stderr.contains(&live[5..]), "{}", out.stderr);
        assert!(
            out.stdout.contains("<redacted, fingerprint"),
            "{}",
            out.stdout
        );
    }
}
