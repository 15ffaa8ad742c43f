//! `--copy`: the secret reaches a real X clipboard and stays there after tokenctl exits;
//! without a display the secret is still printed.

use crate::testenv::*;

#[test]
fn copy_leaves_the_secret_on_the_clipboard_after_exit() {
    let x = Xvfb::start();
    let env = TestEnv::new();
    let out = env
        .cmd()
        .env("DISPLAY", &x.display)
        .args(["create", "k", "--copy"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("Copied the secret to the clipboard"),
        "{stderr}"
    );
    assert!(!stderr.contains(&secret));
    // tokenctl has exited; the clipboard is served by its detached helper.
    assert_eq!(x.clipboard(), secret);
    // A second copy replaces the first.
    let second = env
        .cmd()
        .env("DISPLAY", &x.display)
        .args(["create", "k2", "--copy", "--quiet"])
        .output()
        .unwrap();
    assert!(second.status.success());
    assert_eq!(
        x.clipboard(),
        String::from_utf8(second.stdout).unwrap().trim()
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
}
