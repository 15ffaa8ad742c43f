//! The tenants served and their files as last read. Each request stats the tenant's
//! security.yml and security.usage.yml; a changed inode, size or modification time (tokenctl
//! renames a new file over the old one; an editor may write in place) makes the next request
//! read it again, so every write (the API's, the CLI's, Ansible's) is seen at once. A file
//! that does not load answers 500 until it is fixed: its keys are not guessed at.

use super::metrics::Metrics;
use super::reply::ApiError;
use crate::document::Document;
use crate::model::SecurityFile;
use crate::store::policy::PolicyFile;
use crate::store::usage::{self, Usage};
use crate::store::{Location, Place, Store};
use crate::verify::{Cache, Stamp, Verifier};
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Which tenants are served.
pub(super) enum Tenants {
    /// Every folder under the root that holds a security.yml (`--root`).
    Root {
        root: PathBuf,
        known: Mutex<HashMap<String, Arc<Tenant>>>,
        metrics: Option<Arc<Metrics>>,
        policy: Arc<[PolicyFile]>,
    },
    /// One file, as the tenant of that name (`--file`, `--tenant`).
    One(Arc<Tenant>),
}

/// One tenant's file and what was last read of it.
pub(super) struct Tenant {
    pub name: String,
    location: Location,
    lock_timeout: Duration,
    /// The operator's policy files (`<root>/policy.yml`, `--policy`), read again by every
    /// write judged ([`Tenant::writer`]).
    policy: Arc<[PolicyFile]>,
    /// security.yml as last read, or `Err` when it does not load (the server's log says why;
    /// a client hears only that it does not load): never the keys of a version before.
    keys: Cache<Loaded, ()>,
    usage: Cache<UsageRecords, Infallible>,
    /// One reload at a time; the others wait (without holding a thread) and take its result.
    loading: tokio::sync::Mutex<()>,
    /// The last version of security.yml that loaded: what the gate judges on while the file
    /// does not load (unless `--fail-closed`).
    last_good: Mutex<Option<Arc<Loaded>>>,
    /// The folder of the file, opened once for the gate, which stats the file on every
    /// request: through this handle, never by its path again (see [`Tenant::judged`]).
    gate_place: Mutex<Option<(Arc<Place>, PathBuf)>>,
    metrics: Option<Arc<Metrics>>,
    /// The whole list as last rendered: the same for every request on the same versions of
    /// both files within one second (statuses depend on the time), which at 10,000 keys saves
    /// rendering 3.5 MB of JSON per request.
    listing: Mutex<Option<Listing>>,
}

struct Listing {
    keys: Arc<Loaded>,
    usage: Arc<UsageRecords>,
    second: i64,
    body: bytes::Bytes,
}

/// security.yml as read: the verifier (which holds the keys), the digest of its bytes.
pub(super) struct Loaded {
    pub verifier: Verifier,
    /// `sha256:<hex>` of the bytes read: the ETag.
    pub etag: String,
    /// Key -> the other keys sharing one of its secrets.
    pub shared: HashMap<String, Vec<String>>,
    /// When it was read.
    pub loaded_at: jiff::Timestamp,
}

/// The folder of a tenant's file, opened, and the file's path when the handle is held (no
/// link led to it; see [`Tenant::state`]).
type GatePlace = (Arc<Place>, Option<PathBuf>);

/// What a tenant's file is now ([`Tenant::state`]).
pub(super) enum State {
    /// It loads: this version.
    Current(Arc<Loaded>),
    /// It does not load; this is the last version that did.
    LastGood(Arc<Loaded>),
    /// It does not load, and no version of it ever did while the server ran.
    DoesNotLoad,
}

/// security.usage.yml as read.
pub(super) struct UsageRecords {
    pub records: BTreeMap<String, Usage>,
}

/// What one request sees of a tenant.
pub(super) struct Snapshot {
    keys: Arc<Loaded>,
    pub usage: Arc<UsageRecords>,
}

impl Snapshot {
    pub(super) fn loaded(&self) -> &Loaded {
        &self.keys
    }

    pub(super) fn file(&self) -> &SecurityFile {
        self.loaded().verifier.file()
    }
}

/// The version of the file `place` names (device, inode, size, modification and change times), statted
/// in its folder's handle, never through a link.
fn stamp(place: &Place) -> std::io::Result<Stamp> {
    let m = place
        .stat()?
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))?;
    Ok(Stamp::of_stat(&m))
}

impl Tenants {
    /// The tenants `location` names: with `--file` that file, as the tenant `--tenant` names
    /// (or `default`); with `--tenant` alone that tenant under the root; else every tenant
    /// under the root. The file (or the root) must exist.
    pub(super) fn new(
        location: &Location,
        lock_timeout: Duration,
        metrics: Option<Arc<Metrics>>,
        policy: Vec<PolicyFile>,
    ) -> crate::error::Result<Tenants> {
        let policy: Arc<[PolicyFile]> = policy.into();
        use crate::error::Error;
        let first_key = |tenant: &str| {
            format!(
                "create it with its first admin key: `tokenctl --tenant {tenant} create console --permission tenant.apiKey:read --permission tenant.apiKey:write`"
            )
        };
        if location.file.is_some() || location.tenant.is_some() {
            let name = location.tenant.clone().unwrap_or_else(|| "default".into());
            crate::names::validate("tenant", &name)?;
            let path = location.resolve()?;
            if !path.exists() {
                return Err(Error::Usage(format!(
                    "{} does not exist ({}); {}",
                    path.display(),
                    location.describe(),
                    first_key(&name)
                )));
            }
            return Ok(Tenants::One(Arc::new(Tenant::new(
                name,
                location.clone(),
                lock_timeout,
                metrics,
                policy,
            ))));
        }
        let root = location.root_dir();
        if !root.is_dir() {
            return Err(Error::Usage(format!(
                "the tenants folder {} does not exist; give --root (or TOKENCTL_ROOT), or {}",
                root.display(),
                first_key("NAME")
            )));
        }
        Ok(Tenants::Root {
            root,
            known: Mutex::new(HashMap::new()),
            metrics,
            policy,
        })
    }

    /// What is served, for the start-up message.
    pub(super) fn describe(&self) -> String {
        match self {
            Tenants::Root { root, .. } => format!("the tenants under {}", root.display()),
            Tenants::One(t) => format!(
                "{} as tenant '{}'",
                t.location.resolve().unwrap_or_default().display(),
                t.name
            ),
        }
    }

    /// The tenant of that name, if it is served and its file exists.
    pub(super) fn get(&self, name: &str, lock_timeout: Duration) -> Result<Arc<Tenant>, ApiError> {
        let unknown = || ApiError::no_tenant(name);
        if crate::names::problem(name).is_some() {
            return Err(unknown());
        }
        let tenant = match self {
            Tenants::One(t) if t.name == name => t.clone(),
            Tenants::One(_) => return Err(unknown()),
            Tenants::Root {
                root,
                known,
                metrics,
                policy,
            } => {
                let mut known = known.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(t) = known.get(name) {
                    t.clone()
                } else {
                    let location = Location {
                        file: None,
                        tenant: Some(name.to_string()),
                        root: Some(root.clone()),
                    };
                    // Opened as every request will: beneath the root, then beneath the
                    // tenant's folder. A link out of either: the operator should hear of it.
                    let place = Store::tenant(root, name, lock_timeout)
                        .place()
                        .map_err(|e| {
                            super::log::say(format!("tenant '{name}': {e}"));
                            unknown()
                        })?;
                    let is_file = place
                        .and_then(|p| p.stat().ok().flatten())
                        .is_some_and(|s| {
                            rustix::fs::FileType::from_raw_mode(s.st_mode)
                                == rustix::fs::FileType::RegularFile
                        });
                    if !is_file {
                        return Err(unknown());
                    }
                    let t = Arc::new(Tenant::new(
                        name.to_string(),
                        location,
                        lock_timeout,
                        metrics.clone(),
                        policy.clone(),
                    ));
                    known.insert(name.to_string(), t.clone());
                    t
                }
            }
        };
        Ok(tenant)
    }
}

impl Tenant {
    fn new(
        name: String,
        location: Location,
        lock_timeout: Duration,
        metrics: Option<Arc<Metrics>>,
        policy: Arc<[PolicyFile]>,
    ) -> Tenant {
        Tenant {
            name,
            location,
            lock_timeout,
            policy,
            keys: Cache::new(false),
            usage: Cache::new(false),
            loading: tokio::sync::Mutex::new(()),
            last_good: Mutex::new(None),
            gate_place: Mutex::new(None),
            metrics,
            listing: Mutex::new(None),
        }
    }

    /// The rendering of every key of `snap` at `now`, from the cache when it is of the same
    /// files and second, else from `render`.
    pub(super) fn listing(
        &self,
        snap: &Snapshot,
        now: jiff::Timestamp,
        render: impl FnOnce() -> bytes::Bytes,
    ) -> bytes::Bytes {
        let second = now.as_second();
        let same = |l: &Listing| {
            Arc::ptr_eq(&l.keys, &snap.keys)
                && Arc::ptr_eq(&l.usage, &snap.usage)
                && l.second == second
        };
        if let Some(l) = self
            .listing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|l| same(l))
        {
            return l.body.clone();
        }
        let body = render();
        *self.listing.lock().unwrap_or_else(PoisonError::into_inner) = Some(Listing {
            keys: snap.keys.clone(),
            usage: snap.usage.clone(),
            second,
            body: body.clone(),
        });
        body
    }

    /// The store that writes this tenant's file, working out each new file's digest. Its
    /// links are checked again each time it is opened: a tenant whose security.yml now leads
    /// out of its folder through a link is refused.
    pub(super) fn store(&self) -> Result<Store, ApiError> {
        Ok(Store::at(&self.location, self.lock_timeout)
            .map(|s| s.with_warnings(crate::text::print_warning))
            .map_err(|e| {
                super::log::say(format!("tenant '{}': {e}", self.name));
                ApiError::no_tenant(&self.name)
            })?
            .with_digest(true))
    }

    /// [`Tenant::store`] for a write of the admin API: judged at `now` (the server's clock)
    /// by the policy, the file's own `policy:` section merged with the operator's files, which
    /// the store reads afresh for each write (an edit of `policy.yml` needs no restart).
    pub(super) fn writer(&self, now: jiff::Timestamp) -> Result<Store, ApiError> {
        Ok(self
            .store()?
            .with_policy(self.policy.to_vec(), Some(now))
            .with_field_remedies())
    }

    /// The folder of the tenant's file, opened, and the file's name in it.
    fn place(&self, store: &Store) -> Result<Place, ApiError> {
        match store.place() {
            Ok(Some(place)) => Ok(place),
            Ok(None) => Err(ApiError::no_tenant(&self.name)),
            Err(e) => {
                super::log::say(format!("tenant '{}': {e}", self.name));
                Err(ApiError::no_tenant(&self.name))
            }
        }
    }

    /// The file as it is now: read again when it changed since it was last read.
    pub(super) async fn snapshot(self: &Arc<Self>) -> Result<Snapshot, ApiError> {
        let store = self.store()?;
        let place = self.place(&store)?;
        let usage_place = place
            .usage()
            .map_err(|e| ApiError::internal(format!("reading the file: {e}")))?;
        let (keys, usage) = match self.fresh(&place, &usage_place) {
            Some(both) => both,
            None => {
                let _one = self.loading.lock().await;
                match self.fresh(&place, &usage_place) {
                    Some(both) => both,
                    None => {
                        let me = self.clone();
                        let path = store.path().to_path_buf();
                        tokio::task::spawn_blocking(move || me.reload(&path, &place, &usage_place))
                            .await
                            .map_err(|e| ApiError::internal(format!("reading the file: {e}")))??
                    }
                }
            }
        };
        let keys = keys.map_err(|_| ApiError::invalid_file())?;
        Ok(Snapshot { keys, usage })
    }

    /// What was read before, if neither file changed since.
    fn fresh(&self, place: &Place, usage_place: &Place) -> Option<(Read, Arc<UsageRecords>)> {
        let keys = self.keys.fresh(Some(stamp(place).ok()?))?;
        let usage = self.usage.fresh(stamp(usage_place).ok())?;
        Some((keys, usage.unwrap_or_else(|never| match *never {})))
    }

    /// Reads whichever of the two files changed.
    fn reload(
        &self,
        path: &Path,
        place: &Place,
        usage_place: &Place,
    ) -> Result<(Read, Arc<UsageRecords>), ApiError> {
        let keys = self.reload_keys(path, place)?;
        let (_, usage) = self.usage.refresh(stamp(usage_place).ok(), || {
            // A usage file that does not read is ignored, as `list` and `show` do: the
            // keys are still served, without their last use.
            let records = usage::read(usage_place).unwrap_or_else(|e| {
                super::log::say(format!(
                    "tenant '{}': ignoring usage records: {e}",
                    self.name
                ));
                BTreeMap::new()
            });
            Ok(UsageRecords { records })
        });
        Ok((keys, usage.unwrap_or_else(|never| match *never {})))
    }

    /// Reads security.yml again if it changed.
    fn reload_keys(&self, path: &Path, place: &Place) -> Result<Read, ApiError> {
        // Stamp first: a change while reading is then seen by the next request.
        let now = match stamp(place) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ApiError::no_tenant(&self.name));
            }
            Err(e) => {
                return Err(ApiError::internal(format!("reading the file: {e}")));
            }
        };
        let (_, keys) = self.keys.refresh(Some(now), || {
            let loaded = load(path, place);
            if loaded.is_err() || now.size() > 1 << 20 {
                // The load ran on a blocking thread, whose malloc arena would keep what
                // it freed: a refused file's memory would stay with the server for good.
                super::memory::release_free_memory();
            }
            match loaded {
                Ok(loaded) => {
                    super::log::say(format!("tenant '{}': read {}", self.name, path.display()));
                    if let Some(m) = &self.metrics {
                        m.loaded(&self.name, &loaded.etag);
                    }
                    Ok(loaded)
                }
                Err(e) => {
                    // Where the file fails (its line and column) is for the operator's log
                    // only: the answer to a client, perhaps unauthenticated, never quotes it.
                    let last = self.last_good.lock().unwrap_or_else(PoisonError::into_inner).clone();
                    super::log::say(match last {
                        Some(l) => format!(
                            "tenant '{}' does not load: {e}; WARNING: until it is fixed, the gate judges this tenant's requests on the last version that loaded ({}), and the admin API answers 500",
                            self.name, l.etag
                        ),
                        None => format!("tenant '{}' does not load: {e}", self.name),
                    });
                    if let Some(m) = &self.metrics {
                        m.reload_failed(&self.name);
                    }
                    Err(())
                }
            }
        });
        if let Ok(loaded) = &keys {
            let replaced = {
                let mut last = self
                    .last_good
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if last.as_ref().is_some_and(|l| Arc::ptr_eq(l, loaded)) {
                    None
                } else {
                    last.replace(loaded.clone())
                }
            };
            if let Some(old) = replaced {
                free_here(old, now.size());
            }
        }
        Ok(keys)
    }

    /// The folder of the file, opened once for the gate (unless a link leads to the file);
    /// `None` when there is no such file.
    fn gate_place(&self, again: bool) -> Result<Option<GatePlace>, ApiError> {
        let mut held = self
            .gate_place
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if again {
            *held = None;
        }
        if let Some((place, path)) = &*held {
            return Ok(Some((place.clone(), Some(path.clone()))));
        }
        let store = self.store()?;
        let place = match store.place() {
            Ok(Some(place)) => Arc::new(place),
            Ok(None) => return Ok(None),
            Err(e) => {
                super::log::say(format!("tenant '{}': {e}", self.name));
                return Ok(None);
            }
        };
        // Kept only when no link led to the file: behind a link (Kubernetes' `..data`, a
        // deploy tool's `current`) the link itself may be swapped to another folder, which a
        // handle on the folder it led to before would never see. Such a file's folder is
        // opened again on every request, links and all, as the admin API's is.
        if place.shown() == store.path() {
            *held = Some((place.clone(), store.path().to_path_buf()));
            return Ok(Some((place, Some(store.path().to_path_buf()))));
        }
        Ok(Some((place, None)))
    }

    /// What the gate judges a request on: the file as it is now (one `stat` through the
    /// folder's handle; read again, one reload at a time, when its device, inode, size or
    /// modification or change time changed); when it changed into one that does not load, the last
    /// version that loaded (the log said so loudly, once, and `/metrics` says the tenant is
    /// unhealthy), or with `fail_closed` 500. 404 when the tenant's
    /// file is gone.
    ///
    /// The folder's handle is kept when no link leads to the file, and the file is read
    /// through it; each request also stats the file by its path (one more `stat`), and when
    /// that is not the file in the held folder (the folder moved away, replaced, removed, or
    /// made a link), the folder is opened again as on the first request, links checked.
    /// Behind a link (Kubernetes' `..data`), the folder is opened again, links and all, on
    /// every request.
    pub(super) async fn judged(
        self: &Arc<Self>,
        fail_closed: bool,
    ) -> Result<Arc<Loaded>, ApiError> {
        match self.state().await? {
            State::Current(loaded) => Ok(loaded),
            State::LastGood(_) | State::DoesNotLoad if fail_closed => Err(ApiError::invalid_file()),
            State::LastGood(loaded) => Ok(loaded),
            State::DoesNotLoad => Err(ApiError::invalid_file()),
        }
    }

    /// The file as it is on disk now ([`Tenant::judged`] without its choice): the version
    /// loaded from it, or, when it does not load, the last version that did, if any. 404 when
    /// the tenant's file is gone.
    pub(super) async fn state(self: &Arc<Self>) -> Result<State, ApiError> {
        let (mut place, held) = self
            .gate_place(false)?
            .ok_or_else(|| ApiError::no_tenant(&self.name))?;
        let mut stamped = stamp(&place);
        // A folder held since an earlier request may have been moved away, replaced or
        // removed (a tenant swapped in whole, or deleted): the file its path names now must
        // be the one in the held folder, else the folder is opened again, links checked, as
        // on the first request. The path only tells that something changed; what is read is
        // always read through a handle.
        let moved = held.is_some_and(|path| match (Stamp::of_path(&path), &stamped) {
            (Some(by_path), Ok(held)) => !by_path.same_file(held),
            _ => true,
        });
        let gone = matches!(&stamped, Err(e) if e.kind() == std::io::ErrorKind::NotFound);
        if moved || gone {
            (place, _) = self
                .gate_place(true)?
                .ok_or_else(|| ApiError::no_tenant(&self.name))?;
            stamped = stamp(&place);
        }
        let stamped = stamped.map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ApiError::no_tenant(&self.name),
            _ => ApiError::internal(format!("reading the file: {e}")),
        })?;
        let keys = match self.keys.fresh(Some(stamped)) {
            Some(keys) => keys,
            None => {
                let _one = self.loading.lock().await;
                match self.keys.fresh(Some(stamped)) {
                    Some(keys) => keys,
                    None => {
                        let me = self.clone();
                        tokio::task::spawn_blocking(move || me.reload_keys(place.shown(), &place))
                            .await
                            .map_err(|e| ApiError::internal(format!("reading the file: {e}")))??
                    }
                }
            }
        };
        Ok(match keys {
            Ok(loaded) => State::Current(loaded),
            Err(_) => match self
                .last_good
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
            {
                Some(loaded) => State::LastGood(loaded),
                None => State::DoesNotLoad,
            },
        })
    }
}

/// Frees the version a reload replaced on this thread, the one that loaded it, and hands the
/// memory back to the system: freed later by whichever request let go of it last, a large
/// file's keys would stay with the server (the allocator keeps a thread's freed pages until
/// that thread allocates again). Requests hold a version for microseconds; one still held after
/// a few milliseconds is left to them.
fn free_here(old: Arc<Loaded>, size: u64) {
    if size <= 1 << 20 {
        return;
    }
    let mut old = old;
    for _ in 0..20 {
        match Arc::try_unwrap(old) {
            Ok(version) => {
                drop(version);
                super::memory::release_free_memory();
                return;
            }
            Err(held) => {
                old = held;
                std::thread::sleep(Duration::from_micros(250));
            }
        }
    }
}

/// security.yml as last read: its keys, or `Err` when it does not load.
type Read = Result<Arc<Loaded>, Arc<()>>;

fn load(path: &Path, place: &Place) -> crate::Result<Loaded> {
    let bytes = place.read()?.ok_or_else(|| crate::Error::Invalid {
        path: path.to_path_buf(),
        message: "no longer exists".into(),
    })?;
    let etag = format!("sha256:{}", crate::store::file_digest(&bytes));
    // The keys alone: the server makes no edit, so it keeps no text and no layout.
    let (model, deprecated) = Document::load_keys(path, crate::store::into_text(path, bytes)?)?;
    for problem in deprecated {
        crate::text::print_warning(&format!("warning: {}", problem.at(path)));
    }
    let verifier = Verifier::new(model);
    let shared = verifier
        .shared_secrets()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
        .collect();
    Ok(Loaded {
        verifier,
        etag,
        shared,
        loaded_at: jiff::Timestamp::now(),
    })
}
