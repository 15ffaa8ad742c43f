//! The operator's policy files (docs/FORMAT.md, "Policy"): `<root>/policy.yml` under a
//! root, and `--policy FILE` (or `TOKENCTL_POLICY`). Each is read afresh for every write that
//! is judged (so `serve` follows an edit without a restart), in the portable subset of
//! security.yml, holding a `policy:` section and no keys.

use crate::document::Document;
use crate::error::{Error, Result};
use crate::keys::policy::Source;
use std::path::PathBuf;

/// An operator's policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PolicyFile {
    pub path: PathBuf,
    /// Named by the operator (`--policy`): missing, it is an error. The root's `policy.yml`
    /// may be missing (no operator policy).
    pub required: bool,
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
            if self.required {
                return Err(Error::MissingFile {
                    path: path.clone(),
                    message: "no such policy file (--policy or TOKENCTL_POLICY)".into(),
                });
            }
            return Ok(None);
        };
        let doc = Document::load(path, super::into_text(path, bytes)?)?;
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
