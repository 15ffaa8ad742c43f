//! The prompts of an operator at a terminal: the `create` form (a provider's "new token"
//! page in the terminal) and [`PromptGuard`], which turns Ctrl-C at any prompt into
//! [`Error::Interrupted`] (exit 130, nothing written) with the cursor shown again.
//!
//! Only ever used when `Context::interactive` holds: stdin and stderr are terminals, `CI` is
//! unset and `--yes` was not given. Everything is drawn on stderr; stdout stays data.

use super::Context;
use crate::cli::CreateArgs;
use crate::error::{Error, Result};
use crate::store::Document;
use dialoguer::console::Term;
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, MultiSelect, Select};
use std::time::{Duration, Instant};

/// While alive, Ctrl-C ends the process with exit 130 and the cursor shown again.
///
/// In raw mode (every dialoguer prompt reads keys that way) Ctrl-C arrives as a byte, and
/// console answers it by raising SIGINT at itself; by default that kills the process with
/// the cursor still hidden and no exit code of ours. With a handler installed the prompt
/// returns `ErrorKind::Interrupted` instead, which [`prompt_error`] maps to
/// [`Error::Interrupted`], and the guard's drop shows the cursor. A SIGINT that comes while
/// the terminal is not in raw mode leaves the prompt's read blocked (it is restarted), so a
/// watcher thread ends the process itself if the prompt has not returned by then.
pub struct PromptGuard {
    handle: Option<signal_hook::iterator::Handle>,
    watcher: Option<std::thread::JoinHandle<()>>,
}

impl PromptGuard {
    pub fn new() -> Self {
        let Ok(mut signals) = signal_hook::iterator::Signals::new([signal_hook::consts::SIGINT])
        else {
            // No handler: Ctrl-C kills the process, which still writes nothing.
            return PromptGuard {
                handle: None,
                watcher: None,
            };
        };
        let handle = signals.handle();
        let closed = handle.clone();
        let watcher = std::thread::spawn(move || {
            if signals.forever().next().is_none() {
                return; // the guard was dropped
            }
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline {
                if closed.is_closed() {
                    return; // the prompt returned Interrupted; main reports it
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = Term::stderr().show_cursor();
            eprintln!("\nerror: {}", Error::Interrupted);
            std::process::exit(i32::from(crate::error::exit::INTERRUPTED));
        });
        PromptGuard {
            handle: Some(handle),
            watcher: Some(watcher),
        }
    }
}

impl Default for PromptGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for PromptGuard {
    fn drop(&mut self) {
        // A select hides the cursor and does not show it again when interrupted.
        let _ = Term::stderr().show_cursor();
        if let Some(h) = self.handle.take() {
            h.close();
        }
        if let Some(w) = self.watcher.take() {
            let _ = w.join(); // unregisters the handler
        }
    }
}

/// Maps a prompt failure (Ctrl-C surfaces as an `Interrupted` I/O error) to an error.
pub fn prompt_error(e: dialoguer::Error) -> Error {
    match e {
        dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::Interrupted => {
            Error::Interrupted
        }
        dialoguer::Error::IO(io) => Error::Other(format!("prompt failed: {io}")),
    }
}

/// The choices of the expiry select, with the `--expires` value each one stands for.
const EXPIRIES: &[(&str, &str)] = &[
    ("7 days", "7d"),
    ("30 days", "30d"),
    ("60 days", "60d"),
    ("90 days", "90d"),
    ("1 year", "1y"),
    ("never", "never"),
    ("a date...", ""),
];

/// Asks for everything `create NAME` takes; flags already given become the defaults.
/// Returns the arguments to create with, after the operator confirmed the summary.
pub fn create_form(ctx: &Context, doc: &Document, mut args: CreateArgs) -> Result<CreateArgs> {
    let _guard = PromptGuard::new();
    let theme = ColorfulTheme::default();
    let now = ctx.clock.now();
    ctx.say(format!(
        "New API key in {} (Ctrl-C cancels; nothing is written until you confirm).",
        ctx.file_label()
    ));

    let existing: Vec<String> = doc.model.names().map(String::from).collect();
    let name: String = Input::with_theme(&theme)
        .with_prompt("Name")
        .validate_with(|s: &String| -> std::result::Result<(), String> {
            if let Some(p) = crate::names::problem(s) {
                return Err(format!("{p}; use 1 to 64 of A-Z a-z 0-9 - _ ."));
            }
            if existing.iter().any(|n| n == s) {
                return Err(format!("key '{s}' exists already; pick another name"));
            }
            Ok(())
        })
        .interact_text()
        .map_err(prompt_error)?;

    let description: String = Input::with_theme(&theme)
        .with_prompt("Description (optional)")
        .with_initial_text(args.def.description.clone().unwrap_or_default())
        .allow_empty(true)
        .interact_text()
        .map_err(prompt_error)?;

    let permissions = match doc.model.catalog.as_deref() {
        Some(catalog) if !catalog.is_empty() => {
            let given = &args.def.permissions;
            let picked: Vec<bool> = catalog.iter().map(|c| given.contains(c)).collect();
            let chosen = MultiSelect::with_theme(&theme)
                .with_prompt("Permissions (space toggles, enter accepts)")
                .items(catalog)
                .defaults(&picked)
                .interact_opt()
                .map_err(prompt_error)?
                .ok_or(Error::Interrupted)?;
            chosen.into_iter().map(|i| catalog[i].clone()).collect()
        }
        _ => {
            let typed: String = Input::with_theme(&theme)
                .with_prompt(
                    "Permissions (comma-separated, e.g. dns:read, dns:write; empty for none)",
                )
                .with_initial_text(args.def.permissions.join(", "))
                .allow_empty(true)
                .validate_with(|s: &String| -> std::result::Result<(), String> {
                    split_scopes(s)
                        .iter()
                        .find_map(|p| crate::model::scope_problem(p))
                        .map_or(Ok(()), Err)
                })
                .interact_text()
                .map_err(prompt_error)?;
            split_scopes(&typed)
        }
    };

    let labels: Vec<&str> = EXPIRIES.iter().map(|(l, _)| *l).collect();
    let choice = Select::with_theme(&theme)
        .with_prompt("Expires")
        .items(&labels)
        .default(
            EXPIRIES
                .iter()
                .position(|(_, v)| Some(*v) == args.def.expires.as_deref())
                .unwrap_or(1),
        )
        .interact_opt()
        .map_err(prompt_error)?
        .ok_or(Error::Interrupted)?;
    let expires = match EXPIRIES[choice].1 {
        "" => Input::<String>::with_theme(&theme)
            .with_prompt("Expiry date (2027-01-01 or 2027-01-01T12:00:00Z)")
            .validate_with(|s: &String| -> std::result::Result<(), String> {
                match crate::time::parse_expiry(s, now) {
                    Ok(Some(t)) if t > now => Ok(()),
                    Ok(_) => Err("that is not in the future".into()),
                    Err(e) => Err(e.to_string()),
                }
            })
            .interact_text()
            .map_err(prompt_error)?,
        other => other.to_string(),
    };

    let enabled = Confirm::with_theme(&theme)
        .with_prompt("Enabled")
        .default(!args.def.disabled)
        .interact_opt()
        .map_err(prompt_error)?
        .ok_or(Error::Interrupted)?;

    let expiry_text = match crate::time::parse_expiry(&expires, now)? {
        Some(t) => crate::time::format_timestamp(t),
        None => "never".into(),
    };
    let mut summary = format!(
        "\n  name:        {name}\n  description: {}\n  permissions: {}\n  expires:     {expiry_text}\n  enabled:     {}\n",
        if description.is_empty() {
            "-"
        } else {
            &description
        },
        if permissions.is_empty() {
            "(none)".to_string()
        } else {
            permissions.join(", ")
        },
        if enabled { "yes" } else { "no" },
    );
    for (label, values) in [
        ("allowed IPs", &args.def.allow_ips),
        ("resources", &args.def.resources),
    ] {
        if !values.is_empty() {
            summary.push_str(&format!("  {label:<12} {}\n", values.join(", ")));
        }
    }
    if let Some(p) = &args.def.path_prefix {
        summary.push_str(&format!("  path prefix: {p}\n"));
    }
    ctx.say(summary);
    let ok = Confirm::with_theme(&theme)
        .with_prompt("Create this key?")
        .default(true)
        .interact_opt()
        .map_err(prompt_error)?
        .ok_or(Error::Interrupted)?;
    if !ok {
        return Err(Error::Other("not created; nothing was written".into()));
    }

    args.name = Some(name);
    args.def.description = Some(description).filter(|d| !d.is_empty());
    args.def.permissions = permissions;
    args.def.expires = Some(expires);
    args.def.disabled = !enabled;
    Ok(args)
}

/// After the secret was printed: offers to copy it, unless `--copy` did already.
pub fn offer_copy(ctx: &Context, secret: &crate::token::Secret) -> Result<()> {
    let _guard = PromptGuard::new();
    let copy = Confirm::with_theme(&ColorfulTheme::default())
        .with_prompt("Copy the secret to the clipboard?")
        .default(false)
        .interact_opt()
        // The key exists by now: Esc, Ctrl-C or a broken terminal here only skip the copy.
        .ok()
        .flatten()
        .unwrap_or(false);
    if !copy {
        return Ok(());
    }
    match crate::clipboard::copy(secret.expose()) {
        Ok(()) => ctx.say("Copied the secret to the clipboard."),
        Err(e) => ctx.say(format!(
            "warning: could not copy to the clipboard ({e}); copy it from above"
        )),
    }
    Ok(())
}

/// "dns:read, dns:write" -> ["dns:read", "dns:write"], without blanks or repeats.
fn split_scopes(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    super::create::dedup(&mut v);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_split_on_commas_and_spaces() {
        assert_eq!(
            split_scopes(" dns:read,dns:write  dns:read, "),
            vec!["dns:read", "dns:write"]
        );
        assert!(split_scopes("").is_empty());
    }

    #[test]
    fn every_expiry_choice_parses() {
        let now: jiff::Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        for (_, v) in EXPIRIES.iter().filter(|(_, v)| !v.is_empty()) {
            crate::time::parse_expiry(v, now).unwrap();
        }
    }
}
