//! The harness of the `tokenctl serve` tests: the real binary on a free loopback port, driven
//! by real `curl` and by a Rust HTTP client (ureq). Every response a test gets is recorded and,
//! when the server is dropped, validated against the committed OpenAPI document by Python's
//! reference JSON Schema validator; the server's access log is checked never to hold a token
//! the test used.

#![allow(dead_code)]

use crate::support::env::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Which client sends a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Client {
    Curl,
    Ureq,
}

pub(crate) const CLIENTS: [Client; 2] = [Client::Curl, Client::Ureq];

/// One answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    /// Lower-case names; repeated headers joined with ", ".
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Reply {
    #[track_caller]
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {:?}", self.body))
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub(crate) fn status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.body
        );
        self
    }

    /// Asserts an error answer: the status, `error`, and (when given) `reason` or `field`.
    #[track_caller]
    pub(crate) fn error(&self, status: u16, error: &str) -> serde_json::Value {
        self.status(status);
        assert_eq!(self.header("content-type"), Some("application/json"));
        let body = self.json();
        assert_eq!(body["error"], error, "{body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        body
    }
}

/// The body of every 401, byte for byte.
pub(crate) const UNAUTHORIZED_BODY: &str =
    "{\"error\":\"unauthorized\",\"message\":\"no valid API key\"}\n";

impl Reply {
    /// Asserts a 401: the one body every 401 has (no reason, no key name) and
    /// `WWW-Authenticate: Bearer`.
    #[track_caller]
    pub(crate) fn unauthorized(&self) -> &Self {
        self.status(401);
        assert_eq!(self.body, UNAUTHORIZED_BODY);
        assert_eq!(self.header("content-type"), Some("application/json"));
        assert_eq!(self.header("www-authenticate"), Some("Bearer"));
        assert_eq!(self.header("etag"), None);
        self
    }
}

/// A request to send.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ask<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub token: Option<&'a str>,
    pub body: Option<&'a str>,
    pub headers: Vec<(&'a str, String)>,
}

pub(crate) fn get<'a>(path: &'a str, token: &'a str) -> Ask<'a> {
    Ask {
        method: "GET",
        path,
        token: Some(token),
        ..Ask::default()
    }
}

pub(crate) fn send<'a>(method: &'a str, path: &'a str, token: &'a str, body: &'a str) -> Ask<'a> {
    Ask {
        method,
        path,
        token: Some(token),
        body: Some(body),
        ..Ask::default()
    }
}

impl<'a> Ask<'a> {
    pub(crate) fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// A running `tokenctl serve`, killed when dropped.
pub(crate) struct Api {
    pub child: Option<Child>,
    pub url: String,
    pub port: u16,
    /// The metrics listener's base URL, with `--metrics-listen` (its second line on stdout).
    pub metrics_url: Option<String>,
    log: PathBuf,
    scratch: tempfile::TempDir,
    recorded: Mutex<Vec<serde_json::Value>>,
    tokens: Mutex<Vec<String>>,
    counter: AtomicUsize,
}

/// The committed OpenAPI document.
pub(crate) fn openapi_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas/openapi.json")
}

impl Api {
    /// `tokenctl serve` on a free port, serving every tenant under the env's root.
    pub(crate) fn start(env: &TestEnv, args: &[&str]) -> Api {
        let mut cmd = env.std_cmd();
        cmd.env_remove("TOKENCTL_TENANT");
        Api::start_cmd(cmd, args)
    }

    /// `tokenctl serve` as `cmd` (a tokenctl command with its environment) runs it.
    pub(crate) fn start_cmd(mut cmd: Command, args: &[&str]) -> Api {
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
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        let metrics_url = args.contains(&"--metrics-listen").then(|| {
            let mut second = String::new();
            stdout.read_line(&mut second).unwrap();
            second
                .trim()
                .strip_prefix("metrics on ")
                .and_then(|u| u.strip_suffix("/metrics"))
                .unwrap_or_else(|| panic!("no metrics address: {second:?}"))
                .to_string()
        });
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "tokenctl serve did not start: {line:?}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        };
        let port = url.rsplit(':').next().unwrap().parse().unwrap();
        Api {
            url: url.to_string(),
            port,
            metrics_url,
            child: Some(child),
            log,
            scratch,
            recorded: Mutex::new(Vec::new()),
            tokens: Mutex::new(Vec::new()),
            counter: AtomicUsize::new(0),
        }
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Waits until the log holds `needle` (at most 20 s).
    #[track_caller]
    pub(crate) fn wait_for_log(&self, needle: &str) {
        let start = Instant::now();
        while !self.log().contains(needle) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the log never said {needle:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `ask` with `client` and records the answer.
    pub(crate) fn ask(&self, client: Client, ask: Ask) -> Reply {
        if let Some(t) = ask.token {
            self.remember_token(t);
        }
        let reply = match client {
            Client::Curl => self.curl(&ask),
            Client::Ureq => self.ureq(&ask),
        };
        self.record(&ask, &reply);
        reply
    }

    /// A token to look for in the log (where it must never be).
    pub(crate) fn remember_token(&self, token: &str) {
        if token.len() >= 20 {
            self.tokens.lock().unwrap().push(token.to_string());
        }
    }

    pub(crate) fn record(&self, ask: &Ask, reply: &Reply) {
        self.recorded.lock().unwrap().push(serde_json::json!({
            "method": ask.method,
            "path": ask.path.split('?').next().unwrap(),
            "status": reply.status,
            "headers": reply.headers,
            "body": reply.body,
        }));
    }

    fn scratch_file(&self, what: &str, contents: &[u8]) -> PathBuf {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let path = self.scratch.path().join(format!("{what}-{n}"));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .unwrap();
        f.write_all(contents).unwrap();
        path
    }

    /// `curl`, the headers (the token too) from a file, never from argv; `--path-as-is` sends
    /// the path as written.
    fn curl(&self, ask: &Ask) -> Reply {
        let mut headers = String::new();
        if let Some(t) = ask.token {
            headers.push_str(&format!("Authorization: Bearer {t}\n"));
        }
        for (name, value) in &ask.headers {
            headers.push_str(&format!("{name}: {value}\n"));
        }
        let header_file = self.scratch_file("headers", headers.as_bytes());
        let head_out = self.scratch_file("head", b"");
        let body_out = self.scratch_file("body", b"");
        let mut cmd = Command::new("curl");
        cmd.args([
            "--silent",
            "--show-error",
            "--max-time",
            "30",
            "--path-as-is",
        ])
        .args(["-X", ask.method])
        .arg("-H")
        .arg(format!("@{}", header_file.display()))
        .arg("-D")
        .arg(&head_out)
        .arg("-o")
        .arg(&body_out)
        .args(["--write-out", "%{http_code}"]);
        if ask.method == "HEAD" {
            cmd.arg("--head");
        }
        if let Some(b) = ask.body {
            let body_in = self.scratch_file("request", b.as_bytes());
            cmd.arg("--data-binary")
                .arg(format!("@{}", body_in.display()));
            if !ask
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            {
                cmd.args(["-H", "Content-Type: application/json"]);
            }
        }
        let out = cmd
            .arg(format!("{}{}", self.url, ask.path))
            .output()
            .expect("curl runs (apt-get install curl)");
        assert!(
            out.status.success(),
            "curl {} {} failed: {}\n{}",
            ask.method,
            ask.path,
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        let status: u16 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        let head = std::fs::read_to_string(&head_out).unwrap();
        let mut headers = BTreeMap::new();
        for line in head.lines().skip(1) {
            if let Some((name, value)) = line.split_once(':') {
                add_header(&mut headers, name, value.trim());
            }
        }
        Reply {
            status,
            headers,
            body: std::fs::read_to_string(&body_out).unwrap(),
        }
    }

    fn ureq(&self, ask: &Ask) -> Reply {
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .allow_non_standard_methods(true)
                .timeout_global(Some(Duration::from_secs(30)))
                .build(),
        );
        let mut request = ureq::http::Request::builder()
            .method(ask.method)
            .uri(format!("{}{}", self.url, ask.path));
        if let Some(t) = ask.token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        for (name, value) in &ask.headers {
            request = request.header(*name, value);
        }
        let result = match ask.body {
            Some(b) => {
                if !ask
                    .headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                {
                    request = request.header("Content-Type", "application/json");
                }
                agent.run(request.body(b.as_bytes().to_vec()).unwrap())
            }
            None => agent.run(request.body(()).unwrap()),
        };
        let mut response = result.unwrap_or_else(|e| {
            panic!(
                "ureq {} {} failed: {e}\n{}",
                ask.method,
                ask.path,
                self.log()
            )
        });
        let mut headers = BTreeMap::new();
        for (name, value) in response.headers() {
            add_header(&mut headers, name.as_str(), value.to_str().unwrap());
        }
        let body = if ask.method == "HEAD" {
            String::new()
        } else {
            response.body_mut().read_to_string().unwrap()
        };
        Reply {
            status: response.status().as_u16(),
            headers,
            body,
        }
    }

    /// Stops the server with `signal` and returns its exit status.
    pub(crate) fn stop(&mut self, signal: &str) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        kill(child.id(), signal);
        child.wait().unwrap()
    }

    /// Validates every recorded answer against the committed OpenAPI document. Skipped only
    /// when python3 lacks jsonschema and CI is unset.
    pub(crate) fn check_openapi(&self) {
        let recorded = std::mem::take(&mut *self.recorded.lock().unwrap());
        if recorded.is_empty() || !has_jsonschema() {
            return;
        }
        let file = self.scratch_file(
            "responses.json",
            serde_json::to_string(&recorded).unwrap().as_bytes(),
        );
        let out = Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/data/openapi_check.py"))
            .arg(openapi_path())
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "answers that the OpenAPI document does not describe:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The access log never holds a token the test used.
    pub(crate) fn check_log(&self) {
        let log = self.log();
        for t in self.tokens.lock().unwrap().iter() {
            assert!(!log.contains(t.as_str()), "the log holds a token:\n{log}");
        }
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !std::thread::panicking() {
            self.check_openapi();
            self.check_log();
        }
    }
}

fn add_header(headers: &mut BTreeMap<String, String>, name: &str, value: &str) {
    headers
        .entry(name.trim().to_ascii_lowercase())
        .and_modify(|v| {
            v.push_str(", ");
            v.push_str(value);
        })
        .or_insert_with(|| value.to_string());
}

/// Sends `signal` (`TERM`, `INT`, `KILL`, `STOP`, `CONT`) to one process.
pub(crate) fn kill(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid}");
}

/// Whether python3 has jsonschema; in CI it must.
pub(crate) fn has_jsonschema() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let ci = crate::support::in_ci();
        assert!(
            !ci,
            "python3 lacks jsonschema but CI is set: .ci/run must install it"
        );
        eprintln!(
            "note: the answers were not checked against the OpenAPI document: python3 lacks \
             jsonschema (python3 -m pip install jsonschema; scripts/test installs it)"
        );
    }
    ok
}

/// `sha256:<hex>` of `bytes`, quoted as an ETag.
pub(crate) fn etag_of(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("\"sha256:{}\"", hex::encode(sha2::Sha256::digest(bytes)))
}

/// A TestEnv with an admin key `console` (read and write) in tenant acme; returns its token.
pub(crate) fn with_admin(env: &TestEnv) -> String {
    env.create(
        "console",
        &[
            "--permission",
            "tenant.apiKey:read",
            "--permission",
            "tenant.apiKey:write",
        ],
    )
}

/// What `tokenctl show NAME --format json` prints, as the API must show the key.
pub(crate) fn shown(env: &TestEnv, name: &str) -> serde_json::Value {
    env.run(&["show", name, "--format", "json"])
        .success()
        .json()
}

/// What `tokenctl verify --format json` says of a token.
pub(crate) fn verified(env: &TestEnv, token: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["verify", "--format", "json"];
    args.extend_from_slice(extra);
    env.run_with(&args, token).json()
}

/// Holds the tenant file's lock with `flock` until dropped.
pub(crate) struct HeldLock(std::process::Child);

impl HeldLock {
    pub(crate) fn take(file: &std::path::Path) -> HeldLock {
        let lock = file.with_file_name("security.yml.lock");
        let mut child = Command::new("flock")
            // -F: no fork, so that killing it frees the lock (a forked child would keep it).
            .args(["-x", "-F"])
            .arg(&lock)
            .args(["-c", "echo locked; exec sleep 60"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("flock runs (util-linux)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "locked\n");
        HeldLock(child)
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
