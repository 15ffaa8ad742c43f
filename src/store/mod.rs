//! The file layer: where security.yml is ([`locate`]), the lock that serialises its writers
//! ([`lock`]), reading it and replacing it atomically ([`atomic`]), the usage file beside it
//! ([`usage`]), and the write transaction that ties them to the document layer:
//! lock, read, plan, prove, stage, deliver, commit.

mod atomic;
mod locate;
mod lock;
pub mod usage;

pub use crate::document::{
    DESIRED_FIELDS, DesiredKey, DesiredState, Document, Edit, FIELDS, Problem, Value, key_fields,
    render_scalar,
};
pub use atomic::{MAX_FILE_SIZE, into_text, read_bytes};
pub use locate::{Location, real_path, usage_path};

pub(crate) use lock::Lock;

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Default wait for the lock.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// One security.yml and the rules for changing it.
#[derive(Debug, Clone)]
pub struct Store {
    path: PathBuf,
    lock_timeout: Duration,
    /// Work out the file's SHA-256 after each write (a whole pass over the file: only for
    /// callers that report it).
    digest: bool,
    /// Read for `check --fix`: what the portable rewrite removes does not refuse the file.
    fixing: bool,
}

/// What a write did.
#[derive(Debug)]
pub struct Written<T> {
    /// What the plan returned.
    pub value: T,
    /// Whether the file changed.
    pub changed: bool,
    /// Whether the file did not exist before (the write created it).
    pub created: bool,
    /// SHA-256 of the file's bytes afterwards, as `sha256sum` prints it, when asked for
    /// with [`Store::with_digest`].
    pub sha256: Option<String>,
}

/// The hash of a file's bytes as `sha256sum` prints it, for `--if-unchanged`.
pub fn file_digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Store {
    pub fn new(path: PathBuf, lock_timeout: Duration) -> Self {
        Store {
            path,
            lock_timeout,
            digest: false,
            fixing: false,
        }
    }

    /// This store, reading for `check --fix` ([`Document::load_fixable`]).
    pub fn for_portable_fix(mut self) -> Self {
        self.fixing = true;
        self
    }

    /// This store, working out the file's SHA-256 after every write ([`Written::sha256`]).
    pub fn with_digest(mut self, digest: bool) -> Self {
        self.digest = digest;
        self
    }

    /// The path as it was given (a link stays a link: messages name what the user typed).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The real file behind the path, links followed: where the lock, the temporary files
    /// and the usage file live.
    pub fn target(&self) -> Result<PathBuf> {
        real_path(&self.path)
    }

    /// The usage file of this security.yml (beside the real file).
    pub fn usage_path(&self) -> PathBuf {
        usage_path(&self.target().unwrap_or_else(|_| self.path.clone()))
    }

    /// Records a use of key `name` in the usage file (see [`usage::record`]).
    pub fn record_use(&self, name: &str, used: usage::Usage, timeout: Duration) -> Result<()> {
        let security = self.target().unwrap_or_else(|_| self.path.clone());
        usage::record(&usage_path(&security), &security, name, used, timeout)
    }

    /// Reads the file; a missing file is an empty document (with `missing` set).
    pub fn read(&self) -> Result<Document> {
        let target = self.target()?;
        match atomic::read_file(&target)? {
            Some(f) => {
                warn_links(&self.path, f.links);
                let doc = Document::load(&self.path, into_text(&self.path, f.bytes)?)?;
                doc.warn_deprecated();
                Ok(doc)
            }
            None => Ok(Document::empty(&self.path)),
        }
    }

    /// Locks, reads, lets `plan` say what to change, and writes it, proven, atomically.
    pub fn update<T>(
        &self,
        if_unchanged: Option<&str>,
        plan: impl FnOnce(&Document) -> Result<(Edit, T)>,
    ) -> Result<T> {
        Ok(self.write(if_unchanged, plan, |_, _| Ok(false))?.value)
    }

    /// The write transaction (SPEC.md, "Guarantees"): take the lock, read, check
    /// `--if-unchanged`, let `plan` say what to change, make the new text and prove it reads
    /// as intended ([`crate::document::prove`]), write and sync a temporary file, let
    /// `deliver` hand out what must not be lost (a generated secret: printed, and the
    /// printing checked; it is given the file's SHA-256 after the write when the store works
    /// it out, and returns whether it handed anything out), and only then rename the
    /// temporary file into place and sync the folder. If `deliver` fails, nothing is written.
    /// If the rename fails after it handed something out, the error says that it is not in
    /// force.
    pub fn write<T>(
        &self,
        if_unchanged: Option<&str>,
        plan: impl FnOnce(&Document) -> Result<(Edit, T)>,
        deliver: impl FnOnce(&T, Option<&str>) -> Result<bool>,
    ) -> Result<Written<T>> {
        let expected = if_unchanged.map(parse_digest).transpose()?;
        let target = self.target()?;
        let _lock = Lock::acquire(&target, self.lock_timeout)?;
        let read = atomic::read_file(&target)?;
        if let Some(f) = &read {
            warn_links(&self.path, f.links);
        }
        let before = read.as_ref().map_or(&b""[..], |f| &f.bytes[..]);
        let old_digest = (expected.is_some() || self.digest).then(|| file_digest(before));
        if let (Some(expected), Some(old_digest)) = (expected, &old_digest) {
            if *old_digest != expected {
                return Err(Error::Conflict(format!(
                    "{} changed since you read it (its SHA-256 is now sha256:{old_digest}); nothing was written; read it again and retry",
                    self.path.display()
                )));
            }
        }
        let doc = match read {
            Some(f) if self.fixing => {
                Document::load_fixable(&self.path, into_text(&self.path, f.bytes)?)?
            }
            Some(f) => Document::load(&self.path, into_text(&self.path, f.bytes)?)?,
            None => Document::empty(&self.path),
        };
        let (edit, value) = plan(&doc)?;
        let unchanged = |value| Written {
            value,
            changed: false,
            created: false,
            sha256: old_digest.clone(),
        };
        if edit.is_empty() {
            return Ok(unchanged(value));
        }
        let text = doc.planned(&edit)?;
        if text == doc.text {
            return Ok(unchanged(value));
        }
        let created = doc.missing;
        let sha256 = self.digest.then(|| file_digest(text.as_bytes()));
        // Freeing a large document takes a few milliseconds: let it overlap the write and
        // its fsync instead of preceding them.
        let staged = std::thread::scope(|scope| {
            scope.spawn(move || drop(doc));
            atomic::Staged::write(&target, text.as_bytes())
        })?;
        let delivered = match deliver(&value, sha256.as_deref()) {
            Ok(d) => d,
            Err(e) => {
                drop(staged);
                return Err(e.nothing_written());
            }
        };
        staged
            .commit()
            .map_err(|e| if delivered { e.after_delivery() } else { e })?;
        Ok(Written {
            value,
            changed: true,
            created,
            sha256,
        })
    }
}

/// A file with more than one name is split by the atomic replace: the other names keep the
/// old text (and the keys a write revoked).
fn warn_links(path: &Path, links: u64) {
    if links > 1 {
        let warning = format!(
            "warning: {} has {links} hard links; a write replaces only this name, and the others keep the old keys (a revoked key stays valid through them); make the other names symbolic links",
            path.display()
        );
        eprintln!("{}", crate::text::message(&warning));
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
