//! The JSON shape of a key as `list -o json` and `show -o json` print it and the admin API
//! returns it (the OpenAPI document's `KeyDefinition`): one type for both front ends. Never
//! a hash or a secret.

use crate::model::ApiKey;
use crate::store::usage::Usage;
use crate::time::format_timestamp;
use jiff::Timestamp;
use serde::Serialize;

/// Keys expiring within this are marked "expiring" in lists.
pub(crate) const SOON_SECS: i64 = 7 * 86_400;

/// What `list` and `show` print for one key, and the admin API's key definition (its JSON
/// Schema is the OpenAPI document's `KeyDefinition`). Never a hash or a secret.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "KeyDefinition")]
pub(crate) struct KeyView {
    /// The key's name: 1 to 64 of A-Z a-z 0-9 - _ .
    pub name: String,
    /// The first 8 hex digits of the stored hash: tells secrets apart without revealing them.
    pub fingerprint: String,
    /// Free text saying what the key is for.
    pub description: Option<String>,
    /// Who the key belongs to, a team or a contact; null: none recorded.
    pub owner: Option<String>,
    /// false: the key is refused (401, reason disabled).
    pub enabled: bool,
    /// "active", "disabled", "expired" or "expiring" (within 7 days).
    #[schemars(extend("enum" = ["active", "disabled", "expired", "expiring"]))]
    pub status: &'static str,
    /// Scopes granted: "*" all, "dns:*" every action on dns, "dns:read" one.
    pub permissions: Vec<String>,
    /// When the key was created (RFC 3339, UTC).
    #[schemars(extend("format" = "date-time"))]
    pub created_at: Option<String>,
    /// When the key stops working (RFC 3339, UTC); null: never.
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: Option<String>,
    /// Whether expiresAt has passed.
    pub expired: bool,
    /// Address ranges the key may be used from; null: any.
    pub allowed_ips: Option<Vec<String>>,
    /// Request paths the key may be used on (those continuing it; "=/x": exactly /x); null: any.
    pub path_prefix: Option<String>,
    /// Resources the key may be used on; null: the whole tenant.
    pub resources: Option<Vec<String>>,
    /// Last recorded use (security.usage.yml), RFC 3339; null: never recorded.
    #[schemars(extend("format" = "date-time"))]
    pub last_used_at: Option<String>,
    /// The address of the last recorded use.
    pub last_used_from: Option<String>,
    /// Old secrets still accepted during a rotation.
    pub previous_secrets: Vec<PreviousView>,
    /// Other keys with one of this key's hashes (the first 10): that token is refused as
    /// ambiguous.
    pub shares_secret_with: Vec<String>,
}

/// An old secret still accepted until expiresAt.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "PreviousSecret")]
pub(crate) struct PreviousView {
    /// The first 8 hex digits of the old secret's hash.
    pub fingerprint: String,
    /// When the old secret stops working (RFC 3339, UTC).
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: String,
}

impl KeyView {
    pub(crate) fn new(key: &ApiKey, usage: Option<&Usage>, now: Timestamp) -> Self {
        let expired = key.is_expired(now);
        KeyView {
            name: key.name.clone(),
            fingerprint: key.fingerprint(),
            description: key.description.clone(),
            owner: key.owner.clone(),
            enabled: key.enabled,
            status: status(key, now),
            permissions: key.permissions.clone(),
            created_at: key.created_at.map(format_timestamp),
            expires_at: key.expires_at.map(format_timestamp),
            expired,
            allowed_ips: key
                .allowed_ips
                .as_ref()
                .map(|v| v.iter().map(|n| n.to_string()).collect()),
            path_prefix: key.path_prefix.clone(),
            resources: key.resources.clone(),
            last_used_at: usage.map(|u| format_timestamp(u.last_used_at)),
            last_used_from: usage.and_then(|u| u.last_used_from.clone()),
            previous_secrets: key
                .previous_hashes
                .iter()
                .filter(|p| p.expires_at > now)
                .map(|p| PreviousView {
                    fingerprint: p.hash.fingerprint(),
                    expires_at: format_timestamp(p.expires_at),
                })
                .collect(),
            shares_secret_with: Vec::new(),
        }
    }

    /// Sets [`KeyView::shares_secret_with`] from [`crate::verify::shared_secrets`].
    pub(crate) fn with_shared(
        mut self,
        shared: &std::collections::HashMap<&str, Vec<&str>>,
    ) -> Self {
        if let Some(others) = shared.get(self.name.as_str()) {
            self.shares_secret_with = others.iter().map(|s| s.to_string()).collect();
        }
        self
    }
}

/// [`KeyView::status`] of a key: "expired", "disabled", "expiring" (within [`SOON_SECS`])
/// or "active".
pub(crate) fn status(key: &ApiKey, now: Timestamp) -> &'static str {
    if key.is_expired(now) {
        "expired"
    } else if !key.enabled {
        "disabled"
    } else if key
        .expires_at
        .is_some_and(|t| t.as_second() - now.as_second() <= SOON_SECS)
    {
        "expiring"
    } else {
        "active"
    }
}

/// The warning `list` and `show` print for keys that share a secret, or `None`: `keys` are
/// the keys listed, each with those it shares a secret with. It names at most
/// [`crate::verify::MAX_NAMED`] keys.
pub(crate) fn shared_warning<'a, S: AsRef<str> + 'a>(
    keys: impl Iterator<Item = (&'a str, &'a [S])>,
) -> Option<String> {
    let mut shared = keys.filter(|(_, with)| !with.is_empty());
    let mut keys: Vec<String> = shared
        .by_ref()
        .take(crate::verify::MAX_NAMED)
        .map(|(name, with)| {
            let with: Vec<&str> = with.iter().map(AsRef::as_ref).collect();
            format!("'{name}' (with '{}')", with.join("', '"))
        })
        .collect();
    if keys.is_empty() {
        return None;
    }
    let more = shared.count();
    if more > 0 {
        keys.push(format!("{more} more"));
    }
    Some(format!(
        "warning: keys share a secret, so it is refused as ambiguous for all of them: {}; \
         rotate all but one of each group (without --grace)",
        keys.join(", ")
    ))
}

/// Writes `keys` (each with its usage and the keys it shares a secret with) as
/// `serde_json::to_writer_pretty` writes a `Vec<KeyView>` of them, the same bytes, without
/// building the views: `list -o json` of 100,000 keys spent more time and memory on the
/// views and serde's formatter than on reading the file. The output goes to `out` in 64 KiB
/// pieces. Test: `the_json_of_a_list_is_what_serde_writes`.
pub(crate) fn write_json_list<'a>(
    out: &mut dyn std::io::Write,
    keys: impl Iterator<Item = (&'a ApiKey, Option<&'a Usage>, &'a [&'a str])>,
    now: Timestamp,
) -> std::io::Result<()> {
    let mut w = Json {
        buf: String::with_capacity(72 * 1024),
    };
    w.buf.push('[');
    let mut first = true;
    for (key, usage, shared) in keys {
        w.buf.push_str(if first { "\n  {" } else { ",\n  {" });
        first = false;
        w.key_object(key, usage, shared, now);
        w.buf.push_str("\n  }");
        if w.buf.len() >= 64 * 1024 {
            out.write_all(w.buf.as_bytes())?;
            w.buf.clear();
        }
    }
    if !first {
        w.buf.push('\n');
    }
    w.buf.push(']');
    out.write_all(w.buf.as_bytes())
}

/// serde_json's pretty format, written by hand for [`write_json_list`].
struct Json {
    buf: String,
}

impl Json {
    /// The fields of a [`KeyView`], each on its own line at the depth of a list's element.
    fn key_object(&mut self, key: &ApiKey, usage: Option<&Usage>, shared: &[&str], now: Timestamp) {
        // Each field as a literal: `,`, the line break and indent, the name and `: `.
        self.buf.push_str("\n    \"name\": ");
        self.string(&key.name);
        self.buf.push_str(",\n    \"fingerprint\": ");
        self.buf.push('"');
        let mut hex = [0u8; 8];
        self.buf.push_str(key.hash.fingerprint_into(&mut hex));
        self.buf.push('"');
        self.buf.push_str(",\n    \"description\": ");
        self.option(key.description.as_deref());
        self.buf.push_str(",\n    \"owner\": ");
        self.option(key.owner.as_deref());
        self.buf.push_str(",\n    \"enabled\": ");
        self.boolean(key.enabled);
        self.buf.push_str(",\n    \"status\": ");
        self.string(status(key, now));
        self.buf.push_str(",\n    \"permissions\": ");
        self.strings(&key.permissions);
        self.buf.push_str(",\n    \"createdAt\": ");
        self.time(key.created_at);
        self.buf.push_str(",\n    \"expiresAt\": ");
        self.time(key.expires_at);
        self.buf.push_str(",\n    \"expired\": ");
        self.boolean(key.is_expired(now));
        self.buf.push_str(",\n    \"allowedIps\": ");
        match &key.allowed_ips {
            None => self.buf.push_str("null"),
            Some(ips) => {
                let ips: Vec<String> = ips.iter().map(|n| n.to_string()).collect();
                self.strings(&ips)
            }
        }
        self.buf.push_str(",\n    \"pathPrefix\": ");
        self.option(key.path_prefix.as_deref());
        self.buf.push_str(",\n    \"resources\": ");
        match &key.resources {
            None => self.buf.push_str("null"),
            Some(r) => self.strings(r),
        }
        self.buf.push_str(",\n    \"lastUsedAt\": ");
        self.time(usage.map(|u| u.last_used_at));
        self.buf.push_str(",\n    \"lastUsedFrom\": ");
        self.option(usage.and_then(|u| u.last_used_from.as_deref()));
        self.buf.push_str(",\n    \"previousSecrets\": ");
        let mut previous = key.previous_hashes.iter().filter(|p| p.expires_at > now);
        match previous.next() {
            None => self.buf.push_str("[]"),
            Some(p) => {
                self.buf.push('[');
                for (i, p) in std::iter::once(p).chain(previous).enumerate() {
                    self.buf
                        .push_str(if i == 0 { "\n      {" } else { ",\n      {" });
                    self.buf.push_str("\n        \"fingerprint\": ");
                    self.buf.push('"');
                    let mut hex = [0u8; 8];
                    self.buf.push_str(p.hash.fingerprint_into(&mut hex));
                    self.buf.push('"');
                    self.buf.push_str(",\n        \"expiresAt\": ");
                    self.time(Some(p.expires_at));
                    self.buf.push_str("\n      }");
                }
                self.buf.push_str("\n    ]");
            }
        }
        self.buf.push_str(",\n    \"sharesSecretWith\": ");
        self.strings(shared);
    }

    fn boolean(&mut self, b: bool) {
        self.buf.push_str(if b { "true" } else { "false" });
    }

    fn option(&mut self, s: Option<&str>) {
        match s {
            None => self.buf.push_str("null"),
            Some(s) => self.string(s),
        }
    }

    fn time(&mut self, t: Option<Timestamp>) {
        match t {
            None => self.buf.push_str("null"),
            Some(t) => {
                self.buf.push('"');
                crate::time::push_timestamp(&mut self.buf, t);
                self.buf.push('"');
            }
        }
    }

    /// A list of strings as a field's value (the field at depth 2).
    fn strings<S: AsRef<str>>(&mut self, items: &[S]) {
        if items.is_empty() {
            self.buf.push_str("[]");
            return;
        }
        self.buf.push('[');
        for (i, s) in items.iter().enumerate() {
            self.buf
                .push_str(if i == 0 { "\n      " } else { ",\n      " });
            self.string(s.as_ref());
        }
        self.buf.push_str("\n    ]");
    }

    /// A JSON string, escaped as serde_json escapes it: `"` and `\\`, the short forms of
    /// backspace, form feed, line feed, carriage return and tab, and `\u00XX` for the other
    /// control characters below 0x20; everything else as it is.
    fn string(&mut self, s: &str) {
        self.buf.push('"');
        if plain_json(s.as_bytes()) {
            self.buf.push_str(s);
            self.buf.push('"');
            return;
        }
        let mut start = 0;
        for (i, b) in s.bytes().enumerate() {
            let escape = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                0x08 => "\\b",
                0x0c => "\\f",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0..0x20 => "",
                _ => continue,
            };
            self.buf.push_str(&s[start..i]);
            if escape.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                self.buf.push_str("\\u00");
                self.buf.push(char::from(HEX[usize::from(b >> 4)]));
                self.buf.push(char::from(HEX[usize::from(b & 0xf)]));
            } else {
                self.buf.push_str(escape);
            }
            start = i + 1;
        }
        self.buf.push_str(&s[start..]);
        self.buf.push('"');
    }
}

/// Whether a JSON string needs no escape: no byte below 0x20, no `"`, no `\\`. Eight bytes
/// at a time (the "has a byte less than n" and "has a zero byte" tricks of Bit Twiddling
/// Hacks, exact as a yes or no), then one at a time.
fn plain_json(s: &[u8]) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH != 0;
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        let x = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        if below(x, 0x20)
            || below(x ^ (ONES * u64::from(b'"')), 1)
            || below(x ^ (ONES * u64::from(b'\\')), 1)
        {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_json_strings_are_told_apart_at_every_byte() {
        let base: Vec<u8> = b"svc-000123 deploy job in eu-west!".to_vec();
        assert!(super::plain_json(&base));
        for at in 0..base.len() {
            for b in 0u8..=255 {
                let mut s = base.clone();
                s[at] = b;
                let want = b >= 0x20 && b != b'"' && b != b'\\';
                assert_eq!(super::plain_json(&s), want, "{b:#x} at {at}");
            }
        }
    }

    use super::*;
    use crate::model::PreviousHash;
    use crate::token::TokenHash;

    fn at(t: &str) -> Timestamp {
        t.parse().unwrap()
    }

    #[test]
    fn the_json_of_a_list_is_what_serde_writes() {
        let now = at("2026-11-22T10:00:00Z");
        let mut odd = ApiKey::new(
            "odd.name_1".into(),
            TokenHash::of("odd-secret-of-at-least-32-characters"),
        );
        let all: String = (0u8..0x80).map(char::from).collect();
        odd.description = Some(format!("{all} \u{e9}\u{202e}\u{1f600} \\\"end"));
        odd.owner = Some("team \"dns\" <dns@example.com> \u{e9}".into());
        odd.enabled = false;
        odd.permissions = vec!["*".into(), "dns:\"q\"".into()];
        odd.created_at = Some(at("1970-01-01T00:00:00Z"));
        odd.expires_at = Some(at("2026-11-25T10:00:00Z"));
        odd.allowed_ips = Some(vec![
            "10.0.0.0/8".parse().unwrap(),
            "::ffff:10.0.0.0/104".parse().unwrap(),
        ]);
        odd.path_prefix = Some("=/v1/\tx".into());
        odd.resources = Some(vec![]);
        odd.previous_hashes = vec![
            PreviousHash {
                hash: TokenHash::of("old-secret-of-at-least-32-characters"),
                expires_at: at("2026-11-23T10:00:00Z"),
            },
            PreviousHash {
                hash: TokenHash::of("gone-secret-of-at-least-32-characters"),
                expires_at: at("2026-11-21T10:00:00Z"),
            },
            PreviousHash {
                hash: TokenHash::of("third-secret-of-at-least-32-characters"),
                expires_at: at("9999-12-30T00:00:00Z"),
            },
        ];
        let mut expiring = ApiKey::new(
            "soon".into(),
            TokenHash::of("soon-secret-of-at-least-32-characters"),
        );
        expiring.expires_at = Some(at("2026-11-23T10:00:00Z"));
        expiring.resources = Some(vec!["zone-a".into(), "zone-b".into()]);
        let mut expired = ApiKey::new(
            "gone".into(),
            TokenHash::of("gone-secret-of-at-least-32-characters"),
        );
        expired.expires_at = Some(at("2026-11-22T10:00:00Z"));
        expired.previous_hashes = vec![PreviousHash {
            hash: TokenHash::of("past-secret-of-at-least-32-characters"),
            expires_at: at("2026-11-21T10:00:00Z"),
        }];
        let plain = ApiKey::new(
            "plain".into(),
            TokenHash::of("plain-secret-of-at-least-32-characters"),
        );
        let used = Usage {
            last_used_at: at("2026-11-20T08:00:00Z"),
            last_used_from: Some("10.1.2.3".into()),
        };
        let quiet = Usage {
            last_used_at: at("2026-11-21T08:00:00Z"),
            last_used_from: None,
        };
        let keys: Vec<(&ApiKey, Option<&Usage>, Vec<&str>)> = vec![
            (&odd, Some(&used), vec!["soon", "a\"b"]),
            (&expiring, Some(&quiet), vec![]),
            (&expired, None, vec!["odd.name_1"]),
            (&plain, None, vec![]),
        ];
        for n in 0..=keys.len() {
            let views: Vec<KeyView> = keys[..n]
                .iter()
                .map(|(k, u, shared)| {
                    let mut v = KeyView::new(k, *u, now);
                    v.shares_secret_with = shared.iter().map(|s| s.to_string()).collect();
                    v
                })
                .collect();
            let mut ours = Vec::new();
            write_json_list(
                &mut ours,
                keys[..n].iter().map(|(k, u, s)| (*k, *u, s.as_slice())),
                now,
            )
            .unwrap();
            let serde = serde_json::to_string_pretty(&views).unwrap();
            assert_eq!(String::from_utf8(ours).unwrap(), serde, "{n} keys");
        }
    }
}
