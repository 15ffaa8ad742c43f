//! The desired-state file of `apply` (docs/CONFIG-MANAGEMENT.md, "Declarative keys: apply"), read from the same
//! positioned YAML tree as security.yml so every refusal names file, line and column.
//!
//! Two shapes are accepted: security.yml's own (`apiKeys:` holding name -> fields, optionally
//! with `version: 1`), or the bare mapping of name -> fields. A top level holding `apiKeys`
//! is the first shape, so a key that is itself named `apiKeys` needs the first shape.

use super::read::{self, Refused};
use crate::error::{Error, Result};
use crate::keys::{DefinitionInput, FieldError};
use crate::model::Field;
use crate::token::TokenHash;
use crate::yaml::{self, Kind, Node};
use ipnet::IpNet;
use jiff::Timestamp;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A 1-based line and column in the desired-state file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

/// A parsed desired-state file: keys in the order it lists them.
#[derive(Debug, Clone)]
pub struct DesiredState {
    /// Where it came from (`<stdin>` for `-`), for messages.
    pub path: PathBuf,
    pub keys: Vec<DesiredKey>,
}

/// One key as the desired state wants it. For each field, `None` means "not listed: leave it
/// as it is"; for optional fields `Some(None)` means "listed as null: remove it".
#[derive(Debug, Clone, Default)]
pub struct DesiredKey {
    pub name: String,
    pub description: Option<Option<String>>,
    pub owner: Option<Option<String>>,
    pub enabled: Option<bool>,
    pub permissions: Option<Vec<String>>,
    pub hash: Option<TokenHash>,
    pub expires_at: Option<Option<Timestamp>>,
    pub allowed_ips: Option<Option<Vec<IpNet>>>,
    pub path_prefix: Option<Option<String>>,
    pub resources: Option<Option<Vec<String>>>,
    /// Where the name is.
    pub at: Pos,
    /// Where each listed field's value is.
    pub field_at: HashMap<Field, Pos>,
    /// Where each item of a listed list field is, in list order.
    pub items_at: HashMap<Field, Vec<Pos>>,
}

impl DesiredKey {
    /// Where `field`'s value is, or the name when the field is not listed.
    pub fn pos(&self, field: Field) -> Pos {
        self.field_at.get(&field).copied().unwrap_or(self.at)
    }

    /// Where item `i` of a list field is, or the field when there is no such item.
    pub fn item_pos(&self, field: Field, i: usize) -> Pos {
        self.items_at
            .get(&field)
            .and_then(|items| items.get(i))
            .copied()
            .unwrap_or_else(|| self.pos(field))
    }
}

impl DesiredState {
    /// A positioned error about this file.
    pub fn error(&self, Pos { line, column }: Pos, message: impl Into<String>) -> Error {
        Error::Syntax {
            path: self.path.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    /// Parses a desired-state text; the first problem is the error.
    pub fn parse(path: &Path, text: &str) -> Result<DesiredState> {
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let tree = yaml::parse(body).map_err(|e| Error::Syntax {
            path: path.to_path_buf(),
            line: e.line,
            column: e.col,
            message: e.message,
        })?;
        let root = tree.root;
        let mut p = Parser {
            path: path.to_path_buf(),
            anchors: HashMap::new(),
            lines: yaml::Lines::new(body),
        };
        let Some(root) = root.filter(|r| !r.is_null()) else {
            // An empty input is far more often a mistake (an empty pipe) than a wish to have
            // no keys, and with --prune it would revoke everything: make that explicit.
            return Err(Error::Invalid {
                path: path.to_path_buf(),
                message: "the desired state is empty; to want no keys at all, write `apiKeys: {}`"
                    .into(),
            });
        };
        if let Some(tagged) = first_tagged(&root) {
            return Err(p.err(
                tagged,
                "tags (!...) are not allowed in the desired state: parsers resolve them differently; remove the tag",
            ));
        }
        p.anchors = yaml::anchors(&root)
            .into_iter()
            .filter(|(_, n)| matches!(n.kind, Kind::Scalar { .. } | Kind::Seq { .. }))
            .map(|(id, n)| (id, n.clone()))
            .collect();
        let keys = p.top(&root)?;
        Ok(DesiredState {
            path: path.to_path_buf(),
            keys,
        })
    }
}

struct Parser<'t> {
    path: PathBuf,
    anchors: HashMap<u32, Node<'t>>,
    /// For the line and column of a node in messages.
    lines: yaml::Lines<'t>,
}

impl<'t> Parser<'t> {
    fn err(&self, node: &Node<'_>, message: impl Into<String>) -> Error {
        self.err_at(self.pos(node), message)
    }

    fn err_at(&self, Pos { line, column }: Pos, message: impl Into<String>) -> Error {
        Error::Syntax {
            path: self.path.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    /// A value the shared reader refused, at its position.
    fn refused(&self, r: Refused) -> Error {
        let (line, column) = self.lines.position(r.at);
        self.err_at(Pos { line, column }, r.message)
    }

    /// 1-based line and column of a node.
    fn pos(&self, node: &Node<'_>) -> Pos {
        let (line, column) = self.lines.position(node.start);
        Pos { line, column }
    }

    /// Follows an alias to its anchored scalar or list (one level, never expanded further).
    fn resolve<'n>(&'n self, node: &'n Node<'t>) -> Result<&'n Node<'t>> {
        match node.kind {
            Kind::Alias(id) => self.anchors.get(&id).ok_or_else(|| {
                self.err(
                    node,
                    "an alias here must point to an anchored text or list, not a mapping",
                )
            }),
            _ => Ok(node),
        }
    }

    fn top(&self, root: &Node<'t>) -> Result<Vec<DesiredKey>> {
        let Kind::Map { entries, .. } = &root.kind else {
            return Err(self.err(
                root,
                format!(
                    "the desired state must be a mapping (`apiKeys:` of name -> fields, or name -> fields), not {}",
                    root.type_name()
                ),
            ));
        };
        let wrapped = entries.iter().any(|(k, _)| k.as_str() == Some("apiKeys"));
        if !wrapped {
            return self.keys(root);
        }
        let mut keys = None;
        for (k, v) in entries {
            match k.as_str() {
                Some("apiKeys") if keys.is_some() => {
                    return Err(self.err(k, "apiKeys is listed twice"));
                }
                Some("apiKeys") => {
                    keys = Some(if v.is_null() {
                        Vec::new()
                    } else {
                        self.keys(self.resolve(v)?)?
                    });
                }
                Some("version") => {
                    if v.as_str() != Some("1") {
                        return Err(self.err(v, "version must be 1 (or left out)"));
                    }
                }
                other => {
                    return Err(self.err(
                        k,
                        format!(
                            "unknown top-level field {:?}: apply manages only apiKeys (and accepts version: 1); edit the rest of security.yml by hand or with a template",
                            other.unwrap_or("?")
                        ),
                    ));
                }
            }
        }
        Ok(keys.unwrap_or_default())
    }

    fn keys(&self, map: &Node<'t>) -> Result<Vec<DesiredKey>> {
        let Kind::Map { entries, .. } = &map.kind else {
            return Err(self.err(
                map,
                format!(
                    "apiKeys must be a mapping of key name to fields, not {}",
                    map.type_name()
                ),
            ));
        };
        let mut seen: HashMap<&str, Pos> = HashMap::new();
        let mut out = Vec::with_capacity(entries.len());
        for (name_node, def) in entries {
            let Some(name) = name_node
                .as_str()
                .filter(|_| matches!(name_node.kind, Kind::Scalar { .. }))
            else {
                return Err(self.err(name_node, "a key name must be text"));
            };
            if let Some(p) = crate::names::problem(name) {
                return Err(self.err(
                    name_node,
                    format!("invalid key name {name:?}: {p}; use 1 to 64 of A-Z a-z 0-9 - _ ."),
                ));
            }
            if let Some(Pos { line, column: col }) = seen.insert(name, self.pos(name_node)) {
                return Err(self.err(
                    name_node,
                    format!("key '{name}' is listed twice (first at line {line}, column {col}); list each key once"),
                ));
            }
            out.push(self.key(name, name_node, self.resolve(def)?)?);
        }
        Ok(out)
    }

    fn key(&self, name: &str, name_node: &Node<'t>, def: &Node<'t>) -> Result<DesiredKey> {
        let mut key = DesiredKey {
            name: name.to_string(),
            at: self.pos(name_node),
            ..DesiredKey::default()
        };
        if def.is_null() {
            // `name:` alone: the key should exist, with whatever the file has (or defaults).
            return Ok(key);
        }
        let Kind::Map { entries, .. } = &def.kind else {
            return Err(self.err(
                def,
                format!(
                    "key '{name}' must be a mapping of fields (permissions, hash, ...), not {}",
                    def.type_name()
                ),
            ));
        };
        // The fields listed with a value, checked below as every writer's are.
        let mut input = DefinitionInput::default();
        for (fk, fv) in entries {
            let Some(field) = fk.as_str() else {
                return Err(self.err(fk, "a field name must be text"));
            };
            let Some(field) = field.parse().ok().filter(|f| Field::DESIRED.contains(f)) else {
                return Err(self.err(fk, unknown_field(name, field)));
            };
            let what = format!("key '{name}': {field}");
            let fv = self.resolve(fv)?;
            if key.field_at.insert(field, self.pos(fv)).is_some() {
                return Err(self.err(fk, format!("key '{name}': field '{field}' is listed twice")));
            }
            match field {
                Field::Description => {
                    let d = self.optional_text(fv, &what)?;
                    key.description = Some(d.clone());
                    input.description = d;
                }
                Field::Owner => {
                    // null removes it; text is checked by the one rule set below.
                    let o = self.optional_text(fv, &what)?;
                    key.owner = Some(o.clone());
                    input.owner = o;
                }
                Field::Enabled => {
                    let enabled = read::boolean(fv, &what).map_err(|r| self.refused(r))?;
                    key.enabled = Some(enabled);
                    input.enabled = Some(enabled);
                }
                Field::Permissions => {
                    let list = self.list(fv, &what)?;
                    let mut seen = std::collections::HashSet::new();
                    for (scope, node) in &list {
                        if !seen.insert(scope.as_str()) {
                            return Err(
                                self.err(node, format!("{what}: '{scope}' is listed twice"))
                            );
                        }
                    }
                    input.permissions = Some(self.items(field, &mut key, list));
                }
                Field::Hash => {
                    let text = self.text(fv, &what)?;
                    key.hash = Some(TokenHash::parse(&text).ok_or_else(|| {
                        self.err(
                            fv,
                            format!("{what} must be sha256: followed by 64 lowercase hex digits (the SHA-256 of the whole token)"),
                        )
                    })?);
                }
                Field::ExpiresAt => {
                    // Checked against the key's expiry before by the plan (keys::check_expiry).
                    key.expires_at = Some(if fv.is_null() {
                        None
                    } else {
                        let text = self.text(fv, &what)?;
                        // To the whole second, as the file stores it: a second apply sees no
                        // difference.
                        Some(crate::time::parse_timestamp(&text).map_err(|e| {
                            self.err(fv, format!("{what}: {e}; or null for no expiry"))
                        })?)
                    })
                }
                Field::AllowedIps => {
                    key.allowed_ips = Some(None);
                    if !fv.is_null() {
                        let list = self.list(fv, &what)?;
                        input.allowed_ips = Some(self.items(field, &mut key, list));
                    }
                }
                Field::PathPrefix => {
                    key.path_prefix = Some(None);
                    input.path_prefix = self.optional_text(fv, &what)?;
                }
                Field::Resources => {
                    key.resources = Some(None);
                    if !fv.is_null() {
                        let list = self.list(fv, &what)?;
                        input.resources = Some(self.items(field, &mut key, list));
                    }
                }
                Field::Name | Field::CreatedAt | Field::PreviousHashes => {
                    unreachable!("not a desired field")
                }
            }
        }
        // The one rule set of every writer (keys::definition): the expiry aside (above),
        // checked at now, a time no field given here depends on.
        let def = input
            .check(jiff::Timestamp::UNIX_EPOCH)
            .map_err(|e| self.field_error(&key, e))?;
        if let Some(p) = def.permissions {
            key.permissions = Some(p);
        }
        if def.allowed_ips.is_some() {
            key.allowed_ips = Some(def.allowed_ips);
        }
        if key.path_prefix.is_some() {
            key.path_prefix = Some(def.path_prefix);
        }
        if def.resources.is_some() {
            key.resources = Some(def.resources);
        }
        Ok(key)
    }

    /// The texts of a list field, with each item's position kept for messages.
    fn items(
        &self,
        field: Field,
        key: &mut DesiredKey,
        list: Vec<(String, Node<'t>)>,
    ) -> Vec<String> {
        key.items_at
            .insert(field, list.iter().map(|(_, n)| self.pos(n)).collect());
        list.into_iter().map(|(s, _)| s).collect()
    }

    /// A refused definition, at the item or the field it names.
    fn field_error(&self, key: &DesiredKey, e: FieldError) -> Error {
        let at = match e.index {
            Some(i) => key.item_pos(e.field, i),
            None => key.pos(e.field),
        };
        let message = match e.index {
            // The item's problem names its value.
            Some(_) => format!("key '{}': {}", key.name, e.problem),
            None => e.message(&format!("key '{}': {}", key.name, e.field)),
        };
        self.err_at(at, message)
    }

    /// Text, which must not be a token: one pasted into the desired state would be written
    /// to security.yml.
    fn text(&self, node: &Node<'t>, what: &str) -> Result<String> {
        let value = read::text(node, what).map_err(|r| self.refused(r))?;
        if crate::text::contains_token(value) {
            return Err(self.err(
                node,
                format!("{what} is a token of tokenctl's form: a secret does not belong here (the file keeps only hashes); remove it, and rotate it if it is a real one"),
            ));
        }
        Ok(value.to_string())
    }

    fn optional_text(&self, node: &Node<'t>, what: &str) -> Result<Option<String>> {
        if node.is_null() {
            return Ok(None);
        }
        self.text(node, what).map(Some)
    }

    fn list(&self, node: &Node<'t>, what: &str) -> Result<Vec<(String, Node<'t>)>> {
        let items = read::list(node, what).map_err(|r| self.refused(r))?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let item = self.resolve(item)?;
            read::item_text(item, what).map_err(|r| self.refused(r))?;
            let value = self.text(item, &format!("{what}: each item"))?;
            out.push((value, item.clone()));
        }
        Ok(out)
    }
}

fn unknown_field(name: &str, field: &str) -> String {
    match field {
        "createdAt" => format!(
            "key '{name}': createdAt is set by tokenctl when it creates a key; remove it from the desired state"
        ),
        "previousHashes" => format!(
            "key '{name}': previousHashes belong to `tokenctl rotate --grace`; remove them from the desired state"
        ),
        _ => {
            let names = Field::DESIRED.map(Field::yaml_name);
            let hint = crate::names::nearest(field, names)
                .map(|s| format!("; did you mean '{s}'?"))
                .unwrap_or_default();
            format!(
                "key '{name}': unknown field '{field}'{hint} (a desired key may list {})",
                names.join(", ")
            )
        }
    }
}

/// The first node of the tree that carries a tag.
fn first_tagged<'a, 't>(root: &'a Node<'t>) -> Option<&'a Node<'t>> {
    let mut todo = vec![root];
    while let Some(n) = todo.pop() {
        if n.tag != 0 {
            return Some(n);
        }
        match &n.kind {
            Kind::Seq { items, .. } => todo.extend(items.iter().rev()),
            Kind::Map { entries, .. } => {
                todo.extend(entries.iter().rev().flat_map(|(k, v)| [v, k]))
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DesiredState> {
        DesiredState::parse(Path::new("d.yml"), text)
    }

    #[test]
    fn both_shapes_give_the_same_keys() {
        let bare = parse("ci:\n  permissions: [dns:read]\n  enabled: false\n").unwrap();
        let wrapped =
            parse("version: 1\napiKeys:\n  ci:\n    permissions: [dns:read]\n    enabled: false\n")
                .unwrap();
        for d in [bare, wrapped] {
            assert_eq!(d.keys.len(), 1);
            assert_eq!(d.keys[0].name, "ci");
            assert_eq!(
                d.keys[0].permissions.as_deref(),
                Some(&["dns:read".into()][..])
            );
            assert_eq!(d.keys[0].enabled, Some(false));
            assert_eq!(d.keys[0].description, None);
        }
    }

    #[test]
    fn null_removes_and_absent_keeps() {
        let d = parse("ci:\n  expiresAt: null\n  description: ~\n").unwrap();
        assert_eq!(d.keys[0].expires_at, Some(None));
        assert_eq!(d.keys[0].description, Some(None));
        assert_eq!(d.keys[0].allowed_ips, None);
    }

    #[test]
    fn refusals_point_at_the_problem() {
        let cases = [
            (
                "ci:\n  permisions: [x]\n",
                2,
                3,
                "did you mean 'permissions'",
            ),
            ("ci:\n  hash: sha256:ABC\n", 2, 9, "64 lowercase hex"),
            ("a b:\n  enabled: true\n", 1, 1, "invalid key name"),
            ("ci: {}\nci: {}\n", 2, 1, "listed twice"),
            (
                "ci:\n  createdAt: 2026-01-01T00:00:00Z\n",
                2,
                3,
                "createdAt is set by tokenctl",
            ),
            (
                "apiKeys: {}\npermissions: [a]\n",
                2,
                1,
                "apply manages only apiKeys",
            ),
            ("ci:\n  expiresAt: 30d\n", 2, 14, "RFC 3339"),
            ("ci:\n  permissions: [a, a]\n", 2, 20, "listed twice"),
        ];
        for (text, line, column, needle) in cases {
            match parse(text) {
                Err(Error::Syntax {
                    line: l,
                    column: c,
                    message,
                    ..
                }) => {
                    assert_eq!((l, c), (line, column), "{text:?}: {message}");
                    assert!(message.contains(needle), "{text:?}: {message}");
                }
                other => panic!("{text:?}: expected a positioned error, got {other:?}"),
            }
        }
        assert!(matches!(parse("# nothing\n"), Err(Error::Invalid { .. })));
        assert!(parse("apiKeys: {}\n").unwrap().keys.is_empty());
    }
}
