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
    /// Under a policy with `enforcement: warn`, each rule the new key breaks (the key was
    /// created all the same): one line each, naming the key, the rule, the policy file and
    /// what would satisfy it. Left out when there is none.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub warnings: &'a [String],
}

/// What `PUT` answers: the key's definition after the change, and the policy's warnings.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "UpdatedKey")]
pub(super) struct Updated {
    #[serde(flatten)]
    pub key: KeyView,
    /// Under a policy with `enforcement: warn`, each rule the change breaks (it was made all
    /// the same; only a change that widens the key is judged): one line each, naming the key,
    /// the rule, the policy file and what would satisfy it. Left out when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}
