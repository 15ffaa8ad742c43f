//! `update NAME`: change permissions, enabled, description or expiry. Name and hash never change.

use super::{Context, check_catalog, check_scopes, no_such_key};
use crate::cli::UpdateArgs;
use crate::error::{Error, Result};
use crate::model::ApiKey;
use crate::output::{KeyView, write_data};
use crate::store::Value;
use jiff::Timestamp;

pub fn run(ctx: &Context, args: UpdateArgs) -> Result<()> {
    crate::names::validate("key", &args.name)?;
    let now = ctx.clock.now();
    let expires = args
        .expires
        .as_deref()
        .map(|e| crate::time::parse_expiry(e, now))
        .transpose()?;
    check_scopes(&args.permissions)?;
    check_scopes(&args.add_permissions)?;
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
    let store = ctx.store()?;
    let (key, changed) = store.update(args.write.if_unchanged.as_deref(), |doc| {
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
            super::create::dedup(&mut new.permissions);
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
            new.expires_at = e;
        }
        let changes = changes(key, &new, now);
        if changes.is_empty() {
            return Ok((None, (new, Vec::new())));
        }
        let text = doc.with_fields(&key.name, &changes)?;
        let names = changes.iter().map(|(n, _)| n.to_string()).collect();
        Ok((Some(text), (new, names)))
    })?;
    if changed.is_empty() {
        ctx.say(format!(
            "Key '{}' already is as asked; nothing was written.",
            key.name
        ));
    } else {
        ctx.say(format!(
            "Updated key '{}': {}.",
            key.name,
            changed.join(", ")
        ));
    }
    if !ctx.is_table() {
        let usage = crate::store::usage::read_or_warn(&crate::store::usage_path(store.path()));
        write_data(
            &mut std::io::stdout().lock(),
            ctx.format,
            &KeyView::new(&key, usage.get(&key.name), now),
        )?;
    }
    Ok(())
}

/// The field changes that turn `old` into `new`, dropping expired previous hashes on the way.
pub fn changes(old: &ApiKey, new: &ApiKey, now: Timestamp) -> Vec<(&'static str, Option<Value>)> {
    let mut out = Vec::new();
    if old.description != new.description {
        out.push(("description", new.description.clone().map(Value::Str)));
    }
    if old.enabled != new.enabled {
        out.push(("enabled", Some(Value::Bool(new.enabled))));
    }
    if old.permissions != new.permissions {
        out.push(("permissions", Some(Value::List(new.permissions.clone()))));
    }
    if old.hash != new.hash {
        out.push(("hash", Some(Value::Str(new.hash.to_string()))));
    }
    if old.expires_at != new.expires_at {
        out.push(("expiresAt", new.expires_at.map(Value::Time)));
    }
    if old.allowed_ips != new.allowed_ips {
        out.push((
            "allowedIps",
            new.allowed_ips
                .as_ref()
                .map(|v| Value::List(v.iter().map(|n| n.to_string()).collect())),
        ));
    }
    if old.path_prefix != new.path_prefix {
        out.push(("pathPrefix", new.path_prefix.clone().map(Value::Str)));
    }
    if old.resources != new.resources {
        out.push(("resources", new.resources.clone().map(Value::List)));
    }
    let live: Vec<_> = new
        .previous_hashes
        .iter()
        .filter(|p| p.expires_at > now)
        .cloned()
        .collect();
    if (!out.is_empty() || old.previous_hashes != new.previous_hashes)
        && live != old.previous_hashes
    {
        out.push((
            "previousHashes",
            if live.is_empty() {
                None
            } else {
                Some(Value::Previous(live))
            },
        ));
    }
    out
}
