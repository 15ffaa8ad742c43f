//! What an independent review of the CLI, written against the README and the issues, found:
//! a usage file that is a link is never followed (its target was read and copied into the
//! tenant folder), a new usage file belongs to the file's owner, a lock timeout names the
//! holder the kernel lists rather than a pid left in the lock file, `apply -f <(...)`
//! reads the pipe, the flow-nesting limit is named, and a key name with a commit id in it is
//! not redacted as a secret; a FIFO checked is only "not a regular file", usage records of the
//! wrong shape are ignored aloud, and --all-tenants on a root with no tenant fails.

use crate::support::env::*;
use crate::support::harness::{command, fake_hash};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn a_usage_file_that_is_a_link_is_never_followed() {
    let env = TestEnv::new();
    let token = env.create("a", &[]);
    let outside = env.dir.path().join("outside.yml");
    let secret_text = "secretkey:\n  lastUsedFrom: \"root-only-secret-value\"\n  lastUsedAt: 2020-01-01T00:00:00Z\n";
    fs::write(&outside, secret_text).unwrap();
    fs::set_permissions(&outside, fs::Permissions::from_mode(0o644)).unwrap();
    let usage = env.file().with_file_name("security.usage.yml");
    symlink(&outside, &usage).unwrap();

    // verify --record: the token is valid, the use not recorded, the link left as it is.
    let out = env.run_with(&["verify", "--record"], &token);
    out.success()
        .stderr_has("this use was not recorded")
        .stderr_has("is a symbolic link");
    assert!(
        fs::symlink_metadata(&usage)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced"
    );
    assert_eq!(fs::read_to_string(&outside).unwrap(), secret_text);
    // list and show warn, and show nothing of the link's target.
    for args in [&["list", "--format", "json"][..], &["show", "a"]] {
        let out = env.run(args);
        out.success().stderr_has("is a symbolic link");
        assert!(!out.stdout.contains("root-only"), "{}", out.stdout);
        assert!(!out.stdout.contains("secretkey"), "{}", out.stdout);
    }

    // Without the link, a use is recorded in a file of tokenctl's own, 0600.
    fs::remove_file(&usage).unwrap();
    env.run_with(&["verify", "--record"], &token).success();
    let meta = fs::symlink_metadata(&usage).unwrap();
    assert!(meta.is_file());
    assert_eq!(meta.mode() & 0o777, 0o600);
    assert!(!fs::read_to_string(&usage).unwrap().contains("secretkey"));
}

#[test]
fn a_new_usage_file_belongs_to_the_owner_of_security_yml() {
    if !is_root() {
        eprintln!("skipped: needs root (CI runs as root)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("own");
    fs::create_dir(&dir).unwrap();
    let file = dir.join("security.yml");
    let out = command(&file)
        .args(["create", "k", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap();
    give_to_unprivileged(&dir);
    // Root records first...
    let mut verify = command(&file);
    verify.args(["verify", "--record"]).stdin(Stdio::piped());
    let out = run_with_stdin(verify, &token);
    assert!(out.0, "{}", out.1);
    let usage = fs::metadata(dir.join("security.usage.yml")).unwrap();
    assert_eq!((usage.uid(), usage.gid()), (NOBODY, NOBODY));
    assert_eq!(usage.mode() & 0o777, 0o600);
    // ...and the owner can still record after.
    let mut as_owner = command(&file);
    as_owner.args(["verify", "--record"]);
    let mut as_owner = unprivileged(as_owner);
    as_owner
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (ok, stderr) = run_with_stdin(as_owner, &token);
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("not recorded"), "{stderr}");
}

fn run_with_stdin(mut c: std::process::Command, input: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The pid left in the lock file by an earlier holder, or written there by anyone who can
/// write it, does not get the blame: the holder the kernel lists does.
#[test]
fn a_lock_timeout_names_the_holder_the_kernel_lists_not_a_pid_in_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("security.yml");
    fs::write(
        &file,
        format!("apiKeys:\n  k:\n    hash: {}\n", fake_hash(1)),
    )
    .unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    // A write leaves no pid behind.
    let out = command(&file)
        .args(["update", "k", "--description", "x"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let lock = tmp.path().join("security.yml.lock");
    assert_eq!(
        fs::read_to_string(&lock).unwrap(),
        "",
        "a stale pid was left"
    );
    // Someone writes our own pid into it, and flock(1) holds the lock.
    fs::write(&lock, format!("{}\n", std::process::id())).unwrap();
    let mut holder = std::process::Command::new("flock")
        .arg(&lock)
        .args(["sleep", "30"])
        .spawn()
        .unwrap();
    let start = Instant::now();
    let out = loop {
        let out = command(&file)
            .args([
                "--lock-timeout",
                "300ms",
                "update",
                "k",
                "--description",
                "y",
            ])
            .output()
            .unwrap();
        if out.status.code() == Some(6) || start.elapsed() > Duration::from_secs(10) {
            break out;
        }
    };
    let _ = holder.kill();
    let _ = holder.wait();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains(&format!("process {} (flock)", holder.id())),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&format!("process {} ", std::process::id())),
        "{stderr}"
    );
}

#[test]
fn apply_reads_a_desired_state_from_a_pipe_it_is_given() {
    let env = TestEnv::new();
    env.create("a", &[]);
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{} --file {} apply -f <(printf 'apiKeys:\\n  a: {{}}\\n  b: {{}}\\n') --dry-run",
            crate::support::harness::bin().display(),
            env.file().display()
        ))
        .env("CI", "true")
        .env("TOKENCTL_NOW", NOW)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(8),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("+ create b"), "{stdout}");
}

#[test]
fn flow_collections_nested_too_deep_are_named_so() {
    let env = TestEnv::new();
    env.write(format!(
        "foreign: {}{}\napiKeys: {{}}\n",
        "[".repeat(300),
        "]".repeat(300)
    ));
    env.run(&["check"])
        .code(7)
        .stdout_has("flow collections ([...] and {...}) nested deeper than 255 levels");
    env.write(format!(
        "foreign: {}{}\napiKeys: {{}}\n",
        "[".repeat(250),
        "]".repeat(250)
    ));
    env.run(&["check"]).success();
}

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

#[test]
fn check_of_a_fifo_says_only_that_it_is_not_a_regular_file() {
    let env = TestEnv::new();
    let fifo = env.dir.path().join("security.yml");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    let out = env.run(&["check", fifo.to_str().unwrap()]);
    out.code(7).stdout_has("is not a regular file");
    assert!(!out.stdout.contains("mode 0644"), "{}", out.stdout);
}

#[test]
fn usage_records_of_the_wrong_shape_are_ignored_with_a_warning() {
    let env = TestEnv::new();
    env.create("a", &[]);
    let usage = env.file().with_file_name("security.usage.yml");
    fs::write(
        &usage,
        "a:\n  lastUsedAt: 2026-11-20T10:00:00Z\nevil:\n  lastUsedAt: notatime\nworse: [1, 2]\n",
    )
    .unwrap();
    let out = env.run(&["list", "--format", "json"]);
    out.success()
        .stderr_has("ignoring 2 usage records without a name and an RFC 3339 lastUsedAt");
    assert_eq!(out.json()[0]["lastUsedAt"], "2026-11-20T10:00:00Z");
}

#[test]
fn all_tenants_on_a_root_without_tenants_fails_rather_than_passing_empty() {
    let env = TestEnv::new();
    let empty = env.dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let root = empty.to_str().unwrap();
    for args in [
        &["--root", root, "list", "--all-tenants", "--format", "json"][..],
        &["--root", root, "check", "--all-tenants"],
        &["--root", root, "scan", "--all-tenants", "-"],
    ] {
        let out = env.run_with(args, "");
        out.code(1).stderr_has("holds no tenant").stdout_empty();
    }
    env.run(&[
        "--root",
        root,
        "list",
        "--all-tenants",
        "--format",
        "json",
        "--missing-ok",
    ])
    .success()
    .stdout_has("[]");
}

#[test]
fn a_tenant_given_in_the_wrong_case_is_suggested_and_a_split_m_is_kept_whole() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    env.run(&["-t", "ACME", "list"])
        .code(1)
        .stderr_has("did you mean --tenant acme?");
    env.run(&["create", "x", "--expires", "1d1m"])
        .code(2)
        .stderr_has("write 1d1mo for months or 1d1min for minutes");
}

/// A tenant folder whose file leads out of the root (or whose name tokenctl cannot address)
/// is not read: its tokens would show as unknown, so the run does not pass.
#[test]
fn all_tenants_fails_when_a_tenant_folder_is_not_read() {
    let env = TestEnv::new();
    let live = env.create("ci", &["-p", "dns:read"]);
    // Tenant acme's file, reached through tenant b's link out of the root.
    let outside = env.dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::rename(env.file(), outside.join("security.yml")).unwrap();
    fs::create_dir_all(env.root().join("a")).unwrap();
    fs::write(env.root().join("a/security.yml"), "apiKeys: {}\n").unwrap();
    fs::set_permissions(
        env.root().join("a/security.yml"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    fs::remove_dir_all(env.root().join("acme")).unwrap();
    fs::create_dir_all(env.root().join("b")).unwrap();
    symlink(
        outside.join("security.yml"),
        env.root().join("b/security.yml"),
    )
    .unwrap();
    for args in [
        &["scan", "--all-tenants", "-"][..],
        &["list", "--all-tenants"],
        &["check", "--all-tenants"],
    ] {
        let out = env.run_with(args, &live);
        out.code(1).stderr_has("error: not read ");
        assert!(!out.stdout.contains(&live[5..]) && !out.stderr.contains(&live[5..]));
    }
}

#[test]
fn scan_never_prints_a_secret_that_is_part_of_a_path() {
    let env = TestEnv::new();
    let live = env.create("ci", &["-p", "dns:read"]);
    let dir = env.dir.path().join("leak").join(&live);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("f.txt"), format!("token={live}\n")).unwrap();
    for format in ["table", "json"] {
        let out = env.run(&[
            "scan",
            "--format",
            format,
            env.dir.path().join("leak").to_str().unwrap(),
        ]);
        out.code(10);
        assert!(!out.stdout.contains(&live[5..]), "{}", out.stdout);
        assert!(!out.stderr.contains(&live[5..]), "{}", out.stderr);
        assert!(
            out.stdout.contains("<redacted, fingerprint"),
            "{}",
            out.stdout
        );
    }
}

/// Found by an independent differential test against PyYAML: a plain key name that YAML
/// 1.1 resolves to a date or a boolean is no string to a server on PyYAML.
#[test]
fn a_plain_key_name_that_yaml_1_1_reads_as_no_text_is_refused() {
    let env = TestEnv::new();
    for name in ["2027-01-01", "on", "yes", "N", "1_000", "1.5_0", "0b101"] {
        env.write(format!(
            "apiKeys:\n  {name}:\n    hash: {}\n  ok:\n    hash: {}\n",
            fake_hash(1),
            fake_hash(2)
        ));
        let before = env.bytes();
        env.run(&["check"])
            .code(7)
            .stdout_has(&format!("key name {name} is a"))
            .stdout_has("to YAML 1.1 parsers such as PyYAML, not text; quote it");
        env.run(&["update", "ok", "--disable"]).code(1);
        assert_eq!(env.bytes(), before, "{name}");
        // Quoted, it is a name like any other.
        env.write(format!(
            "apiKeys:\n  '{name}':\n    hash: {}\n",
            fake_hash(1)
        ));
        env.run(&["check"]).success();
    }
    // What tokenctl writes, PyYAML reads as text.
    env.write("apiKeys:\n");
    env.run(&["create", "2027-01-01", "-q"]).success();
    assert!(
        String::from_utf8(env.bytes())
            .unwrap()
            .contains("\"2027-01-01\":")
    );
}

/// Found by an independent differential test against PyYAML: NEL, LS and PS are line
/// breaks to YAML 1.1 parsers and libyaml, ordinary characters to YAML 1.2. A comment
/// ending in one hid a `*` key from tokenctl that PyYAML servers accept, and a disable
/// that tokenctl called done left the key enabled for them. Such files are refused.
#[test]
fn nel_ls_and_ps_are_refused_anywhere_in_the_file() {
    let env = TestEnv::new();
    for c in ['\u{85}', '\u{2028}', '\u{2029}'] {
        for text in [
            format!(
                "apiKeys:\n  ci:\n    hash: {}\n  # managed{c}  backdoor: {{hash: {}, permissions: ['*']}}\n",
                fake_hash(1),
                fake_hash(2)
            ),
            format!(
                "apiKeys:\n  k:\n    hash: {}\n    enabled: true # reviewed{c}    enabled: true\n",
                fake_hash(1)
            ),
            format!(
                "apiKeys:\n  k:\n    hash: {}\n    description: |\n      x{c}    permissions: ['*']\n",
                fake_hash(1)
            ),
            format!(
                "apiKeys:\n  k:\n    hash: {}\n    description: \"a{c}b\"\n",
                fake_hash(1)
            ),
        ] {
            env.write(&text);
            let before = env.bytes();
            env.run(&["check"])
                .code(7)
                .stdout_has(&format!("the character U+{:04X}", c as u32));
            env.run(&["list"]).code(1);
            env.run(&["update", "k", "--disable"]).code(1);
            assert_eq!(env.bytes(), before);
        }
    }
    // Given on the command line, it is written as an escape, which every parser reads alike.
    env.write(format!("apiKeys:\n  k:\n    hash: {}\n", fake_hash(1)));
    env.run(&["update", "k", "--description", "a\u{85}b\u{2028}c"])
        .success();
    let text = String::from_utf8(env.bytes()).unwrap();
    assert!(
        !text.contains('\u{85}') && !text.contains('\u{2028}'),
        "{text}"
    );
    env.run(&["check"]).success();
}
