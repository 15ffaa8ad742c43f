//! Copying a secret to the system clipboard (`--copy`).
//!
//! On X11 a selection lives only as long as the program that owns it, so [`copy`]
//! re-executes the current binary as a detached helper ([`serve_child`]). The secret goes
//! to the helper over its stdin pipe, never argv or the environment, which `ps` and
//! `/proc` show. The helper takes the CLIPBOARD selection, answers one line on its
//! stdout (`ok`, or `err <reason>`) and keeps serving until another program takes the
//! selection or the X server goes away. [`copy`] waits at most 3 s for that line, so
//! when it returns `Ok` the selection is already owned and can be read at once.
//!
//! arboard is built without Wayland support: Wayland sessions go through `XWayland`
//! (`DISPLAY`). On macOS and Windows the OS keeps the clipboard itself, so arboard is
//! used in-process there.
//!
//! Wiring: the binary must call [`serve_child`] first thing when argv[1] is
//! [`SERVE_ARG`]. So [`copy`] works only from that binary, not from a test harness.
//! arboard keeps copies of the text that we cannot zeroize; they live only in the helper.

use thiserror::Error;

/// Hidden argv[1] that turns the binary into the clipboard helper.
pub const SERVE_ARG: &str = "__clipboard-serve";

/// Why the secret could not be copied. The message never contains the secret.
#[derive(Debug, Error)]
pub enum ClipboardError {
    #[error("no display to copy to (DISPLAY is not set)")]
    NoDisplay,
    #[error("clipboard unavailable: {0}")]
    Unavailable(String),
    #[error("clipboard helper did not answer within 3 s")]
    Timeout,
}

// arboard's X11 backend covers every Unix but macOS (Android has no arboard backend).
#[cfg(all(unix, not(target_os = "macos")))]
pub use x11::{copy, serve_child};

#[cfg(all(unix, not(target_os = "macos")))]
mod x11 {
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

    /// Puts `secret` on the CLIPBOARD selection, served by a detached helper process.
    pub fn copy(secret: &str) -> Result<(), ClipboardError> {
        // Checked here so that a headless run fails at once, without spawning anything.
        if std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
            return Err(ClipboardError::NoDisplay);
        }
        let failed =
            |e: io::Error| ClipboardError::Unavailable(format!("cannot start helper: {e}"));
        let mut child = Command::new(std::env::current_exe().map_err(failed)?)
            .arg(SERVE_ARG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Not inheriting our stdout/stderr also keeps `$(tokenctl ...)` from waiting
            // for the helper to exit.
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
            Ok(line) if line == "ok\n" => return Ok(()),
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

    /// Entry point of the helper process; never returns.
    pub fn serve_child() -> ! {
        let mut out = io::stdout();
        let mut buf = Zeroizing::new(vec![0u8; MAX_SECRET + 1]);
        let code = match read_secret(&mut buf) {
            Ok(secret) => serve(secret, &mut out),
            Err(msg) => report(&mut out, Err(msg)),
        };
        drop(buf); // zeroizes
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

    fn serve(secret: &str, out: &mut impl Write) -> i32 {
        // Fails fast when the X server cannot be reached.
        let mut cb = match Clipboard::new() {
            Ok(cb) => cb,
            Err(e) => return report(out, Err(e.to_string())),
        };
        // Own the selection with a placeholder first: then `holds` below reads our own
        // data and never asks (and waits for) another program.
        if let Err(e) = cb.set().exclude_from_history().text("") {
            return report(out, Err(e.to_string()));
        }
        std::thread::scope(|s| {
            let (tx, rx) = mpsc::channel();
            s.spawn(move || {
                // Shares the connection of `cb`; blocks until the selection is lost.
                let r = Clipboard::new()
                    .and_then(|mut c| c.set().wait().exclude_from_history().text(secret));
                let _ = tx.send(r.err().map(|e| e.to_string()));
            });
            // `wait()` returns only once the selection is lost, so we learn that the
            // secret is set by watching our own data: the waiting thread swaps it from ""
            // to the secret under a lock it releases only after taking ownership.
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
                // The waiting thread may never return: leave without joining it.
                std::process::exit(report(out, Err(why)));
            }
            report(out, Ok(()));
            loop {
                match rx.recv_timeout(Duration::from_secs(1)) {
                    Err(RecvTimeoutError::Timeout) if holds(&mut cb, secret) => {}
                    // X server gone (the waiting thread would sleep forever) or selection lost.
                    Err(RecvTimeoutError::Timeout) => std::process::exit(0),
                    // Another program took the selection.
                    _ => return 0,
                }
            }
        })
    }

    /// Whether we still own the selection with `secret` in it (a round trip to X).
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
pub use other::{copy, serve_child};

#[cfg(not(all(unix, not(target_os = "macos"))))]
mod other {
    use super::ClipboardError;

    /// Puts `secret` on the clipboard; the OS keeps it after we exit.
    pub fn copy(secret: &str) -> Result<(), ClipboardError> {
        let unavailable = |e: arboard::Error| ClipboardError::Unavailable(e.to_string());
        let mut cb = arboard::Clipboard::new().map_err(unavailable)?;
        cb.set_text(secret).map_err(unavailable)
    }

    /// No helper process is needed on this platform.
    pub fn serve_child() -> ! {
        std::process::exit(2)
    }
}
