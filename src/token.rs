//! Tokens (docs/FORMAT.md, "Tokens"): generation from the OS CSPRNG, check digits, the stored hash,
//! the fingerprint, and [`Secret`], a string that never prints and is zeroized on drop.

use rand::TryRng;
use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::Zeroize;

/// Minimum length of an imported secret (`create --secret-stdin`).
pub const MIN_IMPORTED_LEN: usize = 32;

/// Maximum length of a new imported secret.
pub const MAX_IMPORTED_LEN: usize = 512;

/// Why a secret may not be imported as a new key's, or `None`: it must be
/// [`MIN_IMPORTED_LEN`] to [`MAX_IMPORTED_LEN`] printable ASCII characters without whitespace,
/// so that every server reads it whole from `Authorization: Bearer <secret>` (a space inside
/// would be taken for the end of the token by some and not by others). The message never
/// quotes the secret. Keys already in a file are not checked: only the hash is there.
pub fn imported_problem(secret: &str) -> Option<String> {
    let rule = format!(
        "an imported secret is {MIN_IMPORTED_LEN} to {MAX_IMPORTED_LEN} printable ASCII characters without whitespace"
    );
    let count = secret.chars().count();
    if let Some((i, c)) = secret.char_indices().find(|(_, c)| !c.is_ascii_graphic()) {
        let what = if c.is_whitespace() {
            "whitespace"
        } else if c.is_ascii() {
            "a control character"
        } else {
            "a character that is not ASCII"
        };
        let at = secret[..i].chars().count() + 1;
        return Some(format!(
            "it holds {what} (character {at} of {count}); {rule}"
        ));
    }
    if !(MIN_IMPORTED_LEN..=MAX_IMPORTED_LEN).contains(&count) {
        return Some(format!("it is {count} characters; {rule}"));
    }
    None
}

/// A secret token. `Debug` and `Display` print "(redacted)"; the bytes are zeroized on drop.
pub struct Secret(String);

impl Secret {
    /// Wraps a string as a secret.
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    /// The secret itself. Call only where it must be printed, copied or hashed.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The stored form of this secret.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

/// SHA-256 of a whole token string, as stored: `sha256:<64 lowercase hex>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    /// Hashes a token.
    pub fn of(token: &str) -> Self {
        TokenHash(Sha256::digest(token.as_bytes()).into())
    }

    /// Parses the stored form; `None` unless it is exactly `sha256:` and 64 lowercase hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        // Decoded by hand, eight digits at a time: every load parses one per key, and this
        // is several times faster than validating and then decoding with the hex crate.
        let hex_part = text.strip_prefix("sha256:")?.as_bytes();
        if hex_part.len() != 64 {
            return None;
        }
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = ONES * 0x80;
        let mut out = [0u8; 32];
        let mut bad = 0u64;
        for (four, eight) in out.chunks_exact_mut(4).zip(hex_part.chunks_exact(8)) {
            let w = u64::from_le_bytes(eight.try_into().expect("8 bytes"));
            // For a byte below 0x80 (`w & HIGH` refuses the others), `x + (0x80 - lo)` has its
            // high bit set exactly when x >= lo, and `x + (0x7f - hi)` exactly when x > hi: no
            // carry crosses into the next byte.
            let between = |lo: u8, hi: u8| {
                w.wrapping_add(ONES * u64::from(0x80 - lo))
                    & !w.wrapping_add(ONES * u64::from(0x7f - hi))
                    & HIGH
            };
            let digit = between(b'0', b'9');
            let letter = between(b'a', b'f');
            bad |= (w & HIGH) | ((digit | letter) ^ HIGH);
            // A digit's value is its low four bits; a letter's, its low four bits and 9.
            let nibbles = (w & (ONES * 0x0f)) + (letter >> 7) * 9;
            // Each pair of digits (the high one first, in the lower byte) into one byte, then
            // the four bytes together.
            const EVEN: u64 = 0x00ff_00ff_00ff_00ff;
            let pairs = ((nibbles & EVEN) << 4) | ((nibbles >> 8) & EVEN);
            let pairs = (pairs | (pairs >> 8)) & 0x0000_ffff_0000_ffff;
            let pairs = (pairs | (pairs >> 16)) as u32;
            four.copy_from_slice(&pairs.to_le_bytes());
        }
        (bad == 0).then_some(TokenHash(out))
    }

    /// The first 8 hex digits: shown in lists to tell keys apart.
    pub fn fingerprint(&self) -> String {
        hex::encode(&self.0[..4])
    }

    /// [`TokenHash::fingerprint`] written into `buf`, without allocating.
    pub(crate) fn fingerprint_into<'b>(&self, buf: &'b mut [u8; 8]) -> &'b str {
        hex::encode_to_slice(&self.0[..4], buf).expect("8 hex digits for 4 bytes");
        std::str::from_utf8(buf).expect("hex digits")
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &TokenHash) -> bool {
        use subtle::ConstantTimeEq;
        // The differences folded into one word without a branch, then compared once:
        // `subtle`'s comparison of two byte arrays puts an optimisation barrier on each of
        // the 32 bytes, which cost `Verifier::verify` more than its map lookup.
        let word = |h: &TokenHash, i: usize| {
            u64::from_ne_bytes(h.0[i * 8..i * 8 + 8].try_into().expect("8 bytes"))
        };
        let diff = (0..4).fold(0u64, |d, i| d | (word(self, i) ^ word(other, i)));
        diff.ct_eq(&0).into()
    }
}

impl fmt::Display for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", hex::encode(self.0))
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({})", self.fingerprint())
    }
}

/// Is `prefix` a valid token prefix (1-16 of a-z 0-9)?
pub fn valid_prefix(prefix: &str) -> bool {
    (1..=16).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Generates a new token `<prefix>_<64 hex><8 hex check>` from the operating system's CSPRNG.
pub fn generate(prefix: &str) -> Result<Secret, String> {
    let mut bytes = [0u8; 32];
    rand::rngs::SysRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| format!("the operating system's random source failed: {e}"))?;
    let mut token = String::with_capacity(prefix.len() + 1 + 72);
    token.push_str(prefix);
    token.push('_');
    token.push_str(&hex::encode(bytes));
    bytes.zeroize();
    let check = check_digits(&token);
    token.push_str(&check);
    Ok(Secret(token))
}

/// The check digits for `<prefix>_<body>`: first 4 bytes of its SHA-256 as 8 lowercase hex.
pub fn check_digits(prefix_and_body: &str) -> String {
    let digest = Sha256::digest(prefix_and_body.as_bytes());
    hex::encode(&digest[..4])
}

/// The shape of a candidate token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Of tokenctl's form and the check digits match.
    Valid,
    /// Looks like tokenctl's form (prefix, underscore, hex) but is cut short, too long,
    /// or the check digits do not match: mistyped.
    Malformed,
    /// Not of tokenctl's form at all (an imported secret, perhaps).
    Foreign,
}

/// Classifies a token by its form alone, whatever its prefix: for finding tokens in text.
/// Verification uses the stricter [`check_form`], which knows the file's prefix.
pub fn shape(token: &str) -> Shape {
    let Some((prefix, rest)) = token.split_once('_') else {
        return Shape::Foreign;
    };
    if !valid_prefix(prefix) {
        return Shape::Foreign;
    }
    if rest.len() == 72 && is_lower_hex(rest) {
        let split = prefix.len() + 1 + 64;
        if check_digits(&token[..split]) == token[split..] {
            Shape::Valid
        } else {
            Shape::Malformed
        }
    } else if is_lower_hex(rest) && rest.len() >= 32 {
        // tokenctl's form, cut short or with extra digits.
        Shape::Malformed
    } else {
        Shape::Foreign
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What is wrong with a token that starts like one of tokenctl's (docs/FORMAT.md, verification
/// step 2). Says where, never which character: a mistyped secret is still mostly the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    /// `len` characters follow `<prefix>_` instead of 72; `bad`, the first that is not a
    /// lowercase hex digit, if any.
    Length {
        prefix: String,
        len: usize,
        bad: Option<BadChar>,
    },
    /// 72 characters follow `<prefix>_`, but this one is not a lowercase hex digit.
    Character { prefix: String, bad: BadChar },
    /// Of the form, but the last 8 digits are not the check digits of the rest.
    CheckDigits,
}

/// A character that has no place in a token: its 1-based position in the whole token, and
/// what kind of character it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadChar {
    pub position: usize,
    pub kind: &'static str,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed token: ")?;
        match self {
            Malformed::Length { prefix, len, bad } => {
                let hint = if *len < 72 {
                    "cut short?"
                } else {
                    "something added?"
                };
                write!(f, "{len} characters follow '{prefix}_', not 72 ({hint})")?;
                if let Some(b) = bad {
                    write!(f, ", and character {} is {}", b.position, b.kind)?;
                }
                Ok(())
            }
            Malformed::Character { prefix, bad } => write!(
                f,
                "character {} is {}; after '{prefix}_' come 72 lowercase hex digits (0-9, a-f)",
                bad.position, bad.kind
            ),
            Malformed::CheckDigits => {
                f.write_str("its check digits do not match (mistyped or cut short)")
            }
        }
    }
}

/// Checks the form of a token before any lookup (docs/FORMAT.md, verification step 2). A token that
/// starts with one of `known_prefixes` and `_` must be followed by exactly 72 lowercase hex
/// digits whose last 8 are the check digits; one of the scanners' form
/// (`[a-z0-9]{1,16}_[0-9a-f]{72}`) with another prefix must have matching check digits.
/// Anything else is left for the lookup (an imported secret, perhaps).
pub fn check_form(token: &str, known_prefixes: &[&str]) -> Result<(), Malformed> {
    // Nothing is allocated unless the token is malformed: `Verifier::verify` runs this on
    // every token it does not know, and the messages need the prefix only then.
    let Some((prefix, rest)) = token.split_once('_') else {
        return Ok(());
    };
    // A whole token uppercased (`TK_...`, by a form or a terminal that shouts): its prefix is
    // no longer known, but it is plainly one of ours.
    let lowered_is = |known: &str| {
        known.len() == prefix.len()
            && known
                .bytes()
                .zip(prefix.bytes())
                .all(|(k, p)| k == p.to_ascii_lowercase())
    };
    if prefix.bytes().any(|b| b.is_ascii_uppercase())
        && known_prefixes.iter().any(|k| lowered_is(k))
        && rest.len() == 72
        && rest.bytes().all(|b| b.is_ascii_hexdigit())
    {
        let at = prefix.find(|c: char| c.is_ascii_uppercase()).unwrap_or(0);
        return Err(Malformed::Character {
            prefix: prefix.to_ascii_lowercase(),
            bad: BadChar {
                position: at + 1,
                kind: "an uppercase letter (tokens are lowercase)",
            },
        });
    }
    if known_prefixes.contains(&prefix) {
        // The usual case first, byte by byte; the characters are read one by one only to
        // say what is wrong.
        if rest.len() == 72 && is_lower_hex(rest) {
            return check_digits_match(token);
        }
        let bad = rest.chars().enumerate().find_map(|(i, c)| {
            let kind = match c {
                '0'..='9' | 'a'..='f' => return None,
                'A'..='F' => "an uppercase letter (tokens are lowercase)",
                'g'..='z' | 'G'..='Z' => "a letter that is not a hex digit",
                c if c.is_whitespace() || c.is_control() => "a space or control character",
                c if c.is_ascii() => "a symbol, not a hex digit",
                _ => "not ASCII",
            };
            Some(BadChar {
                position: prefix.len() + 2 + i,
                kind,
            })
        });
        let len = rest.chars().count();
        return match (len, bad) {
            (72, Some(bad)) => Err(Malformed::Character {
                prefix: prefix.to_string(),
                bad,
            }),
            (72, None) => check_digits_match(token),
            (len, bad) => Err(Malformed::Length {
                prefix: prefix.to_string(),
                len,
                bad,
            }),
        };
    }
    if valid_prefix(prefix) && rest.len() == 72 && is_lower_hex(rest) {
        return check_digits_match(token);
    }
    Ok(())
}

/// Do the last 8 characters of `token` (ASCII, of tokenctl's form) match its check digits?
/// Compared on the stack: [`check_digits`] would allocate its answer.
fn check_digits_match(token: &str) -> Result<(), Malformed> {
    let split = token.len() - 8;
    let digest = Sha256::digest(&token.as_bytes()[..split]);
    let mut check = [0u8; 8];
    hex::encode_to_slice(&digest[..4], &mut check).expect("8 hex digits for 4 bytes");
    if check == token.as_bytes()[split..] {
        Ok(())
    } else {
        Err(Malformed::CheckDigits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_have_the_spec_form() {
        let t = generate("acme").unwrap();
        let s = t.expose();
        assert!(s.starts_with("acme_"));
        assert_eq!(s.len(), 5 + 72);
        assert_eq!(shape(s), Shape::Valid);
        assert_ne!(generate("acme").unwrap().expose(), s);
        assert_eq!(format!("{t:?}"), "(redacted)");
    }

    #[test]
    fn mistyped_tokens_are_malformed() {
        let t = generate("tk").unwrap();
        let s = t.expose();
        let mut typo = s.to_string();
        let last = typo.pop().unwrap();
        typo.push(if last == '0' { '1' } else { '0' });
        assert_eq!(shape(&typo), Shape::Malformed);
        assert_eq!(shape(&s[..s.len() - 3]), Shape::Malformed);
        assert_eq!(
            shape("this-is-an-imported-secret-of-40-chars!!"),
            Shape::Foreign
        );
    }

    #[test]
    fn tokens_with_a_known_prefix_are_checked_before_any_lookup() {
        let t = generate("acme").unwrap();
        let s = t.expose();
        let known = ["acme", "tk"];
        assert_eq!(check_form(s, &known), Ok(()));
        let at = |token: &str| match check_form(token, &known) {
            Err(Malformed::Character { bad, .. }) => (bad.position, bad.kind),
            other => panic!("{other:?}"),
        };
        // Character 6 is the first after "acme_".
        let upper = format!("acme_{}", s[5..].to_uppercase());
        let first_letter = s[5..].find(|c: char| c.is_ascii_lowercase()).unwrap();
        assert_eq!(
            at(&upper),
            (
                6 + first_letter,
                "an uppercase letter (tokens are lowercase)"
            )
        );
        // The whole token uppercased: character 1 already.
        assert_eq!(
            at(&s.to_uppercase()),
            (1, "an uppercase letter (tokens are lowercase)")
        );
        let mut g = s.to_string();
        g.replace_range(10..11, "g");
        assert_eq!(at(&g), (11, "a letter that is not a hex digit"));
        let mut u = s.to_string();
        u.replace_range(20..21, "é");
        assert_eq!(at(&u), (21, "not ASCII"));
        let short = &s[..s.len() - 1];
        assert_eq!(
            check_form(short, &known),
            Err(Malformed::Length {
                prefix: "acme".into(),
                len: 71,
                bad: None
            })
        );
        let long = format!("{s}.");
        let Err(Malformed::Length {
            len: 73,
            bad: Some(b),
            ..
        }) = check_form(&long, &known)
        else {
            panic!()
        };
        assert_eq!(b.position, 78);
        assert!(matches!(
            check_form("tk_", &known),
            Err(Malformed::Length { len: 0, .. })
        ));
        assert!(matches!(
            check_form("tk__x", &known),
            Err(Malformed::Length {
                len: 2,
                bad: Some(BadChar { position: 4, .. }),
                ..
            })
        ));
        let mut typo = s.to_string();
        let last = typo.pop().unwrap();
        typo.push(if last == '0' { '1' } else { '0' });
        assert_eq!(check_form(&typo, &known), Err(Malformed::CheckDigits));
        // Another prefix: only the scanners' full form is checked; the rest is looked up.
        assert_eq!(
            check_form(&typo.replacen("acme", "zz", 1), &["tk"]),
            Err(Malformed::CheckDigits)
        );
        assert_eq!(
            check_form(&short.replacen("acme", "zz", 1), &["tk"]),
            Ok(())
        );
        assert_eq!(
            check_form("imported_secret-of-at-least-32-chars", &known),
            Ok(())
        );
        assert_eq!(check_form("TK_abc", &known), Ok(()));
        // The message says where and what kind, never which character.
        assert_eq!(
            check_form(&g, &known).unwrap_err().to_string(),
            "malformed token: character 11 is a letter that is not a hex digit; \
             after 'acme_' come 72 lowercase hex digits (0-9, a-f)"
        );
    }

    #[test]
    fn hash_round_trip() {
        let h = TokenHash::of("tk_x");
        let text = h.to_string();
        assert!(text.starts_with("sha256:"));
        assert_eq!(TokenHash::parse(&text), Some(h));
        assert_eq!(TokenHash::parse(&text.to_uppercase()), None);
        assert_eq!(h.fingerprint(), &text[7..15]);
        let hex_part = &text[7..];
        for bad in [
            format!("sha256:{}", &hex_part[..63]),
            format!("sha256:{hex_part}0"),
            format!("sha256:{}g", &hex_part[..63]),
            format!("sha256:{}A{}", &hex_part[..10], &hex_part[11..]),
            format!("sha256:{}é", &hex_part[..62]),
            format!("sha1:{hex_part}"),
            hex_part.to_string(),
        ] {
            assert_eq!(TokenHash::parse(&bad), None, "{bad}");
        }
        let all = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        assert_eq!(TokenHash::parse(all).unwrap().to_string(), all);
    }

    #[test]
    fn ct_eq_is_equality() {
        let h = TokenHash::of("tk_x");
        assert!(h.ct_eq(&TokenHash::of("tk_x")));
        for byte in 0..32 {
            for bit in [0x01u8, 0x80] {
                let mut other = h;
                other.0[byte] ^= bit;
                assert!(!h.ct_eq(&other), "byte {byte}, bit {bit:#x}");
                assert!(!other.ct_eq(&h), "byte {byte}, bit {bit:#x}");
            }
        }
    }

    /// Every ASCII byte, at every place among other digits, is read exactly when it is a
    /// lowercase hex digit, and as its value.
    #[test]
    fn hash_parse_every_byte() {
        for fill in [b'0', b'9', b'a', b'f'] {
            let v = |b: u8| (b as char).to_digit(16).unwrap() as u8;
            for b in 0..=127u8 {
                for at in 0..64 {
                    let mut digits = vec![fill; 64];
                    digits[at] = b;
                    let text = format!("sha256:{}", String::from_utf8(digits).unwrap());
                    let want = matches!(b, b'0'..=b'9' | b'a'..=b'f').then(|| {
                        let mut out = [v(fill) * 17; 32];
                        out[at / 2] = if at % 2 == 0 {
                            (v(b) << 4) | v(fill)
                        } else {
                            (v(fill) << 4) | v(b)
                        };
                        TokenHash(out)
                    });
                    assert_eq!(TokenHash::parse(&text), want, "byte {b:#x} at {at}");
                }
            }
        }
        // Every hash reads back as written.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..1000 {
            let mut h = [0u8; 32];
            for byte in &mut h {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *byte = seed as u8;
            }
            let h = TokenHash(h);
            assert_eq!(TokenHash::parse(&h.to_string()), Some(h));
        }
    }
}
