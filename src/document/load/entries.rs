//! The walk of `apiKeys`: each entry and its fields, read into the model and the layout.

use super::rules::Rule;
use super::{FieldLabel, Loader, MERGE, Seen};
use crate::document::layout::{self, ApiLayout, ApiValue, EntryLayout, FieldLayout, indent_of};
use crate::document::read;
use crate::model::{self, ApiKey, Field};
use crate::token::TokenHash;
use crate::yaml::{self, Kind, Node};
use saphyr_parser::ScalarStyle;

impl<'a> Loader<'a> {
    /// Reads apiKeys, consuming each definition once read.
    pub(super) fn api_keys(
        &mut self,
        k: &Node<'a>,
        v: &mut Node<'a>,
        keys: &mut Vec<ApiKey>,
    ) -> (ApiLayout, Vec<EntryLayout>, Vec<u32>) {
        let mut layouts = Vec::new();
        let mut of_key = Vec::new();
        self.tagged(v);
        let value = match &v.kind {
            _ if v.is_null() => {
                self.note(
                    k.start,
                    "apiKeys is null: tokenctl reads it as no keys, but every YAML library reads null, not the mapping servers expect; write `apiKeys: {}` (or run `tokenctl check --fix`)".into(),
                    false,
                );
                if v.start == v.end {
                    if let Some(colon) = layout::colon_after(self.text, k.end) {
                        self.fix(colon + 1, colon + 1, " {}".into());
                    }
                } else {
                    self.fix(v.start, v.end, "{}".into());
                }
                ApiValue::Null {
                    start: v.start,
                    end: v.end,
                }
            }
            Kind::Map { flow: true, .. } => ApiValue::Flow { end: v.end },
            Kind::Map { .. } => ApiValue::Block,
            _ => {
                self.problem(
                    v,
                    format!(
                        "apiKeys must be a mapping of key name to definition, not {}",
                        v.type_name()
                    ),
                );
                ApiValue::Null {
                    start: v.end,
                    end: v.end,
                }
            }
        };
        let api = ApiLayout {
            key_start: k.start,
            key_end: k.end,
            value,
            value_props: v.anchor != 0 || v.tag != 0,
            value_anchor: v.anchor,
            next_top_line: None,
        };
        if let Kind::Map { entries, .. } = &mut v.kind {
            layouts.reserve_exact(entries.len());
            keys.reserve_exact(entries.len());
            of_key.reserve_exact(entries.len());
            let mut names = Seen::new();
            for (name_node, def) in entries.iter_mut() {
                let name_node: &Node<'a> = name_node;
                // Taken out of the tree, and so freed once read.
                let def = std::mem::replace(def, Node::placeholder());
                if self.merge(name_node) {
                    self.problem(name_node, format!("apiKeys: {MERGE}"));
                    continue;
                }
                let Some(name) = name_node
                    .as_str()
                    .filter(|_| matches!(name_node.kind, Kind::Scalar { .. }))
                else {
                    self.problem(name_node, "a key name must be text");
                    continue;
                };
                self.tagged(name_node);
                self.explicit_key(name_node);
                if let Some(what) =
                    yaml::core_schema_non_text(name).filter(|_| name_node.is_plain())
                {
                    self.problem(
                        name_node,
                        format!("key name {name} is {what} to YAML parsers, not text; quote it ('{name}')"),
                    );
                } else if let Some(what) =
                    yaml::yaml11_non_text(name).filter(|_| name_node.is_plain())
                {
                    self.problem(
                        name_node,
                        format!("key name {name} is {what} to YAML 1.1 parsers such as PyYAML, not text; quote it ('{name}')"),
                    );
                } else if name_node.tag == 0 {
                    self.scalar_rules(
                        name_node,
                        FieldLabel {
                            key: None,
                            field: "key name",
                        },
                        Rule::Text,
                    );
                }
                if let Some(p) = crate::names::problem(name) {
                    self.problem(name_node, format!("invalid key name {name:?}: {p}"));
                }
                if !names.first(name) {
                    self.problem(name_node, format!("duplicate key name '{name}'"));
                    continue;
                }
                let (entry, layout) = self.entry(name, name_node, &def);
                if let Some(entry) = entry {
                    keys.push(entry);
                    of_key.push(u32::try_from(layouts.len()).expect("under 2^32 entries"));
                }
                layouts.push(layout);
            }
        }
        (api, layouts, of_key)
    }

    pub(super) fn entry(
        &mut self,
        name: &str,
        name_node: &Node<'a>,
        def: &Node<'a>,
    ) -> (Option<ApiKey>, EntryLayout) {
        let mut layout = EntryLayout::new(
            name_node.start..name_node.end,
            def.start..def.end.max(name_node.end),
            yaml::content_start(self.text, def),
            ends_in_block_scalar(def),
        );
        let before = self.problems.borrow().len();
        self.tagged(def);
        self.anchored(def);
        self.flow_close(
            def,
            FieldLabel {
                key: Some(name),
                field: "definition",
            },
            || None,
        );
        let Kind::Map { entries, flow } = &def.kind else {
            self.problem(
                def,
                format!(
                    "key '{name}' must be a mapping of fields (hash, permissions, ...), not {}",
                    def.type_name()
                ),
            );
            return (None, layout);
        };
        let mut fields = Vec::with_capacity(entries.len());
        let mut key = ApiKey::new(name.to_string(), TokenHash([0; 32]));
        let mut has_hash = false;
        let mut seen = Seen::new();
        for (fk, fv) in entries {
            if self.merge(fk) {
                self.problem(fk, format!("key '{name}': {MERGE}"));
                continue;
            }
            let Some(field) = fk.as_str() else {
                self.problem(fk, "a field name must be text");
                continue;
            };
            let ours = field.parse::<Field>().ok();
            let known = ours.is_some();
            if known {
                self.explicit_key(fk);
                self.anchored(fv);
            }
            if !seen.first(field) {
                self.problem(fk, format!("key '{name}': duplicate field '{field}'"));
                continue;
            }
            let block_list_indent = match &fv.kind {
                Kind::Seq { flow: false, items } if !items.is_empty() => {
                    Some(indent_of(self.text, fv.start))
                }
                _ => None,
            };
            fields.push(FieldLayout::new(
                ours,
                fk.start..fk.end,
                fv.start..fv.end.max(fk.end),
                yaml::content_start(self.text, fv),
                fv.anchor,
                block_list_indent,
            ));
            let what = FieldLabel {
                key: Some(name),
                field,
            };
            if known && (self.tagged(fk) || self.tagged(fv)) {
                continue;
            }
            match ours {
                Some(Field::Description) => key.description = self.string(fv, what),
                Some(Field::Owner) => key.owner = self.owner(fv, what),
                Some(Field::Enabled) => match read::boolean(self.resolve(fv), what) {
                    Ok(b) => key.enabled = b,
                    Err(r) => self.refused(r),
                },
                Some(Field::Permissions) => {
                    if let Some(list) = self.list(fv, what) {
                        for (s, node) in &list {
                            if let Some(p) = model::scope_problem(s) {
                                self.problem(node, format!("key '{name}': {p}"));
                            }
                        }
                        key.permissions = list.into_iter().map(|(s, _)| s).collect();
                    }
                }
                Some(Field::Hash) => {
                    has_hash = true;
                    let parsed = self.str_of(fv, what).map(TokenHash::parse);
                    // A plain sha256:<hex> is portable as it is: the rules only for the rest.
                    let v = self.resolve_quiet(fv);
                    if !v.is_plain() || !matches!(parsed, Some(Some(_))) {
                        self.scalar_rules(v, what, Rule::Text);
                    }
                    match parsed {
                        Some(Some(h)) => key.hash = h,
                        Some(None) => self.problem(
                            fv,
                            format!("{what} must be sha256: followed by 64 lowercase hex digits"),
                        ),
                        None => {}
                    }
                }
                Some(Field::CreatedAt) => key.created_at = self.time(fv, what),
                Some(Field::ExpiresAt) => key.expires_at = self.time(fv, what),
                Some(Field::AllowedIps) => {
                    self.empty_restriction(fv, what, Field::AllowedIps);
                    if let Some(list) = self.list(fv, what) {
                        let mut nets = Vec::new();
                        for (s, node) in list {
                            match model::parse_cidr(&s) {
                                Ok(n) => nets.push(n),
                                Err(e) => self.problem(node, format!("key '{name}': {e}")),
                            }
                        }
                        key.allowed_ips = Some(nets);
                    }
                }
                Some(Field::PathPrefix) => {
                    key.path_prefix = self.string(fv, what);
                    if let Some(p) = &key.path_prefix {
                        if !model::valid_path_prefix(p) {
                            self.problem(fv, format!("{what} {}", model::PATH_PREFIX_RULE));
                        }
                    }
                }
                Some(Field::Resources) => {
                    key.resources = self
                        .list(fv, what)
                        .map(|l| l.into_iter().map(|(s, _)| s).collect());
                    self.empty_restriction(fv, what, Field::Resources);
                }
                Some(Field::PreviousHashes) => key.previous_hashes = self.previous(fv, what),
                // Field::Name is no field of a key's mapping: `parse` never gives it.
                Some(Field::Name) | None => {
                    if let Some(ours) = crate::names::misspelled_ours(field) {
                        self.note(
                            fk.start,
                            format!("key '{name}': field '{field}' looks like '{ours}' misspelled: tokenctl keeps it as another tool's data; correct the spelling, or rename it with an x- prefix if it is another tool's"),
                            false,
                        );
                    }
                    self.foreign(fv)
                }
            }
        }
        layout.set_fields(*flow, fields);
        if !has_hash {
            self.problem(
                name_node,
                format!("key '{name}' has no hash; every key needs `hash: sha256:<64 hex>`"),
            );
        }
        // A key whose every problem `check --fix` rewrites away is read (for the rewrite's
        // proof); `Document::load` refuses the file all the same.
        let ok = {
            let problems = self.problems.borrow();
            let port = self.port.borrow();
            problems[before..]
                .iter()
                .all(|p| port.fixable.contains(&(p.line, p.col)))
        };
        (ok.then_some(key), layout)
    }
}

/// Does the last node of `def`, going down through last children, hold a block scalar?
fn ends_in_block_scalar(def: &Node<'_>) -> bool {
    let mut n = def;
    loop {
        match &n.kind {
            Kind::Map { entries, .. } => match entries.last() {
                Some((_, v)) => n = v,
                None => return false,
            },
            Kind::Seq { items, .. } => match items.last() {
                Some(v) => n = v,
                None => return false,
            },
            Kind::Scalar { style, .. } => {
                return matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
            }
            Kind::Alias(_) => return false,
        }
    }
}
