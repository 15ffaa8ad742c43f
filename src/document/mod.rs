//! The document layer: security.yml as text, typed model and layout.
//!
//! [`Document::load`] reads the syntax tree ([`crate::yaml`]) into the model
//! ([`crate::model::SecurityFile`]) and records where each key and field sits
//! (`layout`, by `load`). A write is an [`Edit`] said of the model (`edit`); the
//! planner (`plan`) makes it the new text by splices at those positions, with scalars
//! written by [`render`]; the prover (`prove`) checks the whole new text reads as intended
//! before the store replaces the file ([`Document::edited`] does both).

pub mod desired;
pub(crate) mod edit;
mod layout;
mod load;
mod plan;
mod portable;
pub(crate) mod prove;
mod read;
pub mod render;

pub use desired::{DesiredKey, DesiredState};
pub use edit::{Edit, NewText, set_field};
pub use render::{Value, key_fields, render_scalar};

use crate::error::{Error, Result};
use crate::model::SecurityFile;
use layout::Layout;
use std::path::{Path, PathBuf};

/// A problem found while loading, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl Problem {
    /// `path:line:column: message`, the form every reader of a file says it in.
    pub(crate) fn at(&self, path: &Path) -> String {
        format!(
            "{}:{}:{}: {}",
            path.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

/// A loaded security.yml.
#[derive(Debug, Clone)]
pub struct Document {
    pub path: PathBuf,
    pub text: String,
    pub model: SecurityFile,
    /// The file did not exist: this is the empty document a first write starts from.
    pub missing: bool,
    layout: Layout,
}

/// What a new file starts as.
pub const NEW_FILE: &str = "version: 1\napiKeys:\n";

impl Document {
    /// The empty document of a file that does not exist yet.
    pub fn empty(path: &Path) -> Self {
        Document {
            path: path.to_path_buf(),
            text: String::new(),
            model: SecurityFile::default(),
            missing: true,
            layout: Layout {
                newline: "\n",
                ..Layout::default()
            },
        }
    }

    /// Loads text, failing on the first problem.
    pub fn load(path: &Path, text: String) -> Result<Self> {
        let (doc, problems) = Self::load_all(path, text)?;
        if let Some(p) = problems.into_iter().next() {
            return Err(Error::Syntax {
                path: path.to_path_buf(),
                line: p.line,
                column: p.col,
                message: p.message,
            });
        }
        Ok(doc)
    }

    /// Loads text for `check --fix`: as [`Document::load`], but a problem that the portable
    /// rewrite removes ([`Edit::portable`]) does not fail the load.
    pub fn load_fixable(path: &Path, text: String) -> Result<Self> {
        let (doc, problems) = Self::load_all(path, text)?;
        let fixable = &doc.layout.portability.fixable;
        if let Some(p) = problems
            .into_iter()
            .find(|p| !fixable.contains(&(p.line, p.col)))
        {
            return Err(Error::Syntax {
                path: path.to_path_buf(),
                line: p.line,
                column: p.col,
                message: p.message,
            });
        }
        Ok(doc)
    }

    /// The keys of `text` and nothing else, for a reader that keeps no text and makes no
    /// edit (`list`, `verify`, [`crate::verify::Verifier::load`]): as [`Document::load`]
    /// reads them, with the deprecated forms it would note ([`Document::deprecated`]). A file
    /// as tokenctl writes it is read without the layout an edit needs.
    pub fn load_keys(path: &Path, text: String) -> Result<(SecurityFile, Vec<Problem>)> {
        if text.len() <= layout::MAX_TEXT && !text.starts_with('\u{feff}') {
            if let Some(model) = load::clean::load_keys(&text) {
                return Ok((model, Vec::new()));
            }
        }
        let doc = Self::load(path, text)?;
        let deprecated = doc.deprecated().to_vec();
        Ok((doc.model, deprecated))
    }

    /// Loads text, collecting every problem (for `check`). Fails only on YAML syntax errors.
    pub fn load_all(path: &Path, text: String) -> Result<(Self, Vec<Problem>)> {
        if text.len() > layout::MAX_TEXT {
            return Err(Error::Invalid {
                path: path.to_path_buf(),
                message: "is 4 GiB or larger; refusing to read it".into(),
            });
        }
        let body_offset = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let body = &text[body_offset..];
        // A second BOM is the first character to PyYAML and ruamel, skipped by saphyr.
        if body_offset > 0 && body.starts_with('\u{feff}') {
            let e = crate::yaml::bom_at(&text, body_offset);
            return Err(Error::Syntax {
                path: path.to_path_buf(),
                line: e.line,
                column: e.col,
                message: e.message,
            });
        }
        let syntax = |e: crate::yaml::SyntaxError| Error::Syntax {
            path: path.to_path_buf(),
            line: e.line,
            column: e.col,
            message: e.message,
        };
        // The files tokenctl writes take one pass with no tree; the rest, and everything with
        // something to report, the full path.
        let (model, mut layout, problems) = match load::clean::load(body) {
            Some((model, layout)) => (model, layout, Vec::new()),
            None => Self::load_full(body, syntax)?,
        };
        layout.newline = match memchr::memchr(b'\n', text.as_bytes()) {
            Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        };
        if body_offset > 0 {
            layout.shift(body_offset);
        }
        Ok((
            Document {
                path: path.to_path_buf(),
                text,
                model,
                missing: false,
                layout,
            },
            problems,
        ))
    }

    /// The full path of a load: the character rules, the YAML tree (`yaml::parse`), and the
    /// loader that reports every problem.
    fn load_full(
        body: &str,
        syntax: impl Fn(crate::yaml::SyntaxError) -> Error,
    ) -> Result<(SecurityFile, Layout, Vec<Problem>)> {
        portable::file_characters(body).map_err(&syntax)?;
        let tree = crate::yaml::parse(body).map_err(|mut e| {
            // saphyr's word for a flow collection closed left of where it may close: say
            // what to write instead.
            let closes = body
                .lines()
                .nth(e.line.saturating_sub(1))
                .is_some_and(|l| matches!(l.trim(), "]" | "}" | "]," | "},"));
            if e.message == "invalid indentation" && closes {
                e.message = "invalid indentation: a flow collection ([...] or {...}) over several lines closed at or left of its key's indentation, which js-yaml 5 cannot load either; write it on one line ([] when empty)".into();
            }
            syntax(e)
        })?;
        Ok(load::load(body, tree))
    }

    /// Deprecated constructs in tokenctl's data (read this release, with a warning; writers
    /// refuse them): each with its position.
    pub fn deprecated(&self) -> &[Problem] {
        &self.layout.portability.deprecated
    }

    /// What `check` warns about without failing: foreign data that some YAML library cannot
    /// load, a missing or null apiKeys, times before 1583.
    pub fn portability_warnings(&self) -> &[Problem] {
        &self.layout.portability.warnings
    }

    /// The deprecation warnings of a file being read (not written), each a whole line:
    /// `warning: path:line:column: message`.
    pub fn deprecation_warnings(&self) -> impl Iterator<Item = String> + '_ {
        self.deprecated()
            .iter()
            .map(|p| format!("warning: {}", p.at(&self.path)))
    }

    /// The text with every lossless rewrite to portable security.yml made (`check --fix`),
    /// or `None` when there is none.
    pub fn portable_rewrite(&self) -> Option<String> {
        let fixes = &self.layout.portability.fixes;
        if fixes.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(self.text.len() + 64);
        let mut at = 0;
        for (start, end, with) in fixes {
            if *start < at {
                continue;
            }
            out.push_str(&self.text[at..*start]);
            out.push_str(with);
            at = *end;
        }
        out.push_str(&self.text[at..]);
        Some(out)
    }

    /// 1-based line and column where key `name` is defined.
    pub fn key_position(&self, name: &str) -> Option<(usize, usize)> {
        let at = self
            .model
            .index_of(name)
            .and_then(|k| self.layout.of_key.get(k))
            .map(|&i| self.layout.entries[i as usize].key_start())?;
        Some(crate::yaml::Lines::new(&self.text).position(at))
    }
}
