//! `update NAME`: it changes only what it is asked, and a key's restrictions (allowedIps,
//! pathPrefix, resources): adding appends, removing the last entry is refused (it would lock
//! the key out), and lifting a restriction takes a `--clear-...` flag and says so.

use crate::support::env::TestEnv;

/// The lines of key `name`'s entry that are not its hash (the hash is random).
fn entry(env: &TestEnv) -> String {
    env.read()
        .lines()
        .filter(|l| !l.trim_start().starts_with("hash:"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn restricted() -> TestEnv {
    let env = TestEnv::new();
    env.create(
        "k",
        &[
            "-p",
            "dns:read",
            "--allow-ip",
            "10.0.0.0/8",
            "--path-prefix",
            "/v1",
            "--resource",
            "zone1",
        ],
    );
    env
}

#[test]
fn update_adds_and_removes_allowed_addresses() {
    let env = restricted();
    let out = env.run(&[
        "update",
        "k",
        "--allow-ip",
        "192.0.2.1",
        "--allow-ip",
        "10.0.0.0/8",
    ]);
    assert_eq!(
        out.success().stdout_empty().stderr,
        "Updated key 'k': allowedIps 10.0.0.0/8 -> 10.0.0.0/8, 192.0.2.1/32.\n"
    );
    assert!(
        env.read()
            .contains("    allowedIps: [10.0.0.0/8, 192.0.2.1/32]\n"),
        "{}",
        env.read()
    );
    // Adding one that is there already changes nothing.
    env.run(&["update", "k", "--allow-ip", "192.0.2.1/32"])
        .success()
        .stderr_has("already is as asked; nothing was written");
    let out = env.run(&["update", "k", "--remove-allow-ip", "10.0.0.0/8"]);
    assert_eq!(
        out.success().stderr,
        "Updated key 'k': allowedIps 10.0.0.0/8, 192.0.2.1/32 -> 192.0.2.1/32.\n"
    );
    assert!(
        env.read().contains("    allowedIps: [192.0.2.1/32]\n"),
        "{}",
        env.read()
    );
}

#[test]
fn removing_the_last_entry_is_refused_naming_the_clear_flag() {
    let env = restricted();
    let before = env.bytes();
    let out = env.run(&["update", "k", "--remove-allow-ip", "10.0.0.0/8"]);
    assert_eq!(
        out.code(2).stdout_empty().stderr,
        "error: refusing to remove the last address range of key 'k': a key that allows none \
         could not be used at all; give --clear-allow-ips to let it be used from any address; \
         nothing was written\n"
    );
    assert_eq!(env.bytes(), before);
    env.run(&["update", "k", "--remove-resource", "zone1", "--disable"])
        .code(2)
        .stderr_has("refusing to remove the last resource of key 'k'")
        .stderr_has("give --clear-resources to let it be used on any resource");
    assert_eq!(env.bytes(), before, "nothing of the command is written");
    // Replacing the last entry in one command is fine.
    env.run(&[
        "update",
        "k",
        "--resource",
        "zone2",
        "--remove-resource",
        "zone1",
    ])
    .success()
    .stderr_has("Updated key 'k': resources zone1 -> zone2.\n");
    assert!(
        env.read().contains("    resources: [zone2]\n"),
        "{}",
        env.read()
    );
}

#[test]
fn clearing_lifts_the_restriction_and_says_so() {
    let env = restricted();
    let out = env.run(&["update", "k", "--clear-allow-ips"]);
    assert_eq!(
        out.success().stderr,
        "Updated key 'k': allowedIps 10.0.0.0/8 -> (any).\n\
         Key 'k' may now be used from any address.\n"
    );
    let out = env.run(&["update", "k", "--clear-path-prefix", "--clear-resources"]);
    assert_eq!(
        out.success().stderr,
        "Updated key 'k': pathPrefix /v1 -> (any); resources zone1 -> (any).\n\
         Key 'k' may now be used on any path.\n\
         Key 'k' may now be used on any resource.\n"
    );
    // The fields are gone, not left empty.
    assert_eq!(
        entry(&env),
        "version: 1\napiKeys:\n  k:\n    enabled: true\n    permissions: [dns:read]\n    \
         createdAt: 2026-11-22T10:00:00Z"
    );
    env.run(&["update", "k", "--clear-allow-ips"])
        .success()
        .stderr_has("Key 'k' already is as asked; nothing was written.\n");
}

#[test]
fn update_restricts_an_unrestricted_key() {
    let env = TestEnv::new();
    env.create("k", &["-p", "dns:read"]);
    let out = env.run(&[
        "update",
        "k",
        "--allow-ip",
        "2001:db8::/32",
        "--path-prefix",
        "=/health",
        "--resource",
        "zone1",
    ]);
    assert_eq!(
        out.success().stderr,
        "Updated key 'k': allowedIps (any) -> 2001:db8::/32; pathPrefix (any) -> =/health; \
         resources (any) -> zone1.\n"
    );
    assert_eq!(
        entry(&env),
        "version: 1\napiKeys:\n  k:\n    enabled: true\n    permissions: [dns:read]\n    \
         createdAt: 2026-11-22T10:00:00Z\n    allowedIps: [2001:db8::/32]\n    \
         pathPrefix: =/health\n    resources: [zone1]"
    );
    // Removing what a key does not have is a note, and leaves no empty list.
    env.run(&[
        "update",
        "k",
        "--remove-resource",
        "zone9",
        "--path-prefix",
        "/v2",
    ])
    .success()
    .stderr_has("note: key 'k' did not allow resource 'zone9'\n")
    .stderr_has("Updated key 'k': pathPrefix =/health -> /v2.\n");
    // JSON output shows the key as it now is.
    let out = env.run(&["-o", "json", "update", "k", "--allow-ip", "192.0.2.0/24"]);
    out.success();
    assert_eq!(
        out.json()["allowedIps"],
        serde_json::json!(["2001:db8::/32", "192.0.2.0/24"])
    );
}

#[test]
fn update_checks_restrictions_as_create_does() {
    let env = restricted();
    let before = env.bytes();
    for (args, create_args, said) in [
        (
            vec!["--allow-ip", "10.0.0.0/33"],
            vec!["--allow-ip", "10.0.0.0/33"],
            "invalid address range \"10.0.0.0/33\"",
        ),
        (
            vec!["--remove-allow-ip", "nope"],
            vec!["--allow-ip", "nope"],
            "invalid address range \"nope\"",
        ),
        (
            vec!["--path-prefix", "v1"],
            vec!["--path-prefix", "v1"],
            "--path-prefix: invalid path prefix \"v1\": it must start with /",
        ),
    ] {
        let mut update = vec!["update", "k"];
        update.extend(&args);
        env.run(&update).code(2).stdout_empty().stderr_has(said);
        let mut create = vec!["create", "other"];
        create.extend(&create_args);
        env.run(&create).code(2).stderr_has(said);
        assert_eq!(env.bytes(), before, "{args:?}");
    }
    // A flag and its --clear-... are not given together.
    env.run(&[
        "update",
        "k",
        "--allow-ip",
        "192.0.2.1",
        "--clear-allow-ips",
    ])
    .code(2)
    .stderr_has("cannot be used with '--clear-allow-ips'");
    env.run(&["update", "k", "--path-prefix", "/x", "--clear-path-prefix"])
        .code(2);
    env.run(&[
        "update",
        "k",
        "--remove-resource",
        "zone1",
        "--clear-resources",
    ])
    .code(2);
    assert_eq!(env.bytes(), before);
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
