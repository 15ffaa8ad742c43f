//! `delete NAME...` / `delete --all`: remove keys; they stop working at once.

use crate::cli::args::DeleteArgs;
use crate::cli::context::Context;
use crate::cli::interactive::prompt_error;
use crate::document::Document;
use crate::error::{Error, Result};

pub(crate) fn run(ctx: &Context, args: DeleteArgs) -> Result<()> {
    for name in &args.names {
        crate::names::validate("key", name)?;
    }
    let refuse = || {
        Error::Usage(format!(
            "refusing to delete without confirmation: {}; add --yes (`{}`)",
            ctx.why_no_prompt,
            crate::cli::context::command_with_yes()
        ))
    };
    // Without a way to ask, a usage error comes before any file is read; but with
    // --ignore-missing there may be nothing to delete, which needs no confirmation.
    if !args.yes && !ctx.interactive && !args.ignore_missing {
        return Err(refuse());
    }
    let store = ctx.store()?.with_file_attrs(args.write.attrs()?);
    // A missing file is not created (nor its folder) just to find it has no such key.
    if let Err(e) = ctx.require_file(&store) {
        if !args.ignore_missing {
            return Err(e);
        }
        ctx.say(format!(
            "{} does not exist; nothing deleted (--ignore-missing).",
            store.path().display()
        ));
        return report(ctx, &[]);
    }
    if !args.yes {
        // Ask before taking the lock, so a slow operator does not block other writers; the
        // file is re-checked under the lock. (With --yes there is nothing to ask, and reading
        // a large file twice would double the time and memory.)
        let doc = ctx.read_existing(&store)?;
        let names = targets(&doc, &args);
        crate::keys::removal(&doc, &names)?;
        drop(doc);
        if !names.is_empty() {
            if !ctx.interactive {
                return Err(refuse());
            }
            confirm(ctx, &args, &names)?;
        }
    }
    let deleted = store.update(args.write.if_unchanged.as_deref(), |doc| {
        let names = targets(doc, &args);
        // Each must be there (crate::keys::removal), or nothing is deleted.
        let edit = crate::keys::removal(doc, &names)?;
        // A key that appeared since the look above is not deleted unasked.
        if !names.is_empty() && !args.yes && !ctx.interactive {
            return Err(refuse());
        }
        Ok((edit, names))
    })?;
    let absent: Vec<&String> = args.names.iter().filter(|n| !deleted.contains(n)).collect();
    for name in absent {
        ctx.say(format!(
            "No key named '{name}'; nothing deleted (--ignore-missing)."
        ));
    }
    match deleted.as_slice() {
        [] if args.all => ctx.say("No keys to delete."),
        [] => {}
        [one] => ctx.say(format!("Deleted key '{one}'; it no longer works.")),
        many => ctx.say(format!(
            "Deleted {} keys ({}); none of them works any more.",
            many.len(),
            many.join(", ")
        )),
    }
    report(ctx, &deleted)
}

/// The keys to delete: every key with --all, else the names given, each once. A name the
/// file lacks fails the whole command ([`crate::keys::removal`]: nothing is deleted), unless
/// --ignore-missing skips it here.
fn targets(doc: &Document, args: &DeleteArgs) -> Vec<String> {
    if args.all {
        return doc.model.names().map(String::from).collect();
    }
    let mut names: Vec<String> = Vec::new();
    for name in &args.names {
        let skip = args.ignore_missing && doc.model.get(name).is_none();
        if !skip && !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// `--format json|yaml`: the names deleted (none, with --ignore-missing).
fn report(ctx: &Context, deleted: &[String]) -> Result<()> {
    if ctx.is_table() {
        return Ok(());
    }
    #[derive(serde::Serialize)]
    struct Deleted<'a> {
        deleted: &'a [String],
    }
    crate::cli::output::write_data(
        &mut std::io::stdout().lock(),
        ctx.format,
        &Deleted { deleted },
    )
}

/// Asks before deleting: yes or no for named keys, the tenant's name typed for --all.
/// No (or a wrong name) is [`Error::Declined`]: exit 9, "Nothing deleted.".
fn confirm(ctx: &Context, args: &DeleteArgs, names: &[String]) -> Result<()> {
    // Ctrl-C: exit 130 with the cursor restored, nothing deleted.
    let _guard = crate::cli::interactive::PromptGuard::new();
    let theme = crate::cli::interactive::FormTheme::new();
    if args.all {
        let label = ctx.file_label();
        let typed: String = dialoguer::Input::with_theme(&theme)
            .with_prompt(match names {
                [one] => format!("This revokes the only key, '{one}'. Type '{label}' to confirm"),
                _ => format!(
                    "This revokes all {} keys. Type '{label}' to confirm",
                    names.len()
                ),
            })
            .allow_empty(true)
            .interact_text()
            .map_err(prompt_error)?;
        if typed.trim() != label {
            return Err(Error::Declined(format!(
                "That is not '{label}'. Nothing deleted."
            )));
        }
        return Ok(());
    }
    let question = match names {
        [one] => format!("Delete key '{one}'? Anything using it stops working at once"),
        many => format!(
            "Delete {} keys ({})? Anything using them stops working at once",
            many.len(),
            many.join(", ")
        ),
    };
    if crate::cli::interactive::yes_no(&theme, &question, false)? {
        Ok(())
    } else {
        Err(Error::Declined("Nothing deleted.".into()))
    }
}
