//! How a change to a key affects who can do what: each field's change `widens` (a scope
//! added or made a wildcard, a restriction removed or loosened, an expiry removed or moved
//! later, a key enabled, a grace period given), `narrows`, or is `neutral`. One
//! classification for `tokenctl diff`'s reviewers and for the policy (crate::keys::policy),
//! which judges a write only on what it widens.

use crate::model::{ApiKey, Field};
use crate::verify::scope::grants;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// How a change affects who can do what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Effect {
    Widens,
    Narrows,
    Neutral,
}

/// One field's change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct FieldChange {
    pub(crate) field: String,
    pub(crate) old: Value,
    pub(crate) new: Value,
    pub(crate) effect: Effect,
}

/// Each field of `o` and `n` (one key, before and after) that differs, classified.
pub(crate) fn compare(o: &ApiKey, n: &ApiKey) -> Vec<FieldChange> {
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
                crate::verify::path::path_allowed(old, new.trim_start_matches('='))
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
