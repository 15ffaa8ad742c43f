//! The reload-on-change rule, once: a file is read again when its device, inode, size,
//! modification time or change time differ from those of the version held. tokenctl replaces security.yml by
//! renaming a new file over it (a new inode); an editor may write in place (a new size or
//! time). [`Watched`] is the rule for one security.yml and its [`Verifier`]; `serve` applies
//! the same [`Cache`] to each tenant's two files, statted through their folder's handle.

use super::{LoadError, Verifier};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// Device, inode, size, modification time and change time (to the nanosecond) of a file. The
/// change time is the kernel's own: a rewrite in place of the same size that sets the
/// modification time back (`touch -r`, `rsync --times`) still changes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
    ctime: i64,
    ctime_nsec: i64,
}

impl Stamp {
    /// The stamp of the file at `path`, its links followed; `None` when there is none (a
    /// missing file, or one that cannot be statted: the load that follows says why).
    pub(crate) fn of_path(path: &Path) -> Option<Stamp> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(Stamp {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: m.mtime(),
            mtime_nsec: m.mtime_nsec(),
            ctime: m.ctime(),
            ctime_nsec: m.ctime_nsec(),
        })
    }

    /// The stamp of a status already read (`fstatat` in a folder's handle).
    #[cfg_attr(not(feature = "serve"), allow(dead_code))]
    pub(crate) fn of_stat(s: &rustix::fs::Stat) -> Stamp {
        Stamp {
            dev: s.st_dev,
            ino: s.st_ino,
            size: s.st_size as u64,
            mtime: s.st_mtime,
            mtime_nsec: s.st_mtime_nsec as i64,
            ctime: s.st_ctime,
            ctime_nsec: s.st_ctime_nsec as i64,
        }
    }

    /// Is this the same file as `other` (device and inode), whatever its version?
    #[cfg_attr(not(feature = "serve"), allow(dead_code))]
    pub(crate) fn same_file(&self, other: &Stamp) -> bool {
        self.dev == other.dev && self.ino == other.ino
    }

    /// The file's size in bytes.
    #[cfg_attr(not(feature = "serve"), allow(dead_code))]
    pub(crate) fn size(&self) -> u64 {
        self.size
    }
}

/// What was loaded from one version of a file, or why it did not load.
pub(crate) type Value<T, E> = Result<Arc<T>, Arc<E>>;

/// What was loaded from one version of a file, shared by every reader until the file changes.
pub(crate) struct Cache<T, E> {
    keep_last_good: bool,
    held: RwLock<Option<Held<T, E>>>,
    /// One load at a time. Held while loading, where `held` is not: readers that do not
    /// look at the file go on with the version held meanwhile.
    loading: Mutex<()>,
}

struct Held<T, E> {
    /// The version the value was loaded from (`None`: the file did not exist).
    stamp: Option<Stamp>,
    value: Value<T, E>,
}

impl<T, E> Cache<T, E> {
    /// An empty cache. With `keep_last_good`, a load that fails leaves the value held before
    /// in place (until the file changes again); without, the failure is what is held.
    pub(crate) fn new(keep_last_good: bool) -> Self {
        Cache {
            keep_last_good,
            held: RwLock::new(None),
            loading: Mutex::new(()),
        }
    }

    /// What is held, if it was loaded from the version `stamp` names.
    pub(crate) fn fresh(&self, stamp: Option<Stamp>) -> Option<Value<T, E>> {
        let held = self.held.read().unwrap_or_else(PoisonError::into_inner);
        held.as_ref()
            .filter(|h| h.stamp == stamp)
            .map(|h| h.value.clone())
    }

    /// What is held, whatever version it is of; `None` before the first load.
    pub(crate) fn get(&self) -> Option<Value<T, E>> {
        let held = self.held.read().unwrap_or_else(PoisonError::into_inner);
        held.as_ref().map(|h| h.value.clone())
    }

    /// Loads again with `load`, unless what is held is of the version `stamp` names (taken
    /// before the load: a change while loading is then seen by the next call). One load at
    /// a time; callers that come meanwhile wait and take its result. Gives what is held
    /// afterwards, and whether it was `Ok(true)` loaded now, `Ok(false)` already held, or
    /// `Err` a load that failed now.
    pub(crate) fn refresh(
        &self,
        stamp: Option<Stamp>,
        load: impl FnOnce() -> Result<T, E>,
    ) -> (Result<bool, Arc<E>>, Value<T, E>) {
        if let Some(value) = self.fresh(stamp) {
            return (Ok(false), value);
        }
        let _one = self.loading.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(value) = self.fresh(stamp) {
            return (Ok(false), value);
        }
        let (happened, value) = match load() {
            Ok(value) => (Ok(true), Ok(Arc::new(value))),
            Err(e) => {
                let e = Arc::new(e);
                let last_good = self
                    .get()
                    .and_then(Result::ok)
                    .filter(|_| self.keep_last_good);
                (Err(e.clone()), last_good.ok_or(e))
            }
        };
        *self.held.write().unwrap_or_else(PoisonError::into_inner) = Some(Held {
            stamp,
            value: value.clone(),
        });
        (happened, value)
    }
}

/// What [`Watched::refresh`] did.
#[derive(Debug, Clone)]
pub enum Refresh {
    /// The file is the version already loaded.
    Unchanged,
    /// The file changed and was loaded again.
    Reloaded,
    /// The file changed and did not load: [`Watched::current`] gives this error until it
    /// changes again, or, with [`Watched::keep_last_good`], the version loaded before.
    Failed(Arc<LoadError>),
}

/// A security.yml that is loaded again when it changes: the index a server keeps for as long
/// as it runs. Each [`Watched::current`] stats the file (one `stat`, no read) and, when its
/// device, inode, size, modification or change time differ from those of the version loaded, loads it
/// again first, so a rotation, a revocation or a new key takes effect on the next request
/// without a restart.
///
/// It is `Send + Sync`: share it in an `Arc` between a server's threads or tasks. Readers
/// take an `Arc<Verifier>` and never wait for each other. One caller at a time loads a
/// changed file, on its own thread (in an async server, one worker for as long as the file
/// takes to load: milliseconds for thousands of keys); the callers of [`Watched::current`]
/// that come meanwhile wait for it, and those of [`Watched::verifier`] go on with the
/// version held. A file that does not load is an error for every caller until it changes
/// again (answer 500: its keys are not guessed at), unless [`Watched::keep_last_good`] is
/// set. A file that disappears has no keys: every token is then refused as unknown.
///
/// ```
/// use tokenctl::verify::{Needs, Watched};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("security.yml");
/// let secret = tokenctl::token::generate("tk").unwrap();
/// let key = |name: &str| format!("apiKeys:\n  {name}:\n    hash: {}\n", secret.hash());
/// std::fs::write(&path, key("ci")).unwrap();
///
/// let keys = Watched::load(&path).unwrap(); // once, at start-up
/// let header = format!("Bearer {}", secret.expose());
/// let outcome = keys.current().unwrap().verify_header_now(&header, &Needs::default());
/// assert_eq!(outcome.key(), Some("ci"));
///
/// // Another program (tokenctl, say) replaces the file: the next use sees it.
/// std::fs::write(dir.path().join("new.yml"), key("deploy")).unwrap();
/// std::fs::rename(dir.path().join("new.yml"), &path).unwrap();
/// let outcome = keys.current().unwrap().verify_header_now(&header, &Needs::default());
/// assert_eq!(outcome.key(), Some("deploy"));
/// ```
pub struct Watched {
    path: PathBuf,
    cache: Cache<Version, LoadError>,
}

/// One version of the file: its keys and the digest of its bytes.
struct Version {
    verifier: Arc<Verifier>,
    digest: String,
}

/// Loads the file at `path` as a [`Version`].
fn load_version(path: &Path) -> Result<Version, LoadError> {
    let (file, warnings, digest) = super::load::read_digested(path, true)?;
    Ok(Version {
        verifier: Arc::new(Verifier::new(file).with_warnings(warnings)),
        digest: digest.expect("asked for"),
    })
}

impl Watched {
    /// Loads the file at `path` (its links followed; a missing file has no keys) and watches
    /// it from then on. Fails when it does not load now: a server should not start on it.
    pub fn load(path: impl Into<PathBuf>) -> Result<Watched, LoadError> {
        let path = path.into();
        // Stamp first: a change while loading is then seen by the first use.
        let stamp = Stamp::of_path(&path);
        let version = load_version(&path)?;
        let cache = Cache::new(false);
        let _ = cache.refresh(stamp, || Ok(version));
        Ok(Watched { path, cache })
    }

    /// Keeps serving the version loaded before when a changed file does not load (off by
    /// default): a broken edit then leaves the keys as they were, revocations included,
    /// until the file loads again. [`Watched::refresh`] still says `Failed` once, to log.
    pub fn keep_last_good(mut self, keep: bool) -> Self {
        self.cache.keep_last_good = keep;
        self
    }

    /// The file watched.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stats the file and loads it again if it changed since the version held.
    pub fn refresh(&self) -> Refresh {
        let stamp = Stamp::of_path(&self.path);
        match self.cache.refresh(stamp, || load_version(&self.path)).0 {
            Ok(false) => Refresh::Unchanged,
            Ok(true) => Refresh::Reloaded,
            Err(e) => Refresh::Failed(e),
        }
    }

    /// The keys as the file holds them now: [`Watched::refresh`], then [`Watched::verifier`].
    pub fn current(&self) -> Result<Arc<Verifier>, Arc<LoadError>> {
        self.refresh();
        self.verifier()
    }

    /// The keys of the version held, without looking at the file.
    pub fn verifier(&self) -> Result<Arc<Verifier>, Arc<LoadError>> {
        self.cache
            .get()
            .expect("a Watched is loaded once when it is made")
            .map(|v| v.verifier.clone())
    }

    /// The digest of the version whose keys are held, `sha256:<hex>` of the file's bytes (as
    /// `sha256sum` prints it; of no bytes for a missing file), without looking at the file:
    /// what a server reports so that `tokenctl rollout status` can tell when every server has
    /// a change. With [`Watched::keep_last_good`], the last good version's while the file
    /// does not load; else `None` then.
    pub fn digest(&self) -> Option<String> {
        self.cache
            .get()
            .expect("a Watched is loaded once when it is made")
            .ok()
            .map(|v| v.digest.clone())
    }
}

impl std::fmt::Debug for Watched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watched")
            .field("path", &self.path)
            .field("keep_last_good", &self.cache.keep_last_good)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{Needs, Outcome};

    struct Fixture {
        dir: tempfile::TempDir,
        secret: crate::token::Secret,
    }

    impl Fixture {
        fn new() -> Fixture {
            Fixture {
                dir: tempfile::tempdir().unwrap(),
                secret: crate::token::generate("tk").unwrap(),
            }
        }
        fn path(&self) -> PathBuf {
            self.dir.path().join("security.yml")
        }
        /// Replaces the file as tokenctl does: a new file renamed over it.
        fn write(&self, text: &str) {
            let new = self.dir.path().join("new.yml");
            std::fs::write(&new, text).unwrap();
            std::fs::rename(&new, self.path()).unwrap();
        }
        fn key(&self, name: &str) -> String {
            format!("apiKeys:\n  {name}:\n    hash: {}\n", self.secret.hash())
        }
        fn whose(&self, keys: &Watched) -> Option<String> {
            let outcome = keys
                .current()
                .unwrap()
                .verify_now(self.secret.expose(), &Needs::default());
            match outcome {
                Outcome::Valid { key, .. } => Some(key),
                _ => None,
            }
        }
    }

    #[test]
    fn a_changed_file_is_loaded_again_and_an_unchanged_one_is_not() {
        let f = Fixture::new();
        f.write(&f.key("ci"));
        let keys = Watched::load(f.path()).unwrap();
        let first = keys.current().unwrap();
        assert!(matches!(keys.refresh(), Refresh::Unchanged));
        assert!(Arc::ptr_eq(&first, &keys.current().unwrap()));
        assert_eq!(f.whose(&keys).as_deref(), Some("ci"));

        f.write(&f.key("deploy"));
        assert!(matches!(keys.refresh(), Refresh::Reloaded));
        assert!(!Arc::ptr_eq(&first, &keys.verifier().unwrap()));
        assert_eq!(f.whose(&keys).as_deref(), Some("deploy"));

        // Written in place, same inode: the size tells.
        std::fs::write(f.path(), f.key("x")).unwrap();
        assert_eq!(f.whose(&keys).as_deref(), Some("x"));
    }

    #[test]
    fn a_file_that_does_not_load_is_an_error_until_it_does() {
        let f = Fixture::new();
        f.write(&f.key("ci"));
        let keys = Watched::load(f.path()).unwrap();
        f.write("apiKeys: [\n");
        assert!(matches!(keys.refresh(), Refresh::Failed(_)));
        let e = keys.current().unwrap_err();
        assert!(matches!(*e, LoadError::Syntax { .. }), "{e}");
        // Not loaded again while it stays the same.
        assert!(matches!(keys.refresh(), Refresh::Unchanged));
        f.write(&f.key("fixed"));
        assert_eq!(f.whose(&keys).as_deref(), Some("fixed"));

        // A file that does not load at start-up is refused.
        f.write("apiKeys: [\n");
        assert!(matches!(
            Watched::load(f.path()),
            Err(LoadError::Syntax { .. })
        ));
    }

    #[test]
    fn the_last_good_version_is_kept_when_asked() {
        let f = Fixture::new();
        f.write(&f.key("ci"));
        let keys = Watched::load(f.path()).unwrap().keep_last_good(true);
        f.write("apiKeys: [\n");
        assert!(matches!(keys.refresh(), Refresh::Failed(_)));
        assert_eq!(f.whose(&keys).as_deref(), Some("ci"));
        assert!(matches!(keys.refresh(), Refresh::Unchanged));
        f.write(&f.key("deploy"));
        assert_eq!(f.whose(&keys).as_deref(), Some("deploy"));
    }

    /// Found by a review: the same size written in place, the modification time set back
    /// (`touch -r`, `rsync --times`): only the change time tells, and a revoked key must not
    /// keep working.
    #[test]
    fn a_rewrite_in_place_with_its_old_mtime_is_seen() {
        let f = Fixture::new();
        f.write(&f.key("ci"));
        let keys = Watched::load(f.path()).unwrap();
        assert_eq!(f.whose(&keys).as_deref(), Some("ci"));
        let mtime = std::fs::metadata(f.path()).unwrap().modified().unwrap();
        // The kernel's change time has a clock tick's granularity.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(f.path())
            .unwrap();
        std::io::Write::write_all(&mut &file, f.key("xy").as_bytes()).unwrap();
        file.set_modified(mtime).unwrap();
        drop(file);
        assert_eq!(
            std::fs::metadata(f.path()).unwrap().modified().unwrap(),
            mtime
        );
        assert!(matches!(keys.refresh(), Refresh::Reloaded));
        assert_eq!(f.whose(&keys).as_deref(), Some("xy"));
    }

    #[test]
    fn the_digest_names_the_version_held() {
        let f = Fixture::new();
        let text = f.key("ci");
        f.write(&text);
        let keys = Watched::load(f.path()).unwrap();
        let of = |t: &str| format!("sha256:{}", crate::store::file_digest(t.as_bytes()));
        assert_eq!(keys.digest(), Some(of(&text)));
        let changed = f.key("deploy");
        f.write(&changed);
        assert_eq!(
            keys.digest(),
            Some(of(&text)),
            "not looked at until refreshed"
        );
        keys.refresh();
        assert_eq!(keys.digest(), Some(of(&changed)));
        f.write("apiKeys: [\n");
        keys.refresh();
        assert_eq!(keys.digest(), None, "no version is held");
    }

    #[test]
    fn a_file_that_disappears_has_no_keys() {
        let f = Fixture::new();
        f.write(&f.key("ci"));
        let keys = Watched::load(f.path()).unwrap().keep_last_good(true);
        std::fs::remove_file(f.path()).unwrap();
        assert!(matches!(keys.refresh(), Refresh::Reloaded));
        assert!(keys.verifier().unwrap().file().keys.is_empty());
        assert_eq!(f.whose(&keys), None);
        f.write(&f.key("back"));
        assert_eq!(f.whose(&keys).as_deref(), Some("back"));
    }

    #[test]
    fn readers_on_many_threads_see_one_load() {
        let f = Fixture::new();
        f.write(&f.key("ci"));
        let keys = Arc::new(Watched::load(f.path()).unwrap());
        f.write(&f.key("deploy"));
        let reloads: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| matches!(keys.refresh(), Refresh::Reloaded) as usize))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(reloads, 1);
        assert_eq!(f.whose(&keys).as_deref(), Some("deploy"));
    }
}
