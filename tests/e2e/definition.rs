//! One rule set for a key's definition (src/keys/definition.rs), seen from every writer: the
//! command line, the admin API and `apply` refuse the same definitions, each naming the
//! field its own way. The verdict on empty lists (docs/FORMAT.md, "allowedIps" and
//! "resources"): a present but empty `allowedIps: []` or `resources: []` lets no request use
//! the key, which no writer means, so every writer refuses it; `check` warns of one written
//! by hand, and verify still refuses every request such a key makes.

use crate::support::env::*;
use crate::support::server::*;
use std::fs;

const KEYS: &str = "/api/acme/admin/apiKeys";

#[test]
fn apply_refuses_empty_lists_at_their_line_and_column() {
    let env = TestEnv::new();
    env.create("ci", &["-p", "dns:read"]);
    let before = env.bytes();
    for (text, says) in [
        (
            "ci:\n  allowedIps: []\n",
            "desired.yml:2:15: key 'ci': allowedIps: the list is empty, which would allow no \
             address; leave the field out for any address",
        ),
        (
            "fresh:\n  permissions: [dns:read]\n  resources: []\n",
            "desired.yml:3:14: key 'fresh': resources: the list is empty, which would allow no \
             resource; leave the field out for the whole tenant",
        ),
    ] {
        fs::write(env.dir.path().join("desired.yml"), text).unwrap();
        env.run(&["apply", "-f", "desired.yml"])
            .code(1)
            .stderr_has(says)
            .stdout_empty();
        assert_eq!(env.bytes(), before, "{text}");
    }
    // Null (or leaving the field out) is no restriction, as before.
    fs::write(
        env.dir.path().join("desired.yml"),
        "ci:\n  permissions: [dns:read]\n  allowedIps: null\n",
    )
    .unwrap();
    env.run(&["apply", "-f", "desired.yml"]).success();
}

#[test]
fn apply_names_the_item_of_a_list_it_refuses() {
    let env = TestEnv::new();
    fs::write(
        env.dir.path().join("desired.yml"),
        "ci:\n  allowedIps: [10.0.0.0/8, 10.0.0.0/33]\n",
    )
    .unwrap();
    env.run(&["apply", "-f", "desired.yml"])
        .code(1)
        .stderr_has("desired.yml:2:28: key 'ci': invalid address range \"10.0.0.0/33\"");
}

#[test]
fn the_command_line_cannot_write_an_empty_list() {
    let env = TestEnv::new();
    env.create("k", &["--allow-ip", "10.0.0.0/8", "--resource", "zone1"]);
    let before = env.bytes();
    // An empty value is no address: a usage error naming the flag.
    env.run(&["create", "other", "--allow-ip", ""])
        .code(2)
        .stderr_has("--allow-ip: invalid address range \"\"");
    env.run(&["update", "k", "--allow-ip", ""])
        .code(2)
        .stderr_has("--allow-ip: invalid address range \"\"");
    // Removing the last entry is refused; lifting the restriction takes --clear-....
    env.run(&["update", "k", "--remove-allow-ip", "10.0.0.0/8"])
        .code(2)
        .stderr_has("refusing to remove the last address range");
    env.run(&["update", "k", "--remove-resource", "zone1"])
        .code(2)
        .stderr_has("refusing to remove the last resource");
    assert_eq!(env.bytes(), before);
}

#[test]
fn the_admin_api_refuses_empty_lists_with_422_naming_the_field() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let api = Api::start(&env, &[]);
    let before = env.bytes();
    for (body, field, says) in [
        (
            r#"{"name": "x", "allowedIps": []}"#,
            "allowedIps",
            "leave the field out for any address",
        ),
        (
            r#"{"name": "x", "resources": []}"#,
            "resources",
            "leave the field out for the whole tenant",
        ),
        (
            r#"{"name": "x", "allowedIps": ["10.0.0.0/8", "10.0.0.0/8", "x"]}"#,
            "allowedIps[2]",
            "allowedIps[2]: invalid address range \"x\"",
        ),
    ] {
        let got = api
            .ask(Client::Ureq, send("POST", KEYS, &admin, body))
            .error(422, "invalid-field");
        assert_eq!(got["field"], field, "{body}: {got}");
        assert!(
            got["message"].as_str().unwrap().contains(says),
            "{body}: {got}"
        );
    }
    assert_eq!(env.bytes(), before);
}

#[test]
fn check_warns_of_an_empty_list_written_by_hand_and_verify_still_refuses() {
    let env = TestEnv::new();
    let token = env.create("k", &["-p", "dns:read"]);
    let text = env.read().replace(
        "    permissions:",
        "    allowedIps: []\n    resources: []\n    permissions:",
    );
    env.write(&text);
    let out = env.run(&["check"]);
    out.success()
        .stdout_has("allowedIps is an empty list, so no request can use this key; leave the field out for any address")
        .stdout_has("resources is an empty list, so no request can use this key; leave the field out for the whole tenant")
        .stderr_has("2 warnings");
    env.run(&["check", "--strict"]).code(7);
    // Read as written: no address may use the key.
    env.run_with(&["verify", "--ip", "10.0.0.1"], &format!("{token}\n"))
        .code(5);
}
