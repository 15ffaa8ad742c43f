//! `rename OLD NEW`: the same key (hash, permissions, everything) under another name, its
//! usage record moved with it; refused when NEW is taken or OLD is not there.

use crate::support::env::TestEnv;

fn usage(env: &TestEnv) -> Option<String> {
    std::fs::read_to_string(env.file().with_file_name("security.usage.yml")).ok()
}

/// The entry of key `name` (its line and the indented lines under it).
fn entry(text: &str, name: &str) -> String {
    let mut lines = text.lines().skip_while(|l| *l != format!("  {name}:"));
    let first = lines.next().expect("entry");
    std::iter::once(first)
        .chain(lines.take_while(|l| l.starts_with("    ")))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn rename_keeps_the_key_and_moves_its_usage() {
    let env = TestEnv::new();
    let secret = env.create(
        "ci",
        &[
            "-p",
            "dns:read",
            "--description",
            "the CI job",
            "--allow-ip",
            "10.0.0.0/8",
        ],
    );
    env.create("web", &["-p", "dns:write"]);
    env.run_with(&["verify", "--record"], &secret).success();
    assert!(usage(&env).unwrap().starts_with("ci:\n"));
    let before = env.read();
    let out = env.run(&["rename", "ci", "deploy"]);
    assert_eq!(
        out.success().stdout_empty().stderr,
        "Renamed key 'ci' to 'deploy'; its secret is unchanged. It now comes last in the file.\n"
    );
    // Removed from its place and written again after the last key, field for field.
    let moved = entry(&before, "ci").replacen("  ci:", "  deploy:", 1);
    let expected = format!("{}{moved}", before.replacen(&entry(&before, "ci"), "", 1));
    assert_eq!(env.read(), expected);
    let usage = usage(&env).unwrap();
    assert!(usage.starts_with("deploy:\n  lastUsedAt: "), "{usage}");
    assert!(!usage.contains("ci:"), "{usage}");
    // The same secret works, under the new name.
    env.run_with(&["verify"], &secret)
        .success()
        .stdout_has("valid: key 'deploy', permissions: dns:read");
    let shown = env.run(&["-o", "json", "show", "deploy"]);
    assert_eq!(shown.success().json()["lastUsedAt"], "2026-11-22T10:00:00Z");
}

/// With `-o json` a script gets the renamed key on stdout, as `update -o json` prints a key
/// (and `show -o json` shows it); the message stays on stderr.
#[test]
fn rename_with_json_output_prints_the_renamed_key() {
    let env = TestEnv::new();
    let secret = env.create("ci", &["-p", "dns:read", "--description", "the CI job"]);
    env.run_with(&["verify", "--record"], &secret).success();
    let out = env.run(&["-o", "json", "rename", "ci", "deploy"]);
    assert_eq!(
        out.success().stderr,
        "Renamed key 'ci' to 'deploy'; its secret is unchanged. It now comes last in the file.\n"
    );
    let key = out.json();
    assert_eq!(key["name"], "deploy");
    assert_eq!(key["description"], "the CI job");
    assert_eq!(key["permissions"], serde_json::json!(["dns:read"]));
    assert_eq!(key["lastUsedAt"], "2026-11-22T10:00:00Z");
    assert!(!out.stdout.contains(&secret), "no secret on stdout");
    let shown = env.run(&["-o", "json", "show", "deploy"]);
    assert_eq!(shown.success().json(), key);
    assert!(env.read().contains("  deploy:\n") && !env.read().contains("  ci:\n"));
    // YAML too; a refused rename prints no data.
    let out = env.run(&["-o", "yaml", "rename", "deploy", "ci"]);
    assert!(
        out.success().stdout.starts_with("name: ci\n"),
        "{}",
        out.stdout
    );
    env.create("web", &["-p", "dns:read"]);
    let before = env.bytes();
    env.run(&["-o", "json", "rename", "ci", "web"])
        .code(6)
        .stdout_empty();
    assert_eq!(env.bytes(), before);
}

#[test]
fn rename_is_refused_without_writing() {
    let env = TestEnv::new();
    env.create("ci", &["-p", "dns:read"]);
    env.create("web", &["-p", "dns:read"]);
    let before = env.bytes();
    let out = env.run(&["rename", "ci", "web"]);
    assert_eq!(
        out.code(6).stdout_empty().stderr,
        "error: key 'web' exists already; pick another name, or delete that key first; \
         nothing was written\n"
    );
    env.run(&["rename", "cj", "other"])
        .code(3)
        .stderr_has("no key named 'cj'; did you mean 'ci'?");
    env.run(&["rename", "ci", "a/b"])
        .code(2)
        .stderr_has("invalid key name \"a/b\"");
    env.run(&["rename", "ci", "ci"])
        .code(2)
        .stderr_has("key 'ci' already has that name; nothing was written");
    assert_eq!(env.bytes(), before);
    assert_eq!(usage(&env), None, "no usage file is made");
}

#[test]
fn rename_drops_a_stale_usage_record_of_the_new_name() {
    let env = TestEnv::new();
    env.create("ci", &["-p", "dns:read"]);
    let old = env.create("gone", &["-p", "dns:read"]);
    env.run_with(&["verify", "--record"], &old).success();
    env.run(&["delete", "gone", "--yes"]).success();
    assert!(usage(&env).unwrap().contains("gone:"));
    env.run(&["rename", "ci", "gone"]).success();
    // A deleted key's last use is not the renamed key's.
    assert_eq!(usage(&env).unwrap(), "{}\n");
    env.run(&["-o", "json", "show", "gone"])
        .success()
        .stdout_has("\"lastUsedAt\": null");
}

#[test]
fn a_broken_usage_file_does_not_undo_the_rename() {
    let env = TestEnv::new();
    let secret = env.create("ci", &["-p", "dns:read"]);
    let usage_file = env.file().with_file_name("security.usage.yml");
    std::fs::write(&usage_file, "[broken\n").unwrap();
    let out = env.run(&["rename", "ci", "deploy"]);
    out.success()
        .stderr_has("Renamed key 'ci' to 'deploy'")
        .stderr_has("warning: the key is renamed, but its last use could not be moved");
    // The usage file is left as it was, never overwritten.
    assert_eq!(std::fs::read_to_string(&usage_file).unwrap(), "[broken\n");
    env.run_with(&["verify"], &secret)
        .success()
        .stdout_has("valid: key 'deploy'");
}
