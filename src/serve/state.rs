//! What the routes share ([`App`]): the tenants, the server's options, and the record of
//! admin keys' uses (`--record`).

use super::reply::ApiError;
use super::tenants::{Snapshot, Tenant, Tenants};
use crate::time::Clock;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Everything the routes share.
pub(super) struct App {
    pub tenants: Tenants,
    /// Take the client's address from X-Forwarded-For.
    pub trust_proxy: bool,
    /// Record admin keys' uses in security.usage.yml.
    pub record: Option<Recorder>,
    pub clock: Clock,
    pub lock_timeout: Duration,
}

impl App {
    /// The tenant named in the path (404 when there is none) and its file as it is now.
    pub(super) async fn open(&self, tenant: &str) -> Result<(Arc<Tenant>, Snapshot), ApiError> {
        let tenant = self.tenants.get(tenant, self.lock_timeout)?;
        let snap = tenant.snapshot().await?;
        Ok((tenant, snap))
    }
}

/// Records admin keys' uses in security.usage.yml (`--record`), at most once a minute per
/// key, off the request's path: a request never waits for it, and never fails for it.
pub(super) struct Recorder {
    last: Mutex<HashMap<(String, String), Instant>>,
}

/// The least time between two records of one key's use.
const RECORD_EVERY: Duration = Duration::from_secs(60);

impl Recorder {
    pub(super) fn new() -> Self {
        Recorder {
            last: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn record(&self, app: &App, tenant: &Tenant, key: &str, ip: IpAddr) {
        {
            let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
            let id = (tenant.name.clone(), key.to_string());
            if last.get(&id).is_some_and(|t| t.elapsed() < RECORD_EVERY) {
                return;
            }
            last.insert(id, Instant::now());
        }
        let Ok(store) = tenant.store() else { return };
        let usage = crate::store::usage::Usage {
            last_used_at: app.clock.now(),
            last_used_from: Some(ip.to_string()),
        };
        let (key, tenant, timeout) = (key.to_string(), tenant.name.clone(), app.lock_timeout);
        tokio::task::spawn_blocking(move || {
            if let Err(e) = store.record_use(&key, usage, timeout) {
                super::log::say(format!(
                    "tenant '{tenant}': the use of key '{key}' was not recorded: {e}"
                ));
            }
        });
    }
}
