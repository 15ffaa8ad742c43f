//! The gate, `/authz/{tenant}[/{*path}]` of `tokenctl serve` (issue 22), written against the
//! issue's contract alone, as a proxy or a client in another language would be:
//! - directly, each request written byte for byte on its own connection (so that repeated,
//!   empty and forged headers reach the gate exactly as sent): the 200 and its headers, every
//!   401 reason with the one body, the 403 reasons without the key's name, 404, the 500 of a
//!   misspelled or doubled requirement, the three sources of the method, path and address,
//!   revocation on the very next request, a file broken by hand (last good index, or 500 with
//!   `--fail-closed`), `--no-admin`, `--no-authz`, `--file`, Basic credentials, last use with
//!   `--record`, and the counters of `--metrics-listen`;
//! - behind a real nginx (`auth_request`), with docs/GATE.md's recipe verbatim
//!   ([`NGINX_RECIPE`]; tests/e2e/docs.rs checks that the page holds this very text) in
//!   front of a real upstream that answers with what it was given: a client's own
//!   `X-Forwarded-*` and `X-Tokenctl-*` headers change no verdict, and no log line holds a
//!   token;
//! - behind a real Caddy (`forward_auth`), with docs/GATE.md's Caddyfile ([`CADDY_RECIPE`]).
//!
//! The gate's answers are not the admin API's, so they are not checked against the OpenAPI
//! document: these tests start serve with their own harness ([`Gate`]), not `Api`.
//! The nginx and Caddy tests are `#[ignore = "needs ..."]` and fail, naming what to install,
//! when the tool is missing (scripts/test and .ci/run install both).

use crate::support::env::{run_at, stranger_token, *};
use crate::support::need;
use crate::support::server::Api;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// docs/GATE.md's nginx recipe, as the page shows it. The test serves it with the gate's and
/// the application's real addresses in place of `127.0.0.1:8080` and `127.0.0.1:9000`, and
/// its own port in place of `80`; nothing else is changed.
pub(crate) const NGINX_RECIPE: &str = r#"upstream tokenctl_gate {
    server 127.0.0.1:8080;            # tokenctl serve --no-admin --trust-proxy
    keepalive 16;
}

server {
    listen 80;
    server_name api.example.com;

    # The application: every request needs a key of tenant acme with dns:read for GET,
    # HEAD and OPTIONS, and dns:write for any other method.
    location / {
        auth_request /.tokenctl/dns;
        # The key's name, for the application (the client's own X-Tokenctl-Key is replaced).
        auth_request_set $tokenctl_key $upstream_http_x_tokenctl_key;
        proxy_set_header X-Tokenctl-Key $tokenctl_key;
        # The application never sees the token; delete this line if it needs it.
        proxy_set_header Authorization "";
        proxy_pass http://127.0.0.1:9000;
    }

    # The question to the gate. Everything it judges is set here, overwriting what the
    # client sent under the same names: nginx passes the client's headers to this
    # subrequest. Never put a proxy_cache here: a revoked key must fail on the next request.
    location = /.tokenctl/dns {
        internal;
        proxy_pass http://tokenctl_gate/authz/acme?read=dns:read&write=dns:write;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
        proxy_set_header X-Forwarded-Method $request_method;
        proxy_set_header X-Forwarded-Uri $request_uri;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Tokenctl-Permission "";
        proxy_set_header X-Tokenctl-Resource "";
        proxy_set_header X-Tokenctl-Read "";
        proxy_set_header X-Tokenctl-Write "";
    }
}
"#;

/// docs/GATE.md's Caddyfile, as the page shows it. The test serves it with its own address in
/// place of `http://api.example.com`, and the gate's and the application's real addresses in
/// place of `127.0.0.1:8080` and `127.0.0.1:9000`.
pub(crate) const CADDY_RECIPE: &str = r#"{
	admin off
	auto_https off
}

http://api.example.com {
	forward_auth 127.0.0.1:8080 {
		uri /authz/acme?permission=dns:read
		# Caddy sets X-Forwarded-Method, X-Forwarded-Uri and X-Forwarded-For itself;
		# the requirement is the gate's, never the client's.
		header_up -X-Tokenctl-*
		copy_headers X-Tokenctl-Key
	}
	reverse_proxy 127.0.0.1:9000 {
		# The application never sees the token; delete this line if it needs it.
		header_up -Authorization
	}
}
"#;

/// One answer of the gate (or of a proxy in front of it).
#[derive(Debug)]
struct Answer {
    status: u16,
    /// Lower-case names; a repeated header's values joined with ", ".
    headers: BTreeMap<String, String>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Asserts a 200 of the gate: no body, `Cache-Control: no-store`, and the key's name,
    /// tenant and scopes (in any order) in the headers a proxy copies.
    #[track_caller]
    fn allowed(&self, key: &str, tenant: &str, scopes: &[&str]) -> &Self {
        assert_eq!(self.status, 200, "expected 200 for {key}: {self:?}");
        assert_eq!(self.body, "", "a 200 of the gate has no body");
        assert_eq!(self.header("cache-control"), Some("no-store"), "{self:?}");
        assert_eq!(self.header("x-tokenctl-key"), Some(key), "{self:?}");
        assert_eq!(self.header("x-tokenctl-tenant"), Some(tenant), "{self:?}");
        let mut got: Vec<&str> = self
            .header("x-tokenctl-permissions")
            .unwrap_or_else(|| panic!("no X-Tokenctl-Permissions: {self:?}"))
            .split(',')
            .filter(|s| !s.is_empty())
            .collect();
        got.sort_unstable();
        let mut want = scopes.to_vec();
        want.sort_unstable();
        assert_eq!(got, want, "{self:?}");
        assert_eq!(self.header("x-tokenctl-permissions-truncated"), None);
        self
    }

    /// Asserts the one 401 of every reason: the contract's body, `WWW-Authenticate: Bearer`,
    /// `Cache-Control: no-store`, and no key header.
    #[track_caller]
    fn unauthorized(&self) -> &Self {
        assert_eq!(self.status, 401, "expected 401: {self:?}");
        assert_eq!(
            self.body.strip_suffix('\n').unwrap_or(&self.body),
            r#"{"error":"unauthorized","message":"no valid API key"}"#
        );
        assert_eq!(self.header("www-authenticate"), Some("Bearer"), "{self:?}");
        assert_eq!(self.header("cache-control"), Some("no-store"), "{self:?}");
        assert_eq!(self.header("x-tokenctl-key"), None, "{self:?}");
        self
    }

    /// Asserts a 403 of the gate: `{"error":"forbidden","reason":REASON,"message":...}`,
    /// `Cache-Control: no-store`, and the key's name nowhere in the answer.
    #[track_caller]
    fn forbidden(&self, reason: &str, key: &str) -> &Self {
        assert_eq!(
            self.status, 403,
            "expected 403 {reason} for {key}: {self:?}"
        );
        let body: serde_json::Value = serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("a 403 body that is not JSON ({e}): {:?}", self.body));
        assert_eq!(body["error"], "forbidden", "{body}");
        assert_eq!(body["reason"], reason, "{body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
        assert_eq!(
            body.as_object().unwrap().len(),
            3,
            "only error, reason, message: {body}"
        );
        assert!(
            !self.body.contains(key),
            "a 403 names the key: {}",
            self.body
        );
        assert_eq!(self.header("cache-control"), Some("no-store"), "{self:?}");
        assert_eq!(self.header("x-tokenctl-key"), None, "{self:?}");
        self
    }

    #[track_caller]
    fn status(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "expected {status}: {self:?}");
        self
    }
}

/// Writes one HTTP/1.1 request to 127.0.0.1:`port` exactly as given (`Connection: close`
/// added) and reads the whole answer.
fn raw(port: u16, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("the server listens");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request =
        format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    stream
        .read_to_end(&mut bytes)
        .expect("the server answers and closes");
    parse(&bytes, method == "HEAD")
}

/// An HTTP/1.1 answer: status line, headers, and the body (by Content-Length, chunked, or to
/// the end).
fn parse(bytes: &[u8], head: bool) -> Answer {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers: {:?}", String::from_utf8_lossy(bytes)));
    let head_text = std::str::from_utf8(&bytes[..split]).expect("ASCII headers");
    let mut lines = head_text.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {status_line:?}"));
    let mut headers = BTreeMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').expect("name: value");
        headers
            .entry(name.trim().to_ascii_lowercase())
            .and_modify(|v: &mut String| {
                v.push_str(", ");
                v.push_str(value.trim());
            })
            .or_insert_with(|| value.trim().to_string());
    }
    let rest = &bytes[split + 4..];
    let body = if head {
        Vec::new()
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.contains("chunked"))
    {
        let mut out = Vec::new();
        let mut at = rest;
        loop {
            let end = at.windows(2).position(|w| w == b"\r\n").unwrap();
            let size = usize::from_str_radix(
                std::str::from_utf8(&at[..end])
                    .unwrap()
                    .split(';')
                    .next()
                    .unwrap()
                    .trim(),
                16,
            )
            .unwrap();
            if size == 0 {
                break;
            }
            out.extend_from_slice(&at[end + 2..end + 2 + size]);
            at = &at[end + 2 + size + 2..];
        }
        out
    } else if let Some(n) = headers.get("content-length") {
        rest[..n.parse::<usize>().unwrap()].to_vec()
    } else {
        rest.to_vec()
    };
    Answer {
        status,
        headers,
        body: String::from_utf8(body).expect("a UTF-8 body"),
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// `tokenctl serve` as the gate, on a free loopback port, killed when dropped; then its stderr
/// (the access log) must hold no token the test sent. Unlike the admin API's harness
/// (`support::server::Api`, which reads the first line of stdout and closes it), it keeps
/// reading stdout, so that these tests do not depend on what serve prints after its first
/// line; `closing_stdout_after_the_first_line_does_not_stop_the_server` tests that apart.
struct Gate {
    child: Option<Child>,
    port: u16,
    log: std::path::PathBuf,
    _scratch: tempfile::TempDir,
    tokens: std::sync::Mutex<Vec<String>>,
}

impl Gate {
    /// Every tenant under the env's root, with `args`.
    fn start(env: &TestEnv, args: &[&str]) -> Gate {
        let mut cmd = env.std_cmd();
        cmd.env_remove("TOKENCTL_TENANT");
        Gate::start_cmd(cmd, args)
    }

    /// `tokenctl serve` as `cmd` (a tokenctl command with its environment) runs it.
    fn start_cmd(mut cmd: Command, args: &[&str]) -> Gate {
        use std::io::{BufRead, BufReader};
        let scratch = tempfile::tempdir().unwrap();
        let log = scratch.path().join("server.log");
        let mut child = cmd
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("tokenctl serve starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let Some(port) = line
            .trim()
            .strip_prefix("listening on http://")
            .and_then(|a| a.rsplit(':').next())
            .and_then(|p| p.parse().ok())
        else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "tokenctl serve did not start: {line:?}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        Gate {
            child: Some(child),
            port,
            log,
            _scratch: scratch,
            tokens: std::sync::Mutex::new(Vec::new()),
        }
    }

    fn port(&self) -> u16 {
        self.port
    }

    /// A token to look for in the log, where it must never be.
    fn remember_token(&self, token: &str) {
        if token.len() >= 20 {
            self.tokens.lock().unwrap().push(token.to_string());
        }
    }

    /// Stops the server with `signal` and returns its exit status.
    fn stop(&mut self, signal: &str) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        crate::support::server::kill(child.id(), signal);
        child.wait().unwrap()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `method target` with `headers` (the token remembered for the log check).
    fn ask(&self, method: &str, target: &str, headers: &[(&str, &str)]) -> Answer {
        for (name, value) in headers {
            if name.eq_ignore_ascii_case("authorization") {
                self.remember_token(value.rsplit(' ').next().unwrap_or(value));
                self.remember_token(value);
            }
        }
        raw(self.port(), method, target, headers, "")
    }

    /// `GET target` with `token` as a Bearer token and `headers`.
    fn get(&self, target: &str, token: &str, headers: &[(&str, &str)]) -> Answer {
        let auth = bearer(token);
        let mut all = vec![("Authorization", auth.as_str())];
        all.extend_from_slice(headers);
        self.ask("GET", target, &all)
    }

    /// Waits for an access-log line of a request to `path` (without its query) answered
    /// `status` for `reason`.
    #[track_caller]
    fn logged(&self, path: &str, status: u16, reason: &str) {
        let start = Instant::now();
        let found = |log: &str| {
            log.lines().any(|l| {
                l.contains(&format!(" {path} "))
                    && l.contains(&format!(" {status} "))
                    && l.contains(&format!(" reason={reason} "))
            })
        };
        while !found(&self.log()) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no access-log line of {path} {status} reason={reason}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for a line of the server's stderr that `ok` accepts (at most 20 s).
    #[track_caller]
    fn wait_for_line(&self, ok: impl Fn(&str) -> bool) {
        self.wait_for_new_line(0, ok);
    }

    /// Waits for a line after the first `skip` lines of the server's stderr that `ok` accepts
    /// (at most 20 s).
    #[track_caller]
    fn wait_for_new_line(&self, skip: usize, ok: impl Fn(&str) -> bool) {
        let start = Instant::now();
        while !self.log().lines().skip(skip).any(&ok) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no such line in the log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !std::thread::panicking() {
            let log = self.log();
            for t in self.tokens.lock().unwrap().iter() {
                assert!(!log.contains(t.as_str()), "the log holds a token:\n{log}");
            }
        }
    }
}

/// Two keys with one secret, as a hand edit might leave them; returns the secret.
fn add_twins(env: &TestEnv) -> String {
    use sha2::Digest;
    let body = format!("tk_{}", "7".repeat(64));
    let secret = format!(
        "{body}{}",
        hex::encode(&sha2::Sha256::digest(body.as_bytes())[..4])
    );
    let hash = crate::support::hash_of(&secret);
    let mut text = env.read();
    text.push_str(&format!(
        "  twin-a:\n    permissions: ['*']\n    hash: {hash}\n  twin-b:\n    permissions: ['*']\n    hash: {hash}\n"
    ));
    env.write(text);
    secret
}

#[test]
fn a_valid_key_gets_200_with_its_name_tenant_and_scopes_and_no_body() {
    let env = TestEnv::new();
    let ops = env.create("ops", &["-p", "dns:read", "-p", "dns:write"]);
    let all = env.create("all", &["-p", "*"]);
    let none = env.create("none", &[]);
    let gate = Gate::start(&env, &[]);

    gate.get("/authz/acme?permission=dns:read", &ops, &[])
        .allowed("ops", "acme", &["dns:read", "dns:write"]);
    // No requirement: any working key of the tenant, even one without scopes.
    gate.get("/authz/acme", &none, &[])
        .allowed("none", "acme", &[]);
    gate.get("/authz/acme", &all, &[])
        .allowed("all", "acme", &["*"]);
    // Any method, any body: the gate judges the headers alone.
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let auth = bearer(&ops);
        let r = raw(
            gate.port(),
            method,
            "/authz/acme?permission=dns:write",
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            r#"{"permission": "nothing"}"#,
        );
        r.allowed("ops", "acme", &["dns:read", "dns:write"]);
    }
    let auth = bearer(&ops);
    let head = gate.ask("HEAD", "/authz/acme", &[("Authorization", &auth)]);
    assert_eq!(head.status, 200, "{head:?}");
    assert_eq!(head.header("x-tokenctl-key"), Some("ops"));
    assert_eq!(head.header("cache-control"), Some("no-store"));
}

#[test]
fn at_most_fifty_scopes_are_listed_then_truncated_is_said() {
    let env = TestEnv::new();
    let scopes: Vec<String> = (0..60).map(|i| format!("svc{i:02}:read")).collect();
    let mut args = Vec::new();
    for s in &scopes {
        args.extend(["-p", s.as_str()]);
    }
    let many = env.create("many", &args);
    let few = env.create("few", &args[..100]);
    let gate = Gate::start(&env, &[]);

    let r = gate.get("/authz/acme?permission=svc59:read", &many, &[]);
    r.status(200);
    let listed: Vec<&str> = r
        .header("x-tokenctl-permissions")
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(listed.len(), 50, "{listed:?}");
    assert!(
        listed.iter().all(|s| scopes.iter().any(|k| k == s)),
        "{listed:?}"
    );
    assert_eq!(r.header("x-tokenctl-permissions-truncated"), Some("1"));
    // Exactly fifty: all of them, and no truncation.
    let r = gate.get("/authz/acme", &few, &[]);
    let listed: Vec<&str> = r
        .header("x-tokenctl-permissions")
        .unwrap()
        .split(',')
        .collect();
    assert_eq!(listed.len(), 50);
    assert_eq!(r.header("x-tokenctl-permissions-truncated"), None);
}

#[test]
fn every_401_reason_gets_the_one_body_and_only_the_log_says_which() {
    let env = TestEnv::new();
    let good = env.create("good", &["-p", "*"]);
    let off = env.create("off", &["-p", "*", "--disabled"]);
    let old = env.create_at(EARLIER, "old", &["-p", "*", "--expires", "2026-01-01"]);
    let rotated = env.create("rotated", &["-p", "*"]);
    // Rotated three weeks before NOW with an hour of grace: the old secret is out.
    run_at(
        &env,
        "2026-11-01T00:00:00Z",
        &["rotate", "rotated", "--grace", "1h", "-q"],
        "",
    )
    .success();
    let twins = add_twins(&env);
    let mut typo = good.clone();
    typo.pop();
    typo.push(if good.ends_with('0') { '1' } else { '0' });
    let gate = Gate::start(&env, &[]);

    let path = "/authz/acme";
    let target = "/authz/acme?permission=dns:read";
    // No Authorization header at all.
    gate.ask("GET", target, &[]).unauthorized();
    gate.logged(path, 401, "missing");
    // Each Authorization value, with the reason `tokenctl verify` gives for it.
    let stranger = stranger_token();
    let basic_wrong = format!(
        "Basic {}",
        base64_of(&format!("anyone:{}", stranger_token()))
    );
    let cases: Vec<(String, &str)> = vec![
        ("Bearer".to_string(), "empty"),
        (format!("Bearer  {good}"), "whitespace"),
        (format!("Token {good}"), "bad-header"),
        ("Basic !!!".to_string(), "bad-header"),
        (bearer(&good[..40]), "malformed"),
        (bearer(&typo), "malformed"),
        (bearer(&stranger), "unknown"),
        (basic_wrong, "unknown"),
        (bearer(&twins), "ambiguous"),
        (bearer(&off), "disabled"),
        (bearer(&old), "expired"),
        (bearer(&rotated), "rotated"),
    ];
    for (value, reason) in &cases {
        let said = crate::support::server::verified(&env, value, &[]);
        assert_eq!(said["reason"], *reason, "verify on {value:?}: {said}");
        let r = gate.ask("GET", target, &[("Authorization", value)]);
        r.unauthorized();
        gate.logged(path, 401, reason);
    }
    // The same on the Envoy-style path and for another method.
    let auth = bearer(&off);
    gate.ask("POST", "/authz/acme/dns/zones", &[("Authorization", &auth)])
        .unauthorized();
    gate.logged("/authz/acme/dns/zones", 401, "disabled");
    // The valid key still works, so the 401s are about the tokens.
    gate.get(target, &good, &[]).allowed("good", "acme", &["*"]);
    let log = gate.log();
    for (value, _) in &cases {
        let token = value.rsplit(' ').next().unwrap();
        if token.len() >= 20 {
            assert!(!log.contains(token), "the log holds a token:\n{log}");
        }
    }
}

#[test]
fn a_token_over_64_kib_is_one_more_401() {
    let env = TestEnv::new();
    env.create("ci", &["-p", "*"]);
    let gate = Gate::start(&env, &[]);
    let value = bearer(&"a".repeat(65 * 1024 + 1));
    let said = crate::support::server::verified(&env, &value, &[]);
    assert_eq!(said["reason"], "bad-input", "{said}");
    gate.ask("GET", "/authz/acme", &[("Authorization", &value)])
        .unauthorized();
    gate.logged("/authz/acme", 401, "bad-input");
}

/// Base64 (standard alphabet, padded), for Basic credentials.
fn base64_of(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn basic_credentials_carry_the_token_as_password() {
    let env = TestEnv::new();
    let ci = env.create("ci", &["-p", "dns:read"]);
    let gate = Gate::start(&env, &[]);
    for user in ["", "ci", "any user"] {
        let auth = format!("Basic {}", base64_of(&format!("{user}:{ci}")));
        gate.ask(
            "GET",
            "/authz/acme?permission=dns:read",
            &[("Authorization", &auth)],
        )
        .allowed("ci", "acme", &["dns:read"]);
    }
}

#[test]
fn a_working_key_without_what_is_required_gets_403_naming_the_reason_not_the_key() {
    let env = TestEnv::new();
    let reader = env.create("k-reader-7", &["-p", "dns:read"]);
    let zone = env.create("k-zone-7", &["-p", "*", "--resource", "example.com"]);
    let far = env.create("k-far-7", &["-p", "*", "--allow-ip", "192.0.2.0/24"]);
    let dns = env.create("k-dns-7", &["-p", "*", "--path-prefix", "/dns"]);
    let gate = Gate::start(&env, &[]);

    gate.get("/authz/acme?permission=dns:write", &reader, &[])
        .forbidden("permission", "k-reader-7");
    gate.logged("/authz/acme", 403, "permission");
    gate.get("/authz/acme?resource=example.org", &zone, &[])
        .forbidden("resource", "k-zone-7");
    gate.logged("/authz/acme", 403, "resource");
    gate.get("/authz/acme?resource=example.com", &zone, &[])
        .allowed("k-zone-7", "acme", &["*"]);
    gate.get(
        "/authz/acme",
        &zone,
        &[("X-Tokenctl-Resource", "example.com")],
    )
    .allowed("k-zone-7", "acme", &["*"]);
    gate.get(
        "/authz/acme",
        &zone,
        &[("X-Tokenctl-Resource", "example.org")],
    )
    .forbidden("resource", "k-zone-7");
    // The peer is 127.0.0.1.
    gate.get("/authz/acme", &far, &[])
        .forbidden("ip", "k-far-7");
    gate.logged("/authz/acme", 403, "ip");
    gate.get("/authz/acme", &dns, &[("X-Forwarded-Uri", "/api/other")])
        .forbidden("path", "k-dns-7");
    gate.logged("/authz/acme", 403, "path");
}

#[test]
fn an_unknown_tenant_is_404() {
    let env = TestEnv::new();
    let ci = env.create("ci", &["-p", "*"]);
    let gate = Gate::start(&env, &[]);
    let r = gate.get("/authz/nobody?permission=dns:read", &ci, &[]);
    r.status(404);
    assert_eq!(r.header("x-tokenctl-key"), None);
    assert_eq!(r.header("cache-control"), Some("no-store"), "{r:?}");
    let r = gate.get("/authz/nobody/dns/zones", &ci, &[]);
    r.status(404);
    // The tenant's own key works, so the 404 is the tenant's.
    gate.get("/authz/acme", &ci, &[])
        .allowed("ci", "acme", &["*"]);
}

#[test]
fn an_unknown_query_parameter_or_a_requirement_given_twice_fails_closed_with_500() {
    let env = TestEnv::new();
    let all = env.create("all", &["-p", "*"]);
    let gate = Gate::start(&env, &[]);
    // A key with `*` would pass any permission: the misspelling must not let it through.
    for target in [
        "/authz/acme?permision=dns:read",
        "/authz/acme?permission=dns:read&scope=x",
        "/authz/acme/dns/zones?Permission=dns:read",
        "/authz/acme?resources=example.com",
    ] {
        let r = gate.get(target, &all, &[]);
        r.status(500);
        assert_eq!(r.header("x-tokenctl-key"), None, "{r:?}");
        let path = target.split('?').next().unwrap();
        gate.wait_for_line(|l| l.contains(&format!(" {path} 500 ")));
    }
    // The same requirement from the query and from a header.
    for (target, name, value) in [
        (
            "/authz/acme?permission=dns:read",
            "X-Tokenctl-Permission",
            "dns:read",
        ),
        (
            "/authz/acme?resource=example.com",
            "X-Tokenctl-Resource",
            "example.com",
        ),
        ("/authz/acme?read=dns:read", "X-Tokenctl-Read", "dns:read"),
        (
            "/authz/acme?write=dns:write",
            "X-Tokenctl-Write",
            "dns:write",
        ),
    ] {
        gate.get(
            target,
            &all,
            &[(name, value), ("X-Forwarded-Method", "GET")],
        )
        .status(500);
    }
    // Each form alone is fine.
    gate.get(
        "/authz/acme",
        &all,
        &[("X-Tokenctl-Permission", "dns:read")],
    )
    .allowed("all", "acme", &["*"]);
    gate.get("/authz/acme?permission=dns:read", &all, &[])
        .allowed("all", "acme", &["*"]);
}

#[test]
fn every_permission_given_is_required_in_either_form() {
    let env = TestEnv::new();
    let reader = env.create("reader", &["-p", "dns:read"]);
    let both = env.create("both", &["-p", "dns:read", "-p", "zones:read"]);
    let family = env.create("family", &["-p", "dns:*", "-p", "zones:*"]);
    let gate = Gate::start(&env, &[]);
    let query = "/authz/acme?permission=dns:read&permission=zones:read";
    gate.get(query, &reader, &[])
        .forbidden("permission", "reader");
    gate.get(query, &both, &[])
        .allowed("both", "acme", &["dns:read", "zones:read"]);
    gate.get(query, &family, &[])
        .allowed("family", "acme", &["dns:*", "zones:*"]);
    let headers = [
        ("X-Tokenctl-Permission", "dns:read"),
        ("X-Tokenctl-Permission", "zones:read"),
    ];
    gate.get("/authz/acme", &reader, &headers)
        .forbidden("permission", "reader");
    gate.get("/authz/acme", &both, &headers)
        .allowed("both", "acme", &["dns:read", "zones:read"]);
    // The order does not matter.
    gate.get(
        "/authz/acme?permission=zones:read&permission=dns:read",
        &reader,
        &[],
    )
    .forbidden("permission", "reader");
}

#[test]
fn read_and_write_follow_x_forwarded_method_never_the_gate_s_own() {
    let env = TestEnv::new();
    let reader = env.create("reader", &["-p", "dns:read"]);
    let writer = env.create("writer", &["-p", "dns:write"]);
    let gate = Gate::start(&env, &[]);
    let query = "/authz/acme?read=dns:read&write=dns:write";
    let header_form = [
        ("X-Tokenctl-Read", "dns:read"),
        ("X-Tokenctl-Write", "dns:write"),
    ];
    for safe in ["GET", "HEAD", "OPTIONS"] {
        for (target, extra) in [(query, &[][..]), ("/authz/acme", &header_form[..])] {
            let mut headers = vec![("X-Forwarded-Method", safe)];
            headers.extend_from_slice(extra);
            gate.get(target, &reader, &headers)
                .allowed("reader", "acme", &["dns:read"]);
            gate.get(target, &writer, &headers)
                .forbidden("permission", "writer");
        }
    }
    for unsafe_method in ["POST", "PUT", "PATCH", "DELETE"] {
        for (target, extra) in [(query, &[][..]), ("/authz/acme", &header_form[..])] {
            let mut headers = vec![("X-Forwarded-Method", unsafe_method)];
            headers.extend_from_slice(extra);
            gate.get(target, &reader, &headers)
                .forbidden("permission", "reader");
            gate.get(target, &writer, &headers)
                .allowed("writer", "acme", &["dns:write"]);
        }
    }
    // The gate's own request method is not the client's: a POST to the gate saying GET.
    let auth = bearer(&reader);
    gate.ask(
        "POST",
        query,
        &[("Authorization", &auth), ("X-Forwarded-Method", "GET")],
    )
    .allowed("reader", "acme", &["dns:read"]);
    let auth = bearer(&writer);
    gate.ask(
        "GET",
        query,
        &[("Authorization", &auth), ("X-Forwarded-Method", "DELETE")],
    )
    .allowed("writer", "acme", &["dns:write"]);
    // One without the other fails closed: a lone `read=` would let any key of the tenant
    // write. (The issue gives them together; docs/GATE.md says that one alone is a 500.)
    for (target, headers) in [
        ("/authz/acme?read=dns:read", &[][..]),
        ("/authz/acme?write=dns:write", &[][..]),
        ("/authz/acme", &[("X-Tokenctl-Read", "dns:read")][..]),
        ("/authz/acme", &[("X-Tokenctl-Write", "dns:write")][..]),
    ] {
        for method in ["GET", "POST"] {
            let mut all = vec![("X-Forwarded-Method", method)];
            all.extend_from_slice(headers);
            let r = gate.get(target, &writer, &all);
            r.status(500);
            assert_eq!(r.header("x-tokenctl-key"), None, "{r:?}");
        }
    }
}

/// "The method is `X-Forwarded-Method`": exactly one source. Without it, the gate's own
/// method is no stand-in (Traefik and Caddy ask with GET whatever the client did, nginx with
/// the client's), so a read/write requirement cannot be judged and no key passes.
#[test]
fn without_x_forwarded_method_read_and_write_let_no_key_through() {
    let env = TestEnv::new();
    let reader = env.create("reader", &["-p", "dns:read"]);
    let writer = env.create("writer", &["-p", "dns:write"]);
    let gate = Gate::start(&env, &[]);
    for target in [
        "/authz/acme?read=dns:read&write=dns:write",
        "/authz/acme/dns/zones?read=dns:read&write=dns:write",
    ] {
        for own in ["GET", "POST"] {
            for token in [&reader, &writer] {
                let auth = bearer(token);
                let r = gate.ask(own, target, &[("Authorization", &auth)]);
                assert_ne!(
                    r.status, 200,
                    "read/write judged on the gate's own {own} without X-Forwarded-Method: {r:?}"
                );
                assert_eq!(r.header("x-tokenctl-key"), None, "{r:?}");
            }
        }
    }
}

/// Envoy asks about the client's `/` at `/authz/acme/` (`path_prefix: /authz/acme` and the
/// path `/`): the `{*path}` part is `/`, judged like any other path, not an unknown route.
#[test]
fn the_envoy_form_of_the_root_path_is_judged_on_slash() {
    let env = TestEnv::new();
    let rooted = env.create("rooted", &["-p", "*", "--path-prefix", "=/"]);
    let prefixed = env.create("prefixed", &["-p", "*", "--path-prefix", "/dns"]);
    let gate = Gate::start(&env, &[]);
    gate.get("/authz/acme/", &rooted, &[])
        .allowed("rooted", "acme", &["*"]);
    gate.get("/authz/acme/", &prefixed, &[])
        .forbidden("path", "prefixed");
    gate.get("/authz/acme/?permission=dns:read", &rooted, &[])
        .allowed("rooted", "acme", &["*"]);
}

#[test]
fn the_path_is_x_forwarded_uri_without_its_query_else_the_url_s_rest_else_slash() {
    let env = TestEnv::new();
    let dns = env.create("prefixed", &["-p", "*", "--path-prefix", "/dns"]);
    let root = env.create("rooted", &["-p", "*", "--path-prefix", "=/"]);
    let gate = Gate::start(&env, &[]);

    // X-Forwarded-Uri, its query dropped (a `?` in a path would be refused as not normalised).
    for uri in ["/dns", "/dns/zones", "/dns/zones?name=a/../b", "/dns?"] {
        gate.get("/authz/acme", &dns, &[("X-Forwarded-Uri", uri)])
            .allowed("prefixed", "acme", &["*"]);
    }
    for uri in [
        "/dnsx",
        "/",
        "/api/dns",
        "/dns/../etc",
        "/dns//zones",
        "/dns/%2e%2e/x",
    ] {
        gate.get("/authz/acme", &dns, &[("X-Forwarded-Uri", uri)])
            .forbidden("path", "prefixed");
    }
    // Envoy: the client's path appended to the gate's URL.
    gate.get("/authz/acme/dns/zones", &dns, &[])
        .allowed("prefixed", "acme", &["*"]);
    gate.get("/authz/acme/dns", &dns, &[])
        .allowed("prefixed", "acme", &["*"]);
    gate.get("/authz/acme/dnsx", &dns, &[])
        .forbidden("path", "prefixed");
    gate.get("/authz/acme/api/dns", &dns, &[])
        .forbidden("path", "prefixed");
    // Both: X-Forwarded-Uri wins.
    gate.get(
        "/authz/acme/dns/zones",
        &dns,
        &[("X-Forwarded-Uri", "/other")],
    )
    .forbidden("path", "prefixed");
    gate.get(
        "/authz/acme/other",
        &dns,
        &[("X-Forwarded-Uri", "/dns/zones")],
    )
    .allowed("prefixed", "acme", &["*"]);
    // Neither: `/`.
    gate.get("/authz/acme", &root, &[])
        .allowed("rooted", "acme", &["*"]);
    gate.get("/authz/acme", &dns, &[])
        .forbidden("path", "prefixed");
    gate.get("/authz/acme/x", &root, &[])
        .forbidden("path", "rooted");
    // No X-Original-URI, no X-Real-IP: other proxies' names are not read.
    gate.get(
        "/authz/acme",
        &dns,
        &[("X-Original-URI", "/dns/zones"), ("X-Original-Url", "/dns")],
    )
    .forbidden("path", "prefixed");
}

#[test]
fn the_address_is_the_peer_or_with_trust_proxy_the_last_x_forwarded_for() {
    let env = TestEnv::new();
    let far = env.create("far", &["-p", "*", "--allow-ip", "192.0.2.0/24"]);
    let near = env.create("near", &["-p", "*", "--allow-ip", "127.0.0.1/32"]);
    {
        let gate = Gate::start(&env, &[]);
        // Without --trust-proxy a client's header counts for nothing.
        for xff in ["192.0.2.7", "198.51.100.1, 192.0.2.7"] {
            gate.get("/authz/acme", &far, &[("X-Forwarded-For", xff)])
                .forbidden("ip", "far");
            gate.get("/authz/acme", &near, &[("X-Forwarded-For", xff)])
                .allowed("near", "acme", &["*"]);
        }
        gate.get("/authz/acme", &far, &[("X-Real-IP", "192.0.2.7")])
            .forbidden("ip", "far");
    }
    let gate = Gate::start(&env, &["--trust-proxy"]);
    // The last entry: the one the proxy in front added.
    gate.get(
        "/authz/acme",
        &far,
        &[("X-Forwarded-For", "198.51.100.1, 192.0.2.7")],
    )
    .allowed("far", "acme", &["*"]);
    gate.get(
        "/authz/acme",
        &far,
        &[("X-Forwarded-For", "192.0.2.7, 198.51.100.1")],
    )
    .forbidden("ip", "far");
    gate.get("/authz/acme", &near, &[("X-Forwarded-For", "192.0.2.7")])
        .forbidden("ip", "near");
    gate.get("/authz/acme", &near, &[("X-Forwarded-For", "127.0.0.1")])
        .allowed("near", "acme", &["*"]);
    // X-Real-IP is no source even with --trust-proxy.
    gate.get(
        "/authz/acme",
        &far,
        &[("X-Real-IP", "192.0.2.7"), ("X-Forwarded-For", "127.0.0.1")],
    )
    .forbidden("ip", "far");
}

#[test]
fn revocation_is_seen_by_the_very_next_request() {
    let env = TestEnv::new();
    let a = env.create("key-a", &["-p", "dns:read"]);
    let b = env.create("key-b", &["-p", "dns:read"]);
    let c = env.create("key-c", &["-p", "dns:read"]);
    let gate = Gate::start(&env, &[]);
    let q = "/authz/acme?permission=dns:read";
    for t in [&a, &b, &c] {
        gate.get(q, t, &[]).status(200);
    }
    // Each command returns, and the very next request is judged on the new file: no sleep.
    env.run(&["update", "key-a", "--disable"]).success();
    gate.get(q, &a, &[]).unauthorized();
    gate.logged("/authz/acme", 401, "disabled");
    env.run(&["update", "key-a", "--enable"]).success();
    gate.get(q, &a, &[]).allowed("key-a", "acme", &["dns:read"]);
    env.run(&[
        "update",
        "key-a",
        "--remove-permission",
        "dns:read",
        "--add-permission",
        "x:y",
    ])
    .success();
    gate.get(q, &a, &[]).forbidden("permission", "key-a");
    env.run(&["delete", "key-b", "--yes"]).success();
    gate.get(q, &b, &[]).unauthorized();
    gate.logged("/authz/acme", 401, "unknown");
    let new_c = env.run(&["rotate", "key-c"]).success().secret();
    gate.remember_token(&new_c);
    gate.get(q, &c, &[]).unauthorized();
    gate.get(q, &new_c, &[])
        .allowed("key-c", "acme", &["dns:read"]);
    // Many writes in a row, each seen by the request right after it.
    for i in 0..10 {
        let name = format!("quick-{i}");
        let t = env.create(&name, &["-p", "dns:read"]);
        gate.remember_token(&t);
        gate.get(q, &t, &[]).allowed(&name, "acme", &["dns:read"]);
        env.run(&["delete", &name, "--yes"]).success();
        gate.get(q, &t, &[]).unauthorized();
    }
}

#[test]
fn requests_racing_rewrites_of_the_file_never_fail_a_key_that_stays() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let env = TestEnv::new();
    let stable = env.create("stable", &["-p", "dns:read"]);
    let gate = Gate::start(&env, &[]);
    let port = gate.port();
    let stop = AtomicBool::new(false);
    let auth = bearer(&stable);
    let (answers, failures) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let (mut n, mut failed) = (0, Vec::new());
                    while !stop.load(Ordering::Relaxed) {
                        let r = raw(
                            port,
                            "GET",
                            "/authz/acme?permission=dns:read",
                            &[("Authorization", &auth)],
                            "",
                        );
                        n += 1;
                        if r.status != 200 || r.header("x-tokenctl-key") != Some("stable") {
                            failed.push(r);
                        }
                    }
                    (n, failed)
                })
            })
            .collect();
        // Each write replaces the file; each new key works on the request right after it.
        for i in 0..15 {
            let name = format!("temp-{i}");
            let t = env.create(&name, &["-p", "dns:read"]);
            gate.remember_token(&t);
            gate.get("/authz/acme?permission=dns:read", &t, &[])
                .allowed(&name, "acme", &["dns:read"]);
            env.run(&["delete", &name, "--yes"]).success();
            gate.get("/authz/acme?permission=dns:read", &t, &[])
                .unauthorized();
        }
        stop.store(true, Ordering::Relaxed);
        workers.into_iter().map(|w| w.join().unwrap()).fold(
            (0, Vec::new()),
            |(n, mut f), (m, g)| {
                f.extend(g);
                (n + m, f)
            },
        )
    });
    assert!(answers > 0);
    assert!(
        failures.is_empty(),
        "{} of {answers} requests of a key that stayed failed during reloads: {:?}",
        failures.len(),
        failures.first()
    );
}

/// Deleting a tenant's file is no broken file: the tenant is gone at once (404), never judged
/// on its last good index.
#[test]
fn a_deleted_file_is_a_tenant_gone_not_a_last_good_index() {
    let env = TestEnv::new();
    let ci = env.create("ci", &["-p", "dns:read"]);
    let gate = Gate::start(&env, &[]);
    gate.get("/authz/acme", &ci, &[])
        .allowed("ci", "acme", &["dns:read"]);
    let saved = env.bytes();
    std::fs::remove_file(env.file()).unwrap();
    let r = gate.get("/authz/acme", &ci, &[]);
    r.status(404);
    assert_eq!(r.header("x-tokenctl-key"), None, "{r:?}");
    env.write(saved);
    gate.get("/authz/acme", &ci, &[])
        .allowed("ci", "acme", &["dns:read"]);
}

/// A file that no longer loads: tokenctl reads none of its keys.
const BROKEN: &str = "version: 1\napiKeys:\n  ci: [unclosed\n";

#[test]
fn a_file_broken_by_hand_keeps_the_last_good_index_and_says_so_loudly() {
    let env = TestEnv::new();
    let ci = env.create("ci", &["-p", "dns:read"]);
    let console = crate::support::server::with_admin(&env);
    let gate = Gate::start(&env, &[]);
    gate.remember_token(&console);
    let q = "/authz/acme?permission=dns:read";
    gate.get(q, &ci, &[]).allowed("ci", "acme", &["dns:read"]);
    let good = env.read();
    let before = gate.log().lines().count();
    env.write(BROKEN);
    assert_ne!(env.run(&["check"]).code, 0, "BROKEN loads");
    // The last good index judges: the valid key still passes, a stranger still fails.
    gate.get(q, &ci, &[]).allowed("ci", "acme", &["dns:read"]);
    gate.get(q, &stranger_token(), &[]).unauthorized();
    // Loudly: a line of the server's own (not an access-log line) naming the tenant.
    gate.wait_for_new_line(before, |l| {
        l.starts_with("tokenctl serve") && l.contains("acme")
    });
    // The admin API does not take the last good index: 500, as before the gate.
    gate.get("/api/acme/whoami", &console, &[]).status(500);
    // A good file again: judged on it at once.
    env.write(good.replace("dns:read", "dns:write"));
    gate.get(q, &ci, &[]).forbidden("permission", "ci");
    gate.get("/authz/acme?permission=dns:write", &ci, &[])
        .allowed("ci", "acme", &["dns:write"]);
}

#[test]
fn with_fail_closed_a_broken_file_gets_500_until_it_loads_again() {
    let env = TestEnv::new();
    let ci = env.create("ci", &["-p", "dns:read"]);
    // A second tenant under the same root, whose file stays good.
    let beta = env
        .run(&[
            "--tenant",
            "beta",
            "create",
            "ci",
            "-p",
            "dns:read",
            "--new-tenant",
        ])
        .success()
        .secret();
    let gate = Gate::start(&env, &["--fail-closed"]);
    gate.remember_token(&beta);
    let q = "/authz/acme?permission=dns:read";
    gate.get(q, &ci, &[]).allowed("ci", "acme", &["dns:read"]);
    let good = env.read();
    env.write(BROKEN);
    for t in [ci.clone(), stranger_token()] {
        let r = gate.get(q, &t, &[]);
        r.status(500);
        assert_eq!(r.header("x-tokenctl-key"), None, "{r:?}");
    }
    // Only that tenant.
    gate.get("/authz/beta?permission=dns:read", &beta, &[])
        .allowed("ci", "beta", &["dns:read"]);
    env.write(good);
    gate.get(q, &ci, &[]).allowed("ci", "acme", &["dns:read"]);
}

#[test]
fn no_admin_serves_only_the_gate_and_no_authz_only_the_admin_api() {
    let env = TestEnv::new();
    let console = crate::support::server::with_admin(&env);
    {
        let gate = Gate::start(&env, &["--no-admin"]);
        gate.remember_token(&console);
        for (method, path) in [
            ("GET", "/api/acme/whoami"),
            ("GET", "/api/acme/admin/apiKeys"),
            ("POST", "/api/acme/admin/apiKeys"),
            ("DELETE", "/api/acme/admin/apiKeys/console"),
        ] {
            let auth = bearer(&console);
            let r = raw(
                gate.port(),
                method,
                path,
                &[
                    ("Authorization", &auth),
                    ("Content-Type", "application/json"),
                ],
                if method == "POST" {
                    r#"{"name": "x"}"#
                } else {
                    ""
                },
            );
            r.status(404);
        }
        gate.get("/authz/acme", &console, &[]).allowed(
            "console",
            "acme",
            &["tenant.apiKey:read", "tenant.apiKey:write"],
        );
        let r = gate.ask("GET", "/healthz", &[]);
        assert_eq!((r.status, r.body.as_str()), (200, "ok"));
        // Nothing was written.
        assert_eq!(env.run(&["list", "-q"]).success().stdout, "console\n");
    }
    let api = Gate::start(&env, &["--no-authz"]);
    api.remember_token(&console);
    for target in ["/authz/acme", "/authz/acme/dns", "/authz/acme?permission=x"] {
        api.get(target, &console, &[]).status(404);
    }
    let r = api.get("/api/acme/whoami", &console, &[]);
    r.status(200);
    assert!(r.body.contains("\"console\""), "{r:?}");
}

#[test]
fn serving_one_file_answers_authz_with_or_without_the_tenant_s_name() {
    let env = TestEnv::new();
    let ci = env.create("ci", &["-p", "dns:read"]);
    let file = env.file().display().to_string();
    {
        let mut cmd = env.std_cmd();
        cmd.env_remove("TOKENCTL_TENANT")
            .env_remove("TOKENCTL_ROOT");
        let gate = Gate::start_cmd(cmd, &["--file", &file]);
        gate.get("/authz?permission=dns:read", &ci, &[])
            .allowed("ci", "default", &["dns:read"]);
        gate.get("/authz/default?permission=dns:read", &ci, &[])
            .allowed("ci", "default", &["dns:read"]);
        gate.get("/authz/default/dns", &ci, &[])
            .allowed("ci", "default", &["dns:read"]);
        gate.get("/authz?permission=dns:write", &ci, &[])
            .forbidden("permission", "ci");
    }
    let mut cmd = env.std_cmd();
    cmd.env_remove("TOKENCTL_TENANT")
        .env_remove("TOKENCTL_ROOT");
    let gate = Gate::start_cmd(cmd, &["--file", &file, "--tenant", "acme"]);
    gate.get("/authz?permission=dns:read", &ci, &[])
        .allowed("ci", "acme", &["dns:read"]);
    gate.get("/authz/acme?permission=dns:read", &ci, &[])
        .allowed("ci", "acme", &["dns:read"]);
    gate.get("/authz/beta?permission=dns:read", &ci, &[])
        .status(404);
}

// ---------------------------------------------------------------------------------------
// Behind real proxies.

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[track_caller]
fn wait_listening(port: u16, what: &str, log: &Path) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what} did not listen on {port}: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The application behind the proxy: says what it was given, so the test sees what the
/// proxy passed on.
const ECHO: &str = "key=[$http_x_tokenctl_key] authorization=[$http_authorization] method=[$request_method] uri=[$request_uri]\\n";

/// docs/GATE.md's recipe in a real nginx in front of the gate, with an upstream server that
/// echoes; its own folder for logs and temp files.
struct NginxFront {
    port: u16,
    dir: tempfile::TempDir,
    _nginx: Running,
}

impl NginxFront {
    fn start(gate: &Gate) -> NginxFront {
        need("nginx");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let port = free_port();
        let app = free_port();
        let recipe = NGINX_RECIPE
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{}", gate.port()))
            .replace("127.0.0.1:9000", &format!("127.0.0.1:{app}"))
            .replace("    listen 80;", &format!("    listen 127.0.0.1:{port};"));
        assert_ne!(recipe, NGINX_RECIPE);
        let p = |name: &str| d.join(name).display().to_string();
        let conf = format!(
            "worker_processes 1;\npid {pid};\nerror_log {error} info;\nevents {{}}\nhttp {{\n  \
             access_log {access};\n  client_body_temp_path {body};\n  proxy_temp_path {proxy};\n  \
             fastcgi_temp_path {fastcgi};\n  uwsgi_temp_path {uwsgi};\n  scgi_temp_path {scgi};\n\
             {recipe}\n  server {{\n    listen 127.0.0.1:{app};\n    access_log {app_log};\n    \
             default_type text/plain;\n    location / {{\n      return 200 \"{ECHO}\";\n    }}\n  }}\n}}\n",
            pid = p("nginx.pid"),
            error = p("error.log"),
            access = p("access.log"),
            body = p("body"),
            proxy = p("proxy"),
            fastcgi = p("fastcgi"),
            uwsgi = p("uwsgi"),
            scgi = p("scgi"),
            app_log = p("app.log"),
        );
        std::fs::write(d.join("nginx.conf"), conf).unwrap();
        let nginx = |extra: &[&str]| {
            let mut c = Command::new("nginx");
            c.arg("-p")
                .arg(d)
                .arg("-c")
                .arg(d.join("nginx.conf"))
                .arg("-e")
                .arg(d.join("error.log"))
                .args(extra);
            c
        };
        let test = nginx(&["-t"]).output().unwrap();
        assert!(
            test.status.success(),
            "nginx -t: {}",
            String::from_utf8_lossy(&test.stderr)
        );
        let child = nginx(&["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let running = Running(child);
        wait_listening(port, "nginx", &d.join("error.log"));
        wait_listening(app, "nginx's upstream", &d.join("error.log"));
        NginxFront {
            port,
            dir,
            _nginx: running,
        }
    }

    /// Every log nginx wrote.
    fn logs(&self) -> String {
        ["access.log", "app.log", "error.log"]
            .iter()
            .map(|f| std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default())
            .collect()
    }

    /// How many requests reached the application.
    fn reached_app(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("app.log"))
            .unwrap_or_default()
            .lines()
            .count()
    }
}

/// `curl` (the headers, token included, from a file, never argv; the path as written).
fn curl(port: u16, scratch: &Path, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let header_file = scratch.join("curl-headers");
    let head_file = scratch.join("curl-head");
    let body_file = scratch.join("curl-body");
    let mut text = String::new();
    for (n, v) in headers {
        text.push_str(&format!("{n}: {v}\n"));
    }
    std::fs::write(&header_file, text).unwrap();
    let out = Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--max-time",
            "20",
            "--path-as-is",
        ])
        .args(["-X", method])
        .arg("-H")
        .arg(format!("@{}", header_file.display()))
        .arg("-D")
        .arg(&head_file)
        .arg("-o")
        .arg(&body_file)
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .expect("curl runs (apt-get install curl)");
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut bytes = std::fs::read(&head_file).unwrap();
    bytes.extend(std::fs::read(&body_file).unwrap());
    // curl -D writes the head without its body's framing: the body is whole.
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut answer = parse(&bytes[..head_end], true);
    answer.body = String::from_utf8(bytes[head_end..].to_vec()).unwrap();
    answer
}

#[test]
#[ignore = "needs nginx and curl; scripts/test runs it"]
fn the_nginx_recipe_lets_the_gate_decide_and_the_client_change_nothing() {
    need("curl");
    let env = TestEnv::new();
    let reader = env.create("reader", &["-p", "dns:read"]);
    let writer = env.create("writer", &["-p", "dns:read", "-p", "dns:write"]);
    let zones = env.create("zones", &["-p", "dns:*", "--path-prefix", "/dns/zones"]);
    let far = env.create("far", &["-p", "dns:*", "--allow-ip", "192.0.2.0/24"]);
    let near = env.create("near", &["-p", "dns:*", "--allow-ip", "127.0.0.1/32"]);
    let off = env.create("off", &["-p", "dns:*", "--disabled"]);
    let gate = Gate::start(&env, &["--no-admin", "--trust-proxy"]);
    for t in [&reader, &writer, &zones, &far, &near, &off] {
        gate.remember_token(t);
    }
    let nginx = NginxFront::start(&gate);
    let scratch = tempfile::tempdir().unwrap();
    let ask = |method: &str, path: &str, token: Option<&str>, extra: &[(&str, &str)]| {
        let auth = token.map(bearer);
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(a) = &auth {
            headers.push(("Authorization", a));
        }
        headers.extend_from_slice(extra);
        curl(nginx.port, scratch.path(), method, path, &headers)
    };
    let mut allowed = 0;
    #[track_caller]
    fn upstream_saw(r: &Answer, key: &str, method: &str, uri: &str) {
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(
            r.body,
            format!("key=[{key}] authorization=[] method=[{method}] uri=[{uri}]\n"),
            "what the application was given"
        );
    }

    // Allowed: the key's name passed upstream, the token not.
    upstream_saw(
        &ask("GET", "/dns/zones", Some(&reader), &[]),
        "reader",
        "GET",
        "/dns/zones",
    );
    allowed += 1;
    // 401: nginx answers 401 itself and passes the gate's WWW-Authenticate on.
    for token in [
        None,
        Some(off.as_str()),
        Some("tk_not-a-token-of-anyone-at-all-000"),
    ] {
        let r = ask("GET", "/dns/zones", token, &[]);
        assert_eq!(r.status, 401, "{r:?}");
        assert_eq!(r.header("www-authenticate"), Some("Bearer"), "{r:?}");
    }
    gate.logged("/authz/acme", 401, "missing");
    gate.logged("/authz/acme", 401, "disabled");
    // Per-method scopes: dns:write for POST.
    let r = ask("POST", "/dns/zones", Some(&reader), &[]);
    assert_eq!(r.status, 403, "{r:?}");
    gate.logged("/authz/acme", 403, "permission");
    upstream_saw(
        &ask("POST", "/dns/zones", Some(&writer), &[]),
        "writer",
        "POST",
        "/dns/zones",
    );
    allowed += 1;

    // A client's own headers change no verdict.
    let r = ask(
        "POST",
        "/dns/zones",
        Some(&reader),
        &[("X-Forwarded-Method", "GET")],
    );
    assert_eq!(r.status, 403, "a forged X-Forwarded-Method: {r:?}");
    for forged in [
        ("X-Tokenctl-Permission", "nothing:ever"),
        ("X-Tokenctl-Read", "nothing:ever"),
        ("X-Tokenctl-Write", "nothing:ever"),
        ("X-Tokenctl-Resource", "nothing"),
    ] {
        let r = ask("GET", "/dns/zones", Some(&reader), &[forged]);
        upstream_saw(&r, "reader", "GET", "/dns/zones");
        allowed += 1;
    }
    let r = ask(
        "POST",
        "/dns/zones",
        Some(&reader),
        &[("X-Tokenctl-Write", "dns:read")],
    );
    assert_eq!(r.status, 403, "a forged X-Tokenctl-Write: {r:?}");
    // The client's query is not the gate's.
    let r = ask(
        "GET",
        "/dns/zones?permission=nothing&read=nothing",
        Some(&reader),
        &[],
    );
    upstream_saw(
        &r,
        "reader",
        "GET",
        "/dns/zones?permission=nothing&read=nothing",
    );
    allowed += 1;
    let r = ask("POST", "/dns/zones?write=dns:read", Some(&reader), &[]);
    assert_eq!(r.status, 403, "{r:?}");
    // A client's own X-Tokenctl-Key never reaches the application.
    let r = ask(
        "GET",
        "/dns/zones",
        Some(&reader),
        &[("X-Tokenctl-Key", "writer")],
    );
    upstream_saw(&r, "reader", "GET", "/dns/zones");
    allowed += 1;

    // Paths: X-Forwarded-Uri is the request's, whatever the client says.
    upstream_saw(
        &ask("GET", "/dns/zones/example.com", Some(&zones), &[]),
        "zones",
        "GET",
        "/dns/zones/example.com",
    );
    allowed += 1;
    let r = ask("GET", "/dns/records", Some(&zones), &[]);
    assert_eq!(r.status, 403, "{r:?}");
    gate.logged("/authz/acme", 403, "path");
    let r = ask(
        "GET",
        "/dns/records",
        Some(&zones),
        &[("X-Forwarded-Uri", "/dns/zones")],
    );
    assert_eq!(r.status, 403, "a forged X-Forwarded-Uri: {r:?}");
    // nginx matches locations on the normalised path, the gate judges the one sent.
    let r = ask("GET", "/dns/zones/../records", Some(&zones), &[]);
    assert_eq!(r.status, 403, "a dot segment: {r:?}");

    // Addresses: the one nginx saw, whatever X-Forwarded-For the client sends.
    let r = ask(
        "GET",
        "/dns/zones",
        Some(&far),
        &[("X-Forwarded-For", "192.0.2.7")],
    );
    assert_eq!(r.status, 403, "a forged X-Forwarded-For: {r:?}");
    gate.logged("/authz/acme", 403, "ip");
    let r = ask(
        "GET",
        "/dns/zones",
        Some(&near),
        &[("X-Forwarded-For", "192.0.2.7")],
    );
    upstream_saw(&r, "near", "GET", "/dns/zones");
    allowed += 1;

    // Only allowed requests reached the application.
    assert_eq!(nginx.reached_app(), allowed, "{}", nginx.logs());
    // No token in any log line: nginx's, the gate's (checked again when the gate drops).
    let logs = format!("{}{}", nginx.logs(), gate.log());
    for t in [&reader, &writer, &zones, &far, &near, &off] {
        assert!(!logs.contains(t.as_str()), "a log holds a token:\n{logs}");
    }
}

#[test]
#[ignore = "needs nginx and curl; scripts/test runs it"]
fn behind_nginx_a_revocation_is_seen_on_the_next_request() {
    need("curl");
    let env = TestEnv::new();
    let a = env.create("a", &["-p", "dns:*"]);
    let b = env.create("b", &["-p", "dns:*"]);
    let c = env.create("c", &["-p", "dns:*"]);
    let gate = Gate::start(&env, &["--no-admin", "--trust-proxy"]);
    let nginx = NginxFront::start(&gate);
    let scratch = tempfile::tempdir().unwrap();
    let ask = |token: &str| {
        gate.remember_token(token);
        let auth = bearer(token);
        curl(
            nginx.port,
            scratch.path(),
            "GET",
            "/dns/zones",
            &[("Authorization", &auth)],
        )
    };
    for t in [&a, &b, &c] {
        assert_eq!(ask(t).status, 200);
    }
    env.run(&["update", "a", "--disable"]).success();
    assert_eq!(ask(&a).status, 401);
    env.run(&["delete", "b", "--yes"]).success();
    assert_eq!(ask(&b).status, 401);
    let new_c = env.run(&["rotate", "c"]).success().secret();
    assert_eq!(ask(&c).status, 401);
    let r = ask(&new_c);
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.starts_with("key=[c] "), "{r:?}");
    // A file broken by hand: the last good index still judges behind the proxy.
    env.write(BROKEN);
    let r = ask(&new_c);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(ask(&a).status, 401);
    let logs = format!("{}{}", nginx.logs(), gate.log());
    for t in [&a, &b, &c, &new_c] {
        assert!(!logs.contains(t.as_str()), "a log holds a token:\n{logs}");
    }
}

#[test]
#[ignore = "needs caddy and curl; scripts/test runs it"]
fn the_caddy_recipe_lets_the_gate_decide_and_passes_the_key_s_name() {
    need("caddy");
    need("curl");
    let env = TestEnv::new();
    let reader = env.create("reader", &["-p", "dns:read"]);
    let writer = env.create("writer", &["-p", "dns:write"]);
    let far = env.create("far", &["-p", "dns:*", "--allow-ip", "192.0.2.0/24"]);
    let zones = env.create("zones", &["-p", "dns:*", "--path-prefix", "/dns/zones"]);
    let gate = Gate::start(&env, &["--no-admin", "--trust-proxy"]);
    for t in [&reader, &writer, &far, &zones] {
        gate.remember_token(t);
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    let app = free_port();
    let caddyfile = format!(
        "{}\nhttp://127.0.0.1:{app} {{\n\trespond \"key=[{{header.X-Tokenctl-Key}}] \
         authorization=[{{header.Authorization}}] method=[{{method}}] uri=[{{uri}}]\" 200\n}}\n",
        CADDY_RECIPE
            .replace(
                "http://api.example.com",
                &format!("http://127.0.0.1:{port}")
            )
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{}", gate.port()))
            .replace("127.0.0.1:9000", &format!("127.0.0.1:{app}"))
    );
    std::fs::write(d.join("Caddyfile"), caddyfile).unwrap();
    let log = d.join("caddy.log");
    let validate = Command::new("caddy")
        .args(["validate", "--adapter", "caddyfile", "--config"])
        .arg(d.join("Caddyfile"))
        .env("HOME", d)
        .env("XDG_DATA_HOME", d.join("data"))
        .env("XDG_CONFIG_HOME", d.join("config"))
        .output()
        .unwrap();
    assert!(
        validate.status.success(),
        "caddy validate: {}",
        String::from_utf8_lossy(&validate.stderr)
    );
    let _caddy = Running(
        Command::new("caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(d.join("Caddyfile"))
            .env("HOME", d)
            .env("XDG_DATA_HOME", d.join("data"))
            .env("XDG_CONFIG_HOME", d.join("config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("caddy starts"),
    );
    wait_listening(port, "caddy", &log);
    wait_listening(app, "caddy's upstream", &log);
    let scratch = tempfile::tempdir().unwrap();
    let ask = |method: &str, path: &str, token: Option<&str>, extra: &[(&str, &str)]| {
        let auth = token.map(bearer);
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(a) = &auth {
            headers.push(("Authorization", a));
        }
        headers.extend_from_slice(extra);
        curl(port, scratch.path(), method, path, &headers)
    };

    // Allowed: the key's name upstream, the token not.
    let r = ask("GET", "/dns/zones", Some(&reader), &[]);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body,
        "key=[reader] authorization=[] method=[GET] uri=[/dns/zones]"
    );
    // 401: Caddy hands the gate's answer to the client as it is.
    for token in [None, Some(stranger_token())] {
        let r = ask("GET", "/dns/zones", token.as_deref(), &[]);
        r.unauthorized();
    }
    gate.logged("/authz/acme", 401, "missing");
    gate.logged("/authz/acme", 401, "unknown");
    // 403: permission (the recipe requires dns:read), address, path.
    ask("GET", "/dns/zones", Some(&writer), &[]).forbidden("permission", "writer");
    ask(
        "GET",
        "/dns/zones",
        Some(&far),
        &[("X-Forwarded-For", "192.0.2.7")],
    )
    .forbidden("ip", "far");
    ask(
        "GET",
        "/dns/records",
        Some(&zones),
        &[("X-Forwarded-Uri", "/dns/zones")],
    )
    .forbidden("path", "zones");
    let r = ask("GET", "/dns/zones/a", Some(&zones), &[]);
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.starts_with("key=[zones] "), "{r:?}");
    // The client's own requirement headers and key header change nothing.
    let r = ask(
        "GET",
        "/dns/zones",
        Some(&reader),
        &[
            ("X-Tokenctl-Permission", "nothing:ever"),
            ("X-Tokenctl-Key", "writer"),
        ],
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.starts_with("key=[reader] "), "{r:?}");
    let r = ask("GET", "/dns/zones?permission=nothing", Some(&reader), &[]);
    assert_eq!(r.status, 200, "the client's query is not the gate's: {r:?}");
    // No token in Caddy's log or the gate's.
    let logs = format!("{}{}", std::fs::read_to_string(&log).unwrap(), gate.log());
    for t in [&reader, &writer, &far, &zones] {
        assert!(!logs.contains(t.as_str()), "a log holds a token:\n{logs}");
    }
}

// ---------------------------------------------------------------------------------------
// Last use and metrics.

#[test]
fn record_writes_last_use_beside_the_file_and_without_it_nothing_is_written() {
    let env = TestEnv::new();
    let ci = env.create("ci", &["-p", "dns:read"]);
    let before = env.bytes();
    let usage = env.file().with_file_name("security.usage.yml");
    {
        let mut gate = Gate::start(&env, &[]);
        for _ in 0..3 {
            gate.get("/authz/acme?permission=dns:read", &ci, &[])
                .allowed("ci", "acme", &["dns:read"]);
        }
        assert!(gate.stop("TERM").success());
        assert!(!usage.exists(), "a use recorded without --record");
    }
    let gate = Gate::start(&env, &["--record", "--no-admin"]);
    gate.get("/authz/acme?permission=dns:read", &ci, &[])
        .allowed("ci", "acme", &["dns:read"]);
    let start = Instant::now();
    loop {
        let shown = crate::support::server::shown(&env, "ci");
        if shown["lastUsedAt"] == NOW {
            assert_eq!(shown["lastUsedFrom"], "127.0.0.1", "{shown}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(70),
            "the gate's use of ci was never recorded: {shown}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Recording never rewrites security.yml, even with --no-admin.
    assert_eq!(env.bytes(), before);
}

/// The value of the samples of `name` whose labels include every pair of `labels`, summed
/// (None when there is none); Prometheus' or OpenMetrics' text format.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = match line.rsplit_once(' ') {
            Some(x) => x,
            None => continue,
        };
        let (metric, set) = match series.split_once('{') {
            Some((m, rest)) => (m, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        if metric != name {
            continue;
        }
        let has = |k: &str, v: &str| {
            set.split(',')
                .any(|pair| pair.trim() == format!("{k}=\"{v}\""))
        };
        if labels.iter().all(|(k, v)| has(k, v)) {
            let v: f64 = value.parse().unwrap_or_else(|_| panic!("a value: {line}"));
            found = Some(found.unwrap_or(0.0) + v);
        }
    }
    found
}

fn metrics(port: u16) -> String {
    let r = raw(port, "GET", "/metrics", &[], "");
    assert_eq!(r.status, 200, "{r:?}");
    r.body
}

#[test]
fn metrics_listen_counts_each_verdict_by_reason_on_its_own_listener_only() {
    let env = TestEnv::new();
    let ci = env.create("k-metric-ci", &["-p", "dns:read"]);
    let mport = free_port();
    let listen = format!("127.0.0.1:{mport}");
    let gate = Gate::start(&env, &["--metrics-listen", &listen]);
    wait_listening(mport, "the metrics listener", Path::new("/dev/null"));
    let count = |text: &str, reason: &str| {
        sample(
            text,
            "tokenctl_authz_requests_total",
            &[("tenant", "acme"), ("reason", reason)],
        )
        .unwrap_or(0.0)
    };
    let q = "/authz/acme?permission=dns:read";
    // One request first, so that the tenant's file is loaded and its series exist.
    gate.get(q, &ci, &[]).status(200);
    let before = metrics(mport);
    for _ in 0..3 {
        gate.get(q, &ci, &[]).status(200);
    }
    for _ in 0..2 {
        gate.get(q, &stranger_token(), &[]).unauthorized();
    }
    gate.get("/authz/acme?permission=dns:write", &ci, &[])
        .forbidden("permission", "k-metric-ci");
    let after = metrics(mport);
    assert_eq!(
        count(&after, "valid") - count(&before, "valid"),
        3.0,
        "{after}"
    );
    assert_eq!(
        count(&after, "unknown") - count(&before, "unknown"),
        2.0,
        "{after}"
    );
    assert_eq!(
        count(&after, "permission") - count(&before, "permission"),
        1.0,
        "{after}"
    );
    // The file each tenant is judged on, and when it was loaded.
    let digest = format!("sha256:{}", crate::support::sha256_hex(env.bytes()));
    assert_eq!(
        sample(
            &after,
            "tokenctl_file_info",
            &[("tenant", "acme"), ("digest", &digest)]
        ),
        Some(1.0),
        "{after}"
    );
    assert!(
        sample(
            &after,
            "tokenctl_file_loaded_timestamp_seconds",
            &[("tenant", "acme")]
        )
        .is_some_and(|t| t > 0.0),
        "{after}"
    );
    // A latency histogram.
    assert!(
        after
            .lines()
            .any(|l| l.starts_with("tokenctl_") && l.contains("_bucket{") && l.contains("le=")),
        "no histogram: {after}"
    );
    // Key names are not public without --metrics-keys; tokens never.
    assert!(!after.contains("k-metric-ci"), "{after}");
    assert!(!after.contains(&ci), "a token in the metrics");
    assert!(
        !after.contains("tokenctl_key_last_used_timestamp_seconds{"),
        "{after}"
    );
    // A file that does not load: an error counted, still judged on the last good digest.
    let errors = |text: &str| {
        sample(
            text,
            "tokenctl_file_reload_errors_total",
            &[("tenant", "acme")],
        )
        .unwrap_or(0.0)
    };
    env.write(BROKEN);
    gate.get(q, &ci, &[]).status(200);
    let broken = metrics(mport);
    assert!(errors(&broken) > errors(&after), "{broken}");
    assert_eq!(
        sample(
            &broken,
            "tokenctl_file_info",
            &[("tenant", "acme"), ("digest", &digest)]
        ),
        Some(1.0),
        "{broken}"
    );
    // Never on the public listener.
    gate.ask("GET", "/metrics", &[]).status(404);
    let r = gate.ask("GET", "/healthz", &[]);
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
}

#[test]
fn metrics_keys_adds_each_key_s_last_use() {
    let env = TestEnv::new();
    let ci = env.create("k-metric-ci", &["-p", "dns:read"]);
    let mport = free_port();
    let listen = format!("127.0.0.1:{mport}");
    let gate = Gate::start(&env, &["--metrics-listen", &listen, "--metrics-keys"]);
    wait_listening(mport, "the metrics listener", Path::new("/dev/null"));
    gate.get("/authz/acme", &ci, &[]).status(200);
    let text = metrics(mport);
    assert!(
        sample(
            &text,
            "tokenctl_key_last_used_timestamp_seconds",
            &[("tenant", "acme"), ("key", "k-metric-ci")]
        )
        .is_some_and(|t| t > 0.0),
        "{text}"
    );
    assert!(!text.contains(&ci), "a token in the metrics");
}

/// serve's first line on stdout is `listening on http://ADDR` (docs/API.md); a supervisor or
/// script that reads that line and closes the pipe (as support/server.rs's `Api` does) must
/// not stop the server, whatever serve prints afterwards (with `--metrics-listen`, where the
/// metrics are).
/// Origin: the gate's metrics tests, which failed most runs under `Api`: serve exited with
/// "error: <stdout>: writing: Broken pipe" (also `tokenctl serve --metrics-listen
/// 127.0.0.1:0 | head -1`).
#[test]
fn closing_stdout_after_the_first_line_does_not_stop_the_server() {
    let env = TestEnv::new();
    let ci = env.create("ci", &["-p", "dns:read"]);
    let listen = format!("127.0.0.1:{}", free_port());
    let mut api = Api::start(&env, &["--metrics-listen", &listen]);
    api.remember_token(&ci);
    std::thread::sleep(Duration::from_millis(500));
    let status = api.child.as_mut().unwrap().try_wait().unwrap();
    assert!(
        status.is_none(),
        "serve exited ({status:?}) once its stdout was closed:\n{}",
        api.log()
    );
    let auth = bearer(&ci);
    let r = raw(
        api.port,
        "GET",
        "/authz/acme",
        &[("Authorization", &auth)],
        "",
    );
    assert_eq!(r.status, 200, "{r:?}");
}
