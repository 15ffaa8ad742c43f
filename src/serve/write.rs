//! The admin API's writes: one frame around every change to a tenant's file, so that no
//! route can forget a step. Under the file's lock ([`crate::store::Store::write`]), off the
//! runtime's threads: the caller's token checked again (a key revoked, disabled or stripped
//! of its scope since the request began may no longer write), `If-Match` (412), then the
//! route's plan; a refusal writes nothing and answers with the file's ETag. The store then
//! judges the edit by the policy (the tenant file's own `policy:` section and the operator's
//! files, [`Tenant::writer`]): under `enforce` a violation is a 422 `policy` and nothing is
//! written; under `warn` the write goes through and the route answers the warnings.

use super::auth::Credential;
use super::fields::IfMatch;
use super::reply::ApiError;
use super::tenants::Tenant;
use crate::document::{Document, Edit};
use crate::error::Result;
use crate::store::{Store, Written};

/// What a route's plan gives under the lock: the edit and the route's value, or a refusal
/// (the client's error; nothing is written).
pub(super) type Planned<T> = Result<(Edit, std::result::Result<T, ApiError>)>;

/// A write in flight on a blocking thread.
pub(super) type Job<T> = tokio::task::JoinHandle<Result<Written<std::result::Result<T, ApiError>>>>;

/// A refusal under the lock: nothing is written, the client gets `e`.
pub(super) fn refuse<T>(e: ApiError) -> Planned<T> {
    Ok((Edit::new(), Err(e)))
}

/// What a write did, as the client hears of it.
pub(super) struct Done<T> {
    /// The plan's value.
    pub value: T,
    /// The file's digest (hex) afterwards.
    pub sha256: Option<String>,
    /// What the policy warned of (under `enforcement: warn`), one line each
    /// ([`warning_lines`]); the server's log has them too.
    pub warnings: Vec<String>,
}

/// Writes what `plan` gives to the tenant's file (see the module's comment), judged by the
/// policy at `now`.
pub(super) async fn locked<T: Send + 'static>(
    tenant: &Tenant,
    caller: Credential,
    if_match: IfMatch,
    now: jiff::Timestamp,
    plan: impl FnOnce(&Document, &Credential) -> Planned<T> + Send + 'static,
) -> std::result::Result<Done<T>, ApiError> {
    let store = tenant.writer(now)?;
    let plan = guarded(caller, if_match, now, plan);
    let judged = store.clone();
    let (value, sha256) = finished(
        tokio::task::spawn_blocking(move || store.write(None, plan, |_, _| Ok(false))),
        judged.path(),
    )
    .await?;
    Ok(Done {
        value,
        sha256,
        warnings: warning_lines(&judged),
    })
}

/// What the policy warned of in `store`'s writes, as the API gives it: each violation's
/// [`crate::error::PolicyViolation::api_message`] (the fields, the policy file's name), with
/// any token redacted as in an error's message (a scope is what the client sent).
pub(super) fn warning_lines(store: &Store) -> Vec<String> {
    store
        .policy_warnings()
        .iter()
        .map(|v| crate::text::value(&v.api_message()))
        .collect()
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

/// The outcome of a write to `file` as the client sees it: the plan's value and the file's
/// digest, or the refusal (with the file's ETag) or the store's error.
pub(super) async fn finished<T>(
    job: Job<T>,
    file: &std::path::Path,
) -> std::result::Result<(T, Option<String>), ApiError> {
    let written = job
        .await
        .map_err(|e| ApiError::internal(format!("the write failed: {e}")))?
        .map_err(|e| ApiError::from_write(e, file))?;
    match written.value {
        Ok(value) => Ok((value, written.sha256)),
        Err(e) => Err(e.with_etag(written.sha256)),
    }
}
