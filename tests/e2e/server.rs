//! The example server (examples/server.rs) driven with real `curl`: the library's outcomes as
//! HTTP statuses, and a rotation's grace period seen without a restart.

use crate::lifecycle::{run_at, stranger_token};
use crate::testenv::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

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

/// A running example server, killed when dropped (also when a test fails).
struct Server {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Server {
    /// Starts the server on a free port of 127.0.0.1 with its clock at `now`.
    fn start(env: &TestEnv, now: &str) -> Server {
        let log = env
            .dir
            .path()
            .join(format!("server-{}.log", now.replace(':', "")));
        let mut child = Command::new(server_binary())
            .arg(env.file())
            .arg("127.0.0.1:0")
            .env_clear()
            .env("TOKENCTL_NOW", now)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("starts the example server");
        let stdout = child.stdout.take().expect("piped");
        let mut server = Server {
            child,
            url: String::new(),
            log,
        };
        // The port the system picked, announced on the first line: no race for a free port.
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            panic!("server did not start: {line:?}\n{}", server.log());
        };
        server.url = url.to_string();
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `curl` with an optional `Authorization` header: (status, body).
    fn curl(&self, method: &str, path: &str, authorization: Option<&str>) -> (u16, String) {
        let mut cmd = Command::new("curl");
        cmd.args(["--silent", "--show-error", "--max-time", "60", "-X", method])
            .args(["--write-out", "\n%{http_code}"]);
        if let Some(a) = authorization {
            cmd.arg("-H").arg(format!("Authorization: {a}"));
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

#[test]
fn example_server_answers_200_401_403_with_the_reason() {
    let env = TestEnv::new();
    let reader = env.create("reader", &["-p", "dns:read", "--expires", "1d"]);
    let writer = env.create("writer", &["-p", "dns:*", "--resource", "example.com"]);
    let off = env.create("off", &["-p", "dns:read", "--disabled"]);
    let local = env.create("local", &["-p", "dns:read", "--allow-ip", "192.0.2.0/24"]);
    let server = Server::start(&env, NOW);

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

    // 401: no working key.
    let zeros = format!("tk_{}", "0".repeat(72));
    let mut typo = reader.clone();
    typo.pop();
    typo.push(if reader.ends_with('0') { '1' } else { '0' });
    let cases_401 = [
        (
            None,
            "no Authorization header: send `Authorization: Bearer <token>`",
        ),
        (
            Some(format!("Bearer {typo}")),
            "malformed token: its check digits do not match (mistyped or cut short)",
        ),
        (
            Some(format!("Bearer {}", &reader[..40])),
            "malformed token: its check digits do not match (mistyped or cut short)",
        ),
        (
            Some(format!("Bearer {zeros}")),
            "malformed token: its check digits do not match (mistyped or cut short)",
        ),
        (
            Some(format!("Bearer {}", stranger_token())),
            "unknown token: no key in this file has this secret",
        ),
        (
            Some("Bearer an-imported-looking-secret-nobody-has".into()),
            "unknown token: no key in this file has this secret",
        ),
        (Some(format!("Bearer {off}")), "key 'off' is disabled"),
        (
            Some(reader.clone()),
            "malformed Authorization value: no scheme: send `Authorization: Bearer <token>` (or Basic credentials with the token as password)",
        ),
        (
            Some(format!("Token {reader}")),
            "malformed Authorization value: unknown scheme 'Token': use `Bearer <token>` or Basic credentials",
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
    drop(server);

    // Expired: the same file, the server's clock two days later.
    let later = Server::start(&env, "2026-11-24T10:00:00Z");
    assert_eq!(
        later.bearer("/dns", &reader),
        (401, "key 'reader' expired at 2026-11-23T10:00:00Z\n".into())
    );
    assert_eq!(later.bearer("/dns/example.com", &writer).0, 200);
}

#[test]
fn example_server_sees_a_rotation_without_a_restart_and_honours_the_grace_period() {
    let env = TestEnv::new();
    let old = env.create("ci", &["-p", "dns:read"]);
    let server = Server::start(&env, NOW);
    assert_eq!(server.bearer("/dns", &old).0, 200);

    // Rotate while it runs: the server reloads the file on the next request.
    let new = env
        .run(&["rotate", "ci", "--grace", "1h", "--quiet"])
        .success()
        .secret();
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
    drop(server);

    // After the grace period the old secret is refused, the new one accepted.
    let after = Server::start(&env, "2026-11-22T11:00:01Z");
    assert_eq!(
        after.bearer("/dns", &old),
        (401, "this is an old secret of key 'ci': it was rotated and stopped working at 2026-11-22T11:00:00Z\n".into())
    );
    assert_eq!(after.bearer("/dns", &new).0, 200);

    // A revocation while it runs takes effect at once too.
    run_at(&env, "2026-11-22T11:00:01Z", &["delete", "ci", "--yes"], "").success();
    assert_eq!(
        after.bearer("/dns", &new),
        (
            401,
            "unknown token: no key in this file has this secret\n".into()
        )
    );
}
