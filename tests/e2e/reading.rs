//! Reading the file as a server would: a secret two keys share is no one's, far-future
//! expiries load and read back as written, a hostile or broken usage file never breaks a
//! read, recording a use never turns a valid token away, a mistyped token is called
//! malformed and says where, and a path prefix ends at a segment boundary and refuses paths
//! that are not normalised. The example server (server.rs) runs the library's `Verifier`
//! through the same cases over HTTP.

use crate::lifecycle::stranger_token;
use crate::testenv::*;
use std::time::{Duration, Instant};

fn sha256(text: &str) -> String {
    use sha2::Digest;
    format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(text.as_bytes()))
    )
}

/// A token of tokenctl's form: `<prefix>_<64 hex of body><check digits>`.
fn token(prefix: &str, body: &str) -> String {
    use sha2::Digest;
    let head = format!("{prefix}_{body}");
    assert_eq!(body.len(), 64);
    format!(
        "{head}{}",
        hex::encode(&sha2::Sha256::digest(head.as_bytes())[..4])
    )
}

fn verify(env: &TestEnv, token: &str, args: &[&str]) -> Output {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    env.run_with(&all, token)
}

// ---- far-future expiries ----

#[test]
fn far_future_sentinel_expiries_load_and_read_back_as_written() {
    let env = TestEnv::new();
    let never = token("tk", &"0f".repeat(32));
    let old = token("tk", &"1f".repeat(32));
    let west = token("tk", &"2f".repeat(32));
    let text = format!(
        "apiKeys:\n  never:\n    permissions: [dns:read]\n    hash: {}\n    createdAt: 2026-01-01T00:00:00Z\n    expiresAt: 9999-12-31T23:59:59Z\n    previousHashes:\n      - hash: {}\n        expiresAt: 9999-12-31T23:00:00Z\n  west:\n    hash: {}\n    expiresAt: 9999-12-31T23:59:59-05:00\n",
        sha256(&never),
        sha256(&old),
        sha256(&west)
    );
    env.write(&text);
    env.run(&["check", "--warn-expiring", "30d"]).success();
    assert_eq!(
        verify(&env, &never, &[]).success().stdout,
        "valid: key 'never', permissions: dns:read\n"
    );
    verify(&env, &old, &[]).success();
    verify(&env, &west, &[]).success();

    let list = env.run(&["list", "--format", "json"]).success().json();
    let key = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(key("never")["expiresAt"], "9999-12-31T23:59:59Z");
    assert_eq!(key("never")["status"], "active");
    assert_eq!(key("never")["expired"], false);
    assert_eq!(
        key("never")["previousSecrets"][0]["expiresAt"],
        "9999-12-31T23:00:00Z"
    );
    // The same instant, which is in year 10000 in UTC: kept in 9999 by its offset.
    assert_eq!(key("west")["expiresAt"], "9999-12-31T23:59:59-05:00");
    let table = env.run(&["list"]).success().stdout.clone();
    assert!(table.contains("9999-12-31 (in 2912"), "{table}");
    let show = env.run(&["show", "never"]).success().stdout.clone();
    assert!(
        show.contains("expires:     9999-12-31T23:59:59Z (2912"),
        "{show}"
    );
    assert!(show.contains("valid until 9999-12-31T23:00:00Z"), "{show}");
    let yaml = env
        .run(&["show", "never", "--format", "yaml"])
        .success()
        .stdout
        .clone();
    assert!(yaml.contains("9999-12-31T23:59:59Z"), "{yaml}");
    assert!(env.run(&["list", "--expired"]).success().stdout.is_empty());

    // Writes keep them, and write them as given.
    env.run(&["update", "never", "--description", "forever"])
        .success();
    assert_eq!(
        env.read(),
        text.replacen("  west:\n", "    description: forever\n  west:\n", 1)
    );
    env.run(&["update", "west", "--expires", "9999-12-31T23:59:59Z"])
        .success();
    assert!(
        env.read()
            .ends_with("    expiresAt: 9999-12-31T23:59:59Z\n")
    );
    let created = env
        .run(&[
            "create",
            "k",
            "--expires",
            "9999-12-31T23:59:59Z",
            "--format",
            "json",
        ])
        .success()
        .json();
    assert_eq!(created["expiresAt"], "9999-12-31T23:59:59Z");
    assert!(
        env.read()
            .ends_with("    expiresAt: 9999-12-31T23:59:59Z\n")
    );
    // apply sees the same instant as no change.
    let desired = env.dir.path().join("desired.yml");
    std::fs::write(&desired, "never:\n  expiresAt: 9999-12-31T23:59:59Z\n").unwrap();
    let applied = env
        .run(&["apply", "-f", desired.to_str().unwrap(), "--format", "json"])
        .success()
        .json();
    assert_eq!(applied["changed"], false);
}

// ---- path prefixes ----

#[test]
fn a_path_prefix_ends_at_a_segment_boundary_and_refuses_paths_that_are_not_normalised() {
    let env = TestEnv::new();
    let zone = env.create("zone", &["--path-prefix", "/dns/example.com"]);
    let dir = env.create("dir", &["--path-prefix", "/dns/"]);
    let exact = env.create("exact", &["--path-prefix", "=/health"]);
    let any = env.create("any", &[]);
    let ok = |token: &str, path: &str| {
        let out = verify(&env, token, &["--path", path]);
        assert_eq!(out.code, 0, "{path:?} should be allowed: {}", out.stderr);
    };
    let outside = |token: &str, key: &str, path: &str| {
        let out = verify(&env, token, &["--path", path]);
        out.code(5).stdout_empty();
        assert_eq!(
            out.stderr,
            format!("forbidden: key '{key}' is not allowed on path {path}\n"),
            "{path:?}"
        );
    };
    let refused = |token: &str, key: &str, path: &str, why: &str| {
        let out = verify(&env, token, &["--path", path]);
        out.code(5).stdout_empty();
        assert_eq!(
            out.stderr,
            format!(
                "forbidden: key '{key}' is restricted to a path prefix and the path {path:?} is not normalised: {why}\n"
            ),
            "{path:?}"
        );
        let json = verify(&env, token, &["--path", path, "--format", "json"]).json();
        assert_eq!(json["reason"], "path");
        assert_eq!(json["status"], 403);
    };
    for path in [
        "/dns/example.com",
        "/dns/example.com/",
        "/dns/example.com/www",
        "/dns/example.com/a;b=c",
        "/dns/example.com/...",
        "/dns/example.com/%41",
    ] {
        ok(&zone, path);
    }
    for path in [
        "/dns/example.com.evil.org",
        "/dns/example.comX",
        "/dns/example.com;x",
        "/dns/example.co",
        "/DNS/example.com",
        "/dns",
        "/",
    ] {
        outside(&zone, "zone", path);
    }
    let dots = "it holds a '..' segment";
    for (path, why) in [
        ("/dns/example.com/../admin", dots),
        ("/dns/example.com/..", dots),
        ("/dns/example.com/..;/admin", dots),
        ("/dns/example.com/./x", "it holds a '.' segment"),
        ("/dns/example.com/.", "it holds a '.' segment"),
        ("/dns/example.com//x", "it holds an empty segment (//)"),
        ("/dns/example.com/x//", "it holds an empty segment (//)"),
        (
            "/dns/example.com%2F..%2Fadmin",
            "it holds %2F, an encoded /",
        ),
        (
            "/dns/example.com/%2e%2e/admin",
            "it holds %2E, an encoded .",
        ),
        ("/dns/example.com/%2E", "it holds %2E, an encoded ."),
        (
            "/dns/example.com/%252e%252e",
            "it holds %25, an encoded % (encoded twice?)",
        ),
        (
            "/dns/example.com/%5c..",
            "it holds %5C, an encoded backslash",
        ),
        (
            "/dns/example.com/%00",
            "it holds an encoded control character",
        ),
        (
            "/dns/example.com/%2",
            "it holds a '%' that is not followed by two hex digits",
        ),
        (
            "/dns/example.com/%zz",
            "it holds a '%' that is not followed by two hex digits",
        ),
        (
            "/dns/example.com\\..\\admin",
            "it holds a backslash, which some servers read as /",
        ),
        (
            "/dns/example.com?x=1",
            "it holds '?': give the path without its query",
        ),
        (
            "/dns/example.com/#top",
            "it holds '#': give the path without its fragment",
        ),
        (
            "/dns/example.com/ a",
            "it holds a space, a control character or a character that is not ASCII (send it percent-encoded)",
        ),
        (
            "/dns/example.com/\u{ff0e}\u{ff0e}/admin",
            "it holds a space, a control character or a character that is not ASCII (send it percent-encoded)",
        ),
        (
            "/dns/example.com/\u{1b}[31m",
            "it holds a space, a control character or a character that is not ASCII (send it percent-encoded)",
        ),
        ("", "it is empty"),
        ("dns/example.com", "it does not start with /"),
    ] {
        refused(&zone, "zone", path, why);
    }
    // A prefix ending in / grants what follows it, not the folder itself.
    ok(&dir, "/dns/");
    ok(&dir, "/dns/x/y");
    outside(&dir, "dir", "/dns");
    outside(&dir, "dir", "/dnsx/");
    refused(&dir, "dir", "/dns/../admin", dots);
    // =/x grants exactly /x.
    ok(&exact, "/health");
    outside(&exact, "exact", "/health/");
    outside(&exact, "exact", "/health/x");
    refused(&exact, "exact", "/health/..", dots);
    // A key without a pathPrefix is not restricted by path at all.
    ok(&any, "/anything/../at/all");
    ok(&any, "");
}
