//! Text on its way to a person: every message on stderr, and the tables on stdout.
//!
//! Two rules, each applied in one place rather than message by message:
//! - [`redact`]: a value that looks like a secret (tokenctl's token form, or 32+ characters
//!   of token-like text) is never repeated; it is replaced by its prefix and the fingerprint
//!   of its hash, which is how `tokenctl list` names the key it belongs to. A secret typed
//!   where a name or a flag's value goes (`tokenctl show tk_...`) is already in the shell's
//!   history; it must not also land in a CI log, and the operator should rotate it.
//! - [`Visible`]: control characters (and the invisible bidirectional overrides) are shown as
//!   escapes, `\u{1b}`, so that text from a file (a description, a usage record, a path)
//!   cannot move the cursor, retitle the window or set the clipboard (OSC 52).
//!
//! [`message`] applies both to a whole message: the binary prints every error and notice
//! through it, and passes each value of clap's errors through [`value`] (main.rs). JSON and
//! YAML output is data and stays exact.

use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt;

/// Said once under a message that had a secret-looking value taken out.
pub const ROTATE_ADVICE: &str = "a value that looks like a secret is not repeated above; \
     if it is a real one, it may now be in your shell history or a log: rotate it \
     (`tokenctl list` shows which key has that fingerprint; then `tokenctl rotate NAME`)";

/// Shortest run of token-like text taken for a secret (docs/FORMAT.md: an imported secret has at
/// least 32 characters).
const MIN_SECRET_LEN: usize = 32;

/// A whole message for stderr: secrets redacted (with the advice to rotate, once), control
/// characters visible; line breaks stay line breaks.
/// `1 key`, `2 keys`: a count and its unit, for messages.
pub(crate) fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

pub fn message(text: &str) -> String {
    let redacted = redact(text);
    let mut out = String::with_capacity(redacted.len());
    for line in redacted.split_inclusive('\n') {
        let (body, end) = line
            .strip_suffix('\n')
            .map_or((line, ""), |body| (body, "\n"));
        out.push_str(&Visible(body).to_string());
        out.push_str(end);
    }
    if let Cow::Owned(_) = redacted {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("note: ");
        out.push_str(ROTATE_ADVICE);
    }
    out
}

/// Prints a warning the library handed back ([`crate::store::Store::with_warnings`]) on
/// stderr, through [`message`]: what the command line and `serve` do with them. The library
/// itself never calls it.
pub fn print_warning(warning: &str) {
    eprintln!("{}", message(warning));
}

/// One value for a message (a flag's value in a clap error): secrets redacted, every control
/// character visible, line breaks included.
pub fn value(text: &str) -> String {
    Visible(&redact(text)).to_string()
}

/// Shows control characters as escapes: `\n`, `\t`, `\r`, else `\u{1b}` and the like. For
/// table cells and values in messages; everything else passes unchanged.
pub struct Visible<'a>(pub &'a str);

impl fmt::Display for Visible<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(needs_escape) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().expect("found a char here");
            match c {
                '\n' => f.write_str("\\n")?,
                '\t' => f.write_str("\\t")?,
                '\r' => f.write_str("\\r")?,
                c => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            }
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

/// The text as [`Visible`] shows it, borrowed when nothing needs escaping.
pub fn visible(text: &str) -> Cow<'_, str> {
    // Printable ASCII, the usual case, needs nothing: checked a byte at a time (a table of
    // 100,000 rows has 800,000 cells).
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Cow::Borrowed(text);
    }
    if text.contains(needs_escape) {
        Cow::Owned(Visible(text).to_string())
    } else {
        Cow::Borrowed(text)
    }
}

/// C0 and C1 controls and DEL, and the characters that reorder or hide text without showing
/// themselves (bidirectional overrides and isolates, zero-width characters).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// Replaces every secret-looking value in `text` with its redacted form (see [`redacted`]);
/// borrowed when there is none.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `text` already in `out`
    for (start, end) in secret_spans(text) {
        let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
        o.push_str(&text[copied..start]);
        o.push_str(&redacted(&text[start..end]));
        copied = end;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
    }
}

/// Whether `text` holds a secret-looking value anywhere.
pub fn contains_secret(text: &str) -> bool {
    secret_spans(text).next().is_some()
}

/// Whether `text` holds a token of tokenctl's form (`[a-z0-9]{1,16}_[0-9a-f]{72}`).
pub fn contains_token(text: &str) -> bool {
    token_at(text).is_some()
}

/// How a secret is shown instead: its prefix (`tk_`, `ghp_`, when it has one) and the first 8
/// hex digits of the SHA-256 of the whole string, which for a key's secret is the key's
/// fingerprint in `tokenctl list`.
pub fn redacted(secret: &str) -> String {
    let fingerprint = hex::encode(&Sha256::digest(secret.as_bytes())[..4]);
    format!("{}<redacted, fingerprint {fingerprint}>", prefix(secret))
}

/// The recognisable start of a secret: `tk_` for tokenctl's, else up to 16 letters and
/// digits before a first `_` or `-` that leave at least 20 characters after them.
fn prefix(secret: &str) -> &str {
    if let Some((p, _)) = token_at(secret) {
        if p == 0 {
            return &secret[..secret.find('_').map_or(0, |u| u + 1)];
        }
    }
    match secret.find(['_', '-']) {
        Some(at)
            if (1..=16).contains(&at)
                && secret[..at].bytes().all(|b| b.is_ascii_alphanumeric())
                && secret.len() - at > 20 =>
        {
            &secret[..=at]
        }
        _ => "",
    }
}

/// Byte ranges of the secret-looking values in `text`, in order.
///
/// Candidates are runs of the characters tokens and base64 are made of (`A-Z a-z 0-9 + / _
/// -`), without the leading `-` of a flag or `/` of a path. A candidate with a part between
/// slashes that looks like a secret has that part redacted, so that a path keeps its
/// folders, unless the other parts look random too or are too short to tell (a few
/// characters): then it is base64 with a `/` in it, and all of it goes. A run without such a
/// part is judged whole.
fn secret_spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = text.as_bytes();
    let is_run = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'_' | b'-');
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !is_run(bytes[i]) {
            i += 1;
            continue;
        }
        let mut start = i;
        while i < bytes.len() && is_run(bytes[i]) {
            i += 1;
        }
        // Base64 padding belongs to the secret (its fingerprint is of the whole string).
        let mut end = i;
        while end < bytes.len() && end - i < 2 && bytes[end] == b'=' {
            end += 1;
        }
        while start < i && matches!(bytes[start], b'-' | b'/') {
            start += 1;
        }
        let mut parts = Vec::new();
        let mut rest = String::new(); // the parts that are not secrets, run together
        let mut offset = start;
        for part in text[start..i].split('/') {
            let part_end = offset + part.len();
            let padded = if part_end == i { end } else { part_end };
            if looks_like_secret(&text[offset..padded], &text[..offset], &text[padded..]) {
                parts.push((offset, padded));
            } else {
                rest.push_str(part);
            }
            offset = part_end + 1;
        }
        let whole = text[start..i].trim_end_matches('/');
        let whole_end = start + whole.len();
        let whole_span = (start, if whole_end == i { end } else { whole_end });
        let after = &text[whole_span.1..];
        if parts.is_empty() {
            // Short parts that read random together, but as a path of words apart (a temp
            // folder's random name among them), are a path: base64 with a `/` in it reads
            // random in every part of any length.
            let every_part_random = whole.split('/').filter(|p| p.len() >= 4).all(reads_random);
            if whole.contains('/')
                && looks_like_secret(whole, &text[..start], after)
                && every_part_random
            {
                spans.push(whole_span);
            }
        } else if rest.len() < 4 || reads_random(&rest) {
            spans.push(whole_span);
        } else {
            spans.extend(parts);
        }
        i = end;
    }
    spans.into_iter()
}

/// Is this run of token characters a secret? Tokens of tokenctl's form always are. Other runs
/// of 32 or more characters are when they read as random rather than as words: letters and
/// digits alternate often (hex, base36, base64), or letter case does (base64, base62).
/// `sha256:` and 64 hex digits is a hash, which is no secret (`--if-unchanged` shows them);
/// so is a file's digest as `sha256sum` and its kin print it, `<hex>  <file>`.
fn looks_like_secret(run: &str, before: &str, after: &str) -> bool {
    if run.len() < MIN_SECRET_LEN {
        return false;
    }
    if contains_token(run) {
        return true;
    }
    if names_a_commit(run) {
        return false;
    }
    let lower_hex = |s: &str| s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if before.ends_with("sha256:") && run.len() == 64 && lower_hex(run) {
        return false;
    }
    if checksum_line(run, after) && lower_hex(run) {
        return false;
    }
    run.bytes().any(|b| b.is_ascii_alphabetic()) && reads_random(run)
}

/// Is `digest`, followed by `after`, a line of `sha1sum`, `sha256sum`, `sha512sum` (or their
/// kin): a digest of 40 to 128 hex digits, two spaces (a space and `*` in binary mode) and a
/// file name? A file's digest, which a secret never is.
fn checksum_line(digest: &str, after: &str) -> bool {
    matches!(digest.len(), 40 | 56 | 64 | 96 | 128)
        && (after.starts_with("  ") || after.starts_with(" *"))
        && after[2..].starts_with(|c: char| !c.is_whitespace())
}

/// A value given as a file's digest (`--if-unchanged`): shown as it is, control characters
/// visible, since a digest, even a mistyped one, is no secret; only a token of tokenctl's
/// form pasted there by mistake is redacted.
pub fn digest_value(text: &str) -> String {
    if contains_token(text) {
        value(text)
    } else {
        Visible(text).to_string()
    }
}

/// A name built from words and one git object id or SHA-256 digest (`deploy-<40 hex>`, the
/// habit of `deploy-$GITHUB_SHA`): a key name, not a secret. A bare 40-hex string still
/// counts as one (many services' keys are hex), and so does any other random-looking part.
fn names_a_commit(run: &str) -> bool {
    let is_id = |s: &str| {
        (s.len() == 40 || s.len() == 64)
            && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    let parts: Vec<&str> = run.split(['-', '_']).filter(|p| !p.is_empty()).collect();
    let ids = parts.iter().filter(|p| is_id(p)).count();
    let words = parts
        .iter()
        .filter(|p| !is_id(p))
        .all(|p| p.len() < MIN_SECRET_LEN && !reads_random(p));
    let has_word = parts
        .iter()
        .any(|p| !is_id(p) && p.bytes().filter(u8::is_ascii_alphabetic).count() >= 2);
    ids == 1 && words && has_word
}

/// Do letters and digits, or upper and lower case, alternate as often as in random text
/// (hex, base36, base64), rather than as in words and names?
fn reads_random(run: &str) -> bool {
    let class = |b: u8| match b {
        b'0'..=b'9' => 0,
        b'a'..=b'z' => 1,
        b'A'..=b'Z' => 2,
        _ => 3,
    };
    let (mut pairs, mut digit_switches, mut switches) = (0usize, 0usize, 0usize);
    for w in run.as_bytes().windows(2) {
        let (a, b) = (class(w[0]), class(w[1]));
        if a == 3 || b == 3 {
            continue;
        }
        pairs += 1;
        if a != b {
            switches += 1;
            if a == 0 || b == 0 {
                digit_switches += 1;
            }
        }
    }
    pairs > 0 && (digit_switches * 10 >= pairs || switches * 100 >= pairs * 45)
}

/// The first token of tokenctl's form in `text`: (start, end) in bytes.
fn token_at(text: &str) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    const BODY: usize = 72;
    for (u, _) in text.match_indices('_') {
        let body = b.get(u + 1..u + 1 + BODY)?;
        if !body.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            continue;
        }
        let prefix_len = b[..u]
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            .count();
        if prefix_len == 0 {
            continue;
        }
        return Some((u - prefix_len.min(16), u + 1 + BODY));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str =
        "tk_3c9d8da650df727992f44dec2651c5415e610f71332df9b1eee90b105889271fa0fa9d60";

    fn fp(s: &str) -> String {
        hex::encode(&Sha256::digest(s.as_bytes())[..4])
    }

    #[test]
    fn tokens_are_replaced_by_prefix_and_fingerprint() {
        let m = format!("invalid key name \"{TOKEN}\": too long");
        let r = redact(&m);
        assert_eq!(
            r,
            format!(
                "invalid key name \"tk_<redacted, fingerprint {}>\": too long",
                fp(TOKEN)
            )
        );
        // In a flag, after a path, with another prefix, cut short, several in one text.
        let acme = TOKEN.replacen("tk_", "acme_", 1);
        for text in [
            format!("--ip={TOKEN}"),
            format!("/tmp/x/{TOKEN}/security.yml"),
            format!("Bearer {acme}"),
            format!("'{}'", &TOKEN[..50]),
            format!("{TOKEN} and {acme}"),
        ] {
            let r = redact(&text);
            assert!(!r.contains(&TOKEN[3..40]), "{text} -> {r}");
            assert!(r.contains("<redacted, fingerprint "), "{r}");
        }
        assert_eq!(
            redact(&format!("/tmp/x/{TOKEN}/security.yml")),
            format!(
                "/tmp/x/tk_<redacted, fingerprint {}>/security.yml",
                fp(TOKEN)
            )
        );
        assert!(redact(&format!("{acme} and")).starts_with("acme_<redacted"));
        // Base64 with a `/`: no piece of it is left, wherever the slash falls.
        let b64 = "q3Xv9mKzL0sR7TtY2bNcW8dPfA1gHjE5uIo/ZxV4eMa=";
        assert_eq!(redact(b64), redacted(b64));
        let b64 = "q3/Xv9mKzL0sR7TtY2bNcW8dPfA1gHjE5uIoZxV4eMa=";
        assert_eq!(redact(b64), redacted(b64));
    }

    #[test]
    fn other_secrets_of_32_characters_or_more_are_replaced() {
        for secret in [
            // openssl rand -hex 32, -base64 32, pwgen -s 40, a GitHub token, a JWT's parts
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "q3Xv+9mKzL0sR/7TtY2bNcW8dPfA1gHjE5uIoZxV4eM=",
            "Xk2mP9qR4sT7vW1yZ3bC6dF8gH0jK5nL",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        ] {
            let r = redact(secret);
            assert!(r.contains("<redacted, fingerprint "), "{secret} -> {r}");
            assert!(r.contains(&fp(secret)), "{secret} -> {r}");
        }
        assert!(redact("ghp_16C7e42F292c6912E7710c838347Ae178B4a").starts_with("ghp_<"));
    }

    #[test]
    fn names_paths_hashes_and_prose_are_kept() {
        for text in [
            "no key named 'ci-deploy-20261122-production-eu1'",
            "no key named 'GithubActionsDeployProductionKey'",
            "/work/wt/hostile/target/tmp/.tmpAbC123/tenants/acme/security.yml",
            "/home/operator/projects/infrastructure/configuration/tenants",
            "its sha256 is now sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "expired at 2027-02-20T10:00:00Z from 2001:db8:85a3:0:0:8a2e:370:7334",
            "use a duration (7d, 30d, 90d, 1y), a date (2027-01-01) or never",
            "internationalization-localization-accessibility",
            "1234567890123456789012345678901234567890",
        ] {
            assert_eq!(redact(text), text);
        }
    }

    #[test]
    fn a_file_digest_is_no_secret() {
        let hex = "9116201cd33005dd5d9cce7a4651f580f18b728a9fb580475f86cfb12a05285d";
        // sha256sum's line, and tokenctl's own sha256: form, are shown as they are.
        let line = format!("--if-unchanged \"{hex}  tenants/acme/security.yml\" is wrong");
        assert_eq!(message(&line), line);
        assert_eq!(message(&format!("{hex} *x.yml")), format!("{hex} *x.yml"));
        assert_eq!(
            message(&format!("is now sha256:{hex}")),
            format!("is now sha256:{hex}")
        );
        // 64 hex digits alone may be a secret (`openssl rand -hex 32`).
        assert!(message(&format!("bad {hex}")).contains("<redacted"));
        assert!(message(&format!("bad {hex} x")).contains("<redacted"));
        // A digest given as such is shown even mistyped; a token there is not.
        assert_eq!(digest_value(&hex[1..]), &hex[1..]);
        assert!(digest_value(TOKEN).starts_with("tk_<redacted"));
    }

    #[test]
    fn messages_show_control_characters_and_advise_rotating() {
        assert_eq!(
            message("description: \u{1b}]0;pwned\u{7}\u{1b}[31mRED\nnext\u{9b}\u{202e}"),
            "description: \\u{1b}]0;pwned\\u{7}\\u{1b}[31mRED\nnext\\u{9b}\\u{202e}"
        );
        let m = message(&format!("error: bad {TOKEN}"));
        assert!(m.starts_with("error: bad tk_<redacted"), "{m}");
        assert!(m.ends_with(ROTATE_ADVICE), "{m}");
        assert_eq!(message("plain\n"), "plain\n");
        assert_eq!(value("a\nb\u{1b}"), "a\\nb\\u{1b}");
        assert_eq!(visible("fine"), "fine");
    }

    #[test]
    fn the_token_form_is_recognised_exactly() {
        assert!(contains_token(TOKEN));
        assert!(contains_token(&format!("x {TOKEN} y")));
        assert!(!contains_token(&TOKEN[..TOKEN.len() - 1]));
        assert!(!contains_token(&TOKEN.replace("tk_", "_")));
        assert!(!contains_token(&TOKEN.to_uppercase()));
        assert!(contains_secret(&TOKEN[..TOKEN.len() - 1]));
        assert!(!contains_secret("dns:read"));
    }

    #[test]
    fn a_path_through_a_randomly_named_folder_is_kept() {
        // Found when a test's temporary folder name (`.tmpv9yT8w`) made a whole path read
        // random: every message naming the file lost it.
        for path in [
            "/tmp/.tmpv9yT8w/tenants/acmee/security.yml",
            "/tmp/.tmpAb3De9/tenants/acme/security.usage.yml",
            "/run/user/1000/tokenctl-q8Zx2K/security.yml",
        ] {
            assert_eq!(redact(path), path, "{path}");
        }
        // Base64 with slashes in it still goes, whole.
        let b64 = "q8Zx2KfT9/Lm3Qa7Pw+R0sVb4Yc6/Nd1Eu5Hj8Gk2Oi0Wr==";
        assert!(!redact(b64).contains("q8Zx2KfT9"), "{}", redact(b64));
    }
}
