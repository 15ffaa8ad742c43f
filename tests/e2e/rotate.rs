//! `rotate NAME`: a new secret, the old one stopped at once or kept for a grace period (and
//! every live old secret kept when rotating again), expired old hashes dropped on the next
//! write, output like `create` (`--quiet`, JSON, `--copy`), bad input refused before writing.

use crate::support::env::*;
use crate::support::hash_of;

/// An hour, a day and more after [`NOW`].
const NOW_1H: &str = "2026-11-22T11:00:00Z";
const NOW_25H: &str = "2026-11-23T11:00:00Z";
const NOW_2D: &str = "2026-11-24T10:00:00Z";

/// `verify ARGS` with `stdin` at [`NOW`].
fn verify(env: &TestEnv, stdin: &str, args: &[&str]) -> Output {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    env.run_with(&all, stdin)
}

/// A rejection: exit 4, nothing on stdout, exactly one line on stderr.
#[track_caller]
fn assert_rejected(out: &Output, message: &str) {
    out.code(4).stdout_empty();
    assert_eq!(out.stderr, format!("rejected: {message}\n"));
}

// ---- rotate ----

#[test]
fn rotate_without_grace_stops_the_old_secret_at_once() {
    let env = TestEnv::new();
    let old = env.create(
        "ci",
        &[
            "-p",
            "dns:read",
            "--description",
            "deploy job",
            "--expires",
            "30d",
        ],
    );
    let before = env.read();
    let out = env.run(&["rotate", "ci"]);
    out.success();
    let new = out.secret();
    assert_ne!(new, old);
    assert!(new.starts_with("tk_") && new.len() == 75);
    assert_eq!(
        out.stderr.lines().last(),
        Some("The old secret stopped working.")
    );
    assert!(out.stderr.contains("Rotated key 'ci' (fingerprint "));
    assert!(!out.stderr.contains(&new) && !out.stderr.contains(&old));
    // Only the hash line changed.
    let after = env.read();
    assert_eq!(after, before.replace(&hash_of(&old), &hash_of(&new)));
    assert!(!after.contains("previousHashes"));
    assert_rejected(
        &verify(&env, &old, &[]),
        "unknown token: no key in this file has this secret",
    );
    assert_eq!(
        verify(&env, &new, &[]).success().stdout,
        "valid: key 'ci', permissions: dns:read\n"
    );
}

#[test]
fn rotate_with_grace_keeps_the_old_secret_until_the_grace_ends() {
    let env = TestEnv::new();
    let old = env.create("ci", &["-p", "dns:read"]);
    let out = env.run(&["rotate", "ci", "--grace", "24h"]);
    out.success();
    let new = out.secret();
    assert_eq!(
        out.stderr.lines().last(),
        Some("The old secret keeps working until 2026-11-23T10:00:00Z.")
    );
    let text = env.read();
    assert!(
        text.ends_with(&format!(
            "    hash: {}\n    createdAt: 2026-11-22T10:00:00Z\n    previousHashes:\n      - hash: {}\n        expiresAt: 2026-11-23T10:00:00Z\n",
            hash_of(&new),
            hash_of(&old)
        )),
        "{text}"
    );
    // During the grace period both work; the old one says so.
    let out = run_at(
        &env,
        NOW_1H,
        &["verify", "--permission", "dns:read"],
        old.clone(),
    );
    assert_eq!(
        out.success().stdout,
        "valid: key 'ci' (an old secret, in its rotation grace period), permissions: dns:read\n"
    );
    run_at(&env, NOW_1H, &["verify"], new.clone()).success();
    // show lists the old secret and when it stops.
    let fp = &hash_of(&old)[7..15];
    run_at(&env, NOW_1H, &["show", "ci"], "")
        .success()
        .stdout_has(&format!(
            "old secret:  {fp} valid until 2026-11-23T10:00:00Z\n"
        ));
    // After it, only the new one.
    let out = run_at(&env, NOW_25H, &["verify"], old.clone());
    assert_rejected(
        &out,
        "this is an old secret of key 'ci': it was rotated and stopped working at 2026-11-23T10:00:00Z",
    );
    run_at(&env, NOW_25H, &["verify"], new.clone()).success();
    assert!(
        !run_at(&env, NOW_25H, &["show", "ci"], "")
            .stdout
            .contains("old secret")
    );
}

#[test]
fn expired_previous_hashes_are_dropped_on_the_next_write_of_the_key() {
    let env = TestEnv::new();
    let old = env.create("ci", &[]);
    env.create("other", &[]);
    let new = env
        .run(&["rotate", "ci", "--grace", "1h", "--quiet"])
        .success()
        .secret();
    // A write within the grace period keeps the entry.
    run_at(
        &env,
        "2026-11-22T10:30:00Z",
        &["update", "ci", "--description", "one"],
        "",
    )
    .success();
    assert!(env.read().contains(&hash_of(&old)));
    // A write of another key leaves it alone.
    run_at(&env, NOW_2D, &["update", "other", "--description", "x"], "").success();
    assert!(env.read().contains(&hash_of(&old)));
    // The next write of this key, after the grace period, drops it.
    let before = env.read();
    run_at(&env, NOW_2D, &["update", "ci", "--description", "two"], "").success();
    let after = env.read();
    assert!(
        !after.contains("previousHashes") && !after.contains(&hash_of(&old)),
        "{after}"
    );
    let dropped = format!(
        "    previousHashes:\n      - hash: {}\n        expiresAt: 2026-11-22T11:00:00Z\n",
        hash_of(&old)
    );
    assert_eq!(
        after,
        before
            .replace(&dropped, "")
            .replace("description: one", "description: two")
    );
    run_at(&env, NOW_2D, &["verify"], new).success();
}

#[test]
fn rotating_again_during_grace_keeps_every_live_old_secret() {
    let env = TestEnv::new();
    let first = env.create("ci", &[]);
    let second = env
        .run(&["rotate", "ci", "--grace", "2h", "-q"])
        .success()
        .secret();
    let third = run_at(&env, NOW_1H, &["rotate", "ci", "--grace", "2h", "-q"], "")
        .success()
        .secret();
    for s in [&first, &second, &third] {
        run_at(&env, "2026-11-22T11:30:00Z", &["verify"], s.clone()).success();
    }
    // The first stops at 12:00, the second at 13:00.
    run_at(&env, "2026-11-22T12:30:00Z", &["verify"], first.clone()).code(4);
    run_at(&env, "2026-11-22T12:30:00Z", &["verify"], second.clone()).success();
    // A rotation without grace ends them all.
    let fourth = run_at(&env, "2026-11-22T12:30:00Z", &["rotate", "ci", "-q"], "")
        .success()
        .secret();
    for s in [&first, &second, &third] {
        run_at(&env, "2026-11-22T12:30:00Z", &["verify"], s.clone()).code(4);
    }
    run_at(&env, "2026-11-22T12:30:00Z", &["verify"], fourth).success();
    assert!(!env.read().contains("previousHashes"));
}

#[test]
fn rotate_quiet_json_and_copy_print_like_create() {
    let env = TestEnv::new();
    env.create("ci", &["--expires", "30d"]);
    let out = env.run(&["rotate", "ci", "--quiet", "--grace", "1h"]);
    assert_eq!(out.success().stderr, "");
    let quiet = out.secret();
    verify(&env, &quiet, &[]).success();

    let out = env.run(&["rotate", "ci", "--format", "json"]);
    let json = out.success().json();
    let token = json["token"].as_str().unwrap().to_string();
    assert_eq!(json["name"], "ci");
    assert_eq!(json["fingerprint"], &hash_of(&token)[7..15]);
    assert_eq!(json["expiresAt"], "2026-12-22T10:00:00Z");
    assert_eq!(json.as_object().unwrap().len(), 4);
    verify(&env, &token, &[]).success();
    verify(&env, &quiet, &[]).code(4);
    // With a grace period the record says until when the old secret works.
    let json = env
        .run(&["rotate", "ci", "--format", "json", "--grace", "24h"])
        .success()
        .json();
    assert_eq!(json["oldSecretExpiresAt"], "2026-11-23T10:00:00Z");
    verify(&env, &token, &[]).success();

    // --copy with no display to copy to: says so, and the secret is still printed once.
    let out = env.run(&["rotate", "ci", "--copy"]);
    out.success()
        .stderr_has("warning: could not copy to the clipboard (no display to copy to");
    let copied = out.secret();
    verify(&env, &copied, &[]).success();
}

#[test]
fn rotate_refuses_bad_input_before_writing() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    let before = env.bytes();
    for bad in ["soon", "24", "-1h", "1.5", "1 h ago", ""] {
        env.run(&["rotate", "ci", &format!("--grace={bad}")])
            .code(2)
            .stderr_has("invalid duration")
            .stdout_empty();
    }
    env.run(&["rotate", "cj"])
        .code(3)
        .stderr_has("no key named 'cj'; did you mean 'ci'?");
    assert_eq!(env.bytes(), before);
}

#[test]
#[ignore = "needs Xvfb and xclip; scripts/test runs it"]
fn rotate_copy_puts_the_new_secret_on_the_clipboard() {
    let env = TestEnv::new();
    let old = env.create("ci", &[]);
    let x = Xvfb::start();
    let out = env
        .cmd()
        .env("DISPLAY", &x.display)
        .args(["rotate", "ci", "--copy"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Copied the secret to the clipboard for 45 seconds"),
        "{stderr}"
    );
    let new = String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string();
    assert_ne!(new, old);
    assert_eq!(x.clipboard(), new);
    verify(&env, &new, &[]).success();
}

/// Issue "The fleet": once every server has the new hash (`rollout status`), the grace period
/// of the old secret can end early, in a proven write, without a new secret.
#[test]
fn end_grace_stops_the_old_secret_now_and_keeps_the_current_one() {
    let env = TestEnv::new();
    let old = env.create("ci", &["-p", "dns:read"]);
    let new = env
        .run(&["rotate", "ci", "--grace", "24h", "--quiet"])
        .success()
        .secret();
    env.run_with(&["verify"], &old).success();
    assert!(env.read().contains("previousHashes"));
    let out = env.run(&["rotate", "ci", "--end-grace"]);
    out.success().stdout_empty().stderr_has("stopped working");
    assert!(!out.stderr.contains(&old) && !out.stderr.contains(&new));
    assert!(!env.read().contains("previousHashes"), "{}", env.read());
    env.run_with(&["verify"], &old).code(4);
    env.run_with(&["verify"], &new).success();
    // Again: nothing to end, nothing written.
    let before = std::fs::read(env.file()).unwrap();
    env.run(&["rotate", "ci", "--end-grace"])
        .success()
        .stderr_has("no old secret in a grace period");
    assert_eq!(std::fs::read(env.file()).unwrap(), before);
    env.run(&["rotate", "ci", "--end-grace", "--grace", "1h"])
        .code(2);
    env.run(&["rotate", "nope", "--end-grace"]).code(3);
}
