//! `list`: every key, most recently used first, then by name; never a hash or a secret.

use super::Context;
use crate::cli::ListArgs;
use crate::error::Result;
use crate::output::{KeyView, key_table, stdout_error, write_data};
use crate::store::usage;
use crate::time;
use std::cmp::Reverse;
use std::io::Write;

pub fn run(ctx: &Context, args: ListArgs) -> Result<()> {
    let now = ctx.clock.now();
    // Calendar arithmetic: `--expiring-within 1mo` is up to the same day next month.
    let expiring = args
        .expiring_within
        .as_deref()
        .map(|d| time::after(now, time::parse_duration("--expiring-within", d)?))
        .transpose()?;
    let unused = args
        .unused_since
        .as_deref()
        .map(|d| time::before(now, time::parse_duration("--unused-since", d)?))
        .transpose()?;
    let store = ctx.store()?;
    let doc = if args.missing_ok {
        store.read()?
    } else {
        ctx.read_existing(&store).map_err(|e| match e {
            crate::Error::MissingFile { path, message } => crate::Error::MissingFile {
                path,
                message: format!("{message} (`list --missing-ok` lists a missing file as empty)"),
            },
            other => other,
        })?
    };
    let usage = usage::read_or_warn(&store.usage_path());

    let mut keys: Vec<_> = doc
        .model
        .keys
        .iter()
        .filter(|k| !args.expired || k.is_expired(now))
        .filter(|k| {
            expiring.is_none_or(|until| k.expires_at.is_some_and(|t| t > now && t <= until))
        })
        .filter(|k| {
            unused.is_none_or(|cutoff| usage.get(&k.name).is_none_or(|u| u.last_used_at <= cutoff))
        })
        .filter(|k| !args.enabled || k.enabled)
        .filter(|k| !args.disabled || !k.enabled)
        .collect();
    keys.sort_by(|a, b| {
        let ua = usage.get(&a.name).map(|u| u.last_used_at);
        let ub = usage.get(&b.name).map(|u| u.last_used_at);
        Reverse(ua)
            .cmp(&Reverse(ub))
            .then_with(|| a.name.cmp(&b.name))
    });
    let shared = crate::verify::shared_secrets(&doc.model);
    let views: Vec<KeyView> = keys
        .iter()
        .map(|k| KeyView::new(k, usage.get(&k.name), now).with_shared(&shared))
        .collect();
    if let Some(warning) = crate::output::shared_warning(&views) {
        ctx.say(warning);
    }
    let mut out = std::io::stdout().lock();
    if args.names {
        let mut text = String::new();
        for v in &views {
            text.push_str(&v.name);
            text.push('\n');
        }
        out.write_all(text.as_bytes()).map_err(stdout_error)?;
    } else if ctx.is_table() {
        if views.is_empty() {
            ctx.say(if doc.missing {
                format!(
                    "No keys: {} does not exist yet; `tokenctl create NAME` creates it.",
                    store.path().display()
                )
            } else if doc.model.keys.is_empty() {
                "No keys yet: create one with `tokenctl create NAME`.".into()
            } else {
                "No keys match.".into()
            });
            return Ok(());
        }
        out.write_all(key_table(&views, now, ctx.color).as_bytes())
            .map_err(stdout_error)?;
    } else {
        write_data(&mut out, ctx.format, &views)?;
    }
    super::leak_at_exit(doc);
    Ok(())
}
