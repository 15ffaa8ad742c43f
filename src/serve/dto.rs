//! The JSON answers of the admin API besides a key's definition ([`crate::view::KeyView`])
//! and errors ([`super::reply::ErrorBody`]): the handlers serialize them, and
//! [`super::openapi`] derives their schemas.

use crate::view::KeyView;
use serde::Serialize;

/// What `whoami` answers: the calling key.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct Whoami<'a> {
    /// The key's name.
    pub name: &'a str,
    /// Its scopes.
    pub permissions: &'a [String],
    /// When it stops working (RFC 3339, UTC); null: never.
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: Option<String>,
}

/// What `POST` answers: the new key's definition and its secret, this once.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "CreatedKey")]
pub(super) struct Created<'a> {
    #[serde(flatten)]
    pub key: KeyView,
    /// The secret, shown this once: only its hash is kept.
    pub token: &'a str,
}
