//! The routes of the admin API and what each answers (README, "The admin API"; the OpenAPI
//! document in [`super::openapi`] describes the same).
//!
//! Order of checks, the same on every route: the tenant (404), the token (401, 403 for the
//! scope, address and path), the body (400, 422), the resource (403), then under the write
//! lock: the token again (a key revoked meanwhile is refused), `If-Match` (412), the key
//! (404, 409) and the catalog (422).

use super::body::{self, present};
use super::conn::Peer;
use super::deliver::{Held, Prepared};
use super::tenants::{Snapshot, Tenant, Tenants};
use crate::error::Error;
use crate::keys::{self, Definition};
use crate::model::{ApiKey, SecurityFile};
use crate::output::KeyView;
use crate::store::{Document, Edit};
use crate::time::Clock;
use crate::verify::{Denial, Outcome, Request, Verifier};
use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, Path, State};
use axum::routing::{MethodRouter, get};
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// The scope that lets a key read its tenant's keys.
pub const READ: &str = "tenant.apiKey:read";
/// The scope that lets a key create, change and delete its tenant's keys.
pub const WRITE: &str = "tenant.apiKey:write";

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
        let mut e = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            format!("{method} is not allowed here; use {allow}"),
        );
        e.0.allow = Some(allow);
        e
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

/// What a request brings besides its body.
struct Asked {
    headers: HeaderMap,
    peer: Peer,
    uri: Uri,
}

/// A request made with a valid key of the tenant.
struct Caller {
    name: String,
    token: Zeroizing<String>,
    scope: Option<&'static str>,
    ip: IpAddr,
    path: String,
    resource: Option<String>,
}

impl Caller {
    /// Is the key allowed on `resource` (a key name)? A key with `resources` manages only
    /// the keys they name.
    fn check_resource(&mut self, file: &SecurityFile, resource: &str) -> Result<(), ApiError> {
        self.resource = Some(resource.to_string());
        match file.get(&self.name).and_then(|k| k.resources.as_ref()) {
            Some(allowed) if !allowed.iter().any(|r| r == resource) => Err(ApiError::from_outcome(
                &Outcome::Forbidden(Denial::Resource {
                    key: self.name.clone(),
                    resource: resource.to_string(),
                }),
            )),
            _ => Ok(()),
        }
    }

    /// The same token checked against the file as read under the write lock: a key revoked,
    /// disabled or stripped of its scope since the request began may no longer write.
    fn recheck(&self, doc: &Document, now: jiff::Timestamp) -> Result<(), ApiError> {
        let Some(key) = doc.model.get(&self.name) else {
            return Err(ApiError::from_outcome(&Outcome::Rejected(
                crate::verify::Rejection::Unknown,
            )));
        };
        let one = Verifier::new(SecurityFile::new(
            None,
            doc.model.token_prefix.clone(),
            None,
            vec![key.clone()],
        ));
        let outcome = one.verify(
            &self.token,
            &Request {
                permission: self.scope,
                ip: Some(self.ip),
                path: Some(&self.path),
                resource: self.resource.as_deref(),
            },
            now,
        );
        match outcome {
            Outcome::Valid { .. } => Ok(()),
            other => Err(ApiError::from_outcome(&other)),
        }
    }
}

impl App {
    /// Checks the request's token against the tenant's file: 401 when it is no working key
    /// of this tenant, 403 when the key lacks `scope`, the client's address or the path, or
    /// the `resource`.
    fn authenticate(
        &self,
        (tenant, snap): (&Tenant, &Snapshot),
        ask: &Asked,
        scope: Option<&'static str>,
        resource: Option<&str>,
        who: &mut Option<String>,
    ) -> Result<Caller, ApiError> {
        let Asked { headers, peer, uri } = ask;
        let ip = self.client_ip(headers, peer)?;
        let mut values = headers.get_all(header::AUTHORIZATION).iter();
        let value = match (values.next(), values.next()) {
            (None, _) => {
                return Err(ApiError::unauthorized(
                    "missing",
                    "no Authorization header: send `Authorization: Bearer <token>`".into(),
                ));
            }
            (Some(_), Some(_)) => {
                return Err(ApiError::unauthorized(
                    "bad-header",
                    "more than one Authorization header: send exactly one".into(),
                ));
            }
            (Some(v), None) => v.to_str().map_err(|_| {
                ApiError::unauthorized(
                    "bad-header",
                    "the Authorization header is not ASCII text".into(),
                )
            })?,
        };
        let token = crate::verify::token_from_header(value)
            .map_err(|r| ApiError::from_outcome(&Outcome::Rejected(r)))?;
        let request = Request {
            permission: scope,
            ip: Some(ip),
            path: Some(uri.path()),
            resource,
        };
        let outcome = snap
            .loaded()
            .verifier
            .verify(&token, &request, self.clock.now());
        *who = outcome.key().map(str::to_string);
        *peer.who.lock().unwrap_or_else(PoisonError::into_inner) = who.clone();
        match outcome {
            Outcome::Valid { key, .. } => {
                if let Some(r) = &self.record {
                    r.record(self, tenant, &key, ip);
                }
                Ok(Caller {
                    name: key,
                    token,
                    scope,
                    ip,
                    path: uri.path().to_string(),
                    resource: resource.map(str::to_string),
                })
            }
            other => Err(ApiError::from_outcome(&other)),
        }
    }

    /// The client's address: the peer's, or with `--trust-proxy` the last address of
    /// X-Forwarded-For (the one the proxy in front added; those before it are the client's
    /// to forge), when there is one.
    fn client_ip(&self, headers: &HeaderMap, peer: &Peer) -> Result<IpAddr, ApiError> {
        let direct = peer.addr.ip().to_canonical();
        if !self.trust_proxy {
            return Ok(direct);
        }
        let mut last = None;
        for value in headers.get_all("x-forwarded-for") {
            let text = value
                .to_str()
                .map_err(|_| ApiError::bad_request("X-Forwarded-For is not ASCII text".into()))?;
            if let Some(entry) = text.rsplit(',').next() {
                last = Some(entry.trim().to_string());
            }
        }
        let Some(last) = last.filter(|l| !l.is_empty()) else {
            return Ok(direct);
        };
        last.parse::<IpAddr>()
            .map(|ip| ip.to_canonical())
            .map_err(|_| {
                ApiError::bad_request(format!(
                    "the last address of X-Forwarded-For, {last:?}, is not an IP address"
                ))
            })
    }

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

/// The body of `POST .../apiKeys`: a new key's definition.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "NewKey")]
pub struct NewKey {
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
    pub const FIELDS: &[&str] = &[
        "name",
        "enabled",
        "permissions",
        "description",
        "expiresAt",
        "allowedIps",
        "pathPrefix",
        "resources",
    ];

    /// The name and the definition, each field checked as the CLI checks its flag.
    fn check(self, now: jiff::Timestamp) -> Result<(String, Definition), ApiError> {
        let name = self
            .name
            .ok_or_else(|| ApiError::field("name", "field 'name' is required".into()))?;
        if let Some(problem) = crate::names::problem(&name) {
            return Err(ApiError::field(
                "name",
                format!("invalid key name {name:?}: {problem}; use 1 to 64 of A-Z a-z 0-9 - _ ."),
            ));
        }
        let permissions = check_scopes(self.permissions.unwrap_or_default())?;
        let expires_at = match self.expires_at {
            None => None,
            Some(text) => {
                let t = crate::time::parse_timestamp(&text)
                    .map_err(|e| ApiError::field("expiresAt", format!("expiresAt: {e}")))?;
                if t <= now {
                    return Err(ApiError::field(
                        "expiresAt",
                        format!(
                            "expiresAt {text} is not in the future; the key would be created expired"
                        ),
                    ));
                }
                Some(t)
            }
        };
        let allowed_ips = match self.allowed_ips {
            None => None,
            Some(list) if list.is_empty() => {
                return Err(ApiError::field(
                    "allowedIps",
                    "allowedIps is empty, which would allow no address; leave it out (or null) to allow any".into(),
                ));
            }
            Some(list) => Some(
                list.iter()
                    .enumerate()
                    .map(|(i, s)| {
                        crate::model::parse_cidr(s).map_err(|e| {
                            ApiError::field(
                                &format!("allowedIps[{i}]"),
                                format!("allowedIps[{i}]: {e}"),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        if let Some(p) = &self.path_prefix {
            if !crate::model::valid_path_prefix(p) {
                return Err(ApiError::field(
                    "pathPrefix",
                    format!(
                        "invalid pathPrefix {p:?}: it {}",
                        crate::model::PATH_PREFIX_RULE
                    ),
                ));
            }
        }
        if self.resources.as_ref().is_some_and(Vec::is_empty) {
            return Err(ApiError::field(
                "resources",
                "resources is empty, which would allow no resource; leave it out (or null) for the whole tenant".into(),
            ));
        }
        Ok((
            name,
            Definition {
                description: self.description.filter(|d| !d.is_empty()),
                enabled: self.enabled.unwrap_or(true),
                permissions,
                expires_at,
                allowed_ips,
                path_prefix: self.path_prefix,
                resources: self.resources,
            },
        ))
    }
}

/// Each scope well formed (422 naming `permissions[i]`), each kept once.
fn check_scopes(mut scopes: Vec<String>) -> Result<Vec<String>, ApiError> {
    for (i, s) in scopes.iter().enumerate() {
        if let Some(p) = crate::model::scope_problem(s) {
            return Err(ApiError::field(
                &format!("permissions[{i}]"),
                format!("permissions[{i}]: {p}"),
            ));
        }
    }
    keys::dedup(&mut scopes);
    Ok(scopes)
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
                    match keys::check_new(doc, &name, &definition.permissions) {
                        Err(Error::KeyExists(_)) => return refuse(ApiError::exists(&name)),
                        Err(Error::Usage(m)) => return refuse(ApiError::field("permissions", m)),
                        Err(e) => return Err(e),
                        Ok(()) => {}
                    }
                    let secret =
                        crate::token::generate(doc.model.prefix()).map_err(Error::Other)?;
                    let hash = secret.hash();
                    keys::check_unique(doc, &hash)?;
                    let key = definition.key(&name, hash, now);
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

/// The body of `PUT .../apiKeys/{key}`: the two fields it replaces. The other fields of a
/// key's definition may be sent back as they were read (GET, change, PUT); a different value
/// for one of them is refused, since PUT changes only these two.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "KeyState")]
pub struct KeyState {
    /// false disables the key at once; true enables it.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "bool")]
    pub enabled: Option<bool>,
    /// The whole new list of scopes; absent: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Vec<crate::schema::Scope>")]
    pub permissions: Option<Vec<String>>,
}

impl KeyState {
    /// Fields a PUT may carry: its own two, and a definition's as read.
    pub const FIELDS: &[&str] = &[
        "enabled",
        "permissions",
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
    pub const ECHOED: &[&str] = &[
        "name",
        "description",
        "expiresAt",
        "allowedIps",
        "pathPrefix",
        "resources",
    ];
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
                    match keys::change(doc, key, new, now) {
                        Ok(Some(c)) => Ok((c.edit, Ok(c.key))),
                        Ok(None) => Ok((Edit::new(), Ok(key.clone()))),
                        Err(Error::Usage(m)) => refuse(ApiError::field("permissions", m)),
                        Err(e) => Err(e),
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

/// Refuses a field of a definition sent with a PUT whose value is not the key's.
fn check_echoed(
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
                        "PUT replaces only enabled and permissions, and {field} differs from the key's; leave it out, or change it with `tokenctl update` or `tokenctl apply`"
                    )
                };
                return Err(ApiError::field(field, why));
            }
        }
    }
    Ok(())
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

/// `If-Match`: the write goes ahead only when the file's digest is one of these.
enum IfMatch {
    None,
    Any,
    Tags(Vec<String>),
}

impl IfMatch {
    fn parse(headers: &HeaderMap) -> IfMatch {
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
    fn check(&self, doc: &Document) -> Result<(), ApiError> {
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

fn etag_value(etag: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{etag}\"")).expect("a digest is header-safe")
}

/// A JSON answer (compact, ending in a line break), never cached.
fn json<T: Serialize>(status: StatusCode, value: &T, etag: Option<&str>) -> Response {
    json_response(status, Body::from(json_bytes(value)), etag)
}

fn json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(value).expect("views serialize");
    bytes.push(b'\n');
    bytes
}

fn json_response(status: StatusCode, body: Body, etag: Option<&str>) -> Response {
    let mut r = axum::response::Response::new(body);
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(e) = etag {
        h.insert(header::ETAG, etag_value(e));
    }
    r
}

/// An error answer: `{"error", "message"}`, with `reason` (401, 403) or `field` (422).
#[derive(Debug)]
pub struct ApiError(Box<Detail>);

#[derive(Debug)]
struct Detail {
    status: StatusCode,
    error: &'static str,
    reason: Option<&'static str>,
    field: Option<String>,
    message: String,
    /// `sha256:<hex>` of the file, once the caller is authenticated.
    etag: Option<String>,
    allow: Option<&'static str>,
}

/// The JSON body of an error.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorBody<'a> {
    /// What kind of error.
    #[schemars(extend("enum" = [
        "bad-request", "unauthorized", "forbidden", "not-found", "method-not-allowed",
        "timeout", "conflict", "precondition-failed", "invalid-field", "internal", "busy"
    ]))]
    pub error: &'a str,
    /// 401 and 403: the reason, as `tokenctl verify --format json` gives it (and `missing`
    /// for no Authorization header).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = [
        "missing", "empty", "whitespace", "bad-header", "bad-input", "malformed", "unknown",
        "ambiguous", "disabled", "expired", "rotated", "permission", "ip", "path", "resource"
    ]))]
    pub reason: Option<&'a str>,
    /// 422: the field at fault (`permissions[1]`; "" for the body as a whole).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
    /// One line saying what is wrong and what to do; never a token.
    pub message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, message: String) -> Self {
        ApiError(Box::new(Detail {
            status,
            error,
            reason: None,
            field: None,
            message,
            etag: None,
            allow: None,
        }))
    }

    pub fn bad_request(message: String) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", message)
    }

    pub fn field(field: &str, message: String) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-field", message);
        e.0.field = Some(field.to_string());
        e
    }

    pub fn no_tenant(name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no tenant '{}'", name.escape_debug()),
        )
    }

    pub fn no_key(name: &str, tenant: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!(
                "no key named '{}' in tenant '{tenant}'",
                name.escape_debug()
            ),
        )
    }

    pub fn exists(name: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "key '{name}' exists already; pick another name (`tokenctl rotate {name}` gives it a new secret)"
            ),
        )
    }

    pub fn internal(message: String) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    pub fn invalid_file(tenant: &str, why: &str) -> Self {
        Self::internal(format!(
            "tenant '{tenant}''s security.yml cannot be read ({}); fix it (`tokenctl check` shows where) and retry",
            why.rsplit(": ").next().unwrap_or(why)
        ))
    }

    pub fn timeout(after: Duration) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the request took longer than {}s (a body sent too slowly?); nothing was written",
                after.as_secs_f64()
            ),
        )
    }

    fn unauthorized(reason: &'static str, message: String) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message);
        e.0.reason = Some(reason);
        e
    }

    /// 401 or 403 for a token that does not pass, with the reason and message `verify` gives.
    fn from_outcome(outcome: &Outcome) -> Self {
        let message = match outcome {
            Outcome::Rejected(r) => r.to_string(),
            Outcome::Forbidden(d) => d.to_string(),
            Outcome::Valid { .. } => unreachable!("a valid token is no error"),
        };
        let mut e = match outcome {
            Outcome::Forbidden(_) => Self::new(StatusCode::FORBIDDEN, "forbidden", message),
            _ => Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message),
        };
        e.0.reason = Some(outcome.reason());
        e
    }

    /// A write that failed.
    fn from_store(e: Error) -> Self {
        match e {
            Error::Busy(m) => {
                super::log::say(&m);
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "another writer holds the file's lock; nothing was written; retry after the time Retry-After gives".into(),
                )
            }
            Error::Syntax {
                line,
                column,
                message,
                ..
            } => Self::internal(format!(
                "the tenant's security.yml is invalid at line {line}, column {column}: {message}; nothing was written"
            )),
            other => {
                super::log::say(format!("a write failed: {other}"));
                Self::internal(format!(
                    "the change could not be made ({}); nothing was written",
                    match &other {
                        Error::Unsafe { message, .. } => message.clone(),
                        Error::Io { action, source, .. } => format!("{action}: {source}"),
                        _ => "the server's log says why".into(),
                    }
                ))
            }
        }
    }

    /// This error with the file's digest (hex) as its ETag.
    fn with_etag(mut self, hex: Option<String>) -> Self {
        if let Some(h) = hex {
            self.0.etag = Some(format!("sha256:{}", h.trim_start_matches("sha256:")));
        }
        self
    }

    pub fn into_response(self) -> Response {
        let d = self.0;
        let body = ErrorBody {
            error: d.error,
            reason: d.reason,
            field: d.field.as_deref(),
            message: &d.message,
        };
        let mut r = json(d.status, &body, d.etag.as_deref());
        let h = r.headers_mut();
        if d.status == StatusCode::UNAUTHORIZED {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if d.status == StatusCode::SERVICE_UNAVAILABLE {
            h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Some(allow) = d.allow {
            h.insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        r
    }
}

impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> Response {
        ApiError::into_response(self)
    }
}

/// Records admin keys' uses in security.usage.yml (`--record`), at most once a minute per
/// key, off the request's path: a request never waits for it, and never fails for it.
pub struct Recorder {
    last: Mutex<HashMap<(String, String), Instant>>,
}

/// The least time between two records of one key's use.
const RECORD_EVERY: Duration = Duration::from_secs(60);

impl Recorder {
    pub fn new() -> Self {
        Recorder {
            last: Mutex::new(HashMap::new()),
        }
    }

    fn record(&self, app: &App, tenant: &Tenant, key: &str, ip: IpAddr) {
        {
            let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
            let id = (tenant.name.clone(), key.to_string());
            if last.get(&id).is_some_and(|t| t.elapsed() < RECORD_EVERY) {
                return;
            }
            last.insert(id, Instant::now());
        }
        let Ok(store) = tenant.store() else { return };
        let usage = crate::store::usage::Usage {
            last_used_at: app.clock.now(),
            last_used_from: Some(ip.to_string()),
        };
        let (key, tenant, timeout) = (key.to_string(), tenant.name.clone(), app.lock_timeout);
        tokio::task::spawn_blocking(move || {
            if let Err(e) = crate::store::usage::record(&store.usage_path(), &key, usage, timeout) {
                super::log::say(format!(
                    "tenant '{tenant}': the use of key '{key}' was not recorded: {e}"
                ));
            }
        });
    }
}
