//! `tokenctl serve`, what an independent client written against the README found: a key
//! limited by `resources` gives no more than it has (it could recreate the key it manages
//! with `*` and hold an admin key of the tenant), error bodies never quote a token the client
//! put in a path or a field, a scope the catalog lacks is named by its index, and a stop that
//! cuts requests off exits 1.

use crate::support::env::*;
use crate::support::server::*;
use std::io::Write;
use std::time::Duration;

const KEYS: &str = "/api/acme/admin/apiKeys";

#[test]
fn a_key_limited_by_resources_gives_no_more_than_it_has() {
    for client in CLIENTS {
        let env = TestEnv::new();
        let admin = with_admin(&env);
        env.create("ci", &["-p", "dns:read"]);
        let limited = env.create(
            "limited",
            &["-p", "tenant.apiKey:*", "-p", "dns:*", "--resource", "ci"],
        );
        let api = Api::start(&env, &[]);

        // It may delete `ci`, the key it manages...
        api.ask(
            client,
            Ask {
                method: "DELETE",
                path: &format!("{KEYS}/ci"),
                token: Some(&limited),
                ..Ask::default()
            },
        )
        .status(204);
        let before = env.bytes();
        // ...but not create it again unrestricted, nor with a scope it lacks.
        for (body, field) in [
            (
                r#"{"name": "ci", "permissions": ["dns:read"]}"#,
                "resources",
            ),
            (
                r#"{"name": "ci", "permissions": ["dns:read", "*"], "resources": ["ci"]}"#,
                "permissions[1]",
            ),
            (
                r#"{"name": "ci", "permissions": ["mail:send"], "resources": ["ci"]}"#,
                "permissions[0]",
            ),
            (
                r#"{"name": "ci", "resources": ["ci", "other"]}"#,
                "resources[1]",
            ),
        ] {
            let r = api.ask(client, send("POST", KEYS, &limited, body));
            let e = r.error(403, "forbidden");
            assert_eq!(e["reason"], "escalation", "{e}");
            assert_eq!(e["field"], field, "{body}: {e}");
            assert!(
                e["message"]
                    .as_str()
                    .unwrap()
                    .contains("a key gives at most what it has"),
                "{e}"
            );
            assert_eq!(env.bytes(), before, "{body}: nothing written");
        }
        // Within what it has, it may.
        let r = api.ask(
            client,
            send(
                "POST",
                KEYS,
                &limited,
                r#"{"name": "ci", "permissions": ["dns:write"], "resources": ["ci"]}"#,
            ),
        );
        r.status(201);
        let token = r.json()["token"].as_str().unwrap().to_string();
        api.remember_token(&token);
        // The key it made manages `ci` alone, as its maker does.
        let other = env.create("other", &[]);
        api.remember_token(&other);
        let e = api
            .ask(client, get(&format!("{KEYS}/other"), &token))
            .error(403, "forbidden");
        assert_eq!(e["reason"], "permission", "{e}");

        // A PUT may not add a scope it lacks (of its own key or of the one it manages).
        let before = env.bytes();
        let e = api
            .ask(
                client,
                send(
                    "PUT",
                    &format!("{KEYS}/ci"),
                    &limited,
                    r#"{"enabled": true, "permissions": ["dns:write", "*"]}"#,
                ),
            )
            .error(403, "forbidden");
        assert_eq!(e["reason"], "escalation");
        assert_eq!(e["field"], "permissions[1]");
        assert_eq!(env.bytes(), before);
        api.ask(
            client,
            send(
                "PUT",
                &format!("{KEYS}/ci"),
                &limited,
                r#"{"enabled": false, "permissions": ["dns:read"]}"#,
            ),
        )
        .status(200);

        // A key without resources and with the write scope is the tenant's admin: `*` too.
        api.ask(
            client,
            send(
                "POST",
                KEYS,
                &admin,
                r#"{"name": "root", "permissions": ["*"]}"#,
            ),
        )
        .status(201);
        drop(api);
    }
}

#[test]
fn a_key_limited_by_resources_and_addresses_makes_keys_within_them() {
    let env = TestEnv::new();
    let limited = env.create(
        "limited",
        &[
            "-p",
            "*",
            "--resource",
            "ci",
            "--allow-ip",
            "127.0.0.0/8",
            "--path-prefix",
            "/api/acme/",
            "--expires",
            "30d",
        ],
    );
    let api = Api::start(&env, &[]);
    let cases = [
        (r#"{"name": "ci", "resources": ["ci"]}"#, "expiresAt"),
        (
            r#"{"name": "ci", "resources": ["ci"], "expiresAt": "2027-01-01T00:00:00Z"}"#,
            "expiresAt",
        ),
        (
            r#"{"name": "ci", "resources": ["ci"], "expiresAt": "2026-12-01T00:00:00Z"}"#,
            "allowedIps",
        ),
        (
            r#"{"name": "ci", "resources": ["ci"], "expiresAt": "2026-12-01T00:00:00Z", "allowedIps": ["127.0.0.1", "10.0.0.0/8"]}"#,
            "allowedIps[1]",
        ),
        (
            r#"{"name": "ci", "resources": ["ci"], "expiresAt": "2026-12-01T00:00:00Z", "allowedIps": ["127.0.0.1"]}"#,
            "pathPrefix",
        ),
        (
            r#"{"name": "ci", "resources": ["ci"], "expiresAt": "2026-12-01T00:00:00Z", "allowedIps": ["127.0.0.1"], "pathPrefix": "/api/beta/"}"#,
            "pathPrefix",
        ),
    ];
    let before = env.bytes();
    for (body, field) in cases {
        let e = api
            .ask(Client::Ureq, send("POST", KEYS, &limited, body))
            .error(403, "forbidden");
        assert_eq!(e["reason"], "escalation", "{body}: {e}");
        assert_eq!(e["field"], field, "{body}: {e}");
        assert_eq!(env.bytes(), before);
    }
    let r = api.ask(
        Client::Ureq,
        send(
            "POST",
            KEYS,
            &limited,
            r#"{"name": "ci", "resources": ["ci"], "expiresAt": "2026-12-01T00:00:00Z", "allowedIps": ["127.0.0.1"], "pathPrefix": "/api/acme/admin/"}"#,
        ),
    );
    r.status(201);
    api.remember_token(r.json()["token"].as_str().unwrap());
}

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

#[test]
fn a_stop_that_cuts_requests_off_exits_1_and_a_clean_one_0() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    // A request whose body never comes, held past the shutdown timeout.
    let mut api = Api::start(
        &env,
        &["--shutdown-timeout", "1s", "--request-timeout", "1min"],
    );
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", api.port)).unwrap();
    write!(
        tcp,
        "POST {KEYS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin}\r\nContent-Length: 100\r\n\r\n{{\"na"
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let status = api.stop("TERM");
    assert_eq!(status.code(), Some(1), "{}", api.log());
    assert!(
        api.log()
            .contains("stopped at the shutdown timeout: requests still in flight were cut off"),
        "{}",
        api.log()
    );
    drop(tcp);

    let mut api = Api::start(&env, &["--shutdown-timeout", "5s"]);
    api.ask(Client::Ureq, get(KEYS, &admin)).status(200);
    let status = api.stop("TERM");
    assert_eq!(status.code(), Some(0), "{}", api.log());
}
