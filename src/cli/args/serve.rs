//! The arguments of `tokenctl serve`.

use clap::Args;

#[derive(Debug, Args)]
// Reached through `Command::Serve`, which exists only with `serve`.
#[cfg_attr(not(feature = "serve"), allow(unreachable_pub))]
pub struct ServeArgs {
    /// Address and port to listen on (port 0: any free port, printed on stdout).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Take the client's address from the last X-Forwarded-For entry (only behind a reverse proxy that sets it).
    #[arg(long)]
    pub trust_proxy: bool,
    /// Record each key's use in security.usage.yml, the gate's and the admin API's (at most once
    /// a minute per key, batched, off the request's path).
    #[arg(long)]
    pub record: bool,
    /// Serve only the gate (`/authz/...`) and `/healthz`: no admin API, and security.yml is never
    /// written.
    #[arg(long, conflicts_with = "no_authz")]
    pub no_admin: bool,
    /// Serve only the admin API (`/api/...`) and `/healthz`: no gate.
    #[arg(long)]
    pub no_authz: bool,
    /// The gate answers 500 for a tenant whose file changed into one that does not load, instead
    /// of judging on the last version that loaded (docs/GATE.md, "A file that does not load").
    #[arg(long)]
    pub fail_closed: bool,
    /// Serve `GET /metrics` (Prometheus text format) on this address, apart from the public
    /// listener; off by default.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// Also give each key's last use as a metric, `tokenctl_key_last_used_timestamp_seconds`
    /// (key names are not public: only on the metrics listener).
    #[arg(long, requires = "metrics_listen")]
    pub metrics_keys: bool,
    /// Most connections served at once; more wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_connections: usize,
    /// Time a client has to send a request's headers, e.g. 10s; units ms, s, m or min, h.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub header_timeout: String,
    /// Time a kept-alive connection may stay silent between requests, e.g. 60s; units ms, s, m or
    /// min, h.
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub idle_timeout: String,
    /// Time a request may take once its headers are in, its body included, and time a client has
    /// to read its answers once they back up, e.g. 30s; units ms, s, m or min, h.
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub request_timeout: String,
    /// Time the requests in flight get to finish after SIGTERM or SIGINT (then they are cut
    /// off and serve exits 1), e.g. 30s; units ms, s, m or min, h.
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub shutdown_timeout: String,
}
