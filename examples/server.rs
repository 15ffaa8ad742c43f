//! An HTTP server that authenticates requests with tokenctl's library: the example of how a
//! Rust service uses [`tokenctl::verify::Verifier`], on axum, hyper and tokio.
//!
//! ```text
//! cargo run --example server -- tenants/acme/security.yml 127.0.0.1:8080
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/dns
//! ```
//!
//! - Routes and the permission each needs: `GET /dns` and `GET /dns/<zone>` need `dns:read`,
//!   `POST /dns/<zone>` needs `dns:write`; `<zone>` is also the request's resource, the path
//!   as sent its path, and the peer address its IP. `GET /health` needs no token.
//! - Answers 200 with the key's name, 401 (unknown, disabled, expired, malformed, ambiguous:
//!   the token is no working key) or 403 (missing permission, IP, path, resource), the reason
//!   in the body: the same one line `tokenctl verify` prints. A request with more than one
//!   `Authorization` header is refused with 400: which one counts would be a guess.
//! - The file is a [`Watched`]: loaded once and again when it changes (before each request
//!   the server compares the file's device, inode, size and modification time with those it
//!   loaded), so a rotation (and its grace period) or a revocation takes effect on the next
//!   request, without a restart. A file that fails to load keeps the last good one in use,
//!   with a message on stderr.
//! - Every connection is served in its own task, so a slow client holds up no one else; it
//!   gets [`HEADER_TIMEOUT`] to send its request's headers and [`REQUEST_TIMEOUT`] for the
//!   rest, then it is cut off.
//! - The clock is the system's; there is no way to set it (tests write expiries instead).
//! - With the address port 0 the system picks a free port; the first line on stdout is
//!   `listening on http://ADDR`, for whoever started the server.

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokenctl::verify::{Needs, Outcome, Refresh, Watched};
use tower_http::timeout::TimeoutLayer;

/// How long a client has to send a request's headers, from when the server starts waiting
/// for them (a new connection, or the next request on a kept-alive one).
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the answer to a request may take once its headers are in.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(file), addr) = (args.next(), args.next()) else {
        eprintln!("usage: server SECURITY_YML [ADDR (default 127.0.0.1:8080)]");
        std::process::exit(2);
    };
    let addr = addr.unwrap_or_else(|| "127.0.0.1:8080".into());
    let keys = Watched::load(file).unwrap_or_else(|e| {
        eprintln!("server: {e}");
        std::process::exit(1);
    });
    let keys = keys.keep_last_good(true);
    warn(&keys);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .unwrap_or_else(|e| {
            eprintln!("server: cannot listen on {addr}: {e}");
            std::process::exit(1);
        });
    let local = listener
        .local_addr()
        .expect("a bound socket has an address");
    println!("listening on http://{local}");

    let app = Router::new()
        .route("/health", get(|| async { "ok\n" }))
        .route("/dns", get(dns))
        .route("/dns/{zone}", get(zone).post(zone))
        .fallback(|method: Method, uri: Uri| async move {
            (
                StatusCode::NOT_FOUND,
                format!("no route {method} {}\n", uri.path()),
            )
        })
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(Arc::new(keys));
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, say: wait a little rather than spin.
                eprintln!("server: accepting a connection: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // axum::serve would do this, but it sets no header timeout: one is what stops a
        // client that trickles its headers from holding a connection for ever.
        let service = TowerToHyperService::new(app.clone().layer(Extension(ConnectInfo(peer))));
        tokio::spawn(async move {
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(tcp), service)
                .await;
            if let Err(e) = served {
                eprintln!("server: connection from {peer}: {e}");
            }
        });
    }
}

/// `GET /dns`: needs `dns:read`.
async fn dns(
    State(keys): State<Arc<Watched>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let needs = Needs {
        permission: Some("dns:read"),
        ip: Some(peer.ip()),
        path: Some(uri.path()),
        resource: None,
    };
    authorize(&keys, &headers, &needs)
}

/// `GET /dns/<zone>` needs `dns:read`, `POST` needs `dns:write`, on resource `<zone>`.
async fn zone(
    State(keys): State<Arc<Watched>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    Path(zone): Path<String>,
    headers: HeaderMap,
) -> Response {
    let needs = Needs {
        permission: Some(if method == Method::POST {
            "dns:write"
        } else {
            "dns:read"
        }),
        ip: Some(peer.ip()),
        // As sent, percent-encoded: a key restricted to a path prefix refuses one that is not
        // normalised (`..`, `%2F`) rather than guess where it leads.
        path: Some(uri.path()),
        resource: Some(&zone),
    };
    authorize(&keys, &headers, &needs)
}

/// The answer for a request to a route that needs a token: the Verifier's outcome as status
/// and body, or 400/401 for an Authorization header that cannot be read.
fn authorize(keys: &Watched, headers: &HeaderMap, needs: &Needs) -> Response {
    match keys.refresh() {
        Refresh::Unchanged => {}
        Refresh::Reloaded => {
            eprintln!("server: reloaded {}", keys.path().display());
            warn(keys);
        }
        Refresh::Failed(e) => eprintln!("server: keeping the keys loaded before: {e}"),
    }
    let verifier = keys.verifier().expect("the last good keys are kept");
    let outcome = match verifier.verify_headers(headers, needs, jiff::Timestamp::now()) {
        Ok(outcome) => outcome,
        Err(e) if e.http_status() == 401 => return unauthorized(e.to_string()),
        Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    };
    match &outcome {
        Outcome::Valid { key, .. } => {
            (StatusCode::OK, format!("hello, {key}: {outcome}\n")).into_response()
        }
        Outcome::Rejected(_) => unauthorized(outcome.to_string()),
        Outcome::Forbidden(_) => (StatusCode::FORBIDDEN, format!("{outcome}\n")).into_response(),
    }
}

fn unauthorized(why: String) -> Response {
    let mut response = (StatusCode::UNAUTHORIZED, format!("{why}\n")).into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// What the operator should hear of the file just loaded (deprecated forms, hard links).
fn warn(keys: &Watched) {
    for w in keys.verifier().iter().flat_map(|v| v.warnings()) {
        eprintln!("server: warning: {w}");
    }
}
