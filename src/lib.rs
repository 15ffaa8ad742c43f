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

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    use commands::*;
    let ctx = Context::from_global(&cli.global)?;
    match cli.command {
        Command::Create(a) => create::run(&ctx, a),
        Command::List(a) => list::run(&ctx, a),
        Command::Show(a) => show::run(&ctx, a),
        Command::Update(a) => update::run(&ctx, a),
        Command::Delete(a) => delete::run(&ctx, a),
        Command::Rotate(a) => rotate::run(&ctx, a),
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
