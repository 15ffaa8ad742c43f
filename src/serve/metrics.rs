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
    /// The digest `file_info` gives for each tenant, to drop when the file changes.
    digests: Mutex<HashMap<String, String>>,
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
            .insert(tenant.to_string(), digest.to_string());
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
        self.reload_errors.get_or_create(&label).inc();
        self.healthy.get_or_create(&label).set(0);
    }

    /// The text of `/metrics`.
    pub(super) fn render(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String does not fail");
        text
    }
}

/// Serves `GET /metrics` on `listener` until the server stops: a plain HTTP/1.1 server, with a
/// header timeout, for the scraper alone.
pub(super) async fn serve(listener: tokio::net::TcpListener, metrics: Arc<Metrics>) {
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
        let metrics = metrics.clone();
        let service = hyper::service::service_fn(move |request: http::Request<_>| {
            let metrics = metrics.clone();
            async move {
                let (status, content_type, body) = match (request.method(), request.uri().path()) {
                    (&http::Method::GET | &http::Method::HEAD, "/metrics") => (
                        http::StatusCode::OK,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        metrics.render(),
                    ),
                    (_, "/metrics") => (
                        http::StatusCode::METHOD_NOT_ALLOWED,
                        "text/plain; charset=utf-8",
                        "use GET /metrics\n".to_string(),
                    ),
                    _ => (
                        http::StatusCode::NOT_FOUND,
                        "text/plain; charset=utf-8",
                        "this listener serves GET /metrics only\n".to_string(),
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
