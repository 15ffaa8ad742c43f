//! Where security.yml is, and reading and writing it safely: an exclusive lock, a size limit,
//! `--if-unchanged`, and an atomic replace (temp file, fsync, rename, fsync the folder).

mod desired;
mod doc;
mod fast;
pub mod usage;
mod yaml;

pub use desired::{DESIRED_FIELDS, DesiredKey, DesiredState};
pub use doc::{Document, FIELDS, Loaded, Problem, Value, key_fields, render_scalar};

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Files larger than this are refused: a security.yml of 100,000 keys is about 22 MB.
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Default wait for the lock.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// How to find the file (SPEC.md, "Where the file is").
#[derive(Debug, Clone, Default)]
pub struct Location {
    pub file: Option<PathBuf>,
    pub tenant: Option<String>,
    pub root: Option<PathBuf>,
}

impl Location {
    /// The path of security.yml. Names are checked before anything is touched.
    pub fn resolve(&self) -> Result<PathBuf> {
        if let Some(file) = &self.file {
            if file.as_os_str().is_empty() {
                return Err(Error::Usage(
                    "--file is empty; give the path of a security.yml".into(),
                ));
            }
            return Ok(file.clone());
        }
        let Some(tenant) = &self.tenant else {
            return Err(Error::Usage(
                "no file given: use --file PATH (or TOKENCTL_FILE), or --tenant NAME (or TOKENCTL_TENANT) under --root DIR".into(),
            ));
        };
        crate::names::validate("tenant", tenant)?;
        let root = self
            .root
            .clone()
            .unwrap_or_else(|| PathBuf::from("tenants"));
        let dir = root.join(tenant);
        // A tenant folder that is a link leading outside the root would let a name escape it.
        if let Ok(meta) = fs::symlink_metadata(&dir) {
            if meta.file_type().is_symlink() {
                let real_root = fs::canonicalize(&root)
                    .map_err(|e| Error::io(&root, "resolving the root", e))?;
                let real_dir = fs::canonicalize(&dir)
                    .map_err(|e| Error::io(&dir, "resolving the tenant folder", e))?;
                if !real_dir.starts_with(&real_root) {
                    return Err(Error::Usage(format!(
                        "tenant folder {} is a link leading outside {}; refusing to follow it",
                        dir.display(),
                        root.display()
                    )));
                }
            }
        }
        Ok(dir.join("security.yml"))
    }
}

/// One security.yml and the rules for changing it.
#[derive(Debug, Clone)]
pub struct Store {
    path: PathBuf,
    lock_timeout: Duration,
}

/// The hash of a file's bytes as `sha256sum` prints it, for `--if-unchanged`.
pub fn file_digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Store {
    pub fn new(path: PathBuf, lock_timeout: Duration) -> Self {
        Store { path, lock_timeout }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file; a missing file is an empty one.
    pub fn read(&self) -> Result<Document> {
        match read_text(&self.path)? {
            Some(text) => Document::load(&self.path, text),
            None => Ok(Document::empty(&self.path)),
        }
    }

    /// Locks, reads, lets `change` compute the new text, and writes it atomically.
    /// `change` returns `None` when there is nothing to write.
    pub fn update<T>(
        &self,
        if_unchanged: Option<&str>,
        change: impl FnOnce(&Document) -> Result<(Option<String>, T)>,
    ) -> Result<T> {
        self.write(
            if_unchanged,
            change,
            None::<fn(&Document, &T) -> Result<()>>,
            true,
        )
    }

    /// As [`Store::update_checked`], but when the edit can be verified by re-reading only the
    /// entries it touched, that is done instead and `check` is skipped: `check` is then a
    /// safety net for the edits that need the whole new text read anyway.
    pub fn update_checked_unless_local<T>(
        &self,
        if_unchanged: Option<&str>,
        change: impl FnOnce(&Document) -> Result<(Option<String>, T)>,
        check: impl FnOnce(&Document, &T) -> Result<()>,
    ) -> Result<T> {
        self.write(if_unchanged, change, Some(check), true)
    }

    /// As [`Store::update`], and `check` looks at the new text as it loads, before anything
    /// is written; its error stops the write. The new text is loaded once, after the old
    /// document is freed, so a write never holds two documents (peak memory on large files).
    pub fn update_checked<T>(
        &self,
        if_unchanged: Option<&str>,
        change: impl FnOnce(&Document) -> Result<(Option<String>, T)>,
        check: impl FnOnce(&Document, &T) -> Result<()>,
    ) -> Result<T> {
        self.write(if_unchanged, change, Some(check), false)
    }

    /// Lock, read, change, verify, write. With `local_ok`, an edit confined to whole block
    /// entries is verified by re-reading just those entries (see
    /// [`Document::verify_local_edit`]); otherwise the whole new text is loaded and `check`
    /// looks at it.
    fn write<T>(
        &self,
        if_unchanged: Option<&str>,
        change: impl FnOnce(&Document) -> Result<(Option<String>, T)>,
        check: Option<impl FnOnce(&Document, &T) -> Result<()>>,
        local_ok: bool,
    ) -> Result<T> {
        let expected = if_unchanged.map(parse_digest).transpose()?;
        let target = real_target(&self.path)?;
        let _lock = Lock::acquire(&self.path, self.lock_timeout)?;
        let bytes = read_bytes(&target)?;
        if let Some(expected) = expected {
            let actual = file_digest(bytes.as_deref().unwrap_or(b""));
            if actual != expected {
                return Err(Error::Conflict(format!(
                    "{} changed since you read it (its sha256 is now {actual}); nothing was written; read it again and retry",
                    self.path.display()
                )));
            }
        }
        let doc = match bytes {
            Some(b) => Document::load(&self.path, into_text(&self.path, b)?)?,
            None => Document::empty(&self.path),
        };
        let (new_text, out) = change(&doc)?;
        let Some(new_text) = new_text else {
            return Ok(out);
        };
        if new_text == doc.text {
            // Nothing to write: the document after is the one read.
            if let Some(check) = check {
                check(&doc, &out)?;
            }
            return Ok(out);
        }
        if local_ok {
            if let Some(verified) = doc.verify_local_edit(&new_text) {
                verified.map_err(|e| {
                    Error::Other(format!(
                        "internal error: the edit would produce an invalid file ({e}); nothing was written"
                    ))
                })?;
                // Freeing a large document takes a few milliseconds: let it overlap the write
                // and its fsync instead of preceding them.
                std::thread::scope(|scope| {
                    scope.spawn(move || drop(doc));
                    Staged::write(&target, new_text.as_bytes())?.commit()
                })?;
                return Ok(out);
            }
        }
        drop(doc);
        // Never write what we could not read back. The temporary file is written and synced
        // on another thread meanwhile (on a large file the sync is a good part of the time);
        // only the rename, after both, changes what anyone sees.
        let (staged, loaded) = std::thread::scope(|scope| {
            let staged = scope.spawn(|| Staged::write(&target, new_text.as_bytes()));
            let loaded = Document::analyze(&self.path, &new_text);
            (staged.join(), loaded)
        });
        let loaded = loaded.map_err(|e| {
            Error::Other(format!(
                "internal error: the edit would produce an invalid file ({e}); nothing was written"
            ))
        })?;
        let staged = staged.map_err(|_| Error::Other("the writing thread panicked".into()))??;
        let after = loaded.into_document(&self.path, new_text);
        if let Some(check) = check {
            check(&after, &out)?;
        }
        staged.commit()?;
        Ok(out)
    }
}

/// Parses an `--if-unchanged` value into 64 lowercase hex digits.
pub fn parse_digest(text: &str) -> Result<String> {
    let hex_part = text
        .strip_prefix("sha256:")
        .unwrap_or(text)
        .to_ascii_lowercase();
    if hex_part.len() != 64 || !hex_part.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::Usage(format!(
            "--if-unchanged {text:?} is not a SHA-256: give sha256:<64 hex digits>, as `sha256sum security.yml` prints"
        )));
    }
    Ok(hex_part)
}

/// The file a write must replace: the final target when `path` is a symbolic link.
fn real_target(path: &Path) -> Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).or_else(|_| {
            // A dangling link: write where it points.
            let dest = fs::read_link(path).map_err(|e| Error::io(path, "reading the link", e))?;
            Ok(path.parent().unwrap_or(Path::new(".")).join(dest))
        }),
        _ => Ok(path.to_path_buf()),
    }
}

/// Reads a file's bytes; `None` when it does not exist. Refuses oversized files.
pub fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, "reading", e)),
    };
    let meta = file.metadata().map_err(|e| Error::io(path, "reading", e))?;
    if meta.is_dir() {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: "is a folder, not a file".into(),
        });
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(too_big(path));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    (&mut file)
        .take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, "reading", e))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_big(path));
    }
    Ok(Some(bytes))
}

fn too_big(path: &Path) -> Error {
    Error::Invalid {
        path: path.to_path_buf(),
        message: format!(
            "file is larger than {} MiB; refusing to read it",
            MAX_FILE_SIZE / (1024 * 1024)
        ),
    }
}

/// Checks a file's bytes are text YAML can hold, pointing at the first bad byte.
pub fn into_text(path: &Path, bytes: Vec<u8>) -> Result<String> {
    let position = |at: usize, bytes: &[u8]| {
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        let col = at
            - bytes[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
            + 1;
        (line, col)
    };
    if let Some(at) = memchr_nul(&bytes) {
        let (line, column) = position(at, &bytes);
        return Err(Error::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: "the file contains a NUL byte; it is not a YAML text file".into(),
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let (line, column) = position(at, e.as_bytes());
        Error::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: "the file is not valid UTF-8".into(),
        }
    })
}

fn memchr_nul(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(0, bytes)
}

/// Reads a file as text; `None` when missing.
pub(crate) fn read_text(path: &Path) -> Result<Option<String>> {
    read_bytes(path)?.map(|b| into_text(path, b)).transpose()
}

/// An exclusive lock on `<file>.lock`, held until dropped.
pub(crate) struct Lock {
    _file: File,
}

impl Lock {
    pub(crate) fn acquire(path: &Path, timeout: Duration) -> Result<Lock> {
        let lock_path = sibling(path, ".lock");
        create_parent(&lock_path)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, "opening the lock file", e))?;
        let deadline = Instant::now() + timeout;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Lock { _file: file }),
                Err(fs::TryLockError::WouldBlock) => {
                    if Instant::now() >= deadline {
                        return Err(Error::Conflict(format!(
                            "{} is locked by another process (lock file {}); gave up after {:.1}s; retry, or raise --lock-timeout",
                            path.display(),
                            lock_path.display(),
                            timeout.as_secs_f64()
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(fs::TryLockError::Error(e)) => return Err(Error::io(&lock_path, "locking", e)),
            }
        }
    }
}

/// `security.yml` + suffix, in the same folder.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// Creates the missing folders above a new file, each 0700.
fn create_parent(path: &Path) -> Result<()> {
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    if parent.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(parent)
        .map_err(|e| {
            // "File exists" alone does not say which part of the path is in the way.
            match parent.ancestors().find(|a| a.exists() && !a.is_dir()) {
                Some(file) => Error::Invalid {
                    path: file.to_path_buf(),
                    message: "is a file, not a folder; security.yml cannot be created under it"
                        .into(),
                },
                None => Error::io(parent, "creating the folder", e),
            }
        })
}

const TEMP_MARK: &str = ".tokenctl-tmp.";

/// Replaces `path` with `bytes` so that a crash leaves the old file or the new one.
/// The caller holds the lock, so any earlier temp file of ours is a crash's leftover.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    Staged::write(path, bytes)?.commit()
}

/// A temporary file holding the new bytes, synced, beside the file it will replace. Nothing
/// anyone else can see has changed until [`Staged::commit`] renames it into place; dropped
/// uncommitted, it is removed.
pub(crate) struct Staged {
    tmp: PathBuf,
    path: PathBuf,
    dir: PathBuf,
    committed: bool,
}

impl Staged {
    /// Writes and syncs the temporary file. The caller holds the lock, so any earlier temp
    /// file of ours is a crash's leftover.
    pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<Staged> {
        create_parent(path)?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        remove_stale_temps(dir, &file_name);
        let old = fs::metadata(path).ok();
        let mut suffix = [0u8; 6];
        rand::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, &mut suffix)
            .map_err(|e| Error::Other(e.to_string()))?;
        let staged = Staged {
            tmp: dir.join(format!(".{file_name}{TEMP_MARK}{}", hex::encode(suffix))),
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
            committed: false,
        };
        let tmp = &staged.tmp;
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(tmp)
            .map_err(|e| Error::io(tmp, "creating a temporary file", e))?;
        if let Some(old) = &old {
            // Keep the original's mode and (where we may) owner.
            let _ = std::os::unix::fs::fchown(&f, Some(old.uid()), Some(old.gid()));
            f.set_permissions(fs::Permissions::from_mode(old.mode() & 0o7777))
                .map_err(|e| Error::io(tmp, "setting permissions", e))?;
        }
        f.write_all(bytes)
            .map_err(|e| Error::io(path, "writing", e))?;
        f.sync_all().map_err(|e| Error::io(path, "syncing", e))?;
        Ok(staged)
    }

    /// Renames the temporary file over the original and syncs the folder.
    pub(crate) fn commit(mut self) -> Result<()> {
        fs::rename(&self.tmp, &self.path).map_err(|e| Error::io(&self.path, "replacing", e))?;
        self.committed = true;
        if let Ok(d) = File::open(&self.dir) {
            d.sync_all()
                .map_err(|e| Error::io(&self.dir, "syncing the folder", e))?;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

fn remove_stale_temps(dir: &Path, file_name: &str) {
    let prefix = format!(".{file_name}{TEMP_MARK}");
    if let Ok(entries) = fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

/// The usage file beside a security.yml.
/// For `security.yml` that is `security.usage.yml`; for `x.yml`, `x.usage.yml`.
pub fn usage_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".yml")
        .or_else(|| name.strip_suffix(".yaml"))
        .unwrap_or(&name);
    path.with_file_name(format!("{stem}.usage.yml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "apiKeys:\n  a:\n    hash: sha256:a4b1d2f0e0aa34fdb6f07fe5d4f2ac9e4fc48fd1f8a1fd4a8b2a3c8bd6dbaf3a\n";

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("security.yml");
        fs::write(&path, FILE).unwrap();
        (dir, Store::new(path, DEFAULT_LOCK_TIMEOUT))
    }

    /// The folder's files other than security.yml and its lock: no temp file may be left.
    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "security.yml" && n != "security.yml.lock")
            .collect()
    }

    #[test]
    fn a_failed_check_writes_nothing_and_leaves_no_temp_file() {
        let (dir, store) = store();
        let edited = FILE.replace("  a:", "  b:");
        let err = store
            .update_checked(
                None,
                |_| Ok((Some(edited.clone()), ())),
                |after, _| {
                    assert!(after.model.get("b").is_some(), "check sees the new text");
                    Err(Error::Other("no".into()))
                },
            )
            .unwrap_err();
        assert_eq!(err.to_string(), "no");
        assert_eq!(fs::read_to_string(store.path()).unwrap(), FILE);
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }

    #[test]
    fn text_that_does_not_read_back_is_not_written() {
        let (dir, store) = store();
        let err = store
            .update(None, |_| Ok((Some("apiKeys: [unclosed\n".into()), ())))
            .unwrap_err();
        assert!(err.to_string().contains("internal error"), "{err}");
        assert_eq!(fs::read_to_string(store.path()).unwrap(), FILE);
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }

    #[test]
    fn a_good_edit_replaces_the_file() {
        let (dir, store) = store();
        let edited = FILE.replace("  a:", "  b:");
        store
            .update(None, |_| Ok((Some(edited.clone()), ())))
            .unwrap();
        assert_eq!(fs::read_to_string(store.path()).unwrap(), edited);
        assert!(
            leftovers(dir.path()).is_empty(),
            "{:?}",
            leftovers(dir.path())
        );
    }
}
