//! A generated secret is delivered before the file is replaced (SECURITY.md, "Integrity of the file"):
//! when it cannot be printed (a full disk, a closed pipe), nothing is written and the old
//! secret stays in force; when the file cannot be replaced after it was printed, the
//! command says plainly that the printed secret is not valid.

use crate::support::harness::{command, fake_hash, temp_files};
use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Output, Stdio};

fn file_with_one_key() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("security.yml");
    let text = format!(
        "# a comment\napiKeys:\n  svc:\n    hash: {}\n",
        fake_hash(1)
    );
    fs::write(&file, &text).unwrap();
    (tmp, file, text)
}

/// Runs tokenctl with stdout going to `/dev/full`.
fn to_dev_full(file: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = command(file)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Runs tokenctl with stdout a pipe whose reading end is already closed (EPIPE).
fn to_closed_pipe(file: &Path, args: &[&str], stdin: &str) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = command(file)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(writer)
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

const DESIRED: &str = "apiKeys:\n  generated:\n    permissions: [dns:read]\n";

#[test]
fn a_secret_that_cannot_be_printed_is_never_put_in_force() {
    let cases: [(&str, &[&str], &str); 6] = [
        ("rotate", &["rotate", "svc"], ""),
        ("rotate --grace", &["rotate", "svc", "--grace", "1h"], ""),
        ("create", &["create", "new"], ""),
        (
            "create --format json",
            &["--format", "json", "create", "new"],
            "",
        ),
        ("apply", &["apply", "-f", "-"], DESIRED),
        (
            "apply --format json",
            &["--format", "json", "apply", "-f", "-"],
            DESIRED,
        ),
    ];
    for (what, args, stdin) in cases {
        for (how, run) in [
            (
                "/dev/full",
                to_dev_full as fn(&Path, &[&str], &str) -> Output,
            ),
            ("a closed pipe", to_closed_pipe),
        ] {
            let (tmp, file, text) = file_with_one_key();
            let out = run(&file, args, stdin);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{what} to {how}: {stderr}");
            assert!(
                stderr.contains("nothing was written") && stderr.contains("<stdout>"),
                "{what} to {how} must say nothing changed: {stderr}"
            );
            assert_eq!(
                fs::read_to_string(&file).unwrap(),
                text,
                "{what} to {how} changed the file"
            );
            assert_eq!(
                temp_files(tmp.path()),
                Vec::<String>::new(),
                "{what}: temp file left"
            );
        }
    }
}

#[test]
fn the_old_secret_still_works_after_a_rotation_that_could_not_print() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("security.yml");
    let out = command(&file)
        .args(["create", "svc", "--quiet"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let old = String::from_utf8(out.stdout).unwrap();
    let out = to_dev_full(&file, &["rotate", "svc"], "");
    assert_eq!(out.status.code(), Some(1));
    let mut verify = command(&file)
        .arg("verify")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    verify
        .stdin
        .take()
        .unwrap()
        .write_all(old.as_bytes())
        .unwrap();
    let v = verify.wait_with_output().unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
}

/// The printed secret's line, once the pipe is drained: the write blocks on a full pipe, the
/// test swaps security.yml for a folder meanwhile, so the rename after printing fails.
#[test]
fn a_failed_replace_after_printing_says_the_secret_is_not_valid() {
    let (tmp, file, _) = file_with_one_key();
    let (mut reader, mut writer) = std::io::pipe().unwrap();
    // Fill the pipe so that tokenctl's write of the secret blocks until we read.
    let capacity = rustix::pipe::fcntl_getpipe_size(&writer).unwrap();
    writer.write_all(&vec![b'x'; capacity]).unwrap();
    let child = command(&file)
        .args(["rotate", "svc", "--quiet"])
        .stdout(writer.try_clone().unwrap())
        .spawn()
        .unwrap();
    drop(writer);
    // Wait until it has staged the new file (the temporary file is there) and is blocked
    // printing the secret.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while temp_files(tmp.path()).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "tokenctl never staged the file"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    fs::remove_file(&file).unwrap();
    fs::create_dir(&file).unwrap();
    fs::write(file.join("keep"), "a folder that is not empty").unwrap();
    let mut printed = Vec::new();
    reader.read_to_end(&mut printed).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let secret = String::from_utf8_lossy(&printed[capacity..]).to_string();
    assert!(
        secret.starts_with("tk_"),
        "the secret was printed: {secret:?}"
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("The secret printed above is NOT valid"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(secret.trim()),
        "the secret is not repeated"
    );
}

/// Issue 10, item 6: with `lnk/security.yml -> ../real/security.yml`, writers that reach
/// the file by either path share one lock and one set of temporary files, so none loses
/// another's change, and every secret printed by a process that exited 0 works.
#[test]
fn writers_through_a_link_and_through_the_target_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("real")).unwrap();
    fs::create_dir(tmp.path().join("lnk")).unwrap();
    let real = tmp.path().join("real/security.yml");
    let link = tmp.path().join("lnk/security.yml");
    std::os::unix::fs::symlink("../real/security.yml", &link).unwrap();
    fs::write(&real, "apiKeys:\n").unwrap();
    let children: Vec<_> = (0..20)
        .map(|i| {
            let path = if i % 2 == 0 { &real } else { &link };
            command(path)
                .args([
                    "create",
                    &format!("k{i}"),
                    "--quiet",
                    "--lock-timeout",
                    "2m",
                ])
                .spawn()
                .unwrap()
        })
        .collect();
    let mut secrets = Vec::new();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "create k{i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        secrets.push(String::from_utf8(out.stdout).unwrap());
    }
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let doc =
        tokenctl::document::Document::load(&real, fs::read_to_string(&real).unwrap()).unwrap();
    assert_eq!(doc.model.keys.len(), 20, "a create was lost");
    let verifier = tokenctl::verify::Verifier::new(doc.model);
    let now = jiff::Timestamp::now();
    for (i, s) in secrets.iter().enumerate() {
        let outcome = verifier.verify(s.trim(), &Default::default(), now);
        assert_eq!(outcome.http_status(), 200, "the secret of k{i}: {outcome}");
    }
    for dir in ["real", "lnk"] {
        assert_eq!(temp_files(&tmp.path().join(dir)), Vec::<String>::new());
    }
    assert!(
        !tmp.path().join("lnk/security.yml.lock").exists(),
        "one lock, beside the real file"
    );
}
