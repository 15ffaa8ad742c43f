//! The semantic change between two versions of a security.yml (`tokenctl diff`): per key,
//! `added`, `removed`, `rotated`, `renamed` (the same hash under a new name) or `changed`,
//! and each field's change classified as it affects who can do what: `widens` (a scope
//! added or made a wildcard, a restriction removed or loosened, an expiry removed or moved
//! later, a key enabled, a grace period given), `narrows`, or `neutral` (the description, the owner).
//! A line diff of YAML hides all of this; a reviewer of a pull request needs it.
//!
//! Never a hash or a secret: a rotation shows the keys' fingerprints.

use crate::model::{ApiKey, Field, SecurityFile};
use crate::verify::grants;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// How a change affects who can do what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Effect {
    Widens,
    Narrows,
    Neutral,
}

/// What happened to a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Change {
    /// New: it widens, whatever it holds.
    Added,
    Removed,
    /// A new hash (a new secret): the old one stops, or keeps working for a grace period
    /// (`previousHashes`, which widens).
    Rotated,
    /// The same hash under a new name (`name` gives the old one): neither widens nor narrows.
    Renamed,
    Changed,
}

/// One field's change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FieldChange {
    pub(crate) field: String,
    pub(crate) old: Value,
    pub(crate) new: Value,
    pub(crate) effect: Effect,
}

/// One key's change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct KeyChange {
    pub(crate) name: String,
    pub(crate) change: Change,
    pub(crate) fields: Vec<FieldChange>,
}

impl KeyChange {
    /// Does this change give anyone more than before? An added key does.
    pub(crate) fn widens(&self) -> bool {
        self.change == Change::Added || self.fields.iter().any(|f| f.effect == Effect::Widens)
    }
}

/// The change between two versions of one tenant's file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Diff {
    pub(crate) tenant: Option<String>,
    /// In the new file's order, then the keys removed in the old file's order.
    pub(crate) keys: Vec<KeyChange>,
    /// The file's own settings (`tokenPrefix`, the `permissions` catalog).
    pub(crate) policy: Vec<FieldChange>,
    /// Whether anything outside tokenctl's data changed (other tools' sections, or fields of
    /// a key that tokenctl does not know): reported, not judged.
    pub(crate) foreign: bool,
    /// What the new file breaks that a server or `check` would refuse, one line each.
    pub(crate) violations: Vec<String>,
}

impl Diff {
    /// Is there any change at all?
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.policy.is_empty() && !self.foreign
    }

    /// Does anything widen?
    pub(crate) fn widens(&self) -> bool {
        self.keys.iter().any(KeyChange::widens)
            || self.policy.iter().any(|f| f.effect == Effect::Widens)
    }
}

/// The change from `old` to `new` (the files as loaded), `foreign` whether other tools'
/// data differs, `violations` what the new file breaks.
pub(crate) fn diff(
    tenant: Option<String>,
    old: &SecurityFile,
    new: &SecurityFile,
    foreign: bool,
    violations: Vec<String>,
) -> Diff {
    let old_by_name: HashMap<&str, &ApiKey> =
        old.keys.iter().map(|k| (k.name.as_str(), k)).collect();
    let new_names: HashMap<&str, &ApiKey> = new.keys.iter().map(|k| (k.name.as_str(), k)).collect();
    // Keys gone from the old file, by hash: a new name with one of these hashes is a rename.
    let mut gone_by_hash: HashMap<_, &ApiKey> = old
        .keys
        .iter()
        .filter(|k| !new_names.contains_key(k.name.as_str()))
        .map(|k| (k.hash, k))
        .collect();
    let mut renamed_from = std::collections::HashSet::new();
    let mut keys = Vec::new();
    for k in &new.keys {
        match old_by_name.get(k.name.as_str()) {
            Some(o) => {
                let mut fields = compare(o, k);
                if o.hash != k.hash {
                    fields.insert(
                        0,
                        FieldChange {
                            field: Field::Hash.yaml_name().into(),
                            old: json!(format!("fingerprint {}", o.hash.fingerprint())),
                            new: json!(format!("fingerprint {}", k.hash.fingerprint())),
                            effect: Effect::Neutral,
                        },
                    );
                    keys.push(KeyChange {
                        name: k.name.clone(),
                        change: Change::Rotated,
                        fields,
                    });
                } else if !fields.is_empty() {
                    keys.push(KeyChange {
                        name: k.name.clone(),
                        change: Change::Changed,
                        fields,
                    });
                }
            }
            None => match gone_by_hash.remove(&k.hash) {
                Some(o) => {
                    renamed_from.insert(o.name.as_str());
                    let mut fields = compare(o, k);
                    fields.insert(
                        0,
                        FieldChange {
                            field: Field::Name.yaml_name().into(),
                            old: json!(o.name),
                            new: json!(k.name),
                            effect: Effect::Neutral,
                        },
                    );
                    keys.push(KeyChange {
                        name: k.name.clone(),
                        change: Change::Renamed,
                        fields,
                    });
                }
                None => keys.push(KeyChange {
                    name: k.name.clone(),
                    change: Change::Added,
                    fields: added(k),
                }),
            },
        }
    }
    for o in &old.keys {
        if !new_names.contains_key(o.name.as_str()) && !renamed_from.contains(o.name.as_str()) {
            keys.push(KeyChange {
                name: o.name.clone(),
                change: Change::Removed,
                fields: Vec::new(),
            });
        }
    }
    let mut policy = Vec::new();
    if old.token_prefix != new.token_prefix {
        policy.push(FieldChange {
            field: "tokenPrefix".into(),
            old: json!(old.token_prefix),
            new: json!(new.token_prefix),
            // Which tokens are of tokenctl's form: no key's secret changes with it.
            effect: Effect::Neutral,
        });
    }
    if old.catalog != new.catalog {
        policy.push(FieldChange {
            field: "permissions".into(),
            old: json!(old.catalog),
            new: json!(new.catalog),
            effect: Effect::Neutral,
        });
    }
    Diff {
        tenant,
        keys,
        policy,
        foreign,
        violations,
    }
}

/// Everything in security.yml text that is not tokenctl's (other tools' top-level sections,
/// fields of a key that tokenctl does not know), in one canonical form to compare (styles,
/// comments and positions ignored); `None` for text that is not YAML.
pub(crate) fn foreign_of(text: &str) -> Option<String> {
    use crate::yaml::Kind;
    let tree = crate::yaml::parse(text).ok()?;
    let Some(root) = tree.root else {
        return Some(String::new());
    };
    let Kind::Map { entries, .. } = &root.kind else {
        return Some(canon(&root));
    };
    let mut out = String::new();
    for (k, v) in entries {
        match k.as_str() {
            Some("version" | "tokenPrefix" | "permissions") => {}
            Some("apiKeys") => {
                let Kind::Map { entries: keys, .. } = &v.kind else {
                    continue;
                };
                for (name, def) in keys {
                    let Kind::Map {
                        entries: fields, ..
                    } = &def.kind
                    else {
                        continue;
                    };
                    for (f, value) in fields {
                        if f.as_str().is_some_and(|f| f.parse::<Field>().is_ok()) {
                            continue;
                        }
                        out.push_str(&format!("{}.{}={};", canon(name), canon(f), canon(value)));
                    }
                }
            }
            _ => out.push_str(&format!("{}={};", canon(k), canon(v))),
        }
    }
    Some(out)
}

/// A node's value, styles and positions aside.
fn canon(node: &crate::yaml::Node) -> String {
    use crate::yaml::Kind;
    match &node.kind {
        Kind::Scalar { value, .. } => json!(value).to_string(),
        Kind::Seq { items, .. } => format!(
            "[{}]",
            items.iter().map(canon).collect::<Vec<_>>().join(",")
        ),
        Kind::Map { entries, .. } => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}:{}", canon(k), canon(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Kind::Alias(id) => format!("*{id}"),
    }
}

/// The fields of a key just added, as a reviewer needs them: what it may do and where.
fn added(k: &ApiKey) -> Vec<FieldChange> {
    let blank = ApiKey {
        description: None,
        owner: None,
        enabled: false,
        permissions: Vec::new(),
        expires_at: None,
        allowed_ips: None,
        path_prefix: None,
        resources: None,
        previous_hashes: Vec::new(),
        ..k.clone()
    };
    let mut fields = compare(&blank, k);
    // Against nothing, a restriction is what the key is given, not a narrowing: every field
    // of a new key is shown as it is, and the key as a whole widens.
    for f in &mut fields {
        f.old = Value::Null;
        f.effect = Effect::Neutral;
    }
    if k.expires_at.is_none() {
        fields.push(FieldChange {
            field: Field::ExpiresAt.yaml_name().into(),
            old: Value::Null,
            new: json!("never"),
            effect: Effect::Neutral,
        });
    }
    fields
}

/// Each field of `o` and `n` (one key, before and after) that differs, classified.
fn compare(o: &ApiKey, n: &ApiKey) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut push = |field: Field, old: Value, new: Value, effect: Effect| {
        out.push(FieldChange {
            field: field.yaml_name().into(),
            old,
            new,
            effect,
        });
    };
    if o.description != n.description {
        push(
            Field::Description,
            json!(o.description),
            json!(n.description),
            Effect::Neutral,
        );
    }
    if o.owner != n.owner {
        push(
            Field::Owner,
            json!(o.owner),
            json!(n.owner),
            Effect::Neutral,
        );
    }
    if o.enabled != n.enabled {
        let effect = if n.enabled {
            Effect::Widens
        } else {
            Effect::Narrows
        };
        push(Field::Enabled, json!(o.enabled), json!(n.enabled), effect);
    }
    if o.permissions != n.permissions {
        let gains = n.permissions.iter().any(|s| !grants(&o.permissions, s));
        let loses = o.permissions.iter().any(|s| !grants(&n.permissions, s));
        push(
            Field::Permissions,
            json!(o.permissions),
            json!(n.permissions),
            classify(gains, loses),
        );
    }
    if o.expires_at != n.expires_at {
        let effect = match (o.expires_at, n.expires_at) {
            (_, None) => Effect::Widens,
            (None, Some(_)) => Effect::Narrows,
            (Some(a), Some(b)) if b > a => Effect::Widens,
            _ => Effect::Narrows,
        };
        let show = |t: Option<jiff::Timestamp>| {
            t.map_or(json!("never"), |t| json!(crate::time::format_timestamp(t)))
        };
        push(
            Field::ExpiresAt,
            show(o.expires_at),
            show(n.expires_at),
            effect,
        );
    }
    if o.allowed_ips != n.allowed_ips {
        let effect = restriction(&o.allowed_ips, &n.allowed_ips, |old, new| {
            new.iter().all(|n| old.iter().any(|o| o.contains(n)))
        });
        let show = |v: &Option<Vec<ipnet::IpNet>>| {
            json!(
                v.as_ref()
                    .map(|v| v.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            )
        };
        push(
            Field::AllowedIps,
            show(&o.allowed_ips),
            show(&n.allowed_ips),
            effect,
        );
    }
    if o.path_prefix != n.path_prefix {
        let effect = restriction(&o.path_prefix, &n.path_prefix, |old, new| {
            if old.starts_with('=') {
                new == old
            } else {
                crate::verify::path_allowed(old, new.trim_start_matches('='))
            }
        });
        push(
            Field::PathPrefix,
            json!(o.path_prefix),
            json!(n.path_prefix),
            effect,
        );
    }
    if o.resources != n.resources {
        let effect = restriction(&o.resources, &n.resources, |old, new| {
            new.iter().all(|r| old.contains(r))
        });
        push(
            Field::Resources,
            json!(o.resources),
            json!(n.resources),
            effect,
        );
    }
    let grace = |k: &ApiKey| -> BTreeMap<String, String> {
        k.previous_hashes
            .iter()
            .map(|p| {
                (
                    p.hash.fingerprint().to_string(),
                    crate::time::format_timestamp(p.expires_at),
                )
            })
            .collect()
    };
    let (og, ng) = (grace(o), grace(n));
    if og != ng {
        // An old secret kept working, or kept longer, widens; one ended sooner narrows.
        let gains = ng
            .iter()
            .any(|(h, until)| og.get(h).is_none_or(|was| until > was));
        let loses = og
            .iter()
            .any(|(h, until)| ng.get(h).is_none_or(|now| now < until));
        let show = |g: &BTreeMap<String, String>| {
            json!(
                g.iter()
                    .map(|(h, until)| format!("fingerprint {h} until {until}"))
                    .collect::<Vec<_>>()
            )
        };
        push(
            Field::PreviousHashes,
            show(&og),
            show(&ng),
            classify(gains, loses),
        );
    }
    out
}

/// A field that grants (`gains`) or takes away (`loses`): widening outranks narrowing, as a
/// reviewer must see the first.
fn classify(gains: bool, loses: bool) -> Effect {
    match (gains, loses) {
        (true, _) => Effect::Widens,
        (false, true) => Effect::Narrows,
        (false, false) => Effect::Neutral,
    }
}

/// A restriction (`None`: none) from `old` to `new`: lifted widens, added narrows; changed,
/// it narrows when `within(old, new)`, else it widens.
fn restriction<T: PartialEq>(
    old: &Option<T>,
    new: &Option<T>,
    within: impl Fn(&T, &T) -> bool,
) -> Effect {
    match (old, new) {
        (_, None) => Effect::Widens,
        (None, Some(_)) => Effect::Narrows,
        (Some(o), Some(n)) if within(o, n) => {
            if within(n, o) {
                Effect::Neutral
            } else {
                Effect::Narrows
            }
        }
        _ => Effect::Widens,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SecurityFile {
        crate::verify::Verifier::from_yaml(text)
            .unwrap()
            .file()
            .clone()
    }

    fn key(name: &str, hash: char, extra: &str) -> String {
        format!(
            "  {name}:\n    hash: sha256:{}\n{extra}",
            hash.to_string().repeat(64)
        )
    }

    fn effects(d: &Diff, name: &str) -> Vec<(String, Effect)> {
        d.keys
            .iter()
            .find(|k| k.name == name)
            .unwrap()
            .fields
            .iter()
            .map(|f| (f.field.clone(), f.effect))
            .collect()
    }

    #[test]
    fn each_change_is_classified() {
        let old = file(&format!(
            "apiKeys:\n{}{}{}{}{}",
            key(
                "a",
                'a',
                "    permissions: [dns:read]\n    allowedIps: [10.0.0.0/8]\n    expiresAt: 2027-01-01T00:00:00Z\n"
            ),
            key("b", 'b', "    permissions: ['*']\n    enabled: false\n"),
            key("c", 'c', "    permissions: [x:y]\n"),
            key("d", 'd', "    pathPrefix: /api\n    resources: [r1, r2]\n"),
            key("gone", 'e', ""),
        ));
        let new = file(&format!(
            "apiKeys:\n{}{}{}{}{}",
            key(
                "a",
                'a',
                "    permissions: ['dns:*']\n    expiresAt: 2028-01-01T00:00:00Z\n    description: now wider\n    owner: team-dns\n"
            ),
            key("b", 'b', "    permissions: [dns:read]\n    enabled: true\n"),
            key("c2", 'c', "    permissions: [x:y]\n"),
            key("d", 'f', "    pathPrefix: /api/v1\n    resources: [r1]\n"),
            key("new", '1', "    permissions: [dns:read]\n"),
        ));
        let d = diff(Some("acme".into()), &old, &new, false, Vec::new());
        let changes: Vec<(&str, Change)> =
            d.keys.iter().map(|k| (k.name.as_str(), k.change)).collect();
        assert_eq!(
            changes,
            [
                ("a", Change::Changed),
                ("b", Change::Changed),
                ("c2", Change::Renamed),
                ("d", Change::Rotated),
                ("new", Change::Added),
                ("gone", Change::Removed),
            ]
        );
        use Effect::*;
        assert_eq!(
            effects(&d, "a"),
            [
                ("description".into(), Neutral),
                ("owner".into(), Neutral),
                ("permissions".into(), Widens),
                ("expiresAt".into(), Widens),
                ("allowedIps".into(), Widens),
            ]
        );
        assert_eq!(
            effects(&d, "b"),
            [("enabled".into(), Widens), ("permissions".into(), Narrows)]
        );
        assert_eq!(effects(&d, "c2"), [("name".into(), Neutral)]);
        assert_eq!(
            effects(&d, "d"),
            [
                ("hash".into(), Neutral),
                ("pathPrefix".into(), Narrows),
                ("resources".into(), Narrows)
            ]
        );
        assert!(d.widens());
        assert!(d.keys.iter().find(|k| k.name == "new").unwrap().widens());
        assert!(!d.keys.iter().find(|k| k.name == "gone").unwrap().widens());
        // Never a hash.
        let json = serde_json::to_string(&d).unwrap();
        assert!(
            !json.contains(&"a".repeat(64)) && !json.contains("sha256:"),
            "{json}"
        );
        // The same file: nothing.
        assert!(diff(None, &old, &old, false, Vec::new()).is_empty());
    }

    #[test]
    fn narrowing_only_is_not_widening() {
        let old = file(&format!(
            "apiKeys:\n{}",
            key("a", 'a', "    permissions: ['dns:*', x:y]\n")
        ));
        let new = file(&format!(
            "apiKeys:\n{}",
            key(
                "a",
                'a',
                "    permissions: [dns:read]\n    allowedIps: [10.0.0.0/8]\n    expiresAt: 2027-01-01T00:00:00Z\n    enabled: false\n"
            )
        ));
        let d = diff(None, &old, &new, false, Vec::new());
        assert!(!d.is_empty());
        assert!(!d.widens(), "{d:?}");
    }
}
