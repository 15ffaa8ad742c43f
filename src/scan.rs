//! Finding tokenctl secrets in text (docs/FORMAT.md, "Tokens"): every string of the form
//! `<prefix>_<64 hex><8 hex check digits>` whose check digits match, with its line and column,
//! hashed as security.yml stores it. Only the hash, the prefix and the position leave this
//! module, never the secret. [`find_tokens`] is a pure function over bytes; [`scan_reader`]
//! reads a file or a pipe of any size in chunks; [`Index`] says whose each hash is.
//!
//! Where a token starts and ends, precisely. A candidate is an `_` with at least 72
//! lowercase hex digits right after it and at least one of `a-z 0-9` right before it. Of the
//! characters before the `_`, the 16, 15, ... 1 nearest are tried as the prefix, longest
//! first, and the first whose check digits match is the token. So nothing needs to separate
//! a token from what is around it: `Xacme_…`, a run of more than 16 prefix characters
//! (`yyyyyyyyyyyyyyyyyacme_…`), `token=acme_…` or two tokens glued together are all found,
//! and so is a token followed by more hex digits (its first 72 are the secret: text glued to
//! the end does not make it any less leaked). Fewer than 72 hex digits is not a token. A
//! string that only looks like one (a hex digest after an `_`) has a 1 in 2^32 chance per
//! prefix length of matching check digits, so there are no false positives to filter.
//!
//! Lines are counted by `\n` alone (a CRLF file counts right; the `\r` is just before the
//! line's end), columns in bytes from 1, as ripgrep's `--column` does; the text need not be
//! UTF-8, and line length does not matter.

use crate::token::TokenHash;
use crate::verify::{Needs, Outcome, Rejection, Verifier};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use std::io::{self, Read};

/// Longest prefix (docs/FORMAT.md: 1 to 16 of `a-z 0-9`).
const MAX_PREFIX: usize = 16;
/// 64 hex digits of body and 8 of check digits.
const HEX_LEN: usize = 72;
/// The longest token: prefix, `_`, 72 hex digits.
pub(crate) const MAX_TOKEN_LEN: usize = MAX_PREFIX + 1 + HEX_LEN;
/// How much [`scan_reader`] reads at a time (its buffer is this and a token's length more).
pub(crate) const CHUNK: usize = 256 * 1024;

/// One token found: where it is, its prefix and its hash, never the secret itself.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// Byte offset of the token's first character.
    pub offset: u64,
    /// Line, from 1.
    pub line: u64,
    /// Column, from 1, in bytes.
    pub column: u64,
    /// The token's prefix (not secret: it is in the file's `tokenPrefix`).
    pub prefix: String,
    /// SHA-256 of the whole token, as `hash:` stores it.
    pub hash: TokenHash,
}

impl Found {
    /// The first 8 hex digits of the hash, as `list` shows a key's.
    pub(crate) fn fingerprint(&self) -> String {
        self.hash.fingerprint()
    }
}

impl std::fmt::Debug for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Found({}:{} {}_… {})",
            self.line,
            self.column,
            self.prefix,
            self.fingerprint()
        )
    }
}

const fn table(hex: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = b'0';
    while b <= b'9' {
        t[b as usize] = true;
        b += 1;
    }
    let mut b = b'a';
    while b <= if hex { b'f' } else { b'z' } {
        t[b as usize] = true;
        b += 1;
    }
    t
}
static IS_HEX: [bool; 256] = table(true);
static IS_PREFIX: [bool; 256] = table(false);

fn nibble(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        _ => b - b'a' + 10,
    }
}

/// The token whose `_` is at `at` in `window`, if there is one: (start, hash). The caller
/// makes sure 72 bytes follow `at` and that `window` holds the 16 bytes before it (or starts
/// at the beginning of the text).
fn token_at(window: &[u8], at: usize) -> Option<(usize, TokenHash)> {
    let hex = &window[at + 1..at + 1 + HEX_LEN];
    if !hex.iter().all(|&b| IS_HEX[b as usize]) {
        return None;
    }
    let run = window[at.saturating_sub(MAX_PREFIX)..at]
        .iter()
        .rev()
        .take_while(|&&b| IS_PREFIX[b as usize])
        .count();
    if run == 0 {
        return None;
    }
    let mut check = [0u8; 4];
    for (i, c) in check.iter_mut().enumerate() {
        *c = (nibble(hex[64 + 2 * i]) << 4) | nibble(hex[64 + 2 * i + 1]);
    }
    let end = at + 1 + HEX_LEN;
    (1..=run).rev().find_map(|len| {
        let start = at - len;
        let digest = Sha256::digest(&window[start..end - 8]);
        (digest[..4] == check)
            .then(|| (start, TokenHash(Sha256::digest(&window[start..end]).into())))
    })
}

/// Line numbers by offset, counted as far as needed and no further.
struct Lines {
    /// Offset up to which newlines are counted.
    pos: u64,
    /// The line `pos` is on.
    line: u64,
    /// Where that line starts.
    line_start: u64,
}

impl Lines {
    fn new() -> Self {
        Lines {
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// Counts up to `to`; `window` holds the text from offset `base`, which is at most `pos`.
    fn advance(&mut self, window: &[u8], base: u64, to: u64) {
        if to <= self.pos {
            return;
        }
        let part = &window[(self.pos - base) as usize..(to - base) as usize];
        let newlines = part.iter().filter(|&&b| b == b'\n').count();
        if newlines > 0 {
            self.line += newlines as u64;
            let last = memchr::memrchr(b'\n', part).unwrap_or(0);
            self.line_start = self.pos + last as u64 + 1;
        }
        self.pos = to;
    }
}

/// Looks at the `_` in `window[from..to]` (`window` starts at offset `base` of the text) and
/// reports each token found.
fn scan_window(
    window: &[u8],
    base: u64,
    from: usize,
    to: usize,
    lines: &mut Lines,
    found: &mut Vec<Found>,
) {
    let usable = window.len().saturating_sub(HEX_LEN);
    let to = to.min(usable);
    if from >= to {
        return;
    }
    for at in memchr::memchr_iter(b'_', &window[from..to]).map(|i| from + i) {
        if let Some((start, hash)) = token_at(window, at) {
            let offset = base + start as u64;
            lines.advance(window, base, offset);
            found.push(Found {
                offset,
                line: lines.line,
                column: offset - lines.line_start + 1,
                prefix: String::from_utf8_lossy(&window[start..at]).into_owned(),
                hash,
            });
        }
    }
}

/// Every token in `text` whose check digits match, in order.
#[cfg(test)] // the reference the streaming scan is tested against
pub(crate) fn find_tokens(text: &[u8]) -> Vec<Found> {
    let mut found = Vec::new();
    scan_window(text, 0, 0, text.len(), &mut Lines::new(), &mut found);
    found
}

/// What [`scan_reader`] saw.
#[derive(Debug, Default)]
pub(crate) struct Scanned {
    pub found: Vec<Found>,
    /// Bytes read.
    pub bytes: u64,
    /// A NUL byte was read and `stop_at_nul` was set: the rest was not scanned.
    pub binary: bool,
}

/// Reads `reader` to its end in chunks of [`CHUNK`] and finds the tokens in it, whatever its
/// size and line length, with the same results as [`find_tokens`] on the whole text. `buf` is
/// the caller's, reused from one call to the next. With `stop_at_nul`, a chunk holding a NUL
/// byte ends the scan (a binary file, as ripgrep decides it); the tokens found before it are
/// kept.
pub(crate) fn scan_reader(
    reader: &mut dyn Read,
    buf: &mut Vec<u8>,
    stop_at_nul: bool,
) -> io::Result<Scanned> {
    scan_chunks(reader, buf, CHUNK, stop_at_nul)
}

/// [`scan_reader`] with chunks of `chunk` bytes (the tests use small ones).
fn scan_chunks(
    reader: &mut dyn Read,
    buf: &mut Vec<u8>,
    chunk: usize,
    stop_at_nul: bool,
) -> io::Result<Scanned> {
    // Room for a chunk and what is carried over from the previous one.
    buf.resize(chunk.max(1) + MAX_TOKEN_LEN, 0);
    let mut out = Scanned::default();
    let mut lines = Lines::new();
    // buf[..kept] is carried over from the previous chunk; it starts at offset `base`, and its
    // `_` before `from` were looked at already.
    let (mut kept, mut base, mut from) = (0usize, 0u64, 0usize);
    loop {
        let mut len = kept;
        let mut eof = false;
        while len < buf.len() {
            match reader.read(&mut buf[len..]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        out.bytes += (len - kept) as u64;
        if stop_at_nul && memchr::memchr(0, &buf[kept..len]).is_some() {
            out.binary = true;
            return Ok(out);
        }
        // Without the end of the text, an `_` among the last 72 bytes waits for the next chunk.
        let to = if eof { len } else { len - HEX_LEN };
        scan_window(&buf[..len], base, from, to, &mut lines, &mut out.found);
        if eof {
            return Ok(out);
        }
        // Keep what the next chunk's first tokens may need: 16 bytes of prefix before `to`.
        let keep_from = to.saturating_sub(MAX_PREFIX);
        lines.advance(&buf[..len], base, base + keep_from as u64);
        buf.copy_within(keep_from..len, 0);
        kept = len - keep_from;
        base += keep_from as u64;
        from = to - keep_from;
    }
}

/// What a found token is, by the files it was looked up in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Status {
    /// A key's current secret, enabled and unexpired: anyone holding it is let in.
    Live,
    /// A previous secret still in its rotation grace period: it works until `until`.
    Rotated { until: Timestamp },
    /// The key is disabled (`update --enable` would make the secret work again).
    Disabled,
    /// The key expired at `at` (`update --expires` would make the secret work again).
    Expired { at: Timestamp },
    /// A previous secret whose grace period ended at `at`.
    RotatedOut { at: Timestamp },
    /// More than one key of a file has it, so servers refuse it (docs/FORMAT.md: ambiguous); it
    /// works again for the others once all but one rotate.
    Ambiguous,
    /// No key has it: revoked, or another file's. (Only the tests build it: `scan` shows only
    /// the tokens a key has.)
    #[allow(dead_code)]
    Unknown,
}

impl Status {
    /// The word in `scan --format json`.
    pub(crate) fn word(&self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Rotated { .. } => "rotated",
            Status::Disabled => "disabled",
            Status::Expired { .. } => "expired",
            Status::RotatedOut { .. } => "rotated-out",
            Status::Ambiguous => "ambiguous",
            Status::Unknown => "unknown",
        }
    }

    /// Does the secret let anyone in now (live, or in its grace period)?
    pub(crate) fn works(&self) -> bool {
        matches!(self, Status::Live | Status::Rotated { .. })
    }

    /// The time that goes with it: until when a rotated secret works, when a key expired or
    /// an old secret stopped.
    pub(crate) fn time(&self) -> Option<Timestamp> {
        match self {
            Status::Rotated { until: t }
            | Status::Expired { at: t }
            | Status::RotatedOut { at: t } => Some(*t),
            _ => None,
        }
    }
}

/// A key a found token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    /// The tenant, when the file was chosen by tenant.
    pub tenant: Option<String>,
    pub key: String,
    pub status: Status,
}

/// The loaded files tokens are looked up in, each indexed by hash ([`Verifier`]), with the
/// tenant it belongs to.
#[derive(Default)]
pub(crate) struct Index {
    files: Vec<(Option<String>, Verifier)>,
}

impl Index {
    pub(crate) fn new() -> Self {
        Index::default()
    }

    /// Adds a loaded file, with its tenant's name when it has one.
    pub(crate) fn add(&mut self, tenant: Option<String>, verifier: Verifier) {
        self.files.push((tenant, verifier));
    }

    /// Every key (across the files added) that has this hash, with what the secret is to it,
    /// decided as `verify` decides; none when the token is unknown.
    pub(crate) fn owners(&self, hash: &TokenHash, now: Timestamp) -> Vec<Owner> {
        let mut out = Vec::new();
        for (tenant, verifier) in &self.files {
            let outcome = verifier.verify_hash(hash, &Needs::default(), now);
            if let Outcome::Rejected(Rejection::Ambiguous { keys, .. }) = outcome {
                // Each key that holds it (the first ten: a hostile file can list thousands).
                out.extend(keys.into_iter().map(|key| Owner {
                    tenant: tenant.clone(),
                    key,
                    status: Status::Ambiguous,
                }));
                continue;
            }
            let (key, status) = match outcome {
                Outcome::Valid { key, previous, .. } => {
                    let status = if previous {
                        let until = verifier
                            .file()
                            .get(&key)
                            .and_then(|k| k.previous_hashes.iter().find(|p| p.hash == *hash))
                            .map(|p| p.expires_at);
                        match until {
                            Some(until) => Status::Rotated { until },
                            None => Status::Live,
                        }
                    } else {
                        Status::Live
                    };
                    (key, status)
                }
                Outcome::Rejected(Rejection::Disabled { key }) => (key, Status::Disabled),
                Outcome::Rejected(Rejection::Expired { key, at }) => (key, Status::Expired { at }),
                Outcome::Rejected(Rejection::Rotated { key, at }) => {
                    (key, Status::RotatedOut { at })
                }
                // Unknown here; no other outcome is possible for a request that asks nothing.
                _ => continue,
            };
            out.push(Owner {
                tenant: tenant.clone(),
                key,
                status,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token;

    fn tok(prefix: &str) -> String {
        token::generate(prefix).unwrap().expose().to_string()
    }

    /// A token of `prefix` whose check digits do not match.
    fn wrong(prefix: &str) -> String {
        let mut t = tok(prefix);
        let last = t.pop().unwrap();
        t.push(if last == '0' { '1' } else { '0' });
        t
    }

    fn at(found: &[Found]) -> Vec<(u64, u64, &str)> {
        found
            .iter()
            .map(|f| (f.line, f.column, f.prefix.as_str()))
            .collect()
    }

    #[test]
    fn finds_a_token_with_its_position_and_hash() {
        let t = tok("acme");
        let text = format!("first line\nexport TOKEN={t}\n");
        let found = find_tokens(text.as_bytes());
        assert_eq!(at(&found), [(2, 14, "acme")]);
        assert_eq!(found[0].hash, TokenHash::of(&t));
        assert_eq!(found[0].offset, 11 + 13);
        // The secret is not in what is found, even when debug-printed.
        assert!(!format!("{found:?}").contains(&t[5..]));
    }

    #[test]
    fn wrong_check_digits_and_look_alikes_are_not_tokens() {
        let digest = "a".repeat(72);
        let text = format!(
            "{}\nsha256_{digest}\nx_{}\n_{}\n{}\n",
            wrong("tk"),
            "0123456789abcdef".repeat(5),
            &tok("tk")[3..],
            &tok("tk")[..3 + 71],
        );
        assert_eq!(find_tokens(text.as_bytes()), []);
    }

    #[test]
    fn boundaries() {
        let t = tok("acme");
        let long = tok("abcdefghij012345");
        let cases: Vec<(String, u64)> = vec![
            // More prefix characters before it than a prefix holds, or an upper-case letter.
            (format!("yyyyyyyyyyyyyyyyyyyy{t}"), 21),
            (format!("X{t}"), 2),
            (t.clone(), 1),
            // A 16-character prefix preceded by one more prefix character.
            (format!("z{long}"), 2),
            // After punctuation, and followed by more hex digits, letters or an underscore.
            (format!("key=\"{t}\""), 6),
            (format!("{t}00ff"), 1),
            (format!("{t}_more"), 1),
            (format!("{t}xyz"), 1),
        ];
        for (text, col) in cases {
            let found = find_tokens(text.as_bytes());
            assert_eq!(found.len(), 1, "{text}");
            assert_eq!(found[0].column, col, "{text}");
        }
        // Glued together: both.
        let (a, b) = (tok("tk"), tok("tk"));
        let found = find_tokens(format!("{a}{b}").as_bytes());
        assert_eq!(at(&found), [(1, 1, "tk"), (1, 1 + a.len() as u64, "tk")]);
        assert_eq!(found[1].hash, TokenHash::of(&b));
        // Cut short by one digit: nothing.
        assert_eq!(find_tokens(&t.as_bytes()[..t.len() - 1]), []);
    }

    #[test]
    fn crlf_and_non_utf8_text() {
        let t = tok("tk");
        let mut text = b"\xff\xfe line one\r\n\xc3(\r\n  ".to_vec();
        text.extend_from_slice(t.as_bytes());
        text.extend_from_slice(b"\r\n");
        assert_eq!(at(&find_tokens(&text)), [(3, 3, "tk")]);
        // Column in bytes: "é" is two.
        let text = format!("é {t}");
        assert_eq!(at(&find_tokens(text.as_bytes())), [(1, 4, "tk")]);
    }

    /// A reader handing out a few bytes at a time, as a pipe may.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(self.1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn the_reader_finds_what_the_whole_text_holds_across_chunk_boundaries() {
        // Tokens of every prefix length, glued or a few bytes apart, between newlines: with
        // small chunks, every token straddles chunk boundaries at many places.
        let mut text = Vec::new();
        for i in 0..60usize {
            let prefix = &"abcdefghij012345"[..1 + i % 16];
            text.extend_from_slice(tok(prefix).as_bytes());
            text.extend(std::iter::repeat_n(b'x', i % 7));
            if i % 5 == 0 {
                text.extend_from_slice(b"\r\n");
            }
        }
        let whole = find_tokens(&text);
        assert_eq!(whole.len(), 60);
        let mut buf = Vec::new();
        for chunk in [1, 2, 15, 16, 17, 71, 72, 73, 88, 89, 90, 200, 1000, CHUNK] {
            for step in [usize::MAX, 7, 1] {
                let got = scan_chunks(&mut Trickle(&text, step), &mut buf, chunk, true).unwrap();
                assert_eq!(got.found, whole, "chunk {chunk}, step {step}");
                assert_eq!(got.bytes, text.len() as u64);
            }
        }
        // And the public reader on a text longer than its chunk, with one very long line.
        let mut long = vec![b'y'; 3 * CHUNK + 5];
        let t = tok("tk");
        long.extend_from_slice(t.as_bytes());
        let got = scan_reader(&mut &long[..], &mut buf, true).unwrap();
        assert_eq!(at(&got.found), [(1, 3 * CHUNK as u64 + 6, "tk")]);
    }

    #[test]
    fn a_nul_byte_stops_the_reader_only_when_asked() {
        let t = tok("tk");
        let text = format!("\0{t}");
        let mut buf = Vec::new();
        let got = scan_reader(&mut text.as_bytes(), &mut buf, true).unwrap();
        assert!(got.binary && got.found.is_empty());
        let got = scan_reader(&mut text.as_bytes(), &mut buf, false).unwrap();
        assert!(!got.binary);
        assert_eq!(at(&got.found), [(1, 2, "tk")]);
    }

    #[test]
    fn owners_say_what_the_secret_is_to_each_key() {
        let now: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let [live, off, old, gone, late, stranger] = std::array::from_fn(|_| tok("tk"));
        let h = |t: &str| TokenHash::of(t);
        let yaml = format!(
            "apiKeys:\n  a:\n    hash: {}\n    previousHashes:\n      - hash: {}\n        expiresAt: 2026-11-23T00:00:00Z\n      - hash: {}\n        expiresAt: 2026-11-21T00:00:00Z\n  b:\n    enabled: false\n    hash: {}\n  c:\n    hash: {}\n    expiresAt: 2026-01-01T00:00:00Z\n",
            h(&live),
            h(&old),
            h(&gone),
            h(&off),
            h(&late)
        );
        let mut index = Index::new();
        index.add(Some("acme".into()), Verifier::from_yaml(&yaml).unwrap());
        let status = |t: &str| {
            let o = index.owners(&h(t), now);
            o.first()
                .map(|o| o.status.clone())
                .unwrap_or(Status::Unknown)
        };
        assert_eq!(status(&live), Status::Live);
        assert_eq!(status(&off), Status::Disabled);
        assert_eq!(
            status(&old),
            Status::Rotated {
                until: "2026-11-23T00:00:00Z".parse().unwrap()
            }
        );
        assert_eq!(
            status(&gone),
            Status::RotatedOut {
                at: "2026-11-21T00:00:00Z".parse().unwrap()
            }
        );
        assert_eq!(
            status(&late),
            Status::Expired {
                at: "2026-01-01T00:00:00Z".parse().unwrap()
            }
        );
        assert_eq!(status(&stranger), Status::Unknown);
        // Two keys of one file with one secret: servers refuse it; both are named.
        let twice = format!(
            "apiKeys:\n  x:\n    hash: {}\n  z:\n    hash: {}\n",
            h(&stranger),
            h(&stranger)
        );
        let mut shared = Index::new();
        shared.add(None, Verifier::from_yaml(&twice).unwrap());
        let owners = shared.owners(&h(&stranger), now);
        let named: Vec<(&str, &Status)> =
            owners.iter().map(|o| (o.key.as_str(), &o.status)).collect();
        assert_eq!(
            named,
            [("x", &Status::Ambiguous), ("z", &Status::Ambiguous)]
        );
        // The same secret in two tenants: both are named.
        index.add(Some("beta".into()), Verifier::from_yaml(&yaml).unwrap());
        let owners = index.owners(&h(&live), now);
        assert_eq!(owners.len(), 2);
        assert_eq!(owners[1].tenant.as_deref(), Some("beta"));
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        /// Text around the tokens, from an alphabet chosen to be near misses: prefix letters,
        /// hex digits, `_`, upper case, line breaks, and bytes that are not UTF-8.
        fn filler() -> impl Strategy<Value = Vec<u8>> {
            let alphabet: &'static [u8] = b"abcxyz0189f_ZQ =\"\r\n\t\xff\xc3";
            prop::collection::vec(prop::sample::select(alphabet), 0..40)
        }

        /// A token made as `generate` makes one, from proptest's bytes; `valid: false` breaks
        /// its check digits.
        fn token(valid: bool) -> impl Strategy<Value = String> {
            let prefix = prop::collection::vec(
                prop::sample::select(b"abcdefghijklmnopqrstuvwxyz0123456789".as_slice()),
                1..=16,
            );
            (prefix, prop::array::uniform32(any::<u8>()), 0..8usize).prop_map(
                move |(prefix, body, flip)| {
                    let mut t = format!(
                        "{}_{}",
                        String::from_utf8(prefix).unwrap(),
                        hex::encode(body)
                    );
                    let check = crate::token::check_digits(&t);
                    let check = if valid {
                        check
                    } else {
                        // One check digit changed to another hex digit.
                        let mut c = check.into_bytes();
                        c[flip] = if c[flip] == b'0' { b'1' } else { b'0' };
                        String::from_utf8(c).unwrap()
                    };
                    t.push_str(&check);
                    t
                },
            )
        }

        proptest! {
            #[test]
            fn every_valid_token_is_found_where_it_is_and_no_wrong_one(
                parts in prop::collection::vec((filler(), prop::bool::ANY.prop_flat_map(token)), 0..12),
                tail in filler(),
                chunk in 1..200usize,
            ) {
                let mut text = Vec::new();
                let mut expected = Vec::new();
                for (before, t) in &parts {
                    text.extend_from_slice(before);
                    if crate::token::shape(t) == crate::token::Shape::Valid {
                        let line = 1 + text.iter().filter(|&&b| b == b'\n').count() as u64;
                        let line_start = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                        let prefix = t.split_once('_').unwrap().0.to_string();
                        expected.push((line, (text.len() - line_start + 1) as u64, prefix, TokenHash::of(t)));
                    }
                    text.extend_from_slice(t.as_bytes());
                }
                text.extend_from_slice(&tail);
                let found = find_tokens(&text);
                let got: Vec<_> = found.iter().map(|f| (f.line, f.column, f.prefix.clone(), f.hash)).collect();
                prop_assert_eq!(&got, &expected);
                // The reader, in small chunks, agrees.
                let streamed = scan_chunks(&mut &text[..], &mut Vec::new(), chunk, false).unwrap();
                prop_assert_eq!(streamed.found, found);
            }
        }
    }
}
