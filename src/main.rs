//! The `tokenctl` binary: parse, run, print the error, exit with its code.
//!
//! Every message leaves through [`tokenctl::text`]: secret-looking values redacted, control
//! characters shown as escapes. That covers clap's errors too, whose values are cleaned
//! before clap renders them.

use clap::builder::StyledStr;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

// A command builds a model of thousands of small strings and lists and frees them at once:
// glibc's malloc and free were a third of a write's instructions on a large file.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use tokenctl::text;

/// Set before `main` when fd 1 was closed at exec (`tokenctl create x >&-`).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Notes whether stdout was closed when the process started. It must run before `main`: the
/// Rust runtime reopens a closed fd 0, 1 or 2 as /dev/null before calling `main`, after
/// which a write to stdout succeeds and a new secret would go nowhere. An `.init_array`
/// entry runs first (the C runtime calls it before `main`); only here, in the binary, never
/// in the library, which other programs link.
extern "C" fn note_closed_stdout() {
    // SAFETY: F_GETFD only reads the descriptor's flags; fd 1 is not otherwise touched and
    // no Rust state is used, so it is sound before the runtime is set up.
    #[allow(unsafe_code)]
    let flags = unsafe { libc::fcntl(1, libc::F_GETFD) };
    if flags == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF) {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

// The crate's one justified `unsafe` attribute: placing the function in `.init_array` is
// the only way to run before the runtime's descriptor fix-up (see `note_closed_stdout`).
#[allow(unsafe_code)]
#[used]
#[unsafe(link_section = ".init_array")]
static NOTE_CLOSED_STDOUT: extern "C" fn() = note_closed_stdout;

fn main() -> ExitCode {
    purge_freed_memory_soon();
    // Any tokenctl may hold a secret (one generated, read from stdin, or typed by mistake
    // where a name goes): no core dump, no ptrace by other processes of the user.
    tokenctl::cli::forbid_dumps();
    if std::env::args_os().nth(1).as_deref() == Some(tokenctl::cli::SERVE_ARG.as_ref()) {
        tokenctl::cli::serve_child();
    }
    // `COMPLETE=bash tokenctl`: print the completion script or answer the shell, then exit.
    clap_complete::CompleteEnv::with_factory(tokenctl::cli::completion_command).complete();
    let cli = tokenctl::cli::Cli::try_parse_args().unwrap_or_else(|e| exit_on_parse_error(e));
    let launch = tokenctl::cli::Launch {
        stdout_closed: STDOUT_CLOSED.load(Ordering::Relaxed),
    };
    match tokenctl::cli::run(cli, launch) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(message) = e.report() {
                eprintln!("{}", text::message(&message));
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// Gives memory freed back to the system at once, or after 10 ms for `serve` (mimalloc 2's
/// delay) instead of mimalloc 3's 1,000: a command frees what it no longer needs while it
/// reads a file (a chunk of keys read on the second thread once appended, the list of a
/// check) and reaches its peak right after; with a delay the freed memory was still held
/// then (at 100,000 keys, a 22 MB file: `check` 86 to 89 MB peak RSS with 10 ms, 84 with
/// none; `list -o json` 87 to 91 MB, 80 to 82). A server returning and faulting pages again
/// on every request would be slower, so `serve` keeps 10 ms. (An argument `serve` that is
/// a key's name gets the server's delay too: a little more memory, nothing else.)
fn purge_freed_memory_soon() {
    /// `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (the same in mimalloc 2 and 3).
    const MI_OPTION_PURGE_DELAY: libc::c_int = 15;
    let serving = std::env::args_os().any(|a| a == "serve");
    #[allow(unsafe_code)]
    unsafe extern "C" {
        /// mimalloc.h: `void mi_option_set(mi_option_t option, long value)`.
        fn mi_option_set(option: libc::c_int, value: libc::c_long);
    }
    // SAFETY: the declaration is mimalloc's (linked through the mimalloc crate); the call
    // sets an option by a valid index, before any other thread exists (it is not
    // thread-safe).
    #[allow(unsafe_code)]
    unsafe {
        mi_option_set(MI_OPTION_PURGE_DELAY, if serving { 10 } else { 0 })
    };
}

/// Prints clap's error, with every value the user gave (an unknown subcommand, a flag's
/// invalid value, ...) passed through [`text::value`] first: a token typed where a name
/// goes is shown as its fingerprint, with the advice to rotate it.
fn exit_on_parse_error(mut e: clap::Error) -> ! {
    if !e.use_stderr() {
        e.exit() // --help, --version: our own text, on stdout
    }
    if e.kind() == ErrorKind::MissingSubcommand {
        // Options but no command (`tokenctl` with TOKENCTL_TENANT set, `tokenctl -t acme`):
        // the help, as a bare `tokenctl` gets, not clap's list that names hidden commands.
        use clap::CommandFactory;
        eprint!("{}", tokenctl::cli::Cli::command().render_help());
        std::process::exit(e.exit_code());
    }
    let mut redacted = false;
    // A file digest given to --if-unchanged is no secret, even mistyped (text::digest_value).
    let digest = matches!(e.get(ContextKind::InvalidArg),
        Some(ContextValue::String(a)) if a.starts_with("--if-unchanged"));
    let mut clean = |s: &str| {
        if digest {
            redacted |= text::contains_token(s);
            return text::digest_value(s);
        }
        let v = text::value(s);
        redacted |= text::contains_secret(s);
        v
    };
    let context: Vec<(ContextKind, ContextValue)> =
        e.context().map(|(k, v)| (k, v.clone())).collect();
    for (kind, value) in context {
        let cleaned = match &value {
            ContextValue::String(s) => ContextValue::String(clean(s)),
            ContextValue::Strings(v) => ContextValue::Strings(v.iter().map(|s| clean(s)).collect()),
            ContextValue::StyledStr(s) => ContextValue::StyledStr(clean_styled(s, &mut clean)),
            ContextValue::StyledStrs(v) => {
                ContextValue::StyledStrs(v.iter().map(|s| clean_styled(s, &mut clean)).collect())
            }
            _ => continue,
        };
        if cleaned != value {
            e.insert(kind, cleaned);
        }
    }
    if redacted {
        let mut tips = match e.get(ContextKind::Suggested) {
            Some(ContextValue::StyledStrs(v)) => v.clone(),
            _ => Vec::new(),
        };
        if e.kind() == ErrorKind::UnknownArgument {
            tips.push(StyledStr::from(
                "tokenctl never takes a token as an argument, where shell history and `ps` keep it; \
                 pipe it on stdin instead: printf '%s' \"$TOKEN\" | tokenctl verify",
            ));
        }
        tips.push(StyledStr::from(text::ROTATE_ADVICE));
        e.insert(ContextKind::Suggested, ContextValue::StyledStrs(tips));
    }
    // A message clap composed without context gets the same treatment as ours, unstyled.
    let plain = e.render().to_string();
    let cleaned = if digest && !text::contains_token(&plain) {
        plain.clone()
    } else {
        text::message(&plain)
    };
    if cleaned != plain {
        eprint!("{cleaned}");
        std::process::exit(e.exit_code());
    }
    e.exit()
}

/// A styled piece of a clap error, cleaned; its styling is dropped only when it changed.
fn clean_styled(s: &StyledStr, clean: &mut impl FnMut(&str) -> String) -> StyledStr {
    let plain = s.to_string();
    let cleaned = clean(&plain);
    if cleaned == plain {
        s.clone()
    } else {
        StyledStr::from(cleaned)
    }
}
