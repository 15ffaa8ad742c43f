//! I/O faults: a full disk, a file-size limit, a read-only folder, a folder that is gone.
//! Each write fails with a clear message and exit 1, leaves the original file as it was, and
//! leaves no temporary file behind.
//!
//! A real full disk is a 64 KiB tmpfs mounted in a private mount namespace (`unshare -m`),
//! and a real read-only folder a read-only bind mount, so nothing leaks into the machine's
//! mounts. Both need root: the full disk is `#[ignore = "needs root ..."]` (scripts/test runs
//! it as root); as another user the read-only folder is chmod 555 instead, and the file-size
//! limit (`ulimit -f`, any user) exercises the failing write. Root without mount namespaces
//! (a restricted container) fails the read-only tests rather than pass without them.

use crate::support::env::is_root;
use crate::support::harness::{big_file, bin, temp_files};
use std::fs;
use std::path::Path;
use std::process::Command;

/// Can this process make a private mount namespace and mount in it?
fn can_mount() -> bool {
    is_root()
        && Command::new("unshare")
            .args(["-m", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"])
            .output()
            .is_ok_and(|o| o.status.success())
}

/// Runs a shell script with `$T` = tokenctl and the fixed clock; returns (code, stdout, stderr).
fn sh(script: &str, dir: &Path) -> (i32, String, String) {
    let out = Command::new("bash")
        .args(["-c", script])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("T", bin())
        .env("D", dir)
        .env("TOKENCTL_NOW", crate::support::env::NOW)
        .env("CI", "true")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
#[ignore = "needs root (a tmpfs in a mount namespace)"]
fn a_full_disk_fails_the_write_and_keeps_the_file() {
    assert!(
        can_mount(),
        "needs root and mount namespaces for a real full disk (scripts/test runs it as root)"
    );
    let dir = tempfile::tempdir().unwrap();
    // About 40 KiB: it fits in 64 KiB once, not twice, so the temporary copy runs out of space.
    let text = big_file(170);
    assert!((36_000..60_000).contains(&text.len()), "{}", text.len());
    fs::write(dir.path().join("orig.yml"), &text).unwrap();
    // Everything happens inside the namespace; the script reports what it saw.
    let script = r#"
        set -u
        mkdir -p "$D/mnt"
        mount -t tmpfs -o size=64k,mode=0700 tmpfs "$D/mnt" || exit 99
        cp "$D/orig.yml" "$D/mnt/security.yml"
        for args in "create fresh" "update key-1 --description changed" "rotate key-2" "delete key-3 --yes"; do
            "$T" --file "$D/mnt/security.yml" $args >/dev/null 2>"$D/err"
            echo "exit $? $args: $(cat "$D/err")"
            cmp -s "$D/orig.yml" "$D/mnt/security.yml" && echo "intact" || echo "CHANGED"
            ls -a "$D/mnt" | grep -c tokenctl-tmp
        done
        exit 0
    "#;
    let (code, out, err) = sh(
        &format!("unshare -m bash -c '{}'", script.replace('\'', "'\\''")),
        dir.path(),
    );
    assert_eq!(code, 0, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 12, "{out}");
    for step in lines.chunks(3) {
        assert!(
            step[0].starts_with("exit 1 ") && step[0].contains("No space left on device"),
            "{}",
            step[0]
        );
        assert!(
            step[0].contains(": error: ") || step[0].contains("error: "),
            "{}",
            step[0]
        );
        assert_eq!(step[1], "intact", "{}", step[0]);
        assert_eq!(step[2], "0", "a temporary file was left: {}", step[0]);
    }
}

#[test]
fn a_file_size_limit_fails_the_write_and_keeps_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("security.yml");
    let text = big_file(100);
    fs::write(&file, &text).unwrap();
    // `ulimit -f 16`: no file may grow past 16 KiB. SIGXFSZ is ignored so that the write
    // fails with EFBIG, as a full disk fails with ENOSPC, instead of killing the process.
    for args in [
        "create fresh",
        "update key-1 --disable",
        "rotate key-2 --grace 1h",
        "delete key-3 --yes",
    ] {
        let (code, out, err) = sh(
            &format!("trap '' XFSZ; ulimit -f 16; exec \"$T\" --file \"$D/security.yml\" {args}"),
            dir.path(),
        );
        assert_eq!(code, 1, "{args}: {err}");
        assert_eq!(
            out, "",
            "{args}: printed a secret for a key that was not written"
        );
        assert!(
            err.starts_with("error: ") && err.contains("security.yml: writing: File too large"),
            "{args}: {err}"
        );
        assert_eq!(fs::read_to_string(&file).unwrap(), text, "{args}");
        assert_eq!(temp_files(dir.path()), Vec::<String>::new(), "{args}");
    }
}

#[test]
fn a_read_only_folder_fails_the_write_and_keeps_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("ro");
    fs::create_dir(&sub).unwrap();
    let text = big_file(5);
    fs::write(sub.join("security.yml"), &text).unwrap();
    // Root ignores permission bits, so for root the folder is made read-only by a read-only
    // bind mount in a private namespace; anyone else gets chmod 555.
    let (code, _out, err) = if is_root() {
        assert!(
            can_mount(),
            "root without mount namespaces cannot make a folder read-only: run as another user"
        );
        sh(
            r#"unshare -m bash -c 'mount --bind "$D/ro" "$D/ro" && mount -o remount,ro,bind "$D/ro" && exec "$T" --file "$D/ro/security.yml" create fresh'"#,
            dir.path(),
        )
    } else {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o555)).unwrap();
        let r = sh(
            r#"exec "$T" --file "$D/ro/security.yml" create fresh"#,
            dir.path(),
        );
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).unwrap();
        r
    };
    assert_eq!(code, 1, "{err}");
    assert!(
        err.starts_with("error: ")
            && (err.contains("Read-only file system") || err.contains("Permission denied")),
        "{err}"
    );
    assert_eq!(fs::read_to_string(sub.join("security.yml")).unwrap(), text);
    assert_eq!(temp_files(&sub), Vec::<String>::new());
}

#[test]
fn a_folder_that_is_gone_or_not_a_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // The working folder was removed under a relative --file.
    let (code, out, err) = sh(
        r#"mkdir "$D/gone" && cd "$D/gone" && rmdir "$D/gone" && exec "$T" --file security.yml create fresh"#,
        dir.path(),
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, "");
    assert!(
        err.starts_with("error: ") && err.contains("No such file or directory"),
        "{err}"
    );

    // The tenant "folder" is a file.
    fs::create_dir(dir.path().join("tenants")).unwrap();
    fs::write(dir.path().join("tenants/acme"), "not a folder").unwrap();
    for args in ["create fresh", "list"] {
        let (code, _, err) = sh(
            &format!(r#"cd "$D" && exec "$T" --tenant acme {args}"#),
            dir.path(),
        );
        assert_eq!(code, 1, "{args}: {err}");
        assert!(
            err.contains("Not a directory") || err.contains("is a file, not a folder"),
            "{args}: {err}"
        );
    }
    assert_eq!(
        fs::read_to_string(dir.path().join("tenants/acme")).unwrap(),
        "not a folder"
    );

    // security.yml is a folder.
    fs::create_dir_all(dir.path().join("t2/acme/security.yml")).unwrap();
    let (code, _, err) = sh(
        r#"cd "$D" && exec "$T" --root t2 --tenant acme create fresh"#,
        dir.path(),
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("is a folder, not a file"), "{err}");
}

#[test]
fn verify_record_on_a_read_only_or_full_disk_accepts_the_token_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["ro", "full"] {
        fs::create_dir(dir.path().join(sub)).unwrap();
    }
    let (code, _, err) = sh(
        r#"exec "$T" --file "$D/ro/security.yml" create ci --quiet > "$D/token""#,
        dir.path(),
    );
    assert_eq!(code, 0, "{err}");
    fs::copy(
        dir.path().join("ro/security.yml"),
        dir.path().join("src.yml"),
    )
    .unwrap();
    let verify = r#""$T" --file "$D/$1/security.yml" verify --record < "$D/token" > "$D/out-$1" 2> "$D/err-$1"; echo "$1 exit $?""#;
    let mut cases = vec![("ro", "Read-only file system")];
    let (code, out, err) = if can_mount() {
        // A read-only bind mount, and a full 64 KiB tmpfs holding a copy of the file.
        cases.push(("full", "No space left on device"));
        let script = format!(
            r#"
            set -u
            v() {{ {verify}; }}
            mount --bind "$D/ro" "$D/ro" && mount -o remount,ro,bind "$D/ro" || exit 99
            v ro
            mount -t tmpfs -o size=64k,mode=0700 tmpfs "$D/full" || exit 99
            cp "$D/src.yml" "$D/full/security.yml"
            dd if=/dev/zero of="$D/full/filler" bs=4k 2>/dev/null
            v full
            ls -A "$D/full" | grep -v -x -e security.yml -e filler -e security.usage.yml.lock
            exit 0
            "#
        );
        sh(
            &format!("unshare -m bash -c '{}'", script.replace('\'', "'\\''")),
            dir.path(),
        )
    } else if !is_root() {
        // Root ignores permission bits; anyone else gets a folder they cannot write.
        use std::os::unix::fs::PermissionsExt;
        let ro = dir.path().join("ro");
        fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
        cases[0].1 = "Permission denied";
        let r = sh(&format!("v() {{ {verify}; }}; v ro"), dir.path());
        fs::set_permissions(&ro, fs::Permissions::from_mode(0o755)).unwrap();
        r
    } else {
        panic!("root without mount namespaces cannot make a folder read-only: run as another user");
    };
    assert_eq!(code, 0, "{out}{err}");
    let expected: String = cases.iter().map(|(s, _)| format!("{s} exit 0\n")).collect();
    // Nothing else was left in the full folder: no usage file, no temporary file.
    assert_eq!(out, expected, "{err}");
    for (sub, why) in cases {
        let read =
            |name: &str| fs::read_to_string(dir.path().join(format!("{name}-{sub}"))).unwrap();
        assert_eq!(
            read("out"),
            "valid: key 'ci', permissions: (none)\n",
            "{sub}"
        );
        let err = read("err");
        assert!(
            err.starts_with("warning: this use was not recorded: ") && err.contains(why),
            "{sub}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{sub}: {err}");
    }
    assert!(!dir.path().join("ro/security.usage.yml").exists());
}
