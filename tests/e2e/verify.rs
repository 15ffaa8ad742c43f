//! `verify`: every outcome and every kind of bad input, the Authorization values it takes,
//! stable JSON, and `--record` (the usage file beside security.yml, concurrent records, a
//! broken usage file).

use crate::support::env::*;

/// An hour, a day and more after [`NOW`].
const NOW_1H: &str = "2026-11-22T11:00:00Z";
const NOW_2D: &str = "2026-11-24T10:00:00Z";

/// `verify ARGS` with `stdin` at [`NOW`].
fn verify(env: &TestEnv, stdin: &str, args: &[&str]) -> Output {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    env.run_with(&all, stdin)
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
