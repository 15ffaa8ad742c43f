//! Reading security.yml for a [`Verifier`](super::Verifier): the three ways it can fail
//! ([`LoadError`]) and the warnings a reader should pass on. Nothing here prints.

use crate::document::Document;
use crate::error::Error;
use crate::model::SecurityFile;
use std::path::{Path, PathBuf};

/// Why security.yml did not load. The message is one line, `path:line:column: ...` where
/// there is a position, the same words `tokenctl` prints for the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        path: PathBuf,
        /// What was being done: "reading", "opening the folder of"...
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid YAML or does not follow docs/FORMAT.md at this position.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// The file as a whole cannot be used: a folder, a FIFO, too large, not UTF-8, a link
    /// tokenctl refuses to follow.
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

impl LoadError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            LoadError::Io { path, .. }
            | LoadError::Syntax { path, .. }
            | LoadError::Invalid { path, .. } => path,
        }
    }

    /// The error of the file layer, in the words it had. Reading gives only the three
    /// kinds; anything else keeps its message as the file's problem.
    pub(crate) fn from_error(e: Error, path: &Path) -> LoadError {
        match e {
            Error::Io {
                path,
                action,
                source,
            } => LoadError::Io {
                path,
                action,
                source,
            },
            Error::Syntax {
                path,
                line,
                column,
                message,
            } => LoadError::Syntax {
                path,
                line,
                column,
                message,
            },
            Error::Invalid { path, message } | Error::MissingFile { path, message } => {
                LoadError::Invalid { path, message }
            }
            other => LoadError::Invalid {
                path: path.to_path_buf(),
                message: other.to_string(),
            },
        }
    }
}

/// The command line's error for the same failure: the same message, exit code 1.
impl From<LoadError> for Error {
    fn from(e: LoadError) -> Error {
        match e {
            LoadError::Io {
                path,
                action,
                source,
            } => Error::Io {
                path,
                action,
                source,
            },
            LoadError::Syntax {
                path,
                line,
                column,
                message,
            } => Error::Syntax {
                path,
                line,
                column,
                message,
            },
            LoadError::Invalid { path, message } => Error::Invalid { path, message },
        }
    }
}

/// The file at `path` (its links followed), as [`crate::store::Store::read`] reads it, and
/// the warnings a reader should hear: the deprecated forms it holds, and more than one hard
/// link. A missing file has no keys.
pub(crate) fn read(path: &Path) -> Result<(SecurityFile, Vec<String>), LoadError> {
    read_digested(path, false).map(|(file, warnings, _)| (file, warnings))
}

/// [`read`], and with `digest` the `sha256:` digest of the bytes read (of none: a missing
/// file), which names the version loaded (`ETag`, `tokenctl_file_info`).
pub(crate) fn read_digested(
    path: &Path,
    digest: bool,
) -> Result<(SecurityFile, Vec<String>, Option<String>), LoadError> {
    let fail = |e| LoadError::from_error(e, path);
    let none = || {
        let d = digest.then(|| format!("sha256:{}", crate::store::file_digest(b"")));
        Ok((Document::empty(path).model, Vec::new(), d))
    };
    let target = crate::store::Target::File(path.to_path_buf());
    let Some(place) = crate::store::Place::open(&target, false).map_err(fail)? else {
        return none();
    };
    let Some(bytes) = place.read().map_err(fail)? else {
        return none();
    };
    let digest = digest.then(|| format!("sha256:{}", crate::store::file_digest(&bytes)));
    let links = place.stat().ok().flatten().map_or(1, |s| s.st_nlink);
    let text = crate::store::into_text(path, bytes).map_err(fail)?;
    let (model, deprecated) = Document::load_keys(path, text).map_err(fail)?;
    let mut warnings: Vec<String> = deprecated.iter().map(|p| p.at(path)).collect();
    if links > 1 {
        warnings.push(format!(
            "{} has {links} hard links; a write replaces only this name, and the others keep the old keys (a revoked key stays valid through them); make the other names symbolic links",
            path.display()
        ));
    }
    Ok((model, warnings, digest))
}

/// security.yml text, as [`read`] would take it from a file named `security.yml`.
pub(crate) fn parse(text: &str) -> Result<(SecurityFile, Vec<String>), LoadError> {
    let path = Path::new("security.yml");
    let (model, deprecated) =
        Document::load_keys(path, text.to_string()).map_err(|e| LoadError::from_error(e, path))?;
    let warnings = deprecated.iter().map(|p| p.at(path)).collect();
    Ok((model, warnings))
}

#[cfg(test)]
mod tests {
    use super::super::Verifier;
    use super::*;

    #[test]
    fn a_load_error_says_what_the_command_line_says() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("security.yml");
        std::fs::write(&path, "apiKeys:\n  ci: [\n").unwrap();
        let e = Verifier::load(&path).unwrap_err();
        assert!(matches!(e, LoadError::Syntax { line: 3, .. }), "{e:?}");
        assert_eq!(e.path(), path);
        let store = crate::store::Store::new(path.clone(), crate::store::DEFAULT_LOCK_TIMEOUT);
        let cli = store.read().unwrap_err();
        assert_eq!(e.to_string(), cli.to_string());
        let back = Error::from(e);
        assert_eq!(back.to_string(), cli.to_string());
        assert_eq!(back.exit_code(), cli.exit_code());

        std::fs::create_dir(dir.path().join("folder")).unwrap();
        let e = Verifier::load(dir.path().join("folder")).unwrap_err();
        assert!(matches!(e, LoadError::Invalid { .. }), "{e:?}");
    }

    #[test]
    fn a_missing_file_has_no_keys_and_warnings_are_kept_not_printed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("security.yml");
        let v = Verifier::load(&path).unwrap();
        assert!(v.file().keys.is_empty());
        assert!(v.warnings().is_empty());
        std::fs::write(&path, "apiKeys: {}\n").unwrap();
        std::fs::hard_link(&path, dir.path().join("other.yml")).unwrap();
        let v = Verifier::load(&path).unwrap();
        assert_eq!(v.warnings().len(), 1, "{:?}", v.warnings());
        assert!(v.warnings()[0].contains("has 2 hard links"));
    }
}
