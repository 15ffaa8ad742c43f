//! How the file is written: lossless edits, refusals of bad input, locking, atomic replace,
//! modes and links.

use crate::support::env::{Output, *};
use crate::support::harness::{fake_hash, run, temp_file};
use crate::support::sha256_hex;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const HAND_EDITED: &str = "hand-edited.yml";

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn create_then_delete_gives_back_the_same_bytes() {
    let env = TestEnv::new();
    let original = env.fixture(HAND_EDITED);
    let secret = env.create(
        "new-key",
        &["-p", "dns:read", "--description", "temp", "--expires", "7d"],
    );
    let after = env.read();
    assert!(
        after.starts_with(
            std::str::from_utf8(&original)
                .unwrap()
                .split("\n# Monitoring")
                .next()
                .unwrap()
        )
    );
    assert!(after.contains("  new-key:\n    description: temp\n"));
    assert!(!after.contains(&secret));
    env.run(&["delete", "new-key", "--yes"]).success();
    assert_eq!(env.bytes(), original);
}

#[test]
fn update_on_a_hand_edited_file_changes_one_line() {
    let env = TestEnv::new();
    let original = String::from_utf8(env.fixture(HAND_EDITED)).unwrap();
    env.run(&["update", "ci-deploy", "--disable"]).success();
    let after = env.read();
    let changed: Vec<(&str, &str)> = original
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed, vec![("    enabled: true", "    enabled: false")]);
    assert_eq!(original.lines().count(), after.lines().count());
    // A field the entry lacks is added inside the entry, after its last field.
    env.run(&["update", "grafana", "--disable"]).success();
    assert!(
        env.read()
            .contains("    limits: *defaults\n    enabled: false\n\n  legacy:")
    );
    // Flow-style entries stay flow style; other tools' fields are kept.
    env.run(&[
        "update",
        "legacy",
        "--enable",
        "--add-permission",
        "dns:write",
    ])
    .success();
    assert!(
        env.read()
            .contains("  legacy: {permissions: [dns:read, dns:write], hash: sha256:")
    );
    assert!(env.read().contains(", enabled: true}\n"));
    assert!(
        env.read()
            .contains("    x-owner: platform-team            # not tokenctl's field: kept\n")
    );
    // Block lists stay block lists.
    env.run(&["update", "billing-export", "--add-permission", "dns:read"])
        .success();
    env.run(&["update", "grafana", "--remove-permission", "billing:read"])
        .success();
    assert!(
        env.read()
            .contains("    permissions:\n      - dns:read\n    hash:"),
        "{}",
        env.read()
    );
    // The sections of other tools are untouched.
    for section in [
        "rateLimit: &defaults\n  burst: 20\n  perMinute: 600\n  'quoted key': \"double quoted value\"   # trailing comment\n",
        "# Monitoring (another tool's section, after ours)\nmonitoring:\n  alertOnExpiry: 14d\n  receivers: [ops@example.com]\n",
    ] {
        assert!(env.read().contains(section));
    }
    env.run(&["check"]).success();
}

#[test]
fn crlf_and_a_bom_are_kept() {
    let env = TestEnv::new();
    let hash = format!("sha256:{}", "a".repeat(64));
    let original = format!("\u{feff}version: 1\r\napiKeys:\r\n  a:\r\n    hash: {hash}\r\n");
    env.write(&original);
    env.create("b", &[]);
    let after = env.read();
    assert!(after.starts_with("\u{feff}version: 1\r\n"));
    assert!(after.contains("\r\n  b:\r\n    enabled: true\r\n"));
    assert!(
        !after.replace("\r\n", "").contains('\n'),
        "every line ends with CRLF"
    );
    env.run(&["delete", "b", "--yes"]).success();
    assert_eq!(env.read(), original);
}

#[test]
fn flow_and_empty_api_keys_are_edited_in_their_own_style() {
    let hash = format!("sha256:{}", "b".repeat(64));
    let cases = [
        "apiKeys: {}\n".to_string(),
        "apiKeys:\nother: 1\n".to_string(),
        "apiKeys: ~   # none yet\n".to_string(),
        "# nothing yet\n".to_string(),
        format!("apiKeys: {{a: {{hash: {hash}}}}}\n"),
    ];
    for original in cases {
        let env = TestEnv::new();
        env.write(&original);
        env.create("n", &["-p", "x:y"]);
        env.run(&["update", "n", "--disable"]).success();
        let v = env.run(&["show", "n", "--format", "json"]).success().json();
        assert_eq!(v["enabled"], false, "{original}");
        env.run(&["delete", "n", "--yes"]).success();
        let after = env.read();
        if original.contains("{a:") {
            assert_eq!(after, original);
        } else if original.starts_with("apiKeys:\n") {
            // Never the null it was: the empty mapping servers expect.
            assert_eq!(after, original.replacen("apiKeys:", "apiKeys: {}", 1));
        } else {
            env.run(&["check"]).success();
        }
    }
}

#[test]
fn bad_input_never_changes_the_file() {
    let cases: &[(&str, &str)] = &[
        ("apiKeys:\n  a: [unclosed\n", "security.yml:"),
        ("apiKeys: [a, b]\n", "apiKeys must be a mapping"),
        (
            "apiKeys:\n  a:\n    hash: sha256:abc\n",
            "hash must be sha256:",
        ),
        (
            "apiKeys:\n  a:\n    enabled: maybe\n    hash: sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
            "must be true or false",
        ),
        (
            "apiKeys:\n  a:\n    permissions: dns:read\n    hash: sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
            "must be a list",
        ),
        (
            "apiKeys:\n  a:\n    hash: sha256:0000000000000000000000000000000000000000000000000000000000000000\n  a:\n    hash: sha256:1111111111111111111111111111111111111111111111111111111111111111\n",
            "duplicate key name 'a'",
        ),
        (
            "apiKeys:\n  a:\n    createdAt: yesterday\n    hash: sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
            "RFC 3339",
        ),
        (
            "apiKeys:\n  'bad name':\n    hash: sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
            "invalid key name",
        ),
        (
            "apiKeys:\n  a:\n    allowedIps: [300.1.1.1/8]\n    hash: sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
            "invalid address range",
        ),
        ("- just\n- a list\n", "top level must be a mapping"),
        ("a: 1\n---\nb: 2\n", "more than one YAML document"),
    ];
    for (text, message) in cases {
        let env = TestEnv::new();
        env.write(text);
        for args in [
            vec!["create", "k"],
            vec!["list"],
            vec!["update", "a", "--disable"],
            vec!["delete", "a", "--yes"],
        ] {
            let out = env.run(&args);
            out.code(1).stderr_has(message).stdout_empty();
            assert!(
                out.stderr.contains(&env.file().display().to_string()),
                "names the file: {}",
                out.stderr
            );
            assert_eq!(env.read(), *text);
        }
    }
}

#[test]
fn yaml_errors_name_file_line_and_column() {
    let env = TestEnv::new();
    env.write("version: 1\napiKeys:\n  a:\n    hash: \"unterminated\n");
    let out = env.run(&["list"]);
    out.code(1);
    let path = env.file().display().to_string();
    assert!(
        out.stderr.starts_with(&format!("error: {path}:")),
        "{}",
        out.stderr
    );
    env.write(format!(
        "apiKeys:\n  a:\n    enabled: maybe\n    hash: sha256:{}\n",
        "0".repeat(64)
    ));
    env.run(&["list"]).code(1).stderr_has(&format!(
        "{path}:3:14: key 'a': enabled must be true or false"
    ));
}

#[test]
fn a_newer_version_is_readable_but_never_written() {
    let env = TestEnv::new();
    let text = format!(
        "version: 99\napiKeys:\n  a:\n    hash: sha256:{}\n",
        "c".repeat(64)
    );
    env.write(&text);
    env.run(&["list"]).success();
    env.run(&["create", "k"])
        .code(1)
        .stderr_has("version 99 is newer");
    env.run(&["delete", "a", "--yes"]).code(1);
    assert_eq!(env.read(), text);
}

#[test]
fn an_alias_bomb_is_bounded() {
    let env = TestEnv::new();
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 0..30 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("b{}", i - 1)
        };
        text.push_str(&format!("b{i}: &b{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
    }
    text.push_str("apiKeys:\n");
    env.write(&text);
    let start = std::time::Instant::now();
    env.create("k", &[]);
    assert!(start.elapsed().as_secs() < 20, "must not expand aliases");
    env.run(&["delete", "k", "--yes"]).success();
    assert_eq!(env.read(), text.replace("apiKeys:\n", "apiKeys: {}\n"));
}

#[test]
fn huge_files_and_deep_nesting_are_refused() {
    let env = TestEnv::new();
    env.write("");
    let f = fs::OpenOptions::new().write(true).open(env.file()).unwrap();
    f.set_len(65 * 1024 * 1024).unwrap();
    drop(f);
    env.run(&["list"]).code(1).stderr_has("larger than 64 MiB");
    env.run(&["create", "k"])
        .code(1)
        .stderr_has("larger than 64 MiB");
    assert_eq!(fs::metadata(env.file()).unwrap().len(), 65 * 1024 * 1024);

    let deep = format!("apiKeys: {{}}\nx: {}\n", "[".repeat(10_000));
    env.write(&deep);
    env.run(&["create", "k"]).code(1);
    let deep_block: String = (0..1_000)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    env.write(&deep_block);
    env.run(&["create", "k"])
        .code(1)
        .stderr_has("nesting deeper than 512 levels");
    assert_eq!(env.read(), deep_block);
}

#[test]
fn non_text_files_are_refused_with_a_position() {
    let env = TestEnv::new();
    env.write(b"apiKeys:\n  a: \xff\xfe\n".as_slice());
    env.run(&["list"])
        .code(1)
        .stderr_has(":2:6: the file is not valid UTF-8");
    env.write(b"apiKeys:\n\0\n".as_slice());
    env.run(&["create", "k"])
        .code(1)
        .stderr_has(":2:1: the file contains a NUL byte");
}

#[test]
fn new_files_are_0600_in_0700_folders_and_existing_modes_are_kept() {
    let env = TestEnv::new();
    env.create("k", &[]);
    assert_eq!(mode(&env.file()), 0o600);
    assert_eq!(mode(env.file().parent().unwrap()), 0o700);
    assert_eq!(mode(&env.root()), 0o700);
    fs::set_permissions(env.file(), fs::Permissions::from_mode(0o640)).unwrap();
    env.create("k2", &[]);
    assert_eq!(mode(&env.file()), 0o640);
}

#[test]
fn no_temporary_file_is_left_behind() {
    let env = TestEnv::new();
    env.create("a", &[]);
    env.run(&["update", "a", "--disable"]).success();
    env.run(&["create", "a"]).code(6);
    // A leftover of a crashed writer is removed by the next write.
    let stray = env
        .file()
        .with_file_name(".security.yml.tokenctl-tmp.deadbeef0000");
    fs::write(&stray, "partial").unwrap();
    env.run(&["delete", "a", "--yes"]).success();
    let names: Vec<String> = fs::read_dir(env.file().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["security.yml", "security.yml.lock"]);
}

#[test]
fn a_symlinked_file_has_its_target_replaced_and_the_link_kept() {
    let env = TestEnv::new();
    // The Kubernetes ConfigMap layout: security.yml -> ..data/security.yml, ..data -> ..2026_11_22/
    let dir = env.file().parent().unwrap().to_path_buf();
    fs::create_dir_all(dir.join("..2026_11_22")).unwrap();
    fs::write(
        dir.join("..2026_11_22/security.yml"),
        "# mounted\napiKeys:\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("..2026_11_22", dir.join("..data")).unwrap();
    std::os::unix::fs::symlink("..data/security.yml", dir.join("security.yml")).unwrap();
    env.create("k", &[]);
    assert!(
        fs::symlink_metadata(dir.join("security.yml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        fs::symlink_metadata(dir.join("..data"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let text = fs::read_to_string(dir.join("..2026_11_22/security.yml")).unwrap();
    assert!(text.starts_with("# mounted\napiKeys:\n  k:\n"));
}

#[test]
fn a_tenant_folder_linking_outside_the_root_is_refused() {
    let env = TestEnv::new();
    let outside = env.dir.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::create_dir_all(env.root()).unwrap();
    std::os::unix::fs::symlink(&outside, env.root().join("acme")).unwrap();
    env.run(&["create", "k"]).code(1).stderr_has("outside");
    assert!(!outside.join("security.yml").exists());
}

#[test]
fn parallel_creates_all_land() {
    let env = TestEnv::new();
    env.fixture(HAND_EDITED);
    let children: Vec<_> = (0..24)
        .map(|i| {
            let mut c = env.std_cmd();
            c.args([
                "create",
                &format!("parallel-{i}"),
                "--quiet",
                "--lock-timeout",
                "60s",
            ]);
            c.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .stdin(std::process::Stdio::null());
            c.spawn().unwrap()
        })
        .collect();
    let mut secrets = Vec::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        secrets.push(String::from_utf8(out.stdout).unwrap().trim().to_string());
    }
    let v = env.run(&["list", "--format", "json"]).success().json();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for i in 0..24 {
        assert!(
            names.contains(&format!("parallel-{i}").as_str()),
            "parallel-{i} lost"
        );
    }
    assert_eq!(names.len(), 4 + 24);
    // Each printed secret is valid for its key.
    for s in secrets.iter().take(3) {
        env.run_with(&["verify"], s).success();
    }
}

#[test]
fn a_held_lock_makes_writers_give_up_with_exit_6() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let lock = fs::OpenOptions::new()
        .write(true)
        .open(env.file().with_file_name("security.yml.lock"))
        .unwrap();
    lock.lock().unwrap();
    let before = env.bytes();
    env.run(&["update", "k", "--disable", "--lock-timeout", "300ms"])
        .code(6)
        .stderr_has(&format!("is locked by process {} ", std::process::id()));
    assert_eq!(env.bytes(), before);
    // Readers do not need the lock.
    env.run(&["list"]).success();
    lock.unlock().unwrap();
    env.run(&["update", "k", "--disable", "--lock-timeout", "300ms"])
        .success();
}

#[test]
fn the_spec_example_loads_and_edits_keep_its_comments() {
    let env = TestEnv::new();
    let original = String::from_utf8(env.fixture("spec-example.yml")).unwrap();
    env.run(&["check"]).success();
    let v = env
        .run(&["show", "ci-deploy", "--format", "json"])
        .success()
        .json();
    assert_eq!(v["pathPrefix"], "/api/dns");
    assert_eq!(v["previousSecrets"][0]["expiresAt"], "2026-11-23T10:00:00Z");
    env.run(&["update", "ci-deploy", "--disable"]).success();
    let after = env.read();
    assert_eq!(
        after,
        original.replace(
            "    enabled: true                              # optional, default true",
            "    enabled: false                              # optional, default true"
        )
    );
}

#[test]
fn if_unchanged_guards_every_write() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let digest = format!("sha256:{}", sha256_hex(env.bytes()));
    let stale = format!("sha256:{}", "0".repeat(64));
    let before = env.bytes();
    for args in [
        vec!["create", "n"],
        vec!["update", "k", "--disable"],
        vec!["delete", "k", "--yes"],
        vec!["rotate", "k"],
    ] {
        let mut a = args.clone();
        a.extend(["--if-unchanged", stale.as_str()]);
        env.run(&a)
            .code(6)
            .stderr_has("changed since")
            .stdout_empty();
        assert_eq!(env.bytes(), before);
    }
    env.run(&["update", "k", "--disable", "--if-unchanged", &digest])
        .success();
    env.run(&["update", "k", "--enable", "--if-unchanged", &digest])
        .code(6);
    env.run(&["update", "k", "--enable", "--if-unchanged", "md5:abc"])
        .code(2);
    // sha256sum's bare hex form is accepted too.
    let bare = sha256_hex(env.bytes());
    env.run(&["update", "k", "--enable", "--if-unchanged", &bare])
        .success();
}

/// Origin: found by the differential test or fuzz/edit (was found.rs).
#[test]
fn deleting_the_key_after_one_that_ends_in_a_block_scalar_does_not_hang() {
    // The cut also takes the blank lines after the entry (they would join the scalar); it
    // looked for the end of each line from that line's start, where it already was, and
    // looped for ever, holding the file's lock.
    for (header, value) in [("|", "text\n"), ("|+", "text\n\n"), (">-", "text")] {
        let text = format!(
            "apiKeys:\n  a:\n    hash: {}\n    description: {header}\n      text\n\n  b:\n    hash: {}\n\n  c:\n    hash: {}\n",
            fake_hash(1),
            fake_hash(2),
            fake_hash(3)
        );
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["delete", "b", "--yes"], "");
        out.success().stdout_empty();
        assert_eq!(out.stderr, "Deleted key 'b'; it no longer works.\n");
        let after = fs::read_to_string(&file).unwrap();
        let b = format!("  b:\n    hash: {}\n\n", fake_hash(2));
        assert_eq!(after, text.replace(&b, ""), "{header}");
        let read: serde_yaml::Value = serde_yaml::from_str(&after).unwrap();
        assert_eq!(read["apiKeys"]["a"]["description"].as_str(), Some(value));
        assert_eq!(run(&file, &["check"], "").code, 0, "{after}");
    }
}

/// Origin: found by the differential test or fuzz/edit (was found.rs).
#[test]
fn a_block_scalar_whose_last_line_is_kept_is_replaced_whole() {
    // A block scalar that keeps its trailing lines (`|+`) or ends in a line of spaces deeper
    // than its content (a content line) ends past that line's break; the new value took the
    // break's place, the next field joined its line, and `update --description` was refused
    // ("the new text would not read as YAML") on tokenctl's own `description: |+`.
    for old in [
        "|+\n      text\n\n",
        "|+\n      text\n",
        "|-\n      text\n\n        \n",
        ">\n      text\n       \n",
    ] {
        for nl in ["\n", "\r\n"] {
            let text = format!(
                "apiKeys:\n  k:\n    description: {old}    hash: {}\n  j:\n    hash: {}\n",
                fake_hash(1),
                fake_hash(2)
            )
            .replace('\n', nl);
            let (_dir, file) = temp_file(&text);
            let out = run(&file, &["update", "k", "--description", "new: text"], "");
            out.success().stdout_empty();
            // The old value it names is the one libyaml reads.
            let before: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
            let was = before["apiKeys"]["k"]["description"]
                .as_str()
                .unwrap()
                .to_string();
            assert_eq!(
                out.stderr,
                format!("Updated key 'k': description {was:?} -> \"new: text\".\n")
            );
            let after = fs::read_to_string(&file).unwrap();
            let want = format!(
                "apiKeys:\n  k:\n    description: \"new: text\"\n    hash: {}\n  j:\n    hash: {}\n",
                fake_hash(1),
                fake_hash(2)
            )
            .replace('\n', nl);
            assert_eq!(after, want, "{old:?}");
        }
    }
}

/// Origin: found by the differential test or fuzz/edit (was found.rs).
#[test]
fn the_only_key_of_a_flow_api_keys_with_a_trailing_comma_can_be_deleted() {
    // Deleting it left `{ , }`, which does not parse; the write was refused with a syntax
    // error at a line and column of a text the file never held.
    for (text, want) in [
        (
            "apiKeys: {\n  a: {hash: H1, permissions: [dns:read]},\n  }\n",
            "apiKeys: {}\n",
        ),
        ("apiKeys: {a: {hash: H1},}\n", "apiKeys: {}\n"),
        ("apiKeys: { a: {hash: H1} , }\n", "apiKeys: {}\n"),
        (
            "apiKeys: { # the keys\n  a: {hash: H1},\n  }\n",
            "apiKeys: { # the keys\n  \n  }\n",
        ),
    ] {
        let text = text.replace("H1", &fake_hash(1));
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["delete", "a", "--yes"], "");
        out.success().stdout_empty();
        assert_eq!(fs::read_to_string(&file).unwrap(), want, "{text:?}");
        assert_eq!(run(&file, &["check"], "").code, 0);
    }
    // delete --all takes the keys one by one: the last one left is the only one.
    let text = format!(
        "apiKeys: {{\n  a: {{hash: {}}},\n  b: {{hash: {}}},\n}}\n",
        fake_hash(1),
        fake_hash(2)
    );
    let (_dir, file) = temp_file(&text);
    run(&file, &["delete", "--all", "--yes"], "").success();
    assert_eq!(fs::read_to_string(&file).unwrap(), "apiKeys: {}\n");
}

/// Origin: found by the differential test or fuzz/edit (was found.rs).
#[test]
fn a_key_is_added_to_a_flow_api_keys_that_ends_in_a_trailing_comma() {
    // The new entry came with a comma of its own: `{a: {...}, , new: {...}}` does not parse,
    // and create was refused.
    for (text, want) in [
        (
            "apiKeys: {a: {hash: H1},}\n",
            "apiKeys: {a: {hash: H1}, new: {enabled: true, permissions: [], hash: H2, createdAt: 2026-11-22T10:00:00Z}}\n",
        ),
        (
            "apiKeys: {\n  a: {hash: H1},  # the first\n  }\n",
            "apiKeys: {\n  a: {hash: H1},  # the first\n   new: {enabled: true, permissions: [], hash: H2, createdAt: 2026-11-22T10:00:00Z}}\n",
        ),
        (
            "apiKeys: {a: {hash: H1}, # a trailing comma, and one here\n  }\n",
            "apiKeys: {a: {hash: H1}, # a trailing comma, and one here\n   new: {enabled: true, permissions: [], hash: H2, createdAt: 2026-11-22T10:00:00Z}}\n",
        ),
        (
            "apiKeys: {a: {hash: H1} # a comment, with a comma\n  }\n",
            "apiKeys: {a: {hash: H1} # a comment, with a comma\n  , new: {enabled: true, permissions: [], hash: H2, createdAt: 2026-11-22T10:00:00Z}}\n",
        ),
    ] {
        let secret = "an-imported-secret-of-at-least-32-characters";
        let h2 = {
            use sha2::Digest;
            format!("sha256:{}", hex::encode(sha2::Sha256::digest(secret)))
        };
        let text = text.replace("H1", &fake_hash(1));
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["create", "new", "--secret-stdin"], secret);
        out.success();
        assert_eq!(out.stdout, format!("{secret}\n"));
        let want = want.replace("H1", &fake_hash(1)).replace("H2", &h2);
        assert_eq!(fs::read_to_string(&file).unwrap(), want, "{text:?}");
        assert_eq!(run(&file, &["check"], "").code, 0);
    }
}

/// Origin: found by the differential test or fuzz/edit (was found.rs).
#[test]
fn the_last_key_of_a_tagged_or_anchored_api_keys_can_be_deleted() {
    // Deleting every key left `apiKeys: !!map` holding a tagged null. Tags are not portable
    // security.yml now (refused on read), and an anchor on tokenctl's data is deprecated:
    // `check --fix` removes it, and then the last key goes, leaving `apiKeys: {}`.
    let text = format!("apiKeys: !!map\n  a:\n    hash: {}\n", fake_hash(1));
    let (_dir, file) = temp_file(&text);
    run(&file, &["delete", "a", "--yes"], "")
        .code(1)
        .stderr_has("tags (!...) are not allowed");
    assert_eq!(fs::read_to_string(&file).unwrap(), text);
    for args in [&["delete", "a", "--yes"][..], &["delete", "--all", "--yes"]] {
        let mut text = format!("apiKeys: &keys  # ours\n  a:\n    hash: {}\n", fake_hash(1));
        if args[1] == "--all" {
            text.push_str(&format!("  b:\n    hash: {}\n", fake_hash(2)));
        }
        let (_dir, file) = temp_file(&text);
        run(&file, args, "").code(1).stderr_has("check --fix");
        assert_eq!(fs::read_to_string(&file).unwrap(), text);
        run(&file, &["check", "--fix"], "").success();
        run(&file, args, "").success();
        assert_eq!(fs::read_to_string(&file).unwrap(), "apiKeys: {}  # ours\n");
        assert_eq!(run(&file, &["check"], "").code, 0);
        run(&file, &["create", "c", "--quiet"], "").success();
        assert_eq!(run(&file, &["check"], "").code, 0);
    }
}

/// Origin: found by the differential test or fuzz/edit (was found.rs).
#[test]
fn no_write_puts_a_line_of_blanks_with_a_tab_after_its_text() {
    // Found by fuzz/edit's libyaml check: `a: 1\n  \t` (a last line of blanks holding a tab)
    // reads to libyaml; `create` put `apiKeys:` and the new key before that line, and
    // libyaml and PyYAML refuse a line of blanks with a tab after a plain value ("found a
    // tab character that violates indentation"), which saphyr accepts. Servers reading with
    // them could no longer read the file. Such a write is refused, saying what to do.
    for text in [
        "a: 1\n  \t",
        "a: 1\n\t\n",
        "apiKeys:\n  k:\n    hash: H\n  \t\n",
    ] {
        let text = text.replace('H', &fake_hash(1));
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["create", "new"], "");
        out.code(1).stdout_empty();
        // In tokenctl's own section a tab is refused on read already (portable security.yml).
        assert!(
            (out.stderr.contains("a line of only blanks holding a tab")
                && out.stderr.contains("remove the tab"))
                || out.stderr.contains("a tab in tokenctl's data"),
            "{text:?}: {}",
            out.stderr
        );
        assert_eq!(fs::read_to_string(&file).unwrap(), text);
    }
}

/// The check above looks at the changed lines and the line after them, as it says: a line
/// of blanks holding a tab further on, behind unchanged lines, is another tool's and stays
/// as it reads (it was refused as "next to what tokenctl writes" when the check ran on to
/// the end of the file, a pass over everything after the change).
#[test]
fn a_line_of_blanks_with_a_tab_far_from_the_change_is_not_refused() {
    let text = format!(
        "apiKeys:\n  a:\n    hash: {}\n  b:\n    hash: {}\nother:\n  x: 1\n  \t\n",
        fake_hash(1),
        fake_hash(2)
    );
    let (_dir, file) = temp_file(&text);
    run(&file, &["update", "a", "--disable"], "").success();
    let after = fs::read_to_string(&file).unwrap();
    assert_eq!(
        after,
        text.replacen(
            &format!("{}\n", fake_hash(1)),
            &format!("{}\n    enabled: false\n", fake_hash(1)),
            1
        )
    );
    // `check` still says the other tool's section holds a tab that PyYAML cannot load.
    let check = run(&file, &["check"], "");
    assert!(
        format!("{}{}", check.stdout, check.stderr).contains("holds a tab"),
        "{check:?}"
    );
}

/// `$S`: a real token; `$H`: its stored hash; `$Z`: sha256 of 64 zeros.
fn secret() -> String {
    use sha2::Digest;
    let body = format!("tk_{}", "ab".repeat(32));
    let check = hex::encode(&sha2::Sha256::digest(body.as_bytes())[..4]);
    format!("{body}{check}")
}

fn h() -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(secret())))
}

fn z() -> String {
    format!("sha256:{}", "0".repeat(64))
}

fn with_hashes(text: &str) -> String {
    text.replace("$H", &h()).replace("$Z", &z())
}

fn read(file: &Path) -> String {
    fs::read_to_string(file).unwrap()
}

/// What serde_yaml (libyaml) reads: a second opinion that shares no code with tokenctl.
fn libyaml(file: &Path) -> serde_yaml::Value {
    serde_yaml::from_str(&read(file)).unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    out.success();
    serde_json::from_str(&out.stdout).unwrap()
}

// ---- 1. An edit lands in the next key ----

/// Origin: issue 10's reproducers, "What was found" (was reproducers.rs).
#[test]
fn an_update_after_an_explicit_key_with_an_empty_value_lands_in_its_own_entry() {
    for foreign in ["? a", "? []: x"] {
        let text = with_hashes(&format!(
            "apiKeys:\n  k:\n    hash: $Z\n    x-foreign:\n      {foreign}\n  other:\n    hash: $H\n"
        ));
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["update", "k", "--disable"], "");
        out.success().stdout_empty();
        assert_eq!(out.stderr, "Disabled key 'k'; it stops working at once.\n");
        let after = with_hashes(&format!(
            "apiKeys:\n  k:\n    hash: $Z\n    x-foreign:\n      {foreign}\n    enabled: false\n  other:\n    hash: $H\n"
        ));
        assert_eq!(read(&file), after, "{foreign}");
        // The revocation happened, and the other key still works.
        let k = json(&run(&file, &["--format", "json", "show", "k"], ""));
        assert_eq!(k["enabled"], false, "{k}");
        let v = run(&file, &["verify"], &secret());
        v.success();
        assert_eq!(v.stdout, "valid: key 'other', permissions: (none)\n");
        assert_eq!(libyaml(&file)["apiKeys"]["k"]["enabled"], false);
        assert!(libyaml(&file)["apiKeys"]["other"].get("enabled").is_none());

        // --description goes to k too, and delete k takes k's lines only.
        run(&file, &["update", "k", "--description", "mine"], "").success();
        let y = libyaml(&file);
        assert_eq!(y["apiKeys"]["k"]["description"], "mine");
        assert!(y["apiKeys"]["other"].get("description").is_none());
        let out = run(&file, &["delete", "k", "--yes"], "");
        out.success();
        assert_eq!(
            read(&file),
            with_hashes("apiKeys:\n  other:\n    hash: $H\n")
        );
        run(&file, &["verify"], &secret()).success();
    }
}

// ---- 2. A block scalar's kept trailing lines are cut ----

/// Origin: issue 10's reproducers, "What was found" (was reproducers.rs).
#[test]
fn kept_trailing_lines_of_a_block_scalar_stay_its_own_through_update_and_create() {
    for (block, value) in [
        ("|+\n      text\n\n\n", "text\n\n\n"),
        ("|+\n\n\n", "\n\n"),
        ("|\n      text\n         \n", "text\n   \n"),
    ] {
        for field in ["x-notes", "description"] {
            let text = with_hashes(&format!(
                "apiKeys:\n  k:\n    hash: $Z\n    {field}: {block}  other:\n    hash: $H\n"
            ));
            let (_dir, file) = temp_file(&text);
            run(&file, &["update", "k", "--disable"], "").success();
            let y = libyaml(&file);
            assert_eq!(y["apiKeys"]["k"][field].as_str(), Some(value), "{block:?}");
            assert_eq!(y["apiKeys"]["k"]["enabled"], false);
            let secret_text = "an-imported-secret-of-at-least-32-characters";
            run(&file, &["create", "new", "--secret-stdin"], secret_text).success();
            let y = libyaml(&file);
            assert_eq!(y["apiKeys"]["k"][field].as_str(), Some(value), "{block:?}");
            assert_eq!(y["apiKeys"]["other"]["hash"].as_str(), Some(h().as_str()));
            assert_eq!(run(&file, &["check"], "").code, 0, "{}", read(&file));
            // The file is what it was, with `enabled: false` after the scalar and `new` last.
            let after = read(&file);
            assert!(after.starts_with(&text.replace("  other:", "    enabled: false\n  other:")));
            assert!(after.contains("  new:\n"), "{after}");
        }
    }
}

// ---- 3. Anchors dropped by an update ----

/// Origin: issue 10's reproducers, "What was found" (was reproducers.rs).
#[test]
fn an_update_of_an_aliased_value_is_refused_naming_the_alias() {
    for head in ["", "x: &p [\"*\"]\n"] {
        let text = with_hashes(&format!(
            "{head}apiKeys:\n  a:\n    permissions: &p [dns:read]\n    hash: $Z\n  b:\n    permissions: *p\n    hash: $H\n"
        ));
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["update", "a", "--permission", "dns:write"], "");
        out.code(1).stdout_empty();
        // Anchors and aliases in tokenctl's data are deprecated: no writer touches them.
        let def = if head.is_empty() { 3 } else { 4 };
        assert!(
            out.stderr.starts_with(&format!(
                "error: {}:{def}:18: an anchor (&name) on tokenctl's data",
                file.display()
            )) && out.stderr.contains("check --fix"),
            "{}",
            out.stderr
        );
        assert_eq!(read(&file), text, "nothing written");
        // b did not gain "*", and the file still reads.
        let b = json(&run(&file, &["--format", "json", "show", "b"], ""));
        assert_eq!(b["permissions"], serde_json::json!(["dns:read"]));
        assert_eq!(run(&file, &["check"], "").code, 0);
    }
    // Nothing aliases the value: `check --fix` drops the anchor, then the update is made.
    let text = with_hashes("apiKeys:\n  a:\n    permissions: &p [dns:read]\n    hash: $Z\n");
    let (_dir, file) = temp_file(&text);
    run(&file, &["check", "--fix"], "").success();
    run(&file, &["update", "a", "--permission", "dns:write"], "").success();
    assert_eq!(read(&file), text.replace("&p [dns:read]", "[dns:write]"));
}

// ---- 4. Merge keys are ignored on read ----

/// Origin: issue 10's reproducers, "What was found" (was reproducers.rs).
#[test]
fn merge_keys_that_reach_tokenctls_data_are_refused_where_they_stand() {
    for (text, at) in [
        (
            "apiKeys:\n  k:\n    hash: $H\n    <<: {enabled: false, allowedIps: [10.0.0.0/8]}\n",
            "4:5",
        ),
        (
            "apiKeys:\n  k:\n    hash: $H\n    <<: {permissions: ['*']}\n",
            "4:5",
        ),
        (
            "b: &b\n  apiKeys:\n    admin:\n      hash: $H\n      permissions: ['*']\n<<: *b\n",
            "6:1",
        ),
        ("apiKeys:\n  <<: {admin: {hash: $H}}\n", "2:3"),
    ] {
        let text = with_hashes(text);
        let (_dir, file) = temp_file(&text);
        let out = run(&file, &["check"], "");
        out.code(7);
        assert!(
            out.stdout.contains(&format!("security.yml:{at}: "))
                && out.stdout.contains("merge keys (<<")
                && out.stdout.contains("are not allowed here")
                && out.stdout.contains("write the fields out"),
            "{text}\n{}",
            out.stdout
        );
        // Not valid, not ok: a server applying the merge would read another key.
        let v = run(&file, &["verify", "--ip", "8.8.8.8"], &secret());
        assert_eq!(v.code, 1, "{}", v.stderr);
        assert!(!v.stdout.contains("valid"), "{}", v.stdout);
        assert!(v.stderr.contains("merge keys"), "{}", v.stderr);
        assert_eq!(run(&file, &["create", "new"], "").code, 1);
        assert_eq!(read(&file), text);
    }
}

// ---- 5. A write that cannot be read back ----

/// Origin: issue 10's reproducers, "What was found" (was reproducers.rs).
#[test]
fn a_description_with_a_byte_order_mark_is_written_so_that_later_writes_work() {
    let text = with_hashes("apiKeys:\n  k:\n    hash: $H\n");
    let (_dir, file) = temp_file(&text);
    run(&file, &["update", "k", "--description", "\u{feff}hi"], "").success();
    assert_eq!(
        read(&file),
        with_hashes("apiKeys:\n  k:\n    hash: $H\n    description: \"\\ufeffhi\"\n")
    );
    let k = json(&run(&file, &["--format", "json", "show", "k"], ""));
    assert_eq!(k["description"], "\u{feff}hi");
    assert_eq!(libyaml(&file)["apiKeys"]["k"]["description"], "\u{feff}hi");
    // The leaked key can still be disabled, rotated and deleted.
    run(&file, &["update", "k", "--disable"], "").success();
    let rotated = run(&file, &["rotate", "k", "--quiet"], "");
    rotated.success();
    assert_ne!(rotated.stdout.trim(), secret());
    run(&file, &["delete", "k", "--yes"], "").success();
    assert_eq!(run(&file, &["check"], "").code, 0);

    // The same through apply.
    let (dir, file) = temp_file(&text);
    let desired = dir.path().join("desired.yml");
    fs::write(&desired, "apiKeys:\n  k:\n    description: \"\\ufeffhi\"\n").unwrap();
    let d = desired.to_str().unwrap();
    run(&file, &["apply", "-f", d], "").success();
    assert_eq!(libyaml(&file)["apiKeys"]["k"]["description"], "\u{feff}hi");
    run(&file, &["update", "k", "--disable"], "").success();
    run(&file, &["apply", "-f", d], "").success();
    run(&file, &["delete", "k", "--yes"], "").success();
}
