//! A secret typed where a name or a value goes is never repeated (issue 11, "Secrets and
//! hostile text"): every argument of every command, taken from the clap definition itself so
//! that a new flag is covered the day it is added, is given a real token; no output holds it.
//! Where a message would have repeated it, it shows the token's prefix and fingerprint (the
//! key's, in `list`) with the advice to rotate.

use crate::support::env::*;
use clap::CommandFactory;

/// A key `a` whose secret is the hostile value, and what `list` calls its fingerprint.
struct Setup {
    env: TestEnv,
    token: String,
    fingerprint: String,
    original: Vec<u8>,
    desired: String,
}

fn setup() -> Setup {
    let env = TestEnv::new();
    env.write("tokenPrefix: acme\napiKeys:\n");
    let token = env.create("a", &["--permission", "dns:read"]);
    let list = env.run(&["list", "--format", "json"]);
    let fingerprint = list.json()[0]["fingerprint"].as_str().unwrap().to_string();
    let desired = env.dir.path().join("desired.yml");
    std::fs::write(&desired, "apiKeys:\n  a:\n    description: declared\n").unwrap();
    Setup {
        original: env.bytes(),
        env,
        token,
        fingerprint,
        desired: desired.to_str().unwrap().to_string(),
    }
}

impl Setup {
    /// Runs one command line, with the token on stdin too (verify reads it there), and checks
    /// that neither output nor the file holds the token; restores the file afterwards.
    #[track_caller]
    fn run_clean(&self, args: &[String]) -> Output {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.env.run_with(&args, &self.token);
        // The random part alone, in case only that leaked.
        let body = &self.token["acme_".len()..][..64];
        for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(
                !text.contains(body),
                "`tokenctl {}` repeated the token on {stream}:\n{text}",
                args.join(" ")
            );
        }
        let file = String::from_utf8_lossy(&self.env.bytes()).into_owned();
        assert!(
            !file.contains(body),
            "`tokenctl {}` stored the token:\n{file}",
            args.join(" ")
        );
        if out.stderr.contains(&self.fingerprint) {
            assert!(
                out.stderr.contains("rotate it"),
                "`tokenctl {}` redacted without the advice to rotate:\n{}",
                args.join(" "),
                out.stderr
            );
        }
        self.env.write(&self.original);
        out
    }

    /// The form a message shows instead of the token.
    fn redacted(&self) -> String {
        format!("acme_<redacted, fingerprint {}>", self.fingerprint)
    }
}

/// Arguments that make each subcommand reach the argument under test: its required
/// positionals and options, with valid values, and where each value is (by argument id).
/// Panics on a required argument it does not know, so that a new one gets a value here
/// rather than going untested.
fn base(sub: &clap::Command, setup: &Setup) -> (Vec<String>, Vec<(String, usize)>) {
    let mut argv = vec![sub.get_name().to_string()];
    let mut at = Vec::new();
    for arg in sub.get_arguments() {
        let id = arg.get_id().as_str();
        let wanted = arg.is_required_set()
            || (arg.is_positional() && matches!(id, "name" | "names"))
            || (sub.get_name() == "delete" && id == "yes");
        if !wanted {
            continue;
        }
        let value = match (sub.get_name(), id) {
            ("create", "names") => "z".to_string(),
            (_, "name" | "names") => "a".to_string(),
            ("rename", "old") => "a".to_string(),
            ("rename", "new") => "z".to_string(),
            (_, "shell") => "bash".to_string(),
            ("export", "kind") => "secret".to_string(),
            ("rollout", "action") => "status".to_string(),
            ("policy", "action") => "show".to_string(),
            (_, "desired") => setup.desired.clone(),
            (_, "yes") => String::new(),
            (s, other) => panic!("give `{s}`'s required argument `{other}` a value in base()"),
        };
        if let Some(long) = arg.get_long() {
            argv.push(format!("--{long}"));
        }
        if !value.is_empty() {
            at.push((id.to_string(), argv.len()));
            argv.push(value);
        }
    }
    if sub.get_name() == "serve" {
        // An address that cannot be bound: serve checks every other argument, then exits
        // rather than serving until killed.
        argv.push("--listen".into());
        at.push(("listen".to_string(), argv.len()));
        argv.push("256.0.0.1:1".into());
    }
    (argv, at)
}

/// Does this argument take a value from the command line?
fn takes_value(arg: &clap::Arg) -> bool {
    arg.get_action().takes_values()
}

#[test]
fn a_token_given_as_any_argument_of_any_command_is_never_repeated() {
    let s = setup();
    let mut cmd = tokenctl::cli::Cli::command();
    // Propagates the global options into every subcommand, and adds `help`.
    cmd.build();
    let t = &s.token;
    let mut lines: Vec<Vec<String>> = vec![
        vec![t.clone()],
        vec![format!("--{t}")],
        vec!["--no-such-flag".into(), t.clone()],
    ];
    let mut covered = std::collections::BTreeSet::new();
    for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
        let (base, at) = base(sub, &s);
        // An extra positional, an unknown flag's value, the token as a flag.
        for extra in [t.clone(), format!("--no-such-flag={t}"), format!("--{t}")] {
            lines.push([base.clone(), vec![extra]].concat());
        }
        for arg in sub.get_arguments().filter(|a| takes_value(a)) {
            covered.insert(arg.get_id().as_str().to_string());
            let given = at
                .iter()
                .find(|(id, _)| id == arg.get_id().as_str())
                .map(|(_, i)| *i);
            if arg.is_positional() {
                let mut line = base.clone();
                match given {
                    Some(i) => line[i] = t.clone(),
                    None => line.push(t.clone()),
                }
                lines.push(line);
                continue;
            }
            let flag = match (arg.get_long(), arg.get_short()) {
                (Some(l), _) => format!("--{l}"),
                (None, Some(c)) => format!("-{c}"),
                (None, None) => unreachable!("an option has a name"),
            };
            let mut line = base.clone();
            if let Some(i) = given {
                line.drain(i - 1..=i); // the value base() gave this option
            }
            // Both `--flag VALUE` and `--flag=VALUE`.
            lines.push([line.clone(), vec![flag.clone(), t.clone()]].concat());
            lines.push([line, vec![format!("{flag}={t}")]].concat());
        }
    }
    // The list, found in the definition rather than written here.
    for id in [
        "name",
        "names",
        "ip",
        "expires",
        "grace",
        "lock_timeout",
        "if_unchanged",
        "allow_ips",
        "path_prefix",
        "format",
        "path",
        "desired",
        "permissions",
        "file",
        "tenant",
        "root",
        "copy_for",
    ] {
        assert!(covered.contains(id), "`{id}` not covered: {covered:?}");
    }
    for line in &lines {
        s.run_clean(line);
    }
}

#[test]
fn messages_show_the_prefix_and_fingerprint_and_advise_rotating() {
    let s = setup();
    let t = s.token.as_str();
    let desired_with_token = s.env.dir.path().join("leaky.yml");
    std::fs::write(
        &desired_with_token,
        format!("apiKeys:\n  b:\n    permissions: [{t}]\n"),
    )
    .unwrap();
    let leaky = desired_with_token.to_str().unwrap();
    // (command line, exit code) of the list: each message names the value redacted.
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["show", t], 2),
        (vec!["delete", t, "--yes"], 2),
        (vec!["rotate", t], 2),
        (vec!["update", t, "--disable"], 2),
        (vec![t], 2),
        (vec!["list", "--format", t], 2),
        (vec!["--lock-timeout", t, "list"], 2),
        (vec!["verify", "--ip", t], 2),
        (vec!["create", "z", "--expires", t], 2),
        (vec!["rotate", "a", "--grace", t], 2),
        (vec!["update", "a", "--if-unchanged", t, "--disable"], 2),
        (vec!["create", "z", "--allow-ip", t], 2),
        (vec!["create", "z", "--path-prefix", t], 2),
        (vec!["create", "z", "--permission", t], 2),
        (vec!["create", "z", "--resource", t], 2),
        (vec!["create", "z", "--description", t], 2),
        (vec!["create", "z", "--copy-for", t], 2),
        (vec!["update", "a", "--add-permission", t], 2),
        (vec!["check", t], 1),
        (vec!["apply", "-f", t], 1),
    ];
    for (args, code) in cases {
        let line: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let out = s.run_clean(&line);
        out.code(code);
        out.stderr_has(&s.redacted()).stderr_has("rotate it");
    }
    // A token pasted into a desired state is refused with its position, not written.
    let out = s.run_clean(&["apply".into(), "-f".into(), leaky.into()]);
    out.code(1)
        .stderr_has("leaky.yml:3:")
        .stderr_has("a secret does not belong here");
    // Verify reads the token from stdin and still never repeats it; a request value that
    // is a token is redacted in the JSON message as well.
    let out = s.run_clean(&[
        "verify".into(),
        "--permission".into(),
        t.into(),
        "--format".into(),
        "json".into(),
    ]);
    out.code(5);
    assert!(
        out.json()["message"]
            .as_str()
            .unwrap()
            .contains(&s.redacted()),
        "{}",
        out.stdout
    );
    // The fingerprint shown is the key's own: the advice can be followed.
    let out = s.env.run(&["list"]);
    out.success().stdout_has(&s.fingerprint);
}

#[test]
fn names_and_paths_that_are_not_secrets_are_repeated_as_they_are() {
    let env = TestEnv::new();
    env.write("apiKeys:\n");
    env.run(&["show", "ci-deploy-20261122-production-eu1"])
        .code(3)
        .stderr_has("no key named 'ci-deploy-20261122-production-eu1'");
    let out = env.run(&["show", "GithubActionsDeployProductionKey"]);
    out.code(3).stderr_has("'GithubActionsDeployProductionKey'");
    assert!(!out.stderr.contains("redacted"), "{}", out.stderr);
    let out = env.run(&[
        "check",
        "/nonexistent/infrastructure/configuration/security.yml",
    ]);
    out.code(1)
        .stderr_has("/nonexistent/infrastructure/configuration/security.yml");
    assert!(!out.stderr.contains("rotate"), "{}", out.stderr);
    // A file's digest is no secret: the conflict message gives it whole, ready for reuse.
    env.create("k", &[]);
    let digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(env.bytes()))
    };
    let stale = format!("sha256:{}", "0".repeat(64));
    let out = env.run(&["update", "k", "--disable", "--if-unchanged", &stale]);
    out.code(6).stderr_has(&format!("sha256:{digest}"));
    assert!(!out.stderr.contains("redacted"), "{}", out.stderr);
}

/// Origin: the independent review of the CLI written against the README (was review.rs).
#[test]
fn a_key_name_with_a_commit_id_is_a_name_not_a_secret() {
    let env = TestEnv::new();
    let sha = "209882f2278e3e95cddfa4db5d7298d50428a47b";
    let name = format!("deploy-{sha}");
    let out = env.run(&["create", &name, "--quiet"]);
    out.success();
    assert!(!out.stderr.contains("redacted"), "{}", out.stderr);
    let out = env.run(&["update", &name, "--disable"]);
    out.success().stderr_has(&format!("Disabled key '{name}'"));
    assert!(!out.stderr.contains("rotate it"), "{}", out.stderr);
    // A bare hex string of that length is still taken for a secret.
    env.run(&["show", sha])
        .code(3)
        .stderr_has("<redacted, fingerprint");
}
