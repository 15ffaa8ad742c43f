//! `--copy`: the secret reaches a real clipboard (X11 under Xvfb, Wayland under a headless
//! sway) and stays there after tokenctl exits, for `--copy-for` (45 s by default), as a
//! password manager does; then it is cleared, unless another program has taken the
//! clipboard since. The helper that serves it keeps none of the caller's descriptors and is
//! not dumpable. Without a display the secret is still printed.

use crate::support::env::*;
use std::time::{Duration, Instant};

/// Far longer than any wait here should take, even on a loaded machine.
const LIMIT: Duration = Duration::from_secs(30);

/// Runs `c` (a `create ... --copy`) and returns (secret, stderr).
#[track_caller]
fn copy(mut c: std::process::Command) -> (String, String) {
    let out = c.stdin(std::process::Stdio::null()).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(!stderr.contains(&secret), "{stderr}");
    (secret, stderr)
}

#[test]
#[ignore = "needs Xvfb and xclip; scripts/test runs it"]
fn copy_leaves_the_secret_on_the_clipboard_after_exit() {
    let x = Xvfb::start();
    let env = TestEnv::new();
    let mut c = env.std_cmd();
    c.env("DISPLAY", &x.display).args(["create", "k", "--copy"]);
    let (secret, stderr) = copy(c);
    assert!(
        stderr.contains(
            "Copied the secret to the clipboard for 45 seconds; then it is cleared, unless something else was copied since."
        ),
        "{stderr}"
    );
    // tokenctl has exited; the clipboard is served by its detached helper.
    assert_eq!(x.clipboard(), secret);
    // A second copy replaces the first.
    let mut c = env.std_cmd();
    c.env("DISPLAY", &x.display)
        .args(["create", "k2", "--copy", "--quiet"]);
    let (second, stderr) = copy(c);
    assert_eq!(stderr, "");
    assert_eq!(x.clipboard(), second);
}

#[test]
#[ignore = "needs Xvfb and xclip; scripts/test runs it"]
fn the_secret_is_cleared_after_copy_for() {
    let x = Xvfb::start();
    let env = TestEnv::new();
    let start = Instant::now();
    let mut c = env.std_cmd();
    c.env("DISPLAY", &x.display)
        .args(["create", "k", "--copy-for", "3s"]);
    let (secret, stderr) = copy(c);
    assert!(
        stderr.contains("to the clipboard for 3 seconds"),
        "{stderr}"
    );
    assert_eq!(x.clipboard(), secret);
    assert!(
        eventually(LIMIT, || x.clipboard().is_empty()),
        "never cleared"
    );
    assert!(start.elapsed() >= Duration::from_secs(3), "cleared early");
    // Clearing is the helper's exit: nothing of it is left.
    assert!(eventually(LIMIT, || clipboard_helpers(3000).is_empty()));
}

#[test]
#[ignore = "needs Xvfb and xclip; scripts/test runs it"]
fn another_programs_copy_is_not_cleared() {
    let x = Xvfb::start();
    let env = TestEnv::new();
    env.create("k", &[]);
    let mut c = env.std_cmd();
    c.env("DISPLAY", &x.display)
        .args(["rotate", "k", "--copy-for", "3300ms"]);
    let (secret, _) = copy(c);
    assert_eq!(x.clipboard(), secret);
    x.copy("copied by someone else");
    // The helper sees it lost the clipboard and leaves without touching it.
    assert!(eventually(LIMIT, || clipboard_helpers(3300).is_empty()));
    std::thread::sleep(Duration::from_secs(4)); // past --copy-for
    assert_eq!(x.clipboard(), "copied by someone else");
}

#[test]
#[ignore = "needs Xvfb and xclip; scripts/test runs it"]
fn the_helper_keeps_none_of_the_callers_descriptors() {
    // The shell line of the report: with the helper holding fd 3 (the pipe to cat), the
    // pipeline would wait for the helper, 45 s.
    let x = Xvfb::start();
    let env = TestEnv::new();
    let bin = assert_cmd::cargo::cargo_bin!("tokenctl");
    // tokenctl's environment (tenant, clock, CI), for the shell and so for tokenctl.
    let tokenctl = env.std_cmd();
    let mut sh = std::process::Command::new("sh");
    sh.args(["-c", r#"( "$TOKENCTL" create k --copy 3>&1 ) | cat"#])
        .env_clear()
        .envs(tokenctl.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env("DISPLAY", &x.display)
        .env("TOKENCTL", bin)
        .current_dir(env.dir.path())
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let start = Instant::now();
    let mut child = sh.spawn().unwrap();
    let done = eventually(LIMIT, || child.try_wait().unwrap().is_some());
    if !done {
        let _ = child.kill();
    }
    let elapsed = start.elapsed();
    let out = child.wait_with_output().unwrap();
    assert!(done, "the pipeline waited for the clipboard helper");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert!(out.status.success());
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(secret.starts_with("tk_"), "{secret}");
    // The helper still serves, with no pipe but its own stdin and stdout.
    assert_eq!(x.clipboard(), secret);
    let helpers = clipboard_helpers(45_000);
    assert!(!helpers.is_empty());
    for pid in helpers {
        for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))
            .unwrap()
            .flatten()
        {
            let n: u32 = fd.file_name().to_str().unwrap().parse().unwrap();
            let target = std::fs::read_link(fd.path()).unwrap_or_default();
            if n > 1 {
                assert!(
                    !target.to_string_lossy().starts_with("pipe:"),
                    "helper {pid} holds fd {n} -> {target:?}"
                );
            }
        }
    }
}

#[test]
#[ignore = "needs Xvfb and xclip; scripts/test runs it"]
fn the_helper_is_not_dumpable() {
    let x = Xvfb::start();
    let env = TestEnv::new();
    env.create("k", &[]);
    give_to_unprivileged(env.dir.path());
    // Control: the same way of running shows an ordinary process as dumpable.
    let mut sleep = std::process::Command::new("sleep");
    sleep.arg("30");
    let mut sleeper = unprivileged(sleep).spawn().unwrap();
    let status = format!("/proc/{}/status", sleeper.id());
    // Once setpriv has exec'd sleep.
    assert!(eventually(LIMIT, || std::fs::read_to_string(&status)
        .is_ok_and(|s| s.starts_with("Name:\tsleep"))));
    let control = is_non_dumpable(sleeper.id());
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(!control, "an ordinary process reads as non-dumpable");
    // An odd duration names this test's helper among those of other tests.
    let mut c = env.std_cmd();
    c.env("DISPLAY", &x.display)
        .args(["rotate", "k", "--copy-for", "1237s", "--quiet"]);
    let out = unprivileged(c).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let helpers = clipboard_helpers(1_237_000);
    assert_eq!(helpers.len(), 1);
    assert!(
        is_non_dumpable(helpers[0]),
        "the clipboard helper is dumpable"
    );
}

#[test]
fn copy_without_a_display_warns_and_still_prints_the_secret() {
    let env = TestEnv::new();
    let out = env.run(&["create", "k", "--copy"]);
    out.success()
        .stderr_has("warning: could not copy to the clipboard");
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("warning"))
        .collect();
    assert_eq!(warnings.len(), 1);
    let secret = out.secret();
    assert!(secret.starts_with("tk_"));
    env.run_with(&["verify"], &secret).success();
    // A bad --copy-for changes nothing.
    let out = env.run(&["create", "k2", "--copy-for", "0s"]);
    out.code(2).stderr_has("--copy-for");
    env.run(&["show", "k2"]).code(3);
}

#[test]
#[ignore = "needs sway and wl-clipboard; scripts/test runs it"]
fn wayland_copy_survives_exit_and_is_cleared_after_copy_for() {
    let mut sway = Sway::start();
    let env = TestEnv::new();
    let start = Instant::now();
    let mut c = sway.tokenctl(&env);
    c.args(["create", "k", "--copy-for", "3100ms"]);
    let (secret, stderr) = copy(c);
    assert!(
        stderr.contains("to the clipboard for 3.1 seconds"),
        "{stderr}"
    );
    assert_eq!(sway.clipboard(), secret);
    assert!(
        eventually(LIMIT, || sway.clipboard().is_empty()),
        "never cleared"
    );
    assert!(
        start.elapsed() >= Duration::from_millis(3100),
        "cleared early"
    );
}

#[test]
#[ignore = "needs sway and wl-clipboard; scripts/test runs it"]
fn wayland_copy_taken_by_another_program_is_not_cleared() {
    let mut sway = Sway::start();
    let env = TestEnv::new();
    env.create("k", &[]);
    let mut c = sway.tokenctl(&env);
    c.args(["rotate", "k", "--copy-for", "3400ms"]);
    let (secret, _) = copy(c);
    assert_eq!(sway.clipboard(), secret);
    sway.copy("copied by someone else");
    assert!(eventually(LIMIT, || clipboard_helpers(3400).is_empty()));
    std::thread::sleep(Duration::from_secs(4)); // past --copy-for
    assert_eq!(sway.clipboard(), "copied by someone else");
}
