//! `show NAME`: every field of a key but its hash.

use crate::support::env::*;
use crate::support::sha256_hex;

#[test]
fn show_prints_every_field_but_the_hash() {
    let env = TestEnv::new();
    let secret = env.create(
        "k",
        &[
            "-p",
            "dns:read",
            "--description",
            "Dashboards",
            "--expires",
            "30d",
            "--allow-ip",
            "10.0.0.0/8",
        ],
    );
    let out = env.run(&["show", "k"]);
    out.success()
        .stdout_has("Dashboards")
        .stdout_has("dns:read")
        .stdout_has("10.0.0.0/8")
        .stdout_has("(in 30 days)")
        .stdout_has("never");
    assert!(!out.stdout.contains("sha256:") && !out.stdout.contains(&secret));
    let v = env.run(&["show", "k", "--format", "json"]).success().json();
    assert_eq!(
        v["fingerprint"].as_str().unwrap(),
        &sha256_hex(secret.as_bytes())[..8]
    );
    assert_eq!(v["expiresAt"], "2026-12-22T10:00:00Z");
    assert!(v.get("hash").is_none());
    env.run(&["show", "kk"])
        .code(3)
        .stderr_has("no key named 'kk'; did you mean 'k'?")
        .stdout_empty();
}
