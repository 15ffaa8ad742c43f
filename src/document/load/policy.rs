//! Reading the `policy:` section (docs/FORMAT.md, "Policy"). A policy is tokenctl's own
//! data: it must be portable, and anything in it tokenctl does not know is a problem, not
//! another tool's data, since a misspelled rule kept silently would be a rule not enforced.

use super::{FieldLabel, Loader, MERGE, Seen};
use crate::document::read;
use crate::model::{self, Enforcement, Length, Policy};
use crate::yaml::{Kind, Node};
use saphyr_parser::ScalarStyle;

/// What a `policy` that is another tool's data should do.
const RENAME: &str = "if this policy is another tool's data, rename it, for example to x-policy (tokenctl 0.1 ignored `policy`; \
     from 0.2 it is tokenctl's own section)";

impl<'a> Loader<'a> {
    /// The `policy:` mapping; `None` (with a problem) when it is not one.
    pub(super) fn policy(&self, node: &Node<'a>) -> Option<Policy> {
        let node = self.resolve(node);
        if self.tagged(node) {
            return None;
        }
        self.anchored(node);
        let Kind::Map { entries, .. } = &node.kind else {
            self.problem(
                node,
                format!(
                    "policy must be a mapping of rules (maxLifetime, forbiddenPermissions, ...), not {}; {RENAME}",
                    node.type_name()
                ),
            );
            return None;
        };
        let mut policy = Policy::default();
        let mut seen = Seen::new();
        let before = self.problems.borrow().len();
        for (k, v) in entries {
            if self.merge(k) {
                self.problem(k, format!("policy: {MERGE}"));
                continue;
            }
            let Some(rule) = k.as_str() else {
                self.problem(k, "policy: a rule's name must be text");
                continue;
            };
            self.explicit_key(k);
            self.anchored(v);
            if !seen.first(rule) {
                self.problem(k, format!("policy: duplicate rule '{rule}'"));
                continue;
            }
            if self.tagged(k) || self.tagged(v) {
                continue;
            }
            let named = format!("policy: {rule}");
            let what = FieldLabel {
                key: None,
                field: &named,
            };
            let label = PolicyLabel(rule);
            match rule {
                "enforcement" => match self.string(v, what).as_deref() {
                    Some("enforce") => policy.enforcement = Some(Enforcement::Enforce),
                    Some("warn") => policy.enforcement = Some(Enforcement::Warn),
                    Some(other) => self.problem(
                        v,
                        format!("policy: enforcement {other:?} must be enforce or warn"),
                    ),
                    None => {}
                },
                "maxLifetime" | "maxGrace" => {
                    // `maxLifetime: 90`: a number, which the portable rule would have quoted
                    // ("90"), and then refused as a duration without a unit. Say the unit.
                    if let Kind::Scalar {
                        value,
                        style: ScalarStyle::Plain,
                    } = &self.resolve(v).kind
                    {
                        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
                            self.problem(
                                v,
                                format!(
                                    "policy: {rule} {value} needs a unit, like {value}d or {value}h (units: y, mo, w, d, h, min, s, ms)"
                                ),
                            );
                            continue;
                        }
                    }
                    let Some(text) = self.string(v, what) else {
                        continue;
                    };
                    match crate::time::parse_duration(&format!("policy {rule}"), &text) {
                        Ok(span) if span.is_zero() => {
                            self.problem(v, format!("policy: {rule} must be longer than 0"));
                        }
                        Ok(span) => {
                            let length = Some(Length { text, span });
                            if rule == "maxLifetime" {
                                policy.max_lifetime = length;
                            } else {
                                policy.max_grace = length;
                            }
                        }
                        Err(e) => self.problem(v, format!("policy: {e}")),
                    }
                }
                "forbiddenPermissions" | "requireAllowedIpsFor" => {
                    let Some(list) = self.list(v, what) else {
                        continue;
                    };
                    let mut scopes = Vec::with_capacity(list.len());
                    for (s, item) in list {
                        match model::scope_problem(&s) {
                            Some(p) => self.problem(item, format!("policy: {rule}: {p}")),
                            None => scopes.push(s),
                        }
                    }
                    if rule == "forbiddenPermissions" {
                        policy.forbidden_permissions = scopes;
                    } else {
                        policy.require_allowed_ips_for = scopes;
                    }
                }
                "requireDescription" | "requireOwner" => {
                    match read::boolean(self.resolve(v), label) {
                        Ok(b) if rule == "requireDescription" => policy.require_description = b,
                        Ok(b) => policy.require_owner = b,
                        Err(r) => self.refused(r),
                    }
                }
                other => {
                    let hint = crate::names::nearest(other, Policy::RULES)
                        .map(|s| format!("did you mean '{s}'? "))
                        .unwrap_or_default();
                    self.problem(
                        k,
                        format!(
                            "policy: unknown rule '{other}'; {hint}the rules are {}",
                            Policy::RULES.join(", ")
                        ),
                    );
                }
            }
        }
        (self.problems.borrow().len() == before).then_some(policy)
    }
}

/// Names a rule in messages: `policy: requireOwner`.
struct PolicyLabel<'s>(&'s str);

impl std::fmt::Display for PolicyLabel<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "policy: {}", self.0)
    }
}
