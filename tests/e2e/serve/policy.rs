//! `tokenctl serve` and the policy (docs/FORMAT.md, "Policy"): the admin API's writes are
//! judged by the tenant file's `policy:` section, `<root>/policy.yml` and `--policy`, at the
//! server's clock. Under `enforce` a refusal is 422 `policy` naming the field and the rule,
//! and the file's bytes are unchanged; under `warn` the write goes through and the answer
//! carries `warnings`; `policy.yml` is read again for every write; a change that narrows a
//! key that breaks the policy goes through.

use crate::support::env::*;
use crate::support::server::*;

const KEYS: &str = "/api/acme/admin/apiKeys";

/// A year after [`NOW`]: beyond `maxLifetime: 90d`.
const IN_A_YEAR: &str = "2027-11-22T10:00:00Z";

/// A month after [`NOW`]: within it.
const IN_A_MONTH: &str = "2026-12-22T10:00:00Z";

/// The tenant's file with `policy` (YAML lines, indented under `policy:`) put in front.
fn with_policy(env: &TestEnv, policy: &str) {
    let text = env.read();
    env.write(format!("policy:\n{policy}{text}"));
}

/// Asserts a refusal by policy: 422 `policy`, the field and the rule of the first violation,
/// a message naming the rule and its file (by name: never the server's paths), ending in
/// "nothing was written".
#[track_caller]
fn refused(r: &Reply, env: &TestEnv, field: &str, rule: &str) -> String {
    let body = r.error(422, "policy");
    assert_eq!(body["field"], field, "{body}");
    assert_eq!(body["rule"], rule, "{body}");
    let message = body["message"].as_str().unwrap().to_string();
    assert!(message.starts_with("refused by policy: key '"), "{message}");
    assert!(message.ends_with("; nothing was written"), "{message}");
    assert!(message.contains(&format!("policy {rule}")), "{message}");
    let root = env.root().display().to_string();
    assert!(!message.contains(&root), "a path in {message}");
    assert_eq!(body.as_object().unwrap().len(), 4, "{body}");
    // The ETag of the version judged (the file is unchanged).
    assert_eq!(r.header("etag"), Some(etag_of(&env.bytes()).as_str()));
    message
}

#[test]
fn a_post_the_tenant_s_policy_refuses_is_422_naming_field_and_rule_and_writes_nothing() {
    for client in CLIENTS {
        let env = TestEnv::new();
        let admin = with_admin(&env);
        with_policy(&env, "  maxLifetime: 90d\n");
        let api = Api::start(&env, &[]);
        let before = env.bytes();

        let post = |body: &str| api.ask(client, send("POST", KEYS, &admin, body));
        let r = post(&format!(
            r#"{{"name": "ci", "permissions": ["dns:write"], "expiresAt": "{IN_A_YEAR}"}}"#
        ));
        let message = refused(&r, &env, "expiresAt", "maxLifetime");
        assert_eq!(
            message,
            format!(
                "refused by policy: key 'ci': it expires {IN_A_YEAR}, later than 90d from now; policy maxLifetime 90d (from security.yml): an expiresAt at most 90d from now; nothing was written"
            )
        );
        assert_eq!(env.bytes(), before, "a refusal wrote");
        // No expiry at all breaks the rule too.
        refused(
            &post(r#"{"name": "ci", "permissions": ["dns:write"]}"#),
            &env,
            "expiresAt",
            "maxLifetime",
        );
        assert_eq!(env.bytes(), before, "a refusal wrote");
        api.wait_for_log(" 422 key=console reason=policy ");

        // Within the rule: created, with no warnings.
        let r = post(&format!(
            r#"{{"name": "ci", "permissions": ["dns:write"], "expiresAt": "{IN_A_MONTH}"}}"#
        ));
        r.status(201);
        assert!(r.json().get("warnings").is_none(), "{}", r.body);
        assert_eq!(shown(&env, "ci")["expiresAt"], IN_A_MONTH);
        assert!(!api.log().contains("warning: policy"), "{}", api.log());
    }
}

#[test]
fn under_warn_the_write_goes_through_with_warnings_in_the_answer_and_on_stderr() {
    for client in CLIENTS {
        let env = TestEnv::new();
        let admin = with_admin(&env);
        with_policy(&env, "  enforcement: warn\n  maxLifetime: 90d\n");
        let api = Api::start(&env, &[]);

        let r = api.ask(
            client,
            send(
                "POST",
                KEYS,
                &admin,
                &format!(r#"{{"name": "ci", "expiresAt": "{IN_A_YEAR}"}}"#),
            ),
        );
        r.status(201);
        let body = r.json();
        let warning = format!(
            "key 'ci': it expires {IN_A_YEAR}, later than 90d from now; policy maxLifetime 90d (from security.yml): an expiresAt at most 90d from now"
        );
        assert_eq!(body["warnings"], serde_json::json!([warning]), "{body}");
        assert!(body["token"].as_str().is_some_and(|t| t.starts_with("tk_")));
        // Written: the CLI sees it, as the API gave it.
        assert_eq!(shown(&env, "ci")["expiresAt"], IN_A_YEAR);
        api.wait_for_log("warning: policy (enforcement: warn): key 'ci': it expires");

        // A PUT that narrows is not judged; one that widens (enabling) warns again.
        let put = |body: &str| api.ask(client, send("PUT", &format!("{KEYS}/ci"), &admin, body));
        let r = put(r#"{"enabled": false}"#);
        r.status(200);
        assert!(r.json().get("warnings").is_none(), "{}", r.body);
        assert_eq!(shown(&env, "ci")["enabled"], false);
        let r = put(r#"{"enabled": true}"#);
        r.status(200);
        assert_eq!(r.json()["warnings"], serde_json::json!([warning]));
        assert_eq!(r.json()["enabled"], true);
        assert_eq!(shown(&env, "ci")["enabled"], true);
    }
}

#[test]
fn root_policy_yml_is_enforced_and_an_edit_of_it_is_followed_without_a_restart() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let policy = env.root().join("policy.yml");
    std::fs::write(&policy, "policy:\n  requireOwner: true\n").unwrap();
    let api = Api::start(&env, &[]);
    let before = env.bytes();
    let post = |body: &str| api.ask(Client::Curl, send("POST", KEYS, &admin, body));

    let message = refused(
        &post(r#"{"name": "ci", "permissions": ["dns:read"]}"#),
        &env,
        "owner",
        "requireOwner",
    );
    assert!(
        message.contains("policy requireOwner (from policy.yml): an owner;"),
        "{message}"
    );
    assert_eq!(env.bytes(), before, "a refusal wrote");
    post(r#"{"name": "ci", "permissions": ["dns:read"], "owner": "platform"}"#).status(201);

    // The operator tightens it: the next write is judged by the new rules.
    std::fs::write(
        &policy,
        "policy:\n  requireOwner: true\n  forbiddenPermissions: ['dns:write']\n",
    )
    .unwrap();
    let before = env.bytes();
    let r = post(r#"{"name": "dns", "permissions": ["dns:*"], "owner": "platform"}"#);
    let message = refused(&r, &env, "permissions", "forbiddenPermissions");
    assert!(
        message.contains("it holds the scope 'dns:*', which grants 'dns:write'"),
        "{message}"
    );
    assert_eq!(env.bytes(), before, "a refusal wrote");

    // Two rules broken: both are in the message; field and rule are the first's.
    let r = post(r#"{"name": "dns", "permissions": ["dns:write"]}"#);
    let message = refused(&r, &env, "permissions", "forbiddenPermissions");
    assert!(
        message.contains("; also key 'dns': it has no owner;"),
        "{message}"
    );

    // A typo in it: writes are not judged on less than the operator asked for, and the
    // client hears it is the server's policy file (the log says where), not its own file.
    std::fs::write(&policy, "policy:\n  requireOwnr: true\n").unwrap();
    let body = post(r#"{"name": "dns", "permissions": ["dns:read"], "owner": "platform"}"#)
        .error(500, "internal");
    assert_eq!(
        body["message"],
        "the server's policy file does not load; nothing was written (the server's log says where)"
    );
    assert_eq!(
        env.bytes(),
        before,
        "a write with no policy to judge it wrote"
    );
    api.wait_for_log(&format!(
        "a write could not read the policy: {}:2:",
        policy.display()
    ));

    // Removed while the server runs (it was there when it started): writes fail rather than
    // go on under no policy at all; loosened to nothing, nothing is asked.
    std::fs::remove_file(&policy).unwrap();
    post(r#"{"name": "dns", "permissions": ["dns:write"]}"#).error(500, "internal");
    assert_eq!(
        env.bytes(),
        before,
        "a write with no policy to judge it wrote"
    );
    std::fs::write(&policy, "# no rules\n").unwrap();
    post(r#"{"name": "dns", "permissions": ["dns:write"]}"#).status(201);
}

#[test]
fn a_put_that_narrows_a_key_breaking_the_policy_goes_through_one_that_widens_it_does_not() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    // Made before the policy: it never expires, which the policy now forbids.
    env.create("ci", &["-p", "dns:read", "-p", "dns:write"]);
    with_policy(&env, "  maxLifetime: 90d\n");
    let api = Api::start(&env, &[]);
    let put = |body: &str| {
        api.ask(
            Client::Ureq,
            send("PUT", &format!("{KEYS}/ci"), &admin, body),
        )
    };

    // Narrowing: a scope taken away, then the key disabled.
    let r = put(r#"{"enabled": true, "permissions": ["dns:read"]}"#);
    r.status(200);
    assert_eq!(r.json()["permissions"], serde_json::json!(["dns:read"]));
    assert!(r.json().get("warnings").is_none(), "{}", r.body);
    put(r#"{"enabled": false}"#).status(200);
    assert_eq!(shown(&env, "ci")["enabled"], false);

    // Widening: enabling it again, or giving a scope back, is judged and refused.
    let before = env.bytes();
    refused(
        &put(r#"{"enabled": true}"#),
        &env,
        "expiresAt",
        "maxLifetime",
    );
    refused(
        &put(r#"{"enabled": false, "permissions": ["dns:read", "dns:write"]}"#),
        &env,
        "expiresAt",
        "maxLifetime",
    );
    assert_eq!(env.bytes(), before, "a refusal wrote");

    // A DELETE is never judged.
    api.ask(
        Client::Ureq,
        Ask {
            method: "DELETE",
            path: &format!("{KEYS}/ci"),
            token: Some(&admin),
            ..Ask::default()
        },
    )
    .status(204);
}

#[test]
fn the_policy_option_is_enforced_by_serve_with_file_and_root_policy_yml_is_not() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    // With --file the root's policy.yml is not the file's: only --policy and its own section.
    std::fs::write(
        env.root().join("policy.yml"),
        "policy:\n  requireOwner: true\n",
    )
    .unwrap();
    let ops = env.root().join("..").join("ops-policy.yml");
    std::fs::write(&ops, "policy:\n  requireDescription: true\n").unwrap();
    let file = env.file().display().to_string();
    let ops_arg = ops.display().to_string();
    let api = Api::start(&env, &["--file", &file, "--policy", &ops_arg]);
    let keys = "/api/default/admin/apiKeys";
    let before = env.bytes();

    let message = refused(
        &api.ask(
            Client::Curl,
            send("POST", keys, &admin, r#"{"name": "ci"}"#),
        ),
        &env,
        "description",
        "requireDescription",
    );
    assert!(message.contains("(from ops-policy.yml)"), "{message}");
    assert!(!message.contains("owner"), "{message}");
    assert_eq!(env.bytes(), before, "a refusal wrote");
    api.ask(
        Client::Curl,
        send(
            "POST",
            keys,
            &admin,
            r#"{"name": "ci", "description": "deploys"}"#,
        ),
    )
    .status(201);
}

#[test]
fn serve_refuses_to_start_on_a_policy_file_that_does_not_read() {
    let env = TestEnv::new();
    with_admin(&env);
    let out = env.run(&[
        "--policy",
        "missing.yml",
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("missing.yml"), "{}", out.stderr);
    assert!(out.stderr.contains("no such policy file"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}
