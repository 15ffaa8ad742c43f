//! The fleet (docs/FLEET.md): `rollout status` and `list --usage-from` through the binary,
//! against two real gates (`tokenctl serve --no-admin --metrics-listen`) that each serve
//! their own copy of one tenant's file, asked directly (`--endpoint`) or through a real
//! Prometheus (Debian's `prometheus`) that scrapes them every second.

use crate::support::env::{Output, TestEnv, give_to_unprivileged, unprivileged};
use crate::support::server::{Api, Client, get};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A gate serving its own copy of the env's file as tenant acme.
struct Gate {
    api: Api,
    copy: PathBuf,
    _dir: tempfile::TempDir,
}

impl Gate {
    fn start(env: &TestEnv, extra: &[&str]) -> Gate {
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("security.yml");
        std::fs::copy(env.file(), &copy).unwrap();
        let mut cmd = env.std_cmd();
        cmd.env_remove("TOKENCTL_TENANT")
            .env_remove("TOKENCTL_ROOT");
        let copy_arg = copy.to_str().unwrap().to_string();
        let mut args = vec![
            "--no-admin",
            "--metrics-listen",
            "127.0.0.1:0",
            "--file",
            &copy_arg,
            "--tenant",
            "acme",
        ];
        args.extend_from_slice(extra);
        let api = Api::start_cmd(cmd, &args);
        Gate {
            api,
            copy,
            _dir: dir,
        }
    }

    /// The metrics listener's base URL.
    fn metrics(&self) -> String {
        self.api.metrics_url.clone().unwrap()
    }

    /// `host:port` of the metrics listener: the target's `instance` label in Prometheus.
    fn instance(&self) -> String {
        self.metrics().trim_start_matches("http://").to_string()
    }

    /// Brings the operator's file to this gate, as config management would.
    fn deliver(&self, env: &TestEnv) {
        // Through a temporary file and a rename, as every deployment tool writes.
        let tmp = self.copy.with_extension("tmp");
        std::fs::copy(env.file(), &tmp).unwrap();
        std::fs::rename(&tmp, &self.copy).unwrap();
    }

    fn stop(&mut self) {
        let mut child = self.api.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

/// `sha256:` and the hex SHA-256 of a file's bytes.
fn digest_of(path: &Path) -> String {
    format!(
        "sha256:{}",
        crate::support::sha256_hex(std::fs::read(path).unwrap())
    )
}

/// A tenant acme with a key `ci`, and two gates serving copies of its file.
fn fleet(extra: &[&str]) -> (TestEnv, String, Gate, Gate) {
    let env = TestEnv::new();
    let ci = env.create("ci", &["-p", "dns:read"]);
    env.create("idle", &["-p", "dns:read"]);
    let a = Gate::start(&env, extra);
    let b = Gate::start(&env, extra);
    (env, ci, a, b)
}

/// Runs `rollout status` with `args` and the fleet's flags, and how long it took.
fn rollout(env: &TestEnv, args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let mut all = vec!["rollout", "status"];
    all.extend_from_slice(args);
    let out = env.run(&all);
    (out, start.elapsed())
}

/// A free loopback port, closed again (for a Prometheus to listen on, or a server that is
/// not there).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn rollout_status_with_endpoints_waits_for_the_lagging_gate_then_succeeds_once_it_has_the_file() {
    let (env, ci, a, b) = fleet(&[]);
    let (ea, eb) = (a.metrics(), b.metrics());
    // Both serve the file as it is: done at the first round.
    let (out, _) = rollout(
        &env,
        &["--endpoint", &ea, "--endpoint", &eb, "--format", "json"],
    );
    out.success();
    let report = out.json();
    let digest = digest_of(&env.file());
    assert_eq!(report["tenant"], "acme");
    assert_eq!(report["digest"], digest.as_str());
    assert_eq!(report["done"], true);
    let servers = report["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 2, "{report}");
    for s in servers {
        assert_eq!(s["digest"], digest.as_str(), "{report}");
        assert_eq!(s["up"], true);
        assert_eq!(s["current"], true);
    }
    assert!(out.stderr.contains("All 2 servers serve"), "{}", out.stderr);
    // docs/FLEET.md's example has the same fields, at every level.
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/FLEET.md"))
        .unwrap();
    let shown = page
        .split("```json\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let shown: serde_json::Value = serde_json::from_str(shown).unwrap();
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&shown), keys(&report));
    assert_eq!(keys(&shown["servers"][0]), keys(&servers[0]));

    // A revocation reaches gate A only.
    let old = digest_of(&env.file());
    env.run(&["update", "ci", "--disable"]).success();
    let new = digest_of(&env.file());
    a.deliver(&env);
    let (out, took) = rollout(
        &env,
        &[
            "--endpoint",
            &ea,
            "--endpoint",
            &eb,
            "--timeout",
            "3s",
            "--interval",
            "500ms",
        ],
    );
    out.code(12);
    assert!(took >= Duration::from_secs(3), "gave up early: {took:?}");
    assert!(
        out.stderr
            .contains(&format!("rollout of {new} (tenant acme) not complete")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("{eb}: serves {old}")),
        "the lagging gate and the digest it still serves: {}",
        out.stderr
    );
    assert!(!out.stderr.contains(&format!("{ea}:")), "{}", out.stderr);
    // The table on stdout says the same, one line a server.
    let line_b = out.stdout.lines().find(|l| l.starts_with(&eb)).unwrap();
    assert!(
        line_b.contains(&old) && line_b.ends_with("lagging"),
        "{}",
        out.stdout
    );
    let line_a = out.stdout.lines().find(|l| l.starts_with(&ea)).unwrap();
    assert!(
        line_a.contains(&new) && line_a.ends_with("current"),
        "{}",
        out.stdout
    );
    // What it waits for: the gate that lags still accepts the revoked key; A refuses it.
    let ask = |g: &Gate| g.api.ask(Client::Curl, get("/authz/acme", &ci)).status;
    assert_eq!(ask(&b), 200);
    assert_eq!(ask(&a), 401);

    // The change reaches gate B while rollout status waits.
    let mut child = env
        .std_cmd()
        .args(["rollout", "status", "--endpoint", &ea, "--endpoint", &eb])
        .args(["--timeout", "20s", "--interval", "200ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    assert!(child.try_wait().unwrap().is_none(), "it does not wait");
    b.deliver(&env);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("All 2 servers serve {new}")),
        "{stderr}"
    );
    // Not a terminal: no progress line, no carriage return.
    assert!(!stderr.contains('\r'), "{stderr:?}");
}

#[test]
fn rollout_status_names_an_endpoint_that_is_down_and_ignore_down_leaves_it_out() {
    let (env, _ci, a, mut b) = fleet(&[]);
    let (ea, eb) = (a.metrics(), b.metrics());
    b.stop();
    let (out, _) = rollout(
        &env,
        &[
            "--endpoint",
            &ea,
            "--endpoint",
            &eb,
            "--timeout",
            "1s",
            "--format",
            "json",
        ],
    );
    out.code(12);
    assert!(
        out.stderr.contains(&format!("\n  {eb}: down")),
        "{}",
        out.stderr
    );
    let report = out.json();
    assert_eq!(report["done"], false);
    let down = report["servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["server"] == eb.as_str())
        .unwrap();
    assert_eq!(down["up"], false, "{report}");
    assert_eq!(down["current"], false);
    assert_eq!(down["digest"], serde_json::Value::Null);
    // --ignore-down: the one that answers serves the file.
    let (out, _) = rollout(
        &env,
        &[
            "--endpoint",
            &ea,
            "--endpoint",
            &eb,
            "--timeout",
            "1s",
            "--ignore-down",
        ],
    );
    out.success();
    // --min-servers 2: one is not enough.
    let (out, _) = rollout(
        &env,
        &[
            "--endpoint",
            &ea,
            "--endpoint",
            &eb,
            "--timeout",
            "1s",
            "--ignore-down",
            "--min-servers",
            "2",
        ],
    );
    out.code(12);
    assert!(out.stderr.contains("--min-servers 2"), "{}", out.stderr);
    // One server named three ways is one server (found by a review).
    let (out, _) = rollout(
        &env,
        &[
            "--endpoint",
            &ea,
            "--endpoint",
            &format!("{ea}/"),
            "--endpoint",
            &format!("{ea}/healthz"),
            "--timeout",
            "1s",
            "--min-servers",
            "2",
        ],
    );
    out.code(12);
    assert!(out.stderr.contains("--min-servers 2"), "{}", out.stderr);
}

#[test]
fn rollout_status_fails_when_no_server_reports_the_tenant_never_a_vacuous_success() {
    let (env, _ci, a, _b) = fleet(&[]);
    // The gates serve acme; a tenant nobody serves is never "done".
    let (out, took) = rollout(
        &env,
        &[
            "--tenant-label",
            "beta",
            "--endpoint",
            &a.metrics(),
            "--timeout",
            "1s",
            "--interval",
            "300ms",
        ],
    );
    out.code(12);
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert!(
        out.stderr.contains("no server reports tenant beta"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("does not serve tenant beta"),
        "{}",
        out.stderr
    );
}

#[test]
fn rollout_status_retries_an_unreachable_prometheus_until_the_timeout_then_names_it() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    let url = format!("http://127.0.0.1:{}", free_port());
    let (out, took) = rollout(
        &env,
        &[
            "--prometheus",
            &url,
            "--timeout",
            "2s",
            "--interval",
            "500ms",
        ],
    );
    out.code(12);
    assert!(took >= Duration::from_secs(2), "{took:?}");
    assert!(
        out.stderr.contains(&format!("Prometheus at {url}: ")),
        "{}",
        out.stderr
    );
}

#[test]
fn rollout_status_refuses_bad_urls_digests_and_a_token_on_the_command_line() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    let (out, _) = rollout(&env, &["--endpoint", "127.0.0.1:9100"]);
    out.code(2);
    assert!(out.stderr.contains("http://"), "{}", out.stderr);
    let (out, _) = rollout(&env, &["--endpoint", "http://u:hunter2@127.0.0.1:1?x"]);
    out.code(2);
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
    let (out, _) = rollout(
        &env,
        &["--endpoint", "http://127.0.0.1:1", "--digest", "abc"],
    );
    out.code(2);
    let (out, _) = rollout(&env, &[]);
    out.code(2);
    // The token only ever comes from a file; an empty one is refused.
    let token = env.dir.path().join("token");
    std::fs::write(&token, "\n").unwrap();
    let (out, _) = rollout(
        &env,
        &[
            "--prometheus",
            "http://127.0.0.1:1",
            "--prometheus-token-file",
            token.to_str().unwrap(),
        ],
    );
    out.code(1);
    assert!(out.stderr.contains("first line"), "{}", out.stderr);
    // `list` touches no network without --usage-from, and fails (exit 1) when it is asked
    // for the fleet's last use and cannot have it: a LAST USED without it would mislead
    // --unused-since.
    let url = format!("http://127.0.0.1:{}", free_port());
    let out = env.run(&["list", "--usage-from", &url]);
    out.code(1);
    assert!(
        out.stderr.contains(&format!("--usage-from {url}")),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}

/// Debian's Prometheus.
const PROMETHEUS: &str = "/usr/bin/prometheus";

/// A real Prometheus scraping `targets` (`host:port` of metrics listeners) every second, as
/// job `gate`, run unprivileged in a folder of its own; stopped when dropped.
struct Prometheus {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn start(targets: &[String]) -> Prometheus {
        assert!(
            Path::new(PROMETHEUS).exists(),
            "{PROMETHEUS} is not installed: apt-get install prometheus (scripts/test installs it as root)"
        );
        let dir = tempfile::tempdir().unwrap();
        let list: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: gate\n    static_configs:\n      - targets: [{}]\n",
                list.join(", ")
            ),
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        give_to_unprivileged(dir.path());
        let port = free_port();
        let mut cmd = std::process::Command::new(PROMETHEUS);
        cmd.arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .current_dir(dir.path());
        // Its log in a file, shown when it does not get ready (set after unprivileged(),
        // which makes a new command).
        let child = unprivileged(cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("prometheus.log")).unwrap())
            .spawn()
            .expect("prometheus starts");
        let p = Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        };
        p.wait(Duration::from_secs(20), "ready", |p| {
            ureq::get(&format!("{}/-/ready", p.url))
                .call()
                .is_ok_and(|r| r.status() == 200)
        });
        p
    }

    /// The series of the instant query `promql` (empty when it fails).
    fn query(&self, promql: &str) -> Vec<serde_json::Value> {
        let Ok(mut r) = ureq::get(&format!("{}/api/v1/query", self.url))
            .query("query", promql)
            .call()
        else {
            return Vec::new();
        };
        let body: serde_json::Value =
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until `f` holds, failing with the server's log after `limit`.
    fn wait(&self, limit: Duration, what: &str, f: impl Fn(&Prometheus) -> bool) {
        let start = Instant::now();
        while !f(self) {
            assert!(
                start.elapsed() < limit,
                "prometheus: not {what} after {limit:?}:\n{}",
                std::fs::read_to_string(self._dir.path().join("prometheus.log"))
                    .unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the last scrape of each gate reported `digest` for acme.
    fn wait_for_digests(&self, gates: &[(&Gate, &str)]) {
        self.wait(Duration::from_secs(15), "scraping the gates", |p| {
            let series = p.query(r#"tokenctl_file_info{tenant="acme"}"#);
            gates.iter().all(|(g, d)| {
                series.iter().any(|s| {
                    s["metric"]["instance"] == g.instance().as_str() && s["metric"]["digest"] == *d
                })
            })
        });
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "needs prometheus (Debian's package); scripts/test installs it"]
fn rollout_status_through_prometheus_waits_for_the_lagging_gate_names_a_down_one_and_never_succeeds_on_nothing()
 {
    let (env, _ci, a, mut b) = fleet(&[]);
    let prometheus = Prometheus::start(&[a.instance(), b.instance()]);
    let p = prometheus.url.as_str();
    let old = digest_of(&env.file());
    prometheus.wait_for_digests(&[(&a, &old), (&b, &old)]);
    let (out, _) = rollout(&env, &["--prometheus", p, "--timeout", "5s"]);
    out.success();
    assert!(
        out.stderr.contains(&format!("All 2 servers serve {old}")),
        "{}",
        out.stderr
    );

    // A change reaches gate A only: rollout status waits, then names B and what it serves
    // (docs/FLEET.md's command, with this Prometheus's URL).
    env.run(&["update", "ci", "--disable"]).success();
    let new = digest_of(&env.file());
    a.deliver(&env);
    let (out, took) = rollout(
        &env,
        &[
            "--prometheus",
            p,
            "--selector",
            r#"{job="gate"}"#,
            "--timeout",
            "5s",
            "--format",
            "json",
        ],
    );
    out.code(12);
    assert!(took >= Duration::from_secs(5), "{took:?}");
    assert!(
        out.stderr
            .contains(&format!("\n  {}: serves {old}", b.instance())),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains(&format!("{}:", a.instance())),
        "{}",
        out.stderr
    );
    let report = out.json();
    assert_eq!(report["done"], false);
    assert_eq!(report["digest"], new.as_str());
    let by_name = |name: &str| {
        report["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["server"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} not in {report}"))
    };
    assert_eq!(by_name(&a.instance())["current"], true);
    assert_eq!(by_name(&b.instance())["current"], false);
    assert_eq!(by_name(&b.instance())["digest"], old.as_str());

    // The change reaches B: the next scrape has it, and rollout status succeeds.
    b.deliver(&env);
    let (out, _) = rollout(&env, &["--prometheus", p, "--timeout", "10s"]);
    out.success();
    assert!(
        out.stderr.contains(&format!("All 2 servers serve {new}")),
        "{}",
        out.stderr
    );

    // B goes down: it is named, with the digest it last served, until --ignore-down.
    b.stop();
    prometheus.wait(Duration::from_secs(10), "seeing B down", |p| {
        p.query(&format!(r#"up{{instance="{}"}} == 0"#, b.instance()))
            .len()
            == 1
    });
    let (out, _) = rollout(&env, &["--prometheus", p, "--timeout", "2s"]);
    out.code(12);
    assert!(
        out.stderr
            .contains(&format!("\n  {}: down; last served {new}", b.instance())),
        "{}",
        out.stderr
    );
    let (out, _) = rollout(
        &env,
        &["--prometheus", p, "--timeout", "2s", "--ignore-down"],
    );
    out.success();

    // No target at all: exit 12, never a vacuous success.
    let (out, _) = rollout(
        &env,
        &[
            "--prometheus",
            p,
            "--selector",
            r#"{job="nosuch"}"#,
            "--timeout",
            "2s",
        ],
    );
    out.code(12);
    assert!(
        out.stderr.contains("no server reports tenant acme"),
        "{}",
        out.stderr
    );
}

#[test]
#[ignore = "needs prometheus (Debian's package); scripts/test installs it"]
fn list_usage_from_shows_a_key_used_only_through_the_second_gate() {
    let (env, ci, a, b) = fleet(&["--metrics-keys"]);
    let prometheus = Prometheus::start(&[a.instance(), b.instance()]);
    // Used through gate B alone; the operator's checkout records nothing.
    b.api
        .ask(Client::Curl, get("/authz/acme?permission=dns:read", &ci))
        .status(200);
    prometheus.wait(Duration::from_secs(15), "scraping B's last use", |p| {
        !p.query(r#"tokenctl_key_last_used_timestamp_seconds{key="ci"}"#)
            .is_empty()
    });
    assert!(!env.file().with_file_name("security.usage.yml").exists());
    let local = env.run(&["list", "--format", "json"]).success().json();
    let ci_local = local
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "ci")
        .unwrap();
    assert_eq!(ci_local["lastUsedAt"], serde_json::Value::Null, "{local}");

    let fleet = env
        .run(&["list", "--usage-from", &prometheus.url, "--format", "json"])
        .success()
        .json();
    let keys = fleet.as_array().unwrap();
    // Most recently used first: ci, then idle (never used).
    assert_eq!(keys[0]["name"], "ci", "{fleet}");
    assert!(keys[0]["lastUsedAt"].as_str().is_some(), "{fleet}");
    assert_eq!(keys[1]["name"], "idle");
    assert_eq!(keys[1]["lastUsedAt"], serde_json::Value::Null);

    // --unused-since filters on the merged last use (docs/FLEET.md's commands, with this
    // Prometheus's URL).
    let unused = env.run(&["list", "--unused-since", "90d", "--names"]);
    unused.success();
    assert_eq!(unused.stdout, "ci\nidle\n");
    let unused = env.run(&[
        "list",
        "--usage-from",
        &prometheus.url,
        "--unused-since",
        "90d",
        "--names",
    ]);
    unused.success();
    assert_eq!(unused.stdout, "idle\n");
    // The table shows it too.
    let table = env.run(&["list", "--usage-from", &prometheus.url]);
    table.success();
    // EXPIRES says never; LAST USED no longer does.
    let row = |out: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with("ci "))
            .map(|l| l.matches("never").count())
    };
    let before = env.run(&["list"]);
    before.success();
    assert_eq!(row(&before.stdout), Some(2), "{}", before.stdout);
    assert_eq!(row(&table.stdout), Some(1), "{}", table.stdout);
}

#[test]
fn at_a_terminal_rollout_status_shows_its_progress_on_one_line_and_clears_it() {
    use expectrl::process::unix::WaitStatus;
    use expectrl::{Eof, Expect, Session};
    let (env, _ci, a, _b) = fleet(&[]);
    let down = format!("http://127.0.0.1:{}", free_port());
    let mut cmd = env.std_cmd();
    cmd.env("TERM", "xterm").args([
        "rollout",
        "status",
        "--endpoint",
        &a.metrics(),
        "--endpoint",
        &down,
        "--timeout",
        "2s",
        "--interval",
        "300ms",
    ]);
    let mut session = Session::spawn(cmd).expect("spawns in a pty");
    session.set_expect_timeout(Some(Duration::from_secs(30)));
    let seen = session.expect(Eof).expect("runs to the end");
    let transcript = String::from_utf8_lossy(seen.as_bytes()).into_owned();
    let WaitStatus::Exited(_, code) = session.get_process().wait().unwrap() else {
        panic!("did not exit normally:\n{transcript}");
    };
    assert_eq!(code, 12, "{transcript}");
    // Rewritten in place with a carriage return, several times, then blanked before the
    // result.
    let progress = transcript.matches("\r1 of 2 servers serve sha256:").count();
    assert!(progress >= 2, "{transcript:?}");
    assert!(transcript.contains("ms of 2s)"), "{transcript:?}");
    let last = transcript.rfind("servers serve sha256:").unwrap();
    let error = transcript.find("error: rollout of").unwrap();
    assert!(last < error, "{transcript:?}");
    assert!(transcript[last..error].contains("\r "), "{transcript:?}");
}

/// A stand-in for Prometheus's query API on loopback: answers every request with `answer`
/// and hands each request's head (request line and headers) to the test.
fn fake_prometheus(answer: &'static str) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut head = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let _ = tx.send(head);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, rx)
}

#[test]
fn list_usage_from_sends_the_token_from_its_file_asks_for_the_tenant_and_the_later_use_wins() {
    let env = TestEnv::new();
    env.create("ci", &[]);
    env.create("idle", &[]);
    env.create("old", &[]);
    // The checkout's record: ci at 09:00 from an address; old long ago.
    std::fs::write(
        env.file().with_file_name("security.usage.yml"),
        "ci:\n  lastUsedAt: 2026-11-22T09:00:00Z\n  lastUsedFrom: 203.0.113.7\nold:\n  lastUsedAt: 2025-01-01T00:00:00Z\n",
    )
    .unwrap();
    // The fleet: ci earlier (08:00, the checkout's wins), idle at 07:00 (only the fleet saw
    // it), old at 06:00 (the fleet's is later).
    let (url, heads) = fake_prometheus(
        r#"{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"tenant":"acme","key":"ci"},"value":[1795341600,"1795334400"]},
        {"metric":{"tenant":"acme","key":"idle"},"value":[1795341600,"1795330800"]},
        {"metric":{"tenant":"acme","key":"old"},"value":[1795341600,"1795327200"]}]}}"#,
    );
    let token = "prom-secret-9f8e7d6c5b4a";
    let token_file = env.dir.path().join("prom-token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let out = env.run(&[
        "list",
        "--format",
        "json",
        "--usage-from",
        &url,
        "--prometheus-token-file",
        token_file.to_str().unwrap(),
    ]);
    out.success();
    let head = heads.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("authorization: bearer {token}\r\n")),
        "{head}"
    );
    let request_line = head.lines().next().unwrap();
    assert!(
        request_line.starts_with("GET /api/v1/query?query="),
        "{head}"
    );
    let query = request_line
        .split("query=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    let decoded = percent_decode(query);
    assert_eq!(
        decoded,
        // Over 15 days (Prometheus's default retention), not the last five minutes: a gate
        // restarted since, or gone, still counts.
        r#"max by (tenant, key) (max_over_time(tokenctl_key_last_used_timestamp_seconds{tenant="acme"}[1296000s]))"#
    );
    assert!(!out.stderr.contains(token) && !out.stdout.contains(token));
    let keys = out.json();
    let by_name = |name: &str| {
        keys.as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        by_name("ci")["lastUsedAt"],
        "2026-11-22T09:00:00Z",
        "{keys}"
    );
    assert_eq!(by_name("ci")["lastUsedFrom"], "203.0.113.7");
    assert_eq!(
        by_name("idle")["lastUsedAt"],
        "2026-11-22T07:00:00Z",
        "{keys}"
    );
    assert_eq!(
        by_name("old")["lastUsedAt"],
        "2026-11-22T06:00:00Z",
        "{keys}"
    );
    assert_eq!(by_name("old")["lastUsedFrom"], serde_json::Value::Null);
    // Most recently used first, on the merged times.
    let names: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ci", "idle", "old"]);
    // --all-tenants asks once for every tenant and merges each tenant's.
    let out = env.run(&[
        "list",
        "--all-tenants",
        "--names",
        "--unused-since",
        "1d",
        "--usage-from",
        &url,
    ]);
    out.success();
    assert_eq!(out.stdout, "", "{}", out.stderr);
    let head = heads.recv_timeout(Duration::from_secs(10)).unwrap();
    let request_line = head.lines().next().unwrap();
    assert_eq!(
        percent_decode(
            request_line
                .split("query=")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
        ),
        "max by (tenant, key) (max_over_time(tokenctl_key_last_used_timestamp_seconds[1296000s]))"
    );
    // Without the flag, nothing is asked: old is unused since a day by the checkout alone.
    let out = env.run(&["list", "--names", "--unused-since", "1d"]);
    assert_eq!(
        out.stdout, "old\nidle\n",
        "most recently used first; never used last"
    );
    assert!(heads.recv_timeout(Duration::from_millis(300)).is_err());
}

/// `%XX` and `+` of a query string, decoded.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}
