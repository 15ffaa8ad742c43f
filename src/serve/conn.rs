//! One client connection: its socket watched for the header and idle timeouts and for what
//! has been written, each request timed out and logged, and its response tracked so that the
//! connection knows when it is idle again.
//!
//! hyper's own header timeout starts as soon as a kept-alive connection waits for its next
//! request, so it cannot tell an idle client from one trickling its headers; this module
//! keeps the two apart. A connection is in one of three phases:
//! - reading a request's head: from the connection's start, or from the first byte after an
//!   idle spell; cut off after `header_timeout`;
//! - busy: from the request's head until its response has been handed to hyper whole; no
//!   socket deadline (the request timeout bounds the handler, body included);
//! - idle: after a response; cut off after `idle_timeout` without a byte.
//!
//! Whatever the phase, once the socket stops taking what hyper writes (the client does not
//! read its answers: a slow reader, or one that pipelines requests and never reads), hyper's
//! buffer must all be taken within `write_timeout`, else the connection is cut off and its
//! slot of `--max-connections` freed. The deadline runs from the first write that had to wait
//! until a flush empties the buffer, so a client that reads a trickle cannot stretch it.

use super::reply::ApiError;
use axum::body::Body;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

/// What a request knows of the connection it came on (a request extension).
#[derive(Clone)]
pub(super) struct Peer {
    /// The address the connection comes from.
    pub addr: SocketAddr,
    pub conn: Arc<ConnState>,
    /// The key the request was made with, once the handler knows it: for the access log,
    /// which is written even when the client leaves before its answer.
    pub who: Arc<Mutex<Option<String>>>,
}

#[cfg(test)]
impl Peer {
    /// A peer at `addr` on a connection of its own, for the in-process tests of the router
    /// (see [`ConnState::flushed`] to play the socket).
    pub(super) fn detached(addr: SocketAddr) -> Peer {
        Peer {
            addr,
            conn: ConnState::new(),
            who: Default::default(),
        }
    }
}

/// The connection's phase and what has been written on it, shared by the socket, the
/// service and the responses.
pub(super) struct ConnState {
    phase: Mutex<Phase>,
    /// How many times hyper flushed the connection with nothing left in its buffer: each
    /// one means every byte hyper was given before it is in the kernel's hands.
    flushes: AtomicU64,
    /// Woken at each flush (see [`ConnState::wait_flush`]).
    flush_waker: Mutex<Option<Waker>>,
}

#[derive(Clone, Copy, Debug)]
enum Phase {
    Head(Instant),
    Busy,
    Idle(Instant),
}

impl ConnState {
    fn new() -> Arc<Self> {
        Arc::new(ConnState {
            phase: Mutex::new(Phase::Head(Instant::now())),
            flushes: AtomicU64::new(0),
            flush_waker: Mutex::new(None),
        })
    }

    fn set(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner) = phase;
    }

    fn get(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The number of flushes so far.
    pub(super) fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::SeqCst)
    }

    /// Ready once a flush after `since` (a value of [`ConnState::flushes`]) has happened.
    pub(super) fn poll_flushed_since(&self, since: u64, cx: &mut Context<'_>) -> Poll<()> {
        *self
            .flush_waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
        if self.flushes() > since {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    pub(super) fn flushed(&self) {
        self.flushes.fetch_add(1, Ordering::SeqCst);
        if let Some(w) = self
            .flush_waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            w.wake();
        }
    }
}

/// The socket, with the deadlines of its phase.
pub(super) struct Watched {
    tcp: TcpStream,
    state: Arc<ConnState>,
    timer: Pin<Box<Sleep>>,
    header_timeout: Duration,
    idle_timeout: Duration,
    /// Armed by a write that must wait, disarmed when a flush empties hyper's buffer.
    write_timer: Pin<Box<Sleep>>,
    write_blocked: bool,
    write_timeout: Duration,
}

impl Watched {
    pub(super) fn new(
        tcp: TcpStream,
        header_timeout: Duration,
        idle_timeout: Duration,
        write_timeout: Duration,
    ) -> Self {
        Watched {
            tcp,
            state: ConnState::new(),
            timer: Box::pin(tokio::time::sleep(header_timeout)),
            header_timeout,
            idle_timeout,
            write_timer: Box::pin(tokio::time::sleep(write_timeout)),
            write_blocked: false,
            write_timeout,
        }
    }

    /// A write had to wait: arms the write deadline (if it is not armed already) and fails
    /// once it has passed.
    fn write_waits(&mut self, cx: &mut Context<'_>) -> std::io::Result<()> {
        if !self.write_blocked {
            self.write_blocked = true;
            let deadline = tokio::time::Instant::now() + self.write_timeout;
            self.write_timer.as_mut().reset(deadline);
        }
        if self.write_timer.as_mut().poll(cx).is_ready() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client did not read its answers in time",
            ));
        }
        Ok(())
    }

    /// What a write or flush returned, with the write deadline applied to a wait.
    fn watch_write<T>(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        if written.is_pending() {
            self.write_waits(cx)?;
        }
        written
    }

    pub(super) fn state(&self) -> Arc<ConnState> {
        self.state.clone()
    }

    fn deadline(&self) -> Option<(Instant, &'static str)> {
        match self.state.get() {
            Phase::Head(since) => Some((since + self.header_timeout, "send a request's headers")),
            Phase::Idle(since) => Some((since + self.idle_timeout, "send a request")),
            Phase::Busy => None,
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.tcp).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = read {
            if buf.filled().len() > before {
                if let Phase::Idle(_) = self.state.get() {
                    self.state.set(Phase::Head(Instant::now()));
                }
            }
            return read;
        }
        if read.is_pending() {
            if let Some((deadline, what)) = self.deadline() {
                let deadline = tokio::time::Instant::from_std(deadline);
                if self.timer.deadline() != deadline {
                    self.timer.as_mut().reset(deadline);
                }
                if self.timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("the client did not {what} in time"),
                    )));
                }
            }
        }
        read
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.tcp).poll_write(cx, buf);
        self.watch_write(cx, written)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs);
        self.watch_write(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let flushed = Pin::new(&mut self.tcp).poll_flush(cx);
        if let Poll::Ready(Ok(())) = flushed {
            // hyper flushes its socket once its buffer is all written: the client took it.
            self.write_blocked = false;
            self.state.flushed();
        }
        self.watch_write(cx, flushed)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// Serves one request of a connection: marks the connection busy, runs the router within
/// the request timeout, logs one line, and tracks the response until hyper has it all.
pub(super) async fn handle(
    request_timeout: Duration,
    router: axum::Router,
    peer: Peer,
    mut request: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<Body>, std::convert::Infallible> {
    use tower::ServiceExt;
    peer.conn.set(Phase::Busy);
    let peer = Peer {
        who: Arc::new(Mutex::new(None)),
        ..peer
    };
    let mut log = AccessLog {
        started: Instant::now(),
        method: request.method().clone(),
        path: super::log::path_for_log(request.uri().path()),
        peer: peer.addr,
        who: peer.who.clone(),
        done: false,
    };
    let conn = peer.conn.clone();
    request.extensions_mut().insert(peer);
    let request = request.map(Body::new);
    let response = match tokio::time::timeout(request_timeout, router.oneshot(request)).await {
        Ok(Ok(r)) => r,
        Ok(Err(never)) => match never {},
        Err(_) => ApiError::timeout(request_timeout).into_response(),
    };
    log.finish(&response);
    Ok(response.map(|body| Body::new(Tracked { body, conn })))
}

/// The access-log line of a request, written when its response is ready, or when the
/// client goes away first (status `-`).
struct AccessLog {
    started: Instant,
    method: http::Method,
    path: String,
    peer: SocketAddr,
    who: Arc<Mutex<Option<String>>>,
    done: bool,
}

impl AccessLog {
    fn finish(&mut self, response: &http::Response<Body>) {
        let reason = response
            .extensions()
            .get::<super::reply::LogReason>()
            .map(|r| r.0);
        // The gate's 200s may wait a little in the log's buffer; nothing else does.
        let buffered = response.status() == http::StatusCode::OK && self.path.starts_with("/authz");
        self.write(&response.status().as_u16().to_string(), reason, buffered);
        self.done = true;
    }

    fn write(&self, status: &str, reason: Option<&str>, buffered: bool) {
        let who = self
            .who
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        super::log::access(
            self.peer,
            &self.method,
            &self.path,
            status,
            who.as_deref(),
            reason,
            self.started.elapsed(),
            buffered,
        );
    }
}

impl Drop for AccessLog {
    fn drop(&mut self) {
        if !self.done {
            // The connection closed (or the server stopped) before the answer was ready.
            self.write("-", None, false);
        }
    }
}

/// A response body that marks its connection idle once hyper has taken all of it (or
/// dropped it).
struct Tracked {
    body: Body,
    conn: Arc<ConnState>,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.conn.set(Phase::Idle(Instant::now()));
    }
}
