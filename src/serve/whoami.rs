//! `GET /api/{tenant}/whoami`: which key a token is.

use super::auth::{AnyScope, Caller};
use super::dto::Whoami;
use super::reply::{ApiError, json};
use http::StatusCode;

type Response = axum::response::Response;

/// `GET /api/{tenant}/whoami`: the calling key, for any valid token of the tenant.
pub(super) async fn whoami(caller: Caller<AnyScope>) -> Result<Response, ApiError> {
    let snap = caller.snap;
    let key = snap
        .file()
        .get(&caller.key.name)
        .expect("a valid token's key is in the file");
    Ok(json(
        StatusCode::OK,
        &Whoami {
            name: &key.name,
            permissions: &key.permissions,
            expires_at: key.expires_at.map(crate::time::format_timestamp),
        },
        Some(&snap.loaded().etag),
    ))
}
