//! The typed contents of security.yml (docs/FORMAT.md, "The file").

mod field;
mod policy;

pub use crate::error::{PolicyRefusal, PolicyViolation};
pub use field::{Field, UnknownField};
pub use policy::{Enforcement, Length, Policy};

use crate::token::TokenHash;
use ipnet::IpNet;
use jiff::Timestamp;
use std::net::IpAddr;

/// The highest file version this build understands.
pub const VERSION: u64 = 1;
/// The token prefix when the file names none.
pub const DEFAULT_PREFIX: &str = "tk";

/// The whole file, as typed values. Layout (comments, order, style) lives in the store.
#[derive(Debug, Clone, Default)]
pub struct SecurityFile {
    pub version: Option<u64>,
    pub token_prefix: Option<String>,
    /// The `permissions:` catalog; when present, unknown scopes are refused.
    pub catalog: Option<Vec<String>>,
    /// The `policy:` section (docs/FORMAT.md, "Policy").
    pub policy: Option<Policy>,
    /// Keys in file order.
    pub keys: Vec<ApiKey>,
    by_name: NameIndex,
}

/// Where each name of `keys` is: a table of indices into `keys`, hashed on the names they
/// hold (borrowed from `keys`: 100,000 names are not copied). Built with the file; `keys`
/// is not changed after that.
#[derive(Clone, Default)]
struct NameIndex(hashbrown::HashTable<u32>);

impl std::fmt::Debug for NameIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NameIndex({} names)", self.0.len())
    }
}

fn name_hash(name: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(name)
}

impl NameIndex {
    /// The index of `keys`; of two keys of one name, the later is found (as a map built
    /// in order would keep it).
    fn new(keys: &[ApiKey]) -> Self {
        let mut table = hashbrown::HashTable::with_capacity(keys.len());
        let at = |i: &u32| name_hash(&keys[*i as usize].name);
        for (i, key) in keys.iter().enumerate() {
            let i = u32::try_from(i).expect("fewer than 2^32 keys");
            match table.entry(
                name_hash(&key.name),
                |j: &u32| keys[*j as usize].name == key.name,
                at,
            ) {
                hashbrown::hash_table::Entry::Occupied(mut o) => *o.get_mut() = i,
                hashbrown::hash_table::Entry::Vacant(v) => {
                    v.insert(i);
                }
            }
        }
        NameIndex(table)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, keys: &[ApiKey], name: &str) -> Option<usize> {
        self.0
            .find(name_hash(name), |&i| {
                keys.get(i as usize).is_some_and(|k| k.name == name)
            })
            .map(|&i| i as usize)
    }
}

/// One entry of `apiKeys`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub name: String,
    pub description: Option<String>,
    /// Who the key belongs to (a team or a contact): 1 to 128 printable characters.
    pub owner: Option<String>,
    pub enabled: bool,
    pub permissions: Vec<String>,
    pub hash: TokenHash,
    pub created_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub allowed_ips: Option<Vec<IpNet>>,
    pub path_prefix: Option<String>,
    pub resources: Option<Vec<String>>,
    pub previous_hashes: Vec<PreviousHash>,
}

/// An old secret still accepted until `expires_at` (during a rotation).
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousHash {
    pub hash: TokenHash,
    pub expires_at: Timestamp,
}

impl SecurityFile {
    pub(crate) fn new(
        version: Option<u64>,
        token_prefix: Option<String>,
        catalog: Option<Vec<String>>,
        keys: Vec<ApiKey>,
    ) -> Self {
        let by_name = NameIndex::new(&keys);
        SecurityFile {
            version,
            token_prefix,
            catalog,
            policy: None,
            keys,
            by_name,
        }
    }

    /// No two keys share a name (the name index holds one entry a key).
    pub(crate) fn names_unique(&self) -> bool {
        self.by_name.len() == self.keys.len()
    }

    /// The token prefix new secrets get.
    pub fn prefix(&self) -> &str {
        self.token_prefix.as_deref().unwrap_or(DEFAULT_PREFIX)
    }

    /// Where the key of that name is in `keys`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(&self.keys, name)
    }

    /// The key of that name.
    pub fn get(&self, name: &str) -> Option<&ApiKey> {
        self.index_of(name).map(|i| &self.keys[i])
    }

    /// Key names, in file order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.name.as_str())
    }

    /// The catalog scope nearest to an unknown one, for "did you mean".
    pub fn unknown_scope(&self, scope: &str) -> Option<String> {
        let catalog = self.catalog.as_ref()?;
        if scope_in_catalog(scope, catalog) {
            return None;
        }
        let hint = crate::names::nearest(scope, catalog.iter().map(String::as_str))
            .map(|s| format!("; did you mean '{s}'?"))
            .unwrap_or_default();
        Some(format!(
            "unknown permission '{scope}': the file's permissions catalog does not list it{hint}"
        ))
    }
}

/// Is `scope` allowed by the catalog? `*` and `resource:*` are allowed when the catalog
/// lists at least one scope they cover.
pub fn scope_in_catalog(scope: &str, catalog: &[String]) -> bool {
    if catalog.iter().any(|c| c == scope) {
        return true;
    }
    if scope == "*" {
        return true;
    }
    if let Some(resource) = scope.strip_suffix(":*") {
        return catalog
            .iter()
            .any(|c| c.split_once(':').is_some_and(|(r, _)| r == resource));
    }
    false
}

impl ApiKey {
    /// A key with only a name and a hash; every other field at its default (enabled, no
    /// permissions, no restriction, never expires).
    pub fn new(name: String, hash: TokenHash) -> Self {
        ApiKey {
            name,
            description: None,
            owner: None,
            enabled: true,
            permissions: Vec::new(),
            hash,
            created_at: None,
            expires_at: None,
            allowed_ips: None,
            path_prefix: None,
            resources: None,
            previous_hashes: Vec::new(),
        }
    }

    /// The first 8 hex digits of the stored hash.
    pub fn fingerprint(&self) -> String {
        self.hash.fingerprint()
    }

    /// Has `expiresAt` passed?
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }
}

/// Parses an `allowedIps` entry: a CIDR, or a bare address meaning just that address.
pub fn parse_cidr(text: &str) -> Result<IpNet, String> {
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(net);
    }
    if let Ok(addr) = text.parse::<IpAddr>() {
        return Ok(IpNet::from(addr));
    }
    Err(format!(
        "invalid address range {text:?}: use a CIDR such as 203.0.113.0/24 or 2001:db8::/32"
    ))
}

/// What a `pathPrefix` must look like, for messages.
pub const PATH_PREFIX_RULE: &str = "must start with / (or =/ for an exact path)";

/// Is a `pathPrefix` well formed: `/x` (paths starting with it) or `=/x` (exactly `/x`)?
pub fn valid_path_prefix(p: &str) -> bool {
    p.trim_start_matches('=').starts_with('/')
}

/// What an `owner` must be, for messages.
pub const OWNER_RULE: &str = "1 to 128 printable characters on one line (a team or a contact)";

/// The longest `owner`, in characters.
pub const OWNER_MAX: usize = 128;

/// Is an `owner` well formed: 1 to [`OWNER_MAX`] characters (not bytes), none of them a
/// control character (C0, DEL, C1) or a line or paragraph separator? The problem, in words
/// that do not name the field.
pub fn owner_problem(owner: &str) -> Option<String> {
    if owner.is_empty() {
        return Some(format!("must be {OWNER_RULE}, not empty"));
    }
    if let Some(c) = owner
        .chars()
        .find(|&c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        let what = if matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}') {
            "a line break"
        } else {
            "a control character"
        };
        return Some(format!(
            "must be {OWNER_RULE}, but it holds {what} (U+{:04X})",
            c as u32
        ));
    }
    let n = owner.chars().count();
    (n > OWNER_MAX).then(|| format!("must be {OWNER_RULE}, not {n} characters"))
}

/// Is a permission scope well formed? `*`, `name`, `resource:action`, `resource:*`.
pub fn scope_problem(scope: &str) -> Option<String> {
    // By table: every load checks each permission of each key.
    static SCOPE_BYTE: [bool; 256] = crate::names::ascii_alphanumeric_and(b":*-_./");
    let ok =
        !scope.is_empty() && scope.len() <= 128 && scope.bytes().all(|b| SCOPE_BYTE[b as usize]);
    (!ok).then(|| format!("invalid permission {scope:?}: use scopes like dns:read, dns:* or *"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_one_line_of_printable_characters() {
        assert_eq!(owner_problem("team-dns"), None);
        assert_eq!(owner_problem("Équipe DNS <dns@example.com>"), None);
        assert_eq!(owner_problem(&"é".repeat(128)), None);
        assert!(
            owner_problem(&"é".repeat(129))
                .unwrap()
                .ends_with("not 129 characters")
        );
        assert!(owner_problem("").unwrap().ends_with("not empty"));
        for bad in ["a\nb", "a\rb", "a\u{85}b", "a\u{2028}b"] {
            assert!(
                owner_problem(bad).unwrap().contains("a line break"),
                "{bad:?}"
            );
        }
        for bad in ["a\tb", "a\u{7}b", "a\u{7f}b", "a\u{9b}b"] {
            assert!(
                owner_problem(bad).unwrap().contains("a control character"),
                "{bad:?}"
            );
        }
    }

    fn key(name: &str, byte: u8) -> ApiKey {
        ApiKey::new(name.into(), TokenHash([byte; 32]))
    }

    #[test]
    fn the_name_index_finds_every_key_and_the_later_of_two() {
        let keys: Vec<ApiKey> = (0..1000).map(|i| key(&format!("k-{i}"), 0)).collect();
        let file = SecurityFile::new(None, None, None, keys);
        for i in 0..1000 {
            assert_eq!(file.index_of(&format!("k-{i}")), Some(i));
        }
        assert_eq!(file.index_of("k-1000"), None);
        assert_eq!(file.get(""), None);
        let twice = SecurityFile::new(
            None,
            None,
            None,
            vec![key("a", 1), key("b", 2), key("a", 3)],
        );
        assert_eq!(twice.index_of("a"), Some(2));
        assert_eq!(twice.get("a").map(|k| k.hash.0[0]), Some(3));
        assert_eq!(twice.index_of("b"), Some(1));
        assert_eq!(SecurityFile::default().index_of("a"), None);
    }
}
