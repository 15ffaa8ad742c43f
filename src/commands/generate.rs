//! `completions SHELL` and `man`: generated from the clap definition itself.

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::error::{Error, Result};
use clap::CommandFactory;
use std::path::Path;

pub fn completions(args: CompletionsArgs) -> Result<()> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "tokenctl", &mut std::io::stdout());
    Ok(())
}

pub fn man(args: ManArgs) -> Result<()> {
    let cmd = Cli::command();
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
