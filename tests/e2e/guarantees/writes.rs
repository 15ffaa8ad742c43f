//! How the file is written: lossless edits, refusals of bad input, locking, atomic replace,
//! modes and links.

use crate::support::env::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;

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
            .contains("    owner: platform-team              # not tokenctl's field: kept\n")
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

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn if_unchanged_guards_every_write() {
    let env = TestEnv::new();
    env.create("k", &[]);
    let digest = format!("sha256:{}", sha256_hex(&env.bytes()));
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
    let bare = sha256_hex(&env.bytes());
    env.run(&["update", "k", "--enable", "--if-unchanged", &bare])
        .success();
}
