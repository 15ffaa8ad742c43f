//! Verifying tokens in a Rust server: the rule of docs/FORMAT.md ("How a token is verified"),
//! the same one `tokenctl verify` and `tokenctl serve` apply.
//!
//! - Load the file once: [`Watched::load`] for a server that runs for long (it loads the file
//!   again when it changes, so a rotation or a revocation applies on the next request), or
//!   [`Verifier::load`] / [`Verifier::from_yaml`] for a one-off. A file that does not load
//!   is a [`LoadError`] (`path:line:column: ...`); nothing here prints, and what the operator
//!   should hear of a file that loads is in [`Verifier::warnings`].
//! - Per request: [`Verifier::verify_header`] with the `Authorization` value (or
//!   [`Verifier::verify`] with a bare token) and the route's [`Needs`]: a permission, and the
//!   client's address, the path as sent and the resource, for keys restricted to some. With
//!   the `http` feature, `Verifier::verify_headers` takes the request's `http::HeaderMap`
//!   and refuses a missing, repeated or non-ASCII `Authorization` header
//!   (`HeaderError`) before any token is looked at.
//! - Answer with the [`Outcome`]: [`Outcome::http_status`] is 200, 401 (the token is no
//!   working key: a [`Rejection`]) or 403 (a working key, but not for this request: a
//!   [`Denial`]); its `Display` is the one-line reason `tokenctl verify` prints, and
//!   [`Outcome::reason`] the one word of `verify --format json`. [`Denial::unnamed`] is the
//!   403's reason without the key's name, for a client that should not learn it.
//!
//! Each check is one SHA-256, one hash-map lookup, a constant-time comparison and the
//! request's constraints, whatever the number of keys.
//!
//! ```
//! use tokenctl::verify::{Needs, Outcome, Verifier, Watched};
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
//! let read = Needs { permission: Some("dns:read"), ..Needs::default() };
//! let outcome = verifier.verify_header(&header, &read, now);
//! assert_eq!(outcome.http_status(), 200);
//! assert!(matches!(&outcome, Outcome::Valid { key, .. } if key == "ci"));
//!
//! // The same token without the permission the route needs: 403, saying which.
//! let write = Needs { permission: Some("dns:write"), ..Needs::default() };
//! let outcome = verifier.verify_header(&header, &write, now);
//! assert_eq!(outcome.http_status(), 403);
//! assert_eq!(outcome.to_string(), "key 'ci' lacks permission 'dns:write'");
//!
//! // Anything else is a 401 with the reason.
//! match verifier.verify("tk_not-a-real-token-but-long-enough", &Needs::default(), now) {
//!     Outcome::Valid { key, .. } => println!("ok: {key}"),
//!     Outcome::Rejected(why) => println!("401: {why}"),
//!     Outcome::Forbidden(why) => println!("403: {why}"),
//! }
//!
//! // In a server: the file, watched. Each use sees the file as it is now.
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("security.yml");
//! std::fs::write(&path, &yaml).unwrap();
//! let keys = Watched::load(&path).unwrap(); // at start-up; share it in an Arc
//! assert_eq!(keys.current().unwrap().verify_header_now(&header, &read).http_status(), 200);
//!
//! // `tokenctl disable ci`, or any other write, replaces the file: the next request sees it.
//! std::fs::write(&path, yaml.replace("ci:\n", "ci:\n    enabled: false\n")).unwrap();
//! let outcome = keys.current().unwrap().verify_header_now(&header, &read);
//! assert_eq!(outcome.http_status(), 401);
//! assert_eq!(outcome.to_string(), "key 'ci' is disabled");
//! ```
//!
//! `examples/server.rs` is a whole HTTP server on axum built this way.

mod header;
mod load;
mod outcome;
pub(crate) mod path;
pub(crate) mod scope;
mod watched;

pub use header::token_from_header;
#[cfg(feature = "http")]
pub use header::{HeaderError, authorization};
pub use load::LoadError;
pub use outcome::{Denial, Outcome, Rejection, Verdict};
pub use path::{path_allowed, path_problem};
pub use scope::grants;
#[cfg(feature = "serve")]
pub(crate) use watched::{Cache, Stamp};
pub use watched::{Refresh, Watched};

use crate::model::{ApiKey, SecurityFile};
use crate::token::{self, TokenHash};
use jiff::Timestamp;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};

/// What a route needs of a request, beyond a valid token: a permission, and the request's
/// client address, path and resource for the keys restricted to some. Empty fields are not
/// checked.
#[derive(Debug, Clone, Default)]
pub struct Needs<'a> {
    /// The permission the route needs (`dns:write`): granted by the same scope, `dns:*` or `*`.
    pub permission: Option<&'a str>,
    /// The client's address, for keys with `allowedIps`.
    pub ip: Option<IpAddr>,
    /// The request path as sent, percent-encoded, without the query (`uri.path()`). For a
    /// key with a `pathPrefix`, a path that is not normalised is refused: see [`path_problem`].
    pub path: Option<&'a str>,
    /// The resource the request acts on (a zone, a bucket), for keys with `resources`.
    pub resource: Option<&'a str>,
}

/// Tokens longer than this are refused before hashing: no key's secret is that long
/// (`create --secret-stdin` reads at most 64 KiB).
pub const MAX_TOKEN_LEN: usize = 64 * 1024;

/// Every hash of the file (current and previous, expired or not), and the groups of keys
/// (indexes in file order) that share one.
struct Index {
    by_hash: rustc_hash::FxHashMap<TokenHash, Entry>,
    /// The groups of keys that share a hash; [`Slot::Shared`] points here.
    shared: Vec<Vec<usize>>,
}

/// Builds the [`Index`] of a file.
fn index(file: &SecurityFile) -> Index {
    use std::collections::hash_map;
    let mut by_hash: rustc_hash::FxHashMap<TokenHash, Entry> =
        rustc_hash::FxHashMap::with_capacity_and_hasher(file.keys.len(), Default::default());
    let mut shared: Vec<Vec<usize>> = Vec::new();
    for (i, k) in file.keys.iter().enumerate() {
        for (hash, previous) in hashes(k) {
            match by_hash.entry(hash) {
                hash_map::Entry::Vacant(e) => {
                    e.insert(Entry::new(Slot::Key { index: i, previous }));
                }
                hash_map::Entry::Occupied(mut e) => {
                    let entry = e.get_mut();
                    entry.slot = merge(Some(entry.slot), i, previous, &mut shared);
                }
            }
        }
    }
    Index { by_hash, shared }
}

/// A key's hashes: its current one (`None`), then each old one with its expiry.
fn hashes(k: &ApiKey) -> impl Iterator<Item = (TokenHash, Option<Timestamp>)> + '_ {
    std::iter::once((k.hash, None)).chain(
        k.previous_hashes
            .iter()
            .map(|p| (p.hash, Some(p.expires_at))),
    )
}

/// Whose a hash is once key `i` (keys come in file order) is found to hold it, current
/// (`previous` none) or old: `slot` is whose it was before. A new group of keys sharing it
/// goes into `shared`.
fn merge(
    slot: Option<Slot>,
    i: usize,
    previous: Option<Timestamp>,
    shared: &mut Vec<Vec<usize>>,
) -> Slot {
    match slot {
        None => Slot::Key { index: i, previous },
        // The same key twice: its current hash wins, else the latest expiry.
        Some(Slot::Key {
            index,
            previous: Some(old),
        }) if index == i => Slot::Key {
            index,
            previous: previous.map(|new| new.max(old)),
        },
        Some(same @ Slot::Key { index, .. }) if index == i => same,
        // Another key's, expired or not: a first-match server could pick either one, so
        // the hash is no one's.
        Some(Slot::Key { index, .. }) => {
            shared.push(vec![index, i]);
            Slot::Shared(shared.len() - 1)
        }
        // Keys come in order, so key i is in the group only if it is the last one.
        Some(Slot::Shared(s)) => {
            if shared[s].last() != Some(&i) {
                shared[s].push(i);
            }
            Slot::Shared(s)
        }
    }
}

/// Whose `hash` is, found by reading every key's hashes instead of an [`Index`]: for a
/// single token, a pass over the keys costs less than building the index. The same answer
/// as the index's, by the same [`merge`]; groups go into `shared`.
fn slot_by_scan(
    file: &SecurityFile,
    hash: &TokenHash,
    shared: &mut Vec<Vec<usize>>,
) -> Option<Slot> {
    let mut slot = None;
    for (i, k) in file.keys.iter().enumerate() {
        for (h, previous) in hashes(k) {
            // As in the index's lookup, the digest of the caller's input is compared: the
            // timing tells nothing about a stored secret.
            if h == *hash {
                slot = Some(merge(slot, i, previous, shared));
            }
        }
    }
    slot
}

/// For each key that shares a secret with others (a hash, current or in previousHashes,
/// expired or not), the first [`MAX_NAMED`] of those others in file order. A token with
/// such a hash is refused as ambiguous; `list` and `show` point them out, `check` reports
/// them.
pub fn shared_secrets(file: &SecurityFile) -> std::collections::HashMap<&str, Vec<&str>> {
    if !may_share(file) {
        return std::collections::HashMap::new();
    }
    shared_map(file, &index(file).shared)
}

/// Whether two of the file's hashes (current or old, of one key or two) may be the same:
/// false when no two begin with the same 8 bytes. A set of 8-byte prefixes is a quarter of
/// the [`Index`]'s memory and quicker to fill; the index is built only when this is true.
pub(crate) fn may_share(file: &SecurityFile) -> bool {
    let mut seen: rustc_hash::FxHashSet<u64> =
        rustc_hash::FxHashSet::with_capacity_and_hasher(file.keys.len(), Default::default());
    file.keys.iter().flat_map(hashes).any(|(h, _)| {
        let prefix = u64::from_le_bytes(h.0[..8].try_into().expect("8 bytes"));
        !seen.insert(prefix)
    })
}

/// [`shared_secrets`] of one key (`show`), found in one pass over the keys' hashes without
/// indexing them all: the same names in the same order.
pub(crate) fn shared_with<'f>(file: &'f SecurityFile, name: &str) -> Vec<&'f str> {
    let Some(key) = file.get(name) else {
        return Vec::new();
    };
    let mine: Vec<TokenHash> = hashes(key).map(|(h, _)| h).collect();
    let mut slots: Vec<Option<Slot>> = vec![None; mine.len()];
    // The groups in the order the index would find them, and only those of `mine`.
    let mut groups = Vec::new();
    for (j, k) in file.keys.iter().enumerate() {
        for (h, previous) in hashes(k) {
            if let Some(p) = mine.iter().position(|m| *m == h) {
                slots[p] = Some(merge(slots[p], j, previous, &mut groups));
            }
        }
    }
    shared_map(file, &groups).remove(name).unwrap_or_default()
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

/// A security.yml loaded once and indexed for verifying many tokens.
#[derive(Debug, Clone)]
pub struct Verifier {
    file: SecurityFile,
    /// Whether `by_hash` and `shared` hold the file's [`Index`]; if not, each token's hash
    /// is looked for by [`slot_by_scan`] ([`Verifier::unindexed`]).
    indexed: bool,
    by_hash: rustc_hash::FxHashMap<TokenHash, Entry>,
    /// Keys (indexes, in file order) that share a hash; [`Slot::Shared`] points here.
    shared: Vec<Vec<usize>>,
    /// Prefixes whose tokens must be of tokenctl's form: the file's and the default.
    prefixes: [String; 2],
    /// See [`Verifier::warnings`].
    warnings: Vec<String>,
}

/// A hash of the [`Index`]: whose it is, and whether a token with this hash was found to be
/// of a good form ([`token::check_form`]).
///
/// Why the flag: [`Verifier::check`] looks a token's hash up before it checks the token's
/// form, so that a known token costs one SHA-256, not two (its check digits are another).
/// A hit does not prove the form by itself: the file may hold the hash of a secret imported
/// under another `tokenPrefix` (`acme_` followed by anything, imported while the prefix was
/// `tk`, is malformed once the prefix is `acme`), or a hash made by hand. But the form is a
/// function of the token, and the token (SHA-256 being collision-resistant, as everything
/// here assumes) a function of its hash: once one token with this hash passed
/// [`token::check_form`], every later one passes too. So the first token with a given hash
/// is checked in full, and the flag spares the others; a token whose form fails is refused
/// as malformed every time, as before, and never sets it. The verifier's prefixes, which
/// the form depends on too, never change.
#[derive(Debug)]
struct Entry {
    slot: Slot,
    /// Set (never cleared) once a token with this hash passed [`token::check_form`]. A plain
    /// flag in relaxed order: it only caches a fact, and a reader that misses a write checks
    /// the form again.
    form_ok: AtomicBool,
}

impl Entry {
    fn new(slot: Slot) -> Self {
        Entry {
            slot,
            form_ok: AtomicBool::new(false),
        }
    }
}

impl Clone for Entry {
    fn clone(&self) -> Self {
        Entry {
            slot: self.slot,
            form_ok: AtomicBool::new(self.form_ok.load(Ordering::Relaxed)),
        }
    }
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
        let Index { by_hash, shared } = index(&file);
        let prefixes = [
            file.prefix().to_string(),
            crate::model::DEFAULT_PREFIX.to_string(),
        ];
        Verifier {
            file,
            indexed: true,
            by_hash,
            shared,
            prefixes,
            warnings: Vec::new(),
        }
    }

    /// A verifier for a token or two (`tokenctl verify`): no index is built, and each
    /// verification reads every key's hashes, which at 100,000 keys costs a fraction of
    /// building the index. Same answers as [`Verifier::new`]'s.
    pub(crate) fn unindexed(file: SecurityFile) -> Self {
        let prefixes = [
            file.prefix().to_string(),
            crate::model::DEFAULT_PREFIX.to_string(),
        ];
        Verifier {
            file,
            indexed: false,
            by_hash: Default::default(),
            shared: Vec::new(),
            prefixes,
            warnings: Vec::new(),
        }
    }

    /// Parses security.yml text (docs/FORMAT.md format) and indexes it; errors name the file
    /// `security.yml`.
    pub fn from_yaml(text: &str) -> Result<Self, LoadError> {
        let (file, warnings) = load::parse(text)?;
        Ok(Verifier::new(file).with_warnings(warnings))
    }

    /// Loads and indexes a file (its links followed); a missing file has no keys. Errors
    /// carry file:line:column. Nothing is printed: what a reader should hear of the file is
    /// in [`Verifier::warnings`].
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<Self, LoadError> {
        let (file, warnings) = load::read(path.as_ref())?;
        Ok(Verifier::new(file).with_warnings(warnings))
    }

    fn with_warnings(mut self, warnings: Vec<String>) -> Self {
        self.warnings = warnings;
        self
    }

    /// What the file's reader should pass on to its operator, one line each, found by
    /// [`Verifier::load`] or [`Verifier::from_yaml`]: deprecated forms the file holds
    /// (`path:line:column: ...`), a file with more than one hard link. `tokenctl` prints them
    /// as `warning: ...`.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The loaded file.
    pub fn file(&self) -> &SecurityFile {
        &self.file
    }

    /// [`shared_secrets`] of the loaded file, from the index already built.
    pub fn shared_secrets(&self) -> std::collections::HashMap<&str, Vec<&str>> {
        if !self.indexed {
            return shared_secrets(&self.file);
        }
        shared_map(&self.file, &self.shared)
    }

    /// Verifies a whole `Authorization` header value (`Bearer ...` or `Basic ...`).
    pub fn verify_header(&self, header: &str, needs: &Needs, now: Timestamp) -> Outcome {
        match token_from_header(header) {
            Ok(t) => self.verify(&t, needs, now),
            Err(r) => Outcome::Rejected(r),
        }
    }

    /// Verifies a request by its headers: its one `Authorization` header ([`authorization`]),
    /// then [`Verifier::verify_header`]. `Err` when there is no such header, more than one or
    /// one that is not ASCII text, each with its status (401 or 400) and message.
    #[cfg(feature = "http")]
    pub fn verify_headers(
        &self,
        headers: &http::HeaderMap,
        needs: &Needs,
        now: Timestamp,
    ) -> Result<Outcome, HeaderError> {
        Ok(self.verify_header(authorization(headers)?, needs, now))
    }

    /// [`Verifier::verify_header`] at the system clock's time.
    pub fn verify_header_now(&self, header: &str, needs: &Needs) -> Outcome {
        self.verify_header(header, needs, Timestamp::now())
    }

    /// [`Verifier::verify`] at the system clock's time.
    pub fn verify_now(&self, token: &str, needs: &Needs) -> Outcome {
        self.verify(token, needs, Timestamp::now())
    }

    /// Verifies a bare token.
    ///
    /// The [`Outcome`] owns copies of the key's name and permissions; [`Verifier::check`]
    /// gives the same answer borrowing them, without allocating.
    pub fn verify(&self, token: &str, needs: &Needs, now: Timestamp) -> Outcome {
        self.check(token, needs, now).into()
    }

    /// [`Verifier::verify`], with the key's name and permissions borrowed from the verifier
    /// instead of copied: the same answers (a [`Verdict`] turns into the [`Outcome`]
    /// `verify` gives with `.into()`), and a valid token allocates nothing. For a server that
    /// checks a token on every request and reads the key's name and permissions only to
    /// answer it.
    ///
    /// A token is looked up by its hash before its form is checked (docs/FORMAT.md's step 2,
    /// the check digits being a second SHA-256): a token the file does not hold is then
    /// checked, and refused as malformed or unknown as `verify` always did. A token it holds
    /// is checked the first time its hash is found; see `Entry` in the source for why once
    /// is enough.
    ///
    /// ```
    /// use tokenctl::verify::{Needs, Verdict, Verifier};
    ///
    /// let secret = tokenctl::token::generate("tk").unwrap();
    /// let yaml = format!("apiKeys:\n  ci:\n    permissions: [dns:read]\n    hash: {}\n", secret.hash());
    /// let verifier = Verifier::from_yaml(&yaml).unwrap();
    /// let read = Needs { permission: Some("dns:read"), ..Needs::default() };
    /// match verifier.check(secret.expose(), &read, jiff::Timestamp::now()) {
    ///     Verdict::Valid { key, permissions, .. } => assert_eq!((key, permissions), ("ci", &["dns:read".to_string()][..])),
    ///     refused => panic!("{}: {}", refused.http_status(), tokenctl::verify::Outcome::from(refused)),
    /// }
    /// ```
    pub fn check<'v>(&'v self, token: &str, needs: &Needs, now: Timestamp) -> Verdict<'v> {
        if token.is_empty() {
            return Verdict::Rejected(Rejection::Empty);
        }
        if token.len() > MAX_TOKEN_LEN {
            return Verdict::Rejected(Rejection::Input(format!(
                "the token is {} bytes long; no key's secret is longer than {} KiB",
                token.len(),
                MAX_TOKEN_LEN / 1024
            )));
        }
        // What `token.trim() != token` says, without comparing the whole token.
        if token.starts_with(char::is_whitespace) || token.ends_with(char::is_whitespace) {
            return Verdict::Rejected(Rejection::Whitespace);
        }
        if !self.indexed {
            // One token against every key (`tokenctl verify`): the scan costs far more than
            // the form, which is checked first, as docs/FORMAT.md orders the steps.
            if let Err(why) = self.check_form(token) {
                return Verdict::Rejected(Rejection::Malformed(why));
            }
            return self.check_hash(&TokenHash::of(token), needs, now);
        }
        let hash = TokenHash::of(token);
        // The map lookup compares SHA-256 digests of the caller's input, so its timing tells
        // nothing about a stored secret; the final comparison is constant-time all the same.
        match self.by_hash.get_key_value(&hash) {
            Some((stored, entry)) if stored.ct_eq(&hash) => {
                if !entry.form_ok.load(Ordering::Relaxed) {
                    if let Err(why) = self.check_form(token) {
                        return Verdict::Rejected(Rejection::Malformed(why));
                    }
                    entry.form_ok.store(true, Ordering::Relaxed);
                }
                self.judge(entry.slot, &self.shared, needs, now)
            }
            _ => Verdict::Rejected(match self.check_form(token) {
                Err(why) => Rejection::Malformed(why),
                Ok(()) => Rejection::Unknown,
            }),
        }
    }

    /// docs/FORMAT.md's step 2 with this file's prefixes.
    fn check_form(&self, token: &str) -> Result<(), token::Malformed> {
        let prefixes = [self.prefixes[0].as_str(), self.prefixes[1].as_str()];
        token::check_form(token, &prefixes)
    }

    /// Verifies a token by its hash (steps 3 to 5), for callers that hashed it already and
    /// must not keep the secret around (`scan`).
    pub fn verify_hash(&self, hash: &TokenHash, needs: &Needs, now: Timestamp) -> Outcome {
        self.check_hash(hash, needs, now).into()
    }

    /// [`Verifier::verify_hash`], borrowing as [`Verifier::check`] does.
    fn check_hash<'v>(&'v self, hash: &TokenHash, needs: &Needs, now: Timestamp) -> Verdict<'v> {
        if self.indexed {
            match self.by_hash.get_key_value(hash) {
                Some((stored, entry)) if stored.ct_eq(hash) => {
                    self.judge(entry.slot, &self.shared, needs, now)
                }
                _ => Verdict::Rejected(Rejection::Unknown),
            }
        } else {
            let mut scanned = Vec::new();
            match slot_by_scan(&self.file, hash, &mut scanned) {
                Some(slot) => self.judge(slot, &scanned, needs, now),
                None => Verdict::Rejected(Rejection::Unknown),
            }
        }
    }

    /// Steps 4 and 5 for the key(s) a hash was found to be of: `groups` are the groups of
    /// keys sharing a hash that [`Slot::Shared`] points into.
    fn judge<'v>(
        &'v self,
        slot: Slot,
        groups: &[Vec<usize>],
        needs: &Needs,
        now: Timestamp,
    ) -> Verdict<'v> {
        let (index, previous) = match slot {
            Slot::Key { index, previous } => (index, previous),
            Slot::Shared(s) => {
                let group = &groups[s];
                return Verdict::Rejected(Rejection::Ambiguous {
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
                return Verdict::Rejected(Rejection::Rotated {
                    key: key.name.clone(),
                    at,
                });
            }
        }
        if !key.enabled {
            return Verdict::Rejected(Rejection::Disabled {
                key: key.name.clone(),
            });
        }
        if let Some(at) = key.expires_at.filter(|t| *t <= now) {
            return Verdict::Rejected(Rejection::Expired {
                key: key.name.clone(),
                at,
            });
        }
        if let Some(denial) = check_needs(key, needs) {
            return Verdict::Forbidden(denial);
        }
        Verdict::Valid {
            key: &key.name,
            permissions: &key.permissions,
            previous: previous.is_some(),
        }
    }
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

fn check_needs(key: &ApiKey, needs: &Needs) -> Option<Denial> {
    let name = || key.name.clone();
    if let Some(needed) = needs.permission {
        if !grants(&key.permissions, needed) {
            return Some(Denial::Permission {
                key: name(),
                needed: needed.to_string(),
            });
        }
    }
    if let (Some(ip), Some(allowed)) = (needs.ip, &key.allowed_ips) {
        let ip = client_address(ip);
        if !allowed.iter().any(|net| network_contains(net, ip)) {
            return Some(Denial::Ip { key: name(), ip });
        }
    }
    if let (Some(path), Some(prefix)) = (needs.path, &key.path_prefix) {
        let problem = path_problem(path);
        if problem.is_some() || !path_allowed(prefix, path) {
            return Some(Denial::Path {
                key: name(),
                path: path.to_string(),
                problem,
            });
        }
    }
    if let (Some(resource), Some(allowed)) = (needs.resource, &key.resources) {
        if !allowed.iter().any(|r| r == resource) {
            return Some(Denial::Resource {
                key: name(),
                resource: resource.to_string(),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PreviousHash;

    fn key(name: &str, hash: TokenHash) -> ApiKey {
        ApiKey {
            permissions: vec!["dns:read".into()],
            ..ApiKey::new(name.into(), hash)
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
            match v.verify(&secrets[i], &Needs::default(), now) {
                Outcome::Valid { key, .. } => assert_eq!(key, format!("k{i}")),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            v.verify(
                "imported-secret-nobody-has-this-one",
                &Needs::default(),
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
        let during = v.verify(old, &Needs::default(), at("2026-11-23T09:59:59Z"));
        assert!(
            matches!(during, Outcome::Valid { previous: true, .. }),
            "{during:?}"
        );
        let after = v.verify(old, &Needs::default(), at("2026-11-23T10:00:00Z"));
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
                &Needs::default(),
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
                &Needs::default(),
                now
            ),
            Outcome::Valid {
                previous: false,
                ..
            }
        ));
    }

    #[test]
    fn without_an_index_every_answer_is_the_same() {
        let secret = |n: &str| format!("{n}-secret-of-at-least-32-characters");
        let mut keys = Vec::new();
        // Shared current hashes, a hash shared through previousHashes (expired or not), a
        // key holding its own hash twice, one group of twelve (more than MAX_NAMED).
        for (name, current, old) in [
            ("a", "a", vec![("s1", "2020-01-01T00:00:00Z")]),
            ("b", "s1", vec![]),
            ("c", "c", vec![("c", "2030-01-01T00:00:00Z")]),
            ("d", "d", vec![("old-d", "2026-11-23T10:00:00Z")]),
            ("e", "e", vec![("d", "2027-01-01T00:00:00Z")]),
            (
                "f",
                "f",
                vec![
                    ("f-1", "2026-11-23T00:00:00Z"),
                    ("f-1", "2027-01-01T00:00:00Z"),
                ],
            ),
            // In two groups, found in the other order than its hashes': q (at y), then p.
            ("x", "p", vec![("q", "2030-01-01T00:00:00Z")]),
            ("y", "q", vec![]),
            ("z", "p", vec![]),
        ] {
            let mut k = key(name, TokenHash::of(&secret(current)));
            for (h, until) in old {
                k.previous_hashes.push(PreviousHash {
                    hash: TokenHash::of(&secret(h)),
                    expires_at: at(until),
                });
            }
            keys.push(k);
        }
        for n in 0..12 {
            keys.push(key(&format!("many-{n}"), TokenHash::of(&secret("many"))));
        }
        keys[3].enabled = false;
        let file = SecurityFile::new(None, None, None, keys);
        let indexed = Verifier::new(file.clone());
        let scanning = Verifier::unindexed(file);
        assert_eq!(indexed.shared_secrets(), scanning.shared_secrets());
        let all = shared_secrets(indexed.file());
        for k in &indexed.file().keys {
            let want = all.get(k.name.as_str()).cloned().unwrap_or_default();
            assert_eq!(shared_with(indexed.file(), &k.name), want, "{}", k.name);
        }
        let write = Needs {
            permission: Some("dns:write"),
            ..Needs::default()
        };
        assert_eq!(shared_with(indexed.file(), "x"), ["y", "z"]);
        for name in [
            "a", "s1", "c", "d", "old-d", "e", "f", "f-1", "p", "q", "many", "nobody",
        ] {
            for now in [
                "2026-11-22T10:00:00Z",
                "2026-11-23T05:00:00Z",
                "2028-01-01T00:00:00Z",
            ] {
                for needs in [Needs::default(), write.clone()] {
                    let token = secret(name);
                    assert_eq!(
                        indexed.verify(&token, &needs, at(now)),
                        scanning.verify(&token, &needs, at(now)),
                        "{name} at {now}"
                    );
                }
            }
        }
    }

    /// A token of tokenctl's form with prefix `prefix`, from `seed`, its check digits right.
    fn formed(prefix: &str, seed: &str) -> String {
        let body = format!(
            "{prefix}_{}",
            TokenHash::of(seed).0.map(|b| format!("{b:02x}")).concat()
        );
        let check = token::check_digits(&body);
        format!("{body}{check}")
    }

    /// The secrets of [`odd_file`]'s keys, the odd ones first: secrets whose hash the file
    /// holds but that are malformed for its prefix (`acme`), so that finding the hash does
    /// not make them valid.
    fn odd_secrets() -> Vec<(&'static str, String)> {
        let good = formed("acme", "good");
        let mut bad_digits = good.clone();
        let last = bad_digits.pop().unwrap();
        bad_digits.push(if last == '0' { '1' } else { '0' });
        vec![
            // Imported while the prefix was `tk` (any text after `acme_` was then foreign),
            // malformed since `tokenPrefix: acme`.
            (
                "imported-under-tk",
                "acme_hello-imported-before-the-prefix-changed".to_string(),
            ),
            // Hashes made by hand of what verify refuses before any lookup.
            ("bad-digits", bad_digits),
            ("shouting", formed("acme", "shouting").to_uppercase()),
            ("other-prefix-bad-digits", {
                let mut t = formed("zz", "other");
                let last = t.pop().unwrap();
                t.push(if last == '0' { '1' } else { '0' });
                t
            }),
            ("spaced", format!(" {}", formed("acme", "spaced"))),
            // Ordinary keys.
            ("good", good),
            ("default-prefix", formed("tk", "default-prefix")),
            (
                "imported",
                "an-imported-secret-of-at-least-32-characters".to_string(),
            ),
            ("disabled", formed("acme", "disabled")),
            ("expired", formed("acme", "expired")),
            ("old", formed("acme", "old")),
            ("shared", formed("acme", "shared")),
        ]
    }

    /// A file of prefix `acme` holding [`odd_secrets`]'s hashes, with a disabled, an expired
    /// and a rotated key and a hash two keys share.
    fn odd_file() -> SecurityFile {
        let mut keys: Vec<ApiKey> = odd_secrets()
            .into_iter()
            .map(|(name, secret)| key(name, TokenHash::of(&secret)))
            .collect();
        let find = |keys: &mut Vec<ApiKey>, name: &str| {
            keys.iter_mut().position(|k| k.name == name).unwrap()
        };
        let i = find(&mut keys, "disabled");
        keys[i].enabled = false;
        let i = find(&mut keys, "expired");
        keys[i].expires_at = Some(at("2020-01-01T00:00:00Z"));
        let i = find(&mut keys, "old");
        keys[i].hash = TokenHash::of(&formed("acme", "new"));
        keys[i].previous_hashes.push(PreviousHash {
            hash: TokenHash::of(&formed("acme", "old")),
            expires_at: at("2026-11-23T10:00:00Z"),
        });
        keys.push(key("shared-too", TokenHash::of(&formed("acme", "shared"))));
        let i = find(&mut keys, "good");
        keys[i].permissions.push("dns:write".into());
        SecurityFile::new(None, Some("acme".into()), None, keys)
    }

    /// What `verify` did before it looked tokens up first: docs/FORMAT.md's steps in order,
    /// the form checked before any lookup.
    fn verify_in_order(v: &Verifier, token: &str, needs: &Needs, now: Timestamp) -> Outcome {
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
        if let Err(why) = token::check_form(token, &["acme", "tk"]) {
            return Outcome::Rejected(Rejection::Malformed(why));
        }
        v.verify_hash(&TokenHash::of(token), needs, now)
    }

    #[test]
    fn a_known_hash_does_not_make_a_malformed_token_valid() {
        let v = Verifier::new(odd_file());
        let now = at("2026-11-22T10:00:00Z");
        for (name, secret) in odd_secrets().into_iter().take(5) {
            // Twice: the first answer must not change the second.
            for _ in 0..2 {
                let outcome = v.verify(&secret, &Needs::default(), now);
                assert_eq!(
                    outcome.reason(),
                    if name == "spaced" {
                        "whitespace"
                    } else {
                        "malformed"
                    },
                    "{name}: {outcome}"
                );
                assert_eq!(
                    outcome,
                    verify_in_order(&v, &secret, &Needs::default(), now),
                    "{name}"
                );
            }
        }
        let good = &odd_secrets()[5].1;
        for _ in 0..2 {
            assert!(matches!(
                v.check(good, &Needs::default(), now),
                Verdict::Valid { key: "good", .. }
            ));
        }
    }

    /// The lookup-first `verify` (and `check`) against the steps in order and against the
    /// unindexed verifier, on the file's secrets mutated at random: one character changed,
    /// inserted or removed, a wrong prefix, changed check digits, whitespace around, cut
    /// short, uppercased, empty. One verifier answers every case, so that what the first
    /// lookups of a hash leave behind is tested by the later ones.
    #[test]
    fn looking_up_first_answers_as_the_steps_in_order() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};
        let file = odd_file();
        let v = Verifier::new(file.clone());
        let scanning = Verifier::unindexed(file);
        let mut secrets: Vec<String> = odd_secrets().into_iter().map(|(_, s)| s).collect();
        secrets.push(formed("acme", "new"));
        secrets.push(formed("acme", "nobody"));
        secrets.push(formed("zz", "nobody"));
        let now = at("2026-11-22T10:00:00Z");
        let chars = prop::sample::select(vec![
            '0', '7', 'a', 'f', 'A', 'F', 'g', 'Z', '_', '-', ' ', '\n', '\t', 'é', '\u{a0}',
        ]);
        let mutation = prop_oneof![
            Just(Mutation::None),
            (any::<prop::sample::Index>(), chars.clone())
                .prop_map(|(i, c)| Mutation::Replace(i, c)),
            (any::<prop::sample::Index>(), chars.clone()).prop_map(|(i, c)| Mutation::Insert(i, c)),
            any::<prop::sample::Index>().prop_map(Mutation::Remove),
            prop::sample::select(vec!["tk", "acme", "zz", "ACME", "", "acme_acme"])
                .prop_map(Mutation::Prefix),
            (0..8usize).prop_map(Mutation::CheckDigit),
            (chars.clone(), any::<bool>()).prop_map(|(c, end)| Mutation::Around(c, end)),
            any::<prop::sample::Index>().prop_map(Mutation::Cut),
            Just(Mutation::Upper),
            Just(Mutation::Empty),
        ];
        let needs = prop::sample::select(vec![None, Some("dns:read"), Some("dns:write")]);
        let strategy = (
            0..secrets.len(),
            prop::collection::vec(mutation, 0..3),
            needs,
        );
        let mut runner = TestRunner::new(Config {
            cases: 4096,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&strategy, |(which, mutations, permission)| {
                let mut token = secrets[which].clone();
                for m in &mutations {
                    m.apply(&mut token);
                }
                let needs = Needs {
                    permission,
                    ..Needs::default()
                };
                let want = verify_in_order(&v, &token, &needs, now);
                prop_assert_eq!(&v.verify(&token, &needs, now), &want, "{:?}", token);
                prop_assert_eq!(&Outcome::from(v.check(&token, &needs, now)), &want);
                prop_assert_eq!(v.check(&token, &needs, now).reason(), want.reason());
                prop_assert_eq!(
                    v.check(&token, &needs, now).http_status(),
                    want.http_status()
                );
                prop_assert_eq!(&scanning.verify(&token, &needs, now), &want);
                Ok(())
            })
            .unwrap();
    }

    /// A change to a token, for [`looking_up_first_answers_as_the_steps_in_order`].
    #[derive(Debug, Clone)]
    enum Mutation {
        None,
        Replace(proptest::sample::Index, char),
        Insert(proptest::sample::Index, char),
        Remove(proptest::sample::Index),
        /// Everything before the first `_` replaced (or put before the token).
        Prefix(&'static str),
        /// The check digit at this place from the end changed to another hex digit.
        CheckDigit(usize),
        /// A character before (false) or after (true) the token.
        Around(char, bool),
        Cut(proptest::sample::Index),
        Upper,
        Empty,
    }

    impl Mutation {
        fn apply(&self, token: &mut String) {
            let chars: Vec<char> = token.chars().collect();
            let at =
                |i: &proptest::sample::Index, len: usize| if len == 0 { 0 } else { i.index(len) };
            let rebuilt: String = match self {
                Mutation::None => return,
                Mutation::Replace(i, c) if !chars.is_empty() => {
                    let mut chars = chars.clone();
                    let i = at(i, chars.len());
                    chars[i] = *c;
                    chars.into_iter().collect()
                }
                Mutation::Replace(..) => return,
                Mutation::Insert(i, c) => {
                    let mut chars = chars.clone();
                    chars.insert(at(i, chars.len() + 1), *c);
                    chars.into_iter().collect()
                }
                Mutation::Remove(i) if !chars.is_empty() => {
                    let mut chars = chars.clone();
                    chars.remove(at(i, chars.len()));
                    chars.into_iter().collect()
                }
                Mutation::Remove(_) => return,
                Mutation::Prefix(p) => match token.split_once('_') {
                    Some((_, rest)) => format!("{p}_{rest}"),
                    None => format!("{p}_{token}"),
                },
                Mutation::CheckDigit(k) if chars.len() > *k => {
                    let mut chars = chars.clone();
                    let i = chars.len() - 1 - k;
                    chars[i] = if chars[i] == '0' { '1' } else { '0' };
                    chars.into_iter().collect()
                }
                Mutation::CheckDigit(_) => return,
                Mutation::Around(c, false) => format!("{c}{token}"),
                Mutation::Around(c, true) => format!("{token}{c}"),
                Mutation::Cut(i) => chars[..at(i, chars.len() + 1)].iter().collect(),
                Mutation::Upper => token.to_uppercase(),
                Mutation::Empty => String::new(),
            };
            *token = rebuilt;
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
        let from = |ip: &str| Needs {
            ip: Some(ip.parse().unwrap()),
            ..Needs::default()
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
}
