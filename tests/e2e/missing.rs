//! Scripts must not silently do nothing (issue 12): a missing file or a mistyped tenant
//! fails the reading commands, naming the path, how it was chosen and the nearest tenant;
//! writing commands create the file and say so; idempotent flags (`--ignore-missing`,
//! `--if-missing`, `list --missing-ok`) and `list -q` for xargs.

use crate::support::env::TestEnv;
use std::process::Command;

#[test]
fn reading_commands_fail_on_a_mistyped_tenant_naming_the_nearest() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    let typo = env.root().join("acmee").join("security.yml");
    for (args, stdin) in [
        (&["-t", "acmee", "list"][..], ""),
        (&["-t", "acmee", "list", "--format", "json"], ""),
        (&["-t", "acmee", "show", "ci"], ""),
        (&["-t", "acmee", "verify"], "tk_0000"),
        (&["-t", "acmee", "check"], ""),
    ] {
        // The tenant on the command line, the root from TOKENCTL_ROOT.
        let out = env.cmd().args(args).write_stdin(stdin).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed data");
        let want = format!(
            "error: {}: no such file (--tenant acmee under TOKENCTL_ROOT={}); did you mean --tenant acme?",
            typo.display(),
            env.root().display()
        );
        assert!(
            stderr.starts_with(&want),
            "{args:?}:\n{stderr}\nwanted:\n{want}"
        );
    }
    assert!(
        !env.root().join("acmee").exists(),
        "reading created nothing"
    );
    // From the environment, with a relative root, as a CI job would set them.
    let out = env
        .cmd()
        .env("TOKENCTL_TENANT", "acmee")
        .env("TOKENCTL_ROOT", "tenants")
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "tenants/acmee/security.yml: no such file (TOKENCTL_TENANT=acmee under TOKENCTL_ROOT=tenants); did you mean --tenant acme?"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("--missing-ok"),
        "list names its escape hatch: {stderr}"
    );
    // A root that is not there says so.
    let out = env
        .cmd()
        .env_remove("TOKENCTL_TENANT")
        .args(["--root", "elsewhere", "-t", "acme", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "(--tenant acme under --root elsewhere); the folder elsewhere does not exist either"
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_missing_file_given_with_file_is_named_too() {
    let env = TestEnv::new();
    std::fs::write(env.dir.path().join("security.yml"), "apiKeys: {}\n").unwrap();
    env.run(&["--file", "securty.yml", "list"])
        .code(1)
        .stderr_has("securty.yml: no such file (--file securty.yml); did you mean security.yml?")
        .stdout_empty();
    env.cmd()
        .env("TOKENCTL_FILE", "/nonexistent/security.yml")
        .args(["list", "--format", "json"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicates::str::contains(
            "/nonexistent/security.yml: no such file (TOKENCTL_FILE=/nonexistent/security.yml)",
        ));
}

#[test]
fn list_missing_ok_keeps_the_empty_answer() {
    let env = TestEnv::new();
    env.run(&["list", "--missing-ok", "--format", "json"])
        .success()
        .stdout_has("[]");
    env.run(&["list", "--missing-ok"])
        .success()
        .stdout_empty()
        .stderr_has("does not exist yet");
    env.run(&["list", "--missing-ok", "-q"])
        .success()
        .stdout_empty();
    assert!(!env.file().exists());
}

#[test]
fn changing_commands_on_a_missing_file_fail_and_create_nothing() {
    let env = TestEnv::new();
    for args in [
        &["update", "ci", "--disable"][..],
        &["rotate", "ci"],
        &["delete", "ci", "--yes"],
        &["delete", "--all", "--yes"],
    ] {
        env.run(args)
            .code(1)
            .stderr_has("security.yml: no such file (TOKENCTL_TENANT=acme under TOKENCTL_ROOT=")
            .stdout_empty();
    }
    assert!(!env.root().exists(), "no folder, no lock file was made");
}

#[test]
fn writing_commands_create_the_file_and_say_so() {
    let env = TestEnv::new();
    let out = env.run(&["create", "first"]);
    out.success()
        .stderr_has(&format!("Created {}\n", env.file().display()));
    // The second write does not say it again.
    let out = env.run(&["create", "second"]);
    assert!(
        !out.success().stderr.contains("Created /"),
        "{}",
        out.stderr
    );
    // apply creates it too.
    let other = TestEnv::new();
    std::fs::write(
        other.dir.path().join("keys.yml"),
        "grafana: {permissions: [dns:read]}\n",
    )
    .unwrap();
    let out = other.run(&["apply", "-f", "keys.yml"]);
    out.success()
        .stderr_has(&format!("Created {}\n", other.file().display()));
    assert!(other.read().contains("  grafana:\n"));
}

#[test]
fn apply_dry_run_on_a_missing_file_plans_every_key_as_a_create() {
    let env = TestEnv::new();
    std::fs::write(
        env.dir.path().join("keys.yml"),
        "apiKeys:\n  a: {permissions: [dns:read]}\n  b: {enabled: false}\n",
    )
    .unwrap();
    let out = env.run(&["apply", "-f", "keys.yml", "--dry-run", "--format", "json"]);
    let v = out.code(8).json();
    assert_eq!(v["changed"], true);
    assert_eq!(v["summary"]["create"], 2);
    let actions: Vec<&str> = v["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "create"]);
    out.stderr_has(&format!(
        "{} does not exist; it would be created",
        env.file().display()
    ));
    assert!(!env.root().exists(), "a dry run creates nothing");
}

#[test]
fn delete_ignore_missing_succeeds_when_the_key_or_file_is_not_there() {
    let env = TestEnv::new();
    // No file at all.
    env.run(&["delete", "gone", "--yes", "--ignore-missing"])
        .success()
        .stdout_empty()
        .stderr_has("does not exist; nothing deleted (--ignore-missing)");
    assert!(!env.root().exists());
    env.create("keep", &[]);
    let before = env.bytes();
    env.run(&["delete", "gone", "--yes", "--ignore-missing"])
        .success()
        .stderr_has("No key named 'gone'; nothing deleted (--ignore-missing).");
    assert_eq!(env.bytes(), before, "file untouched");
    let v = env
        .run(&[
            "delete",
            "gone",
            "--yes",
            "--ignore-missing",
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(v, serde_json::json!({"deleted": []}));
    // Without the flag, still exit 3.
    env.run(&["delete", "gone", "--yes"]).code(3);
    // With it, a key that is there is deleted as usual.
    env.run(&["delete", "keep", "--yes", "--ignore-missing"])
        .success()
        .stderr_has("Deleted key 'keep'");
}

#[test]
fn create_if_missing_prints_nothing_when_the_key_exists() {
    let env = TestEnv::new();
    let secret = env.create("ci", &["-p", "dns:read"]);
    let before = env.bytes();
    let out = env.run(&["create", "ci", "-p", "dns:write", "--if-missing"]);
    out.success()
        .stdout_empty()
        .stderr_has("Key 'ci' exists already; left as it is (--if-missing).");
    env.run(&["create", "ci", "--if-missing", "--quiet"])
        .success()
        .stdout_empty();
    assert_eq!(env.bytes(), before, "the existing key is left as it is");
    assert!(env.read().contains(&format!(
        "hash: sha256:{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(secret.as_bytes()))
    )));
    // A missing key is created as without the flag.
    let s = env
        .run(&["create", "new", "--if-missing", "--quiet"])
        .success()
        .secret();
    assert!(s.starts_with("tk_"));
    // Without the flag the existing key is a conflict.
    env.run(&["create", "ci"])
        .code(6)
        .stderr_has("exists already");
}

#[test]
fn list_names_feeds_xargs_with_every_filter() {
    let env = TestEnv::new();
    env.create("old-1", &["--expires", "1h"]);
    env.create("old-2", &["--expires", "2h"]);
    env.create("live", &["--expires", "30d"]);
    env.create("off", &["--disabled"]);
    let later = "2026-11-23T10:00:00Z";
    let names = |args: &[&str]| -> String {
        let out = env
            .cmd()
            .env("TOKENCTL_NOW", later)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(out.stderr.is_empty(), "{args:?}: names only, no notice");
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(names(&["list", "-q"]), "live\noff\nold-1\nold-2\n");
    assert_eq!(names(&["list", "--names", "--expired"]), "old-1\nold-2\n");
    assert_eq!(names(&["list", "-q", "--disabled"]), "off\n");
    assert_eq!(names(&["list", "-q", "--enabled"]), "live\nold-1\nold-2\n");
    assert_eq!(names(&["list", "-q", "--expiring-within", "30d"]), "live\n");
    assert_eq!(
        names(&["list", "-q", "--unused-since", "1d"]),
        "live\noff\nold-1\nold-2\n"
    );
    assert_eq!(names(&["list", "-q", "--expired", "--disabled"]), "");
    // The README's pipeline, in a real shell: the expired keys are deleted, nothing else.
    let bin = std::path::PathBuf::from(assert_cmd::cargo::cargo_bin!("tokenctl"));
    let out = Command::new("bash")
        .args([
            "-c",
            "set -o pipefail; tokenctl list -q --expired | xargs -r tokenctl delete --yes",
        ])
        .current_dir(env.dir.path())
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.parent().unwrap().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("TOKENCTL_ROOT", env.root())
        .env("TOKENCTL_TENANT", &env.tenant)
        .env("TOKENCTL_NOW", later)
        .env("CI", "true")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(names(&["list", "-q"]), "live\noff\n");
    // With nothing expired, xargs -r runs nothing and the pipeline still succeeds.
}

/// Origin: the independent review of the CLI written against the README (was review.rs).
#[test]
fn a_tenant_given_in_the_wrong_case_is_suggested_and_a_split_m_is_kept_whole() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    env.run(&["-t", "ACME", "list"])
        .code(1)
        .stderr_has("did you mean --tenant acme?");
    env.run(&["create", "x", "--expires", "1d1m"])
        .code(2)
        .stderr_has("write 1d1mo for months or 1d1min for minutes");
}
