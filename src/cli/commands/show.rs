//! `show NAME`: one key's definition (all but the hash), fingerprint and usage.

use crate::cli::args::ShowArgs;
use crate::cli::context::Context;
use crate::cli::output::write_data;
use crate::error::Result;
use crate::error::stdout_error;
use crate::keys::no_such_key;
use crate::time::humanize;
use crate::view::KeyView;
use std::io::Write;

pub(crate) fn run(ctx: &Context, args: ShowArgs) -> Result<()> {
    crate::names::validate("key", &args.name)?;
    let now = ctx.clock.now();
    let store = ctx.store()?;
    let doc = ctx.read_existing(&store)?;
    let key = doc
        .model
        .get(&args.name)
        .ok_or_else(|| no_such_key(&doc, &args.name))?;
    let usage = store.usage_or_warn();
    let mut view = KeyView::new(key, usage.get(&key.name), now);
    view.shares_secret_with = crate::verify::shared_with(&doc.model, &key.name)
        .into_iter()
        .map(str::to_string)
        .collect();
    if let Some(warning) = crate::view::shared_warning(std::iter::once((
        view.name.as_str(),
        view.shares_secret_with.as_slice(),
    ))) {
        ctx.say(warning);
    }
    let mut out = crate::cli::output::data_out();
    if !ctx.is_table() {
        return write_data(&mut out, ctx.format, &view);
    }
    let mut lines: Vec<(&str, String)> = vec![
        ("name", view.name.clone()),
        ("fingerprint", view.fingerprint.clone()),
        (
            "description",
            view.description.clone().unwrap_or_else(|| "-".into()),
        ),
        ("owner", view.owner.clone().unwrap_or_else(|| "-".into())),
        (
            "enabled",
            if view.enabled {
                "yes".into()
            } else {
                "no".into()
            },
        ),
        ("status", view.status.into()),
        (
            "permissions",
            if view.permissions.is_empty() {
                "(none)".into()
            } else {
                view.permissions.join(", ")
            },
        ),
        (
            "created",
            view.created_at.clone().unwrap_or_else(|| "-".into()),
        ),
    ];
    let expires = match key.expires_at {
        Some(t) => format!(
            "{} ({})",
            crate::time::format_timestamp(t),
            crate::cli::output::relative_expiry(Some(t), now)
        ),
        None => "never".into(),
    };
    lines.push(("expires", expires));
    lines.push((
        "allowed IPs",
        view.allowed_ips
            .as_ref()
            .map_or("any".into(), |v| v.join(", ")),
    ));
    lines.push((
        "path prefix",
        view.path_prefix.clone().unwrap_or_else(|| "any".into()),
    ));
    lines.push((
        "resources",
        view.resources
            .as_ref()
            .map_or("all".into(), |v| v.join(", ")),
    ));
    let last = match &view.last_used_at {
        Some(at) => {
            let t = crate::time::parse_timestamp(at).unwrap_or(now);
            let from = view
                .last_used_from
                .as_ref()
                .map(|f| format!(" from {f}"))
                .unwrap_or_default();
            format!("{at} ({}){from}", humanize(t, now))
        }
        None => "never".into(),
    };
    lines.push(("last used", last));
    if !view.shares_secret_with.is_empty() {
        lines.push((
            "shared with",
            format!(
                "{} (its token is refused as ambiguous)",
                view.shares_secret_with.join(", ")
            ),
        ));
    }
    for p in &view.previous_secrets {
        lines.push((
            "old secret",
            format!("{} valid until {}", p.fingerprint, p.expires_at),
        ));
    }
    let mut text = String::new();
    for (k, v) in lines {
        // Each value from the file on one line, with control characters shown as escapes.
        let v = crate::text::Visible(&v);
        text.push_str(&format!("{:<13}{v}\n", format!("{k}:")));
    }
    out.write_all(text.as_bytes()).map_err(stdout_error)
}
