//! Several keys at once (issue 12): `create alice bob carol ...` makes one key per name with
//! the same definition, in one locked atomic write (all or none), and prints one
//! `NAME SECRET` line each (JSON: an array).

use crate::support::env::{NOW, TestEnv};
use crate::support::hash_of;

#[test]
fn several_names_make_one_key_each_in_one_write() {
    let env = TestEnv::new();
    let out = env.run(&[
        "create",
        "alice",
        "bob",
        "carol",
        "--permission",
        "dns:read",
        "--expires",
        "30d",
    ]);
    out.success();
    let lines: Vec<(&str, &str)> = out
        .stdout
        .lines()
        .map(|l| l.split_once(' ').expect("NAME SECRET"))
        .collect();
    let names: Vec<&str> = lines.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    let mut expected = String::from("version: 1\napiKeys:\n");
    for (name, secret) in &lines {
        assert!(secret.starts_with("tk_") && secret.len() == 75, "{secret}");
        expected.push_str(&format!(
            "  {name}:\n    enabled: true\n    permissions: [dns:read]\n    hash: {}\n    createdAt: {NOW}\n    expiresAt: 2026-12-22T10:00:00Z\n",
            hash_of(secret)
        ));
        // Each secret is its own key's.
        env.run_with(&["verify"], secret)
            .success()
            .stdout_has(&format!("valid: key '{name}'"));
    }
    assert_eq!(env.read(), expected, "the whole file");
    assert_ne!(lines[0].1, lines[1].1);
    out.stderr_has("Created 3 keys: 'alice' (")
        .stderr_has(&format!("Created {}\n", env.file().display()));

    // --quiet: the same lines, nothing on stderr.
    let out = env.run(&["create", "dave", "erin", "--quiet"]);
    assert_eq!(out.success().stderr, "");
    assert_eq!(out.stdout.lines().count(), 2);
    assert!(out.stdout.starts_with("dave tk_"), "{}", out.stdout);
}

#[test]
fn json_is_an_array_of_one_record_each() {
    let env = TestEnv::new();
    let v = env
        .run(&["create", "a", "b", "--format", "json", "--expires", "7d"])
        .success()
        .json();
    let arr = v.as_array().expect("an array");
    assert_eq!(arr.len(), 2);
    for (item, name) in arr.iter().zip(["a", "b"]) {
        assert_eq!(item["name"], name);
        assert!(item["token"].as_str().unwrap().starts_with("tk_"));
        assert_eq!(item["expiresAt"], "2026-11-29T10:00:00Z");
        assert_eq!(item["fingerprint"].as_str().unwrap().len(), 8);
    }
    // One name keeps its single object.
    let v = env
        .run(&["create", "c", "--format", "json"])
        .success()
        .json();
    assert_eq!(v["name"], "c");
}

#[test]
fn all_or_none() {
    let env = TestEnv::new();
    env.create("bob", &[]);
    let before = env.bytes();
    // One name exists: nothing is created, not even the others.
    env.run(&["create", "alice", "bob", "carol"])
        .code(6)
        .stderr_has("key 'bob' exists already")
        .stdout_empty();
    // A bad name or a name twice: refused before the file is touched.
    env.run(&["create", "alice", "c/d"]).code(2).stdout_empty();
    env.run(&["create", "alice", "alice"])
        .code(2)
        .stderr_has("'alice' is given twice");
    // A scope the catalog lacks, or a stale --if-unchanged: nothing.
    env.run(&[
        "create",
        "alice",
        "carol",
        "--if-unchanged",
        "sha256:0000000000000000000000000000000000000000000000000000000000000000",
    ])
    .code(6)
    .stdout_empty();
    assert_eq!(env.bytes(), before, "nothing was written");
    // --if-missing creates the missing ones and leaves the existing one.
    let out = env.run(&["create", "alice", "bob", "carol", "--if-missing"]);
    let names: Vec<&str> = out
        .success()
        .stdout
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(names, ["alice", "carol"]);
    out.stderr_has("Key 'bob' exists already; left as it is (--if-missing).");
    let text = env.read();
    assert!(
        text.starts_with(&String::from_utf8(before).unwrap()),
        "bob kept:\n{text}"
    );
}

#[test]
fn one_secret_cannot_serve_several_names() {
    let env = TestEnv::new();
    env.run_with(
        &["create", "a", "b", "--secret-stdin"],
        "an-imported-secret-of-at-least-thirty-two-chars",
    )
    .code(2)
    .stderr_has("--secret-stdin imports one secret");
    env.run(&["create", "a", "b", "--copy"])
        .code(2)
        .stderr_has("--copy copies one secret");
    assert!(!env.file().exists());
}
