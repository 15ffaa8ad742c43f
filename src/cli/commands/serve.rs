//! `serve`: the tenant admin REST API over the files the global options name (see
//! [`crate::serve`]).

use crate::cli::args::ServeArgs;
use crate::cli::context::Context;
use crate::error::{Error, Result};
use std::time::Duration;

pub(crate) fn run(ctx: &Context, args: ServeArgs) -> Result<()> {
    let duration = |flag: &str, text: &str| -> Result<Duration> {
        let d = crate::time::parse_fixed_duration(flag, text)?;
        Ok(d.max(Duration::from_millis(1)))
    };
    if args.max_connections == 0 {
        return Err(Error::Usage(
            "--max-connections 0 would serve no one: give at least 1".into(),
        ));
    }
    crate::serve::run(crate::serve::Config {
        listen: args.listen,
        location: ctx.location.clone(),
        trust_proxy: args.trust_proxy,
        record: args.record,
        admin: !args.no_admin,
        authz: !args.no_authz,
        fail_closed: args.fail_closed,
        metrics_listen: args.metrics_listen,
        metrics_keys: args.metrics_keys,
        max_connections: args.max_connections,
        header_timeout: duration("--header-timeout", &args.header_timeout)?,
        idle_timeout: duration("--idle-timeout", &args.idle_timeout)?,
        request_timeout: duration("--request-timeout", &args.request_timeout)?,
        shutdown_timeout: duration("--shutdown-timeout", &args.shutdown_timeout)?,
        lock_timeout: ctx.lock_timeout,
        clock: ctx.clock,
        policy: ctx.policy.clone(),
    })
}
