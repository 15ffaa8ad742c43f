//! `tokenctl serve` as a service: concurrent API and CLI writers on one file, SIGKILL in the
//! middle of writes, a client that leaves before its answer, graceful shutdown, the header,
//! idle and request timeouts, the connection limit, reads that see every write at once,
//! usage records, the access log, one-file mode and start-up errors.

use crate::support::env::*;
use crate::support::harness::{Rng, big_file, mask_hashes, temp_files};
use crate::support::server::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KEYS: &str = "/api/acme/admin/apiKeys";

/// The tenant's file as the harness's big file with an admin key added; returns its token.
fn big_tenant(env: &TestEnv, keys: usize) -> String {
    env.write(big_file(keys));
    with_admin(env)
}

#[test]
fn fifty_parallel_posts_interleaved_with_cli_creates_all_land() {
    let env = TestEnv::new();
    let admin = big_tenant(&env, 200);
    let api = Api::start(&env, &["--lock-timeout", "2m"]);
    let api = &api;
    let (posted, created) = std::thread::scope(|s| {
        let posts: Vec<_> = (0..50)
            .map(|i| {
                let admin = admin.clone();
                s.spawn(move || {
                    let client = if i % 2 == 0 {
                        Client::Curl
                    } else {
                        Client::Ureq
                    };
                    let body = format!(r#"{{"name": "api-{i}", "permissions": ["dns:read"]}}"#);
                    let r = api.ask(client, send("POST", KEYS, &admin, &body));
                    r.status(201);
                    (
                        format!("api-{i}"),
                        r.json()["token"].as_str().unwrap().to_string(),
                    )
                })
            })
            .collect();
        let clis: Vec<_> = (0..25)
            .map(|i| {
                let name = format!("cli-{i}");
                let child = env
                    .std_cmd()
                    .args([
                        "create",
                        &name,
                        "-p",
                        "dns:write",
                        "--quiet",
                        "--lock-timeout",
                        "2m",
                    ])
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                (name, child)
            })
            .collect();
        let created: Vec<(String, String)> = clis
            .into_iter()
            .map(|(name, child)| {
                let out = child.wait_with_output().unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                (
                    name,
                    String::from_utf8(out.stdout).unwrap().trim().to_string(),
                )
            })
            .collect();
        let posted: Vec<(String, String)> = posts.into_iter().map(|p| p.join().unwrap()).collect();
        (posted, created)
    });
    for (_, t) in &posted {
        api.remember_token(t);
    }
    // Every key is in the file and every secret works for its own key.
    let verifier = tokenctl::verify::Verifier::load(env.file()).unwrap();
    for (name, token) in posted.iter().chain(&created) {
        match verifier.verify(
            token,
            &tokenctl::verify::Needs::default(),
            jiff::Timestamp::now(),
        ) {
            tokenctl::verify::Outcome::Valid { key, .. } => assert_eq!(&key, name),
            other => panic!("{name}: {other}"),
        }
    }
    assert_eq!(verifier.file().keys.len(), 200 + 1 + 50 + 25);
    env.run(&["check"]).success();
    // And the API sees them all.
    let r = api.ask(Client::Ureq, get(KEYS, &admin));
    assert_eq!(r.json().as_array().unwrap().len(), 276);
    assert_eq!(r.header("etag"), Some(etag_of(&env.bytes()).as_str()));
}

/// POSTs a key on a fresh connection and reports whether a whole 201 came back.
fn post_raw(port: u16, admin: &str, body: &str) -> Option<String> {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).ok()?;
    tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let request = format!(
        "POST {KEYS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).ok()?;
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))?
        .parse()
        .ok()?;
    (head.starts_with("HTTP/1.1 201") && body.len() == length).then(|| body.to_string())
}

#[test]
fn sigkill_in_the_middle_of_writes_leaves_the_old_or_the_new_file() {
    let runs: usize = std::env::var("TOKENCTL_SERVE_CRASH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("serve crash harness: {runs} runs, seed {seed}");
    let mut rng = Rng::new(seed);
    let env = TestEnv::new();
    let admin = big_tenant(&env, 300);
    let (mut old, mut new, mut answered) = (0, 0, 0);
    let mut typical = Duration::ZERO;
    let mut reach = 1.5;
    for i in 0..runs {
        let before = env.bytes();
        let body = format!(
            r#"{{"name": "new-{i}", "permissions": ["dns:read"], "description": "run {i}"}}"#
        );
        // The state after, from the CLI's create on a copy.
        let copy = TestEnv::new();
        copy.write(&before);
        copy.run(&[
            "create",
            &format!("new-{i}"),
            "-p",
            "dns:read",
            "--description",
            &format!("run {i}"),
        ])
        .success();
        let after = mask_hashes(&copy.read());

        let mut api = Api::start(&env, &[]);
        if i == 0 {
            // A first run to completion gives the window the kills are spread over.
            let started = Instant::now();
            let answer = post_raw(api.port, &admin, &body).expect("a whole 201");
            typical = started.elapsed();
            api.remember_token(&answer);
            assert_eq!(mask_hashes(&env.read()), after);
            answered += 1;
            continue;
        }
        let port = api.port;
        let token = admin.clone();
        let client = std::thread::spawn(move || post_raw(port, &token, &body));
        let window = (typical.as_micros() as f64 * reach) as u64;
        std::thread::sleep(Duration::from_micros(rng.below(window + 1)));
        api.stop("KILL");
        let answer = client.join().unwrap();

        let now = env.read();
        tokenctl::document::Document::load(&env.file(), now.clone())
            .unwrap_or_else(|e| panic!("run {i}: the file no longer loads: {e}"));
        let is_new = mask_hashes(&now) == after;
        assert!(
            now.as_bytes() == before || is_new,
            "run {i}: the file is neither the old nor the new one"
        );
        if let Some(answer) = answer {
            // A whole answer: its secret is in force.
            answered += 1;
            assert!(
                is_new,
                "run {i}: a whole 201 came back but the file was not replaced"
            );
            let token: serde_json::Value = serde_json::from_str(&answer).unwrap();
            let v = verified(&env, token["token"].as_str().unwrap(), &[]);
            assert_eq!(v["key"], format!("new-{i}"), "{v}");
            reach = (reach * 0.9_f64).max(0.2);
        } else if is_new {
            new += 1;
        } else {
            old += 1;
            reach = (reach * 1.05_f64).min(4.0);
        }
        assert!(
            temp_files(env.file().parent().unwrap()).len() <= 1,
            "temporary files pile up"
        );
    }
    eprintln!(
        "serve crash harness: {old} kills left the old file, {new} the new one without a whole answer, {answered} answered"
    );
    assert_eq!(old + new + answered, runs);
    assert!(
        old + new >= runs / 4,
        "too few kills came before the answer to prove anything"
    );
    env.run(&["check"]).success();
}

#[test]
fn a_client_that_leaves_before_its_answer_gets_no_key() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let api = Api::start(&env, &[]);
    api.remember_token(&admin);
    let before = env.bytes();
    let lock = HeldLock::take(&env.file());
    // curl gives up after a second while the write waits for the lock.
    let headers = env.dir.path().join("auth");
    std::fs::write(&headers, format!("Authorization: Bearer {admin}\n")).unwrap();
    let out = Command::new("curl")
        .args(["--silent", "--max-time", "1", "-H"])
        .arg(format!("@{}", headers.display()))
        .args(["--data-binary", r#"{"name": "gone"}"#])
        .arg(format!("{}{KEYS}", api.url))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(28), "curl should time out");
    api.wait_for_log("POST /api/acme/admin/apiKeys - key=console");
    drop(lock);
    api.wait_for_log("key 'gone' was not created");
    assert!(
        api.log()
            .contains("the client closed its connection before the answer"),
        "{}",
        api.log()
    );
    assert_eq!(
        env.bytes(),
        before,
        "a key was created for a client that was gone"
    );
    // Nothing half-made is left: the name is free.
    api.ask(
        Client::Curl,
        send("POST", KEYS, &admin, r#"{"name": "gone"}"#),
    )
    .status(201);
}

#[test]
fn sigterm_and_sigint_let_the_request_in_flight_finish() {
    for signal in ["TERM", "INT"] {
        let env = TestEnv::new();
        let admin = with_admin(&env);
        let mut api = Api::start(&env, &[]);
        api.remember_token(&admin);
        // A kept-alive idle connection must not hold the shutdown up.
        let mut idle = TcpStream::connect(("127.0.0.1", api.port)).unwrap();
        idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 512];
        assert!(idle.read(&mut buf).unwrap() > 0);

        let lock = HeldLock::take(&env.file());
        let port = api.port;
        let token = admin.clone();
        let in_flight =
            std::thread::spawn(move || post_raw(port, &token, r#"{"name": "in-flight"}"#));
        std::thread::sleep(Duration::from_millis(500));
        let pid = api.pid();
        kill(pid, signal);
        api.wait_for_log(&format!("SIG{signal}: no longer accepting connections"));
        // No new connections; the idle one is closed.
        assert!(
            TcpStream::connect(("127.0.0.1", port)).is_err(),
            "still accepting"
        );
        idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(
            idle.read(&mut buf).unwrap_or(0),
            0,
            "the idle connection stays open"
        );
        drop(lock);
        let answer = in_flight
            .join()
            .unwrap()
            .expect("the request in flight got its 201");
        let token: serde_json::Value = serde_json::from_str(&answer).unwrap();
        api.remember_token(token["token"].as_str().unwrap());
        assert_eq!(
            verified(&env, token["token"].as_str().unwrap(), &[])["key"],
            "in-flight"
        );
        let status = api.child.as_mut().unwrap().wait().unwrap();
        assert!(status.success(), "{status:?}\n{}", api.log());
        api.child = None;
        assert!(
            api.log().contains("tokenctl serve: stopped\n"),
            "{}",
            api.log()
        );
    }
}

/// Reads from `tcp` until it closes; returns what came and when it closed.
fn read_until_closed(tcp: &mut TcpStream, limit: Duration) -> (String, Instant) {
    tcp.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while start.elapsed() < limit {
        match tcp.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), Instant::now())
}

#[test]
fn the_header_timeout_cuts_off_a_client_that_trickles_its_headers() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let api = Api::start(&env, &["--header-timeout", "1s", "--idle-timeout", "30s"]);
    let mut slow = TcpStream::connect(("127.0.0.1", api.port)).unwrap();
    let started = Instant::now();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    let trickle = {
        let mut tcp = slow.try_clone().unwrap();
        std::thread::spawn(move || {
            for _ in 0..40 {
                if tcp.write_all(b"a").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    };
    // Others are served meanwhile.
    api.ask(Client::Ureq, get(KEYS, &admin)).status(200);
    let (answer, closed) = read_until_closed(&mut slow, Duration::from_secs(10));
    let held = closed - started;
    assert!(
        (Duration::from_millis(900)..Duration::from_secs(4)).contains(&held),
        "held {held:?}: {answer:?}"
    );
    assert!(!answer.contains("200 OK"), "{answer:?}");
    trickle.join().unwrap();
}

#[test]
fn the_idle_timeout_closes_a_silent_kept_alive_connection_and_only_that() {
    // Idle 1 s, headers 10 s: a silent connection goes after about a second.
    let env = TestEnv::new();
    with_admin(&env);
    let api = Api::start(&env, &["--header-timeout", "10s", "--idle-timeout", "1s"]);
    let mut tcp = TcpStream::connect(("127.0.0.1", api.port)).unwrap();
    let mut buf = [0u8; 4096];
    for _ in 0..3 {
        // Requests within the idle time keep it open.
        tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let n = tcp.read(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        std::thread::sleep(Duration::from_millis(500));
    }
    let idle_since = Instant::now();
    let (rest, closed) = read_until_closed(&mut tcp, Duration::from_secs(10));
    assert_eq!(rest, "");
    let idle = closed - idle_since;
    assert!(idle < Duration::from_secs(3), "closed after {idle:?}");

    // Idle 30 s, headers 1 s: a connection silent for 2 s after its answer is still open
    // (the header timeout starts with the next request's first byte).
    let api = Api::start(&env, &["--header-timeout", "1s", "--idle-timeout", "30s"]);
    let mut tcp = TcpStream::connect(("127.0.0.1", api.port)).unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let n = tcp.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    std::thread::sleep(Duration::from_secs(2));
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let n = tcp.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}

#[test]
fn the_request_timeout_answers_408_to_a_body_that_never_ends() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let api = Api::start(&env, &["--request-timeout", "1s"]);
    api.remember_token(&admin);
    let before = env.bytes();
    let mut tcp = TcpStream::connect(("127.0.0.1", api.port)).unwrap();
    let started = Instant::now();
    tcp.write_all(
        format!("POST {KEYS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin}\r\nContent-Length: 100\r\n\r\n{{\"name\"")
            .as_bytes(),
    )
    .unwrap();
    let (answer, _) = read_until_closed(&mut tcp, Duration::from_secs(10));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap();
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["error"], "timeout");
    assert_eq!(env.bytes(), before);
    api.wait_for_log("POST /api/acme/admin/apiKeys 408 key=console ");
}

#[test]
fn no_more_than_max_connections_are_served_at_once() {
    let env = TestEnv::new();
    with_admin(&env);
    let api = Api::start(&env, &["--max-connections", "2", "--idle-timeout", "30s"]);
    let open = |n: usize| -> Vec<TcpStream> {
        (0..n)
            .map(|_| {
                let mut tcp = TcpStream::connect(("127.0.0.1", api.port)).unwrap();
                tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    .unwrap();
                let mut buf = [0u8; 512];
                assert!(tcp.read(&mut buf).unwrap() > 0);
                tcp
            })
            .collect()
    };
    let mut held = open(2);
    // A third is left waiting in the kernel's queue: no answer while the two stay open.
    let out = Command::new("curl")
        .args(["--silent", "--max-time", "1"])
        .arg(format!("{}/healthz", api.url))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(28), "a third connection was served");
    held.pop();
    let out = Command::new("curl")
        .args(["--silent", "--max-time", "10"])
        .arg(format!("{}/healthz", api.url))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok");
}

#[test]
fn reads_see_every_write_at_once_cli_ones_and_hand_edits_too() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let second = env.create("second", &["-p", "*"]);
    let api = Api::start(&env, &[]);
    let names = |api: &Api| -> Vec<String> {
        api.ask(Client::Ureq, get(KEYS, &admin))
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&api), ["console", "second"]);
    env.create("ci", &[]);
    assert_eq!(names(&api), ["console", "second", "ci"]);
    // A key disabled, rotated or deleted by the CLI stops working on the next request.
    env.run(&["update", "second", "--disable"]).success();
    let r = api.ask(Client::Curl, get("/api/acme/whoami", &second));
    r.unauthorized();
    api.wait_for_log(" GET /api/acme/whoami 401 key=second reason=disabled ");
    env.run(&["update", "second", "--enable"]).success();
    api.ask(Client::Curl, get("/api/acme/whoami", &second))
        .status(200);
    let rotated = env.run(&["rotate", "second", "-q"]).success().secret();
    api.remember_token(&rotated);
    let r = api.ask(Client::Curl, get("/api/acme/whoami", &second));
    r.unauthorized();
    api.wait_for_log(" GET /api/acme/whoami 401 key=- reason=unknown ");
    api.ask(Client::Curl, get("/api/acme/whoami", &rotated))
        .status(200);
    // A hand edit in place (same inode) too.
    let text = env.read().replace("  ci:\n", "  ci-renamed:\n");
    std::fs::write(env.file(), text).unwrap();
    assert_eq!(names(&api), ["console", "second", "ci-renamed"]);
    // A broken file answers 500 until it is fixed; its keys are not guessed at.
    let good = env.bytes();
    std::fs::write(env.file(), format!("{}  broken: [\n", env.read())).unwrap();
    let r = api.ask(Client::Curl, get(KEYS, &admin));
    // Not where the problem is (the file is no client's business): the log has that.
    r.status(500);
    assert_eq!(
        r.body,
        "{\"error\":\"internal\",\"message\":\"tenant file does not load\"}\n"
    );
    api.wait_for_log("tenant 'acme' does not load: ");
    std::fs::write(env.file(), &good).unwrap();
    api.ask(Client::Curl, get(KEYS, &admin)).status(200);
    // The file gone: the tenant is gone.
    std::fs::remove_file(env.file()).unwrap();
    api.ask(Client::Curl, get(KEYS, &admin))
        .error(404, "not-found");
}

#[test]
fn uses_recorded_by_verify_show_in_definitions_and_serve_record_records_its_own() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let ci = env.create("ci", &["-p", "dns:read"]);
    let api = Api::start(&env, &["--record"]);
    let ci_now = |api: &Api| {
        api.ask(Client::Ureq, get(&format!("{KEYS}/ci"), &admin))
            .json()
    };
    assert_eq!(ci_now(&api)["lastUsedAt"], serde_json::Value::Null);
    env.run_with(&["verify", "--record", "--ip", "203.0.113.9"], &ci)
        .success();
    let shown = ci_now(&api);
    assert_eq!(shown["lastUsedAt"], NOW);
    assert_eq!(shown["lastUsedFrom"], "203.0.113.9");
    assert_eq!(shown, crate::support::server::shown(&env, "ci"));
    // The whole list too (it is rendered once per version of both files).
    let list = api.ask(Client::Ureq, get(KEYS, &admin)).json();
    assert_eq!(list[1]["lastUsedAt"], NOW);
    env.run_with(&["verify", "--record", "--ip", "203.0.113.10"], &ci)
        .success();
    let list = api.ask(Client::Ureq, get(KEYS, &admin)).json();
    assert_eq!(list[1]["lastUsedFrom"], "203.0.113.10");
    // --record: the admin key's own use, from the client's address.
    let start = Instant::now();
    loop {
        let console = api
            .ask(Client::Ureq, get(&format!("{KEYS}/console"), &admin))
            .json();
        if console["lastUsedAt"] == NOW {
            assert_eq!(console["lastUsedFrom"], "127.0.0.1");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "never recorded: {console}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Recording never rewrites security.yml.
    let usage = std::fs::read_to_string(env.file().with_file_name("security.usage.yml")).unwrap();
    assert!(usage.contains("console:"), "{usage}");
}

#[test]
fn the_access_log_has_one_line_per_request_and_never_a_token() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let off = env.create("off", &["-p", "*", "--disabled"]);
    let api = Api::start(&env, &[]);
    api.ask(Client::Curl, get(KEYS, &admin)).status(200);
    api.ask(Client::Curl, get("/api/acme/whoami", &off))
        .status(401);
    let r = api.ask(
        Client::Curl,
        send("POST", KEYS, &admin, r#"{"name": "new"}"#),
    );
    r.status(201);
    api.remember_token(r.json()["token"].as_str().unwrap());
    // A secret in the path or the query is not logged.
    let path = format!("{KEYS}/{admin}?token={admin}");
    api.ask(Client::Curl, get(&path, &admin)).status(404);
    api.ask(
        Client::Curl,
        Ask {
            method: "GET",
            path: "/healthz",
            ..Ask::default()
        },
    );
    let log = api.log();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with("127.0.0.1:"))
        .collect();
    let pattern = regex::Regex::new(
        r"^127\.0\.0\.1:\d+ (GET|POST) (\S+) (\d{3}) key=(\S+)(?: reason=[a-z-]+)? \d+\.\dms$",
    )
    .unwrap();
    let seen: Vec<(String, String, String, String)> = lines
        .iter()
        .map(|l| {
            let c = pattern.captures(l).unwrap_or_else(|| panic!("{l:?}"));
            (c[1].into(), c[2].into(), c[3].into(), c[4].into())
        })
        .collect();
    let expect = |m: &str, p: &str, s: &str, k: &str| {
        (m.to_string(), p.to_string(), s.to_string(), k.to_string())
    };
    assert_eq!(
        seen,
        [
            expect("GET", KEYS, "200", "console"),
            expect("GET", "/api/acme/whoami", "401", "off"),
            expect("POST", KEYS, "201", "console"),
            expect("GET", &format!("{KEYS}/(redacted)"), "404", "console"),
            expect("GET", "/healthz", "200", "-"),
        ]
    );
}

#[test]
fn one_file_is_served_as_the_tenant_default_or_the_one_named() {
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let file = env.file();
    let file = file.to_str().unwrap();
    for (args, tenant, other) in [
        (vec!["--file", file], "default", "acme"),
        (vec!["--file", file, "--tenant", "ops"], "ops", "default"),
        (vec!["--tenant", "acme"], "acme", "beta"),
    ] {
        let mut cmd = env.std_cmd();
        cmd.env_remove("TOKENCTL_TENANT").args(&args);
        let api = Api::start_cmd(cmd, &[]);
        api.remember_token(&admin);
        let r = api.ask(Client::Ureq, get(&format!("/api/{tenant}/whoami"), &admin));
        r.status(200);
        assert_eq!(r.json()["name"], "console");
        api.ask(
            Client::Ureq,
            get(&format!("/api/{tenant}/admin/apiKeys"), &admin),
        )
        .status(200);
        api.ask(Client::Ureq, get(&format!("/api/{other}/whoami"), &admin))
            .error(404, "not-found");
    }
}

#[test]
fn serve_says_what_to_do_when_it_cannot_start() {
    let env = TestEnv::new();
    let out = env
        .cmd()
        .env_remove("TOKENCTL_TENANT")
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the tenants folder") && stderr.contains("does not exist"),
        "{stderr}"
    );
    assert!(
        stderr.contains("create console --permission tenant.apiKey:read"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());

    let missing = env.run(&["serve", "--listen", "127.0.0.1:0"]);
    missing
        .code(2)
        .stderr_has("does not exist (--tenant acme under --root")
        .stdout_empty();

    with_admin(&env);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    env.run(&["serve", "--listen", &addr])
        .code(2)
        .stderr_has(&format!("cannot listen on {addr}"))
        .stdout_empty();
    env.run(&["serve", "--listen", "nowhere"])
        .code(2)
        .stderr_has("cannot listen on nowhere");
    env.run(&["serve", "--idle-timeout", "soon"])
        .code(2)
        .stderr_has("invalid duration \"soon\" for --idle-timeout");
    env.run(&["serve", "--max-connections", "0"])
        .code(2)
        .stderr_has("--max-connections 0");
}

/// Origin: an independent client of `serve` written against the README (was api_review.rs).
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
