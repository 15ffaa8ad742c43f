//! The file layer: where security.yml is (`locate.rs`), the lock that serialises its writers
//! (`lock.rs`), reading it and replacing it atomically (`atomic.rs`), the usage file beside it
//! ([`usage`]), and the write transaction that ties them to the document layer:
//! lock, read, plan, prove, stage, deliver, commit.

mod atomic;
mod locate;
mod lock;
pub mod place;
pub(crate) mod policy;
pub mod usage;

pub use atomic::{AttrChange, FileAttrs, MAX_FILE_SIZE, into_text, read_bytes};
pub use locate::{Location, real_path};
pub use place::{Place, Target};

pub(crate) use lock::Lock;

use crate::document::{Document, Edit, NewText};
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

use std::time::Duration;

/// Default wait for the lock.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// One security.yml and the rules for changing it.
#[derive(Debug, Clone)]
pub struct Store {
    /// The path as given (or `<root>/<tenant>/security.yml`), for messages.
    path: PathBuf,
    target: Target,
    /// Owner, group and mode asked for the file written.
    attrs: FileAttrs,
    lock_timeout: Duration,
    /// Work out the file's SHA-256 after each write (a whole pass over the file: only for
    /// callers that report it).
    digest: bool,
    /// Read for `check --fix`: what the portable rewrite removes does not refuse the file.
    fixing: bool,
    /// Where warnings go ([`Store::with_warnings`]); dropped unless a front end asks.
    warn: fn(&str),
    /// The operator's policy files, read and merged with the file's own section on every
    /// write ([`Store::with_policy`]).
    policy: std::sync::Arc<[policy::PolicyFile]>,
    /// The time a write is judged at; the system clock when `None`.
    now: Option<jiff::Timestamp>,
    /// Say what would satisfy a broken rule in fields, not flags ([`Store::with_field_remedies`]).
    field_remedies: bool,
    /// What the policy warned of in the writes of this store (under `warn`).
    policy_warnings: std::sync::Arc<std::sync::Mutex<Vec<crate::model::PolicyViolation>>>,
}

/// The default for [`Store::with_warnings`]: the library prints nothing.
fn drop_warning(_: &str) {}

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

/// [`file_digest`] of the bytes of `pieces`, one after the other.
fn pieces_digest(pieces: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for piece in pieces {
        hasher.update(piece);
    }
    hex::encode(hasher.finalize())
}

impl Store {
    /// The store of the operator's own file (`--file`): anywhere, its links followed.
    pub fn new(path: PathBuf, lock_timeout: Duration) -> Self {
        Store {
            target: Target::File(path.clone()),
            path,
            attrs: FileAttrs::default(),
            lock_timeout,
            digest: false,
            fixing: false,
            warn: drop_warning,
            policy: std::sync::Arc::new([]),
            now: None,
            policy_warnings: Default::default(),
            field_remedies: false,
        }
    }

    /// The store of a tenant's file, `<root>/<tenant>/security.yml`, which must lie in the
    /// tenant's own folder (its links are followed only beneath that folder).
    pub fn tenant(root: &Path, tenant: &str, lock_timeout: Duration) -> Self {
        Store {
            path: root.join(tenant).join("security.yml"),
            target: Target::Tenant {
                root: root.to_path_buf(),
                tenant: tenant.to_string(),
            },
            attrs: FileAttrs::default(),
            lock_timeout,
            digest: false,
            fixing: false,
            warn: drop_warning,
            policy: std::sync::Arc::new([]),
            now: None,
            policy_warnings: Default::default(),
            field_remedies: false,
        }
    }

    /// The store `location` names: `--file`, else `--tenant` under the root.
    pub fn at(location: &Location, lock_timeout: Duration) -> Result<Self> {
        let path = location.resolve()?;
        Ok(match (&location.file, &location.tenant) {
            (None, Some(tenant)) => Store::tenant(&location.root_dir(), tenant, lock_timeout),
            _ => Store::new(path, lock_timeout),
        })
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

    /// This store, handing its warnings to `warn`, each a whole line starting `warning: `,
    /// at the moment it finds them (before a write delivers anything, and even when the
    /// command then fails): a file with more than one hard link (a write replaces only this
    /// name), a deprecated construct in a file read, a usage file that could not be read. The
    /// library prints nothing; without this the warnings are dropped. The command line and
    /// `serve` pass [`crate::text::print_warning`].
    pub fn with_warnings(mut self, warn: fn(&str)) -> Self {
        self.warn = warn;
        self
    }

    /// This store, judging every write by the policies of `operator`'s files (read afresh
    /// for each write) as well as the file's own `policy:` section (crate::keys::policy), at
    /// `now` (the system clock when `None`). Without it only the file's own section is
    /// enforced.
    pub(crate) fn with_policy(
        mut self,
        operator: Vec<policy::PolicyFile>,
        now: Option<jiff::Timestamp>,
    ) -> Self {
        self.policy = operator.into();
        self.now = now;
        self
    }

    /// Judges `edit` of `doc` by the policy (crate::keys::policy::judge): under `enforce`
    /// a violation is the error; under `warn` each goes to the warnings function and to
    /// [`Store::policy_warnings`]. Every write does this under the lock; `apply --dry-run`
    /// asks it of the edit it would make.
    pub(crate) fn judge(&self, doc: &Document, edit: &Edit) -> Result<()> {
        if edit.put.is_empty() && edit.add.is_empty() {
            return Ok(()); // a removal, or check --fix: nothing widens
        }
        let in_fields = |mut v: crate::model::PolicyViolation| {
            v.remedy_in_fields = self.field_remedies;
            v
        };
        let warned: Vec<_> = crate::keys::policy::judge(
            &doc.model,
            &self.path.display().to_string(),
            edit,
            &self.operator_policy()?,
            self.now.unwrap_or_else(jiff::Timestamp::now),
        )
        .map_err(|e| match e {
            Error::Policy(mut r) => {
                r.violations = r.violations.into_iter().map(in_fields).collect();
                Error::Policy(r)
            }
            e => e,
        })?
        .into_iter()
        .map(in_fields)
        .collect();
        for v in &warned {
            (self.warn)(&format!(
                "warning: policy (enforcement: warn): {}",
                v.message()
            ));
        }
        self.policy_warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(warned);
        Ok(())
    }

    /// This store, saying what would satisfy a broken rule in the file's fields
    /// (`an expiresAt at most 90d from now`), not the command line's flags: for writes given
    /// as fields (`apply`, the admin API).
    pub(crate) fn with_field_remedies(mut self) -> Self {
        self.field_remedies = true;
        self
    }

    /// The operator's policies this store judges writes by, read now.
    pub(crate) fn operator_policy(&self) -> Result<Vec<crate::keys::policy::Source>> {
        policy::read_all(&self.policy)
    }

    /// What the policy warned of (under `enforcement: warn`) in this store's writes so far
    /// (a write's own as soon as it is planned, before it delivers anything): each also went
    /// to [`Store::with_warnings`]'s function as it was found.
    pub fn policy_warnings(&self) -> Vec<crate::model::PolicyViolation> {
        self.policy_warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// This store, giving every file it writes this owner, group and mode.
    pub fn with_file_attrs(mut self, attrs: FileAttrs) -> Self {
        self.attrs = attrs;
        self
    }

    /// What the file's owner, group and mode would change from and to under
    /// [`Store::with_file_attrs`]: `(field, old, new)`, empty when they match (or the file
    /// does not exist yet: it is created with them).
    pub fn attr_changes(&self) -> Result<Vec<AttrChange>> {
        let Some(place) = self.place()? else {
            return Ok(Vec::new());
        };
        let stat = place
            .stat()
            .map_err(|e| Error::io(&self.path, "reading the status of", e))?;
        Ok(stat.map_or_else(Vec::new, |s| self.attrs.changes(&s)))
    }

    /// The path as it was given (a link stays a link: messages name what the user typed).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder of the real file, opened (its links followed, with `--tenant` only beneath
    /// the tenant's folder), and the file's name in it; `None` when a folder on the way does
    /// not exist (nor, then, the file).
    pub fn place(&self) -> Result<Option<Place>> {
        Place::open(&self.target, false)
    }

    /// [`Store::place`], making the missing folders on the way.
    fn place_to_write(&self) -> Result<Place> {
        Place::open(&self.target, true)?.ok_or_else(|| Error::Invalid {
            path: self.path.clone(),
            message: "its folder could not be made".into(),
        })
    }

    /// Records a use of key `name` in the usage file (`usage::record`).
    pub fn record_use(&self, name: &str, used: usage::Usage, timeout: Duration) -> Result<()> {
        self.record_uses([(name.to_string(), used)], timeout)
    }

    /// [`Store::record_use`] for many keys at once: one locked write of the usage file.
    pub fn record_uses(
        &self,
        uses: impl IntoIterator<Item = (String, usage::Usage)>,
        timeout: Duration,
    ) -> Result<()> {
        let place = self.place_to_write()?;
        usage::record(&place, uses, timeout)
    }

    /// The usage records for `list` and `show`; a broken usage file is a warning (see
    /// [`Store::with_warnings`]) and no records (see [`usage::read_or_warn`]).
    pub fn usage_or_warn(&self) -> std::collections::BTreeMap<String, usage::Usage> {
        match self.place().and_then(|p| p.map(|p| p.usage()).transpose()) {
            Ok(Some(usage)) => usage::read_or_warn(&usage, self.warn),
            Ok(None) => Default::default(),
            Err(e) => {
                (self.warn)(&format!("warning: ignoring usage records: {e}"));
                Default::default()
            }
        }
    }

    /// The file's bytes; `None` when it does not exist.
    pub fn read_bytes(&self) -> Result<Option<Vec<u8>>> {
        let Some(place) = self.place()? else {
            return Ok(None);
        };
        Ok(atomic::read_at(&place)?.map(|f| {
            self.warn_links(f.links);
            f.bytes
        }))
    }

    /// Reads the file; a missing file is an empty document (with `missing` set).
    pub fn read(&self) -> Result<Document> {
        match self.read_bytes()? {
            Some(bytes) => {
                let doc = Document::load(&self.path, into_text(&self.path, bytes)?)?;
                for warning in doc.deprecation_warnings() {
                    (self.warn)(&warning);
                }
                Ok(doc)
            }
            None => Ok(Document::empty(&self.path)),
        }
    }

    /// The file's keys alone ([`Document::load_keys`]), with the warnings [`Store::read`]
    /// gives; `None` when it does not exist.
    pub fn read_keys(&self) -> Result<Option<crate::model::SecurityFile>> {
        let Some(bytes) = self.read_bytes()? else {
            return Ok(None);
        };
        let (model, deprecated) = Document::load_keys(&self.path, into_text(&self.path, bytes)?)?;
        for p in deprecated {
            (self.warn)(&format!("warning: {}", p.at(&self.path)));
        }
        Ok(Some(model))
    }

    /// Locks, reads, lets `plan` say what to change, and writes it, proven, atomically.
    pub fn update<T>(
        &self,
        if_unchanged: Option<&str>,
        plan: impl FnOnce(&Document) -> Result<(Edit, T)>,
    ) -> Result<T> {
        Ok(self.write(if_unchanged, plan, |_, _| Ok(false))?.value)
    }

    /// The write transaction (SECURITY.md, "Integrity of the file"): take the lock, read, check
    /// `--if-unchanged`, let `plan` say what to change, make the new text and prove it reads
    /// as intended (the document layer's prover), write and sync a temporary file, let
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
        self.write_then(if_unchanged, plan, deliver, |_| Ok(()))
    }

    /// Renames key `old` to `new` by the edit `plan` gives, and moves its record in the usage
    /// file to the new name in the same locked write: after security.yml is in place, still
    /// under its lock (so no other writer of security.yml comes between), under the usage
    /// file's own lock. A usage record that could not be moved is returned as the error's
    /// text (the rename itself is in force then); `Ok(None)` when it moved or there was none.
    pub fn rename<T>(
        &self,
        if_unchanged: Option<&str>,
        (old, new): (&str, &str),
        plan: impl FnOnce(&Document) -> Result<(Edit, T)>,
    ) -> Result<(T, Option<Error>)> {
        let mut failed = None;
        let written = self.write_then(
            if_unchanged,
            plan,
            |_, _| Ok(false),
            |place| {
                if let Err(e) = usage::rename(place, old, new, self.lock_timeout) {
                    failed = Some(e);
                }
                Ok(())
            },
        )?;
        Ok((written.value, failed))
    }

    /// [`Store::write`], then `after` with the file's place, while the lock is still held,
    /// when the file was written.
    fn write_then<T>(
        &self,
        if_unchanged: Option<&str>,
        plan: impl FnOnce(&Document) -> Result<(Edit, T)>,
        deliver: impl FnOnce(&T, Option<&str>) -> Result<bool>,
        after: impl FnOnce(&Place) -> Result<()>,
    ) -> Result<Written<T>> {
        let expected = if_unchanged.map(parse_digest).transpose()?;
        let place = self.place_to_write()?;
        let _lock = Lock::acquire(&place, self.lock_timeout)?;
        let read = atomic::read_at(&place)?;
        if let Some(f) = &read {
            self.warn_links(f.links);
        }
        place::test_pause();
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
        let mut doc = match read {
            Some(f) if self.fixing => {
                Document::load_fixable(&self.path, into_text(&self.path, f.bytes)?)?
            }
            Some(f) => Document::load(&self.path, into_text(&self.path, f.bytes)?)?,
            None => Document::empty(&self.path),
        };
        let (edit, value) = plan(&doc)?;
        // The policy, once for every writer, on the file as read under the lock: a refusal
        // here leaves the file as it is (and says which version it judged).
        self.judge(&doc, &edit).map_err(|e| match e {
            Error::Policy(mut refusal) => {
                refusal.sha256.clone_from(&old_digest);
                Error::Policy(refusal)
            }
            e => e,
        })?;
        let unchanged = |value| Written {
            value,
            changed: false,
            created: false,
            sha256: old_digest.clone(),
        };
        // Owner, group or mode asked for and not what the file has: it is written again (the
        // same text), so that they are given to the new file before it is renamed into place.
        let attrs_differ = !doc.missing
            && place
                .stat()
                .ok()
                .flatten()
                .is_some_and(|s| !self.attrs.changes(&s).is_empty());
        if edit.is_empty() && !attrs_differ {
            return Ok(unchanged(value));
        }
        // The new text as the old one with a span replaced: never built whole (a second
        // copy of a 22 MB file), but written and hashed piece by piece.
        let new = if edit.is_empty() {
            NewText::default()
        } else {
            doc.edited_span(&edit)?
        };
        if new.is_unchanged(&doc.text) && !attrs_differ {
            return Ok(unchanged(value));
        }
        let created = doc.missing;
        let old_text = std::mem::take(&mut doc.text);
        let pieces = new.pieces(&old_text).map(str::as_bytes);
        // Freeing a large document takes a few milliseconds: let it overlap the write and
        // its fsync instead of preceding them. The write goes to another thread and the
        // document is freed here, on the thread that allocated it: freed from another thread,
        // each block goes back through the allocator's cross-thread free lists, which cost
        // more than the freeing itself and grow faster than the file (callgrind, from 10,000
        // to 100,000 keys: 16x the instructions). (Its text, which the new one is written
        // from, is taken out first and freed after.)
        let (staged, sha256) = std::thread::scope(|scope| {
            let staging = scope.spawn(|| {
                let staged = atomic::Staged::write(&place, &pieces, &[], self.attrs)?;
                Ok::<_, Error>((staged, self.digest.then(|| pieces_digest(&pieces))))
            });
            drop(doc);
            staging
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
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
        after(&place)?;
        Ok(Written {
            value,
            changed: true,
            created,
            sha256,
        })
    }
}

impl Store {
    /// A file with more than one name is split by the atomic replace: the other names keep
    /// the old text (and the keys a write revoked).
    fn warn_links(&self, links: u64) {
        if links > 1 {
            (self.warn)(&format!(
                "warning: {} has {links} hard links; a write replaces only this name, and the others keep the old keys (a revoked key stays valid through them); make the other names symbolic links",
                self.path.display()
            ));
        }
    }
}

/// The id of user (`kind` "user") or group ("group") `name`, or `name` itself when it is a
/// number; looked up as the system does (`getent`: /etc/passwd, LDAP, ...). `flag` names
/// the option in the error.
pub fn lookup_id(flag: &str, kind: &str, name: &str) -> Result<u32> {
    if let Ok(id) = name.parse::<u32>() {
        return Ok(id);
    }
    let unknown = || Error::Usage(format!("{flag} {name:?}: no such {kind} on this system"));
    if name.is_empty() || name.starts_with('-') || name.contains([':', '\n']) {
        return Err(unknown());
    }
    let database = if kind == "user" { "passwd" } else { "group" };
    let out = std::process::Command::new("getent")
        .args([database, "--", name])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            Error::Other(format!(
                "{flag} {name:?}: running getent to look it up: {e}"
            ))
        })?;
    // `name:x:1000:...`: the id is the third field, in both databases.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .filter(|_| out.status.success())
        .and_then(|l| l.split(':').nth(2))
        .and_then(|id| id.parse().ok())
        .ok_or_else(unknown)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    static HEARD: Mutex<Vec<String>> = Mutex::new(Vec::new());

    fn hear(warning: &str) {
        HEARD.lock().unwrap().push(warning.to_string());
    }

    /// The library prints nothing: a warning goes to the function the caller gave, whole.
    #[test]
    fn warnings_go_to_the_callers_function() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("security.yml");
        std::fs::write(&file, "version: 1\napiKeys: {}\n").unwrap();
        std::fs::hard_link(&file, dir.path().join("other.yml")).unwrap();
        let store = Store::new(file, Duration::ZERO);
        store.read().unwrap(); // dropped: no function given
        assert!(HEARD.lock().unwrap().is_empty());
        store.with_warnings(hear).read().unwrap();
        let heard = HEARD.lock().unwrap();
        assert_eq!(heard.len(), 1, "{heard:?}");
        assert!(heard[0].starts_with("warning: "), "{heard:?}");
        assert!(heard[0].contains("has 2 hard links"), "{heard:?}");
    }
}
