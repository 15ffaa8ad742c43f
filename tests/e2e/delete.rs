//! `delete NAME`: refused without `--yes` when there is no terminal to ask (the prompt itself
//! is tested in interactive.rs).

use crate::support::env::*;

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
