//! What a write is to do, said of the model ([`Edit`]), and the field-by-field difference of
//! two definitions of a key ([`field_changes`], and its inverse [`set_field`]). The planner
//! ([`super::plan`]) makes an edit into the new text, a [`Planned`], which the prover checks.

use super::render::Value;
use crate::error::{Error, Result};
use crate::model::{self, ApiKey, Field, SecurityFile};
use rustc_hash::FxHashMap;

/// What a write is to do, said of the model: keys to replace (each with its whole new
/// definition; name and position stay), keys to remove, keys to add after the last one.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub(crate) put: Vec<ApiKey>,
    pub(crate) remove: Vec<String>,
    pub(crate) add: Vec<ApiKey>,
    /// Rewrite what lies outside portable security.yml and can be rewritten losslessly
    /// (`check --fix`); changes no key.
    pub(crate) portable: bool,
}

impl Edit {
    pub fn new() -> Self {
        Edit::default()
    }

    /// Replace the key of `key.name` with `key`.
    pub fn put(mut self, key: ApiKey) -> Self {
        self.put.push(normalized(key));
        self
    }

    /// Remove the key `name`.
    pub fn remove(mut self, name: impl Into<String>) -> Self {
        self.remove.push(name.into());
        self
    }

    /// Add `key` after the last key.
    pub fn append(mut self, key: ApiKey) -> Self {
        self.add.push(normalized(key));
        self
    }

    /// Rewrite the file into portable security.yml where that is lossless (`check --fix`):
    /// quotes for plain scalars that need them, uppercase `T`/`Z`, no `!!str`, aliases of
    /// tokenctl's data expanded, `apiKeys: {}` for a null or missing apiKeys. On its own.
    pub fn portable() -> Self {
        Edit {
            portable: true,
            ..Edit::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.put.is_empty() && self.remove.is_empty() && self.add.is_empty() && !self.portable
    }

    /// The keys this edit adds, in order.
    pub fn added(&self) -> &[ApiKey] {
        &self.add
    }
}

/// Times as the file holds them: whole seconds.
fn normalized(mut key: ApiKey) -> ApiKey {
    let second = crate::time::whole_second;
    key.created_at = key.created_at.map(second);
    key.expires_at = key.expires_at.map(second);
    for p in &mut key.previous_hashes {
        p.expires_at = second(p.expires_at);
    }
    key
}

/// Fields of one key to set (`Some`) or remove (`None`).
pub(super) type FieldChanges = Vec<(Field, Option<Value>)>;

/// The field changes that turn `old` into `new`, in the order fields are written: `None`
/// removes the field.
pub(crate) fn field_changes(old: &ApiKey, new: &ApiKey) -> Vec<(Field, Option<Value>)> {
    let mut out = Vec::new();
    if old.description != new.description {
        out.push((Field::Description, new.description.clone().map(Value::Str)));
    }
    if old.owner != new.owner {
        out.push((Field::Owner, new.owner.clone().map(Value::Str)));
    }
    if old.enabled != new.enabled {
        out.push((Field::Enabled, Some(Value::Bool(new.enabled))));
    }
    if old.permissions != new.permissions {
        out.push((
            Field::Permissions,
            Some(Value::List(new.permissions.clone())),
        ));
    }
    if old.hash != new.hash {
        out.push((Field::Hash, Some(Value::Str(new.hash.to_string()))));
    }
    if old.created_at != new.created_at {
        out.push((Field::CreatedAt, new.created_at.map(Value::Time)));
    }
    if old.expires_at != new.expires_at {
        out.push((Field::ExpiresAt, new.expires_at.map(Value::Time)));
    }
    if old.allowed_ips != new.allowed_ips {
        out.push((
            Field::AllowedIps,
            new.allowed_ips
                .as_ref()
                .map(|v| Value::List(v.iter().map(|n| n.to_string()).collect())),
        ));
    }
    if old.path_prefix != new.path_prefix {
        out.push((Field::PathPrefix, new.path_prefix.clone().map(Value::Str)));
    }
    if old.resources != new.resources {
        out.push((Field::Resources, new.resources.clone().map(Value::List)));
    }
    if old.previous_hashes != new.previous_hashes {
        out.push((
            Field::PreviousHashes,
            (!new.previous_hashes.is_empty()).then(|| Value::Previous(new.previous_hashes.clone())),
        ));
    }
    out
}

/// Sets (or with `None` removes) one of tokenctl's fields of `key`, from the value a plan
/// shows: the inverse of `field_changes`.
pub fn set_field(key: &mut ApiKey, field: Field, value: Option<&Value>) -> Result<()> {
    let bad = || internal(format!("field {field} cannot take {value:?}"));
    match (field, value) {
        (Field::Description, None) => key.description = None,
        (Field::Description, Some(Value::Str(s))) => key.description = Some(s.clone()),
        (Field::Owner, None) => key.owner = None,
        (Field::Owner, Some(Value::Str(s))) => key.owner = Some(s.clone()),
        (Field::Enabled, None) => key.enabled = true,
        (Field::Enabled, Some(Value::Bool(b))) => key.enabled = *b,
        (Field::Permissions, None) => key.permissions.clear(),
        (Field::Permissions, Some(Value::List(l))) => key.permissions = l.clone(),
        (Field::Hash, Some(Value::Str(s))) => {
            key.hash = crate::token::TokenHash::parse(s).ok_or_else(bad)?
        }
        (Field::CreatedAt, None) => key.created_at = None,
        (Field::CreatedAt, Some(Value::Time(t))) => key.created_at = Some(*t),
        (Field::ExpiresAt, None) => key.expires_at = None,
        (Field::ExpiresAt, Some(Value::Time(t))) => key.expires_at = Some(*t),
        (Field::AllowedIps, None) => key.allowed_ips = None,
        (Field::AllowedIps, Some(Value::List(l))) => {
            key.allowed_ips = Some(
                l.iter()
                    .map(|s| model::parse_cidr(s).map_err(|_| bad()))
                    .collect::<Result<_>>()?,
            )
        }
        (Field::PathPrefix, None) => key.path_prefix = None,
        (Field::PathPrefix, Some(Value::Str(s))) => key.path_prefix = Some(s.clone()),
        (Field::Resources, None) => key.resources = None,
        (Field::Resources, Some(Value::List(l))) => key.resources = Some(l.clone()),
        (Field::PreviousHashes, None) => key.previous_hashes.clear(),
        (Field::PreviousHashes, Some(Value::Previous(p))) => key.previous_hashes = p.clone(),
        (Field::Name, _)
        | (Field::Enabled | Field::Permissions | Field::Hash, _)
        | (Field::Description | Field::Owner | Field::PathPrefix, Some(_))
        | (Field::CreatedAt | Field::ExpiresAt, Some(_))
        | (Field::AllowedIps | Field::Resources | Field::PreviousHashes, Some(_)) => {
            return Err(bad());
        }
    }
    Ok(())
}

/// A write's new text, said as the old text with one span replaced: `old[..start]`, then
/// `with`, then `old[end..]`. A write on a large file changes a few lines: the new text is
/// never built whole for it, but proven by its changed window (`prove::local`) and written
/// out piece by piece, hashed as it goes (the store).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewText {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) with: String,
}

impl NewText {
    /// The new text `new`, said against `old`: the span where they differ.
    pub(crate) fn between(old: &str, new: &str) -> Self {
        let (a, b_old, b_new) = super::prove::diff_range(old, new);
        NewText {
            start: a,
            end: b_old,
            with: new[a..b_new].to_string(),
        }
    }

    /// The new text's three pieces, in order.
    pub fn pieces<'a>(&'a self, old: &'a str) -> [&'a str; 3] {
        [&old[..self.start], &self.with, &old[self.end..]]
    }

    /// The new text's length in bytes.
    pub fn len(&self, old: &str) -> usize {
        old.len() - (self.end - self.start) + self.with.len()
    }

    /// Is the new text the old one?
    pub fn is_unchanged(&self, old: &str) -> bool {
        old[self.start..self.end] == self.with
    }

    /// The new text, whole.
    pub fn whole(&self, old: &str) -> String {
        self.pieces(old).concat()
    }

    /// Bytes `from..to` of the new text, borrowed when they lie in one piece; `None` when
    /// they are out of range or not on character boundaries.
    pub(crate) fn get<'a>(
        &'a self,
        old: &'a str,
        from: usize,
        to: usize,
    ) -> Option<std::borrow::Cow<'a, str>> {
        if from > to || to > self.len(old) {
            return None;
        }
        if from == to {
            let mut at = 0;
            let boundary = self.pieces(old).iter().any(|piece| {
                let inside = from >= at && piece.is_char_boundary(from - at);
                at += piece.len();
                inside && from <= at
            });
            return boundary.then_some(std::borrow::Cow::Borrowed(""));
        }
        let mut parts: [&str; 3] = [""; 3];
        let mut count = 0;
        let mut at = 0;
        for piece in self.pieces(old) {
            let (ps, pe) = (at, at + piece.len());
            let (s, e) = (from.max(ps), to.min(pe));
            if s < e {
                parts[count] = piece.get(s - ps..e - ps)?;
                count += 1;
            }
            at = pe;
        }
        Some(match count {
            0 => std::borrow::Cow::Borrowed(""),
            1 => std::borrow::Cow::Borrowed(parts[0]),
            _ => std::borrow::Cow::Owned(parts[..count].concat()),
        })
    }
}

/// An edit made concrete against one document: the new text and what it must read as.
#[derive(Debug)]
pub(crate) struct Planned {
    /// The new text, said against the document's ([`NewText`]).
    pub new: NewText,
    /// For each key replaced, the fields whose value the edit changes.
    pub changed: FxHashMap<String, Vec<Field>>,
    /// The keys replaced, by name, as they must read.
    pub put: FxHashMap<String, ApiKey>,
    /// Names of the keys added and removed.
    pub added: Vec<String>,
    pub removed: rustc_hash::FxHashSet<String>,
    /// The keys added, as they must read.
    pub added_keys: Vec<ApiKey>,
    /// The file's version afterwards (a new file gets `version: 1`).
    pub version: Option<u64>,
    /// A rewrite into portable security.yml ([`Edit::portable`]): tokenctl's top-level values
    /// are compared as the model reads them, not node for node.
    pub portable: bool,
}

impl Planned {
    /// The keys the new text must hold, in order: `base`'s (the document planned against)
    /// with the replaced ones replaced and the removed ones gone, then the added ones. (The
    /// whole model is never copied: a write on a large file changes a key or two.)
    pub(crate) fn intended_keys<'a>(
        &'a self,
        base: &'a SecurityFile,
    ) -> impl Iterator<Item = &'a ApiKey> {
        base.keys
            .iter()
            .filter(|k| !self.removed.contains(&k.name))
            .map(|k| self.put.get(&k.name).unwrap_or(k))
            .chain(&self.added_keys)
    }
}

pub(crate) fn internal(message: String) -> Error {
    Error::Other(format!("internal error: {message}; nothing was written"))
}
