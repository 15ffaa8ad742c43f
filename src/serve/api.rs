//! The routes of the admin API and what each answers (README, "The admin API"; the OpenAPI
//! document in [`super::openapi`] describes the same).
//!
//! Order of checks, the same on every route: the tenant (404), the token (401, 403 for the
//! scope, address and path), the body (400, 422), the resource (403), then under the write
//! lock: the token again (a key revoked meanwhile is refused), `If-Match` (412), the key
//! (404, 409) and the catalog (422).

use super::auth::{Asked, READ, Recorder, WRITE};
use super::body;
use super::conn::Peer;
use super::deliver::{Held, Prepared};
use super::fields::{IfMatch, KeyState, NewKey, check_echoed, check_scopes};
use super::reply::{ApiError, etag_value, json, json_bytes, json_response};
use super::tenants::{Snapshot, Tenant, Tenants};
use crate::document::Edit;
use crate::error::Error;
use crate::keys;
use crate::model::ApiKey;
use crate::time::Clock;
use crate::view::KeyView;
use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, Path, State};
use axum::routing::{MethodRouter, get};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// Everything the routes share.
pub struct App {
    pub tenants: Tenants,
    /// Take the client's address from X-Forwarded-For.
    pub trust_proxy: bool,
    /// Record admin keys' uses in security.usage.yml.
    pub record: Option<Recorder>,
    pub clock: Clock,
    pub lock_timeout: Duration,
    pub request_timeout: Duration,
}

/// The routes.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", only(get(healthz), "GET, HEAD"))
        .route("/api/openapi.json", only(get(openapi), "GET, HEAD"))
        .route("/api/{tenant}/whoami", only(get(whoami), "GET, HEAD"))
        .route(
            "/api/{tenant}/admin/apiKeys",
            only(get(list).post(create), "GET, HEAD, POST"),
        )
        .route(
            "/api/{tenant}/admin/apiKeys/{key}",
            only(
                get(show).put(replace).delete(remove),
                "GET, HEAD, PUT, DELETE",
            ),
        )
        .fallback(|method: Method, uri: Uri| async move {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("no route {method} {}; see /api/openapi.json", uri.path()),
            )
        })
        .with_state(app)
}

/// A route's methods, and a 405 naming them for any other.
fn only(route: MethodRouter<Arc<App>>, allow: &'static str) -> MethodRouter<Arc<App>> {
    route.fallback(move |method: Method| async move {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            format!("{method} is not allowed here; use {allow}"),
        )
        .with_allow(allow)
    })
}

async fn healthz() -> axum::response::Response {
    let mut r = axum::response::Response::new(Body::from("ok"));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn openapi() -> axum::response::Response {
    static DOCUMENT: std::sync::OnceLock<bytes::Bytes> = std::sync::OnceLock::new();
    let doc = DOCUMENT.get_or_init(|| super::openapi::document().into());
    let mut r = axum::response::Response::new(Body::from(doc.clone()));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

type Response = axum::response::Response;

/// Answers with the handler's response or error.
fn finish(result: Result<Response, ApiError>) -> Response {
    match result {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

/// The tenant named in the path.
fn tenant_name(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(t)| t)
        .map_err(|e| ApiError::bad_request(format!("the path does not read: {e}")))
}

fn tenant_and_key(
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(String, String), ApiError> {
    path.map(|Path(p)| p)
        .map_err(|e| ApiError::bad_request(format!("the path does not read: {e}")))
}

impl App {
    async fn open(&self, tenant: &str) -> Result<(Arc<Tenant>, Snapshot), ApiError> {
        let tenant = self.tenants.get(tenant, self.lock_timeout)?;
        let snap = tenant.snapshot().await?;
        Ok((tenant, snap))
    }
}

/// A key's definition as the API shows it: `tokenctl show --format json`'s object.
fn view(key: &ApiKey, snap: &Snapshot, now: jiff::Timestamp) -> KeyView {
    let mut v = KeyView::new(key, snap.usage.records.get(&key.name), now);
    if let Some(others) = snap.loaded().shared.get(&key.name) {
        v.shares_secret_with = others.clone();
    }
    v
}

/// `GET /api/{tenant}/whoami`: the calling key, for any valid token of the tenant.
async fn whoami(
    State(app): State<Arc<App>>,
    Extension(peer): Extension<Peer>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let mut who = None;
    let ask = Asked { headers, peer, uri };
    let result = async {
        let (tenant, snap) = app.open(&tenant_name(path)?).await?;
        let caller = app.authenticate((&tenant, &snap), &ask, None, None, &mut who)?;
        let key = snap
            .file()
            .get(&caller.name)
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
    .await;
    finish(result)
}

/// What `whoami` answers: the calling key.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Whoami<'a> {
    /// The key's name.
    pub name: &'a str,
    /// Its scopes.
    pub permissions: &'a [String],
    /// When it stops working (RFC 3339, UTC); null: never.
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: Option<String>,
}

/// `GET /api/{tenant}/admin/apiKeys`: every key, in file order (a key restricted to
/// `resources` sees only those keys).
async fn list(
    State(app): State<Arc<App>>,
    Extension(peer): Extension<Peer>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let mut who = None;
    let ask = Asked { headers, peer, uri };
    let result = async {
        let (tenant, snap) = app.open(&tenant_name(path)?).await?;
        let caller = app.authenticate((&tenant, &snap), &ask, Some(READ), None, &mut who)?;
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
    .await;
    finish(result)
}

/// `GET /api/{tenant}/admin/apiKeys/{key}`: one key.
async fn show(
    State(app): State<Arc<App>>,
    Extension(peer): Extension<Peer>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let mut who = None;
    let ask = Asked { headers, peer, uri };
    let result = async {
        let (tenant, name) = tenant_and_key(path)?;
        let (tenant, snap) = app.open(&tenant).await?;
        app.authenticate((&tenant, &snap), &ask, Some(READ), Some(&name), &mut who)?;
        let key = snap.file().get(&name).ok_or_else(|| {
            ApiError::no_key(&name, &tenant.name).with_etag(Some(snap.loaded().etag.clone()))
        })?;
        Ok(json(
            StatusCode::OK,
            &view(key, &snap, app.clock.now()),
            Some(&snap.loaded().etag),
        ))
    }
    .await;
    finish(result)
}

/// What `POST` answers: the new key's definition and its secret, this once.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "CreatedKey")]
pub struct Created<'a> {
    #[serde(flatten)]
    pub key: KeyView,
    /// The secret, shown this once: only its hash is kept.
    pub token: &'a str,
}

/// `POST /api/{tenant}/admin/apiKeys`: a new key; the answer holds its secret, once.
async fn create(
    State(app): State<Arc<App>>,
    Extension(peer): Extension<Peer>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    let mut who = None;
    let ask = Asked { headers, peer, uri };
    let result = async {
        let (tenant, snap) = app.open(&tenant_name(path)?).await?;
        let mut caller = app.authenticate((&tenant, &snap), &ask, Some(WRITE), None, &mut who)?;
        let now = app.clock.now();
        let bytes = body::read(&ask.headers, body).await?;
        let (input, _) = body::parse::<NewKey>(&bytes, NewKey::FIELDS)?;
        let (name, definition) = input.check(now)?;
        caller.check_resource(snap.file(), &name)?;
        let if_match = IfMatch::parse(&ask.headers);
        let store = tenant.store()?;
        let location = format!("/api/{}/admin/apiKeys/{name}", tenant.name);

        let (prepared_tx, prepared_rx) = tokio::sync::oneshot::channel::<Prepared>();
        let (commit_tx, commit_rx) = tokio::sync::oneshot::channel::<bool>();
        let job = tokio::task::spawn_blocking(move || {
            let written = store.write(
                None,
                |doc| {
                    let refuse = |e| Ok((Edit::new(), Err(e)));
                    if let Err(e) = caller.recheck(doc, now) {
                        return refuse(e);
                    }
                    if let Err(e) = if_match.check(doc) {
                        return refuse(e);
                    }
                    match keys::check_new(doc, &name, definition.permissions()) {
                        Err(Error::KeyExists(_)) => return refuse(ApiError::exists(&name)),
                        Err(Error::Usage(m)) => {
                            return refuse(uncatalogued(doc, definition.permissions(), m));
                        }
                        Err(e) => return Err(e),
                        Ok(()) => {}
                    }
                    let secret =
                        crate::token::generate(doc.model.prefix()).map_err(Error::Other)?;
                    let hash = secret.hash();
                    keys::check_unique(doc, &hash)?;
                    let key = definition.key(&name, hash, now);
                    if let Err(e) = caller.check_grant(doc, &key.permissions, &[], Some(&key)) {
                        return refuse(e);
                    }
                    Ok((Edit::new().append(key.clone()), Ok((key, secret))))
                },
                |value, sha256| {
                    let Ok((key, secret)) = value else {
                        unreachable!("a refusal writes nothing")
                    };
                    let body = render_created(key, secret, now)?;
                    let (handed_tx, handed_rx) = std::sync::mpsc::sync_channel(1);
                    let prepared = Prepared {
                        etag: format!("sha256:{}", sha256.unwrap_or_default()),
                        body,
                        handed: handed_tx,
                        committed: commit_rx,
                    };
                    prepared_tx.send(prepared).map_err(|_| {
                        Error::Other("the client closed its connection before the answer".into())
                    })?;
                    handed_rx
                        .recv_timeout(super::deliver::HAND_OVER_TIMEOUT)
                        .map_err(|_| {
                            Error::Other(
                                "the answer could not be handed to the client's connection".into(),
                            )
                        })?;
                    Ok(true)
                },
            );
            let _ = commit_tx.send(written.is_ok());
            if let Err(e @ Error::NotDelivered(_)) = &written {
                // The handler may be gone with the client: say it here.
                super::log::say(format!("key '{name}' was not created: {e}"));
            }
            written
        });
        match prepared_rx.await {
            Ok(prepared) => {
                let etag = prepared.etag.clone();
                let conn = ask.peer.conn.clone();
                // The outcome of the rename is logged when it fails; the client sees a
                // response cut off.
                let log_name = caller_name(&who);
                tokio::spawn(async move {
                    if let Ok(Err(e)) = job.await {
                        super::log::say(format!(
                            "creating a key for {log_name}: {e}; the answer was cut off, so the client holds no complete secret"
                        ));
                    }
                });
                let mut r = axum::response::Response::new(Body::new(Held::new(prepared, conn)));
                *r.status_mut() = StatusCode::CREATED;
                let h = r.headers_mut();
                h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                h.insert(header::ETAG, etag_value(&etag));
                h.insert(
                    header::LOCATION,
                    HeaderValue::from_str(&location).expect("names are header-safe"),
                );
                Ok(r)
            }
            // The write ended before it had anything to hand out: a refusal or an error.
            Err(_) => {
                let written = job
                    .await
                    .map_err(|e| ApiError::internal(format!("the write failed: {e}")))?
                    .map_err(ApiError::from_store)?;
                match written.value {
                    Err(e) => Err(e.with_etag(written.sha256)),
                    Ok(_) => Err(ApiError::internal(
                        "the key was not created: the file did not change".into(),
                    )),
                }
            }
        }
    }
    .await;
    finish(result)
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

fn caller_name(who: &Option<String>) -> String {
    who.as_deref()
        .map(|w| format!("key '{w}'"))
        .unwrap_or_else(|| "a client".into())
}

/// The answer to a POST, as JSON in memory that is wiped when dropped, sized not to grow
/// (a grown buffer would leave a copy of the secret behind), ending in `}\n`.
fn render_created(
    key: &ApiKey,
    secret: &crate::token::Secret,
    now: jiff::Timestamp,
) -> crate::Result<Zeroizing<Vec<u8>>> {
    let created = Created {
        key: KeyView::new(key, None, now),
        token: secret.expose(),
    };
    let mut out = Zeroizing::new(Vec::with_capacity(64 * 1024 + 8 * secret.expose().len()));
    serde_json::to_writer(&mut *out, &created).map_err(|e| Error::Other(e.to_string()))?;
    out.push(b'\n');
    Ok(out)
}

/// `PUT /api/{tenant}/admin/apiKeys/{key}`: replaces `enabled` and (when given)
/// `permissions`.
async fn replace(
    State(app): State<Arc<App>>,
    Extension(peer): Extension<Peer>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    let mut who = None;
    let ask = Asked { headers, peer, uri };
    let result = async {
        let (tenant, name) = tenant_and_key(path)?;
        let (tenant, snap) = app.open(&tenant).await?;
        let caller =
            app.authenticate((&tenant, &snap), &ask, Some(WRITE), Some(&name), &mut who)?;
        let now = app.clock.now();
        let bytes = body::read(&ask.headers, body).await?;
        let (input, object) = body::parse::<KeyState>(&bytes, KeyState::FIELDS)?;
        let enabled = input
            .enabled
            .ok_or_else(|| ApiError::field("enabled", "field 'enabled' is required".into()))?;
        let permissions = input.permissions.map(check_scopes).transpose()?;
        let if_match = IfMatch::parse(&ask.headers);
        let store = tenant.store()?;
        let tenant_name = tenant.name.clone();
        let written = tokio::task::spawn_blocking(move || {
            store.write(
                None,
                |doc| {
                    let refuse = |e| Ok((Edit::new(), Err(e)));
                    if let Err(e) = caller.recheck(doc, now) {
                        return refuse(e);
                    }
                    if let Err(e) = if_match.check(doc) {
                        return refuse(e);
                    }
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
                    match keys::change(doc, key, new.clone(), now) {
                        Err(Error::Usage(m)) => refuse(uncatalogued(doc, &new.permissions, m)),
                        Err(e) => Err(e),
                        Ok(change) => {
                            if let Err(e) =
                                caller.check_grant(doc, &new.permissions, &key.permissions, None)
                            {
                                return refuse(e);
                            }
                            match change {
                                Some(c) => Ok((c.edit, Ok(c.key))),
                                None => Ok((Edit::new(), Ok(key.clone()))),
                            }
                        }
                    }
                },
                |_, _| Ok(false),
            )
        })
        .await
        .map_err(|e| ApiError::internal(format!("the write failed: {e}")))?
        .map_err(ApiError::from_store)?;
        let key = written
            .value
            .map_err(|e| e.with_etag(written.sha256.clone()))?;
        Ok(json(
            StatusCode::OK,
            &view(&key, &snap, now),
            written.sha256.map(|s| format!("sha256:{s}")).as_deref(),
        ))
    }
    .await;
    finish(result)
}

/// `DELETE /api/{tenant}/admin/apiKeys/{key}`: the key stops working at once.
async fn remove(
    State(app): State<Arc<App>>,
    Extension(peer): Extension<Peer>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let mut who = None;
    let ask = Asked { headers, peer, uri };
    let result = async {
        let (tenant, name) = tenant_and_key(path)?;
        let (tenant, snap) = app.open(&tenant).await?;
        let caller =
            app.authenticate((&tenant, &snap), &ask, Some(WRITE), Some(&name), &mut who)?;
        let now = app.clock.now();
        let if_match = IfMatch::parse(&ask.headers);
        let store = tenant.store()?;
        let tenant_name = tenant.name.clone();
        let written = tokio::task::spawn_blocking(move || {
            store.write(
                None,
                |doc| {
                    let refuse = |e| Ok((Edit::new(), Err(e)));
                    if let Err(e) = caller.recheck(doc, now) {
                        return refuse(e);
                    }
                    if let Err(e) = if_match.check(doc) {
                        return refuse(e);
                    }
                    match keys::removal(doc, std::slice::from_ref(&name)) {
                        Ok(edit) => Ok((edit, Ok(()))),
                        Err(Error::NoSuchKey { .. }) => {
                            refuse(ApiError::no_key(&name, &tenant_name))
                        }
                        Err(e) => Err(e),
                    }
                },
                |_, _| Ok(false),
            )
        })
        .await
        .map_err(|e| ApiError::internal(format!("the write failed: {e}")))?
        .map_err(ApiError::from_store)?;
        written
            .value
            .map_err(|e| e.with_etag(written.sha256.clone()))?;
        let mut r = axum::response::Response::new(Body::empty());
        *r.status_mut() = StatusCode::NO_CONTENT;
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(s) = written.sha256 {
            r.headers_mut()
                .insert(header::ETAG, etag_value(&format!("sha256:{s}")));
        }
        Ok(r)
    }
    .await;
    finish(result)
}
