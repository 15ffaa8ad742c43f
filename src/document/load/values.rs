//! Reading typed values of tokenctl's data: strings, timestamps, lists and previousHashes.

use super::rules::Rule;
use super::{FieldLabel, Loader, MERGE, Suspend};
use crate::document::read;
use crate::model::PreviousHash;
use crate::time::{OldTime, parse_timestamp_old};
use crate::token::TokenHash;
use crate::yaml::{self, Kind, Node};
use jiff::Timestamp;

impl<'a> Loader<'a> {
    pub(super) fn string(&self, node: &Node<'a>, what: FieldLabel<'_>) -> Option<String> {
        let s = self.str_of(node, what).map(String::from);
        let _suspended = matches!(node.kind, Kind::Alias(_)).then(|| Suspend::new(&self.no_fix));
        let rule = if what.field == "description" {
            Rule::Description
        } else {
            Rule::Text
        };
        self.scalar_rules(self.resolve_quiet(node), what, rule);
        s
    }

    /// The owner: text, one line of 1 to 128 printable characters. tokenctl 0.1 kept an
    /// `owner` as another tool's data, so a refusal also says how to keep such data.
    pub(super) fn owner(&self, node: &Node<'a>, what: FieldLabel<'_>) -> Option<String> {
        const RENAME: &str = "; rename it (for example to x-owner) if it is another tool's data";
        let resolved = self.resolve(node);
        if self.tagged(resolved) {
            return None;
        }
        let s = match read::text(resolved, what) {
            Ok(s) => s.to_string(),
            Err(mut r) => {
                r.message.push_str(RENAME);
                self.refused(r);
                return None;
            }
        };
        {
            let _suspended =
                matches!(node.kind, Kind::Alias(_)).then(|| Suspend::new(&self.no_fix));
            self.scalar_rules(resolved, what, Rule::Text);
        }
        if let Some(p) = crate::model::owner_problem(&s) {
            self.problem(node, format!("{what} {p}{RENAME}"));
            return None;
        }
        Some(s)
    }

    /// As [`Loader::resolve`], without noting the alias again.
    pub(super) fn resolve_quiet<'n>(&'n self, node: &'n Node<'a>) -> &'n Node<'a> {
        match node.kind {
            Kind::Alias(id) => self.anchors.get(&id).unwrap_or(node),
            _ => node,
        }
    }

    /// A scalar's text, borrowed from the tree. A null is a problem: the field must hold
    /// text, or be left out.
    pub(super) fn str_of<'n>(
        &'n self,
        node: &'n Node<'a>,
        what: FieldLabel<'_>,
    ) -> Option<&'n str> {
        let node = self.resolve(node);
        if self.tagged(node) {
            return None;
        }
        read::text(node, what).map_err(|r| self.refused(r)).ok()
    }

    pub(super) fn time(&self, node: &Node<'a>, what: FieldLabel<'_>) -> Option<Timestamp> {
        let s = self.str_of(node, what)?;
        let _suspended = matches!(node.kind, Kind::Alias(_)).then(|| Suspend::new(&self.no_fix));
        let node = self.resolve_quiet(node);
        // A plain time that reads is one line and no block scalar: the rules only for the rest.
        if !node.is_plain() {
            self.scalar_rules(node, what, Rule::Time);
        }
        match parse_timestamp_old(s) {
            Ok((t, old)) => {
                match old {
                    Some(OldTime::Lowercase) => {
                        self.deprecated(
                            node.start,
                            &format!("{what}: {}", OldTime::Lowercase.what()),
                        );
                        if node.anchor == 0 && node.tag == 0 {
                            let at = yaml::content_start(self.text, node);
                            let raw = &self.text[at..node.end];
                            self.fix(at, node.end, crate::time::portable_spelling(raw));
                        }
                    }
                    Some(OldTime::YearZero) => self
                        .deprecated(node.start, &format!("{what}: {}", OldTime::YearZero.what())),
                    None => {}
                }
                if t < crate::time::GREGORIAN {
                    self.note(
                        node.start,
                        format!("{what}: {s} is before 1583: tokenctl reads it as the past it is, but SnakeYAML, js-yaml 4 and npm `yaml` read such dates days off (other calendars)"),
                        false,
                    );
                }
                Some(t)
            }
            Err(e) => {
                self.problem(node, format!("{what}: {e}"));
                None
            }
        }
    }

    pub(super) fn list<'n>(
        &'n self,
        node: &'n Node<'a>,
        what: FieldLabel<'_>,
    ) -> Option<Vec<(String, &'n Node<'a>)>> {
        let via_alias = matches!(node.kind, Kind::Alias(_));
        let node = self.resolve(node);
        if self.tagged(node) {
            return None;
        }
        // What an alias stands for may lie in another tool's data: it is not rewritten.
        let _suspended = via_alias.then(|| Suspend::new(&self.no_fix));
        self.flow_close(node, what, || match &node.kind {
            Kind::Seq { items, .. } => items
                .iter()
                .map(|i| match i.kind {
                    Kind::Scalar { .. } if i.anchor == 0 && i.tag == 0 => {
                        self.portable_text(i, false)
                    }
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .map(|v| format!("[{}]", v.join(", "))),
            _ => None,
        });
        let items = read::list(node, what).map_err(|r| self.refused(r)).ok()?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let item = self.resolve(item);
            if self.tagged(item) {
                continue;
            }
            self.anchored(item);
            match read::item_text(item, what) {
                Ok(value) => {
                    self.scalar_rules(item, what, Rule::Text);
                    out.push((value.to_string(), item))
                }
                Err(r) => self.refused(r),
            }
        }
        Some(out)
    }

    pub(super) fn previous(&self, node: &Node<'a>, what: FieldLabel<'_>) -> Vec<PreviousHash> {
        if node.is_null() {
            self.problem(
                node,
                format!("{what} is null; write [] for none, or leave the field out"),
            );
            return Vec::new();
        }
        let Kind::Seq { items, .. } = &node.kind else {
            self.problem(
                node,
                format!("{what} must be a list of {{hash, expiresAt}}"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            if self.tagged(item) {
                continue;
            }
            let Kind::Map { entries, .. } = &item.kind else {
                self.problem(
                    item,
                    format!("{what}: each item must be a mapping with hash and expiresAt"),
                );
                continue;
            };
            let (mut hash, mut expires, mut has_expires) = (None, None, false);
            for (k, v) in entries {
                if self.merge(k) {
                    self.problem(k, format!("{what}: {MERGE}"));
                    continue;
                }
                match k.as_str() {
                    Some("hash") => match self.str_of(v, what).map(TokenHash::parse) {
                        Some(Some(h)) => hash = Some(h),
                        Some(None) => self.problem(
                            v,
                            format!(
                                "{what}: hash must be sha256: followed by 64 lowercase hex digits"
                            ),
                        ),
                        None => {}
                    },
                    Some("expiresAt") => {
                        has_expires = true;
                        expires = self.time(v, what);
                    }
                    _ => {}
                }
            }
            match (hash, expires) {
                (Some(hash), Some(expires_at)) => out.push(PreviousHash { hash, expires_at }),
                // A malformed expiresAt was reported where it stands.
                (Some(_), None) if has_expires => {}
                (Some(_), None) => {
                    self.problem(item, format!("{what}: every item needs an expiresAt"))
                }
                (None, _) => self.problem(item, format!("{what}: every item needs a hash")),
            }
        }
        out
    }
}
