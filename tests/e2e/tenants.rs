//! `list --all-tenants` and `check --all-tenants` over several tenants, one of them broken;
//! the audit filters `--permission` and `--unrestricted`, alone and across tenants.

use crate::support::env::*;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

/// Tenants acme, beta and zeta made through the CLI at NOW; `broken` holds invalid YAML.
fn tenants(env: &TestEnv) {
    let t = |tenant: &str, args: &[&str]| {
        let mut all = vec!["--tenant", tenant, "create"];
        all.extend_from_slice(args);
        all.extend(["-q", "--new-tenant"]);
        env.run(&all).success();
    };
    t(
        "acme",
        &["ci", "--permission", "dns:write", "--expires", "3d"],
    );
    t("acme", &["admin", "--permission", "*"]);
    t(
        "acme",
        &[
            "grafana",
            "--permission",
            "dns:read",
            "--allow-ip",
            "10.0.0.0/8",
        ],
    );
    t(
        "beta",
        &[
            "dns-all",
            "--permission",
            "dns:*",
            "--resource",
            "example.com",
        ],
    );
    t("beta", &["old", "--permission", "dns:write", "--disabled"]);
    t(
        "zeta",
        &["web", "--permission", "web:read", "--path-prefix", "/web"],
    );
    t("zeta", &["legacy", "--expires", "1h"]);
    let broken = env.root().join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("security.yml"), "apiKeys:\n  a: [\n").unwrap();
    // Not tenants: a folder without a security.yml and a stray file.
    std::fs::create_dir_all(env.root().join("scratch")).unwrap();
    std::fs::write(env.root().join("notes.txt"), "").unwrap();
}

fn names(out: &Output) -> Vec<(String, String)> {
    out.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["tenant"].as_str().unwrap().to_string(),
                k["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn list_all_tenants_lists_every_tenant_in_name_order_and_reports_the_broken_one() {
    let env = TestEnv::new();
    tenants(&env);
    let out = env.run(&["list", "--all-tenants"]);
    out.code(1)
        .stderr_has("error: tenant 'broken': ")
        .stderr_has("broken/security.yml:3:1: ")
        .stderr_has("1 of 4 tenants did not load (see above); the others are listed");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with(" TENANT  NAME     STATUS    PERMISSIONS"),
        "{}",
        out.stdout
    );
    let rows: Vec<(String, String)> = lines[1..]
        .iter()
        .map(|l| {
            let mut w = l.split_whitespace();
            (w.next().unwrap().into(), w.next().unwrap().into())
        })
        .collect();
    assert_eq!(
        rows,
        pairs(&[
            ("acme", "admin"),
            ("acme", "ci"),
            ("acme", "grafana"),
            ("beta", "dns-all"),
            ("beta", "old"),
            ("zeta", "legacy"),
            ("zeta", "web"),
        ])
    );
    // --names: `tenant<TAB>name` a line, for scripts.
    let out = env.run(&["list", "--all-tenants", "--names", "--disabled"]);
    out.code(1);
    assert_eq!(out.stdout, "beta\told\n");
    // JSON: `tenant` first, then list's fields.
    let out = env.run(&["--format", "json", "list", "--all-tenants"]);
    out.code(1);
    assert!(
        out.stdout
            .starts_with("[\n  {\n    \"tenant\": \"acme\",\n    \"name\": \"admin\","),
        "{}",
        out.stdout
    );
    let json = out.json();
    let first = json[0].as_object().unwrap();
    assert_eq!(first["permissions"], serde_json::json!(["*"]));
    // Without the broken tenant: exit 0. The env's TOKENCTL_TENANT is ignored.
    std::fs::remove_dir_all(env.root().join("broken")).unwrap();
    let out = env.run(&["--format", "json", "list", "--all-tenants"]);
    out.success();
    assert_eq!(names(&out).len(), 7);
}

#[test]
fn every_filter_of_list_works_across_tenants() {
    let env = TestEnv::new();
    tenants(&env);
    std::fs::remove_dir_all(env.root().join("broken")).unwrap();
    let q = |args: &[&str]| {
        let mut all = vec!["--format", "json", "list", "--all-tenants"];
        all.extend_from_slice(args);
        let out = env.run(&all);
        out.success();
        names(&out)
    };
    // Keys that grant dns:write: exactly, by `*`, by `dns:*`; a disabled one too.
    assert_eq!(
        q(&["--permission", "dns:write"]),
        pairs(&[
            ("acme", "admin"),
            ("acme", "ci"),
            ("beta", "dns-all"),
            ("beta", "old"),
        ])
    );
    assert_eq!(
        q(&["--permission", "dns:write", "--enabled"]),
        pairs(&[("acme", "admin"), ("acme", "ci"), ("beta", "dns-all")])
    );
    assert_eq!(q(&["--permission", "*"]), pairs(&[("acme", "admin")]));
    assert_eq!(
        q(&["--permission", "web:read"]),
        pairs(&[("acme", "admin"), ("zeta", "web")])
    );
    // No allowedIps, pathPrefix or resources.
    assert_eq!(
        q(&["--unrestricted"]),
        pairs(&[
            ("acme", "admin"),
            ("acme", "ci"),
            ("beta", "old"),
            ("zeta", "legacy"),
        ])
    );
    assert_eq!(
        q(&["--unrestricted", "--permission", "*"]),
        pairs(&[("acme", "admin")])
    );
    assert_eq!(
        q(&["--expiring-within", "7d"]),
        pairs(&[("acme", "ci"), ("zeta", "legacy")])
    );
    assert_eq!(q(&["--disabled"]), pairs(&[("beta", "old")]));
    assert_eq!(q(&["--unused-since", "1d"]).len(), 7);
    // Two hours later, the one-hour key has expired.
    let out = env
        .cmd()
        .env("TOKENCTL_NOW", "2026-11-22T12:00:00Z")
        .args(["--format", "json", "list", "--all-tenants", "--expired"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["tenant"], "zeta");
    assert_eq!(json[0]["name"], "legacy");
    assert_eq!(json.as_array().unwrap().len(), 1);
    // Usage joins in per tenant: a key used recently is not "unused".
    let beta = env
        .run(&["--tenant", "beta", "create", "used", "-q"])
        .success()
        .secret();
    env.run_with(&["--tenant", "beta", "verify", "--record"], &beta)
        .success();
    assert!(!q(&["--unused-since", "1d"]).contains(&("beta".into(), "used".into())));
    // The same filters on one tenant.
    let out = env.run(&["--format", "json", "list", "--permission", "dns:read"]);
    out.success();
    let one: Vec<String> = out
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(one, ["admin", "grafana"]);
    let out = env.run(&["list", "--unrestricted", "--permission", "dns:read"]);
    out.success();
    assert!(out.stdout.contains(" admin ") && !out.stdout.contains("grafana"));
    // A malformed scope is a usage error, before any file is read.
    env.run(&["list", "--all-tenants", "--permission", "dns read"])
        .code(2)
        .stderr_has("invalid permission");
}

#[test]
fn check_all_tenants_reports_each_file_s_problems_with_their_position() {
    let env = TestEnv::new();
    tenants(&env);
    let out = env.run(&["check", "--all-tenants", "--warn-expiring", "7d"]);
    out.code(7);
    let root = env.root();
    let file = |t: &str| root.join(t).join("security.yml").display().to_string();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    assert!(
        lines[0].starts_with(&format!(
            "{}:3:3: warning: key 'ci' expires in 3 days (",
            file("acme")
        )),
        "{}",
        out.stdout
    );
    assert!(
        lines[1].starts_with(&format!("{}:3:1: ", file("broken"))),
        "{}",
        out.stdout
    );
    assert!(lines[2].starts_with(&format!("{}: the file is readable", file("broken"))));
    assert!(
        lines[3].starts_with(&format!("{}:", file("zeta")))
            && lines[3].contains("key 'legacy' expires")
    );
    out.stderr_has(": 4 tenants checked (7 keys): 2 problems in 1 tenant\n");
    // --strict counts the warnings.
    env.run(&[
        "check",
        "--all-tenants",
        "--warn-expiring",
        "7d",
        "--strict",
    ])
    .code(7)
    .stderr_has(": 4 tenants checked (7 keys): 4 problems in 3 tenants");
    // JSON: one report per tenant, with its tenant.
    let out = env.run(&["--format", "json", "check", "--all-tenants"]);
    out.code(7);
    let reports = out.json();
    let summary: Vec<(String, bool, u64)> = reports
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["tenant"].as_str().unwrap().to_string(),
                r["ok"].as_bool().unwrap(),
                r["keys"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("acme".to_string(), true, 3),
            ("beta".to_string(), true, 2),
            ("broken".to_string(), false, 0),
            ("zeta".to_string(), true, 2),
        ]
    );
    // Fixed: ok, exit 0.
    std::fs::remove_dir_all(env.root().join("broken")).unwrap();
    let out = env.run(&["check", "--all-tenants"]);
    out.success()
        .stdout_empty()
        .stderr_has(": 3 tenants checked (7 keys): ok");
    // No such root: a message naming --root, exit 1. A path with --all-tenants: usage.
    let out = env.run(&["--root", "nowhere", "check", "--all-tenants"]);
    out.code(1)
        .stderr_has("nowhere: no such folder")
        .stderr_has("--root DIR");
    env.run(&["check", "--all-tenants", "x.yml"]).code(2);
    env.run(&["--root", "nowhere", "list", "--all-tenants"])
        .code(1);
}

/// A write that would create a new tenant's file needs --new-tenant, except the first tenant
/// of a root named by --root or TOKENCTL_ROOT: a mistyped tenant fails (exit 1, the path,
/// the nearest tenant) and creates nothing, with `create`, `apply` and `apply --dry-run`.
#[test]
fn a_new_tenant_needs_new_tenant_except_the_first_under_a_named_root() {
    let env = TestEnv::new();
    // The first tenant under TOKENCTL_ROOT: allowed.
    env.run(&["create", "ci", "-q"]).success().secret();
    let before = env.bytes();
    let typo = env.root().join("acmee/security.yml");
    for args in [
        &["--tenant", "acmee", "create", "deploy", "-q"][..],
        &["--tenant", "acmee", "apply", "-f", "-"][..],
        &["--tenant", "acmee", "apply", "-f", "-", "--dry-run"][..],
    ] {
        let out = env.run_with(args, "deploy:\n  permissions: [dns:read]\n");
        out.code(1);
        assert_eq!(out.stdout, "", "no secret for a tenant no server reads");
        assert_eq!(
            out.stderr,
            format!(
                "error: {}: no such tenant (--tenant acmee under TOKENCTL_ROOT={}); did you \
                 mean --tenant acme? To create tenant 'acmee', add --new-tenant\n",
                typo.display(),
                env.root().display()
            ),
            "{args:?}"
        );
        assert!(!env.root().join("acmee").exists(), "{args:?}: no folder");
    }
    // Another name, far from any tenant: the tenants are listed.
    let out = env.run(&["--tenant", "beta", "create", "b", "-q"]);
    out.code(1);
    assert!(
        out.stderr
            .contains("the tenants there are acme; to create tenant 'beta', add --new-tenant"),
        "{}",
        out.stderr
    );
    // --new-tenant creates it; then it is a tenant like any other.
    env.run(&["--tenant", "beta", "create", "b", "-q", "--new-tenant"])
        .success()
        .secret();
    env.run(&["--tenant", "beta", "create", "b2", "-q"])
        .success();
    env.run_with(
        &["--tenant", "gamma", "apply", "-f", "-", "--new-tenant"],
        "g:\n  permissions: [dns:read]\n",
    )
    .success();
    assert!(env.root().join("gamma/security.yml").is_file());
    assert_eq!(env.bytes(), before, "acme untouched");
    // --file is the operator's own path: never refused.
    env.run(&["--file", "own.yml", "create", "x", "-q"])
        .success();
    assert!(env.dir.path().join("own.yml").is_file());
}

/// The default root (./tenants, neither --root nor TOKENCTL_ROOT) is no named root: even its
/// first tenant needs --new-tenant, so a run from the wrong folder creates nothing.
#[test]
fn under_the_default_root_even_the_first_tenant_needs_new_tenant() {
    let env = TestEnv::new();
    let run = |args: &[&str]| {
        env.cmd()
            .env_remove("TOKENCTL_ROOT")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["--tenant", "acme", "create", "ci", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: tenants/acme/security.yml: no such tenant (--tenant acme under --root \
         tenants); to create it, add --new-tenant, or name the root with --root DIR (or \
         TOKENCTL_ROOT) if tenants is not it\n"
    );
    assert!(!env.dir.path().join("tenants").exists());
    // The root named on the command line: the first tenant is allowed.
    let out = run(&[
        "--root", "tenants", "--tenant", "acme", "create", "ci", "-q",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(env.file().is_file());
    // Then the default root holds a tenant, and a new one still needs the flag.
    let out = run(&["--tenant", "beta", "create", "ci", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&["--tenant", "beta", "create", "ci", "-q", "--new-tenant"]);
    assert_eq!(out.status.code(), Some(0));
}

/// Origin: the independent review of the CLI written against the README (was review.rs).
#[test]
fn all_tenants_on_a_root_without_tenants_fails_rather_than_passing_empty() {
    let env = TestEnv::new();
    let empty = env.dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let root = empty.to_str().unwrap();
    for args in [
        &["--root", root, "list", "--all-tenants", "--format", "json"][..],
        &["--root", root, "check", "--all-tenants"],
        &["--root", root, "scan", "--all-tenants", "-"],
    ] {
        let out = env.run_with(args, "");
        out.code(1).stderr_has("holds no tenant").stdout_empty();
    }
    env.run(&[
        "--root",
        root,
        "list",
        "--all-tenants",
        "--format",
        "json",
        "--missing-ok",
    ])
    .success()
    .stdout_has("[]");
}

/// Origin: the independent review of the CLI written against the README (was review.rs).
///
/// A tenant folder whose file leads out of the root (or whose name tokenctl cannot address)
/// is not read: its tokens would show as unknown, so the run does not pass.
#[test]
fn all_tenants_fails_when_a_tenant_folder_is_not_read() {
    let env = TestEnv::new();
    let live = env.create("ci", &["-p", "dns:read"]);
    // Tenant acme's file, reached through tenant b's link out of the root.
    let outside = env.dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::rename(env.file(), outside.join("security.yml")).unwrap();
    fs::create_dir_all(env.root().join("a")).unwrap();
    fs::write(env.root().join("a/security.yml"), "apiKeys: {}\n").unwrap();
    fs::set_permissions(
        env.root().join("a/security.yml"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    fs::remove_dir_all(env.root().join("acme")).unwrap();
    fs::create_dir_all(env.root().join("b")).unwrap();
    symlink(
        outside.join("security.yml"),
        env.root().join("b/security.yml"),
    )
    .unwrap();
    for args in [
        &["scan", "--all-tenants", "-"][..],
        &["list", "--all-tenants"],
        &["check", "--all-tenants"],
    ] {
        let out = env.run_with(args, &live);
        out.code(1).stderr_has("error: not read ");
        assert!(!out.stdout.contains(&live[5..]) && !out.stderr.contains(&live[5..]));
    }
}
