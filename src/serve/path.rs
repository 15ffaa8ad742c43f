//! The tenant and the key a route's path names, as extractors whose rejection is the API's
//! own 400 (`{"error": "bad-request", …}`) rather than axum's plain text.

use super::reply::ApiError;
use axum::extract::{FromRequestParts, Path};
use http::request::Parts;
use serde::Deserialize;

/// `{tenant}`, and `{key}` where the route has one.
#[derive(Deserialize)]
pub(super) struct Target {
    pub tenant: String,
    #[serde(default)]
    pub key: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Target {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<Target>::from_request_parts(parts, state)
            .await
            .map(|Path(target)| target)
            .map_err(|e| ApiError::bad_request(format!("the path does not read: {e}")))
    }
}

/// The `{key}` of `/api/{tenant}/admin/apiKeys/{key}`.
pub(super) struct KeyName(pub String);

impl<S: Send + Sync> FromRequestParts<S> for KeyName {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Target::from_request_parts(parts, state)
            .await?
            .key
            .map(KeyName)
            .ok_or_else(|| ApiError::internal("the route names no key".into()))
    }
}
