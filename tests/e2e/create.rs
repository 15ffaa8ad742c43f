//! `create NAME`: the secret printed once and only its hash stored, every definition flag,
//! expiry as a duration, date, time or never, `--secret-stdin`, `--quiet` and JSON, the token
//! prefix from the file, the scope catalog, a name taken, bad names refused before anything
//! is touched. Several names at once: instances.rs; the form: interactive.rs.

use crate::support::env::*;
use crate::support::sha256_hex;

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
