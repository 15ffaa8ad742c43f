//! Who is asking: the token of a request checked against its tenant's file (401, 403) by the
//! [`Caller`] extractor, with the scope a route needs as its type (`Caller<Write>`); the
//! client's address; and the check again under the write lock ([`Credential`]).

use super::conn::Peer;
use super::path::Target;
use super::reply::ApiError;
use super::state::App;
use super::tenants::{Snapshot, Tenant};
use crate::document::Document;
use crate::model::SecurityFile;
use crate::verify::{Denial, Needs, Outcome, Verifier};
use axum::extract::FromRequestParts;
use http::HeaderMap;
use http::request::Parts;
use std::marker::PhantomData;
use std::net::IpAddr;
use std::sync::{Arc, PoisonError};
use zeroize::Zeroizing;

/// The scope that lets a key read its tenant's keys.
pub(super) const READ: &str = "tenant.apiKey:read";

/// The scope that lets a key create, change and delete its tenant's keys.
pub(super) const WRITE: &str = "tenant.apiKey:write";

/// The scope a route needs, as the type parameter of [`Caller`].
pub(super) trait Scope: Send + Sync + 'static {
    /// The scope; `None`: any working key of the tenant.
    const NEEDED: Option<&'static str>;
}

/// Any working key of the tenant (`whoami`).
pub(super) struct AnyScope;

/// [`READ`].
pub(super) struct Read;

/// [`WRITE`].
pub(super) struct Write;

impl Scope for AnyScope {
    const NEEDED: Option<&'static str> = None;
}

impl Scope for Read {
    const NEEDED: Option<&'static str> = Some(READ);
}

impl Scope for Write {
    const NEEDED: Option<&'static str> = Some(WRITE);
}

/// A request made with a working key of the tenant its path names, that holds the scope
/// `S` (an extractor). Its checks, in order: the path (400), the tenant (404), the client's
/// address (400 for an X-Forwarded-For that does not read), the token (401), then the scope,
/// the address, the path and the key the path names (403). Whatever the outcome, it tells
/// the access log which key asked.
pub(super) struct Caller<S> {
    pub tenant: Arc<Tenant>,
    /// The tenant's file as the request found it.
    pub snap: Snapshot,
    /// The key that asked, to check again under the write lock.
    pub key: Credential,
    scope: PhantomData<S>,
}

impl<S: Scope> FromRequestParts<Arc<App>> for Caller<S> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let target = Target::from_request_parts(parts, app).await?;
        let (tenant, snap) = app.open(&target.tenant).await?;
        let peer = parts.extensions.get::<Peer>().ok_or_else(|| {
            ApiError::internal("the request came on no connection the server knows".into())
        })?;
        let key = Credential::authenticate(
            app,
            (&tenant, &snap),
            (parts, peer),
            S::NEEDED,
            target.key.as_deref(),
        )?;
        Ok(Caller {
            tenant,
            snap,
            key,
            scope: PhantomData,
        })
    }
}

/// The token a request was made with and what it asked for, once it passed: a key's
/// authority, checked again under the write lock.
pub(super) struct Credential {
    pub name: String,
    token: Zeroizing<String>,
    scope: Option<&'static str>,
    ip: IpAddr,
    path: String,
    resource: Option<String>,
}

impl Credential {
    /// Is the key allowed on `resource` (a key name)? A key with `resources` manages only
    /// the keys they name.
    pub(super) fn check_resource(
        &mut self,
        file: &SecurityFile,
        resource: &str,
    ) -> Result<(), ApiError> {
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
    pub(super) fn recheck(&self, doc: &Document, now: jiff::Timestamp) -> Result<(), ApiError> {
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
            &Needs {
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

impl Credential {
    /// A key limited by `resources` manages only the keys they name, and gives at most what
    /// it has: the scopes a write grants (a POST's `permissions`, or those a PUT adds to what the key
    /// `had`)
    /// that a key did not have (`had`) must each be granted by its own, and a key it creates (`new`) is restricted at least
    /// as it is: `resources` among its own, `allowedIps` and `pathPrefix` within its own, an
    /// expiry no later. Without this a key limited to managing the key `ci` could delete
    /// `ci`, create it again with `*` and no restriction, and hold an admin key of the whole
    /// tenant. A key without `resources` and with `tenant.apiKey:write` is the tenant's
    /// admin: it may create any key (README). 403 `escalation`, with the field at fault.
    pub(super) fn check_grant(
        &self,
        doc: &Document,
        permissions: &[String],
        had: &[String],
        new: Option<&crate::model::ApiKey>,
    ) -> Result<(), ApiError> {
        let Some(own) = doc.model.get(&self.name) else {
            return Err(ApiError::from_outcome(&Outcome::Rejected(
                crate::verify::Rejection::Unknown,
            )));
        };
        if own.resources.is_none() {
            return Ok(());
        }
        let refuse = |field: String, what: String| {
            Err(ApiError::escalation(
                field,
                format!("this key cannot give {what}: a key gives at most what it has itself"),
            ))
        };
        for (i, scope) in permissions.iter().enumerate() {
            if !had.contains(scope) && !crate::verify::grants(&own.permissions, scope) {
                return refuse(
                    format!("permissions[{i}]"),
                    format!("the scope '{scope}', which it lacks"),
                );
            }
        }
        let Some(new) = new else { return Ok(()) };
        if let Some(own_end) = own.expires_at {
            if new.expires_at.is_none_or(|end| end > own_end) {
                return refuse(
                    "expiresAt".into(),
                    format!(
                        "a key that outlives it (it expires at {}; give an expiresAt no later)",
                        crate::time::format_timestamp(own_end)
                    ),
                );
            }
        }
        if let Some(own_nets) = &own.allowed_ips {
            let Some(nets) = &new.allowed_ips else {
                return refuse(
                    "allowedIps".into(),
                    "a key usable from any address (its own allowedIps limit it; give allowedIps within them)".into(),
                );
            };
            for (i, net) in nets.iter().enumerate() {
                if !own_nets.iter().any(|own| own.contains(net)) {
                    return refuse(
                        format!("allowedIps[{i}]"),
                        format!("the addresses {net}, outside its own allowedIps"),
                    );
                }
            }
        }
        if let Some(own_prefix) = &own.path_prefix {
            let within = new.path_prefix.as_deref().is_some_and(|p| {
                if own_prefix.starts_with('=') {
                    p == own_prefix
                } else {
                    crate::verify::path_allowed(own_prefix, p.trim_start_matches('='))
                }
            });
            if !within {
                return refuse(
                    "pathPrefix".into(),
                    format!("a key usable outside its own pathPrefix {own_prefix:?}"),
                );
            }
        }
        if let Some(own_resources) = &own.resources {
            let Some(resources) = &new.resources else {
                return refuse(
                    "resources".into(),
                    "a key usable on every resource (its own resources limit it; give resources among them)".into(),
                );
            };
            for (i, r) in resources.iter().enumerate() {
                if !own_resources.contains(r) {
                    return refuse(
                        format!("resources[{i}]"),
                        format!("the resource '{r}', which it lacks"),
                    );
                }
            }
        }
        Ok(())
    }
}

impl Credential {
    /// Checks the request's token against the tenant's file: 401 when it is no working key
    /// of this tenant, 403 when the key lacks `scope`, the client's address or the path, or
    /// the `resource`.
    fn authenticate(
        app: &App,
        (tenant, snap): (&Arc<Tenant>, &Snapshot),
        (parts, peer): (&Parts, &Peer),
        scope: Option<&'static str>,
        resource: Option<&str>,
    ) -> Result<Credential, ApiError> {
        let (headers, uri) = (&parts.headers, &parts.uri);
        let ip = client_ip(app, headers, peer)?;
        let value = authorization(headers)?;
        let token = crate::verify::token_from_header(value)
            .map_err(|r| ApiError::from_outcome(&Outcome::Rejected(r)))?;
        let request = Needs {
            permission: scope,
            ip: Some(ip),
            path: Some(uri.path()),
            resource,
        };
        let outcome = snap
            .loaded()
            .verifier
            .verify(&token, &request, app.clock.now());
        *peer.who.lock().unwrap_or_else(PoisonError::into_inner) =
            outcome.key().map(str::to_string);
        match outcome {
            Outcome::Valid { key, .. } => {
                if let Some(r) = &app.record {
                    r.record(&app.clock, tenant, &key, ip);
                }
                Ok(Credential {
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
}

/// The one `Authorization` value of a request: 401 when there is none, two, or one that is
/// not ASCII text.
fn authorization(headers: &HeaderMap) -> Result<&str, ApiError> {
    // No header, two, or one that is not ASCII: 401 here (the example server answers 400
    // for the last two). The reasons `verify` has no word for (`missing`, and `bad-header`
    // for what only HTTP can get wrong) reach the access log alone, as every 401's do.
    crate::verify::authorization(headers).map_err(|e| ApiError::unauthorized(e.reason()))
}

/// The client's address: the peer's, or with `--trust-proxy` the last address of
/// X-Forwarded-For (the one the proxy in front added; those before it are the client's
/// to forge), when there is one.
pub(super) fn client_ip(app: &App, headers: &HeaderMap, peer: &Peer) -> Result<IpAddr, ApiError> {
    let direct = crate::verify::client_address(peer.addr.ip());
    if !app.trust_proxy {
        return Ok(direct);
    }
    Ok(forwarded_for(headers)?.unwrap_or(direct))
}

/// The last address of X-Forwarded-For (the one the proxy in front added), `None` when the
/// header is missing or its last entry is empty; 400 when it is not ASCII or not an address.
pub(super) fn forwarded_for(headers: &HeaderMap) -> Result<Option<IpAddr>, ApiError> {
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
        return Ok(None);
    };
    last.parse::<IpAddr>()
        .map(|ip| Some(crate::verify::client_address(ip)))
        .map_err(|_| {
            ApiError::bad_request(format!(
                "the last address of X-Forwarded-For, {last:?}, is not an IP address"
            ))
        })
}
