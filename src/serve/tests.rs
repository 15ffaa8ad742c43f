//! The router in process, without a listener (axum's `examples/testing`): the handlers'
//! logic answered through `tower::ServiceExt::oneshot`, in milliseconds. What only a real
//! connection shows (timeouts, the access log, a client that leaves) stays with the tests
//! that drive the binary (tests/e2e/api*.rs).

use super::conn::Peer;
use super::state::App;
use super::tenants::Tenants;
use crate::store::Location;
use crate::time::Clock;
use axum::body::Body;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// A tenant `acme` in a folder of its own, with an admin key and a key that may only read.
struct Fixture {
    _dir: tempfile::TempDir,
    file: PathBuf,
    router: axum::Router,
    admin: String,
    reader: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("security.yml");
    let admin = crate::token::generate("tk").expect("a token");
    let reader = crate::token::generate("tk").expect("a token");
    std::fs::write(
        &file,
        format!(
            "apiKeys:\n  console:\n    permissions: [tenant.apiKey:read, tenant.apiKey:write]\n    hash: {}\n    createdAt: 2026-01-01T00:00:00Z\n  auditor:\n    permissions: [tenant.apiKey:read]\n    hash: {}\n    createdAt: 2026-01-01T00:00:00Z\n",
            admin.hash(),
            reader.hash()
        ),
    )
    .expect("the file is written");
    let location = Location {
        file: Some(file.clone()),
        tenant: Some("acme".into()),
        root: None,
    };
    let lock_timeout = Duration::from_secs(5);
    let app = App {
        tenants: Tenants::new(&location, lock_timeout, None, Vec::new())
            .expect("the tenant is served"),
        trust_proxy: false,
        record: None,
        clock: Clock::fixed("2026-06-01T00:00:00Z".parse().expect("a time")),
        lock_timeout,
        fail_closed: false,
        metrics: None,
    };
    Fixture {
        router: super::routes::router(Arc::new(app), true, true),
        file,
        admin: admin.expose().to_string(),
        reader: reader.expose().to_string(),
        _dir: dir,
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn peer() -> Peer {
    Peer::detached("192.0.2.7:50000".parse().expect("an address"))
}

/// A request as a connection would hand it to the router.
fn request(method: &str, path: &str, token: Option<&str>, body: &str) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if !body.is_empty() {
        r = r.header(header::CONTENT_TYPE, "application/json");
    }
    let mut r = r.body(Body::from(body.to_string())).expect("a request");
    r.extensions_mut().insert(peer());
    r
}

async fn answer(
    router: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, http::HeaderMap, String) {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("a whole body").to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8(bytes.to_vec()).expect("UTF-8"),
    )
}

#[test]
fn no_token_is_401_with_the_one_body_of_every_401() {
    let f = fixture();
    runtime().block_on(async {
        let (status, headers, body) =
            answer(&f.router, request("GET", "/api/acme/whoami", None, "")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
        assert_eq!(
            body,
            "{\"error\":\"unauthorized\",\"message\":\"no valid API key\"}\n"
        );
        let bad = format!("tk_{}", "0".repeat(64));
        let (status, _, body2) = answer(
            &f.router,
            request("GET", "/api/acme/whoami", Some(&bad), ""),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body2, body);
    });
}

#[test]
fn a_key_without_the_write_scope_is_403_and_writes_nothing() {
    let f = fixture();
    let before = std::fs::read(&f.file).expect("the file");
    runtime().block_on(async {
        let (status, _, body) = answer(
            &f.router,
            request(
                "POST",
                "/api/acme/admin/apiKeys",
                Some(&f.reader),
                r#"{"name":"ci"}"#,
            ),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let body: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(body["error"], "forbidden");
        assert_eq!(body["reason"], "permission");
        assert!(
            !body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("auditor"),
            "a 403 never names the key: {body}"
        );
    });
    assert_eq!(std::fs::read(&f.file).expect("the file"), before);
}

#[test]
fn whoami_names_the_calling_key_and_an_unknown_tenant_is_404() {
    let f = fixture();
    runtime().block_on(async {
        let (status, headers, body) = answer(
            &f.router,
            request("GET", "/api/acme/whoami", Some(&f.reader), ""),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers[header::ETAG]
                .to_str()
                .unwrap()
                .starts_with("\"sha256:")
        );
        assert_eq!(
            body,
            "{\"name\":\"auditor\",\"permissions\":[\"tenant.apiKey:read\"],\"expiresAt\":null}\n"
        );
        let (status, _, body) = answer(
            &f.router,
            request("GET", "/api/globex/whoami", Some(&f.reader), ""),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            body,
            "{\"error\":\"not-found\",\"message\":\"no tenant 'globex'\"}\n"
        );
    });
}

#[test]
fn a_write_with_a_stale_if_match_is_412_and_writes_nothing() {
    let f = fixture();
    let before = std::fs::read(&f.file).expect("the file");
    let etag = format!("\"sha256:{}\"", crate::store::file_digest(&before));
    runtime().block_on(async {
        let mut stale = request(
            "DELETE",
            "/api/acme/admin/apiKeys/auditor",
            Some(&f.admin),
            "",
        );
        stale.headers_mut().insert(
            header::IF_MATCH,
            format!("\"sha256:{}\"", "0".repeat(64)).parse().unwrap(),
        );
        let (status, headers, body) = answer(&f.router, stale).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{body}");
        assert_eq!(headers[header::ETAG].to_str().unwrap(), etag);
        assert_eq!(std::fs::read(&f.file).expect("the file"), before);

        let mut current = request(
            "DELETE",
            "/api/acme/admin/apiKeys/auditor",
            Some(&f.admin),
            "",
        );
        current
            .headers_mut()
            .insert(header::IF_MATCH, etag.parse().unwrap());
        let (status, _, body) = answer(&f.router, current).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert!(
            !std::fs::read_to_string(&f.file)
                .unwrap()
                .contains("auditor")
        );
    });
}

/// The secret of a POST is handed to the connection before the file holds the key: here
/// the test plays the socket, saying when the body's first part has been flushed.
#[test]
fn a_create_hands_over_its_secret_then_writes_the_key() {
    let f = fixture();
    runtime().block_on(async {
        let peer = peer();
        let conn = peer.conn.clone();
        let mut post = request(
            "POST",
            "/api/acme/admin/apiKeys",
            Some(&f.admin),
            r#"{"name":"ci","permissions":["tenant.apiKey:read"]}"#,
        );
        post.extensions_mut().insert(peer);
        let response = f.router.clone().oneshot(post).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(
            response.headers()[header::LOCATION],
            "/api/acme/admin/apiKeys/ci"
        );
        let reader =
            tokio::spawn(async move { response.into_body().collect().await.map(|b| b.to_bytes()) });
        while !reader.is_finished() {
            conn.flushed();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let body = reader.await.expect("joined").expect("a whole body");
        let created: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(created["name"], "ci");
        let token = created["token"].as_str().expect("the secret");
        let written = std::fs::read_to_string(&f.file).expect("the file");
        assert!(written.contains(&crate::token::TokenHash::of(token).to_string()));
        let (status, _, body) = answer(
            &f.router,
            request("GET", "/api/acme/whoami", Some(token), ""),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.starts_with("{\"name\":\"ci\""), "{body}");
    });
}

#[test]
fn another_method_is_405_naming_those_allowed() {
    let f = fixture();
    runtime().block_on(async {
        let (status, headers, _) = answer(
            &f.router,
            request("PATCH", "/api/acme/admin/apiKeys/ci", Some(&f.admin), ""),
        )
        .await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(headers[header::ALLOW], "GET, HEAD, PUT, DELETE");
    });
}
