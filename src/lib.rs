//! tokenctl: API keys kept, hashed, in a per-tenant `security.yml`.
//!
//! The binary is a thin shell over this library. Rust servers use [`verify::Verifier`] to
//! load a security.yml once and check each request with the same rule and reasons as
//! `tokenctl verify`.

pub mod apply;
pub mod cli;
pub mod clipboard;
pub mod commands;
pub mod completion;
pub mod document;
pub mod error;
pub mod harden;
pub mod keys;
pub mod manual;
pub mod model;
pub mod names;
pub mod output;
pub mod scan;
pub mod schema;
#[cfg(feature = "serve")]
pub mod serve;
pub mod store;
pub mod tenants;
pub mod text;
pub mod time;
pub mod token;
pub mod verify;
pub mod yaml;

pub use error::{Error, Result};

use cli::{Cli, Command};

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
    #[cfg(feature = "serve")]
    let serve = matches!(cli.command, Command::Serve(_));
    #[cfg(not(feature = "serve"))]
    let serve = false;
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
        Command::Apply(a) => commands::apply::run(&ctx, a),
        Command::Scan(a) => commands::scan::run(&ctx, a),
        Command::Schema(a) => commands::schema::run(a),
        #[cfg(feature = "serve")]
        Command::Serve(a) => commands::serve::run(&ctx, a),
        Command::Completions(a) => generate::completions(a),
        Command::Man(a) => generate::man(a),
        Command::ClipboardServe => clipboard::serve_child(),
    }
}
