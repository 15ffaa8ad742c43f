//! What an untrusted client or tenant file gets from tokenctl: a client that pipelines
//! requests and never reads is cut off and its slot freed; a tenant file that does not load
//! is never quoted to a client (its line and column go to the server's log); every 401 is the
//! same body; a 403 never names the key; the path and address rules are one rule for
//! `verify`, the library and `serve`; imported secrets are printable ASCII of 32 to 512
//! characters.

use crate::support::env::*;
use crate::support::server::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Asks `/healthz` on a fresh connection; the time it took to answer.
fn healthz(port: u16, limit: Duration) -> Duration {
    let start = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(limit)).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer)
        .unwrap_or_else(|e| panic!("no answer to /healthz within {limit:?}: {e}"));
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nok"), "{answer}");
    start.elapsed()
}

#[test]
fn a_client_that_never_reads_its_answers_is_cut_off_and_frees_its_slot() {
    let env = TestEnv::new();
    env.create("console", &["-p", "tenant.apiKey:read"]);
    let before = env.bytes();
    let api = Api::start(
        &env,
        &[
            "--max-connections",
            "2",
            "--request-timeout",
            "1s",
            "--idle-timeout",
            "60s",
        ],
    );
    assert!(healthz(api.port, Duration::from_secs(5)) < Duration::from_secs(2));
    // Four clients for two slots, each pipelining requests for the 45 KB OpenAPI document
    // and never reading an answer, until the server closes the connection.
    let request = b"GET /api/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n".repeat(100);
    let start = Instant::now();
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", api.port)).unwrap();
            s.set_write_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            let request = request.clone();
            std::thread::spawn(move || {
                while start.elapsed() < Duration::from_secs(30) {
                    match s.write(&request) {
                        Ok(_) => {}
                        Err(e)
                            if matches!(
                                e.kind(),
                                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                            ) => {}
                        // Cut off by the server (a reset, or a write after its close).
                        Err(_) => return Some(start.elapsed()),
                    }
                }
                None
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // Each pair is cut off about 1 s (the request timeout) after its answers back up; the
    // health check is served long before the idle timeout (60 s) would free a slot.
    let took = healthz(api.port, Duration::from_secs(20));
    assert!(took < Duration::from_secs(8), "/healthz took {took:?}");
    for w in writers {
        let cut = w.join().unwrap();
        assert!(
            cut.is_some_and(|t| t < Duration::from_secs(12)),
            "a client that never read was not cut off: {cut:?}"
        );
    }
    assert!(healthz(api.port, Duration::from_secs(5)) < Duration::from_secs(2));
    assert_eq!(env.bytes(), before);
    let log = api.log();
    assert!(log.contains(" GET /api/openapi.json 200 key=- "), "{log}");
}

#[test]
fn a_tenant_file_that_does_not_load_is_never_quoted_to_a_client() {
    for client in CLIENTS {
        let env = TestEnv::new();
        let admin = with_admin(&env);
        env.create(
            "payroll-export",
            &[
                "-p",
                "payroll:read",
                "--description",
                "nightly to s3://corp-hr",
            ],
        );
        let api = Api::start(&env, &[]);
        api.ask(client, get("/api/acme/whoami", &admin)).status(200);
        // A hand edit breaks the file below the keys.
        let broken = format!("{}  broken: [\n", env.read());
        std::fs::write(env.file(), &broken).unwrap();
        let line = broken.lines().count();
        let no_token = Ask {
            method: "GET",
            path: "/api/acme/whoami",
            ..Ask::default()
        };
        for ask in [
            no_token.clone(),
            get("/api/acme/whoami", "an-imported-looking-secret-nobody-has"),
            get("/api/acme/admin/apiKeys", &admin),
            send(
                "POST",
                "/api/acme/admin/apiKeys",
                &admin,
                r#"{"name": "x"}"#,
            ),
        ] {
            let r = api.ask(client, ask);
            r.status(500);
            assert_eq!(
                r.body,
                "{\"error\":\"internal\",\"message\":\"tenant file does not load\"}\n"
            );
            for quoted in ["payroll", "console", "broken", "s3://", "line"] {
                assert!(!r.body.contains(quoted), "{quoted}: {}", r.body);
            }
        }
        // The operator's log says where: the flow list is still open at the end of the file.
        let file = env.file();
        api.wait_for_log(&format!(
            "tokenctl serve: tenant 'acme' does not load: {}:{}:1: ",
            file.display(),
            line + 1
        ));
        assert_eq!(env.bytes(), broken.as_bytes());
    }
}

#[test]
fn a_403_gives_its_reason_but_never_the_key_name() {
    let env = TestEnv::new();
    with_admin(&env);
    let limited = env.create(
        "limited-helper",
        &[
            "-p",
            "tenant.apiKey:*",
            "--resource",
            "ci",
            "--allow-ip",
            "127.0.0.1",
        ],
    );
    let reader = env.create("reader-bot", &["-p", "tenant.apiKey:read"]);
    let api = Api::start(&env, &[]);
    let before = env.bytes();
    let r = api.ask(
        Client::Ureq,
        send(
            "POST",
            "/api/acme/admin/apiKeys",
            &reader,
            r#"{"name": "ci"}"#,
        ),
    );
    r.status(403);
    assert_eq!(
        r.body,
        "{\"error\":\"forbidden\",\"reason\":\"permission\",\"message\":\"this key lacks permission 'tenant.apiKey:write'\"}\n"
    );
    let r = api.ask(
        Client::Curl,
        send(
            "POST",
            "/api/acme/admin/apiKeys",
            &limited,
            r#"{"name": "ci", "permissions": ["*"], "resources": ["ci"], "allowedIps": ["127.0.0.1"]}"#,
        ),
    );
    r.status(403);
    assert_eq!(
        r.body,
        "{\"error\":\"forbidden\",\"reason\":\"escalation\",\"field\":\"permissions[0]\",\"message\":\"this key cannot give the scope '*', which it lacks: a key gives at most what it has itself\"}\n"
    );
    let log = api.log();
    assert!(
        log.contains(" POST /api/acme/admin/apiKeys 403 key=reader-bot reason=permission "),
        "{log}"
    );
    assert!(
        log.contains(" POST /api/acme/admin/apiKeys 403 key=limited-helper reason=escalation "),
        "{log}"
    );
    assert_eq!(env.bytes(), before);
}

#[test]
fn encoded_bytes_and_dot_segments_are_refused_under_a_path_prefix() {
    let env = TestEnv::new();
    with_admin(&env);
    let zone = env.create("zone", &["-p", "*", "--path-prefix", "/dns/example.com"]);
    let before = env.bytes();
    let verify = |path: &str| env.run_with(&["verify", "--path", path, "--format", "json"], &zone);
    verify("/dns/example.com/www").success();
    verify("/dns/example.com/%41%7e").success();
    for (path, why) in [
        (
            "/dns/example.com/..%20/admin",
            "an encoded character other than a letter, a digit",
        ),
        ("/dns/example.com/a%3Bb", "an encoded character other than"),
        ("/dns/example.com/a%3fb", "an encoded character other than"),
        ("/dns/example.com/a%23b", "an encoded character other than"),
        ("/dns/example.com/%2E%2E", "%2E, an encoded ."),
        ("/dns/example.com/.../admin", "a segment of dots only"),
    ] {
        let out = verify(path);
        out.code(5);
        let json = out.json();
        assert_eq!(json["status"], 403, "{path}");
        assert_eq!(json["reason"], "path", "{path}");
        assert!(
            json["message"].as_str().unwrap().contains(why),
            "{path}: {json}"
        );
    }
    assert_eq!(env.bytes(), before);
    // The same rule in serve, for a key limited to the key list.
    let lister = env.create(
        "lister",
        &[
            "-p",
            "tenant.apiKey:read",
            "--path-prefix",
            "/api/acme/admin/apiKeys",
        ],
    );
    let api = Api::start(&env, &[]);
    api.ask(Client::Curl, get("/api/acme/admin/apiKeys", &lister))
        .status(200);
    api.ask(Client::Curl, get("/api/acme/admin/apiKeys/zone", &lister))
        .status(200);
    for path in [
        "/api/acme/admin/apiKeys/zone%20",
        "/api/acme/admin/apiKeys/zo%3Bne",
        "/api/acme/admin/apiKeys/...",
    ] {
        let r = api.ask(Client::Curl, get(path, &lister));
        let body = r.error(403, "forbidden");
        assert_eq!(body["reason"], "path", "{path}: {body}");
        assert!(!r.body.contains("lister"), "{}", r.body);
    }
    assert!(api.log().contains(" 403 key=lister reason=path "));
}

#[test]
fn an_ipv4_mapped_address_is_its_ipv4_address_in_verify_and_serve() {
    let env = TestEnv::new();
    with_admin(&env);
    let lan = env.create("lan", &["-p", "*", "--allow-ip", "10.0.0.0/8"]);
    let before = env.bytes();
    let verify = |ip: &str| env.run_with(&["verify", "--ip", ip, "--format", "json"], &lan);
    for ip in ["10.1.2.3", "::ffff:10.1.2.3", "::FFFF:10.1.2.3"] {
        assert_eq!(verify(ip).success().json()["reason"], "valid", "{ip}");
    }
    let out = verify("::ffff:11.1.2.3");
    out.code(5);
    assert_eq!(
        out.json()["message"],
        "key 'lan' is not allowed from 11.1.2.3"
    );
    // --record writes the address as the rule saw it.
    env.run_with(&["verify", "--ip", "::ffff:10.1.2.3", "--record"], &lan)
        .success();
    let usage = std::fs::read_to_string(env.file().with_file_name("security.usage.yml")).unwrap();
    assert!(usage.contains("lastUsedFrom: 10.1.2.3"), "{usage}");
    assert_eq!(env.bytes(), before);
    // serve, behind a proxy that reports the client in the mapped form.
    let api = Api::start(&env, &["--trust-proxy"]);
    for (forwarded, status) in [
        ("::ffff:10.1.2.3", 200),
        ("10.1.2.3", 200),
        ("::ffff:11.1.2.3", 403),
    ] {
        let r = api.ask(
            Client::Ureq,
            get("/api/acme/whoami", &lan).header("X-Forwarded-For", forwarded),
        );
        r.status(status);
        if status == 403 {
            assert_eq!(
                r.body,
                "{\"error\":\"forbidden\",\"reason\":\"ip\",\"message\":\"this key is not allowed from 11.1.2.3\"}\n"
            );
        }
    }
}

#[test]
fn a_new_imported_secret_is_32_to_512_printable_ascii_characters_without_whitespace() {
    let env = TestEnv::new();
    env.create("first", &[]);
    let before = env.bytes();
    let long = "x".repeat(513);
    for (secret, why) in [
        (
            "imported secret with inner spaces 0123456789",
            "it holds whitespace (character 9 of 44)",
        ),
        (
            "imported-secret\twith-a-tab-0123456789abcdef",
            "it holds whitespace (character 16 of 43)",
        ),
        (
            "imported-secret-\u{7f}-with-a-control-character",
            "it holds a control character (character 17 of 42)",
        ),
        (
            "imported-secret-caf\u{e9}-0123456789abcdefghij",
            "it holds a character that is not ASCII (character 20 of 41)",
        ),
        (long.as_str(), "it is 513 characters"),
        ("short-0123456789", "it is 16 characters"),
    ] {
        let out = env.run_with(
            &["create", "imported", "--secret-stdin"],
            &format!("{secret}\n"),
        );
        out.code(2).stdout_empty();
        assert_eq!(
            out.stderr,
            format!(
                "error: refusing the secret on stdin: {why}; an imported secret is 32 to 512 printable ASCII characters without whitespace\n"
            ),
            "{secret:?}"
        );
        assert_eq!(env.bytes(), before);
    }
    // The bounds themselves are fine, and every printable character.
    let printable: String = (0x21u8..=0x7e).map(char::from).collect();
    for secret in ["y".repeat(32), "z".repeat(512), printable] {
        let out = env.run_with(
            &["create", &format!("k{}", secret.len()), "--secret-stdin"],
            &secret,
        );
        assert_eq!(out.success().secret(), secret);
        let out = env.run_with(&["verify", "--format", "json"], &secret);
        assert_eq!(out.success().json()["key"], format!("k{}", secret.len()));
    }
    // A key imported before the rule (only its hash is in the file) still verifies: nothing
    // changes at verify time, and `check` cannot tell from a hash.
    use sha2::Digest;
    let old = "w".repeat(600);
    let hash = hex::encode(sha2::Sha256::digest(old.as_bytes()));
    let text = format!(
        "{}  legacy:\n    permissions: []\n    hash: sha256:{hash}\n",
        env.read()
    );
    std::fs::write(env.file(), &text).unwrap();
    let out = env.run_with(&["verify", "--format", "json"], &old);
    assert_eq!(out.success().json()["key"], "legacy");
    env.run(&["check"]).success();
}

/// A tenant file of one long flow list of tiny items: `items` of them, `[a,a,...]`, as a
/// key's value (`value`), as a key (`key`) or as the whole document (`root`).
fn flow_bomb(shape: &str, items: usize) -> String {
    let list = format!("[{}]", vec!["a"; items].join(","));
    match shape {
        "value" => format!("apiKeys:\n  x: {list}\n"),
        "key" => format!("apiKeys:\n  {list}: x\n"),
        _ => format!("{list}\n"),
    }
}

const BUDGET_MESSAGE: &str = "the file's structure would take more than 8 times its size in memory";

#[test]
#[ignore = "needs GNU time (/usr/bin/time); scripts/test runs it"]
fn a_file_of_tiny_nodes_is_refused_where_its_memory_budget_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("security.yml");
    for shape in ["value", "key", "root"] {
        // 4 MB: before the budget, some 110 times that in memory.
        let text = flow_bomb(shape, 2_000_000);
        std::fs::write(&file, &text).unwrap();
        for args in [&["list"][..], &["create", "new-key"], &["check"]] {
            let m =
                crate::support::harness::run_measured(&file, args, b"", Duration::from_secs(120));
            let line = if shape == "root" { 1 } else { 2 };
            let (out, code) = if args == ["check"] {
                (&m.stdout, 7)
            } else {
                (&m.stderr, 1)
            };
            assert_eq!(m.code, code, "{shape} {args:?}: {}{}", m.stdout, m.stderr);
            let prefix = format!("{}:{line}:", file.display());
            let at = out
                .find(&prefix)
                .unwrap_or_else(|| panic!("{shape} {args:?}: {out}"));
            let rest = &out[at + prefix.len()..];
            let (column, message) = rest.split_once(": ").unwrap();
            let column: usize = column.parse().unwrap();
            // Where it ran out: well inside the list, long before its end.
            assert!((100..text.len() / 2).contains(&column), "{shape}: {column}");
            assert!(message.starts_with(BUDGET_MESSAGE), "{shape}: {out}");
            eprintln!(
                "{shape} {args:?}: column {column}, peak RSS {} KiB",
                m.peak_rss_kib
            );
            assert!(
                m.peak_rss_kib < 160 * 1024,
                "{shape} {args:?}: peak RSS {} KiB",
                m.peak_rss_kib
            );
            assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
        }
    }
}

/// A process's resident and peak memory, in KiB (from /proc).
fn memory_kib(pid: u32) -> (i64, i64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[test]
fn serve_refuses_a_file_of_tiny_nodes_and_does_not_keep_its_memory() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
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
    api.ask(Client::Curl, get("/api/acme/whoami", &admin))
        .status(200);
    let (rss_before, _) = memory_kib(api.pid());
    let text = flow_bomb("value", 2_000_000);
    std::fs::write(env.file(), &text).unwrap();
    for _ in 0..2 {
        let r = api.ask(
            Client::Curl,
            Ask {
                method: "GET",
                path: "/api/acme/whoami",
                ..Ask::default()
            },
        );
        r.status(500);
        assert_eq!(
            r.body,
            "{\"error\":\"internal\",\"message\":\"tenant file does not load\"}\n"
        );
    }
    api.wait_for_log(&format!(
        "tokenctl serve: tenant 'acme' does not load: {}:2:",
        env.file().display()
    ));
    assert!(api.log().contains(BUDGET_MESSAGE), "{}", api.log());
    assert_eq!(api.log().matches("tenant 'acme' does not load").count(), 1);
    let (rss_after, peak) = memory_kib(api.pid());
    eprintln!("serve: RSS {rss_before} KiB before, {rss_after} KiB after, peak {peak} KiB");
    assert!(peak < 200 * 1024, "peak RSS {peak} KiB");
    assert!(
        rss_after < rss_before + 24 * 1024,
        "serve kept the memory: {rss_before} KiB before, {rss_after} KiB after"
    );
    // The other tenant is served all along.
    api.ask(Client::Curl, get("/api/beta/whoami", &beta))
        .status(200);
}
