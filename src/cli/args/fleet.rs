//! The arguments of `rollout status`, the fleet's command (`list --usage-from` is list's).

use clap::{Args, ValueEnum, ValueHint};
use std::path::PathBuf;

/// What `rollout` does: a positional, as `export secret|configmap` is, so that the flags
/// are the command's own (in --help, the man page and docs/REFERENCE.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RolloutAction {
    /// Wait until every server serves the file as it is now (exit 12 on timeout).
    Status,
}

#[derive(Debug, Args)]
pub struct RolloutArgs {
    /// What to do: `status` waits until every server serves the file's digest.
    #[arg(value_enum, value_name = "ACTION")]
    pub action: RolloutAction,
    /// A server's metrics listener (of serve --metrics-listen), as a base URL, http:// or
    /// https:// (repeatable); its /healthz says what it serves.
    #[arg(long = "endpoint", value_name = "URL", value_hint = ValueHint::Url, required_unless_present = "prometheus", conflicts_with = "prometheus")]
    pub endpoints: Vec<String>,
    /// A Prometheus (base URL) that scrapes the servers: each target reporting the tenant in
    /// tokenctl_file_info is a server, and each target of theirs that is down (up == 0) too.
    #[arg(long, value_name = "URL", value_hint = ValueHint::Url)]
    pub prometheus: Option<String>,
    /// Read the bearer token for Prometheus from this file (its first line; never give a
    /// token on the command line).
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath, requires = "prometheus")]
    pub prometheus_token_file: Option<PathBuf>,
    /// Narrow the Prometheus series to these labels, e.g. '{job="gate"}'.
    #[arg(long, value_name = "SELECTOR", requires = "prometheus")]
    pub selector: Option<String>,
    /// The tenant's name as the servers report it (default: --tenant, or `default` for --file).
    #[arg(long, value_name = "NAME")]
    pub tenant_label: Option<String>,
    /// Wait for this digest (sha256:<64 hex>, or what sha256sum prints) instead of the
    /// located file's; then no file is read.
    #[arg(long, value_name = "SHA256", value_parser = super::file_digest)]
    pub digest: Option<String>,
    /// Give up after this long (exit 12), e.g. 5m; units ms, s, m or min, h.
    #[arg(long, value_name = "DURATION", value_hint = ValueHint::Other, default_value = "5m")]
    pub timeout: String,
    /// Ask the servers again this often, e.g. 2s; units ms, s, m or min, h.
    #[arg(long, value_name = "DURATION", value_hint = ValueHint::Other, default_value = "2s")]
    pub interval: String,
    /// Leave out servers that are down or unreachable, instead of counting them as lagging.
    #[arg(long)]
    pub ignore_down: bool,
    /// At least this many servers must serve the digest (more than one server is expected).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub min_servers: u32,
}
