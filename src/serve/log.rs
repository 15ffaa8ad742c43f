//! The access log: one line per request on stderr, `PEER METHOD PATH STATUS key=NAME
//! [reason=REASON] DURATION`, the reason of a 401 or 403 (the client of a 401 is not told it).
//! Never a token, a query or a body: a path segment that cannot be a tenant or a
//! key name (longer than 64 bytes once decoded, or of a token's form) is written as
//! `(redacted)`, in case someone put a secret in a URL.
//!
//! The gate's 200s, at tens of thousands a second, are buffered: written at most a second
//! late, [`BUFFER`] bytes at a time. Every other line (a denial above all) is written at once,
//! after the buffered lines before it.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Lines buffered and not yet written, and when the first of them was.
static PENDING: Mutex<(Vec<u8>, Option<Instant>)> = Mutex::new((Vec::new(), None));

/// The most bytes of lines kept before they are written.
const BUFFER: usize = 16 * 1024;

/// The longest a buffered line waits.
pub(super) const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Writes one access-log line; with `buffered`, perhaps later (see the module's comment).
#[allow(clippy::too_many_arguments)]
pub(super) fn access(
    peer: SocketAddr,
    method: &http::Method,
    path: &str,
    status: &str,
    key: Option<&str>,
    reason: Option<&str>,
    took: Duration,
    buffered: bool,
) {
    use std::fmt::Write as _;
    let mut pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
    let (lines, since) = &mut *pending;
    let mut line = String::with_capacity(96);
    let _ = writeln!(
        line,
        "{peer} {method} {path} {status} key={}{}{} {:.1}ms",
        key.unwrap_or("-"),
        if reason.is_some() { " reason=" } else { "" },
        reason.unwrap_or_default(),
        took.as_secs_f64() * 1000.0
    );
    lines.extend_from_slice(line.as_bytes());
    since.get_or_insert_with(Instant::now);
    if !buffered || lines.len() >= BUFFER || since.is_some_and(|t| t.elapsed() >= FLUSH_EVERY) {
        write_out(lines, since);
    }
}

/// Writes the lines buffered, if they waited [`FLUSH_EVERY`] (`all`: whatever their age).
pub(super) fn flush(all: bool) {
    let mut pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
    let (lines, since) = &mut *pending;
    if all || since.is_some_and(|t| t.elapsed() >= FLUSH_EVERY) {
        write_out(lines, since);
    }
}

fn write_out(lines: &mut Vec<u8>, since: &mut Option<Instant>) {
    // One write for whole lines, so that lines of concurrent requests never interleave.
    let _ = std::io::stderr().lock().write_all(lines);
    lines.clear();
    *since = None;
}

/// A message of the server's own on stderr.
pub(super) fn say(message: impl AsRef<str>) {
    // A path or a name in a message may be a secret pasted in the wrong place.
    let line = format!("tokenctl serve: {}\n", crate::text::value(message.as_ref()));
    let mut pending = PENDING.lock().unwrap_or_else(PoisonError::into_inner);
    let (lines, since) = &mut *pending;
    lines.extend_from_slice(line.as_bytes());
    write_out(lines, since);
}

/// The path as the log shows it (see the module's comment). Without its query: hyper has
/// already split it off.
pub(super) fn path_for_log(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if could_be_secret(segment) {
                "(redacted)"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn could_be_secret(segment: &str) -> bool {
    let decoded_len = segment.len() - 2 * segment.matches('%').count();
    if decoded_len > 64 {
        return true;
    }
    // `<prefix>_<hex>`: a token cut short still gives most of itself away.
    match segment.split_once('_') {
        Some((prefix, rest)) => {
            (1..=16).contains(&prefix.len())
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && rest.len() >= 16
                && rest.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_paths_are_not_logged() {
        let token = format!("tk_{}", "ab12".repeat(18));
        assert_eq!(
            path_for_log(&format!("/api/acme/admin/apiKeys/{token}")),
            "/api/acme/admin/apiKeys/(redacted)"
        );
        assert_eq!(
            path_for_log(&format!("/api/{}/whoami", "x".repeat(65))),
            "/api/(redacted)/whoami"
        );
        assert_eq!(
            path_for_log("/api/acme/admin/apiKeys/ci_deploy.v2"),
            "/api/acme/admin/apiKeys/ci_deploy.v2"
        );
        assert_eq!(path_for_log("/healthz"), "/healthz");
    }
}
