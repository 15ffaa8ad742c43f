//! The test clock (env `TOKENCTL_NOW`) exists only in test builds: no command line option
//! sets it, and a release build ignores the variable, so it cannot accept an expired key or
//! write expiries relative to a made-up time. The release binary's test is
//! `#[ignore = "needs a release build ..."]`: scripts/test builds one when
//! `TOKENCTL_RELEASE_BIN` does not name one (.ci/run builds it first and passes it).

use crate::support::env::*;
use crate::support::hash_of;
use std::path::PathBuf;

/// Runs `binary` on the test's file with `TOKENCTL_NOW` set to `now`.
fn run(env: &TestEnv, binary: &std::path::Path, now: &str, args: &[&str], stdin: &str) -> Output {
    let mut cmd = assert_cmd::Command::new(binary);
    cmd.current_dir(env.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TOKENCTL_FILE", env.file())
        .env("TOKENCTL_NOW", now)
        .env("CI", "true")
        .args(args)
        .write_stdin(stdin);
    let out = cmd.output().expect("runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn no_command_line_option_sets_the_clock() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    for args in [
        vec!["--now", "2019-01-01T00:00:00Z", "list"],
        vec!["list", "--now=2019-01-01T00:00:00Z"],
    ] {
        let out = env.run(&args);
        out.code(2).stdout_empty();
        out.stderr_has("unexpected argument '--now");
    }
}

/// Seconds between an RFC 3339 time and the real now, plus `offset` seconds.
fn seconds_from_real_now(text: &str, offset: i64) -> i64 {
    let t: jiff::Timestamp = text.parse().unwrap();
    (t.as_second() - jiff::Timestamp::now().as_second() - offset).abs()
}

#[test]
#[ignore = "needs a release build in TOKENCTL_RELEASE_BIN; scripts/test builds one"]
fn a_release_build_ignores_tokenctl_now() {
    let release = std::env::var_os("TOKENCTL_RELEASE_BIN")
        .map(PathBuf::from)
        .expect("set TOKENCTL_RELEASE_BIN to a release build of tokenctl (scripts/test does)");
    assert!(release.exists(), "no binary at {}", release.display());
    let test_build = assert_cmd::cargo::cargo_bin!("tokenctl").to_path_buf();
    let env = TestEnv::new();
    let token = "an-imported-secret-of-at-least-32-characters";
    env.write(format!(
        "apiKeys:\n  old:\n    hash: {}\n    expiresAt: 2020-01-01T00:00:00Z\n",
        hash_of(token)
    ));
    let past = "2019-01-01T00:00:00Z";
    let future = "2999-01-01T00:00:00Z";

    // The test build honours the clock (the hook the tests rely on)...
    let out = run(&env, &test_build, past, &["verify"], token);
    assert_eq!(
        out.success().stdout,
        "valid: key 'old', permissions: (none)\n"
    );
    // ...the release build does not: the key expired in 2020, whatever TOKENCTL_NOW says.
    let out = run(&env, &release, past, &["verify"], token);
    out.code(4).stdout_empty();
    assert_eq!(
        out.stderr,
        "rejected: key 'old' expired at 2020-01-01T00:00:00Z\n"
    );
    let out = run(&env, &release, past, &["--now", past, "verify"], token);
    out.code(2).stderr_has("unexpected argument '--now'");

    // Expiries it writes are from the real now.
    let created = run(
        &env,
        &release,
        future,
        &["create", "new", "--expires", "30d", "--format", "json"],
        "",
    );
    let created = created.success().json();
    let expires = created["expiresAt"].as_str().unwrap();
    assert!(
        seconds_from_real_now(expires, 30 * 86_400) < 120,
        "create --expires 30d wrote {expires}"
    );
    let rotated = run(
        &env,
        &release,
        past,
        &["rotate", "new", "--grace", "1h", "--format", "json"],
        "",
    );
    let rotated = rotated.success().json();
    let grace = rotated["oldSecretExpiresAt"].as_str().unwrap();
    assert!(
        seconds_from_real_now(grace, 3600) < 120,
        "rotate --grace 1h wrote {grace}"
    );
    let shown = run(
        &env,
        &release,
        past,
        &["show", "new", "--format", "json"],
        "",
    );
    assert!(seconds_from_real_now(shown.success().json()["createdAt"].as_str().unwrap(), 0) < 120);
    let listed = run(
        &env,
        &release,
        past,
        &["list", "--expired", "--format", "json"],
        "",
    );
    assert_eq!(listed.success().json()[0]["name"], "old");
}
