//! The admin API's writes: one frame around every change to a tenant's file, so that no
//! route can forget a step. Under the file's lock ([`crate::store::Store::write`]), off the
//! runtime's threads: the caller's token checked again (a key revoked, disabled or stripped
//! of its scope since the request began may no longer write), `If-Match` (412), then the
//! route's plan; a refusal writes nothing and answers with the file's ETag.

use super::auth::Credential;
use super::fields::IfMatch;
use super::reply::ApiError;
use super::tenants::Tenant;
use crate::document::{Document, Edit};
use crate::error::Result;
use crate::store::Written;

/// What a route's plan gives under the lock: the edit and the route's value, or a refusal
/// (the client's error; nothing is written).
pub(super) type Planned<T> = Result<(Edit, std::result::Result<T, ApiError>)>;

/// A write in flight on a blocking thread.
pub(super) type Job<T> = tokio::task::JoinHandle<Result<Written<std::result::Result<T, ApiError>>>>;

/// A refusal under the lock: nothing is written, the client gets `e`.
pub(super) fn refuse<T>(e: ApiError) -> Planned<T> {
    Ok((Edit::new(), Err(e)))
}

/// Writes what `plan` gives to the tenant's file (see the module's comment). Answers the
/// plan's value and the file's digest (hex) afterwards.
pub(super) async fn locked<T: Send + 'static>(
    tenant: &Tenant,
    caller: Credential,
    if_match: IfMatch,
    now: jiff::Timestamp,
    plan: impl FnOnce(&Document, &Credential) -> Planned<T> + Send + 'static,
) -> std::result::Result<(T, Option<String>), ApiError> {
    let store = tenant.store()?;
    let plan = guarded(caller, if_match, now, plan);
    finished(tokio::task::spawn_blocking(move || {
        store.write(None, plan, |_, _| Ok(false))
    }))
    .await
}

/// `plan` behind the checks every write makes first: the caller again, then `If-Match`.
pub(super) fn guarded<T>(
    caller: Credential,
    if_match: IfMatch,
    now: jiff::Timestamp,
    plan: impl FnOnce(&Document, &Credential) -> Planned<T>,
) -> impl FnOnce(&Document) -> Planned<T> {
    move |doc| {
        if let Err(e) = caller.recheck(doc, now) {
            return refuse(e);
        }
        if let Err(e) = if_match.check(doc) {
            return refuse(e);
        }
        plan(doc, &caller)
    }
}

/// The outcome of a write as the client sees it: the plan's value and the file's digest,
/// or the refusal (with the file's ETag) or the store's error.
pub(super) async fn finished<T>(job: Job<T>) -> std::result::Result<(T, Option<String>), ApiError> {
    let written = job
        .await
        .map_err(|e| ApiError::internal(format!("the write failed: {e}")))?
        .map_err(ApiError::from_store)?;
    match written.value {
        Ok(value) => Ok((value, written.sha256)),
        Err(e) => Err(e.with_etag(written.sha256)),
    }
}
