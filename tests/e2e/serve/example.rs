//! The example server (examples/server.rs) driven with real `curl`: the library's outcomes as
//! HTTP statuses, a rotation's grace period seen without a restart, concurrent connections
//! with a header timeout, one Authorization header only, and the system clock only.
//!
//! The server has no test clock, so these tests create keys with tokenctl at the real time
//! (or, for an expired key, with tokenctl's test clock in the past) and wait out a grace
//! period of a few seconds.

use crate::support::env::{stranger_token, *};
use crate::support::hash_of;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The example binary. `cargo test` builds examples beside the test binaries
/// (target/debug/examples/server); a run that did not (`cargo test --test e2e`) builds it.
fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/debug/deps/e2e-<hash> -> target/debug/examples/server
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let path = profile_dir.join("examples").join("server");
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--example", "server"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("runs cargo");
        assert!(status.success(), "cargo build --example server failed");
    }
    assert!(path.exists(), "no example binary at {}", path.display());
    path
}

/// tokenctl at the real time (the server's clock), not the tests' fixed one.
fn real_time(env: &TestEnv, args: &[&str]) -> Output {
    let out = env
        .cmd()
        .env_remove("TOKENCTL_NOW")
        .args(args)
        .output()
        .expect("runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Creates a key at the real time and returns its secret.
fn create_now(env: &TestEnv, name: &str, extra: &[&str]) -> String {
    let mut args = vec!["create", name];
    args.extend_from_slice(extra);
    real_time(env, &args).success().secret()
}

/// A running example server, killed when dropped (also when a test fails).
struct Server {
    child: Child,
    url: String,
    port: u16,
    log: PathBuf,
}

impl Server {
    /// Starts the server on a free port of 127.0.0.1 with `env_vars` set.
    fn start(env: &TestEnv, env_vars: &[(&str, &str)]) -> Server {
        let log = env.dir.path().join(format!(
            "server-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut child = Command::new(server_binary())
            .arg(env.file())
            .arg("127.0.0.1:0")
            .env_clear()
            .envs(env_vars.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("starts the example server");
        let stdout = child.stdout.take().expect("piped");
        let mut server = Server {
            child,
            url: String::new(),
            port: 0,
            log,
        };
        // The port the system picked, announced on the first line: no race for a free port.
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            panic!("server did not start: {line:?}\n{}", server.log());
        };
        server.url = url.to_string();
        server.port = url.rsplit(':').next().unwrap().parse().unwrap();
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `curl` with these headers (`--path-as-is`: the path goes out as written): (status, body).
    fn curl_with(&self, method: &str, path: &str, headers: &[&[u8]]) -> (u16, String) {
        let mut cmd = Command::new("curl");
        cmd.args(["--silent", "--show-error", "--max-time", "20", "-X", method])
            .args(["--path-as-is", "--write-out", "\n%{http_code}"]);
        for h in headers {
            use std::os::unix::ffi::OsStrExt;
            cmd.arg("-H").arg(std::ffi::OsStr::from_bytes(h));
        }
        let out = cmd
            .arg(format!("{}{path}", self.url))
            .output()
            .expect("curl runs (apt-get install curl)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "curl failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        let (body, code) = text.rsplit_once('\n').unwrap();
        (code.parse().unwrap(), body.to_string())
    }

    /// `curl` with an optional `Authorization` header.
    fn curl(&self, method: &str, path: &str, authorization: Option<&str>) -> (u16, String) {
        match authorization {
            Some(a) => self.curl_with(method, path, &[format!("Authorization: {a}").as_bytes()]),
            None => self.curl_with(method, path, &[]),
        }
    }

    fn bearer(&self, path: &str, token: &str) -> (u16, String) {
        self.curl("GET", path, Some(&format!("Bearer {token}")))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Appends two keys to the file that share one secret: `twin-a` disabled, `twin-b` enabled,
/// as a hand edit or another tool might leave them. Returns the secret.
fn add_twins(env: &TestEnv) -> String {
    let secret = format!("tk_{}", "7".repeat(64));
    let secret = format!("{secret}{}", check_digits(&secret));
    let hash = hash_of(&secret);
    let mut text = env.read();
    text.push_str(&format!(
        "  twin-a:\n    enabled: false\n    hash: {hash}\n  twin-b:\n    permissions: [dns:read]\n    hash: {hash}\n"
    ));
    env.write(text);
    secret
}

fn check_digits(text: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(text.as_bytes())[..4])
}

#[test]
fn example_server_answers_200_401_403_with_the_reason() {
    let env = TestEnv::new();
    let reader = create_now(&env, "reader", &["-p", "dns:read", "--expires", "1d"]);
    let writer = create_now(
        &env,
        "writer",
        &["-p", "dns:*", "--resource", "example.com"],
    );
    let off = create_now(&env, "off", &["-p", "dns:read", "--disabled"]);
    let local = create_now(
        &env,
        "local",
        &["-p", "dns:read", "--allow-ip", "192.0.2.0/24"],
    );
    let zone = create_now(
        &env,
        "zone",
        &["-p", "dns:read", "--path-prefix", "/dns/example.com"],
    );
    // Expired by the real clock: made by tokenctl's test clock in 2020.
    let old = crate::support::env::run_at(
        &env,
        "2020-01-01T00:00:00Z",
        &["create", "old", "-p", "dns:read", "--expires", "1d"],
        "",
    )
    .success()
    .secret();
    let twins = add_twins(&env);
    let server = Server::start(&env, &[]);

    assert_eq!(server.curl("GET", "/health", None), (200, "ok\n".into()));
    assert_eq!(
        server.bearer("/dns", &reader),
        (
            200,
            "hello, reader: valid: key 'reader', permissions: dns:read\n".into()
        )
    );
    assert_eq!(server.bearer("/dns/example.com", &writer).0, 200);
    assert_eq!(
        server
            .curl(
                "POST",
                "/dns/example.com",
                Some(&format!("bearer {writer}"))
            )
            .0,
        200
    );
    assert_eq!(server.bearer("/dns/example.com", &zone).0, 200);

    // 401: no working key.
    let zeros = format!("tk_{}", "0".repeat(72));
    let mut typo = reader.clone();
    typo.pop();
    typo.push(if reader.ends_with('0') { '1' } else { '0' });
    let upper = format!("tk_{}", reader[3..].to_uppercase());
    let first_letter = 4 + reader[3..].find(|c: char| c.is_ascii_lowercase()).unwrap();
    let cases_401 = [
        (
            None,
            "no Authorization header: send `Authorization: Bearer <token>`".to_string(),
        ),
        (
            Some(format!("Bearer {typo}")),
            "malformed token: its check digits do not match (mistyped or cut short)".into(),
        ),
        (
            Some(format!("Bearer {}", &reader[..40])),
            "malformed token: 37 characters follow 'tk_', not 72 (cut short?)".into(),
        ),
        (
            Some(format!("Bearer {upper}")),
            format!(
                "malformed token: character {first_letter} is an uppercase letter (tokens are lowercase); after 'tk_' come 72 lowercase hex digits (0-9, a-f)"
            ),
        ),
        (
            Some(format!("Bearer {zeros}")),
            "malformed token: its check digits do not match (mistyped or cut short)".into(),
        ),
        (
            Some(format!("Bearer {}", stranger_token())),
            "unknown token: no key in this file has this secret".into(),
        ),
        (
            Some("Bearer an-imported-looking-secret-nobody-has".into()),
            "unknown token: no key in this file has this secret".into(),
        ),
        (Some(format!("Bearer {off}")), "key 'off' is disabled".into()),
        (
            Some(format!("Bearer {old}")),
            "key 'old' expired at 2020-01-02T00:00:00Z".into(),
        ),
        (
            Some(format!("Bearer {twins}")),
            "ambiguous token: keys 'twin-a' and 'twin-b' share this secret, so it is refused for all of them; rotate all but one of them (without --grace)".into(),
        ),
        (
            Some(reader.clone()),
            "malformed Authorization value: no scheme: send `Authorization: Bearer <token>` (or Basic credentials with the token as password)".into(),
        ),
        (
            Some(format!("Token {reader}")),
            "malformed Authorization value: unknown scheme 'Token': use `Bearer <token>` or Basic credentials".into(),
        ),
    ];
    for (auth, why) in cases_401 {
        assert_eq!(
            server.curl("GET", "/dns", auth.as_deref()),
            (401, format!("{why}\n")),
            "{auth:?}"
        );
    }
    // 403: a working key, not for this request.
    assert_eq!(
        server.curl(
            "POST",
            "/dns/example.com",
            Some(&format!("Bearer {reader}"))
        ),
        (403, "key 'reader' lacks permission 'dns:write'\n".into())
    );
    assert_eq!(
        server.bearer("/dns/example.org", &writer),
        (
            403,
            "key 'writer' is not allowed on resource 'example.org'\n".into()
        )
    );
    assert_eq!(
        server.bearer("/dns", &local),
        (403, "key 'local' is not allowed from 127.0.0.1\n".into())
    );
    // The path prefix ends at a segment boundary, and a path that is not normalised is
    // refused, not guessed at.
    assert_eq!(
        server.bearer("/dns/example.com.evil.org", &zone),
        (
            403,
            "key 'zone' is not allowed on path /dns/example.com.evil.org\n".into()
        )
    );
    assert_eq!(
        server.bearer("/dns/%2E%2E", &zone),
        (
            403,
            "key 'zone' is restricted to a path prefix and the path \"/dns/%2E%2E\" is not normalised: it holds %2E, an encoded .\n".into()
        )
    );
    assert_eq!(
        server.bearer("/dns/example.com%2Fx", &zone),
        (
            403,
            "key 'zone' is restricted to a path prefix and the path \"/dns/example.com%2Fx\" is not normalised: it holds %2F, an encoded /\n".into()
        )
    );
    // Routes that do not exist are 404 before any token is looked at.
    assert_eq!(
        server.bearer("/dns/example.com/../admin", &zone),
        (404, "no route GET /dns/example.com/../admin\n".into())
    );
}

#[test]
fn example_server_refuses_a_request_with_two_authorization_headers() {
    let env = TestEnv::new();
    let reader = create_now(&env, "reader", &["-p", "dns:read"]);
    let server = Server::start(&env, &[]);
    let valid = format!("Authorization: Bearer {reader}");
    let other = format!("Authorization: Bearer {}", stranger_token());
    let why = "more than one Authorization header: send exactly one\n";
    for headers in [
        [valid.as_bytes(), other.as_bytes()],
        [other.as_bytes(), valid.as_bytes()],
        [valid.as_bytes(), valid.as_bytes()],
    ] {
        assert_eq!(
            server.curl_with("GET", "/dns", &headers),
            (400, why.into()),
            "{headers:?}"
        );
    }
    // A header value that is not text is refused too, not guessed at.
    let mut binary = b"Authorization: Bearer ".to_vec();
    binary.extend_from_slice(&[0xff, 0xfe]);
    assert_eq!(
        server.curl_with("GET", "/dns", &[&binary]),
        (400, "the Authorization header is not ASCII text\n".into())
    );
    assert_eq!(server.bearer("/dns", &reader).0, 200);
}

#[test]
fn example_server_uses_the_system_clock_whatever_tokenctl_now_says() {
    let env = TestEnv::new();
    let old = crate::support::env::run_at(
        &env,
        "2020-01-01T00:00:00Z",
        &["create", "old", "-p", "dns:read", "--expires", "1d"],
        "",
    )
    .success()
    .secret();
    let fresh = create_now(&env, "fresh", &["-p", "dns:read", "--expires", "1d"]);
    for now in ["2019-06-01T00:00:00Z", "2999-01-01T00:00:00Z"] {
        let server = Server::start(&env, &[("TOKENCTL_NOW", now)]);
        assert_eq!(
            server.bearer("/dns", &old),
            (401, "key 'old' expired at 2020-01-02T00:00:00Z\n".into()),
            "TOKENCTL_NOW={now}"
        );
        assert_eq!(server.bearer("/dns", &fresh).0, 200, "TOKENCTL_NOW={now}");
    }
}

#[test]
fn example_server_serves_others_while_a_slow_client_trickles_its_headers() {
    let env = TestEnv::new();
    let reader = create_now(&env, "reader", &["-p", "dns:read"]);
    let server = Server::start(&env, &[]);
    let port = server.port;
    // A client that sends a request line and then one byte every 2 seconds, never ending
    // its headers; it reports how long the server kept the connection and what it answered.
    let slow = std::thread::spawn(move || {
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let started = Instant::now();
        tcp.write_all(b"GET /dns HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            .unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut answer = Vec::new();
        while started.elapsed() < Duration::from_secs(30) {
            if tcp.write_all(b"a").is_err() {
                break;
            }
            let mut buf = [0u8; 512];
            match tcp.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
        (
            started.elapsed(),
            Instant::now(),
            String::from_utf8_lossy(&answer).into_owned(),
        )
    });
    // Meanwhile, others are served, again and again, while the slow client is still
    // connected: a server that served it first would answer them only once it is cut off.
    std::thread::sleep(Duration::from_millis(300));
    let mut served = Vec::new();
    for _ in 0..3 {
        assert_eq!(server.bearer("/dns", &reader).0, 200, "{}", server.log());
        served.push(Instant::now());
        std::thread::sleep(Duration::from_millis(300));
    }
    // The slow client is cut off after the header timeout (5 s), with no answer but an
    // error status at most.
    let (held, closed, answer) = slow.join().unwrap();
    assert!(
        served.iter().all(|t| *t < closed),
        "requests were answered only after the slow client was cut off"
    );
    assert!(
        (Duration::from_secs(4)..Duration::from_secs(15)).contains(&held),
        "the slow client was held {held:?}"
    );
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer:?}"
    );
}

#[test]
fn example_server_sees_a_rotation_without_a_restart_and_honours_the_grace_period() {
    let env = TestEnv::new();
    let old = create_now(&env, "ci", &["-p", "dns:read"]);
    let server = Server::start(&env, &[]);
    assert_eq!(server.bearer("/dns", &old).0, 200);

    // Rotate while it runs, with a grace period of a few seconds: the server reloads the
    // file on the next request.
    let rotated = real_time(&env, &["rotate", "ci", "--grace", "3s", "--format", "json"])
        .success()
        .json();
    let new = rotated["token"].as_str().unwrap().to_string();
    let until = rotated["oldSecretExpiresAt"].as_str().unwrap().to_string();
    assert_eq!(
        server.bearer("/dns", &new),
        (
            200,
            "hello, ci: valid: key 'ci', permissions: dns:read\n".into()
        ),
        "{}",
        server.log()
    );
    assert_eq!(
        server.bearer("/dns", &old),
        (200, "hello, ci: valid: key 'ci' (an old secret, in its rotation grace period), permissions: dns:read\n".into())
    );
    assert!(server.log().contains("reloaded"), "{}", server.log());

    // After the grace period the old secret is refused, the new one accepted.
    let end: jiff::Timestamp = until.parse().unwrap();
    while jiff::Timestamp::now() < end + jiff::SignedDuration::from_millis(200) {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        server.bearer("/dns", &old),
        (
            401,
            format!(
                "this is an old secret of key 'ci': it was rotated and stopped working at {until}\n"
            )
        )
    );
    assert_eq!(server.bearer("/dns", &new).0, 200);

    // A revocation while it runs takes effect at once too.
    real_time(&env, &["delete", "ci", "--yes"]).success();
    assert_eq!(
        server.bearer("/dns", &new),
        (
            401,
            "unknown token: no key in this file has this secret\n".into()
        )
    );
}
