//! Operators and scripts: where the file is when flags and the environment disagree, a
//! secret that would go nowhere, broken pipes, and the small things an operator meets first.

use crate::testenv::{Output, TestEnv};
use std::fs;

fn output(out: std::process::Output) -> Output {
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Two tenants, acme (key `a`) and beta (key `b`).
fn two_tenants() -> TestEnv {
    let env = TestEnv::new();
    env.create("a", &[]);
    env.run(&["-t", "beta", "create", "b", "-q"]).success();
    env
}

fn names(env: &TestEnv, tenant: &str) -> String {
    env.run(&["-t", tenant, "list", "-q"])
        .success()
        .stdout
        .clone()
}

#[test]
fn a_tenant_flag_beats_tokenctl_file_from_the_environment() {
    let env = two_tenants();
    let acme = env.file();
    let before = fs::read(&acme).unwrap();
    let out = output(
        env.cmd()
            .env("TOKENCTL_FILE", &acme)
            .args(["--tenant", "beta", "create", "x", "-q"])
            .output()
            .unwrap(),
    );
    out.success();
    assert_eq!(names(&env, "beta"), "b\nx\n");
    assert_eq!(fs::read(&acme).unwrap(), before, "acme must be untouched");
}

#[test]
fn file_and_tenant_flags_together_are_a_usage_error() {
    let env = two_tenants();
    let before = env.bytes();
    let file = env.file();
    let out = env.run(&[
        "--file",
        file.to_str().unwrap(),
        "--tenant",
        "beta",
        "create",
        "x",
        "-q",
    ]);
    out.code(2).stdout_empty();
    out.stderr_has("--tenant beta both name the file: give one of them");
    assert_eq!(env.bytes(), before);
    assert_eq!(names(&env, "beta"), "b\n");
}

#[test]
fn from_the_environment_the_file_beats_the_tenant_and_a_root_flag_changes_nothing() {
    let env = two_tenants();
    let acme = env.file();
    // TOKENCTL_TENANT=acme is TestEnv's; make it beta to see the file win.
    let list = |args: &[&str]| {
        output(
            env.cmd()
                .env("TOKENCTL_FILE", &acme)
                .env("TOKENCTL_TENANT", "beta")
                .args(args)
                .output()
                .unwrap(),
        )
    };
    assert_eq!(list(&["list", "-q"]).success().stdout, "a\n");
    assert_eq!(
        list(&["--root", "elsewhere", "list", "-q"])
            .success()
            .stdout,
        "a\n"
    );
    // A --file flag beats TOKENCTL_TENANT.
    let out = output(
        env.cmd()
            .env("TOKENCTL_TENANT", "beta")
            .args(["--file", acme.to_str().unwrap(), "list", "-q"])
            .output()
            .unwrap(),
    );
    assert_eq!(out.success().stdout, "a\n");
}

#[test]
fn the_help_says_which_wins() {
    let out = TestEnv::new().run(&["--help"]);
    out.success();
    let text = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for said in [
        "A flag on the command line beats any environment variable: --tenant beats TOKENCTL_FILE",
        "--file and --tenant both on the command line is a usage error (except for serve",
        "both from the environment, the file wins",
    ] {
        assert!(text.contains(said), "{said:?} not in {text}");
    }
}

#[test]
fn dynamic_completion_follows_the_same_rule() {
    let env = two_tenants();
    let complete = |file_env: bool, words: &[&str]| {
        let mut cmd = env.cmd();
        cmd.env("COMPLETE", "fish").env_remove("TOKENCTL_TENANT");
        if file_env {
            cmd.env("TOKENCTL_FILE", env.file());
        }
        let mut args = vec!["--", "tokenctl"];
        args.extend_from_slice(words);
        let out = output(cmd.args(args).output().unwrap());
        out.success();
        // The key names, without the flags offered beside them.
        out.stdout
            .lines()
            .filter(|l| !l.starts_with('-'))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(complete(true, &["show", ""]).trim(), "a");
    assert_eq!(
        complete(true, &["--tenant", "beta", "show", ""]).trim(),
        "b"
    );
    assert_eq!(complete(true, &["-tbeta", "show", ""]).trim(), "b");
    let file = env.file();
    let both = complete(
        false,
        &["--file", file.to_str().unwrap(), "-t", "beta", "show", ""],
    );
    assert_eq!(
        both.trim(),
        "",
        "both flags: a usage error, nothing offered"
    );
}
