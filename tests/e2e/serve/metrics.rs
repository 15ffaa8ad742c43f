//! `serve --metrics-listen`: `/metrics` (the gate's counters, each tenant's file) and the
//! fleet's `/healthz`, on a listener of their own, never the public one; key names only with
//! `--metrics-keys`; every tenant reported as its file is on disk at the scrape.

use crate::support::env::TestEnv;
use crate::support::server::{Api, Ask, Client, etag_of, get, with_admin};
use std::time::{Duration, Instant};

fn fetch(url: &str) -> (u16, String) {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build(),
    );
    let mut r = agent.get(url).call().expect("the metrics listener answers");
    let status = r.status().as_u16();
    (status, r.body_mut().read_to_string().unwrap())
}

/// The value of the series `series` (its name and labels, as written) in `/metrics`.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
}

fn authz(api: &Api, token: &str, query: &str) -> u16 {
    let path = format!("/authz/acme{query}");
    api.ask(Client::Curl, get(&path, token)).status
}

#[test]
fn metrics_count_the_gates_answers_and_name_the_file_each_tenant_is_judged_on() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let api = Api::start(&env, &["--metrics-listen", "127.0.0.1:0"]);
    let m = api.metrics_url.clone().unwrap();
    assert_eq!(authz(&api, &admin, ""), 200);
    assert_eq!(authz(&api, &admin, ""), 200);
    assert_eq!(authz(&api, &admin, "?permission=dns:write"), 403);
    let bad = format!("tk_{}", "0".repeat(72));
    assert_eq!(authz(&api, &bad, ""), 401);
    let (status, text) = fetch(&format!("{m}/metrics"));
    assert_eq!(status, 200);
    let series = |s: &str| value(&text, s);
    assert_eq!(
        series(r#"tokenctl_authz_requests_total{tenant="acme",result="allowed",reason="valid"}"#),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        series(
            r#"tokenctl_authz_requests_total{tenant="acme",result="forbidden",reason="permission"}"#
        ),
        Some(1.0)
    );
    assert!(
        text.contains(r#"tokenctl_authz_requests_total{tenant="acme",result="unauthorized","#),
        "{text}"
    );
    assert_eq!(
        series("tokenctl_authz_request_duration_seconds_count"),
        Some(4.0)
    );
    let digest = etag_of(&std::fs::read(env.file()).unwrap())
        .trim_matches('"')
        .to_string();
    assert_eq!(
        series(&format!(
            r#"tokenctl_file_info{{tenant="acme",digest="{digest}"}}"#
        )),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        series(r#"tokenctl_file_reload_errors_total{tenant="acme"}"#),
        Some(0.0)
    );
    assert!(series(r#"tokenctl_file_loaded_timestamp_seconds{tenant="acme"}"#).is_some());
    // Key names are not public: none without --metrics-keys.
    assert!(!text.contains("console"), "{text}");
    assert!(!text.contains("key_last_used"), "{text}");
    // Never on the public listener.
    let public = api.ask(
        Client::Curl,
        Ask {
            method: "GET",
            path: "/metrics",
            ..Ask::default()
        },
    );
    public.status(404);
    // An unknown tenant is no label: its name is the client's choice.
    api.ask(Client::Curl, get("/authz/nosuchtenant", &admin))
        .status(404);
    let (_, text) = fetch(&format!("{m}/metrics"));
    assert!(!text.contains("nosuchtenant"), "{text}");
    assert!(
        text.contains(
            r#"tokenctl_authz_requests_total{tenant="",result="not-found",reason="no-tenant"} 1"#
        ),
        "{text}"
    );
}

#[test]
fn a_broken_file_is_reported_unhealthy_while_the_gate_judges_on_the_last_good_version() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let api = Api::start(&env, &["--metrics-listen", "127.0.0.1:0"]);
    let m = api.metrics_url.clone().unwrap();
    let good = etag_of(&std::fs::read(env.file()).unwrap())
        .trim_matches('"')
        .to_string();
    let (status, body) = fetch(&format!("{m}/healthz"));
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["tenants"]["acme"]["digest"], good.as_str());
    assert_eq!(health["tenants"]["acme"]["state"], "ok");
    assert!(
        health["tenants"]["acme"]["loadedAt"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    // A hand edit that breaks the file: the gate keeps the last good version and says so.
    let mut text = env.read();
    text.push_str("oops: [\n");
    env.write(&text);
    assert_eq!(authz(&api, &admin, ""), 200);
    api.wait_for_log("WARNING: until it is fixed, the gate judges this tenant's requests on the last version that loaded");
    let (status, body) = fetch(&format!("{m}/healthz"));
    assert_eq!(status, 503, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["status"], "unhealthy");
    assert_eq!(health["tenants"]["acme"]["state"], "last-good");
    assert_eq!(health["tenants"]["acme"]["digest"], good.as_str());
    let (_, metrics) = fetch(&format!("{m}/metrics"));
    assert_eq!(
        value(
            &metrics,
            r#"tokenctl_file_reload_errors_total{tenant="acme"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&metrics, r#"tokenctl_file_healthy{tenant="acme"}"#),
        Some(0.0)
    );
    // The public health check stays `ok`: a tenant can be served.
    let public = api.ask(
        Client::Curl,
        Ask {
            method: "GET",
            path: "/healthz",
            ..Ask::default()
        },
    );
    public.status(200);
    assert_eq!(public.body, "ok");
    // The admin API does not guess: 500.
    api.ask(Client::Curl, get("/api/acme/whoami", &admin))
        .status(500);
}

#[test]
fn a_tenant_no_request_named_is_reported_at_the_scrape_as_it_is_on_disk() {
    let env = TestEnv::new();
    with_admin(&env);
    env.run(&[
        "-t",
        "beta",
        "create",
        "ci",
        "-p",
        "a:b",
        "-q",
        "--new-tenant",
    ])
    .success();
    let api = Api::start(&env, &["--metrics-listen", "127.0.0.1:0"]);
    let m = api.metrics_url.clone().unwrap();
    let beta = env.root().join("beta/security.yml");
    let before = etag_of(&std::fs::read(&beta).unwrap())
        .trim_matches('"')
        .to_string();
    let (_, text) = fetch(&format!("{m}/metrics"));
    assert!(
        text.contains(&format!(
            r#"tokenctl_file_info{{tenant="beta",digest="{before}"}} 1"#
        )),
        "{text}"
    );
    // Changed on disk with no request since: the next scrape has the new digest, not the old.
    env.run(&["-t", "beta", "update", "ci", "--disable"])
        .success();
    let after = etag_of(&std::fs::read(&beta).unwrap())
        .trim_matches('"')
        .to_string();
    assert_ne!(before, after);
    let (_, text) = fetch(&format!("{m}/metrics"));
    assert!(
        text.contains(&format!(
            r#"tokenctl_file_info{{tenant="beta",digest="{after}"}} 1"#
        )),
        "{text}"
    );
    assert!(!text.contains(&before), "{text}");
    // A tenant gone is forgotten.
    std::fs::remove_dir_all(env.root().join("beta")).unwrap();
    let (_, text) = fetch(&format!("{m}/metrics"));
    assert!(!text.contains("beta"), "{text}");
    let (_, body) = fetch(&format!("{m}/healthz"));
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(health["tenants"].get("beta").is_none(), "{body}");
}

#[test]
fn with_metrics_keys_each_keys_last_use_is_a_series_and_record_writes_the_gates_uses() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let ci = env.create("ci", &["-p", "dns:read"]);
    let api = Api::start(
        &env,
        &[
            "--metrics-listen",
            "127.0.0.1:0",
            "--metrics-keys",
            "--record",
        ],
    );
    let m = api.metrics_url.clone().unwrap();
    assert_eq!(authz(&api, &ci, "?permission=dns:read"), 200);
    assert_eq!(authz(&api, &admin, ""), 200);
    let (_, text) = fetch(&format!("{m}/metrics"));
    let used = value(
        &text,
        r#"tokenctl_key_last_used_timestamp_seconds{tenant="acme",key="ci"}"#,
    )
    .unwrap_or_else(|| panic!("{text}"));
    assert!(used > 1.7e9, "{used}");
    // The uses reach security.usage.yml in one batch, off the request's path.
    let usage = env.file().with_file_name("security.usage.yml");
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(&usage).unwrap_or_default();
        if text.contains("ci:\n") && text.contains("console:\n") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{text:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
