//! The policy (docs/FORMAT.md, "Policy"): the tightest merge of a tenant's `policy:` section
//! and the operator's policies ([`Effective`]), a key judged against it
//! ([`Effective::violations`]), and a write judged only on what it changes ([`judge`]): a
//! create, or a change that widens a key, must leave the key within the policy; a neutral
//! change must not break a rule the key kept; a change that only narrows is never refused,
//! so that a key that breaks the policy can always be disabled, rotated or deleted.
//!
//! Every writer goes through [`judge`], once, in the write transaction (crate::store), on
//! the document as read under the lock: the command line, the form, `apply` and the admin
//! API cannot disagree on it.

use crate::document::Edit;
use crate::keys::effect::{Effect, compare};
use crate::model::{
    ApiKey, Enforcement, Length, Policy, PolicyRefusal, PolicyViolation, SecurityFile,
};
use crate::time::format_timestamp;
use crate::verify::scope::grants;
use jiff::Timestamp;
use std::collections::HashMap;

/// One policy and where it came from (a path, for messages and `policy show`).
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub label: String,
    pub policy: Policy,
}

/// A rule's value and the source that set it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct From<T> {
    pub value: T,
    pub source: String,
}

/// The policy in force: the tightest of every source's rules. None can loosen another.
#[derive(Debug, Clone, Default)]
pub(crate) struct Effective {
    /// `enforce` when any source with a rule enforces it (the default); `warn` only when
    /// every such source says `warn`.
    pub enforcement: Option<From<Enforcement>>,
    pub max_lifetime: Option<From<Length>>,
    pub max_grace: Option<From<Length>>,
    pub forbidden_permissions: Vec<From<String>>,
    pub require_description: Option<From<bool>>,
    pub require_owner: Option<From<bool>>,
    pub require_allowed_ips_for: Vec<From<String>>,
}

impl Effective {
    /// The tightest merge of `sources`; `now` compares lengths given in calendar units
    /// (`3mo` against `90d`).
    pub(crate) fn merge<'s>(sources: impl IntoIterator<Item = &'s Source>, now: Timestamp) -> Self {
        let mut e = Effective::default();
        let end = |l: &Length| l.ends(now);
        let tighter = |slot: &mut Option<From<Length>>, new: &Option<Length>, source: &str| {
            if let Some(new) = new {
                if slot.as_ref().is_none_or(|old| end(new) < end(&old.value)) {
                    *slot = Some(From {
                        value: new.clone(),
                        source: source.to_string(),
                    });
                }
            }
        };
        for s in sources {
            let p = &s.policy;
            let from = |value| From {
                value,
                source: s.label.clone(),
            };
            let text = |value: &String| From {
                value: value.clone(),
                source: s.label.clone(),
            };
            let yes = || From {
                value: true,
                source: s.label.clone(),
            };
            if p.enforcement.is_some() || !p.is_empty() {
                let mode = p.enforcement.unwrap_or(Enforcement::Enforce);
                if e.enforcement.as_ref().is_none_or(|old| mode > old.value) {
                    e.enforcement = Some(from(mode));
                }
            }
            tighter(&mut e.max_lifetime, &p.max_lifetime, &s.label);
            tighter(&mut e.max_grace, &p.max_grace, &s.label);
            for scope in &p.forbidden_permissions {
                if !e.forbidden_permissions.iter().any(|f| &f.value == scope) {
                    e.forbidden_permissions.push(text(scope));
                }
            }
            for scope in &p.require_allowed_ips_for {
                if !e.require_allowed_ips_for.iter().any(|f| &f.value == scope) {
                    e.require_allowed_ips_for.push(text(scope));
                }
            }
            if p.require_description && e.require_description.is_none() {
                e.require_description = Some(yes());
            }
            if p.require_owner && e.require_owner.is_none() {
                e.require_owner = Some(yes());
            }
        }
        e
    }

    /// The policy of a file: its own section, then the operator's.
    pub(crate) fn of(file: &SecurityFile, own: &str, operator: &[Source], now: Timestamp) -> Self {
        let section = file.policy.clone().map(|policy| Source {
            label: own.to_string(),
            policy,
        });
        Effective::merge(section.iter().chain(operator), now)
    }

    /// Does it ask anything of a key?
    pub(crate) fn is_empty(&self) -> bool {
        self.max_lifetime.is_none()
            && self.max_grace.is_none()
            && self.forbidden_permissions.is_empty()
            && self.require_description.is_none()
            && self.require_owner.is_none()
            && self.require_allowed_ips_for.is_empty()
    }

    /// The rules in force, one short phrase each (`maxLifetime 90d`), for a form's notice.
    pub(crate) fn summary(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(l) = &self.max_lifetime {
            out.push(format!("maxLifetime {}", l.value.text));
        }
        if let Some(l) = &self.max_grace {
            out.push(format!("maxGrace {}", l.value.text));
        }
        let list = |v: &[From<String>]| {
            v.iter()
                .map(|f| f.value.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.forbidden_permissions.is_empty() {
            out.push(format!(
                "forbiddenPermissions [{}]",
                list(&self.forbidden_permissions)
            ));
        }
        if self.require_description.is_some() {
            out.push("requireDescription".into());
        }
        if self.require_owner.is_some() {
            out.push("requireOwner".into());
        }
        if !self.require_allowed_ips_for.is_empty() {
            out.push(format!(
                "requireAllowedIpsFor [{}]",
                list(&self.require_allowed_ips_for)
            ));
        }
        out
    }

    /// `enforce` unless every source with a rule says `warn`.
    pub(crate) fn mode(&self) -> Enforcement {
        self.enforcement
            .as_ref()
            .map_or(Enforcement::Enforce, |e| e.value)
    }

    /// The rules `key` breaks at `now` (the time of the write, or of `check`), each with
    /// what would satisfy it.
    pub(crate) fn violations(&self, key: &ApiKey, now: Timestamp) -> Vec<PolicyViolation> {
        let mut out = Vec::new();
        let mut push = |rule,
                        field,
                        problem: String,
                        limit: String,
                        source: &str,
                        remedy: (String, String)| {
            out.push(PolicyViolation {
                key: key.name.clone(),
                rule,
                field,
                problem,
                limit,
                source: source.to_string(),
                flag_remedy: remedy.0,
                field_remedy: remedy.1,
                remedy_in_fields: false,
            })
        };
        if let Some(max) = &self.max_lifetime {
            let text = &max.value.text;
            let latest = max.value.ends(now);
            let remedy = || {
                (
                    format!("--expires {text} or sooner"),
                    format!("an expiresAt at most {text} from now"),
                )
            };
            let problem = match key.expires_at {
                None => Some("it never expires".to_string()),
                Some(t) if t > latest => Some(format!(
                    "it expires {}, later than {text} from now",
                    format_timestamp(t)
                )),
                Some(_) => None,
            };
            if let Some(problem) = problem {
                push(
                    "maxLifetime",
                    "expiresAt",
                    problem,
                    format!("maxLifetime {text}"),
                    &max.source,
                    remedy(),
                );
            }
        }
        if let Some(max) = &self.max_grace {
            let text = &max.value.text;
            let latest = max.value.ends(now);
            if let Some(p) = key.previous_hashes.iter().find(|p| p.expires_at > latest) {
                push(
                    "maxGrace",
                    "previousHashes",
                    format!(
                        "its old secret (fingerprint {}) stays valid until {}, longer than {text} from now",
                        p.hash.fingerprint(),
                        format_timestamp(p.expires_at),
                    ),
                    format!("maxGrace {text}"),
                    &max.source,
                    (
                        format!("rotate with --grace {text} or shorter (or --end-grace)"),
                        format!("a grace period of {text} or less"),
                    ),
                );
            }
        }
        for f in &self.forbidden_permissions {
            if let Some(scope) = key
                .permissions
                .iter()
                .find(|s| grants(std::slice::from_ref(*s), &f.value))
            {
                let problem = if *scope == f.value {
                    format!("it holds the scope '{scope}'")
                } else {
                    format!("it holds the scope '{scope}', which grants '{}'", f.value)
                };
                push(
                    "forbiddenPermissions",
                    "permissions",
                    problem,
                    format!("forbiddenPermissions [{}]", f.value),
                    &f.source,
                    ("give narrower scopes".into(), "narrower permissions".into()),
                );
            }
        }
        if let Some(r) = &self.require_description {
            // Blanks are no description: the rule asks for one a reader can use.
            if key
                .description
                .as_deref()
                .is_none_or(|d| d.trim().is_empty())
            {
                push(
                    "requireDescription",
                    "description",
                    "it has no description".into(),
                    "requireDescription".into(),
                    &r.source,
                    ("--description TEXT".into(), "a description".into()),
                );
            }
        }
        if let Some(r) = &self.require_owner {
            if key.owner.as_deref().is_none_or(|o| o.trim().is_empty()) {
                push(
                    "requireOwner",
                    "owner",
                    "it has no owner".into(),
                    "requireOwner".into(),
                    &r.source,
                    ("--owner TEAM".into(), "an owner".into()),
                );
            }
        }
        // A range of every address (0.0.0.0/0, ::/0) restricts nothing.
        let anywhere = key
            .allowed_ips
            .as_ref()
            .is_none_or(|ips| ips.is_empty() || ips.iter().any(|n| n.prefix_len() == 0));
        if anywhere {
            if let Some(f) = self
                .require_allowed_ips_for
                .iter()
                .find(|f| grants(&key.permissions, &f.value))
            {
                push(
                    "requireAllowedIpsFor",
                    "allowedIps",
                    format!(
                        "its scopes grant '{}' and {}",
                        f.value,
                        if key.allowed_ips.is_some() {
                            "its allowedIps allow every address"
                        } else {
                            "it has no allowedIps"
                        }
                    ),
                    format!("requireAllowedIpsFor [{}]", f.value),
                    &f.source,
                    ("--allow-ip CIDR".into(), "allowedIps".into()),
                );
            }
        }
        out
    }
}

/// Judges the write `edit` to the file `old` (as read under the lock) at `now`: each key
/// it creates, and each key it changes in a way that widens, must keep the policy (the
/// file's own section merged with `operator`); a neutral change (an owner or description
/// removed) must not break a rule the key kept; a change that only narrows is not judged.
/// A rename is judged as the change it is (the
/// same hash under a new name), so renaming alone is never refused. Under `enforce` a
/// violation refuses the whole write ([`crate::Error::Policy`]); under `warn` the
/// violations are returned, for the front end to show as warnings.
pub(crate) fn judge(
    old: &SecurityFile,
    own: &str,
    edit: &Edit,
    operator: &[Source],
    now: Timestamp,
) -> crate::Result<Vec<PolicyViolation>> {
    if old.policy.is_none() && operator.is_empty() {
        return Ok(Vec::new());
    }
    let policy = Effective::of(old, own, operator, now);
    if policy.is_empty() {
        return Ok(Vec::new());
    }
    let renamed: HashMap<_, &ApiKey> = edit
        .remove
        .iter()
        .filter_map(|name| old.get(name))
        .map(|k| (k.hash, k))
        .collect();
    let before_put = edit.put.iter().map(|k| (old.get(&k.name), k));
    let before_add = edit.add.iter().map(|k| (renamed.get(&k.hash).copied(), k));
    let mut violations = Vec::new();
    for (before, key) in before_put.chain(before_add) {
        let Some(o) = before else {
            violations.extend(policy.violations(key, now));
            continue;
        };
        let changes = compare(o, key);
        if changes.iter().any(|f| f.effect == Effect::Widens) {
            violations.extend(policy.violations(key, now));
        } else if changes.iter().any(|f| f.effect == Effect::Neutral) {
            // A neutral change (an owner or a description removed) grants nothing, but it
            // must not break a rule the key kept: requireOwner would mean nothing if
            // `update --clear-owner` went through. What the key broke before stays as it was.
            let broken: Vec<&str> = policy.violations(o, now).iter().map(|v| v.rule).collect();
            violations.extend(
                policy
                    .violations(key, now)
                    .into_iter()
                    .filter(|v| !broken.contains(&v.rule)),
            );
        }
    }
    if violations.is_empty() || policy.mode() == Enforcement::Warn {
        return Ok(violations);
    }
    Err(crate::Error::Policy(PolicyRefusal {
        violations,
        sha256: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::TokenHash;

    fn now() -> Timestamp {
        "2027-01-01T00:00:00Z".parse().unwrap()
    }

    fn length(text: &str) -> Option<Length> {
        Some(Length {
            text: text.into(),
            span: crate::time::parse_duration("test", text).unwrap(),
        })
    }

    fn source(label: &str, policy: Policy) -> Source {
        Source {
            label: label.into(),
            policy,
        }
    }

    fn key(name: &str) -> ApiKey {
        let mut k = ApiKey::new(name.into(), TokenHash([7; 32]));
        k.permissions = vec!["dns:read".into()];
        k
    }

    #[test]
    fn the_tightest_rule_wins_whatever_the_order() {
        let a = source(
            "a",
            Policy {
                enforcement: Some(Enforcement::Warn),
                max_lifetime: length("90d"),
                forbidden_permissions: vec!["*".into()],
                ..Policy::default()
            },
        );
        let b = source(
            "b",
            Policy {
                max_lifetime: length("1y"),
                max_grace: length("24h"),
                forbidden_permissions: vec!["*".into(), "dns:*".into()],
                require_owner: true,
                ..Policy::default()
            },
        );
        for order in [[&a, &b], [&b, &a]] {
            let e = Effective::merge(order, now());
            assert_eq!(e.mode(), Enforcement::Enforce, "b enforces by default");
            let life = e.max_lifetime.unwrap();
            assert_eq!(
                (life.value.text.as_str(), life.source.as_str()),
                ("90d", "a")
            );
            assert_eq!(e.max_grace.unwrap().source, "b");
            let mut forbidden: Vec<_> = e.forbidden_permissions.iter().map(|f| &f.value).collect();
            forbidden.sort();
            assert_eq!(forbidden, ["*", "dns:*"]);
            assert!(e.require_owner.is_some() && e.require_description.is_none());
        }
        // Calendar units compare by where they end: 3mo from January 1 is 90 days.
        let three = source(
            "m",
            Policy {
                max_lifetime: length("3mo"),
                ..Policy::default()
            },
        );
        let ninety_one = source(
            "d",
            Policy {
                max_lifetime: length("91d"),
                ..Policy::default()
            },
        );
        assert_eq!(
            Effective::merge([&ninety_one, &three], now())
                .max_lifetime
                .unwrap()
                .source,
            "m"
        );
        // Only warn when every source with a rule says so; a source with no rule says nothing.
        let warn = source(
            "w",
            Policy {
                enforcement: Some(Enforcement::Warn),
                ..a.policy.clone()
            },
        );
        let empty = source("e", Policy::default());
        assert_eq!(
            Effective::merge([&warn, &empty], now()).mode(),
            Enforcement::Warn
        );
    }

    #[test]
    fn each_rule_names_itself_and_what_satisfies_it() {
        let e = Effective::merge(
            [&source(
                "policy.yml",
                Policy {
                    max_lifetime: length("90d"),
                    max_grace: length("24h"),
                    forbidden_permissions: vec!["dns:*".into()],
                    require_description: true,
                    require_owner: true,
                    require_allowed_ips_for: vec!["dns:write".into()],
                    ..Policy::default()
                },
            )],
            now(),
        );
        let mut k = key("ci");
        k.permissions = vec!["*".into()];
        k.previous_hashes = vec![crate::model::PreviousHash {
            hash: TokenHash([1; 32]),
            expires_at: "2027-01-03T00:00:00Z".parse().unwrap(),
        }];
        let v = e.violations(&k, now());
        let rules: Vec<_> = v.iter().map(|v| v.rule).collect();
        assert_eq!(
            rules,
            [
                "maxLifetime",
                "maxGrace",
                "forbiddenPermissions",
                "requireDescription",
                "requireOwner",
                "requireAllowedIpsFor"
            ]
        );
        assert_eq!(
            v[0].message(),
            "key 'ci': it never expires; policy maxLifetime 90d (from policy.yml): --expires 90d or sooner"
        );
        assert!(
            v[0].api_message()
                .ends_with("an expiresAt at most 90d from now")
        );
        assert!(
            v[2].problem.contains("'*', which grants 'dns:*'"),
            "{}",
            v[2].problem
        );
        // Within every rule: nothing.
        k.permissions = vec!["dns:read".into()];
        k.expires_at = Some("2027-03-01T00:00:00Z".parse().unwrap());
        k.previous_hashes[0].expires_at = "2027-01-01T12:00:00Z".parse().unwrap();
        k.description = Some("deploys".into());
        k.owner = Some("team-dns".into());
        assert_eq!(e.violations(&k, now()), []);
        // A longer expiry than the policy allows.
        k.expires_at = Some("2027-04-02T00:00:00Z".parse().unwrap());
        assert_eq!(e.violations(&k, now())[0].rule, "maxLifetime");
    }

    #[test]
    fn a_write_is_judged_on_what_it_widens() {
        let mut file = SecurityFile::new(None, None, None, vec![key("old")]);
        file.policy = Some(Policy {
            max_lifetime: length("90d"),
            ..Policy::default()
        });
        let judge_in =
            |file: &SecurityFile, edit: &Edit| judge(file, "security.yml", edit, &[], now());
        let judge = |edit: &Edit| judge_in(&file, edit);
        // The key breaks the policy (no expiry): narrowing it goes through.
        let mut narrowed = key("old");
        narrowed.enabled = false;
        assert!(judge(&Edit::new().put(narrowed)).unwrap().is_empty());
        let mut renamed = key("new");
        renamed.hash = TokenHash([7; 32]);
        assert!(
            judge(&Edit::new().remove("old").append(renamed))
                .unwrap()
                .is_empty()
        );
        assert!(judge(&Edit::new().remove("old")).unwrap().is_empty());
        // A neutral change may not break a rule the key kept: the owner requireOwner asks for
        // cannot be removed, while one the key never had does not stop other neutral edits.
        let mut with_owner = key("old");
        with_owner.owner = Some("team-dns".into());
        let mut owned = SecurityFile::new(None, None, None, vec![with_owner.clone()]);
        owned.policy = file.policy.clone();
        owned.policy.as_mut().unwrap().require_owner = true;
        let mut cleared = with_owner;
        cleared.owner = None;
        let Err(crate::Error::Policy(refusal)) = judge_in(&owned, &Edit::new().put(cleared)) else {
            panic!("removing the owner requireOwner asks for must be refused");
        };
        let rules: Vec<_> = refusal.violations.iter().map(|v| v.rule).collect();
        assert_eq!(rules, ["requireOwner"], "maxLifetime was broken before");
        let mut described = key("old");
        described.description = Some("deploys".into());
        assert!(judge(&Edit::new().put(described)).unwrap().is_empty());
        // Widening it, or creating one like it, is refused.
        let mut widened = key("old");
        widened.permissions.push("dns:write".into());
        assert!(matches!(
            judge(&Edit::new().put(widened)),
            Err(crate::Error::Policy(_))
        ));
        let mut other = key("other");
        other.hash = TokenHash([8; 32]);
        let Err(crate::Error::Policy(refusal)) = judge(&Edit::new().append(other)) else {
            panic!("a new key without an expiry must be refused");
        };
        assert_eq!(refusal.violations[0].key, "other");
        assert!(refusal.to_string().ends_with("nothing was written"));
        // Under warn, the violations come back and the write goes through.
        let mut file = file.clone();
        file.policy.as_mut().unwrap().enforcement = Some(Enforcement::Warn);
        let mut other = key("other");
        other.hash = TokenHash([8; 32]);
        assert_eq!(
            judge_in(&file, &Edit::new().append(other)).unwrap().len(),
            1
        );
    }
}
