//! `tokenctl serve`: every row of issue 14's table, with curl and with ureq. Each answer is
//! checked against what the CLI says of the same file (`show --format json` is the key
//! definition), every ETag against the file's bytes, and every write against the bytes the
//! CLI's own command leaves in a copy of the file.

use crate::support::env::*;
use crate::support::harness::mask_hashes;
use crate::support::server::*;

const KEYS: &str = "/api/acme/admin/apiKeys";

/// A copy of `env`'s file in a fresh TestEnv, to run the CLI's equivalent of a request on.
fn copy_of(bytes: &[u8]) -> TestEnv {
    let copy = TestEnv::new();
    copy.write(bytes);
    copy
}

fn without_token(mut v: serde_json::Value) -> (serde_json::Value, String) {
    let token = v
        .as_object_mut()
        .unwrap()
        .remove("token")
        .expect("a token")
        .as_str()
        .unwrap()
        .to_string();
    (v, token)
}

fn every_row(client: Client) {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    env.create(
        "reader",
        &[
            "-p",
            "dns:read",
            "--description",
            "reads DNS",
            "--expires",
            "30d",
        ],
    );
    let api = Api::start(&env, &[]);

    // GET /healthz
    let r = api.ask(
        client,
        Ask {
            method: "GET",
            path: "/healthz",
            ..Ask::default()
        },
    );
    r.status(200);
    assert_eq!(r.body, "ok");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));

    // GET /api/openapi.json: the committed document, byte for byte.
    let r = api.ask(
        client,
        Ask {
            method: "GET",
            path: "/api/openapi.json",
            ..Ask::default()
        },
    );
    r.status(200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.body, std::fs::read_to_string(openapi_path()).unwrap());

    // GET .../apiKeys: the keys in file order, each as `show --format json` shows it.
    let r = api.ask(client, get(KEYS, &admin));
    r.status(200);
    assert_eq!(r.header("etag"), Some(etag_of(&env.bytes()).as_str()));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(
        r.json(),
        serde_json::json!([shown(&env, "console"), shown(&env, "reader")])
    );

    // POST .../apiKeys: 201, Location, the definition plus the token, once.
    let before = env.bytes();
    let r = api.ask(
        client,
        send(
            "POST",
            KEYS,
            &admin,
            r#"{"name": "ci", "permissions": ["dns:write", "dns:write"], "description": "deploys",
               "expiresAt": "2027-01-01T00:00:00Z", "allowedIps": ["10.0.0.0/8"],
               "pathPrefix": "/dns", "resources": ["example.com"]}"#,
        ),
    );
    r.status(201);
    assert_eq!(r.header("location"), Some(format!("{KEYS}/ci").as_str()));
    assert_eq!(r.header("etag"), Some(etag_of(&env.bytes()).as_str()));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let (definition, token) = without_token(r.json());
    api.remember_token(&token);
    assert_eq!(definition, shown(&env, "ci"));
    assert_eq!(definition["permissions"], serde_json::json!(["dns:write"]));
    let v = verified(
        &env,
        &token,
        &["--permission", "dns:write", "--ip", "10.1.2.3"],
    );
    assert_eq!(
        (v["valid"].as_bool(), v["key"].as_str()),
        (Some(true), Some("ci"))
    );
    // The same bytes as the CLI's create, but for the secret's hash.
    let cli = copy_of(&before);
    cli.run(&[
        "create",
        "ci",
        "--permission",
        "dns:write",
        "--description",
        "deploys",
        "--expires",
        "2027-01-01T00:00:00Z",
        "--allow-ip",
        "10.0.0.0/8",
        "--path-prefix",
        "/dns",
        "--resource",
        "example.com",
    ])
    .success();
    assert_eq!(mask_hashes(&env.read()), mask_hashes(&cli.read()));
    assert_ne!(env.read(), cli.read(), "each create draws its own secret");

    // A minimal POST: enabled and permissions default to true and [].
    let r = api.ask(client, send("POST", KEYS, &admin, r#"{"name":"bare"}"#));
    r.status(201);
    let (bare, bare_token) = without_token(r.json());
    api.remember_token(&bare_token);
    assert_eq!(bare, shown(&env, "bare"));
    assert_eq!(
        (bare["enabled"].as_bool(), bare["permissions"].clone()),
        (Some(true), serde_json::json!([]))
    );

    // GET .../apiKeys/{keyName}
    let r = api.ask(client, get(&format!("{KEYS}/ci"), &admin));
    r.status(200);
    assert_eq!(r.json(), shown(&env, "ci"));
    assert_eq!(r.header("etag"), Some(etag_of(&env.bytes()).as_str()));

    // PUT .../apiKeys/{keyName}: enabled and permissions replaced, as `update` would.
    let before = env.bytes();
    let r = api.ask(
        client,
        send(
            "PUT",
            &format!("{KEYS}/ci"),
            &admin,
            r#"{"enabled": false, "permissions": ["dns:read", "dns:*"]}"#,
        ),
    );
    r.status(200);
    assert_eq!(r.json(), shown(&env, "ci"));
    assert_eq!(r.header("etag"), Some(etag_of(&env.bytes()).as_str()));
    let cli = copy_of(&before);
    cli.run(&["update", "ci", "--disable", "-p", "dns:read", "-p", "dns:*"])
        .success();
    assert_eq!(env.read(), cli.read());
    // The name and the hash never change.
    assert_eq!(r.json()["fingerprint"], definition["fingerprint"]);
    // A definition as read, sent back with enabled changed: the round trip of a console.
    let mut echoed = r.json();
    echoed["enabled"] = serde_json::json!(true);
    let r = api.ask(
        client,
        send("PUT", &format!("{KEYS}/ci"), &admin, &echoed.to_string()),
    );
    r.status(200);
    assert_eq!(r.json()["enabled"], true);
    // permissions left out: unchanged. The same state again: nothing is written.
    let before = env.bytes();
    let r = api.ask(
        client,
        send("PUT", &format!("{KEYS}/ci"), &admin, r#"{"enabled": true}"#),
    );
    r.status(200);
    assert_eq!(
        r.json()["permissions"],
        serde_json::json!(["dns:read", "dns:*"])
    );
    assert_eq!(env.bytes(), before);
    assert_eq!(r.header("etag"), Some(etag_of(&before).as_str()));

    // DELETE .../apiKeys/{keyName}: 204, no body; the key stops working at once.
    let before = env.bytes();
    let r = api.ask(
        client,
        Ask {
            method: "DELETE",
            path: &format!("{KEYS}/ci"),
            token: Some(&admin),
            ..Ask::default()
        },
    );
    r.status(204);
    assert_eq!(r.body, "");
    assert_eq!(r.header("etag"), Some(etag_of(&env.bytes()).as_str()));
    let cli = copy_of(&before);
    cli.run(&["delete", "ci", "--yes"]).success();
    assert_eq!(env.read(), cli.read());
    api.ask(client, get("/api/acme/whoami", &token))
        .unauthorized();

    // GET /api/{tenantId}/whoami: any valid token, whatever its scopes.
    let r = api.ask(client, get("/api/acme/whoami", &admin));
    r.status(200);
    assert_eq!(
        r.json(),
        serde_json::json!({
            "name": "console",
            "permissions": ["tenant.apiKey:read", "tenant.apiKey:write"],
            "expiresAt": null,
        })
    );
    let reader = env.run(&["rotate", "reader", "--quiet"]).success().secret();
    let r = api.ask(client, get("/api/acme/whoami", &reader));
    r.status(200);
    assert_eq!(
        r.json(),
        serde_json::json!({
            "name": "reader",
            "permissions": ["dns:read"],
            "expiresAt": "2026-12-22T10:00:00Z",
        })
    );
    // Basic credentials with the token as the password work as Bearer does.
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("any:{admin}"));
    let r = api.ask(
        client,
        Ask {
            method: "GET",
            path: "/api/acme/whoami",
            headers: vec![("Authorization", format!("Basic {basic}"))],
            ..Ask::default()
        },
    );
    r.status(200);
    assert_eq!(r.json()["name"], "console");
    api.remember_token(&basic);
}

#[test]
fn every_row_of_the_table_with_curl() {
    every_row(Client::Curl);
}

#[test]
fn every_row_of_the_table_with_ureq() {
    every_row(Client::Ureq);
}
