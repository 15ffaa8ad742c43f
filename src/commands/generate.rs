//! `completions SHELL` and `man`: generated from the clap definition itself, plus the key
//! names offered by dynamic completion (`COMPLETE=bash tokenctl`) and the README's command
//! reference. The committed `completions/`, `man/` and README section are checked fresh by
//! a test; `TOKENCTL_REGENERATE=1 cargo test --test e2e generated` rewrites them.

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::error::{Error, Result};
use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The shells `completions` knows, with the file name each one's script is committed as.
pub const SHELLS: &[(clap_complete::Shell, &str)] = &[
    (clap_complete::Shell::Bash, "tokenctl.bash"),
    (clap_complete::Shell::Zsh, "_tokenctl"),
    (clap_complete::Shell::Fish, "tokenctl.fish"),
    (clap_complete::Shell::Elvish, "tokenctl.elv"),
    (clap_complete::Shell::PowerShell, "_tokenctl.ps1"),
];

pub fn completions(args: CompletionsArgs) -> Result<()> {
    let mut out = std::io::stdout();
    std::io::Write::write_all(&mut out, &completion_script(args.shell))
        .map_err(crate::output::stdout_error)
}

/// The static completion script for `shell` (commands, flags, values; not key names).
pub fn completion_script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "tokenctl", &mut buf);
    buf
}

pub fn man(args: ManArgs) -> Result<()> {
    // As `generate_to` builds it, so that the printed page is man/tokenctl.1 byte for byte.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    match args.dir {
        None => clap_mangen::Man::new(cmd)
            .render(&mut std::io::stdout())
            .map_err(crate::output::stdout_error),
        Some(dir) => write_man_pages(&dir),
    }
}

/// Writes tokenctl.1 and tokenctl-<sub>.1 for every visible subcommand.
pub fn write_man_pages(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "creating the folder", e))?;
    clap_mangen::generate_to(Cli::command(), dir)
        .map_err(|e| Error::io(dir, "writing man pages", e))
}

/// Key names of the located file, for dynamic completion of show/update/delete/rotate.
///
/// Runs inside `COMPLETE=<shell> tokenctl -- <words...>`, before any parsing: the words
/// being completed are read back from argv, so `--file`, `--tenant` and `--root` typed on
/// the line count, then their environment variables. Any failure offers nothing.
pub fn key_names() -> Vec<CompletionCandidate> {
    let words: Vec<OsString> = std::env::args_os()
        .skip_while(|a| a != "--")
        .skip(1)
        .collect();
    let Some(path) = located_file(&words) else {
        return Vec::new();
    };
    let Ok(doc) = crate::store::Store::new(path, std::time::Duration::ZERO).read() else {
        return Vec::new();
    };
    doc.model
        .keys
        .iter()
        .map(|k| CompletionCandidate::new(&k.name).help(k.description.clone().map(Into::into)))
        .collect()
}

/// The file the command line being completed would use (SPEC.md, "Where the file is").
fn located_file(words: &[OsString]) -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let mut file = env("TOKENCTL_FILE").map(PathBuf::from);
    let mut tenant = env("TOKENCTL_TENANT").map(|t| t.to_string_lossy().into_owned());
    let mut root = env("TOKENCTL_ROOT").map(PathBuf::from);
    let mut it = words.iter().map(|w| w.to_string_lossy());
    while let Some(w) = it.next() {
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (w.to_string(), None),
        };
        let short_tenant = flag
            .strip_prefix("-t")
            .filter(|v| !v.is_empty() && !flag.starts_with("--"));
        let mut value = || inline.clone().or_else(|| it.next().map(|v| v.into_owned()));
        match flag.as_str() {
            "--file" => file = value().map(PathBuf::from),
            "--tenant" | "-t" => tenant = value(),
            "--root" => root = value().map(PathBuf::from),
            _ if short_tenant.is_some() => tenant = short_tenant.map(String::from),
            _ => {}
        }
    }
    crate::store::Location {
        file,
        tenant,
        root: Some(root.unwrap_or_else(|| PathBuf::from("tenants"))),
    }
    .resolve()
    .ok()
}

/// The README's command reference: every subcommand, its arguments and flags, from clap.
pub fn reference_markdown() -> String {
    let cmd = Cli::command();
    let mut s = String::from("Global options, taken by every command:\n\n");
    s.push_str(&options(&cmd, true));
    for sub in cmd.get_subcommands().filter(|c| !c.is_hide_set()) {
        let usage: String = sub
            .get_positionals()
            .map(|a| {
                let v = a.get_id().as_str().to_uppercase();
                if a.is_required_set() {
                    format!(" {v}")
                } else {
                    format!(" [{v}]")
                }
            })
            .collect();
        s.push_str(&format!(
            "\n### `tokenctl {}{usage}`\n\n{}\n",
            sub.get_name(),
            sub.get_about().map(|a| a.to_string()).unwrap_or_default()
        ));
        let own = options(sub, false);
        if !own.is_empty() {
            s.push('\n');
            s.push_str(&own);
        }
    }
    s
}

/// One bullet per argument of `cmd`: its global ones, or its own.
fn options(cmd: &clap::Command, global: bool) -> String {
    let mut s = String::new();
    for a in cmd.get_arguments() {
        if a.is_global_set() != global || a.is_hide_set() {
            continue;
        }
        let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
        let value = a
            .get_value_names()
            .and_then(|v| v.first())
            .map(|v| v.to_string())
            .unwrap_or_else(|| a.get_id().as_str().to_uppercase());
        let name = match (a.get_long(), a.get_short()) {
            (Some("help" | "version"), _) => continue,
            (None, _) => value,
            (Some(long), short) => {
                let value = if a.get_action().takes_values() {
                    format!(" {value}")
                } else {
                    String::new()
                };
                let short = short.map(|c| format!("`-{c}`, ")).unwrap_or_default();
                format!("{short}`--{long}{value}`")
            }
        };
        let name = if name.starts_with('`') {
            name
        } else {
            format!("`{name}`")
        };
        let env = a
            .get_env()
            .map(|e| format!(" (env `{}`)", e.to_string_lossy()))
            .unwrap_or_default();
        let default = match a.get_default_values() {
            [d] if !a.get_action().takes_values() || d.is_empty() => String::new(),
            [d] => format!(" (default `{}`)", d.to_string_lossy()),
            _ => String::new(),
        };
        let values: Vec<String> = a
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| format!("`{}`", v.get_name()))
            .collect();
        let values = if values.is_empty() || !a.get_action().takes_values() {
            String::new()
        } else {
            format!(": {}", values.join(", "))
        };
        s.push_str(&format!("- {name}: {help}{values}{env}{default}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<OsString> {
        w.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_line_being_completed_locates_the_file() {
        let f = located_file(&words(&["tokenctl", "--file", "x.yml", "show", ""]));
        assert_eq!(f, Some(PathBuf::from("x.yml")));
        let f = located_file(&words(&["tokenctl", "--root=/r", "-t", "acme", "show"]));
        assert_eq!(f, Some(PathBuf::from("/r/acme/security.yml")));
        let f = located_file(&words(&["tokenctl", "--root", "/r", "-tacme", "show"]));
        assert_eq!(f, Some(PathBuf::from("/r/acme/security.yml")));
    }
}
