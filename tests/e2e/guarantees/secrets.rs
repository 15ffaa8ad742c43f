//! Secret hygiene (docs/FORMAT.md, "Tokens", and SECURITY.md): a full session of every command, in
//! every output format, with successes and errors, after which each secret has appeared in
//! exactly one place: the stdout of the command that printed it. Never in stderr, another
//! command's output, the file, the usage file, the lock file or any other file.

use crate::support::env::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// One command of the session and what it printed.
struct Step {
    args: Vec<String>,
    out: Output,
}

struct Session {
    env: TestEnv,
    steps: Vec<Step>,
    /// Secret -> index of the step whose stdout printed it.
    printed_by: BTreeMap<String, usize>,
}

impl Session {
    fn run(&mut self, args: &[&str], stdin: &str) -> &Output {
        let out = self.env.run_with(args, stdin);
        self.steps.push(Step {
            args: args.iter().map(|s| s.to_string()).collect(),
            out,
        });
        &self.steps.last().unwrap().out
    }

    /// Runs a command that prints a new secret and notes which step printed it.
    fn secret(&mut self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        out.success();
        let secret = if out.stdout.trim_start().starts_with('{') {
            out.json()["token"].as_str().unwrap().to_string()
        } else if let Some(line) = out.stdout.lines().find(|l| l.starts_with("token:")) {
            line["token:".len()..].trim().to_string()
        } else {
            out.secret()
        };
        assert!(secret.len() >= 32, "{secret}");
        self.printed_by.insert(secret.clone(), self.steps.len() - 1);
        secret
    }
}

/// Every file under `dir`, recursively, with its bytes.
fn all_files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push((p.display().to_string(), fs::read(&p).unwrap_or_default()));
        }
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn every_secret_appears_only_on_the_stdout_that_printed_it() {
    let mut s = Session {
        env: TestEnv::new(),
        steps: Vec::new(),
        printed_by: BTreeMap::new(),
    };
    s.env.write(
        "# catalog\ntokenPrefix: acme\npermissions: [dns:read, dns:write, zone:read]\napiKeys:\n",
    );

    // Creating, in every format.
    let a = s.secret(
        &[
            "create",
            "a",
            "--permission",
            "dns:read",
            "--description",
            "first",
        ],
        "",
    );
    let b = s.secret(
        &["create", "b", "--format", "json", "--permission", "dns:*"],
        "",
    );
    let c = s.secret(&["create", "c", "--format", "yaml", "--expires", "1h"], "");
    let d = s.secret(&["create", "d", "--quiet", "--allow-ip", "10.0.0.0/8"], "");
    let imported = "an-imported-secret-from-a-vault-0123456789";
    let i = s.secret(&["create", "i", "--secret-stdin"], &format!("{imported}\n"));
    assert_eq!(i, imported);
    let e = s.secret(&["create", "e", "--copy", "--path-prefix", "/api"], "");

    // Declaring: apply prints the secrets of the keys it creates without a hash.
    let desired = s.env.dir.path().join("desired.yml");
    std::fs::write(&desired, "apiKeys:\n  ap1:\n    description: applied\n").unwrap();
    let out = s.run(
        &["apply", "-f", desired.to_str().unwrap(), "--format", "json"],
        "",
    );
    out.success();
    let ap1 = out.json()["secrets"][0]["token"]
        .as_str()
        .unwrap()
        .to_string();
    s.printed_by.insert(ap1.clone(), s.steps.len() - 1);
    std::fs::write(&desired, "apiKeys:\n  ap2:\n    permissions: [dns:read]\n").unwrap();
    let out = s.run(&["apply", "-f", desired.to_str().unwrap()], "");
    out.success();
    let ap2 = out.stdout.split_whitespace().nth(1).unwrap().to_string();
    assert!(ap2.starts_with("acme_"), "{}", out.stdout);
    s.printed_by.insert(ap2.clone(), s.steps.len() - 1);
    s.run(&["apply", "-f", desired.to_str().unwrap(), "--dry-run"], "")
        .success();

    // Reading.
    for fmt in ["table", "json", "yaml"] {
        s.run(&["list", "--format", fmt], "").success();
        s.run(&["show", "a", "--format", fmt], "").success();
        s.run(&["check", "--format", fmt], "").success();
    }
    s.run(&["list", "--expiring-within", "7d"], "").success();

    // Changing.
    s.run(&["update", "a", "--disable"], "").success();
    s.run(
        &[
            "update",
            "a",
            "--enable",
            "--add-permission",
            "zone:read",
            "--format",
            "json",
        ],
        "",
    )
    .success();
    let a2 = s.secret(&["rotate", "a", "--grace", "24h"], "");
    let b2 = s.secret(&["rotate", "b", "--format", "json"], "");
    let c2 = s.secret(&["rotate", "c", "--format", "yaml", "--grace", "1h"], "");
    let d2 = s.secret(&["rotate", "d", "--quiet"], "");

    // Verifying: valid, in the grace period, rotated away, forbidden, malformed, as headers,
    // with whitespace, recorded, in every format.
    for fmt in ["table", "json", "yaml"] {
        s.run(&["verify", "--format", fmt], &a2).success();
        s.run(&["verify", "--format", fmt], &a).success();
        s.run(&["verify", "--format", fmt], &b).code(4);
        s.run(
            &["verify", "--format", fmt, "--permission", "zone:read"],
            &d2,
        )
        .code(5);
    }
    s.run(&["verify", "--record", "--ip", "10.1.2.3"], &d2)
        .success();
    s.run(&["verify", "--ip", "192.0.2.1"], &d2).code(5);
    s.run(&["verify", "--path", "/other"], &e).code(5);
    s.run(&["verify"], &format!("Bearer {b2}")).success();
    let basic = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("user:{c2}"))
    };
    s.run(&["verify"], &format!("Basic {basic}\n")).success();
    s.run(&["verify"], &format!("  {c2}  ")).code(4);
    let mut typo = a2.clone();
    typo.replace_range(20..21, if &a2[20..21] == "0" { "1" } else { "0" });
    s.run(&["verify"], &typo).code(4).stderr_has("malformed");
    s.run(&["verify"], &a2[..a2.len() - 4]).code(4);
    s.run(&["verify"], imported).success();
    s.run(&["verify"], "").code(4);
    s.run(&["verify", "--format", "json"], &"x".repeat(20_000))
        .code(4);
    // A token on the command line is refused without being echoed.
    s.run(&["verify", &a2], "")
        .code(2)
        .stderr_has("pipe it on stdin");

    // Errors along the way.
    s.run(&["create", "a"], "").code(6);
    s.run(&["create", "dup", "--secret-stdin"], imported)
        .code(6);
    s.run(&["create", "short", "--secret-stdin"], "too-short")
        .code(2);
    s.run(&["create", "bad name"], "").code(2);
    s.run(&["create", "z", "--permission", "not:listed"], "")
        .code(2);
    s.run(&["show", "nope"], "").code(3);
    s.run(&["rotate", "nope"], "").code(3);
    s.run(
        &[
            "update",
            "a",
            "--if-unchanged",
            &format!("sha256:{}", "0".repeat(64)),
            "--disable",
        ],
        "",
    )
    .code(6);
    s.run(&["delete", "a"], "").code(2);

    // Removing.
    s.run(&["delete", "a", "--yes"], "").success();
    s.run(&["verify"], &a2).code(4);
    s.run(&["delete", "--all", "--yes"], "").success();
    s.run(&["list", "--format", "json"], "").success();

    let secrets = [&a, &b, &c, &d, &i, &e, &a2, &b2, &c2, &d2, &ap1, &ap2];
    assert_eq!(
        s.printed_by.len(),
        secrets.len(),
        "every secret is distinct"
    );
    for secret in secrets {
        // The whole token, and its random part alone (in case only that leaked).
        let body = secret
            .split_once('_')
            .map_or(secret.as_str(), |(_, b)| &b[..64]);
        let printer = s.printed_by[secret];
        for (n, step) in s.steps.iter().enumerate() {
            let in_stdout = step.out.stdout.matches(body).count();
            if n == printer {
                assert_eq!(
                    in_stdout, 1,
                    "{:?} printed its secret {in_stdout} times",
                    step.args
                );
            } else {
                assert_eq!(
                    in_stdout, 0,
                    "{:?} printed a secret on stdout: {}",
                    step.args, step.out.stdout
                );
            }
            assert!(
                !step.out.stderr.contains(body),
                "{:?} printed a secret on stderr: {}",
                step.args,
                step.out.stderr
            );
        }
        let mut files = Vec::new();
        all_files(s.env.dir.path(), &mut files);
        assert!(files.len() >= 3, "{files:?}");
        for (path, bytes) in &files {
            assert!(!contains(bytes, body), "{path} holds a secret");
        }
    }
}

#[test]
fn verify_has_no_option_that_takes_the_token() {
    let env = TestEnv::new();
    let help = env.run(&["verify", "--help"]);
    help.success();
    for word in ["--token", "--secret", "<TOKEN>"] {
        assert!(
            !help.stdout.contains(word),
            "verify --help offers {word}: {}",
            help.stdout
        );
    }
    let out = env.run(&[
        "verify",
        "--token=acme_not_a_real_token_but_long_enough_xxxxxxxxxxxx",
    ]);
    out.code(2);
    assert!(!out.stderr.contains("acme_not_a_real"), "{}", out.stderr);
}

/// Every command that holds a secret is non-dumpable: no core file, and neither ptrace nor
/// `/proc/<pid>/mem` for other processes of the user. Each is caught while it waits, with
/// the secret (or the stdin it reads one from) in hand: verify and `create --secret-stdin`
/// and `apply -f -` reading stdin, rotate waiting for the lock.
#[test]
fn commands_that_hold_a_secret_are_not_dumpable() {
    use std::process::{Command, Stdio};
    use std::time::Duration;
    let env = TestEnv::new();
    env.create("k", &[]);
    give_to_unprivileged(env.dir.path());
    let lock_path = env.file().with_file_name("security.yml.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap();
    give_to_unprivileged(&lock_path);
    lock.lock().unwrap(); // rotate waits for it
    let check = |what: &str, c: Command| {
        let mut child = unprivileged(c)
            .stdin(Stdio::piped()) // kept open: the command waits for it
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        // Once setpriv has exec'd tokenctl and tokenctl's main has begun.
        let hardened = eventually(Duration::from_secs(30), || {
            std::fs::read_to_string(format!("/proc/{pid}/status"))
                .is_ok_and(|s| s.starts_with("Name:\ttokenctl"))
                && is_non_dumpable(pid)
        });
        // And it is still there, waiting with the secret to come (or in hand).
        let waiting = child.try_wait().unwrap().is_none();
        let _ = child.kill();
        let _ = child.wait();
        assert!(hardened, "{what} is dumpable");
        assert!(waiting, "{what} did not wait");
    };
    let cmd = |args: &[&str]| {
        let mut c = env.std_cmd();
        c.args(args);
        c
    };
    check("verify", cmd(&["verify"]));
    check(
        "create --secret-stdin",
        cmd(&["create", "i", "--secret-stdin"]),
    );
    check("apply -f -", cmd(&["apply", "-f", "-"]));
    check("rotate", cmd(&["rotate", "k", "--lock-timeout", "60s"]));
    check("create", cmd(&["create", "n", "--lock-timeout", "60s"]));
    // Control: the same way of running shows an ordinary process as dumpable.
    let mut sleep = Command::new("sleep");
    sleep.arg("30");
    let mut sleeper = unprivileged(sleep).spawn().unwrap();
    let pid = sleeper.id();
    assert!(eventually(Duration::from_secs(30), || {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .is_ok_and(|s| s.starts_with("Name:\tsleep"))
    }));
    let control = is_non_dumpable(pid);
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(!control, "an ordinary process reads as non-dumpable");
    drop(lock);
}
