//! The gate: `/authz/{tenant}` and `/authz/{tenant}/{*path}` (and with `--file`, `/authz`),
//! for any method, answer whether the request a reverse proxy is about to pass on carries a
//! working key of the tenant, judged by docs/FORMAT.md's rule (docs/GATE.md has the contract
//! and the proxy recipes).
//!
//! Each value comes from exactly one place, so that no client can choose it:
//! - the token: the one `Authorization` header (Bearer, or Basic with the token as password);
//! - what is required: the query of the `/authz/...` URL (`permission=`, repeatable,
//!   `resource=`, `read=` with `write=`) or the headers `X-Tokenctl-Permission`,
//!   `X-Tokenctl-Resource`, `X-Tokenctl-Read`, `X-Tokenctl-Write` (Envoy can set headers but no
//!   query); anything else in the query, a requirement given twice, or `read` without `write`
//!   is the proxy's configuration gone wrong, answered 500 (never "no requirement");
//! - the method: `X-Forwarded-Method` only (without it, `read=`/`write=` are answered 500:
//!   the gate's own method is not the client's, Traefik and Caddy ask with GET);
//! - the path checked against `pathPrefix`: `X-Forwarded-Uri` without its query, else the
//!   `{*path}` part of the URL (Envoy appends the client's path), else `/`;
//! - the client's address checked against `allowedIps`: the peer, or with `--trust-proxy` the
//!   last `X-Forwarded-For` entry (400 when there is none).
//!
//! Answers: 200 with `X-Tokenctl-Key`, `-Tenant`, `-Permissions`; 401 (one body for every
//! reason); 403 with the reason; 404 for an unknown tenant; 500 as above. The reason goes to
//! the access log and the metrics, never the token.

use super::auth::forwarded_for;
use super::conn::Peer;
use super::reply::{ApiError, LogReason};
use super::state::App;
use super::tenants::Tenants;
use crate::verify::{Denial, Needs, Outcome, Verdict, grants};
use axum::body::Body;
use axum::extract::{Request, State};
use http::{HeaderMap, HeaderName, HeaderValue, header};
use std::sync::{Arc, PoisonError};
use std::time::Instant;

type Response = axum::response::Response;

/// At most this many scopes in `X-Tokenctl-Permissions`; more are cut, and
/// `X-Tokenctl-Permissions-Truncated: 1` says so.
const MAX_SCOPES: usize = 50;

static KEY: HeaderName = HeaderName::from_static("x-tokenctl-key");
static TENANT: HeaderName = HeaderName::from_static("x-tokenctl-tenant");
static PERMISSIONS: HeaderName = HeaderName::from_static("x-tokenctl-permissions");
static TRUNCATED: HeaderName = HeaderName::from_static("x-tokenctl-permissions-truncated");
static FORWARDED_METHOD: HeaderName = HeaderName::from_static("x-forwarded-method");
static FORWARDED_URI: HeaderName = HeaderName::from_static("x-forwarded-uri");
static NEED_PERMISSION: HeaderName = HeaderName::from_static("x-tokenctl-permission");
static NEED_RESOURCE: HeaderName = HeaderName::from_static("x-tokenctl-resource");
static NEED_READ: HeaderName = HeaderName::from_static("x-tokenctl-read");
static NEED_WRITE: HeaderName = HeaderName::from_static("x-tokenctl-write");

/// What a request must hold beyond a working key, from the query or the `X-Tokenctl-*`
/// headers.
#[derive(Debug, Default, PartialEq)]
struct Required {
    permissions: Vec<String>,
    resource: Option<String>,
    /// The scopes required of safe methods (GET, HEAD, OPTIONS) and of the others.
    by_method: Option<(String, String)>,
}

/// The proxy's configuration is wrong: answered 500, and logged.
#[derive(Debug, PartialEq)]
struct Misconfigured(String);

/// The handler of every `/authz` route.
pub(super) async fn authz(State(app): State<Arc<App>>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, _body) = request.into_parts();
    let judged = judge(&app, &parts).await;
    let (tenant, response) = match judged {
        Ok(r) => r,
        Err((tenant, e)) => (tenant, e.into_response()),
    };
    if let Some(m) = &app.metrics {
        let reason = match response.extensions().get::<LogReason>() {
            Some(r) => r.0,
            None => match response.status().as_u16() {
                200 => "valid",
                400 => "bad-request",
                404 => "no-tenant",
                _ => "error",
            },
        };
        m.authz(
            tenant.as_deref(),
            response.status(),
            reason,
            started.elapsed(),
        );
    }
    response
}

/// The tenant the request names and the answer, or the error.
type Judgement = Result<(Option<String>, Response), (Option<String>, ApiError)>;

async fn judge(app: &Arc<App>, parts: &http::request::Parts) -> Judgement {
    let fail = |tenant: Option<&str>, e: ApiError| Err((tenant.map(str::to_string), e));
    let Some((name, rest)) = target(&app.tenants, parts.uri.path()) else {
        return fail(
            None,
            ApiError::new(
                http::StatusCode::NOT_FOUND,
                "not-found",
                "name the tenant: /authz/{tenant}".into(),
            ),
        );
    };
    let tenant = match app.tenants.get(name, app.lock_timeout) {
        Ok(t) => t,
        // An unknown tenant is no label of the metrics: its name is the client's choice.
        Err(e) => return fail(None, e),
    };
    let name = Some(name);
    let required = match required(parts.uri.query(), &parts.headers) {
        Ok(r) => r,
        Err(Misconfigured(why)) => {
            super::log::say(format!(
                "tenant '{}': a gate request refused (500): {why}; fix the proxy's configuration",
                tenant.name
            ));
            let mut e =
                ApiError::internal(format!("the gate's requirements are misconfigured: {why}"));
            e.set_log_reason("misconfigured");
            return fail(name, e);
        }
    };
    let method = match one_header(&parts.headers, &FORWARDED_METHOD) {
        Ok(m) => m,
        Err(e) => return fail(name, e),
    };
    let path = match one_header(&parts.headers, &FORWARDED_URI) {
        // Cut at the query only: a request target has no fragment, so a `#` is part of the
        // path as the proxy passes it on, and the path rule refuses it (it could hide `..`).
        Ok(Some(uri)) => uri.split('?').next().unwrap_or_default(),
        Ok(None) => rest.unwrap_or("/"),
        Err(e) => return fail(name, e),
    };
    let Some(peer) = parts.extensions.get::<Peer>() else {
        return fail(
            name,
            ApiError::internal("the request came on no connection the server knows".into()),
        );
    };
    // With --trust-proxy the address has one source, the last X-Forwarded-For entry: a
    // request without one is not judged on the proxy's own address (every client would be).
    let ip = if app.trust_proxy {
        match forwarded_for(&parts.headers) {
            Ok(Some(ip)) => ip,
            Ok(None) => {
                return fail(
                    name,
                    ApiError::bad_request(
                        "with --trust-proxy the gate judges the client's address from the last X-Forwarded-For entry, and this request has none: the proxy must set it".into(),
                    ),
                );
            }
            Err(e) => return fail(name, e),
        }
    } else {
        crate::verify::client_address(peer.addr.ip())
    };
    let judged = match tenant.judged(app.fail_closed).await {
        Ok(j) => j,
        Err(mut e) => {
            e.set_log_reason("does-not-load");
            return fail(name, e);
        }
    };
    let value = match crate::verify::authorization(&parts.headers) {
        Ok(v) => v,
        Err(e) => return fail(name, ApiError::unauthorized(e.reason())),
    };
    let token = match crate::verify::token_from_header(value) {
        Ok(t) => t,
        Err(r) => return fail(name, ApiError::from_outcome(&Outcome::Rejected(r))),
    };
    let mut needed: Vec<&str> = required.permissions.iter().map(String::as_str).collect();
    if let Some((read, write)) = &required.by_method {
        // The method has one source: the gate's own request says nothing of the client's
        // (Traefik and Caddy ask with GET whatever the client did).
        let Some(method) = method else {
            super::log::say(format!(
                "tenant '{}': a gate request refused (500): read= and write= need the client's method in X-Forwarded-Method, which the proxy did not send; fix the proxy's configuration",
                tenant.name
            ));
            let mut e = ApiError::internal(
                "the gate's requirements are misconfigured: read= and write= need X-Forwarded-Method".into(),
            );
            e.set_log_reason("misconfigured");
            return fail(name, e);
        };
        needed.push(if is_safe(method) { read } else { write });
    }
    let verifier = &judged.verifier;
    // `check`: the key's name and scopes borrowed, nothing copied for a valid token.
    let verdict = verifier.check(
        &token,
        &Needs {
            permission: needed.first().copied(),
            ip: Some(ip),
            path: Some(path),
            resource: required.resource.as_deref(),
        },
        app.clock.now(),
    );
    drop(token);
    let verdict = all_permissions(verifier.file(), verdict, &needed);
    *peer.who.lock().unwrap_or_else(PoisonError::into_inner) = verdict.key().map(str::to_string);
    let (key, permissions) = match verdict {
        Verdict::Valid {
            key, permissions, ..
        } => (key, permissions),
        Verdict::Rejected(r) => return fail(name, ApiError::from_outcome(&Outcome::Rejected(r))),
        Verdict::Forbidden(d) => return fail(name, ApiError::from_outcome(&Outcome::Forbidden(d))),
    };
    if let Some(r) = &app.record {
        r.record(&app.clock, &tenant, key, ip);
    }
    if let Some(m) = &app.metrics {
        m.key_used(&tenant.name, key, app.clock.now());
    }
    Ok((
        name.map(str::to_string),
        allowed(&tenant.name, key, permissions),
    ))
}

/// The tenant a gate URL names, and the rest of its path (as sent, percent-encoded), if any:
/// `/authz/{tenant}[/{*path}]`, or with one file served, `/authz` alone for that file's
/// tenant. `None` for any other path.
fn target<'p>(tenants: &'p Tenants, path: &'p str) -> Option<(&'p str, Option<&'p str>)> {
    let after = path.strip_prefix("/authz")?;
    if after.is_empty() {
        return match tenants {
            Tenants::One(t) => Some((&t.name, None)),
            Tenants::Root { .. } => None,
        };
    }
    let after = after.strip_prefix('/')?;
    Some(match after.find('/') {
        Some(i) => (&after[..i], Some(&after[i..])),
        None => (after, None),
    })
}

/// A request's one value of header `name`: `None` when it has none; 400 when it has two (the
/// recipes overwrite these headers, so two means a proxy that appends what the client sent)
/// or one that is not ASCII text.
fn one_header<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Result<Option<&'h str>, ApiError> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(_), Some(_)) => Err(ApiError::bad_request(format!(
            "more than one {name} header: the proxy must set it, overwriting what the client sent"
        ))),
        (Some(v), None) => v
            .to_str()
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("{name} is not ASCII text"))),
    }
}

/// What the request must hold, from the query of the `/authz` URL and the `X-Tokenctl-*`
/// headers; `Err` for anything the gate does not know, a requirement given twice or empty, or
/// one of `read` and `write` without the other: such a proxy configuration would let keys
/// through that it meant to stop.
fn required(query: Option<&str>, headers: &HeaderMap) -> Result<Required, Misconfigured> {
    let mut r = Required::default();
    let mut from_query = (false, false, false, false);
    let mut read = None;
    let mut write = None;
    let set = |slot: &mut Option<String>, what: &str, value: String| {
        if slot.is_some() {
            return Err(Misconfigured(format!("{what} is given twice")));
        }
        *slot = Some(value);
        Ok(())
    };
    for pair in query.unwrap_or_default().split('&') {
        if pair.is_empty() {
            continue;
        }
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(name)?;
        let value = decode(value)?;
        if value.is_empty() {
            return Err(Misconfigured(format!(
                "the query parameter {name:?} has no value"
            )));
        }
        let value = value.into_owned();
        match &*name {
            "permission" => {
                from_query.0 = true;
                r.permissions.push(value);
            }
            "resource" => {
                from_query.1 = true;
                set(&mut r.resource, "resource", value)?;
            }
            "read" => {
                from_query.2 = true;
                set(&mut read, "read", value)?;
            }
            "write" => {
                from_query.3 = true;
                set(&mut write, "write", value)?;
            }
            _ => {
                return Err(Misconfigured(format!(
                    "unknown query parameter {:?} (the gate knows permission, resource, read and write)",
                    crate::text::value(&name)
                )));
            }
        }
    }
    let values = |name: &HeaderName| -> Result<Vec<String>, Misconfigured> {
        let mut out = Vec::new();
        for v in headers.get_all(name) {
            let text = v
                .to_str()
                .map_err(|_| Misconfigured(format!("{name} is not ASCII text")))?;
            for item in text.split(',') {
                let item = item.trim();
                if item.is_empty() {
                    return Err(Misconfigured(format!("{name} has an empty value")));
                }
                out.push(item.to_string());
            }
        }
        Ok(out)
    };
    let twice = |name: &str| {
        Misconfigured(format!(
            "{name} is required both in the query and by a header: give it in one place"
        ))
    };
    let permissions = values(&NEED_PERMISSION)?;
    if !permissions.is_empty() {
        if from_query.0 {
            return Err(twice("permission"));
        }
        r.permissions = permissions;
    }
    for (header, slot, in_query, what) in [
        (&NEED_RESOURCE, &mut r.resource, from_query.1, "resource"),
        (&NEED_READ, &mut read, from_query.2, "read"),
        (&NEED_WRITE, &mut write, from_query.3, "write"),
    ] {
        let mut given = values(header)?;
        match given.len() {
            0 => {}
            1 if in_query => return Err(twice(what)),
            1 => *slot = given.pop(),
            _ => return Err(Misconfigured(format!("{header} is given twice"))),
        }
    }
    r.by_method = match (read, write) {
        (Some(read), Some(write)) => Some((read, write)),
        (None, None) => None,
        _ => {
            return Err(Misconfigured(
                "read and write go together: give the scope of safe methods (read) and of the others (write)".into(),
            ));
        }
    };
    Ok(r)
}

/// A query's name or value, `+` and percent-escapes decoded; `Err` when it is not UTF-8.
fn decode(text: &str) -> Result<std::borrow::Cow<'_, str>, Misconfigured> {
    if !text.contains(['+', '%']) {
        return Ok(text.into());
    }
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|c| c.into_owned().into())
        .map_err(|_| Misconfigured("the query is not UTF-8 once decoded".into()))
}

/// `outcome`, checked for every scope of `needed` (`verify` checked the first): a working
/// key that lacks one is refused for it, before any other reason, as `verify` orders them.
fn all_permissions<'v>(
    file: &'v crate::model::SecurityFile,
    verdict: Verdict<'v>,
    needed: &[&str],
) -> Verdict<'v> {
    let (key, held): (&str, &[String]) = match &verdict {
        Verdict::Valid {
            key, permissions, ..
        } => (key, permissions),
        Verdict::Forbidden(
            Denial::Ip { key, .. } | Denial::Path { key, .. } | Denial::Resource { key, .. },
        ) => match file.get(key) {
            Some(k) => (key, &k.permissions),
            None => return verdict,
        },
        _ => return verdict,
    };
    match needed.iter().skip(1).find(|scope| !grants(held, scope)) {
        Some(scope) => Verdict::Forbidden(Denial::Permission {
            key: key.to_string(),
            needed: (*scope).to_string(),
        }),
        None => verdict,
    }
}

/// 200: the key, its tenant and (at most [`MAX_SCOPES`] of) its scopes, for the proxy to
/// pass upstream.
fn allowed(tenant: &str, key: &str, permissions: &[String]) -> Response {
    let mut r = Response::new(Body::empty());
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Names and scopes are checked on load to be printable ASCII without ','.
    if let Ok(v) = HeaderValue::from_str(key) {
        h.insert(KEY.clone(), v);
    }
    if let Ok(v) = HeaderValue::from_str(tenant) {
        h.insert(TENANT.clone(), v);
    }
    let shown = &permissions[..permissions.len().min(MAX_SCOPES)];
    if let Ok(v) = HeaderValue::from_str(&shown.join(",")) {
        h.insert(PERMISSIONS.clone(), v);
    }
    if permissions.len() > MAX_SCOPES {
        h.insert(TRUNCATED.clone(), HeaderValue::from_static("1"));
    }
    r
}

/// The methods that read (`read=`); every other method writes (`write=`), the unknown and
/// the misspelled too (`get` is not `GET`: HTTP methods are case-sensitive).
fn is_safe(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn requirements_from_the_query_or_the_headers_never_both() {
        let none = HeaderMap::new();
        assert_eq!(required(None, &none), Ok(Required::default()));
        let r = required(
            Some("permission=dns%3Aread&permission=dns:write&resource=zone+a"),
            &none,
        )
        .unwrap();
        assert_eq!(r.permissions, ["dns:read", "dns:write"]);
        assert_eq!(r.resource.as_deref(), Some("zone a"));
        let r = required(
            None,
            &headers(&[
                ("x-tokenctl-permission", "a:b, c:d"),
                ("x-tokenctl-permission", "e:f"),
                ("x-tokenctl-read", "r:read"),
                ("x-tokenctl-write", "r:write"),
            ]),
        )
        .unwrap();
        assert_eq!(r.permissions, ["a:b", "c:d", "e:f"]);
        assert_eq!(r.by_method, Some(("r:read".into(), "r:write".into())));
        for bad in [
            "permision=a:b",
            "permission=",
            "permission",
            "resource=a&resource=b",
            "read=a:b",
            "write=a:b",
            "permission=%ff",
        ] {
            assert!(required(Some(bad), &none).is_err(), "{bad}");
        }
        assert!(
            required(
                Some("permission=a:b"),
                &headers(&[("x-tokenctl-permission", "a:b")])
            )
            .is_err()
        );
        assert!(
            required(
                Some("resource=a"),
                &headers(&[("x-tokenctl-resource", "b")])
            )
            .is_err()
        );
        assert!(
            required(
                None,
                &headers(&[("x-tokenctl-resource", "a"), ("x-tokenctl-resource", "b")])
            )
            .is_err()
        );
        assert!(required(None, &headers(&[("x-tokenctl-permission", "a:b,")])).is_err());
    }

    #[test]
    fn safe_methods() {
        assert!(is_safe("GET") && is_safe("HEAD") && is_safe("OPTIONS"));
        assert!(!is_safe("POST") && !is_safe("get") && !is_safe("PROPFIND"));
    }
}
