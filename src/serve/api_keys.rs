//! The handlers of `/api/{tenant}/admin/apiKeys` and `/api/{tenant}/admin/apiKeys/{key}`:
//! list, show, create, replace and remove a tenant's keys (README, "The admin API"; the
//! routes are in [`super::routes`]).
//!
//! Order of checks, the same on every route: the path (400), the tenant (404) and the token
//! (401, 403 for the scope, address and path) by the [`Caller`] extractor, the body (400,
//! 422), the resource (403), then under the write lock ([`super::write`]): the token again
//! (a key revoked meanwhile is refused), `If-Match` (412), the key (404, 409) and the
//! catalog (422). A handler answers `Result<Response, ApiError>`.

use super::auth::{Caller, Read, Write};
use super::body;
use super::conn::Peer;
use super::deliver;
use super::dto::{Created, Updated};
use super::fields::{IfMatch, KeyState, NewKey, check_echoed, check_scopes};
use super::path::KeyName;
use super::reply::{ApiError, etag_value, json, json_bytes, json_response};
use super::state::App;
use super::tenants::Snapshot;
use super::write::{self, refuse};
use crate::document::Edit;
use crate::error::Error;
use crate::keys;
use crate::model::ApiKey;
use crate::token::Secret;
use crate::view::KeyView;
use axum::body::Body;
use axum::extract::{Extension, State};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use std::sync::Arc;
use zeroize::Zeroizing;

type Response = axum::response::Response;

/// A key's definition as the API shows it: `tokenctl show --format json`'s object.
fn view(key: &ApiKey, snap: &Snapshot, now: jiff::Timestamp) -> KeyView {
    let mut v = KeyView::new(key, snap.usage.records.get(&key.name), now);
    if let Some(others) = snap.loaded().shared.get(&key.name) {
        v.shares_secret_with = others.clone();
    }
    v
}

/// `GET /api/{tenant}/admin/apiKeys`: every key, in file order (a key restricted to
/// `resources` sees only those keys).
pub(super) async fn list(
    State(app): State<Arc<App>>,
    caller: Caller<Read>,
) -> Result<Response, ApiError> {
    let Caller {
        tenant,
        snap,
        key: caller,
        ..
    } = caller;
    let file = snap.file();
    let now = app.clock.now();
    let etag = Some(snap.loaded().etag.as_str());
    if let Some(allowed) = file.get(&caller.name).and_then(|k| k.resources.as_ref()) {
        let views: Vec<KeyView> = file
            .keys
            .iter()
            .filter(|k| allowed.contains(&k.name))
            .map(|k| view(k, &snap, now))
            .collect();
        return Ok(json(StatusCode::OK, &views, etag));
    }
    let render = || {
        let views: Vec<KeyView> = file.keys.iter().map(|k| view(k, &snap, now)).collect();
        bytes::Bytes::from(json_bytes(&views))
    };
    // Rendering thousands of keys takes milliseconds: let the runtime move other tasks
    // off this thread meanwhile.
    let body = if file.keys.len() > 1000 {
        tokio::task::block_in_place(|| tenant.listing(&snap, now, render))
    } else {
        tenant.listing(&snap, now, render)
    };
    Ok(json_response(StatusCode::OK, Body::from(body), etag))
}

/// `GET /api/{tenant}/admin/apiKeys/{key}`: one key.
pub(super) async fn show(
    State(app): State<Arc<App>>,
    KeyName(name): KeyName,
    caller: Caller<Read>,
) -> Result<Response, ApiError> {
    let Caller { tenant, snap, .. } = caller;
    let key = snap.file().get(&name).ok_or_else(|| {
        ApiError::no_key(&name, &tenant.name).with_etag(Some(snap.loaded().etag.clone()))
    })?;
    Ok(json(
        StatusCode::OK,
        &view(key, &snap, app.clock.now()),
        Some(&snap.loaded().etag),
    ))
}

/// `POST /api/{tenant}/admin/apiKeys`: a new key; the answer holds its secret, once.
pub(super) async fn create(
    State(app): State<Arc<App>>,
    Extension(peer): Extension<Peer>,
    caller: Caller<Write>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Caller {
        tenant,
        snap,
        key: mut caller,
        ..
    } = caller;
    let now = app.clock.now();
    let bytes = body::read(&headers, body).await?;
    let (input, _) = body::parse::<NewKey>(&bytes, NewKey::FIELDS)?;
    let (name, definition) = input.check(now)?;
    caller.check_resource(snap.file(), &name)?;
    let if_match = IfMatch::parse(&headers);
    let log_name = format!("key '{}'", caller.name);
    let store = tenant.writer(now)?;
    let location = format!("/api/{}/admin/apiKeys/{name}", tenant.name);

    let created_name = name.clone();
    let plan = write::guarded(caller, if_match, now, move |doc, caller| {
        match keys::check_new(doc, &name, definition.permissions()) {
            Err(Error::KeyExists(_)) => return refuse(ApiError::exists(&name)),
            Err(Error::Usage(m)) => {
                return refuse(uncatalogued(doc, definition.permissions(), m));
            }
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        let secret = crate::token::generate(doc.model.prefix()).map_err(Error::Other)?;
        let hash = secret.hash();
        keys::check_unique(doc, &hash)?;
        let key = definition.key(&name, hash, now);
        if let Err(e) = caller.check_grant(doc, &key.permissions, &[], Some(&key)) {
            return refuse(e);
        }
        Ok((Edit::new().append(key.clone()), Ok((key, secret))))
    });
    let (held, etag) = deliver::hand_over(
        store,
        plan,
        move |(key, secret): &(ApiKey, Secret), warnings: &[String]| {
            render_created(key, secret, warnings, now)
        },
        peer.conn.clone(),
        (created_name, log_name),
    )
    .await?;
    let mut r = axum::response::Response::new(Body::new(held));
    *r.status_mut() = StatusCode::CREATED;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::ETAG, etag_value(&etag));
    h.insert(
        header::LOCATION,
        HeaderValue::from_str(&location).expect("names are header-safe"),
    );
    Ok(r)
}

/// 422 for a scope the file's catalog lacks, naming it (`permissions[1]`).
fn uncatalogued(doc: &crate::document::Document, scopes: &[String], message: String) -> ApiError {
    let field = scopes
        .iter()
        .position(|s| doc.model.unknown_scope(s).is_some())
        .map_or_else(
            || "permissions".to_string(),
            |i| format!("permissions[{i}]"),
        );
    ApiError::field(&field, message)
}

/// The answer to a POST, as JSON in memory that is wiped when dropped, sized not to grow
/// (a grown buffer would leave a copy of the secret behind), ending in `}\n`.
fn render_created(
    key: &ApiKey,
    secret: &Secret,
    warnings: &[String],
    now: jiff::Timestamp,
) -> crate::error::Result<Zeroizing<Vec<u8>>> {
    let created = Created {
        key: KeyView::new(key, None, now),
        token: secret.expose(),
        warnings,
    };
    let warned: usize = warnings.iter().map(|w| 2 * w.len() + 8).sum();
    let mut out = Zeroizing::new(Vec::with_capacity(
        64 * 1024 + 8 * secret.expose().len() + warned,
    ));
    serde_json::to_writer(&mut *out, &created).map_err(|e| Error::Other(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

/// `PUT /api/{tenant}/admin/apiKeys/{key}`: replaces `enabled` and (when given)
/// `permissions`.
pub(super) async fn replace(
    State(app): State<Arc<App>>,
    KeyName(name): KeyName,
    caller: Caller<Write>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Caller {
        tenant,
        snap,
        key: caller,
        ..
    } = caller;
    let now = app.clock.now();
    let bytes = body::read(&headers, body).await?;
    let (input, object) = body::parse::<KeyState>(&bytes, KeyState::FIELDS)?;
    let enabled = input
        .enabled
        .ok_or_else(|| ApiError::field("enabled", "field 'enabled' is required".into()))?;
    let owner = input.owner()?;
    let permissions = input.permissions.map(check_scopes).transpose()?;
    let if_match = IfMatch::parse(&headers);
    let tenant_name = tenant.name.clone();
    let done = write::locked(&tenant, caller, if_match, now, move |doc, caller| {
        let Some(key) = doc.model.get(&name) else {
            return refuse(ApiError::no_key(&name, &tenant_name));
        };
        if let Err(e) = check_echoed(&object, key, now) {
            return refuse(e);
        }
        let mut new = key.clone();
        new.enabled = enabled;
        if let Some(p) = &permissions {
            new.permissions = p.clone();
        }
        if let Some(o) = &owner {
            new.owner = o.clone();
        }
        match keys::change(doc, key, new.clone(), now) {
            Err(Error::Usage(m)) => refuse(uncatalogued(doc, &new.permissions, m)),
            Err(e) => Err(e),
            Ok(change) => {
                if let Err(e) = caller.check_grant(doc, &new.permissions, &key.permissions, None) {
                    return refuse(e);
                }
                match change {
                    Some(c) => Ok((c.edit, Ok(c.key))),
                    None => Ok((Edit::new(), Ok(key.clone()))),
                }
            }
        }
    })
    .await?;
    let updated = Updated {
        key: view(&done.value, &snap, now),
        warnings: done.warnings,
    };
    Ok(json(
        StatusCode::OK,
        &updated,
        done.sha256.map(|s| format!("sha256:{s}")).as_deref(),
    ))
}

/// `DELETE /api/{tenant}/admin/apiKeys/{key}`: the key stops working at once.
pub(super) async fn remove(
    State(app): State<Arc<App>>,
    KeyName(name): KeyName,
    caller: Caller<Write>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Caller {
        tenant,
        key: caller,
        ..
    } = caller;
    let now = app.clock.now();
    let if_match = IfMatch::parse(&headers);
    let tenant_name = tenant.name.clone();
    let write::Done { sha256, .. } = write::locked(
        &tenant,
        caller,
        if_match,
        now,
        move |doc, _| match keys::removal(doc, std::slice::from_ref(&name)) {
            Ok(edit) => Ok((edit, Ok(()))),
            Err(Error::NoSuchKey { .. }) => refuse(ApiError::no_key(&name, &tenant_name)),
            Err(e) => Err(e),
        },
    )
    .await?;
    let mut r = axum::response::Response::new(Body::empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(s) = sha256 {
        r.headers_mut()
            .insert(header::ETAG, etag_value(&format!("sha256:{s}")));
    }
    Ok(r)
}
