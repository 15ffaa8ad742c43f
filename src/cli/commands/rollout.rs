//! `rollout status`: waits until every server of the fleet serves the located file as it is
//! now, by its digest (docs/FLEET.md). The servers are asked, never trusted to have caught
//! up: each metrics listener's `/healthz` (`--endpoint`), or the `tokenctl_file_info` series
//! a Prometheus scrapes from them (`--prometheus`). Exit 0 when every server serves the
//! digest, 12 when the timeout passes first, naming each server that lags.

use crate::cli::args::{RolloutAction, RolloutArgs};
use crate::cli::context::Context;
use crate::cli::fleet::{self, Prometheus, Series};
use crate::cli::output::{Format, write_data};
use crate::error::{Error, Result, stdout_error};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub(crate) fn run(ctx: &Context, args: RolloutArgs) -> Result<()> {
    match args.action {
        RolloutAction::Status => status(ctx, args),
    }
}

/// How long a Prometheus remembers a target's last digest for `rollout status`: a target
/// that went down within this long is still one of the tenant's servers, named with the
/// digest it last served.
const DOWN_WINDOW: &str = "1h";

/// Longest wait for one answer: a server that takes longer is counted as down this round.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// One server, as one round of asking found it.
#[derive(Debug, Clone, serde::Serialize)]
struct Server {
    /// The endpoint's URL, or the Prometheus target's `instance` label.
    server: String,
    /// The digest it serves (or, down, last served), when known.
    digest: Option<String>,
    /// It answered (Prometheus: its target is up).
    up: bool,
    /// It serves the digest waited for.
    current: bool,
    /// Why it lags, beyond its digest: down, the file does not load, the tenant not served.
    #[serde(skip)]
    note: Option<String>,
    /// It reports the tenant at all (a server named by --endpoint may not).
    #[serde(skip)]
    reports: bool,
}

/// Where the servers are found.
enum Source {
    Endpoints(Vec<String>),
    Prometheus {
        prometheus: Prometheus,
        /// `--selector`'s matchers, to add to every series selector.
        matchers: String,
    },
}

/// What one round found: the servers, or why the source itself could not be asked.
struct Round {
    servers: Vec<Server>,
    /// The Prometheus did not answer (its URL and why).
    unreachable: Option<String>,
}

/// `--format json`'s object.
#[derive(serde::Serialize)]
struct Report<'a> {
    tenant: &'a str,
    digest: &'a str,
    servers: &'a [Server],
    done: bool,
}

fn status(ctx: &Context, a: RolloutArgs) -> Result<()> {
    let timeout = crate::time::parse_fixed_duration("--timeout", &a.timeout)?;
    let interval = crate::time::parse_fixed_duration("--interval", &a.interval)?;
    if interval.is_zero() {
        return Err(Error::Usage(
            "--interval 0: give a time between rounds, like 2s".into(),
        ));
    }
    let tenant = fleet::tenant_label(ctx, a.tenant_label.as_deref())?;
    let source = match &a.prometheus {
        Some(url) => Source::Prometheus {
            prometheus: Prometheus::new("--prometheus", url, a.prometheus_token_file.as_deref())?,
            matchers: fleet::selector_matchers(a.selector.as_deref())?,
        },
        None => {
            // One server named twice (`URL`, `URL/`, `URL/healthz`) is one server: counted
            // once towards --min-servers.
            let mut seen = std::collections::HashSet::new();
            let mut urls = Vec::new();
            for e in &a.endpoints {
                let url = endpoint_url(e)?;
                if seen.insert(url.clone()) {
                    urls.push(url);
                }
            }
            Source::Endpoints(urls)
        }
    };
    let digest = match a.digest {
        Some(d) => d,
        None => {
            let store = ctx.store()?;
            let bytes = store
                .read_bytes()?
                .ok_or_else(|| ctx.missing_file(store.path()))?;
            format!("sha256:{}", crate::store::file_digest(&bytes))
        }
    };
    let min = a.min_servers as usize;
    let started = Instant::now();
    let deadline = started + timeout;
    let mut progress = Progress::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let per_request = left.clamp(Duration::from_secs(1), REQUEST_TIMEOUT);
        let round = source.ask(&tenant, &digest, per_request);
        let verdict = judge(&round, &tenant, min, a.ignore_down);
        if verdict.is_none() || Instant::now() >= deadline {
            progress.clear();
            report(ctx, &tenant, &digest, &round.servers, verdict.is_none())?;
            return match verdict {
                None => {
                    let n = round.servers.iter().filter(|s| s.current).count();
                    ctx.say(format!(
                        "{} serve{} {digest} (tenant {tenant}).",
                        if n == 1 {
                            "The one server".to_string()
                        } else {
                            format!("All {n} servers")
                        },
                        if n == 1 { "s" } else { "" }
                    ));
                    Ok(())
                }
                Some(why) => Err(Error::NotRolledOut(format!(
                    "rollout of {digest} (tenant {tenant}) not complete after {}: {why}",
                    seconds(started.elapsed())
                ))),
            };
        }
        progress.show(&format!(
            "{} of {} servers serve {} ({} of {})",
            round.servers.iter().filter(|s| s.current).count(),
            round.servers.len(),
            short(&digest),
            seconds(started.elapsed()),
            seconds(timeout),
        ));
        std::thread::sleep(interval.min(deadline.saturating_duration_since(Instant::now())));
    }
}

/// An `--endpoint`: a metrics listener's base URL (its `/healthz` or `/metrics` URL is
/// taken as the base it ends).
fn endpoint_url(url: &str) -> Result<String> {
    let base = fleet::base_url("--endpoint", url)?;
    let base = base.trim_end_matches('/');
    let base = base
        .strip_suffix("/healthz")
        .or_else(|| base.strip_suffix("/metrics"))
        .unwrap_or(base);
    Ok(base.trim_end_matches('/').to_string())
}

/// `None` when the rollout is done, else why not, in a message that names every server
/// that lags and the digest it still serves.
fn judge(round: &Round, tenant: &str, min: usize, ignore_down: bool) -> Option<String> {
    if let Some(why) = &round.unreachable {
        return Some(why.clone());
    }
    let counted: Vec<&Server> = round
        .servers
        .iter()
        .filter(|s| s.up || !ignore_down)
        .collect();
    let current = counted.iter().filter(|s| s.current).count();
    let lagging: Vec<&&Server> = counted.iter().filter(|s| !s.current).collect();
    if lagging.is_empty() && current >= min {
        return None;
    }
    let reporting = round.servers.iter().filter(|s| s.reports).count();
    let mut why = if reporting == 0 && current == 0 {
        format!("no server reports tenant {tenant}")
    } else if lagging.is_empty() {
        format!("{current} server(s) serve it; --min-servers {min} expects more")
    } else {
        format!(
            "{} of {} server(s) lag{}",
            lagging.len(),
            counted.len(),
            if current < min && min > 1 {
                format!(" (--min-servers {min})")
            } else {
                String::new()
            }
        )
    };
    for s in &lagging {
        why.push_str(&format!("\n  {}: ", s.server));
        match (&s.digest, s.up) {
            (Some(d), true) => why.push_str(&format!("serves {d}")),
            (Some(d), false) => why.push_str(&format!("down; last served {d}")),
            (None, true) => why.push_str("serves no version"),
            (None, false) => why.push_str("down"),
        }
        if let Some(note) = &s.note {
            why.push_str(&format!(" ({note})"));
        }
    }
    if ignore_down {
        let down = round.servers.iter().filter(|s| !s.up).count();
        if down > 0 {
            why.push_str(&format!(
                "\n  ({down} down server(s) left out: --ignore-down)"
            ));
        }
    }
    Some(why)
}

impl Source {
    fn ask(&self, tenant: &str, digest: &str, timeout: Duration) -> Round {
        match self {
            Source::Endpoints(urls) => {
                let agent = fleet::agent();
                let servers = std::thread::scope(|scope| {
                    let asks: Vec<_> = urls
                        .iter()
                        .map(|url| {
                            let agent = &agent;
                            scope.spawn(move || ask_endpoint(agent, url, tenant, digest, timeout))
                        })
                        .collect();
                    asks.into_iter()
                        .map(|h| h.join().expect("asking a server does not panic"))
                        .collect()
                });
                Round {
                    servers,
                    unreachable: None,
                }
            }
            Source::Prometheus {
                prometheus,
                matchers,
            } => match ask_prometheus(prometheus, matchers, tenant, digest, timeout) {
                Ok(servers) => Round {
                    servers,
                    unreachable: None,
                },
                Err(why) => Round {
                    servers: Vec::new(),
                    unreachable: Some(format!("Prometheus at {}: {why}", prometheus.name())),
                },
            },
        }
    }
}

/// One metrics listener's `/healthz`: `{"status", "tenants": {NAME: {"digest", "loadedAt",
/// "state"}}}`, whether it answers 200 or 503 (a tenant that does not load).
fn ask_endpoint(
    agent: &ureq::Agent,
    url: &str,
    tenant: &str,
    digest: &str,
    timeout: Duration,
) -> Server {
    let shown = fleet::shown(url);
    let down = |note: String| Server {
        server: shown.clone(),
        digest: None,
        up: false,
        current: false,
        note: Some(note),
        reports: false,
    };
    let (status, body) = match fleet::get(agent, &format!("{url}/healthz"), None, None, timeout) {
        Ok(answer) => answer,
        Err(why) => return down(why),
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&body) else {
        return down(format!(
            "answered {status} without the JSON of a metrics listener's /healthz"
        ));
    };
    let Some(entry) = json["tenants"].as_object().and_then(|t| t.get(tenant)) else {
        let note = if json["tenants"].is_object() {
            format!("does not serve tenant {tenant}")
        } else {
            format!("answered {status} without the JSON of a metrics listener's /healthz")
        };
        return Server {
            up: json["tenants"].is_object(),
            ..down(note)
        };
    };
    let served = entry["digest"].as_str().map(str::to_string);
    let note = match entry["state"].as_str() {
        Some("ok") | None => None,
        Some("last-good") => {
            Some("judges on the last version that loaded: the file on disk does not load".into())
        }
        Some(state) => Some(crate::text::visible(state).into_owned()),
    };
    Server {
        server: shown,
        current: served.as_deref() == Some(digest),
        digest: served,
        up: true,
        note,
        reports: true,
    }
}

/// The instance a series comes from: its `instance` label (every scraped series has one),
/// else its labels.
fn instance(s: &Series) -> String {
    s.labels.get("instance").cloned().unwrap_or_else(|| {
        let labels: Vec<String> = s
            .labels
            .iter()
            .filter(|(k, _)| !["__name__", "digest", "tenant"].contains(&k.as_str()))
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        format!("{{{}}}", labels.join(","))
    })
}

/// The servers a Prometheus knows for the tenant: each target whose `tokenctl_file_info`
/// names the tenant now, and each target that is down (`up == 0`) and either reported the
/// tenant within [`DOWN_WINDOW`] or belongs to a job whose other targets report it. A down
/// target is asked about rather than inferred from a missing series: a target that stops
/// reporting a tenant may simply not serve it, while `up == 0` says it could not be scraped.
fn ask_prometheus(
    prometheus: &Prometheus,
    extra: &str,
    tenant: &str,
    digest: &str,
    timeout: Duration,
) -> std::result::Result<Vec<Server>, String> {
    let matchers = [format!("tenant={}", fleet::promql_string(tenant))];
    let info = fleet::series_selector("tokenctl_file_info", &matchers, extra);
    let now = prometheus.query(&info, timeout)?;
    let up = prometheus.query(&fleet::series_selector("up", &[], extra), timeout)?;
    // When each digest was last scraped from each target (a series per digest: the digest is
    // a label), so that a target that went down is named with the one it served last.
    let recent = prometheus.query(
        &format!("max_over_time(timestamp({info})[{DOWN_WINDOW}:])"),
        timeout,
    )?;
    let up_of: BTreeMap<String, bool> = up.iter().map(|s| (instance(s), s.value != 0.0)).collect();
    let jobs: BTreeSet<&str> = now
        .iter()
        .chain(&recent)
        .filter_map(|s| s.labels.get("job").map(String::as_str))
        .collect();
    let mut servers: BTreeMap<String, Server> = BTreeMap::new();
    for s in &now {
        let name = instance(s);
        let served = s.labels.get("digest").cloned();
        let up = up_of.get(&name).copied().unwrap_or(true);
        let entry = servers.entry(name.clone()).or_insert_with(|| Server {
            server: name,
            digest: served.clone(),
            up,
            current: up,
            note: None,
            reports: true,
        });
        // Two digests at once (a scrape between a change and the old series' removal): the
        // server is current only when every one is the digest waited for.
        entry.current &= served.as_deref() == Some(digest);
        if served.as_deref() != Some(digest) {
            entry.digest = served;
        }
    }
    for s in &up {
        let name = instance(s);
        if s.value != 0.0 || servers.contains_key(&name) {
            continue;
        }
        // The latest; of two scraped at the same step, the one that is not the digest
        // waited for (the server may still serve it).
        let last = recent
            .iter()
            .filter(|r| instance(r) == name)
            .max_by(|x, y| {
                x.value.total_cmp(&y.value).then_with(|| {
                    let old =
                        |r: &Series| r.labels.get("digest").map(String::as_str) != Some(digest);
                    old(x).cmp(&old(y))
                })
            });
        let in_job = s
            .labels
            .get("job")
            .is_some_and(|j| jobs.contains(j.as_str()));
        if last.is_none() && !in_job {
            continue;
        }
        servers.insert(
            name.clone(),
            Server {
                server: name,
                digest: last.and_then(|r| r.labels.get("digest").cloned()),
                up: false,
                current: false,
                note: Some("up == 0".into()),
                reports: false,
            },
        );
    }
    Ok(servers.into_values().collect())
}

/// The final state on stdout: a table of the servers, or `--format json`/`yaml`'s object.
fn report(ctx: &Context, tenant: &str, digest: &str, servers: &[Server], done: bool) -> Result<()> {
    let mut out = crate::cli::output::data_out();
    match ctx.format {
        Format::Json | Format::Yaml => write_data(
            &mut out,
            ctx.format,
            &Report {
                tenant,
                digest,
                servers,
                done,
            },
        )?,
        // Markdown is refused for every command but diff.
        Format::Table | Format::Wide | Format::Markdown => {
            if servers.is_empty() {
                return Ok(());
            }
            let width = servers
                .iter()
                .map(|s| s.server.chars().count())
                .max()
                .unwrap_or(0)
                .max("SERVER".len());
            let mut text = format!("{:<width$}  {:<71}  STATE\n", "SERVER", "DIGEST");
            for s in servers {
                let state = match (s.up, s.current) {
                    (_, true) => "current",
                    (true, false) => "lagging",
                    (false, false) => "down",
                };
                text.push_str(&format!(
                    "{:<width$}  {:<71}  {state}\n",
                    crate::text::visible(&s.server),
                    // A label a server chose: shown, never obeyed, by a terminal.
                    crate::text::visible(s.digest.as_deref().unwrap_or("-")),
                ));
            }
            out.write_all(text.as_bytes()).map_err(stdout_error)?;
        }
    }
    out.flush().map_err(stdout_error)
}

/// A digest in the progress line: `sha256:` and its first 12 hex digits.
fn short(digest: &str) -> &str {
    &digest[..digest.len().min("sha256:".len() + 12)]
}

/// A length of time in whole seconds (or ms under one), for messages.
fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs())
    }
}

/// The line that says how far the rollout is, rewritten in place on stderr; only at a
/// terminal (a log gets the final report alone).
struct Progress {
    on: bool,
    width: usize,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            on: std::io::stderr().is_terminal(),
            width: 0,
        }
    }

    fn show(&mut self, line: &str) {
        if !self.on {
            return;
        }
        let pad = self.width.saturating_sub(line.len());
        eprint!("\r{line}{:pad$}", "");
        self.width = line.len();
    }

    fn clear(&mut self) {
        if self.on && self.width > 0 {
            eprint!("\r{:w$}\r", "", w = self.width);
            self.width = 0;
        }
    }
}
