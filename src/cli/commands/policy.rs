//! `policy show`: the policy in force for the located file (docs/FORMAT.md, "Policy"), the
//! tightest merge of its own `policy:` section and the operator's files, rule by rule, with
//! the file each rule comes from.

use crate::cli::args::{PolicyAction, PolicyArgs};
use crate::cli::context::Context;
use crate::cli::output::write_data;
use crate::error::{Result, stdout_error};
use crate::keys::policy::{Effective, From};
use std::io::Write;

/// One rule in force, as `policy show -o json` gives it.
#[derive(serde::Serialize)]
struct RuleView {
    rule: &'static str,
    value: serde_json::Value,
    from: String,
}

/// What `policy show -o json` prints.
#[derive(serde::Serialize)]
struct PolicyView {
    file: String,
    enforcement: &'static str,
    /// The rules in force; none when no source sets any.
    rules: Vec<RuleView>,
    /// Every source read, in the order merged (the file's own section first).
    sources: Vec<String>,
}

pub(crate) fn run(ctx: &Context, args: PolicyArgs) -> Result<()> {
    match args.action {
        PolicyAction::Show => show(ctx),
    }
}

fn show(ctx: &Context) -> Result<()> {
    let store = ctx.store()?;
    let doc = store.read()?;
    let path = store.path();
    let operator = ctx.operator_policy(false)?;
    let policy = ctx.effective_policy(&doc.model, path, &operator);
    let mut sources = Vec::new();
    if doc.model.policy.is_some() {
        sources.push(path.display().to_string());
    }
    sources.extend(operator.into_iter().map(|s| s.label));
    let view = PolicyView {
        file: path.display().to_string(),
        enforcement: policy.mode().name(),
        rules: rules(&policy),
        sources,
    };
    let mut out = crate::cli::output::data_out();
    if !ctx.is_table() {
        write_data(&mut out, ctx.format, &view)?;
        return Ok(());
    }
    if view.rules.is_empty() {
        ctx.say(format!(
            "No policy for {}: neither its policy: section nor an operator's policy file sets a rule.",
            view.file
        ));
        return Ok(());
    }
    let mut table = crate::cli::output::table(&["RULE", "VALUE", "FROM"], ctx.color);
    for r in &view.rules {
        let value = match &r.value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        table.add_row([r.rule.to_string(), value, r.from.clone()].map(|c| crate::text::value(&c)));
    }
    writeln!(out, "{table}").map_err(stdout_error)?;
    out.flush().map_err(stdout_error)
}

/// The rules in force, in the documented order; the enforcement first, when a source sets
/// a rule.
fn rules(p: &Effective) -> Vec<RuleView> {
    let mut out = Vec::new();
    let mut one = |rule, value: serde_json::Value, from: &str| {
        out.push(RuleView {
            rule,
            value,
            from: from.to_string(),
        })
    };
    if let Some(e) = &p.enforcement {
        one("enforcement", e.value.name().into(), &e.source);
    }
    if let Some(l) = &p.max_lifetime {
        one("maxLifetime", l.value.text.clone().into(), &l.source);
    }
    if let Some(l) = &p.max_grace {
        one("maxGrace", l.value.text.clone().into(), &l.source);
    }
    let mut list = |rule, items: &[From<String>]| {
        // One row per source, the scopes it adds.
        let mut by_source: Vec<(&str, Vec<&str>)> = Vec::new();
        for i in items {
            match by_source.iter_mut().find(|(s, _)| *s == i.source) {
                Some((_, v)) => v.push(&i.value),
                None => by_source.push((&i.source, vec![&i.value])),
            }
        }
        for (source, scopes) in by_source {
            one(rule, serde_json::json!(scopes), source);
        }
    };
    list("forbiddenPermissions", &p.forbidden_permissions);
    list("requireAllowedIpsFor", &p.require_allowed_ips_for);
    if let Some(r) = &p.require_description {
        one("requireDescription", true.into(), &r.source);
    }
    if let Some(r) = &p.require_owner {
        one("requireOwner", true.into(), &r.source);
    }
    out
}
