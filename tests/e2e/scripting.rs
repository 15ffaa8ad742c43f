//! What scripts rely on: no command waits for input without a terminal, stable JSON field
//! names for every command that prints data (README, "Output formats"), `--quiet`,
//! `--color` and `NO_COLOR`, tables that fit the width, and help that ends with examples.

use crate::support::env::TestEnv;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FILE: &str = "\
permissions: [dns:read, dns:write]
apiKeys:
  old:
    description: an old key
    permissions: [dns:read]
    hash: sha256:1111111111111111111111111111111111111111111111111111111111111111
    createdAt: 2026-01-01T00:00:00Z
    expiresAt: 2026-06-01T00:00:00Z
";

/// Runs tokenctl with stdin a pipe that stays open (never EOF) and no terminal anywhere,
/// without CI set; returns the exit code, or panics if it is still running after 20 s.
fn run_with_open_stdin(env: &TestEnv, args: &[&str]) -> (i32, String) {
    let err_path = env.dir.path().join("stderr.txt");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("tokenctl"))
        .args(args)
        .current_dir(env.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env.dir.path())
        .env("TOKENCTL_ROOT", env.root())
        .env("TOKENCTL_TENANT", &env.tenant)
        .env("TOKENCTL_NOW", crate::support::env::NOW)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("spawns");
    let _open = child.stdin.take(); // held, never written, never closed until the end
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
            return (status.code().unwrap_or(-1), stderr);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`tokenctl {}` waited for input on a pipe", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn no_command_waits_for_input_without_a_terminal() {
    // verify and create --secret-stdin read their data from stdin by design (to EOF); every
    // other command, and every prompt, must not touch stdin at all.
    let cases: &[(&[&str], i32, &str)] = &[
        (&["create"], 2, "missing key NAME"),
        (&["create", "new", "--permission", "dns:read"], 0, ""),
        (&["list"], 0, ""),
        (&["show", "old"], 0, ""),
        (&["show", "olf"], 3, "did you mean 'old'"),
        (&["update", "old", "--disable"], 0, ""),
        (&["rotate", "old"], 0, ""),
        (&["delete", "old"], 2, "--yes"),
        (&["delete", "--all"], 2, "--yes"),
        (&["delete", "old", "--yes"], 0, ""),
        (&["delete", "--all", "--yes"], 0, ""),
        (&["check"], 0, ""),
        (&["completions", "bash"], 0, ""),
        (&["man"], 0, ""),
    ];
    for (args, code, hint) in cases {
        let env = TestEnv::new();
        env.write(FILE);
        let before = env.read();
        let (got, stderr) = run_with_open_stdin(&env, args);
        assert_eq!(got, *code, "tokenctl {}: {stderr}", args.join(" "));
        assert!(
            stderr.contains(hint),
            "tokenctl {}: {stderr}",
            args.join(" ")
        );
        if *code != 0 {
            assert_eq!(env.read(), before, "a refused command writes nothing");
        }
    }
}

#[test]
fn missing_name_without_a_terminal_names_the_flags() {
    let env = TestEnv::new();
    let out = env.run(&["create"]);
    out.code(2)
        .stderr_has("missing key NAME")
        .stderr_has("--permission")
        .stderr_has("--expires")
        .stdout_empty();
    assert!(!env.file().exists());
}

/// The sorted field names of a JSON object.
fn fields(v: &Value) -> Vec<&str> {
    let mut f: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    f.sort();
    f
}

const KEY_FIELDS: &[&str] = &[
    "allowedIps",
    "createdAt",
    "description",
    "enabled",
    "expired",
    "expiresAt",
    "fingerprint",
    "lastUsedAt",
    "lastUsedFrom",
    "name",
    "owner",
    "pathPrefix",
    "permissions",
    "previousSecrets",
    "resources",
    "sharesSecretWith",
    "status",
];

#[test]
fn json_shapes_are_pinned() {
    let env = TestEnv::new();
    env.write(FILE);

    let created = env
        .run(&[
            "create",
            "ci",
            "-p",
            "dns:write",
            "--expires",
            "30d",
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(
        fields(&created),
        ["expiresAt", "fingerprint", "name", "token"]
    );
    assert_eq!(created["name"], "ci");
    assert_eq!(created["expiresAt"], "2026-12-22T10:00:00Z");
    let token = created["token"].as_str().unwrap().to_string();

    let list = env.run(&["list", "--format", "json"]).success().json();
    let list = list.as_array().expect("list is an array");
    assert_eq!(list.len(), 2);
    for k in list {
        assert_eq!(fields(k), KEY_FIELDS);
    }
    let old = list.iter().find(|k| k["name"] == "old").unwrap();
    assert_eq!(old["status"], "expired");
    assert_eq!(old["expired"], true);
    assert_eq!(old["permissions"], serde_json::json!(["dns:read"]));
    assert_eq!(old["fingerprint"], "11111111");
    assert_eq!(old["lastUsedAt"], Value::Null);

    let shown = env
        .run(&["show", "ci", "--format", "json"])
        .success()
        .json();
    assert_eq!(fields(&shown), KEY_FIELDS);
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["createdAt"], crate::support::env::NOW);

    let verified = env
        .run_with(
            &["verify", "--format", "json", "--permission", "dns:write"],
            &token,
        )
        .success()
        .json();
    assert_eq!(
        fields(&verified),
        ["key", "message", "permissions", "reason", "status", "valid"]
    );
    assert_eq!(verified["valid"], true);
    assert_eq!(verified["status"], 200);
    assert_eq!(verified["reason"], "valid");
    let denied = env.run_with(
        &["verify", "--format", "json", "--permission", "dns:read"],
        &token,
    );
    denied.code(5);
    assert_eq!(denied.json()["reason"], "permission");
    assert_eq!(denied.json()["status"], 403);

    let rotated = env
        .run(&["rotate", "ci", "--grace", "1h", "--format", "json"])
        .success()
        .json();
    assert_eq!(
        fields(&rotated),
        [
            "expiresAt",
            "fingerprint",
            "name",
            "oldSecretExpiresAt",
            "token"
        ]
    );
    assert_eq!(rotated["oldSecretExpiresAt"], "2026-11-22T11:00:00Z");
    let shown = env
        .run(&["show", "ci", "--format", "json"])
        .success()
        .json();
    let prev = &shown["previousSecrets"][0];
    assert_eq!(fields(prev), ["expiresAt", "fingerprint"]);
    assert_eq!(prev["expiresAt"], "2026-11-22T11:00:00Z");

    let check = env
        .run(&[
            "check",
            "--warn-expiring",
            "14d",
            "--format",
            "json",
            "--strict",
        ])
        .code(7)
        .json();
    assert_eq!(
        fields(&check),
        ["file", "keys", "ok", "problems", "warnings"]
    );
    assert_eq!(check["ok"], false);
    assert_eq!(check["keys"], 2);
    let problem = &check["warnings"][0];
    assert_eq!(fields(problem), ["column", "line", "message"]);
    assert!(
        problem["message"]
            .as_str()
            .unwrap()
            .contains("'old' expired")
    );

    let updated = env
        .run(&[
            "update",
            "ci",
            "--add-permission",
            "dns:read",
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(fields(&updated), KEY_FIELDS);
    assert_eq!(
        updated["permissions"],
        serde_json::json!(["dns:write", "dns:read"])
    );

    let deleted = env
        .run(&["delete", "old", "--yes", "--format", "json"])
        .success()
        .json();
    assert_eq!(deleted, serde_json::json!({"deleted": ["old"]}));

    // YAML carries the same names.
    let yaml = env
        .run(&["show", "ci", "--format", "yaml"])
        .success()
        .stdout
        .clone();
    for f in KEY_FIELDS {
        assert!(yaml.contains(&format!("{f}:")), "yaml lacks {f}: {yaml}");
    }
}

#[test]
fn quiet_prints_only_the_secret() {
    let env = TestEnv::new();
    let out = env.run(&["create", "ci", "--quiet"]);
    out.success();
    assert_eq!(out.stderr, "");
    let secret = out.secret();
    assert!(secret.starts_with("tk_") && secret.len() == 3 + 72);
    let out = env.run(&["rotate", "ci", "-q"]);
    out.success();
    assert_eq!(out.stderr, "");
    assert_ne!(out.secret(), secret);
}

#[test]
fn color_always_never_and_no_color() {
    let env = TestEnv::new();
    env.write(FILE);
    let colored = env.run(&["list", "--color", "always"]);
    colored.success();
    assert!(
        colored.stdout.contains("\x1b[38;5;9m") || colored.stdout.contains("\x1b[31m"),
        "the expired key is red: {:?}",
        colored.stdout
    );
    for args in [&["list", "--color", "never"][..], &["list"][..]] {
        let out = env.run(args);
        assert!(!out.stdout.contains('\x1b'), "{args:?}: {:?}", out.stdout);
    }
    // NO_COLOR only silences `auto`: an explicit --color always wins.
    let out = env
        .cmd()
        .env("NO_COLOR", "1")
        .args(["list", "--color", "always"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains('\x1b'));
}

#[test]
fn tables_fit_the_width() {
    let env = TestEnv::new();
    env.write(FILE);
    env.run(&[
        "create",
        "a-rather-long-key-name-for-the-deploy-job",
        "-p",
        "dns:read",
        "-p",
        "dns:write",
        "--description",
        "a description long enough to need wrapping in a narrow terminal window",
    ])
    .success();
    for width in ["40", "60", "80", "200"] {
        let out = env
            .cmd()
            .env("COLUMNS", width)
            .arg("list")
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        // What matters most stays; narrower terminals drop CREATED, FINGERPRINT, ...
        for col in ["NAME", "PERMISSIONS", "EXPIRES", "expired"] {
            assert!(text.contains(col), "{col} at {width}:\n{text}");
        }
        if width == "200" {
            assert!(
                text.contains("FINGERPRINT") && text.contains("CREATED"),
                "{text}"
            );
            assert_eq!(
                text.lines().count(),
                3,
                "nothing wraps when there is room:\n{text}"
            );
        }
        let max: usize = width.parse().unwrap();
        for line in text.lines() {
            assert!(
                line.chars().count() <= max,
                "line wider than {max}: {line:?}\n{text}"
            );
        }
    }
}

/// Subcommand names as `tokenctl --help` lists them.
fn subcommands(env: &TestEnv) -> Vec<String> {
    let help = env.run(&["--help"]).success().stdout.clone();
    let section = help.split("Commands:").nth(1).expect("a Commands section");
    section
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(String::from)
        .collect()
}

#[test]
fn every_help_ends_with_real_examples() {
    let env = TestEnv::new();
    let subs = subcommands(&env);
    assert!(subs.len() >= 10, "{subs:?}");
    for sub in &subs {
        let help = env.run(&[sub, "--help"]).success().stdout.clone();
        let examples = help
            .split("Examples:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("`{sub} --help` has no Examples section:\n{help}"));
        let lines: Vec<&str> = examples
            .lines()
            .filter(|l| l.trim_start().starts_with("tokenctl") || l.contains("| tokenctl"))
            .collect();
        assert!(
            lines.len() >= 2,
            "`{sub} --help` needs two or three examples:\n{help}"
        );
        for l in lines {
            assert!(
                l.contains(&format!(" {sub}")) || l.contains(&format!("{sub} ")),
                "example of another command in `{sub} --help`: {l}"
            );
        }
    }
}

#[test]
fn every_help_example_parses() {
    use clap::Parser;
    let env = TestEnv::new();
    let mut subs = subcommands(&env);
    subs.push(String::new()); // the top-level help
    for sub in &subs {
        let args: Vec<&str> = if sub.is_empty() {
            vec!["--help"]
        } else {
            vec![sub, "--help"]
        };
        let help = env.run(&args).success().stdout.clone();
        let Some(examples) = help.split("Examples:\n").nth(1) else {
            continue;
        };
        for line in examples.lines() {
            let Some(start) = line.find("tokenctl ") else {
                continue;
            };
            if line.contains("COMPLETE=") {
                continue; // the completion protocol, not a command line
            }
            // The command itself, without pipes, redirections or comments.
            let cmd = line[start..].split(['|', '>', '<', '#']).next().unwrap();
            let words: Vec<String> = cmd
                .split_whitespace()
                .map(|w| w.trim_matches(|c| c == '\'' || c == '"').to_string())
                .collect();
            if let Err(e) = tokenctl::cli::Cli::try_parse_from(&words) {
                panic!("example {line:?} in `{sub} --help` does not parse: {e}");
            }
        }
    }
}

#[test]
fn errors_suggest_the_fix() {
    let env = TestEnv::new();
    env.create("ci-deploy", &[]);
    env.run(&["rotate", "ci-deply"])
        .code(3)
        .stderr_has("did you mean 'ci-deploy'?");
    env.run(&["delete", "ci-deploy"])
        .code(2)
        .stderr_has("add --yes");
    env.run(&["update", "ci-deploy"])
        .code(2)
        .stderr_has("--enable")
        .stderr_has("--expires");
    env.run(&["lsit"])
        .code(2)
        .stderr_has("similar subcommand exists: 'list'");
    env.run(&["create", "x", "--permision", "dns:read"])
        .code(2)
        .stderr_has("similar argument exists: '--permission'");
    env.run(&["create", "ci-deploy"])
        .code(6)
        .stderr_has("use `tokenctl rotate ci-deploy`");
    assert!(env.read().contains("ci-deploy:") && !env.read().contains("x:"));
}
