//! `rotate NAME`: a new secret for the same definition; `--grace` keeps the old one valid a while.

use crate::cli::args::RotateArgs;
use crate::cli::context::Context;
use crate::cli::secrets::{announce_secret, print_secret};
use crate::document::Edit;
use crate::error::{Error, Result};
use crate::keys::no_such_key;
use crate::model::PreviousHash;
use crate::token;

pub(crate) fn run(ctx: &Context, args: RotateArgs) -> Result<()> {
    crate::names::validate("key", &args.name)?;
    if args.end_grace {
        return end_grace(ctx, &args);
    }
    let now = ctx.clock.now();
    let grace = args
        .grace
        .as_deref()
        .map(|g| crate::time::parse_duration("--grace", g))
        .transpose()?
        // `--grace 0s` asks for no grace period: the old secret stops at once.
        .filter(|g| !g.is_zero());
    let copy = crate::cli::secrets::copy_for(&args.out)?;
    let store = ctx.store()?.with_file_attrs(args.write.attrs()?);
    ctx.require_file(&store)?;
    let quiet = args.out.quiet;
    let written = store.write(
        args.write.if_unchanged.as_deref(),
        |doc| {
            let key = doc
                .model
                .get(&args.name)
                .ok_or_else(|| no_such_key(doc, &args.name))?;
            let secret = token::generate(doc.model.prefix()).map_err(Error::Other)?;
            // Old secrets still in their grace period, which a rotation without one ends.
            let ended: Vec<PreviousHash> = match grace {
                None => key
                    .previous_hashes
                    .iter()
                    .filter(|p| p.expires_at > now)
                    .cloned()
                    .collect(),
                Some(_) => Vec::new(),
            };
            let mut new = key.clone();
            new.hash = secret.hash();
            new.previous_hashes = match grace {
                // Without a grace period every old secret stops at once: a rotation is often a leak.
                None => Vec::new(),
                Some(g) => {
                    let mut live: Vec<_> = key
                        .previous_hashes
                        .iter()
                        .filter(|p| p.expires_at > now)
                        .cloned()
                        .collect();
                    let until = crate::time::after(now, g)?;
                    live.push(PreviousHash {
                        hash: key.hash,
                        expires_at: until,
                    });
                    live
                }
            };
            Ok((Edit::new().put(new.clone()), (new, secret, ended)))
        },
        // The new secret is printed before the file is replaced: if it cannot be, the old one
        // stays in force and nothing changes.
        |(key, secret, _), _| {
            crate::cli::secrets::check_secret_sink(ctx, 1, copy.is_some(), ", or add --copy")?;
            print_secret(ctx, key, secret, quiet, "Rotated", &store.policy_warnings())
                .map(|()| true)
        },
    )?;
    let (key, secret, ended) = written.value;
    announce_secret(ctx, &key, &secret, quiet, copy, "Rotated");
    if !args.out.quiet {
        match (grace, key.previous_hashes.last()) {
            (Some(_), Some(p)) => ctx.say(format!(
                "The old secret keeps working until {}.",
                crate::time::format_timestamp(p.expires_at)
            )),
            _ => ctx.say("The old secret stopped working."),
        }
        for p in &ended {
            ctx.say(format!(
                "So did the secret of an earlier rotation (fingerprint {}), which was to keep \
                 working until {}.",
                p.hash.fingerprint(),
                crate::time::format_timestamp(p.expires_at)
            ));
        }
    }
    Ok(())
}

/// `rotate NAME --end-grace`: the old secrets of the key still in their grace period stop
/// working now, in a proven write; the current secret stays. Nothing is written when there
/// is none.
fn end_grace(ctx: &Context, args: &RotateArgs) -> Result<()> {
    let now = ctx.clock.now();
    let store = ctx.store()?.with_file_attrs(args.write.attrs()?);
    ctx.require_file(&store)?;
    let written = store.write(
        args.write.if_unchanged.as_deref(),
        |doc| {
            let key = doc
                .model
                .get(&args.name)
                .ok_or_else(|| no_such_key(doc, &args.name))?;
            let ended: Vec<PreviousHash> = key
                .previous_hashes
                .iter()
                .filter(|p| p.expires_at > now)
                .cloned()
                .collect();
            if key.previous_hashes.is_empty() {
                return Ok((Edit::new(), ended));
            }
            let mut new = key.clone();
            new.previous_hashes = Vec::new();
            Ok((Edit::new().put(new), ended))
        },
        |_, _| Ok(false),
    )?;
    let ended = written.value;
    if ended.is_empty() {
        ctx.say(format!(
            "Key '{}' has no old secret in a grace period; nothing to end.",
            args.name
        ));
    }
    for p in &ended {
        ctx.say(format!(
            "The old secret of key '{}' (fingerprint {}) stopped working; it was to keep working until {}.",
            args.name,
            p.hash.fingerprint(),
            crate::time::format_timestamp(p.expires_at)
        ));
    }
    Ok(())
}
