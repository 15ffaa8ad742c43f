//! `update NAME`: change permissions, enabled, description or expiry. Name and hash never change.

use super::{Context, check_catalog, check_scopes, no_such_key};
use crate::cli::UpdateArgs;
use crate::error::{Error, Result};
use crate::output::{KeyView, write_data};
use crate::store::Edit;

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
        if new == *key {
            return Ok((Edit::new(), (new, Vec::new())));
        }
        // Expired previous secrets go the next time the key is written.
        new.previous_hashes.retain(|p| p.expires_at > now);
        let names: Vec<String> = crate::document::edit::field_changes(key, &new)
            .iter()
            .map(|(n, _)| n.to_string())
            .filter(|n| n != "previousHashes")
            .collect();
        Ok((Edit::new().put(new.clone()), (new, names)))
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
        let usage = crate::store::usage::read_or_warn(&store.usage_path());
        write_data(
            &mut std::io::stdout().lock(),
            ctx.format,
            &KeyView::new(&key, usage.get(&key.name), now),
        )?;
    }
    Ok(())
}
