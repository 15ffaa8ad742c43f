//! `tokenctl serve`: what the calling key may do. A key limited by `resources` (and by
//! addresses) gives no more than it has: it cannot recreate the key it manages with `*` or
//! make an admin key of the tenant, and the keys it makes stay within its limits.

use crate::support::env::*;
use crate::support::server::*;

const KEYS: &str = "/api/acme/admin/apiKeys";

/// Origin: an independent client of `serve` written against the README (was api_review.rs).
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

/// Origin: an independent client of `serve` written against the README (was api_review.rs).
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
