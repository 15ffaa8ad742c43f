//! `completions SHELL` and `man`: generated from the clap definition itself plus the shared
//! text of `manual.rs`, and the README's command reference and exit codes. (What dynamic
//! completion offers is in `completion.rs`.) The committed `completions/`, `man/` and README
//! sections are checked fresh by a test; `TOKENCTL_REGENERATE=1 cargo test --test e2e
//! generated` rewrites them.

use crate::cli::args::{Cli, CompletionsArgs, ManArgs};
use crate::cli::manual;
use crate::error::{Error, Result};
use clap::{Command, CommandFactory};
use roff::{Roff, bold, italic, roman};
use std::path::Path;

/// The shells `completions` knows, with the file name each one's script is committed as.
pub const SHELLS: &[(clap_complete::Shell, &str)] = &[
    (clap_complete::Shell::Bash, "tokenctl.bash"),
    (clap_complete::Shell::Zsh, "_tokenctl"),
    (clap_complete::Shell::Fish, "tokenctl.fish"),
    (clap_complete::Shell::Elvish, "tokenctl.elv"),
    (clap_complete::Shell::PowerShell, "_tokenctl.ps1"),
];

pub(crate) fn completions(args: CompletionsArgs) -> Result<()> {
    use std::io::Write;
    let mut out = crate::cli::output::data_out();
    out.write_all(&completion_script(args.shell))
        .and_then(|()| out.flush())
        .map_err(crate::error::stdout_error)
}

/// The static completion script for `shell` (commands, flags, values; not key names).
pub(crate) fn completion_script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = visible(&built());
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "tokenctl", &mut buf);
    if shell == clap_complete::Shell::Fish {
        fish_fixes(&cmd, &mut buf);
    }
    buf
}

/// The command line dynamic completion works from: without hidden arguments, which its
/// engine would otherwise offer when nothing visible matches (`tokenctl __<TAB>`).
pub fn completion_command() -> Command {
    visible(&built())
}

/// The command line as clap builds it (global options propagated), without `help`.
fn built() -> Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// A copy of `cmd` without its hidden arguments and subcommands (the test clock): clap_complete's generators offer everything they are given.
fn visible(cmd: &Command) -> Command {
    let mut out = Command::new(cmd.get_name().to_string())
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true);
    if let Some(about) = cmd.get_about() {
        out = out.about(about.clone());
    }
    if let Some(version) = cmd.get_version() {
        out = out.version(version.to_string());
    }
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        // Already propagated by `build`: copied as they are, not propagated again.
        out = out.arg(arg.clone().global(false));
    }
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        out = out.subcommand(visible(sub));
    }
    out
}

/// What clap_complete's fish script lacks: the values of positional arguments
/// (`completions SHELL`), and option values right after the command name (`tokenctl --format
/// <TAB>`), where its argparse call fails on the option that still lacks its value.
fn fish_fixes(cmd: &Command, script: &mut Vec<u8>) {
    let text = String::from_utf8_lossy(script).into_owned();
    let broken =
        "    argparse -s (__fish_tokenctl_global_optspecs) -- $cmd 2>/dev/null\n    or return\n";
    let fixed = "    # An option still waiting for its value (`tokenctl --format <TAB>`) fails argparse:\n    # no command yet, then.\n    argparse -s (__fish_tokenctl_global_optspecs) -- $cmd 2>/dev/null\n    or return 0\n";
    let mut text = text.replacen(broken, fixed, 1);
    for sub in cmd.get_subcommands() {
        for arg in sub.get_positionals() {
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            if !values.is_empty() {
                text.push_str(&format!(
                    "complete -c tokenctl -n \"__fish_tokenctl_using_subcommand {}\" -f -a \"{}\"\n",
                    sub.get_name(),
                    values.join(" ")
                ));
            }
        }
    }
    *script = text.into_bytes();
}

pub(crate) fn man(args: ManArgs) -> Result<()> {
    match args.dir {
        None => {
            let page = man_page(&built(), None);
            use std::io::Write;
            let mut out = crate::cli::output::data_out();
            out.write_all(&page)
                .and_then(|()| out.flush())
                .map_err(crate::error::stdout_error)
        }
        Some(dir) => write_man_pages(&dir),
    }
}

/// Writes tokenctl.1 and tokenctl-<sub>.1 for every visible subcommand.
pub(crate) fn write_man_pages(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "creating the folder", e))?;
    for (name, page) in man_pages() {
        let path = dir.join(name);
        std::fs::write(&path, page).map_err(|e| Error::io(&path, "writing a man page", e))?;
    }
    Ok(())
}

/// Every man page, with its file name: tokenctl.1 and one per visible subcommand.
pub(crate) fn man_pages() -> Vec<(String, Vec<u8>)> {
    let cmd = built();
    let mut pages = vec![("tokenctl.1".to_string(), man_page(&cmd, None))];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        pages.push((
            format!("tokenctl-{}.1", sub.get_name()),
            man_page(sub, Some(&cmd)),
        ));
    }
    pages
}

/// One man page: clap_mangen's sections from the definition, then EXAMPLES (from the
/// command's `Examples:` help), EXIT STATUS, ENVIRONMENT, FILES and SEE ALSO from
/// `manual.rs`. The footer names the version: "tokenctl 0.1.0".
fn man_page(cmd: &Command, parent: Option<&Command>) -> Vec<u8> {
    let man = clap_mangen::Man::new(cmd.clone());
    let title = cmd.get_display_name().unwrap_or(cmd.get_name()).to_string();
    let source = format!("tokenctl {}", env!("CARGO_PKG_VERSION"));
    // clap_mangen leaves an empty date out of .TH, which shifts the source into its place;
    // `""` keeps it empty and the footer reads "tokenctl 0.1.0".
    let mut out = Roff::new()
        .control(
            "TH",
            [title.as_str(), "1", "\"\"", &source, "tokenctl manual"],
        )
        // No hyphenation anywhere: a flag broken as `--ten‐ant` cannot be copied.
        .control("nh", [])
        .render()
        .into_bytes();
    // Writing to memory cannot fail.
    let _ = man.render_name_section(&mut out);
    let _ = man.render_synopsis_section(&mut out);
    let _ = man.render_description_section(&mut out);
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        let _ = man.render_options_section(&mut out);
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        let _ = man.render_subcommands_section(&mut out);
    }
    let mut roff = Roff::new();
    let examples = examples(cmd);
    if !examples.is_empty() {
        roff.control("SH", ["EXAMPLES"]);
        // Each command in a no-fill block, as ripgrep's page has them: never filled, broken
        // or hyphenated, so that a line copied from `man` runs as it is (roff writes each
        // dash as `\-`, which man shows as an ASCII hyphen-minus).
        for (line, comment) in examples {
            roff.control("PP", []);
            if let Some(comment) = comment {
                roff.text([roman(comment)]);
            }
            if !line.is_empty() {
                roff.control("RS", ["4"]);
                roff.control("nf", []);
                roff.text([bold(line)]);
                roff.control("fi", []);
                roff.control("RE", []);
            }
        }
    }
    roff.control("SH", ["EXIT STATUS"]);
    if let Some(codes) = manual::exit_codes_of(cmd.get_name()) {
        for (code, text) in codes {
            roff.control("TP", []);
            roff.text([bold(code.to_string())]);
            roff.text([roman(*text)]);
        }
        roff.control("PP", []);
        roff.text([roman("Every exit code of tokenctl:")]);
    }
    for (code, text) in manual::EXIT_CODES {
        roff.control("TP", []);
        roff.text([bold(code.to_string())]);
        roff.text([roman(text.replace('`', ""))]);
    }
    roff.control("SH", ["ENVIRONMENT"]);
    for (name, text) in manual::ENVIRONMENT {
        roff.control("TP", []);
        roff.text([bold(*name)]);
        roff.text([roman(*text)]);
    }
    roff.control("SH", ["FILES"]);
    for (name, text) in manual::FILES {
        roff.control("TP", []);
        roff.text([italic(*name)]);
        roff.text([roman(*text)]);
    }
    roff.control("SH", ["SEE ALSO"]);
    // Page names are not to be hyphenated.
    roff.control("nh", []);
    let top = parent.unwrap_or(cmd);
    let mut refs: Vec<String> = Vec::new();
    if parent.is_some() {
        refs.push("tokenctl(1)".into());
    }
    refs.extend(
        top.get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != cmd.get_name())
            .map(|s| format!("tokenctl-{}(1)", s.get_name())),
    );
    roff.text([roman(refs.join(", "))]);
    roff.text([roman(
        "The file format, the token format and the verification rule, for servers in other \
         languages: docs/FORMAT.md in the source.",
    )]);
    out.extend_from_slice(roff.render().as_bytes());
    // Each piece starts with roff's apostrophe preamble; the page needs it once.
    let preamble = Roff::new().render();
    let text = String::from_utf8_lossy(&out);
    let body = text.replace(&preamble, "");
    format!("{preamble}{body}").into_bytes()
}

/// The `Examples:` lines of a command's help, each split from its `# comment`.
fn examples(cmd: &Command) -> Vec<(String, Option<String>)> {
    let Some(after) = cmd.get_after_help() else {
        return Vec::new();
    };
    after
        .to_string()
        .lines()
        .skip_while(|l| !l.starts_with("Examples:"))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| match l.trim().split_once("  # ") {
            Some((line, comment)) => (line.trim().to_string(), Some(comment.trim().to_string())),
            None => match l.trim().strip_prefix("# ") {
                Some(comment) => (String::new(), Some(comment.to_string())),
                None => (l.trim().to_string(), None),
            },
        })
        .collect()
}

/// The README's exit-code table, from `manual.rs`.
pub fn exit_codes_markdown() -> String {
    let mut s = String::from("| code | meaning |\n| --- | --- |\n");
    for (code, text) in manual::EXIT_CODES {
        s.push_str(&format!("| {code} | {text} |\n"));
    }
    s
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
                let mut v = a
                    .get_value_names()
                    .and_then(|v| v.first())
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| a.get_id().as_str().to_uppercase());
                if a.get_num_args().is_some_and(|n| n.max_values() > 1)
                    || matches!(a.get_action(), clap::ArgAction::Append)
                {
                    v.push_str("...");
                }
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
