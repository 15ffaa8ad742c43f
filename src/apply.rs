//! The plan of `apply` (docs/CONFIG-MANAGEMENT.md, "Declarative keys: apply"): which keys to create, which
//! fields of which keys to change, and which keys `--prune` removes, so that a security.yml
//! matches a desired state. Pure: the command does the reading, locking and printing.

use crate::document::{DesiredKey, DesiredState, Edit, Value, key_fields};
use crate::error::Result;
use crate::model::SecurityFile;
use crate::model::{ApiKey, Field};
use crate::time::format_timestamp;
use crate::token::TokenHash;
use jiff::Timestamp;
use std::collections::{HashMap, HashSet};

/// What happens to one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// One field's change: `None` is "absent".
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Change {
    pub field: Field,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// One key's step.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub action: Action,
    pub key: String,
    /// For a create without a `hash`: apply generates the secret and prints it once.
    pub generate: bool,
    /// Field by field; for a create, every field written; for a delete, none.
    pub changes: Vec<Change>,
    /// For a create: the key to add (its hash is replaced when `generate`).
    new_key: Option<ApiKey>,
}

/// Everything apply would do, in the desired state's order, then deletions in file order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub steps: Vec<Step>,
    /// Keys the desired state lists that already match it.
    pub unchanged: Vec<String>,
}

impl Plan {
    /// Nothing to do?
    pub(crate) fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// How many steps of this action.
    pub(crate) fn count(&self, action: Action) -> usize {
        self.steps.iter().filter(|s| s.action == action).count()
    }

    /// Keys the plan deletes.
    pub(crate) fn deletions(&self) -> impl Iterator<Item = &str> {
        self.steps
            .iter()
            .filter(|s| s.action == Action::Delete)
            .map(|s| s.key.as_str())
    }

    /// Every step as one edit of `model`. `secret_for` is asked for the hash of each key
    /// whose secret apply generates. A key that is updated loses its expired previous
    /// secrets, as every write of a key does.
    pub(crate) fn edit(
        &self,
        model: &SecurityFile,
        now: Timestamp,
        mut secret_for: impl FnMut(&str) -> Result<TokenHash>,
    ) -> Result<Edit> {
        let mut edit = Edit::new();
        for step in &self.steps {
            edit = match step.action {
                Action::Update => {
                    let mut key = model
                        .get(&step.key)
                        .cloned()
                        .expect("an update is of a key the model has");
                    for c in &step.changes {
                        crate::document::set_field(&mut key, c.field, c.new.as_ref())?;
                    }
                    key.previous_hashes.retain(|p| p.expires_at > now);
                    edit.put(key)
                }
                Action::Delete => edit.remove(step.key.clone()),
                Action::Create => {
                    let mut key = step.new_key.clone().expect("a create carries its key");
                    if step.generate {
                        key.hash = secret_for(&key.name)?;
                    }
                    edit.append(key)
                }
            };
        }
        Ok(edit)
    }
}

/// Plans how to make `doc`'s keys match `desired`. Refuses (with the desired state's file,
/// line and column) anything apply must not do: changing an existing key's hash, reusing a
/// hash, or a permission the file's catalog does not list.
pub(crate) fn plan(
    doc: &SecurityFile,
    desired: &DesiredState,
    prune: bool,
    now: Timestamp,
) -> Result<Plan> {
    let mut out = Plan::default();
    let mut hashes: HashMap<TokenHash, &str> = HashMap::new();
    for want in &desired.keys {
        if let Some(h) = want.hash {
            if let Some(other) = hashes.insert(h, &want.name) {
                return Err(desired.error(
                    want.pos(Field::Hash),
                    format!(
                        "key '{}' has the same hash as key '{other}': each key needs its own secret",
                        want.name
                    ),
                ));
            }
        }
    }
    for want in &desired.keys {
        // A past expiry may be kept (the same desired state applied after the date), never
        // set or changed (crate::keys::check_expiry).
        if let Some(new) = want.expires_at {
            let old = doc.get(&want.name).and_then(|k| k.expires_at);
            if let Err(m) = crate::keys::check_expiry(old, new, now) {
                return Err(desired.error(
                    want.pos(Field::ExpiresAt),
                    format!("key '{}': expiresAt {m}", want.name),
                ));
            }
        }
        match doc.get(&want.name) {
            Some(old) => {
                if let Some(h) = want.hash {
                    if h != old.hash {
                        return Err(desired.error(
                            want.pos(Field::Hash),
                            format!(
                                "key '{0}' exists with a different hash, and apply never changes a hash: use `tokenctl rotate {0}` for a new secret (then drop `hash` here or set it to the new one), or delete the key to re-create it with this hash",
                                want.name
                            ),
                        ));
                    }
                }
                check_catalog(doc, desired, want, &old.permissions)?;
                let changes = diff(old, want);
                if changes.is_empty() {
                    out.unchanged.push(want.name.clone());
                } else {
                    out.steps.push(Step {
                        action: Action::Update,
                        key: want.name.clone(),
                        generate: false,
                        changes,
                        new_key: None,
                    });
                }
            }
            None => {
                if let Some(h) = want.hash {
                    if let Some(other) = doc.keys.iter().find(|k| {
                        k.name != want.name
                            && (k.hash == h || k.previous_hashes.iter().any(|p| p.hash == h))
                    }) {
                        return Err(desired.error(
                            want.pos(Field::Hash),
                            format!(
                                "key '{}': that hash already belongs to key '{}'; each key needs its own secret",
                                want.name, other.name
                            ),
                        ));
                    }
                }
                check_catalog(doc, desired, want, &[])?;
                let key = new_key(want, now);
                let changes = key_fields(&key)
                    .into_iter()
                    .filter(|(f, _)| !(want.hash.is_none() && *f == Field::Hash))
                    .map(|(field, v)| Change {
                        field,
                        old: None,
                        new: Some(v),
                    })
                    .collect();
                out.steps.push(Step {
                    action: Action::Create,
                    key: want.name.clone(),
                    generate: want.hash.is_none(),
                    changes,
                    new_key: Some(key),
                });
            }
        }
    }
    if prune {
        let wanted: HashSet<&str> = desired.keys.iter().map(|k| k.name.as_str()).collect();
        for name in doc.names().filter(|n| !wanted.contains(n)) {
            out.steps.push(Step {
                action: Action::Delete,
                key: name.to_string(),
                generate: false,
                changes: Vec::new(),
                new_key: None,
            });
        }
    }
    Ok(out)
}

/// Refuses permissions the file's catalog lacks, among those the key does not have yet
/// (crate::keys::uncatalogued), at the scope's line and column.
fn check_catalog(
    doc: &SecurityFile,
    desired: &DesiredState,
    want: &DesiredKey,
    has: &[String],
) -> Result<()> {
    let scopes = want.permissions.as_deref().unwrap_or_default();
    match crate::keys::uncatalogued(doc, scopes, has) {
        Some((i, msg)) => Err(desired.error(
            want.item_pos(Field::Permissions, i),
            format!("key '{}': {msg}", want.name),
        )),
        None => Ok(()),
    }
}

/// A new key as the desired state describes it; unlisted fields take create's defaults.
fn new_key(want: &DesiredKey, now: Timestamp) -> ApiKey {
    ApiKey {
        name: want.name.clone(),
        description: want.description.clone().flatten(),
        owner: want.owner.clone().flatten(),
        enabled: want.enabled.unwrap_or(true),
        permissions: want.permissions.clone().unwrap_or_default(),
        // Replaced by the generated secret's hash when none is given.
        hash: want.hash.unwrap_or(TokenHash([0; 32])),
        created_at: Some(now),
        expires_at: want.expires_at.flatten(),
        allowed_ips: want.allowed_ips.clone().flatten(),
        path_prefix: want.path_prefix.clone().flatten(),
        resources: want.resources.clone().flatten(),
        previous_hashes: Vec::new(),
    }
}

/// The listed fields of `want` that differ from `old`, in the order plans show them.
fn diff(old: &ApiKey, want: &DesiredKey) -> Vec<Change> {
    let mut out = Vec::new();
    let mut push = |field, old: Option<Value>, new: Option<Value>| {
        if old != new {
            out.push(Change { field, old, new });
        }
    };
    let list = |v: &Vec<String>| Value::List(v.clone());
    let nets = |v: &Vec<ipnet::IpNet>| Value::List(v.iter().map(|n| n.to_string()).collect());
    if let Some(d) = &want.description {
        push(
            Field::Description,
            old.description.clone().map(Value::Str),
            d.clone().map(Value::Str),
        );
    }
    if let Some(o) = &want.owner {
        push(
            Field::Owner,
            old.owner.clone().map(Value::Str),
            o.clone().map(Value::Str),
        );
    }
    if let Some(e) = want.enabled {
        push(
            Field::Enabled,
            Some(Value::Bool(old.enabled)),
            Some(Value::Bool(e)),
        );
    }
    if let Some(p) = &want.permissions {
        push(
            Field::Permissions,
            Some(list(&old.permissions)),
            Some(list(p)),
        );
    }
    if let Some(e) = want.expires_at {
        push(
            Field::ExpiresAt,
            old.expires_at.map(Value::Time),
            e.map(Value::Time),
        );
    }
    if let Some(ips) = &want.allowed_ips {
        // Compared as parsed ranges, so `10.0.0.1` and `10.0.0.1/32` are the same.
        if old.allowed_ips != *ips {
            push(
                Field::AllowedIps,
                old.allowed_ips.as_ref().map(nets),
                ips.as_ref().map(nets),
            );
        }
    }
    if let Some(p) = &want.path_prefix {
        push(
            Field::PathPrefix,
            old.path_prefix.clone().map(Value::Str),
            p.clone().map(Value::Str),
        );
    }
    if let Some(r) = &want.resources {
        push(
            Field::Resources,
            old.resources.as_ref().map(list),
            r.as_ref().map(list),
        );
    }
    out
}

/// A field value as JSON: text, true/false, a list of text, an RFC 3339 time, or null.
pub(crate) fn value_json(v: &Option<Value>) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        None => J::Null,
        Some(Value::Str(s)) => J::String(s.clone()),
        Some(Value::Bool(b)) => J::Bool(*b),
        Some(Value::List(items)) => J::Array(items.iter().cloned().map(J::String).collect()),
        Some(Value::Time(t)) => J::String(format_timestamp(*t)),
        Some(Value::Previous(items)) => J::Array(
            items
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "hash": p.hash.to_string(),
                        "expiresAt": format_timestamp(p.expires_at),
                    })
                })
                .collect(),
        ),
    }
}

/// A field value as one line of YAML flow text, for the readable plan.
pub(crate) fn value_text(v: &Option<Value>) -> String {
    use crate::document::render_scalar;
    match v {
        None => "(absent)".to_string(),
        Some(Value::Str(s)) => render_scalar(s),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Time(t)) => format_timestamp(*t),
        Some(Value::List(items)) => format!(
            "[{}]",
            items
                .iter()
                .map(|s| render_scalar(s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(Value::Previous(items)) => format!("[{} previous secrets]", items.len()),
    }
}
