//! The access log: one line per request on stderr, `PEER METHOD PATH STATUS key=NAME
//! [reason=REASON] DURATION`, the reason of a 401 or 403 (the client of a 401 is not told it).
//! Never a token, a query or a body: a path segment that cannot be a tenant or a
//! key name (longer than 64 bytes once decoded, or of a token's form) is written as
//! `(redacted)`, in case someone put a secret in a URL.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

/// Writes one access-log line.
pub(super) fn access(
    peer: SocketAddr,
    method: &http::Method,
    path: &str,
    status: &str,
    key: Option<&str>,
    reason: Option<&str>,
    took: Duration,
) {
    let line = format!(
        "{peer} {method} {path} {status} key={}{}{} {:.1}ms\n",
        key.unwrap_or("-"),
        if reason.is_some() { " reason=" } else { "" },
        reason.unwrap_or_default(),
        took.as_secs_f64() * 1000.0
    );
    // One write per line, so that lines of concurrent requests never interleave.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// A message of the server's own on stderr.
pub(super) fn say(message: impl AsRef<str>) {
    // A path or a name in a message may be a secret pasted in the wrong place.
    let line = format!("tokenctl serve: {}\n", crate::text::value(message.as_ref()));
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
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
