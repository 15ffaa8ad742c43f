//! Planning a write: what a command wants, said of the model ([`Edit`]), made into the new
//! text by splices at the layout's positions ([`Planned`]). Everything the edit is not about
//! stays byte for byte. Splices that would change what another node means (an anchor that
//! something aliases, an entry whose key is written in a form tokenctl cannot cut out) are
//! refused here with a message naming the construct; whatever the planner gets wrong, the
//! prover ([`super::prove`]) catches before anything is written.

use super::layout::{ApiValue, EntryLayout, Root, colon_after, indent_of, line_end, line_start};
use super::render::{
    Value, render_block_list, render_entry, render_field_suffix, render_flow, render_flow_entry,
    render_scalar,
};
use super::{Document, NEW_FILE};
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

/// An edit made concrete against one document: the new text and what it must read as.
#[derive(Debug)]
pub(crate) struct Planned {
    pub text: String,
    /// For each key replaced, the fields whose value the edit changes.
    pub changed: FxHashMap<String, Vec<&'static str>>,
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
    pub fn intended_keys<'a>(&'a self, base: &'a SecurityFile) -> impl Iterator<Item = &'a ApiKey> {
        base.keys
            .iter()
            .filter(|k| !self.removed.contains(&k.name))
            .map(|k| self.put.get(&k.name).unwrap_or(k))
            .chain(&self.added_keys)
    }
}

/// Bytes `start..end` of the text to replace with the string.
type Splice = (usize, usize, String);

/// Fields of one key to set (`Some`) or remove (`None`).
type FieldChanges = Vec<(&'static str, Option<Value>)>;

/// The field changes that turn `old` into `new`, in the order fields are written: `None`
/// removes the field.
pub(crate) fn field_changes(old: &ApiKey, new: &ApiKey) -> Vec<(Field, Option<Value>)> {
    let mut out = Vec::new();
    if old.description != new.description {
        out.push((Field::Description, new.description.clone().map(Value::Str)));
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

impl Document {
    /// Plans `edit` against this document: the intended model and the new text.
    pub(crate) fn plan(&self, edit: &Edit) -> Result<Planned> {
        self.check_writable()?;
        if edit.portable {
            self.check_old_times(edit)?;
            return Ok(Planned {
                text: self.portable_rewrite().unwrap_or_else(|| self.text.clone()),
                // Every field of tokenctl's may be rewritten (quoted, uppercased, expanded):
                // the prover checks them as the model reads them, other fields byte for byte.
                changed: self
                    .model
                    .names()
                    .map(|n| (n.to_string(), Field::ALL.map(Field::yaml_name).to_vec()))
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
            let changes: FieldChanges = field_changes(old, new)
                .into_iter()
                .map(|(f, v)| (f.yaml_name(), v))
                .collect();
            if !changes.is_empty() {
                changed.insert(new.name.clone(), changes.iter().map(|(f, _)| *f).collect());
                set.push((new.name.as_str(), changes));
            }
        }
        let text = if matches!(
            self.layout.api.as_ref().map(|a| &a.value),
            Some(ApiValue::Flow { .. })
        ) {
            self.flow_edit(&set, &edit.remove, &edit.add)?
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
            apply_splices(&self.text, splices)?
        };
        self.check_old_times(edit)?;
        Ok(Planned {
            text,
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
        let planned_version = self.check_edit(edit)?;
        let mut keys = self.model.keys.clone();
        for new in &edit.put {
            let i = self.model.index_of(&new.name).expect("checked");
            keys[i] = new.clone();
        }
        let removed: rustc_hash::FxHashSet<&str> = edit.remove.iter().map(String::as_str).collect();
        keys.retain(|k| !removed.contains(k.name.as_str()));
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
            .map(|&i| &self.layout.entries[i])
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

    /// Splices that set or remove fields of a block entry.
    fn field_splices(&self, name: &str, changes: &[(&str, Option<Value>)]) -> Result<Vec<Splice>> {
        let entry = self.entry_of(name)?;
        let text = &self.text;
        let nl = self.layout.newline;
        if entry.flow {
            return Ok(vec![self.flow_entry_splice(entry, changes)]);
        }
        let Some(first) = entry.fields.first() else {
            return Err(self.cannot_edit(name, entry.key_start, "has no fields"));
        };
        if !first.key_simple(text) {
            return Err(self.cannot_edit(
                name,
                first.key_start,
                "starts with a field tokenctl cannot find the indentation of",
            ));
        }
        let field_indent = indent_of(text, first.key_start);
        let mut splices = Vec::new();
        let mut appended = String::new();
        for (n, v) in changes {
            let field = entry.fields.iter().find(|f| f.name == *n);
            if let Some(f) = field.filter(|f| !f.key_simple(text)) {
                return Err(self.cannot_edit(
                    name,
                    f.key_start,
                    &format!(
                        "writes field '{n}' in a form other than `{n}: value` on a line of its own"
                    ),
                ));
            }
            match (field, v) {
                (Some(f), None) => {
                    splices.push((
                        line_start(text, f.key_start),
                        line_end(text, f.value_end),
                        String::new(),
                    ));
                }
                (Some(f), Some(v)) => {
                    let colon = colon_after(text, f.key_end).expect("a simple key has its colon");
                    let anchor = if f.anchor != 0 {
                        let token = &text[f.value_start..];
                        let len = token.find([' ', '\t', '\r', '\n']).unwrap_or(token.len());
                        format!(" {}", &token[..len])
                    } else {
                        String::new()
                    };
                    let suffix = match (v, f.block_list_indent) {
                        (Value::List(items), Some(dash)) if !items.is_empty() => {
                            render_block_list(items, dash, nl)
                        }
                        _ => render_field_suffix(v, field_indent, nl),
                    };
                    let end = f.value_end.max(colon + 1);
                    // A block scalar whose last line is kept (`|+`, or a line of spaces that
                    // is content) ends past that line's break: the new value ends its line.
                    let eol = if text.as_bytes()[end - 1] == b'\n' {
                        nl
                    } else {
                        ""
                    };
                    splices.push((colon + 1, end, anchor + &suffix + eol));
                }
                (None, Some(v)) => {
                    appended.push_str(&" ".repeat(field_indent));
                    appended.push_str(n);
                    appended.push(':');
                    appended.push_str(&render_field_suffix(v, field_indent, nl));
                    appended.push_str(nl);
                }
                (None, None) => {}
            }
        }
        if !appended.is_empty() {
            let at = line_end(text, entry.value_end);
            splices.push((at, at, newline_if_needed(text, at, nl) + &appended));
        }
        Ok(splices)
    }

    /// A flow entry (`k: {hash: ..., enabled: true}`) written again with its fields changed;
    /// the fields it keeps are copied as they were.
    fn flow_entry_splice(&self, entry: &EntryLayout, changes: &[(&str, Option<Value>)]) -> Splice {
        let text = &self.text;
        let mut items: Vec<String> = Vec::new();
        for f in &entry.fields {
            match changes.iter().find(|(n, _)| *n == f.name) {
                Some((_, None)) => {}
                Some((_, Some(v))) => items.push(format!(
                    "{}: {}",
                    &text[f.key_start..f.key_end],
                    render_flow(v)
                )),
                // A key without a value (`{p}`) stays without one.
                None if f.value_start >= f.value_end => {
                    items.push(text[f.key_start..f.key_end].to_string())
                }
                None => items.push(format!(
                    "{}: {}",
                    &text[f.key_start..f.key_end],
                    &text[f.value_start..f.value_end]
                )),
            }
        }
        for (n, v) in changes {
            if let Some(v) = v {
                if !entry.fields.iter().any(|f| f.name == *n) {
                    items.push(format!("{n}: {}", render_flow(v)));
                }
            }
        }
        (
            entry.content_start,
            entry.value_end,
            format!("{{{}}}", items.join(", ")),
        )
    }

    /// The whole lines of a block entry, to cut.
    fn removal_splice(&self, name: &str) -> Result<Splice> {
        let text = &self.text;
        let i = self.model.index_of(name).map(|k| self.layout.of_key[k]);
        let entry = self.entry_of(name)?;
        if !entry.key_simple(text) {
            return Err(self.cannot_edit(
                name,
                entry.key_start,
                "is not written as `name:` at the start of its line",
            ));
        }
        let start = line_start(text, entry.key_start);
        let mut end = line_end(text, entry.value_end);
        // Blank lines left after the cut would join a block scalar that ends the entry
        // before (with `|+` they are part of its value), and a comment indented like its
        // content would become content: cut those too.
        let previous = i
            .and_then(|i| i.checked_sub(1))
            .map(|p| &self.layout.entries[p]);
        if previous.is_some_and(|p| p.ends_in_block_scalar) {
            let indent = indent_of(text, entry.key_start);
            while end < text.len() {
                // The line that starts at `end` (line_end would stop at `end` itself).
                let next = memchr::memchr(b'\n', &text.as_bytes()[end..])
                    .map_or(text.len(), |i| end + i + 1);
                let line = text[end..next].trim_end_matches(['\n', '\r']);
                let body = line.trim_start_matches(' ');
                let deeper_comment = body.starts_with('#') && line.len() - body.len() > indent;
                if body.is_empty() || deeper_comment {
                    end = next;
                } else {
                    break;
                }
            }
        }
        Ok((start, end, String::new()))
    }

    /// When an edit removes every key of a block apiKeys whose value carries a tag
    /// (`apiKeys: !!map`), the value left would be a tagged null, which the loader refuses:
    /// it becomes `{}` after the tag (`apiKeys: !!map {}`). Found by the differential
    /// test: the last key of such a file could not be deleted.
    fn emptied_splice(&self, edit: &Edit) -> Option<Splice> {
        let api = self.layout.api.as_ref()?;
        let all_gone = !self.layout.entries.is_empty()
            && self.layout.entries.len() == self.model.keys.len()
            && self
                .model
                .names()
                .all(|n| edit.remove.iter().any(|r| r == n));
        if !matches!(api.value, ApiValue::Block) || !all_gone || !edit.add.is_empty() {
            return None;
        }
        // `apiKeys: {}`, never `apiKeys:` with nothing after it: that is a null to every YAML
        // library, not the empty mapping docs/FORMAT.md promises. After the anchor and tag
        // that follow the colon on the key's line, if any.
        let b = self.text.as_bytes();
        let colon = colon_after(&self.text, api.key_end)?;
        let mut i = colon + 1;
        let mut at = i;
        loop {
            while i < b.len() && matches!(b[i], b' ' | b'\t') {
                i += 1;
            }
            if i < b.len() && matches!(b[i], b'&' | b'!') {
                while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                    i += 1;
                }
                at = i;
            } else {
                break;
            }
        }
        Some((at, at, " {}".to_string()))
    }

    /// Splices that add `keys` after the last key.
    fn new_keys_splices(&self, keys: &[ApiKey]) -> Result<Vec<Splice>> {
        let nl = self.layout.newline;
        let mut splices = Vec::new();
        if keys.is_empty() {
            return Ok(splices);
        }
        let entries = |indent: usize, field_indent: usize| -> String {
            keys.iter()
                .map(|k| render_entry(k, indent, field_indent, nl))
                .collect()
        };
        let text = &self.text;
        let Some(api) = &self.layout.api else {
            // No apiKeys yet: a new file is written in the style of docs/FORMAT.md's example; an
            // existing one gets `apiKeys:` after its last top-level value (so before a
            // document end marker `...` and the comments after it).
            let mut out = String::new();
            let at = match self.layout.root {
                Root::Empty if text.is_empty() => {
                    out.push_str(&NEW_FILE.replace('\n', nl));
                    0
                }
                Root::Empty => {
                    // Before a document end marker: after it, `apiKeys:` would start a second
                    // document, which no server's YAML library loads as this file.
                    let at = document_end(text).unwrap_or(text.len());
                    out.push_str(&newline_if_needed(text, at, nl));
                    out.push_str("apiKeys:");
                    out.push_str(nl);
                    at
                }
                _ => {
                    let at = line_end(text, self.layout.top_end);
                    out.push_str(&newline_if_needed(text, at, nl));
                    out.push_str(&" ".repeat(self.layout.top_indent));
                    out.push_str("apiKeys:");
                    out.push_str(nl);
                    at
                }
            };
            out.push_str(&entries(self.layout.top_indent + 2, 2));
            splices.push((at, at, out));
            return Ok(splices);
        };
        if let Some((_, alias)) = self
            .layout
            .aliases
            .iter()
            .find(|(id, _)| api.value_anchor != 0 && *id == api.value_anchor)
        {
            let name = anchor_name(text, api.key_end);
            return Err(Error::Unsafe {
                path: self.path.clone(),
                message: format!(
                    "apiKeys is anchored as &{name} and line {} aliases it (*{name}): a new key would appear there too; write that value out in full (or remove the alias), then retry",
                    self.line_of(*alias)
                ),
            });
        }
        match &api.value {
            ApiValue::Null { start, end } => {
                let colon = colon_after(text, api.key_end).unwrap_or(api.key_end);
                if end > start {
                    // The null itself goes; an anchor or tag before it stays.
                    let value = &text[colon + 1..*end];
                    let word = value
                        .trim_end()
                        .rfind(char::is_whitespace)
                        .map_or(0, |i| i + 1);
                    // A value that is only an anchor or tag (`&a`) keeps all of it.
                    let keep = if value.trim_end()[word..].starts_with(['&', '!']) {
                        value.trim_end().len()
                    } else {
                        value[..word].trim_end().len()
                    };
                    splices.push((colon + 1 + keep, *end, String::new()));
                }
                let at = line_end(text, (*end).max(colon));
                let indent = self.layout.top_indent + 2;
                splices.push((
                    at,
                    at,
                    newline_if_needed(text, at, nl) + &entries(indent, 2),
                ));
            }
            ApiValue::Flow { end } if self.layout.entries.is_empty() => {
                let colon = colon_after(text, api.key_end).unwrap_or(api.key_end);
                // The `{}` goes; an anchor or tag before it stays (found by fuzz/edit).
                let brace = text[..*end].rfind('{').unwrap_or(colon + 1).max(colon + 1);
                let keep = text[colon + 1..brace].trim_end().len();
                splices.push((colon + 1 + keep, *end, String::new()));
                let at = line_end(text, *end);
                let indent = self.layout.top_indent + 2;
                splices.push((
                    at,
                    at,
                    newline_if_needed(text, at, nl) + &entries(indent, 2),
                ));
            }
            ApiValue::Flow { end } => {
                let mut added: String = keys
                    .iter()
                    .map(|k| format!(", {}: {}", render_scalar(&k.name), render_flow_entry(k)))
                    .collect();
                // After a trailing comma (`{a: 1,}`), the first new entry needs none of its
                // own. Only blanks, comments and that comma stand between the last entry and
                // the closing bracket.
                let last_end = self.layout.entries.last().map_or(*end - 1, |e| e.value_end);
                let trailing_comma = text[last_end.min(end - 1)..end - 1]
                    .split('\n')
                    .any(|line| line.split('#').next().is_some_and(|l| l.contains(',')));
                if trailing_comma {
                    added.replace_range(..1, "");
                }
                splices.push((end - 1, end - 1, added));
            }
            ApiValue::Block => {
                let last = self
                    .layout
                    .entries
                    .last()
                    .expect("block mapping has entries");
                if !last.key_simple(text) {
                    return Err(Error::Unsafe {
                        path: self.path.clone(),
                        message: format!(
                            "the last key of apiKeys (line {}) is not written as `name:` at the start of its line, so tokenctl cannot tell where a new key goes; add it by hand",
                            self.line_of(last.key_start)
                        ),
                    });
                }
                let key_indent = indent_of(text, last.key_start);
                let field_indent = last
                    .fields
                    .first()
                    .filter(|f| !last.flow && f.key_simple(text))
                    .map_or(2, |f| {
                        indent_of(text, f.key_start)
                            .saturating_sub(key_indent)
                            .max(1)
                    });
                let at = line_end(text, last.value_end);
                splices.push((
                    at,
                    at,
                    newline_if_needed(text, at, nl) + &entries(key_indent, field_indent),
                ));
            }
        }
        Ok(splices)
    }

    /// Edits of a flow apiKeys mapping, one at a time: commas tie its entries together, so
    /// each edit is made on the text the one before produced.
    fn flow_edit(
        &self,
        set: &[(&str, FieldChanges)],
        remove: &[String],
        add: &[ApiKey],
    ) -> Result<String> {
        let mut doc = self.clone();
        for (name, changes) in set {
            let splice = doc.flow_entry_splice(doc.entry_of(name)?, changes);
            doc.check_aliases(std::slice::from_ref(&splice))?;
            doc = self.reload(apply_splices(&doc.text, vec![splice])?)?;
        }
        for name in remove {
            let i = doc
                .model
                .index_of(name)
                .map(|k| doc.layout.of_key[k])
                .ok_or_else(|| doc.no_key(name))?;
            let entries = &doc.layout.entries;
            let entry = &entries[i];
            let splice = if let Some(next) = entries.get(i + 1) {
                (entry.key_start, next.key_start, String::new())
            } else if i > 0 {
                (entries[i - 1].value_end, entry.value_end, String::new())
            } else {
                // The only entry: a trailing comma after it goes too, and when only blanks
                // stand between it and the brackets, those as well (`{\n  a: 1,\n}` -> `{}`;
                // saphyr refuses `{\n\n}`). A comment there stays.
                let text = &doc.text;
                let blank = [' ', '\t', '\r', '\n'];
                let rest = &text[entry.value_end..];
                let blanks = rest.len() - rest.trim_start_matches(blank).len();
                let mut end = if rest[blanks..].starts_with(',') {
                    entry.value_end + blanks + 1
                } else {
                    entry.value_end
                };
                let mut start = entry.key_start;
                let before = text[..start].trim_end_matches(blank);
                let after = text[end..].trim_start_matches(blank);
                if before.ends_with('{') && after.starts_with('}') {
                    (start, end) = (before.len(), text.len() - after.len());
                }
                (start, end, String::new())
            };
            doc.check_aliases(std::slice::from_ref(&splice))?;
            doc = self.reload(apply_splices(&doc.text, vec![splice])?)?;
        }
        if !add.is_empty() {
            let splices = doc.new_keys_splices(add)?;
            doc = self.reload(apply_splices(&doc.text, splices)?)?;
        }
        Ok(doc.text)
    }

    /// The text after one step of a flow edit, loaded for the next step. A text that does not
    /// load is the planner's mistake, not the file's: refused as such, not as a syntax error
    /// at a position the file does not have.
    fn reload(&self, text: String) -> Result<Document> {
        Document::load(&self.path, text).map_err(|e| Error::Unsafe {
            path: self.path.clone(),
            message: format!(
                "tokenctl could not make this change safely, so nothing was written: its edit of the flow mapping apiKeys ({{...}}) would not read back ({e}); make the change by hand"
            ),
        })
    }

    /// Refuses splices that change an anchored node some alias refers to: the alias would
    /// then mean something else too (the new value, an earlier anchor of the same name) or
    /// nothing at all. A splice changes an anchored node when it cuts or replaces any of its
    /// text, or inserts inside it (for a block collection: up to the end of its last line).
    fn check_aliases(&self, splices: &[Splice]) -> Result<()> {
        if self.layout.aliases.is_empty() {
            return Ok(());
        }
        for (s, e, _) in splices {
            let (s, e) = (*s, *e);
            for d in &self.layout.anchor_defs {
                let reach = if d.block {
                    line_end(&self.text, d.end)
                } else {
                    d.end
                };
                let touches = if s == e {
                    s > d.start && s < reach.max(d.end) || (d.block && s == reach && s > d.start)
                } else {
                    s < reach && e > d.start
                };
                if !touches {
                    continue;
                }
                let outside = |pos: &usize| *pos < d.start || *pos >= d.end;
                if let Some((_, alias)) = self
                    .layout
                    .aliases
                    .iter()
                    .find(|(a, pos)| *a == d.id && outside(pos) && (*pos < s || *pos >= e))
                {
                    let name = anchor_name(&self.text, d.start);
                    return Err(Error::Unsafe {
                        path: self.path.clone(),
                        message: format!(
                            "the change would alter the value anchored as &{name} (line {}), which line {} aliases (*{name}), so that alias would change too; write the value out in full at line {} (or remove the alias), then retry",
                            self.line_of(d.start),
                            self.line_of(*alias),
                            self.line_of(*alias)
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

/// The name of the anchor whose `&` is at or after `at`.
fn anchor_name(text: &str, at: usize) -> &str {
    let rest = &text[at..];
    let rest = rest.find('&').map_or(rest, |i| &rest[i + 1..]);
    let len = rest
        .find([' ', '\t', '\r', '\n', ',', ']', '}'])
        .unwrap_or(rest.len());
    &rest[..len]
}

fn internal(message: String) -> Error {
    Error::Other(format!("internal error: {message}; nothing was written"))
}

/// Applies non-overlapping splices (start, end, replacement); equal starts keep their order.
pub(crate) fn apply_splices(text: &str, mut splices: Vec<Splice>) -> Result<String> {
    splices.sort_by_key(|s| s.0);
    let mut out =
        String::with_capacity(text.len() + splices.iter().map(|s| s.2.len()).sum::<usize>());
    let mut at = 0;
    for (start, end, new) in splices {
        if start < at || end < start || end > text.len() {
            return Err(internal(format!(
                "overlapping edits at bytes {start}..{end}"
            )));
        }
        out.push_str(&text[at..start]);
        out.push_str(&new);
        at = end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// Where the first document end marker (`...` at the start of a line, then a blank, a
/// comment or the line's end) begins, if the text has one.
fn document_end(text: &str) -> Option<usize> {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("...") {
            if rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n', '#']) {
                return Some(at);
            }
        }
        at += line.len();
    }
    None
}

fn newline_if_needed(text: &str, at: usize, nl: &str) -> String {
    if at > 0 && at == text.len() && !text.ends_with('\n') {
        nl.to_string()
    } else {
        String::new()
    }
}

/// Sets (or with `None` removes) one of tokenctl's fields of `key`, from the value a plan
/// shows: the inverse of [`field_changes`].
pub fn set_field(key: &mut ApiKey, field: Field, value: Option<&Value>) -> Result<()> {
    let bad = || internal(format!("field {field} cannot take {value:?}"));
    match (field, value) {
        (Field::Description, None) => key.description = None,
        (Field::Description, Some(Value::Str(s))) => key.description = Some(s.clone()),
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
        | (Field::Description | Field::PathPrefix, Some(_))
        | (Field::CreatedAt | Field::ExpiresAt, Some(_))
        | (Field::AllowedIps | Field::Resources | Field::PreviousHashes, Some(_)) => {
            return Err(bad());
        }
    }
    Ok(())
}
