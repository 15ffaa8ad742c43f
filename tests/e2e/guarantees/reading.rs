//! Reading the file as a server would: a secret two keys share is no one's, far-future
//! expiries load and read back as written, a hostile or broken usage file never breaks a
//! read, recording a use never turns a valid token away, a mistyped token is called
//! malformed and says where, and a path prefix ends at a segment boundary and refuses paths
//! that are not normalised. The example server (server.rs) runs the library's `Verifier`
//! through the same cases over HTTP.

use crate::support::env::{stranger_token, *};
use crate::support::harness::{fake_hash, run, temp_file};
use crate::support::hash_of;
use std::fs;
use std::time::{Duration, Instant};

/// A token of tokenctl's form: `<prefix>_<64 hex of body><check digits>`.
fn token(prefix: &str, body: &str) -> String {
    use sha2::Digest;
    let head = format!("{prefix}_{body}");
    assert_eq!(body.len(), 64);
    format!(
        "{head}{}",
        hex::encode(&sha2::Sha256::digest(head.as_bytes())[..4])
    )
}

fn verify(env: &TestEnv, token: &str, args: &[&str]) -> Output {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    env.run_with(&all, token)
}

// ---- a secret two keys share ----

#[test]
fn a_token_whose_hash_two_keys_share_is_refused_as_ambiguous_naming_them() {
    let env = TestEnv::new();
    let shared = token("tk", &"ab".repeat(32));
    let solo = token("tk", &"cd".repeat(32));
    // `a` disabled and `ci` enabled: a server that takes the first match would refuse it
    // through `a`, one that looks further would accept it through `ci`. Neither may.
    let text = format!(
        "apiKeys:\n  a:\n    enabled: false\n    hash: {h}\n  ci:\n    permissions: [dns:read]\n    hash: {h}\n  solo:\n    hash: {s}\n",
        h = hash_of(&shared),
        s = hash_of(&solo)
    );
    env.write(&text);
    let why = "ambiguous token: keys 'a' and 'ci' share this secret, so it is refused for all of them; rotate all but one of them (without --grace)";
    let out = verify(&env, &shared, &["--permission", "dns:read"]);
    out.code(4).stdout_empty();
    assert_eq!(out.stderr, format!("rejected: {why}\n"));
    let json = verify(&env, &shared, &["--format", "json"]);
    json.code(4);
    let json = json.json();
    assert_eq!(json["reason"], "ambiguous");
    assert_eq!(json["status"], 401);
    assert_eq!(json["valid"], false);
    assert_eq!(json["keys"], serde_json::json!(["a", "ci"]));
    assert_eq!(json["key"], serde_json::Value::Null);
    assert_eq!(json["message"], why);
    // Another key's own secret still works; nothing was written.
    verify(&env, &solo, &[]).success();
    assert_eq!(env.read(), text);
}

#[test]
fn a_hash_in_another_keys_previous_hashes_is_ambiguous_too_even_expired() {
    let env = TestEnv::new();
    let shared = token("tk", &"12".repeat(32));
    let own = token("tk", &"34".repeat(32));
    let third = token("tk", &"56".repeat(32));
    for until in ["2026-11-23T10:00:00Z", "2020-01-01T00:00:00Z"] {
        // `new`'s current hash is `old`'s previous one; `self` lists its own current hash
        // among its previous ones, which is one key, not two.
        env.write(format!(
            "apiKeys:\n  old:\n    hash: {third}\n    previousHashes:\n      - hash: {h}\n        expiresAt: {until}\n  new:\n    hash: {h}\n  self:\n    hash: {o}\n    previousHashes:\n      - {{hash: {o}, expiresAt: {until}}}\n",
            h = hash_of(&shared),
            o = hash_of(&own),
            third = hash_of(&third),
        ));
        let out = verify(&env, &shared, &[]);
        out.code(4);
        assert!(
            out.stderr
                .starts_with("rejected: ambiguous token: keys 'old' and 'new' share this secret"),
            "{until}: {}",
            out.stderr
        );
        assert_eq!(
            verify(&env, &own, &[]).success().stdout,
            "valid: key 'self', permissions: (none)\n"
        );
        verify(&env, &third, &[]).success();
        // check reports the pair, with where the second key is.
        let check = env.run(&["check"]);
        check.code(7);
        assert!(
            check
                .stdout
                .contains(":7:3: key 'new' has the same hash as key 'old'"),
            "{}",
            check.stdout
        );
    }
}

#[test]
fn list_show_and_check_point_out_keys_that_share_a_secret() {
    let env = TestEnv::new();
    let shared = token("tk", &"ef".repeat(32));
    env.write(format!(
        "apiKeys:\n  a:\n    hash: {h}\n  b:\n    hash: {h}\n  c:\n    hash: {h}\n  solo:\n    hash: {s}\n",
        h = hash_of(&shared),
        s = hash_of(&stranger_token())
    ));
    let warning = "warning: keys share a secret, so it is refused as ambiguous for all of them: 'a' (with 'b', 'c'), 'b' (with 'a', 'c'), 'c' (with 'a', 'b'); rotate all but one of each group (without --grace)\n";
    let table = env.run(&["list"]);
    table.success();
    assert_eq!(table.stderr, warning);
    for name in ["a", "b", "c"] {
        assert!(
            table.stdout.contains(&format!("{name} (shared secret) ")),
            "{}",
            table.stdout
        );
    }
    assert!(!table.stdout.contains("solo (shared"), "{}", table.stdout);

    let list = env.run(&["list", "--format", "json"]);
    assert_eq!(list.success().stderr, warning);
    let list = list.json();
    let shares = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .unwrap()["sharesSecretWith"]
            .clone()
    };
    assert_eq!(shares("a"), serde_json::json!(["b", "c"]));
    assert_eq!(shares("c"), serde_json::json!(["a", "b"]));
    assert_eq!(shares("solo"), serde_json::json!([]));

    let show = env.run(&["show", "b"]);
    show.success();
    assert!(
        show.stdout
            .contains("shared with: a, c (its token is refused as ambiguous)\n"),
        "{}",
        show.stdout
    );
    assert!(
        show.stderr.contains("'b' (with 'a', 'c')"),
        "{}",
        show.stderr
    );
    assert_eq!(
        env.run(&["show", "solo", "--format", "json"])
            .success()
            .json()["sharesSecretWith"],
        serde_json::json!([])
    );
    let check = env.run(&["check"]);
    check.code(7);
    assert!(
        check
            .stdout
            .contains("key 'b' has the same hash as key 'a'")
    );
    assert!(
        check
            .stdout
            .contains("key 'c' has the same hash as key 'b'")
    );
    assert!(
        verify(&env, &shared, &[])
            .code(4)
            .stderr
            .contains("keys 'a', 'b' and 'c' share this secret")
    );
}

#[test]
fn thousands_of_keys_with_one_secret_are_refused_quickly_naming_a_few() {
    let env = TestEnv::new();
    let shared = token("tk", &"99".repeat(32));
    let hash = hash_of(&shared);
    let n = 15_000;
    let mut text = String::from("apiKeys:\n");
    for i in 0..n {
        text.push_str(&format!("  k{i}:\n    hash: {hash}\n"));
    }
    env.write(&text);
    let started = Instant::now();
    let out = verify(&env, &shared, &[]);
    out.code(4);
    assert_eq!(
        out.stderr,
        format!(
            "rejected: ambiguous token: keys 'k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9' and {} more share this secret, so it is refused for all of them; rotate all but one of them (without --grace)\n",
            n - 10
        )
    );
    let json = verify(&env, &shared, &["--format", "json"]).json();
    assert_eq!(json["keys"].as_array().unwrap().len(), 10);
    let list = env.run(&["list", "--format", "json"]);
    list.success();
    assert!(
        list.stderr.ends_with(&format!(
            "'k10004' (with 'k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9'), {} more; rotate all but one of each group (without --grace)\n",
            n - 10
        )),
        "{}",
        &list.stderr[list.stderr.len().saturating_sub(300)..]
    );
    let list = list.json();
    assert_eq!(
        list[0]["sharesSecretWith"].as_array().unwrap().len(),
        10,
        "{}",
        list[0]
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

// ---- far-future expiries ----

#[test]
fn far_future_sentinel_expiries_load_and_read_back_as_written() {
    let env = TestEnv::new();
    let never = token("tk", &"0f".repeat(32));
    let old = token("tk", &"1f".repeat(32));
    let west = token("tk", &"2f".repeat(32));
    let text = format!(
        "apiKeys:\n  never:\n    permissions: [dns:read]\n    hash: {}\n    createdAt: 2026-01-01T00:00:00Z\n    expiresAt: 9999-12-31T23:59:59Z\n    previousHashes:\n      - hash: {}\n        expiresAt: 9999-12-31T23:00:00Z\n  west:\n    hash: {}\n    expiresAt: 9999-12-31T23:59:59-05:00\n",
        hash_of(&never),
        hash_of(&old),
        hash_of(&west)
    );
    env.write(&text);
    env.run(&["check", "--warn-expiring", "30d"]).success();
    assert_eq!(
        verify(&env, &never, &[]).success().stdout,
        "valid: key 'never', permissions: dns:read\n"
    );
    verify(&env, &old, &[]).success();
    verify(&env, &west, &[]).success();

    let list = env.run(&["list", "--format", "json"]).success().json();
    let key = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(key("never")["expiresAt"], "9999-12-31T23:59:59Z");
    assert_eq!(key("never")["status"], "active");
    assert_eq!(key("never")["expired"], false);
    assert_eq!(
        key("never")["previousSecrets"][0]["expiresAt"],
        "9999-12-31T23:00:00Z"
    );
    // The same instant, which is in year 10000 in UTC: kept in 9999 by its offset.
    assert_eq!(key("west")["expiresAt"], "9999-12-31T23:59:59-05:00");
    let table = env.run(&["list"]).success().stdout.clone();
    assert!(table.contains(" in 7973 years "), "{table}");
    let show = env.run(&["show", "never"]).success().stdout.clone();
    assert!(
        show.contains("expires:     9999-12-31T23:59:59Z (in 7973 years)"),
        "{show}"
    );
    assert!(show.contains("valid until 9999-12-31T23:00:00Z"), "{show}");
    let yaml = env
        .run(&["show", "never", "--format", "yaml"])
        .success()
        .stdout
        .clone();
    assert!(yaml.contains("9999-12-31T23:59:59Z"), "{yaml}");
    assert!(env.run(&["list", "--expired"]).success().stdout.is_empty());

    // Writes keep them, and write them as given.
    env.run(&["update", "never", "--description", "forever"])
        .success();
    assert_eq!(
        env.read(),
        text.replacen("  west:\n", "    description: forever\n  west:\n", 1)
    );
    env.run(&["update", "west", "--expires", "9999-12-31T23:59:59Z"])
        .success();
    assert!(
        env.read()
            .ends_with("    expiresAt: 9999-12-31T23:59:59Z\n")
    );
    let created = env
        .run(&[
            "create",
            "k",
            "--expires",
            "9999-12-31T23:59:59Z",
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(created["expiresAt"], "9999-12-31T23:59:59Z");
    let dated = env
        .run(&["create", "d", "--expires", "9999-12-31", "--format", "json"])
        .success()
        .json();
    assert_eq!(dated["expiresAt"], "9999-12-31T00:00:00Z");
    env.run(&["delete", "d", "--yes"]).success();
    assert!(
        env.read()
            .ends_with("    expiresAt: 9999-12-31T23:59:59Z\n")
    );
    // apply sees the same instant as no change.
    let desired = env.dir.path().join("desired.yml");
    std::fs::write(&desired, "never:\n  expiresAt: 9999-12-31T23:59:59Z\n").unwrap();
    let applied = env
        .run(&["apply", "-f", desired.to_str().unwrap(), "--format", "json"])
        .success()
        .json();
    assert_eq!(applied["changed"], false);
}

// ---- the usage file ----

#[test]
fn a_hostile_usage_file_is_read_fast_with_limits_and_never_breaks_a_read() {
    let env = TestEnv::new();
    let secret = env.create("ci", &["-p", "dns:read"]);
    let usage = env.file().with_file_name("security.usage.yml");
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..40 {
        let prev = if i == 1 {
            "a".to_string()
        } else {
            format!("b{}", i - 1)
        };
        bomb.push_str(&format!("b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let cases: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
        // serde_yaml took 49 s on this while holding the usage lock.
        (
            "200 KB of nested brackets",
            "[".repeat(200_000).into_bytes(),
            Some("security.usage.yml:1:"),
        ),
        (
            "200 KB of nested mappings",
            "{a: ".repeat(50_000).into_bytes(),
            Some("security.usage.yml:1:"),
        ),
        // Read fast, and its 40 entries (lists, not records) skipped aloud.
        (
            "an alias bomb",
            bomb.into_bytes(),
            Some("ignoring 40 usage records without a name and an RFC 3339 lastUsedAt"),
        ),
        (
            "a list",
            b"- 1\n- 2\n".to_vec(),
            Some("is not a mapping of key name to lastUsedAt/lastUsedFrom"),
        ),
        (
            "bad YAML",
            b"ci: {lastUsedAt: [\n".to_vec(),
            Some("security.usage.yml:"),
        ),
        (
            "a NUL byte",
            b"ci:\n  lastUsedAt: 2026\0\n".to_vec(),
            Some("NUL"),
        ),
        (
            "not UTF-8",
            b"ci:\n  lastUsedFrom: \xff\xfe\n".to_vec(),
            Some("UTF-8"),
        ),
        (
            "a control character",
            b"ci:\n  lastUsedAt: \x1b[31m\n".to_vec(),
            Some("U+001B"),
        ),
    ];
    for (what, bytes, warning) in cases {
        std::fs::write(&usage, &bytes).unwrap();
        for args in [
            vec!["list"],
            vec!["show", "ci"],
            vec!["list", "--format", "json"],
        ] {
            let started = Instant::now();
            let out = env.run(&args);
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "{what}: {args:?} took {:?}",
                started.elapsed()
            );
            out.success();
            assert!(out.stdout.contains("ci"), "{what}: {}", out.stdout);
            match warning {
                Some(w) => {
                    out.stderr_has("warning: ")
                        .stderr_has("ignoring")
                        .stderr_has(w);
                }
                None => assert_eq!(out.stderr, "", "{what}"),
            }
        }
        let started = Instant::now();
        let out = verify(&env, &secret, &["--record"]);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{what}: verify --record"
        );
        assert_eq!(
            out.success().stdout,
            "valid: key 'ci', permissions: dns:read\n"
        );
        // Entries skipped for their shape do not stop a record; a file that cannot be read
        // is not overwritten: the use is not recorded.
        if let Some(w) = warning.filter(|w| !w.starts_with("ignoring")) {
            out.stderr_has("warning: this use was not recorded: ")
                .stderr_has(w);
            assert_eq!(std::fs::read(&usage).unwrap(), bytes, "{what}");
        }
    }
}

#[test]
fn an_oversized_or_unreadable_usage_file_is_ignored_with_a_warning() {
    let env = TestEnv::new();
    let secret = env.create("ci", &[]);
    let usage = env.file().with_file_name("security.usage.yml");
    // Sparse: 65 MiB that take no space; refused by its size before reading.
    std::fs::File::create(&usage)
        .unwrap()
        .set_len(65 * 1024 * 1024)
        .unwrap();
    let out = env.run(&["list"]);
    out.success().stderr_has("larger than 64 MiB");
    verify(&env, &secret, &["--record"])
        .success()
        .stderr_has("warning: this use was not recorded: ");
    // A folder where the file should be.
    std::fs::remove_file(&usage).unwrap();
    std::fs::create_dir(&usage).unwrap();
    env.run(&["show", "ci"])
        .success()
        .stderr_has("warning: ignoring usage records: ");
    let out = verify(&env, &secret, &["--record"]);
    assert_eq!(
        out.success().stdout,
        "valid: key 'ci', permissions: (none)\n"
    );
    out.stderr_has("warning: this use was not recorded: ")
        .stderr_has("is a folder");
}

#[test]
fn a_usage_file_as_servers_write_it_is_still_joined_in() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    env.create("web", &[]);
    std::fs::write(
        env.file().with_file_name("security.usage.yml"),
        "# written by a server\nci:\n  lastUsedAt: '2026-11-21T10:00:00Z'\n  lastUsedFrom: 2001:db8::1\nweb: {lastUsedAt: 2026-11-22T09:00:00Z}\nbroken: 3\nother:\n  lastUsedAt: not-a-time\n",
    )
    .unwrap();
    let list = env.run(&["list", "--format", "json"]);
    // The two entries of the wrong shape are skipped, and said so; the others are joined in.
    list.success()
        .stderr_has("ignoring 2 usage records without a name and an RFC 3339 lastUsedAt");
    let list = list.json();
    assert_eq!(list[0]["name"], "web");
    assert_eq!(list[0]["lastUsedAt"], "2026-11-22T09:00:00Z");
    assert_eq!(list[1]["lastUsedAt"], "2026-11-21T10:00:00Z");
    assert_eq!(list[1]["lastUsedFrom"], "2001:db8::1");
}

// ---- a mistyped token ----

#[test]
fn a_token_with_a_known_prefix_but_not_its_form_is_malformed_and_says_where() {
    let env = TestEnv::new();
    env.write("tokenPrefix: acme\napiKeys:\n");
    let secret = env.create("ci", &[]);
    assert!(secret.starts_with("acme_"));
    let body = &secret[5..];
    let replace = |at: usize, with: &str| {
        let mut t = secret.clone();
        t.replace_range(at - 1..at, with);
        t
    };
    let first_letter = 6 + body.find(|c: char| c.is_ascii_lowercase()).unwrap();
    let expect = |pos: usize, kind: &str| {
        format!(
            "malformed token: character {pos} is {kind}; after 'acme_' come 72 lowercase hex digits (0-9, a-f)"
        )
    };
    let cases = [
        (
            format!("acme_{}", body.to_uppercase()),
            expect(first_letter, "an uppercase letter (tokens are lowercase)"),
        ),
        (replace(20, "g"), expect(20, "a letter that is not a hex digit")),
        (replace(6, "-"), expect(6, "a symbol, not a hex digit")),
        (replace(77, "é"), expect(77, "not ASCII")),
        (
            secret[..secret.len() - 1].to_string(),
            "malformed token: 71 characters follow 'acme_', not 72 (cut short?)".into(),
        ),
        (
            format!("{secret}0"),
            "malformed token: 73 characters follow 'acme_', not 72 (something added?)".into(),
        ),
        (
            format!("{secret}."),
            "malformed token: 73 characters follow 'acme_', not 72 (something added?), and character 78 is a symbol, not a hex digit".into(),
        ),
        (
            "acme_".into(),
            "malformed token: 0 characters follow 'acme_', not 72 (cut short?)".into(),
        ),
        (
            replace(30, if &secret[29..30] == "0" { "1" } else { "0" }),
            "malformed token: its check digits do not match (mistyped or cut short)".into(),
        ),
        // tk, the default prefix, is always known.
        (
            format!("tk_{}", &body[..71]),
            "malformed token: 71 characters follow 'tk_', not 72 (cut short?)".into(),
        ),
        // Another prefix: only the scanners' full form is checked before the lookup.
        (
            token("zz", &"9".repeat(64)).replace("zz_9", "zz_8"),
            "malformed token: its check digits do not match (mistyped or cut short)".into(),
        ),
        (
            format!("zz_{}", &body[..40]),
            "unknown token: no key in this file has this secret".into(),
        ),
        (
            stranger_token(),
            "unknown token: no key in this file has this secret".into(),
        ),
    ];
    for (input, why) in cases {
        let out = verify(&env, &input, &[]);
        out.code(4).stdout_empty();
        assert_eq!(out.stderr, format!("rejected: {why}\n"), "{input:?}");
        assert!(!out.stderr.contains(&body[10..30]), "no secret in messages");
        let json = verify(&env, &input, &["--format", "json"]).json();
        let reason = if why.starts_with("malformed") {
            "malformed"
        } else {
            "unknown"
        };
        assert_eq!(json["reason"], reason, "{input:?}");
        assert_eq!(json["status"], 401);
    }
    verify(&env, &secret, &[]).success();
    // An imported secret that starts like a token but is not one could never verify.
    let before = env.bytes();
    let out = env.run_with(
        &["create", "imported", "--secret-stdin"],
        &format!("acme_{}", "a".repeat(40)),
    );
    out.code(2).stdout_empty();
    out.stderr_has("starts like a tokenctl token but is not one")
        .stderr_has("40 characters follow 'acme_'");
    assert_eq!(env.bytes(), before);
    env.run_with(
        &["create", "imported", "--secret-stdin"],
        "an-imported-secret-of-at-least-32-characters",
    )
    .success();
}

// ---- path prefixes ----

const NOT_ASCII: &str =
    "it holds an encoded byte that is not ASCII (%80 to %FF), which servers decode differently";

#[test]
fn a_path_prefix_ends_at_a_segment_boundary_and_refuses_paths_that_are_not_normalised() {
    let env = TestEnv::new();
    let zone = env.create("zone", &["--path-prefix", "/dns/example.com"]);
    let dir = env.create("dir", &["--path-prefix", "/dns/"]);
    let exact = env.create("exact", &["--path-prefix", "=/health"]);
    let any = env.create("any", &[]);
    let ok = |token: &str, path: &str| {
        let out = verify(&env, token, &["--path", path]);
        assert_eq!(out.code, 0, "{path:?} should be allowed: {}", out.stderr);
    };
    let outside = |token: &str, key: &str, path: &str| {
        let out = verify(&env, token, &["--path", path]);
        out.code(5).stdout_empty();
        assert_eq!(
            out.stderr,
            format!("forbidden: key '{key}' is not allowed on path {path}\n"),
            "{path:?}"
        );
    };
    let refused = |token: &str, key: &str, path: &str, why: &str| {
        let out = verify(&env, token, &["--path", path]);
        out.code(5).stdout_empty();
        assert_eq!(
            out.stderr,
            format!(
                "forbidden: key '{key}' is restricted to a path prefix and the path {path:?} is not normalised: {why}\n"
            ),
            "{path:?}"
        );
        let json = verify(&env, token, &["--path", path, "--format", "json"]).json();
        assert_eq!(json["reason"], "path");
        assert_eq!(json["status"], 403);
    };
    for path in [
        "/dns/example.com",
        "/dns/example.com/",
        "/dns/example.com/www",
        "/dns/example.com/a;b=c",
        "/dns/example.com/.x",
        "/dns/example.com/%41%7A%30%2D%5F%7e",
    ] {
        ok(&zone, path);
    }
    for path in [
        "/dns/example.com.evil.org",
        "/dns/example.comX",
        "/dns/example.com;x",
        "/dns/example.co",
        "/DNS/example.com",
        "/dns",
        "/",
    ] {
        outside(&zone, "zone", path);
    }
    let dots = "it holds a '..' segment";
    for (path, why) in [
        ("/dns/example.com/../admin", dots),
        ("/dns/example.com/..", dots),
        ("/dns/example.com/..;/admin", dots),
        (
            "/dns/example.com/...",
            "it holds a segment of dots only ('...')",
        ),
        (
            "/dns/example.com/..%20/admin",
            "it holds an encoded character other than a letter, a digit, '-', '_' or '~' (%20, %3B, %3F, %23...)",
        ),
        (
            "/dns/example.com/a%3Bb",
            "it holds an encoded character other than a letter, a digit, '-', '_' or '~' (%20, %3B, %3F, %23...)",
        ),
        (
            "/dns/example.com/a%3f",
            "it holds an encoded character other than a letter, a digit, '-', '_' or '~' (%20, %3B, %3F, %23...)",
        ),
        (
            "/dns/example.com/a%23",
            "it holds an encoded character other than a letter, a digit, '-', '_' or '~' (%20, %3B, %3F, %23...)",
        ),
        ("/dns/example.com/./x", "it holds a '.' segment"),
        ("/dns/example.com/.", "it holds a '.' segment"),
        ("/dns/example.com//x", "it holds an empty segment (//)"),
        ("/dns/example.com/x//", "it holds an empty segment (//)"),
        (
            "/dns/example.com%2F..%2Fadmin",
            "it holds %2F, an encoded /",
        ),
        (
            "/dns/example.com/%2e%2e/admin",
            "it holds %2E, an encoded .",
        ),
        ("/dns/example.com/%2E", "it holds %2E, an encoded ."),
        (
            "/dns/example.com/%252e%252e",
            "it holds %25, an encoded % (encoded twice?)",
        ),
        (
            "/dns/example.com/%5c..",
            "it holds %5C, an encoded backslash",
        ),
        (
            "/dns/example.com/%00",
            "it holds an encoded control character",
        ),
        ("/dns/example.com/%c0%ae%c0%ae/admin", NOT_ASCII),
        ("/dns/example.com/%EF%BC%8E%EF%BC%8E/admin", NOT_ASCII),
        (
            "/dns/example.com/%2",
            "it holds a '%' that is not followed by two hex digits",
        ),
        (
            "/dns/example.com/%zz",
            "it holds a '%' that is not followed by two hex digits",
        ),
        (
            "/dns/example.com\\..\\admin",
            "it holds a backslash, which some servers read as /",
        ),
        (
            "/dns/example.com?x=1",
            "it holds '?': give the path without its query",
        ),
        (
            "/dns/example.com/#top",
            "it holds '#': give the path without its fragment",
        ),
        (
            "/dns/example.com/ a",
            "it holds a space, a control character or a character that is not ASCII",
        ),
        (
            "/dns/example.com/\u{ff0e}\u{ff0e}/admin",
            "it holds a space, a control character or a character that is not ASCII",
        ),
        (
            "/dns/example.com/\u{1b}[31m",
            "it holds a space, a control character or a character that is not ASCII",
        ),
        ("", "it is empty"),
        ("dns/example.com", "it does not start with /"),
    ] {
        refused(&zone, "zone", path, why);
    }
    // A prefix ending in / grants what follows it, not the folder itself.
    ok(&dir, "/dns/");
    ok(&dir, "/dns/x/y");
    outside(&dir, "dir", "/dns");
    outside(&dir, "dir", "/dnsx/");
    refused(&dir, "dir", "/dns/../admin", dots);
    // =/x grants exactly /x.
    ok(&exact, "/health");
    outside(&exact, "exact", "/health/");
    outside(&exact, "exact", "/health/x");
    refused(&exact, "exact", "/health/..", dots);
    // A key without a pathPrefix is not restricted by path at all.
    ok(&any, "/anything/../at/all");
    ok(&any, "");
}

/// Origin: the independent review of the CLI written against the README (was review.rs).
#[test]
fn usage_records_of_the_wrong_shape_are_ignored_with_a_warning() {
    let env = TestEnv::new();
    env.create("a", &[]);
    let usage = env.file().with_file_name("security.usage.yml");
    fs::write(
        &usage,
        "a:\n  lastUsedAt: 2026-11-20T10:00:00Z\nevil:\n  lastUsedAt: notatime\nworse: [1, 2]\n",
    )
    .unwrap();
    let out = env.run(&["list", "--format", "json"]);
    out.success()
        .stderr_has("ignoring 2 usage records without a name and an RFC 3339 lastUsedAt");
    assert_eq!(out.json()[0]["lastUsedAt"], "2026-11-20T10:00:00Z");
}

/// Origin: found by the differential test or fuzz/edit (was found.rs).
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

/// Origin: found by the differential test or fuzz/edit (was found.rs).
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

/// Origin: found by the differential test or fuzz/edit (was found.rs).
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
