//! Concurrency (SECURITY.md, "Integrity of the file"): many tokenctl processes writing one file lose no
//! change, and a lock held too long makes the others give up with exit 6 and say why.

use crate::support::harness::{big_file, command, fake_hash};
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const PROCESSES: usize = 50;

#[test]
fn fifty_processes_writing_at_once_lose_no_change() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("security.yml");
    fs::write(&file, big_file(PROCESSES)).unwrap();

    // Process i works on key-i; every fifth also adds a permission to the shared key-0,
    // so several processes change the same entry.
    let mut children: Vec<(usize, Vec<String>, Child)> = Vec::new();
    for i in 1..PROCESSES {
        let args: Vec<String> = match i % 5 {
            0 => vec![
                "update".into(),
                "key-0".into(),
                "--add-permission".into(),
                format!("shared:{i}"),
            ],
            1 => vec!["create".into(), format!("new-{i}"), "--secret-stdin".into()],
            2 => vec![
                "update".into(),
                format!("key-{i}"),
                "--description".into(),
                format!("updated by process {i}"),
                "--add-permission".into(),
                format!("own:{i}"),
            ],
            3 => vec!["rotate".into(), format!("key-{i}"), "--quiet".into()],
            _ => vec!["delete".into(), format!("key-{i}"), "--yes".into()],
        };
        let mut child = command(&file)
            .args(&args)
            .arg("--lock-timeout")
            .arg("5m")
            .stdin(Stdio::piped())
            .spawn()
            .expect("tokenctl starts");
        let mut stdin = child.stdin.take().unwrap();
        if i % 5 == 1 {
            stdin
                .write_all(format!("concurrency-test-imported-secret-{i:04}\n").as_bytes())
                .unwrap();
        }
        drop(stdin);
        children.push((i, args, child));
    }
    let mut rotated = Vec::new();
    for (i, args, child) in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "process {i} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if i % 5 == 3 {
            rotated.push((i, String::from_utf8(out.stdout).unwrap().trim().to_string()));
        }
    }

    let text = fs::read_to_string(&file).unwrap();
    let doc = tokenctl::document::Document::load(&file, text.clone()).expect("the file loads");
    let model = &doc.model;
    let shared = model.get("key-0").expect("key-0 is kept");
    for i in (5..PROCESSES).step_by(5) {
        assert!(
            shared.permissions.contains(&format!("shared:{i}")),
            "the change of process {i} to key-0 was lost: {:?}",
            shared.permissions
        );
    }
    for i in 1..PROCESSES {
        let key = model.get(&format!("key-{i}"));
        match i % 5 {
            0 | 1 => assert_eq!(
                key.unwrap().hash.to_string(),
                fake_hash(i),
                "key-{i} was not touched"
            ),
            2 => {
                let key = key.unwrap();
                assert_eq!(
                    key.description.as_deref(),
                    Some(format!("updated by process {i}").as_str())
                );
                assert!(key.permissions.contains(&format!("own:{i}")));
            }
            3 => {}
            _ => assert!(key.is_none(), "the deletion of key-{i} was lost"),
        }
        if i % 5 == 1 {
            let new = model
                .get(&format!("new-{i}"))
                .unwrap_or_else(|| panic!("the creation of new-{i} was lost"));
            assert_eq!(
                new.hash,
                tokenctl::token::TokenHash::of(&format!("concurrency-test-imported-secret-{i:04}"))
            );
        }
    }
    for (i, secret) in rotated {
        let key = model.get(&format!("key-{i}")).unwrap();
        assert_eq!(
            key.hash,
            tokenctl::token::TokenHash::of(&secret),
            "the rotation of key-{i} was lost"
        );
    }
    let deleted = (1..PROCESSES).filter(|i| i % 5 == 4).count();
    let created = (1..PROCESSES).filter(|i| i % 5 == 1).count();
    assert_eq!(model.keys.len(), PROCESSES - deleted + created);
    // Every key but the ones written appears byte for byte as before.
    assert!(text.starts_with("# Managed partly by hand"));
    assert!(text.contains("helm:\n  release: tokens   # someone else's\n"));
    assert!(text.contains("# trailing comment\nextra:\n  - kept\n"));
    assert_eq!(
        crate::support::harness::temp_files(tmp.path()),
        Vec::<String>::new()
    );
}

#[test]
fn a_lock_held_past_the_timeout_makes_writers_exit_6() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("security.yml");
    fs::write(&file, big_file(3)).unwrap();
    let before = fs::read(&file).unwrap();

    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(tmp.path().join("security.yml.lock"))
        .unwrap();
    lock.lock().expect("the test takes the lock");

    for args in [
        &["create", "blocked", "--lock-timeout", "1s"][..],
        &["update", "key-1", "--disable", "--lock-timeout", "1s"],
        &["delete", "key-1", "--yes", "--lock-timeout", "0s"],
        &["rotate", "key-2", "--lock-timeout", "1s"],
    ] {
        let out = command(&file).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(6), "{args:?}: {stderr}");
        assert!(
            // The holder is this test process, as /proc/locks names it.
            stderr.contains(&format!("is locked by process {} ", std::process::id()))
                && stderr.contains("--lock-timeout"),
            "{args:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?} printed {:?}", out.stdout);
        assert_eq!(fs::read(&file).unwrap(), before, "{args:?} wrote");
    }

    // Reading needs no lock.
    let out = command(&file).arg("list").output().unwrap();
    assert!(out.status.success());

    // Once the lock is released, a waiting writer goes ahead.
    let waiting = command(&file)
        .args(["update", "key-1", "--disable", "--lock-timeout", "2m"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(lock);
    let out = waiting.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        fs::read_to_string(&file)
            .unwrap()
            .contains("enabled: false")
    );
}

/// Origin: the independent review of the CLI written against the README (was review.rs).
///
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
