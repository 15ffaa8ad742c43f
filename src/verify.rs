//! The verification rule of docs/FORMAT.md ("How a token is verified"), pure and fast: a loaded file
//! is indexed by hash once, and each check is one SHA-256, one hash-map lookup, a constant-time
//! comparison and the request's constraints. This is the API a Rust server uses: load a
//! [`Verifier`] once (again when the file changes), then call [`Verifier::verify_header`] or
//! [`Verifier::verify`] per request; the [`Outcome`] carries the HTTP status and a one-line
//! reason, the same words `tokenctl verify` prints.
//!
//! ```
//! use tokenctl::verify::{Outcome, Request, Verifier};
//!
//! // A key made the way `tokenctl create` makes one: only the hash goes into the file.
//! let secret = tokenctl::token::generate("tk").unwrap();
//! let yaml = format!(
//!     "apiKeys:\n  ci:\n    permissions: [dns:read]\n    hash: {}\n",
//!     secret.hash()
//! );
//! let verifier = Verifier::from_yaml(&yaml).unwrap(); // or Verifier::load(path)
//! let now = jiff::Timestamp::now();
//!
//! // Per request: the Authorization header, and what the route needs.
//! let header = format!("Bearer {}", secret.expose());
//! let request = Request { permission: Some("dns:read"), ..Request::default() };
//! let outcome = verifier.verify_header(&header, &request, now);
//! assert_eq!(outcome.http_status(), 200);
//! assert!(matches!(&outcome, Outcome::Valid { key, .. } if key == "ci"));
//!
//! // The same token without the permission the route needs: 403, saying which.
//! let write = Request { permission: Some("dns:write"), ..Request::default() };
//! let outcome = verifier.verify_header(&header, &write, now);
//! assert_eq!(outcome.http_status(), 403);
//! assert_eq!(outcome.to_string(), "key 'ci' lacks permission 'dns:write'");
//!
//! // Anything else is a 401 with the reason.
//! match verifier.verify("tk_not-a-real-token-but-long-enough", &Request::default(), now) {
//!     Outcome::Valid { key, .. } => println!("ok: {key}"),
//!     Outcome::Rejected(why) => println!("401: {why}"),
//!     Outcome::Forbidden(why) => println!("403: {why}"),
//! }
//! ```

use crate::model::{ApiKey, SecurityFile};
use crate::token::{self, Malformed, TokenHash};
use base64::Engine;
use jiff::Timestamp;
use std::fmt;
use std::net::IpAddr;

/// What a request asks for, beyond a valid token. Empty fields are not checked.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    pub permission: Option<&'a str>,
    pub ip: Option<IpAddr>,
    /// The request path as sent, percent-encoded, without the query (`uri.path()`). For a
    /// key with a `pathPrefix`, a path that is not normalised is refused: see [`path_problem`].
    pub path: Option<&'a str>,
    pub resource: Option<&'a str>,
}

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

/// Tokens longer than this are refused before hashing: no key's secret is that long
/// (`create --secret-stdin` reads at most 64 KiB).
pub const MAX_TOKEN_LEN: usize = 64 * 1024;

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
            Outcome::Rejected(r) => match r {
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
            },
            Outcome::Forbidden(d) => match d {
                Denial::Permission { .. } => "permission",
                Denial::Ip { .. } => "ip",
                Denial::Path { .. } => "path",
                Denial::Resource { .. } => "resource",
            },
        }
    }

    /// The key the token is the secret of, where the outcome names one: a valid token, a
    /// disabled, expired or rotated one, and every 403.
    pub fn key(&self) -> Option<&str> {
        match self {
            Outcome::Valid { key, .. } => Some(key),
            Outcome::Rejected(
                Rejection::Disabled { key }
                | Rejection::Expired { key, .. }
                | Rejection::Rotated { key, .. },
            ) => Some(key),
            Outcome::Rejected(_) => None,
            Outcome::Forbidden(
                Denial::Permission { key, .. }
                | Denial::Ip { key, .. }
                | Denial::Path { key, .. }
                | Denial::Resource { key, .. },
            ) => Some(key),
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
    /// the first [`MAX_NAMED`] of them in file order, `more` how many others there are.
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

type Index = (rustc_hash::FxHashMap<TokenHash, Slot>, Vec<Vec<usize>>);

/// Every hash of the file (current and previous, expired or not), and the groups of keys
/// (indexes in file order) that share one.
fn index(file: &SecurityFile) -> Index {
    use std::collections::hash_map::Entry;
    let mut by_hash: rustc_hash::FxHashMap<TokenHash, Slot> =
        rustc_hash::FxHashMap::with_capacity_and_hasher(file.keys.len(), Default::default());
    let mut shared: Vec<Vec<usize>> = Vec::new();
    for (i, k) in file.keys.iter().enumerate() {
        let hashes = std::iter::once((k.hash, None)).chain(
            k.previous_hashes
                .iter()
                .map(|p| (p.hash, Some(p.expires_at))),
        );
        for (hash, previous) in hashes {
            let mut e = match by_hash.entry(hash) {
                Entry::Vacant(e) => {
                    e.insert(Slot::Key { index: i, previous });
                    continue;
                }
                Entry::Occupied(e) => e,
            };
            match *e.get() {
                // The same key twice: its current hash wins, else the latest expiry.
                Slot::Key {
                    index,
                    previous: Some(old),
                } if index == i => {
                    let previous = previous.map(|new| new.max(old));
                    e.insert(Slot::Key { index, previous });
                }
                Slot::Key { index, .. } if index == i => {}
                // Another key's, expired or not: a first-match server could pick either
                // one, so the hash is no one's.
                Slot::Key { index, .. } => {
                    shared.push(vec![index, i]);
                    e.insert(Slot::Shared(shared.len() - 1));
                }
                // Keys come in order, so key i is in the group only if it is the last one.
                Slot::Shared(s) => {
                    if shared[s].last() != Some(&i) {
                        shared[s].push(i);
                    }
                }
            }
        }
    }
    (by_hash, shared)
}

/// For each key that shares a secret with others (a hash, current or in previousHashes,
/// expired or not), the first [`MAX_NAMED`] of those others in file order. A token with
/// such a hash is refused as ambiguous; `list` and `show` point them out, `check` reports
/// them.
pub fn shared_secrets(file: &SecurityFile) -> std::collections::HashMap<&str, Vec<&str>> {
    shared_map(file, &index(file).1)
}

/// [`shared_secrets`] from the groups [`index`] found.
fn shared_map<'f>(
    file: &'f SecurityFile,
    groups: &[Vec<usize>],
) -> std::collections::HashMap<&'f str, Vec<&'f str>> {
    let mut out: std::collections::HashMap<&str, Vec<&str>> = std::collections::HashMap::new();
    for group in groups {
        for &i in group {
            let others = out.entry(file.keys[i].name.as_str()).or_default();
            // A key in several groups may meet the same other key twice; a few at most.
            for &j in group.iter().filter(|&&j| j != i) {
                if others.len() >= MAX_NAMED {
                    break;
                }
                let name = file.keys[j].name.as_str();
                if !others.contains(&name) {
                    others.push(name);
                }
            }
        }
    }
    out
}

/// How many keys a message or list names when a secret is shared: a hostile file could
/// give thousands of keys one hash, and each refusal must stay cheap.
pub const MAX_NAMED: usize = 10;

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

/// A security.yml loaded once and indexed for verifying many tokens.
#[derive(Debug, Clone)]
pub struct Verifier {
    file: SecurityFile,
    by_hash: rustc_hash::FxHashMap<TokenHash, Slot>,
    /// Keys (indexes, in file order) that share a hash; [`Slot::Shared`] points here.
    shared: Vec<Vec<usize>>,
    /// Prefixes whose tokens must be of tokenctl's form: the file's and the default.
    prefixes: [String; 2],
}

/// Whose a hash is.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// One key's: its current hash (`previous` none) or an old one valid until `previous`.
    Key {
        index: usize,
        previous: Option<Timestamp>,
    },
    /// More than one key's: the index of the list in `shared`.
    Shared(usize),
}

impl Verifier {
    /// Indexes a loaded file.
    pub fn new(file: SecurityFile) -> Self {
        let (by_hash, shared) = index(&file);
        let prefixes = [
            file.prefix().to_string(),
            crate::model::DEFAULT_PREFIX.to_string(),
        ];
        Verifier {
            file,
            by_hash,
            shared,
            prefixes,
        }
    }

    /// Parses security.yml text (docs/FORMAT.md format) and indexes it.
    pub fn from_yaml(text: &str) -> crate::Result<Self> {
        let doc = crate::document::Document::load(
            std::path::Path::new("security.yml"),
            text.to_string(),
        )?;
        Ok(Verifier::new(doc.model))
    }

    /// Loads and indexes a file; a missing file has no keys. Errors carry file:line:column.
    pub fn load(path: impl AsRef<std::path::Path>) -> crate::Result<Self> {
        let store = crate::store::Store::new(
            path.as_ref().to_path_buf(),
            crate::store::DEFAULT_LOCK_TIMEOUT,
        );
        Ok(Verifier::new(store.read()?.model))
    }

    /// The loaded file.
    pub fn file(&self) -> &SecurityFile {
        &self.file
    }

    /// [`shared_secrets`] of the loaded file, from the index already built.
    pub fn shared_secrets(&self) -> std::collections::HashMap<&str, Vec<&str>> {
        shared_map(&self.file, &self.shared)
    }

    /// Verifies a whole `Authorization` header value (`Bearer ...` or `Basic ...`).
    pub fn verify_header(&self, header: &str, request: &Request, now: Timestamp) -> Outcome {
        match token_from_header(header) {
            Ok(t) => self.verify(&t, request, now),
            Err(r) => Outcome::Rejected(r),
        }
    }

    /// Verifies a bare token.
    pub fn verify(&self, token: &str, request: &Request, now: Timestamp) -> Outcome {
        if token.is_empty() {
            return Outcome::Rejected(Rejection::Empty);
        }
        if token.len() > MAX_TOKEN_LEN {
            return Outcome::Rejected(Rejection::Input(format!(
                "the token is {} bytes long; no key's secret is longer than {} KiB",
                token.len(),
                MAX_TOKEN_LEN / 1024
            )));
        }
        if token.trim() != token {
            return Outcome::Rejected(Rejection::Whitespace);
        }
        let prefixes = [self.prefixes[0].as_str(), self.prefixes[1].as_str()];
        if let Err(why) = token::check_form(token, &prefixes) {
            return Outcome::Rejected(Rejection::Malformed(why));
        }
        self.verify_hash(&TokenHash::of(token), request, now)
    }

    /// Verifies a token by its hash (steps 3 to 5), for callers that hashed it already and
    /// must not keep the secret around (`scan`).
    pub fn verify_hash(&self, hash: &TokenHash, request: &Request, now: Timestamp) -> Outcome {
        // The map lookup compares SHA-256 digests of the caller's input, so its timing tells
        // nothing about a stored secret; the final comparison is constant-time all the same.
        let Some((stored, &slot)) = self.by_hash.get_key_value(hash) else {
            return Outcome::Rejected(Rejection::Unknown);
        };
        if !stored.ct_eq(hash) {
            return Outcome::Rejected(Rejection::Unknown);
        }
        let (index, previous) = match slot {
            Slot::Key { index, previous } => (index, previous),
            Slot::Shared(s) => {
                let group = &self.shared[s];
                return Outcome::Rejected(Rejection::Ambiguous {
                    keys: group
                        .iter()
                        .take(MAX_NAMED)
                        .map(|&i| self.file.keys[i].name.clone())
                        .collect(),
                    more: group.len().saturating_sub(MAX_NAMED),
                });
            }
        };
        let key = &self.file.keys[index];
        if let Some(at) = previous {
            if at <= now {
                return Outcome::Rejected(Rejection::Rotated {
                    key: key.name.clone(),
                    at,
                });
            }
        }
        if !key.enabled {
            return Outcome::Rejected(Rejection::Disabled {
                key: key.name.clone(),
            });
        }
        if let Some(at) = key.expires_at.filter(|t| *t <= now) {
            return Outcome::Rejected(Rejection::Expired {
                key: key.name.clone(),
                at,
            });
        }
        if let Some(denial) = check_request(key, request) {
            return Outcome::Forbidden(denial);
        }
        Outcome::Valid {
            key: key.name.clone(),
            permissions: key.permissions.clone(),
            previous: previous.is_some(),
        }
    }
}

/// Does a `pathPrefix` grant a (normalised) request path? The path equals the prefix or
/// continues it with `/`; a prefix ending in `/` grants what follows it; `=/x` grants exactly
/// `/x`. `/dns/example.com` grants `/dns/example.com/a`, not `/dns/example.com.evil.org`.
pub fn path_allowed(prefix: &str, path: &str) -> bool {
    if let Some(exact) = prefix.strip_prefix('=') {
        return path == exact;
    }
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || prefix.ends_with('/') || rest.starts_with('/'),
        None => false,
    }
}

/// Why a request path is not normalised, or `None` when it is. The path is the one sent on
/// the wire, percent-encoded and without the query. Refused: an empty or relative path;
/// segments of dots only (`.`, `..`, `...`; also with `;` parameters, `..;`); empty segments
/// (`//`, a trailing `/` is fine); every percent-encoded byte but an unreserved one (`A-Z`,
/// `a-z`, `0-9`, `-`, `_`, `~`), so `%2F`, `%2E`, `%25`, `%20`, `%3B`, `%3F`, `%23` and any
/// byte not ASCII (`%C0%AE` is an overlong `.`) are refused, and a `%` without two hex
/// digits; `\`, `?`, `#`, spaces, control characters and anything not ASCII. Each is a way
/// for a server, a proxy and this check to see different paths.
pub fn path_problem(path: &str) -> Option<&'static str> {
    let Some(rest) = path.strip_prefix('/') else {
        return Some(if path.is_empty() {
            "it is empty"
        } else {
            "it does not start with /"
        });
    };
    if path.bytes().any(|b| !b.is_ascii_graphic()) {
        return Some("it holds a space, a control character or a character that is not ASCII");
    }
    for (c, why) in [
        ('?', "it holds '?': give the path without its query"),
        ('#', "it holds '#': give the path without its fragment"),
        ('\\', "it holds a backslash, which some servers read as /"),
    ] {
        if path.contains(c) {
            return Some(why);
        }
    }
    let bytes = path.as_bytes();
    for (i, _) in path.match_indices('%') {
        let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
        let (Some(hi), Some(lo)) = (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) else {
            return Some("it holds a '%' that is not followed by two hex digits");
        };
        // Only an encoded unreserved character means the same to every reader.
        match (hi * 16 + lo) as u8 {
            b if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') => {}
            b'/' => return Some("it holds %2F, an encoded /"),
            b'.' => return Some("it holds %2E, an encoded ."),
            b'%' => return Some("it holds %25, an encoded % (encoded twice?)"),
            b'\\' => return Some("it holds %5C, an encoded backslash"),
            b if b < 0x20 || b == 0x7f => return Some("it holds an encoded control character"),
            0x80.. => {
                return Some(
                    "it holds an encoded byte that is not ASCII (%80 to %FF), which servers decode differently",
                );
            }
            _ => {
                return Some(
                    "it holds an encoded character other than a letter, a digit, '-', '_' or '~' (%20, %3B, %3F, %23...)",
                );
            }
        }
    }
    let mut segments = rest.split('/').peekable();
    while let Some(segment) = segments.next() {
        // `..;x` is `..` to servers that drop path parameters (Tomcat, Jetty).
        let name = segment.split(';').next().unwrap_or_default();
        match name {
            "." => return Some("it holds a '.' segment"),
            ".." => return Some("it holds a '..' segment"),
            // Windows file systems take `...` for `.` or `..`.
            _ if !name.is_empty() && name.bytes().all(|b| b == b'.') => {
                return Some("it holds a segment of dots only ('...')");
            }
            "" if segments.peek().is_some() => return Some("it holds an empty segment (//)"),
            _ => {}
        }
    }
    None
}

/// The address a client is judged by: an IPv4-mapped IPv6 address (`::ffff:10.1.2.3`, what a
/// dual-stack socket reports for an IPv4 client) is that IPv4 address, so one key is judged
/// the same way by `verify --ip`, a [`Verifier`] and `serve`. Other addresses are unchanged.
pub fn client_address(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// Does an `allowedIps` entry hold a client's address (already [`client_address`])? An entry
/// written in the IPv4-mapped form (`::ffff:10.0.0.0/104`) holds the IPv4 addresses it maps.
fn network_contains(net: &ipnet::IpNet, ip: IpAddr) -> bool {
    if let (ipnet::IpNet::V6(v6), IpAddr::V4(_)) = (net, ip) {
        if let (Some(v4), true) = (v6.network().to_ipv4_mapped(), v6.prefix_len() >= 96) {
            return ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                .is_ok_and(|n| ipnet::IpNet::V4(n).contains(&ip));
        }
    }
    net.contains(&ip)
}

/// Does a permission list grant `needed`? `*`, the exact scope, or `resource:*`.
pub fn grants(permissions: &[String], needed: &str) -> bool {
    permissions.iter().any(|p| {
        p == "*"
            || p == needed
            || p.strip_suffix(":*")
                .is_some_and(|r| needed.split_once(':').is_some_and(|(nr, _)| nr == r))
    })
}

fn check_request(key: &ApiKey, request: &Request) -> Option<Denial> {
    let name = || key.name.clone();
    if let Some(needed) = request.permission {
        if !grants(&key.permissions, needed) {
            return Some(Denial::Permission {
                key: name(),
                needed: needed.to_string(),
            });
        }
    }
    if let (Some(ip), Some(allowed)) = (request.ip, &key.allowed_ips) {
        let ip = client_address(ip);
        if !allowed.iter().any(|net| network_contains(net, ip)) {
            return Some(Denial::Ip { key: name(), ip });
        }
    }
    if let (Some(path), Some(prefix)) = (request.path, &key.path_prefix) {
        let problem = path_problem(path);
        if problem.is_some() || !path_allowed(prefix, path) {
            return Some(Denial::Path {
                key: name(),
                path: path.to_string(),
                problem,
            });
        }
    }
    if let (Some(resource), Some(allowed)) = (request.resource, &key.resources) {
        if !allowed.iter().any(|r| r == resource) {
            return Some(Denial::Resource {
                key: name(),
                resource: resource.to_string(),
            });
        }
    }
    None
}

/// Takes the token out of an `Authorization` value: what follows `Bearer `, or the password of
/// `Basic` credentials (docs/FORMAT.md, "How a token is verified", step 1). The scheme is case-insensitive, as HTTP says; a value
/// with no scheme or another scheme is refused with a reason saying what to send instead.
pub fn token_from_header(value: &str) -> Result<zeroize::Zeroizing<String>, Rejection> {
    // HTTP strips whitespace before a field value; what follows the scheme is kept exactly,
    // so whitespace around the token itself is still diagnosed.
    let trimmed = value.trim_start();
    if trimmed.trim_end().is_empty() {
        return Err(Rejection::Empty);
    }
    let Some((scheme, rest)) = trimmed.split_once(' ') else {
        let word = trimmed.trim_end();
        if word.eq_ignore_ascii_case("bearer") || word.eq_ignore_ascii_case("basic") {
            return Err(Rejection::Empty);
        }
        return Err(Rejection::BadHeader(
            "no scheme: send `Authorization: Bearer <token>` (or Basic credentials with the token as password)".into(),
        ));
    };
    if scheme.eq_ignore_ascii_case("authorization:") {
        return Err(Rejection::BadHeader(
            "this is a whole header line: give only its value, `Bearer <token>`".into(),
        ));
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        if rest.trim().is_empty() {
            return Err(Rejection::Empty);
        }
        return Ok(zeroize::Zeroizing::new(rest.to_string()));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim().as_bytes())
            .map_err(|_| Rejection::BadHeader("Basic credentials are not valid base64".into()))?;
        let decoded = zeroize::Zeroizing::new(decoded);
        let text = std::str::from_utf8(&decoded)
            .map_err(|_| Rejection::BadHeader("Basic credentials are not UTF-8".into()))?;
        let (user, password) = text.split_once(':').ok_or_else(|| {
            Rejection::BadHeader("Basic credentials have no ':' before the password".into())
        })?;
        if password.is_empty() {
            return Err(Rejection::BadHeader(if user.is_empty() {
                "Basic credentials with an empty password: the token goes in the password".into()
            } else {
                "Basic credentials with an empty password: the token goes in the password, not the user name (curl -u any:TOKEN)".into()
            }));
        }
        return Ok(zeroize::Zeroizing::new(password.to_string()));
    }
    // Name the scheme only when it looks like one: the first word might be a secret.
    let looks_like_scheme = scheme.len() <= 16
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    Err(Rejection::BadHeader(if looks_like_scheme {
        format!("unknown scheme '{scheme}': use `Bearer <token>` or Basic credentials")
    } else {
        "no scheme: send `Authorization: Bearer <token>` (or Basic credentials with the token as password)".into()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PreviousHash;

    fn key(name: &str, hash: TokenHash) -> ApiKey {
        ApiKey {
            name: name.into(),
            description: None,
            enabled: true,
            permissions: vec!["dns:read".into()],
            hash,
            created_at: None,
            expires_at: None,
            allowed_ips: None,
            path_prefix: None,
            resources: None,
            previous_hashes: Vec::new(),
        }
    }

    fn at(t: &str) -> Timestamp {
        t.parse().unwrap()
    }

    #[test]
    fn many_keys_are_found_by_hash() {
        // 100,000 keys: each lookup is one map probe, whichever key it is.
        let secrets: Vec<String> = (0..100_000)
            .map(|i| format!("imported-secret-{i:032}"))
            .collect();
        let keys = secrets
            .iter()
            .enumerate()
            .map(|(i, s)| key(&format!("k{i}"), TokenHash::of(s)))
            .collect();
        let v = Verifier::new(SecurityFile::new(None, None, None, keys));
        let now = at("2026-11-22T10:00:00Z");
        for i in [0, 50_000, 99_999] {
            match v.verify(&secrets[i], &Request::default(), now) {
                Outcome::Valid { key, .. } => assert_eq!(key, format!("k{i}")),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            v.verify(
                "imported-secret-nobody-has-this-one",
                &Request::default(),
                now
            ),
            Outcome::Rejected(Rejection::Unknown)
        );
    }

    #[test]
    fn previous_hashes_work_until_they_expire() {
        let mut k = key("ci", TokenHash::of("new-secret-of-at-least-32-characters"));
        k.previous_hashes.push(PreviousHash {
            hash: TokenHash::of("old-secret-of-at-least-32-characters"),
            expires_at: at("2026-11-23T10:00:00Z"),
        });
        let v = Verifier::new(SecurityFile::new(None, None, None, vec![k]));
        let old = "old-secret-of-at-least-32-characters";
        let during = v.verify(old, &Request::default(), at("2026-11-23T09:59:59Z"));
        assert!(
            matches!(during, Outcome::Valid { previous: true, .. }),
            "{during:?}"
        );
        let after = v.verify(old, &Request::default(), at("2026-11-23T10:00:00Z"));
        assert_eq!(after.http_status(), 401);
        assert!(matches!(
            after,
            Outcome::Rejected(Rejection::Rotated { .. })
        ));
    }

    #[test]
    fn a_hash_of_more_than_one_key_is_no_ones() {
        let shared = TokenHash::of("shared-secret-of-at-least-32-characters");
        let mut a = key("a", TokenHash::of("a-secret-of-at-least-32-characters!!"));
        a.previous_hashes.push(PreviousHash {
            hash: shared,
            expires_at: at("2020-01-01T00:00:00Z"),
        });
        let mut b = key("b", shared);
        b.enabled = false;
        let mut own = key("own", TokenHash::of("own-secret-of-at-least-32-characters"));
        own.previous_hashes.push(PreviousHash {
            hash: own.hash,
            expires_at: at("2030-01-01T00:00:00Z"),
        });
        let c = key("c", shared);
        let file = SecurityFile::new(None, None, None, vec![a, b, own, c]);
        let shared_with = shared_secrets(&file);
        assert_eq!(shared_with["a"], ["b", "c"]);
        assert_eq!(shared_with["c"], ["a", "b"]);
        assert!(!shared_with.contains_key("own"));
        let v = Verifier::new(file);
        let now = at("2026-11-22T10:00:00Z");
        assert_eq!(
            v.verify(
                "shared-secret-of-at-least-32-characters",
                &Request::default(),
                now
            ),
            Outcome::Rejected(Rejection::Ambiguous {
                keys: vec!["a".into(), "b".into(), "c".into()],
                more: 0
            })
        );
        assert!(matches!(
            v.verify(
                "own-secret-of-at-least-32-characters",
                &Request::default(),
                now
            ),
            Outcome::Valid {
                previous: false,
                ..
            }
        ));
    }

    #[test]
    fn path_prefixes_end_at_a_segment_boundary() {
        for (prefix, path, ok) in [
            ("/dns/example.com", "/dns/example.com", true),
            ("/dns/example.com", "/dns/example.com/", true),
            ("/dns/example.com", "/dns/example.com/a", true),
            ("/dns/example.com", "/dns/example.com.evil.org", false),
            ("/dns/example.com", "/dns/example.comX", false),
            ("/dns/", "/dns/a", true),
            ("/dns/", "/dns/", true),
            ("/dns/", "/dns", false),
            ("/", "/anything", true),
            ("=/x", "/x", true),
            ("=/x", "/x/", false),
            ("=/", "/", true),
        ] {
            assert_eq!(path_allowed(prefix, path), ok, "{prefix} {path}");
        }
        for path in [
            "/",
            "/a",
            "/a/",
            "/a/b;c",
            "/a/.x",
            "/a/x..",
            "/a/%41%2d%7E%5f%30",
        ] {
            assert_eq!(path_problem(path), None, "{path}");
        }
        for path in [
            "",
            "a",
            "*",
            "//",
            "/a//b",
            "/./a",
            "/a/.",
            "/a/..",
            "/a/...",
            "/..../a",
            "/...;x/a",
            "/..;/a",
            "/a%20b",
            "/a%3Bb",
            "/a%3fb",
            "/a%23b",
            "/a%2Db%2e",
            "/a%3A",
            "/a%40",
            "/a%00",
            "/dns/example.com/..%20/admin",
            "/.;x/a",
            "/a%2fb",
            "/a%2E",
            "/%25",
            "/%5c",
            "/%7f",
            "/%0a",
            "/%c0%ae",
            "/%EF%BC%8E",
            "/%C3%A9",
            "/%",
            "/%4",
            "/%g0",
            "/a\\b",
            "/a?b",
            "/a#b",
            "/a b",
            "/\u{e9}",
            "/\t",
        ] {
            assert!(path_problem(path).is_some(), "{path:?}");
        }
    }

    #[test]
    fn ipv4_mapped_addresses_are_their_ipv4_address() {
        let mut k = key("lan", TokenHash::of("lan-secret-of-at-least-32-characters"));
        k.allowed_ips = Some(vec!["10.0.0.0/8".parse().unwrap()]);
        let mut m = key(
            "mapped",
            TokenHash::of("map-secret-of-at-least-32-characters"),
        );
        m.allowed_ips = Some(vec!["::ffff:10.0.0.0/104".parse().unwrap()]);
        let v = Verifier::new(SecurityFile::new(None, None, None, vec![k, m]));
        let now = at("2026-11-22T10:00:00Z");
        let from = |ip: &str| Request {
            ip: Some(ip.parse().unwrap()),
            ..Request::default()
        };
        for secret in [
            "lan-secret-of-at-least-32-characters",
            "map-secret-of-at-least-32-characters",
        ] {
            for ip in ["10.1.2.3", "::ffff:10.1.2.3"] {
                let outcome = v.verify(secret, &from(ip), now);
                assert!(
                    matches!(outcome, Outcome::Valid { .. }),
                    "{ip}: {outcome:?}"
                );
            }
            let outcome = v.verify(secret, &from("::ffff:11.1.2.3"), now);
            assert_eq!(
                outcome.to_string().rsplit(' ').next(),
                Some("11.1.2.3"),
                "{outcome}"
            );
        }
        assert_eq!(
            client_address("::ffff:10.1.2.3".parse().unwrap()),
            "10.1.2.3".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_address("::1".parse().unwrap()),
            "::1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn header_values() {
        let ok = |h: &str| token_from_header(h).map(|t| t.to_string());
        assert_eq!(ok("Bearer abc").unwrap(), "abc");
        assert_eq!(ok("  bearer abc").unwrap(), "abc");
        // base64("user:pw:with:colons")
        assert_eq!(
            ok("Basic dXNlcjpwdzp3aXRoOmNvbG9ucw==").unwrap(),
            "pw:with:colons"
        );
        assert_eq!(ok(""), Err(Rejection::Empty));
        assert_eq!(ok("Bearer"), Err(Rejection::Empty));
        assert_eq!(ok("Bearer   "), Err(Rejection::Empty));
        for bad in [
            "abc",
            "Token abc",
            "Authorization: Bearer abc",
            "Basic %%%",
            "Basic YWJj",
        ] {
            assert!(matches!(ok(bad), Err(Rejection::BadHeader(_))), "{bad}");
        }
        // The first word is not echoed unless it looks like a scheme name.
        let Err(Rejection::BadHeader(why)) = ok("tk_0123456789abcdef0123 x") else {
            panic!()
        };
        assert!(!why.contains("0123456789"), "{why}");
    }
}
