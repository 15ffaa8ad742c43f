//! The prompts of an operator at a terminal: the `create` form (a provider's "new token"
//! page in the terminal) and [`PromptGuard`], which turns Ctrl-C at any prompt into
//! [`Error::Interrupted`] (exit 130, nothing written) with the cursor shown again.
//!
//! Only ever used when `Context::interactive` holds: stdin and stderr are terminals, `CI` is
//! unset and `--yes` was not given. Everything is drawn on stderr; stdout stays data.

use crate::cli::args::CreateArgs;
use crate::cli::context::Context;
use crate::document::Document;
use crate::error::{Error, Result};
use dialoguer::console::{Term, style};
use dialoguer::theme::{ColorfulTheme, Theme};
use dialoguer::{Input, MultiSelect, Select};
use std::fmt;
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
pub(crate) struct PromptGuard {
    handle: Option<signal_hook::iterator::Handle>,
    watcher: Option<std::thread::JoinHandle<()>>,
}

impl PromptGuard {
    pub(crate) fn new() -> Self {
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

/// A yes/no question answered with a line, as `apt`, `rm -i` and `terraform apply` ask: the
/// answer is typed (y, yes, n, no, any case; Enter alone takes the default) and taken on
/// Enter. A question answered on a single key took the rest of "yes⏎" as the answer to the
/// next prompt, and left the `o` of "no⏎" for the shell.
pub(crate) fn yes_no(theme: &dyn Theme, prompt: &str, default: bool) -> Result<bool> {
    let hint = if default { "Y/n" } else { "y/N" };
    let typed: String = Input::with_theme(theme)
        .with_prompt(format!("{prompt} [{hint}]"))
        .allow_empty(true)
        .validate_with(|s: &String| -> std::result::Result<(), String> {
            match answer(s) {
                Some(_) => Ok(()),
                None => Err("answer yes or no (y or n)".into()),
            }
        })
        .interact_text()
        .map_err(prompt_error)?;
    Ok(answer(&typed).flatten().unwrap_or(default))
}

/// A line of text checked on Enter by `check`. A refused answer stays in the field for
/// editing, under the reason (a secret in it redacted, as in every message); dialoguer's
/// own validation empties the field. dialoguer also clears only the row the cursor is on
/// when Enter is pressed, so a prompt and answer that wrapped at the terminal's edge left a
/// stale copy above: every row they took is cleared here, then the answer reported once.
fn ask_line(
    theme: &FormTheme,
    prompt: &str,
    initial: &str,
    allow_empty: bool,
    check: impl Fn(&str) -> std::result::Result<(), String>,
) -> Result<String> {
    use dialoguer::console::measure_text_width;
    let term = Term::stderr();
    let io = |e: std::io::Error| prompt_error(dialoguer::Error::IO(e));
    let mut text = initial.to_string();
    let mut reason_shown = false;
    loop {
        let typed: String = Input::with_theme(theme)
            .with_prompt(prompt)
            .with_initial_text(text.clone())
            .allow_empty(allow_empty)
            .report(false)
            .interact_text_on(&term)
            .map_err(prompt_error)?;
        let mut shown = String::new();
        let _ = theme.format_input_prompt(&mut shown, prompt, None);
        let width = usize::from(term.size().1).max(1);
        let rows = (measure_text_width(&shown) + measure_text_width(&typed))
            .div_ceil(width)
            .max(1);
        let above = rows - 1 + usize::from(reason_shown);
        if above > 0 {
            term.clear_last_lines(above).map_err(io)?;
        }
        let mut line = String::new();
        match check(&typed) {
            Ok(()) => {
                let _ = theme.format_input_prompt_selection(&mut line, prompt, &typed);
                term.write_line(&line).map_err(io)?;
                return Ok(typed);
            }
            Err(why) => {
                let _ = theme.format_error(&mut line, &crate::text::redact(&why));
                term.write_line(&line).map_err(io)?;
                reason_shown = true;
                text = typed;
            }
        }
    }
}

/// A typed answer: `Some(None)` for Enter alone (the default), `None` when it is neither
/// yes nor no.
fn answer(typed: &str) -> Option<Option<bool>> {
    match typed.trim().to_ascii_lowercase().as_str() {
        "" => Some(None),
        "y" | "yes" => Some(Some(true)),
        "n" | "no" => Some(Some(false)),
        _ => None,
    }
}

/// Maps a prompt failure (Ctrl-C surfaces as an `Interrupted` I/O error) to an error.
pub(crate) fn prompt_error(e: dialoguer::Error) -> Error {
    match e {
        dialoguer::Error::IO(io) if io.kind() == std::io::ErrorKind::Interrupted => {
            // The cursor is still on the prompt's line: the message starts on a line of its own.
            eprintln!();
            Error::Interrupted
        }
        dialoguer::Error::IO(io) => Error::Other(format!("prompt failed: {io}")),
    }
}

/// The prompts' look: dialoguer's colourful theme, with a `>` on the current line of every
/// list (its multi-select marks it by colour alone, invisible under NO_COLOR) and error
/// lines cut to the terminal's width (a wrapped one is only half cleared after a valid answer).
pub(crate) struct FormTheme(ColorfulTheme);

impl FormTheme {
    pub(crate) fn new() -> Self {
        FormTheme(ColorfulTheme {
            active_item_prefix: style(">".to_string()).for_stderr().green(),
            picked_item_prefix: style(">".to_string()).for_stderr().green(),
            ..ColorfulTheme::default()
        })
    }
}

impl Default for FormTheme {
    fn default() -> Self {
        Self::new()
    }
}

impl Theme for FormTheme {
    fn format_prompt(&self, f: &mut dyn fmt::Write, prompt: &str) -> fmt::Result {
        self.0.format_prompt(f, prompt)
    }

    fn format_error(&self, f: &mut dyn fmt::Write, err: &str) -> fmt::Result {
        // "✘ " and a column to spare: the line must never wrap.
        let width = usize::from(Term::stderr().size().1)
            .saturating_sub(3)
            .max(10);
        let fitted: String = if err.chars().count() > width {
            let mut cut: String = err.chars().take(width - 1).collect();
            cut.push('…');
            cut
        } else {
            err.to_string()
        };
        self.0.format_error(f, &fitted)
    }

    fn format_input_prompt(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        default: Option<&str>,
    ) -> fmt::Result {
        self.0.format_input_prompt(f, prompt, default)
    }

    fn format_confirm_prompt(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        default: Option<bool>,
    ) -> fmt::Result {
        self.0.format_confirm_prompt(f, prompt, default)
    }

    fn format_confirm_prompt_selection(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        selection: Option<bool>,
    ) -> fmt::Result {
        self.0.format_confirm_prompt_selection(f, prompt, selection)
    }

    fn format_input_prompt_selection(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        sel: &str,
    ) -> fmt::Result {
        self.0.format_input_prompt_selection(f, prompt, sel)
    }

    fn format_password_prompt_selection(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
    ) -> fmt::Result {
        self.0.format_password_prompt_selection(f, prompt)
    }

    fn format_multi_select_prompt_selection(
        &self,
        f: &mut dyn fmt::Write,
        prompt: &str,
        selections: &[&str],
    ) -> fmt::Result {
        self.0
            .format_multi_select_prompt_selection(f, prompt, selections)
    }

    fn format_select_prompt_item(
        &self,
        f: &mut dyn fmt::Write,
        text: &str,
        active: bool,
    ) -> fmt::Result {
        self.0.format_select_prompt_item(f, text, active)
    }

    fn format_multi_select_prompt_item(
        &self,
        f: &mut dyn fmt::Write,
        text: &str,
        checked: bool,
        active: bool,
    ) -> fmt::Result {
        let marker = if active {
            &self.0.active_item_prefix
        } else {
            &self.0.inactive_item_prefix
        };
        write!(f, "{marker} ")?;
        self.0
            .format_multi_select_prompt_item(f, text, checked, active)
    }
}

/// Asks for everything `create NAME` takes; flags already given become the defaults.
/// Returns the arguments to create with, after the operator confirmed the summary.
pub(crate) fn create_form(
    ctx: &Context,
    doc: &Document,
    mut args: CreateArgs,
) -> Result<CreateArgs> {
    let _guard = PromptGuard::new();
    let theme = FormTheme::new();
    let now = ctx.clock.now();
    let file = doc.path.display().to_string();
    let file_note = if doc.missing {
        format!("{file} (a new file)")
    } else {
        file.clone()
    };
    // Two short lines: a line that wraps at 80 columns splits a word.
    ctx.say(format!(
        "New API key in {file_note}.\nCtrl-C cancels; nothing is written until you confirm."
    ));
    // The policy up front: a key that breaks it is refused (or warned of) only at the end.
    let policy = ctx.effective_policy(&doc.model, &doc.path, &ctx.operator_policy(false)?);
    if !policy.is_empty() {
        ctx.say(format!(
            "Policy ({}): {}.",
            policy.mode().name(),
            policy.summary().join("; ")
        ));
    }

    let existing: Vec<String> = doc.model.names().map(String::from).collect();
    // The problem first: a long message is cut to the terminal's width.
    let name_problem = |s: &str| -> Option<String> {
        if let Some(p) = crate::names::problem(s) {
            return Some(format!("{p} ('{s}'); use 1 to 64 of A-Z a-z 0-9 - _ ."));
        }
        if existing.iter().any(|n| n == s) {
            return Some(format!("key '{s}' exists already; pick another name"));
        }
        None
    };
    let name = ask_line(&theme, "Name", "", false, |s| {
        name_problem(s).map_or(Ok(()), Err)
    })?;

    // Providers' "instances": more keys of the same definition, each with its own secret.
    let more = ask_line(
        &theme,
        "More instances (other names, comma-separated)",
        "",
        true,
        |s| {
            let mut seen = vec![name.as_str()];
            for n in split_list(s) {
                if let Some(p) = name_problem(n) {
                    return Err(p);
                }
                if seen.contains(&n) {
                    return Err(format!("'{n}' is listed twice"));
                }
                seen.push(n);
            }
            Ok(())
        },
    )?;
    let mut names = vec![name];
    names.extend(split_list(&more).into_iter().map(String::from));

    // What the policy requires is asked for as required.
    let need_description = policy.require_description.is_some();
    let description = ask_line(
        &theme,
        if need_description {
            "Description (the policy requires one)"
        } else {
            "Description (optional)"
        },
        args.def.description.as_deref().unwrap_or_default(),
        // Enter on nothing is answered by the check, which says why.
        true,
        |s| {
            if need_description && s.trim().is_empty() {
                return Err("the policy requires a description".into());
            }
            Ok(())
        },
    )?;

    let need_owner = policy.require_owner.is_some();
    let owner = ask_line(
        &theme,
        if need_owner {
            "Owner, a team or a contact (the policy requires one)"
        } else {
            "Owner, a team or a contact (optional)"
        },
        args.def.owner.as_deref().unwrap_or_default(),
        true,
        |s| match s {
            s if need_owner && s.trim().is_empty() => {
                Err("the policy requires an owner".to_string())
            }
            "" => Ok(()),
            s => crate::model::owner_problem(s).map_or(Ok(()), |p| Err(format!("it {p}"))),
        },
    )?;

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
            let typed = ask_line(
                &theme,
                "Permissions (comma-separated)",
                &args.def.permissions.join(", "),
                true,
                |s| {
                    split_list(s)
                        .into_iter()
                        .find_map(scope_problem)
                        .map_or(Ok(()), Err)
                },
            )?;
            let mut scopes: Vec<String> =
                split_list(&typed).into_iter().map(String::from).collect();
            crate::keys::dedup(&mut scopes);
            scopes
        }
    };

    // Under a maxLifetime, only the presets within it (and a date, checked against it).
    let latest = policy.max_lifetime.as_ref().map(|m| m.value.ends(now));
    let presets: Vec<(&str, &str)> = crate::time::EXPIRY_PRESETS
        .iter()
        .copied()
        .filter(|(_, v)| {
            v.is_empty()
                || latest.is_none_or(|latest| {
                    crate::time::parse_expiry(v, now)
                        .ok()
                        .flatten()
                        .is_some_and(|t| t <= latest)
                })
        })
        .collect();
    let labels: Vec<&str> = presets.iter().map(|(l, _)| *l).collect();
    let choice = Select::with_theme(&theme)
        .with_prompt("Expires")
        .items(&labels)
        .default(
            presets
                .iter()
                .position(|(_, v)| Some(*v) == args.def.expires.as_deref())
                // Under a maxLifetime, the longest preset within it (they are in ascending
                // order, and `presets` holds only those within it, then "a date...").
                .or_else(|| latest.and(presets.iter().rposition(|(_, v)| !v.is_empty())))
                .unwrap_or(1.min(presets.len() - 1)),
        )
        .interact_opt()
        .map_err(prompt_error)?
        .ok_or(Error::Interrupted)?;
    let expires = match presets[choice].1 {
        "" => ask_line(
            &theme,
            "Expiry date (2027-01-01 or 2027-01-01T12:00:00Z)",
            "",
            false,
            |s| {
                // The rule of every front end (crate::keys::check_expiry), said briefly.
                match crate::time::parse_expiry(s, now) {
                    Ok(Some(t)) if latest.is_some_and(|l| t > l) => Err(format!(
                        "the policy allows {} at most",
                        policy
                            .max_lifetime
                            .as_ref()
                            .map_or("", |m| m.value.text.as_str())
                    )),
                    Ok(None) if latest.is_some() => {
                        Err("the policy requires an expiry".to_string())
                    }
                    Ok(t) => crate::keys::check_expiry(None, t, now)
                        .map_err(|_| "that is not in the future".to_string()),
                    Err(e) => Err(e.to_string()),
                }
            },
        )?,
        other => other.to_string(),
    };

    let enabled = yes_no(&theme, "Enabled", !args.def.disabled)?;

    let expiry_text = match crate::time::parse_expiry(&expires, now)? {
        Some(t) => format!(
            "{} ({})",
            crate::time::format_timestamp(t),
            crate::time::humanize(t, now)
        ),
        None => "never".into(),
    };
    let mut summary = format!(
        "\n  file:        {file_note}\n  {:<13}{}\n  description: {}\n  owner:       {}\n  permissions: {}\n  expires:     {expiry_text}\n  enabled:     {}\n",
        if names.len() == 1 { "name:" } else { "names:" },
        names.join(", "),
        if description.is_empty() {
            "-"
        } else {
            &description
        },
        if owner.is_empty() { "-" } else { &owner },
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
    let question = match names.len() {
        1 => "Create this key?".to_string(),
        n => format!("Create these {n} keys?"),
    };
    let ok = yes_no(&theme, &question, true)?;
    if !ok {
        return Err(Error::Declined("Nothing created.".into()));
    }

    args.names = names;
    args.def.description = Some(description).filter(|d| !d.is_empty());
    args.def.owner = Some(owner).filter(|o| !o.is_empty());
    args.def.permissions = permissions;
    args.def.expires = Some(expires);
    args.def.disabled = !enabled;
    Ok(args)
}

/// Why a typed scope is refused: a space inside one means a missing comma.
fn scope_problem(scope: &str) -> Option<String> {
    if scope.contains(char::is_whitespace) {
        return Some(format!(
            "'{scope}' has a space in it; separate scopes with commas"
        ));
    }
    crate::model::scope_problem(scope)
}

/// After the secret was printed: offers to copy it, unless `--copy` did already, and only
/// when a copy can work (a display is there).
pub(crate) fn offer_copy(ctx: &Context, secret: &crate::token::Secret) -> Result<()> {
    if !crate::cli::clipboard::available() {
        return Ok(());
    }
    let _guard = PromptGuard::new();
    // The key exists by now: Ctrl-C or a broken terminal here only skip the copy.
    let copy = yes_no(
        &FormTheme::new(),
        "Copy the secret to the clipboard?",
        false,
    )
    .unwrap_or(false);
    if !copy {
        return Ok(());
    }
    crate::cli::secrets::copy_secret(
        ctx,
        secret,
        crate::cli::clipboard::DEFAULT_CLEAR_AFTER,
        false,
    );
    Ok(())
}

/// "dns:read, dns:write" -> ["dns:read", "dns:write"]: split on commas only, blanks dropped.
fn split_list(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_commas_only() {
        assert_eq!(
            split_list(" dns:read,dns:write , dns:read, "),
            vec!["dns:read", "dns:write", "dns:read"]
        );
        assert_eq!(split_list("dns:read dns:write"), vec!["dns:read dns:write"]);
        assert!(
            scope_problem("dns:read dns:write")
                .unwrap()
                .contains("commas")
        );
        assert!(split_list("").is_empty());
    }

    #[test]
    fn every_expiry_choice_parses() {
        let now: jiff::Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        for (_, v) in crate::time::EXPIRY_PRESETS
            .iter()
            .filter(|(_, v)| !v.is_empty())
        {
            crate::time::parse_expiry(v, now).unwrap();
        }
        // The form's default under a maxLifetime is the last preset within it: they ascend.
        let ends: Vec<_> = crate::time::EXPIRY_PRESETS
            .iter()
            .filter_map(|(_, v)| crate::time::parse_expiry(v, now).ok().flatten())
            .collect();
        assert!(ends.windows(2).all(|w| w[0] < w[1]), "{ends:?}");
    }
}
