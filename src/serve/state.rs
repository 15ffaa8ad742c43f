//! What the routes share ([`App`]): the tenants, the server's options, and the record of
//! admin keys' uses (`--record`).

use super::reply::ApiError;
use super::tenants::{Snapshot, Tenant, Tenants};
use crate::store::usage::Usage;
use crate::time::Clock;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Everything the routes share.
pub(super) struct App {
    pub tenants: Tenants,
    /// Take the client's address from X-Forwarded-For.
    pub trust_proxy: bool,
    /// Record keys' uses in security.usage.yml.
    pub record: Option<Arc<Recorder>>,
    pub clock: Clock,
    pub lock_timeout: Duration,
    /// The gate answers 500 for a tenant whose file does not load (`--fail-closed`).
    pub fail_closed: bool,
    /// What `/metrics` gives, with `--metrics-listen`.
    pub metrics: Option<Arc<super::metrics::Metrics>>,
}

impl App {
    /// The tenant named in the path (404 when there is none) and its file as it is now.
    pub(super) async fn open(&self, tenant: &str) -> Result<(Arc<Tenant>, Snapshot), ApiError> {
        let tenant = self.tenants.get(tenant, self.lock_timeout)?;
        let snap = tenant.snapshot().await?;
        Ok((tenant, snap))
    }
}

/// Records keys' uses in security.usage.yml (`--record`), at most once a minute per key, in
/// batches off the request's path: [`Recorder::record`] only notes the use; a task writes what
/// was noted, once a second at most, one locked write per tenant ([`Recorder::run`]). A
/// request never waits for the file, and never fails for it.
pub(super) struct Recorder {
    /// When each key's use was last noted, by tenant and key.
    last: Mutex<HashMap<String, HashMap<String, Instant>>>,
    /// Uses noted and not yet written, by tenant.
    pending: Mutex<HashMap<String, Pending>>,
    noted: tokio::sync::Notify,
}

struct Pending {
    tenant: Arc<Tenant>,
    uses: BTreeMap<String, Usage>,
}

/// The least time between two records of one key's use.
const RECORD_EVERY: Duration = Duration::from_secs(60);

/// How long the writer waits after a use is noted, to write the uses that follow with it.
const BATCH_EVERY: Duration = Duration::from_secs(1);

impl Recorder {
    pub(super) fn new() -> Self {
        Recorder {
            last: Mutex::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            noted: tokio::sync::Notify::new(),
        }
    }

    /// Notes a use of `key`, unless one was noted less than a minute ago.
    pub(super) fn record(&self, clock: &Clock, tenant: &Arc<Tenant>, key: &str, ip: IpAddr) {
        {
            let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
            let keys = match last.get_mut(tenant.name.as_str()) {
                Some(keys) => keys,
                None => last.entry(tenant.name.clone()).or_default(),
            };
            if keys.get(key).is_some_and(|t| t.elapsed() < RECORD_EVERY) {
                return;
            }
            keys.insert(key.to_string(), Instant::now());
        }
        let usage = Usage {
            last_used_at: clock.now(),
            last_used_from: Some(ip.to_string()),
        };
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(tenant.name.clone())
            .or_insert_with(|| Pending {
                tenant: tenant.clone(),
                uses: BTreeMap::new(),
            })
            .uses
            .insert(key.to_string(), usage);
        self.noted.notify_one();
    }

    /// Writes the uses noted, a batch at a time, for as long as the server runs.
    pub(super) async fn run(self: Arc<Self>, lock_timeout: Duration) {
        loop {
            self.noted.notified().await;
            tokio::time::sleep(BATCH_EVERY).await;
            let me = self.clone();
            let _ = tokio::task::spawn_blocking(move || me.write(lock_timeout)).await;
        }
    }

    /// Writes every use noted and not yet written: one locked write per tenant. Also called
    /// once more as the server stops, so that no use noted is lost.
    pub(super) fn write(&self, lock_timeout: Duration) {
        let pending =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        for (name, Pending { tenant, uses }) in pending {
            let count = uses.len();
            // A store that does not open has said why in the log already.
            let Ok(store) = tenant.store() else { continue };
            if let Err(e) = store.record_uses(uses, lock_timeout) {
                super::log::say(format!(
                    "tenant '{name}': the use of {count} key(s) was not recorded: {e}"
                ));
            }
        }
    }
}
