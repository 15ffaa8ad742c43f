//! `tokenctl serve`: the tenant admin REST API over the same security.yml files as the
//! command line (README, "The admin API"). Every write goes through [`crate::store::Store`]'s
//! locked, atomic, proven write, so the API, the CLI and config management edit one file
//! safely at once.
//!
//! The HTTP stack is hyper (HTTP/1.1) on tokio with axum's routing, driven by hand: each
//! connection is its own task, with header, idle and request timeouts ([`conn`]), at most
//! `max_connections` at once, and SIGTERM or SIGINT stops accepting and lets the requests in
//! flight finish ([`Config::shutdown_timeout`] at most).

mod api_keys;
mod auth;
mod authz;
mod body;
mod conn;
mod deliver;
mod dto;
mod fields;
mod log;
mod memory;
mod metrics;
pub(crate) mod openapi;
mod path;
mod reply;
mod routes;
mod state;
mod tenants;
#[cfg(test)]
mod tests;
mod whoami;
mod write;

use crate::error::{Error, Result};
use crate::store::Location;
use crate::time::Clock;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// How to serve, from `tokenctl serve`'s options.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// The address to listen on; port 0 picks a free one (printed on stdout).
    pub listen: String,
    /// The tenants: `--root`, or one file with `--file`/`--tenant`.
    pub location: Location,
    /// Take the client's address from X-Forwarded-For (behind a reverse proxy).
    pub trust_proxy: bool,
    /// Record keys' uses in security.usage.yml.
    pub record: bool,
    /// Serve the admin API (`/api/...`); off with `--no-admin`.
    pub admin: bool,
    /// Serve the gate (`/authz/...`); off with `--no-authz`.
    pub authz: bool,
    /// The gate answers 500 for a tenant whose file does not load, rather than judging on the
    /// last version that loaded.
    pub fail_closed: bool,
    /// Where `GET /metrics` is served, if anywhere.
    pub metrics_listen: Option<String>,
    /// Give each key's last use on `/metrics`.
    pub metrics_keys: bool,
    /// Connections served at once; more wait in the kernel's queue.
    pub max_connections: usize,
    /// Time to send a request's head, from the connection or from its first byte.
    pub header_timeout: Duration,
    /// Time a kept-alive connection may stay silent between requests.
    pub idle_timeout: Duration,
    /// Time a request may take once its head is in (its body included); also the time a client
    /// has to take what was written to it once the socket stops taking bytes.
    pub request_timeout: Duration,
    /// Time the requests in flight get to finish after SIGTERM or SIGINT.
    pub shutdown_timeout: Duration,
    /// How long a write waits for the file's lock before answering 503.
    pub lock_timeout: Duration,
    pub clock: Clock,
    /// The operator's policy files (`<root>/policy.yml` when serving a root, `--policy`):
    /// every write of the admin API is judged by them as well as by the tenant file's own
    /// `policy:` section, each read again for every write.
    pub policy: Vec<crate::store::policy::PolicyFile>,
}

/// Serves until SIGTERM or SIGINT.
pub(crate) fn run(config: Config) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tokenctl-serve")
        .build()
        .map_err(|e| Error::Other(format!("starting the server: {e}")))?;
    runtime.block_on(serve(config))
}

async fn serve(config: Config) -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let metrics = config
        .metrics_listen
        .is_some()
        .then(|| Arc::new(metrics::Metrics::new(config.metrics_keys)));
    // The operator's policy files read once now, as every write will read them: one named
    // and missing, or that does not load, stops the server here rather than failing writes.
    crate::store::policy::read_all(&config.policy)?;
    // A policy.yml there now must stay: removed while the server runs, writes fail (500)
    // rather than going on under no policy at all.
    let policy = config
        .policy
        .iter()
        .map(|f| {
            let kept = !f.required && std::fs::symlink_metadata(&f.path).is_ok();
            crate::store::policy::PolicyFile {
                path: f.path.clone(),
                required: f.required || kept,
                kept,
            }
        })
        .collect();
    let tenants = tenants::Tenants::new(
        &config.location,
        config.lock_timeout,
        metrics.clone(),
        policy,
    )?;
    let (listener, local) = bind(&config.listen, "--listen")?;
    let metrics_listener = match &config.metrics_listen {
        Some(address) => Some(bind(address, "--metrics-listen")?),
        None => None,
    };
    let signal_error = |e: std::io::Error| Error::Other(format!("catching signals: {e}"));
    let mut terminate = signal(SignalKind::terminate()).map_err(signal_error)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_error)?;

    log::say(format!(
        "serving {} of {} on http://{local}{}",
        match (config.admin, config.authz) {
            (true, true) => "the gate (/authz) and the admin API (/api)",
            (true, false) => "the admin API (/api)",
            _ => "the gate (/authz) alone",
        },
        tenants.describe(),
        if config.trust_proxy {
            " (client addresses from X-Forwarded-For)"
        } else {
            ""
        }
    ));
    // The address on stdout, for whoever started the server (with port 0: which port).
    // One write for both lines: a reader that takes the first and closes the pipe (`| head
    // -1`) must not fail the second.
    let mut lines = format!("listening on http://{local}\n");
    if let Some((_, address)) = &metrics_listener {
        lines.push_str(&format!("metrics on http://{address}/metrics\n"));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(lines.as_bytes())
        .and_then(|()| out.flush())
        .map_err(crate::error::stdout_error)?;
    drop(out);

    let app = Arc::new(state::App {
        tenants,
        trust_proxy: config.trust_proxy,
        record: config.record.then(|| Arc::new(state::Recorder::new())),
        clock: config.clock,
        lock_timeout: config.lock_timeout,
        fail_closed: config.fail_closed,
        metrics,
    });
    if let Some(recorder) = &app.record {
        tokio::spawn(recorder.clone().run(config.lock_timeout));
    }
    let recorder = app.record.clone();
    if let Some((listener, _)) = metrics_listener {
        tokio::spawn(metrics::serve(listener, app.clone()));
    }
    // The access log's buffered lines, written at most a second late on a quiet server.
    tokio::spawn(async {
        loop {
            tokio::time::sleep(log::FLUSH_EVERY).await;
            log::flush(false);
        }
    });
    let router = routes::router(app, config.admin, config.authz);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    let stopped_by = loop {
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => s.expect("the semaphore is never closed"),
            _ = terminate.recv() => break "SIGTERM",
            _ = interrupt.recv() => break "SIGINT",
        };
        let (tcp, peer) = tokio::select! {
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    log::say(format!("accepting a connection: {e}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = terminate.recv() => break "SIGTERM",
            _ = interrupt.recv() => break "SIGINT",
        };
        let _ = tcp.set_nodelay(true);
        // The request timeout also bounds how long a client may leave its answers unread.
        let watched = conn::Watched::new(
            tcp,
            config.header_timeout,
            config.idle_timeout,
            config.request_timeout,
        );
        let addr = peer;
        let peer = conn::Peer {
            addr,
            conn: watched.state(),
            who: Default::default(),
        };
        let (request_timeout, router) = (config.request_timeout, router.clone());
        let service = hyper::service::service_fn(move |request| {
            conn::handle(request_timeout, router.clone(), peer.clone(), request)
        });
        // No half-close (hyper's default): a client that shuts its side down is taken as
        // gone, as one that closed is (the two look the same until an answer is written),
        // so that no key is created for a client that left while its POST waited for the lock.
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .serve_connection(hyper_util::rt::TokioIo::new(watched), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(e) = connection.await {
                if !ordinary_end(&e) {
                    log::say(format!("connection from {addr}: {e}"));
                }
            }
        });
    };
    drop(listener);
    log::say(format!(
        "{stopped_by}: no longer accepting connections; letting the requests in flight finish (at most {}s)",
        config.shutdown_timeout.as_secs_f64()
    ));
    // Exit 0 only when every request in flight finished: a supervisor or a script can tell a
    // clean stop from one that cut requests off (exit 1).
    let cut_off = tokio::select! {
        () = graceful.shutdown() => None,
        () = tokio::time::sleep(config.shutdown_timeout) => Some("at the shutdown timeout"),
        _ = terminate.recv() => Some("at a second signal"),
        _ = interrupt.recv() => Some("at a second signal"),
    };
    log::flush(true);
    if let Some(recorder) = recorder {
        // The uses noted and not yet written, so that stopping loses none.
        let _ = tokio::task::spawn_blocking(move || recorder.write(config.lock_timeout)).await;
    }
    match cut_off {
        None => {
            log::say("stopped");
            Ok(())
        }
        Some(when) => Err(Error::Other(format!(
            "stopped {when}: requests still in flight were cut off"
        ))),
    }
}

/// A listener on `address` (`flag` names the option that gave it), and the address it is
/// bound to (with port 0, the port picked).
fn bind(address: &str, flag: &str) -> Result<(tokio::net::TcpListener, std::net::SocketAddr)> {
    let listener = std::net::TcpListener::bind(address).map_err(|e| {
        Error::Usage(format!(
            "cannot listen on {address}: {e}; give another {flag} address (port 0 picks a free one)"
        ))
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::Other(format!("listening: {e}")))?;
    let listener = tokio::net::TcpListener::from_std(listener)
        .map_err(|e| Error::Other(format!("listening: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::Other(format!("listening: {e}")))?;
    Ok((listener, local))
}

/// Is this how connections end every day (the client went away, or was cut off by a
/// timeout, which the access log shows), not worth a line of its own?
fn ordinary_end(e: &hyper::Error) -> bool {
    use std::io::ErrorKind::*;
    if e.is_incomplete_message() || e.is_canceled() || e.is_timeout() {
        return true;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                TimedOut | ConnectionReset | BrokenPipe | ConnectionAborted | UnexpectedEof
            );
        }
        source = s.source();
    }
    false
}
