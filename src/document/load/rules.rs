//! The rules of portable security.yml (docs/FORMAT.md) checked on tokenctl's own data as it
//! loads: how each scalar is written, explicit keys, flow collections closed too far left,
//! tabs, merge keys and tags. Each refusal is a problem with its position, and the lossless
//! rewrite `check --fix` makes where there is one.

use super::{FIX, FieldLabel, Loader};
use crate::document::Problem;
use crate::document::layout::{indent_of, line_start};
use crate::document::portable;
use crate::document::render::{double_quoted, render_scalar};
use crate::time::parse_timestamp_old;
use crate::yaml::{Kind, Node};
use saphyr_parser::ScalarStyle;

impl<'a> Loader<'a> {
    /// A scalar of tokenctl's data written so that every library reads it back: plain when
    /// the allow-list says so (and, for times, plain as tokenctl writes them), else quoted.
    pub(super) fn portable_text(&self, node: &Node<'_>, time: bool) -> Option<String> {
        let value = node.as_str()?;
        let plain_ok = if time {
            parse_timestamp_old(value).is_ok()
        } else {
            portable::plain_problem(value).is_none()
        };
        Some(if plain_ok && !value.is_empty() {
            if time {
                crate::time::portable_spelling(value)
            } else {
                value.to_string()
            }
        } else if time {
            double_quoted(value)
        } else {
            render_scalar(value)
        })
    }

    /// The rules of portable security.yml for one scalar of tokenctl's data. A problem for
    /// what is refused; the lossless rewrite of it for `check --fix`.
    pub(super) fn scalar_rules(&self, node: &Node<'_>, what: FieldLabel<'_>, rule: Rule) {
        let Kind::Scalar { value, style } = &node.kind else {
            return;
        };
        let span = &self.text[node.start..node.end.max(node.start)];
        // A one-line plain scalar's text is its value; a quoted one's, its value in quotes
        // (unless escaped): only a longer text can hold a line break.
        let may_break = |extra: usize| {
            span.len() != value.len() + extra
                && memchr::memchr2(b'\n', b'\r', span.as_bytes()).is_some()
        };
        // A rewrite of the whole node, only where it carries no anchor something may alias.
        let fixable = node.anchor == 0;
        let refuse = |why: String, suggest: bool| {
            let hint = if suggest && fixable {
                format!(
                    "; write it quoted ({}), or {FIX}",
                    self.portable_text(node, rule == Rule::Time)
                        .unwrap_or_default()
                )
            } else {
                String::new()
            };
            self.problem(node, format!("{what}: {why}{hint}"));
            if suggest && fixable && self.no_fix.get() == 0 {
                if let Some(t) = self.portable_text(node, rule == Rule::Time) {
                    self.fix(node.start, node.end, t);
                    let at = self.position(node.start);
                    self.port.borrow_mut().fixable.push(at);
                }
            }
        };
        match style {
            ScalarStyle::Literal | ScalarStyle::Folded => {
                if self.has_tab {
                    self.exempt.borrow_mut().push((node.start, node.end));
                }
                if rule != Rule::Description {
                    refuse(
                        "a block scalar (| or >) is allowed only in description in portable security.yml".into(),
                        true,
                    );
                }
                return;
            }
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                if self.has_tab {
                    self.exempt.borrow_mut().push((node.start, node.end));
                }
                if may_break(2) {
                    refuse(
                        "a quoted scalar over several lines: YAML libraries fold its lines differently".into(),
                        true,
                    );
                } else if *style == ScalarStyle::DoubleQuoted {
                    if let Some(c) = portable::portable_escapes(span) {
                        refuse(
                            format!(
                                "the escape \\{c} is YAML 1.2 only (PyYAML and SnakeYAML refuse it)"
                            ),
                            true,
                        );
                    }
                }
                return;
            }
            ScalarStyle::Plain => {}
        }
        if node.tag != 0 || value.is_empty() {
            return;
        }
        if may_break(0) {
            refuse(
                "a plain scalar over several lines: YAML libraries fold its lines differently"
                    .into(),
                true,
            );
            return;
        }
        if rule == Rule::Time {
            return;
        }
        if let Some(why) = portable::plain_problem(value) {
            refuse(why, true);
        }
    }

    /// `?` before a key of tokenctl's data: an explicit key.
    pub(super) fn explicit_key(&self, k: &Node<'_>) {
        if self.has_question && explicit_key_at(self.text.as_bytes(), k.start) {
            self.problem(
                k,
                "explicit keys (`? key`) are not part of portable security.yml in tokenctl's data; write `key: value`",
            );
        }
    }

    /// A multi-line flow collection closed at or left of its key's indentation (`[\n  x\n]`
    /// with `]` under the key): js-yaml 5 cannot load it.
    pub(super) fn flow_close(
        &self,
        node: &Node<'_>,
        what: FieldLabel<'_>,
        one_line: impl FnOnce() -> Option<String>,
    ) {
        // Most flow collections close right after their last item (`x]`): nothing to see.
        let b = self.text.as_bytes();
        if node.end < 2 || !matches!(b[node.end - 2], b' ' | b'\t' | b'\n' | b'\r') {
            return;
        }
        let flow = matches!(
            node.kind,
            Kind::Seq { flow: true, .. } | Kind::Map { flow: true, .. }
        );
        if !flow || node.end == 0 || !self.text[node.start..node.end].contains('\n') {
            return;
        }
        let close = node.end - 1;
        let col = self.text[line_start(self.text, close)..close]
            .chars()
            .count();
        let blank_before = self.text[line_start(self.text, close)..close]
            .trim()
            .is_empty();
        if blank_before && col <= indent_of(self.text, node.start) {
            let one = if node.anchor == 0 { one_line() } else { None };
            let hint = match &one {
                Some(t) => format!("; write it on one line ({t}), or {FIX}"),
                None => String::new(),
            };
            let (line, col) = self.position(close);
            self.problems.borrow_mut().push(Problem {
                line,
                col,
                message: format!("{what}: a flow collection over several lines closed at its key's indentation, which js-yaml 5 cannot load{hint}"),
            });
            if let Some(t) = one.filter(|_| self.no_fix.get() == 0) {
                self.fix(node.start, node.end, t);
                self.port.borrow_mut().fixable.push((line, col));
            }
        }
    }

    /// Tabs in tokenctl's sections outside quoted and block scalars: refused (PyYAML and
    /// ruamel refuse a tab before a comment; Go, SnakeYAML, PyYAML and ruamel a tab-indented
    /// line). In other tools' sections, a warning.
    pub(super) fn tabs(&self) {
        let b = self.text.as_bytes();
        if memchr::memchr(b'\t', b).is_none() {
            return;
        }
        let exempt = self.exempt.borrow();
        let mut reported_foreign = false;
        for at in memchr::memchr_iter(b'\t', b) {
            if exempt.iter().any(|&(s, e)| s <= at && at < e) {
                continue;
            }
            if self.ours.iter().any(|&(s, e)| s <= at && at < e) {
                let (line, col) = self.position(at);
                self.problems.borrow_mut().push(Problem {
                    line,
                    col,
                    message: "a tab in tokenctl's data outside a quoted string: PyYAML and ruamel.yaml refuse a tab before a comment, and Go's yaml, SnakeYAML, PyYAML and ruamel.yaml a tab-indented line; use spaces".into(),
                });
                return;
            }
            let line = &self.text[line_start(self.text, at)..];
            let in_indent = self.text[line_start(self.text, at)..at].trim().is_empty();
            let before_comment = line
                .get(at - line_start(self.text, at) + 1..)
                .is_some_and(|r| r.trim_start_matches([' ', '\t']).starts_with('#'));
            if !reported_foreign && (in_indent || before_comment) {
                reported_foreign = true;
                self.note(
                    at,
                    "another tool's section holds a tab (in indentation or before a comment): PyYAML and ruamel.yaml, and for an indenting tab also Go's yaml and SnakeYAML, cannot load the file; tokenctl keeps it as it is".into(),
                    false,
                );
            }
        }
    }

    /// Is `key` a merge key to YAML 1.1 parsers: the plain `<<`, or any key tagged `!!merge`
    /// (PyYAML merges on the tag whatever the key's text)?
    pub(super) fn merge(&self, key: &Node<'_>) -> bool {
        key.is_merge_key()
            || (key.tag != 0
                && self.tags.get(key.tag as usize - 1).map(String::as_str)
                    == Some("tag:yaml.org,2002:merge"))
    }

    /// Refuses a tag on a node of tokenctl's data, but the core schema's own for what the
    /// node is (`!!map`, `!!seq`, `!!str` on a quoted or plain string), which every parser
    /// reads the same. True when the tag was refused.
    pub(super) fn tagged(&self, node: &Node<'_>) -> bool {
        if node.tag == 0 {
            return false;
        }
        let tag = self
            .tags
            .get(node.tag as usize - 1)
            .map_or("", String::as_str);
        if tag == "tag:yaml.org,2002:str" && matches!(node.kind, Kind::Scalar { .. }) {
            self.deprecated(
                node.start,
                "the tag !!str (ruamel.yaml's default loader reads a tagged object, not a string)",
            );
            if node.anchor == 0 {
                let time = node
                    .as_str()
                    .is_some_and(|v| parse_timestamp_old(v).is_ok());
                if let Some(t) = self.portable_text(node, time) {
                    self.fix(node.start, node.end, t);
                }
            }
            return false;
        }
        self.problem(node, TAG);
        true
    }
}

/// How a scalar of tokenctl's data may be written.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Rule {
    /// Text: plain only within the allow-list, else quoted.
    Text,
    /// The description: text, and a block scalar is allowed too.
    Description,
    /// A time: plain (it is a timestamp to every library, which is meant) or quoted.
    Time,
}

pub(super) const TAG: &str = "tags (!...) are not allowed on tokenctl's data: YAML libraries resolve them differently; remove the tag";

/// Is the key starting at `start` read as an explicit key: a `?` indicator before it, with
/// only blanks and line breaks between (for the one-pass loader too).
pub(super) fn explicit_key_at(b: &[u8], start: usize) -> bool {
    let mut i = start;
    while i > 0 && matches!(b[i - 1], b' ' | b'\t' | b'\n' | b'\r') {
        i -= 1;
    }
    if !(i > 0
        && b[i - 1] == b'?'
        && (i == 1 || matches!(b[i - 2], b' ' | b'\t' | b'\n' | b'\r' | b'{' | b',' | b'['))
        && i < b.len()
        && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r'))
    {
        return false;
    }
    // The `?` is an indicator only where an entry may start: first on its line (after
    // indentation and `- `), or after a flow collection's `{`, `[` or `,`. At the end of a
    // comment (`# who owns this ?`) or of a plain scalar it is text.
    let q = i - 1;
    let before = &b[memchr::memrchr(b'\n', &b[..q]).map_or(0, |n| n + 1)..q];
    if before.iter().all(|c| matches!(c, b' ' | b'\t' | b'-')) {
        return true;
    }
    let in_comment = before
        .windows(2)
        .any(|w| matches!(w[0], b' ' | b'\t') && w[1] == b'#');
    !in_comment
        && before
            .iter()
            .rev()
            .find(|c| !matches!(c, b' ' | b'\t'))
            .is_some_and(|c| matches!(c, b'{' | b'[' | b','))
}
