//! `list`: every key, most recently used first, then by name; never a hash or a secret.
//! `--all-tenants` lists every tenant's under --root, in tenant name order, each tenant that
//! does not load reported and the others listed all the same.

use crate::cli::args::ListArgs;
use crate::cli::context::Context;
use crate::cli::output::{key_table, write_data};
use crate::error::stdout_error;
use crate::error::{Error, Result};
use crate::model::{ApiKey, SecurityFile};
use crate::store::usage::Usage;
use crate::time;
use crate::view::KeyView;
use jiff::Timestamp;
use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::io::Write;

/// The filters of `list`, parsed once.
struct Filter {
    now: Timestamp,
    expired: bool,
    /// `--expiring-within`: keys expiring after now and by then.
    expiring_until: Option<Timestamp>,
    /// `--unused-since`: keys last used at or before then, or never.
    unused_cutoff: Option<Timestamp>,
    enabled: bool,
    disabled: bool,
    permission: Option<String>,
    unrestricted: bool,
}

impl Filter {
    fn new(args: &ListArgs, now: Timestamp) -> Result<Self> {
        if let Some(p) = &args.permission {
            // A scope as a key's definition takes it (crate::keys::definition).
            crate::keys::DefinitionInput {
                permissions: Some(vec![p.clone()]),
                ..Default::default()
            }
            .check(now)
            .map_err(|e| crate::cli::context::flag_error(e, None))?;
        }
        // Calendar arithmetic: `--expiring-within 1mo` is up to the same day next month.
        let expiring_until = args
            .expiring_within
            .as_deref()
            .map(|d| time::after(now, time::parse_duration("--expiring-within", d)?))
            .transpose()?;
        let unused_cutoff = args
            .unused_since
            .as_deref()
            .map(|d| time::before(now, time::parse_duration("--unused-since", d)?))
            .transpose()?;
        Ok(Filter {
            now,
            expired: args.expired,
            expiring_until,
            unused_cutoff,
            enabled: args.enabled,
            disabled: args.disabled,
            permission: args.permission.clone(),
            unrestricted: args.unrestricted,
        })
    }

    fn keeps(&self, k: &ApiKey, usage: &BTreeMap<String, Usage>) -> bool {
        let now = self.now;
        (!self.expired || k.is_expired(now))
            && self
                .expiring_until
                .is_none_or(|until| k.expires_at.is_some_and(|t| t > now && t <= until))
            && self
                .unused_cutoff
                .is_none_or(|cutoff| usage.get(&k.name).is_none_or(|u| u.last_used_at <= cutoff))
            && (!self.enabled || k.enabled)
            && (!self.disabled || !k.enabled)
            && self
                .permission
                .as_deref()
                .is_none_or(|p| crate::verify::grants(&k.permissions, p))
            && (!self.unrestricted
                || (k.allowed_ips.is_none() && k.path_prefix.is_none() && k.resources.is_none()))
    }

    /// The keys of one file that pass, most recently used first, then by name; each marked
    /// with the keys it shares a secret with.
    fn select(&self, file: &SecurityFile, usage: &BTreeMap<String, Usage>) -> Vec<KeyView> {
        let mut keys: Vec<&ApiKey> = file.keys.iter().filter(|k| self.keeps(k, usage)).collect();
        keys.sort_by(|a, b| {
            let ua = usage.get(&a.name).map(|u| u.last_used_at);
            let ub = usage.get(&b.name).map(|u| u.last_used_at);
            Reverse(ua)
                .cmp(&Reverse(ub))
                .then_with(|| a.name.cmp(&b.name))
        });
        let shared = crate::verify::shared_secrets(file);
        keys.iter()
            .map(|k| KeyView::new(k, usage.get(&k.name), self.now).with_shared(&shared))
            .collect()
    }
}

pub(crate) fn run(ctx: &Context, args: ListArgs) -> Result<()> {
    let filter = Filter::new(&args, ctx.clock.now())?;
    if args.all_tenants {
        return all_tenants(ctx, &filter, args.names, args.missing_ok);
    }
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
    let usage = store.usage_or_warn();
    let views = filter.select(&doc.model, &usage);
    if let Some(warning) = crate::view::shared_warning(&views) {
        ctx.say(warning);
    }
    let mut out = crate::cli::output::data_out();
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
        let (text, hidden) = key_table(&views, None, filter.now, ctx.color, ctx.is_wide());
        out.write_all(text.as_bytes()).map_err(stdout_error)?;
        out.flush().map_err(stdout_error)?;
        if let Some(note) = crate::cli::output::hidden_note(&hidden) {
            ctx.say(note);
        }
    } else {
        write_data(&mut out, ctx.format, &views)?;
    }
    crate::cli::context::leak_at_exit(doc);
    Ok(())
}

/// A key in `list --all-tenants --format json`: its tenant, then the fields of `list`.
#[derive(serde::Serialize)]
struct TenantKeyView<'a> {
    tenant: &'a str,
    #[serde(flatten)]
    key: &'a KeyView,
}

fn all_tenants(ctx: &Context, filter: &Filter, names: bool, missing_ok: bool) -> Result<()> {
    let root = ctx
        .location
        .root
        .clone()
        .unwrap_or_else(|| "tenants".into());
    let found = if missing_ok {
        crate::tenants::discover(&root)?
    } else {
        crate::tenants::discover_some(&root)?
    };
    for (dir, why) in &found.skipped {
        // Its keys are not read: a partial answer, exit 1 at the end.
        ctx.say(format!("error: not read {}: {why}", dir.display()));
    }
    // Each document is freed on its loading thread, in parallel, and its memory reused for
    // the next: keeping a thousand until exit costs more in page faults than freeing them.
    let loaded = crate::tenants::load_each(&found.tenants, |t| {
        let store = t
            .store(ctx.lock_timeout)
            .with_warnings(crate::text::print_warning);
        let doc = store.read()?;
        Ok(filter.select(&doc.model, &store.usage_or_warn()))
    });
    let mut rows: Vec<(&str, KeyView)> = Vec::new();
    let mut broken = found.skipped.len();
    for (tenant, views) in found.tenants.iter().zip(loaded) {
        match views {
            Ok(views) => {
                if let Some(warning) = crate::view::shared_warning(&views) {
                    ctx.say(format!("tenant '{}': {warning}", tenant.name));
                }
                rows.extend(views.into_iter().map(|v| (tenant.name.as_str(), v)))
            }
            Err(e) => {
                broken += 1;
                ctx.say(format!("error: tenant '{}': {e}", tenant.name));
            }
        }
    }
    let mut out = crate::cli::output::data_out();
    if names {
        // `tenant<TAB>name`, one a line: `while read -r t k; do ...; done`, or cut -f2.
        let mut text = String::new();
        for (tenant, v) in &rows {
            text.push_str(&format!("{tenant}\t{}\n", v.name));
        }
        out.write_all(text.as_bytes()).map_err(stdout_error)?;
    } else if ctx.is_table() {
        if rows.is_empty() {
            ctx.say(if found.tenants.is_empty() {
                format!(
                    "No tenants under {}: a tenant is a folder holding a security.yml.",
                    root.display()
                )
            } else {
                "No keys match.".to_string()
            });
        } else {
            let (tenants, views): (Vec<&str>, Vec<KeyView>) = rows.into_iter().unzip();
            let (text, hidden) =
                key_table(&views, Some(&tenants), filter.now, ctx.color, ctx.is_wide());
            out.write_all(text.as_bytes()).map_err(stdout_error)?;
            out.flush().map_err(stdout_error)?;
            if let Some(note) = crate::cli::output::hidden_note(&hidden) {
                ctx.say(note);
            }
            crate::cli::context::leak_at_exit((views, text));
        }
    } else {
        let views: Vec<TenantKeyView> = rows
            .iter()
            .map(|(tenant, key)| TenantKeyView { tenant, key })
            .collect();
        write_data(&mut out, ctx.format, &views)?;
        crate::cli::context::leak_at_exit(rows);
    }
    if broken > 0 {
        return Err(Error::Partial(format!(
            "{broken} of {} tenants did not load (see above); the others are listed",
            found.tenants.len() + found.skipped.len()
        )));
    }
    Ok(())
}
