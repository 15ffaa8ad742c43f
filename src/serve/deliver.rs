//! Handing out a new secret over HTTP (SECURITY.md, "Integrity of the file": a secret is delivered before
//! the file is replaced, and if it cannot be, nothing is written).
//!
//! Over a connection, "delivered" means: the response's head and all of its body but the
//! closing `}` and line break are in the kernel's hands for the client's connection (hyper
//! has flushed them to the socket). Only then is the file renamed into place, and only after
//! the rename succeeded are the last two bytes sent. So:
//! - a client that has gone (the connection closed or reset, the request timed out) before
//!   that point gets no key: nothing is written;
//! - a rename that fails after that point resets the connection before the body is complete,
//!   so the client never holds a whole 201 with a secret that is not in force (clients refuse
//!   a body shorter than its Content-Length);
//! - what TCP cannot tell, no server can: a client that vanishes after the kernel took the
//!   bytes may never read them although its key exists, as a reader of the CLI's pipe may
//!   exit unread; such a key is found by its name and deleted.
//!
//! The write holds the file's lock while it waits, for at most [`HAND_OVER_TIMEOUT`].

use super::conn::ConnState;
use super::reply::ApiError;
use super::write::{self, Planned};
use crate::document::Document;
use crate::error::Error;
use crate::store::Store;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::mpsc::SyncSender;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::oneshot;
use zeroize::Zeroizing;

/// How long a write waits for the response to reach the socket.
pub(super) const HAND_OVER_TIMEOUT: Duration = Duration::from_secs(5);

/// How many bytes are held back: the closing `}` and the line break.
const HELD: usize = 2;

/// A response body made under the write lock, to be handed over before the rename.
pub(super) struct Prepared {
    pub etag: String,
    pub body: Zeroizing<Vec<u8>>,
    /// Told when the body but its last bytes has reached the socket.
    pub handed: SyncSender<()>,
    /// Says whether the file was replaced.
    pub committed: oneshot::Receiver<bool>,
}

/// The body of a response that holds a new secret (see the module's comment).
pub(super) struct Held {
    body: Zeroizing<Vec<u8>>,
    conn: Arc<ConnState>,
    handed: Option<SyncSender<()>>,
    committed: oneshot::Receiver<bool>,
    step: Step,
}

enum Step {
    /// Nothing sent yet.
    Start,
    /// The first part is with hyper; waiting for a flush after this count.
    Flushing(Option<u64>),
    /// The first part is in the socket; waiting for the rename.
    Committing,
    Done,
}

impl Held {
    pub(super) fn new(prepared: Prepared, conn: Arc<ConnState>) -> Held {
        debug_assert!(prepared.body.ends_with(b"}\n"));
        Held {
            body: prepared.body,
            conn,
            handed: Some(prepared.handed),
            committed: prepared.committed,
            step: Step::Start,
        }
    }
}

impl http_body::Body for Held {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let split = self.body.len() - HELD;
        loop {
            match self.step {
                Step::Start => {
                    self.step = Step::Flushing(None);
                    // hyper copies this into its write buffer; that copy is not ours to wipe.
                    let first = Bytes::copy_from_slice(&self.body[..split]);
                    return Poll::Ready(Some(Ok(Frame::data(first))));
                }
                Step::Flushing(None) => {
                    // hyper asks for more once it holds the first part: any flush from now on
                    // has written it.
                    let now = self.conn.flushes();
                    self.step = Step::Flushing(Some(now));
                }
                Step::Flushing(Some(since)) => {
                    if self.conn.poll_flushed_since(since, cx).is_pending() {
                        return Poll::Pending;
                    }
                    if let Some(handed) = self.handed.take() {
                        // The writer may have given up waiting: then the rename never comes.
                        let _ = handed.try_send(());
                    }
                    self.step = Step::Committing;
                }
                Step::Committing => {
                    let committed = match Pin::new(&mut self.committed).poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(r) => r.unwrap_or(false),
                    };
                    self.step = Step::Done;
                    if !committed {
                        // An error mid-body: hyper resets the connection.
                        return Poll::Ready(Some(Err(std::io::Error::other(
                            "the file was not replaced; the response is cut off",
                        ))));
                    }
                    let rest = Bytes::copy_from_slice(&self.body[split..]);
                    return Poll::Ready(Some(Ok(Frame::data(rest))));
                }
                Step::Done => return Poll::Ready(None),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.step, Step::Done)
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.body.len() as u64)
    }
}

/// Writes what `plan` gives under the file's lock on a blocking thread (`plan` comes from
/// [`write::guarded`]), and hands the new key `name`'s secret to the connection before the
/// rename (see the module's comment): answers the body to send (`render`'s bytes) and the
/// file's ETag, or the refusal or error of a write that ended before it had anything to hand
/// out. `render` is given the policy's warnings of the write ([`write::warning_lines`]).
/// `caller` names the key that asked, for the log.
pub(super) async fn hand_over<T: Send + 'static>(
    store: Store,
    plan: impl FnOnce(&Document) -> Planned<T> + Send + 'static,
    render: impl FnOnce(&T, &[String]) -> crate::error::Result<Zeroizing<Vec<u8>>> + Send + 'static,
    conn: Arc<ConnState>,
    (name, caller): (String, String),
) -> Result<(Held, String), ApiError> {
    let (prepared_tx, prepared_rx) = oneshot::channel::<Prepared>();
    let (commit_tx, commit_rx) = oneshot::channel::<bool>();
    let file = store.path().to_path_buf();
    let job: write::Job<_> = tokio::task::spawn_blocking(move || {
        let written = store.write(None, plan, |value, sha256| {
            let Ok(value) = value else {
                unreachable!("a refusal writes nothing")
            };
            // The policy judged the edit before this: its warnings are in.
            let body = render(value, &write::warning_lines(&store))?;
            let (handed_tx, handed_rx) = std::sync::mpsc::sync_channel(1);
            let prepared = Prepared {
                etag: format!("sha256:{}", sha256.unwrap_or_default()),
                body,
                handed: handed_tx,
                committed: commit_rx,
            };
            prepared_tx.send(prepared).map_err(|_| {
                Error::Other("the client closed its connection before the answer".into())
            })?;
            handed_rx.recv_timeout(HAND_OVER_TIMEOUT).map_err(|_| {
                Error::Other("the answer could not be handed to the client's connection".into())
            })?;
            Ok(true)
        });
        let _ = commit_tx.send(written.is_ok());
        if let Err(e @ Error::NotDelivered(_)) = &written {
            // The handler may be gone with the client: say it here.
            super::log::say(format!("key '{name}' was not created: {e}"));
        }
        written
    });
    match prepared_rx.await {
        Ok(prepared) => {
            let etag = prepared.etag.clone();
            // The outcome of the rename is logged when it fails; the client sees a
            // response cut off.
            tokio::spawn(async move {
                if let Ok(Err(e)) = job.await {
                    super::log::say(format!(
                        "creating a key for {caller}: {e}; the answer was cut off, so the client holds no complete secret"
                    ));
                }
            });
            Ok((Held::new(prepared, conn), etag))
        }
        // The write ended before it had anything to hand out: a refusal or an error.
        Err(_) => {
            write::finished(job, &file).await?;
            Err(ApiError::internal(
                "the key was not created: the file did not change".into(),
            ))
        }
    }
}
