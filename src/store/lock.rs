//! The exclusive lock that serialises writers of one file: `flock` on `<file>.lock` beside
//! the real file (so every path to it shares one lock), opened without following a link,
//! owned like the file it guards. A writer who gives up says who was in the way: the
//! holder the kernel names in /proc/locks, or where that cannot be read, the pid the holder
//! wrote into the lock file (cleared again when it lets go).

use super::place::Place;
use crate::error::{Error, Result};
use rustix::fs::{Mode, OFlags};
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// An exclusive lock on `<file>.lock`, held until dropped.
pub(crate) struct Lock {
    file: File,
    /// We wrote our pid into it, to clear when we let go.
    wrote_pid: bool,
}

impl Drop for Lock {
    fn drop(&mut self) {
        if self.wrote_pid {
            // Before the lock goes with the descriptor: no stale pid for the next one's
            // message to blame.
            let _ = self.file.set_len(0);
        }
    }
}

impl Lock {
    /// Locks the file `place` names (links already followed), through `<name>.lock` in the
    /// same folder's handle, waiting up to `timeout`.
    pub(crate) fn acquire(place: &Place, timeout: Duration) -> Result<Lock> {
        let path = place.shown();
        let mut lock_name = place.name().to_os_string();
        lock_name.push(".lock");
        let lock_path = path.with_file_name(&lock_name);
        let (mut file, writable) = open(place, &lock_name, &lock_path)?;
        let deadline = Instant::now() + timeout;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    if writable {
                        // Who holds it, for the message of a writer who gives up waiting.
                        let _ = file.set_len(0);
                        let _ = file.rewind();
                        let _ = writeln!(file, "{}", std::process::id());
                    }
                    return Ok(Lock {
                        file,
                        wrote_pid: writable,
                    });
                }
                Err(fs::TryLockError::WouldBlock) => {
                    if Instant::now() >= deadline {
                        return Err(Error::Busy(format!(
                            "{} is locked by {} (lock file {}); gave up after {:.1}s; retry, or raise --lock-timeout",
                            path.display(),
                            holder(&mut file),
                            lock_path.display(),
                            timeout.as_secs_f64()
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(fs::TryLockError::Error(e)) => {
                    return Err(Error::io(&lock_path, "locking", e));
                }
            }
        }
    }
}

/// Opens (or creates) the lock file in the folder's handle, never through a link. A new one
/// gets the owner and group of the file it guards (or of its folder), so that root writing
/// first does not lock the file's owner out. An existing one we may not write is opened
/// read-only: `flock` needs no more.
fn open(place: &Place, lock_name: &OsStr, lock_path: &Path) -> Result<(File, bool)> {
    let existed = place
        .stat_of(lock_name)
        .map_err(|e| Error::io(lock_path, "opening the lock file", e))?
        .is_some();
    let attempt = place.open_file(
        lock_name,
        OFlags::RDWR | OFlags::CREATE,
        Mode::from_raw_mode(0o600),
    );
    let refuse_link = |e: &std::io::Error| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            Some(Error::Invalid {
                path: lock_path.to_path_buf(),
                message: "the lock file is a symbolic link; refusing to follow it (remove it: tokenctl makes its own)".into(),
            })
        } else {
            None
        }
    };
    match attempt {
        Ok(file) => {
            let meta = file
                .metadata()
                .map_err(|e| Error::io(lock_path, "opening the lock file", e))?;
            if !meta.is_file() {
                return Err(not_regular(lock_path));
            }
            if !existed {
                super::place::inherit_owner(&file, place.dir(), &[place.name()]);
            }
            Ok((file, true))
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && existed => {
            let file = place
                .open_file(lock_name, OFlags::RDONLY, Mode::empty())
                .map_err(|e| {
                    refuse_link(&e)
                        .unwrap_or_else(|| Error::io(lock_path, "opening the lock file", e))
                })?;
            if !file.metadata().map(|m| m.is_file()).unwrap_or(false) {
                return Err(not_regular(lock_path));
            }
            Ok((file, false))
        }
        Err(e) => {
            Err(refuse_link(&e).unwrap_or_else(|| Error::io(lock_path, "opening the lock file", e)))
        }
    }
}

fn not_regular(path: &Path) -> Error {
    Error::Invalid {
        path: path.to_path_buf(),
        message: "the lock file is not a regular file; remove it".into(),
    }
}

/// "process 1234 (name)" (and "which is stopped" when it is): the holder of the lock as the
/// kernel lists it in /proc/locks, or where that cannot be read, the pid the holder wrote
/// into the lock file.
fn holder(file: &mut File) -> String {
    let pid = match kernel_holder(file) {
        Some(found) => found,
        None => {
            let mut text = String::new();
            let _ = file.rewind();
            let _ = file.take(32).read_to_string(&mut text);
            text.trim().parse::<u32>().ok()
        }
    };
    let Some(pid) = pid else {
        return "another process".into();
    };
    let stat = fs::read_to_string(PathBuf::from(format!("/proc/{pid}/stat"))).unwrap_or_default();
    // The state is the field after the command name, which is in parentheses.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .unwrap_or("");
    let name = stat
        .split_once('(')
        .and_then(|(_, rest)| rest.rsplit_once(')'))
        .map(|(n, _)| n)
        .unwrap_or("");
    let named = if name.is_empty() {
        format!("process {pid}")
    } else {
        format!("process {pid} ({})", crate::text::Visible(name))
    };
    match state {
        "T" | "t" => {
            format!("{named}, which is stopped (resume it with `kill -CONT {pid}`, or end it)")
        }
        // Gone since: whoever holds it now did not say.
        "" => "another process".into(),
        _ => named,
    }
}

/// The pid holding a `flock` on `file`, from /proc/locks: `Some(None)` when the kernel lists
/// no holder we can name (another namespace), `None` when /proc/locks cannot be read. A pid
/// written into the lock file could be stale or forged; the kernel's is neither.
fn kernel_holder(file: &File) -> Option<Option<u32>> {
    let meta = file.metadata().ok()?;
    let locks = fs::read_to_string("/proc/locks").ok()?;
    let device = format!(
        "{:02x}:{:02x}:{}",
        libc::major(meta.dev()),
        libc::minor(meta.dev()),
        meta.ino()
    );
    // `1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF`; waiters are marked `->`.
    Some(locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.get(1) == Some(&"FLOCK") && fields.get(5) == Some(&device.as_str()))
            .then(|| fields.get(4).and_then(|p| p.parse().ok()))
            .flatten()
    }))
}
