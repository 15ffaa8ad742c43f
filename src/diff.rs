//! The semantic change between two versions of a security.yml (`tokenctl diff`): per key,
//! `added`, `removed`, `rotated`, `renamed` (the same hash under a new name) or `changed`,
//! and each field's change classified as it affects who can do what: `widens` (a scope
//! added or made a wildcard, a restriction removed or loosened, an expiry removed or moved
//! later, a key enabled, a grace period given), `narrows`, or `neutral` (the description, the owner).
//! A line diff of YAML hides all of this; a reviewer of a pull request needs it.
//!
//! Never a hash or a secret: a rotation shows the keys' fingerprints.

use crate::keys::effect::compare;
pub(crate) use crate::keys::effect::{Effect, FieldChange};
use crate::model::{ApiKey, Field, SecurityFile};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;

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
    /// Whether the new file has a problem `check` fails on (it does not load as written, or
    /// a key breaks an enforced policy): a CI check fails on it whatever the keys' change.
    #[serde(skip)]
    pub(crate) failing: bool,
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
    policy.extend(policy_changes(
        old.policy.as_ref().cloned().unwrap_or_default(),
        new.policy.as_ref().cloned().unwrap_or_default(),
    ));
    Diff {
        tenant,
        keys,
        policy,
        foreign,
        violations,
        failing: false,
    }
}

/// Each rule of the `policy:` section that changed (`policy.maxLifetime`), classified as a
/// key's fields are: a rule lifted or loosened widens what keys may be, one added or
/// tightened narrows it.
fn policy_changes(o: crate::model::Policy, n: crate::model::Policy) -> Vec<FieldChange> {
    use crate::model::{Enforcement, Length};
    let mut out = Vec::new();
    let mut push = |rule: &str, old: Value, new: Value, effect: Effect| {
        out.push(FieldChange {
            field: format!("policy.{rule}"),
            old,
            new,
            effect,
        })
    };
    if o.enforcement != n.enforcement {
        let mode = |e: Option<Enforcement>| e.unwrap_or(Enforcement::Enforce);
        let effect = match mode(o.enforcement).cmp(&mode(n.enforcement)) {
            std::cmp::Ordering::Greater => Effect::Widens,
            std::cmp::Ordering::Less => Effect::Narrows,
            std::cmp::Ordering::Equal => Effect::Neutral,
        };
        let show = |e: Option<Enforcement>| json!(e.map(Enforcement::name));
        push(
            "enforcement",
            show(o.enforcement),
            show(n.enforcement),
            effect,
        );
    }
    let reference = jiff::Timestamp::now();
    let end = |l: &Length| l.ends(reference);
    for (rule, a, b) in [
        ("maxLifetime", &o.max_lifetime, &n.max_lifetime),
        ("maxGrace", &o.max_grace, &n.max_grace),
    ] {
        if a == b {
            continue;
        }
        let effect = match (a, b) {
            (_, None) => Effect::Widens,
            (None, Some(_)) => Effect::Narrows,
            (Some(a), Some(b)) => match end(b).cmp(&end(a)) {
                std::cmp::Ordering::Greater => Effect::Widens,
                std::cmp::Ordering::Less => Effect::Narrows,
                std::cmp::Ordering::Equal => Effect::Neutral,
            },
        };
        let show = |l: &Option<Length>| json!(l.as_ref().map(|l| l.text.clone()));
        push(rule, show(a), show(b), effect);
    }
    for (rule, a, b) in [
        (
            "forbiddenPermissions",
            &o.forbidden_permissions,
            &n.forbidden_permissions,
        ),
        (
            "requireAllowedIpsFor",
            &o.require_allowed_ips_for,
            &n.require_allowed_ips_for,
        ),
    ] {
        if a == b {
            continue;
        }
        // A scope no longer listed asks less of keys; one newly listed, more.
        let lifted = a.iter().any(|s| !b.contains(s));
        let added = b.iter().any(|s| !a.contains(s));
        let effect = match (lifted, added) {
            (true, _) => Effect::Widens,
            (false, true) => Effect::Narrows,
            (false, false) => Effect::Neutral,
        };
        push(rule, json!(a), json!(b), effect);
    }
    for (rule, a, b) in [
        (
            "requireDescription",
            o.require_description,
            n.require_description,
        ),
        ("requireOwner", o.require_owner, n.require_owner),
    ] {
        if a != b {
            let effect = if a { Effect::Widens } else { Effect::Narrows };
            push(rule, json!(a), json!(b), effect);
        }
    }
    out
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
            Some("version" | "tokenPrefix" | "permissions" | "policy") => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SecurityFile {
        crate::verify::Verifier::from_yaml(text)
            .unwrap()
            .file()
            .clone()
    }

    #[test]
    fn a_policy_loosened_widens_and_tightened_narrows() {
        let with = |rules: &str| file(&format!("policy:\n{rules}apiKeys: {{}}\n"));
        let effects = |old: &str, new: &str| -> Vec<(String, Effect)> {
            diff(None, &with(old), &with(new), false, Vec::new())
                .policy
                .into_iter()
                .map(|f| (f.field, f.effect))
                .collect()
        };
        let e = |f: &str, effect| (f.to_string(), effect);
        assert_eq!(
            effects(
                "  maxLifetime: 90d\n  forbiddenPermissions: ['*']\n",
                "  maxLifetime: 1y\n  forbiddenPermissions: ['*', 'dns:*']\n  enforcement: warn\n"
            ),
            [
                e("policy.enforcement", Effect::Widens),
                e("policy.maxLifetime", Effect::Widens),
                e("policy.forbiddenPermissions", Effect::Narrows),
            ]
        );
        assert_eq!(
            effects(
                "  maxGrace: 7d\n  requireOwner: true\n",
                "  maxGrace: 24h\n  requireAllowedIpsFor: [dns:write]\n"
            ),
            [
                e("policy.maxGrace", Effect::Narrows),
                e("policy.requireAllowedIpsFor", Effect::Narrows),
                e("policy.requireOwner", Effect::Widens),
            ]
        );
        // The same rules in another order and style: no change.
        assert_eq!(
            effects(
                "  maxGrace: 7d\n  enforcement: enforce\n",
                "  enforcement: enforce\n  maxGrace: \"7d\"\n"
            ),
            []
        );
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
