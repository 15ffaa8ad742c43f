//! `update NAME`: change permissions, enabled, description or expiry. Name and hash never change.

use super::{Context, check_catalog, check_scopes, no_such_key};
use crate::cli::UpdateArgs;
use crate::error::{Error, Result};
use crate::model::ApiKey;
use crate::output::{KeyView, write_data};
use crate::store::Edit;
use jiff::Timestamp;

pub fn run(ctx: &Context, args: UpdateArgs) -> Result<()> {
    crate::names::validate("key", &args.name)?;
    let now = ctx.clock.now();
    let expires = args
        .expires
        .as_deref()
        .map(|e| crate::time::parse_expiry(e, now))
        .transpose()?;
    check_scopes("--permission", &args.permissions)?;
    check_scopes("--add-permission", &args.add_permissions)?;
    if let Some(d) = &args.description {
        super::refuse_secret("--description", d, crate::text::contains_token)?;
    }
    let nothing = !args.enable
        && !args.disable
        && args.permissions.is_empty()
        && !args.clear_permissions
        && args.add_permissions.is_empty()
        && args.remove_permissions.is_empty()
        && args.description.is_none()
        && expires.is_none();
    if nothing {
        return Err(Error::Usage(
            "nothing to change: give --enable, --disable, --permission, --add-permission, --remove-permission, --description or --expires".into(),
        ));
    }
    let store = ctx.store()?.with_file_attrs(args.write.attrs()?);
    ctx.require_file(&store)?;
    let (old, key) = store.update(args.write.if_unchanged.as_deref(), |doc| {
        let key = doc
            .model
            .get(&args.name)
            .ok_or_else(|| no_such_key(doc, &args.name))?;
        let mut new = key.clone();
        if args.enable {
            new.enabled = true;
        }
        if args.disable {
            new.enabled = false;
        }
        if !args.permissions.is_empty() || args.clear_permissions {
            new.permissions = args.permissions.clone();
            crate::keys::dedup(&mut new.permissions);
        }
        for p in &args.add_permissions {
            if !new.permissions.contains(p) {
                new.permissions.push(p.clone());
            }
        }
        for p in &args.remove_permissions {
            if !new.permissions.contains(p) {
                ctx.say(format!(
                    "note: key '{}' did not have permission '{p}'",
                    key.name
                ));
            }
            new.permissions.retain(|x| x != p);
        }
        let added: Vec<String> = new
            .permissions
            .iter()
            .filter(|p| !key.permissions.contains(p))
            .cloned()
            .collect();
        check_catalog(doc, &added)?;
        if let Some(d) = &args.description {
            new.description = Some(d.clone()).filter(|d| !d.is_empty());
        }
        if let Some(e) = expires {
            crate::keys::check_expiry(key.expires_at, e, now)
                .map_err(|m| Error::Usage(format!("--expires: {m}")))?;
            new.expires_at = e;
        }
        if new == *key {
            return Ok((Edit::new(), (key.clone(), new)));
        }
        // Expired previous secrets go the next time the key is written.
        new.previous_hashes.retain(|p| p.expires_at > now);
        Ok((Edit::new().put(new.clone()), (key.clone(), new)))
    })?;
    for line in said(&old, &key, now) {
        ctx.say(line);
    }
    if !ctx.is_table() {
        let usage = store.usage_or_warn();
        write_data(
            &mut std::io::stdout().lock(),
            ctx.format,
            &KeyView::new(&key, usage.get(&key.name), now),
        )?;
    }
    Ok(())
}

/// What the operator is told: the state change in words, then every other field as old -> new.
fn said(old: &ApiKey, new: &ApiKey, now: Timestamp) -> Vec<String> {
    let mut lines = Vec::new();
    let name = &new.name;
    match (old.enabled, new.enabled) {
        (true, false) => lines.push(format!("Disabled key '{name}'; it stops working at once.")),
        (false, true) if new.is_expired(now) => lines.push(format!(
            "Enabled key '{name}'; it still does not work: it expired at {} (give --expires to extend it).",
            new.expires_at.map(crate::time::format_timestamp).unwrap_or_default()
        )),
        (false, true) => lines.push(format!("Enabled key '{name}'; it works again.")),
        _ => {}
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "(none)".to_string()
        } else {
            v.join(", ")
        }
    };
    let text = |d: &Option<String>| {
        d.as_ref()
            .map_or("(none)".to_string(), |d| format!("{d:?}"))
    };
    let when = |t: Option<Timestamp>| t.map_or("never".to_string(), crate::time::format_timestamp);
    let mut fields = Vec::new();
    if old.permissions != new.permissions {
        fields.push(format!(
            "permissions {} -> {}",
            list(&old.permissions),
            list(&new.permissions)
        ));
    }
    if old.description != new.description {
        fields.push(format!(
            "description {} -> {}",
            text(&old.description),
            text(&new.description)
        ));
    }
    if old.expires_at != new.expires_at {
        fields.push(format!(
            "expires {} -> {}",
            when(old.expires_at),
            when(new.expires_at)
        ));
    }
    if !fields.is_empty() {
        lines.push(format!("Updated key '{name}': {}.", fields.join("; ")));
    }
    if lines.is_empty() {
        lines.push(format!(
            "Key '{name}' already is as asked; nothing was written."
        ));
    }
    lines
}
