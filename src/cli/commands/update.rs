//! `update NAME`: change permissions, enabled, description, owner, expiry or the restrictions
//! (allowedIps, pathPrefix, resources). Name and hash never change.

use crate::cli::args::UpdateArgs;
use crate::cli::context::{Context, flag_error};
use crate::cli::output::write_data;
use crate::document::Edit;
use crate::error::{Error, Result};
use crate::keys::{DefinitionInput, no_such_key};
use crate::model::ApiKey;
use crate::view::KeyView;
use jiff::Timestamp;

pub(crate) fn run(ctx: &Context, args: UpdateArgs) -> Result<()> {
    crate::names::validate("key", &args.name)?;
    let now = ctx.clock.now();
    let expires = args
        .expires
        .as_deref()
        .map(|e| crate::time::parse_expiry(e, now))
        .transpose()?;
    // The new values are checked as `create` checks them (crate::keys::definition), each
    // refusal naming its flag; the expiry against the key's, under the lock.
    let check = |input: DefinitionInput, flag: Option<&str>| {
        input.check(now).map_err(|e| flag_error(e, flag))
    };
    let given = |v: &[String]| (!v.is_empty()).then(|| v.to_vec());
    let def = check(
        DefinitionInput {
            description: args.description.clone(),
            owner: args.owner.clone(),
            permissions: given(&args.permissions),
            allowed_ips: given(&args.allow_ips),
            path_prefix: args.path_prefix.clone(),
            resources: given(&args.resources),
            ..DefinitionInput::default()
        },
        None,
    )?;
    let allow_ips = def.allowed_ips.unwrap_or_default();
    let add = check(
        DefinitionInput {
            permissions: given(&args.add_permissions),
            ..DefinitionInput::default()
        },
        Some("--add-permission"),
    )?;
    let remove_allow_ips = check(
        DefinitionInput {
            allowed_ips: given(&args.remove_allow_ips),
            ..DefinitionInput::default()
        },
        Some("--remove-allow-ip"),
    )?
    .allowed_ips
    .unwrap_or_default();
    check(
        DefinitionInput {
            resources: given(&args.remove_resources),
            ..DefinitionInput::default()
        },
        Some("--remove-resource"),
    )?;
    let nothing = !args.enable
        && !args.disable
        && args.permissions.is_empty()
        && !args.clear_permissions
        && args.add_permissions.is_empty()
        && args.remove_permissions.is_empty()
        && args.description.is_none()
        && args.owner.is_none()
        && !args.clear_owner
        && expires.is_none()
        && allow_ips.is_empty()
        && remove_allow_ips.is_empty()
        && !args.clear_allow_ips
        && args.path_prefix.is_none()
        && !args.clear_path_prefix
        && args.resources.is_empty()
        && args.remove_resources.is_empty()
        && !args.clear_resources;
    if nothing {
        return Err(Error::Usage(
            "nothing to change: give --enable, --disable, --permission, --add-permission, \
             --remove-permission, --description, --owner, --clear-owner, --expires, --allow-ip, --remove-allow-ip, \
             --clear-allow-ips, --path-prefix, --clear-path-prefix, --resource, \
             --remove-resource or --clear-resources"
                .into(),
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
            new.permissions = def.permissions.clone().unwrap_or_default();
        }
        for p in add.permissions.iter().flatten() {
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
        if args.description.is_some() {
            new.description = def.description.clone();
        }
        if args.owner.is_some() {
            new.owner = def.owner.clone();
        }
        if args.clear_owner {
            new.owner = None;
        }
        if let Some(e) = expires {
            crate::keys::check_expiry(key.expires_at, e, now)
                .map_err(|m| Error::Usage(format!("--expires: {m}")))?;
            new.expires_at = e;
        }
        new.allowed_ips = restrict(
            &key.name,
            key.allowed_ips.as_deref(),
            &allow_ips,
            &remove_allow_ips,
            args.clear_allow_ips,
            ("address range", "--clear-allow-ips", "from any address"),
            ctx,
        )?;
        if let Some(p) = &args.path_prefix {
            new.path_prefix = Some(p.clone());
        }
        if args.clear_path_prefix {
            new.path_prefix = None;
        }
        new.resources = restrict(
            &key.name,
            key.resources.as_deref(),
            &args.resources,
            &args.remove_resources,
            args.clear_resources,
            ("resource", "--clear-resources", "on any resource"),
            ctx,
        )?;
        // The catalog is checked for the permissions added, and expired previous secrets go,
        // as on every change of a key.
        Ok(match crate::keys::change(doc, key, new.clone(), now)? {
            Some(change) => (change.edit, (key.clone(), change.key)),
            None => (Edit::new(), (key.clone(), new)),
        })
    })?;
    for line in said(&old, &key, now).into_iter().chain(lifted(&old, &key)) {
        ctx.say(line);
    }
    if !ctx.is_table() {
        let usage = store.usage_or_warn();
        write_data(
            &mut std::io::stdout().lock(),
            ctx.format,
            &crate::cli::output::Warned {
                view: KeyView::new(&key, usage.get(&key.name), now),
                warnings: store.policy_warnings(),
            },
        )?;
    }
    Ok(())
}

/// A restriction list after adding `add` and removing `remove` (or clearing it): `None` is
/// no restriction. Removing the last entry is refused, as an empty list would lock the key
/// out; lifting the restriction takes the `--clear-...` flag, so it is never done silently.
fn restrict<T: PartialEq + Clone + std::fmt::Display>(
    name: &str,
    old: Option<&[T]>,
    add: &[T],
    remove: &[T],
    clear: bool,
    (what, clear_flag, anywhere): (&str, &str, &str),
    ctx: &Context,
) -> Result<Option<Vec<T>>> {
    if clear {
        return Ok(None);
    }
    if add.is_empty() && remove.is_empty() {
        return Ok(old.map(<[T]>::to_vec));
    }
    let mut list = old.map(<[T]>::to_vec).unwrap_or_default();
    for a in add {
        if !list.contains(a) {
            list.push(a.clone());
        }
    }
    for r in remove {
        if !list.contains(r) {
            ctx.say(format!("note: key '{name}' did not allow {what} '{r}'"));
        }
        list.retain(|x| x != r);
    }
    if list.is_empty() && !remove.is_empty() {
        if old.is_none_or(<[T]>::is_empty) {
            // Nothing was allowed-only; removing from no restriction leaves none.
            return Ok(old.map(<[T]>::to_vec));
        }
        return Err(Error::Usage(format!(
            "refusing to remove the last {what} of key '{name}': a key that allows none could \
             not be used at all; give {clear_flag} to let it be used {anywhere}; nothing was \
             written"
        )));
    }
    Ok(Some(list))
}

/// What the operator is told when a restriction is lifted: the key may now be used more widely.
fn lifted(old: &ApiKey, new: &ApiKey) -> Vec<String> {
    let name = &new.name;
    let mut lines = Vec::new();
    if old.allowed_ips.is_some() && new.allowed_ips.is_none() {
        lines.push(format!("Key '{name}' may now be used from any address."));
    }
    if old.path_prefix.is_some() && new.path_prefix.is_none() {
        lines.push(format!("Key '{name}' may now be used on any path."));
    }
    if old.resources.is_some() && new.resources.is_none() {
        lines.push(format!("Key '{name}' may now be used on any resource."));
    }
    lines
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
    let nets = |v: &Option<Vec<ipnet::IpNet>>| {
        v.as_ref().map_or("(any)".to_string(), |v| {
            list(&v.iter().map(ToString::to_string).collect::<Vec<_>>())
        })
    };
    if old.allowed_ips != new.allowed_ips {
        fields.push(format!(
            "allowedIps {} -> {}",
            nets(&old.allowed_ips),
            nets(&new.allowed_ips)
        ));
    }
    if old.path_prefix != new.path_prefix {
        fields.push(format!(
            "pathPrefix {} -> {}",
            old.path_prefix.as_deref().unwrap_or("(any)"),
            new.path_prefix.as_deref().unwrap_or("(any)")
        ));
    }
    let names = |v: &Option<Vec<String>>| v.as_ref().map_or("(any)".to_string(), |v| list(v));
    if old.resources != new.resources {
        fields.push(format!(
            "resources {} -> {}",
            names(&old.resources),
            names(&new.resources)
        ));
    }
    if old.description != new.description {
        fields.push(format!(
            "description {} -> {}",
            text(&old.description),
            text(&new.description)
        ));
    }
    if old.owner != new.owner {
        fields.push(format!(
            "owner {} -> {}",
            text(&old.owner),
            text(&new.owner)
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
