//! The operator's policy files (docs/FORMAT.md, "Policy"): `<root>/policy.yml` under a
//! root, and `--policy FILE` (or `TOKENCTL_POLICY`). Each is read afresh for every write that
//! is judged (so `serve` follows an edit without a restart), in the portable subset of
//! security.yml, holding a `policy:` section and nothing else. A file that is there but does
//! not read as one (a link to nothing, another top-level key, writable by anyone) is an
//! error, never "no policy": a write is never judged on less than the operator asked for.

use crate::document::Document;
use crate::error::{Error, Result};
use crate::keys::policy::Source;
use std::path::PathBuf;

/// An operator's policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PolicyFile {
    pub path: PathBuf,
    /// Named by the operator (`--policy`), or there when `serve` started (`kept`): missing,
    /// it is an error. Otherwise the root's `policy.yml` may be missing (no operator policy).
    pub required: bool,
    /// There when `serve` started, and so required from then on.
    pub kept: bool,
}

impl PolicyFile {
    /// The policy it holds; `None` when it is missing (and may be), or holds no `policy:`.
    pub(crate) fn read(&self) -> Result<Option<Source>> {
        let path = &self.path;
        // `--policy /dev/null`: no policy of its own (and no way to lift another's).
        if std::fs::canonicalize(path).is_ok_and(|p| p == std::path::Path::new("/dev/null")) {
            return Ok(None);
        }
        let Some(bytes) = super::read_bytes(path)? else {
            // A link whose target is gone is a policy lost, not a policy never written.
            if std::fs::symlink_metadata(path).is_ok() {
                return Err(Error::Invalid {
                    path: path.clone(),
                    message: "the policy file is a link to nothing; restore its target or \
                              remove the link"
                        .into(),
                });
            }
            if self.required {
                return Err(Error::MissingFile {
                    path: path.clone(),
                    message: if self.kept {
                        "no such policy file (it was there when serve started; restore it, or \
                         restart serve to go on without it)"
                    } else {
                        "no such policy file (--policy or TOKENCTL_POLICY)"
                    }
                    .into(),
                });
            }
            return Ok(None);
        };
        // Anyone who may write it may lift every rule in it.
        if let Ok(meta) = std::fs::metadata(path) {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o002 != 0 {
                return Err(Error::Invalid {
                    path: path.clone(),
                    message: format!(
                        "the policy file is writable by anyone (mode {mode:04o}), who could \
                         lift its rules; run `chmod o-w {}`",
                        path.display()
                    ),
                });
            }
        }
        let text = super::into_text(path, bytes)?;
        // Nothing but `policy:`: a misspelled section (`Policy:`, `polcy:`) would otherwise
        // be another tool's data, and the operator's rules silently none.
        if let Ok(tree) = crate::yaml::parse(&text) {
            if let Some(crate::yaml::Node {
                kind: crate::yaml::Kind::Map { entries, .. },
                ..
            }) = &tree.root
            {
                for (k, _) in entries {
                    let name = k.as_str().unwrap_or_default();
                    if !matches!(name, "policy" | "apiKeys" | "version") {
                        let (line, column) = crate::yaml::Lines::new(&text).position(k.start);
                        let hint = crate::names::nearest(name, ["policy"])
                            .map(|_| " (policy misspelled?)")
                            .unwrap_or_default();
                        return Err(Error::Syntax {
                            path: path.clone(),
                            line,
                            column,
                            message: format!(
                                "a policy file holds a policy: section and nothing else, not {name:?}{hint}"
                            ),
                        });
                    }
                }
            }
        }
        let doc = Document::load(path, text)?;
        if let Some(key) = doc.model.keys.first() {
            let (line, column) = doc.key_position(&key.name).unwrap_or((1, 1));
            return Err(Error::Syntax {
                path: path.clone(),
                line,
                column,
                message: "a policy file holds a policy: section and no keys (no server reads \
                          keys here); move them to a tenant's security.yml"
                    .into(),
            });
        }
        Ok(doc.model.policy.map(|policy| Source {
            label: path.display().to_string(),
            policy,
        }))
    }
}

/// The policies of `files`, in order; the first that cannot be read is the error (a write
/// is never judged on less than the operator asked for).
pub(crate) fn read_all(files: &[PolicyFile]) -> Result<Vec<Source>> {
    let mut out = Vec::new();
    for f in files {
        out.extend(f.read()?);
    }
    Ok(out)
}
