//! `owner`, tokenctl's own key field (docs/FORMAT.md): who a key belongs to, 1 to 128
//! printable characters on one line. Set by every writer (create, update, apply, the admin
//! API's POST and PUT), shown by list and show, refused at its position in a file when it is
//! of another shape (tokenctl 0.1 kept any `owner` as another tool's data), and `check` warns
//! of a name that looks like `owner`, `apiKeys` or `policy` misspelled.

use crate::support::env::*;
use crate::support::server::*;
use std::fs;

const KEYS: &str = "/api/acme/admin/apiKeys";

/// The file's text with the hash lines left out (the hash is random).
fn without_hashes(env: &TestEnv) -> String {
    env.read()
        .lines()
        .filter(|l| !l.trim_start().starts_with("hash:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn create_writes_the_owner_after_the_description_and_list_and_show_print_it() {
    let env = TestEnv::new();
    let out = env.run(&[
        "create",
        "ci",
        "-p",
        "dns:read",
        "--description",
        "Deploys",
        "--owner",
        "Équipe DNS <dns@example.com>",
    ]);
    out.success();
    assert_eq!(
        without_hashes(&env),
        format!(
            "version: 1\napiKeys:\n  ci:\n    description: Deploys\n    owner: \"Équipe DNS <dns@example.com>\"\n    enabled: true\n    permissions: [dns:read]\n    createdAt: {NOW}\n"
        )
    );
    let list = env.run(&["list", "-o", "json"]).success().json();
    assert_eq!(list[0]["owner"], "Équipe DNS <dns@example.com>", "{list}");
    let shown = env.run(&["show", "ci", "-o", "json"]).success().json();
    assert_eq!(shown["owner"], "Équipe DNS <dns@example.com>", "{shown}");
    // The table: right after the description.
    env.run(&["show", "ci"])
        .success()
        .stdout_has("description: Deploys\nowner:       Équipe DNS <dns@example.com>\nenabled:");
    // A key without one shows null and "-".
    env.create("web", &[]);
    let list = env.run(&["list", "-o", "json"]).success().json();
    assert_eq!(list[1]["owner"], serde_json::Value::Null, "{list}");
    env.run(&["show", "web"])
        .success()
        .stdout_has("\nowner:       -\n");
}

#[test]
fn update_sets_changes_and_clears_the_owner() {
    let env = TestEnv::new();
    env.create("ci", &["-p", "dns:read"]);
    let out = env.run(&["update", "ci", "--owner", "team-a"]);
    assert_eq!(
        out.success().stdout_empty().stderr,
        "Updated key 'ci': owner (none) -> \"team-a\".\n"
    );
    assert!(env.read().contains("    owner: team-a\n"), "{}", env.read());
    let out = env.run(&["update", "ci", "--owner", "team b"]);
    assert_eq!(
        out.success().stderr,
        "Updated key 'ci': owner \"team-a\" -> \"team b\".\n"
    );
    assert!(env.read().contains("    owner: team b\n"), "{}", env.read());
    let out = env.run(&["update", "ci", "--clear-owner"]);
    assert_eq!(
        out.success().stderr,
        "Updated key 'ci': owner \"team b\" -> (none).\n"
    );
    assert!(!env.read().contains("owner"), "{}", env.read());
    assert_eq!(
        without_hashes(&env),
        format!(
            "version: 1\napiKeys:\n  ci:\n    enabled: true\n    permissions: [dns:read]\n    createdAt: {NOW}\n"
        )
    );
    // Both at once is a usage error.
    env.run(&["update", "ci", "--owner", "x", "--clear-owner"])
        .code(2)
        .stderr_has("cannot be used with");
}

#[test]
fn the_command_line_refuses_an_owner_of_another_shape_and_writes_nothing() {
    let env = TestEnv::new();
    env.create("ci", &["--owner", "team-a"]);
    let before = env.bytes();
    let long = "x".repeat(129);
    for (owner, says) in [
        (long.as_str(), "not 129 characters"),
        ("", "not empty"),
        ("a\u{7}b", "a control character (U+0007)"),
        ("a\nb", "a line break (U+000A)"),
        ("a\u{9b}b", "a control character (U+009B)"),
    ] {
        let rule =
            "--owner: must be 1 to 128 printable characters on one line (a team or a contact)";
        env.run(&["update", "ci", "--owner", owner])
            .code(2)
            .stdout_empty()
            .stderr_has(rule)
            .stderr_has(says);
        env.run(&["create", "other", "--owner", owner])
            .code(2)
            .stdout_empty()
            .stderr_has(rule)
            .stderr_has(says);
    }
    // 128 characters (not bytes) is fine.
    env.run(&["update", "ci", "--owner", &"é".repeat(128)])
        .success();
    assert!(
        env.read()
            .contains(&format!("    owner: {}\n", "é".repeat(128)))
    );
    env.run(&["update", "ci", "--owner", "team-a"]).success();
    assert_eq!(env.bytes(), before);
}

#[test]
fn a_file_with_an_owner_of_another_shape_is_refused_at_its_position() {
    let env = TestEnv::new();
    env.create("ci", &["-p", "dns:read"]);
    let good = env.read();
    let long = format!("\"{}\"", "y".repeat(130));
    for (value, says) in [
        (
            "[team-a, team-b]",
            "key 'ci': owner must be text, not a list",
        ),
        ("{team: a}", "key 'ci': owner must be text, not a mapping"),
        (long.as_str(), "not 130 characters"),
        ("\"a\\u0007b\"", "a control character (U+0007)"),
        ("\"a\\nb\"", "a line break (U+000A)"),
        ("~", "key 'ci': owner is null"),
    ] {
        let text = good.replace("    enabled:", &format!("    owner: {value}\n    enabled:"));
        env.write(&text);
        let at = format!("{}:4:12: key 'ci': owner", env.file().display());
        let advice = "; rename it (for example to x-owner) if it is another tool's data";
        let out = env.run(&["check"]);
        out.code(7)
            .stdout_has(&at)
            .stdout_has(says)
            .stdout_has(advice);
        // Every command that reads the file refuses it; a write leaves it as it was.
        env.run(&["list"])
            .code(1)
            .stderr_has(&at)
            .stderr_has(advice);
        env.run(&["update", "ci", "--disable"])
            .code(1)
            .stderr_has(&at);
        assert_eq!(env.read(), text, "{value}");
    }
    // Renamed as advised, it is another tool's data, kept as it is.
    let text = good.replace(
        "    enabled:",
        "    x-owner: [team-a, team-b]\n    enabled:",
    );
    env.write(&text);
    env.run(&["check"]).success();
    env.run(&["update", "ci", "--owner", "team-a"]).success();
    assert!(
        env.read()
            .contains("    x-owner: [team-a, team-b]\n    enabled: true\n"),
        "{}",
        env.read()
    );
}

#[test]
fn apply_sets_changes_and_removes_the_owner_and_refuses_a_bad_one_at_its_position() {
    let env = TestEnv::new();
    env.create("ci", &["-p", "dns:read"]);
    let desired = env.dir.path().join("desired.yml");
    fs::write(
        &desired,
        "ci:\n  owner: team-a\nnew:\n  description: fresh\n  owner: team-b\n  permissions: [dns:read]\n",
    )
    .unwrap();
    // A dry run with changes exits 8.
    env.run(&["apply", "-f", "desired.yml", "--dry-run"])
        .code(8)
        .stdout_has("~ update ci\n    owner: (absent) -> team-a\n")
        .stdout_has("+ create new (with a new secret, printed once)\n    description: fresh\n    owner: team-b\n");
    env.run(&["apply", "-f", "desired.yml"]).success();
    assert_eq!(
        without_hashes(&env),
        format!(
            "version: 1\napiKeys:\n  ci:\n    enabled: true\n    permissions: [dns:read]\n    createdAt: {NOW}\n    owner: team-a\n  new:\n    description: fresh\n    owner: team-b\n    enabled: true\n    permissions: [dns:read]\n    createdAt: {NOW}\n"
        )
    );
    // Again: nothing to change, nothing written.
    let before = env.bytes();
    let again = env.run(&["apply", "-f", "desired.yml"]);
    again.success();
    assert!(
        format!("{}{}", again.stdout, again.stderr).contains("No changes"),
        "{}{}",
        again.stdout,
        again.stderr
    );
    assert_eq!(env.bytes(), before);
    for (text, says) in [
        (
            "ci:\n  owner: \"a\\tb\"\n",
            "desired.yml:2:10: key 'ci': owner: must be 1 to 128 printable characters on one line (a team or a contact), but it holds a control character (U+0009)",
        ),
        (
            "ci:\n  owner: [a]\n",
            "desired.yml:2:10: key 'ci': owner must be text, not a list",
        ),
        (
            "ci:\n  owner: ''\n",
            "desired.yml:2:10: key 'ci': owner: must be 1 to 128 printable characters on one line (a team or a contact), not empty",
        ),
    ] {
        fs::write(&desired, text).unwrap();
        env.run(&["apply", "-f", "desired.yml"])
            .code(1)
            .stdout_empty()
            .stderr_has(says);
        assert_eq!(env.bytes(), before, "{text}");
    }
    // null removes it.
    fs::write(&desired, "ci:\n  owner: null\n").unwrap();
    env.run(&["apply", "-f", "desired.yml"])
        .success()
        .stderr_has("    owner: team-a -> (absent)\n");
    assert!(
        env.read().contains("    createdAt: 2026") && !env.read().contains("owner: team-a"),
        "{}",
        env.read()
    );
}

#[test]
fn the_admin_api_sets_the_owner_with_post_and_put() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let api = Api::start(&env, &[]);
    let created = api
        .ask(
            Client::Ureq,
            send(
                "POST",
                KEYS,
                &admin,
                r#"{"name": "ci", "permissions": ["dns:read"], "owner": "team-a"}"#,
            ),
        )
        .status(201)
        .json();
    assert_eq!(created["owner"], "team-a", "{created}");
    assert!(
        env.read()
            .contains("  ci:\n    owner: team-a\n    enabled: true\n"),
        "{}",
        env.read()
    );
    assert_eq!(shown(&env, "ci")["owner"], "team-a");
    // GET, change, PUT: the owner sent back as read changes nothing; a new one replaces it.
    let got = api
        .ask(Client::Ureq, get(&format!("{KEYS}/ci"), &admin))
        .status(200)
        .json();
    assert_eq!(got["owner"], "team-a");
    let before = env.bytes();
    let put = |body: &str| {
        api.ask(
            Client::Ureq,
            send("PUT", &format!("{KEYS}/ci"), &admin, body),
        )
    };
    put(&got.to_string()).status(200);
    assert_eq!(env.bytes(), before, "nothing changed");
    let answer = put(r#"{"enabled": true, "owner": "team b"}"#)
        .status(200)
        .json();
    assert_eq!(answer["owner"], "team b", "{answer}");
    assert!(env.read().contains("    owner: team b\n"), "{}", env.read());
    // null removes it; absent leaves it.
    put(r#"{"enabled": true, "owner": "team-c"}"#).status(200);
    put(r#"{"enabled": false}"#).status(200);
    assert!(env.read().contains("    owner: team-c\n"), "{}", env.read());
    let answer = put(r#"{"enabled": true, "owner": null}"#)
        .status(200)
        .json();
    assert_eq!(answer["owner"], serde_json::Value::Null, "{answer}");
    assert!(!env.read().contains("owner"), "{}", env.read());
    // Refused with 422 naming the field, by both.
    let before = env.bytes();
    let long = format!(r#"{{"name": "x", "owner": "{}"}}"#, "z".repeat(129));
    for (method, path, body, says) in [
        (
            "POST",
            KEYS.to_string(),
            long.as_str(),
            "not 129 characters",
        ),
        (
            "POST",
            KEYS.to_string(),
            r#"{"name": "x", "owner": "a\u0000b"}"#,
            "a control character (U+0000)",
        ),
        (
            "PUT",
            format!("{KEYS}/ci"),
            r#"{"enabled": true, "owner": "a\nb"}"#,
            "a line break (U+000A)",
        ),
        (
            "PUT",
            format!("{KEYS}/ci"),
            r#"{"enabled": true, "owner": ""}"#,
            "not empty",
        ),
    ] {
        let got = api
            .ask(Client::Ureq, send(method, &path, &admin, body))
            .error(422, "invalid-field");
        assert_eq!(got["field"], "owner", "{body}: {got}");
        let message = got["message"].as_str().unwrap();
        assert!(
            message.starts_with("owner: must be 1 to 128 printable characters on one line")
                && message.contains(says),
            "{body}: {got}"
        );
    }
    let got = api
        .ask(
            Client::Ureq,
            send("POST", KEYS, &admin, r#"{"name": "x", "owner": ["a"]}"#),
        )
        .error(422, "invalid-field");
    assert_eq!(got["field"], "owner", "{got}");
    assert_eq!(env.bytes(), before);
}

#[test]
fn check_warns_of_our_names_misspelled_with_their_position() {
    let env = TestEnv::new();
    env.create("ci", &["-p", "dns:read"]);
    let text = env
        .read()
        .replace("    enabled:", "    ownr: team-a\n    enabled:")
        + "polcy:\n  default: deny\napikeys: {}\nx-owner: kept\n";
    env.write(&text);
    let file = env.file().display().to_string();
    let out = env.run(&["check"]);
    out.success()
        .stdout_has(&format!(
            "{file}:4:5: warning: key 'ci': field 'ownr' looks like 'owner' misspelled: tokenctl keeps it as another tool's data; correct the spelling, or rename it with an x- prefix if it is another tool's\n"
        ))
        .stdout_has(&format!(
            "{file}:9:1: warning: top-level key 'polcy' looks like 'policy' misspelled: tokenctl keeps it as another tool's data"
        ))
        .stdout_has(&format!(
            "{file}:11:1: warning: top-level key 'apikeys' looks like 'apiKeys' misspelled"
        ))
        .stderr_has("3 warnings");
    assert!(!out.stdout.contains("x-owner"), "{}", out.stdout);
    env.run(&["check", "--strict"]).code(7);
    // The file is read as it is, those names kept as another tool's data by a write.
    env.run(&["update", "ci", "--owner", "team-a"]).success();
    assert!(env.read().contains("    ownr: team-a\n"));
    assert!(
        env.read()
            .ends_with("polcy:\n  default: deny\napikeys: {}\nx-owner: kept\n")
    );
}
