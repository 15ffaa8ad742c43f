//! What reports the policy (docs/FORMAT.md, "Policy") rather than enforcing it: `check`
//! (problems under enforce, warnings under warn, at each key's line and column),
//! `list --policy-violations` (a row per broken rule; `-q`; JSON; `--all-tenants`),
//! `policy show` (the tightest merge and where each rule comes from) and `diff` (changes
//! to `policy:` classified; the new file's violations listed). The writers' enforcement is
//! tests/e2e/policy.rs's.

use crate::support::env::TestEnv;

const HASH_A: &str = "sha256:2081c40f5851e730324d7c0ecbbfcf4827e34fcb9e9bdf8bc171d8eb29717775";
const HASH_B: &str = "sha256:465db1751cc847b95b00e28f20cad7ce17557bcfeb4d110492c2adaa39384de0";

/// A tenant whose own policy asks for an expiry within a year and forbids `*`, with a key
/// made before it (no expiry, `*`) and one within it.
fn tenant(enforcement: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write(format!(
        "version: 1\npolicy:\n  enforcement: {enforcement}\n  maxLifetime: 1y\n  forbiddenPermissions: [\"*\"]\napiKeys:\n  legacy:\n    permissions: [\"*\"]\n    hash: {HASH_A}\n  fine:\n    permissions: [dns:read]\n    hash: {HASH_B}\n    expiresAt: 2027-01-01T00:00:00Z\n"
    ));
    env
}

fn operator_policy(env: &TestEnv, text: &str) {
    std::fs::write(env.root().join("policy.yml"), text).unwrap();
}

#[test]
fn check_reports_a_key_that_breaks_the_policy_at_its_position() {
    let env = tenant("enforce");
    let before = env.bytes();
    let out = env.run(&["check"]);
    out.code(7);
    let file = env.file().display().to_string();
    assert_eq!(
        out.stdout,
        format!(
            "{file}:7:3: policy: key 'legacy': it never expires; policy maxLifetime 1y (from {file}): --expires 1y or sooner\n\
             {file}:7:3: policy: key 'legacy': it holds the scope '*'; policy forbiddenPermissions [*] (from {file}): give narrower scopes\n"
        )
    );
    out.stderr_has("2 problems");
    // JSON: the same, as problems.
    let v = env.run(&["check", "-o", "json"]).code(7).json();
    assert_eq!(v["problems"].as_array().unwrap().len(), 2);
    assert_eq!(v["problems"][0]["line"], 7);
    assert_eq!(env.bytes(), before, "check writes nothing");

    // Under warn: warnings, exit 0; --strict makes them fail.
    let env = tenant("warn");
    let out = env.run(&["check"]);
    out.success();
    assert!(
        out.stdout
            .contains(":7:3: warning: policy: key 'legacy': it never expires")
    );
    out.stderr_has("ok (2 keys), 2 warnings");
    env.run(&["check", "--strict"]).code(7);
}

#[test]
fn check_takes_the_operator_s_policy_and_check_path_only_policy_flag() {
    let env = TestEnv::new();
    env.write(format!(
        "apiKeys:\n  solo:\n    permissions: [dns:write]\n    hash: {HASH_A}\n    expiresAt: 2026-12-01T00:00:00Z\n"
    ));
    env.run(&["check"]).success();
    operator_policy(
        &env,
        "policy:\n  requireAllowedIpsFor: [dns:write]\n  requireDescription: true\n",
    );
    let out = env.run(&["check"]);
    out.code(7);
    assert!(
        out.stdout
            .contains("its scopes grant 'dns:write' and it has no allowedIps")
    );
    assert!(out.stdout.contains("it has no description"));
    assert!(out.stdout.contains("policy.yml): --allow-ip CIDR"));
    // A file named by PATH (Ansible's temporary copy) is judged by --policy, not the root's.
    let copy = env.dir.path().join("copy.yml");
    std::fs::copy(env.file(), &copy).unwrap();
    std::fs::set_permissions(&copy, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let copy = copy.display().to_string();
    env.run(&["check", &copy]).success();
    let root_policy = env.root().join("policy.yml").display().to_string();
    env.run(&["--policy", &root_policy, "check", &copy]).code(7);
}

#[test]
fn list_policy_violations_lists_each_broken_rule_and_names_for_scripts() {
    let env = tenant("enforce");
    let out = env.run(&["list", "--policy-violations"]);
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "a header and a row per rule:\n{}",
        out.stdout
    );
    assert!(
        lines[0]
            .split_whitespace()
            .eq(["NAME", "RULE", "PROBLEM", "FIX"])
    );
    assert!(lines[1].contains("legacy") && lines[1].contains("maxLifetime 1y"));
    assert!(lines[1].contains("--expires 1y or sooner"));
    assert!(lines[2].contains("forbiddenPermissions [*]"));
    assert!(!out.stdout.contains("fine"));
    // -q: the names, for a clean-up script.
    env.run(&["list", "--policy-violations", "-q"])
        .success()
        .stdout_has("legacy\n");
    assert_eq!(
        env.run(&["list", "--policy-violations", "-q"]).stdout,
        "legacy\n"
    );
    // JSON: the rule, the field, why and what would satisfy it; never a hash.
    let out = env.run(&["list", "--policy-violations", "-o", "json"]);
    let v = out.success().json();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["name"], "legacy");
    let rules: Vec<(&str, &str)> = v[0]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rule"].as_str().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rules,
        [
            ("maxLifetime", "expiresAt"),
            ("forbiddenPermissions", "permissions")
        ]
    );
    assert!(!out.stdout.contains("sha256:"));
    // The other filters still apply: no disabled key breaks it.
    assert_eq!(
        env.run(&["list", "--policy-violations", "--disabled", "-q"])
            .stdout,
        ""
    );
    // Every tenant: a tenant column, names as tenant<TAB>name.
    let out = env.run(&["list", "--all-tenants", "--policy-violations", "-q"]);
    assert_eq!(out.success().stdout, "acme\tlegacy\n");
    // Once the key narrows to within the policy, nothing is listed.
    env.run(&[
        "update",
        "legacy",
        "--permission",
        "dns:read",
        "--expires",
        "30d",
    ])
    .success();
    let out = env.run(&["list", "--policy-violations"]);
    out.success().stderr_has("No key breaks the policy.");
    assert_eq!(out.stdout, "");
}

#[test]
fn policy_show_gives_the_tightest_merge_and_where_each_rule_comes_from() {
    let env = tenant("warn");
    operator_policy(
        &env,
        "policy:\n  maxLifetime: 90d\n  forbiddenPermissions: [\"dns:*\"]\n  requireOwner: true\n",
    );
    let extra = env.dir.path().join("extra.yml");
    std::fs::write(&extra, "policy:\n  maxGrace: 24h\n  maxLifetime: 2y\n").unwrap();
    let extra = extra.display().to_string();
    let file = env.file().display().to_string();
    let root_policy = env.root().join("policy.yml").display().to_string();
    let v = env
        .run(&["--policy", &extra, "policy", "show", "-o", "json"])
        .success()
        .json();
    // The operator's file sets no enforcement: it enforces, so the tenant's warn does not hold.
    assert_eq!(v["enforcement"], "enforce");
    let rules: Vec<(String, String, String)> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rule"].as_str().unwrap().to_string(),
                r["value"].to_string(),
                r["from"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let row = |rule: &str, value: &str, from: &str| {
        (rule.to_string(), value.to_string(), from.to_string())
    };
    assert_eq!(
        rules,
        [
            row("enforcement", "\"enforce\"", &root_policy),
            row("maxLifetime", "\"90d\"", &root_policy),
            row("maxGrace", "\"24h\"", &extra),
            row("forbiddenPermissions", "[\"*\"]", &file),
            row("forbiddenPermissions", "[\"dns:*\"]", &root_policy),
            row("requireOwner", "true", &root_policy),
        ]
    );
    assert_eq!(v["sources"], serde_json::json!([file, root_policy, extra]));
    // The same through TOKENCTL_POLICY; /dev/null lifts nothing.
    let out = env
        .cmd()
        .env("TOKENCTL_POLICY", &extra)
        .args(["policy", "show"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("24h"));
    let v = env
        .run(&["--policy", "/dev/null", "policy", "show", "-o", "json"])
        .success()
        .json();
    assert_eq!(v["rules"][1]["value"], "90d");
    // A table at the terminal's width, and a tenant without any policy says so.
    let table = env.run(&["policy", "show"]).success().stdout.clone();
    assert!(
        table
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .eq(["RULE", "VALUE", "FROM"])
    );
    let bare = TestEnv::new();
    bare.write("apiKeys: {}\n");
    bare.run(&["policy", "show"])
        .success()
        .stdout_empty()
        .stderr_has("No policy for");
}

#[test]
fn a_policy_that_does_not_parse_is_refused_with_its_position_by_every_reader() {
    let env = TestEnv::new();
    env.write("apiKeys: {}\npolicy:\n  maxLifetme: 90d\n");
    for args in [&["list"][..], &["check"], &["policy", "show"]] {
        let out = env.run(args);
        assert_ne!(out.code, 0, "{args:?}");
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(
            all.contains(":3:3:")
                && all.contains("unknown rule 'maxLifetme'; did you mean 'maxLifetime'?"),
            "{args:?}: {all}"
        );
    }
    let env = TestEnv::new();
    env.write("apiKeys: {}\npolicy: [maxLifetime]\n");
    let out = env.run(&["check"]);
    out.code(7);
    assert!(
        out.stdout
            .contains(":2:9: policy must be a mapping of rules")
    );
    assert!(out.stdout.contains("rename it"));
    // An operator's policy file that holds keys is refused: no server reads them there.
    let env = TestEnv::new();
    env.write("apiKeys: {}\n");
    operator_policy(&env, &format!("apiKeys:\n  stray:\n    hash: {HASH_A}\n"));
    env.run(&["check"])
        .code(1)
        .stderr_has("a policy file holds a policy: section and no keys");
}

#[test]
fn diff_classifies_a_policy_change_and_lists_the_new_file_s_violations() {
    let env = tenant("enforce");
    let old = env.dir.path().join("old.yml");
    std::fs::copy(env.file(), &old).unwrap();
    let new_text = env
        .read()
        .replace("maxLifetime: 1y", "maxLifetime: 2y\n  requireOwner: true");
    let new = env.dir.path().join("new.yml");
    std::fs::write(&new, new_text).unwrap();
    let (old, new) = (old.display().to_string(), new.display().to_string());
    let v = env
        .run(&["diff", &old, &new, "-o", "json", "--fail-on", "widening"])
        .code(11)
        .json();
    assert_eq!(
        v["policy"],
        serde_json::json!([
            {"field": "policy.maxLifetime", "old": "1y", "new": "2y", "effect": "widens"},
            {"field": "policy.requireOwner", "old": false, "new": true, "effect": "narrows"},
        ])
    );
    assert_eq!(
        v["foreign"], false,
        "policy is tokenctl's, not foreign data"
    );
    let violations: Vec<&str> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        violations
            .iter()
            .any(|s| s.contains("key 'legacy': it has no owner"))
    );
    assert!(
        violations
            .iter()
            .any(|s| s.contains("key 'fine': it has no owner"))
    );
}
