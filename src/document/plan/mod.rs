//! The planner: an [`Edit`] made concrete against one document ([`Planned`]), as splices at
//! the layout's positions. Everything the edit is not about stays byte for byte. Splices that
//! would change what another node means (an anchor that something aliases, an entry whose key
//! is written in a form tokenctl cannot cut out) are refused here with a message naming the
//! construct; whatever the planner gets wrong, the prover ([`super::prove`]) catches before
//! anything is written.
//!
//! A block `apiKeys` mapping is edited in one pass of splices ([`block`]); a flow one
//! (`apiKeys: {...}`) one change at a time ([`flow`]), since commas tie its entries together.
//! [`splice`] applies splices and refuses those that would change what an alias means.

mod block;
mod flow;
mod splice;
#[cfg(test)]
mod tests;

use splice::splice_span;

use super::edit::{Edit, FieldChanges, NewText, Planned, field_changes, internal};
use super::layout::{ApiValue, EntryLayout, Root};
use super::{Document, prove};
use crate::error::{Error, Result};
use crate::model::{self, ApiKey, Field, SecurityFile};
use rustc_hash::FxHashMap;

/// What an edit comes to, four ways:
///
/// - [`Document::edited`]: the new text, planned and proven; what a write writes.
/// - `Document::plan`: the new text unproven, with what it must read as (`Planned`), which
///   the prover checks.
/// - [`Document::intended`]: only the model after the edit, with no text (`apply` checks its
///   plan is idempotent on it).
/// - [`Document::proofs`]: both of the prover's verdicts on the plan, for tests.
impl Document {
    /// The text to write for `edit`: planned (`Document::plan`), then proven to read as intended
    /// (`prove`). This is what the store writes, under its lock.
    pub fn edited(&self, edit: &Edit) -> Result<String> {
        Ok(self.edited_span(edit)?.whole(&self.text))
    }

    /// [`Document::edited`], said against this document's text ([`NewText`]): what the store
    /// writes, piece by piece, without building the new text whole.
    pub fn edited_span(&self, edit: &Edit) -> Result<NewText> {
        let planned = self.plan(edit)?;
        prove::prove(self, &planned)?;
        Ok(planned.new)
    }

    /// Both proofs of `edit`'s planned text, for tests that check they agree: the local
    /// proof's verdict (`None` where it does not apply) and the whole-document proof's, with
    /// the planned text. `Err` when the planner refuses the edit.
    #[doc(hidden)]
    pub fn proofs(&self, edit: &Edit) -> Result<(Option<Result<()>>, Result<()>, String)> {
        let planned = self.plan(edit)?;
        let local = prove::local(self, &planned);
        let full = prove::full(self, &planned);
        Ok((local, full, planned.new.whole(&self.text)))
    }

    /// Plans `edit` against this document: the new text, and the keys and fields it must read
    /// as. Not yet proven: see [`Document::edited`].
    pub(crate) fn plan(&self, edit: &Edit) -> Result<Planned> {
        self.check_writable()?;
        if edit.portable {
            self.check_old_times(edit)?;
            return Ok(Planned {
                new: self
                    .portable_rewrite()
                    .map(|t| NewText::between(&self.text, &t))
                    .unwrap_or_default(),
                // Every field of tokenctl's may be rewritten (quoted, uppercased, expanded):
                // the prover checks them as the model reads them, other fields byte for byte.
                changed: self
                    .model
                    .names()
                    .map(|n| (n.to_string(), Field::ALL.to_vec()))
                    .collect(),
                portable: true,
                put: FxHashMap::default(),
                added: Vec::new(),
                removed: Default::default(),
                added_keys: Vec::new(),
                version: self.model.version,
            });
        }
        self.check_portable()?;
        let version = self.check_edit(edit)?;
        let mut changed = FxHashMap::default();
        let mut set = Vec::new();
        for new in &edit.put {
            let old = self.model.get(&new.name).expect("checked by intended()");
            let changes: FieldChanges = field_changes(old, new);
            if !changes.is_empty() {
                changed.insert(new.name.clone(), changes.iter().map(|(f, _)| *f).collect());
                set.push((new.name.as_str(), changes));
            }
        }
        let new = if matches!(
            self.layout.api.as_ref().map(|a| &a.value),
            Some(ApiValue::Flow { .. })
        ) {
            NewText::between(&self.text, &self.flow_edit(&set, &edit.remove, &edit.add)?)
        } else {
            let mut splices = Vec::new();
            for (name, changes) in &set {
                splices.extend(self.field_splices(name, changes)?);
            }
            for name in &edit.remove {
                splices.push(self.removal_splice(name)?);
            }
            splices.extend(self.emptied_splice(edit));
            splices.extend(self.new_keys_splices(&edit.add)?);
            self.check_aliases(&splices)?;
            splice_span(&self.text, splices)?
        };
        self.check_old_times(edit)?;
        Ok(Planned {
            new,
            changed,
            put: edit
                .put
                .iter()
                .map(|k| (k.name.clone(), k.clone()))
                .collect(),
            added: edit.add.iter().map(|k| k.name.clone()).collect(),
            removed: edit.remove.iter().cloned().collect(),
            added_keys: edit.add.clone(),
            version,
            portable: false,
        })
    }

    /// Refuses an edit of keys that are not there, or that names a key twice; the file's
    /// version afterwards.
    fn check_edit(&self, edit: &Edit) -> Result<Option<u64>> {
        let mut touched = rustc_hash::FxHashSet::default();
        for new in &edit.put {
            if self.model.index_of(&new.name).is_none() {
                return Err(self.no_key(&new.name));
            }
            if !touched.insert(new.name.as_str()) {
                return Err(internal(format!("key '{}' is changed twice", new.name)));
            }
        }
        for name in &edit.remove {
            if self.model.index_of(name).is_none() {
                return Err(self.no_key(name));
            }
            if !touched.insert(name.as_str()) {
                return Err(internal(format!("key '{name}' is changed and removed")));
            }
        }
        let mut added = rustc_hash::FxHashSet::default();
        for new in &edit.add {
            if self.model.get(&new.name).is_some() && !edit.remove.contains(&new.name) {
                return Err(Error::KeyExists(new.name.clone()));
            }
            if !added.insert(new.name.as_str()) {
                return Err(internal(format!("key '{}' is added twice", new.name)));
            }
        }
        // Times tokenctl writes lie in years 1970 to 9999 (an unchanged older one is kept).
        for new in edit.put.iter().chain(&edit.add) {
            let old = self.model.get(&new.name);
            let had = |t: &jiff::Timestamp| {
                old.is_some_and(|o| {
                    o.created_at.as_ref() == Some(t)
                        || o.expires_at.as_ref() == Some(t)
                        || o.previous_hashes.iter().any(|p| p.expires_at == *t)
                })
            };
            let times = new
                .created_at
                .iter()
                .chain(&new.expires_at)
                .chain(new.previous_hashes.iter().map(|p| &p.expires_at));
            for t in times {
                if !had(t) {
                    crate::time::writable(*t)?;
                }
            }
        }
        // A new file starts `version: 1` (NEW_FILE).
        let fresh = self.text.is_empty() && self.layout.root == Root::Empty && !edit.add.is_empty();
        Ok(if fresh {
            Some(model::VERSION)
        } else {
            self.model.version
        })
    }

    /// The model after `edit`: replaced keys in place, removed ones gone, added ones last.
    pub fn intended(&self, edit: &Edit) -> Result<SecurityFile> {
        self.intended_of(edit, |_| true)
    }

    /// [`Document::intended`] with only the keys `keep` names among those the file holds
    /// (every added key too): a check of some keys need not copy 100,000 others.
    pub fn intended_of(&self, edit: &Edit, keep: impl Fn(&str) -> bool) -> Result<SecurityFile> {
        let planned_version = self.check_edit(edit)?;
        let put: FxHashMap<&str, &ApiKey> = edit.put.iter().map(|k| (k.name.as_str(), k)).collect();
        let removed: rustc_hash::FxHashSet<&str> = edit.remove.iter().map(String::as_str).collect();
        let mut keys: Vec<ApiKey> = self
            .model
            .keys
            .iter()
            .filter(|k| keep(&k.name) && !removed.contains(k.name.as_str()))
            .map(|k| (*put.get(k.name.as_str()).unwrap_or(&k)).clone())
            .collect();
        keys.extend(edit.add.iter().cloned());
        Ok(SecurityFile::new(
            planned_version,
            self.model.token_prefix.clone(),
            self.model.catalog.clone(),
            keys,
        ))
    }

    fn no_key(&self, name: &str) -> Error {
        Error::NoSuchKey {
            name: name.to_string(),
            suggestion: crate::names::nearest(name, self.model.names()),
        }
    }

    /// Refuses to write a file of a newer version than this build knows, or one whose
    /// layout tokenctl cannot edit.
    pub fn check_writable(&self) -> Result<()> {
        let unwritable = |message: String| Error::Invalid {
            path: self.path.clone(),
            message,
        };
        // Edits find lines by LF; in a file whose lines end in a bare CR (old Mac style) a
        // deletion would reach from the start of the file to its end.
        let bytes = self.text.as_bytes();
        if let Some(at) =
            memchr::memchr_iter(b'\r', bytes).find(|&i| bytes.get(i + 1) != Some(&b'\n'))
        {
            let (line, _) = crate::yaml::Lines::new(&self.text).position(at);
            return Err(unwritable(format!(
                "line {line} ends in a bare CR (old Mac line endings); tokenctl changes only files with LF or CRLF line endings: convert it first"
            )));
        }
        if let Some(v) = self.model.version {
            if v > model::VERSION {
                return Err(unwritable(format!(
                    "version {v} is newer than this tokenctl understands (1); upgrade tokenctl to change this file"
                )));
            }
        }
        if self.layout.root == Root::Null {
            return Err(unwritable(
                "the file holds only a null value (~ or null); replace it with `apiKeys:` by hand first".into(),
            ));
        }
        if self.layout.root == Root::Flow && self.layout.api.is_none() {
            return Err(unwritable(
                "the top level is a flow mapping ({...}) without apiKeys; add `apiKeys: {}` to it by hand first".into(),
            ));
        }
        Ok(())
    }

    /// Refuses to write a file whose own data holds a deprecated construct: tokenctl writes
    /// nothing outside portable security.yml, and `check --fix` rewrites them first.
    fn check_portable(&self) -> Result<()> {
        let Some(first) = self.deprecated().first() else {
            return Ok(());
        };
        let more = self.deprecated().len() - 1;
        Err(Error::Syntax {
            path: self.path.clone(),
            line: first.line,
            column: first.col,
            message: format!(
                "{}{}; tokenctl writes only portable security.yml, so nothing was written",
                first.message,
                if more > 0 {
                    format!(" (and {more} more)")
                } else {
                    String::new()
                }
            ),
        })
    }

    /// Refuses a write whose result would keep a time before 1583 in tokenctl's data:
    /// SnakeYAML, js-yaml 4 and npm `yaml` read such dates days (or, for two-digit years,
    /// centuries) off, and tokenctl writes nothing that a library reads differently.
    fn check_old_times(&self, edit: &Edit) -> Result<()> {
        let old = |k: &ApiKey| {
            let g = crate::time::GREGORIAN;
            k.created_at.is_some_and(|t| t < g)
                || k.expires_at.is_some_and(|t| t < g)
                || k.previous_hashes.iter().any(|p| p.expires_at < g)
        };
        if !self.model.keys.iter().any(old) {
            return Ok(());
        }
        let put: FxHashMap<&str, &ApiKey> = edit.put.iter().map(|k| (k.name.as_str(), k)).collect();
        let removed: rustc_hash::FxHashSet<&str> = edit.remove.iter().map(String::as_str).collect();
        let keys = self
            .model
            .keys
            .iter()
            .filter(|k| !removed.contains(k.name.as_str()))
            .map(|k| put.get(k.name.as_str()).copied().unwrap_or(k));
        for k in keys {
            let times = k
                .created_at
                .iter()
                .map(|t| ("createdAt", t))
                .chain(k.expires_at.iter().map(|t| ("expiresAt", t)))
                .chain(
                    k.previous_hashes
                        .iter()
                        .map(|p| ("previousHashes", &p.expires_at)),
                );
            for (field, t) in times {
                if *t < crate::time::GREGORIAN {
                    return Err(Error::Invalid {
                        path: self.path.clone(),
                        message: format!(
                            "key '{}': {field} {} is before 1583, which SnakeYAML, js-yaml 4 and npm `yaml` read days or centuries off; tokenctl writes no time that a YAML library reads differently, so nothing was written: change it (`update --expires`, or by hand) or delete the key first",
                            k.name,
                            crate::time::format_timestamp(*t)
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    fn entry_of(&self, name: &str) -> Result<&EntryLayout> {
        self.model
            .index_of(name)
            .and_then(|k| self.layout.of_key.get(k))
            .map(|&i| &self.layout.entries[i as usize])
            .ok_or_else(|| self.no_key(name))
    }

    /// 1-based line of byte offset `at`, for messages.
    fn line_of(&self, at: usize) -> usize {
        crate::yaml::Lines::new(&self.text).position(at).0
    }

    /// A refusal to edit `name` in place, saying what stands in the way and what to do.
    fn cannot_edit(&self, name: &str, at: usize, what: &str) -> Error {
        Error::Unsafe {
            path: self.path.clone(),
            message: format!(
                "key '{name}' (line {}) {what}; tokenctl does not edit that in place; make the change by hand",
                self.line_of(at)
            ),
        }
    }
}
