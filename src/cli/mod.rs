//! The command-line front end: clap's types ([`args`]), the context every command is run
//! in, one file per subcommand ([`commands`]), and what only a terminal needs (tables,
//! prompts, the clipboard, completion, man pages). Nothing below it imports it.

// The doc comments of clap's types are the `--help` text (`<root>/<tenant>`, `[1]`), and the
// module is hidden from the library's documentation: rustdoc's markup rules do not apply.
#![allow(
    rustdoc::invalid_html_tags,
    rustdoc::broken_intra_doc_links,
    rustdoc::private_intra_doc_links
)]

pub(crate) mod args;
pub(crate) mod clipboard;
pub(crate) mod commands;
pub(crate) mod completion;
pub(crate) mod context;
pub(crate) mod fleet;
pub(crate) mod harden;
pub(crate) mod interactive;
pub(crate) mod manual;
pub(crate) mod output;
pub(crate) mod secrets;

use crate::error::Result;
pub use args::Cli;
// What the binary and the tests of generated files reach; the rest of the front end is
// the crate's own.
use args::Command;
pub use clipboard::{SERVE_ARG, serve_child};
pub use commands::completions::{
    SHELLS, completion_command, exit_codes_markdown, reference_markdown,
};
pub use harden::forbid_dumps;
pub use manual::EXIT_CODES;

/// What the binary learnt about its process before `main`, which a library cannot see.
#[derive(Debug, Clone, Copy, Default)]
pub struct Launch {
    /// Standard output was closed when the process started (`>&-`). The Rust runtime
    /// reopens a closed fd 1 as /dev/null before `main`, so only code that runs earlier can
    /// tell; a command that generates a secret refuses then (it would go nowhere).
    pub stdout_closed: bool,
}

/// Runs a parsed command line.
pub fn run(cli: Cli, launch: Launch) -> Result<()> {
    use commands::*;
    use context::Context;
    #[cfg(feature = "serve")]
    let serve = matches!(cli.command, Command::Serve(_));
    #[cfg(not(feature = "serve"))]
    let serve = false;
    if cli.global.format == crate::cli::output::Format::Markdown
        && !matches!(cli.command, Command::Diff(_))
    {
        return Err(crate::error::Error::Usage(
            "--format markdown is for `diff` (a pull-request comment); use table, wide, json or yaml".into(),
        ));
    }
    let mut ctx = Context::for_command(&cli.global, serve)?;
    ctx.stdout_closed = launch.stdout_closed;
    match cli.command {
        Command::Create(a) => create::run(&ctx, a),
        Command::List(a) => list::run(&ctx, a),
        Command::Show(a) => show::run(&ctx, a),
        Command::Update(a) => update::run(&ctx, a),
        Command::Delete(a) => delete::run(&ctx, a),
        Command::Rotate(a) => rotate::run(&ctx, a),
        Command::Rename(a) => rename::run(&ctx, a),
        Command::Verify(a) => verify::run(&ctx, a),
        Command::Check(a) => check::run(&ctx, a),
        Command::Apply(a) => apply::run(&ctx, a),
        Command::Scan(a) => scan::run(&ctx, a),
        Command::Schema(a) => schema::run(a),
        Command::Export(a) => export::run(&ctx, a),
        Command::Diff(a) => diff::run(&ctx, a),
        Command::Policy(a) => policy::run(&ctx, a),
        Command::Rollout(a) => rollout::run(&ctx, a),
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve::run(&ctx, a),
        Command::Completions(a) => completions::completions(a),
        Command::Man(a) => completions::man(a),
    }
}
