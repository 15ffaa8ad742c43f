//! The routes of the admin API (README, "The admin API"; the OpenAPI document in
//! [`super::openapi`] describes the same): which handler answers which method and path, and
//! 404 and 405 for the rest. The handlers: [`super::whoami`] and [`super::api_keys`].

use super::api_keys::{create, list, remove, replace, show};
use super::reply::ApiError;
use super::state::App;
use super::tenants::Tenants;
use super::whoami::whoami;
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::routing::{MethodRouter, any, get};
use http::{HeaderValue, Method, StatusCode, Uri, header};
use std::sync::Arc;

/// The routes: `/healthz`, the gate's (`authz`) and the admin API's (`admin`).
pub(super) fn router(app: Arc<App>, admin: bool, authz: bool) -> Router {
    let mut router = Router::new().route("/healthz", only(get(healthz), "GET, HEAD"));
    if authz {
        // Any method: the gate judges the method the proxy forwards, whatever it asks with.
        router = router
            .route("/authz", any(super::authz::authz))
            .route("/authz/{tenant}", any(super::authz::authz))
            // Envoy's form of the client's `/`: the empty rest of the path.
            .route("/authz/{tenant}/", any(super::authz::authz))
            .route("/authz/{tenant}/{*path}", any(super::authz::authz));
    }
    if admin {
        router = router.merge(admin_routes());
    }
    router
        .fallback(|method: Method, uri: Uri| async move {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("no route {method} {}; see /api/openapi.json", uri.path()),
            )
        })
        .with_state(app)
}

/// The admin API's routes.
fn admin_routes() -> Router<Arc<App>> {
    Router::new()
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

/// `ok`, or 503 when no tenant can be served: the one file served (`--file`, `--tenant`) is
/// gone or does not load (with no last good version for the gate to judge on), or the root
/// of the tenants is gone. Which tenant is unhealthy is for `/metrics`, never public.
async fn healthz(State(app): State<Arc<App>>) -> axum::response::Response {
    let up = match &app.tenants {
        Tenants::One(tenant) => tenant.judged(app.fail_closed).await.is_ok(),
        Tenants::Root { root, .. } => root.is_dir(),
    };
    let mut r = axum::response::Response::new(Body::from(if up {
        "ok"
    } else {
        "no tenant can be served"
    }));
    if !up {
        *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
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
