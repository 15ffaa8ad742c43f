//! Copying a secret to the system clipboard (`--copy`), as a password manager does: for a
//! while only ([`DEFAULT_CLEAR_AFTER`], `--copy-for`), and then cleared unless another
//! program has taken the clipboard since.
//!
//! On X11 and Wayland a selection lives only as long as the program that owns it, so
//! [`copy`] re-executes the current binary as a detached helper ([`serve_child`]). The secret
//! goes to the helper over its stdin pipe, never argv or the environment, which `ps` and
//! `/proc` show; argv carries only how long to serve. The helper closes every descriptor it
//! inherited, makes itself non-dumpable, takes the CLIPBOARD selection, answers one line on
//! its stdout (`ok`, or `err <reason>`) and serves until the time is up, another program
//! takes the selection, or the display goes away. [`copy`] waits at most 3 s for that line,
//! so when it returns `Ok` the selection is already owned and can be read at once.
//!
//! Clearing is the helper's exit: the display server drops a selection whose owner is gone,
//! and only if it is still the owner, so a secret is cleared and another program's copy is
//! never touched, without a race between looking and clearing. The helper zeroizes its own
//! copy of the secret first; arboard's copies die with the process a moment later.
//!
//! Wayland sessions (`WAYLAND_DISPLAY`) copy through the compositor's data-control protocol
//! (arboard's `wayland-data-control`: wlr-data-control or ext-data-control, as in sway, KDE
//! and Hyprland); where the compositor lacks it (GNOME), arboard falls back to XWayland's
//! `DISPLAY`. On macOS and Windows the OS keeps the clipboard itself, so arboard is used
//! in-process there, and nothing clears it later.
//!
//! Wiring: the binary calls [`serve_child`] first thing when argv[1] is [`SERVE_ARG`], before
//! clap sees the command line (main.rs; it is no subcommand, so this is its one dispatch).
//! So [`copy`] works only from that binary, not from a test harness.

use std::time::Duration;
use thiserror::Error;

/// Hidden argv[1] that turns the binary into the clipboard helper.
pub const SERVE_ARG: &str = "__clipboard-serve";

/// How long a copied secret stays on the clipboard unless `--copy-for` says otherwise
/// (KeePassXC's default is 10 s, `pass -c`'s 45 s).
pub(crate) const DEFAULT_CLEAR_AFTER: Duration = Duration::from_secs(45);

/// A clipboard time for the notice: "45 seconds", "2 minutes", "1 hour", "2.5 seconds".
pub(crate) fn describe(d: Duration) -> String {
    if d.subsec_millis() != 0 || d.is_zero() {
        return format!("{} seconds", d.as_millis() as f64 / 1000.0);
    }
    let s = d.as_secs();
    let (n, unit) = match s {
        s if s % 3600 == 0 => (s / 3600, "hour"),
        s if s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// Why the secret could not be copied. The message never contains the secret.
#[derive(Debug, Error)]
pub(crate) enum ClipboardError {
    #[error("no display to copy to (neither WAYLAND_DISPLAY nor DISPLAY is set)")]
    NoDisplay,
    #[error("clipboard unavailable: {0}")]
    Unavailable(String),
    #[error("clipboard helper did not answer within 3 s")]
    Timeout,
}

// arboard's X11 and Wayland backends cover every Unix but macOS (Android has no backend).
pub use helper::serve_child;
#[cfg(all(unix, not(target_os = "macos")))]
pub(crate) use helper::{available, copy};

#[cfg(all(unix, not(target_os = "macos")))]
mod helper {
    use super::{ClipboardError, SERVE_ARG};
    use arboard::{Clipboard, SetExtLinux};
    use std::io::{self, BufRead, BufReader, Read, Write};
    use std::os::fd::AsFd;
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
    use std::time::{Duration, Instant};
    use zeroize::Zeroizing;

    const MAX_SECRET: usize = 16 * 1024;
    /// How often the helper checks that it still holds the secret (a round trip to the
    /// display server), and so how late after `--copy-for` it may clear at most.
    const POLL: Duration = Duration::from_millis(250);

    /// Whether a copy can work: a Wayland or X11 display is named.
    pub(crate) fn available() -> bool {
        let set = |v: &str| std::env::var_os(v).is_some_and(|d| !d.is_empty());
        set("WAYLAND_DISPLAY") || set("DISPLAY")
    }

    /// Puts `secret` on the CLIPBOARD selection, served by a detached helper process for
    /// `clear_after`. Returns how long it stays there.
    pub(crate) fn copy(
        secret: &str,
        clear_after: Duration,
    ) -> Result<Option<Duration>, ClipboardError> {
        // Checked here so that a headless run fails at once, without spawning anything.
        if !available() {
            return Err(ClipboardError::NoDisplay);
        }
        let failed =
            |e: io::Error| ClipboardError::Unavailable(format!("cannot start helper: {e}"));
        let mut child = Command::new(std::env::current_exe().map_err(failed)?)
            .arg(SERVE_ARG)
            .arg(clear_after.as_millis().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Not inheriting our stdout/stderr also keeps `$(tokenctl ...)` from waiting
            // for the helper to exit (other inherited descriptors it closes itself).
            .stderr(Stdio::null())
            .current_dir("/") // don't keep the caller's directory busy
            .process_group(0) // Ctrl-C in the terminal must not kill the helper
            .spawn()
            .map_err(failed)?;
        // A write error means the helper died already; its answer (or EOF) says why.
        // Dropping stdin right away gives the helper EOF: the secret is complete.
        let _ = child
            .stdin
            .take()
            .expect("piped")
            .write_all(secret.as_bytes());
        let stdout = child.stdout.take().expect("piped");
        // A thread, because std has no read timeout on pipes.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout.take(512)).read_line(&mut line);
            let _ = tx.send(line);
        });
        let result = match rx.recv_timeout(Duration::from_secs(3)) {
            // The helper keeps running; dropping `child` neither kills nor waits for it.
            Ok(line) if line == "ok\n" => return Ok(Some(clear_after)),
            Ok(line) => Err(ClipboardError::Unavailable(
                line.strip_prefix("err ")
                    .unwrap_or("helper exited")
                    .trim_end()
                    .into(),
            )),
            Err(_) => Err(ClipboardError::Timeout),
        };
        let _ = child.kill();
        let _ = child.wait(); // reap it
        result
    }

    /// Entry point of the helper process (`tokenctl __clipboard-serve MILLIS`, the secret on
    /// stdin); never returns.
    pub fn serve_child() -> ! {
        // First, before anything is opened: a descriptor inherited from the caller's shell
        // (`3>&1` into a pipe) would keep its reader waiting until we exit.
        crate::cli::harden::close_inherited_fds();
        crate::cli::harden::forbid_dumps();
        let mut out = io::stdout();
        let clear_after = std::env::args()
            .nth(2)
            .and_then(|ms| ms.parse::<u64>().ok())
            .map(Duration::from_millis);
        let mut buf = Zeroizing::new(vec![0u8; MAX_SECRET + 1]);
        let code = match (clear_after, read_secret(&mut buf)) {
            (None, _) => report(&mut out, Err("usage: __clipboard-serve MILLIS".into())),
            (_, Err(msg)) => report(&mut out, Err(msg)),
            (Some(d), Ok(secret)) => serve(secret, d, &mut out),
        };
        // Our copies are wiped here (`Zeroizing`); leaving releases the selection, which
        // clears it if it is still ours.
        drop(buf);
        std::process::exit(code)
    }

    /// Reads stdin into `buf` without the buffering of `io::stdin()`, which would leave
    /// a copy of the secret behind.
    fn read_secret(buf: &mut [u8]) -> Result<&str, String> {
        let fd = io::stdin().as_fd().try_clone_to_owned();
        let mut input = std::fs::File::from(fd.map_err(|e| format!("no stdin: {e}"))?);
        let mut len = 0;
        while len < buf.len() {
            match input.read(&mut buf[len..]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("cannot read the secret: {e}")),
            }
        }
        if len > MAX_SECRET {
            return Err("secret too long".into());
        }
        std::str::from_utf8(&buf[..len]).map_err(|_| "secret is not UTF-8".into())
    }

    /// Owns the selection with `secret` until `clear_after` has passed, another program
    /// takes it, or the display goes away; returns the exit code.
    fn serve(secret: &str, clear_after: Duration, out: &mut impl Write) -> i32 {
        // Wayland's data-control protocol when WAYLAND_DISPLAY names a compositor that has
        // it, X11 otherwise; fails fast when neither can be reached.
        let mut cb = match Clipboard::new() {
            Ok(cb) => cb,
            Err(e) => return report(out, Err(e.to_string())),
        };
        // Own the selection with a placeholder first: then `holds` below reads our own
        // data and never asks (and waits for) another program.
        if let Err(e) = cb.set().exclude_from_history().text("") {
            return report(out, Err(e.to_string()));
        }
        let (tx, rx) = mpsc::channel();
        // The waiting thread gets its own copy, wiped when it returns. It may never return
        // (a display that vanished): then the process exit takes it.
        let own = Zeroizing::new(secret.to_string());
        std::thread::spawn(move || {
            // Shares the connection of `cb` (X11); blocks until the selection is lost.
            let r = Clipboard::new()
                .and_then(|mut c| c.set().wait().exclude_from_history().text(own.as_str()));
            drop(own);
            let _ = tx.send(r.err().map(|e| e.to_string()));
        });
        // `wait()` returns only once the selection is lost, so we learn that the secret is
        // set by watching our own data: the waiting thread swaps it from "" to the secret.
        let deadline = Instant::now() + Duration::from_millis(2500);
        while !holds(&mut cb, secret) {
            let why = match rx.try_recv() {
                Ok(Some(e)) => e,
                Ok(None) | Err(TryRecvError::Disconnected) => "selection taken at once".into(),
                Err(TryRecvError::Empty) if Instant::now() > deadline => "timed out".into(),
                Err(TryRecvError::Empty) => {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                }
            };
            return report(out, Err(why));
        }
        report(out, Ok(()));
        let clear_at = Instant::now() + clear_after;
        loop {
            let left = clear_at.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return 0; // time is up: exiting releases (clears) the selection
            }
            match rx.recv_timeout(left.min(POLL)) {
                // Still ours: keep serving.
                Err(RecvTimeoutError::Timeout) if holds(&mut cb, secret) => {}
                // Another program took the selection (the waiting thread returned), or the
                // display went away (it would wait forever): nothing of ours to clear.
                _ => return 0,
            }
        }
    }

    /// Whether we still own the selection with `secret` in it (a round trip to the display).
    fn holds(cb: &mut Clipboard, secret: &str) -> bool {
        cb.get_text()
            .map(Zeroizing::new)
            .is_ok_and(|t| *t == secret)
    }

    /// Writes the one status line the parent waits for; returns the exit code.
    fn report(out: &mut impl Write, result: Result<(), String>) -> i32 {
        let line = match &result {
            Ok(()) => "ok\n".to_string(),
            Err(msg) => format!("err {}\n", msg.replace('\n', " ")),
        };
        // The parent may be gone already; Rust ignores SIGPIPE, so this cannot kill us.
        let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
        i32::from(result.is_err())
    }
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
pub use other::{available, copy, serve_child};

#[cfg(not(all(unix, not(target_os = "macos"))))]
mod other {
    use super::ClipboardError;
    use std::time::Duration;

    /// The OS always has a clipboard here.
    pub fn available() -> bool {
        true
    }

    /// Puts `secret` on the clipboard; the OS keeps it after we exit, and nothing clears it
    /// later (`None`).
    pub fn copy(secret: &str, _clear_after: Duration) -> Result<Option<Duration>, ClipboardError> {
        let unavailable = |e: arboard::Error| ClipboardError::Unavailable(e.to_string());
        let mut cb = arboard::Clipboard::new().map_err(unavailable)?;
        cb.set_text(secret).map_err(unavailable)?;
        Ok(None)
    }

    /// No helper process is needed on this platform.
    pub fn serve_child() -> ! {
        std::process::exit(2)
    }
}
