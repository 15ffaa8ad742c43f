//! What requests send: the bodies of POST and PUT, each field checked by the rules every
//! writer shares (crate::keys::definition; 422 naming the field), and `If-Match` (412).

use super::body::present;
use super::reply::ApiError;
use crate::document::Document;
use crate::keys::{Definition, DefinitionInput, FieldError};
use crate::model::ApiKey;
use crate::model::Field;
use crate::view::KeyView;
use http::{HeaderMap, StatusCode, header};
use serde::Deserialize;

/// The body of `POST .../apiKeys`: a new key's definition.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "NewKey")]
pub(super) struct NewKey {
    /// The key's name: 1 to 64 of A-Z a-z 0-9 - _ . (not "." or "..").
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "crate::schema::KeyName")]
    pub name: Option<String>,
    /// false creates the key disabled; default true.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "bool")]
    pub enabled: Option<bool>,
    /// Scopes granted: "*" all, "dns:*" every action on dns, "dns:read" one; default [].
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Vec<crate::schema::Scope>")]
    pub permissions: Option<Vec<String>>,
    /// Free text saying what the key is for; null or "" for none.
    pub description: Option<String>,
    /// Who the key belongs to, a team or a contact: 1 to 128 printable characters on one
    /// line; null or absent: none.
    #[schemars(with = "Option<crate::schema::Owner>")]
    pub owner: Option<String>,
    /// When the key stops working (RFC 3339, in the future); null or absent: never.
    #[schemars(with = "Option<crate::schema::Time>")]
    pub expires_at: Option<String>,
    /// Address ranges (CIDR, or single addresses) the key may be used from; null: any.
    #[schemars(with = "Option<Vec<crate::schema::Cidr>>", length(min = 1))]
    pub allowed_ips: Option<Vec<String>>,
    /// Request paths the key may be used on: those continuing it, or "=/x" exactly /x; null: any.
    #[schemars(with = "Option<crate::schema::PathPrefix>")]
    pub path_prefix: Option<String>,
    /// Resources the key may be used on; null: the whole tenant.
    #[schemars(length(min = 1))]
    pub resources: Option<Vec<String>>,
}

impl NewKey {
    pub(super) const FIELDS: &[&str] = &[
        Field::Name.yaml_name(),
        Field::Enabled.yaml_name(),
        Field::Permissions.yaml_name(),
        Field::Description.yaml_name(),
        Field::Owner.yaml_name(),
        Field::ExpiresAt.yaml_name(),
        Field::AllowedIps.yaml_name(),
        Field::PathPrefix.yaml_name(),
        Field::Resources.yaml_name(),
    ];

    /// The name and the definition, checked as every writer's are (crate::keys::definition):
    /// a refusal is 422 naming the field (`allowedIps[2]`).
    pub(super) fn check(self, now: jiff::Timestamp) -> Result<(String, Definition), ApiError> {
        let name = self
            .name
            .ok_or_else(|| ApiError::field("name", "field 'name' is required".into()))?;
        let expires_at = match self.expires_at {
            None => None,
            Some(text) => Some(
                crate::time::parse_timestamp(&text)
                    .map_err(|e| ApiError::field("expiresAt", format!("expiresAt: {e}")))?,
            ),
        };
        let definition = DefinitionInput {
            name: Some(name.clone()),
            description: self.description,
            owner: self.owner,
            enabled: self.enabled,
            permissions: self.permissions,
            expires_at,
            expires_before: None,
            allowed_ips: self.allowed_ips,
            path_prefix: self.path_prefix,
            resources: self.resources,
        }
        .check(now)
        .map_err(unprocessable)?;
        Ok((name, definition))
    }
}

/// A refused definition: 422 naming the field as the body does (`allowedIps[2]`).
fn unprocessable(e: FieldError) -> ApiError {
    ApiError::field(&e.path(), e.to_string())
}

/// Each scope well formed (422 naming `permissions[i]`), each kept once.
pub(super) fn check_scopes(scopes: Vec<String>) -> Result<Vec<String>, ApiError> {
    let checked = DefinitionInput {
        permissions: Some(scopes),
        ..DefinitionInput::default()
    }
    .check(jiff::Timestamp::UNIX_EPOCH)
    .map_err(unprocessable)?;
    Ok(checked.permissions.unwrap_or_default())
}

/// The body of `PUT .../apiKeys/{key}`: the three fields it replaces (`enabled`, and
/// `permissions` and `owner` when given). The other fields of a
/// key's definition may be sent back as they were read (GET, change, PUT); a different value
/// for one of them is refused, since PUT changes only these three.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "KeyState")]
pub(super) struct KeyState {
    /// false disables the key at once; true enables it.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "bool")]
    pub enabled: Option<bool>,
    /// The whole new list of scopes; absent: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Vec<crate::schema::Scope>")]
    pub permissions: Option<Vec<String>>,
    /// The new owner (1 to 128 printable characters on one line); null removes it; absent:
    /// unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<crate::schema::Owner>")]
    pub owner: Option<Option<String>>,
}

impl KeyState {
    /// The owner sent, checked as every writer's is (422 naming `owner`): `None` when not
    /// sent, `Some(None)` to remove it.
    pub(super) fn owner(&self) -> Result<Option<Option<String>>, ApiError> {
        match &self.owner {
            Some(Some(o)) => {
                let checked = DefinitionInput {
                    owner: Some(o.clone()),
                    ..DefinitionInput::default()
                }
                .check(jiff::Timestamp::UNIX_EPOCH)
                .map_err(unprocessable)?;
                Ok(Some(checked.owner))
            }
            other => Ok(other.clone()),
        }
    }

    /// Fields a PUT may carry: its own three, and a definition's as read.
    pub(super) const FIELDS: &[&str] = &[
        "enabled",
        "permissions",
        "owner",
        "name",
        "fingerprint",
        "description",
        "status",
        "createdAt",
        "expiresAt",
        "expired",
        "allowedIps",
        "pathPrefix",
        "resources",
        "lastUsedAt",
        "lastUsedFrom",
        "previousSecrets",
        "sharesSecretWith",
    ];
    /// Of those, the ones that must read as the key's: the rest change by themselves (time,
    /// use) and are ignored.
    pub(super) const ECHOED: &[&str] = &[
        "name",
        "description",
        "expiresAt",
        "allowedIps",
        "pathPrefix",
        "resources",
    ];
}

/// Refuses a field of a definition sent with a PUT whose value is not the key's.
pub(super) fn check_echoed(
    object: &serde_json::Map<String, serde_json::Value>,
    key: &ApiKey,
    now: jiff::Timestamp,
) -> Result<(), ApiError> {
    if !KeyState::ECHOED.iter().any(|f| object.contains_key(*f)) {
        return Ok(());
    }
    let current = serde_json::to_value(KeyView::new(key, None, now)).expect("views serialize");
    for field in KeyState::ECHOED {
        if let Some(sent) = object.get(*field) {
            if Some(sent) != current.get(*field) {
                let why = if *field == "name" {
                    "a key's name never changes".to_string()
                } else {
                    format!(
                        "PUT replaces only enabled, permissions and owner, and {field} differs from the key's; leave it out, or change it with `tokenctl update` or `tokenctl apply`"
                    )
                };
                return Err(ApiError::field(field, why));
            }
        }
    }
    Ok(())
}

/// `If-Match`: the write goes ahead only when the file's digest is one of these.
pub(super) enum IfMatch {
    None,
    Any,
    Tags(Vec<String>),
}

impl IfMatch {
    pub(super) fn parse(headers: &HeaderMap) -> IfMatch {
        let mut tags = Vec::new();
        let mut any_header = false;
        for value in headers.get_all(header::IF_MATCH) {
            any_header = true;
            let Ok(text) = value.to_str() else {
                continue;
            };
            for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                if tag == "*" {
                    return IfMatch::Any;
                }
                // A weak tag never matches (If-Match compares strongly); quotes are optional
                // for those who paste the digest as `sha256sum` prints it.
                if tag.starts_with("W/") {
                    continue;
                }
                let bare = tag.trim_matches('"').to_ascii_lowercase();
                let bare = if bare.starts_with("sha256:") {
                    bare
                } else {
                    format!("sha256:{bare}")
                };
                tags.push(bare);
            }
        }
        if any_header {
            IfMatch::Tags(tags)
        } else {
            IfMatch::None
        }
    }

    /// 412 with the file's ETag when the file read under the lock is not one of the tags.
    pub(super) fn check(&self, doc: &Document) -> Result<(), ApiError> {
        let IfMatch::Tags(tags) = self else {
            return Ok(());
        };
        let now = format!("sha256:{}", crate::store::file_digest(doc.text.as_bytes()));
        if tags.contains(&now) {
            return Ok(());
        }
        Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
            "the file changed since you read it (If-Match does not match its ETag); nothing was written; read it again and retry".into(),
        )
        .with_etag(Some(now.trim_start_matches("sha256:").to_string())))
    }
}
