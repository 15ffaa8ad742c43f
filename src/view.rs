//! The JSON shape of a key as `list -o json` and `show -o json` print it and the admin API
//! returns it (the OpenAPI document's `KeyDefinition`): one type for both front ends. Never
//! a hash or a secret.

use crate::model::ApiKey;
use crate::store::usage::Usage;
use crate::time::format_timestamp;
use jiff::Timestamp;
use serde::Serialize;

/// Keys expiring within this are marked "expiring" in lists.
pub(crate) const SOON_SECS: i64 = 7 * 86_400;

/// What `list` and `show` print for one key, and the admin API's key definition (its JSON
/// Schema is the OpenAPI document's `KeyDefinition`). Never a hash or a secret.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "KeyDefinition")]
pub(crate) struct KeyView {
    /// The key's name: 1 to 64 of A-Z a-z 0-9 - _ .
    pub name: String,
    /// The first 8 hex digits of the stored hash: tells secrets apart without revealing them.
    pub fingerprint: String,
    /// Free text saying what the key is for.
    pub description: Option<String>,
    /// false: the key is refused (401, reason disabled).
    pub enabled: bool,
    /// "active", "disabled", "expired" or "expiring" (within 7 days).
    #[schemars(extend("enum" = ["active", "disabled", "expired", "expiring"]))]
    pub status: &'static str,
    /// Scopes granted: "*" all, "dns:*" every action on dns, "dns:read" one.
    pub permissions: Vec<String>,
    /// When the key was created (RFC 3339, UTC).
    #[schemars(extend("format" = "date-time"))]
    pub created_at: Option<String>,
    /// When the key stops working (RFC 3339, UTC); null: never.
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: Option<String>,
    /// Whether expiresAt has passed.
    pub expired: bool,
    /// Address ranges the key may be used from; null: any.
    pub allowed_ips: Option<Vec<String>>,
    /// Request paths the key may be used on (those continuing it; "=/x": exactly /x); null: any.
    pub path_prefix: Option<String>,
    /// Resources the key may be used on; null: the whole tenant.
    pub resources: Option<Vec<String>>,
    /// Last recorded use (security.usage.yml), RFC 3339; null: never recorded.
    #[schemars(extend("format" = "date-time"))]
    pub last_used_at: Option<String>,
    /// The address of the last recorded use.
    pub last_used_from: Option<String>,
    /// Old secrets still accepted during a rotation.
    pub previous_secrets: Vec<PreviousView>,
    /// Other keys with one of this key's hashes (the first 10): that token is refused as
    /// ambiguous.
    pub shares_secret_with: Vec<String>,
}

/// An old secret still accepted until expiresAt.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "PreviousSecret")]
pub(crate) struct PreviousView {
    /// The first 8 hex digits of the old secret's hash.
    pub fingerprint: String,
    /// When the old secret stops working (RFC 3339, UTC).
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: String,
}

impl KeyView {
    pub(crate) fn new(key: &ApiKey, usage: Option<&Usage>, now: Timestamp) -> Self {
        let expired = key.is_expired(now);
        let soon = key
            .expires_at
            .is_some_and(|t| t.as_second() - now.as_second() <= SOON_SECS);
        KeyView {
            name: key.name.clone(),
            fingerprint: key.fingerprint(),
            description: key.description.clone(),
            enabled: key.enabled,
            status: if expired {
                "expired"
            } else if !key.enabled {
                "disabled"
            } else if soon {
                "expiring"
            } else {
                "active"
            },
            permissions: key.permissions.clone(),
            created_at: key.created_at.map(format_timestamp),
            expires_at: key.expires_at.map(format_timestamp),
            expired,
            allowed_ips: key
                .allowed_ips
                .as_ref()
                .map(|v| v.iter().map(|n| n.to_string()).collect()),
            path_prefix: key.path_prefix.clone(),
            resources: key.resources.clone(),
            last_used_at: usage.map(|u| format_timestamp(u.last_used_at)),
            last_used_from: usage.and_then(|u| u.last_used_from.clone()),
            previous_secrets: key
                .previous_hashes
                .iter()
                .filter(|p| p.expires_at > now)
                .map(|p| PreviousView {
                    fingerprint: p.hash.fingerprint(),
                    expires_at: format_timestamp(p.expires_at),
                })
                .collect(),
            shares_secret_with: Vec::new(),
        }
    }

    /// Sets [`KeyView::shares_secret_with`] from [`crate::verify::shared_secrets`].
    pub(crate) fn with_shared(
        mut self,
        shared: &std::collections::HashMap<&str, Vec<&str>>,
    ) -> Self {
        if let Some(others) = shared.get(self.name.as_str()) {
            self.shares_secret_with = others.iter().map(|s| s.to_string()).collect();
        }
        self
    }
}

/// The warning `list` and `show` print for keys that share a secret, or `None`. It names
/// at most [`crate::verify::MAX_NAMED`] keys.
pub(crate) fn shared_warning(views: &[KeyView]) -> Option<String> {
    let shared: Vec<&KeyView> = views
        .iter()
        .filter(|v| !v.shares_secret_with.is_empty())
        .collect();
    if shared.is_empty() {
        return None;
    }
    let mut keys: Vec<String> = shared
        .iter()
        .take(crate::verify::MAX_NAMED)
        .map(|v| {
            format!(
                "'{}' (with '{}')",
                v.name,
                v.shares_secret_with.join("', '")
            )
        })
        .collect();
    if shared.len() > crate::verify::MAX_NAMED {
        keys.push(format!("{} more", shared.len() - crate::verify::MAX_NAMED));
    }
    Some(format!(
        "warning: keys share a secret, so it is refused as ambiguous for all of them: {}; \
         rotate all but one of each group (without --grace)",
        keys.join(", ")
    ))
}
