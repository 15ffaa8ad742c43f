//! What the API answers: JSON bodies with their headers (`ETag`, `Cache-Control: no-store`),
//! and errors as `{"error", "reason" | "field" (and "rule"), "message"}` with the status, and
//! `WWW-Authenticate`, `Retry-After` or `Allow` where they belong.
//!
//! A 401 tells the client nothing but that it has no valid key: every 401 body is the same
//! (`{"error": "unauthorized", "message": "no valid API key"}`), so a dead or stolen token
//! learns no key name and no reason; the reason goes to the access log (see [`LogReason`]).
//! A 403 (a working key) keeps its reason, and its message never names the key.

use crate::error::Error;
use crate::verify::Outcome;
use axum::body::Body;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use std::time::Duration;

type Response = axum::response::Response;

pub(super) fn etag_value(etag: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{etag}\"")).expect("a digest is header-safe")
}

/// A JSON answer (compact, ending in a line break), never cached.
pub(super) fn json<T: Serialize>(status: StatusCode, value: &T, etag: Option<&str>) -> Response {
    json_response(status, Body::from(json_bytes(value)), etag)
}

pub(super) fn json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(value).expect("views serialize");
    bytes.push(b'\n');
    bytes
}

pub(super) fn json_response(status: StatusCode, body: Body, etag: Option<&str>) -> Response {
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

/// An error answer: `{"error", "message"}`, with `reason` (401, 403) or `field` (422; and
/// `rule` for a refusal by policy).
#[derive(Debug)]
pub(super) struct ApiError(Box<Detail>);

#[derive(Debug)]
struct Detail {
    status: StatusCode,
    error: &'static str,
    reason: Option<&'static str>,
    field: Option<String>,
    /// 422 `policy`: the rule broken, as security.yml names it.
    rule: Option<&'static str>,
    message: String,
    /// Why, for the access log: a 401's reason, which its body leaves out, or a 403's.
    log_reason: Option<&'static str>,
    /// `sha256:<hex>` of the file, once the caller is authenticated.
    etag: Option<String>,
    allow: Option<&'static str>,
}

/// The reason of a 401 or 403, carried on the response to the access log (the body of a 401
/// has none).
#[derive(Clone, Copy, Debug)]
pub(super) struct LogReason(pub &'static str);

/// The one message of every 401.
pub(super) const UNAUTHORIZED: &str = "no valid API key";

/// The one message of a 500 for a tenant file that does not load: where it fails is in the
/// server's log, never in an answer (the file is the tenant's, the client may be anyone).
pub(super) const DOES_NOT_LOAD: &str = "tenant file does not load";

/// The JSON body of an error.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Error")]
pub(super) struct ErrorBody<'a> {
    /// What kind of error.
    #[schemars(extend("enum" = [
        "bad-request", "unauthorized", "forbidden", "not-found", "method-not-allowed",
        "timeout", "conflict", "precondition-failed", "invalid-field", "policy", "internal",
        "busy"
    ]))]
    pub error: &'a str,
    /// 403 only: the reason, as `tokenctl verify --format json` gives it (`escalation` for a
    /// write that would give more than the calling key has). A 401 has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["permission", "ip", "path", "resource", "escalation"]))]
    pub reason: Option<&'a str>,
    /// 422, and 403 `escalation`: the field at fault (`permissions[1]`; "" for the body as
    /// a whole); for a refusal by policy (`policy`), the field of the first rule broken
    /// (`expiresAt`, `permissions`, `description`, `owner`, `allowedIps`, `previousHashes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
    /// 422 `policy` only: the first rule broken, as security.yml's `policy:` names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = [
        "maxLifetime", "maxGrace", "forbiddenPermissions", "requireDescription", "requireOwner",
        "requireAllowedIpsFor"
    ]))]
    pub rule: Option<&'a str>,
    /// One line saying what is wrong and what to do; never a token, never the calling key's
    /// name. Every 401 says `no valid API key`.
    pub message: &'a str,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, error: &'static str, message: String) -> Self {
        ApiError(Box::new(Detail {
            status,
            error,
            reason: None,
            log_reason: None,
            field: None,
            rule: None,
            message,
            etag: None,
            allow: None,
        }))
    }

    pub(super) fn bad_request(message: String) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", message)
    }

    pub(super) fn field(field: &str, message: String) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-field", message);
        e.0.field = Some(field.to_string());
        e
    }

    pub(super) fn no_tenant(name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no tenant '{}'", name.escape_debug()),
        )
    }

    pub(super) fn no_key(name: &str, tenant: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!(
                "no key named '{}' in tenant '{tenant}'",
                name.escape_debug()
            ),
        )
    }

    pub(super) fn exists(name: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "key '{name}' exists already; pick another name (`tokenctl rotate {name}` gives it a new secret)"
            ),
        )
    }

    pub(super) fn internal(message: String) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    /// 500 for a tenant file that does not load: the same words whatever is wrong with it
    /// (the server's log says where).
    pub(super) fn invalid_file() -> Self {
        Self::internal(DOES_NOT_LOAD.into())
    }

    pub(super) fn timeout(after: Duration) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the request took longer than {}s (a body sent too slowly?); nothing was written",
                after.as_secs_f64()
            ),
        )
    }

    /// 403: a write would give more than the calling key has (see `Caller::check_grant`).
    pub(super) fn escalation(field: String, message: String) -> Self {
        let mut e = Self::new(StatusCode::FORBIDDEN, "forbidden", message);
        e.0.reason = Some("escalation");
        e.0.log_reason = Some("escalation");
        e.0.field = Some(field);
        e
    }

    /// 401: always the same body; `reason` goes to the access log only.
    pub(super) fn unauthorized(reason: &'static str) -> Self {
        let mut e = Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            UNAUTHORIZED.into(),
        );
        e.0.log_reason = Some(reason);
        e
    }

    /// 401 or 403 for a token that does not pass: a 401 says only [`UNAUTHORIZED`]; a 403
    /// gives the reason `verify` gives, and its message without the key's name.
    pub(super) fn from_outcome(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Forbidden(d) => {
                let mut e = Self::new(StatusCode::FORBIDDEN, "forbidden", d.unnamed());
                e.0.reason = Some(outcome.reason());
                e.0.log_reason = Some(outcome.reason());
                e
            }
            Outcome::Rejected(_) => Self::unauthorized(outcome.reason()),
            Outcome::Valid { .. } => unreachable!("a valid token is no error"),
        }
    }

    /// A write to the tenant's `file` that failed: [`ApiError::from_store`], but an
    /// operator's policy file that does not read (`policy.yml` edited into a typo while the
    /// server runs; it is read again for every write) is said to be that, not the tenant's
    /// file (where is for the server's log).
    pub(super) fn from_write(e: Error, file: &std::path::Path) -> Self {
        match &e {
            Error::Syntax { path, .. }
            | Error::Invalid { path, .. }
            | Error::MissingFile { path, .. }
                if path != file =>
            {
                super::log::say(format!("a write could not read the policy: {e}"));
                Self::internal(
                    "the server's policy file does not load; nothing was written (the server's log says where)"
                        .into(),
                )
            }
            _ => Self::from_store(e),
        }
    }

    /// A write that failed.
    pub(super) fn from_store(e: Error) -> Self {
        match e {
            Error::Busy(m) => {
                super::log::say(&m);
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "another writer holds the file's lock; nothing was written; retry after the time Retry-After gives".into(),
                )
            }
            Error::Policy(refusal) => Self::policy(&refusal).with_etag(refusal.sha256.clone()),
            // Where the file fails is for the server's log, as for a read (see
            // `invalid_file`): the file may have changed under the lock to anything.
            e @ Error::Syntax { .. } => {
                super::log::say(format!("a write found the file does not load: {e}"));
                Self::internal(format!("{DOES_NOT_LOAD}; nothing was written"))
            }
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

    /// 422 `policy`: a write that the policy refuses (under `enforcement: enforce`; nothing
    /// was written). `field` and `rule` are the first violation's; the message gives each,
    /// in the API's fields and with the policy file's name only (never the server's paths).
    pub(super) fn policy(refusal: &crate::error::PolicyRefusal) -> Self {
        let lines: Vec<String> = refusal
            .violations
            .iter()
            .map(crate::error::PolicyViolation::api_message)
            .collect();
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "policy",
            format!(
                "refused by policy: {}; nothing was written",
                lines.join("; also ")
            ),
        );
        if let Some(first) = refusal.violations.first() {
            e.0.field = Some(first.field.to_string());
            e.0.rule = Some(first.rule);
        }
        e.0.log_reason = Some("policy");
        e
    }

    /// This error with the file's digest (hex) as its ETag.
    pub(super) fn with_etag(mut self, hex: Option<String>) -> Self {
        if let Some(h) = hex {
            self.0.etag = Some(format!("sha256:{}", h.trim_start_matches("sha256:")));
        }
        self
    }

    /// The word the access log and the metrics give for this error.
    pub(super) fn set_log_reason(&mut self, reason: &'static str) {
        self.0.log_reason = Some(reason);
    }

    /// This error with the `Allow` header of a 405.
    pub(super) fn with_allow(mut self, allow: &'static str) -> Self {
        self.0.allow = Some(allow);
        self
    }

    pub(super) fn into_response(self) -> Response {
        let d = self.0;
        // A message or field may quote what the client sent (a tenant, a key name, a field
        // name or value): never back a token, even one pasted in the wrong place.
        let message = crate::text::value(&d.message);
        let field = d.field.as_deref().map(crate::text::value);
        let body = ErrorBody {
            error: d.error,
            reason: d.reason,
            field: field.as_deref(),
            rule: d.rule,
            message: &message,
        };
        let mut r = json(d.status, &body, d.etag.as_deref());
        if let Some(reason) = d.log_reason {
            r.extensions_mut().insert(LogReason(reason));
        }
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
