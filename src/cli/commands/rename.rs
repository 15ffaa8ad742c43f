//! `rename OLD NEW`: the same key under another name; its usage record moves with it. With
//! `-o json` or `-o yaml`, the renamed key on stdout.

use crate::cli::args::RenameArgs;
use crate::cli::context::{Context, flag_error};
use crate::cli::output::{Warned, write_data};
use crate::document::Edit;
use crate::error::{Error, Result};
use crate::keys::{DefinitionInput, no_such_key};
use crate::view::KeyView;

pub(crate) fn run(ctx: &Context, args: RenameArgs) -> Result<()> {
    crate::names::validate("key", &args.old)?;
    // The new name as every writer checks a key's name (crate::keys::definition).
    DefinitionInput {
        name: Some(args.new.clone()),
        ..DefinitionInput::default()
    }
    .check(ctx.clock.now())
    .map_err(|e| flag_error(e, None))?;
    if args.old == args.new {
        return Err(Error::Usage(format!(
            "key '{}' already has that name; nothing was written",
            args.old
        )));
    }
    let store = ctx.store()?.with_file_attrs(args.write.attrs()?);
    ctx.require_file(&store)?;
    let (renamed, usage_failed) = store.rename(
        args.write.if_unchanged.as_deref(),
        (&args.old, &args.new),
        |doc| {
            let key = doc
                .model
                .get(&args.old)
                .ok_or_else(|| no_such_key(doc, &args.old))?;
            if doc.model.get(&args.new).is_some() {
                return Err(Error::Conflict(format!(
                    "key '{}' exists already; pick another name, or delete that key first; \
                     nothing was written",
                    args.new
                )));
            }
            let mut renamed = key.clone();
            renamed.name = args.new.clone();
            // The key leaves its place and is written again after the last key, in one write:
            // the planner replaces keys in place by name, and a name is what changes here.
            Ok((
                Edit::new().remove(args.old.clone()).append(renamed.clone()),
                renamed,
            ))
        },
    )?;
    ctx.say(format!(
        "Renamed key '{}' to '{}'; its secret is unchanged. It now comes last in the file.",
        args.old, args.new
    ));
    if let Some(e) = usage_failed {
        ctx.say(format!(
            "warning: the key is renamed, but its last use could not be moved to the new \
             name in the usage file: {e}"
        ));
    }
    // With `-o json` or `-o yaml`, the key under its new name on stdout, as `update` prints
    // it: a script learns the outcome from the data, not from the message.
    if !ctx.is_table() {
        let usage = store.usage_or_warn();
        write_data(
            &mut std::io::stdout().lock(),
            ctx.format,
            &Warned {
                view: KeyView::new(&renamed, usage.get(&renamed.name), ctx.clock.now()),
                warnings: store.policy_warnings(),
            },
        )?;
    }
    Ok(())
}
