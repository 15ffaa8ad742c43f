//! `delete NAME` / `delete --all`: remove keys; they stop working at once.

use super::{Context, no_such_key};
use crate::cli::DeleteArgs;
use crate::error::{Error, Result};

pub fn run(ctx: &Context, args: DeleteArgs) -> Result<()> {
    if let Some(name) = &args.name {
        crate::names::validate("key", name)?;
    }
    if !args.yes && !ctx.interactive {
        return Err(Error::Usage(format!(
            "refusing to delete without confirmation: stdin is not a terminal; add --yes (`tokenctl delete {} --yes`)",
            args.name.as_deref().unwrap_or("--all")
        )));
    }
    let store = ctx.store()?;
    if !args.yes {
        // Ask before taking the lock, so a slow operator does not block other writers; the
        // file is re-checked under the lock. (With --yes there is nothing to ask, and reading
        // a large file twice would double the time and memory.)
        let doc = store.read()?;
        let count = match &args.name {
            Some(name) => {
                doc.model.get(name).ok_or_else(|| no_such_key(&doc, name))?;
                1
            }
            None => doc.model.keys.len(),
        };
        drop(doc);
        if count == 0 {
            ctx.say("No keys to delete.");
            return Ok(());
        }
        confirm(ctx, &args, count)?;
    }
    let deleted = store.update(args.write.if_unchanged.as_deref(), |doc| {
        let names: Vec<String> = match &args.name {
            Some(name) => {
                doc.model.get(name).ok_or_else(|| no_such_key(doc, name))?;
                vec![name.clone()]
            }
            None => doc.model.names().map(String::from).collect(),
        };
        let edit = names
            .iter()
            .fold(crate::store::Edit::new(), |e, n| e.remove(n.clone()));
        Ok((edit, names))
    })?;
    if deleted.is_empty() {
        ctx.say("No keys to delete.");
        return Ok(());
    }
    if !ctx.is_table() {
        #[derive(serde::Serialize)]
        struct Deleted<'a> {
            deleted: &'a [String],
        }
        crate::output::write_data(
            &mut std::io::stdout().lock(),
            ctx.format,
            &Deleted { deleted: &deleted },
        )?;
    }
    match deleted.as_slice() {
        [one] => ctx.say(format!("Deleted key '{one}'; it no longer works.")),
        many => ctx.say(format!(
            "Deleted {} keys; none of them works any more.",
            many.len()
        )),
    }
    Ok(())
}

fn confirm(ctx: &Context, args: &DeleteArgs, count: usize) -> Result<()> {
    // Ctrl-C: exit 130 with the cursor restored, nothing deleted.
    let _guard = super::interactive::PromptGuard::new();
    let theme = dialoguer::theme::ColorfulTheme::default();
    match &args.name {
        Some(name) => {
            let ok = dialoguer::Confirm::with_theme(&theme)
                .with_prompt(format!(
                    "Delete key '{name}'? Anything using it stops working at once"
                ))
                .default(false)
                .interact_opt()
                .map_err(prompt_error)?;
            if ok != Some(true) {
                return Err(if ok.is_none() {
                    Error::Interrupted
                } else {
                    Error::Other("not deleted".into())
                });
            }
        }
        None => {
            let label = ctx.file_label();
            let typed: String = dialoguer::Input::with_theme(&theme)
                .with_prompt(format!(
                    "This revokes all {count} keys. Type '{label}' to confirm"
                ))
                .allow_empty(true)
                .interact_text()
                .map_err(prompt_error)?;
            if typed.trim() != label {
                return Err(Error::Other(
                    "confirmation did not match; nothing was deleted".into(),
                ));
            }
        }
    }
    Ok(())
}

/// Maps a prompt failure (Ctrl-C surfaces as an I/O error) to an error.
pub fn prompt_error(e: dialoguer::Error) -> Error {
    match e {
        dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::Interrupted => {
            Error::Interrupted
        }
        dialoguer::Error::IO(io) => Error::Other(format!("prompt failed: {io}")),
    }
}
