//! Changes to keys that every front end makes the same way: the command line (`create`,
//! `update`, `delete`) and the admin API (`tokenctl serve`). Each takes the document as read
//! under the write lock and gives the edit to make, or the reason it may not be made, so that
//! a key made or changed over HTTP reads byte for byte as one made or changed by the CLI.

use crate::document::{Document, Edit};
use crate::error::{Error, Result};
use crate::model::ApiKey;
use crate::token::TokenHash;
use ipnet::IpNet;
use jiff::Timestamp;

/// What a new key is to be, already checked: everything but its name and its secret.
#[derive(Debug, Clone)]
pub struct Definition {
    /// Free text; `None` (or empty) for none.
    pub description: Option<String>,
    pub enabled: bool,
    /// Scopes, each given once (see [`dedup`]).
    pub permissions: Vec<String>,
    pub expires_at: Option<Timestamp>,
    pub allowed_ips: Option<Vec<IpNet>>,
    pub path_prefix: Option<String>,
    pub resources: Option<Vec<String>>,
}

impl Definition {
    /// The key of this definition named `name`, with the hash of its secret, created `now`.
    pub fn key(&self, name: &str, hash: TokenHash, now: Timestamp) -> ApiKey {
        ApiKey {
            name: name.to_string(),
            description: self.description.clone().filter(|d| !d.is_empty()),
            enabled: self.enabled,
            permissions: self.permissions.clone(),
            hash,
            created_at: Some(now),
            expires_at: self.expires_at,
            allowed_ips: self.allowed_ips.clone(),
            path_prefix: self.path_prefix.clone(),
            resources: self.resources.clone().filter(|r| !r.is_empty()),
            previous_hashes: Vec::new(),
        }
    }
}

/// May a key `name` with `permissions` be added to `doc`? Not when the name is taken
/// ([`Error::KeyExists`]) or the file's catalog lacks a scope ([`Error::Usage`]).
pub fn check_new(doc: &Document, name: &str, permissions: &[String]) -> Result<()> {
    if doc.model.get(name).is_some() {
        return Err(Error::KeyExists(name.to_string()));
    }
    check_catalog(doc, permissions)
}

/// Refuses scopes the file's `permissions:` catalog does not list.
pub fn check_catalog(doc: &Document, scopes: &[String]) -> Result<()> {
    for s in scopes {
        if let Some(msg) = doc.model.unknown_scope(s) {
            return Err(Error::Usage(msg));
        }
    }
    Ok(())
}

/// Refuses a secret that another key already has, as its hash or a previous one: a secret
/// must be unique, or it would be refused as ambiguous.
pub fn check_unique(doc: &Document, hash: &TokenHash) -> Result<()> {
    if let Some(other) = doc
        .model
        .keys
        .iter()
        .find(|k| k.hash == *hash || k.previous_hashes.iter().any(|p| p.hash == *hash))
    {
        return Err(Error::Conflict(format!(
            "that secret already belongs to key '{}'; a secret must be unique",
            other.name
        )));
    }
    Ok(())
}

/// A change to one existing key, ready to write.
#[derive(Debug)]
pub struct Change {
    pub edit: Edit,
    /// The key as it will read.
    pub key: ApiKey,
    /// The fields that change, in the file's names (`enabled`, `permissions`, ...).
    #[allow(dead_code)] // no reader since the module became crate-private
    pub fields: Vec<String>,
}

/// The change that makes `old` read as `new` (the same name and hash): permissions it adds
/// are checked against the catalog (those it already had stay, listed or not), and previous
/// secrets that have expired are dropped, as on every write of a key. `None` when `new`
/// asks for nothing that `old` is not already.
pub fn change(
    doc: &Document,
    old: &ApiKey,
    mut new: ApiKey,
    now: Timestamp,
) -> Result<Option<Change>> {
    debug_assert!(new.name == old.name && new.hash == old.hash);
    let added: Vec<String> = new
        .permissions
        .iter()
        .filter(|p| !old.permissions.contains(p))
        .cloned()
        .collect();
    check_catalog(doc, &added)?;
    if new == *old {
        return Ok(None);
    }
    new.previous_hashes.retain(|p| p.expires_at > now);
    let fields = crate::document::edit::field_changes(old, &new)
        .iter()
        .map(|(n, _)| n.to_string())
        .filter(|n| n != "previousHashes")
        .collect();
    Ok(Some(Change {
        edit: Edit::new().put(new.clone()),
        key: new,
        fields,
    }))
}

/// The edit that removes the keys named, each of which must be there.
pub fn removal(doc: &Document, names: &[String]) -> Result<Edit> {
    names.iter().try_fold(Edit::new(), |edit, name| {
        if doc.model.get(name).is_none() {
            return Err(no_such_key(doc, name));
        }
        Ok(edit.remove(name.clone()))
    })
}

/// The error for a key that is not there, with the nearest name.
pub fn no_such_key(doc: &Document, name: &str) -> Error {
    Error::NoSuchKey {
        name: name.to_string(),
        suggestion: crate::names::nearest(name, doc.model.names()),
    }
}

/// Parses `--allow-ip` values (as `create` and `update` take them): CIDRs or bare addresses.
pub fn parse_allow_ips(values: &[String]) -> Result<Vec<IpNet>> {
    values
        .iter()
        .map(|s| crate::model::parse_cidr(s).map_err(Error::Usage))
        .collect()
}

/// Removes repeated scopes, keeping the first of each.
pub fn dedup(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|s| seen.insert(s.clone()));
}

/// The one rule on a past expiry, for every front end (`create` and `update --expires`, the
/// form, the admin API, `apply`): an expiry being set or changed must be in the future, or
/// the key would be expired as soon as it is written; an expiry left as it was (`old`, the
/// key's expiry before, `None` for a new key) is never refused, even once it has passed.
/// The message says why, for the front end to put after the value's name.
pub fn check_expiry(
    old: Option<Timestamp>,
    new: Option<Timestamp>,
    now: Timestamp,
) -> std::result::Result<(), String> {
    match new {
        Some(t) if t <= now && new != old => Err(format!(
            "{} is not in the future; the key would be expired at once (give a later time, \
             a duration such as 30d, or `never`; `tokenctl update NAME --disable` stops a key now)",
            crate::time::format_timestamp(t)
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod expiry_tests {
    use super::check_expiry;
    use jiff::Timestamp;

    #[test]
    fn a_past_expiry_is_refused_only_when_it_is_set_or_changed() {
        let now: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let past: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let earlier: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
        let future: Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
        assert!(check_expiry(None, Some(past), now).is_err());
        assert!(
            check_expiry(None, Some(now), now).is_err(),
            "now is not the future"
        );
        assert!(check_expiry(Some(future), Some(past), now).is_err());
        assert!(check_expiry(Some(earlier), Some(past), now).is_err());
        assert!(
            check_expiry(Some(past), Some(past), now).is_ok(),
            "unchanged"
        );
        assert!(check_expiry(Some(past), None, now).is_ok(), "never");
        assert!(check_expiry(Some(past), Some(future), now).is_ok());
        assert!(check_expiry(None, None, now).is_ok());
        let msg = check_expiry(None, Some(past), now).unwrap_err();
        assert!(
            msg.starts_with("2026-01-01T00:00:00Z is not in the future"),
            "{msg}"
        );
    }
}
