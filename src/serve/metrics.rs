//! `/metrics` (`serve --metrics-listen ADDR`): the gate's counters and each tenant's file, in
//! the text format Prometheus scrapes (OpenMetrics), on a listener of its own, never the public
//! one. Key names appear only with `--metrics-keys` (a key's name is not public).
//!
//! - `tokenctl_authz_requests_total{tenant,result,reason}`: the gate's answers; `result` is
//!   `allowed`, `unauthorized`, `forbidden`, `not-found` or `error`, `reason` the word of the
//!   access log (`valid`, `unknown`, `permission`...). An unknown tenant's requests count
//!   under `tenant=""`: a name the client chose is never a label.
//! - `tokenctl_authz_request_duration_seconds`: the gate's latency, a histogram.
//! - `tokenctl_file_info{tenant,digest}`: 1, with the `sha256:` digest of the file the tenant
//!   is judged on; `tokenctl_file_loaded_timestamp_seconds{tenant}`: when it was read;
//!   `tokenctl_file_reload_errors_total{tenant}`: reads of a changed file that failed;
//!   `tokenctl_file_healthy{tenant}`: 1 when the file as it is now loads, 0 when the gate
//!   judges on the last version that did.
//! - with `--metrics-keys`, `tokenctl_key_last_used_timestamp_seconds{tenant,key}`.

use super::state::App;
use super::tenants::{State, Tenants};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Request {
    tenant: String,
    result: &'static str,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TenantLabel {
    tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct File {
    tenant: String,
    digest: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KeyLabel {
    tenant: String,
    key: String,
}

/// Everything `/metrics` gives.
pub(super) struct Metrics {
    registry: Registry,
    requests: Family<Request, Counter>,
    latency: Histogram,
    file_info: Family<File, Gauge>,
    /// Every tenant with series, and the digest `file_info` gives for it (to drop when the
    /// file changes), if any version of it loaded.
    digests: Mutex<HashMap<String, Option<String>>>,
    loaded_at: Family<TenantLabel, Gauge<f64, AtomicU64>>,
    reload_errors: Family<TenantLabel, Counter>,
    healthy: Family<TenantLabel, Gauge>,
    /// With `--metrics-keys`.
    last_used: Option<Family<KeyLabel, Gauge>>,
}

impl Metrics {
    pub(super) fn new(keys: bool) -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<Request, Counter>::default();
        registry.register(
            "tokenctl_authz_requests",
            "Answers of the gate, by tenant, result and reason",
            requests.clone(),
        );
        // From 50 µs to about 0.8 s.
        let latency = Histogram::new(exponential_buckets(0.00005, 2.0, 15));
        registry.register_with_unit(
            "tokenctl_authz_request_duration",
            "Time the gate took to answer",
            Unit::Seconds,
            latency.clone(),
        );
        let file_info = Family::<File, Gauge>::default();
        registry.register(
            "tokenctl_file_info",
            "The digest of the security.yml each tenant is judged on",
            file_info.clone(),
        );
        let loaded_at = Family::<TenantLabel, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "tokenctl_file_loaded_timestamp_seconds",
            "When the security.yml each tenant is judged on was read",
            loaded_at.clone(),
        );
        let reload_errors = Family::<TenantLabel, Counter>::default();
        registry.register(
            "tokenctl_file_reload_errors",
            "Reads of a changed security.yml that did not load",
            reload_errors.clone(),
        );
        let healthy = Family::<TenantLabel, Gauge>::default();
        registry.register(
            "tokenctl_file_healthy",
            "1 when the tenant's security.yml as it is now loads; 0 when the gate judges on the last version that did (or, with --fail-closed, answers 500)",
            healthy.clone(),
        );
        let last_used = keys.then(|| {
            let family = Family::<KeyLabel, Gauge>::default();
            registry.register(
                "tokenctl_key_last_used_timestamp_seconds",
                "When each key was last accepted by the gate",
                family.clone(),
            );
            family
        });
        Metrics {
            registry,
            requests,
            latency,
            file_info,
            digests: Mutex::new(HashMap::new()),
            loaded_at,
            reload_errors,
            healthy,
            last_used,
        }
    }

    /// One answer of the gate: `tenant` is `None` when the request named no tenant served.
    pub(super) fn authz(
        &self,
        tenant: Option<&str>,
        status: http::StatusCode,
        reason: &'static str,
        took: Duration,
    ) {
        let result = match status.as_u16() {
            200 => "allowed",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not-found",
            _ => "error",
        };
        self.requests
            .get_or_create(&Request {
                tenant: tenant.unwrap_or_default().to_string(),
                result,
                reason,
            })
            .inc();
        self.latency.observe(took.as_secs_f64());
    }

    /// A key accepted by the gate at `now`.
    pub(super) fn key_used(&self, tenant: &str, key: &str, now: jiff::Timestamp) {
        if let Some(family) = &self.last_used {
            family
                .get_or_create(&KeyLabel {
                    tenant: tenant.to_string(),
                    key: key.to_string(),
                })
                .set(now.as_second());
        }
    }

    /// A tenant's file read, with the digest of its bytes.
    pub(super) fn loaded(&self, tenant: &str, digest: &str) {
        let label = TenantLabel {
            tenant: tenant.to_string(),
        };
        let previous = self
            .digests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tenant.to_string(), Some(digest.to_string()))
            .flatten();
        if let Some(old) = previous.filter(|old| old != digest) {
            self.file_info.remove(&File {
                tenant: tenant.to_string(),
                digest: old,
            });
        }
        self.file_info
            .get_or_create(&File {
                tenant: tenant.to_string(),
                digest: digest.to_string(),
            })
            .set(1);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        self.loaded_at.get_or_create(&label).set(now.as_secs_f64());
        self.healthy.get_or_create(&label).set(1);
        // Present at 0 from the first load, so that a rate over it has a start.
        let _ = self.reload_errors.get_or_create(&label);
    }

    /// A tenant's file changed into one that does not load.
    pub(super) fn reload_failed(&self, tenant: &str) {
        let label = TenantLabel {
            tenant: tenant.to_string(),
        };
        self.digests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(tenant.to_string())
            .or_insert(None);
        self.reload_errors.get_or_create(&label).inc();
        self.healthy.get_or_create(&label).set(0);
    }

    /// A tenant no longer served: its series go.
    pub(super) fn forget(&self, tenant: &str) {
        let label = TenantLabel {
            tenant: tenant.to_string(),
        };
        if let Some(digest) = self
            .digests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(tenant)
            .flatten()
        {
            self.file_info.remove(&File {
                tenant: tenant.to_string(),
                digest,
            });
        }
        self.loaded_at.remove(&label);
        self.healthy.remove(&label);
        self.reload_errors.remove(&label);
    }

    /// Forgets every tenant but those named.
    fn forget_all_but<'a>(&self, served: impl Iterator<Item = &'a str>) {
        let served: std::collections::HashSet<&str> = served.collect();
        let gone: Vec<String> = self
            .digests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .filter(|t| !served.contains(t.as_str()))
            .cloned()
            .collect();
        for tenant in gone {
            self.forget(&tenant);
        }
    }

    /// The text of `/metrics`.
    pub(super) fn render(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String does not fail");
        text
    }
}

/// Every tenant served, each as its file is on disk at this moment (statted, and read again
/// if it changed), whether or not a request named it yet; a tenant gone since is forgotten.
async fn survey(app: &App) -> Vec<(String, State)> {
    let names = match &app.tenants {
        Tenants::One(t) => vec![t.name.clone()],
        Tenants::Root { root, .. } => crate::tenants::tenants_under(root),
    };
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let state = match app.tenants.get(&name, app.lock_timeout) {
            Ok(tenant) => tenant.state().await.ok(),
            // Listed, with a security.yml, and refused (a link out of its folder): it does
            // not load, which the fleet must hear rather than miss it.
            Err(_) => Some(State::DoesNotLoad),
        };
        match state {
            Some(state) => out.push((name, state)),
            None => {
                if let Some(m) = &app.metrics {
                    m.forget(&name);
                }
            }
        }
    }
    if let (Some(m), Tenants::Root { .. }) = (&app.metrics, &app.tenants) {
        m.forget_all_but(out.iter().map(|(n, _)| n.as_str()));
    }
    out
}

/// The metrics listener's `/healthz`: `{"status": "ok" | "unhealthy", "tenants": {NAME:
/// {"digest", "loadedAt", "state": "ok" | "last-good" | "does not load"}}}`, 200 when every
/// tenant's file loads as it is now, else 503. `unhealthy` too when no tenant is served.
fn health(survey: &[(String, State)], fail_closed: bool) -> (http::StatusCode, String) {
    let mut tenants = serde_json::Map::new();
    let mut ok = !survey.is_empty();
    for (name, state) in survey {
        let (loaded, word) = match state {
            State::Current(l) => (Some(l), "ok"),
            // With --fail-closed nothing is judged on a last good version: 500s.
            State::LastGood(_) if fail_closed => (None, "does not load"),
            State::LastGood(l) => (Some(l), "last-good"),
            State::DoesNotLoad => (None, "does not load"),
        };
        ok &= word == "ok";
        tenants.insert(
            name.clone(),
            serde_json::json!({
                "digest": loaded.map(|l| l.etag.clone()),
                "loadedAt": loaded.map(|l| crate::time::format_timestamp(l.loaded_at)),
                "state": word,
            }),
        );
    }
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "unhealthy" },
        "tenants": tenants,
    });
    let mut text = serde_json::to_string(&body).expect("JSON serializes");
    text.push('\n');
    (
        if ok {
            http::StatusCode::OK
        } else {
            http::StatusCode::SERVICE_UNAVAILABLE
        },
        text,
    )
}

/// Serves `GET /metrics` and `GET /healthz` on `listener` until the server stops: a plain
/// HTTP/1.1 server, with a header timeout, for the scraper and the fleet's checks alone.
pub(super) async fn serve(listener: tokio::net::TcpListener, app: Arc<App>) {
    use http_body_util::Full;
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(a) => a,
            Err(e) => {
                super::log::say(format!("metrics listener: accepting a connection: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |request: http::Request<_>| {
            let app = app.clone();
            async move {
                let read = matches!(*request.method(), http::Method::GET | http::Method::HEAD);
                let (status, content_type, body) = match (read, request.uri().path()) {
                    (true, "/metrics") => {
                        survey(&app).await;
                        (
                            http::StatusCode::OK,
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                            app.metrics.as_ref().map(|m| m.render()).unwrap_or_default(),
                        )
                    }
                    (true, "/healthz") => {
                        let (status, body) = health(&survey(&app).await, app.fail_closed);
                        (status, "application/json", body)
                    }
                    (false, "/metrics" | "/healthz") => (
                        http::StatusCode::METHOD_NOT_ALLOWED,
                        "text/plain; charset=utf-8",
                        "use GET\n".to_string(),
                    ),
                    _ => (
                        http::StatusCode::NOT_FOUND,
                        "text/plain; charset=utf-8",
                        "this listener serves GET /metrics and GET /healthz\n".to_string(),
                    ),
                };
                let mut r = http::Response::new(Full::new(bytes::Bytes::from(body)));
                *r.status_mut() = status;
                r.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static(content_type),
                );
                r.headers_mut().insert(
                    http::header::CACHE_CONTROL,
                    http::HeaderValue::from_static("no-store"),
                );
                Ok::<_, std::convert::Infallible>(r)
            }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(Duration::from_secs(10))
            .serve_connection(hyper_util::rt::TokioIo::new(tcp), service);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                if !e.is_incomplete_message() && !e.is_timeout() {
                    super::log::say(format!("metrics connection from {peer}: {e}"));
                }
            }
        });
    }
}
