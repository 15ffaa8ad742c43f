//! The token lifecycle: verify (every outcome and every kind of bad input), verify --record,
//! rotate with and without a grace period, expiry in list and show, and check.

use crate::support::env::*;
use sha2::Digest;

/// An hour, a day and more after [`NOW`].
const NOW_1H: &str = "2026-11-22T11:00:00Z";
const NOW_25H: &str = "2026-11-23T11:00:00Z";
const NOW_2D: &str = "2026-11-24T10:00:00Z";

/// `verify ARGS` with `stdin` at [`NOW`].
fn verify(env: &TestEnv, stdin: &str, args: &[&str]) -> Output {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    env.run_with(&all, stdin)
}

fn sha256(text: &str) -> String {
    format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(text.as_bytes()))
    )
}

/// A rejection: exit 4, nothing on stdout, exactly one line on stderr.
#[track_caller]
fn assert_rejected(out: &Output, message: &str) {
    out.code(4).stdout_empty();
    assert_eq!(out.stderr, format!("rejected: {message}\n"));
}

/// A denial: exit 5, nothing on stdout, exactly one line on stderr.
#[track_caller]
fn assert_forbidden(out: &Output, message: &str) {
    out.code(5).stdout_empty();
    assert_eq!(out.stderr, format!("forbidden: {message}\n"));
}

// ---- verify: outcomes ----

#[test]
fn verify_valid_token_names_the_key_and_its_permissions() {
    let env = TestEnv::new();
    let secret = env.create("ci", &["-p", "dns:read", "-p", "domains:read"]);
    let none = env.create("bare", &[]);
    let before = env.bytes();
    for input in [
        secret.clone(),
        format!("{secret}\n"),
        format!("{secret}\r\n"),
    ] {
        let out = verify(&env, &input, &[]);
        out.success();
        assert_eq!(
            out.stdout,
            "valid: key 'ci', permissions: dns:read, domains:read\n"
        );
        assert_eq!(out.stderr, "");
    }
    let out = verify(&env, &none, &[]);
    assert_eq!(
        out.success().stdout,
        "valid: key 'bare', permissions: (none)\n"
    );
    // Verifying never writes.
    assert_eq!(env.bytes(), before);
    assert!(!env.file().with_file_name("security.usage.yml").exists());
}

#[test]
fn verify_mistyped_or_cut_short_token_is_malformed() {
    let env = TestEnv::new();
    let secret = env.create("ci", &[]);
    let mut typo = secret.clone();
    let last = typo.pop().unwrap();
    typo.push(if last == '0' { '1' } else { '0' });
    let why = "malformed token: its check digits do not match (mistyped or cut short)";
    assert_rejected(&verify(&env, &typo, &[]), why);
    assert_rejected(
        &verify(&env, &secret[..secret.len() - 5], &[]),
        "malformed token: 67 characters follow 'tk_', not 72 (cut short?)",
    );
    // A digit changed in the body, not the check digits.
    let mut body = secret.clone().into_bytes();
    body[10] = if body[10] == b'a' { b'b' } else { b'a' };
    assert_rejected(&verify(&env, &String::from_utf8(body).unwrap(), &[]), why);
}

#[test]
fn verify_diagnoses_whitespace_around_the_token() {
    let env = TestEnv::new();
    let secret = env.create("ci", &[]);
    let why =
        "the token has whitespace or a line break around it; remove it (a copy-paste mistake?)";
    for input in [
        format!(" {secret}"),
        format!("{secret} "),
        format!("{secret}\t\n"),
        format!("{secret}\n\n"),
        format!("\n{secret}"),
        format!("Bearer  {secret}"),
        format!("Bearer {secret} "),
    ] {
        let out = verify(&env, &input, &[]);
        assert_rejected(
            &out,
            &format!("{why}; without it, the token is valid for key 'ci'"),
        );
        assert!(!out.stderr.contains(&secret[3..]), "no secret in messages");
    }
    // No hint when the token is wrong anyway, or lacks what was asked.
    assert_rejected(&verify(&env, &format!(" {}", stranger_token()), &[]), why);
    assert_rejected(
        &verify(&env, &format!("{secret} "), &["--permission", "dns:read"]),
        why,
    );
    let out = verify(&env, &format!("{secret} "), &["--format", "json"]);
    assert_eq!(out.code(4).json()["reason"], "whitespace");
    assert_eq!(
        out.json()["message"],
        format!("{why}; without it, the token is valid for key 'ci'")
    );
}

#[test]
fn verify_unknown_token() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    let why = "unknown token: no key in this file has this secret";
    assert_rejected(&verify(&env, &stranger_token(), &[]), why);
    // Not of tokenctl's form at all: no check digits to test, so just unknown.
    assert_rejected(
        &verify(&env, "an-imported-secret-of-some-forty-chars", &[]),
        why,
    );
    // No file at all is not an empty one: a mistyped tenant fails (exit 1), naming the path.
    let empty = TestEnv::new();
    verify(&empty, &stranger_token(), &[])
        .code(1)
        .stderr_has("security.yml: no such file (TOKENCTL_TENANT=acme under TOKENCTL_ROOT=")
        .stdout_empty();
}

#[test]
fn verify_disabled_key() {
    let env = TestEnv::new();
    let secret = env.create("ci", &["--disabled"]);
    assert_rejected(&verify(&env, &secret, &[]), "key 'ci' is disabled");
    env.run(&["update", "ci", "--enable"]).success();
    verify(&env, &secret, &[]).success();
    env.run(&["update", "ci", "--disable"]).success();
    assert_rejected(&verify(&env, &secret, &[]), "key 'ci' is disabled");
}

#[test]
fn verify_expired_key_says_when() {
    let env = TestEnv::new();
    let secret = env.create("ci", &["--expires", "1d"]);
    verify(&env, &secret, &[]).success();
    run_at(&env, NOW_1H, &["verify"], secret.clone()).success();
    let out = run_at(&env, NOW_2D, &["verify"], secret.clone());
    assert_rejected(&out, "key 'ci' expired at 2026-11-23T10:00:00Z");
    // The very instant of expiry is already expired.
    let out = run_at(&env, "2026-11-23T10:00:00Z", &["verify"], secret);
    assert_rejected(&out, "key 'ci' expired at 2026-11-23T10:00:00Z");
}

#[test]
fn verify_missing_permission_names_it() {
    let env = TestEnv::new();
    let secret = env.create("ci", &["-p", "dns:read"]);
    verify(&env, &secret, &["--permission", "dns:read"]).success();
    assert_forbidden(
        &verify(&env, &secret, &["--permission", "dns:write"]),
        "key 'ci' lacks permission 'dns:write'",
    );
    let wild = env.create("wild", &["-p", "dns:*"]);
    verify(&env, &wild, &["--permission", "dns:write"]).success();
    assert_forbidden(
        &verify(&env, &wild, &["--permission", "domains:read"]),
        "key 'wild' lacks permission 'domains:read'",
    );
    let all = env.create("all", &["-p", "*"]);
    verify(&env, &all, &["--permission", "domains:read"]).success();
    // A key with no permissions is valid, but grants nothing.
    let none = env.create("none", &[]);
    assert_forbidden(
        &verify(&env, &none, &["--permission", "dns:read"]),
        "key 'none' lacks permission 'dns:read'",
    );
    // 401 reasons come before 403 ones: a disabled key is rejected, not forbidden.
    env.run(&["update", "ci", "--disable"]).success();
    assert_rejected(
        &verify(&env, &secret, &["--permission", "dns:write"]),
        "key 'ci' is disabled",
    );
}

#[test]
fn verify_ip_must_be_in_allowed_ips() {
    let env = TestEnv::new();
    let secret = env.create(
        "ci",
        &[
            "--allow-ip",
            "203.0.113.0/24",
            "--allow-ip",
            "2001:db8::/32",
        ],
    );
    verify(&env, &secret, &["--ip", "203.0.113.7"]).success();
    verify(&env, &secret, &["--ip", "2001:db8::1"]).success();
    // No --ip: nothing to check against.
    verify(&env, &secret, &[]).success();
    assert_forbidden(
        &verify(&env, &secret, &["--ip", "198.51.100.1"]),
        "key 'ci' is not allowed from 198.51.100.1",
    );
    assert_forbidden(
        &verify(&env, &secret, &["--ip", "2001:db9::1"]),
        "key 'ci' is not allowed from 2001:db9::1",
    );
    // A key with no allowedIps is allowed from anywhere.
    let open = env.create("open", &[]);
    verify(&env, &open, &["--ip", "198.51.100.1"]).success();
    // A bad --ip is a usage error, decided before stdin is read.
    env.run_with(&["verify", "--ip", "not-an-ip"], &secret)
        .code(2)
        .stderr_has("invalid --ip \"not-an-ip\"");
}

#[test]
fn verify_path_must_start_with_path_prefix_or_equal_an_exact_one() {
    let env = TestEnv::new();
    let prefix = env.create("prefix", &["--path-prefix", "/api/dns"]);
    verify(&env, &prefix, &["--path", "/api/dns"]).success();
    verify(&env, &prefix, &["--path", "/api/dns/zones/example.com"]).success();
    assert_forbidden(
        &verify(&env, &prefix, &["--path", "/api/domains"]),
        "key 'prefix' is not allowed on path /api/domains",
    );
    let exact = env.create("exact", &["--path-prefix", "=/x"]);
    verify(&env, &exact, &["--path", "/x"]).success();
    assert_forbidden(
        &verify(&env, &exact, &["--path", "/x/y"]),
        "key 'exact' is not allowed on path /x/y",
    );
    assert_forbidden(
        &verify(&env, &exact, &["--path", "/"]),
        "key 'exact' is not allowed on path /",
    );
}

#[test]
fn verify_resource_must_be_listed() {
    let env = TestEnv::new();
    let secret = env.create(
        "ci",
        &["--resource", "example.com", "--resource", "example.org"],
    );
    verify(&env, &secret, &["--resource", "example.org"]).success();
    assert_forbidden(
        &verify(&env, &secret, &["--resource", "example.net"]),
        "key 'ci' is not allowed on resource 'example.net'",
    );
    let whole = env.create("whole", &[]);
    verify(&env, &whole, &["--resource", "example.net"]).success();
}

// ---- verify: Authorization values ----

#[test]
fn verify_accepts_bearer_and_basic_authorization_values() {
    let env = TestEnv::new();
    let secret = env.create("ci", &["-p", "dns:read"]);
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    for input in [
        format!("Bearer {secret}"),
        format!("bearer {secret}\n"),
        format!("BEARER {secret}"),
        format!("Basic {}", b64(&format!("user:{secret}"))),
        format!("Basic {}\n", b64(&format!(":{secret}"))),
    ] {
        let out = verify(&env, &input, &["--permission", "dns:read"]);
        assert_eq!(
            out.success().stdout,
            "valid: key 'ci', permissions: dns:read\n",
            "{input}"
        );
    }
}

#[test]
fn verify_refuses_bad_authorization_values_with_a_reason() {
    let env = TestEnv::new();
    let secret = env.create("ci", &[]);
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let no_scheme = "malformed Authorization value: no scheme: send `Authorization: Bearer <token>` (or Basic credentials with the token as password)";
    let cases = [
        (
            format!("Token {secret}"),
            "malformed Authorization value: unknown scheme 'Token': use `Bearer <token>` or Basic credentials".to_string(),
        ),
        (
            format!("Authorization: Bearer {secret}"),
            "malformed Authorization value: this is a whole header line: give only its value, `Bearer <token>`".into(),
        ),
        // A token followed by more: the first word is no scheme, and is not echoed.
        (format!("{secret} trailing"), no_scheme.into()),
        ("Bearer".into(), "empty token: there is nothing to verify".into()),
        ("Bearer \n".into(), "empty token: there is nothing to verify".into()),
        (
            "Basic !!!not-base64!!!".into(),
            "malformed Authorization value: Basic credentials are not valid base64".into(),
        ),
        (
            format!("Basic {}", b64(&secret)),
            "malformed Authorization value: Basic credentials have no ':' before the password"
                .into(),
        ),
        (
            format!("Basic {}", b64(&format!("{secret}:"))),
            "malformed Authorization value: Basic credentials with an empty password: the token goes in the password, not the user name (curl -u any:TOKEN)".into(),
        ),
    ];
    for (input, why) in cases {
        let out = verify(&env, &input, &[]);
        assert_rejected(&out, &why);
        assert!(
            !out.stderr.contains(&secret[3..20]),
            "no secret in messages: {}",
            out.stderr
        );
    }
}

// ---- verify: bad input ----

#[test]
fn verify_bad_input_gets_one_line_and_exit_4_never_a_panic() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "empty token: there is nothing to verify"),
        (b"\n".to_vec(), "empty token: there is nothing to verify"),
        (
            vec![b'a'; 10 * 1024 * 1024],
            "the input is longer than 128 KiB; no token is that long",
        ),
        (
            (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80)
                .collect(),
            "the input is not UTF-8 text, so it is no token",
        ),
        (
            b"tk_\0\x01\x02".to_vec(),
            "malformed token: 3 characters follow 'tk_', not 72 (cut short?), and character 4 is a space or control character",
        ),
    ];
    for (input, why) in cases {
        let out = run_at(&env, NOW, &["verify"], input);
        assert_rejected(&out, why);
        assert!(!out.stderr.contains("panicked"));
    }
    // A token just under the input limit but over the longest secret: refused before hashing.
    let out = run_at(&env, NOW, &["verify"], vec![b'a'; 100 * 1024]);
    assert_rejected(
        &out,
        "the token is 102400 bytes long; no key's secret is longer than 64 KiB",
    );
}

#[test]
fn verify_json_output_is_stable() {
    let env = TestEnv::new();
    let secret = env.create("ci", &["-p", "dns:read"]);
    let out = verify(&env, &secret, &["--format", "json"]);
    out.success();
    assert_eq!(
        out.json(),
        serde_json::json!({
            "valid": true,
            "status": 200,
            "reason": "valid",
            "message": "valid: key 'ci', permissions: dns:read",
            "key": "ci",
            "permissions": ["dns:read"],
        })
    );
    let out = verify(
        &env,
        &secret,
        &["--format", "json", "--permission", "dns:write"],
    );
    out.code(5)
        .stderr_has("forbidden: key 'ci' lacks permission 'dns:write'");
    assert_eq!(
        out.json(),
        serde_json::json!({
            "valid": false,
            "status": 403,
            "reason": "permission",
            "message": "key 'ci' lacks permission 'dns:write'",
            "key": "ci",
            "permissions": null,
        })
    );
    let out = verify(&env, &stranger_token(), &["--format", "json"]);
    out.code(4);
    assert_eq!(
        out.json(),
        serde_json::json!({
            "valid": false,
            "status": 401,
            "reason": "unknown",
            "message": "unknown token: no key in this file has this secret",
            "key": null,
            "permissions": null,
        })
    );
    let out = run_at(&env, NOW, &["verify", "--format", "json"], Vec::new());
    out.code(4);
    assert_eq!(out.json()["reason"], "empty");
    env.run(&["update", "ci", "--disable"]).success();
    let out = verify(&env, &secret, &["--format", "json"]);
    assert_eq!(out.code(4).json()["reason"], "disabled");
    assert_eq!(out.json()["key"], "ci");
}

// ---- verify --record and usage ----

#[test]
fn verify_record_writes_usage_beside_the_file_and_never_touches_security_yml() {
    use std::os::unix::fs::MetadataExt;
    let env = TestEnv::new();
    let ci = env.create("ci", &["-p", "dns:read"]);
    let web = env.create("web", &[]);
    env.create("idle", &[]);
    let before = env.bytes();
    let inode = std::fs::metadata(env.file()).unwrap().ino();
    let usage = env.file().with_file_name("security.usage.yml");

    // A failed verification records nothing.
    verify(&env, &ci, &["--record", "--permission", "dns:write"]).code(5);
    verify(&env, &stranger_token(), &["--record"]).code(4);
    assert!(!usage.exists());

    run_at(
        &env,
        NOW_1H,
        &["verify", "--record", "--ip", "203.0.113.7"],
        ci.clone(),
    )
    .success();
    run_at(&env, NOW_2D, &["verify", "--record"], web.clone()).success();
    assert_eq!(
        std::fs::read_to_string(&usage).unwrap(),
        "ci:\n  lastUsedAt: 2026-11-22T11:00:00Z\n  lastUsedFrom: 203.0.113.7\nweb:\n  lastUsedAt: 2026-11-24T10:00:00Z\n"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&usage).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(env.bytes(), before, "security.yml must not change");
    assert_eq!(
        std::fs::metadata(env.file()).unwrap().ino(),
        inode,
        "nor be replaced"
    );
    // No temporary files left behind.
    let stray: Vec<_> = std::fs::read_dir(env.file().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");

    // list: most recently used first, never-used last; json carries the usage.
    let out = run_at(&env, NOW_2D, &["list", "--format", "json"], "");
    let list = out.success().json();
    let names: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web", "ci", "idle"]);
    assert_eq!(list[1]["lastUsedAt"], "2026-11-22T11:00:00Z");
    assert_eq!(list[1]["lastUsedFrom"], "203.0.113.7");
    assert_eq!(list[2]["lastUsedAt"], serde_json::Value::Null);
    let table = run_at(&env, NOW_2D, &["list"], "");
    let rows: Vec<_> = table
        .success()
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(rows, ["web", "ci", "idle"]);
    assert!(
        // 47 hours ago, rounded as a person would say it.
        table.stdout.lines().nth(2).unwrap().contains("2 days ago"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.lines().nth(1).unwrap().contains("just now"),
        "{}",
        table.stdout
    );

    // A later use of ci puts it first.
    run_at(&env, "2026-11-25T10:00:00Z", &["verify", "--record"], ci).success();
    let out = run_at(
        &env,
        "2026-11-25T10:00:00Z",
        &["list", "--format", "json"],
        "",
    );
    assert_eq!(out.success().json()[0]["name"], "ci");
    // Recording without --ip drops the old address: it described another use.
    assert_eq!(out.json()[0]["lastUsedFrom"], serde_json::Value::Null);

    let show = run_at(&env, "2026-11-25T12:00:00Z", &["show", "web"], "");
    show.success()
        .stdout_has("last used:   2026-11-24T10:00:00Z (1 day ago)\n");
    assert_eq!(env.bytes(), before);
}

#[test]
fn concurrent_records_lose_nothing() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let env = TestEnv::new();
    let secrets: Vec<String> = (0..8).map(|i| env.create(&format!("k{i}"), &[])).collect();
    let before = env.bytes();
    // Eight processes at once, each recording its own key under the usage file's lock.
    let children: Vec<_> = secrets
        .iter()
        .map(|s| {
            let mut c = Command::new(assert_cmd::cargo::cargo_bin!("tokenctl"));
            c.current_dir(env.dir.path())
                .env_clear()
                .env("TOKENCTL_ROOT", env.root())
                .env("TOKENCTL_TENANT", &env.tenant)
                .env("TOKENCTL_NOW", NOW)
                .args(["verify", "--record", "--lock-timeout", "60s"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            let mut child = c.spawn().unwrap();
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
            child
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let usage = std::fs::read_to_string(env.file().with_file_name("security.usage.yml")).unwrap();
    let expected: String = (0..8)
        .map(|i| format!("k{i}:\n  lastUsedAt: {NOW}\n"))
        .collect();
    assert_eq!(usage, expected);
    assert_eq!(env.bytes(), before);
}

#[test]
fn a_broken_usage_file_does_not_hide_the_keys() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    env.create("web", &[]);
    let usage = env.file().with_file_name("security.usage.yml");
    // One bad entry is skipped; the good one is used.
    std::fs::write(
        &usage,
        "ci: {lastUsedAt: yesterday}\nweb:\n  lastUsedAt: 2026-11-21T10:00:00Z\n",
    )
    .unwrap();
    let out = env.run(&["list", "--format", "json"]);
    assert_eq!(out.success().json()[0]["name"], "web");
    assert_eq!(out.json()[1]["lastUsedAt"], serde_json::Value::Null);
    // A file that is not YAML: a warning, and the keys without usage.
    std::fs::write(&usage, "[unclosed\n").unwrap();
    let out = env.run(&["list", "--format", "json"]);
    out.success().stderr_has("warning: ignoring usage records:");
    assert_eq!(out.json().as_array().unwrap().len(), 2);
    env.run(&["show", "ci"])
        .success()
        .stdout_has("last used:   never");
}

// ---- rotate ----

#[test]
fn rotate_without_grace_stops_the_old_secret_at_once() {
    let env = TestEnv::new();
    let old = env.create(
        "ci",
        &[
            "-p",
            "dns:read",
            "--description",
            "deploy job",
            "--expires",
            "30d",
        ],
    );
    let before = env.read();
    let out = env.run(&["rotate", "ci"]);
    out.success();
    let new = out.secret();
    assert_ne!(new, old);
    assert!(new.starts_with("tk_") && new.len() == 75);
    assert_eq!(
        out.stderr.lines().last(),
        Some("The old secret stopped working.")
    );
    assert!(out.stderr.contains("Rotated key 'ci' (fingerprint "));
    assert!(!out.stderr.contains(&new) && !out.stderr.contains(&old));
    // Only the hash line changed.
    let after = env.read();
    assert_eq!(after, before.replace(&sha256(&old), &sha256(&new)));
    assert!(!after.contains("previousHashes"));
    assert_rejected(
        &verify(&env, &old, &[]),
        "unknown token: no key in this file has this secret",
    );
    assert_eq!(
        verify(&env, &new, &[]).success().stdout,
        "valid: key 'ci', permissions: dns:read\n"
    );
}

#[test]
fn rotate_with_grace_keeps_the_old_secret_until_the_grace_ends() {
    let env = TestEnv::new();
    let old = env.create("ci", &["-p", "dns:read"]);
    let out = env.run(&["rotate", "ci", "--grace", "24h"]);
    out.success();
    let new = out.secret();
    assert_eq!(
        out.stderr.lines().last(),
        Some("The old secret keeps working until 2026-11-23T10:00:00Z.")
    );
    let text = env.read();
    assert!(
        text.ends_with(&format!(
            "    hash: {}\n    createdAt: 2026-11-22T10:00:00Z\n    previousHashes:\n      - hash: {}\n        expiresAt: 2026-11-23T10:00:00Z\n",
            sha256(&new),
            sha256(&old)
        )),
        "{text}"
    );
    // During the grace period both work; the old one says so.
    let out = run_at(
        &env,
        NOW_1H,
        &["verify", "--permission", "dns:read"],
        old.clone(),
    );
    assert_eq!(
        out.success().stdout,
        "valid: key 'ci' (an old secret, in its rotation grace period), permissions: dns:read\n"
    );
    run_at(&env, NOW_1H, &["verify"], new.clone()).success();
    // show lists the old secret and when it stops.
    let fp = &sha256(&old)[7..15];
    run_at(&env, NOW_1H, &["show", "ci"], "")
        .success()
        .stdout_has(&format!(
            "old secret:  {fp} valid until 2026-11-23T10:00:00Z\n"
        ));
    // After it, only the new one.
    let out = run_at(&env, NOW_25H, &["verify"], old.clone());
    assert_rejected(
        &out,
        "this is an old secret of key 'ci': it was rotated and stopped working at 2026-11-23T10:00:00Z",
    );
    run_at(&env, NOW_25H, &["verify"], new.clone()).success();
    assert!(
        !run_at(&env, NOW_25H, &["show", "ci"], "")
            .stdout
            .contains("old secret")
    );
}

#[test]
fn expired_previous_hashes_are_dropped_on_the_next_write_of_the_key() {
    let env = TestEnv::new();
    let old = env.create("ci", &[]);
    env.create("other", &[]);
    let new = env
        .run(&["rotate", "ci", "--grace", "1h", "--quiet"])
        .success()
        .secret();
    // A write within the grace period keeps the entry.
    run_at(
        &env,
        "2026-11-22T10:30:00Z",
        &["update", "ci", "--description", "one"],
        "",
    )
    .success();
    assert!(env.read().contains(&sha256(&old)));
    // A write of another key leaves it alone.
    run_at(&env, NOW_2D, &["update", "other", "--description", "x"], "").success();
    assert!(env.read().contains(&sha256(&old)));
    // The next write of this key, after the grace period, drops it.
    let before = env.read();
    run_at(&env, NOW_2D, &["update", "ci", "--description", "two"], "").success();
    let after = env.read();
    assert!(
        !after.contains("previousHashes") && !after.contains(&sha256(&old)),
        "{after}"
    );
    let dropped = format!(
        "    previousHashes:\n      - hash: {}\n        expiresAt: 2026-11-22T11:00:00Z\n",
        sha256(&old)
    );
    assert_eq!(
        after,
        before
            .replace(&dropped, "")
            .replace("description: one", "description: two")
    );
    run_at(&env, NOW_2D, &["verify"], new).success();
}

#[test]
fn rotating_again_during_grace_keeps_every_live_old_secret() {
    let env = TestEnv::new();
    let first = env.create("ci", &[]);
    let second = env
        .run(&["rotate", "ci", "--grace", "2h", "-q"])
        .success()
        .secret();
    let third = run_at(&env, NOW_1H, &["rotate", "ci", "--grace", "2h", "-q"], "")
        .success()
        .secret();
    for s in [&first, &second, &third] {
        run_at(&env, "2026-11-22T11:30:00Z", &["verify"], s.clone()).success();
    }
    // The first stops at 12:00, the second at 13:00.
    run_at(&env, "2026-11-22T12:30:00Z", &["verify"], first.clone()).code(4);
    run_at(&env, "2026-11-22T12:30:00Z", &["verify"], second.clone()).success();
    // A rotation without grace ends them all.
    let fourth = run_at(&env, "2026-11-22T12:30:00Z", &["rotate", "ci", "-q"], "")
        .success()
        .secret();
    for s in [&first, &second, &third] {
        run_at(&env, "2026-11-22T12:30:00Z", &["verify"], s.clone()).code(4);
    }
    run_at(&env, "2026-11-22T12:30:00Z", &["verify"], fourth).success();
    assert!(!env.read().contains("previousHashes"));
}

#[test]
fn rotate_quiet_json_and_copy_print_like_create() {
    let env = TestEnv::new();
    env.create("ci", &["--expires", "30d"]);
    let out = env.run(&["rotate", "ci", "--quiet", "--grace", "1h"]);
    assert_eq!(out.success().stderr, "");
    let quiet = out.secret();
    verify(&env, &quiet, &[]).success();

    let out = env.run(&["rotate", "ci", "--format", "json"]);
    let json = out.success().json();
    let token = json["token"].as_str().unwrap().to_string();
    assert_eq!(json["name"], "ci");
    assert_eq!(json["fingerprint"], &sha256(&token)[7..15]);
    assert_eq!(json["expiresAt"], "2026-12-22T10:00:00Z");
    assert_eq!(json.as_object().unwrap().len(), 4);
    verify(&env, &token, &[]).success();
    verify(&env, &quiet, &[]).code(4);
    // With a grace period the record says until when the old secret works.
    let json = env
        .run(&["rotate", "ci", "--format", "json", "--grace", "24h"])
        .success()
        .json();
    assert_eq!(json["oldSecretExpiresAt"], "2026-11-23T10:00:00Z");
    verify(&env, &token, &[]).success();

    // --copy with no display to copy to: says so, and the secret is still printed once.
    let out = env.run(&["rotate", "ci", "--copy"]);
    out.success()
        .stderr_has("warning: could not copy to the clipboard (no display to copy to");
    let copied = out.secret();
    verify(&env, &copied, &[]).success();
}

#[test]
fn rotate_refuses_bad_input_before_writing() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    let before = env.bytes();
    for bad in ["soon", "24", "-1h", "1.5", "1 h ago", ""] {
        env.run(&["rotate", "ci", &format!("--grace={bad}")])
            .code(2)
            .stderr_has("invalid duration")
            .stdout_empty();
    }
    env.run(&["rotate", "cj"])
        .code(3)
        .stderr_has("no key named 'cj'; did you mean 'ci'?");
    assert_eq!(env.bytes(), before);
}

// ---- expiry in list and show ----

#[test]
fn list_and_show_mark_expired_and_soon_to_expire_keys() {
    let env = TestEnv::new();
    env.create("fine", &["--expires", "90d"]);
    env.create("soon", &["--expires", "3d"]);
    env.create("gone", &["--expires", "1h"]);
    env.create("off", &["--disabled"]);
    env.create("forever", &[]);
    let out = run_at(&env, NOW_2D, &["list", "--format", "json"], "");
    let status: Vec<(String, String, bool)> = out
        .success()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["name"].as_str().unwrap().into(),
                k["status"].as_str().unwrap().into(),
                k["expired"].as_bool().unwrap(),
            )
        })
        .collect();
    let expect = |n: &str, s: &str, e: bool| (n.to_string(), s.to_string(), e);
    assert_eq!(
        status,
        [
            expect("fine", "active", false),
            expect("forever", "active", false),
            expect("gone", "expired", true),
            expect("off", "disabled", false),
            expect("soon", "expiring", false),
        ]
    );
    // The table: words for everyone, colour when asked (as at a terminal).
    let plain = run_at(&env, NOW_2D, &["list"], "");
    let line = |name: &str| {
        plain
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap()
            .to_string()
    };
    // Relative dates, as `show` says them too.
    assert!(
        line("gone").contains(" expired ") && line("gone").contains("expired 2 days ago"),
        "{}",
        plain.stdout
    );
    assert!(line("soon").contains(" in 1 day "), "{}", plain.stdout);
    assert!(line("off").contains(" disabled "), "{}", plain.stdout);
    assert!(!plain.stdout.contains('\x1b'));
    let color = run_at(&env, NOW_2D, &["--color", "always", "list"], "");
    let cline = |name: &str| {
        color
            .stdout
            .lines()
            .find(|l| l.contains(name))
            .unwrap()
            .to_string()
    };
    assert!(
        cline("gone").contains("\x1b[38;5;9m"),
        "red: {:?}",
        cline("gone")
    );
    assert!(
        cline("soon").contains("\x1b[38;5;11m"),
        "yellow: {:?}",
        cline("soon")
    );
    assert!(!cline("fine").contains("\x1b[38;5;"), "{:?}", cline("fine"));
    // Filters.
    let names = |args: &[&str]| -> Vec<String> {
        let out = run_at(&env, NOW_2D, args, "");
        out.success()
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&["list", "--expired", "--format", "json"]), ["gone"]);
    assert_eq!(
        names(&["list", "--expiring-within", "7d", "--format", "json"]),
        ["soon"]
    );
    // show: how long is left, or how long ago it ended.
    run_at(&env, NOW_2D, &["show", "soon"], "")
        .success()
        .stdout_has("expires:     2026-11-25T10:00:00Z (in 1 day)\n")
        .stdout_has("status:      expiring\n");
    run_at(&env, NOW_1H, &["show", "fine"], "")
        .success()
        // 89 days and 23 hours: "in 90 days", as a person rounds it.
        .stdout_has("expires:     2027-02-20T10:00:00Z (in 90 days)\n");
    run_at(&env, NOW_2D, &["show", "gone"], "")
        .success()
        .stdout_has("expires:     2026-11-22T11:00:00Z (expired 2 days ago)\n")
        .stdout_has("status:      expired\n");
    run_at(&env, NOW_2D, &["show", "forever"], "")
        .success()
        .stdout_has("expires:     never\n");
}

// ---- check ----

fn good_file() -> String {
    format!(
        "# managed by ansible\nversion: 1\npermissions: [dns:read, dns:write]\napiKeys:\n  ci:\n    permissions: [dns:read]\n    hash: {}\n    expiresAt: 2026-11-25T10:00:00Z\n    allowedIps: [203.0.113.0/24]\n  web:\n    permissions: ['dns:*']\n    hash: {}\n    expiresAt: 2026-11-01T00:00:00Z\n",
        sha256("a"),
        sha256("b")
    )
}

/// Writes `text` at `dir/name` with `mode`.
fn write_file(env: &TestEnv, name: &str, text: &str, mode: u32) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = env.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn check_accepts_a_good_file_on_any_path_without_a_tenant() {
    let env = TestEnv::new();
    // Ansible's temporary file: any name, no tenant.
    let path = write_file(
        &env,
        "ansible-tmp-1700000000.123-source",
        &good_file(),
        0o600,
    );
    let out = env
        .cmd()
        .env_remove("TOKENCTL_TENANT")
        .env_remove("TOKENCTL_ROOT")
        .args(["check", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("{}: ok (2 keys)\n", path.display())
    );
    // The tenant's file, by default.
    env.write(good_file());
    let out = env.run(&["check"]);
    out.success().stderr_has("security.yml: ok (2 keys)");
    assert_eq!(env.read(), good_file(), "check never changes the file");
}

#[test]
fn check_reports_every_problem_with_file_and_line() {
    let env = TestEnv::new();
    let text = format!(
        "version: 1\npermissions: [dns:read, dns:write]\napiKeys:\n  good:\n    permissions: [dns:read]\n    hash: {a}\n  copy:\n    hash: {a}\n  \"bad name!\":\n    hash: sha256:XYZ\n  types:\n    enabled: \"yes\"\n    permissions: dns:read\n    hash: {b}\n    allowedIps: [10.0.0.0/33, nonsense]\n    expiresAt: tomorrow\n  scopes:\n    permissions: [dns:raed]\n    hash: {c}\n  good:\n    hash: {d}\n",
        a = sha256("a"),
        b = sha256("b"),
        c = sha256("c"),
        d = sha256("d"),
    );
    let path = write_file(&env, "s.yml", &text, 0o600);
    let out = env.run(&["check", "s.yml"]);
    out.code(7);
    assert_eq!(
        out.stdout,
        "s.yml:7:3: key 'copy' has the same hash as key 'good': each key needs its own secret\n\
         s.yml:9:3: invalid key name \"bad name!\": it contains a character that is not allowed\n\
         s.yml:10:11: key 'bad name!': hash must be sha256: followed by 64 lowercase hex digits\n\
         s.yml:12:14: key 'types': enabled must be true or false\n\
         s.yml:13:18: key 'types': permissions must be a list, like [a, b], not a scalar\n\
         s.yml:15:18: key 'types': invalid address range \"10.0.0.0/33\": use a CIDR such as 203.0.113.0/24 or 2001:db8::/32\n\
         s.yml:15:31: key 'types': invalid address range \"nonsense\": use a CIDR such as 203.0.113.0/24 or 2001:db8::/32\n\
         s.yml:16:16: key 'types': expiresAt: \"tomorrow\" is not an RFC 3339 time such as 2027-01-01T00:00:00Z (YYYY-MM-DDTHH:MM:SS, an optional fraction, then Z, +HH:MM or -HH:MM)\n\
         s.yml:17:3: key 'scopes': unknown permission 'dns:raed': the file's permissions catalog does not list it; did you mean 'dns:read'?\n\
         s.yml:20:3: duplicate key name 'good'\n"
    );
    assert_eq!(out.stderr, "s.yml: 10 problems\n");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);

    // YAML syntax: the parser's position.
    write_file(&env, "syntax.yml", "apiKeys:\n  a: [\n", 0o600);
    let out = env.run(&["check", "syntax.yml"]);
    out.code(7);
    assert!(out.stdout.starts_with("syntax.yml:3:1: "), "{}", out.stdout);
    assert_eq!(out.stdout.lines().count(), 1);
    // Not text at all.
    write_file(&env, "binary.yml", "apiKeys:\n  \0\n", 0o600);
    env.run(&["check", "binary.yml"])
        .code(7)
        .stdout_has("binary.yml:2:3: the file contains a NUL byte");
    // A missing file is an error of its own (exit 1), not a report.
    env.run(&["check", "missing.yml"])
        .code(1)
        .stderr_has("missing.yml: no such file");
}

#[test]
fn check_refuses_a_file_others_can_read() {
    let env = TestEnv::new();
    for mode in [0o644, 0o640, 0o604] {
        let path = write_file(&env, "s.yml", &good_file(), mode);
        let out = env.run(&["check", "s.yml"]);
        out.code(7);
        assert_eq!(
            out.stdout,
            format!(
                "s.yml: the file is readable or writable by others (mode {mode:04o}); run `chmod 600 s.yml`\n"
            )
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), good_file());
    }
}

#[test]
fn check_warn_expiring_reports_expired_and_soon_to_expire_keys() {
    let env = TestEnv::new();
    write_file(&env, "s.yml", &good_file(), 0o600);
    env.run(&["check", "s.yml"]).success();
    // Warnings, not problems: exit 0, unless --strict.
    env.run(&["check", "s.yml", "--warn-expiring", "1d"])
        .success()
        .stdout_has("s.yml:10:3: warning: key 'web' expired at 2026-11-01T00:00:00Z\n")
        .stderr_has("s.yml: ok (2 keys), 1 warning\n");
    let out = env.run(&["check", "s.yml", "--warn-expiring", "14d"]);
    assert_eq!(
        out.success().stdout,
        "s.yml:5:3: warning: key 'ci' expires in 3 days (2026-11-25T10:00:00Z)\ns.yml:10:3: warning: key 'web' expired at 2026-11-01T00:00:00Z\n"
    );
    let out = env.run(&["check", "s.yml", "--warn-expiring", "14d", "--strict"]);
    out.code(7);
    assert_eq!(out.stderr, "s.yml: 2 warnings (--strict)\n");
    // --strict without warnings is a success.
    env.run(&["check", "s.yml", "--strict"])
        .success()
        .stderr_has("s.yml: ok (2 keys)\n");
    for bad in ["14", "two weeks", "1x"] {
        env.run(&["check", "s.yml", "--warn-expiring", bad])
            .code(2)
            .stderr_has("invalid duration");
    }
}

#[test]
fn check_json_output_is_stable() {
    let env = TestEnv::new();
    write_file(&env, "s.yml", &good_file(), 0o640);
    let out = env.run(&[
        "check",
        "s.yml",
        "--warn-expiring",
        "7d",
        "--format",
        "json",
    ]);
    out.code(7);
    assert_eq!(
        out.json(),
        serde_json::json!({
            "file": "s.yml",
            "ok": false,
            "keys": 2,
            "problems": [
                {"line": null, "column": null, "message": "the file is readable or writable by others (mode 0640); run `chmod 600 s.yml`"},
            ],
            "warnings": [
                {"line": 5, "column": 3, "message": "key 'ci' expires in 3 days (2026-11-25T10:00:00Z)"},
                {"line": 10, "column": 3, "message": "key 'web' expired at 2026-11-01T00:00:00Z"},
            ],
        })
    );
    write_file(&env, "s.yml", &good_file(), 0o600);
    let out = env.run(&["check", "s.yml", "--format", "json"]);
    assert_eq!(
        out.success().json(),
        serde_json::json!({"file": "s.yml", "ok": true, "keys": 2, "problems": [], "warnings": []})
    );
    let out = env.run(&["check", "s.yml", "-o", "json", "--warn-expiring", "7d"]);
    assert_eq!(out.success().json()["ok"], true);
    let out = env.run(&[
        "check",
        "s.yml",
        "-o",
        "json",
        "--warn-expiring",
        "7d",
        "--strict",
    ]);
    assert_eq!(out.code(7).json()["ok"], false);
}

#[test]
fn rotate_copy_puts_the_new_secret_on_the_clipboard() {
    let env = TestEnv::new();
    let old = env.create("ci", &[]);
    let x = Xvfb::start();
    let out = env
        .cmd()
        .env("DISPLAY", &x.display)
        .args(["rotate", "ci", "--copy"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Copied the secret to the clipboard for 45 seconds"),
        "{stderr}"
    );
    let new = String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string();
    assert_ne!(new, old);
    assert_eq!(x.clipboard(), new);
    verify(&env, &new, &[]).success();
}
