//! docs/API.md's deployment, run for real: its nginx block terminating TLS (a self-signed
//! certificate from openssl) in front of `tokenctl serve --trust-proxy`, and its systemd unit
//! checked by `systemd-analyze verify`. Skipped when nginx or systemd-analyze is missing and
//! CI is unset (.ci/run installs them).

use crate::support::env::*;
use crate::support::need;
use crate::support::server::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The nginx block of docs/API.md, as written there.
fn readme_nginx_block() -> String {
    let readme = std::fs::read_to_string(repo().join("docs/API.md")).unwrap();
    let start = readme
        .find("<!-- nginx: used by tests/e2e/serve/proxy.rs -->\n```nginx\n")
        .expect("docs/API.md's nginx block");
    let block = &readme[start..];
    let block = &block[block.find("server {").unwrap()..];
    block[..block.find("```").unwrap()].to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `curl` through the proxy over TLS: (status, body).
fn curl_tls(
    port: u16,
    ca: &Path,
    dir: &Path,
    method: &str,
    path: &str,
    headers: &str,
    body: Option<&str>,
) -> (u16, String) {
    let header_file = dir.join("headers");
    std::fs::write(&header_file, headers).unwrap();
    let mut cmd = Command::new("curl");
    cmd.args(["--silent", "--show-error", "--max-time", "20", "-X", method])
        .arg("--cacert")
        .arg(ca)
        .arg("-H")
        .arg(format!("@{}", header_file.display()))
        .args(["--write-out", "\n%{http_code}"]);
    if let Some(b) = body {
        cmd.args(["--data-binary", b]);
    }
    let out = cmd
        .arg(format!("https://localhost:{port}{path}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (code.parse().unwrap(), body.to_string())
}

#[test]
#[ignore = "needs nginx and openssl; scripts/test runs it"]
fn the_readme_s_nginx_terminates_tls_in_front_and_sets_the_client_address() {
    need("nginx");
    need("openssl");
    let env = TestEnv::new();
    let admin = with_admin(&env);
    let local = env.create("local", &["-p", "*", "--allow-ip", "127.0.0.1/32"]);
    let remote = env.create("remote", &["-p", "*", "--allow-ip", "192.0.2.0/24"]);
    let api = Api::start(&env, &["--trust-proxy"]);
    for t in [&admin, &local, &remote] {
        api.remember_token(t);
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let openssl = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost",
        ])
        .arg("-keyout")
        .arg(d.join("key.pem"))
        .arg("-out")
        .arg(d.join("cert.pem"))
        .output()
        .unwrap();
    assert!(
        openssl.status.success(),
        "{}",
        String::from_utf8_lossy(&openssl.stderr)
    );

    let port = free_port();
    let upstream = api.url.trim_start_matches("http://").to_string();
    let block = readme_nginx_block()
        .replace("listen 443 ssl;", &format!("listen 127.0.0.1:{port} ssl;"))
        .replace("keys.example.com;", "localhost;")
        .replace(
            "/etc/ssl/certs/keys.example.com.pem",
            &d.join("cert.pem").display().to_string(),
        )
        .replace(
            "/etc/ssl/private/keys.example.com.key",
            &d.join("key.pem").display().to_string(),
        )
        .replace("127.0.0.1:8080", &upstream);
    let p = |name: &str| d.join(name).display().to_string();
    let conf = format!(
        "worker_processes 1;\npid {};\nerror_log {} info;\nevents {{}}\nhttp {{\n  access_log {};\n  client_body_temp_path {};\n  proxy_temp_path {};\n  fastcgi_temp_path {};\n  uwsgi_temp_path {};\n  scgi_temp_path {};\n{block}}}\n",
        p("nginx.pid"),
        p("error.log"),
        p("access.log"),
        p("body"),
        p("proxy"),
        p("fastcgi"),
        p("uwsgi"),
        p("scgi"),
    );
    std::fs::write(d.join("nginx.conf"), conf).unwrap();
    let test = Command::new("nginx")
        .arg("-t")
        .arg("-p")
        .arg(d)
        .arg("-c")
        .arg(d.join("nginx.conf"))
        .arg("-e")
        .arg(d.join("error.log"))
        .output()
        .unwrap();
    assert!(
        test.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&test.stderr)
    );
    let _nginx = Nginx(
        Command::new("nginx")
            .arg("-p")
            .arg(d)
            .arg("-c")
            .arg(d.join("nginx.conf"))
            .arg("-e")
            .arg(d.join("error.log"))
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts"),
    );
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "nginx did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let ca = d.join("cert.pem");
    let bearer = |t: &str| format!("Authorization: Bearer {t}\n");

    assert_eq!(
        curl_tls(port, &ca, d, "GET", "/healthz", "", None),
        (200, "ok".into())
    );
    let (code, body) = curl_tls(
        port,
        &ca,
        d,
        "GET",
        "/api/acme/whoami",
        &bearer(&admin),
        None,
    );
    assert_eq!(code, 200, "{body}");
    // The client's address as nginx saw it, whatever X-Forwarded-For the client sends.
    let forged = format!("{}X-Forwarded-For: 192.0.2.7\n", bearer(&remote));
    let (code, body) = curl_tls(
        port,
        &ca,
        d,
        "GET",
        "/api/acme/admin/apiKeys",
        &forged,
        None,
    );
    assert_eq!(code, 403, "{body}");
    assert!(
        body.contains(r#""reason":"ip","message":"this key is not allowed from 127.0.0.1""#)
            && !body.contains("remote"),
        "{body}"
    );
    let forged = format!("{}X-Forwarded-For: 192.0.2.7\n", bearer(&local));
    let (code, body) = curl_tls(
        port,
        &ca,
        d,
        "GET",
        "/api/acme/admin/apiKeys",
        &forged,
        None,
    );
    assert_eq!(code, 200, "{body}");
    // A write through the proxy, and a body over the limit stopped by nginx already.
    let (code, body) = curl_tls(
        port,
        &ca,
        d,
        "POST",
        "/api/acme/admin/apiKeys",
        &format!("{}Content-Type: application/json\n", bearer(&admin)),
        Some(r#"{"name": "via-proxy"}"#),
    );
    assert_eq!(code, 201, "{body}");
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    api.remember_token(token["token"].as_str().unwrap());
    assert_eq!(
        verified(&env, token["token"].as_str().unwrap(), &[])["key"],
        "via-proxy"
    );
    let big = format!(
        r#"{{"name": "x", "description": "{}"}}"#,
        "a".repeat(70_000)
    );
    let (code, _) = curl_tls(
        port,
        &ca,
        d,
        "POST",
        "/api/acme/admin/apiKeys",
        &bearer(&admin),
        Some(&big),
    );
    assert_eq!(code, 413);
    assert!(
        api.log()
            .contains("POST /api/acme/admin/apiKeys 201 key=console"),
        "{}",
        api.log()
    );
}

#[test]
#[ignore = "needs systemd-analyze; scripts/test runs it"]
fn the_systemd_unit_verifies() {
    need("systemd-analyze");
    // systemd-analyze checks that ExecStart's program exists: point it at the one built.
    let unit = std::fs::read_to_string(repo().join("examples/tokenctl-serve.service")).unwrap();
    assert!(unit.contains("ExecStart=/usr/local/bin/tokenctl "));
    for line in [
        "DynamicUser=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/tokenctl",
        "StateDirectory=tokenctl",
        "NoNewPrivileges=yes",
    ] {
        assert!(unit.lines().any(|l| l == line), "the unit lacks {line}");
    }
    // The folder it may write is the --root it serves.
    assert!(unit.contains("--root /var/lib/tokenctl/tenants serve"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokenctl-serve.service");
    std::fs::write(
        &path,
        unit.replace(
            "/usr/local/bin/tokenctl",
            &crate::support::harness::bin().display().to_string(),
        ),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify: {stderr}"
    );
    // What the unit runs is a command line tokenctl takes.
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart=/usr/local/bin/tokenctl "))
        .unwrap();
    let mut words = vec!["tokenctl"];
    words.extend(exec.split_whitespace());
    use clap::Parser;
    tokenctl::cli::Cli::try_parse_from(&words).unwrap();
}
