//! What the fleet's commands ask over HTTP (docs/FLEET.md): a server's metrics listener
//! (`/healthz`) and Prometheus's query API (`/api/v1/query`), through one blocking client
//! (ureq, TLS by rustls) with timeouts. Nothing here runs unless a fleet flag is given, and
//! no token reaches a message: the bearer token is read from a file and sent only in its
//! header.

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use zeroize::Zeroizing;

/// Most bytes read of an answer: a `/healthz` of thousands of tenants, or a query of many
/// series, stays far below; a server that sends more is refused, not buffered.
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// How long one connection may take to open, within the request's own timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The client of every fleet request: HTTP status codes are answers, not errors (a server's
/// `/healthz` says 503 with a body worth reading), and no request lasts longer than asked.
pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(Duration::from_secs(30)))
        .user_agent(concat!("tokenctl/", env!("CARGO_PKG_VERSION")))
        // A redirect must not carry the bearer token to another host.
        .redirect_auth_headers(ureq::config::RedirectAuthHeaders::SameHost)
        .build()
        .into()
}

/// A base URL as the operator gave it, checked: http:// or https://, and no query or
/// fragment (the path is appended to it). The trailing `/` is dropped.
pub(crate) fn base_url(flag: &str, url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.starts_with('/') && !url.contains(['?', '#']) => {
            Ok(url.trim_end_matches('/').to_string())
        }
        _ => Err(Error::Usage(format!(
            "{flag} {}: give a base URL, http://HOST:PORT or https://HOST:PORT[/PATH], without a query",
            shown(url)
        ))),
    }
}

/// A URL as messages show it: without the password of `user:password@`, which is a secret.
pub(crate) fn shown(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find('/').unwrap_or(rest.len());
    match rest[..end].rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split_once(':').map_or(user, |(u, _)| u);
            format!("{scheme}://{user}:***@{host}{}", &rest[end..])
        }
        None => url.to_string(),
    }
}

/// The bearer token in `path`: its first line, without surrounding whitespace. Read from a
/// file so that it is never in argv (which every user of the machine can read).
pub(crate) fn read_token(flag: &str, path: &Path) -> Result<Zeroizing<String>> {
    let bytes = Zeroizing::new(
        std::fs::read(path).map_err(|e| Error::io(path, "reading the bearer token", e))?,
    );
    let text = std::str::from_utf8(&bytes).map_err(|_| Error::Invalid {
        path: path.to_path_buf(),
        message: format!("{flag}: the token is not UTF-8 text"),
    })?;
    let token = text.lines().next().unwrap_or("").trim();
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "{flag}: the first line must hold the token alone (printable ASCII, no spaces)"
            ),
        });
    }
    Ok(Zeroizing::new(token.to_string()))
}

/// GETs `url` within `timeout`: the status and the body, or why there is none (in words
/// that name no token).
pub(crate) fn get(
    agent: &ureq::Agent,
    url: &str,
    query: Option<(&str, &str)>,
    token: Option<&str>,
    timeout: Duration,
) -> std::result::Result<(u16, String), String> {
    let mut request = agent
        .get(url)
        .config()
        .timeout_global(Some(timeout))
        .build();
    if let Some((name, value)) = query {
        request = request.query(name, value);
    }
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let mut response = request.call().map_err(|e| describe(&e))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_string()
        .map_err(|e| describe(&e))?;
    Ok((status, body))
}

/// A ureq error in words: what went wrong on the way, never the request's headers.
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "no answer in time".into(),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

/// The tenant's name as the servers report it: `--tenant-label`, else the located tenant,
/// else `default` (what `serve --file PATH` calls the file it serves).
pub(crate) fn tenant_label(
    ctx: &crate::cli::context::Context,
    label: Option<&str>,
) -> Result<String> {
    let name = match (label, &ctx.location.file, &ctx.location.tenant) {
        (Some(l), _, _) => l.to_string(),
        (None, None, Some(t)) => t.clone(),
        (None, Some(_), _) => "default".to_string(),
        (None, None, None) => {
            return Err(Error::Usage(
                "the fleet names files by tenant: give --tenant NAME, or --file PATH with --tenant-label NAME".into(),
            ));
        }
    };
    crate::names::validate("--tenant-label", &name)?;
    Ok(name)
}

/// The last use of each key the gates behind `prometheus` report (started with
/// `--metrics-keys`): `max by (tenant, key)` of `tokenctl_key_last_used_timestamp_seconds`,
/// for one tenant or, with `None`, every tenant. Keyed by tenant, then key name.
pub(crate) fn fleet_last_used(
    prometheus: &Prometheus,
    tenant: Option<&str>,
) -> Result<BTreeMap<String, BTreeMap<String, jiff::Timestamp>>> {
    let matchers: Vec<String> = tenant
        .map(|t| format!("tenant={}", promql_string(t)))
        .into_iter()
        .collect();
    let promql = format!(
        "max by (tenant, key) ({})",
        series_selector("tokenctl_key_last_used_timestamp_seconds", &matchers, "")
    );
    let series = prometheus
        .query(&promql, Duration::from_secs(30))
        .map_err(|why| {
            Error::Other(format!(
                "--usage-from {}: {why}; nothing listed (the fleet's last use is needed for a \
                 LAST USED that --unused-since can be trusted on)",
                prometheus.name()
            ))
        })?;
    let mut out: BTreeMap<String, BTreeMap<String, jiff::Timestamp>> = BTreeMap::new();
    for s in series {
        let (Some(t), Some(k)) = (s.labels.get("tenant"), s.labels.get("key")) else {
            continue;
        };
        // Whole milliseconds: the gate sets the gauge from a timestamp in seconds.
        let Ok(at) = jiff::Timestamp::from_millisecond((s.value * 1000.0).round() as i64) else {
            continue;
        };
        out.entry(t.clone()).or_default().insert(k.clone(), at);
    }
    Ok(out)
}

/// Joins the fleet's last use into the usage file's records: for each key, the later of the
/// two wins (the fleet's carries no address: the series do not name the client).
pub(crate) fn merge_usage(
    usage: &mut BTreeMap<String, crate::store::usage::Usage>,
    fleet: Option<&BTreeMap<String, jiff::Timestamp>>,
) {
    for (key, at) in fleet.into_iter().flatten() {
        match usage.get_mut(key) {
            Some(u) if u.last_used_at >= *at => {}
            _ => {
                usage.insert(
                    key.clone(),
                    crate::store::usage::Usage {
                        last_used_at: *at,
                        last_used_from: None,
                    },
                );
            }
        }
    }
}

/// A Prometheus server's query API.
pub(crate) struct Prometheus {
    agent: ureq::Agent,
    base: String,
    token: Option<Zeroizing<String>>,
}

/// One series of an instant vector: its labels and its value.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

impl Prometheus {
    /// The Prometheus at `url` (`flag` names it in messages), with the token in
    /// `token_file` when given.
    pub(crate) fn new(flag: &str, url: &str, token_file: Option<&Path>) -> Result<Prometheus> {
        Ok(Prometheus {
            agent: agent(),
            base: base_url(flag, url)?,
            token: token_file
                .map(|p| read_token("--prometheus-token-file", p))
                .transpose()?,
        })
    }

    /// The URL, as messages show it.
    pub(crate) fn name(&self) -> String {
        shown(&self.base)
    }

    /// The instant vector `promql` evaluates to now, or why it could not be had.
    pub(crate) fn query(
        &self,
        promql: &str,
        timeout: Duration,
    ) -> std::result::Result<Vec<Series>, String> {
        let (status, body) = get(
            &self.agent,
            &format!("{}/api/v1/query", self.base),
            Some(("query", promql)),
            self.token.as_deref().map(String::as_str),
            timeout,
        )?;
        let json: serde_json::Value = serde_json::from_str(&body).map_err(|_| {
            format!(
                "answered {status} with no query result (is it a Prometheus?): {}",
                excerpt(&body)
            )
        })?;
        if json["status"] != "success" {
            return Err(format!(
                "answered {status}: {} {}",
                json["errorType"].as_str().unwrap_or("error"),
                json["error"].as_str().unwrap_or("(no message)")
            ));
        }
        let data = &json["data"];
        if data["resultType"] != "vector" {
            return Err(format!(
                "answered a {} where an instant vector was asked for",
                data["resultType"]
            ));
        }
        let mut out = Vec::new();
        for item in data["result"].as_array().into_iter().flatten() {
            let labels = item["metric"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect();
            // [ <unix time>, "<value>" ]
            let value = item["value"][1]
                .as_str()
                .and_then(|v| v.parse::<f64>().ok())
                .ok_or_else(|| format!("answered a sample without a value: {item}"))?;
            out.push(Series { labels, value });
        }
        Ok(out)
    }
}

/// The start of a body that was not what was asked for, for a message.
fn excerpt(body: &str) -> String {
    let end = body.char_indices().nth(120).map_or(body.len(), |(i, _)| i);
    crate::text::visible(body[..end].trim()).into_owned()
}

/// A label value as a PromQL string literal.
pub(crate) fn promql_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The label matchers of `--selector '{job="gate"}'` (its braces optional), to go inside a
/// series selector's braces after others; empty for none.
pub(crate) fn selector_matchers(selector: Option<&str>) -> Result<String> {
    let Some(s) = selector.map(str::trim) else {
        return Ok(String::new());
    };
    let inner = match s.strip_prefix('{') {
        Some(rest) => rest.strip_suffix('}').ok_or_else(|| {
            Error::Usage(format!(
                "--selector {s}: a selector is label matchers in braces, like '{{job=\"gate\"}}'"
            ))
        })?,
        None => s,
    };
    let inner = inner.trim().trim_end_matches(',').trim();
    if inner.contains(['{', '}']) {
        return Err(Error::Usage(format!(
            "--selector {s}: give label matchers only, like '{{job=\"gate\"}}' (no metric name)"
        )));
    }
    Ok(inner.to_string())
}

/// `metric{matchers,extra}`: a series selector with the extra matchers of `--selector`.
pub(crate) fn series_selector(metric: &str, matchers: &[String], extra: &str) -> String {
    let mut all: Vec<&str> = matchers.iter().map(String::as_str).collect();
    if !extra.is_empty() {
        all.push(extra);
    }
    if all.is_empty() {
        metric.to_string()
    } else {
        format!("{metric}{{{}}}", all.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_a_url_is_never_shown() {
        assert_eq!(
            shown("https://ops:hunter2@prom.example:9090/api"),
            "https://ops:***@prom.example:9090/api"
        );
        assert_eq!(shown("http://prom:9090"), "http://prom:9090");
        // An @ in the path is no user.
        assert_eq!(shown("http://prom/a@b"), "http://prom/a@b");
    }

    #[test]
    fn base_urls_are_http_or_https_without_a_query() {
        assert_eq!(
            base_url("--endpoint", "http://10.0.0.5:9100/").unwrap(),
            "http://10.0.0.5:9100"
        );
        assert_eq!(
            base_url("--prometheus", "https://prom.example/prometheus").unwrap(),
            "https://prom.example/prometheus"
        );
        for bad in [
            "10.0.0.5:9100",
            "ftp://x",
            "http://",
            "http:///x",
            "http://x/?q=1",
        ] {
            assert!(base_url("--endpoint", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn selectors_merge_into_the_series_selector() {
        let extra = selector_matchers(Some(r#"{job="gate", env=~"prod|dr"}"#)).unwrap();
        assert_eq!(extra, r#"job="gate", env=~"prod|dr""#);
        assert_eq!(
            series_selector("up", &[], &extra),
            r#"up{job="gate", env=~"prod|dr"}"#
        );
        assert_eq!(
            series_selector("tokenctl_file_info", &["tenant=\"acme\"".into()], ""),
            r#"tokenctl_file_info{tenant="acme"}"#
        );
        assert_eq!(series_selector("up", &[], ""), "up");
        assert_eq!(
            selector_matchers(Some("job=\"gate\"")).unwrap(),
            "job=\"gate\""
        );
        assert!(selector_matchers(Some("{job=\"gate\"")).is_err());
        assert!(selector_matchers(Some("up{job=\"gate\"}")).is_err());
        assert_eq!(promql_string("a\"b\\c"), r#""a\"b\\c""#);
    }
}
