//! Terminal escapes in file content never reach the terminal raw (issue 11, "Secrets and
//! hostile text"): a description that retitles the window, a usage record that sets the
//! clipboard with OSC 52, a path with a bell in it. Tables and messages show control
//! characters as `\u{1b}`; JSON and YAML output keeps the exact text.

use crate::support::env::*;

/// The security.yml of a tenant folder someone else controls: every free-text field holds
/// escapes (YAML's `\e` is ESC, `\a` BEL, `\u009b` the one-byte CSI, `\u202e` a
/// right-to-left override).
const HOSTILE: &str = r#"apiKeys:
  a:
    description: "\e]0;pwned\a\e[31mRED"
    permissions: []
    hash: sha256:c08b98a4da34d7621d3e1c954e9120d9b376d88e961c5ad389abda4a627aaace
    pathPrefix: "/x\e[0m\u009b2J"
    resources: ["\e[2Jr", "\u202eevil"]
"#;

/// A server's usage record that tries OSC 52 (set the operator's clipboard).
const HOSTILE_USAGE: &str =
    "a:\n  lastUsedAt: 2026-11-20T10:00:00Z\n  lastUsedFrom: \"\\e]52;c;aGVsbG8=\\a\"\n";

/// No control character but the line break, and no C1 control or bidirectional override.
#[track_caller]
fn inert(what: &str, text: &str) {
    let bad = text
        .chars()
        .find(|c| (c.is_control() && *c != '\n') || ('\u{202a}'..='\u{202e}').contains(c));
    assert!(
        bad.is_none(),
        "{what} writes {:?} raw to the terminal:\n{text}",
        bad.unwrap()
    );
}

#[track_caller]
fn inert_output(what: &str, out: &Output) {
    inert(&format!("{what} (stdout)"), &out.stdout);
    inert(&format!("{what} (stderr)"), &out.stderr);
}

fn hostile_env() -> TestEnv {
    let env = TestEnv::new();
    env.write(HOSTILE);
    std::fs::write(
        env.file().with_file_name("security.usage.yml"),
        HOSTILE_USAGE,
    )
    .unwrap();
    env
}

#[test]
fn show_and_list_render_control_characters_visibly() {
    let env = hostile_env();
    let out = env.run(&["show", "a"]);
    out.success();
    inert_output("show", &out);
    out.stdout_has(r"description: \u{1b}]0;pwned\u{7}\u{1b}[31mRED")
        .stdout_has(r"path prefix: /x\u{1b}[0m\u{9b}2J")
        .stdout_has(r"\u{1b}[2Jr, \u{202e}evil")
        .stdout_has(r"from \u{1b}]52;c;aGVsbG8=\u{7}");
    for color in ["never", "always"] {
        let out = env.run(&["list", "--color", color]);
        out.success();
        // Our own colours are SGR sequences; nothing else may start with ESC.
        let own = out.stdout.replace("\u{1b}[", "");
        assert!(
            !own.contains('\u{1b}') && !own.contains('\u{7}'),
            "{}",
            out.stdout
        );
        inert("list", &out.stderr);
    }
    inert_output("list", &env.run(&["list"]));
    inert_output("list --disabled", &env.run(&["list", "--disabled"]));
}

#[test]
fn json_and_yaml_keep_the_exact_text() {
    let env = hostile_env();
    let out = env.run(&["show", "a", "--format", "json"]);
    out.success();
    let v = out.json();
    assert_eq!(v["description"], "\u{1b}]0;pwned\u{7}\u{1b}[31mRED");
    assert_eq!(v["pathPrefix"], "/x\u{1b}[0m\u{9b}2J");
    assert_eq!(v["resources"][1], "\u{202e}evil");
    assert_eq!(v["lastUsedFrom"], "\u{1b}]52;c;aGVsbG8=\u{7}");
    let out = env.run(&["list", "--format", "yaml"]);
    out.success();
    let v: serde_yaml::Value = serde_yaml::from_str(&out.stdout).unwrap();
    assert_eq!(
        v[0]["description"].as_str(),
        Some("\u{1b}]0;pwned\u{7}\u{1b}[31mRED")
    );
}

#[test]
fn messages_render_control_characters_of_paths_and_values_visibly() {
    let env = hostile_env();
    // A path named by the user or found on disk.
    let bad_dir = "/proc/nonexistent/\u{1b}]0;pwned\u{7}/security.yml";
    let out = env.run(&["--file", bad_dir, "create", "z"]);
    out.code(1)
        .stderr_has(r"/proc/nonexistent/\u{1b}]0;pwned\u{7}");
    inert_output("create --file", &out);
    let out = env.run(&["check", "/nonexistent/\u{1b}[2J\u{9b}"]);
    assert_ne!(out.code, 0);
    inert_output("check PATH", &out);
    // Request values that a forbidden message repeats.
    let token = {
        let env2 = TestEnv::new();
        env2.write("apiKeys:\n");
        let t = env2.create("p", &["--path-prefix", "/api"]);
        std::fs::copy(env2.file(), env.file()).unwrap();
        t
    };
    let out = env.run_with(&["verify", "--path", "/\u{1b}]0;pwned\u{7}"], &token);
    out.code(5).stderr_has(r"\u{1b}]0;pwned\u{7}");
    inert_output("verify --path", &out);
    let out = env.run_with(&["verify", "--permission", "\u{1b}[31mx"], &token);
    out.code(5);
    inert_output("verify --permission", &out);
    // Values on the command line that a message or the change report repeats.
    env.write(HOSTILE);
    let out = env.run(&["update", "a", "--description", "new\u{1b}]0;x\u{7}"]);
    out.success();
    inert_output("update --description", &out);
    let out = env.run(&["create", "z", "--permission", "\u{1b}]0;x\u{7}"]);
    out.code(2);
    inert_output("create --permission", &out);
    let out = env.run(&["--tenant", "\u{1b}]0;x\u{7}", "list"]);
    out.code(2);
    inert_output("--tenant", &out);
    // clap's own errors repeat the value too.
    for args in [
        vec!["\u{1b}]0;x\u{7}"],
        vec!["list", "--format", "\u{1b}]52;c;eA==\u{7}"],
        vec!["list", "--no-such\u{1b}[2J"],
        vec!["show", "a", "\u{1b}[2J"],
    ] {
        let out = env.run(&args);
        out.code(2);
        inert_output(&format!("{args:?}"), &out);
        assert!(out.stderr.contains(r"\u{1b}"), "{}", out.stderr);
    }
}

#[test]
fn apply_and_check_show_hostile_values_visibly() {
    let env = hostile_env();
    let desired = env.dir.path().join("desired.yml");
    std::fs::write(
        &desired,
        "apiKeys:\n  a:\n    description: \"\\e]0;again\\a\"\n  b:\n    description: \"\\e[31m\\u009b\"\n",
    )
    .unwrap();
    let d = desired.to_str().unwrap();
    let out = env.run(&["apply", "-f", d, "--dry-run"]);
    out.code(8);
    inert_output("apply --dry-run", &out);
    let out = env.run(&["apply", "-f", d]);
    out.success();
    inert_output("apply", &out);
    // A scope check reports a bad scope that holds escapes.
    env.write("apiKeys:\n  c:\n    permissions: [\"\\e]0;x\\a\"]\n    hash: sha256:c08b98a4da34d7621d3e1c954e9120d9b376d88e961c5ad389abda4a627aaace\n");
    let out = env.run(&["check"]);
    assert_ne!(out.code, 0);
    inert_output("check", &out);
}
