//! A past expiry is refused where it is set or changed, by the same rule in every front end
//! (`create`, `update`, `apply`, the admin API; the form in tests/e2e/interactive.rs), even
//! with `--quiet`; an unchanged one is left as it is.

use crate::support::env::*;

const WHY: &str = "is not in the future; the key would be expired at once (give a later \
                   time, a duration such as 30d, or `never`; `tokenctl update NAME --disable` \
                   stops a key now)";

#[test]
fn create_and_update_refuse_a_past_expiry_even_quiet() {
    let env = TestEnv::new();
    env.create("ci", &["--expires", "30d"]);
    let before = env.bytes();
    for args in [
        &["create", "past", "--expires", "2026-01-01", "-q"][..],
        &["create", "now", "--expires", NOW, "-q"][..],
        &["update", "ci", "--expires", "2026-01-01"][..],
    ] {
        let out = env.run(args);
        out.code(2);
        assert_eq!(
            out.stdout, "",
            "{args:?}: no secret for a key that would not work"
        );
        assert!(
            out.stderr.starts_with("error: --expires: 20") && out.stderr.contains(WHY),
            "{args:?}: {}",
            out.stderr
        );
        assert_eq!(env.bytes(), before, "{args:?}: nothing written");
    }
    // A key that has expired keeps its expiry through other updates, and can be extended.
    env.create_at(EARLIER, "old", &["--expires", "2026-01-01"]);
    env.run(&["update", "old", "--description", "kept"])
        .success();
    env.run(&["update", "old", "--expires", "2026-01-01"])
        .success()
        .stderr_has("nothing was written");
    assert!(env.read().contains("expiresAt: 2026-01-01T00:00:00Z"));
    env.run(&["update", "old", "--expires", "30d"]).success();
    assert!(env.read().contains("expiresAt: 2026-12-22T10:00:00Z"));
}

#[test]
fn apply_refuses_a_past_expiry_it_would_set_but_keeps_an_unchanged_one() {
    let env = TestEnv::new();
    let desired = env.dir.path().join("desired.yml");
    std::fs::write(
        &desired,
        "ci:\n  permissions: [dns:read]\n  expiresAt: 2026-12-01T00:00:00Z\n",
    )
    .unwrap();
    let out = env.run(&["apply", "-f", "desired.yml"]);
    out.success();
    let applied = env.bytes();
    // The same desired state after the date: left as it is, nothing to do.
    let later = "2026-12-05T00:00:00Z";
    let out = env.run_at(later, &["apply", "-f", "desired.yml"]);
    out.success();
    assert_eq!(env.bytes(), applied);
    // Changed to another past time, or a new key with one: refused at its line and column.
    std::fs::write(
        &desired,
        "ci:\n  permissions: [dns:read]\n  expiresAt: 2026-12-02T00:00:00Z\n",
    )
    .unwrap();
    for dry in [false, true] {
        let mut args = vec!["apply", "-f", "desired.yml"];
        if dry {
            args.push("--dry-run");
        }
        let out = env.run_at(later, &args);
        out.code(1);
        assert_eq!(
            out.stderr,
            format!("error: desired.yml:3:14: key 'ci': expiresAt 2026-12-02T00:00:00Z {WHY}\n")
        );
        assert_eq!(env.bytes(), applied);
    }
    std::fs::write(&desired, "new:\n  expiresAt: 2026-01-01T00:00:00Z\n").unwrap();
    let out = env.run(&["apply", "-f", "desired.yml"]);
    out.code(1);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.starts_with("error: desired.yml:2:14: key 'new': expiresAt 2026-01-01T00:00:00Z is not in the future"), "{}", out.stderr);
    assert_eq!(env.bytes(), applied);
}
