//! Operators and scripts: where the file is when flags and the environment disagree, a
//! secret that would go nowhere, broken pipes, and the small things an operator meets first.

use crate::support::env::{Output, TestEnv};
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
    env.run(&["-t", "beta", "create", "b", "-q", "--new-tenant"])
        .success();
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

/// Runs tokenctl (with `env`'s settings) from bash with `redirect` applied to it, e.g.
/// `>&-` (stdout closed) or `>/dev/null`.
fn run_redirected(env: &TestEnv, redirect: &str, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let std = env.std_cmd();
    let mut bash = std::process::Command::new("bash");
    bash.current_dir(env.dir.path()).env_clear();
    for (k, v) in std.get_envs() {
        if let Some(v) = v {
            bash.env(k, v);
        }
    }
    for (k, v) in extra {
        bash.env(k, v);
    }
    let script = format!("\"$@\" {redirect}");
    bash.args(["--noprofile", "--norc", "-c", &script, "bash"])
        .arg(std.get_program())
        .args(args)
        .stdin(std::process::Stdio::null());
    output(bash.output().unwrap())
}

#[test]
fn a_secret_is_never_generated_into_a_closed_stdout() {
    let env = TestEnv::new();
    let token = env.create("seed", &[]);
    let before = env.bytes();
    for args in [
        &["create", "lost", "-q"][..],
        &["create", "lost", "other"],
        &["rotate", "seed"],
        &["rotate", "seed", "--grace", "1h", "-q"],
    ] {
        let out = run_redirected(&env, ">&-", args, &[]);
        out.code(1);
        out.stderr_has("error: stdout was closed when tokenctl started (`>&-`), so the new secret");
        out.stderr_has("nothing was written: the file is unchanged and no new secret is in force");
        assert_eq!(env.bytes(), before, "{args:?} changed the file");
    }
    // The old secret still works: nothing was rotated.
    env.run_with(&["verify"], &token).success();
    // apply refuses when it would create a key, and goes ahead when it creates none.
    fs::write(env.dir.path().join("d.yml"), "apiKeys:\n  fresh: {}\n").unwrap();
    let out = run_redirected(&env, ">&-", &["apply", "-f", "d.yml"], &[]);
    out.code(1)
        .stderr_has("stdout was closed when tokenctl started");
    assert_eq!(env.bytes(), before);
    fs::write(
        env.dir.path().join("d.yml"),
        "apiKeys:\n  seed: {description: changed}\n",
    )
    .unwrap();
    run_redirected(&env, ">&-", &["apply", "-f", "d.yml"], &[]).success();
    assert!(
        env.read().contains("description: changed"),
        "{}",
        env.read()
    );
}

#[test]
fn dev_null_is_the_users_choice_and_is_warned_about_even_with_quiet() {
    let env = TestEnv::new();
    // `> /dev/null` (write-only) and a caller's DEVNULL (read-write, as Python's
    // subprocess.DEVNULL and Node's stdio 'ignore' open it): neither is a closed stdout.
    for (redirect, name) in [(">/dev/null", "k1"), ("1<>/dev/null", "k2")] {
        let out = run_redirected(&env, redirect, &["create", name, "-q"], &[]);
        out.success();
        assert_eq!(
            out.stderr,
            "warning: stdout is /dev/null, so nobody holds the new secret; \
             `tokenctl rotate NAME` gives the key another\n"
        );
        assert!(env.read().contains(&format!("{name}:")), "{}", env.read());
    }
    // Into a pipe or a file, no warning.
    let out = run_redirected(&env, ">secret.txt", &["create", "k3", "-q"], &[]);
    out.success();
    assert_eq!(out.stderr, "");
}

#[test]
#[ignore = "needs Xvfb and xclip; scripts/test runs it"]
fn copy_delivers_the_secret_when_stdout_is_closed() {
    let x = crate::support::env::Xvfb::start();
    let env = TestEnv::new();
    let out = run_redirected(
        &env,
        ">&-",
        &["create", "k", "--copy", "-q"],
        &[("DISPLAY", x.display.as_str())],
    );
    out.success();
    let secret = x.clipboard();
    assert!(secret.starts_with("tk_"), "{secret:?}");
    env.run_with(&["verify"], &secret).success();
}

/// Runs `script` in `bash -eo pipefail` with tokenctl on PATH and `env`'s settings.
fn bash_pipefail(env: &TestEnv, script: &str) -> Output {
    let std = env.std_cmd();
    let bin = std::path::Path::new(std.get_program())
        .parent()
        .unwrap()
        .to_path_buf();
    let mut bash = std::process::Command::new("bash");
    bash.current_dir(env.dir.path()).env_clear();
    for (k, v) in std.get_envs() {
        if let Some(v) = v {
            bash.env(k, v);
        }
    }
    let path = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    bash.env("PATH", path)
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .stdin(std::process::Stdio::null());
    output(bash.output().unwrap())
}

/// A file of `n` keys, written directly.
fn many_keys(env: &TestEnv, n: usize) {
    let mut text = String::from("apiKeys:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  key-{i}:\n    permissions: [dns:read]\n    hash: sha256:{i:064x}\n"
        ));
    }
    env.write(text);
}

#[test]
fn read_only_commands_end_quietly_on_a_closed_pipe() {
    let env = TestEnv::new();
    many_keys(&env, 2000);
    let out = bash_pipefail(
        &env,
        "tokenctl list | head -1
         tokenctl list -o json | head -c100 >/dev/null
         tokenctl list -o yaml | head -c100 >/dev/null
         tokenctl list -q | head -1 >/dev/null
         tokenctl show key-7 -o json | head -c1 >/dev/null
         tokenctl check -o json | head -c1 >/dev/null
         tokenctl schema | head -c1 >/dev/null
         tokenctl completions bash | head -c1 >/dev/null
         tokenctl man | head -c1 >/dev/null
         # The reader is gone before the first byte: every write fails with EPIPE.
         { sleep 0.3; tokenctl list; } | true
         { sleep 0.3; tokenctl schema; } | true
         echo done",
    );
    out.success();
    assert!(out.stdout.starts_with(" NAME "), "{}", out.stdout);
    assert!(out.stdout.ends_with("done\n"), "{}", out.stdout);
    // Only check's own verdict on stderr: no "Broken pipe", no error.
    assert_eq!(
        out.stderr,
        format!("{}: ok (2000 keys)\n", env.file().display())
    );
}

#[test]
fn a_closed_pipe_keeps_the_verdict_and_a_new_secret_still_fails_loudly() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let before = env.bytes();
    // verify's exit 4 and check's 7 survive a reader that has gone.
    let out = bash_pipefail(
        &env,
        "set +e
         { sleep 0.3; printf tk_nope | tokenctl verify; } | true
         echo \"verify=${PIPESTATUS[0]}\"
         { sleep 0.3; tokenctl create k2; } | true
         echo \"create=${PIPESTATUS[0]}\"",
    );
    out.stdout_has("verify=4\n").stdout_has("create=1\n");
    out.stderr_has("error: <stdout>: writing: Broken pipe");
    out.stderr_has("nothing was written: the file is unchanged and no new secret is in force");
    assert_eq!(env.bytes(), before);
    env.write("apiKeys:\n  bad key: {}\n");
    let out = bash_pipefail(
        &env,
        "set +e; { sleep 0.3; tokenctl check; } | true; echo \"check=${PIPESTATUS[0]}\"",
    );
    out.stdout_has("check=7\n");
}

#[test]
fn delete_ignore_missing_needs_no_confirmation_when_nothing_is_to_be_deleted() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let before = env.bytes();
    let out = env.run(&["delete", "nope", "--ignore-missing"]);
    out.success().stdout_empty();
    assert_eq!(
        out.stderr,
        "No key named 'nope'; nothing deleted (--ignore-missing).\n"
    );
    assert_eq!(env.bytes(), before);
    // A missing file too.
    let out = env.run(&[
        "-t",
        "other",
        "delete",
        "k",
        "--ignore-missing",
        "-o",
        "json",
    ]);
    out.success();
    assert_eq!(out.json()["deleted"], serde_json::json!([]));
    // Something to delete still needs --yes, and the suggestion keeps the user's flags.
    let out = env.run(&["-t", "acme", "delete", "k", "nope", "--ignore-missing"]);
    out.code(2).stdout_empty();
    out.stderr_has(
        "error: refusing to delete without confirmation: stdin is not a terminal; add --yes \
         (`tokenctl -t acme delete k nope --ignore-missing --yes`)",
    );
    assert_eq!(env.bytes(), before);
    // Following the suggestion works.
    let out = env.run(&[
        "-t",
        "acme",
        "delete",
        "k",
        "nope",
        "--ignore-missing",
        "--yes",
    ]);
    out.success();
    assert!(!env.read().contains("k:"), "{}", env.read());
}

#[test]
fn refusals_to_ask_suggest_the_command_as_typed_with_yes() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let out = env.run(&["delete", "--all", "-o", "json"]);
    out.code(2)
        .stderr_has("add --yes (`tokenctl delete --all -o json --yes`)");
    fs::write(env.dir.path().join("d y.yml"), "apiKeys: {}\n").unwrap();
    let out = env.run(&["apply", "-f", "d y.yml", "--prune"]);
    out.code(2)
        .stderr_has("add --yes (`tokenctl apply -f 'd y.yml' --prune --yes`)");
}

#[test]
fn if_unchanged_takes_sha256sums_line_its_hex_or_sha256_form() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let sha256sum = |env: &TestEnv| {
        let out = std::process::Command::new("sha256sum")
            .arg(env.file())
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .trim_end()
            .to_string()
    };
    for (i, form) in ["line", "hex", "sha256:", "HEX"].into_iter().enumerate() {
        let line = sha256sum(&env);
        let hex = &line[..64];
        let given = match form {
            "line" => line.clone(), // `<hex>  <file>`, as "$(sha256sum security.yml)" gives
            "hex" => hex.to_string(),
            "sha256:" => format!("sha256:{hex}"),
            _ => hex.to_ascii_uppercase(),
        };
        let description = format!("d{i}");
        env.run(&[
            "update",
            "k",
            "--description",
            &description,
            "--if-unchanged",
            &given,
        ])
        .success();
        assert!(env.read().contains(&description), "{form}: {}", env.read());
    }
    // A stale digest: exit 6, the digest in clear.
    let stale = sha256sum(&env);
    env.run(&["update", "k", "--description", "x"]).success();
    let before = env.bytes();
    let out = env.run(&[
        "update",
        "k",
        "--description",
        "y",
        "--if-unchanged",
        &stale,
    ]);
    out.code(6).stderr_has("changed since you read it");
    assert!(!out.stderr.contains("redacted"), "{}", out.stderr);
    assert_eq!(env.bytes(), before);
}

#[test]
fn a_wrong_digest_is_refused_without_calling_it_a_secret() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let before = env.bytes();
    let sha512 = format!("{}  security.yml", "ab".repeat(64));
    let short = "9116201cd33005dd5d9cce7a4651f580f18b728a9fb580475f86cfb12a05285"; // 63 digits
    for bad in [sha512.as_str(), short] {
        let out = env.run(&["update", "k", "--description", "y", "--if-unchanged", bad]);
        out.code(2);
        out.stderr_has(&format!(
            "error: invalid value '{bad}' for '--if-unchanged <SHA256>': not a SHA-256: give \
             the file's as `sha256sum security.yml` prints it, its 64 hex digits alone, or \
             sha256:<64 hex digits>"
        ));
        assert!(!out.stderr.contains("redacted"), "{}", out.stderr);
        assert!(!out.stderr.contains("rotate it"), "{}", out.stderr);
        assert_eq!(env.bytes(), before);
    }
    // A token pasted there by mistake is still not repeated.
    let token = env.create("t", &[]);
    let out = env.run(&["update", "k", "--if-unchanged", &token]);
    out.code(2)
        .stderr_has("tk_<redacted")
        .stderr_has("rotate it");
    assert!(!out.stderr.contains(&token));
}

#[test]
fn options_without_a_command_print_the_help_not_hidden_commands() {
    let env = TestEnv::new();
    // TestEnv sets TOKENCTL_TENANT, as the Quick start's export does.
    for args in [&[][..], &["-t", "acme"]] {
        let out = env.run(args);
        out.code(2).stdout_empty();
        out.stderr_has("Usage: tokenctl [OPTIONS] <COMMAND>");
        out.stderr_has("  create ");
        assert!(!out.stderr.contains("clipboard"), "{}", out.stderr);
    }
}

#[test]
fn usage_lines_name_the_tenant_and_the_key_apart() {
    let out = TestEnv::new().run(&["delete"]);
    out.code(2);
    let usage = out
        .stderr
        .lines()
        .find(|l| l.starts_with("Usage: "))
        .unwrap();
    assert!(usage.contains("--tenant <TENANT> "), "{usage}");
    assert_eq!(usage.matches("<NAME>").count(), 1, "{usage}");
}

#[test]
fn counts_are_singular_for_one() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let out = env.run(&["check"]);
    out.success();
    assert_eq!(
        out.stderr,
        format!("{}: ok (1 key)\n", env.file().display())
    );
    let out = env.run(&["check", "--all-tenants"]);
    out.success().stderr_has(": 1 tenant checked (1 key): ok\n");
}

#[test]
fn an_expiry_a_year_away_reads_in_years() {
    let env = TestEnv::new();
    env.create("y1", &["--expires", "1y"]);
    env.create("y1h", &["--expires", "1y6mo"]);
    env.run(&["show", "y1"])
        .success()
        .stdout_has("(in 1 year)\n");
    env.run(&["show", "y1h"])
        .success()
        .stdout_has("(in 1 year 6 months)\n");
}

#[test]
fn a_rotation_without_grace_says_it_ended_the_earlier_grace() {
    let env = TestEnv::new();
    let first = env.create("k", &[]);
    env.run(&["rotate", "k", "--grace", "1h", "-q"]).success();
    let shown = env.run(&["show", "k", "-o", "json"]).success().json();
    let fingerprint = shown["previousSecrets"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    env.run_with(&["verify"], &first).success();
    let out = env.run(&["rotate", "k"]);
    out.success();
    out.stderr_has("The old secret stopped working.\n");
    out.stderr_has(&format!(
        "So did the secret of an earlier rotation (fingerprint {fingerprint}), which was to \
         keep working until 2026-11-22T11:00:00Z.\n"
    ));
    env.run_with(&["verify"], &first).code(4);
    assert!(!env.read().contains("previousHashes"), "{}", env.read());
}

#[test]
fn an_uppercased_token_is_diagnosed_as_such() {
    let env = TestEnv::new();
    let token = env.create("k", &[]);
    let out = env.run_with(&["verify"], &token.to_uppercase());
    out.code(4).stdout_empty().stderr_has(
        "rejected: malformed token: character 1 is an uppercase letter (tokens are lowercase)",
    );
}

/// `list` with `COLUMNS` set, as at a terminal that wide.
fn list_at(env: &TestEnv, columns: &str, args: &[&str]) -> Output {
    let mut cmd = env.cmd();
    cmd.env("COLUMNS", columns).arg("list").args(args);
    output(cmd.output().unwrap())
}

#[test]
fn the_table_at_80_columns_keeps_last_used_wraps_between_scopes_and_says_what_it_hid() {
    let env = TestEnv::new();
    env.create(
        "grafana-prod-readonly-dashboard",
        &["-p", "dns:read", "-p", "domains:read", "--expires", "1y"],
    );
    env.create("temp", &["-p", "dns:read", "--expires", "1h"]);
    env.create(
        "terraform",
        &[
            "-p",
            "dns:read",
            "-p",
            "dns:write",
            "-p",
            "domains:read",
            "-p",
            "domains:write",
            "--allow-ip",
            "10.0.0.0/8",
            "--path-prefix",
            "/api",
            "--expires",
            "30d",
        ],
    );
    for columns in ["80", "60"] {
        let out = list_at(&env, columns, &[]);
        out.success();
        let head = out.stdout.lines().next().unwrap();
        assert!(
            head.contains("LAST USED"),
            "the sort column stays:\n{}",
            out.stdout
        );
        assert!(
            out.stdout.lines().all(|l| l.chars().count() <= 80),
            "{}",
            out.stdout
        );
        // Every scope whole on one line, never split inside (`domains:rea`/`d`).
        let words: Vec<&str> = out.stdout.split_whitespace().collect();
        for scope in ["dns:read,", "dns:write,", "domains:read", "domains:write"] {
            assert!(
                words
                    .iter()
                    .any(|w| w.trim_end_matches(',') == scope.trim_end_matches(',')),
                "{scope} split at {columns} columns:\n{}",
                out.stdout
            );
        }
        for w in &words {
            assert!(
                !matches!(*w, "domains:rea" | "d" | "d," | "domain" | "s:read"),
                "a scope split inside at {columns} columns:\n{}",
                out.stdout
            );
        }
    }
    let out = list_at(&env, "80", &[]);
    assert_eq!(
        out.stderr,
        "3 columns hidden (LIMITS, CREATED, FINGERPRINT) to fit the terminal; -o wide or -o \
         json shows every column\n"
    );
    // -o wide: every column, nothing wrapped, no note.
    let wide = list_at(&env, "80", &["-o", "wide"]);
    wide.success();
    assert_eq!(wide.stderr, "");
    assert_eq!(wide.stdout.lines().count(), 4, "{}", wide.stdout);
    for col in ["STATUS", "LIMITS", "LAST USED", "CREATED", "FINGERPRINT"] {
        assert!(
            wide.stdout.lines().next().unwrap().contains(col),
            "{}",
            wide.stdout
        );
    }
    // With room for everything, no note either.
    let roomy = list_at(&env, "250", &[]);
    assert_eq!(roomy.success().stderr, "");
    // -o wide elsewhere is the table.
    env.run(&["-o", "wide", "show", "temp"])
        .success()
        .stdout_has("permissions:");
}

#[test]
fn copy_without_a_display_does_not_deliver_into_a_closed_stdout() {
    let env = TestEnv::new();
    env.create("seed", &[]);
    let before = env.bytes();
    let out = run_redirected(&env, ">&-", &["create", "k", "--copy"], &[]);
    out.code(1).stderr_has(
        "--copy has no display to copy to (DISPLAY and WAYLAND_DISPLAY are unset), so the new \
         secret would go nowhere; nothing was written",
    );
    assert_eq!(env.bytes(), before);
}

#[test]
fn the_file_is_found_by_file_env_or_tenant_and_root() {
    let env = TestEnv::new();
    // --file wins over the tenant.
    env.run(&["--file", "direct.yml", "create", "a", "--quiet"])
        .success();
    assert!(env.dir.path().join("direct.yml").exists());
    // TOKENCTL_FILE.
    let out = env
        .cmd()
        .env("TOKENCTL_FILE", "viaenv.yml")
        .args(["create", "b", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(env.dir.path().join("viaenv.yml").exists());
    // --tenant under --root, and the default root ./tenants.
    env.run(&[
        "--tenant",
        "other",
        "--root",
        "elsewhere",
        "create",
        "c",
        "--quiet",
    ])
    .success();
    assert!(env.dir.path().join("elsewhere/other/security.yml").exists());
    let out = env
        .cmd()
        .env_remove("TOKENCTL_ROOT")
        .args(["create", "d", "--quiet", "--new-tenant"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(env.dir.path().join("tenants/acme/security.yml").exists());
}
