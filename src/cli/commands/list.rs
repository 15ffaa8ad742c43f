//! `list`: every key, most recently used first, then by name; never a hash or a secret.
//! `--all-tenants` lists every tenant's under --root, in tenant name order, each tenant that
//! does not load reported and the others listed all the same.

use crate::cli::args::ListArgs;
use crate::cli::context::Context;
use crate::cli::output::{KeyRow, Rows, key_header, key_table, write_data};
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

    /// How far back `--usage-from` looks for the fleet's last use: as far as `--unused-since`
    /// asks, and at least [`crate::cli::fleet::LOOKBACK`].
    fn lookback(&self) -> std::time::Duration {
        let asked = self
            .unused_cutoff
            .map(|cutoff| {
                self.now
                    .as_second()
                    .saturating_sub(cutoff.as_second())
                    .max(0) as u64
            })
            .unwrap_or(0);
        crate::cli::fleet::LOOKBACK.max(std::time::Duration::from_secs(asked))
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

    /// The keys of one file that pass, most recently used first, then by name, and the keys
    /// each shares a secret with.
    fn select<'f>(
        &self,
        file: &'f SecurityFile,
        usage: &BTreeMap<String, Usage>,
    ) -> (Vec<&'f ApiKey>, Shared<'f>) {
        let mut keys: Vec<&ApiKey> = file.keys.iter().filter(|k| self.keeps(k, usage)).collect();
        if usage.is_empty() {
            // Nothing recorded: by name only, without a lookup per comparison.
            keys.sort_by(|a, b| a.name.cmp(&b.name));
        } else {
            keys.sort_by_cached_key(|k| {
                (
                    Reverse(usage.get(&k.name).map(|u| u.last_used_at)),
                    k.name.as_str(),
                )
            });
        }
        (keys, crate::verify::shared_secrets(file))
    }

    /// [`Filter::select`] as views (`list --all-tenants`, `-o yaml`).
    fn views(&self, file: &SecurityFile, usage: &BTreeMap<String, Usage>) -> Vec<KeyView> {
        let (keys, shared) = self.select(file, usage);
        keys.iter()
            .map(|k| KeyView::new(k, usage.get(&k.name), self.now).with_shared(&shared))
            .collect()
    }
}

/// For each key that shares a secret, the others ([`crate::verify::shared_secrets`]).
type Shared<'f> = std::collections::HashMap<&'f str, Vec<&'f str>>;

/// The keys a key shares a secret with, none for most.
fn shared_of<'s>(shared: &'s Shared, name: &str) -> &'s [&'s str] {
    shared.get(name).map_or(&[], Vec::as_slice)
}

pub(crate) fn run(ctx: &Context, args: ListArgs) -> Result<()> {
    let filter = Filter::new(&args, ctx.clock.now())?;
    // The fleet's last use (`--usage-from`): asked before any file is read, and only then;
    // without the flag no network is touched.
    let prometheus = args
        .usage_from
        .as_deref()
        .map(|url| {
            crate::cli::fleet::Prometheus::new(
                "--usage-from",
                url,
                args.prometheus_token_file.as_deref(),
            )
        })
        .transpose()?;
    if args.policy_violations {
        return policy_violations(ctx, &filter, &args);
    }
    if args.all_tenants {
        let fleet = prometheus
            .as_ref()
            .map(|p| crate::cli::fleet::fleet_last_used(p, None, filter.lookback()))
            .transpose()?;
        return all_tenants(ctx, &filter, args.names, args.missing_ok, fleet.as_ref());
    }
    let fleet = match &prometheus {
        Some(p) => {
            let tenant = crate::cli::fleet::tenant_label(ctx, args.tenant_label.as_deref())?;
            let mut found =
                crate::cli::fleet::fleet_last_used(p, Some(&tenant), filter.lookback())?;
            found.remove(&tenant)
        }
        None => None,
    };
    let store = ctx.store()?;
    // The keys alone: no layout for edits, and no text kept while the listing is made.
    let (model, missing) = if args.missing_ok {
        match store.read_keys()? {
            Some(model) => (model, false),
            None => (crate::document::Document::empty(store.path()).model, true),
        }
    } else {
        let model = ctx.read_existing_keys(&store).map_err(|e| match e {
            crate::Error::MissingFile { path, message } => crate::Error::MissingFile {
                path,
                message: format!("{message} (`list --missing-ok` lists a missing file as empty)"),
            },
            other => other,
        })?;
        (model, false)
    };
    let mut usage = store.usage_or_warn();
    if prometheus.is_some() {
        crate::cli::fleet::merge_usage(&mut usage, fleet.as_ref());
    }
    let (keys, shared) = filter.select(&model, &usage);
    if let Some(warning) = crate::view::shared_warning(
        keys.iter()
            .map(|k| (k.name.as_str(), shared_of(&shared, &k.name))),
    ) {
        ctx.say(warning);
    }
    let mut out = crate::cli::output::data_out();
    if args.names {
        let mut text = String::new();
        for k in &keys {
            text.push_str(&k.name);
            text.push('\n');
        }
        out.write_all(text.as_bytes()).map_err(stdout_error)?;
    } else if ctx.is_table() {
        if keys.is_empty() {
            ctx.say(if missing {
                format!(
                    "No keys: {} does not exist yet; `tokenctl create NAME` creates it.",
                    store.path().display()
                )
            } else if model.keys.is_empty() {
                "No keys yet: create one with `tokenctl create NAME`.".into()
            } else {
                "No keys match.".into()
            });
            return Ok(());
        }
        let mut rows = Rows::new(key_header(false));
        rows.reserve(keys.len(), 96);
        let (mut scratch, mut created) = (Default::default(), String::new());
        for k in &keys {
            let mut hex = [0u8; 8];
            created.clear();
            if let Some(t) = k.created_at {
                crate::time::push_timestamp(&mut created, t);
            }
            let row = KeyRow {
                name: &k.name,
                shared: !shared_of(&shared, &k.name).is_empty(),
                status: crate::view::status(k, filter.now),
                permissions: &k.permissions,
                limits: (
                    k.allowed_ips.is_some(),
                    k.path_prefix.is_some(),
                    k.resources.is_some(),
                ),
                expires_at: k.expires_at,
                last_used: usage.get(&k.name).map(|u| Ok(u.last_used_at)),
                created_at: k.created_at.map(|_| created.as_str()),
                fingerprint: k.hash.fingerprint_into(&mut hex),
            };
            rows.push_key(&row, None, filter.now, &mut scratch);
        }
        let hidden = key_table(&rows, false, ctx.color, ctx.is_wide(), &mut out)?;
        out.flush().map_err(stdout_error)?;
        if let Some(note) = crate::cli::output::hidden_note(&hidden) {
            ctx.say(note);
        }
        crate::cli::context::leak_at_exit(rows);
    } else if ctx.format == crate::cli::output::Format::Json {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
        crate::view::write_json_list(
            &mut out,
            keys.iter()
                .map(|k| (*k, usage.get(&k.name), shared_of(&shared, &k.name))),
            filter.now,
        )
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(stdout_error)?;
    } else {
        let views: Vec<KeyView> = keys
            .iter()
            .map(|k| KeyView::new(k, usage.get(&k.name), filter.now).with_shared(&shared))
            .collect();
        write_data(&mut out, ctx.format, &views)?;
    }
    crate::cli::context::leak_at_exit((keys, shared));
    crate::cli::context::leak_at_exit(model);
    Ok(())
}

/// A key in `list --all-tenants --format json`: its tenant, then the fields of `list`.
#[derive(serde::Serialize)]
struct TenantKeyView<'a> {
    tenant: &'a str,
    #[serde(flatten)]
    key: &'a KeyView,
}

fn all_tenants(
    ctx: &Context,
    filter: &Filter,
    names: bool,
    missing_ok: bool,
    fleet: Option<&BTreeMap<String, BTreeMap<String, Timestamp>>>,
) -> Result<()> {
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
        let mut usage = store.usage_or_warn();
        if let Some(fleet) = fleet {
            crate::cli::fleet::merge_usage(&mut usage, fleet.get(&t.name));
        }
        Ok(filter.views(&doc.model, &usage))
    });
    let mut rows: Vec<(&str, KeyView)> = Vec::new();
    let mut broken = found.skipped.len();
    for (tenant, views) in found.tenants.iter().zip(loaded) {
        match views {
            Ok(views) => {
                if let Some(warning) = crate::view::shared_warning(
                    views
                        .iter()
                        .map(|v| (v.name.as_str(), v.shares_secret_with.as_slice())),
                ) {
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
            let mut table = Rows::new(key_header(true));
            let mut scratch = Default::default();
            for (tenant, v) in &rows {
                table.push_key(&KeyRow::of_view(v), Some(tenant), filter.now, &mut scratch);
            }
            let hidden = key_table(&table, true, ctx.color, ctx.is_wide(), &mut out)?;
            out.flush().map_err(stdout_error)?;
            if let Some(note) = crate::cli::output::hidden_note(&hidden) {
                ctx.say(note);
            }
            crate::cli::context::leak_at_exit((rows, table));
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

/// A key that breaks the policy, as `list --policy-violations -o json` shows it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct ViolationView {
    /// With --all-tenants only.
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
    name: String,
    violations: Vec<RuleView>,
}

/// One broken rule: which, of which field, why, and what would satisfy it.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleView {
    rule: &'static str,
    field: &'static str,
    problem: String,
    limit: String,
    source: String,
    fix: String,
}

/// `list --policy-violations`: the keys (that the other filters keep) breaking the policy in
/// force, by name (with --all-tenants, by tenant then name): a table of one row per broken
/// rule, `-q` their names, or JSON/YAML.
fn policy_violations(ctx: &Context, filter: &Filter, args: &ListArgs) -> Result<()> {
    let no_usage = BTreeMap::new();
    let mut found: Vec<ViolationView> = Vec::new();
    let mut broken = 0;
    // The operator's files read once, for every tenant.
    let operator = ctx.operator_policy(false)?;
    let mut judge =
        |tenant: Option<&str>, model: &SecurityFile, path: &std::path::Path| -> Result<()> {
            let policy = ctx.effective_policy(model, path, &operator);
            let mut keys: Vec<&ApiKey> = model
                .keys
                .iter()
                .filter(|k| filter.keeps(k, &no_usage))
                .collect();
            keys.sort_by(|a, b| a.name.cmp(&b.name));
            for k in keys {
                let violations = policy.violations(k, filter.now);
                if violations.is_empty() {
                    continue;
                }
                found.push(ViolationView {
                    tenant: tenant.map(str::to_string),
                    name: k.name.clone(),
                    violations: violations
                        .into_iter()
                        .map(|v| RuleView {
                            rule: v.rule,
                            field: v.field,
                            problem: v.problem,
                            limit: v.limit,
                            source: v.source,
                            fix: v.flag_remedy,
                        })
                        .collect(),
                });
            }
            Ok(())
        };
    if args.all_tenants {
        let root = ctx
            .location
            .root
            .clone()
            .unwrap_or_else(|| "tenants".into());
        let tenants = crate::tenants::discover_some(&root)?;
        for (dir, why) in &tenants.skipped {
            broken += 1;
            ctx.say(format!("error: not read {}: {why}", dir.display()));
        }
        for t in &tenants.tenants {
            let store = t
                .store(ctx.lock_timeout)
                .with_warnings(crate::text::print_warning);
            let read = store
                .read_keys()
                .and_then(|m| m.ok_or_else(|| ctx.missing_file(&t.path)));
            match read.and_then(|model| judge(Some(&t.name), &model, &t.path)) {
                Ok(()) => {}
                Err(e) => {
                    broken += 1;
                    ctx.say(format!("error: tenant '{}': {e}", t.name));
                }
            }
        }
    } else {
        let store = ctx.store()?;
        let model = ctx.read_existing_keys(&store)?;
        judge(None, &model, store.path())?;
    }
    let mut out = crate::cli::output::data_out();
    if args.names {
        let mut text = String::new();
        for v in &found {
            if let Some(t) = &v.tenant {
                text.push_str(t);
                text.push('\t');
            }
            text.push_str(&v.name);
            text.push('\n');
        }
        out.write_all(text.as_bytes()).map_err(stdout_error)?;
    } else if ctx.is_table() {
        if found.is_empty() {
            ctx.say("No key breaks the policy.");
        } else {
            let mut header = vec!["NAME", "RULE", "PROBLEM", "FIX"];
            if args.all_tenants {
                header.insert(0, "TENANT");
            }
            let mut table = crate::cli::output::table(&header, ctx.color);
            for v in &found {
                for r in &v.violations {
                    let mut row = vec![
                        v.name.clone(),
                        r.limit.clone(),
                        r.problem.clone(),
                        r.fix.clone(),
                    ];
                    if let Some(t) = &v.tenant {
                        row.insert(0, t.clone());
                    }
                    table.add_row(row.into_iter().map(|c| crate::text::value(&c)));
                }
            }
            writeln!(out, "{table}").map_err(stdout_error)?;
        }
    } else {
        write_data(&mut out, ctx.format, &found)?;
    }
    out.flush().map_err(stdout_error)?;
    if broken > 0 {
        return Err(Error::Partial(format!(
            "{broken} tenant{} could not be read (see above); the others are listed",
            if broken == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}
