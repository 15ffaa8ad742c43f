//! `create NAME...`: new keys, one secret each, printed once; only their hashes are stored.
//! Several names are instances of one definition, created in one atomic write.

use crate::cli::args::{CreateArgs, KeyDefinition};
use crate::cli::context::{Context, flag_error};
use crate::cli::secrets::{SecretShape, announce_secrets, print_secrets};
use crate::document::Edit;
use crate::error::{Error, Result};
use crate::keys::{self, DefinitionInput};
use crate::model::ApiKey;
use crate::token::{self, Secret};
use jiff::Timestamp;
use std::io::IsTerminal;

pub(crate) fn run(ctx: &Context, mut args: CreateArgs) -> Result<()> {
    // No NAME at a terminal: the form asks for everything. Anywhere else, never a prompt.
    let form = args.names.is_empty() && ctx.interactive && !args.yes;
    // Before the form asks anything: a mistyped tenant is no reason to fill it in.
    ctx.allow_new_tenant(args.new_tenant)?;
    if form {
        // Before the form shows the flags as its defaults, on the terminal.
        input(&args.def, None)
            .refuse_secrets()
            .map_err(|e| flag_error(e, None))?;
        let doc = ctx.store()?.read()?;
        args = crate::cli::interactive::create_form(ctx, &doc, args)?;
    }
    if args.names.is_empty() {
        return Err(Error::Usage(
            "missing key NAME: give it and the definition as flags, e.g. \
             `tokenctl create NAME --permission SCOPE --expires 90d --description TEXT` \
             (the interactive form opens only at a terminal, without --yes and with CI unset)"
                .into(),
        ));
    }
    let names = args.names.clone();
    let now = ctx.clock.now();
    for (i, name) in names.iter().enumerate() {
        let input = DefinitionInput {
            name: Some(name.clone()),
            ..DefinitionInput::default()
        };
        input.check(now).map_err(|e| flag_error(e, None))?;
        if names[..i].contains(name) {
            return Err(Error::Usage(format!(
                "key name '{name}' is given twice; each instance needs its own name"
            )));
        }
    }
    // Several names: instances of one definition, one secret each.
    let several = names.len() > 1;
    if several && args.secret_stdin {
        return Err(Error::Usage(
            "--secret-stdin imports one secret, for one key; a secret must be unique, so \
             create the others without it"
                .into(),
        ));
    }
    if several && (args.out.copy || args.out.copy_for.is_some()) {
        return Err(Error::Usage(
            "--copy copies one secret; with several names, take them from stdout \
             (one `NAME SECRET` line each)"
                .into(),
        ));
    }
    let store = ctx.store()?.with_file_attrs(args.write.attrs()?);
    let def = &args.def;
    let expires_at = def
        .expires
        .as_deref()
        .map(|e| crate::time::parse_expiry(e, now))
        .transpose()?
        .flatten();
    // The one rule set of every writer; a refusal names the flag.
    let definition = input(def, expires_at)
        .check(now)
        .map_err(|e| flag_error(e, None))?;
    let copy = crate::cli::secrets::copy_for(&args.out)?;
    let mut imported = if args.secret_stdin {
        Some(read_secret_stdin()?)
    } else {
        None
    };

    let quiet = args.out.quiet;
    let shape = if several {
        SecretShape::Lines
    } else {
        SecretShape::One
    };
    // One locked, atomic write for every instance: all of them are created, or none.
    let written = store.write(
        args.write.if_unchanged.as_deref(),
        |doc| {
            let (existing, missing): (Vec<&String>, Vec<&String>) =
                names.iter().partition(|n| doc.model.get(n).is_some());
            if let (Some(name), false) = (existing.first(), args.if_missing) {
                return Err(Error::KeyExists((*name).clone()));
            }
            let existing: Vec<String> = existing.into_iter().cloned().collect();
            if missing.is_empty() {
                return Ok((Edit::new(), (Vec::new(), existing)));
            }
            keys::check_catalog(doc, definition.permissions())?;
            let mut edit = Edit::new();
            let mut created: Vec<(ApiKey, Secret)> = Vec::with_capacity(missing.len());
            for name in missing {
                let secret = match imported.take() {
                    Some(s) => s,
                    None => token::generate(doc.model.prefix()).map_err(Error::Other)?,
                };
                // verify calls such a token malformed before looking it up: it could never
                // work.
                let prefixes = [doc.model.prefix(), crate::model::DEFAULT_PREFIX];
                if let Err(why) = token::check_form(secret.expose(), &prefixes) {
                    return Err(Error::Usage(format!(
                        "the secret on stdin starts like a tokenctl token but is not one, \
                             so verify would refuse it ({why}); import it as it was issued, or \
                             let tokenctl generate one"
                    )));
                }
                let hash = secret.hash();
                keys::check_unique(doc, &hash)?;
                let key = definition.key(name, hash, now);
                edit = edit.append(key.clone());
                created.push((key, secret));
            }
            Ok((edit, (created, existing)))
        },
        // The secrets are printed before the file is replaced: if they cannot be, nothing is.
        |(created, _), _| {
            let pairs: Vec<(&ApiKey, &Secret)> = created.iter().map(|(k, s)| (k, s)).collect();
            let how = if several { "" } else { ", or add --copy" };
            crate::cli::secrets::check_secret_sink(ctx, pairs.len(), copy.is_some(), how)?;
            let warned = store.policy_warnings();
            print_secrets(ctx, &pairs, shape, quiet, "Created", &warned).map(|()| !pairs.is_empty())
        },
    )?;
    let (created, existing) = &written.value;
    let pairs: Vec<(&ApiKey, &Secret)> = created.iter().map(|(k, s)| (k, s)).collect();
    announce_secrets(ctx, &pairs, quiet, copy, "Created");
    if written.created && !quiet {
        ctx.say_created(store.path());
    }
    if !quiet {
        for name in existing {
            ctx.say(format!(
                "Key '{name}' exists already; left as it is (--if-missing)."
            ));
        }
    }
    if form && copy.is_none() {
        if let [(_, secret)] = created.as_slice() {
            crate::cli::interactive::offer_copy(ctx, secret)?;
        }
    }
    Ok(())
}

/// The definition as the flags give it: a list flag not given is no restriction.
fn input(def: &KeyDefinition, expires_at: Option<Timestamp>) -> DefinitionInput {
    DefinitionInput {
        name: None,
        description: def.description.clone(),
        owner: def.owner.clone(),
        enabled: Some(!def.disabled),
        permissions: Some(def.permissions.clone()),
        expires_at,
        expires_before: None,
        allowed_ips: (!def.allow_ips.is_empty()).then(|| def.allow_ips.clone()),
        path_prefix: def.path_prefix.clone(),
        resources: (!def.resources.is_empty()).then(|| def.resources.clone()),
    }
}

/// Reads an imported secret from stdin: one line, surrounding newline removed.
fn read_secret_stdin() -> Result<Secret> {
    if std::io::stdin().is_terminal() {
        let s = dialoguer::Password::new()
            .with_prompt("Secret to import")
            .interact()
            .map_err(|e| Error::Other(format!("reading the secret: {e}")))?;
        return check_imported(Secret::new(s));
    }
    let buf = crate::cli::secrets::read_stdin_secret(64 * 1024)
        .map_err(|e| Error::io("<stdin>", "reading the secret", e))?
        .ok_or_else(|| Error::Usage("the secret on stdin is longer than 64 KiB".into()))?;
    let text = std::str::from_utf8(&buf)
        .map_err(|_| Error::Usage("the secret on stdin is not UTF-8 text".into()))?;
    let text = text
        .strip_suffix('\n')
        .map_or(text, |s| s.strip_suffix('\r').unwrap_or(s));
    check_imported(Secret::new(text.to_string()))
}

fn check_imported(secret: Secret) -> Result<Secret> {
    match token::imported_problem(secret.expose()) {
        Some(why) => Err(Error::Usage(format!("refusing the secret on stdin: {why}"))),
        None => Ok(secret),
    }
}
