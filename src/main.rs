//! The `tokenctl` binary: parse, run, print the error, exit with its code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::args_os().nth(1).as_deref() == Some(tokenctl::clipboard::SERVE_ARG.as_ref()) {
        tokenctl::clipboard::serve_child();
    }
    // `COMPLETE=bash tokenctl`: print the completion script or answer the shell, then exit.
    clap_complete::CompleteEnv::with_factory(<tokenctl::cli::Cli as clap::CommandFactory>::command)
        .complete();
    let cli = tokenctl::cli::Cli::parse();
    match tokenctl::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.is_reported() || matches!(e, tokenctl::Error::CheckFailed(_)) {
                match &e {
                    tokenctl::Error::Rejected(m)
                    | tokenctl::Error::Forbidden(m)
                    | tokenctl::Error::CheckFailed(m) => {
                        eprintln!("{m}")
                    }
                    _ => eprintln!("error: {e}"),
                }
            }
            ExitCode::from(e.exit_code())
        }
    }
}
