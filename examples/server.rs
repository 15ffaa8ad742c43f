//! A small HTTP server that authenticates requests with tokenctl's library: the example of
//! how a Rust service uses [`tokenctl::verify::Verifier`].
//!
//! ```text
//! cargo run --example server -- tenants/acme/security.yml 127.0.0.1:8080
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/dns
//! ```
//!
//! - Routes and the permission each needs (a fixed table): `GET /dns` and `GET /dns/<zone>`
//!   need `dns:read`, `POST /dns/<zone>` needs `dns:write`; `<zone>` is also the request's
//!   resource, the path its path, and the peer address its IP. `GET /health` needs no token.
//! - Answers 200 with the key's name, 401 (unknown, disabled, expired, malformed: the token
//!   is no working key) or 403 (missing permission, IP, path, resource), the reason in the body:
//!   the same one line `tokenctl verify` prints.
//! - The file is loaded once and loaded again when it changes: before each request the server
//!   compares the file's inode, size and modification time with those it loaded. tokenctl
//!   replaces the file by renaming a new one over it, so a rotation (and its grace period) or
//!   a revocation takes effect on the next request, without a restart. A file that fails to
//!   load keeps the last good one in use, with a message on stderr.
//! - The clock is the system's, or the instant in env `TOKENCTL_NOW` (RFC 3339), as for
//!   tokenctl itself: that is how the tests move time past an expiry or a grace period.
//! - With the address port 0 the system picks a free port; the first line on stdout is
//!   `listening on http://ADDR`, for whoever started the server.
//!
//! One request per connection, one connection at a time: enough for an example, not for
//! production, where this logic belongs in your framework's middleware.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokenctl::verify::{Outcome, Request, Verifier};

/// Longest request head read; a larger one is refused.
const MAX_HEAD: usize = 64 * 1024;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(file), addr) = (args.next(), args.next()) else {
        eprintln!("usage: server SECURITY_YML [ADDR (default 127.0.0.1:8080)]");
        std::process::exit(2);
    };
    let addr = addr.unwrap_or_else(|| "127.0.0.1:8080".into());
    let clock = match std::env::var("TOKENCTL_NOW") {
        Ok(t) => Some(t.parse::<jiff::Timestamp>().unwrap_or_else(|e| {
            eprintln!("server: TOKENCTL_NOW {t:?} is not an RFC 3339 time: {e}");
            std::process::exit(2);
        })),
        Err(_) => None,
    };
    let mut keys = Keys::load(PathBuf::from(file)).unwrap_or_else(|e| {
        eprintln!("server: {e}");
        std::process::exit(1);
    });
    let listener = TcpListener::bind(&addr).unwrap_or_else(|e| {
        eprintln!("server: cannot listen on {addr}: {e}");
        std::process::exit(1);
    });
    let local = listener
        .local_addr()
        .expect("a bound socket has an address");
    println!("listening on http://{local}");
    std::io::stdout().flush().ok();
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        keys.reload_if_changed();
        let now = clock.unwrap_or_else(jiff::Timestamp::now);
        if let Err(e) = serve(stream, &keys.verifier, now) {
            eprintln!("server: {e}");
        }
    }
}

/// The loaded file, and what identifies the version loaded.
struct Keys {
    path: PathBuf,
    verifier: Verifier,
    stamp: Option<Stamp>,
}

/// Inode, size and modification time: a rename over the file changes the inode, an edit in
/// place the size or the time.
#[derive(PartialEq)]
struct Stamp(u64, u64, u64, i64, i64);

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some(Stamp(m.dev(), m.ino(), m.size(), m.mtime(), m.mtime_nsec()))
}

impl Keys {
    fn load(path: PathBuf) -> tokenctl::Result<Keys> {
        // Stamp first: a change between the two is then seen on the next request.
        let stamp = stamp(&path);
        let verifier = Verifier::load(&path)?;
        Ok(Keys {
            path,
            verifier,
            stamp,
        })
    }

    fn reload_if_changed(&mut self) {
        if stamp(&self.path) == self.stamp {
            return;
        }
        match Keys::load(self.path.clone()) {
            Ok(fresh) => {
                eprintln!("server: reloaded {}", self.path.display());
                *self = fresh;
            }
            Err(e) => {
                eprintln!("server: keeping the keys loaded before: {e}");
                self.stamp = stamp(&self.path);
            }
        }
    }
}

/// The permission a route needs, and the resource it acts on; `None` for an unknown route.
fn route<'a>(method: &str, path: &'a str) -> Option<(Option<&'static str>, Option<&'a str>)> {
    let zone = path.strip_prefix("/dns/").filter(|z| !z.is_empty());
    match (method, path) {
        ("GET", "/health") => Some((None, None)),
        ("GET", "/dns") => Some((Some("dns:read"), None)),
        ("GET", _) if zone.is_some() => Some((Some("dns:read"), zone)),
        ("POST", _) if zone.is_some() => Some((Some("dns:write"), zone)),
        _ => None,
    }
}

fn serve(mut stream: TcpStream, verifier: &Verifier, now: jiff::Timestamp) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let peer = stream.peer_addr()?.ip();
    let head = match read_head(&stream) {
        Ok(h) => h,
        Err(e) => return respond(&mut stream, 400, &format!("bad request: {e}")),
    };
    let (status, body) = answer(&head, peer, verifier, now);
    respond(&mut stream, status, &body)
}

/// The request line and headers of one request.
struct Head {
    method: String,
    path: String,
    authorization: Option<String>,
}

fn read_head(stream: &TcpStream) -> Result<Head, String> {
    let mut reader = BufReader::new(stream.take(MAX_HEAD as u64));
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|e| format!("reading: {e}"))?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err("no request line".into());
    };
    let path = target.split('?').next().unwrap_or(target).to_string();
    let mut head = Head {
        method: method.to_string(),
        path,
        authorization: None,
    };
    loop {
        let mut line = String::new();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| format!("reading: {e}"))?;
        if n == 0 {
            return Err("the headers did not end".into());
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            return Ok(head);
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("authorization") && head.authorization.is_none() {
                // HTTP drops the whitespace around a field value.
                head.authorization = Some(value.trim_matches([' ', '\t']).to_string());
            }
        }
    }
}

/// Status and body for a request: the route, then the token.
fn answer(head: &Head, peer: IpAddr, verifier: &Verifier, now: jiff::Timestamp) -> (u16, String) {
    let Some((permission, resource)) = route(&head.method, &head.path) else {
        return (404, format!("no route {} {}", head.method, head.path));
    };
    let Some(permission) = permission else {
        return (200, "ok".into());
    };
    let Some(authorization) = &head.authorization else {
        return (
            401,
            "no Authorization header: send `Authorization: Bearer <token>`".into(),
        );
    };
    let request = Request {
        permission: Some(permission),
        ip: Some(peer),
        path: Some(&head.path),
        resource,
    };
    let outcome = verifier.verify_header(authorization, &request, now);
    let body = match &outcome {
        Outcome::Valid { key, .. } => format!("hello, {key}: {outcome}"),
        _ => outcome.to_string(),
    };
    (outcome.http_status(), body)
}

fn respond(stream: &mut TcpStream, status: u16, body: &str) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        _ => "Not Found",
    };
    let challenge = if status == 401 {
        "WWW-Authenticate: Bearer\r\n"
    } else {
        ""
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\n{challenge}Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}\n",
        body.len() + 1
    )?;
    stream.flush()
}
