//! Changes to keys under the write lock, the same for every front end: whether a new key
//! may be added (its name free, its scopes in the catalog, its secret unique), the edit that
//! changes or removes keys, and the rule on a past expiry.

use crate::document::{Document, Edit};
use crate::error::{Error, Result};
use crate::model::{ApiKey, SecurityFile};
use crate::token::TokenHash;
use jiff::Timestamp;

/// May a key `name` with `permissions` be added to `doc`? Not when the name is taken
/// ([`Error::KeyExists`]) or the file's catalog lacks a scope ([`Error::Usage`]).
pub(crate) fn check_new(doc: &Document, name: &str, permissions: &[String]) -> Result<()> {
    if doc.model.get(name).is_some() {
        return Err(Error::KeyExists(name.to_string()));
    }
    check_catalog(doc, permissions)
}

/// Refuses scopes the file's `permissions:` catalog does not list.
pub(crate) fn check_catalog(doc: &Document, scopes: &[String]) -> Result<()> {
    match uncatalogued(&doc.model, scopes, &[]) {
        Some((_, msg)) => Err(Error::Usage(msg)),
        None => Ok(()),
    }
}

/// The first of `scopes` that the file's catalog does not list, by its index, with the
/// message saying so; a scope in `has` (one the key already has) is never refused, listed
/// or not. Every writer's catalog rule: the CLI and the API through [`check_catalog`] and
/// [`change`], `apply` at the scope's line and column.
pub(crate) fn uncatalogued(
    model: &SecurityFile,
    scopes: &[String],
    has: &[String],
) -> Option<(usize, String)> {
    scopes
        .iter()
        .enumerate()
        .filter(|(_, s)| !has.contains(s))
        .find_map(|(i, s)| model.unknown_scope(s).map(|m| (i, m)))
}

/// Refuses a secret that another key already has, as its hash or a previous one: a secret
/// must be unique, or it would be refused as ambiguous.
pub(crate) fn check_unique(doc: &Document, hash: &TokenHash) -> Result<()> {
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
pub(crate) struct Change {
    pub edit: Edit,
    /// The key as it will read.
    pub key: ApiKey,
}

/// The change that makes `old` read as `new` (the same name and hash): permissions it adds
/// are checked against the catalog (those it already had stay, listed or not), and previous
/// secrets that have expired are dropped, as on every write of a key. `None` when `new`
/// asks for nothing that `old` is not already.
pub(crate) fn change(
    doc: &Document,
    old: &ApiKey,
    mut new: ApiKey,
    now: Timestamp,
) -> Result<Option<Change>> {
    debug_assert!(new.name == old.name && new.hash == old.hash);
    if let Some((_, msg)) = uncatalogued(&doc.model, &new.permissions, &old.permissions) {
        return Err(Error::Usage(msg));
    }
    if new == *old {
        return Ok(None);
    }
    new.previous_hashes.retain(|p| p.expires_at > now);
    Ok(Some(Change {
        edit: Edit::new().put(new.clone()),
        key: new,
    }))
}

/// The edit that removes the keys named, each of which must be there.
pub(crate) fn removal(doc: &Document, names: &[String]) -> Result<Edit> {
    names.iter().try_fold(Edit::new(), |edit, name| {
        if doc.model.get(name).is_none() {
            return Err(no_such_key(doc, name));
        }
        Ok(edit.remove(name.clone()))
    })
}

/// The error for a key that is not there, with the nearest name.
pub(crate) fn no_such_key(doc: &Document, name: &str) -> Error {
    Error::NoSuchKey {
        name: name.to_string(),
        suggestion: crate::names::nearest(name, doc.model.names()),
    }
}

/// The one rule on a past expiry, for every front end (`create` and `update --expires`, the
/// form, the admin API, `apply`): an expiry being set or changed must be in the future, or
/// the key would be expired as soon as it is written; an expiry left as it was (`old`, the
/// key's expiry before, `None` for a new key) is never refused, even once it has passed.
/// The message says why, for the front end to put after the value's name.
pub(crate) fn check_expiry(
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
