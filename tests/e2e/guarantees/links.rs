//! Links, locks and odd files (issue "Hardening", paths, links and locks), tried as an
//! attacker with a shell on the same machine or control of one tenant's folder would: a
//! link out of the root, a planted link in a shared folder, a lock file that is a link, a
//! FIFO, a hard link, a root-owned lock, a stopped lock holder.

use crate::support::env::*;
use crate::support::harness::{command, fake_hash, temp_files};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A tenant whose security.yml links to another tenant's file outside the root: no command
/// may read or change that file through the tenant.
#[test]
fn a_security_yml_linking_outside_the_root_is_not_followed() {
    let env = TestEnv::new();
    let theirs = env.dir.path().join("other/security.yml");
    fs::create_dir_all(theirs.parent().unwrap()).unwrap();
    let text = format!("apiKeys:\n  theirs:\n    hash: {}\n", fake_hash(1));
    fs::write(&theirs, &text).unwrap();
    fs::create_dir_all(env.root().join("acme")).unwrap();
    symlink(
        "../../other/security.yml",
        env.root().join("acme/security.yml"),
    )
    .unwrap();
    for args in [
        &["delete", "theirs", "--yes"][..],
        &["list"],
        &["update", "theirs", "--disable"],
        &["create", "x"],
    ] {
        env.run(args)
            .code(1)
            .stderr_has("leads outside its tenant folder")
            .stderr_has("other/security.yml")
            .stdout_empty();
    }
    assert_eq!(fs::read_to_string(&theirs).unwrap(), text);
    assert!(!env.dir.path().join("other/security.yml.lock").exists());
    // --file names the file explicitly: allowed.
    env.run(&["--file", theirs.to_str().unwrap(), "list"])
        .success();
}

/// A dangling link out of the root would make a write create the file (and its folders)
/// anywhere: refused, and nothing is created.
#[test]
fn a_dangling_link_out_of_the_root_creates_nothing() {
    let env = TestEnv::new();
    fs::create_dir_all(env.root().join("acme")).unwrap();
    let target = env.dir.path().join("elsewhere/deep/security.yml");
    symlink(&target, env.root().join("acme/security.yml")).unwrap();
    env.run(&["create", "k"])
        .code(1)
        .stderr_has("leads outside its tenant folder");
    assert!(
        !env.dir.path().join("elsewhere").exists(),
        "no folder was created"
    );
}

/// A link planted by another user in a folder others can write to is not followed (as the
/// kernel's protected_symlinks does); one of our own is.
#[test]
#[ignore = "needs root"]
fn a_planted_link_in_a_shared_folder_is_not_followed() {
    assert!(
        is_root(),
        "needs root to make a link owned by another user (scripts/test runs it as root)"
    );
    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path().join("shared");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
    let victim = tmp.path().join("victim.yml");
    fs::write(&victim, "apiKeys:\n").unwrap();
    let link = shared.join("security.yml");
    symlink(&victim, &link).unwrap();
    std::os::unix::fs::lchown(&link, Some(65534), Some(65534)).unwrap();
    let out = command(&link).args(["create", "k"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("protected_symlinks"), "{stderr}");
    assert!(out.stdout.is_empty());
    assert_eq!(fs::read_to_string(&victim).unwrap(), "apiKeys:\n");
    // Our own link there is followed.
    std::os::unix::fs::lchown(&link, Some(0), Some(0)).unwrap();
    let out = command(&link)
        .args(["create", "k", "--quiet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `security.yml.lock -> /anywhere/x` must not make tokenctl create or truncate /anywhere/x;
/// nor may the usage file's lock.
#[test]
fn lock_files_that_are_links_are_refused() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let secret = env.create("v", &[]);
    let bait = env.dir.path().join("bait");
    fs::write(&bait, "precious").unwrap();
    let lock = env.file().with_file_name("security.yml.lock");
    fs::remove_file(&lock).unwrap();
    symlink(&bait, &lock).unwrap();
    let before = env.bytes();
    env.run(&["update", "k", "--disable"])
        .code(1)
        .stderr_has("lock file is a symbolic link");
    assert_eq!(env.bytes(), before);
    let missing = env.dir.path().join("created-by-tokenctl");
    fs::remove_file(&lock).unwrap();
    symlink(&missing, &lock).unwrap();
    env.run(&["delete", "k", "--yes"]).code(1);
    assert!(!missing.exists(), "the lock link's target was created");
    fs::remove_file(&lock).unwrap();
    // The usage file's lock likewise: verification still succeeds, the use is not recorded.
    let usage_lock = env.file().with_file_name("security.usage.yml.lock");
    symlink(&bait, &usage_lock).unwrap();
    let out = env.run_with(&["verify", "--record"], &secret);
    assert_eq!(fs::read_to_string(&bait).unwrap(), "precious");
    assert!(
        out.stderr.contains("lock file is a symbolic link"),
        "{}",
        out.stderr
    );
}

/// A FIFO (or any non-regular file) as security.yml would block forever holding the lock:
/// every command refuses it at once.
#[test]
fn a_fifo_as_security_yml_is_refused_without_blocking() {
    let env = TestEnv::new();
    fs::create_dir_all(env.file().parent().unwrap()).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(env.file())
        .status()
        .unwrap();
    assert!(status.success());
    for args in [
        &["list"][..],
        &["create", "k"],
        &["check"],
        &["delete", "k", "--yes"],
    ] {
        let started = Instant::now();
        let out = env.run(args);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{args:?} blocked"
        );
        assert_ne!(out.code, 0, "{args:?}");
        let said = format!("{}{}", out.stdout, out.stderr);
        assert!(said.contains("not a regular file"), "{args:?}: {said}");
    }
}

/// A hard-linked security.yml is split by the atomic rename: after a revocation the other
/// name still holds the key. Said on stderr with the count, and by `check`.
#[test]
fn a_hard_linked_file_is_warned_about() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let other = env.dir.path().join("other-name.yml");
    fs::hard_link(env.file(), &other).unwrap();
    env.run(&["delete", "k", "--yes"])
        .success()
        .stderr_has("has 2 hard links");
    env.create("again", &[]);
    fs::remove_file(&other).unwrap();
    fs::hard_link(env.file(), &other).unwrap();
    env.run(&["check"]).code(7).stdout_has("2 hard links");
}

/// When root writes first, the new lock file belongs to the file's owner, who can still
/// write afterwards.
#[test]
#[ignore = "needs root"]
fn a_lock_file_made_by_root_belongs_to_the_files_owner() {
    assert!(is_root(), "needs root (scripts/test runs it as root)");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("acme");
    fs::create_dir(&dir).unwrap();
    let file = dir.join("security.yml");
    fs::write(&file, "apiKeys:\n").unwrap();
    std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
    std::os::unix::fs::chown(&file, Some(65534), Some(65534)).unwrap();
    let out = command(&file)
        .args(["create", "k", "--quiet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lock = fs::metadata(dir.join("security.yml.lock")).unwrap();
    assert_eq!((lock.uid(), lock.gid()), (65534, 65534));
    assert_eq!(
        fs::metadata(&file).unwrap().uid(),
        65534,
        "the file keeps its owner"
    );
    // The owner can write now (setpriv drops to that user).
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(crate::support::harness::bin())
        .args(["--file", file.to_str().unwrap(), "create", "k2", "--quiet"])
        .env("CI", "true")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A writer who gives up waiting says which process holds the lock, and that it is stopped.
#[test]
fn a_lock_timeout_names_the_holder_and_says_it_is_stopped() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("security.yml");
    fs::write(
        &file,
        format!("apiKeys:\n  k:\n    hash: {}\n", fake_hash(1)),
    )
    .unwrap();
    // A writer that holds the lock: blocked printing its secret into a full pipe.
    let (_reader, mut writer) = std::io::pipe().unwrap();
    let capacity = rustix::pipe::fcntl_getpipe_size(&writer).unwrap();
    writer.write_all(&vec![b'x'; capacity]).unwrap();
    let mut holder = command(&file)
        .args(["rotate", "k", "--quiet"])
        .stdout(writer.try_clone().unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while temp_files(tmp.path()).is_empty() {
        assert!(Instant::now() < deadline, "the holder never got the lock");
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = holder.id().to_string();
    let out = command(&file)
        .args(["update", "k", "--disable", "--lock-timeout", "200ms"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains(&format!("process {pid}")), "{stderr}");
    std::process::Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .unwrap();
    let out = command(&file)
        .args(["update", "k", "--disable", "--lock-timeout", "200ms"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("which is stopped"), "{stderr}");
    std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .unwrap();
    let _ = holder.wait();
}

/// Origin: the independent review of the CLI written against the README (was review.rs).
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
