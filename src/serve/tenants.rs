//! The tenants served and their files as last read. Each request stats the tenant's
//! security.yml and security.usage.yml; a changed inode, size or modification time (tokenctl
//! renames a new file over the old one; an editor may write in place) makes the next request
//! read it again, so every write (the API's, the CLI's, Ansible's) is seen at once. A file
//! that does not load answers 500 until it is fixed: its keys are not guessed at.

use super::reply::ApiError;
use crate::document::Document;
use crate::model::SecurityFile;
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
    },
    /// One file, as the tenant of that name (`--file`, `--tenant`).
    One(Arc<Tenant>),
}

/// One tenant's file and what was last read of it.
pub(super) struct Tenant {
    pub name: String,
    location: Location,
    lock_timeout: Duration,
    /// security.yml as last read, or `Err` when it does not load (the server's log says why;
    /// a client hears only that it does not load): never the keys of a version before.
    keys: Cache<Loaded, ()>,
    usage: Cache<UsageRecords, Infallible>,
    /// One reload at a time; the others wait (without holding a thread) and take its result.
    loading: tokio::sync::Mutex<()>,
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

/// The version of the file `place` names (device, inode, size, modification time), statted
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
    ) -> crate::error::Result<Tenants> {
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
            Tenants::Root { root, known } => {
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
                    let t = Arc::new(Tenant::new(name.to_string(), location, lock_timeout));
                    known.insert(name.to_string(), t.clone());
                    t
                }
            }
        };
        Ok(tenant)
    }
}

impl Tenant {
    fn new(name: String, location: Location, lock_timeout: Duration) -> Tenant {
        Tenant {
            name,
            location,
            lock_timeout,
            keys: Cache::new(false),
            usage: Cache::new(false),
            loading: tokio::sync::Mutex::new(()),
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
            // Where the file fails (its line and column) is for the operator's log only:
            // the answer to a client, perhaps unauthenticated, never quotes the file.
            let loaded = load(path, place).map_err(|e| {
                super::log::say(format!("tenant '{}' does not load: {e}", self.name));
            });
            if loaded.is_err() || now.size() > 1 << 20 {
                // The load ran on a blocking thread, whose malloc arena would keep what
                // it freed: a refused file's memory would stay with the server for good.
                super::memory::release_free_memory();
            }
            if loaded.is_ok() {
                super::log::say(format!("tenant '{}': read {}", self.name, path.display()));
            }
            loaded
        });
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
}

/// security.yml as last read: its keys, or `Err` when it does not load.
type Read = Result<Arc<Loaded>, Arc<()>>;

fn load(path: &Path, place: &Place) -> crate::Result<Loaded> {
    let bytes = place.read()?.ok_or_else(|| crate::Error::Invalid {
        path: path.to_path_buf(),
        message: "no longer exists".into(),
    })?;
    let etag = format!("sha256:{}", crate::store::file_digest(&bytes));
    let doc = Document::load(path, crate::store::into_text(path, bytes)?)?;
    for warning in doc.deprecation_warnings() {
        crate::text::print_warning(&warning);
    }
    let verifier = Verifier::new(doc.model);
    let shared = verifier
        .shared_secrets()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
        .collect();
    Ok(Loaded {
        verifier,
        etag,
        shared,
    })
}
