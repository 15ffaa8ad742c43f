//! `tokenctl serve`: every error of issue 14, with curl and with ureq, and the file's bytes
//! unchanged after each: 400 (malformed JSON, a body over 64 KiB), 401 (missing, malformed,
//! unknown, ambiguous, disabled, expired, rotated; the reason and message `verify` gives), 403
//! (scope, address with and without --trust-proxy, path, resource), 404 (tenant, key), 409,
//! 412, 422 naming the field, 503 with Retry-After while another process holds the lock, and
//! a key of tenant acme refused on tenant beta.

use crate::support::env::{run_at, stranger_token, *};
use crate::support::server::*;

const KEYS: &str = "/api/acme/admin/apiKeys";

fn delete<'a>(path: &'a str, token: &'a str) -> Ask<'a> {
    Ask {
        method: "DELETE",
        path,
        token: Some(token),
        ..Ask::default()
    }
}

fn no_token<'a>(method: &'static str, path: &'a str) -> Ask<'a> {
    Ask {
        method,
        path,
        ..Ask::default()
    }
}

/// Asserts the answer `tokenctl verify` calls for on the same token and request: a 401 is
/// the one body of every 401 (the reason is for the access log); a 403 carries verify's
/// reason and message, with "this key" for the key's name.
#[track_caller]
fn refused_as_verify_says(r: &Reply, expected: &serde_json::Value) {
    let status = expected["status"].as_u64().unwrap() as u16;
    if status == 401 {
        r.unauthorized();
        return;
    }
    let body = r.error(status, "forbidden");
    let key = expected["key"].as_str().unwrap();
    let message = expected["message"].as_str().unwrap();
    let unnamed = message.replacen(&format!("key '{key}'"), "this key", 1);
    assert_ne!(unnamed, message, "verify names the key");
    assert_eq!(
        body,
        serde_json::json!({"error": "forbidden", "reason": expected["reason"], "message": unnamed})
    );
    assert!(!r.body.contains(key), "a 403 names the key: {}", r.body);
    assert_eq!(r.header("www-authenticate"), None);
    assert_eq!(r.header("etag"), None, "no ETag before the caller is known");
}

/// Two keys with one secret, as a hand edit might leave them; returns the secret.
fn add_twins(env: &TestEnv) -> String {
    use sha2::Digest;
    let body = format!("tk_{}", "7".repeat(64));
    let secret = format!(
        "{body}{}",
        hex::encode(&sha2::Sha256::digest(body.as_bytes())[..4])
    );
    let hash = format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(secret.as_bytes()))
    );
    let mut text = env.read();
    text.push_str(&format!(
        "  twin-a:\n    permissions: ['*']\n    hash: {hash}\n  twin-b:\n    permissions: ['*']\n    hash: {hash}\n"
    ));
    env.write(text);
    secret
}

#[test]
fn tokens_that_are_no_working_key_get_401_with_verify_s_reason() {
    for client in CLIENTS {
        let env = TestEnv::new();
        let admin = with_admin(&env);
        let all = ["-p", "*"];
        let off = env.create("off", &["-p", "*", "--disabled"]);
        let old = env.create_at(EARLIER, "old", &["-p", "*", "--expires", "2026-01-01"]);
        let rotated = env.create("rotated", &all);
        run_at(
            &env,
            "2026-11-01T00:00:00Z",
            &["rotate", "rotated", "--grace", "1h", "-q"],
            "",
        )
        .success();
        let twins = add_twins(&env);
        let mut typo = admin.clone();
        typo.pop();
        typo.push(if admin.ends_with('0') { '1' } else { '0' });
        let api = Api::start(&env, &[]);
        let before = env.bytes();

        // No Authorization header: reason "missing", on every route that needs a token.
        for (method, path) in [
            ("GET", KEYS.to_string()),
            ("POST", KEYS.to_string()),
            ("GET", format!("{KEYS}/console")),
            ("PUT", format!("{KEYS}/console")),
            ("DELETE", format!("{KEYS}/console")),
            ("GET", "/api/acme/whoami".to_string()),
        ] {
            let mut ask = no_token(method, &path);
            if method == "POST" || method == "PUT" {
                ask.body = Some(r#"{"name": "x", "enabled": true}"#);
            }
            api.ask(client, ask).unauthorized();
            api.wait_for_log(&format!(" {method} {path} 401 key=- reason=missing "));
        }
        for token in [
            typo.as_str(),
            &admin[..40],
            &stranger_token(),
            "an-imported-looking-secret-nobody-has",
            &off,
            &old,
            &rotated,
            &twins,
        ] {
            let expected = verified(&env, token, &["--permission", "tenant.apiKey:write"]);
            assert_eq!(expected["status"], 401, "{expected}");
            for ask in [
                get(KEYS, token),
                send("POST", KEYS, token, r#"{"name": "x"}"#),
                delete(&format!("{KEYS}/console"), token),
            ] {
                refused_as_verify_says(&api.ask(client, ask), &expected);
            }
        }
        let reasons: Vec<String> = [&typo, &stranger_token(), &off, &old, &rotated, &twins]
            .iter()
            .map(|t| {
                verified(&env, t, &[])["reason"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            reasons,
            [
                "malformed",
                "unknown",
                "disabled",
                "expired",
                "rotated",
                "ambiguous"
            ]
        );
        // An Authorization value that is not Bearer or Basic credentials.
        for value in [format!("Token {admin}"), "Basic !!!".into()] {
            let r = api.ask(
                client,
                Ask {
                    method: "GET",
                    path: KEYS,
                    headers: vec![("Authorization", value.clone())],
                    ..Ask::default()
                },
            );
            let expected = verified(&env, &value, &[]);
            refused_as_verify_says(&r, &expected);
            assert_eq!(expected["reason"], "bad-header");
            api.remember_token(&value);
        }
        // A bare token is no Authorization value (verify takes one as a token).
        let r = api.ask(
            client,
            Ask {
                method: "GET",
                path: KEYS,
                headers: vec![("Authorization", admin.clone())],
                ..Ask::default()
            },
        );
        r.unauthorized();
        // The reasons, for the operator: in the access log, never in an answer.
        for reason in [
            "malformed",
            "unknown",
            "disabled",
            "expired",
            "rotated",
            "ambiguous",
            "bad-header",
        ] {
            api.wait_for_log(&format!(" GET {KEYS} 401 key="));
            assert!(
                api.log().contains(&format!(" reason={reason} ")),
                "{reason}: {}",
                api.log()
            );
        }
        assert!(api.log().contains(" 401 key=off reason=disabled "));
        assert_eq!(env.bytes(), before, "a refused request wrote");
    }
}

#[test]
fn two_authorization_headers_are_refused() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let api = Api::start(&env, &[]);
    // curl sends both; which one counts would be a guess.
    let r = api.ask(
        Client::Curl,
        get(KEYS, &admin).header("Authorization", format!("Bearer {}", stranger_token())),
    );
    r.unauthorized();
    api.wait_for_log(&format!(" GET {KEYS} 401 key=- reason=bad-header "));
}

#[test]
fn keys_without_the_scope_address_path_or_resource_get_403() {
    for client in CLIENTS {
        let env = TestEnv::new();
        let admin = with_admin(&env);
        let reader = env.create("reader", &["-p", "tenant.apiKey:read", "-p", "dns:*"]);
        let dns = env.create("dns", &["-p", "dns:*"]);
        let star = env.create("star", &["-p", "*"]);
        let family = env.create("family", &["-p", "tenant.apiKey:*"]);
        let local = env.create("local", &["-p", "*", "--allow-ip", "192.0.2.0/24"]);
        let who = env.create("who", &["-p", "*", "--path-prefix", "/api/acme/whoami"]);
        let scoped = env.create(
            "scoped",
            &["-p", "*", "--resource", "ci", "--resource", "reader"],
        );
        let api = Api::start(&env, &[]);
        let before = env.bytes();

        // The scope: read for GET, write for POST, PUT and DELETE; `*` and
        // `tenant.apiKey:*` grant both.
        let forbidden = |r: Reply, token: &str, extra: &[&str]| {
            let expected = verified(&env, token, extra);
            assert_eq!(expected["status"], 403, "{expected}");
            refused_as_verify_says(&r, &expected);
        };
        forbidden(
            api.ask(client, get(KEYS, &dns)),
            &dns,
            &["--permission", "tenant.apiKey:read"],
        );
        forbidden(
            api.ask(client, get(&format!("{KEYS}/dns"), &dns)),
            &dns,
            &["--permission", "tenant.apiKey:read"],
        );
        for ask in [
            send("POST", KEYS, &reader, r#"{"name": "x"}"#),
            send(
                "PUT",
                &format!("{KEYS}/dns"),
                &reader,
                r#"{"enabled": false}"#,
            ),
            delete(&format!("{KEYS}/dns"), &reader),
        ] {
            forbidden(
                api.ask(client, ask),
                &reader,
                &["--permission", "tenant.apiKey:write"],
            );
        }
        api.ask(client, get(KEYS, &reader)).status(200);
        for token in [&star, &family, &admin] {
            api.ask(client, get(KEYS, token)).status(200);
            api.ask(client, get(&format!("{KEYS}/dns"), token))
                .status(200);
        }
        // whoami needs no scope at all.
        api.ask(client, get("/api/acme/whoami", &dns)).status(200);

        // The address: the peer's, whatever X-Forwarded-For says without --trust-proxy.
        let expected = verified(&env, &local, &["--ip", "127.0.0.1"]);
        forbidden(
            api.ask(client, get(KEYS, &local)),
            &local,
            &["--ip", "127.0.0.1"],
        );
        let r = api.ask(
            client,
            get(KEYS, &local).header("X-Forwarded-For", "192.0.2.7"),
        );
        refused_as_verify_says(&r, &expected);
        assert_eq!(
            r.body,
            "{\"error\":\"forbidden\",\"reason\":\"ip\",\"message\":\"this key is not allowed from 127.0.0.1\"}\n"
        );
        api.wait_for_log(&format!(" GET {KEYS} 403 key=local reason=ip "));

        // The path: a key restricted to whoami may call only that.
        api.ask(client, get("/api/acme/whoami", &who)).status(200);
        forbidden(api.ask(client, get(KEYS, &who)), &who, &["--path", KEYS]);

        // The resource: a key restricted to some keys manages only those, and sees only
        // those in the list.
        env.create("ci", &["-p", "dns:read"]);
        api.ask(client, get(&format!("{KEYS}/ci"), &scoped))
            .status(200);
        let r = api.ask(client, get(KEYS, &scoped));
        r.status(200);
        let names: Vec<String> = r
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["reader", "ci"]);
        let before_scoped = env.bytes();
        forbidden(
            api.ask(client, get(&format!("{KEYS}/dns"), &scoped)),
            &scoped,
            &["--resource", "dns"],
        );
        forbidden(
            api.ask(client, delete(&format!("{KEYS}/dns"), &scoped)),
            &scoped,
            &["--resource", "dns"],
        );
        forbidden(
            api.ask(client, send("POST", KEYS, &scoped, r#"{"name": "other"}"#)),
            &scoped,
            &["--resource", "other"],
        );
        assert_eq!(env.bytes(), before_scoped);
        api.ask(
            client,
            send(
                "PUT",
                &format!("{KEYS}/ci"),
                &scoped,
                r#"{"enabled": false}"#,
            ),
        )
        .status(200);
        assert_ne!(env.bytes(), before);
    }
}

#[test]
fn the_client_address_comes_from_x_forwarded_for_only_with_trust_proxy() {
    for client in CLIENTS {
        let env = TestEnv::new();
        with_admin(&env);
        let local = env.create("local", &["-p", "*", "--allow-ip", "192.0.2.0/24"]);
        let api = Api::start(&env, &["--trust-proxy"]);
        // The last entry is the one the proxy in front added; those before it are the
        // client's to forge.
        api.ask(
            client,
            get(KEYS, &local).header("X-Forwarded-For", "192.0.2.7"),
        )
        .status(200);
        api.ask(
            client,
            get(KEYS, &local).header("X-Forwarded-For", "198.51.100.1, 192.0.2.7"),
        )
        .status(200);
        let r = api.ask(
            client,
            get(KEYS, &local).header("X-Forwarded-For", "192.0.2.7, 198.51.100.1"),
        );
        refused_as_verify_says(&r, &verified(&env, &local, &["--ip", "198.51.100.1"]));
        // No header: the peer's address (a health check from the proxy's host, say).
        let r = api.ask(client, get(KEYS, &local));
        refused_as_verify_says(&r, &verified(&env, &local, &["--ip", "127.0.0.1"]));
        let r = api.ask(
            client,
            get(KEYS, &local).header("X-Forwarded-For", "not-an-ip"),
        );
        let body = r.error(400, "bad-request");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("X-Forwarded-For"),
            "{body}"
        );
    }
}

#[test]
fn a_key_of_tenant_acme_is_refused_on_tenant_beta() {
    for client in CLIENTS {
        let env = TestEnv::new();
        let acme = with_admin(&env);
        let beta = env
            .run(&[
                "-t",
                "beta",
                "create",
                "console",
                "-p",
                "*",
                "-q",
                "--new-tenant",
            ])
            .success()
            .secret();
        let api = Api::start(&env, &[]);
        let beta_before = std::fs::read(env.root().join("beta/security.yml")).unwrap();
        for ask in [
            get("/api/beta/admin/apiKeys", &acme),
            get("/api/beta/whoami", &acme),
            send(
                "POST",
                "/api/beta/admin/apiKeys",
                &acme,
                r#"{"name": "intruder"}"#,
            ),
            delete("/api/beta/admin/apiKeys/console", &acme),
        ] {
            api.ask(client, ask).unauthorized();
        }
        assert_eq!(
            std::fs::read(env.root().join("beta/security.yml")).unwrap(),
            beta_before
        );
        // Each tenant's own key works on its own tenant.
        api.ask(client, get("/api/beta/whoami", &beta)).status(200);
        api.ask(client, get("/api/acme/whoami", &acme)).status(200);
        api.ask(client, get("/api/acme/whoami", &beta))
            .unauthorized();
        api.wait_for_log(" GET /api/acme/whoami 401 key=- reason=unknown ");
    }
}

#[test]
fn unknown_tenants_keys_and_routes_are_404_and_other_methods_405() {
    for client in CLIENTS {
        let env = TestEnv::new();
        let admin = with_admin(&env);
        std::fs::create_dir_all(env.root().join("empty")).unwrap();
        // A tenant folder that is a link out of the root is no tenant, whatever it holds.
        let outside = env.dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::copy(env.file(), outside.join("security.yml")).unwrap();
        std::os::unix::fs::symlink(&outside, env.root().join("evil")).unwrap();
        let api = Api::start(&env, &[]);
        let before = env.bytes();
        // An unknown tenant is 404 whatever the token: there is no file to check it against.
        for path in [
            "/api/nobody/admin/apiKeys",
            "/api/nobody/whoami",
            "/api/empty/admin/apiKeys",
            "/api/..%2Facme/whoami",
            "/api/a%2Fb/admin/apiKeys",
            "/api/evil/admin/apiKeys",
        ] {
            let body = api.ask(client, get(path, &admin)).error(404, "not-found");
            assert!(
                body["message"].as_str().unwrap().starts_with("no tenant"),
                "{body}"
            );
        }
        // A POST never creates a tenant either (the CLI needs --new-tenant for that).
        let body = api
            .ask(
                client,
                send(
                    "POST",
                    "/api/nobody/admin/apiKeys",
                    &admin,
                    r#"{"name": "x", "permissions": ["dns:read"]}"#,
                ),
            )
            .error(404, "not-found");
        assert!(
            body["message"].as_str().unwrap().starts_with("no tenant"),
            "{body}"
        );
        assert!(
            !env.root().join("nobody").exists(),
            "a request created a tenant"
        );
        assert!(api.log().contains("leads outside --root"), "{}", api.log());
        for ask in [
            get("/api/acme/admin/apiKeys/nope", &admin),
            send(
                "PUT",
                "/api/acme/admin/apiKeys/nope",
                &admin,
                r#"{"enabled": true}"#,
            ),
            delete("/api/acme/admin/apiKeys/nope", &admin),
        ] {
            let r = api.ask(client, ask);
            let body = r.error(404, "not-found");
            assert_eq!(body["message"], "no key named 'nope' in tenant 'acme'");
            assert_eq!(r.header("etag"), Some(etag_of(&env.bytes()).as_str()));
        }
        for path in [
            "/api/acme/admin",
            "/api/acme/admin/apiKeys/a/b",
            "/",
            "/api",
        ] {
            api.ask(client, get(path, &admin)).error(404, "not-found");
        }
        let r = api.ask(
            client,
            send("PATCH", &format!("{KEYS}/console"), &admin, "{}"),
        );
        r.error(405, "method-not-allowed");
        assert_eq!(r.header("allow"), Some("GET, HEAD, PUT, DELETE"));
        let r = api.ask(client, delete(KEYS, &admin));
        r.error(405, "method-not-allowed");
        assert_eq!(r.header("allow"), Some("GET, HEAD, POST"));
        assert_eq!(env.bytes(), before);
    }
}

#[test]
fn bad_bodies_get_400_or_422_naming_the_field() {
    for client in CLIENTS {
        let env = TestEnv::new();
        let admin = with_admin(&env);
        env.create("ci", &["-p", "dns:read", "--description", "deploys"]);
        let api = Api::start(&env, &[]);
        let before = env.bytes();
        let post = |body: &str| api.ask(client, send("POST", KEYS, &admin, body));
        let put = |body: &str| api.ask(client, send("PUT", &format!("{KEYS}/ci"), &admin, body));

        // 400: not JSON; over 64 KiB.
        for body in ["{bad", "", "{\"name\": \"x\"", "\"name\": \"x\"}"] {
            post(body).error(400, "bad-request");
            put(body).error(400, "bad-request");
        }
        let big = format!(
            r#"{{"name": "x", "description": "{}"}}"#,
            "a".repeat(70_000)
        );
        let body = post(&big).error(400, "bad-request");
        assert!(
            body["message"].as_str().unwrap().contains("64 KiB"),
            "{body}"
        );
        put(&big).error(400, "bad-request");
        // Just under the limit is read (and then judged on its fields).
        let fits = format!(
            r#"{{"name": "big", "description": "{}"}}"#,
            "a".repeat(60_000)
        );
        post(&fits).status(201);
        api.ask(client, delete(&format!("{KEYS}/big"), &admin))
            .status(204);

        // 422, naming the field.
        for (body, field, says) in [
            ("{}", "name", "field 'name' is required"),
            (r#"[1, 2]"#, "", "must be a JSON object"),
            (r#"{"name": "a b"}"#, "name", "invalid key name"),
            (r#"{"name": ".."}"#, "name", "invalid key name"),
            (
                r#"{"name": 7}"#,
                "name",
                "invalid type: integer `7`, expected a string",
            ),
            (r#"{"name": null}"#, "name", "invalid type: null"),
            (
                r#"{"name": "x", "enabled": "yes"}"#,
                "enabled",
                "expected a boolean",
            ),
            (
                r#"{"name": "x", "enabled": null}"#,
                "enabled",
                "invalid type: null",
            ),
            (
                r#"{"name": "x", "permissions": "dns:read"}"#,
                "permissions",
                "expected a sequence",
            ),
            (
                r#"{"name": "x", "permissions": ["dns:read", 3]}"#,
                "permissions[1]",
                "expected a string",
            ),
            (
                r#"{"name": "x", "permissions": ["dns:read", "dns read"]}"#,
                "permissions[1]",
                "invalid permission",
            ),
            (
                r#"{"name": "x", "expiresAt": "tomorrow"}"#,
                "expiresAt",
                "is not an RFC 3339 time",
            ),
            (
                r#"{"name": "x", "expiresAt": "2020-01-01T00:00:00Z"}"#,
                "expiresAt",
                "is not in the future",
            ),
            (
                r#"{"name": "x", "allowedIps": ["10.0.0.0/8", "nope"]}"#,
                "allowedIps[1]",
                "invalid address range",
            ),
            (
                r#"{"name": "x", "allowedIps": []}"#,
                "allowedIps",
                "would allow no address",
            ),
            (
                r#"{"name": "x", "pathPrefix": "dns"}"#,
                "pathPrefix",
                "must start with /",
            ),
            (
                r#"{"name": "x", "resources": []}"#,
                "resources",
                "would allow no resource",
            ),
            (
                r#"{"name": "x", "description": 5}"#,
                "description",
                "expected a string",
            ),
            (
                r#"{"name": "x", "permision": ["a"]}"#,
                "permision",
                "did you mean 'permissions'?",
            ),
            (
                r#"{"name": "x", "token": "tk_x"}"#,
                "token",
                "unknown field 'token'",
            ),
            (
                r#"{"name": "x", "hash": "sha256:00"}"#,
                "hash",
                "unknown field 'hash'",
            ),
            (r#"{"name": "x", "name": "y"}"#, "name", "given twice"),
        ] {
            let r = post(body);
            let got = r.error(422, "invalid-field");
            assert_eq!(got["field"], field, "{body}: {got}");
            assert!(
                got["message"].as_str().unwrap().contains(says),
                "{body}: {got}"
            );
        }
        for (body, field, says) in [
            ("{}", "enabled", "field 'enabled' is required"),
            (r#"{"enabled": 1}"#, "enabled", "expected a boolean"),
            (r#"{"enabled": null}"#, "enabled", "invalid type: null"),
            (
                r#"{"enabled": true, "permissions": null}"#,
                "permissions",
                "invalid type: null",
            ),
            (
                r#"{"enabled": true, "permissions": ["a b"]}"#,
                "permissions[0]",
                "invalid permission",
            ),
            (
                r#"{"enabled": true, "description": "changed"}"#,
                "description",
                "PUT replaces only enabled, permissions and owner",
            ),
            (
                r#"{"enabled": true, "name": "other"}"#,
                "name",
                "a key's name never changes",
            ),
            (
                r#"{"enabled": true, "expiresAt": "2030-01-01T00:00:00Z"}"#,
                "expiresAt",
                "differs",
            ),
            (
                r#"{"enabled": true, "hash": "sha256:00"}"#,
                "hash",
                "unknown field 'hash'",
            ),
            (
                r#"{"enabled": true, "enabled": false}"#,
                "enabled",
                "given twice",
            ),
        ] {
            let r = put(body);
            let got = r.error(422, "invalid-field");
            assert_eq!(got["field"], field, "{body}: {got}");
            assert!(
                got["message"].as_str().unwrap().contains(says),
                "{body}: {got}"
            );
        }
        // Fields sent back as they were read are fine, and those that change by
        // themselves (status, lastUsedAt) are ignored.
        put(r#"{"enabled": true, "name": "ci", "description": "deploys", "status": "x", "lastUsedAt": "2020-01-01T00:00:00Z"}"#)
            .status(200);
        assert_eq!(env.bytes(), before);
    }
}

#[test]
fn scopes_the_catalog_lacks_get_422_and_names_taken_409() {
    for client in CLIENTS {
        let env = TestEnv::new();
        env.write("permissions: [tenant.apiKey:read, tenant.apiKey:write, dns:read, dns:write]\napiKeys: {}\n");
        let admin = with_admin(&env);
        let api = Api::start(&env, &[]);
        let before = env.bytes();
        let got = api
            .ask(
                client,
                send(
                    "POST",
                    KEYS,
                    &admin,
                    r#"{"name": "x", "permissions": ["dns:wirte"]}"#,
                ),
            )
            .error(422, "invalid-field");
        assert_eq!(got["field"], "permissions[0]");
        assert_eq!(
            got["message"],
            "unknown permission 'dns:wirte': the file's permissions catalog does not list it; did you mean 'dns:write'?"
        );
        let got = api
            .ask(
                client,
                send(
                    "PUT",
                    &format!("{KEYS}/console"),
                    &admin,
                    r#"{"enabled": true, "permissions": ["zone:read"]}"#,
                ),
            )
            .error(422, "invalid-field");
        assert_eq!(got["field"], "permissions[0]");
        // 409: the name is taken.
        let r = api.ask(client, send("POST", KEYS, &admin, r#"{"name": "console"}"#));
        let got = r.error(409, "conflict");
        assert!(
            got["message"]
                .as_str()
                .unwrap()
                .starts_with("key 'console' exists already"),
            "{got}"
        );
        assert_eq!(r.header("etag"), Some(etag_of(&before).as_str()));
        assert_eq!(env.bytes(), before);
        api.ask(
            client,
            send(
                "POST",
                KEYS,
                &admin,
                r#"{"name": "x", "permissions": ["dns:*"]}"#,
            ),
        )
        .status(201);
    }
}

#[test]
fn if_match_with_a_stale_etag_gets_412_and_writes_nothing() {
    for client in CLIENTS {
        let env = TestEnv::new();
        let admin = with_admin(&env);
        env.create("ci", &["-p", "dns:read"]);
        let api = Api::start(&env, &[]);
        let read = api.ask(client, get(KEYS, &admin));
        let stale = read.header("etag").unwrap().to_string();
        // Someone else writes meanwhile.
        env.create("other", &[]);
        let now = env.bytes();
        for ask in [
            send("POST", KEYS, &admin, r#"{"name": "x"}"#),
            send(
                "PUT",
                &format!("{KEYS}/ci"),
                &admin,
                r#"{"enabled": false}"#,
            ),
            delete(&format!("{KEYS}/ci"), &admin),
        ] {
            let r = api.ask(client, ask.header("If-Match", stale.clone()));
            r.error(412, "precondition-failed");
            assert_eq!(r.header("etag"), Some(etag_of(&now).as_str()));
            assert_eq!(env.bytes(), now);
        }
        // A weak tag never matches; a list matches when one of its tags does; the digest
        // may be given without quotes, as sha256sum prints it; * matches any.
        let current = etag_of(&now);
        let r = api.ask(
            client,
            send(
                "PUT",
                &format!("{KEYS}/ci"),
                &admin,
                r#"{"enabled": false}"#,
            )
            .header("If-Match", format!("W/{current}")),
        );
        r.error(412, "precondition-failed");
        let r = api.ask(
            client,
            send(
                "PUT",
                &format!("{KEYS}/ci"),
                &admin,
                r#"{"enabled": false}"#,
            )
            .header("If-Match", format!("{stale}, {current}")),
        );
        r.status(200);
        let after = env.bytes();
        assert_ne!(after, now);
        assert_eq!(r.header("etag"), Some(etag_of(&after).as_str()));
        let bare = etag_of(&after).trim_matches('"').to_string();
        let r = api.ask(
            client,
            send("PUT", &format!("{KEYS}/ci"), &admin, r#"{"enabled": true}"#)
                .header("If-Match", bare),
        );
        r.status(200);
        api.ask(
            client,
            delete(&format!("{KEYS}/ci"), &admin).header("If-Match", "*"),
        )
        .status(204);
    }
}

#[test]
fn a_lock_held_by_another_process_gets_503_with_retry_after() {
    for client in CLIENTS {
        let env = TestEnv::new();
        let admin = with_admin(&env);
        env.create("ci", &["-p", "dns:read"]);
        let api = Api::start(&env, &["--lock-timeout", "300ms"]);
        let before = env.bytes();
        let held = HeldLock::take(&env.file());
        for ask in [
            send("POST", KEYS, &admin, r#"{"name": "x"}"#),
            send(
                "PUT",
                &format!("{KEYS}/ci"),
                &admin,
                r#"{"enabled": false}"#,
            ),
            delete(&format!("{KEYS}/ci"), &admin),
        ] {
            let started = std::time::Instant::now();
            let r = api.ask(client, ask);
            r.error(503, "busy");
            assert_eq!(r.header("retry-after"), Some("1"));
            assert!(started.elapsed() >= std::time::Duration::from_millis(300));
            assert_eq!(env.bytes(), before);
        }
        // Reads do not wait for the lock.
        api.ask(client, get(KEYS, &admin)).status(200);
        // The log says who held it.
        assert!(api.log().contains("is locked by"), "{}", api.log());
        drop(held);
        api.ask(client, send("POST", KEYS, &admin, r#"{"name": "x"}"#))
            .status(201);
    }
}

/// Origin: an independent client of `serve` written against the README (was api_review.rs).
#[test]
fn error_bodies_never_quote_a_token_the_client_sent() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let api = Api::start(&env, &[]);
    // A token of another tenant, pasted where a name goes.
    let pasted = format!("tk_{}", "5a".repeat(36));
    api.remember_token(&pasted);
    let whoami = format!("/api/{pasted}/whoami");
    let named = format!("{KEYS}/{pasted}");
    let bodies = [
        format!(r#"{{"name": "{pasted}"}}"#),
        format!(r#"{{"name": "x", "expiresAt": "{pasted}"}}"#),
        format!(r#"{{"name": "x", "{pasted}": 1}}"#),
        format!(r#"{{"name": "x", "permissions": ["{pasted}"]}}"#),
    ];
    let mut asks = vec![
        Ask {
            method: "GET",
            path: &whoami,
            ..Ask::default()
        },
        get(&named, &admin),
    ];
    asks.extend(bodies.iter().map(|b| send("POST", KEYS, &admin, b)));
    // The random part alone, in case only that leaked.
    let body = &pasted["tk_".len()..][..64];
    for ask in asks {
        let described = format!("{} {} {:?}", ask.method, ask.path, ask.body);
        for client in CLIENTS {
            let r = api.ask(client, ask.clone());
            assert!(r.status >= 400, "{described}: {}", r.status);
            assert!(!r.body.contains(body), "{described} quoted it: {}", r.body);
            for (name, value) in &r.headers {
                assert!(!value.contains(body), "{described}: header {name}: {value}");
            }
        }
    }
    assert!(!api.log().contains(body), "{}", api.log());
}

/// Origin: an independent client of `serve` written against the README (was api_review.rs).
#[test]
fn a_scope_the_catalog_lacks_is_named_by_its_index() {
    let env = TestEnv::new();
    env.write("permissions: [tenant.apiKey:read, tenant.apiKey:write, dns:read]\napiKeys:\n");
    let admin = with_admin(&env);
    let api = Api::start(&env, &[]);
    let before = env.bytes();
    for client in CLIENTS {
        let e = api
            .ask(
                client,
                send(
                    "POST",
                    KEYS,
                    &admin,
                    r#"{"name": "c1", "permissions": ["dns:read", "dns:write"]}"#,
                ),
            )
            .error(422, "invalid-field");
        assert_eq!(e["field"], "permissions[1]", "{e}");
        let e = api
            .ask(
                client,
                send(
                    "PUT",
                    &format!("{KEYS}/console"),
                    &admin,
                    r#"{"enabled": true, "permissions": ["tenant.apiKey:read", "tenant.apiKey:write", "mail:send"]}"#,
                ),
            )
            .error(422, "invalid-field");
        assert_eq!(e["field"], "permissions[2]", "{e}");
    }
    assert_eq!(env.bytes(), before);
}
