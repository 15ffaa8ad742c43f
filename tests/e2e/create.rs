//! The store and create / list / show / update / delete.

use crate::support::env::*;

#[test]
fn create_prints_the_secret_once_and_stores_only_its_hash() {
    let env = TestEnv::new();
    let out = env.run(&["create", "ci-deploy", "--permission", "dns:write"]);
    out.success().stderr_has("Created key 'ci-deploy'");
    let secret = out.secret();
    assert!(
        secret.starts_with("tk_") && secret.len() == 3 + 72,
        "{secret}"
    );
    let file = env.read();
    assert!(
        !file.contains(&secret[3..]),
        "the secret must not be in the file"
    );
    let expected_hash = {
        use sha2::Digest;
        format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(secret.as_bytes()))
        )
    };
    assert!(file.contains(&expected_hash));
    assert!(
        file.starts_with("version: 1\napiKeys:\n  ci-deploy:\n"),
        "{file}"
    );
    assert!(!out.stderr.contains(&secret));
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn the_file_is_found_by_file_env_or_tenant_and_root() {
    let env = TestEnv::new();
    // --file wins over the tenant.
    env.run(&["--file", "direct.yml", "create", "a", "--quiet"])
        .success();
    assert!(env.dir.path().join("direct.yml").exists());
    // TOKENCTL_FILE.
    let out = env
        .cmd()
        .env("TOKENCTL_FILE", "viaenv.yml")
        .args(["create", "b", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(env.dir.path().join("viaenv.yml").exists());
    // --tenant under --root, and the default root ./tenants.
    env.run(&[
        "--tenant",
        "other",
        "--root",
        "elsewhere",
        "create",
        "c",
        "--quiet",
    ])
    .success();
    assert!(env.dir.path().join("elsewhere/other/security.yml").exists());
    let out = env
        .cmd()
        .env_remove("TOKENCTL_ROOT")
        .args(["create", "d", "--quiet", "--new-tenant"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(env.dir.path().join("tenants/acme/security.yml").exists());
}

#[test]
fn bad_tenant_and_key_names_are_refused_before_anything_is_touched() {
    let long = "x".repeat(65);
    for bad in ["../x", "a/b", "a b", "", "..", ".", long.as_str()] {
        let env = TestEnv::new();
        let out = env.run(&["--tenant", bad, "create", "ok"]);
        out.code(2).stderr_has("invalid tenant name").stdout_empty();
        let out = env.run(&["create", bad]);
        out.code(2).stderr_has("invalid key name").stdout_empty();
        for cmd in ["show", "update", "delete", "rotate"] {
            env.run(&[cmd, bad, "--yes"]).code(2);
        }
        assert!(!env.root().exists(), "nothing may be created for {bad:?}");
    }
    let env = TestEnv::new();
    env.run(&["create", &"k".repeat(64), "--quiet"]).success();
}

#[test]
fn create_takes_every_definition_flag() {
    let env = TestEnv::new();
    let out = env.run(&[
        "create",
        "ci-deploy",
        "--permission",
        "dns:write",
        "-p",
        "domains:read",
        "--description",
        "GitHub Actions deploy job",
        "--expires",
        "90d",
        "--allow-ip",
        "203.0.113.0/24",
        "--allow-ip",
        "2001:db8::/32",
        "--path-prefix",
        "/api/dns",
        "--resource",
        "example.com",
        "--disabled",
    ]);
    let secret = out.success().secret();
    let hash = format!("sha256:{}", sha256_hex(secret.as_bytes()));
    assert_eq!(
        env.read(),
        format!(
            "version: 1\napiKeys:\n  ci-deploy:\n    description: GitHub Actions deploy job\n    enabled: false\n    permissions: [dns:write, domains:read]\n    hash: {hash}\n    createdAt: 2026-11-22T10:00:00Z\n    expiresAt: 2027-02-20T10:00:00Z\n    allowedIps: [203.0.113.0/24, 2001:db8::/32]\n    pathPrefix: /api/dns\n    resources: [example.com]\n"
        )
    );
}

#[test]
fn expiry_accepts_durations_dates_times_and_never() {
    let cases = [
        ("7d", Some("2026-11-29T10:00:00Z")),
        ("30d", Some("2026-12-22T10:00:00Z")),
        ("1y", Some("2027-11-22T10:00:00Z")),
        ("2027-01-01", Some("2027-01-01T00:00:00Z")),
        ("2027-01-01T12:30:00+01:00", Some("2027-01-01T11:30:00Z")),
        ("never", None),
    ];
    for (arg, stored) in cases {
        let env = TestEnv::new();
        env.create("k", &["--expires", arg]);
        match stored {
            Some(t) => assert!(
                env.read().contains(&format!("    expiresAt: {t}\n")),
                "{arg}: {}",
                env.read()
            ),
            None => assert!(!env.read().contains("expiresAt"), "{arg}"),
        }
    }
    for bad in ["tomorrow", "30", "-1d", "2027-13-01", "1.5d"] {
        let env = TestEnv::new();
        env.run(&["create", "k", &format!("--expires={bad}")])
            .code(2)
            .stderr_has("invalid expiry")
            .stdout_empty();
        assert!(!env.file().exists());
    }
}

#[test]
fn bad_cidrs_and_path_prefixes_are_usage_errors() {
    let env = TestEnv::new();
    env.run(&["create", "k", "--allow-ip", "10.0.0.0/33"])
        .code(2)
        .stderr_has("invalid address range");
    env.run(&["create", "k", "--allow-ip", "nope"]).code(2);
    env.run(&["create", "k", "--path-prefix", "api"])
        .code(2)
        .stderr_has("--path-prefix");
    env.run(&["create", "k", "--permission", "bad scope"])
        .code(2)
        .stderr_has("invalid permission");
    assert!(!env.file().exists());
    env.create(
        "k",
        &["--allow-ip", "198.51.100.7", "--path-prefix", "=/api/exact"],
    );
    assert!(env.read().contains("allowedIps: [198.51.100.7/32]"));
    assert!(env.read().contains("pathPrefix: =/api/exact"));
}

#[test]
fn secret_stdin_imports_a_provisioned_secret() {
    let env = TestEnv::new();
    let secret = "provisioned-elsewhere-0123456789abcdef";
    let out = env.run_with(
        &["create", "imported", "--secret-stdin"],
        &format!("{secret}\n"),
    );
    assert_eq!(out.success().secret(), secret);
    assert!(
        env.read()
            .contains(&format!("hash: sha256:{}", sha256_hex(secret.as_bytes())))
    );
    let out = env.run_with(
        &["create", "short", "--secret-stdin"],
        "only-31-characters-long-secret\n",
    );
    out.code(2)
        .stderr_has("it is 30 characters; an imported secret is 32 to 512 printable ASCII characters without whitespace")
        .stdout_empty();
    assert!(
        !out.stderr.contains("only-31"),
        "the secret must not be echoed"
    );
    // The same secret twice would make two keys indistinguishable.
    env.run_with(&["create", "again", "--secret-stdin"], secret)
        .code(6)
        .stderr_has("already belongs to key 'imported'");
}

#[test]
fn quiet_prints_only_the_secret_and_json_prints_a_record() {
    let env = TestEnv::new();
    let out = env.run(&["create", "a", "--quiet"]);
    out.success();
    assert_eq!(out.stderr, "");
    assert_eq!(out.stdout.lines().count(), 1);
    let out = env.run(&["create", "b", "--format", "json", "--expires", "7d"]);
    let v = out.success().json();
    let token = v["token"].as_str().unwrap();
    assert!(token.starts_with("tk_"));
    assert_eq!(v["name"], "b");
    assert_eq!(
        v["fingerprint"].as_str().unwrap(),
        &sha256_hex(token.as_bytes())[..8]
    );
    assert_eq!(v["expiresAt"], "2026-11-29T10:00:00Z");
    assert_eq!(v.as_object().unwrap().len(), 4);
}

#[test]
fn the_token_prefix_comes_from_the_file() {
    let env = TestEnv::new();
    env.write("tokenPrefix: acme\napiKeys: {}\n");
    let secret = env.create("k", &[]);
    assert!(secret.starts_with("acme_"));
    assert_eq!(secret.len(), 5 + 72);
}

#[test]
fn unknown_scopes_are_refused_when_a_catalog_exists() {
    let env = TestEnv::new();
    env.write("permissions: [dns:read, dns:write]\napiKeys:\n");
    let before = env.bytes();
    env.run(&["create", "k", "-p", "dns:wrte"])
        .code(2)
        .stderr_has("did you mean 'dns:write'");
    assert_eq!(env.bytes(), before);
    env.create("k", &["-p", "dns:*", "-p", "dns:read"]);
    env.run(&["update", "k", "--add-permission", "dns:delete"])
        .code(2)
        .stderr_has("unknown permission");
}

#[test]
fn an_existing_name_is_a_conflict() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let before = env.bytes();
    env.run(&["create", "k"])
        .code(6)
        .stderr_has("key 'k' exists")
        .stderr_has("rotate")
        .stdout_empty();
    assert_eq!(env.bytes(), before);
}

#[test]
fn list_shows_a_table_sorted_by_last_use_then_name_without_secrets() {
    let env = TestEnv::new();
    let s1 = env.create("zeta", &["-p", "dns:read"]);
    env.create_at(EARLIER, "alpha", &["--expires", "2026-11-01"]);
    env.create("mid", &["--disabled"]);
    std::fs::write(
        env.file().with_file_name("security.usage.yml"),
        "mid:\n  lastUsedAt: 2026-11-20T10:00:00Z\nzeta:\n  lastUsedAt: 2026-11-21T10:00:00Z\n  lastUsedFrom: 203.0.113.9\n",
    )
    .unwrap();
    let out = env.run(&["list"]);
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    for col in [
        "NAME",
        "FINGERPRINT",
        "STATUS",
        "PERMISSIONS",
        "LIMITS",
        "CREATED",
        "LAST USED",
        "EXPIRES",
    ] {
        assert!(lines[0].contains(col), "{}", lines[0]);
    }
    let order: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(order, ["zeta", "mid", "alpha"]);
    assert!(lines[3].contains("expired"), "{}", lines[3]);
    assert!(lines[1].contains("1 day ago"));
    assert!(!out.stdout.contains(&s1) && !out.stdout.contains("sha256:"));

    let v = env.run(&["list", "--format", "json"]).success().json();
    let rows = v.as_array().unwrap();
    assert_eq!(rows[0]["name"], "zeta");
    assert_eq!(rows[0]["lastUsedFrom"], "203.0.113.9");
    assert_eq!(rows[2]["expired"], true);
    assert!(!v.to_string().contains("sha256:"));
    let yaml = env
        .run(&["list", "--format", "yaml"])
        .success()
        .stdout
        .clone();
    assert!(yaml.contains("- name: zeta"), "{yaml}");
}

#[test]
fn list_filters() {
    let env = TestEnv::new();
    env.create_at(EARLIER, "expired", &["--expires", "2026-11-01"]);
    env.create("soon", &["--expires", "3d"]);
    env.create("later", &["--expires", "60d"]);
    env.create("off", &["--disabled"]);
    env.create("used", &[]);
    std::fs::write(
        env.file().with_file_name("security.usage.yml"),
        "used:\n  lastUsedAt: 2026-11-21T10:00:00Z\nlater:\n  lastUsedAt: 2026-09-01T10:00:00Z\n",
    )
    .unwrap();
    let names = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["list", "--format", "json"];
        a.extend_from_slice(args);
        let v = env.run(&a).success().json();
        let mut n: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&["--expired"]), ["expired"]);
    assert_eq!(names(&["--expiring-within", "7d"]), ["soon"]);
    assert_eq!(names(&["--disabled"]), ["off"]);
    assert_eq!(names(&["--enabled"]), ["expired", "later", "soon", "used"]);
    assert_eq!(
        names(&["--unused-since", "30d"]),
        ["expired", "later", "off", "soon"]
    );
    env.run(&["list", "--expiring-within", "soon"])
        .code(2)
        .stderr_has("invalid duration");
}

#[test]
fn show_prints_every_field_but_the_hash() {
    let env = TestEnv::new();
    let secret = env.create(
        "k",
        &[
            "-p",
            "dns:read",
            "--description",
            "Dashboards",
            "--expires",
            "30d",
            "--allow-ip",
            "10.0.0.0/8",
        ],
    );
    let out = env.run(&["show", "k"]);
    out.success()
        .stdout_has("Dashboards")
        .stdout_has("dns:read")
        .stdout_has("10.0.0.0/8")
        .stdout_has("(in 30 days)")
        .stdout_has("never");
    assert!(!out.stdout.contains("sha256:") && !out.stdout.contains(&secret));
    let v = env.run(&["show", "k", "--format", "json"]).success().json();
    assert_eq!(
        v["fingerprint"].as_str().unwrap(),
        &sha256_hex(secret.as_bytes())[..8]
    );
    assert_eq!(v["expiresAt"], "2026-12-22T10:00:00Z");
    assert!(v.get("hash").is_none());
    env.run(&["show", "kk"])
        .code(3)
        .stderr_has("no key named 'kk'; did you mean 'k'?")
        .stdout_empty();
}

#[test]
fn update_changes_only_what_it_is_asked() {
    let env = TestEnv::new();
    env.create("k", &["-p", "dns:read", "--description", "old"]);
    let before = env.read();
    let hash_line = before
        .lines()
        .find(|l| l.contains("hash:"))
        .unwrap()
        .to_string();

    env.run(&["update", "k", "--disable"]).success();
    let after = env.read();
    assert_eq!(
        diff_lines(&before, &after),
        vec![("    enabled: true".into(), "    enabled: false".into())]
    );
    env.run(&["update", "k", "--enable"]).success();
    assert_eq!(env.read(), before);

    env.run(&[
        "update",
        "k",
        "--add-permission",
        "dns:write",
        "--add-permission",
        "dns:read",
    ])
    .success();
    assert!(env.read().contains("permissions: [dns:read, dns:write]"));
    env.run(&["update", "k", "--remove-permission", "dns:read"])
        .success();
    assert!(env.read().contains("permissions: [dns:write]"));
    env.run(&["update", "k", "-p", "a:b", "-p", "c:d"])
        .success();
    assert!(env.read().contains("permissions: [a:b, c:d]"));
    env.run(&["update", "k", "--description", "new text: with colon"])
        .success();
    assert!(env.read().contains("description: \"new text: with colon\""));
    env.run(&["update", "k", "--expires", "2027-01-01"])
        .success();
    assert!(env.read().contains("expiresAt: 2027-01-01T00:00:00Z"));
    env.run(&["update", "k", "--expires", "never"]).success();
    assert!(!env.read().contains("expiresAt"));
    assert!(env.read().contains(&hash_line), "the hash never changes");

    env.run(&["update", "nope", "--disable"]).code(3);
    env.run(&["update", "k"])
        .code(2)
        .stderr_has("nothing to change");
    env.run(&["update", "k", "--expires", "soon"]).code(2);
}

/// Pairs of (old, new) lines that differ, for files with the same line count.
fn diff_lines(a: &str, b: &str) -> Vec<(String, String)> {
    assert_eq!(
        a.lines().count(),
        b.lines().count(),
        "line counts differ:\n{a}\n---\n{b}"
    );
    a.lines()
        .zip(b.lines())
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (x.to_string(), y.to_string()))
        .collect()
}

#[test]
fn delete_needs_yes_without_a_terminal() {
    let env = TestEnv::new();
    env.create("a", &[]);
    env.create("b", &[]);
    let before = env.bytes();
    env.run(&["delete", "a"])
        .code(2)
        .stderr_has("--yes")
        .stdout_empty();
    assert_eq!(env.bytes(), before);
    env.run(&["delete", "x", "--yes"]).code(3);
    env.run(&["delete", "a", "--yes"])
        .success()
        .stderr_has("Deleted key 'a'");
    assert!(!env.read().contains("  a:\n"));
    assert!(env.read().contains("  b:\n"));
    env.create("c", &[]);
    env.create("d", &[]);
    let v = env
        .run(&["delete", "d", "--yes", "--format", "json"])
        .success()
        .json();
    assert_eq!(v, serde_json::json!({"deleted": ["d"]}));
    env.run(&["delete", "--all"]).code(2).stderr_has("--yes");
    env.run(&["delete", "--all", "--yes"])
        .success()
        .stderr_has("Deleted 2 keys");
    assert_eq!(env.read(), "version: 1\napiKeys: {}\n");
}

#[test]
fn if_unchanged_guards_every_write() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let digest = format!("sha256:{}", sha256_hex(&env.bytes()));
    let stale = format!("sha256:{}", "0".repeat(64));
    let before = env.bytes();
    for args in [
        vec!["create", "n"],
        vec!["update", "k", "--disable"],
        vec!["delete", "k", "--yes"],
        vec!["rotate", "k"],
    ] {
        let mut a = args.clone();
        a.extend(["--if-unchanged", stale.as_str()]);
        env.run(&a)
            .code(6)
            .stderr_has("changed since")
            .stdout_empty();
        assert_eq!(env.bytes(), before);
    }
    env.run(&["update", "k", "--disable", "--if-unchanged", &digest])
        .success();
    env.run(&["update", "k", "--enable", "--if-unchanged", &digest])
        .code(6);
    env.run(&["update", "k", "--enable", "--if-unchanged", "md5:abc"])
        .code(2);
    // sha256sum's bare hex form is accepted too.
    let bare = sha256_hex(&env.bytes());
    env.run(&["update", "k", "--enable", "--if-unchanged", &bare])
        .success();
}
