//! The `tokenctl` binary: parse, run, print the error, exit with its code.

use clap::Parser;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::args_os().nth(1).as_deref() == Some(tokenctl::clipboard::SERVE_ARG.as_ref()) {
        tokenctl::clipboard::serve_child();
    }
    // `COMPLETE=bash tokenctl`: print the completion script or answer the shell, then exit.
    clap_complete::CompleteEnv::with_factory(tokenctl::commands::generate::completion_command)
        .complete();
    let cli = tokenctl::cli::Cli::try_parse().unwrap_or_else(|e| exit_on_parse_error(e));
    match tokenctl::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.is_reported() || matches!(e, tokenctl::Error::CheckFailed(_)) {
                match &e {
                    tokenctl::Error::Rejected(m)
                    | tokenctl::Error::Forbidden(m)
                    | tokenctl::Error::CheckFailed(m)
                    | tokenctl::Error::Declined(m) => {
                        eprintln!("{m}")
                    }
                    _ => eprintln!("error: {e}"),
                }
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// Prints clap's error and exits, except that an unexpected argument long enough to be a
/// token is not repeated: clap would echo it to stderr, where logs keep it.
fn exit_on_parse_error(e: clap::Error) -> ! {
    if e.kind() == ErrorKind::UnknownArgument {
        if let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) {
            if !arg.starts_with('-') && arg.chars().count() >= 20 {
                eprintln!(
                    "error: unexpected argument (not repeated here: it may be a secret)\n\n\
                     tokenctl never takes a token as an argument, where shell history and `ps` keep it;\n\
                     pipe it on stdin instead: printf '%s' \"$TOKEN\" | tokenctl verify\n\
                     If that was a real secret, rotate it."
                );
                std::process::exit(tokenctl::error::exit::USAGE.into());
            }
        }
    }
    e.exit()
}
