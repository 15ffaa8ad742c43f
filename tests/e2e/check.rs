//! `check [FILE]`: a good file on any path without a tenant, every problem with file and
//! line, a file others can read, `--warn-expiring`, and stable JSON.

use crate::support::env::*;
use crate::support::hash_of;

// ---- check ----

fn good_file() -> String {
    format!(
        "# managed by ansible\nversion: 1\npermissions: [dns:read, dns:write]\napiKeys:\n  ci:\n    permissions: [dns:read]\n    hash: {}\n    expiresAt: 2026-11-25T10:00:00Z\n    allowedIps: [203.0.113.0/24]\n  web:\n    permissions: ['dns:*']\n    hash: {}\n    expiresAt: 2026-11-01T00:00:00Z\n",
        hash_of("a"),
        hash_of("b")
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
        a = hash_of("a"),
        b = hash_of("b"),
        c = hash_of("c"),
        d = hash_of("d"),
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

/// Origin: the independent review of the CLI written against the README (was review.rs).
#[test]
fn check_of_a_fifo_says_only_that_it_is_not_a_regular_file() {
    let env = TestEnv::new();
    let fifo = env.dir.path().join("security.yml");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let out = env.run(&["check", fifo.to_str().unwrap()]);
    out.code(7).stdout_has("is not a regular file");
    assert!(!out.stdout.contains("mode 0644"), "{}", out.stdout);
}

/// Issue "The fleet": a file mounted from a Kubernetes Secret or ConfigMap (behind the
/// kubelet's `..data` link, or `--k8s`) may be group-readable (defaultMode 0440), and is
/// warned of as it nears the 1 MiB that one object holds (a Secret's in base64).
#[test]
fn a_kubernetes_mounted_file_is_checked_as_one() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let env = TestEnv::new();
    env.create("ci", &["-p", "dns:read"]);
    let vol = env.dir.path().join("volume");
    let version = vol.join("..2026_12_07_00_00_00.1");
    std::fs::create_dir_all(&version).unwrap();
    std::fs::copy(env.file(), version.join("security.yml")).unwrap();
    symlink("..2026_12_07_00_00_00.1", vol.join("..data")).unwrap();
    symlink("..data/security.yml", vol.join("security.yml")).unwrap();
    let mounted = vol.join("security.yml");
    let mode = |m: u32| {
        std::fs::set_permissions(
            version.join("security.yml"),
            std::fs::Permissions::from_mode(m),
        )
        .unwrap()
    };
    mode(0o440);
    env.run(&["check", mounted.to_str().unwrap()]).success();
    mode(0o644);
    env.run(&["check", mounted.to_str().unwrap()])
        .code(7)
        .stdout_has("defaultMode: 0440");
    // Not behind such a link, group read is still a problem, unless --k8s says it will be.
    std::fs::set_permissions(env.file(), std::fs::Permissions::from_mode(0o440)).unwrap();
    env.run(&["check"]).code(7).stdout_has("chmod 600");
    env.run(&["check", "--k8s"]).success();

    // About 3,400 keys fill a Secret: warned of from 80% on, and only for Kubernetes.
    let mut text = String::from("apiKeys:\n");
    for i in 0..3000 {
        let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(format!("k{i}")));
        text.push_str(&format!(
            "  svc-{i:05}:\n    description: the job number {i} of the team in eu-west\n    permissions: [dns:read, domains:read]\n    hash: sha256:{hash}\n    createdAt: 2026-01-01T00:00:00Z\n"
        ));
    }
    let big = TestEnv::new();
    big.write(&text);
    let out = big.run(&["check", "--k8s"]);
    out.success()
        .stdout_has("of what a Kubernetes Secret holds")
        .stdout_has("more keys of this size");
    assert!(!big.run(&["check"]).success().stdout.contains("Kubernetes"));
}
