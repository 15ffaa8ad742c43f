//! What a verification gives: an [`Outcome`] (200, 401 or 403), the [`Rejection`] or
//! [`Denial`] behind a refusal, their one-line reasons and the one word of each.

use crate::token::Malformed;
use jiff::Timestamp;
use std::fmt;
use std::net::IpAddr;

/// The outcome of verifying one token.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Accepted: the key's name and permissions; `previous` when an old secret in its grace
    /// period was used.
    Valid {
        key: String,
        permissions: Vec<String>,
        previous: bool,
    },
    /// HTTP 401: the token is not a working key.
    Rejected(Rejection),
    /// HTTP 403: the token is a working key, but not for this request.
    Forbidden(Denial),
}

impl fmt::Display for Outcome {
    /// One line: "valid: key 'ci', permissions: dns:read", or the reason it is not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Valid {
                key,
                permissions,
                previous,
            } => {
                write!(f, "valid: key '{key}'")?;
                if *previous {
                    write!(f, " (an old secret, in its rotation grace period)")?;
                }
                if permissions.is_empty() {
                    write!(f, ", permissions: (none)")
                } else {
                    write!(f, ", permissions: {}", permissions.join(", "))
                }
            }
            Outcome::Rejected(r) => r.fmt(f),
            Outcome::Forbidden(d) => d.fmt(f),
        }
    }
}

impl Outcome {
    /// The HTTP status a server should answer with.
    pub fn http_status(&self) -> u16 {
        match self {
            Outcome::Valid { .. } => 200,
            Outcome::Rejected(_) => 401,
            Outcome::Forbidden(_) => 403,
        }
    }

    /// The outcome in one word, as `verify --format json` and the admin API give it:
    /// `valid`, `empty`, `whitespace`, `bad-header`, `bad-input`, `malformed`, `unknown`,
    /// `ambiguous`, `disabled`, `expired`, `rotated` (401), `permission`, `ip`, `path`,
    /// `resource` (403).
    pub fn reason(&self) -> &'static str {
        match self {
            Outcome::Valid { .. } => "valid",
            Outcome::Rejected(r) => r.word(),
            Outcome::Forbidden(d) => d.word(),
        }
    }

    /// The key the token is the secret of, where the outcome names one: a valid token, a
    /// disabled, expired or rotated one, and every 403.
    pub fn key(&self) -> Option<&str> {
        match self {
            Outcome::Valid { key, .. } => Some(key),
            Outcome::Rejected(r) => r.key(),
            Outcome::Forbidden(d) => Some(d.key()),
        }
    }
}

/// An [`Outcome`] that borrows the key's name and permissions from the
/// [`Verifier`](super::Verifier) instead of owning copies: what
/// [`Verifier::check`](super::Verifier::check) gives, so that a valid token costs no
/// allocation. A refusal owns its reason, as in an `Outcome`. `Outcome::from(verdict)` is
/// the owned form, equal to what `Verifier::verify` gives for the same token.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict<'v> {
    /// Accepted: the key's name and permissions; `previous` when an old secret in its grace
    /// period was used.
    Valid {
        key: &'v str,
        permissions: &'v [String],
        previous: bool,
    },
    /// HTTP 401: the token is not a working key.
    Rejected(Rejection),
    /// HTTP 403: the token is a working key, but not for this request.
    Forbidden(Denial),
}

impl Verdict<'_> {
    /// The HTTP status a server should answer with: [`Outcome::http_status`].
    pub fn http_status(&self) -> u16 {
        match self {
            Verdict::Valid { .. } => 200,
            Verdict::Rejected(_) => 401,
            Verdict::Forbidden(_) => 403,
        }
    }

    /// The key the token is the secret of, where the verdict names one: [`Outcome::key`].
    pub fn key(&self) -> Option<&str> {
        match self {
            Verdict::Valid { key, .. } => Some(key),
            Verdict::Rejected(r) => r.key(),
            Verdict::Forbidden(d) => Some(d.key()),
        }
    }

    /// The verdict in one word: [`Outcome::reason`].
    pub fn reason(&self) -> &'static str {
        match self {
            Verdict::Valid { .. } => "valid",
            Verdict::Rejected(r) => r.word(),
            Verdict::Forbidden(d) => d.word(),
        }
    }
}

impl From<Verdict<'_>> for Outcome {
    fn from(verdict: Verdict<'_>) -> Self {
        match verdict {
            Verdict::Valid {
                key,
                permissions,
                previous,
            } => Outcome::Valid {
                key: key.to_string(),
                permissions: permissions.to_vec(),
                previous,
            },
            Verdict::Rejected(r) => Outcome::Rejected(r),
            Verdict::Forbidden(d) => Outcome::Forbidden(d),
        }
    }
}

impl Rejection {
    /// [`Outcome::key`] of a 401: a disabled, expired or rotated key's name.
    fn key(&self) -> Option<&str> {
        match self {
            Rejection::Disabled { key }
            | Rejection::Expired { key, .. }
            | Rejection::Rotated { key, .. } => Some(key),
            _ => None,
        }
    }

    /// [`Outcome::reason`] of a 401.
    fn word(&self) -> &'static str {
        match self {
            Rejection::Empty => "empty",
            Rejection::Whitespace => "whitespace",
            Rejection::BadHeader(_) => "bad-header",
            Rejection::Input(_) => "bad-input",
            Rejection::Malformed(_) => "malformed",
            Rejection::Unknown => "unknown",
            Rejection::Ambiguous { .. } => "ambiguous",
            Rejection::Disabled { .. } => "disabled",
            Rejection::Expired { .. } => "expired",
            Rejection::Rotated { .. } => "rotated",
        }
    }
}

impl Denial {
    /// [`Outcome::key`] of a 403: the key that lacks what the request needs.
    fn key(&self) -> &str {
        match self {
            Denial::Permission { key, .. }
            | Denial::Ip { key, .. }
            | Denial::Path { key, .. }
            | Denial::Resource { key, .. } => key,
        }
    }

    /// [`Outcome::reason`] of a 403.
    fn word(&self) -> &'static str {
        match self {
            Denial::Permission { .. } => "permission",
            Denial::Ip { .. } => "ip",
            Denial::Path { .. } => "path",
            Denial::Resource { .. } => "resource",
        }
    }
}

/// Why a token is not a working key.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    /// No token at all (an empty input, or `Bearer` with nothing after it).
    Empty,
    /// Whitespace or a newline around the token (a copy-paste mistake).
    Whitespace,
    /// An Authorization value whose scheme is neither Bearer nor Basic, or Basic that is not base64.
    BadHeader(String),
    /// Input that cannot be a token at all: too long, not text.
    Input(String),
    /// Starts like one of tokenctl's tokens but is not of its form, or the check digits do
    /// not match: mistyped or cut short. Found before any lookup.
    Malformed(Malformed),
    /// No key has this secret.
    Unknown,
    /// More than one key has this secret (as its hash or among its previousHashes): servers
    /// that take the first match would disagree on which key it is, so none is. `keys` are
    /// the first [`MAX_NAMED`](super::MAX_NAMED) of them in file order, `more` how many others there are.
    Ambiguous {
        keys: Vec<String>,
        more: usize,
    },
    Disabled {
        key: String,
    },
    Expired {
        key: String,
        at: Timestamp,
    },
    /// An old secret whose grace period has ended.
    Rotated {
        key: String,
        at: Timestamp,
    },
}

/// What a working key lacks for this request.
#[derive(Debug, Clone, PartialEq)]
pub enum Denial {
    Permission {
        key: String,
        needed: String,
    },
    Ip {
        key: String,
        ip: IpAddr,
    },
    /// The path is outside the key's pathPrefix, or (`problem`) not normalised, so that
    /// where it leads depends on who reads it.
    Path {
        key: String,
        path: String,
        problem: Option<&'static str>,
    },
    Resource {
        key: String,
        resource: String,
    },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Empty => write!(f, "empty token: there is nothing to verify"),
            Rejection::Whitespace => write!(
                f,
                "the token has whitespace or a line break around it; remove it (a copy-paste mistake?)"
            ),
            Rejection::BadHeader(why) => write!(f, "malformed Authorization value: {why}"),
            Rejection::Input(why) => write!(f, "{why}"),
            Rejection::Malformed(why) => why.fmt(f),
            Rejection::Unknown => write!(f, "unknown token: no key in this file has this secret"),
            Rejection::Ambiguous { keys, more } => write!(
                f,
                "ambiguous token: keys {} share this secret, so it is refused for all of them; \
                 rotate all but one of them (without --grace)",
                name_list(keys, *more)
            ),
            Rejection::Disabled { key } => write!(f, "key '{key}' is disabled"),
            Rejection::Expired { key, at } => {
                write!(
                    f,
                    "key '{key}' expired at {}",
                    crate::time::format_timestamp(*at)
                )
            }
            Rejection::Rotated { key, at } => write!(
                f,
                "this is an old secret of key '{key}': it was rotated and stopped working at {}",
                crate::time::format_timestamp(*at)
            ),
        }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denial::Permission { key, needed } => {
                write!(f, "key '{key}' lacks permission '{needed}'")
            }
            Denial::Ip { key, ip } => write!(f, "key '{key}' is not allowed from {ip}"),
            Denial::Path {
                key,
                path,
                problem: None,
            } => write!(f, "key '{key}' is not allowed on path {path}"),
            Denial::Path {
                key,
                path,
                problem: Some(why),
            } => write!(
                f,
                "key '{key}' is restricted to a path prefix and the path {path:?} is not normalised: {why}"
            ),
            Denial::Resource { key, resource } => {
                write!(f, "key '{key}' is not allowed on resource '{resource}'")
            }
        }
    }
}

impl Denial {
    /// The refusal as a server tells its client: the same words as `Display`, without the
    /// key's name (`this key lacks permission 'dns:write'`), so that a client holding some
    /// token does not learn which key it is.
    pub fn unnamed(&self) -> String {
        let named = self.to_string();
        let key = match self {
            Denial::Permission { key, .. }
            | Denial::Ip { key, .. }
            | Denial::Path { key, .. }
            | Denial::Resource { key, .. } => key,
        };
        let name = format!("key '{key}'");
        match named.strip_prefix(&name) {
            Some(rest) => format!("this key{rest}"),
            None => named,
        }
    }
}

/// "'a'", "'a' and 'b'", "'a', 'b' and 'c'", "'a', 'b' and 3 more".
fn name_list(names: &[String], more: usize) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    if more > 0 {
        return format!("{} and {more} more", quoted.join(", "));
    }
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}
